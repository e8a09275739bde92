"""The benchmark itself: labels follow the documented rule, splits share no source volume,
the reasoner's inputs hold no reference, and the figures are computed correctly."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from napari_hcr.acceptability import format_table
from napari_hcr.acceptability.build import build_variant, load_candidate
from napari_hcr.acceptability.metrics import auroc, figures, interval, reliability
from napari_hcr.acceptability.rule import Agreement, agreement, label
from napari_hcr.acceptability.runner import case_for, summarise
from napari_hcr.acceptability.sources import VARIANTS, variants


def _ball(shape, centre, radius):
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    return sum((g - c) ** 2 for g, c in zip(grid, centre)) <= radius**2


def test_splits_share_no_variant_and_cover_both_structures_and_resolutions():
    dev, test = variants("dev"), variants("test")
    assert dev and test
    assert not {v.id for v in dev} & {v.id for v in test}
    assert not {v.seed for v in dev} & {v.seed for v in test}
    assert len({v.id for v in VARIANTS}) == len(VARIANTS)
    # Every variant is a different rendering: no two share voxel size, gain and noise at once.
    assert len({(v.spacing, v.gain, v.noise) for v in VARIANTS}) == len(VARIANTS)


def test_rule_labels_identity_acceptable_and_gross_failures_unacceptable():
    reference = _ball((40, 40, 40), (20, 20, 20), 12)
    spacing = (2.0, 2.0, 2.0)
    assert label(agreement(reference, reference, spacing)) == "acceptable"
    shifted = np.roll(reference, 5, axis=0)
    assert label(agreement(shifted, reference, spacing)) == "unacceptable"
    island = reference | _ball(reference.shape, (4, 4, 4), 2)
    a = agreement(island, reference, spacing)
    assert a.new_pieces == 1 and label(a) == "unacceptable"
    holed = reference & ~_ball(reference.shape, (20, 20, 20), 3)
    a = agreement(holed, reference, spacing)
    assert a.new_cavities == 1 and label(a) == "unacceptable"
    gap = reference.copy()
    gap[19:21] = False
    a = agreement(gap, reference, spacing)
    assert a.emptied_slices == 2 and label(a) == "unacceptable"


def test_rule_thresholds_as_documented():
    base = {
        "hd95_mm": 0.0,
        "tau_mm": 2.0,
        "gross": 0.0,
        "gross_blob_ml": 0.0,
        "reference_ml": 1000.0,
        "new_pieces": 0,
        "new_cavities": 0,
        "emptied_slices": 0,
    }
    assert label(Agreement(dice=0.95, **base)) == "acceptable"
    assert label(Agreement(dice=0.85, **base)) == "grey"
    assert label(Agreement(dice=0.79, **base)) == "unacceptable"
    assert label(Agreement(dice=0.95, **{**base, "hd95_mm": 5.0})) == "grey"
    assert label(Agreement(dice=0.95, **{**base, "hd95_mm": 8.5})) == "unacceptable"
    # A connected gross error scales with the structure: 2 mL is grey for 1 L, failing for 0.2 L.
    assert label(Agreement(dice=0.99, **{**base, "gross_blob_ml": 2.0})) == "grey"
    assert label(Agreement(dice=0.99, **{**base, "gross_blob_ml": 2.0, "reference_ml": 200.0})) == "unacceptable"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A handful of real cases: one coarse test variant, white matter, a few families."""
    folder = tmp_path_factory.mktemp("bench")
    variant = next(v for v in VARIANTS if v.id == "v09")
    families = ("reference", "threshold", "leak", "missing_slices", "islands", "over_segmentation")
    records = build_variant(variant, folder, structures=("white_matter",), families=families)
    return folder, records


def test_built_labels_follow_the_rule(built):
    folder, records = built
    assert {r.family for r in records} >= {"reference", "leak", "missing_slices"}
    for record in records:
        candidate = load_candidate(record, folder)
        reference = np.load(folder / "references" / record.variant / f"{record.structure}.npy").astype(bool)
        recomputed = agreement(candidate, reference, record.spacing)
        assert label(recomputed) == record.label
        assert recomputed.to_dict() == record.agreement
    by_family = {r.family: r.label for r in records}
    assert by_family["reference"] == "acceptable"
    assert by_family["missing_slices"] == "unacceptable"
    assert by_family["islands"] == "unacceptable"


def test_reasoner_inputs_hold_no_reference(built):
    folder, records = built
    reference = np.load(folder / "references" / records[0].variant / "white_matter.npy").astype(bool)
    for record in records:
        if record.family == "reference":
            continue
        case = case_for(record, folder)
        assert not np.array_equal(case.mask, reference)
        assert np.array_equal(case.mask, load_candidate(record, folder))
        assert "references" not in record.image and "references" not in record.mask
        assert {f.name for f in fields(case)} == {
            "image",
            "labels",
            "label",
            "spacing",
            "structure",
            "modality",
            "rgb",
            "names",
            "present",
            "finite",
            "spacing_known",
        }
        assert set(case.names.values()) <= {record.structure}


