"""Metal in a CT: a correct mask that holds an implant is not "holding other tissue"."""

from __future__ import annotations

import json

import numpy as np
import pytest

from napari_hcr.attenuation import tissue_band
from napari_hcr.backends import make_backend
from napari_hcr.case import Case, make_case
from napari_hcr.context import NeighbourLeak, surroundings
from napari_hcr.findings import NOT_JUDGED
from napari_hcr.knowledge import load_profile
from napari_hcr.measures import measure
from napari_hcr.metal import METAL_HU, REACH_MM, threshold
from napari_hcr.reasoner import assess
from napari_hcr.refinement import refine
from napari_hcr.scoring import evidence, hu_band
from napari_hcr.snapshots import choose_slices

SPACING = (2.0, 2.0, 2.0)


def femur_with_stem(stem_at: tuple[int, int] | None = (20, 20)) -> tuple[np.ndarray, np.ndarray]:
    """A femoral shaft (cortex 1000 HU, fatty marrow -100 HU) in muscle, labelled 1 beside a
    labelled muscle (2), with a metal stem (3000 HU) at ``stem_at`` (y, x) in the upper half,
    ringed by the dark streaks (-700 HU) metal throws; None: no metal."""
    z, y, x = np.mgrid[:40, :40, :40]
    radius = np.hypot(y - 20, x - 20)
    shaft = radius <= 10
    image = np.where(radius <= 7, -100.0, np.where(shaft, 1000.0, 50.0)).astype(np.float32)
    if stem_at is not None:
        around = np.hypot(y - stem_at[0], x - stem_at[1])
        upper = z < 20
        image[upper & (around <= 4) & (around > 2)] = -700.0
        image[upper & (around <= 2)] = 3000.0
    labels = shaft.astype(np.uint8)
    labels[:, :, 33:] = 2
    return image, labels


def femur_case(image: np.ndarray, labels: np.ndarray) -> Case:
    return make_case(
        image,
        labels,
        label=1,
        spacing=SPACING,
        structure="femur_left",
        modality="CT",
        names={1: "femur_left", 2: "iliopsoas"},
    )


def test_an_implant_inside_a_bone_is_metal_not_other_tissue_and_its_reach_is_left_unjudged() -> None:
    femur = load_profile("femur_left", "CT")
    image, labels = femur_with_stem()
    m = measure(femur_case(image, labels), tissue_band(femur))
    assert m.metal is not None and m.metal.inside > 0
    assert m.metal.where.slice < 20  # the stem's own slices
    assert 0.2 < m.metal.share < 0.7  # the upper half of the shaft, within reach of the stem
    assert m.foreign is not None and m.foreign.share < 0.01  # neither the metal nor its streaks
    json.dumps(m.to_dict(), allow_nan=False)
    plain_image, plain = femur_with_stem(None)
    clean = measure(femur_case(plain_image, plain), tissue_band(femur))
    assert clean.metal is None
    assert m.inside_spread <= clean.inside_spread + 1.0  # the stem and its streaks add no spread
    assert evidence(m, femur)["foreign_tissue"] == pytest.approx(evidence(clean, femur)["foreign_tissue"], abs=0.01)


def test_the_assessment_names_the_metal_with_its_slice_and_says_what_it_left_unjudged() -> None:
    image, labels = femur_with_stem()
    result = assess(femur_case(image, labels), make_backend("offline"))
    found = [f for stage in result.stages for f in stage.findings]
    assert not [f for f in found if f.kind == "foreign_tissue"]
    metal = [f for f in found if f.kind == "metal"]
    assert metal and metal[0].severity == "info" and "metal" in NOT_JUDGED
    assert metal[0].where is not None and metal[0].where.slice < 20
    assert "holds metal" in metal[0].detail and "not judged" in metal[0].detail
    assert "within reach of metal" in result.stages[1].text  # the inside figures say what they leave out
    assert "metal" in result.stages[3].text  # the synthesis carries the caveat


def test_metal_near_a_mask_spoils_only_what_lies_within_reach() -> None:
    femur = load_profile("femur_left", "CT")
    image, labels = femur_with_stem((20, 33))  # in the muscle beside the bone, 3 voxels past its cortex
    m = measure(femur_case(image, labels), tissue_band(femur))
    assert m.metal is not None and m.metal.inside == 0.0 and 0.0 < m.metal.share < 0.5
    result = assess(femur_case(image, labels), make_backend("offline"))
    metal = [f for stage in result.stages for f in stage.findings if f.kind == "metal"]
    assert metal and f"lies within {REACH_MM:.0f} mm of the mask" in metal[0].detail
    far_image, far = femur_with_stem((20, 39))  # its nearest voxel 7 voxels (14 mm) from the cortex
    assert measure(femur_case(far_image, far), tissue_band(femur)).metal is None


