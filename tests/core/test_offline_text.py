"""The offline stage texts never call a figure outside its expected range "in agreement"."""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from napari_hcr.backends import make_backend
from napari_hcr.backends.offline import caveats, inference_text, inside_text, outside_expected, synthesis_text
from napari_hcr.case import make_case
from napari_hcr.findings import check_refinement, compare
from napari_hcr.knowledge import load_profile
from napari_hcr.knowledge.table import Range
from napari_hcr.measures import measure
from napari_hcr.reasoner import assess
from napari_hcr.scoring import evidence
from napari_hcr.verdict import Finding, Location
from synthetic import ball_case, liver_in_fat


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


def test_what_could_not_be_judged_is_never_in_agreement() -> None:
    limit = Finding("partial_view", "info", "the image does not cover the whole liver")
    fine = Finding("holes_ok", "info", "No enclosed holes.")
    text = inference_text([limit, fine])
    agreed, limits = text.split("In agreement:")[1].split("Not judged:")
    assert "cover" not in agreed and "No enclosed holes." in agreed
    assert "The image does not cover the whole liver." in limits


def test_a_mask_too_small_to_model_is_not_refined_and_says_so() -> None:
    # Eight voxels: no histogram of its inside models a tissue, so the image neither
    # supports nor disputes the boundary; the texts say what was not judged.
    case = make_case(
        np.random.default_rng(0).normal(100, 5, (20, 20, 20)).astype(np.float32),
        np.pad(np.ones((2, 2, 2), np.uint8), 9),
        structure="adrenal_gland_left",
        modality="CT",
    )
    m = measure(case)
    assert m.refinement is None
    assert evidence(m, load_profile("adrenal_gland_left", "CT"))["refine_grow"] == 0.0
    found = check_refinement(m, load_profile("adrenal_gland_left", "CT"))
    assert [f.kind for f in found] == ["refinement_unmeasured"]
    text = synthesis_text(found, "acceptable", 0.9, 0.9, load_profile("adrenal_gland_left", "CT"), m)
    assert "no image-driven refinement could support or dispute its boundary" in text


def test_a_body_structure_alone_in_its_label_image_is_told_a_leak_can_go_unseen() -> None:
    """A leak into a neighbour of like tissue shows only against that neighbour's label."""
    image, liver = liver_in_fat()
    with_neighbour = liver.copy()
    with_neighbour[20:28, 40:50, 58:70] = 2  # a kidney against the liver's side
    profile = load_profile("liver", "CT")

    def told(labels: np.ndarray, names: dict[int, str]) -> bool:
        case = make_case(image, labels, label=1, spacing=(3.0, 1.0, 1.0), structure="liver", modality="CT", names=names)
        return any("can go unseen" in c for c in caveats([], profile, measure(case)))

    assert told(liver, {1: "liver"})
    assert not told(with_neighbour, {1: "liver", 2: "kidney_right"})
    assert not any("can go unseen" in c for c in caveats([], load_profile("brain", "MRI-T1"), measure(ball_case())))


def test_a_pass_on_doubtful_evidence_says_so_and_a_clear_pass_does_not() -> None:
    doubtful = synthesis_text([], "acceptable", 0.41, 0.41)
    assert "Passed on doubtful evidence" in doubtful and "review it before relying on it" in doubtful
    assert "Passed on doubtful evidence" not in synthesis_text([], "acceptable", 0.83, 0.83)
    assert "Passed on doubtful evidence" not in synthesis_text([], "unacceptable", 0.2, 0.8)


def test_a_2d_mask_gets_one_figure_for_its_inside_spread_and_an_area() -> None:
    # A nucleus's analysis said "varies by 16% (coefficient of variation)" and its inference
    # "17% spread": two figures for one property, and only the second one judged.
    rng = np.random.default_rng(4)
    yy, xx = np.mgrid[:64, :64]
    disc = (yy - 32) ** 2 + (xx - 32) ** 2 <= 12**2
    image = np.where(disc, 60.0 + 12.0 * rng.standard_normal(disc.shape), 30.0) + rng.normal(0, 2, disc.shape)
    case = make_case(image.astype(np.float32), disc.astype(np.uint8), structure="nucleus", modality="Microscopy")
    profile = load_profile("nucleus", "Microscopy")
    m = measure(case)
    analysis = inside_text(m, profile)
    spread = re.search(r"varies by (\d+%)", analysis)
    assert spread is not None and "coefficient of variation" not in analysis
    findings = compare(m, profile)
    agreement = next(f for f in findings if f.kind == "intensity_ok")
    assert f"({spread.group(1)} spread" in agreement.detail
    # A 2-D mask has an area, not a volume, in every text.
    refined = next(f for f in findings if f.kind == "refinement_ok")
    assert "of its area" in refined.detail and "volume" not in refined.detail


def test_symmetry_is_described_only_where_a_mirror_image_means_something() -> None:
    # A liver lies on one side: its mirror image is not itself, and "symmetry 0.39" told a
    # reader nothing but looked like a flaw. A midline or bilateral structure keeps the figure.
    image, labels = liver_in_fat()
    spacing = (3.0, 3.0, 3.0)
    for structure, said in (("liver", False), ("urinary_bladder", True)):
        case = make_case(image, labels, spacing=spacing, structure=structure, modality="CT")
        analysis = assess(case, make_backend("offline")).stages[1].text
        assert ("Left-right symmetry" in analysis) is said, structure


def test_a_shape_outside_its_range_is_not_said_to_be_as_expected() -> None:
    # "Outside the expected range ...: Shape as expected (compactness 0.95 ...)" contradicted
    # itself for a gland more compact than its profile's range (only too little compactness is
    # a finding; too much is listed as outside the range).
    m = measure(ball_case())
    profile = dataclasses.replace(
        load_profile("brain", "MRI-T1"), compactness=Range(m.compactness - 0.3, m.compactness - 0.1)
    )
    findings = compare(m, profile)
    shape = next(f for f in findings if f.kind == "shape_ok")
    assert outside_expected(shape, m, profile)
    assert "as expected" not in shape.detail and "compactness typically" in shape.detail
    text = inference_text(findings, m, profile)
    outside = text.split("too slight to count against the mask on its own:")[1].split("In agreement:")[0]
    assert "Shape: compactness" in outside
