"""Auto re-check: a short moment after the person stops painting, ask for one more run.

Strokes restart a single-shot timer (the debounce). When it fires while a run is still going,
the re-check waits for that run to finish and then fires once, so painting never starts a
second run beside the first.
"""

from __future__ import annotations

from collections.abc import Callable

from qtpy.QtCore import QObject, QTimer, Signal


class AutoRecheck(QObject):
    """Emits ``due`` once per pause in painting, never while ``busy()`` is true."""

    due = Signal()

    def __init__(self, busy: Callable[[], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.enabled = False
        self.delay_ms = 800
        self.pending = False
        self._busy = busy
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._fire)

    def configure(self, enabled: bool, delay_ms: int) -> None:
        self.enabled = enabled
        self.delay_ms = delay_ms
        if not enabled:
            self.stop()

    def painted(self) -> None:
        """A stroke on the watched labels: (re)start the debounce."""
        if self.enabled:
            self.timer.start(self.delay_ms)

    def run_finished(self) -> None:
        """The run in flight ended: a re-check that waited for it fires now."""
        if self.pending:
            self.pending = False
            self.timer.start(0)

    def stop(self) -> None:
        self.timer.stop()
        self.pending = False

    def _fire(self) -> None:
        if self._busy():
            self.pending = True
            return
        self.due.emit()
