"""RunView on its own: the controller's signals become per-label results, review rows and notes."""

from __future__ import annotations

import pytest

from napari_hcr.backends import make_backend
from napari_hcr.reasoner import Done, StageDone, assess_steps
from napari_hcr.runs import LabelFailed, LabelStarted
from napari_hcr.widget._controller import RunController
from napari_hcr.widget._results import ResultsPanel
from napari_hcr.widget._review import ReviewLog
from napari_hcr.widget._run_view import STALE, RunView
from napari_hcr.widget._worker import Drawn
from synthetic import ball_case


@pytest.fixture(scope="module")
def events() -> list:
    return list(assess_steps(ball_case(), make_backend("offline"), poll=1.0))


@pytest.fixture
def parts(qtbot):
    controller, results, review = RunController(), ResultsPanel(), ReviewLog()
    qtbot.addWidget(results)
    qtbot.addWidget(review)
    return controller, results, review, RunView(controller, results, review)


def test_a_label_streams_into_the_panel_and_its_verdict_into_the_review_log(parts, events):
    controller, results, review, view = parts
    view.begin("brain", auto=False, multi=False)
    controller.labelStarted.emit(LabelStarted(1, "brain", 0, 1))
    for event in events:
        if isinstance(event, StageDone):
            controller.stageDone.emit(event)
    done = events[-1]
    assert isinstance(done, Done)
    controller.labelDone.emit(Drawn(done))
    assert results.cards.count() == 4
    assert results.badge.verdict == done.assessment.verdict
    assert [(e.layer, e.label) for e in review.entries] == [("brain", 1)]
    assert view.shown is not None and view.shown[1].assessment is done.assessment
    view.end("verdict")
    assert results.status.text().startswith("Done in ")


def test_a_failed_label_of_a_multi_label_run_gets_its_row_and_others_go_on(parts, events):
    controller, results, _, view = parts
    view.begin("organs", auto=False, multi=True)
    controller.labelFailed.emit(LabelFailed(4, "Label 4 is too small to judge."))
    controller.labelStarted.emit(LabelStarted(2, "liver", 1, 2))
    controller.labelDone.emit(Drawn(events[-1]))
    assert results.label_table.labels() == [4, 2]
    assert view.last_results[4].message == "Label 4 is too small to judge."
    assert view.last_results[2].assessment is not None


def test_staleness_clears_the_result_and_says_why(parts, events):
    controller, results, review, view = parts
    view.begin("brain", auto=False, multi=False)
    controller.labelStarted.emit(LabelStarted(1, "brain", 0, 1))
    controller.staled.emit()
    assert results.badge.text() == STALE and results.badge.verdict is None
    assert view.shown is None and review.entries == []


def test_a_recheck_shows_the_verdict_before_and_after_the_edit(parts, events):
    controller, results, _, view = parts
    for auto in (False, True):
        view.begin("brain", auto=auto, multi=False)
        controller.labelStarted.emit(LabelStarted(1, "brain", 0, 1))
        controller.labelDone.emit(Drawn(events[-1]))
        view.end("verdict")
    assert "Before your edit" in results.compare.text()
