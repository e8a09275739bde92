"""The benchmark's cases: each alteration family is labelled as intended by the scaled rule,
the splits share no test structure and no scan (but the one CT, split by structure), a
``--limit`` run is balanced, and every group builds cases that carry their neighbours."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from napari_hcr.acceptability.alterations import FAILURE_FAMILIES, Subject, alter, families_for
from napari_hcr.acceptability.build import CaseRecord, build_scan, build_variant, compose, load_candidate
from napari_hcr.acceptability.rule import Agreement, agreement, blob_bars, dice_bars, label, structure_scale
from napari_hcr.acceptability.runner import balanced_sample, case_for, correct_cases, format_table, summarise
from napari_hcr.acceptability.scans import LESIONS, available
from napari_hcr.acceptability.sources import VARIANTS
from napari_hcr.acceptability.splits import (
    CT_DEV_TYPES,
    CT_KIND,
    CT_TEST_TYPES,
    GROUPS,
    LESION_SPLIT,
    ct_split,
    mni_targets,
    scans_for,
)
from napari_hcr.knowledge import canonical_structure

SEEDS = (0, 1, 2, 3)


def _balls(shape, centres, radius):
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    out = np.zeros(shape, np.int16)
    for value, centre in enumerate(centres, 1):
        out[sum((g - c) ** 2 for g, c in zip(grid, centre)) <= radius**2] = value
    return out


def _organ(spacing=(1.0, 1.0, 1.0)):
    """A 3-D 'organ' (label 1, r = 18 voxels) touching a labelled neighbour (label 2)."""
    labels = _balls((64, 72, 72), [(32, 20, 36), (32, 55, 36)], 18)
    return Subject(
        labels == 1, spacing, np.ones(labels.shape, bool), labels=labels, value=1, others={"other": labels == 2}
    )


def _nucleus():
    """A 2-D 'nucleus' (r = 10 px) among other instances, one of them touching it."""
    labels = _balls((128, 128), [(40, 40), (40, 61), (80, 50), (30, 100), (90, 100)], 10)
    return Subject(labels == 1, (1.0, 1.0), np.ones(labels.shape, bool), labels=labels, value=1)


SUBJECTS = {"organ": _organ, "thick-slice organ": lambda: _organ((3.0, 1.0, 1.0)), "nucleus": _nucleus}


def _labels_of(subject, family):
    out = []
    for seed in SEEDS:
        made = alter(subject, family, np.random.default_rng(seed))
        if made is not None:
            out.append(label(agreement(made.mask, subject.reference, subject.spacing)))
    return out


@pytest.mark.parametrize("name", sorted(SUBJECTS))
def test_every_family_is_labelled_as_intended(name):
    subject = SUBJECTS[name]()
    families = families_for(subject)
    assert {"reference", "jitter", "boundary_1vox", "leak", "missing_part", "islands", "shift"} <= set(families)
    for family in families:
        labels = _labels_of(subject, family)
        if family == "smooth" and not labels:
            continue  # smoothing a small round nucleus changes no pixel: no case, rightly
        intended = "unacceptable" if family in FAILURE_FAMILIES else "acceptable"
        opposite = "acceptable" if intended == "unacceptable" else "unacceptable"
        assert labels, f"{family} made no candidate on the {name}"
        assert opposite not in labels, f"{family} on the {name}: {labels}"
        assert labels.count(intended) >= len(labels) - 1, f"{family} on the {name}: {labels}"


def test_leak_into_a_neighbour_takes_its_voxels_and_the_neighbour_shrinks():
    subject = _organ()
    assert "leak_neighbour" in families_for(subject)
    made = alter(subject, "leak_neighbour", np.random.default_rng(0))
    assert made is not None and made.params["neighbour"] == 2
    taken = made.mask & (subject.labels == 2)
    assert taken.sum() > 0.01 * subject.reference.sum()
    seen = compose(subject.labels, 1, made.mask)
    assert np.array_equal(seen == 1, made.mask)
    assert (seen == 2).sum() == (subject.labels == 2).sum() - taken.sum()
    assert label(agreement(made.mask, subject.reference, subject.spacing)) == "unacceptable"
    # Without a labelled neighbour the family does not apply.
    alone = Subject(subject.reference, subject.spacing, subject.inside, labels=(subject.labels == 1).astype(np.int16))
    assert "leak_neighbour" not in families_for(alone)


def test_sizes_scale_with_the_structure():
    small, large = _balls((40, 40, 40), [(20, 20, 20)], 4) == 1, _balls((80, 80, 80), [(40, 40, 40)], 30) == 1
    assert structure_scale(small, (1.0, 1.0, 1.0))[0] == pytest.approx(4.0, rel=0.1)
    assert structure_scale(large, (2.0, 2.0, 2.0))[0] == pytest.approx(60.0, rel=0.05)
    # Many equal components: sized by one of them, not by their union.
    nuclei = _balls((128, 128), [(20, 20), (20, 60), (60, 20), (60, 60), (100, 100)], 8) > 0
    assert structure_scale(nuclei, (1.0, 1.0))[0] == pytest.approx(8.0, rel=0.1)
    # A leak drawn on a small structure is small in mm but as large relative to it.
    for ref, spacing in ((small, (1.0, 1.0, 1.0)), (large, (2.0, 2.0, 2.0))):
        subject = Subject(ref, spacing, np.ones(ref.shape, bool))
        made = alter(subject, "leak", np.random.default_rng(0))
        growth = (made.mask & ~ref).sum() / ref.sum()
        assert 0.01 < growth < 0.6


def test_rule_bars_scale_and_keep_the_mni152_values():
    assert dice_bars(2.0, 60.0) == (0.90, 0.80)  # an MNI152 structure: the earlier bars
    assert dice_bars(1.0, 4.0) == (0.75, 0.60)  # a 4-voxel nodule: floors
    ok, fail = dice_bars(1.0, 10.0)
    assert ok == pytest.approx(0.85) and fail == pytest.approx(0.70)
    assert blob_bars(1400.0) == pytest.approx((3.5, 2.1))  # 0.25 % / 0.15 % of a brain
    fail, ok = blob_bars(24.0)  # a 24 mL organ: the 1 mL floor would be 4 %; capped at 0.5 %
    assert fail == pytest.approx(0.12) and ok == pytest.approx(0.12)
    base = {
        "hd95_mm": 1.0,
        "tau_mm": 1.0,
        "gross": 0.0,
        "gross_blob_ml": 0.0,
        "reference_ml": 0.3,
        "new_pieces": 0,
        "new_cavities": 0,
    }
    # Dice 0.8 is a pass on a nodule of radius 4 voxels, grey on a large structure.
    assert label(Agreement(dice=0.8, emptied_slices=0, scale_mm=4.0, **base)) == "acceptable"
    assert label(Agreement(dice=0.8, emptied_slices=0, scale_mm=60.0, **base)) == "grey"
    assert label(Agreement(dice=0.55, emptied_slices=0, scale_mm=4.0, **base)) == "unacceptable"


def test_splits_hold_no_test_structure_in_dev_and_no_scan_in_both_but_the_ct():
    assert not set(CT_DEV_TYPES) & set(CT_TEST_TYPES)
    for side in (CT_DEV_TYPES, CT_TEST_TYPES):  # both halves hold every kind of structure
        assert {CT_KIND[t] for t in side} == {"organ", "vessel", "bone", "muscle"}
    # Left and right of a pair, lobes, vertebrae and ribs stay on one side.
    assert ct_split("kidney_left") == ct_split("kidney_left") == "dev"
    assert ct_split("vertebrae_L1") == ct_split("vertebrae_S1") == "test"
    assert ct_split("rib_left_3") == ct_split("rib_right_11") == "dev"
    assert ct_split("lung_upper_lobe_left") == ct_split("lung_lower_lobe_right") == "dev"
    dev_lesions = {LESIONS[s][0] for s, side in LESION_SPLIT.items() if side == "dev"}
    test_lesions = {LESIONS[s][0] for s, side in LESION_SPLIT.items() if side == "test"}
    assert dev_lesions and test_lesions and not dev_lesions & test_lesions
    assert set(scans_for("dev")) & set(scans_for("test")) == {"ts-ct"}
    assert "nuclei2d" in scans_for("test") and "nuclei2d" not in scans_for("dev")
    assert {t.scan for t in mni_targets("dev")}.isdisjoint({t.scan for t in mni_targets("test")})
    assert {g for g in GROUPS if scans_for("test", g)} == set(GROUPS)


def _record(group, structure, family, scan="s", value=1):
    return CaseRecord(
        id=f"{group}-{structure}-{family}",
        variant=scan,
        split="dev",
        group=group,
        structure=structure,
        value=value,
        modality="CT",
        family=family,
        intended="acceptable" if family in ("reference", "jitter") else "unacceptable",
        params={},
        agreement={},
        label="acceptable" if family in ("reference", "jitter") else "unacceptable",
        spacing=(1.0, 1.0, 1.0),
        image="",
        mask="",
    )


def test_limit_is_balanced_over_groups_structures_and_classes():
    records = [
        _record(group, f"{group}-s{k}", family)
        for group, count in (("CT organs", 40), ("lesions", 3), ("brain MRI", 3))
        for k in range(count)
        for family in ("reference", "jitter", "leak", "shift", "holes")
    ]
    chosen = balanced_sample(records, 24)
    assert len(chosen) == 24
    per_group = Counter(r.group for r in chosen)
    assert per_group == {"CT organs": 8, "lesions": 8, "brain MRI": 8}
    for group in per_group:
        mine = [r for r in chosen if r.group == group]
        assert {r.intended for r in mine} == {"acceptable", "unacceptable"}
        assert len({r.structure for r in mine}) == min(8, len({r.structure for r in records if r.group == group}))
    assert balanced_sample(records, 10_000) == records


def test_table_prints_groups_and_plain_column_names():
    rows = [
        {
            "group": g,
            "structure": s,
            "family": "leak",
            "truth": t,
            "verdict": v,
            "score": sc,
            "confidence": 0.9,
            "seconds": 0.2,
        }
        for g, s in (("CT organs", "liver"), ("lesions", "lung_nodule"))
        for t, v, sc in (("acceptable", "acceptable", 0.9), ("unacceptable", "unacceptable", 0.1))
    ]
    text = format_table(summarise("dev", rows, grey=2))
    assert "CT organs" in text and "lesions" in text and "liver" in text and "overall" in text
    assert "n_unacc" in text and "n_acc" in text and " unacc " not in text
    assert "2 grey-zone" in text and "dice_ok" in text


def test_table_names_every_correct_mask_called_unacceptable_by_group():
    """The guardrail's first duty, printed with the figures: each rejected reference or crop by name."""
    rows = [
        {"group": g, "structure": s, "scan": "ts-ct", "family": f, "truth": "acceptable", "verdict": v, "score": sc}
        for g, s, f, v, sc in (
            ("CT organs", "femur_left", "reference", "unacceptable", 0.2),
            ("CT organs", "spleen", "fov_crop", "acceptable", 0.9),
            ("CT organs", "liver", "jitter", "unacceptable", 0.3),  # close to correct, not a correct mask
            ("lesions", "lung_nodule", "reference", "acceptable", 0.8),
        )
    ]
    text = format_table(summarise("test", [{**r, "seconds": 0.1, "confidence": 0.9} for r in rows], grey=0))
    assert "called unacceptable: 1 of 3" in text
    # The spleen's crop passed on doubt: flagged for review with the rejected reference, not called unacceptable.
    doubted = [{**r, "seconds": 0.1, "confidence": 0.4 if r["structure"] == "spleen" else 0.9} for r in rows]
    flagged = format_table(summarise("test", doubted, grey=0))
    assert "called unacceptable: 1 of 3" in flagged
    assert "CT organs     unacceptable 0 of 0, acceptable 3 of 3, correct masks 2 of 2; passed on doubt 1" in flagged
    assert "CT organs     unacceptable 0 of 0, acceptable 2 of 3, correct masks 1 of 2; passed on doubt 0" in text
    assert "CT organs: 1 of 2: femur_left (reference, ts-ct)" in text and "liver (jitter" not in text
    assert "lesions: 0 of 1" in text


