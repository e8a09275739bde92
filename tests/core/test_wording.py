"""Figures read as English: ordinals, durations, pixel counts, shares and 2-D places."""

from __future__ import annotations

import pytest

from napari_hcr.verdict import Location
from napari_hcr.wording import (
    cells,
    duration,
    ordinal,
    range_text,
    share_text,
    size_text,
    timing_text,
    where_text,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (51, "51st"),
        (50.6, "51st"),
        (99, "99th"),
        (100, "100th"),
        (101, "101st"),
        (111, "111th"),
    ],
)
def test_ordinals(value: float, text: str) -> None:
    assert ordinal(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.0, "<1 ms"), (0.0004, "<1 ms"), (0.042, "42 ms"), (0.9994, "999 ms"), (1.34, "1.3 s")]
)
def test_durations_are_never_a_bare_zero(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_timing_names_each_step() -> None:
    text = timing_text(0.91, {"measures": 0.62, "snapshots": 0.21, "stages": 0.004})
    assert text == "910 ms in all: measures 620 ms, snapshots 210 ms, stages 4 ms"


def test_two_dimensional_words() -> None:
    assert cells(2) == "pixels" and cells(3) == "voxels"
    assert size_text(12345, "px") == "12,345 px"
    assert where_text(Location(-1, 0)) == "the whole image"
    assert where_text(Location(-1, 0, (40.4, 112.6))) == "the image near row 40, column 113"
    assert where_text(Location(0, 41)) == "axis 0 slice 41"


def test_small_shares_are_not_rounded_to_zero() -> None:
    assert share_text(0.003) == "0.3%"
    assert share_text(0.25) == "25%"


def test_small_sizes_are_not_rounded_to_zero() -> None:
    assert size_text(0.027, "mL") == "0.027 mL"
    assert size_text(0.0, "mL") == "0.0 mL"
    assert size_text(3.7, "mL") == "3.7 mL"
    assert size_text(1620.0, "mL") == "1.62 L"


def test_a_range_reaching_a_litre_is_in_litres_as_the_size_it_bounds() -> None:
    assert range_text(900.0, 2100.0, "mL") == "0.9-2.1 L"
    assert range_text(70.0, 320.0, "mL") == "70-320 mL"
    assert range_text(0.05, 2500.0, "mL") == "0.05-2500 mL"
    assert range_text(30.0, 120.0, "um2") == "30-120 um2"


def test_a_default_scale_is_named_for_what_it_is() -> None:
    from napari_hcr.wording import voxel_size_text

    assert voxel_size_text((2.0, 2.0, 2.0)) == "2 × 2 × 2 mm"
    assert "napari's default scale" in voxel_size_text((1.0, 1.0, 1.0))
    assert "counted in pixels" in voxel_size_text((1.0, 1.0))
    assert voxel_size_text((0.5, 0.5)) == "0.5 × 0.5 mm"
