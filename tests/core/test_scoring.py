"""The calibrated scoring: parameters are sane, evidence only counts against a mask, and the
verdict, score and confidence agree with each other."""

from __future__ import annotations

import pytest

from napari_hcr.knowledge import load_profile
from napari_hcr.measures import measure
from napari_hcr.scoring import FEATURES, contributions, decide, evidence, load_params
from synthetic import ball_case


def test_parameters_cover_every_feature_with_non_negative_weights():
    params = load_params()
    assert params["threshold"] == 0.5
    assert {"CT", "MRI", "generic"} <= set(params["families"])
    for model in params["families"].values():
        assert set(model["weights"]) == set(FEATURES)
        assert all(w >= 0 for w in model["weights"].values())
        for norms in model["standardisation"].values():
            assert set(norms) == set(FEATURES)
            assert all(spec["scale"] > 0 for spec in norms.values())
        assert "generic" in model["standardisation"] and "generic" in model["bias"]


def test_evidence_only_counts_against_and_decision_is_consistent():
    case = ball_case()
    profile = load_profile(case.structure, case.modality)
    m = measure(case)
    assert set(evidence(m, profile)) == set(FEATURES)
    assert all(v >= 0 for v in contributions(m, profile).values())
    d = decide(m, profile, [])
    assert d.verdict == "acceptable"
    assert d.confidence == pytest.approx(d.score, abs=1e-4)


def test_islands_lower_the_score_and_flip_the_verdict():
    clean = ball_case()
    islands = ball_case(
        lambda m, g: (
            m
            | (sum((x - c) ** 2 for x, c in zip(g, (6, 6, 6))) <= 9)
            | (sum((x - c) ** 2 for x, c in zip(g, (42, 50, 8))) <= 9)
        )
    )
    profile = load_profile("generic", "MRI-T1")
    good = decide(measure(clean), profile, [])
    bad = decide(measure(islands), profile, [])
    assert bad.score < good.score
    assert bad.verdict == "unacceptable"
    assert bad.confidence == pytest.approx(1.0 - bad.score, abs=1e-4)
