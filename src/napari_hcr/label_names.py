"""Label value -> name -> structure: each label of a multi-label mask judged as what it is.

A multi-label mask (TotalSegmentator's 117 classes, a FreeSurfer aseg, an annotation tool's
export) carries its names outside the voxels. They come from, in the order a front end asks:

- a **label table beside the mask file**: ``<mask stem>.json`` / ``.csv`` / ``.tsv`` (the stem
  without ``.nii.gz``, ``.nii``, ``.nrrd``, ``.tif``...), else ``labels.json`` / ``labels.csv`` /
  ``labels.tsv`` (also ``.ctbl`` colour tables) in the same folder
  (:func:`find_label_table`, :func:`read_label_table`);
- **TotalSegmentator's class map** for its ``total`` or ``total_mr`` task, when asked
  (:func:`totalsegmentator_names`);
- a **napari features table** (``layer.features`` as a dict of columns), the widget's source
  (:func:`names_from_features`).

Accepted label tables (docs/knowledge.md shows examples):

- JSON: ``{"1": "liver", "2": "spleen"}`` or ``{"liver": 1, "spleen": 2}`` (nnU-Net's
  ``dataset.json``); either under a ``"labels"`` key; columns ``{"index": [...], "name": [...]}``; or a list of
  objects ``[{"value": 1, "name": "liver"}, ...]`` (the value key may be ``value``, ``index``,
  ``label``, ``id`` or ``label_value``; the name key ``name``, ``label_name``, ``structure`` or
  ``class``).
- CSV/TSV: a header naming one value column and one name column as above
  (``index,name``), or two columns without a header (``1,liver``).
- Colour tables (``.txt``, ``.ctbl``): FreeSurfer's LUT and 3D Slicer's colour table
  (``17 Left-Hippocampus 220 216 20 0``), or ITK-SNAP's label description file
  (``1 255 0 0 1 1 1 "Liver"``); ``#`` starts a comment.

Names become structures with :func:`napari_hcr.knowledge.canonical_structure`, so
TotalSegmentator names, FreeSurfer names and common aliases all resolve; an unknown name is
judged with the generic profile.
"""

from __future__ import annotations

import csv
import json
import shlex
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import InputError
from .knowledge import GENERIC, canonical_structure

TOTALSEGMENTATOR = {"totalsegmentator": "total", "totalsegmentator_mr": "total_mr"}
"""``--label-names`` choices that name a TotalSegmentator task, and the task they mean."""

VALUE_KEYS = ("value", "index", "label", "id", "label_value", "label_id")
NAME_KEYS = ("name", "label_name", "structure", "class", "class_name", "description")
MASK_SUFFIXES = (".nii.gz", ".nii", ".nrrd", ".nhdr", ".mha", ".mhd", ".tiff", ".tif", ".npy", ".npz", ".png")
TABLE_SUFFIXES = (".json", ".csv", ".tsv", ".ctbl")
"""Suffixes a label table found beside a mask may have; a ``.txt`` colour table is read only when
named (``--label-names PATH``), since a text file beside a scan is as likely to be notes."""


@lru_cache(maxsize=2)
def totalsegmentator_names(task: str = "total") -> dict[int, str]:
    """TotalSegmentator 2.18.0's ``class_map[task]`` (``total`` or ``total_mr``): value -> name."""
    text = (resources.files("napari_hcr.knowledge") / "totalsegmentator_classes.json").read_text(encoding="utf-8")
    maps = json.loads(text)
    if task not in ("total", "total_mr"):
        raise InputError(f"TotalSegmentator task '{task}' is not known here; use 'total' or 'total_mr'.")
    return {int(value): str(name) for value, name in maps[task].items()}


def mask_stem(path: Path) -> str:
    """The file name without its image suffix (``seg.nii.gz`` -> ``seg``)."""
    name = path.name
    for suffix in MASK_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def find_label_table(mask_path: Path) -> Path | None:
    """The label table beside a mask file, or None: ``<stem>.json|csv|tsv``, then
    ``labels.json|csv|tsv`` in the same folder."""
    folder = mask_path.parent
    for stem in (mask_stem(mask_path), "labels"):
        for suffix in TABLE_SUFFIXES:
            candidate = folder / f"{stem}{suffix}"
            if candidate.is_file() and candidate != mask_path:
                return candidate
    return None


