"""The pipeline's streaming, cancel and cache behaviour, independent of any UI."""

from __future__ import annotations

import threading
import time

import pytest

from napari_hcr.backends import make_backend
from napari_hcr.backends.base import StageAnswer
from napari_hcr.cache import AssessmentCache
from napari_hcr.case import make_case
from napari_hcr.reasoner import Done, Progress, StageDone, assess, assess_steps
from napari_hcr.stages import CaseFacts, StageRequest
from napari_hcr.verdict import STAGE_NAMES, BackendUsage
from synthetic import ball_case


class BlockingBackend:
    """Answers the first stage, then blocks until released: a model call that hangs."""

    name = "blocking"
    model = "blocking-1"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.closed = threading.Event()

    def open(self, facts: CaseFacts) -> BlockingBackend:
        return self

    def answer(self, request: StageRequest) -> StageAnswer:
        if request.spec.name != "knowledge_recall":
            self.release.wait(10)
        return StageAnswer(f"{request.spec.name} done")

    def usage(self) -> BackendUsage:
        return BackendUsage(self.name, self.model)

    def close(self) -> None:
        self.closed.set()


def test_stages_stream_in_order_then_one_done() -> None:
    events = list(assess_steps(ball_case(), make_backend("offline")))
    stage_events = [e for e in events if isinstance(e, StageDone)]
    assert [e.result.name for e in stage_events] == list(STAGE_NAMES)
    assert [e.index for e in stage_events] == [0, 1, 2, 3]
    assert isinstance(events[-1], Done)
    assert sum(isinstance(e, Done) for e in events) == 1
    assessment = events[-1].assessment
    assert assessment.verdict in ("acceptable", "unacceptable")
    assert assessment.backend.calls == 4
    assert [s.name for s in assessment.stages] == list(STAGE_NAMES)


def test_a_pending_call_yields_heartbeats_and_closing_abandons_it_quickly() -> None:
    backend = BlockingBackend()
    steps = assess_steps(ball_case(), backend, poll=0.05)
    seen_first_stage = False
    heartbeats_after = 0
    for event in steps:
        if isinstance(event, StageDone):
            seen_first_stage = True
        elif isinstance(event, Progress) and seen_first_stage:
            heartbeats_after += 1
            if heartbeats_after == 3:
                break
    started = time.perf_counter()
    steps.close()
    assert time.perf_counter() - started < 0.5
    assert backend.closed.is_set(), "closing the run must close the backend session"
    backend.release.set()


def test_cached_second_run_does_not_open_a_session(tmp_path) -> None:
    class CountingOffline:
        name = "offline"
        model = "offline-counting"

        def __init__(self) -> None:
            self.opened = 0
            self.inner = make_backend("offline")

        def open(self, facts):
            self.opened += 1
            return self.inner.open(facts)

    backend = CountingOffline()
    cache = AssessmentCache(tmp_path)
    first = assess(ball_case(), backend, cache=cache)
    second = assess(ball_case(), backend, cache=cache)
    assert backend.opened == 1
    assert second.backend.cached and not first.backend.cached
    assert second.verdict == first.verdict and second.stages == first.stages


def test_a_changed_mask_misses_the_cache(tmp_path) -> None:
    cache = AssessmentCache(tmp_path)
    case = ball_case()
    assess(case, make_backend("offline"), cache=cache)
    labels = case.labels.copy()
    labels[20, 24, 24] = 0
    edited = make_case(case.image, labels, structure="generic")
    calls_before = len(list(tmp_path.rglob("*.json")))
    assess(edited, make_backend("offline"), cache=cache)
    assert len(list(tmp_path.rglob("*.json"))) == calls_before + 1


def test_corrected_knowledge_misses_the_cache(tmp_path, monkeypatch) -> None:
    """A profile corrected in the table (a structure's contents, a source's range) changes what
    the stages recall: an answer written from the old text must not be served."""
    import napari_hcr.cache
    from napari_hcr.knowledge import knowledge_digest

    cache = AssessmentCache(tmp_path)
    assess(ball_case(), make_backend("offline"), cache=cache)
    assert assess(ball_case(), make_backend("offline"), cache=cache).backend.cached
    monkeypatch.setattr(napari_hcr.cache, "knowledge_digest", lambda: "0" * 16)
    assert knowledge_digest() != "0" * 16
    assert not assess(ball_case(), make_backend("offline"), cache=cache).backend.cached
    assert len(list(tmp_path.rglob("*.json"))) == 2


def test_unknown_backend_is_a_sentence() -> None:
    from napari_hcr.errors import HCRError

    with pytest.raises(HCRError, match="Unknown backend 'nope'"):
        make_backend("nope")


def test_a_timeout_raised_by_the_work_itself_is_raised_not_mistaken_for_a_tick() -> None:
    from napari_hcr.reasoner import with_heartbeats

    def times_out() -> None:
        raise TimeoutError("socket timed out")

    steps = with_heartbeats(times_out, 1, "working", poll=0.05)
    with pytest.raises(TimeoutError, match="socket timed out"):
        for _ in range(100):
            next(steps)


def test_knowledge_recall_runs_while_the_mask_is_measured(monkeypatch) -> None:
    """Stage 1 needs only the profile: its model call and the measuring overlap, so the
    evidence costs a model backend no wall-clock time. Each side waits to see the other start."""
    import napari_hcr.reasoner as reasoner

    recall_started, measuring_started = threading.Event(), threading.Event()
    real_measure = reasoner.measure

    def measure_after_recall_started(case, attenuation=None, grid_mm=None):
        measuring_started.set()
        assert recall_started.wait(5), "measuring waited for knowledge recall to finish first"
        return real_measure(case, attenuation, grid_mm)

    class RecallFirst:
        name, model = "recall-first", "r-1"

        def __init__(self) -> None:
            self.requests: list[StageRequest] = []
            self.inner = make_backend("offline").open(None)

        def open(self, facts):
            return self

        def answer(self, request: StageRequest) -> StageAnswer:
            self.requests.append(request)
            if request.spec.name == "knowledge_recall":
                recall_started.set()
                assert measuring_started.wait(5), "knowledge recall waited for the measuring to finish first"
            return self.inner.answer(request)

        def usage(self) -> BackendUsage:
            return BackendUsage(self.name, self.model, calls=len(self.requests))

        def close(self) -> None:
            pass

    monkeypatch.setattr(reasoner, "measure", measure_after_recall_started)
    backend = RecallFirst()
    assessment = assess(ball_case(), backend)
    assert [r.spec.name for r in backend.requests] == list(STAGE_NAMES)
    assert backend.requests[0].measures is None and backend.requests[0].snapshots == ()
    assert backend.requests[1].measures is not None and backend.requests[1].snapshots
    assert assessment.measures["voxels"] > 0
