"""Other tissue inside a CT mask: voxels whose attenuation the structure's band rules out."""

from __future__ import annotations

import json

import numpy as np
import pytest

from napari_hcr.attenuation import MARGIN_HU, foreign_tissue, tissue_band, tissue_name
from napari_hcr.backends import make_backend
from napari_hcr.case import make_case
from napari_hcr.knowledge import Range, load_profile
from napari_hcr.measures import measure
from napari_hcr.reasoner import assess
from napari_hcr.scoring import evidence
from synthetic import liver_in_fat


def test_a_correct_mask_holds_no_other_tissue_and_a_shifted_one_holds_fat_where_it_moved() -> None:
    image, labels = liver_in_fat()
    band = Range(20.0, 160.0)
    box = (slice(None),) * 3
    assert foreign_tissue(image[box], labels == 1, band, 0.008, (0, 0, 0)).share < 0.001
    image, shifted = liver_in_fat(shift=5)
    found = foreign_tissue(image, shifted == 1, band, 0.008, (0, 0, 0))
    assert 0.05 < found.share < 0.3
    assert found.typical is not None and -120 < found.typical < -80 and tissue_name(found.typical) == "fat"
    assert found.where is not None and found.where.point is not None
    assert found.where.point[2] > 38 + 15  # the crescent the mask moved into, on the side it moved to
    assert found.size == pytest.approx(found.share * np.count_nonzero(shifted) * 0.008, rel=0.2)


def test_a_voxel_within_the_margin_of_the_band_is_not_other_tissue() -> None:
    mask = np.ones((4, 4, 4), bool)
    image = np.full(mask.shape, 160.0 + MARGIN_HU - 1, np.float32)
    assert foreign_tissue(image, mask, Range(20.0, 160.0), 0.001, (0, 0, 0)).share == 0.0
    image[0, 0, 0] = 160.0 + MARGIN_HU + 1
    assert foreign_tissue(image, mask, Range(20.0, 160.0), 0.001, (0, 0, 0)).share == pytest.approx(1 / 64)


@pytest.mark.parametrize(
    ("hu", "name"),
    [
        (-900, "air"),
        (-100, "fat"),
        (5, "fluid"),
        (50, "soft tissue"),
        (250, "contrast-enhanced blood or calcification"),
        (900, "bone"),
        (2700, "metal or undiluted contrast"),
    ],
)
def test_attenuation_reads_as_the_tissue_a_radiologist_would_name(hu: float, name: str) -> None:
    assert tissue_name(hu) == name


def test_only_a_ct_with_a_known_band_is_measured_for_other_tissue() -> None:
    image, labels = liver_in_fat(shift=5)
    ct = make_case(image, labels, spacing=(2, 2, 2), structure="liver", modality="CT")
    m = measure(ct, load_profile("liver", "CT").hu)
    assert m.foreign is not None and evidence(m, load_profile("liver", "CT"))["foreign_tissue"] > 0.05
    image_clean, labels_clean = liver_in_fat()
    clean = measure(
        make_case(image_clean, labels_clean, spacing=(2, 2, 2), structure="liver", modality="CT"), Range(20, 160)
    )
    assert clean.foreign is not None and clean.foreign.share == 0.0 and clean.foreign.typical is None
    json.dumps(clean.to_dict(), allow_nan=False)  # the verdict JSON stays strict JSON when none is found
    mri = make_case(image + 1000, labels, spacing=(2, 2, 2), structure="liver", modality="MRI")
    assert load_profile("liver", "MRI").hu is None
    m = measure(mri, load_profile("liver", "MRI").hu)
    assert m.foreign is None and evidence(m, load_profile("liver", "MRI"))["foreign_tissue"] == 0.0


def test_a_ct_mask_on_fat_is_named_with_its_slice_and_the_stage_text_speaks_hounsfield_units() -> None:
    image, labels = liver_in_fat(shift=5)
    case = make_case(image, labels, spacing=(2, 2, 2), structure="liver", modality="CT")
    result = assess(case, make_backend("offline"))
    found = [f for stage in result.stages for f in stage.findings if f.kind == "foreign_tissue"]
    assert found and found[0].severity in ("minor", "major") and found[0].where is not None
    assert "fat" in found[0].detail and "HU" in found[0].detail
    analysis = result.stages[1].text
    assert "HU" in analysis and "coefficient of variation" not in analysis
    image, labels = liver_in_fat()
    clean = assess(
        make_case(image, labels, spacing=(2, 2, 2), structure="liver", modality="CT"), make_backend("offline")
    )
    assert not [f for stage in clean.stages for f in stage.findings if f.kind == "foreign_tissue"]


def test_fatty_marrow_is_a_bones_own_tissue_but_fat_in_an_organ_is_not() -> None:
    """An adult femur's marrow is fat: a correct femur mask holds it, so it is never "other
    tissue" in a bone, while the same fat inside a liver mask is."""
    z, y, x = np.mgrid[:30, :40, :40]
    radius = np.hypot(y - 20, x - 20)
    shaft = radius <= 10
    image = np.where(radius <= 7, -100.0, np.where(shaft, 1000.0, 50.0)).astype(np.float32)
    femur, liver = load_profile("femur_left", "CT"), load_profile("liver", "CT")
    band = tissue_band(femur)
    assert femur.hu is not None and band is not None and band.low < femur.hu.low - 100
    assert foreign_tissue(image, shaft, band, 0.001, (0, 0, 0)).share == 0.0
    liver_band = tissue_band(liver)
    assert liver_band == liver.hu
    assert foreign_tissue(image, shaft, liver_band, 0.001, (0, 0, 0)).share > 0.4
    assert tissue_band(load_profile("liver", "MRI")) is None


def test_a_lungs_vessels_and_consolidation_are_its_own_but_a_rib_is_not() -> None:
    """On a CT pulmonary angiogram the lobe holds contrast-filled arteries (300 HU), and a
    pneumonia consolidates part of it (30 HU): a correct lobe mask holds both. A mask that takes
    in a rib holds bone, which no lung holds."""
    z, y, x = np.mgrid[:30, :40, :40]
    lobe = np.ones((30, 40, 40), bool)
    image = np.full(lobe.shape, -850.0, np.float32)
    image[np.hypot(y - 20, x - 20) <= 2] = 300.0  # an artery along the lobe
    image[:, :, 30:] = 30.0  # a consolidated segment
    band = tissue_band(load_profile("lung_lower_lobe_left", "CT"))
    assert band is not None
    assert foreign_tissue(image, lobe, band, 0.001, (0, 0, 0)).share == 0.0
    image[:, :4, :] = 1200.0  # a rib's cortex the mask grew over
    found = foreign_tissue(image, lobe, band, 0.001, (0, 0, 0))
    assert found.share == pytest.approx(0.1) and found.typical is not None and tissue_name(found.typical) == "bone"
