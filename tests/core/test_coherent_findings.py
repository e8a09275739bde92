"""Issue 11 section 2 on the bundled samples: one cause, one finding; findings ordered by weight."""

from __future__ import annotations

from pathlib import Path

import pytest

from napari_hcr.backends import make_backend
from napari_hcr.io import load_case
from napari_hcr.reasoner import assess

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
RANK = {"major": 0, "minor": 1, "info": 2}


def _assessed(mask: str):
    case = load_case(SAMPLES / "mni152_t1_2mm.nii.gz", SAMPLES / mask, structure="brain")
    return assess(case, make_backend("offline"))


@pytest.fixture(scope="module")
def missing():
    return _assessed("mni152_brain_missing_2mm.nii.gz")


def test_the_gap_is_the_finding_and_the_split_is_part_of_its_text(missing) -> None:
    majors = [f for f in missing.findings if f.severity == "major"]
    first = majors[0]
    assert first.kind == "missing_slices"
    assert first.where is not None and 39 <= first.where.slice <= 44  # the gap, not the piece at slice 56
    assert "pieces" in first.detail
    assert "whole cross-sections on both sides" in first.detail  # a slab left out, not a thin part broken
    assert "of a typical slice" in missing.stages[1].text  # what the visual analysis saw beside the gap
    kinds = {f.kind for f in missing.findings if f.severity != "info"}
    assert not kinds & {"spurious_islands", "extra_components", "missing_part"}, kinds


@pytest.mark.parametrize("mask", ["mni152_brain_missing_2mm.nii.gz", "mni152_brain_leak_2mm.nii.gz"])
def test_findings_are_ordered_by_weight(mask: str) -> None:
    stage = _assessed(mask).stages[2]
    ranks = [RANK[f.severity] for f in stage.findings]
    assert ranks == sorted(ranks)
