"""Measures on real anatomy (MNI152 brain) and on small synthetic shapes with known answers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_hcr.case import make_case
from napari_hcr.findings import compare
from napari_hcr.io import load_case
from napari_hcr.knowledge import load_profile
from napari_hcr.measures import Measures, measure
from napari_hcr.scoring import evidence

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def brain(anatomy, mask: np.ndarray | None = None, spacing=None) -> Measures:
    labels = anatomy.mask if mask is None else mask
    return measure(make_case(anatomy.image, labels, spacing=spacing or anatomy.spacing, structure="brain"))


@pytest.fixture(scope="module")
def good(mni_2mm) -> Measures:
    return brain(mni_2mm)


def test_brain_is_one_plausible_piece(good):
    assert good.ndim == 3 and good.size_unit == "mL"
    assert 1400 <= good.size <= 1950
    assert good.voxels == 235375
    assert len(good.components) == 1
    assert good.components[0].voxels == good.voxels
    assert 0.4 < good.compactness < 1.0
    assert good.gaps == () and good.gap_flank == 0.0
    assert good.symmetry is not None and good.symmetry > 0.9
    assert good.edge_agreement > 0.8
    assert good.boundary_contrast > 2.0
    assert good.inside_mean > good.outside_mean
    assert 20 < good.inside_percentile < 80


def test_geometry_fields_match_the_mask(mni_2mm, good):
    mask = mni_2mm.mask.astype(bool)
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hit = np.flatnonzero(mask.any(axis=other))
        assert good.bbox[axis] == (hit[0], hit[-1] + 1)
        area = mask.sum(axis=other) * 4.0
        np.testing.assert_allclose(good.area_per_slice[axis], area)
        assert good.largest_area_slice[axis] == int(np.argmax(area))
        assert good.extent_fraction[axis] == pytest.approx((hit[-1] + 1 - hit[0]) / mask.shape[axis])
    centroid = np.argwhere(mask).mean(axis=0)
    np.testing.assert_allclose(good.centroid_fraction, centroid / np.array(mask.shape))


def test_island_is_counted_and_located(mni_2mm, good):
    mask = mni_2mm.mask.copy()
    mask[5:10, 5:10, 5:10] = 1  # 125 voxels of 8 mm³ = 1 mL, well outside the brain
    found = brain(mni_2mm, mask)
    assert len(found.components) == len(good.components) + 1
    island = found.components[1]
    assert island.voxels == 125
    assert island.size == pytest.approx(1.0)
    assert island.where.axis == 0 and island.where.slice == 7
    np.testing.assert_allclose(island.where.point, (7, 7, 7))
    assert found.gaps == ()  # the space between brain and island is no missing slice


def test_carved_cavity_is_a_hole(mni_2mm, good):
    mask = mni_2mm.mask.copy()
    centre = np.array(good.components[0].where.point).round().astype(int)
    grid = np.indices(mask.shape)
    ball = ((grid - centre[:, None, None, None]) ** 2).sum(axis=0) <= 4**2
    mask[ball] = 0
    found = brain(mni_2mm, mask)
    assert found.holes == good.holes + 1
    assert found.hole_size - good.hole_size == pytest.approx(ball.sum() * 8 / 1000)
    assert found.largest_hole is not None
    np.testing.assert_allclose(found.largest_hole.point, centre, atol=0.5)


def test_deleted_slices_are_gaps(mni_2mm):
    mask = mni_2mm.mask.copy()
    mask[40:43] = 0
    found = brain(mni_2mm, mask)
    assert {(g.axis, g.slice) for g in found.gaps} == {(0, 40), (0, 41), (0, 42)}
    assert len(found.components) == 2  # the brain above the cut is now apart
    assert found.gap_flank > 0.5  # a slab cut out leaves whole brain sections either side


def test_a_mask_broken_at_a_thin_part_has_slivers_either_side_of_its_gap():
    """Two blobs joined by a thin rod with one slice of the rod missing, as a correct but
    fragmented model output is: a gap, with slices either side far smaller than a typical one."""
    z, y, x = np.mgrid[:60, :32, :32]
    around = (y - 16) ** 2 + (x - 16) ** 2
    blobs = ((z - 14) ** 2 + around <= 81) | ((z - 46) ** 2 + around <= 81)
    rod = (np.abs(y - 16) <= 1) & (np.abs(x - 16) <= 1) & (z > 14) & (z < 46)
    mask = blobs | rod
    mask[30] = False
    image = np.where(mask, 1.0, 0.1).astype(np.float32)
    found = measure(make_case(image, mask.astype(np.uint8), spacing=(1.0, 1.0, 1.0), structure="generic"))
    assert [(g.axis, g.slice) for g in found.gaps] == [(0, 30)]
    assert 0 < found.gap_flank < 0.2


def test_half_missing_slice_is_the_largest_jump(mni_2mm, good):
    mask = mni_2mm.mask.copy()
    mask[50:, :, :] = 0
    mask[40:50, :, 50:] = 0  # the top ten slices lose one hemisphere
    found = brain(mni_2mm, mask)
    assert good.largest_jump is not None and good.largest_jump.ratio < 1.6
    jump = found.largest_jump
    assert jump is not None and (jump.axis, jump.slice) == (0, 40)
    assert jump.ratio > 1.8 and jump.after < jump.before


def test_dilation_off_the_brain_lowers_edge_agreement_and_contrast(mni_2mm, good):
    grown = ndi.binary_dilation(mni_2mm.mask, iterations=3).astype(np.uint8)
    found = brain(mni_2mm, grown)
    assert found.size > good.size * 1.2
    assert found.edge_agreement < good.edge_agreement - 0.2
    assert found.boundary_contrast < good.boundary_contrast / 2


def test_shifted_mask_leaves_the_edges(mni_2mm, good):
    shifted = np.roll(mni_2mm.mask, 3, axis=2)  # 6 mm to the patient's left
    found = brain(mni_2mm, shifted)
    assert found.size == pytest.approx(good.size)
    assert found.edge_agreement < 0.6 < good.edge_agreement
    assert found.boundary_contrast < good.boundary_contrast / 2


def test_cutting_a_hemisphere_breaks_symmetry(mni_2mm, good):
    mask = mni_2mm.mask.copy()
    mask[45:, :, 50:] = 0  # the upper half of the left hemisphere (last axis runs right to left)
    found = brain(mni_2mm, mask)
    assert found.symmetry < good.symmetry - 0.15


def test_spacing_scales_sizes(mni_2mm, good):
    found = brain(mni_2mm, spacing=(6.0, 2.0, 2.0))
    assert found.size == pytest.approx(good.size * 3)
    assert found.components[0].size == pytest.approx(good.components[0].size * 3)
    np.testing.assert_allclose(found.area_per_slice[1], good.area_per_slice[1] * 3)
    np.testing.assert_allclose(found.area_per_slice[0], good.area_per_slice[0])


def test_leaking_sample_scores_worse_than_the_good_one():
    image = SAMPLES / "mni152_t1_2mm.nii.gz"
    good = measure(load_case(image, SAMPLES / "mni152_brain_good_2mm.nii.gz", structure="brain"))
    leak = measure(load_case(image, SAMPLES / "mni152_brain_leak_2mm.nii.gz", structure="brain"))
    assert leak.size > good.size
    assert leak.edge_agreement < good.edge_agreement
    assert leak.boundary_contrast < good.boundary_contrast
    assert leak.roughness > good.roughness


def test_working_grid_keeps_exact_counts_and_small_islands(mni_1mm):
    mask = mni_1mm.mask.copy()
    mask[3, 3, 3] = 1  # a single stray voxel: thinner than any working block
    found = measure(make_case(mni_1mm.image, mask, spacing=mni_1mm.spacing))
    assert found.voxels == int(mask.sum())
    assert 1800 <= found.size <= 1950
    assert len(found.components) == 2
    assert found.components[1].voxels == 1
    assert found.edge_agreement > 0.8
    assert found.symmetry > 0.9


def test_to_dict_is_compact_json(good):
    data = good.to_dict()
    text = json.dumps(data)
    assert len(text) < 4000
    assert data["components"] == 1 and data["size_unit"] == "mL"
    assert "area_per_slice" not in data


def test_disc_in_two_dimensions():
    yy, xx = np.mgrid[:200, :300]
    disc = ((yy - 100) ** 2 + (xx - 120) ** 2 <= 50**2).astype(np.uint8)
    image = np.where(disc, 200.0, 40.0) + np.random.default_rng(0).normal(0, 5, disc.shape)
    found = measure(make_case(image, disc, spacing=(0.5, 0.5)))
    assert found.ndim == 2 and found.size_unit == "mm²"
    assert found.size == pytest.approx(math.pi * 25**2, rel=0.02)
    assert found.compactness > 0.9
    assert found.roughness < 0.1
    assert found.area_per_slice == {} and found.largest_jump is None and found.gaps == ()
    assert found.components[0].where.axis == -1 and found.components[0].where.slice == 0
    assert found.symmetry > 0.98
    assert found.edge_agreement > 0.9
    assert found.boundary_contrast > 5
    assert found.bbox == ((50, 151), (70, 171))


def test_two_dimensional_rgb_with_hole_and_island():
    rgb = np.zeros((120, 160, 3), dtype=np.uint8)
    rgb[..., 0] = 90
    mask = np.zeros((120, 160), dtype=np.uint8)
    mask[20:80, 20:80] = 1
    mask[40:50, 40:50] = 0  # hole
    mask[100:105, 130:135] = 1  # island
    rgb[mask.astype(bool)] = (200, 150, 60)
    found = measure(make_case(rgb, mask))
    assert len(found.components) == 2
    assert found.components[1].voxels == 25
    assert found.holes == 1 and found.hole_size == pytest.approx(100)
    assert found.compactness < 0.9  # a square with a hole is no disc


def test_noise_is_not_an_edge_but_a_step_is():
    rng = np.random.default_rng(3)
    ball = (((np.indices((50, 60, 60)) - np.array([25, 30, 30])[:, None, None, None]) ** 2).sum(axis=0) < 15**2).astype(
        np.uint8
    )
    noise = rng.normal(0, 1, ball.shape)
    on_noise = measure(make_case(noise, ball))
    on_step = measure(make_case(noise + 3 * ball, ball))
    assert on_noise.edge_agreement < 0.2
    assert on_step.edge_agreement > 0.7
    assert abs(on_noise.boundary_contrast) < 0.5 < on_step.boundary_contrast


def test_a_mask_one_voxel_thick_has_no_shape_figures_to_weigh():
    # A rib fragment one voxel across at 3 mm melted under the blur that smooths the voxel
    # staircase: its surface came out a fraction of itself, "compactness 1.00, roughness 2.98",
    # and that roughness alone rejected a correct mask. A mask a few voxels thick is measured.
    image = np.full((20, 20, 40), -100.0, dtype=np.float32)
    thin = np.zeros(image.shape, dtype=np.uint8)
    thin[10, 10, 5:35] = 1  # a rod one voxel across
    image[thin > 0] = 300.0
    case = make_case(image, thin, spacing=(3.0, 3.0, 3.0), structure="rib_right_12", modality="CT")
    m = measure(case)
    assert not m.shape_measured and m.to_dict()["shape_measured"] is False
    profile = load_profile("rib_right_12", "CT")
    ev = evidence(m, profile)
    assert ev.get("roughness", 0.0) == 0.0 and ev.get("compactness_deficit", 0.0) == 0.0
    shape = [f for f in compare(m, profile) if f.kind.startswith("shape") or f.kind == "rough_boundary"]
    assert [f.kind for f in shape] == ["shape_unmeasured"] and "one voxel thick" in shape[0].detail
    thick = np.zeros(image.shape, dtype=np.uint8)
    thick[8:13, 8:13, 5:35] = 1
    assert measure(
        make_case(image, thick, spacing=(3.0, 3.0, 3.0), structure="rib_right_12", modality="CT")
    ).shape_measured
