"""The calibrated scoring: parameters are sane, evidence only counts against a mask, and the
verdict, score and confidence agree with each other."""

from __future__ import annotations

import dataclasses
import math

import pytest

from napari_hcr.backends.offline import synthesis_text
from napari_hcr.case import make_case
from napari_hcr.findings import check_volume, compared_with
from napari_hcr.knowledge import load_profile
from napari_hcr.knowledge.table import Range
from napari_hcr.measures import measure
from napari_hcr.scoring import (
    ALONE,
    FEATURES,
    PEERS,
    UNSEEN,
    UNSPECIFIC,
    beyond_sources,
    calibration,
    contributions,
    decide,
    evidence,
    load_params,
    lone_body,
)
from napari_hcr.verdict import doubtful
from synthetic import ball_case, liver_in_fat


def test_parameters_cover_every_feature_with_non_negative_weights():
    params = load_params()
    assert {"CT", "MRI", "generic"} <= set(params["families"])
    for model in params["families"].values():
        assert "seen" in model["calibration"]
        assert set(model["calibration"]) <= {"seen", ALONE, UNSEEN, PEERS}
        for path in (UNSEEN, PEERS):  # a way of judging with an operating point of its own has a map of its own
            assert (path in model["calibration"]) == (path in model["bias"])
        assert all(m["slope"] > 0 for m in model["calibration"].values())  # each map keeps the evidence's order
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


def test_the_verdict_is_the_sign_of_the_log_odds_and_the_score_their_mapped_probability():
    """On CT the operating point moves towards "acceptable", so the fit maps the log-odds to
    P(acceptable): a liver shifted by a few voxels is judged by the sign of its log-odds, and its
    score is their map for a lone CT organ."""
    for shift in (0, 3, 6):
        image, labels = liver_in_fat(shift)
        case = make_case(image, labels, spacing=(3.0, 3.0, 3.0), structure="liver", modality="CT")
        profile = load_profile("liver", "CT")
        m = measure(case)
        judged = calibration(profile, m.ndim, m.peers, lone_body(m, profile))
        logit = judged.bias - sum(contributions(m, profile).values())
        # The liver is alone in its label image: its operating point moves by the lone organs'
        # margin, and its log-odds are mapped as lone body-structure masks' are.
        assert lone_body(m, profile)
        in_map = calibration(profile, m.ndim, m.peers)
        ct = load_params()["families"]["CT"]
        assert judged.bias == pytest.approx(in_map.bias + ct["alone_margin"]["CT:organ"]) and judged.bias > in_map.bias
        mapped = judged.mapping()
        assert mapped == ct["calibration"][ALONE] != in_map.mapping()
        d = decide(m, profile, [])
        assert d.verdict == ("acceptable" if logit >= 0 else "unacceptable")
        assert d.score == pytest.approx(1 / (1 + math.exp(-(mapped["slope"] * logit + mapped["offset"]))), abs=1e-4)
        assert d.confidence == pytest.approx(d.score if d.verdict == "acceptable" else 1 - d.score, abs=1e-4)
        assert doubtful(d.verdict, d.confidence) == (d.verdict == "acceptable" and d.score < 0.5)


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


def test_a_kind_the_calibration_never_saw_in_its_modality_is_judged_as_unseen_and_says_so():
    # The dev split holds MRI brain tissue only: a lesion on MRI is a kind the MRI fit never saw,
    # so it is weighed against every correct mask at the operating point of held-out kinds.
    params = load_params()
    assert "MRI:lesion" not in params["families"]["MRI"]["kinds"]
    lesion = load_profile("brain_tumour", "MRI-T1")
    judged = calibration(lesion, 3)
    assert not judged.seen
    assert judged.model is params["families"]["generic"]
    assert judged.bias == params["families"]["generic"]["bias"][UNSEEN]
    assert calibration(load_profile("liver", "CT"), 3).seen
    assert calibration(load_profile("white_matter", "MRI-T1"), 3).seen

    case = ball_case()
    m = measure(case)
    d = decide(m, lesion, [])
    text = synthesis_text([], d.verdict, d.score, d.confidence, lesion, m)
    assert "No correct mask of any lesion on MRI" in text and "less specific" in text
    seen_text = synthesis_text([], d.verdict, d.score, d.confidence, load_profile("liver", "CT"), m)
    assert "No correct mask of any" not in seen_text
    # Less specific in the confidence too: the log-odds are scaled as for an unknown structure.
    logit = judged.bias - sum(contributions(m, lesion).values())
    mapped = judged.mapping()
    assert mapped == params["families"]["generic"]["calibration"][UNSEEN]  # held out by kind, as it is unseen
    expected = mapped["slope"] * UNSPECIFIC * logit + mapped["offset"]
    assert math.log(d.score / (1 - d.score)) == pytest.approx(expected, rel=0.01)


