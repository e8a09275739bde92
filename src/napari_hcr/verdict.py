"""Result dataclasses and their JSON form (schema ``napari-hcr/assessment/v1``).

The JSON is the one contract shared by the CLI, the widget's export and the benchmark
records, so parsing is strict: a record that does not match the schema raises ``ValueError``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any, Literal

SCHEMA = "napari-hcr/assessment/v1"
STAGE_NAMES: tuple[str, ...] = (
    "knowledge_recall",
    "visual_feature_analysis",
    "anatomical_inference",
    "clinical_synthesis",
)
Severity = Literal["info", "minor", "major"]
SEVERITIES: tuple[str, ...] = ("info", "minor", "major")
VERDICTS: tuple[str, ...] = ("acceptable", "unacceptable")


@dataclass(frozen=True)
class Location:
    """A slice the viewer can jump to: index ``slice`` along array axis ``axis``.

    2-D cases use ``axis=-1, slice=0`` (the image itself). ``point`` is an optional centre
    of the finding in array coordinates, so the viewer can centre and highlight it.
    """

    axis: int
    slice: int
    point: tuple[float, ...] | None = None

    @classmethod
    def at(cls, point: tuple[float, ...], ndim: int) -> Location:
        """Where a finding centred on ``point`` is best seen: its axial slice in 3-D, the image in 2-D."""
        if ndim == 3:
            return cls(0, int(round(point[0])), point)
        return cls(-1, 0, point)

    def slice_ref(self) -> dict[str, int]:
        """The slice alone, as records and prompts carry it."""
        return {"axis": self.axis, "slice": self.slice}


@dataclass(frozen=True)
class Finding:
    """One observation; ``kind`` is a stable machine name (e.g. ``spurious_islands``)."""

    kind: str
    severity: Severity
    detail: str
    where: Location | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")


@dataclass(frozen=True)
class Decision:
    """The verdict part of the clinical synthesis stage, as a backend gives it; the reasoner
    turns it, with the stages and the evidence, into an :class:`Assessment`."""

    verdict: str
    score: float
    confidence: float


def doubtful(verdict: str, confidence: float) -> bool:
    """A mask passed although it is more likely flawed than not: the reasoner rejects only on
    evidence that correct masks of structures it never saw rarely show (a guardrail that
    rejects correct work is worse than none), so it passes some masks whose evidence leaves
    them under even odds. Those deserve a look before use, and the verdict says so."""
    return verdict == "acceptable" and confidence < 0.5


def verdict_text(verdict: str, confidence: float) -> str:
    """The verdict as people read it: a pass on doubtful evidence is named as one."""
    return f"{verdict} on doubt" if doubtful(verdict, confidence) else verdict


@dataclass(frozen=True)
class StageResult:
    """One stage as it ended: its name, text, findings and how long it took."""

    name: str
    text: str
    findings: tuple[Finding, ...] = ()
    seconds: float = 0.0


@dataclass(frozen=True)
class SnapshotRef:
    """Where a snapshot was taken and why; the PNG itself travels separately."""

    axis: int
    slice: int
    why: str


@dataclass
class BackendUsage:
    """Which backend and model answered, what it cost (calls, tokens) and whether from cache."""

    name: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_thinking: int = 0
    calls: int = 0
    cached: bool = False


@dataclass(frozen=True)
class InputDigest:
    """What was judged, without the pixels: hashes of the image and the mask, and the label."""

    image_sha256: str
    mask_sha256: str
    label: int


@dataclass
class Assessment:
    """The result of one run on one label: the verdict and why (the JSON record's fields)."""

    verdict: str
    confidence: float
    score: float
    structure: str
    modality: str
    stages: list[StageResult]
    measures: dict[str, Any]
    snapshots: list[SnapshotRef]
    backend: BackendUsage
    seconds: float
    input: InputDigest
    schema: str = field(default=SCHEMA)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, not {self.verdict!r}")
        for name in ("confidence", "score"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], not {value}")

    @property
    def doubtful(self) -> bool:
        """Passed although more likely flawed than not (:func:`doubtful`)."""
        return doubtful(self.verdict, self.confidence)

    @property
    def findings(self) -> list[Finding]:
        """Every stage's findings, in stage order."""
        return [f for stage in self.stages for f in stage.findings]

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data, keys in the schema's order."""
        data = asdict(self)
        order = [
            "schema",
            "verdict",
            "confidence",
            "score",
            "structure",
            "modality",
            "stages",
            "measures",
            "snapshots",
            "backend",
            "seconds",
            "input",
        ]
        return {key: data[key] for key in order}

    def to_json(self, indent: int | None = 2) -> str:
        """The record as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, default=plain_json)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Assessment:
        """Parse a record; raises ``ValueError`` for another schema or an invalid value."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} record (schema={data.get('schema')!r})")
        stages = [
            StageResult(
                name=s["name"],
                text=s["text"],
                findings=tuple(_finding_from_dict(f) for f in s.get("findings", [])),
                seconds=float(s.get("seconds", 0.0)),
            )
            for s in data["stages"]
        ]
        return cls(
            verdict=data["verdict"],
            confidence=float(data["confidence"]),
            score=float(data["score"]),
            structure=data["structure"],
            modality=data["modality"],
            stages=stages,
            measures=dict(data.get("measures", {})),
            snapshots=[SnapshotRef(**s) for s in data.get("snapshots", [])],
            backend=BackendUsage(**data["backend"]),
            seconds=float(data["seconds"]),
            input=InputDigest(**data["input"]),
        )

    @classmethod
    def from_json(cls, text: str) -> Assessment:
        """Parse a record from JSON text (see :meth:`from_dict`)."""
        return cls.from_dict(json.loads(text))


def _finding_from_dict(data: dict[str, Any]) -> Finding:
    where = data.get("where")
    return Finding(
        kind=data["kind"],
        severity=data["severity"],
        detail=data["detail"],
        where=_location_from_dict(where) if where else None,
    )


def _location_from_dict(data: dict[str, Any]) -> Location:
    point = data.get("point")
    return Location(int(data["axis"]), int(data["slice"]), tuple(point) if point else None)


def plain_json(value: Any) -> Any:
    """``json.dumps(default=...)`` for what records hold beyond JSON: numpy scalars and arrays
    (``tolist`` gives plain numbers and lists for both) and paths."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
