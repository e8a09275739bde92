"""napari sample-data contribution: the bundled MNI152 T1 with a good and two faulty brain masks.

The three samples share one T1 image so a user can open them side by side and see what the
check says about each. Files are read through ``napari_hcr.io`` so they arrive in the same
orientation and with the same spacing as any file the user opens; see ``sample_data/README.md``
for how each mask was made. No napari import here: the functions return plain LayerDataTuples.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

from .io import Volume, read_volume

IMAGE_FILE = "mni152_t1_2mm.nii.gz"
MASK_FILES = {
    "good": "mni152_brain_good_2mm.nii.gz",
    "leak": "mni152_brain_leak_2mm.nii.gz",
    "missing": "mni152_brain_missing_2mm.nii.gz",
}
MASK_NAMES = {
    "good": "brain mask (good)",
    "leak": "brain mask (leak into scalp)",
    "missing": "brain mask (missing slices)",
}
METADATA = {"structure": "brain", "modality": "MRI-T1"}
MASK_OPACITY = 0.35  # napari's 0.7 hides the anatomy the mask is judged against; at this the image shows through

LayerDataTuple = tuple[np.ndarray, dict[str, Any], str]


def sample_good() -> list[LayerDataTuple]:
    return _sample("good")


def sample_leak() -> list[LayerDataTuple]:
    return _sample("leak")


def sample_missing() -> list[LayerDataTuple]:
    return _sample("missing")


def sample_path(name: str) -> Traversable:
    """The bundled file ``name``; open it with ``importlib.resources.as_file`` for a real path.

    A wheel carries the samples inside the package; an editable install (or a clone on the
    path) imports the package from ``src/`` and finds them at the top of the repository, where
    they are kept (see ``hatch_build.py``).
    """
    packaged = resources.files("napari_hcr") / "sample_data" / name
    if packaged.is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "sample_data" / name
    return checkout if checkout.is_file() else packaged


def samples_dir() -> Path:
    """The folder holding the samples as a real path (for tests, benchmarks and examples)."""
    return Path(str(sample_path(IMAGE_FILE))).parent


def _read(name: str) -> Volume:
    with resources.as_file(sample_path(name)) as path:
        return read_volume(path)


def _sample(kind: str) -> list[LayerDataTuple]:
    image = _read(IMAGE_FILE)
    mask = _read(MASK_FILES[kind])
    scale = tuple(image.spacing)
    image_meta = {"name": "MNI152 T1", "scale": scale, "metadata": dict(METADATA)}
    labels_meta = {"name": MASK_NAMES[kind], "scale": scale, "metadata": dict(METADATA), "opacity": MASK_OPACITY}
    return [
        (image.data, image_meta, "image"),
        (mask.data.astype(np.uint8), labels_meta, "labels"),
    ]