@pytest.fixture(scope="module")
def mni_crop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mni-crop")
    variant = next(v for v in VARIANTS if v.id == "v06")
    return folder, build_variant(variant, folder, structures=("brain",), families=("reference", "fov_crop"))


def test_brain_mri_group_field_of_view_crop_is_acceptable_and_touches_the_border(mni_crop):
    folder, records = mni_crop
    crop = next(r for r in records if r.family == "fov_crop")
    assert crop.group == "brain MRI" and crop.label == "acceptable" and crop.crop is not None
    case = case_for(crop, folder)
    mask = load_candidate(crop, folder)
    assert case.image.shape == mask.shape and mask.shape[0] == crop.crop[1] - crop.crop[0]
    assert mask[0].any() or mask[-1].any()  # the scan now ends inside the brain
    full = case_for(next(r for r in records if r.family == "reference"), folder)
    assert case.image.shape[0] < full.image.shape[0]


needs = {
    s: pytest.mark.skipif(not available(s), reason=f"{s} not in the user cache: run `napari-hcr bench` once")
    for s in ("ts-ct", "lung1", "nuclei2d")
}


@needs["ts-ct"]
def test_ct_organs_group_cases_keep_the_whole_label_map(tmp_path):
    families = ("reference", "fov_crop", "leak_neighbour", "wrong_structure", "jitter")
    records = build_scan("ts-ct", "dev", tmp_path, families=families, structures=("liver", "kidney_left"))
    assert {r.structure for r in records} == {"liver", "kidney_left"}
    by = {(r.structure, r.family): r for r in records}
    for structure in ("liver", "kidney_left"):
        assert by[(structure, "reference")].label == "acceptable"
        assert by[(structure, "fov_crop")].label == "acceptable"
    leak = by[("kidney_left", "leak_neighbour")]
    assert leak.label == "unacceptable"
    case = case_for(leak, tmp_path)
    assert case.label == leak.value and case.structure == "kidney_left" and case.modality == "CT"
    assert len(np.unique(case.labels)) > 40  # the neighbours are there
    assert case.names[leak.value] == "kidney_left" and "liver" in case.names.values()
    neighbour = leak.params["neighbour"]
    reference = case_for(by[("kidney_left", "reference")], tmp_path)
    assert (case.labels == neighbour).sum() < (reference.labels == neighbour).sum()