def test_figures_by_hand():
    truth = ["unacceptable", "unacceptable", "acceptable", "acceptable", "acceptable"]
    verdict = ["unacceptable", "acceptable", "acceptable", "acceptable", "unacceptable"]
    score = [0.1, 0.6, 0.9, 0.7, 0.4]
    f = figures(truth, verdict, score, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert f.sensitivity == pytest.approx(0.5)
    assert f.specificity == pytest.approx(2 / 3)
    assert f.balanced_accuracy == pytest.approx((0.5 + 2 / 3) / 2)
    assert f.accuracy == pytest.approx(0.6)
    assert f.median_seconds == 3.0
    # acceptable scores 0.9, 0.7, 0.4 vs unacceptable 0.1, 0.6: 5 of 6 pairs ordered right.
    assert f.auroc == pytest.approx(5 / 6)
    assert auroc(np.array([0.5, 0.5]), np.array([True, False])) == pytest.approx(0.5)


def test_intervals_resample_whole_targets_and_say_when_there_is_nothing_to_resample():
    """Candidates of one target share its image, so the interval resamples targets: one target
    gives none, a perfect reasoner a point, a mixed one an interval around its figure."""
    perfect_truth = ["unacceptable", "acceptable"] * 6
    targets = [f"t{i // 2}" for i in range(12)]
    exact = interval(perfect_truth, perfect_truth, [0.1, 0.9] * 6, targets)
    assert exact.targets == 6 and exact.balanced_accuracy == (1.0, 1.0) and exact.auroc == (1.0, 1.0)
    assert interval(perfect_truth, perfect_truth, [0.1, 0.9] * 6, ["one"] * 12).balanced_accuracy is None

    rng = np.random.default_rng(1)
    truth = ["unacceptable" if rng.random() < 0.5 else "acceptable" for _ in range(200)]
    verdict = [t if rng.random() < 0.75 else ("acceptable" if t == "unacceptable" else "unacceptable") for t in truth]
    score = [float(rng.random()) for _ in truth]
    by_target = [f"t{i % 20}" for i in range(200)]
    point = figures(truth, verdict, score, [0.0] * 200)
    wide = interval(truth, verdict, score, by_target)
    assert wide.balanced_accuracy is not None and wide.auroc is not None
    assert wide.balanced_accuracy[0] < point.balanced_accuracy < wide.balanced_accuracy[1]
    assert wide.auroc[0] < point.auroc < wide.auroc[1]
    assert interval(truth, verdict, score, by_target) == wide  # seeded: a rerun prints the same
    few = interval(truth, verdict, score, [f"t{i % 3}" for i in range(200)])
    assert few.targets == 3 and few.balanced_accuracy is None and few.auroc is None  # three would feign precision


def test_table_names_every_structure_and_the_rule():
    rows = [
        {"structure": s, "family": "leak", "truth": t, "verdict": v, "score": sc, "confidence": 0.9, "seconds": 0.2}
        for s in ("brain", "white_matter")
        for t, v, sc in (("acceptable", "acceptable", 0.9), ("unacceptable", "unacceptable", 0.1))
    ]
    text = format_table(summarise("test", rows, grey=3))
    assert "brain" in text and "white_matter" in text and "overall" in text
    assert "95% intervals, resampling whole targets" in text and "(2 targets, too few to resample)" in text
    assert "Dice >= 0.90" in text and "3 grey-zone" in text
    # Every verdict right at a confidence of 0.9: the confidence understates by 0.1.
    assert "mean confidence 0.900   right 1.000   calibration error 0.100" in text


def test_reliability_compares_confidence_with_the_share_of_verdicts_right():
    truth = ["acceptable"] * 10
    right, wrong = "acceptable", "unacceptable"
    # Ten verdicts at 0.8, eight of them right: calibrated.
    honest = reliability(truth, [right] * 8 + [wrong] * 2, [0.8] * 10)
    assert honest.mean_confidence == pytest.approx(0.8) and honest.share_right == pytest.approx(0.8)
    assert honest.calibration_error == pytest.approx(0.0)
    # Half right at 0.95, and a doubtful pass (0.4) that was right: the gap is taken within each bin.
    mixed = reliability(truth[:5], [right] * 2 + [wrong] * 2 + [right], [0.95] * 4 + [0.4])
    assert mixed.calibration_error == pytest.approx(0.8 * 0.45 + 0.2 * 0.6)
    assert reliability([], [], []).n == 0
