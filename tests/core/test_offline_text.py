"""The offline stage texts never call a figure outside its expected range "in agreement"."""

from __future__ import annotations

import dataclasses

from napari_hcr.backends.offline import inference_text, outside_expected, synthesis_text
from napari_hcr.knowledge import load_profile
from napari_hcr.knowledge.table import Range
from napari_hcr.measures import measure
from napari_hcr.verdict import Finding, Location
from synthetic import ball_case


def test_a_check_outside_its_range_is_not_in_agreement() -> None:
    m = measure(ball_case())
    profile = dataclasses.replace(
        load_profile("brain", "MRI-T1"), intensity_contrast=Range(m.boundary_contrast + 5, m.boundary_contrast + 10)
    )
    weak = Finding("contrast_ok", "info", f"contrast across the boundary {m.boundary_contrast:+.2f} SD.")
    fine = Finding("holes_ok", "info", "No enclosed holes.")
    assert outside_expected(weak, m, profile) and not outside_expected(fine, m, profile)
    text = inference_text([weak, fine], m, profile)
    agreed = text.split("In agreement:")[1]
    assert "contrast across the boundary" not in agreed and "No enclosed holes." in agreed
    assert "Outside the expected range, though too slight to count against the mask on its own: Contrast" in text


def test_a_check_inside_its_range_stays_in_agreement() -> None:
    m = measure(ball_case())
    profile = dataclasses.replace(
        load_profile("brain", "MRI-T1"), intensity_contrast=Range(m.boundary_contrast - 1, m.boundary_contrast + 1)
    )
    ok = Finding("contrast_ok", "info", "contrast as expected.")
    assert "In agreement: Contrast as expected." in inference_text([ok], m, profile)


def test_an_outweighed_major_finding_counts_only_agreeing_checks() -> None:
    m = measure(ball_case())
    profile = dataclasses.replace(
        load_profile("brain", "MRI-T1"), intensity_contrast=Range(m.boundary_contrast + 5, m.boundary_contrast + 10)
    )
    findings = [
        Finding("leak", "major", "a leak", Location(0, 3)),
        Finding("contrast_ok", "info", "contrast low"),
        Finding("holes_ok", "info", "no holes"),
    ]
    text = synthesis_text(findings, "acceptable", 0.7, 0.6, profile, m)
    assert "outweighed by the 1 check that agrees with the expected anatomy" in text