@needs["lung1"]
def test_lesions_group_reference_crop_and_failures(tmp_path):
    records = build_scan("lung1", "dev", tmp_path, families=("reference", "fov_crop", "over_segmentation", "shift"))
    labels = Counter((r.family, r.label) for r in records)
    assert labels[("reference", "acceptable")] == 1 and labels[("fov_crop", "acceptable")] >= 1
    assert labels[("shift", "unacceptable")] >= 1
    assert all(r.group == "lesions" and r.structure == "lung_nodule" and r.split == "dev" for r in records)
    case = case_for(records[0], tmp_path)
    assert case.ndim == 3 and case.modality == "CT" and case.spacing[0] == pytest.approx(5.0)


@needs["nuclei2d"]
def test_microscopy_group_is_per_nucleus_with_the_other_nuclei_as_context(tmp_path):
    records = build_scan("nuclei2d", "test", tmp_path, families=("reference", "fov_crop", "leak_neighbour", "holes"))
    assert len({r.value for r in records}) == 10
    assert all(r.group == "microscopy" and r.structure == "nucleus" and r.split == "test" for r in records)
    assert all(r.label == "acceptable" for r in records if r.family in ("reference", "fov_crop"))
    assert all(r.label == "unacceptable" for r in records if r.family in ("leak_neighbour", "holes"))
    case = case_for(next(r for r in records if r.family == "leak_neighbour"), tmp_path)
    assert case.ndim == 2 and len(np.unique(case.labels)) > 100 and case.modality == "microscopy"


