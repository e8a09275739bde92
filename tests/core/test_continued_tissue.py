"""The organ's own tissue running on past the mask: a part cut off along a slice plane, which
the refinement's competition misses when the missing part fills the ring it learns "outside"
from."""

from __future__ import annotations

import numpy as np

from napari_hcr.case import make_case
from napari_hcr.findings import check_refinement
from napari_hcr.knowledge import load_profile
from napari_hcr.measures import Measures, measure
from napari_hcr.scoring import evidence
from synthetic import liver_in_fat

CUT = 18  # the organ spans slices 8-40: the ten slices above this are its upper pole


def _measured(labels: np.ndarray) -> Measures:
    image, _ = liver_in_fat()
    case = make_case(image, labels, label=1, spacing=(1.0, 1.0, 1.0), structure="liver", modality="CT")
    return measure(case)


def test_a_correct_organ_in_fat_has_no_tissue_of_its_own_beyond_it() -> None:
    _, organ = liver_in_fat()
    r = _measured(organ).refinement
    assert r is not None
    assert r.continued_region == 0.0
    assert r.continued_where is None


def test_a_pole_cut_off_along_a_slice_plane_is_found_where_it_is() -> None:
    _, organ = liver_in_fat()
    cut = organ.copy()
    cut[:CUT] = 0
    r = _measured(cut).refinement
    assert r is not None
    left_out = float(np.count_nonzero(organ[:CUT])) / 1000.0  # mL on the 1 mm grid
    # The cap's solid core: its skin next to the cut face is partial volume, and its thin dome
    # does not survive the opening that keeps a correct mask's thin neighbours apart.
    assert 0.2 * left_out < r.continued_region <= left_out
    assert r.continued_where is not None
    assert r.continued_where.axis == 0 and r.continued_where.slice < CUT


def test_tissue_another_label_claims_is_that_structures_not_a_missing_part() -> None:
    _, organ = liver_in_fat()
    labels = organ.astype(np.uint8)
    labels[:CUT][organ[:CUT] > 0] = 2
    r = _measured(labels).refinement
    assert r is not None
    assert r.continued_region == 0.0


def test_only_an_organ_counts_its_tissue_running_on_as_evidence() -> None:
    _, organ = liver_in_fat()
    cut = organ.copy()
    cut[:CUT] = 0
    m = _measured(cut)
    assert evidence(m, load_profile("liver", "CT"))["continued_tissue"] > 3.0
    # A gland or a muscle lies against tissue like its own: the same figure says nothing there.
    assert evidence(m, load_profile("adrenal_gland_left", "CT"))["continued_tissue"] == 0.0
    assert evidence(m, load_profile("iliopsoas_left", "CT"))["continued_tissue"] == 0.0


def test_the_stage_text_names_the_missing_part_and_its_slice() -> None:
    _, organ = liver_in_fat()
    # An oblique cut ends on no face across the slices (a straight one is told as a cut face,
    # tests/core/test_open_end.py): here the tissue running on is what tells the part is missing.
    z, y, _ = np.mgrid[: organ.shape[0], : organ.shape[1], : organ.shape[2]]
    cut = organ * (z + 0.5 * (y - 40) >= CUT)
    found = [f for f in check_refinement(_measured(cut), load_profile("liver", "CT")) if f.kind == "missing_part"]
    assert len(found) == 1
    assert found[0].severity in ("minor", "major")
    assert "own intensity runs on for" in found[0].detail
    assert found[0].where is not None and found[0].where.slice < CUT
    # Alone in its label image, what runs on may be a neighbour of like tissue: the text says so.
    assert "or a neighbouring structure of like tissue" in found[0].detail
    assert "no other label claims" not in found[0].detail


def test_in_a_label_map_the_missing_part_is_told_without_the_lone_masks_doubt() -> None:
    _, organ = liver_in_fat()
    z, y, _ = np.mgrid[: organ.shape[0], : organ.shape[1], : organ.shape[2]]
    labels = (organ * (z + 0.5 * (y - 40) >= CUT)).astype(np.uint8)
    labels[-3:, :3, :3] = 2  # another structure in a far corner: the map is no longer a lone mask
    m = _measured(labels)
    assert m.context is not None and not m.context.alone
    found = [f for f in check_refinement(m, load_profile("liver", "CT")) if f.kind == "missing_part"]
    assert len(found) == 1
    assert "into space no other label claims" in found[0].detail
    assert "neighbouring structure of like tissue" not in found[0].detail
