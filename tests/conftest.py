"""Shared fixtures: real anatomy (the MNI152 template and brain mask shipped inside nilearn).

The arrays come back in napari-hcr's orientation (axial, coronal, sagittal; see
``napari_hcr.io``) through the same conversion the file readers use. Fixtures are
session-scoped and read-only: tests copy before they alter a mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest


@dataclass(frozen=True)
class Anatomy:
    image: np.ndarray  # float32 T1, 0-1
    mask: np.ndarray  # uint8 brain mask
    spacing: tuple[float, ...]


def _mni(resolution: int) -> Anatomy:
    from nilearn import datasets

    from napari_hcr.io import volume_from_nifti

    template = volume_from_nifti(datasets.load_mni152_template(resolution=resolution))
    brain = volume_from_nifti(datasets.load_mni152_brain_mask(resolution=resolution))
    image = template.data.astype(np.float32)
    mask = (brain.data > 0.5).astype(np.uint8)
    for array in (image, mask):
        array.setflags(write=False)
    return Anatomy(image, mask, template.spacing)


@pytest.fixture(scope="session")
def mni_2mm() -> Anatomy:
    """MNI152 T1 and brain mask at 2 mm: (95, 117, 99) voxels, fast enough for every test."""
    return _mni(2)


@pytest.fixture(scope="session")
def mni_1mm() -> Anatomy:
    """MNI152 T1 and brain mask at 1 mm: (189, 233, 197) voxels, big enough to use the working grid."""
    return _mni(1)
