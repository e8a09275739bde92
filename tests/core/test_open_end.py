"""A mask cut off across the slices: its own tissue runs straight on through the end face, for
any kind of structure, where a correct mask tapers or ends against other tissue."""

from __future__ import annotations

import numpy as np

from napari_hcr.case import Case, make_case
from napari_hcr.findings import check_refinement
from napari_hcr.knowledge import load_profile
from napari_hcr.measures import Measures, measure
from napari_hcr.scoring import evidence
from synthetic import liver_in_fat

CUT = 18  # the organ spans slices 8-40: its face on slice 18 is most of its widest cross-section


def _measured(image: np.ndarray, labels: np.ndarray, structure: str = "liver") -> Measures:
    case = make_case(image, labels, label=1, spacing=(1.0, 1.0, 1.0), structure=structure, modality="CT")
    return measure(case)


def _cut() -> tuple[np.ndarray, np.ndarray]:
    image, organ = liver_in_fat()
    cut = organ.copy()
    cut[:CUT] = 0
    return image, cut


def test_a_correct_organ_ends_on_no_open_face() -> None:
    r = _measured(*liver_in_fat()).refinement
    assert r is not None
    assert r.open_end == 0.0
    assert r.open_end_where is None


def test_a_mask_cut_across_the_slices_ends_on_an_open_face_where_it_is() -> None:
    r = _measured(*_cut()).refinement
    assert r is not None
    # The face on slice 18 holds about 90 % of the widest cross-section; its rim is partial
    # volume on the 1 mm grid and the 2-slice test behind it trims a little more.
    assert r.open_end > 0.5
    assert r.open_end_where is not None
    assert r.open_end_where.axis == 0 and r.open_end_where.slice == CUT


def test_the_scans_own_end_is_not_a_cut() -> None:
    image, organ = liver_in_fat()
    r = _measured(image[CUT:], organ[CUT:]).refinement
    assert r is not None
    assert r.open_end == 0.0
    # One slice of the organ left between the mask's end and the scan's: too shallow to tell a
    # cut from the organ running out of the scan.
    near = organ[CUT - 1 :].copy()
    near[0] = 0
    r = _measured(image[CUT - 1 :], near).refinement
    assert r is not None
    assert r.open_end == 0.0


def test_slices_that_hold_no_numbers_show_no_tissue_running_on() -> None:
    """Two slices without numbers right beyond the mask's end (a reconstruction's dropped
    slices): the image shows nothing there, so it cannot show the mask's own tissue running
    on, whatever neutral value stands in for them (here the organ's own attenuation)."""
    image, cut = _cut()
    finite = np.ones(image.shape, dtype=bool)
    finite[CUT - 2 : CUT] = False
    image = np.where(finite, image, np.float32(60.0))
    case = Case(
        image=image, labels=cut, label=1, spacing=(1.0, 1.0, 1.0), structure="liver", modality="CT", finite=finite
    )
    r = measure(case).refinement
    assert r is not None
    assert r.open_end == 0.0


def test_tissue_another_label_claims_beyond_the_face_is_not_open() -> None:
    image, organ = liver_in_fat()
    labels = organ.astype(np.uint8)
    labels[:CUT][organ[:CUT] > 0] = 2
    r = _measured(image, labels).refinement
    assert r is not None
    assert r.open_end == 0.0


def test_a_thin_structure_cut_across_has_no_face_to_judge() -> None:
    """A rod two voxels across: its cut end is a line of partial volume, not a face."""
    rng = np.random.default_rng(0)
    image = rng.normal(-100.0, 10.0, (48, 40, 40)).astype(np.float32)
    image[4:44, 19:21, 19:21] += 160.0
    labels = np.zeros(image.shape, np.uint8)
    labels[20:44, 19:21, 19:21] = 1
    r = _measured(image, labels, "aorta").refinement
    assert r is None or r.open_end == 0.0


def test_every_kind_of_structure_counts_an_open_face() -> None:
    m = _measured(*_cut())
    for structure in ("liver", "adrenal_gland_left", "iliopsoas_left", "aorta"):
        assert evidence(m, load_profile(structure, "CT"))["open_end"] > 0.5


def test_the_stage_text_names_the_cut_face_and_its_slice() -> None:
    m = _measured(*_cut())
    # A muscle, where the organ-only evidence of tissue running on says nothing.
    found = [f for f in check_refinement(m, load_profile("iliopsoas_left", "CT")) if f.kind == "missing_part"]
    assert len(found) == 1
    assert found[0].severity in ("minor", "major")
    assert "cut face" in found[0].detail
    assert found[0].where is not None and found[0].where.slice == CUT
