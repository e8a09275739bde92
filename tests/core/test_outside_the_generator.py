"""Correct MNI152 brain masks on images our benchmark's generator never made: a field of view
that cuts through the brain, and a linear gain gradient across the head (issue 9)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_hcr.backends import make_backend
from napari_hcr.case import make_case
from napari_hcr.reasoner import assess


def gain(image: np.ndarray) -> np.ndarray:
    """Signal rising linearly from 0.6 to 1.6 times across the head, left to right."""
    return image * np.linspace(0.6, 1.6, image.shape[2], dtype=np.float32)[None, None, :]


CUTS = {
    "scan ends mid-brain (axial)": lambda image, mask, n: (image[n[0] // 2 :], mask[n[0] // 2 :]),
    "scan ends mid-brain (coronal)": lambda image, mask, n: (image[:, : n[1] // 2], mask[:, : n[1] // 2]),
    "gain gradient": lambda image, mask, n: (gain(image), mask),
    "gain gradient and a cut": lambda image, mask, n: (gain(image)[: n[0] // 2 + 5], mask[: n[0] // 2 + 5]),
}


@pytest.mark.parametrize("name", sorted(CUTS))
def test_a_correct_brain_mask_stays_acceptable(name, mni_2mm):
    image, mask = CUTS[name](np.array(mni_2mm.image), np.array(mni_2mm.mask), mni_2mm.image.shape)
    case = make_case(image, mask, spacing=mni_2mm.spacing, structure="brain", modality="MRI-T1")
    assessment = assess(case, make_backend("offline"))
    assert assessment.verdict == "acceptable", [f.detail for f in assessment.findings if f.severity != "info"]
    assert not [f for f in assessment.findings if f.severity == "major"]
    kinds = {f.kind for f in assessment.findings}
    if "cut" in name or "ends" in name:  # the caveat names where the scan ends
        assert "partial_view" in kinds
    assert "missing_part" not in kinds and "volume_low" not in kinds
