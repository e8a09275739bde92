"""Read one batch case's arrays where it is assessed: image, label image, spacing, label names.

Runs in the worker (and in the review queue, to show a case), so large arrays never travel
through a scheduler. A folder of per-structure masks (TotalSegmentator without ``--ml``) is
merged on the fly into one label image numbered by TotalSegmentator's class map, so each
structure keeps its own value and name and neighbours see each other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io import read_pair, read_volume
from ..label_names import find_label_table, label_names, mask_stem, read_label_table, totalsegmentator_names
from .inputs import BatchCase, is_volume

#: Values given to per-structure mask files whose names no TotalSegmentator class map knows.
UNKNOWN_START = 1000


@dataclass(frozen=True)
class CaseArrays:
    image: np.ndarray
    labels: np.ndarray
    spacing: tuple[float, ...] | None  # None: the files state no voxel size
    names: dict[int, str]


def read_case(case: BatchCase) -> CaseArrays:
    """The case's arrays and label names, or InputError with one sentence."""
    mask_path = Path(case.mask)
    if mask_path.is_dir() and not is_volume(mask_path):
        image = read_volume(case.image)
        labels, names = merge_mask_folder(mask_path, image.data.shape)
        return CaseArrays(image.data, labels, image.stated_spacing, names)
    image_data, labels, spacing = read_pair(case.image, case.mask)
    return CaseArrays(image_data, labels, spacing, case_names(case))


def case_names(case: BatchCase) -> dict[int, str]:
    """Label value -> name for a mask file: a label table beside it first, then the case's source
    (TotalSegmentator's class map for TotalSegmentator output); none when a structure was named."""
    table = find_label_table(Path(case.mask))
    if table is not None:
        return read_label_table(table)
    if case.structure and case.names == "auto":
        return {}
    return label_names(Path(case.mask), case.names)


def merge_mask_folder(folder: Path, shape: tuple[int, ...]) -> tuple[np.ndarray, dict[int, str]]:
    """One label image from a folder of binary masks named ``<class>.nii.gz``; empty masks (a
    structure outside the scan) leave no label."""
    values = {name: value for task in ("total_mr", "total") for value, name in totalsegmentator_names(task).items()}
    files = sorted((p for p in folder.iterdir() if p.is_file() and is_volume(p)), key=lambda p: mask_stem(p))
    if not files:
        raise InputError(f"The mask folder {folder.name} holds no mask files.")
    labels = np.zeros(shape, dtype=np.uint16)
    names: dict[int, str] = {}
    unknown = UNKNOWN_START
    for path in files:
        name = mask_stem(path)
        data = read_volume(path).data
        if data.shape != shape:
            raise InputError(
                f"The mask {folder.name}/{path.name} has shape {data.shape}, not the scan's {shape}; "
                "the masks must be drawn on the scan's grid."
            )
        if name in values:
            value = values[name]
        else:
            value, unknown = unknown, unknown + 1
        inside = data > 0
        if inside.any():
            labels[inside] = value
            names[value] = name
    return labels, names


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's files (names and bytes, in name order): the
    input hash a resumed batch compares, cheap next to an assessment and blind to file dates."""
    path = Path(path)
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for item in files:
        if item != path:
            digest.update(str(item.relative_to(path)).encode() + b"\0")
        with item.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()
