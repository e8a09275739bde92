"""The run controller on its own: no viewer, no widget, only a Qt event loop and real runs."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from gui_helpers import SlowBackend
from napari_hcr.errors import BackendError
from napari_hcr.reasoner import Done, StageDone
from napari_hcr.runs import LabelStarted, RunRequest
from napari_hcr.widget._controller import RunController
from napari_hcr.widget._views import THUMB
from synthetic import ball_case


@pytest.fixture
def controller(qtbot):
    controller = RunController()
    seen: list[tuple[str, object]] = []
    for name in ("labelStarted", "stageDone", "labelDone", "failed", "staled", "finished"):
        getattr(controller, name).connect(lambda *args, name=name: seen.append((name, args[0] if args else None)))
    controller.seen = seen
    yield controller
    controller.cancel()


def ball_request(backend=None, **options) -> RunRequest:
    case = ball_case()
    factory = (lambda: backend) if backend is not None else RunRequest.backend
    return RunRequest(case.image, case.labels, case.spacing, labels=(1,), backend=factory, poll=0.02, **options)


def names(controller) -> list[str]:
    return [name for name, _ in controller.seen]


def test_a_run_emits_its_label_stages_verdict_then_finishes(qtbot, controller):
    with qtbot.waitSignal(controller.finished, timeout=20000) as blocker:
        assert controller.start(ball_request())
    assert blocker.args == ["verdict"]
    assert names(controller) == ["labelStarted"] + ["stageDone"] * 4 + ["labelDone", "finished"]
    events = [value for _, value in controller.seen]
    assert isinstance(events[0], LabelStarted) and isinstance(events[1], StageDone)
    assert isinstance(events[5].done, Done) and events[5].done.assessment.verdict in ("acceptable", "unacceptable")
    assert len(events[5].images) == len(events[5].done.snapshots) >= 1, "thumbnails are decoded by the worker"
    assert all(not image.isNull() and max(image.width(), image.height()) == THUMB for image in events[5].images)
    assert not controller.running


def test_only_one_run_at_a_time(qtbot, controller):
    backend = SlowBackend(delay=0.2)
    assert controller.start(ball_request(backend))
    assert not controller.start(ball_request())
    assert controller.generation == 1
    qtbot.waitSignal(controller.finished, timeout=20000).wait()


def test_cancel_ends_quickly_and_closes_the_session(qtbot, controller):
    backend = SlowBackend(delay=30.0)
    controller.start(ball_request(backend))
    qtbot.waitUntil(lambda: bool(backend.facts), timeout=10000)
    started = time.perf_counter()
    with qtbot.waitSignal(controller.finished, timeout=2000) as blocker:
        controller.cancel()
    assert blocker.args == ["cancelled"]
    assert time.perf_counter() - started < 1.0
    assert backend.closed.is_set()
    assert "labelDone" not in names(controller)


def test_changed_inputs_make_the_run_stale_and_nothing_of_it_is_emitted(qtbot, controller):
    changed = threading.Event()
    controller.start(ball_request(SlowBackend(delay=0.1)), changed.is_set)
    qtbot.waitUntil(lambda: "stageDone" in names(controller), timeout=10000)
    changed.set()
    with qtbot.waitSignal(controller.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == ["stale"]
    assert "staled" in names(controller)
    assert "labelDone" not in names(controller)


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (BackendError("The model refused to look at this image."), "The model refused to look at this image."),
        (ZeroDivisionError("x"), "The check failed unexpectedly (ZeroDivisionError); details are in the log."),
    ],
)
def test_failures_reach_the_views_as_one_sentence(qtbot, controller, error, sentence):
    with qtbot.waitSignal(controller.finished, timeout=20000) as blocker:
        controller.start(ball_request(SlowBackend(delay=0.0, fail_with=error)))
    assert blocker.args == ["error"]
    assert ("failed", sentence) in controller.seen


def test_what_an_earlier_generation_yields_is_dropped(qtbot):
    """The ndv rule: a superseded run's late events never reach the views."""
    calls: list[tuple] = []

    def starter(request, on_event, on_returned, on_error, on_finished):
        calls.append((on_event, on_finished))
        return object(), threading.Event()

    controller = RunController(starter=starter)
    done: list[object] = []
    controller.labelDone.connect(done.append)
    controller.start(ball_request())
    first_event, first_finished = calls[0]
    first_finished()
    controller.start(ball_request())
    late = Done(assessment=None, snapshots=())
    first_event(late)
    first_finished()
    assert done == [] and controller.running and controller.generation == 2
    calls[1][0](late)
    assert [d.done for d in done] == [late]


def test_the_input_arrays_are_never_copied_on_the_calling_thread(qtbot, controller):
    case = ball_case()
    reads: list[str] = []

    def mask() -> np.ndarray:
        reads.append(threading.current_thread().name)
        return case.labels

    request = RunRequest(case.image, mask, case.spacing, labels=(1,), poll=0.02)
    with qtbot.waitSignal(controller.finished, timeout=20000):
        controller.start(request)
    assert reads and reads[0] != threading.main_thread().name
