"""Snapshots: which slices are chosen, and that the PNGs show the mask where it is."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from napari_hcr.case import make_case
from napari_hcr.io import load_case
from napari_hcr.measures import measure
from napari_hcr.snapshots import OUTLINE, choose_slices, render, take_snapshots
from napari_hcr.verdict import SnapshotRef
from napari_hcr.wording import size_text


def decode(png: bytes) -> np.ndarray:
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG"
    return np.asarray(picture.convert("RGB"))


def outline_pixels(picture: np.ndarray) -> np.ndarray:
    return np.all(picture == OUTLINE.astype(np.uint8), axis=-1)


@pytest.fixture(scope="module")
def brain_case(mni_2mm):
    return make_case(mni_2mm.image, mni_2mm.mask, spacing=mni_2mm.spacing, structure="brain")


def test_snapshots_decode_to_the_requested_size(brain_case):
    measures = measure(brain_case)
    shots = take_snapshots(brain_case, measures, size=256)
    assert 3 <= len(shots) <= 6
    for shot in shots:
        picture = decode(shot.png)
        assert picture.shape[:2] == (shot.height, shot.width)
        assert max(shot.width, shot.height) == 256
        assert outline_pixels(picture).any()


def test_chosen_slices_include_largest_areas_without_duplicates(brain_case):
    measures = measure(brain_case)
    refs = choose_slices(brain_case, measures, limit=6)
    places = [(r.axis, r.slice) for r in refs]
    assert len(places) == len(set(places)) <= 6
    for axis in range(3):
        assert (axis, measures.largest_area_slice[axis]) in places
    assert all(r.why for r in refs)
    assert len(choose_slices(brain_case, measures, limit=2)) == 2


def test_island_slice_is_chosen(mni_2mm):
    mask = mni_2mm.mask.copy()
    mask[5:10, 5:10, 5:10] = 1  # an island of 1 mL far from the brain
    case = make_case(mni_2mm.image, mask, spacing=mni_2mm.spacing)
    refs = choose_slices(case, measure(case))
    assert [(r.axis, r.slice) for r in refs if r.why.startswith("island of 1.0 mL")] == [(0, 7)]


def test_slice_next_to_missing_slices_is_chosen(mni_2mm):
    mask = mni_2mm.mask.copy()
    mask[30:33] = 0
    case = make_case(mni_2mm.image, mask, spacing=mni_2mm.spacing)
    refs = choose_slices(case, measure(case))
    assert [(r.axis, r.slice) for r in refs if "missing slice 30" in r.why] == [(0, 29)]


def test_leak_slab_is_chosen_in_the_bundled_sample():
    samples = Path(__file__).resolve().parents[2] / "sample_data"
    image = samples / "mni152_t1_2mm.nii.gz"
    leak = load_case(image, samples / "mni152_brain_leak_2mm.nii.gz")
    good = load_case(image, samples / "mni152_brain_good_2mm.nii.gz")
    leak_refs = choose_slices(leak, measure(leak))
    assert not any("refinement" in r.why for r in choose_slices(good, measure(good)))
    picked = [r for r in leak_refs if "refinement" in r.why]
    assert len(picked) == 1 and picked[0].axis == 0
    # The refinement reports the centre of a slab about ten slices thick that overlaps the leak.
    rows = np.flatnonzero((leak.mask & ~good.mask).any(axis=(1, 2)))
    assert rows[0] - 5 <= picked[0].slice <= rows[-1] + 5
    # Its caption says what the refinement does there, in the mask's own size unit.
    assert re.fullmatch(r"image-driven refinement takes \d+\.\d mL out of the mask here", picked[0].why)


def test_a_part_the_refinement_adds_is_captioned_as_tissue_beyond_the_mask():
    samples = Path(__file__).resolve().parents[2] / "sample_data"
    good = load_case(samples / "mni152_t1_2mm.nii.gz", samples / "mni152_brain_good_2mm.nii.gz")
    mask = good.mask.copy()
    top = int(np.flatnonzero(mask.any(axis=(1, 2)))[-1])
    mask[top - 12 :, :, : mask.shape[2] // 2] = False  # the top of one hemisphere left out
    case = make_case(good.image, mask, spacing=good.spacing)
    measures = measure(case)
    picked = [r.why for r in choose_slices(case, measures) if "refinement" in r.why]
    region = size_text(measures.refinement.missing_region, "mL")
    assert picked == [f"image-driven refinement adds {region} of tissue beyond the mask here"]


def test_aspect_ratio_follows_spacing(mni_2mm):
    case = make_case(mni_2mm.image, mni_2mm.mask, spacing=(4.0, 2.0, 2.0))
    rows, cols = case.image.shape[0], case.image.shape[2]  # a coronal plane: axis 0 by axis 2
    picture = decode(render(case, SnapshotRef(1, 60, "test"), size=300))
    height, width = picture.shape[:2]
    assert height / width == pytest.approx(rows * 4.0 / (cols * 2.0), rel=0.02)


def test_coronal_view_has_superior_up(mni_2mm):
    mask = mni_2mm.mask.copy()
    mask[:60] = 0  # keep only the top of the brain
    case = make_case(mni_2mm.image, mask, spacing=mni_2mm.spacing)
    picture = decode(render(case, SnapshotRef(1, 55, "test"), size=200))
    rows = np.flatnonzero(outline_pixels(picture).any(axis=1))
    assert rows.size and rows.max() < picture.shape[0] * 0.45


def test_axial_view_puts_the_patients_right_on_the_left(mni_2mm):
    mask = mni_2mm.mask.copy()
    mask[:, :, 50:] = 0  # keep only the right hemisphere (low indices on the last axis)
    case = make_case(mni_2mm.image, mask, spacing=mni_2mm.spacing)
    picture = decode(render(case, SnapshotRef(0, 45, "test"), size=200))
    cols = np.flatnonzero(outline_pixels(picture).any(axis=0))
    assert cols.size and cols.max() < picture.shape[1] * 0.6


def test_rgb_image_is_rendered_in_colour():
    rgb = np.zeros((90, 120, 3), dtype=np.uint8)
    rgb[..., 2] = 180  # blue background
    mask = np.zeros((90, 120), dtype=np.uint8)
    mask[30:60, 40:80] = 1
    case = make_case(rgb, mask, spacing=(1.0, 1.0))
    shots = take_snapshots(case, measure(case), size=240)
    assert [s.ref for s in shots] == [SnapshotRef(-1, 0, "the whole image")]
    picture = decode(shots[0].png)
    assert picture.shape == (180, 240, 3)
    np.testing.assert_array_equal(picture[5, 5], (0, 0, 180))
    outline = outline_pixels(picture)
    assert outline[60:120, 80].any() and not outline[:50].any()


def test_slice_outside_the_volume_is_refused(brain_case):
    with pytest.raises(ValueError):
        render(brain_case, SnapshotRef(0, 10_000, "test"))


def test_mask_is_a_filled_translucent_region_the_anatomy_shows_through(brain_case):
    shot = take_snapshots(brain_case, measure(brain_case), size=256)[0]
    picture = decode(shot.png).astype(float)
    # Inside the mask the fill tints the picture towards cyan, clearly but not opaquely.
    centre = picture[shot.height // 2 - 10 : shot.height // 2 + 10, shot.width // 2 - 10 : shot.width // 2 + 10]
    assert (centre[..., 2] - centre[..., 0]).mean() > 40
    assert centre.std() > 2  # the anatomy under the fill still varies


def test_region_frames_the_mask_on_its_slice(mni_2mm):
    mask = np.zeros_like(mni_2mm.mask)
    mask[40:50, 30:40, 20:30] = 1  # a small block, far from the centre of the slice
    case = make_case(mni_2mm.image, mask, spacing=mni_2mm.spacing)
    shot = take_snapshots(case, measure(case), size=400)[0]
    left, top, width, height = shot.region
    assert 0 < width < shot.width / 2 and 0 < height < shot.height / 2
    outline = np.argwhere(outline_pixels(decode(shot.png)))
    assert outline[:, 0].min() >= top and outline[:, 0].max() < top + height
    assert outline[:, 1].min() >= left and outline[:, 1].max() < left + width


def test_fill_contrasts_with_a_colour_photograph():
    rgb = np.zeros((90, 120, 3), dtype=np.uint8)
    rgb[..., 1] = 200  # a cyan-green picture: a cyan fill would vanish in it
    rgb[..., 2] = 200
    mask = np.zeros((90, 120), dtype=np.uint8)
    mask[30:60, 40:80] = 1
    case = make_case(rgb, mask, spacing=(1.0, 1.0))
    picture = decode(take_snapshots(case, measure(case), size=240)[0].png).astype(float)
    centre = picture[80:100, 100:140].mean(axis=(0, 1))
    assert np.linalg.norm(centre - (0, 200, 200)) > 60


def test_captions_say_what_the_slice_shows_in_the_missing_slices_sample():
    samples = Path(__file__).resolve().parents[2] / "sample_data"
    case = load_case(samples / "mni152_t1_2mm.nii.gz", samples / "mni152_brain_missing_2mm.nii.gz")
    measures = measure(case)
    refs = choose_slices(case, measures)
    for ref in refs:
        if "refinement" in ref.why and measures.area_per_slice[ref.axis][ref.slice] == 0:
            assert "moves" not in ref.why and "leaves empty" in ref.why
    assert any("leaves empty" in r.why for r in refs)
    parts = [r.why for r in refs if "separate part" in r.why]
    assert parts and "% of the mask)" in parts[0]  # a large second piece is not called an island
    assert not any(r.why.startswith("island of") for r in refs)
