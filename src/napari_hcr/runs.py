"""One run over one or several labels of a mask, and the events it yields.

Every front end starts its work here: the widget wraps :func:`run_events` in napari's thread
worker, the CLI and batch iterate it directly. A run materialises its inputs, finds the labels
to judge, checks the inputs once, derives one :class:`~napari_hcr.case.Case` per label from
them and relays the reasoner's events for each, announcing every label with
:class:`LabelStarted`. Slow single steps (reading lazily stored arrays, ``np.unique`` over a
large mask, building a backend that imports an SDK) run on a helper thread while the generator
keeps yielding heartbeats, so a cancel is seen within ``poll`` seconds and nothing slow ever
runs on the caller's thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import numpy as np

from .backends import Backend, make_backend
from .cache import AssessmentCache
from .case import Case, make_case
from .errors import CannotAssess, HCRError, InputError
from .knowledge import GENERIC, canonical_structure, load_profile
from .reasoner import Done, Progress, StageDone, assess_steps, with_heartbeats

#: An array, or a zero-argument callable returning one (read on the worker thread, not the caller's).
Source = Any
LabelChoice = tuple[int, ...] | Literal["all", "largest"]


@dataclass(frozen=True)
class RunRequest:
    """What to judge and how: the inputs, which labels, each label's structure, the backend.

    ``labels`` is a tuple of label values, ``"all"`` (every label present in the mask) or
    ``"largest"`` (the only label, or the largest of several). ``structures`` maps a label to
    its structure name; labels it does not name take ``structure``. ``backend`` is a factory
    because building a model backend imports a large SDK, which must happen off the UI thread.
    """

    image: Source
    mask: Source
    spacing: tuple[float, ...] | None = None
    labels: LabelChoice = "largest"
    structures: Mapping[int, str] = field(default_factory=dict)
    structure: str = GENERIC
    modality: str = "MRI-T1"
    backend: Callable[[], Backend] = field(default=partial(make_backend, "offline"))
    cache: AssessmentCache | None = None
    poll: float = 0.1

    def structure_of(self, label: int) -> str:
        """The structure label ``label`` is judged as."""
        return self.structures.get(label, self.structure)


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
    """Returned (not raised) when the run was cancelled, so a front end can say so calmly."""


RunEvent = Progress | StageDone | Done | LabelStarted | LabelFailed


def run_events(
    request: RunRequest, cancel: threading.Event | None = None
) -> Generator[RunEvent, None, Cancelled | None]:
    """Yield the run's events; return :class:`Cancelled` once ``cancel`` is set.

    After each event a set ``cancel`` closes the run here, on the thread that iterates it, which
    closes the backend session (abandoning an LLM conversation) before the generator ends.
    """
    events = _events(request)
    try:
        for event in events:
            yield event
            if cancel is not None and cancel.is_set():
                return Cancelled()
    finally:
        events.close()
    return None


def materialise(source: Source) -> np.ndarray:
    """An array from an array, a lazily stored array (dask, zarr) or a callable returning one."""
    return np.asarray(source() if callable(source) else source)


def present_labels(mask: np.ndarray) -> tuple[int, ...]:
    """Every non-zero label value of ``mask``, ascending."""
    return tuple(int(v) for v in np.unique(mask) if v != 0)


def _events(request: RunRequest) -> Generator[RunEvent, None, None]:
    """LabelStarted, then the reasoner's events, for each label in turn."""
    poll = request.poll
    backend = yield from with_heartbeats(request.backend, 0, "Preparing the backend", poll)
    image, mask = yield from with_heartbeats(
        lambda: (materialise(request.image), materialise(request.mask)), 0, "Reading the inputs", poll
    )
    values: tuple[int | None, ...]
    if request.labels == "all":
        values = yield from with_heartbeats(partial(present_labels, mask), 0, "Finding the labels", poll)
        if not values:
            raise InputError("The mask is empty: no voxel carries a label, so there is nothing to judge.")
        request = replace(
            request, structures=named_alike(request.structures, request.structure, request.modality, values)
        )
    elif request.labels == "largest":
        values = (None,)
    else:
        values = request.labels
    first: Case | None = None  # the first label's case: the checked image and label map every label shares
    for position, value in enumerate(values):
        try:
            if first is None or value is None:
                case: Case = yield from with_heartbeats(
                    partial(_case, request, image, mask, value), 0, "Checking the input", poll
                )
                first = case
            else:
                case = first.relabelled(value, request.structure_of(value))
        except HCRError as error:
            if len(values) == 1 or value is None:
                raise
            yield LabelFailed(int(value), str(error))
            continue
        yield LabelStarted(case.label, case.structure, position, len(values))
        try:
            yield from assess_steps(case, backend, cache=request.cache, poll=poll)
        except CannotAssess as error:  # one label on an unreadable patch: the others still get judged
            if len(values) == 1 or value is None:
                raise
            yield LabelFailed(case.label, str(error))


def named_alike(
    structures: Mapping[int, str], structure: str, modality: str, values: tuple[int, ...]
) -> Mapping[int, str]:
    """The label names of a run over ``values``, all the labels of a mask: every label named
    ``structure`` when no label table named them and that is a known structure (the nuclei of
    a StarDist output judged as nuclei). The labels are then peers of one another
    (:mod:`napari_hcr.peers`) and a leak names the label it runs into as that structure. A
    mask without a label table judged as the generic structure stays unnamed: its labels may
    be anything."""
    if structures or not load_profile(structure, modality).specific:
        return structures
    return dict.fromkeys(values, structure)


def _case(request: RunRequest, image: np.ndarray, mask: np.ndarray, label: int | None) -> Case:
    structure = request.structure if label is None else request.structure_of(label)
    case = make_case(
        image,
        mask,
        label=label,
        spacing=request.spacing,
        structure=structure,
        modality=request.modality,
        names=request.structures,
    )
    if label is None and case.label in request.structures:  # the largest label has a name of its own
        case = replace(case, structure=canonical_structure(request.structures[case.label]))
    return case
