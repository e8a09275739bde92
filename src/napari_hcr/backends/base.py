"""The small contract every reasoning backend keeps.

A backend opens one :class:`Session` per assessment (an LLM conversation holds history, so
it must never be shared between runs) and answers the four stages in order. Answers are
plain dataclasses; the reasoner adds timing and builds the :class:`Assessment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..stages import CaseFacts, StageRequest
from ..verdict import BackendUsage, Decision, Finding

__all__ = ["Backend", "Session", "StageAnswer"]


@dataclass(frozen=True)
class StageAnswer:
    """One stage's answer: its text, its findings and, from the clinical synthesis, the decision."""

    text: str
    findings: tuple[Finding, ...] = ()
    decision: Decision | None = None


class Session(Protocol):
    """One assessment's conversation with a backend, stage after stage."""

    def answer(self, request: StageRequest) -> StageAnswer:
        """Answer one stage; raise ``BackendError`` with a plain sentence on failure."""
        ...

    def usage(self) -> BackendUsage:
        """What the session cost so far: calls and tokens."""
        ...

    def close(self) -> None:
        """Release the conversation; called even when the run is cancelled."""
        ...


class Backend(Protocol):
    """A way of answering the stages: offline, Gemini or a local model server."""

    name: str
    model: str

    def open(self, facts: CaseFacts) -> Session:
        """Start one assessment's session; ``facts`` never carry names, paths or patient data."""
        ...
