"""The driver of a batch: tasks out to an engine, each record into DIR the moment it is back.

Records are appended and flushed one by one, so Ctrl-C (or a killed driver) loses only the
cases still running; summary.csv and report.html are rebuilt from everything in DIR when the
run ends, however it ends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .cohort import SUMMARY, write_report, write_summary
from .engines import Engine
from .inputs import BatchCase
from .store import Record, ResultStore, failed
from .task import BackendSpec, Task, TaskResult


@dataclass
class BatchOutcome:
    """What a run did: records written now, labels skipped as already in DIR, the failures
    among this run's cases (from any run), and whether Ctrl-C ended it."""

    cases: int
    written: int = 0
    skipped: int = 0
    failures: list[Record] = field(default_factory=list)
    interrupted: bool = False
    peak_mb: float = 0.0
    records: list[Record] = field(default_factory=list)


def run_batch(
    cases: Sequence[BatchCase],
    folder: Path,
    engine: Engine,
    backend: BackendSpec,
    on_result: Callable[[TaskResult], None] | None = None,
) -> BatchOutcome:
    """Run every case not already assessed in ``folder``; see the module docstring."""
    folder.mkdir(parents=True, exist_ok=True)
    store = ResultStore(folder)
    done = store.done_keys()
    tasks = [Task(case, backend, done.get((case.image, case.mask), frozenset())) for case in cases]
    outcome = BatchOutcome(cases=len(tasks))
    try:
        for result in engine.run(tasks):
            for record in result.records:
                store.append(record, result.thumbnails)
            outcome.written += len(result.records)
            outcome.skipped += result.skipped
            outcome.peak_mb = max(outcome.peak_mb, result.peak_mb)
            if on_result is not None:
                on_result(result)
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        engine.close()
        store.close()
        outcome.records = store.records()
        write_summary(outcome.records, folder / SUMMARY)
        write_report(outcome.records, folder)
    ours = {case.id for case in cases}
    outcome.failures = [r for r in outcome.records if failed(r) and r["case"] in ours]
    return outcome
