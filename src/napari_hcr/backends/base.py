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

__all__ = ["Backend", "Decision", "Session", "StageAnswer"]


@dataclass(frozen=True)
class StageAnswer:
    text: str
    findings: tuple[Finding, ...] = ()
    decision: Decision | None = None


class Session(Protocol):
    def answer(self, request: StageRequest) -> StageAnswer:
        """Answer one stage; raise ``BackendError`` with a plain sentence on failure."""
        ...

    def usage(self) -> BackendUsage: ...

    def close(self) -> None:
        """Release the conversation; called even when the run is cancelled."""
        ...


class Backend(Protocol):
    name: str
    model: str

    def open(self, facts: CaseFacts) -> Session: ...