def test_a_mask_wholly_within_reach_of_metal_has_no_attenuation_judged() -> None:
    femur = load_profile("femur_left", "CT")
    image, labels = femur_with_stem()
    small = np.zeros_like(labels)
    small[2:10, 17:24, 17:24] = labels[2:10, 17:24, 17:24]  # the part of the shaft around the stem
    m = measure(femur_case(image, small), tissue_band(femur))
    assert m.metal is not None and m.metal.whole
    assert hu_band(m, femur) is None
    x = evidence(m, femur)
    assert x["attenuation_off"] == 0.0 and x["foreign_tissue"] == 0.0 and x["inside_spread"] == 0.0
    result = assess(femur_case(image, small), make_backend("offline"))
    found = [f for stage in result.stages for f in stage.findings]
    assert not [f for f in found if f.kind in ("intensity_ok", "foreign_tissue", "inhomogeneous_inside")]
    assert "attenuation is not read" in result.stages[1].text


def test_what_a_structure_may_hold_is_never_metal() -> None:
    """Bone reaches about 2000 HU and undiluted contrast arriving in the superior vena cava
    2500 HU: neither is metal where the structure's own band holds it."""
    bone = tissue_band(load_profile("femur_left", "CT"))
    vein = tissue_band(load_profile("superior_vena_cava", "CT"))
    assert bone is not None and vein is not None
    assert threshold(bone) == METAL_HU > 2000.0
    assert threshold(vein) > vein.high


def test_an_mri_has_no_metal_reading() -> None:
    image, labels = femur_with_stem()
    mri = make_case(image + 1000.0, labels, label=1, spacing=SPACING, structure="femur_left", modality="MRI")
    assert measure(mri, tissue_band(load_profile("femur_left", "MRI"))).metal is None


def test_the_refinement_takes_no_side_on_metal_or_its_streaks() -> None:
    """A stem in the muscle beside the bone throws dark streaks across the bone's boundary: the
    competition may not move the boundary on them, nor read the stem as the bone's own tissue
    running on through an end face."""
    band = tissue_band(load_profile("femur_left", "CT"))
    assert band is not None
    plain_image, plain = femur_with_stem(None)
    baseline = refine(femur_case(plain_image, plain), measure(femur_case(plain_image, plain), band))
    image, labels = femur_with_stem((20, 33))
    case = femur_case(image, labels)
    m = measure(case, band)
    blind, aware = refine(case, m), refine(case, m, metal_hu=threshold(band))
    assert baseline is not None and blind is not None and aware is not None
    assert aware.shrunk < blind.shrunk and aware.shrunk - baseline.shrunk < 0.02
    assert m.refinement == aware  # the measures refine as the metal-aware pass does


def test_streaks_inside_a_labelled_neighbour_are_not_a_leak_into_it() -> None:
    """A muscle's tongue lies in a neighbouring muscle that holds a metal rod. The rod's dark
    streaks fall on both: read as tissue, the tongue would look like the neighbour it lies in
    (a leak); within reach of metal nothing looks like anything."""
    z, y, x = np.mgrid[:40, :40, :40]
    labels = np.zeros((40, 40, 40), np.uint8)
    labels[:, 5:35, 5:20] = 1
    labels[:, 5:35, 20:35] = 2
    labels[(z >= 12) & (z < 28) & (y >= 15) & (y < 25) & (x >= 20) & (x < 27)] = 1
    image = (50.0 + np.random.default_rng(0).normal(0, 5, labels.shape)).astype(np.float32)
    radius, along = np.hypot(y - 20, x - 30), (z >= 10) & (z < 30)
    image[along & (radius <= 8)] = -700.0
    image[along & (radius <= 1.2)] = 3000.0
    mask = labels == 1
    bbox = tuple((int(a.min()), int(a.max()) + 1) for a in np.nonzero(mask))
    names = {1: "iliopsoas_left", 2: "gluteus_medius_left"}
    voxels = int(mask.sum())

    def leak(metal_hu: float | None) -> NeighbourLeak | None:
        return surroundings(image, labels, 1, SPACING, bbox, voxels, 0.008, names, None, metal_hu).leak

    blind = leak(None)
    assert blind is not None and blind.label == 2  # the fixture does show the streaks as a leak
    assert leak(METAL_HU) is None


def test_a_snapshot_shows_the_metal_whose_surroundings_were_not_judged() -> None:
    image, labels = femur_with_stem()
    case = femur_case(image, labels)
    refs = choose_slices(case, measure(case, tissue_band(load_profile("femur_left", "CT"))), limit=10)
    picked = [r for r in refs if r.why.startswith("metal")]
    assert len(picked) == 1 and picked[0].axis == 0 and picked[0].slice < 20
    plain_image, plain = femur_with_stem(None)
    plain_case = femur_case(plain_image, plain)
    plain_refs = choose_slices(plain_case, measure(plain_case, tissue_band(load_profile("femur_left", "CT"))), limit=10)
    assert not any(r.why.startswith("metal") for r in plain_refs)
