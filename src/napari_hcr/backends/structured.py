"""The JSON every LLM stage answers with: schemas, extraction from prose, validation.

Transport-free so each chat backend (Gemini, OpenAI-compatible servers) validates answers the
same way. The schemas are deliberately flat (axis and slice as plain nullable integers):
small local models and Gemini's schema dialect both follow flat schemas far more reliably
than nested ones. Validation is forgiving where a model is sloppy but the meaning is clear
(``"Major"``, a slice outside the volume) and strict where it is not (no verdict, bad JSON),
so a :class:`AnswerError` names something a repair turn can ask the model to fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from ..verdict import Decision, Finding, Location
from .base import StageAnswer

SYNTHESIS = "clinical_synthesis"


class AnswerError(ValueError):
    """A model's answer cannot be used; ``str()`` says why in words the model can act on."""


class FindingModel(BaseModel):
    kind: str = Field(description="Stable snake_case name, e.g. leak, missing_part, spurious_island.")
    severity: Literal["info", "minor", "major"]
    axis: int | None = Field(default=None, description="Array axis of the slice, or null.")
    slice: int | None = Field(default=None, description="Slice index along that axis, or null.")
    detail: str

    @field_validator("severity", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("kind", mode="before")
    @classmethod
    def _snake(cls, value: Any) -> Any:
        if isinstance(value, str):
            return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_") or "finding"
        return value


class StageModel(BaseModel):
    text: str = Field(description="The stage's reasoning in a few plain sentences.")
    findings: list[FindingModel] = Field(default_factory=list)


class SynthesisModel(StageModel):
    verdict: Literal["acceptable", "unacceptable"]
    score: float = Field(ge=0.0, le=1.0, description="Probability that the mask is clinically acceptable.")
    confidence: float = Field(ge=0.0, le=1.0, description="Probability that the verdict is right.")

    @field_validator("verdict", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


def schema_for(stage: str) -> type[StageModel]:
    return SynthesisModel if stage == SYNTHESIS else StageModel


def extract_json(text: str) -> dict[str, Any]:
    """The JSON object in ``text``, which may wrap it in prose or a code fence.

    Tolerates trailing commas (a common small-model slip). Prefers an object with a ``text``
    field, so a finding nested inside a truncated answer is not mistaken for the answer.
    Raises :class:`AnswerError` when no complete object is found rather than guessing its end.
    """
    first = None
    for value in _objects(text):
        if "text" in value:
            return value
        first = first or value
    if first is None:
        raise AnswerError("the answer holds no complete JSON object")
    return first


def _objects(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object that parses from some ``{`` in the text, its fenced blocks first."""
    candidates = re.findall(r"```(?:json|JSON)?\s*(.*?)```", text, flags=re.DOTALL) + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        for source in (candidate, re.sub(r",\s*([}\]])", r"\1", candidate)):
            start = source.find("{")
            while start != -1:
                try:
                    value, _ = decoder.raw_decode(source, start)
                except json.JSONDecodeError:
                    value = None
                if isinstance(value, dict):
                    yield value
                start = source.find("{", start + 1)


def parse_stage(stage: str, text: str, shape: tuple[int, ...]) -> StageAnswer:
    """Validate one stage's raw answer against its schema and the case's shape."""
    data = extract_json(text)
    model = schema_for(stage)
    try:
        parsed = model.model_validate(data)
    except ValidationError as error:
        raise AnswerError(_describe(error)) from None
    if not parsed.text.strip():
        raise AnswerError("the 'text' field is empty")
    findings = tuple(
        Finding(kind=f.kind, severity=f.severity, detail=f.detail.strip(), where=locate(f.axis, f.slice, shape))
        for f in parsed.findings
    )
    decision = None
    if isinstance(parsed, SynthesisModel):
        decision = Decision(parsed.verdict, float(parsed.score), float(parsed.confidence))
    return StageAnswer(parsed.text.strip(), findings, decision)


def locate(axis: int | None, index: int | None, shape: tuple[int, ...]) -> Location | None:
    """A Location the viewer can jump to, or None when the model's one does not exist.

    A 2-D case has a single place (axis -1, slice 0); a 3-D location outside the volume is
    dropped rather than trusted, since jumping to a made-up slice would mislead.
    """
    if len(shape) == 2:
        return Location(-1, 0) if axis is not None or index is not None else None
    if axis is None or index is None:
        return None
    if not 0 <= axis < len(shape) or not 0 <= index < shape[axis]:
        return None
    return Location(axis, index)


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors()[:4]:
        where = ".".join(str(p) for p in item["loc"]) or "the object"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)
