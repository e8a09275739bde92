"""Structure profiles: what a correct mask of a structure looks like in a modality.

Every figure comes from one reviewed table, ``structures.csv`` (one row per structure, each
figure with its source); the profile's prose is written from the row by per-group templates
(:mod:`.templates`), and structures with clinically important particulars add their own text
and modality-specific extras in ``prose/<structure>.json``. Profiles are built at load time,
so there is no generated file to drift from the table. ``load_profile`` resolves aliases
(TotalSegmentator's class names, FreeSurfer names, English and Latin names) and falls back to
the generic profile, so an unknown structure still gets an assessment, only a less specific
one (``Profile.specific`` is False). docs/knowledge.md describes the table.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from . import templates
from .modality import CT, MRI, is_known_modality, modalities, modality_key, modality_kind, mri_sequence
from .table import TABLE_FILE, Range, Row, rows

__all__ = [
    "GENERIC",
    "Profile",
    "Range",
    "available_structures",
    "canonical_structure",
    "is_known_modality",
    "knowledge_digest",
    "load_profile",
    "modalities",
    "modality_kind",
    "mri_sequence",
    "structure_aliases",
]

GENERIC = "generic"

SIGNAL_CONTRAST = {"brighter": Range(0.1, 20.0), "darker": Range(-20.0, -0.1)}
"""Boundary contrast a stated MRI signal implies: only its sign is a claim (see measure notes)."""

# Keys a prose file may set only for one exact modality (``CT``, ``MRI-T1``, ``XR``...): they
# are calibrated on that modality and mean nothing on another.
MODALITY_ONLY = ("intensity_contrast", "inside_percentile")
# Keys whose value the table owns; a prose file that repeated them could drift from it.
TABLE_OWNED = ("volume_ml", "components", "holes_allowed", "compactness", "paired", "side", "aliases", "display_name")
_TEXT_KEYS = ("description", "site", "topology", "failures", "intensity")


@dataclass(frozen=True)
class Profile:
    """Expectations for one structure in one modality.

    Ranges are plausible bounds for a correct mask, not population means. ``None`` means the
    profile has no expectation for that measure (the generic profile leaves most open).
    ``hu`` is set on CT only (band of the median inside, in Hounsfield units), as is
    ``hu_contents`` (the attenuation of what a correct mask holds beyond that band: a bone's
    fatty marrow, a lung's vessels and consolidation; None when it holds nothing else); ``signal`` on
    MRI with a named sequence only (relative to the surroundings); ``components_max`` is the
    most pieces a correct mask may have where ``components`` is the usual count.
    """

    structure: str
    modality: str
    display_name: str
    description: str
    volume_ml: Range | None
    components: int | None
    holes_allowed: bool
    compactness: Range | None
    intensity: str
    intensity_contrast: Range | None
    paired: bool
    site: str
    topology: str
    failures: tuple[str, ...]
    extras: dict[str, Any] = field(default_factory=dict)
    group: str = "other"
    specific: bool = True
    side: str | None = None
    shape: str = "compact"
    neighbours: tuple[str, ...] = ()
    hu: Range | None = None
    hu_contents: Range | None = None
    signal: str | None = None
    components_max: int | None = None
    sources: tuple[str, ...] = ()


def available_structures() -> list[str]:
    """Structure names in the order the widget lists them (alphabetical, generic last)."""
    names = sorted(rows())
    return [n for n in names if n != GENERIC] + [GENERIC]


def normalise_name(name: str) -> str:
    """Lower case, every run of spaces, hyphens, dots or brackets one underscore."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


_SUFFIXES = (
    "_mask",
    "_masks",
    "_seg",
    "_segmentation",
    "_label",
    "_labels",
    "_roi",
    "_nii_gz",
    "_nii",
    "_nrrd",
    "_mha",
    "_tif",
    "_tiff",
    "_png",
    "_npy",
)


def canonical_structure(name: str) -> str:
    """The table row a structure name means, or ``generic`` for a name the table does not know.

    Accepts the row's own name, its aliases (TotalSegmentator class names, FreeSurfer names
    such as ``Left-Hippocampus``, English and Latin names), sided forms (``left kidney``,
    ``kidney_l``), trailing ``mask``/``seg``/``label`` words and image file suffixes
    (``liver.nii.gz``, TotalSegmentator's one-file-per-class output), in any case and with
    spaces or hyphens.
    """
    key = normalise_name(name)
    index = _alias_index()
    while key not in index:
        shorter = next((key[: -len(s)] for s in _SUFFIXES if key.endswith(s) and len(key) > len(s)), None)
        if shorter is None:
            return GENERIC
        key = shorter
    return index[key]


def structure_aliases(structure: str) -> tuple[str, ...]:
    """Every name (normalised) that resolves to this structure, its own name first."""
    return tuple(alias for alias, target in _alias_index().items() if target == structure)


def load_profile(structure: str, modality: str) -> Profile:
    """The profile of a structure (any accepted name) in a modality (any spelling)."""
    structure = canonical_structure(structure)
    row = rows()[structure]
    prose = _prose().get(structure, {})
    key = modality_key(modality)
    blocks: dict[str, dict[str, Any]] = prose.get("modalities", {})
    chain = ["any"] + (["MRI"] if modality_kind(modality) == MRI and key != "MRI" else []) + [key]
    spec: dict[str, Any] = dict(prose.get("common", {}))
    for name in chain:
        spec.update({k: v for k, v in blocks.get(name, {}).items() if k not in MODALITY_ONLY})
    exact = blocks.get(key, {})
    signal = _signal(row, modality)
    display = {name: r.display_name for name, r in rows().items()}
    contrast = (
        _range(exact["intensity_contrast"]) if "intensity_contrast" in exact else SIGNAL_CONTRAST.get(signal or "")
    )
    extras = {k: v for k, v in spec.items() if k not in _TEXT_KEYS}
    if "inside_percentile" in exact:
        extras["inside_percentile"] = exact["inside_percentile"]
    if row.area_um2 is not None:
        extras["area_um2"] = [row.area_um2.low, row.area_um2.high]
    return Profile(
        structure=structure,
        modality=modality,
        display_name=row.display_name,
        description=prose.get("description") or templates.description(row),
        volume_ml=row.volume_ml,
        components=row.components,
        holes_allowed=row.holes_allowed,
        compactness=row.compactness,
        intensity=_intensity(row, modality, spec, exact),
        intensity_contrast=contrast,
        paired=row.paired,
        site=spec.get("site") or templates.site(row, display),
        topology=spec.get("topology") or templates.topology(row),
        failures=tuple(spec.get("failures") or templates.failures(row, display)),
        extras=extras,
        group=row.group,
        specific=structure != GENERIC,
        side=row.side,
        shape=row.shape,
        neighbours=row.neighbours,
        hu=row.hu if modality_kind(modality) == CT else None,
        hu_contents=row.contents_hu if modality_kind(modality) == CT else None,
        signal=signal,
        components_max=row.components_max,
        sources=_sources(row, modality, signal),
    )


def _signal(row: Row, modality: str) -> str | None:
    """The row's MRI signal claim for the named sequence; None for plain MRI or another modality."""
    if modality_kind(modality) != MRI:
        return None
    sequence = mri_sequence(modality)
    return row.signal.get(sequence) if sequence else None


def _intensity(row: Row, modality: str, spec: dict[str, Any], exact: dict[str, Any]) -> str:
    """The prose file's sentence for this exact modality first; then the table's claim for a
    named sequence; then the prose file's general sentence; then the template's."""
    if "intensity" in exact:
        return str(exact["intensity"])
    if _signal(row, modality) is not None or modality_kind(modality) == CT:
        return templates.intensity(row, modality)
    return str(spec.get("intensity") or templates.intensity(row, modality))


def _sources(row: Row, modality: str, signal: str | None) -> tuple[str, ...]:
    out = [row.volume_source] if row.volume_source else []
    if modality_kind(modality) == CT and row.hu_source:
        out.append(row.hu_source)
    if signal is not None and row.signal_source:
        out.append(row.signal_source)
    return tuple(out)


def _range(value: list[float] | None) -> Range | None:
    return None if value is None else Range(float(value[0]), float(value[1]))


def _sided_forms(structure: str) -> list[str]:
    """``kidney_left`` is also ``left_kidney``, ``kidney_l``, ``l_kidney`` and ``lh_kidney``."""
    for side in ("left", "right"):
        if structure.endswith(f"_{side}"):
            base = structure[: -len(side) - 1]
            return [f"{side}_{base}", f"{base}_{side[0]}", f"{side[0]}_{base}", f"{side[0]}h_{base}"]
    return []


@lru_cache(maxsize=1)
def _alias_index() -> dict[str, str]:
    """Normalised name -> structure. Explicit names win over derived ones (sided forms, the
    display name), and a derived name two structures share is left out."""
    table = rows()
    index: dict[str, str] = {}
    for name, row in table.items():
        index[name] = name
        for alias in row.aliases:
            index.setdefault(normalise_name(alias), name)
    derived: dict[str, set[str]] = {}
    for name, row in table.items():
        plain_display = [] if "(" in row.display_name else [normalise_name(row.display_name)]
        for alias in [*_sided_forms(name), *plain_display]:
            derived.setdefault(alias, set()).add(name)
    for alias, names in derived.items():
        if alias not in index and len(names) == 1:
            index[alias] = next(iter(names))
    return index


@lru_cache(maxsize=1)
def knowledge_digest() -> str:
    """A fingerprint of the table and the prose files: an answer is only as current as the
    knowledge its stages recalled, so the answer cache keys on it."""
    digest = hashlib.sha256((resources.files(__package__) / TABLE_FILE).read_bytes())
    for entry in _prose_files():
        digest.update(entry.name.encode())
        digest.update(entry.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def _prose() -> dict[str, dict[str, Any]]:
    out = {}
    for entry in _prose_files():
        data = json.loads(entry.read_text(encoding="utf-8"))
        out[data["structure"]] = data
    return out


def _prose_files() -> list[Traversable]:
    """The prose files by name: what the profiles' texts and the fingerprint both read."""
    folder = resources.files(__package__) / "prose"
    return sorted((e for e in folder.iterdir() if e.name.endswith(".json")), key=lambda e: e.name)
