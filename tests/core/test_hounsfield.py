"""A CT whose values are not Hounsfield units: its attenuation is unknown, never a reason to reject."""

from __future__ import annotations

import numpy as np
import pytest

from napari_hcr.backends import make_backend
from napari_hcr.case import make_case
from napari_hcr.findings import NOT_JUDGED
from napari_hcr.hounsfield import hounsfield_doubt
from napari_hcr.reasoner import assess
from napari_hcr.verdict import Assessment
from synthetic import liver_in_fat

PADDING = -3024.0  # what many scanners store outside their circular field of view, in HU


def hu_scan() -> tuple[np.ndarray, np.ndarray]:
    """The liver phantom in HU, with a padded band outside the field of view."""
    image, labels = liver_in_fat()
    image[:, :4, :] = PADDING
    return image, labels


def as_stored(image: np.ndarray) -> np.ndarray:
    """The values a scanner stores before its rescale (intercept -1024), padding kept far below."""
    return np.where(image == PADDING, -2000.0, image + 1024.0).astype(np.float32)


def as_display(image: np.ndarray) -> np.ndarray:
    """An 8-bit export under a soft-tissue window (-160 to 240 HU)."""
    return np.clip((image + 160.0) / 400.0 * 255.0, 0, 255).round().astype(np.float32)


def as_normalised(image: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance, as a training pipeline would feed a network."""
    return ((image - image.mean()) / image.std()).astype(np.float32)


def kinds(result: Assessment) -> set[str]:
    return {f.kind for stage in result.stages for f in stage.findings}


def test_a_ct_in_hounsfield_units_is_read_as_one_even_padded_or_cropped_inside_the_body() -> None:
    image, _ = hu_scan()
    assert hounsfield_doubt(image) is None
    assert hounsfield_doubt(image[:, 20:60, 20:60]) is None  # no air in the crop, but fat below zero


@pytest.mark.parametrize(
    ("convert", "reason"),
    [
        (as_stored, "without the scanner's rescale"),
        (lambda image: np.maximum(as_stored(image), 0.0), "lowest value is 0"),
        (as_display, "8-bit export"),
        (as_normalised, "normalised"),
    ],
)
def test_values_that_cannot_be_hounsfield_units_are_named_with_why(convert, reason: str) -> None:
    image, _ = hu_scan()
    doubt = hounsfield_doubt(convert(image))
    assert doubt is not None and reason in doubt


def test_only_the_values_that_are_numbers_are_read() -> None:
    image, _ = hu_scan()
    stored = as_stored(image)
    stored[0, 0, :10] = np.nan
    finite = np.isfinite(stored)
    stored[~finite] = 0.0  # the neutral fill a Case gives non-finite voxels
    assert hounsfield_doubt(stored, finite) is not None
    assert hounsfield_doubt(np.where(finite, image, 0.0).astype(np.float32), finite) is None


@pytest.mark.parametrize("convert", [as_stored, as_display])
def test_a_correct_ct_mask_not_in_hounsfield_units_passes_with_its_attenuation_said_to_be_unknown(convert) -> None:
    image, labels = hu_scan()
    spacing = (3.0, 3.0, 3.0)  # a liver of about 950 mL
    in_hu = assess(make_case(image, labels, spacing=spacing, structure="liver", modality="CT"), make_backend("offline"))
    assert in_hu.verdict == "acceptable" and "attenuation_unmeasured" not in kinds(in_hu)
    assert in_hu.measures["not_hounsfield"] is None

    other = assess(
        make_case(convert(image), labels, spacing=spacing, structure="liver", modality="CT"), make_backend("offline")
    )
    assert other.verdict == "acceptable"
    assert not kinds(other) & {"wrong_intensity", "foreign_tissue"}
    assert "attenuation_unmeasured" in kinds(other) and "attenuation_unmeasured" in NOT_JUDGED
    assert other.measures["not_hounsfield"] and other.measures["foreign"] is None
    assert other.confidence < in_hu.confidence  # less evidence, less certainty
    assert "not read as Hounsfield units" in other.stages[1].text
    assert "not read as Hounsfield units" in other.stages[3].text


def test_a_shifted_mask_on_a_ct_not_in_hounsfield_units_is_still_weighed_on_its_shape() -> None:
    """Without attenuation, the evidence that catches most shifts on CT is gone (the caveat says
    so); what shape and position show still counts against the mask."""
    image, labels = hu_scan()
    _, shifted = liver_in_fat(shift=20)
    stored = as_stored(image)
    correct, moved = (
        assess(
            make_case(stored, mask, spacing=(3.0, 3.0, 3.0), structure="liver", modality="CT"), make_backend("offline")
        )
        for mask in (labels, shifted)
    )
    assert "attenuation_unmeasured" in kinds(moved)
    assert {"off_site", "leak"} <= {f.kind for stage in moved.stages for f in stage.findings if f.severity != "info"}
    assert moved.score < correct.score


def test_an_mri_makes_no_claim_about_hounsfield_units() -> None:
    image, labels = liver_in_fat()
    result = assess(
        make_case(as_display(image), labels, spacing=(3.0, 3.0, 3.0), structure="liver", modality="MRI"),
        make_backend("offline"),
    )
    assert result.measures["not_hounsfield"] is None and "attenuation_unmeasured" not in kinds(result)