@needs["nuclei2d"]
def test_correct_cases_yield_every_reference_and_crop_with_the_reasoners_input(tmp_path):
    pairs = list(correct_cases("test", "microscopy", tmp_path, only_cached=True))
    assert Counter(r.family for r, _ in pairs) == {"reference": 10, "fov_crop": 10}
    for record, case in pairs:
        assert record.label == "acceptable"
        assert case.label == record.value and case.structure == canonical_structure("nucleus")
        assert np.array_equal(case.mask, load_candidate(record, tmp_path))


@pytest.mark.skipif(
    not all(available(s) for s in ("ts-ct", "brain1", "nuclei2d")), reason="real scans not in the user cache"
)
def test_a_limited_run_builds_only_the_targets_it_needs():
    from napari_hcr.acceptability.runner import _scans_for_limit

    plan = _scans_for_limit(scans_for("test"), "test", 12)  # a share of 3 per group
    assert [s for s in plan if s.startswith("mni-")] == ["mni-v06"]
    assert len(plan["ts-ct"]) == 3 and len(plan["nuclei2d"]) == 3
    assert sum(len(plan[s]) for s in ("brain1", "brain2", "breast1") if s in plan) == 3
    everything = _scans_for_limit(scans_for("test"), "test", 10_000)
    assert len(everything["ts-ct"]) == 26 and len(everything) == len(scans_for("test"))


