"""Findings that agree with each other and with the verdict (issue 11 §2), on the bundled samples."""

from __future__ import annotations

import math
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from napari_hcr.backends import make_backend
from napari_hcr.backends.offline import synthesis_text
from napari_hcr.case import Case, make_case
from napari_hcr.findings import TOO_LITTLE, TOO_MUCH, check_field_of_view, compare, weight
from napari_hcr.io import read_volume
from napari_hcr.knowledge import load_profile
from napari_hcr.measures import measure
from napari_hcr.reasoner import assess
from napari_hcr.scoring import UNSPECIFIC, calibration, contributions, decide
from napari_hcr.verdict import Assessment, Finding, Location

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"


def sample_case(name: str) -> Case:
    image = read_volume(SAMPLES / "mni152_t1_2mm.nii.gz")
    mask = read_volume(SAMPLES / f"mni152_brain_{name}_2mm.nii.gz")
    return make_case(image.data, mask.data, spacing=image.spacing, structure="brain", modality="MRI-T1")


@cache
def sample(name: str) -> Assessment:
    return assess(sample_case(name), make_backend("offline"))


def problems(assessment: Assessment) -> list[Finding]:
    return [f for f in assessment.findings if f.severity != "info"]


def test_the_gap_is_the_finding_and_the_split_it_causes_is_part_of_its_text():
    found = problems(sample("missing"))
    assert found[0].kind == "missing_slices" and found[0].severity == "major"
    assert 39 <= found[0].where.slice <= 44  # the first empty slice, where the gap is seen
    assert "splits the mask into" in found[0].detail
    assert not [f for f in found if f.kind == "spurious_islands"]


def test_a_leak_is_not_also_called_an_under_segmentation():
    found = problems(sample("leak"))
    assert found[0].kind == "leak" and found[0].severity == "major"
    assert not [f for f in found if f.kind in TOO_LITTLE]


def test_problems_come_major_first_then_by_their_weight_in_the_verdict():
    m = measure(sample_case("leak"))
    p = load_profile("brain", "MRI-T1")
    findings = compare(m, p)
    c = contributions(m, p)
    rank = {"major": 0, "minor": 1, "info": 2}
    keys = [(rank[f.severity], -weight(f, c)) for f in findings]
    assert keys == sorted(keys)
    assert rank[findings[-1].severity] == 2


def test_a_lighter_opposite_finding_is_dropped_but_equal_ones_stand():
    from napari_hcr.findings import reconcile

    class NoGaps:
        components = ()

    leak = Finding("leak", "major", "too much here")
    under = Finding("under_segmentation", "minor", "too little there")
    missing = Finding("missing_part", "major", "a part missing elsewhere")
    assert reconcile([leak, under], NoGaps()) == [leak]  # type: ignore[arg-type]
    assert reconcile([leak, missing], NoGaps()) == [leak, missing]  # type: ignore[arg-type]
    here = Location(0, 67)
    leak_here = Finding("leak", "major", "too much here", here)
    under_here = Finding("under_segmentation", "major", "too little here", Location(0, 68))
    heavier_leak = {"refine_excess": 3.0, "refine_grow": 1.5}
    assert reconcile([leak_here, under_here], NoGaps(), heavier_leak) == [leak_here]  # type: ignore[arg-type]
    heavier_under = {"refine_excess": 1.5, "refine_grow": 3.0}
    assert reconcile([leak_here, under_here], NoGaps(), heavier_under) == [under_here]  # type: ignore[arg-type]
    far = Finding("under_segmentation", "major", "too little there", Location(0, 20))
    assert reconcile([leak_here, far], NoGaps(), heavier_leak) == [leak_here, far]  # type: ignore[arg-type]
    assert {"leak", "over_segmentation", "foreign_tissue"} == TOO_MUCH


def test_direct_measures_of_too_much_and_too_little_both_stand():
    """Fat inside a mask and the organ's own tissue left beside it are both true of a displaced
    mask: only what the refinement's competition decided is traded against its opposite."""
    from napari_hcr.findings import reconcile

    class NoGaps:
        components = ()

    here = Location(0, 30)
    fat = Finding("foreign_tissue", "minor", "fat inside", here)
    organ_on = Finding("missing_part", "major", "the organ runs on", Location(0, 31))
    direct = {"foreign_tissue": 0.9, "continued_tissue": 3.0}
    assert reconcile([fat, organ_on], NoGaps(), direct) == [fat, organ_on]  # type: ignore[arg-type]
    leak = Finding("leak", "minor", "too much here", here)
    competed = {"refine_excess": 0.9, "continued_tissue": 3.0}
    # Nor does a direct measure make what the competition found a trade: it takes two of its findings.
    assert reconcile([leak, organ_on], NoGaps(), competed) == [leak, organ_on]  # type: ignore[arg-type]
    under = Finding("under_segmentation", "major", "too little there", Location(0, 31))
    assert reconcile([leak, under], NoGaps(), {"refine_excess": 0.9, "refine_grow": 3.0}) == [under]  # type: ignore[arg-type]
    traded_missing = Finding("missing_part", "major", "the image puts it inside", Location(0, 31))
    assert reconcile([fat, traded_missing], NoGaps(), {"foreign_tissue": 0.9, "refine_missing": 3.0}) == [
        fat,
        traded_missing,
    ]  # type: ignore[arg-type]


def test_a_major_finding_under_an_acceptable_verdict_says_what_outweighed_it():
    major = Finding("holes", "major", "2 enclosed holes totalling 3 mL")
    agreed = [Finding(f"{k}_ok", "info", "fine.") for k in ("volume", "components", "boundary")]
    text = synthesis_text([major, *agreed], "acceptable", 0.7, 0.7)
    assert "outweighed by the 3 checks" in text and "holes" in text


def test_an_unknown_structure_is_judged_less_specifically_and_says_so():
    m = measure(sample_case("good"))
    known = load_profile("brain", "MRI-T1")
    unknown = load_profile("no such structure", "MRI-T1")
    assert known.specific and not unknown.specific
    generic = decide(m, unknown, [])
    text = synthesis_text([], generic.verdict, generic.score, generic.confidence, unknown)
    assert "less specific" in text
    as_if_known = decide(m, replace(unknown, specific=True), [])
    assert generic.verdict == as_if_known.verdict
    assert generic.confidence < as_if_known.confidence
    # The log-odds before the family's map to P(acceptable) are scaled by UNSPECIFIC.
    mapped = calibration(unknown, m.ndim).mapping()

    def log_odds(score: float) -> float:
        return (math.log(score / (1 - score)) - mapped["offset"]) / mapped["slope"]

    assert log_odds(generic.score) == pytest.approx(UNSPECIFIC * log_odds(as_if_known.score), rel=0.01)


@pytest.mark.parametrize("name", ["good"])
def test_the_good_sample_has_no_problem_findings(name):
    assessment = sample(name)
    assert assessment.verdict == "acceptable"
    assert not [f for f in problems(assessment) if f.severity == "major"]
    assert np.isfinite(assessment.score)


def test_a_scan_that_cuts_the_structure_is_named_once_in_plain_words():
    m = measure(sample_case("good"))
    (limit,) = check_field_of_view(m, load_profile("brain", "MRI-T1"))
    assert limit.detail.startswith("the image does not cover the whole brain (brain-extraction mask) entirely")
    assert "whole whole" not in limit.detail
