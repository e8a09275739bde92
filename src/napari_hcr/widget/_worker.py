"""Start a run (:mod:`napari_hcr.runs`) in napari's thread worker, with a flag that cancels it.

Everything slow already happens inside the run's generator, off the Qt thread. The one piece of
drawing that costs time, decoding and scaling the snapshot PNGs into thumbnails, is done here on
the worker thread too (into QImages, which any thread may make), so the Qt thread only shows them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from napari.qt.threading import GeneratorWorker, create_worker
from qtpy.QtGui import QImage

from ..reasoner import Done
from ..runs import Cancelled, RunEvent, RunRequest, run_events
from ._views import thumbnail


@dataclass(frozen=True)
class Drawn:
    """A label's verdict with its thumbnails ready to show."""

    done: Done
    images: tuple[QImage, ...] = ()


def drawn_events(request: RunRequest, cancel: threading.Event) -> Generator[RunEvent | Drawn, None, Cancelled | None]:
    """The run's events, each Done replaced by a :class:`Drawn`."""
    events = run_events(request, cancel)
    try:
        while True:
            try:
                event = next(events)
            except StopIteration as stop:
                return stop.value
            if isinstance(event, Done):
                yield Drawn(event, tuple(thumbnail(s.png, s.region) for s in event.snapshots))
            else:
                yield event
    finally:
        events.close()


def start_worker(
    request: RunRequest,
    on_event: Callable[[Any], None],
    on_returned: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    on_finished: Callable[[], None],
) -> tuple[GeneratorWorker, threading.Event]:
    """Start a run; returns the worker and the flag that cancels it."""
    cancel = threading.Event()
    worker: GeneratorWorker = create_worker(drawn_events, request, cancel, _start_thread=False, _ignore_errors=True)
    worker.yielded.connect(on_event)
    worker.returned.connect(on_returned)
    worker.errored.connect(on_error)
    worker.finished.connect(on_finished)
    worker.start()
    return worker, cancel
