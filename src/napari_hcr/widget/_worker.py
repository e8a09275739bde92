"""The generator that runs in napari's thread worker, and how it is started and cancelled.

Everything slow happens here, off the Qt thread: materialising the layer data, building the
Case (``np.unique`` over the mask), and the reasoner itself. Slow single calls go to a helper
thread while the generator keeps yielding heartbeats, so a cancel is seen within ``poll``
seconds. Cancelling sets a flag the generator checks after every yield and then closes the
reasoner from the worker thread, which closes the backend session (abandoning an LLM
conversation) before the worker reports that it finished.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
from napari.qt.threading import GeneratorWorker, create_worker

from ..backends.base import Backend
from ..cache import AssessmentCache
from ..case import Case, make_case
from ..errors import HCRError, InputError
from ..reasoner import assess_steps, with_heartbeats
from ._layers import LayerInputs, to_array


@dataclass(frozen=True)
class RunRequest:
    """One press of Run: which layers, which labels (``None``: every label present), how.

    ``backend`` is a factory: building one may import a large SDK, which must not happen on
    the Qt thread.
    """

    inputs: LayerInputs
    labels: tuple[int, ...] | None
    structures: dict[int, str]
    default_structure: str
    modality: str
    backend: Callable[[], Backend]
    cache: AssessmentCache | None
    poll: float = 0.1

    def structure(self, label: int) -> str:
        return self.structures.get(label, self.default_structure)


@dataclass(frozen=True)
class LabelStarted:
    """The events that follow belong to this label, until the next LabelStarted."""

    label: int
    structure: str
    position: int
    count: int


@dataclass(frozen=True)
class LabelFailed:
    """One label of a multi-label run could not be assessed; the others go on."""

    label: int
    message: str


@dataclass(frozen=True)
class Cancelled:
    """Returned (not raised) when the person cancelled, so the UI can say so calmly."""


def run_events(request: RunRequest, cancel: threading.Event) -> Generator[Any, None, Cancelled | None]:
    """Relay the run's events; after each one, honour a cancel by closing the run here,
    in the worker thread, which closes the backend session before the worker finishes."""
    events = _events(request)
    try:
        for event in events:
            yield event
            if cancel.is_set():
                return Cancelled()
    finally:
        events.close()
    return None


def _events(request: RunRequest) -> Generator[Any, None, None]:
    """Yield LabelStarted, then the reasoner's events, for each label in turn."""
    backend = yield from with_heartbeats(request.backend, 0, "Preparing the backend", request.poll)
    image, labels = yield from with_heartbeats(
        lambda: (to_array(request.inputs.image), to_array(request.inputs.labels)), 0, "Reading the layers", request.poll
    )
    if request.labels is None:
        values = yield from with_heartbeats(lambda: _present_labels(labels), 0, "Finding the labels", request.poll)
    else:
        values = request.labels
    if not values:
        raise InputError("The mask is empty: no voxel carries a label, so there is nothing to judge.")
    for position, value in enumerate(values):
        try:
            case: Case = yield from with_heartbeats(
                lambda v=value: make_case(
                    image,
                    labels,
                    label=v,
                    spacing=request.inputs.spacing,
                    structure=request.structure(v),
                    modality=request.modality,
                ),
                0,
                "Checking the input",
                request.poll,
            )
        except HCRError as error:
            if len(values) == 1:
                raise
            yield LabelFailed(int(value), str(error))
            continue
        yield LabelStarted(int(value), case.structure, position, len(values))
        yield from assess_steps(case, backend, cache=request.cache, poll=request.poll)


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


def _present_labels(labels: np.ndarray) -> tuple[int, ...]:
    values = np.unique(labels)
    return tuple(int(v) for v in values if v != 0)
