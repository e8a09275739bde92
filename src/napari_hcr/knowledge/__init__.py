"""Structure profiles: what a correct mask of a structure looks like in a modality.

Profiles are data (``profiles/*.json``) so clinicians can read and extend them without
touching code. ``load_profile`` resolves aliases and falls back to the generic profile, so an
unknown structure still gets an assessment, only a less specific one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

GENERIC = "generic"


@dataclass(frozen=True)
class Range:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Profile:
    """Expectations for one structure in one modality.

    Ranges are plausible bounds for a correct mask, not population means. ``None`` means the
    profile has no expectation for that measure (the generic profile leaves most open).
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
    signal: str | None = None
    components_max: int | None = None
    sources: tuple[str, ...] = ()


def available_structures() -> list[str]:
    """Structure names in the order the widget lists them (generic last)."""
    names = sorted(_catalogue())
    return [n for n in names if n != GENERIC] + [GENERIC]


def canonical_structure(name: str) -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    for structure, data in _catalogue().items():
        if key == structure or key in data.get("aliases", []):
            return structure
    return GENERIC


def load_profile(structure: str, modality: str) -> Profile:
    structure = canonical_structure(structure)
    data = _catalogue()[structure]
    modalities: dict[str, Any] = data["modalities"]
    mod_key = _match_modality(modality, modalities)
    spec = {**data.get("common", {}), **modalities.get(mod_key, {})}
    return Profile(
        structure=structure,
        modality=modality,
        display_name=data["display_name"],
        description=data["description"],
        volume_ml=_range(spec.get("volume_ml")),
        components=spec.get("components"),
        holes_allowed=bool(spec.get("holes_allowed", True)),
        compactness=_range(spec.get("compactness")),
        intensity=spec.get("intensity", "no fixed expectation"),
        intensity_contrast=_range(spec.get("intensity_contrast")),
        paired=bool(spec.get("paired", False)),
        site=spec.get("site", "anywhere in the field of view"),
        topology=spec.get("topology", "no fixed expectation"),
        failures=tuple(spec.get("failures", [])),
        extras={k: v for k, v in spec.items() if k not in _KNOWN_KEYS},
        specific=structure != GENERIC,
    )


_KNOWN_KEYS = {
    "volume_ml",
    "components",
    "holes_allowed",
    "compactness",
    "intensity",
    "intensity_contrast",
    "paired",
    "site",
    "topology",
    "failures",
}


def _match_modality(modality: str, modalities: dict[str, Any]) -> str:
    """Exact name first, then family (``MRI-T1w`` -> ``MRI-T1`` -> ``MRI``), then ``any``."""
    wanted = modality.strip().upper()
    upper = {k.upper(): k for k in modalities}
    if wanted in upper:
        return upper[wanted]
    for key_upper, key in sorted(upper.items(), key=lambda kv: -len(kv[0])):
        if wanted.startswith(key_upper):
            return key
    return "any"


def _range(value: list[float] | None) -> Range | None:
    return None if value is None else Range(float(value[0]), float(value[1]))


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict[str, Any]]:
    folder = resources.files(__package__) / "profiles"
    catalogue = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            catalogue[data["structure"]] = data
    return catalogue
