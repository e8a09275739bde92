"""The results panel: progress and status, the verdict badge, the before/after line, the label
table, thumbnails, findings and stage cards.

A view: it draws :class:`LabelResult` objects and re-emits clicks as signals; what a click
means (moving the viewer) is the coordinator's business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from qtpy.QtGui import QImage
from qtpy.QtWidgets import QLabel, QProgressBar, QScrollArea, QVBoxLayout, QWidget

from ..reasoner import TOTAL_STEPS
from ..report import PictureLike
from ..verdict import Assessment, StageResult, verdict_text
from ..wording import percent
from ._labels_table import LabelTable
from ._views import PANEL, FindingList, StageCard, ThumbnailStrip, VerdictBadge


@dataclass
class LabelResult:
    """What one label of a run produced so far."""

    label: int
    structure: str
    stages: list[StageResult] = field(default_factory=list)
    assessment: Assessment | None = None
    snapshots: tuple[PictureLike, ...] = ()
    message: str = ""
    thumbnails: tuple[QImage, ...] = ()


class ResultsPanel(QWidget):
    """Everything below the form; ``findingActivated``, ``snapshotActivated`` and ``labelChosen``
    come from its parts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.progress = self._create_progress()
        self.status = self._create_status()
        self.badge = VerdictBadge()
        self.compare = QLabel(objectName="hcrCompare", wordWrap=True)
        self.compare.hide()
        self.label_table = LabelTable()
        self.thumbnails = ThumbnailStrip()
        self.findings = FindingList()
        self.findings.hide()
        self.cards = QVBoxLayout()
        self.cards.setSpacing(4)
        self.findingActivated = self.findings.findingActivated
        self.snapshotActivated = self.thumbnails.snapshotActivated
        self.labelChosen = self.label_table.rowChosen
        self.background = PANEL
        self._lay_out()

    def _create_progress(self) -> QProgressBar:
        bar = QProgressBar(objectName="hcrProgress")
        bar.setRange(0, TOTAL_STEPS)
        bar.setTextVisible(False)
        _keep_space_when_hidden(bar)
        bar.hide()
        return bar

    def _create_status(self) -> QLabel:
        """At least two lines high: a status line that changed height with every heartbeat
        would re-lay out napari's whole window (and redraw its canvas) each time."""
        label = QLabel(objectName="hcrStatus", wordWrap=True)
        label.setMinimumHeight(2 * label.fontMetrics().lineSpacing() + 4)
        return label

    def _lay_out(self) -> None:
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        for part in (self.label_table, self.thumbnails, self.findings):
            body_layout.addWidget(part)
        body_layout.addLayout(self.cards)
        body_layout.addStretch(1)
        scroll = QScrollArea(objectName="hcrResultsScroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QScrollArea.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for part in (self.progress, self.status, self.badge, self.compare):
            layout.addWidget(part)
        layout.addWidget(scroll, 1)

    # --------------------------------------------------------------- a run
    def begin(self, status: str, *, multi: bool, keep_compare: bool) -> None:
        self.clear(keep_compare=keep_compare)
        self._set_step(0)
        self.progress.show()
        self.status.setText(status)
        self.label_table.setVisible(multi)

    def set_progress(self, step: int, message: str) -> None:
        """Heartbeats repeat themselves every tenth of a second: touch the widgets only on news."""
        if step != self.progress.value():
            self._set_step(step)
        if message != self.status.text():
            self.status.setText(message)

    def _set_step(self, step: int) -> None:
        """QProgressBar repaints itself at once on a new value, which in napari's window means
        compositing the whole window, canvas included; here the repaint waits for the next one."""
        self.progress.setUpdatesEnabled(False)
        self.progress.setValue(step)
        self.progress.setUpdatesEnabled(True)

    def end(self, status: str | None) -> None:
        """The run ended; ``status`` replaces the status line unless it is None."""
        self.progress.hide()
        if status is not None:
            self.status.setText(status)

    def add_stage(self, stage: StageResult) -> None:
        self.cards.addWidget(StageCard(stage, background=self.background))

    def follow_theme(self, background: str, list_background: str) -> None:
        """The viewer's theme colours, so findings and links are drawn legibly on them."""
        self.background = background
        self.findings.set_background(list_background)

    # ------------------------------------------------------------- showing
    def clear_stages(self) -> None:
        while self.cards.count():
            card = self.cards.takeAt(0).widget()
            if card is not None:
                card.hide()  # deleteLater alone leaves it painted until the loop turns
                card.deleteLater()
        self.thumbnails.show_snapshots(())
        self.findings.show_findings([])

    def clear(self, *, keep_compare: bool) -> None:
        self.clear_stages()
        self.badge.clear()
        self.label_table.clear_rows()
        if not keep_compare:
            self.compare.hide()

    def show_result(self, result: LabelResult) -> None:
        """Draw one label's result: badge, thumbnails, findings and stage cards."""
        self.setUpdatesEnabled(False)  # one repaint for the whole result, not one per part
        try:
            self._draw(result)
        finally:
            self.setUpdatesEnabled(True)

    def _draw(self, result: LabelResult) -> None:
        self.clear_stages()
        if result.assessment is None:
            self.badge.show_note(result.message or "No verdict for this label.", "error" if result.message else "info")
            for stage in result.stages:
                self.add_stage(stage)
            return
        a = result.assessment
        self.badge.show_verdict(a.verdict, a.confidence, cached=a.backend.cached)
        self.thumbnails.show_snapshots(result.snapshots, result.thumbnails)
        self.findings.show_findings(a.findings)
        for stage in a.stages:
            self.add_stage(stage)

    def show_note(self, sentence: str, kind: str) -> None:
        self.badge.show_note(sentence, kind)

    def show_error(self, sentence: str) -> None:
        self.badge.show_note(sentence, "error")
        self.status.setText("")

    def show_compare(self, before: Assessment, after: Assessment) -> None:
        self.compare.setText(
            f"Before your edit: <b>{verdict_text(before.verdict, before.confidence)}</b> "
            f"({percent(before.confidence)}) &nbsp;→&nbsp; "
            f"now: <b>{verdict_text(after.verdict, after.confidence)}</b> ({percent(after.confidence)})"
        )
        self.compare.show()


def usage_text(results: Iterable[LabelResult]) -> str:
    """What an LLM run cost, so nobody is surprised by a bill; empty for the offline backend."""
    usages = [r.assessment.backend for r in results if r.assessment is not None]
    calls = sum(u.calls for u in usages if not u.cached and u.tokens_in + u.tokens_out > 0)
    tokens = sum(u.tokens_in + u.tokens_out + u.tokens_thinking for u in usages if not u.cached)
    return f", {calls} model call{'s' if calls != 1 else ''}, {tokens:,} tokens" if calls else ""


def _keep_space_when_hidden(widget: QWidget) -> None:
    """Showing or hiding ``widget`` then leaves the layout, and napari's window, as they are."""
    policy = widget.sizePolicy()
    policy.setRetainSizeWhenHidden(True)
    widget.setSizePolicy(policy)