def test_a_candidate_alone_keeps_its_mask_and_drops_the_other_structures(tmp_path):
    """``bench --alone`` judges a label map's candidate as a one-structure model hands it over."""
    scan = tmp_path / "scan"
    scan.mkdir()
    base = np.zeros((8, 16, 16), dtype=np.uint8)
    base[2:6, 2:8, 2:8] = 1
    base[2:6, 8:14, 2:8] = 2
    mask = base == 1
    mask[2:6, 8:10, 2:8] = True  # into the neighbour
    np.save(scan / "image.npy", np.random.default_rng(0).normal(size=base.shape).astype(np.float32))
    np.save(scan / "labels.npy", base)
    (scan / "names.json").write_text(json.dumps({"1": "liver", "2": "kidney_right"}), encoding="utf-8")
    np.savez(scan / "leak.npz", mask=mask)
    record = CaseRecord(
        "leak", "scan", "dev", "CT organs", "liver", 1, "CT", "leak_neighbour", "unacceptable", {}, {},
        "unacceptable", (3.0, 1.0, 1.0), "scan/image.npy", "scan/leak.npz", "scan/labels.npy",
    )  # fmt: skip
    full, alone = case_for(record, tmp_path), case_for(record, tmp_path, alone=True)
    assert np.array_equal(alone.mask, mask) and np.array_equal(full.mask, mask)
    assert full.others and full.names == {1: "liver", 2: "kidney_right"}
    assert not alone.others and alone.names == {1: "liver"}
    assert set(np.unique(alone.labels)) == {0, 1}


def test_cli_bench_passes_split_group_and_limit(monkeypatch, capsys, tmp_path):
    import napari_hcr.acceptability as acceptability
    from napari_hcr.cli import main

    seen = {}

    def fake_run(**kwargs):
        seen.update(kwargs)
        return summarise(kwargs["split"], [], grey=0)

    monkeypatch.setattr(acceptability, "run_benchmark", fake_run)
    monkeypatch.setattr(acceptability, "format_table", lambda result: f"table for {result.split}")
    assert (
        main(["bench", "--split", "dev", "--group", "CT organs", "--limit", "8", "--results-dir", str(tmp_path)]) == 0
    )
    assert seen["split"] == "dev" and seen["group"] == "CT organs" and seen["limit"] == 8
    assert seen["alone"] is False
    assert "table for dev" in capsys.readouterr().out
    assert main(["bench", "--split", "dev", "--alone", "--results-dir", str(tmp_path)]) == 0
    assert seen["alone"] is True
    with pytest.raises(SystemExit):
        main(["bench", "--group", "dermatology"])
