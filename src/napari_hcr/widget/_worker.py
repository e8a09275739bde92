"""Start a run (:mod:`napari_hcr.runs`) in napari's thread worker, with a flag that cancels it.

Everything slow already happens inside the run's generator, off the Qt thread; this module only
hands that generator to ``create_worker`` and connects the callbacks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from napari.qt.threading import GeneratorWorker, create_worker

from ..runs import RunRequest, run_events


def start_worker(
    request: RunRequest,
    on_event: Callable[[Any], None],
    on_returned: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    on_finished: Callable[[], None],
) -> tuple[GeneratorWorker, threading.Event]:
    """Start a run; returns the worker and the flag that cancels it."""
    cancel = threading.Event()
    worker: GeneratorWorker = create_worker(run_events, request, cancel, _start_thread=False, _ignore_errors=True)
    worker.yielded.connect(on_event)
    worker.returned.connect(on_returned)
    worker.errored.connect(on_error)
    worker.finished.connect(on_finished)
    worker.start()
    return worker, cancel
