"""What a batch judges: the cases found in INPUT, each an image and its mask as *paths*.

INPUT is one of:

- a folder with ``images/`` and ``masks/``, paired by file name (nnU-Net's ``_0000`` channel
  suffix on an image name is ignored, and an image may be a DICOM series folder);
- a CSV manifest with columns ``image, mask`` and optional ``structure, modality, labels``
  (relative paths are read from the manifest's folder);
- TotalSegmentator output next to its scan: a folder holding the scan (a file or a DICOM
  series folder) and either a multi-label file (``segmentations.nii.gz``, any ``*seg*`` file)
  or a folder of one mask per structure named by TotalSegmentator's class names; or a folder
  of such folders, one per scan.

Discovery checks every path and refuses bad input with one sentence before any work starts.
Cases carry paths, never arrays: the worker that assesses a case reads it (:mod:`.arrays`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from ..dicom import is_dicom_folder
from ..errors import InputError
from ..io import SUPPORTED
from ..label_names import mask_stem, totalsegmentator_names

Labels = tuple[int, ...] | Literal["all"]
Kind = Literal["folder", "manifest", "totalsegmentator"]
#: TotalSegmentator's default output folder of per-structure masks.
TS_MASK_FOLDER = "segmentations"


@dataclass(frozen=True)
class BatchCase:
    """One image and its mask (a file, or a folder of per-structure masks), and how to judge it.

    ``structure`` and ``modality`` are None when nobody said: labels are then named from a label
    table or TotalSegmentator's class map, and the modality follows the image (see
    :func:`napari_hcr.case.default_modality`). ``names`` says where label names come from
    (``auto``, ``totalsegmentator`` or ``totalsegmentator_mr``).
    """

    id: str
    image: str
    mask: str
    structure: str | None = None
    modality: str | None = None
    labels: Labels = "all"
    names: str = "auto"
    spacing: tuple[float, ...] | None = None  # voxel size (mm) for files that state none; overrides theirs


def discover(
    source: Path,
    *,
    labels: Labels = "all",
    structure: str | None = None,
    modality: str | None = None,
    spacing: tuple[float, ...] | None = None,
) -> tuple[Kind, list[BatchCase]]:
    """The kind of INPUT and its cases; options given on the command line apply to every case
    (a manifest's own columns win for their rows)."""
    if source.is_file() and source.suffix.lower() in (".csv", ".tsv"):
        cases = _manifest(source, labels, structure, modality)
        kind: Kind = "manifest"
    elif source.is_dir() and (source / "images").is_dir() and (source / "masks").is_dir():
        cases = _paired(source, labels, structure, modality)
        kind = "folder"
    elif source.is_dir():
        cases = _totalsegmentator(source, labels, structure, modality)
        kind = "totalsegmentator"
    elif not source.exists():
        raise InputError(f"The batch input {source} does not exist.")
    else:
        raise InputError(
            f"The batch input {source} is neither a folder (images/ + masks/, or TotalSegmentator output) "
            "nor a CSV manifest."
        )
    if not cases:
        raise InputError(f"The batch input {source} holds no cases.")
    if spacing is not None:
        cases = [case if case.spacing else replace(case, spacing=spacing) for case in cases]
    return kind, _unique_ids(cases)


def parse_spacing(text: str) -> tuple[float, ...]:
    """A voxel size in mm per axis, separated by spaces or ``x`` (``3 0.8 0.8``, ``3x0.8x0.8``)."""
    parts = [p for p in text.lower().replace("×", "x").replace("x", " ").split() if p]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if not values or any(not v > 0 for v in values):
        raise InputError(f"the spacing '{text}' is not voxel sizes in mm, such as '3 0.8 0.8'.")
    return values


def parse_labels(text: str) -> Labels:
    """``all`` or label values separated by commas, semicolons or spaces; InputError otherwise."""
    text = text.strip()
    if not text or text.lower() == "all":
        return "all"
    parts = text.replace(";", ",").replace(" ", ",").split(",")
    try:
        values = tuple(dict.fromkeys(int(p) for p in parts if p.strip()))
    except ValueError:
        raise InputError(f"'{text}' is neither 'all' nor label values such as 1,2,5.") from None
    if not values or any(v <= 0 for v in values):
        raise InputError(f"'{text}' names no positive label values.")
    return values


def is_volume(path: Path) -> bool:
    """A readable image file, or a DICOM series folder."""
    name = path.name.lower()
    if path.is_file():
        return any(name.endswith(s) for s in SUPPORTED)
    return is_dicom_folder(path)


def _paired(source: Path, labels: Labels, structure: str | None, modality: str | None) -> list[BatchCase]:
    images = {_case_stem(p): p for p in sorted((source / "images").iterdir()) if is_volume(p)}
    masks = {_case_stem(p): p for p in sorted((source / "masks").iterdir()) if is_volume(p)}
    lonely = sorted(set(images) ^ set(masks))
    if lonely:
        first = lonely[0]
        side, other = ("image", "masks") if first in images else ("mask", "images")
        raise InputError(
            f"{len(lonely)} file(s) in {source} have no partner: the {side} '{first}' has no file of the same "
            f"name in {other}/."
        )
    return [
        BatchCase(stem, str(images[stem]), str(masks[stem]), structure, modality, labels) for stem in sorted(images)
    ]


def _case_stem(path: Path) -> str:
    """The pairing name: the file name without its image suffix and nnU-Net's ``_0000`` channel tag."""
    stem = mask_stem(path) if path.is_file() else path.name
    return stem.removesuffix("_0000")


def _manifest(source: Path, labels: Labels, structure: str | None, modality: str | None) -> list[BatchCase]:
    delimiter = "\t" if source.suffix.lower() == ".tsv" else ","
    with source.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        columns = {c.strip().lower(): c for c in reader.fieldnames or ()}
        missing = [c for c in ("image", "mask") if c not in columns]
        if missing:
            raise InputError(f"The manifest {source.name} lacks the column(s) {', '.join(missing)}.")
        cases = []
        for row_number, row in enumerate(reader, start=2):
            cell = {key: (row.get(original) or "").strip() for key, original in columns.items()}
            if not cell["image"] and not cell["mask"]:
                continue
            paths = []
            for role in ("image", "mask"):
                path = Path(cell[role]).expanduser()
                path = path if path.is_absolute() else source.parent / path
                if not cell[role] or not path.exists():
                    raise InputError(f"{source.name} line {row_number}: the {role} '{cell[role]}' does not exist.")
                paths.append(path)
            try:
                row_labels = parse_labels(cell["labels"]) if cell.get("labels") else labels
                row_spacing = parse_spacing(cell["spacing"]) if cell.get("spacing") else None
            except InputError as error:
                raise InputError(f"{source.name} line {row_number}: {error}") from None
            cases.append(
                BatchCase(
                    _case_stem(paths[1]),
                    str(paths[0]),
                    str(paths[1]),
                    cell.get("structure") or structure,
                    cell.get("modality") or modality,
                    row_labels,
                    spacing=row_spacing,
                )
            )
    return cases


def _totalsegmentator(source: Path, labels: Labels, structure: str | None, modality: str | None) -> list[BatchCase]:
    single = _ts_case(source, labels, structure, modality)
    if single is not None:
        return [single]
    cases = []
    for child in sorted(p for p in source.iterdir() if p.is_dir()):
        case = _ts_case(child, labels, structure, modality)
        if case is not None:
            cases.append(case)
    if not cases:
        raise InputError(
            f"{source} is not batch input: no images/ and masks/ folders, and no TotalSegmentator output "
            f"(a scan beside '{TS_MASK_FOLDER}/' or a segmentation file) in it or its subfolders."
        )
    return cases


def _ts_case(folder: Path, labels: Labels, structure: str | None, modality: str | None) -> BatchCase | None:
    """A scan with TotalSegmentator output beside it in ``folder``, or None when there is none."""
    children = sorted(folder.iterdir())
    mask_folders = [c for c in children if c.is_dir() and is_mask_folder(c)]
    seg_files = [c for c in children if c.is_file() and is_volume(c) and "seg" in mask_stem(c).lower()]
    scans = [c for c in children if c not in seg_files and c not in mask_folders and is_volume(c)]
    masks = mask_folders + seg_files
    if not masks or not scans:
        return None
    if len(scans) > 1 or len(masks) > 1:
        raise InputError(
            f"{folder} holds {len(scans)} scan(s) and {len(masks)} TotalSegmentator output(s); keep one of each "
            "per folder (or list them in a CSV manifest)."
        )
    mask = masks[0]
    task = "totalsegmentator_mr" if (modality or "").upper().startswith("MR") else "totalsegmentator"
    return BatchCase(folder.name, str(scans[0]), str(mask), structure, modality or "CT", labels, task)


def is_mask_folder(path: Path) -> bool:
    """A folder of per-structure masks named by TotalSegmentator classes (``liver.nii.gz``...)."""
    known = set(totalsegmentator_names("total").values()) | set(totalsegmentator_names("total_mr").values())
    stems = [mask_stem(p) for p in path.iterdir() if p.is_file() and is_volume(p)]
    return bool(stems) and sum(s in known for s in stems) * 2 > len(stems)


def _unique_ids(cases: list[BatchCase]) -> list[BatchCase]:
    """Case ids name rows in the report and files in DIR: make repeated stems unique (``a``, ``a-2``)."""
    seen: dict[str, int] = {}
    out = []
    for case in cases:
        count = seen.get(case.id, 0) + 1
        seen[case.id] = count
        out.append(case if count == 1 else BatchCase(**{**case.__dict__, "id": f"{case.id}-{count}"}))
    return out
