"""Real scans with real reference label maps, read from the fetched packages (see fetch.py).

A :class:`Scan` is one image with its whole label map: every labelled structure stays in it,
so a case built from it shows the reasoner the candidate's neighbours. Arrays use this
package's orientation (``napari_hcr.io``) and spacing in millimetres (microscopy: pixels).

* ``ts-ct``: TotalSegmentator's example abdomen-pelvis CT (3 mm) with its 61-label output
  (``example_seg_fast_force_split``); names from ``class_map["total"]``, read with ``ast``
  from ``map_to_binary.py`` (the package is never imported).
* ``lung1``, ``lung2`` (CT), ``brain1``, ``brain2``, ``breast1`` (MRI): pyradiomics' test
  cases, one lesion label each.
* ``nuclei2d``: stardist's 2-D fluorescence nuclei with instance labels (the 3-D pair in that
  package is synthetic and is not used).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from .fetch import PYRADIOMICS, STARDIST, TOTALSEGMENTATOR, Package, cached, fetch

LESIONS: dict[str, tuple[str, str]] = {
    # scan id: (structure, modality). pyradiomics does not state the MRI sequences: plain "MRI".
    "lung1": ("lung_nodule", "CT"),
    "lung2": ("lung_tumour", "CT"),
    "brain1": ("brain_tumour", "MRI"),
    "brain2": ("brain_tumour", "MRI"),
    "breast1": ("breast_lesion", "MRI"),
}
NUCLEUS = "nucleus"


@dataclass(frozen=True)
class Scan:
    """A real image, its label map and the structure each label value names."""

    id: str
    modality: str
    image: np.ndarray
    labels: np.ndarray
    spacing: tuple[float, ...]
    names: dict[int, str]
    body: np.ndarray = field(repr=False)

    @property
    def ndim(self) -> int:
        return self.image.ndim


def source_for(scan_id: str) -> Package:
    if scan_id == "ts-ct":
        return TOTALSEGMENTATOR
    if scan_id in LESIONS:
        return PYRADIOMICS
    if scan_id == "nuclei2d":
        return STARDIST
    raise KeyError(scan_id)


def available(scan_id: str, root: Path | None = None) -> bool:
    """Whether the scan's package is already in the cache (no network)."""
    return cached(source_for(scan_id), root) is not None


@lru_cache(maxsize=4)
def load_scan(scan_id: str, root: Path | None = None) -> Scan:
    folder = fetch(source_for(scan_id), root)
    if scan_id == "ts-ct":
        return _totalsegmentator(folder)
    if scan_id in LESIONS:
        return _pyradiomics(folder, scan_id)
    return _stardist(folder)


def class_map_total(path: Path) -> dict[int, str]:
    """``class_map["total"]`` from map_to_binary.py, read as literals (the module is never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "class_map" for t in node.targets):
            if not isinstance(node.value, ast.Dict):
                break
            for key, value in zip(node.value.keys, node.value.values):
                if key is not None and ast.literal_eval(key) == "total":
                    return {int(k): str(v) for k, v in ast.literal_eval(value).items()}
    raise ValueError(f"no class_map['total'] in {path.name}")


def _totalsegmentator(folder: Path) -> Scan:
    from ..io import read_volume

    ref = folder / "tests" / "reference_files"
    image = read_volume(ref / "example_ct.nii.gz")
    labels = read_volume(ref / "example_seg_fast_force_split.nii.gz").data.astype(np.int16)
    names = class_map_total(folder / "totalsegmentator" / "map_to_binary.py")
    present = {int(v): names[int(v)] for v in np.unique(labels) if v != 0}
    data = image.data.astype(np.float32)
    return Scan("ts-ct", "CT", data, labels, tuple(image.spacing), present, _body(data > -500.0))


def _pyradiomics(folder: Path, scan_id: str) -> Scan:
    from ..io import read_volume

    image = read_volume(folder / "data" / f"{scan_id}_image.nrrd")
    label = read_volume(folder / "data" / f"{scan_id}_label.nrrd").data
    structure, modality = LESIONS[scan_id]
    data = image.data.astype(np.float32)
    # CT: not air; MRI: what stands clear of the air's noise floor.
    body = data > -500.0 if modality == "CT" else data > 0.1 * float(np.percentile(data, 99))
    return Scan(
        scan_id, modality, data, (label > 0).astype(np.int16), tuple(image.spacing), {1: structure}, _body(body)
    )


def _stardist(folder: Path) -> Scan:
    from ..io import read_volume

    images = folder / "stardist" / "data" / "images"
    image = read_volume(images / "img2d.tif")
    labels = read_volume(images / "mask2d.tif").data.astype(np.int32)
    names = {int(v): NUCLEUS for v in np.unique(labels) if v != 0}
    # Islands may fall anywhere in the field: every pixel is imaged specimen.
    body = np.ones(labels.shape, dtype=bool)
    return Scan("nuclei2d", "microscopy", image.data.astype(np.float32), labels, tuple(image.spacing), names, body)


def _body(mask: np.ndarray) -> np.ndarray:
    """The largest foreground component with its cavities filled: where tissue is."""
    labels, count = ndi.label(mask)
    if count > 1:
        sizes = np.bincount(labels.ravel())
        sizes[0] = 0
        mask = labels == int(np.argmax(sizes))
    return ndi.binary_fill_holes(mask)
