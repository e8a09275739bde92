"""The results panel as a view: it draws a label's result and re-emits clicks, with no viewer."""

from __future__ import annotations

import pytest

from napari_hcr.backends import make_backend
from napari_hcr.reasoner import Done, assess_steps
from napari_hcr.verdict import Finding, Location, StageResult
from napari_hcr.widget._palette import NOTE, VERDICT
from napari_hcr.widget._results import LabelResult, ResultsPanel, usage_text
from napari_hcr.widget._views import StageCard, VerdictBadge, thumbnail
from synthetic import ball_case


@pytest.fixture(scope="module")
def done() -> Done:
    events = list(assess_steps(ball_case(), make_backend("offline"), poll=1.0))
    return events[-1]


def cards(panel: ResultsPanel) -> list[StageCard]:
    return [panel.cards.itemAt(i).widget() for i in range(panel.cards.count())]


def test_a_result_shows_badge_thumbnails_findings_and_four_stages(qtbot, done):
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    a = done.assessment
    images = tuple(thumbnail(s.png) for s in done.snapshots)
    panel.show_result(LabelResult(1, a.structure, list(a.stages), a, done.snapshots, thumbnails=images))
    assert panel.badge.verdict == a.verdict
    assert panel.thumbnails.count() == len(done.snapshots)
    assert [c.result.name for c in cards(panel)] == [s.name for s in a.stages]
    panel.clear(keep_compare=False)
    assert panel.badge.verdict is None and panel.thumbnails.count() == 0


def test_a_label_without_verdict_says_why(qtbot):
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show_result(LabelResult(7, "", message="Label 7 is too small to judge."))
    assert panel.badge.text() == "Label 7 is too small to judge."
    assert panel.badge.verdict is None


def test_clicks_on_findings_and_thumbnails_are_signals(qtbot, done):
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    finding = Finding("leak", "major", "A leak.", Location(0, 12))
    panel.findings.show_findings([finding])
    with qtbot.waitSignal(panel.findingActivated) as blocker:
        panel.findings.itemClicked.emit(panel.findings.item(0))
    assert blocker.args == [finding]
    panel.thumbnails.show_snapshots(done.snapshots)
    with qtbot.waitSignal(panel.snapshotActivated) as blocker:
        panel.thumbnails.itemClicked.emit(panel.thumbnails.item(0))
    ref = done.snapshots[0].ref
    assert blocker.args == [Location(ref.axis, ref.slice)]


def test_progress_and_stages_stream_and_repeated_heartbeats_change_nothing(qtbot):
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.begin("Starting…", multi=False, keep_compare=False)
    panel.set_progress(2, "Visual feature analysis…")
    panel.set_progress(2, "Visual feature analysis…")
    assert panel.progress.value() == 2 and panel.status.text() == "Visual feature analysis…"
    panel.add_stage(StageResult("knowledge_recall", "Text.", (), 0.1))
    assert len(cards(panel)) == 1
    panel.end("Done.")
    assert panel.progress.isHidden() and panel.status.text() == "Done."


def test_usage_text_counts_only_paid_calls(done):
    offline = LabelResult(1, "brain", assessment=done.assessment)
    assert usage_text([offline]) == ""


def test_a_pass_on_doubtful_evidence_is_not_painted_as_a_clear_pass(qtbot):
    badge = VerdictBadge()
    qtbot.addWidget(badge)
    badge.show_verdict("acceptable", 0.93)
    assert badge.text().startswith("ACCEPTABLE  ·  93") and VERDICT["acceptable"] in badge.styleSheet()
    badge.show_verdict("acceptable", 0.41)
    assert "ON DOUBT" in badge.text() and "41" in badge.text() and "review it" in badge.text()
    assert NOTE["warning"] in badge.styleSheet() and VERDICT["acceptable"] not in badge.styleSheet()
    assert badge.verdict == "acceptable"
