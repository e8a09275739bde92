"""What a run's events mean for the views: each label's result, the review log, the shown result.

The controller says what happened (a label started, a stage ended, a verdict, staleness); this
part keeps the per-label results of the run in flight and the last one, adds each verdict to
the review log, and tells the results panel what to draw. It knows nothing of napari beyond the
names of the layers a run read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from qtpy.QtCore import QObject

from ..reasoner import StageDone
from ..report import ReviewEntry
from ..runs import LabelFailed, LabelStarted
from ..verdict import Assessment
from ..wording import duration, time_steps
from ._controller import RunController
from ._results import LabelResult, ResultsPanel, usage_text
from ._review import ReviewLog
from ._worker import Drawn

STALE = "The labels changed while the check ran; run it again."


@dataclass
class RunRecord:
    """The run in flight: which labels layer it read, how it was started, what it produced."""

    labels_name: str
    auto: bool
    multi: bool
    started: float = field(default_factory=time.perf_counter)
    current: int | None = None
    results: dict[int, LabelResult] = field(default_factory=dict)


class RunView(QObject):
    """Turns the controller's signals into what the results panel and the review log show."""

    def __init__(
        self, controller: RunController, results: ResultsPanel, review: ReviewLog, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.results = results
        self.review = review
        self.record: RunRecord | None = None
        self.shown: tuple[str, LabelResult] | None = None
        self.previous: dict[tuple[str, int], Assessment] = {}
        self.last_results: dict[int, LabelResult] = {}
        controller.progressed.connect(self._progressed)
        controller.labelStarted.connect(self._label_started)
        controller.labelFailed.connect(self._label_failed)
        controller.stageDone.connect(self._stage_done)
        controller.labelDone.connect(self._label_done)
        controller.failed.connect(self.results.show_error)
        controller.staled.connect(self._staled)
        review.entrySelected.connect(self.show_entry)
        results.labelChosen.connect(self.show_label)

    def begin(self, labels_name: str, *, auto: bool, multi: bool) -> None:
        """A run started on the labels layer ``labels_name``."""
        self.shown = None
        self.record = RunRecord(labels_name, auto, multi)
        self.last_results = self.record.results
        self.results.begin("Re-checking after your edit…" if auto else "Starting…", multi=multi, keep_compare=auto)

    def end(self, outcome: str) -> None:
        """The run ended with ``outcome``; the status line says how."""
        run, self.record = self.record, None
        status = {"cancelled": "Cancelled.", "stale": "", "error": None}.get(outcome)
        if outcome == "verdict" and run is not None:
            status = (
                f"Done in {time.perf_counter() - run.started:.1f} s{_split(run)}{usage_text(run.results.values())}."
            )
        self.results.end(status)

    def show(self, layer_name: str, result: LabelResult) -> None:
        """Draw ``result`` (of the labels layer ``layer_name``) and remember it is the one shown."""
        self.shown = (layer_name, result)
        self.results.show_result(result)

    def show_label(self, label: int) -> None:
        """Another label of the last multi-label run, chosen in the label table."""
        if not self.controller.running and self.shown is not None and label in self.last_results:
            self.show(self.shown[0], self.last_results[label])

    def show_entry(self, entry: ReviewEntry) -> None:
        """An earlier assessment, chosen in the review log."""
        if not self.controller.running:
            a = entry.assessment
            self.show(entry.layer, LabelResult(entry.label, a.structure, list(a.stages), a, tuple(entry.snapshots)))

    def _progressed(self, step: int, message: str) -> None:
        run = self.record
        prefix = f"Label {run.current}: " if run is not None and run.multi and run.current is not None else ""
        self.results.set_progress(step, f"{prefix}{message}…")

    def _label_started(self, event: LabelStarted) -> None:
        if (run := self.record) is not None:
            run.current = event.label
            run.results[event.label] = LabelResult(event.label, event.structure)
            self.results.clear_stages()
            if run.multi:
                self.results.label_table.set_row(event.label, event.structure, "running…")

    def _label_failed(self, event: LabelFailed) -> None:
        if (run := self.record) is not None:
            run.results[event.label] = LabelResult(event.label, "", message=event.message)
            self.results.label_table.set_row(event.label, "", event.message)

    def _stage_done(self, event: StageDone) -> None:
        if (run := self.record) is not None and run.current is not None:
            run.results[run.current].stages.append(event.result)
            self.results.add_stage(event.result)

    def _label_done(self, drawn: Drawn) -> None:
        run = self.record
        if run is None or run.current is None:
            return
        event = drawn.done
        result = run.results[run.current]
        result.assessment, result.snapshots, result.thumbnails = event.assessment, event.snapshots, drawn.images
        result.stages = list(event.assessment.stages)
        before = self.previous.get((run.labels_name, result.label))
        self.previous[(run.labels_name, result.label)] = event.assessment
        self.review.add(ReviewEntry(run.labels_name, result.label, event.assessment, snapshots=event.snapshots))
        if run.multi:
            self.results.label_table.set_result(result.label, result.structure, event.assessment)
        self.show(run.labels_name, result)
        if run.auto and before is not None:
            self.results.show_compare(before, event.assessment)

    def _staled(self) -> None:
        self.shown = None
        self.results.clear(keep_compare=False)
        self.results.show_note(STALE, "warning")


def _split(run: RunRecord) -> str:
    """Where a one-label run's time went ("; measures 620 ms, snapshots 210 ms, stages 4 ms")."""
    done = [r.assessment for r in run.results.values() if r.assessment is not None]
    if len(done) != 1:
        return ""
    return "; " + ", ".join(f"{name} {duration(value)}" for name, value in time_steps(done[0]).items())