def test_a_finding_names_whose_correct_masks_it_was_found_unusual_against():
    # The calibration holds enough correct masks of white matter for norms of its own, of the
    # liver too few (it is weighed against CT organs), of the sacrum none (against CT bones) and
    # of a tumour on MRI no kind at all: the text must not claim a comparison it never made.
    m = measure(ball_case())
    standardised = load_params()["families"]
    assert "white_matter" in standardised["MRI"]["standardisation"]
    assert "liver" not in standardised["CT"]["standardisation"]
    assert calibration(load_profile("white_matter", "MRI-T1"), 3).against == "structure"
    assert calibration(load_profile("liver", "CT"), 3).against == "kind"
    white = load_profile("white_matter", "MRI-T1")
    assert compared_with(m, white) == f"correct masks of {white.display_name}"
    assert compared_with(m, load_profile("liver", "CT")) == "correct CT masks of organs"
    assert compared_with(m, load_profile("sacrum", "CT")) == "correct CT masks of bones"
    unseen = compared_with(m, load_profile("brain_tumour", "MRI-T1"))
    assert unseen == "correct masks of every structure the calibration knows"


def test_the_unseen_kind_operating_point_is_measured_on_held_out_kinds():
    # A family fitted on several kinds carries its own unseen-kind bias, more lenient than the
    # most cautious of its seen kinds; one fitted on a single kind has nothing to hold out.
    families = load_params()["families"]
    assert UNSEEN in families["CT"]["bias"] and UNSEEN in families["generic"]["bias"]
    assert UNSEEN not in families["MRI"]["bias"]
    assert families["CT"]["bias"][UNSEEN] > families["CT"]["bias"]["generic"]


@pytest.mark.parametrize(
    ("low", "high", "ruled", "words"),
    [
        (0.1, 0.4, "volume_excess", "over 2 times the largest its sources report"),
        (2.5, 10.0, "volume_deficit", "under 1/2 of the smallest its sources report"),
    ],
)
def test_a_volume_its_sources_rule_out_decides_the_verdict_even_for_an_unseen_kind(low, high, ruled, words):
    # Stage-1 knowledge holds where the calibration does not: a mask more than twice the largest
    # (or under half the smallest) volume the profile's sources report is not that structure.
    m = measure(ball_case())
    fits = dataclasses.replace(load_profile("brain_tumour", "MRI-T1"), volume_ml=Range(0.5 * m.size, 2 * m.size))
    assert decide(m, fits, []).verdict == "acceptable"
    profile = dataclasses.replace(fits, volume_ml=Range(low * m.size, high * m.size))
    assert beyond_sources(m, profile) == ruled
    d = decide(m, profile, [])
    assert d.verdict == "unacceptable"
    assert max(contributions(m, profile), key=contributions(m, profile).get) == ruled
    assert words in " ".join(f.detail for f in check_volume(m, profile))


def test_a_volume_just_outside_its_sources_is_weighed_not_ruled_out():
    m = measure(ball_case())
    profile = dataclasses.replace(load_profile("brain_tumour", "MRI-T1"), volume_ml=Range(0.2 * m.size, 0.6 * m.size))
    assert beyond_sources(m, profile) is None
    assert "sources report" not in " ".join(f.detail for f in check_volume(m, profile))


def test_a_cached_offline_verdict_is_tied_to_the_release_and_the_fitted_parameters() -> None:
    """The widget caches assessments by backend model: the offline model names the release and
    a fingerprint of the fitted parameters, so a refit never serves an earlier calibration's verdict."""
    import hashlib
    from importlib import resources

    from napari_hcr import __version__
    from napari_hcr.backends import make_backend
    from napari_hcr.scoring import PARAMS_FILE, params_digest

    data = (resources.files("napari_hcr") / PARAMS_FILE).read_bytes()
    assert params_digest() == hashlib.sha256(data).hexdigest()[:8]
    assert make_backend("offline").model == f"offline-{__version__}+{params_digest()}"
