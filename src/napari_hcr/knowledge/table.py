"""The reviewed structure table (``structures.csv``): one row per canonical structure.

The table is the single source of every figure a profile states (size, components, holes,
side, shape, neighbours, CT attenuation, MRI signal), each with its citation. Rows are read
and checked once; a malformed row is a packaging error and raises at import of the first
profile, not a silent fallback. docs/knowledge.md describes the columns.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

GROUPS = ("organ", "gland", "vessel", "airway", "gut", "bone", "muscle", "heart", "brain", "lesion", "cell", "other")
SHAPES = ("compact", "elongated", "tubular", "sheet", "lobulated", "many")
SIDES = ("left", "right", "midline", "none")
SIGNALS = ("brighter", "darker", "similar", "variable")
SIGNAL_COLUMNS = {"T1": "mri_t1", "T2": "mri_t2", "FLAIR": "mri_flair"}

SHAPE_COMPACTNESS: dict[str, tuple[float, float] | None] = {
    "compact": (0.35, 0.98),
    "lobulated": (0.2, 0.95),
    "elongated": (0.08, 0.9),
    "tubular": None,
    "sheet": None,
    "many": None,
}
"""Sphericity (3-D) or circularity (2-D) a correct mask of each shape class reaches. Tubes,
sheets and many-piece masks have no compactness expectation: a thin curved rib or a cortical
ribbon is not a deformed ball."""

TABLE_FILE = "structures.csv"


@dataclass(frozen=True)
class Range:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Row:
    """One structure's figures as the table states them (``None``: the table makes no claim)."""

    structure: str
    display_name: str
    group: str
    side: str | None
    paired: bool
    shape: str
    volume_ml: Range | None
    area_um2: Range | None
    components: int | None
    components_max: int | None
    holes_allowed: bool
    compactness: Range | None
    neighbours: tuple[str, ...]
    hu_median: float | None
    hu: Range | None
    contents: str
    contents_hu: Range | None
    signal: dict[str, str]
    location: str
    aliases: tuple[str, ...]
    volume_source: str
    hu_source: str
    signal_source: str

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(s for s in (self.volume_source, self.hu_source, self.signal_source) if s)


def _range(low: str, high: str, what: str) -> Range | None:
    if not low and not high:
        return None
    r = Range(float(low), float(high))
    if not r.low < r.high:
        raise ValueError(f"{what}: low {low} is not below high {high}")
    return r


def _int(text: str) -> int | None:
    return int(text) if text else None


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"{what}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


def parse_row(raw: dict[str, str]) -> Row:
    """One CSV record -> a checked :class:`Row`; ``ValueError`` names the row and the column."""
    name = raw["structure"].strip()
    what = f"structures.csv, row {name!r}"
    shape = _choice(raw["shape"].strip(), SHAPES, f"{what}, shape")
    compactness = _range(raw["compactness_low"].strip(), raw["compactness_high"].strip(), f"{what}, compactness")
    group = _choice(raw["group"].strip(), GROUPS, f"{what}, group")
    if compactness is None and SHAPE_COMPACTNESS[shape] is not None and group != "other":  # generic: no claim
        compactness = Range(*SHAPE_COMPACTNESS[shape])  # type: ignore[misc]
    side = _choice(raw["side"].strip(), SIDES, f"{what}, side")
    hu = _range(raw["hu_low"].strip(), raw["hu_high"].strip(), f"{what}, hu")
    median = float(raw["hu_median"]) if raw["hu_median"].strip() else None
    if (hu is None) != (median is None) or (hu is not None and median is not None and not hu.contains(median)):
        raise ValueError(f"{what}: hu_median must lie inside hu_low..hu_high")
    contents = _range(raw["contents_hu_low"].strip(), raw["contents_hu_high"].strip(), f"{what}, contents_hu")
    if contents is not None and hu is None:
        raise ValueError(f"{what}: contents_hu needs the structure's own hu band")
    if (contents is None) != (not raw["contents"].strip()):
        raise ValueError(f"{what}: contents names what contents_hu_low..contents_hu_high measure, and only then")
    signal = {}
    for sequence, column in SIGNAL_COLUMNS.items():
        if raw[column].strip():
            signal[sequence] = _choice(raw[column].strip(), SIGNALS, f"{what}, {column}")
    components = _int(raw["components"].strip())
    components_max = _int(raw["components_max"].strip())
    if components is not None and components_max is not None and components_max < components:
        raise ValueError(f"{what}: components_max below components")
    return Row(
        structure=name,
        display_name=raw["display_name"].strip(),
        group=group,
        side=None if side == "none" else side,
        paired=_choice(raw["paired"].strip(), ("yes", "no"), f"{what}, paired") == "yes",
        shape=shape,
        volume_ml=_range(raw["volume_ml_low"].strip(), raw["volume_ml_high"].strip(), f"{what}, volume_ml"),
        area_um2=_range(raw["area_um2_low"].strip(), raw["area_um2_high"].strip(), f"{what}, area_um2"),
        components=components,
        components_max=components_max if components_max is not None else components,
        holes_allowed=_choice(raw["holes_allowed"].strip(), ("yes", "no"), f"{what}, holes_allowed") == "yes",
        compactness=compactness,
        neighbours=_split(raw["neighbours"]),
        hu_median=median,
        hu=hu,
        contents=raw["contents"].strip(),
        contents_hu=contents,
        signal=signal,
        location=raw["location"].strip(),
        aliases=_split(raw["aliases"]),
        volume_source=raw["volume_source"].strip(),
        hu_source=raw["hu_source"].strip(),
        signal_source=raw["signal_source"].strip(),
    )


@lru_cache(maxsize=1)
def rows() -> dict[str, Row]:
    """Every row of the packaged table, by structure name, in table order."""
    text = (resources.files(__package__) / TABLE_FILE).read_text(encoding="utf-8")
    out: dict[str, Row] = {}
    for raw in csv.DictReader(text.splitlines()):
        row = parse_row(raw)
        if row.structure in out:
            raise ValueError(f"structures.csv: {row.structure!r} appears twice")
        out[row.structure] = row
    return out
