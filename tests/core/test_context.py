"""Evidence from around the mask: the scan's field of view and labelled neighbours."""

from __future__ import annotations

import numpy as np
import pytest

from napari_hcr import context as context_module
from napari_hcr.case import make_case
from napari_hcr.context import field_cut
from napari_hcr.knowledge import load_profile
from napari_hcr.measures import measure
from napari_hcr.scoring import evidence, truncated_end


def two_organs(bite: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two touching boxes of different intensity; with ``bite`` label 1 takes a block out of label 2."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((40, 60, 60), np.uint8)
    labels[5:35, 10:30, 10:50] = 1
    labels[5:35, 30:50, 10:50] = 2
    image = np.where(labels == 1, 100.0, np.where(labels == 2, 200.0, 0.0)) + rng.normal(0, 10, labels.shape)
    if bite:
        labels[12:25, 30:38, 20:35] = 1
    return image.astype(np.float32), labels


@pytest.mark.parametrize("bite", [False, True])
def test_a_bite_out_of_a_labelled_neighbour_is_a_located_leak_into_it(bite):
    image, labels = two_organs(bite)
    case = make_case(image, labels, label=1, spacing=(2, 2, 2), structure="liver", modality="CT", names={2: "kidney"})
    context = measure(case).context
    assert context is not None and context.neighbours == (2,)
    if not bite:
        assert context.leak is None
        return
    leak = context.leak
    assert leak is not None and leak.label == 2 and leak.name == "kidney"
    taken = 13 * 8 * 15 * 8 / 1000.0  # mL the bite took
    assert 0.6 * taken <= leak.size <= 1.1 * taken
    assert 12 <= leak.where.slice < 25


def test_a_large_box_is_read_on_a_sampled_grid_and_finds_the_same_leak(monkeypatch):
    """A liver with its neighbours on a full-resolution CT is read every few voxels (seconds per
    label otherwise): the bite is still found, as large and at the same place, and the wrap
    keeps its share."""
    image, labels = two_organs(bite=True)
    case = make_case(image, labels, label=1, spacing=(2, 2, 2), structure="liver", modality="CT", names={2: "kidney"})
    fine = measure(case).context
    monkeypatch.setattr(context_module, "GRID_BUDGET", 20_000)  # the box holds 96 000 voxels
    coarse = measure(case).context
    assert fine is not None and fine.leak is not None
    assert coarse is not None and coarse.leak is not None and coarse.leak.label == 2
    assert coarse.leak.size == pytest.approx(fine.leak.size, rel=0.35)
    assert 12 <= coarse.leak.where.slice < 25
    assert coarse.wrapped == pytest.approx(fine.wrapped, abs=0.05)


def test_a_neighbour_of_the_same_intensity_gives_no_leak_evidence():
    """Wrapping alone is ordinary anatomy (an organ in another's impression): only a part that
    also looks like the neighbour counts."""
    image, labels = two_organs(bite=True)
    flat = np.where(labels > 0, 150.0, 0.0).astype(np.float32) + (image - image.round())
    case = make_case(flat, labels, label=1, spacing=(2, 2, 2), structure="liver", modality="CT")
    assert measure(case).context.leak is None


def test_a_mask_alone_in_its_label_image_has_no_neighbours():
    image, labels = two_organs(bite=False)
    case = make_case(image, (labels == 1).astype(np.uint8), spacing=(2, 2, 2), structure="liver", modality="CT")
    context = measure(case).context
    assert context.neighbours == () and context.leak is None and not context.clipped


def test_field_cut_names_the_borders_the_mask_reaches():
    assert field_cut(((0, 10), (3, 20), (5, 8)), (10, 30, 8)) == ((True, True), (False, False), (False, True))


def ball(cut: int | None) -> tuple[np.ndarray, np.ndarray]:
    grid = np.ogrid[:48, :48, :48]
    inside = sum((g - 24) ** 2 for g in grid) <= 16**2
    image = np.where(inside, 1.0, 0.1).astype(np.float32)
    labels = inside.astype(np.uint8)
    if cut is not None:  # the scan ends through the ball's middle: image and mask cut together
        image, labels = image[:cut], labels[:cut]
    return image, labels


def test_a_scan_that_cuts_the_structure_is_not_a_missing_part_nor_a_small_volume():
    image, labels = ball(cut=24)
    case = make_case(image, labels, spacing=(2, 2, 2), structure="kidney", modality="CT")
    m = measure(case)
    assert m.context.clipped and m.context.cut[0] == (False, True)
    end = truncated_end(m)
    assert end is None or end[1] != image.shape[0] - 1  # the flat end on the border is the scan's
    x = evidence(m, load_profile("kidney", "CT"))
    assert x["volume_deficit"] == 0.0
    assert x["truncation"] < 0.2


def test_the_same_flat_end_inside_the_image_is_truncation():
    image, labels = ball(cut=None)
    labels[24:] = 0  # the mask stops through the middle though the image goes on
    case = make_case(image, labels, spacing=(2, 2, 2), structure="kidney", modality="CT")
    m = measure(case)
    assert not m.context.clipped
    end = truncated_end(m)
    assert end is not None and end[1] == 23 and end[3] > 0.8
