"""A volume whose voxel size nobody gave: judged in voxels, its volume never claimed in mL."""

from __future__ import annotations

import pytest

from napari_hcr.backends import make_backend
from napari_hcr.cache import cache_key
from napari_hcr.case import make_case
from napari_hcr.findings import NOT_JUDGED
from napari_hcr.knowledge import load_profile
from napari_hcr.measures import measure
from napari_hcr.reasoner import assess
from napari_hcr.scoring import evidence
from synthetic import liver_in_fat


def test_sizes_of_an_unknown_voxel_size_are_counts() -> None:
    image, labels = liver_in_fat()
    volume = make_case(image, labels, structure="liver", modality="CT")
    assert not volume.spacing_known and volume.size_unit == "voxels" and volume.voxel_size == 1.0
    picture = make_case(image[24], labels[24], structure="liver", modality="CT")
    assert picture.size_unit == "px"
    known = make_case(image, labels, spacing=(3.0, 3.0, 3.0), structure="liver", modality="CT")
    assert known.size_unit == "mL" and known.voxel_size == pytest.approx(0.027)
    m = measure(volume)
    assert m.size == m.voxels and m.size_unit == "voxels" and m.slice_area_unit == "px"


def test_every_figure_but_the_volume_is_what_a_one_millimetre_grid_gives() -> None:
    """Unknown spacing reads the grid as 1 mm for shape, so only the volume's claim goes: no
    figure may change its unit (a region's share of the mask, a leak's reach) on the way."""
    image, labels = liver_in_fat(shift=5)
    profile = load_profile("liver", "CT")
    unknown = evidence(measure(make_case(image, labels, structure="liver", modality="CT")), profile)
    millimetre = evidence(
        measure(make_case(image, labels, spacing=(1.0, 1.0, 1.0), structure="liver", modality="CT")), profile
    )
    assert millimetre["volume_deficit"] > 0 and unknown["volume_deficit"] == 0.0
    for name in set(unknown) - {"volume_excess", "volume_deficit"}:
        assert unknown[name] == pytest.approx(millimetre[name], abs=1e-9), name


def test_the_volume_is_said_to_be_unknown_and_judged_once_the_spacing_is_given() -> None:
    image, labels = liver_in_fat()
    unknown = assess(make_case(image, labels, structure="liver", modality="CT"), make_backend("offline"))
    kinds = {f.kind for stage in unknown.stages for f in stage.findings}
    assert "volume_unmeasured" in kinds and "volume_unmeasured" in NOT_JUDGED and "volume_low" not in kinds
    assert unknown.verdict == "acceptable"
    assert "35,297 voxels" in unknown.stages[3].text and "mL" not in unknown.stages[1].text.split("Snapshots")[0]
    assert "What could be measured matches" in unknown.stages[3].text

    given = assess(
        make_case(image, labels, spacing=(3.0, 3.0, 3.0), structure="liver", modality="CT"), make_backend("offline")
    )
    assert "volume_unmeasured" not in {f.kind for stage in given.stages for f in stage.findings}
    assert given.confidence > unknown.confidence  # the size, measured, is evidence too
    at_one_mm = assess(
        make_case(image, labels, spacing=(1.0, 1.0, 1.0), structure="liver", modality="CT"), make_backend("offline")
    )
    assert at_one_mm.verdict == "unacceptable"  # 35 mL is no liver: stated voxel sizes are believed


def test_an_unknown_voxel_size_never_shares_an_answer_with_a_stated_one_millimetre() -> None:
    image, labels = liver_in_fat()
    unknown = make_case(image, labels, structure="liver", modality="CT")
    stated = make_case(image, labels, spacing=(1.0, 1.0, 1.0), structure="liver", modality="CT")
    assert cache_key(unknown, "offline", "m", "p") != cache_key(stated, "offline", "m", "p")