def read_label_table(path: Path) -> dict[int, str]:
    """A JSON, CSV or TSV label table -> {value: name}; ``InputError`` says what is wrong."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputError(f"Cannot read the label table {path}: {error.strerror or error}.") from error
    if path.suffix.lower() in (".txt", ".ctbl"):
        names = _from_colour_table(text)
    elif path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"The label table {path} is not valid JSON ({error.msg}, line {error.lineno}).") from error
        names = _from_json(data)
    else:
        names = _from_delimited(text, "\t" if path.suffix.lower() == ".tsv" else ",")
    if not names:
        raise InputError(f"The label table {path} names no labels; see docs/knowledge.md for the accepted forms.")
    return names


def names_from_features(features: Mapping[Any, Any] | None) -> dict[int, str]:
    """A napari features table (a dict of columns) or a plain {value: name} mapping -> {value: name}.

    With a value column (``index``, ``value``, ``label``...) each row names that value; without
    one, row ``i`` names label ``i``, as napari lays out a Labels layer's features. Rows with an
    empty or missing name are left out, as is label 0 (background).
    """
    if not features:
        return {}
    columns = {str(key).lower(): key for key in features}
    name_key = next((columns[k] for k in NAME_KEYS if k in columns), None)
    if name_key is None:
        if all(_is_int(key) for key in features) and all(isinstance(v, str) for v in features.values()):
            return _clean({int(key): value for key, value in features.items()})
        return {}
    names = _column(features[name_key])
    value_key = next((columns[k] for k in VALUE_KEYS if k in columns and columns[k] != name_key), None)
    values = _column(features[value_key]) if value_key is not None else list(range(len(names)))
    pairs = {}
    for value, name in zip(values, names):
        if _is_int(value) and isinstance(name, str):
            pairs[int(value)] = name
    return _clean(pairs)


def label_names(mask_path: Path | None, source: str = "auto") -> dict[int, str]:
    """The names for a mask's labels: ``source`` is ``auto`` (a table beside the mask file, else
    none), ``totalsegmentator`` / ``totalsegmentator_mr`` (that task's class map) or a path to a
    label table."""
    key = source.strip().lower()
    if key in TOTALSEGMENTATOR:
        return totalsegmentator_names(TOTALSEGMENTATOR[key])
    if key == "auto":
        table = find_label_table(mask_path) if mask_path is not None else None
        return read_label_table(table) if table is not None else {}
    path = Path(source).expanduser()
    if not path.is_file():
        raise InputError(
            f"--label-names '{source}' is neither auto, totalsegmentator, totalsegmentator_mr nor a label table file."
        )
    return read_label_table(path)


def run_structures(mask_path: Path | None, source: str, structure: str, pairs: Mapping[int, str]) -> dict[int, str]:
    """The label -> structure name map a run uses (``RunRequest.structures``).

    Explicit ``label=name`` pairs win; then the label names from ``source`` (see
    :func:`label_names`). A single structure the person named (not ``generic``) outranks names
    found automatically beside the file, but not a label table or class map asked for by name.
    """
    names = label_names(mask_path, source)
    if source.strip().lower() == "auto" and canonical_structure(structure) != GENERIC:
        names = {}
    return {**names, **pairs}


def structures_from_names(names: Mapping[int, str]) -> dict[int, str]:
    """{value: name} -> {value: canonical structure}; unknown names map to ``generic``."""
    return {value: canonical_structure(name) for value, name in names.items()}


def unknown_names(names: Mapping[int, str]) -> dict[int, str]:
    """The labels whose names no profile knows (judged with the generic profile)."""
    return {value: name for value, name in names.items() if canonical_structure(name) == GENERIC}


def _from_json(data: Any) -> dict[int, str]:
    if isinstance(data, dict) and "labels" in data and isinstance(data["labels"], (dict, list)):
        data = data["labels"]
    if isinstance(data, dict):
        if all(_is_int(k) for k in data):
            return _clean({int(k): v for k, v in data.items() if isinstance(v, str)})
        if data and all(isinstance(v, int) and not isinstance(v, bool) for v in data.values()):
            return _clean({v: k for k, v in data.items()})  # nnU-Net's dataset.json: {"liver": 1}
        return names_from_features(data)
    if isinstance(data, list):
        pairs: dict[int, str] = {}
        for item in data:
            if not isinstance(item, dict):
                continue
            lowered = {str(k).lower(): v for k, v in item.items()}
            value = next((lowered[k] for k in VALUE_KEYS if k in lowered and _is_int(lowered[k])), None)
            name = next((lowered[k] for k in NAME_KEYS if isinstance(lowered.get(k), str)), None)
            if value is not None and name is not None:
                pairs[int(value)] = name
        return _clean(pairs)
    return {}


def _from_delimited(text: str, delimiter: str) -> dict[int, str]:
    records = [r for r in csv.reader(text.splitlines(), delimiter=delimiter) if r and any(c.strip() for c in r)]
    if not records:
        return {}
    header = [c.strip().lower() for c in records[0]]
    if not _is_int(header[0]):
        value_col = next((header.index(k) for k in VALUE_KEYS if k in header), None)
        name_col = next((header.index(k) for k in NAME_KEYS if k in header), None)
        if value_col is None or name_col is None:
            raise InputError(
                f"A label table's header needs a value column ({', '.join(VALUE_KEYS)}) and a name column "
                f"({', '.join(NAME_KEYS)}); found {', '.join(header)}."
            )
        body = records[1:]
    else:
        value_col, name_col, body = 0, 1, records
    pairs = {}
    for record in body:
        if max(value_col, name_col) < len(record) and _is_int(record[value_col].strip()):
            pairs[int(record[value_col].strip())] = record[name_col].strip()
    return _clean(pairs)


def _from_colour_table(text: str) -> dict[int, str]:
    """FreeSurfer / Slicer (``value name r g b a``) or ITK-SNAP (``value r g b a vis mesh "name"``)."""
    pairs = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            tokens = shlex.split(line)
        except ValueError:
            continue
        if len(tokens) < 2 or not _is_int(tokens[0]):
            continue
        quoted = '"' in line
        pairs[int(tokens[0])] = tokens[-1] if quoted else tokens[1]
    return _clean(pairs)


def _column(values: Any) -> list[Any]:
    """A column as a list: a sequence, a numpy array or a pandas Series."""
    if hasattr(values, "tolist"):
        return list(values.tolist())
    if isinstance(values, Sequence) and not isinstance(values, str):
        return list(values)
    return []


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, str):
        return value.strip().lstrip("-").isdigit()
    return hasattr(value, "__index__")


def _clean(pairs: Mapping[int, Any]) -> dict[int, str]:
    return {
        int(value): str(name).strip()
        for value, name in sorted(pairs.items())
        if int(value) != 0 and isinstance(name, str) and name.strip()
    }
