"""A run over one or several labels: the events every front end consumes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from napari_hcr.errors import InputError
from napari_hcr.reasoner import Done, StageDone
from napari_hcr.runs import Cancelled, LabelFailed, LabelStarted, RunRequest, present_labels, run_events
from synthetic import ball_case


def _two_labels() -> tuple[np.ndarray, np.ndarray]:
    """The ball as label 1 and one voxel of label 7 in a corner (too small to judge)."""
    case = ball_case()
    mask = case.labels.astype(np.uint8)
    mask[:6, :6, :6] = 0
    mask[0, 0, 0] = 7
    mask[40:46, 2:8, 2:8] = 3
    return case.image, mask


def _drain(generator):
    events = []
    while True:
        try:
            events.append(next(generator))
        except StopIteration as stop:
            return events, stop.value


def test_every_label_gets_its_own_structure_and_verdict() -> None:
    image, mask = _two_labels()
    request = RunRequest(image, mask, (1.0, 1.0, 1.0), labels=(1, 3), structures={3: "liver"}, structure="brain")
    events, returned = _drain(run_events(request))
    started = [e for e in events if isinstance(e, LabelStarted)]
    assert [(e.label, e.structure, e.position, e.count) for e in started] == [(1, "brain", 0, 2), (3, "liver", 1, 2)]
    done = [e for e in events if isinstance(e, Done)]
    assert [d.assessment.input.label for d in done] == [1, 3]
    assert [d.assessment.structure for d in done] == ["brain", "liver"]
    assert sum(isinstance(e, StageDone) for e in events) == 8
    assert returned is None


def test_all_finds_every_label_and_inputs_may_be_callables_read_by_the_run() -> None:
    image, mask = _two_labels()
    readers: list[str] = []

    def read_mask() -> np.ndarray:
        readers.append(threading.current_thread().name)
        return mask

    events, _ = _drain(run_events(RunRequest(lambda: image, read_mask, labels="all")))
    assert present_labels(mask) == (1, 3, 7)
    assert [e.label for e in events if isinstance(e, LabelStarted | LabelFailed)][:1] == [1]
    assert readers and readers[0] != threading.current_thread().name, "inputs are read on a helper thread"
    assert {d.assessment.input.label for d in events if isinstance(d, Done)} >= {1, 3}


@pytest.mark.parametrize("labels", [(1, 9), (9, 1)])
def test_a_label_that_cannot_be_judged_fails_alone_in_a_multi_label_run(labels) -> None:
    image, mask = _two_labels()
    events, _ = _drain(run_events(RunRequest(image, mask, labels=labels)))
    failed = [e for e in events if isinstance(e, LabelFailed)]
    assert [f.label for f in failed] == [9]
    assert "Label 9 does not occur" in failed[0].message
    assert [d.assessment.input.label for d in events if isinstance(d, Done)] == [1]


def test_a_single_label_failure_is_raised_as_its_sentence() -> None:
    image, mask = _two_labels()
    with pytest.raises(InputError, match="Label 9 does not occur"):
        _drain(run_events(RunRequest(image, mask, labels=(9,))))
    with pytest.raises(InputError, match="mask is empty"):
        _drain(run_events(RunRequest(image, np.zeros_like(mask), labels="all")))


def test_largest_judges_the_largest_label() -> None:
    image, mask = _two_labels()
    events, _ = _drain(run_events(RunRequest(image, mask)))
    assert [e.label for e in events if isinstance(e, LabelStarted)] == [1]


def test_a_set_cancel_ends_the_run_after_the_next_event() -> None:
    image, mask = _two_labels()
    cancel = threading.Event()
    generator = run_events(RunRequest(image, mask, labels=(1, 3)), cancel)
    next(generator)
    cancel.set()
    events, returned = _drain(generator)
    assert events == []
    assert isinstance(returned, Cancelled)
