"""The HCR pipeline: evidence and the four stages, each stage yielded as soon as it ends.

``assess_steps`` is a generator so the widget's thread worker can show stages as they arrive
and stop it at any yield. Slow steps (measures on a large volume, a model call) run on a
helper thread while the generator keeps yielding :class:`Progress` ticks every ``poll``
seconds, so a cancel is honoured within one tick even when a call is still pending; the
abandoned call finishes in the background and its answer is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TypeVar

from .attenuation import tissue_band
from .backends.base import Backend, StageAnswer
from .cache import AssessmentCache, cache_key
from .case import Case
from .errors import BackendError
from .knowledge import Profile, load_profile
from .measures import Measures, measure
from .peers import peer_evidence
from .readability import check_readable
from .scoring import reading_grid
from .snapshots import Snapshot, take_snapshots
from .stages import PROMPT_VERSION, STAGES, CaseFacts, StageRequest
from .verdict import Assessment, StageResult

T = TypeVar("T")
TOTAL_STEPS = len(STAGES)
EVIDENCE = "Measuring the mask and rendering snapshots"
READING = "Checking that the image can be read"


@dataclass(frozen=True)
class Progress:
    """A heartbeat: stage ``step`` of ``TOTAL_STEPS`` is under way (0: before the stages);
    ``message`` says what is being waited for."""

    step: int
    message: str


@dataclass(frozen=True)
class Evidence:
    """Measures and snapshots, with the seconds each took (``seconds``: step name -> seconds)."""

    measures: Measures
    snapshots: tuple[Snapshot, ...]
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StageDone:
    """Stage ``index`` ended with ``result``; ``evidence`` is what the stages were shown."""

    index: int
    result: StageResult
    evidence: Evidence


@dataclass(frozen=True)
class Done:
    """The run ended with a verdict: the assessment and the snapshots it refers to."""

    assessment: Assessment
    snapshots: tuple[Snapshot, ...]


Event = Progress | StageDone | Done


def assess_steps(
    case: Case,
    backend: Backend,
    *,
    cache: AssessmentCache | None = None,
    poll: float = 0.1,
) -> Generator[Event, None, None]:
    """Run HCR on ``case``; yields Progress ticks, each StageDone in order, then one Done.

    Knowledge recall needs only the profile, so its call runs while the mask is measured and
    the snapshots are rendered: with a model backend the evidence costs no wall-clock time.
    """
    started = time.perf_counter()
    # An unreadable image (blank, non-finite, no contrast) raises CannotAssess here, before any verdict.
    yield from with_heartbeats(partial(check_readable, case), 0, READING, poll)
    checked = time.perf_counter() - started
    profile = load_profile(case.structure, case.modality)
    key = cache_key(case, backend.name, backend.model, PROMPT_VERSION) if cache else None
    cached = cache.get(key) if cache and key else None
    evidence_work = _POOL.submit(_gather_evidence, case, profile)

    if cached is not None:
        ready = yield from _waiting(evidence_work, 1, EVIDENCE, poll)
        for index, stage in enumerate(cached.stages):
            yield StageDone(index, stage, ready)
        cached.backend.cached = True
        yield Done(cached, ready.snapshots)
        return

    spacing = case.spacing if case.spacing_known else ()
    facts = CaseFacts(case.structure, case.modality, tuple(case.image.shape), spacing, case.label)
    session = backend.open(facts)
    results: list[StageResult] = []
    decision = None
    evidence: Evidence | None = None
    try:
        for index, spec in enumerate(STAGES):
            step = 1 + index
            yield Progress(step, spec.title)
            if evidence is None and (spec.sees_measures or spec.sees_snapshots):
                evidence = yield from _waiting(evidence_work, step, EVIDENCE, poll)
            request = StageRequest(
                spec,
                facts,
                profile,
                evidence.measures if evidence else None,
                evidence.snapshots if evidence else (),
                tuple(results),
            )
            t0 = time.perf_counter()
            answer: StageAnswer = yield from with_heartbeats(partial(session.answer, request), step, spec.title, poll)
            results.append(StageResult(spec.name, answer.text, answer.findings, time.perf_counter() - t0))
            decision = answer.decision or decision
            if evidence is None:
                evidence = yield from _waiting(evidence_work, step, EVIDENCE, poll)
            yield StageDone(index, results[-1], evidence)
        usage = session.usage()
    finally:
        session.close()
    if decision is None:
        raise BackendError("The clinical synthesis stage gave no verdict.", stage=STAGES[-1].name)
    assert evidence is not None  # every stage waits for the evidence at the latest when it ends
    assessment = Assessment(
        verdict=decision.verdict,
        confidence=decision.confidence,
        score=decision.score,
        structure=case.structure,
        modality=case.modality,
        stages=results,
        measures={**evidence.measures.to_dict(), "seconds": _timing(checked, evidence)},
        snapshots=[s.ref for s in evidence.snapshots],
        backend=usage,
        seconds=time.perf_counter() - started,
        input=case.digest(),
    )
    if cache and key:
        cache.put(key, assessment)
    yield Done(assessment, evidence.snapshots)


def assess(case: Case, backend: Backend, *, cache: AssessmentCache | None = None) -> Assessment:
    """Run to the end without a UI; the CLI and the benchmark call this."""
    for event in assess_steps(case, backend, cache=cache, poll=3600.0):
        if isinstance(event, Done):
            return event.assessment
    raise AssertionError("assess_steps ended without a Done event")


_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="napari-hcr")


def with_heartbeats(work: Callable[[], T], step: int, message: str, poll: float) -> Generator[Progress, None, T]:
    """Run ``work`` on a helper thread, yielding Progress every ``poll`` s until it ends.

    Closing the generator (a cancel) abandons the work; the helper thread finishes alone.
    Front ends use it too for their own slow steps (reading layers, building a backend).
    """
    return (yield from _waiting(_POOL.submit(work), step, message, poll))


def _waiting(future: Future[T], step: int, message: str, poll: float) -> Generator[Progress, None, T]:
    while True:
        try:
            return future.result(timeout=poll)
        except TimeoutError:
            if future.done():
                raise  # the work itself timed out (a socket, say): that is its error, not a tick
            yield Progress(step, message)


def _gather_evidence(case: Case, profile: Profile) -> Evidence:
    attenuation = tissue_band(profile)
    t0 = time.perf_counter()
    measures = measure(case, attenuation, reading_grid(profile, case.ndim))
    t1 = time.perf_counter()
    peers = peer_evidence(case, profile, attenuation)
    if peers is not None:
        measures = replace(measures, peers=peers)
    t2 = time.perf_counter()
    snapshots = tuple(take_snapshots(case, measures))
    seconds = {"measures": t1 - t0, **({"peers": t2 - t1} if peers else {}), "snapshots": time.perf_counter() - t2}
    return Evidence(measures, snapshots, seconds)


def _timing(checked: float, evidence: Evidence) -> dict[str, float]:
    """Where the evidence's time went, for the record: the stages keep their own seconds."""
    return {name: round(value, 3) for name, value in {"readability": checked, **evidence.seconds}.items()}
