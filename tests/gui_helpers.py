"""Helpers for the widget tests: isolation fixtures, a viewer with real anatomy, a slow backend.

``SlowBackend`` is a real backend (it keeps ``backends/base.py``'s Protocol and runs through
the real reasoner and thread worker); it only takes its time, so tests can watch a run in
flight, cancel it, or edit the layers under it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from qtpy.QtCore import QElapsedTimer, QTimer

from napari_hcr.backends.base import StageAnswer
from napari_hcr.stages import CaseFacts, StageRequest
from napari_hcr.verdict import BackendUsage, Decision, Finding, Location


def add_brain(viewer, anatomy, *, scale=None, labels=None, metadata: bool = True):
    """The MNI152 T1 and brain mask as napari layers, as a person would load them."""
    scale = anatomy.spacing if scale is None else scale
    image = viewer.add_image(anatomy.image, name="T1", scale=scale, metadata={"modality": "MRI-T1"} if metadata else {})
    mask = np.array(anatomy.mask if labels is None else labels, copy=True)
    layer = viewer.add_labels(mask, name="brain", scale=scale, metadata={"structure": "brain"} if metadata else {})
    return image, layer


@dataclass
class SlowBackend:
    """Answers every stage after ``delay`` seconds, with one located major finding."""

    delay: float = 0.3
    verdict: str = "unacceptable"
    where: Location = field(default_factory=lambda: Location(0, 30))
    fail_with: Exception | None = None
    name: str = "slow-test"
    model: str = "sleepy-1"
    facts: list[CaseFacts] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)
    answered: list[str] = field(default_factory=list)

    def open(self, facts: CaseFacts) -> SlowSession:
        self.facts.append(facts)
        return SlowSession(self)


class SlowSession:
    def __init__(self, backend: SlowBackend):
        self.backend = backend
        self.calls = 0

    def answer(self, request: StageRequest) -> StageAnswer:
        time.sleep(self.backend.delay)
        self.calls += 1
        if self.backend.fail_with is not None:
            raise self.backend.fail_with
        self.backend.answered.append(request.spec.name)
        name = request.spec.name
        if name == "anatomical_inference":
            finding = Finding("leak", "major", "The mask leaks past the brain surface.", self.backend.where)
            return StageAnswer(f"{request.spec.title}: one leak.", (finding,))
        if name == "clinical_synthesis":
            score = 0.2 if self.backend.verdict == "unacceptable" else 0.9
            return StageAnswer("Decided.", (), Decision(self.backend.verdict, score, 0.8))
        return StageAnswer(f"{request.spec.title}: noted.")

    def usage(self) -> BackendUsage:
        return BackendUsage(self.backend.name, self.backend.model, calls=self.calls)

    def close(self) -> None:
        self.backend.closed.set()


class StallMeter:
    """Measures the longest gap between ticks of a 10 ms QTimer: how long the UI froze."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.clock = QElapsedTimer()
        self.longest_ms = 0
        self.ticks = 0
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.clock.start()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        self.longest_ms = max(self.longest_ms, self.clock.restart())
        self.ticks += 1


def run_and_wait(qtbot, widget, *, backend=None, timeout: int = 30000) -> str:
    """Press Run (or start with ``backend``) and wait for the run to end; returns its outcome."""
    with qtbot.waitSignal(widget.runFinished, timeout=timeout) as blocker:
        if backend is None:
            widget.form.run_button.click()
        else:
            assert widget.run(backend)
    return blocker.args[0]


def wait_until(qtbot, condition: Callable[[], bool], timeout: int = 10000) -> None:
    qtbot.waitUntil(condition, timeout=timeout)
