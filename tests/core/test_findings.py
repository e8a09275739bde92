"""Anatomical inference: each disagreement names the measured and the expected figure and
where to look; each alteration family of the benchmark is recognised by the finding naming it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from napari_hcr.acceptability.build import build_variant
from napari_hcr.acceptability.runner import case_for
from napari_hcr.acceptability.sources import VARIANTS
from napari_hcr.backends import make_backend
from napari_hcr.case import make_case
from napari_hcr.findings import compare
from napari_hcr.knowledge import Range, load_profile
from napari_hcr.measures import measure
from napari_hcr.reasoner import assess
from synthetic import CENTRE, ball_case


def test_clean_mask_gets_only_agreement_findings():
    case = ball_case(seed=1)
    findings = compare(measure(case), load_profile("generic", "MRI-T1"))
    assert findings and all(f.severity == "info" for f in findings)
    assert all(f.kind.endswith("_ok") for f in findings)


def test_volume_finding_names_measured_and_expected_figures_and_the_slice():
    case = ball_case(seed=1)
    profile = replace(load_profile("generic", "MRI-T1"), volume_ml=Range(40.0, 60.0))
    findings = compare(measure(case), profile)
    volume = next(f for f in findings if f.kind == "volume_low")
    assert volume.severity == "major"
    assert "11.5 mL" in volume.detail and "40-60 mL" in volume.detail
    assert volume.where is not None and volume.where.axis == 0 and 10 <= volume.where.slice <= 38


def test_missing_slices_are_located():
    def edit(mask, grid):
        mask[20:23] = False
        return mask

    findings = compare(measure(ball_case(edit, seed=1)), load_profile("generic", "MRI-T1"))
    gap = next(f for f in findings if f.kind == "missing_slices")
    assert gap.severity == "major"
    assert gap.where.axis == 0 and 20 <= gap.where.slice <= 22
    assert "whole cross-sections on both sides" in gap.detail  # a slab cut out of the ball


def test_a_gap_where_the_mask_thins_is_not_called_a_slab_left_out():
    def edit(mask, grid):
        _, y, x = grid
        mask[17:26] &= (abs(y - CENTRE[1]) <= 1) & (abs(x - CENTRE[2]) <= 1)  # a thin waist
        mask[20:23] = False
        return mask

    findings = compare(measure(ball_case(edit, seed=1)), load_profile("generic", "MRI-T1"))
    gap = next(f for f in findings if f.kind == "missing_slices")
    assert "whole cross-sections" not in gap.detail


def test_islands_are_located_on_the_island():
    def edit(mask, grid):
        return mask | (sum((g - c) ** 2 for g, c in zip(grid, (6, 6, 6))) <= 9)

    findings = compare(measure(ball_case(edit, seed=1)), load_profile("generic", "MRI-T1"))
    island = next(f for f in findings if f.kind == "spurious_islands")
    assert island.severity in ("minor", "major")
    assert island.where is not None and abs(island.where.slice - 6) <= 1


# Each failure family and the finding kind that names it.
FAMILY_KIND = {
    "leak": "leak",
    "missing_part": "missing_part",
    "missing_slices": "missing_slices",
    "over_segmentation": "over_segmentation",
    "under_segmentation": "under_segmentation",
    "islands": "spurious_islands",
    "holes": "holes",
    "shift": "shifted",
    "wrong_structure": "wrong_intensity",
}


@pytest.fixture(scope="module")
def family_cases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("families")
    variant = next(v for v in VARIANTS if v.id == "v09")
    records = build_variant(variant, folder, structures=("brain", "white_matter"), families=tuple(FAMILY_KIND))
    return folder, records


@pytest.mark.parametrize("family", sorted(FAMILY_KIND))
def test_each_family_is_recognised_by_the_finding_naming_it(family_cases, family):
    folder, records = family_cases
    structure = "white_matter" if family == "wrong_structure" else "brain"
    record = next(r for r in records if r.family == family and r.structure == structure)
    assessment = assess(case_for(record, folder), make_backend("offline"))
    named = [f for s in assessment.stages for f in s.findings if f.kind == FAMILY_KIND[family] and f.severity != "info"]
    assert named, f"{family}: no {FAMILY_KIND[family]} finding in {[f.kind for f in assessment.findings]}"
    assert named[0].where is not None
    assert assessment.verdict == "unacceptable"


def test_a_pinhole_is_a_speck_and_a_real_cavity_a_finding():
    # A voxel left out inside a correct mask (a vessel, partial volume) is not a flaw worth
    # naming; a cavity is, where the structure should have none.
    def pinhole(mask, grid):
        mask[CENTRE] = False
        return mask

    def small(mask, grid):
        mask[CENTRE[0], CENTRE[1], CENTRE[2] - 1 : CENTRE[2] + 2] = False  # 3 voxels: 0.03 % of the ball
        return mask

    def cavity(mask, grid):
        z, y, x = grid
        mask[(z - CENTRE[0]) ** 2 + (y - CENTRE[1]) ** 2 + (x - CENTRE[2]) ** 2 <= 9] = False
        return mask

    solid = replace(load_profile("generic", "MRI-T1"), holes_allowed=False)
    speck = next(f for f in compare(measure(ball_case(pinhole, seed=1)), solid) if f.kind.startswith("holes"))
    assert speck.kind == "holes_ok" and "specks too small to matter" in speck.detail
    for edit in (small, cavity):
        found = next(f for f in compare(measure(ball_case(edit, seed=1)), solid) if f.kind.startswith("holes"))
        assert found.kind == "holes" and found.severity in ("minor", "major")
        assert "a correct mask has none" in found.detail


def test_a_short_structure_is_not_said_to_taper_when_its_ends_are_large():
    # A nodule on three 5 mm slices ends on a slice nearly as large as its middle one: that is
    # its sampling, not a cut, and it does not taper either.
    image = np.full((7, 40, 40), -800.0, dtype=np.float32)
    mask = np.zeros(image.shape, dtype=np.uint8)
    yy, xx = np.mgrid[:40, :40]
    for z, r in zip((2, 3, 4), (9, 10, 9), strict=True):
        mask[z][(yy - 20) ** 2 + (xx - 20) ** 2 <= r * r] = 1
    image[mask > 0] = 20.0
    case = make_case(image, mask, spacing=(5.0, 0.7, 0.7), structure="lung_nodule", modality="CT")
    ends = next(f for f in compare(measure(case), load_profile("lung_nodule", "CT")) if f.kind.startswith("ends"))
    assert "tapers" not in ends.detail
    assert "3 slices long on axis 0" in ends.detail


def test_a_whole_mask_finding_in_2d_points_at_the_mask_not_the_whole_image():
    # Among a hundred nuclei, "at the whole image" finds none of them.
    image = np.full((200, 300), 10.0, dtype=np.float32)
    mask = np.zeros(image.shape, dtype=np.uint8)
    yy, xx = np.mgrid[:200, :300]
    mask[((yy - 150) / 6) ** 2 + ((xx - 60) / 18) ** 2 <= 1] = 1  # an elongated blob low on the left
    image[mask > 0] = 60.0
    case = make_case(image, mask, structure="generic", modality="Microscopy")
    strict = replace(load_profile("generic", "Microscopy"), compactness=Range(0.99, 1.0))
    found = next(f for f in compare(measure(case), strict) if f.kind == "low_compactness")
    assert found.where is not None and found.where.point is not None
    row, column = found.where.point
    assert abs(row - 150) < 2 and abs(column - 60) < 2


def test_an_area_jump_between_slices_of_a_few_voxels_is_the_grid_not_the_anatomy():
    # A rib fragment went from five voxels on one slice to one on the next: "[major] area
    # changes 5.0x". The same ratio between slices of many voxels is still a finding.
    def rod(small: int, large: int) -> list:
        image = np.full((30, 40, 40), -100.0, dtype=np.float32)
        mask = np.zeros(image.shape, dtype=np.uint8)
        mask[5:15, 10 : 10 + large, 10 : 10 + large] = 1
        mask[15:18, 10 : 10 + small, 10 : 10 + small] = 1
        image[mask > 0] = 300.0
        case = make_case(image, mask, spacing=(3.0, 3.0, 3.0), structure="generic", modality="CT")
        return [f for f in compare(measure(case), load_profile("generic", "CT")) if f.kind.startswith("area_jump")]

    assert [f.kind for f in rod(1, 2)] == ["area_jump_ok"]  # 1 voxel to 4 on the axial slices
    assert [(f.kind, f.severity) for f in rod(4, 8)] == [("area_jump", "major")]  # 16 voxels to 64
