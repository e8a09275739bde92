"""The run controller: one run at a time, cancel, stale results dropped, failures as sentences.

A QObject between the coordinator and the worker thread, tested without a viewer. Every start
takes a new *generation*; whatever an older run still yields (its worker can outlive a cancel
by one event) carries an older generation and is dropped, as ndv drops stale async results.
Staleness of the inputs is a predicate the coordinator supplies (the layers' edit counters);
it is checked on every event, so a result computed on data that changed is never emitted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from napari.qt.threading import GeneratorWorker
from qtpy.QtCore import QObject, Signal

from ..errors import HCRError
from ..reasoner import Done, Progress, StageDone
from ..runs import Cancelled, LabelFailed, LabelStarted, RunRequest
from ._worker import Drawn, start_worker

log = logging.getLogger(__name__)
Starter = Callable[..., tuple[GeneratorWorker, threading.Event]]


@dataclass
class _Active:
    generation: int
    worker: GeneratorWorker
    cancel: threading.Event
    is_stale: Callable[[], bool]
    outcome: str = "verdict"


class RunController(QObject):
    """Starts runs and turns what they yield into signals (``labelDone`` carries a :class:`Drawn`).

    ``finished`` carries the outcome: ``verdict`` (every label ended, failed ones included),
    ``cancelled``, ``error`` or ``stale`` (the inputs changed; nothing of the run is shown).
    """

    started = Signal()
    progressed = Signal(int, str)
    labelStarted = Signal(object)
    labelFailed = Signal(object)
    stageDone = Signal(object)
    labelDone = Signal(object)
    failed = Signal(str)
    staled = Signal()
    finished = Signal(str)

    def __init__(self, parent: QObject | None = None, starter: Starter = start_worker) -> None:
        super().__init__(parent)
        self.generation = 0
        self._active: _Active | None = None
        self._start = starter

    @property
    def running(self) -> bool:
        return self._active is not None

    @property
    def worker(self) -> GeneratorWorker | None:
        return self._active.worker if self._active is not None else None

    def start(self, request: RunRequest, is_stale: Callable[[], bool] = lambda: False) -> bool:
        """Start ``request`` unless a run is in flight; returns whether it started."""
        if self._active is not None:
            return False
        self.generation += 1
        generation = self.generation
        worker, cancel = self._start(
            request,
            partial(self._on_event, generation),
            partial(self._on_returned, generation),
            partial(self._on_error, generation),
            partial(self._on_finished, generation),
        )
        self.destroyed.connect(cancel.set)  # a controller deleted mid-run must not leave its run going
        self._active = _Active(generation, worker, cancel, is_stale)
        self.started.emit()
        return True

    def cancel(self) -> None:
        run = self._active
        if run is not None and run.outcome == "verdict":
            run.cancel.set()
            run.outcome = "cancelled"

    def mark_stale(self) -> None:
        """The inputs changed under the run: never show its result, and stop spending on it."""
        run = self._active
        if run is not None and run.outcome != "stale":
            run.cancel.set()
            run.outcome = "stale"
            self.staled.emit()

    def _current(self, generation: int) -> _Active | None:
        run = self._active
        return run if run is not None and run.generation == generation else None

    def _on_event(self, generation: int, event: Any) -> None:
        run = self._current(generation)
        if run is None or run.cancel.is_set():
            return
        if run.is_stale():
            self.mark_stale()
            return
        if isinstance(event, Progress):
            self.progressed.emit(event.step, event.message)
        elif isinstance(event, LabelStarted):
            self.labelStarted.emit(event)
        elif isinstance(event, LabelFailed):
            self.labelFailed.emit(event)
        elif isinstance(event, StageDone):
            self.stageDone.emit(event)
        elif isinstance(event, Drawn):
            self.labelDone.emit(event)
        elif isinstance(event, Done):
            self.labelDone.emit(Drawn(event))

    def _on_returned(self, generation: int, value: Any) -> None:
        run = self._current(generation)
        if run is not None and isinstance(value, Cancelled) and run.outcome == "verdict":
            run.outcome = "cancelled"

    def _on_error(self, generation: int, error: BaseException) -> None:
        run = self._current(generation)
        if run is None or run.outcome in ("stale", "cancelled"):
            log.debug("napari-hcr: error after the run was abandoned: %s", type(error).__name__)
            return
        run.outcome = "error"
        if isinstance(error, HCRError):
            log.info("napari-hcr check stopped: %s", error)
            self.failed.emit(str(error))
        else:
            log.error("napari-hcr check failed", exc_info=error)
            self.failed.emit(f"The check failed unexpectedly ({type(error).__name__}); details are in the log.")

    def _on_finished(self, generation: int) -> None:
        run = self._current(generation)
        if run is None:
            return
        self._active = None
        self.finished.emit(run.outcome)
