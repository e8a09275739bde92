"""The review queue tab in a real viewer: a batch's cases worst first, layers with their spacing,
the stored assessment, findings that move the viewer, decisions in reviews.csv, next/previous keys."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from qtpy.QtCore import Qt

from batch_helpers import sample_folder
from napari_hcr.batch.inputs import discover
from napari_hcr.batch.store import ResultStore
from napari_hcr.batch.task import Task, run_task
from napari_hcr.widget._navigate import HIGHLIGHT_NAME
from napari_hcr.widget._review_queue import ReviewQueueTab

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch DIR as `napari-hcr batch` writes it, for the good and the missing-slices samples."""
    root = tmp_path_factory.mktemp("queue")
    _, cases = discover(sample_folder(root / "in", ("good", "missing")), structure="brain")
    store = ResultStore(root / "out")
    for case in cases:
        result = run_task(Task(case))
        for record in result.records:
            store.append(record, result.thumbnails)
    store.close()
    return root / "out"


@pytest.fixture
def queue_widget(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(show=True)
    _, widget = viewer.window.add_plugin_dock_widget("napari-hcr", "HCR Quality Check")
    widget.tabs.setCurrentWidget(widget.queue)
    return viewer, widget.queue


def _open_first(qtbot, tab: ReviewQueueTab, folder: Path) -> None:
    with qtbot.waitSignal(tab.caseShown, timeout=20000):
        assert tab.open(folder)


def test_queue_lists_worst_first_and_opens_a_case_as_layers_with_its_assessment(qtbot, queue_widget, batch_dir):
    viewer, tab = queue_widget
    _open_first(qtbot, tab, batch_dir)
    view = tab.view
    assert [view.table.item(r, 0).text() for r in range(view.table.rowCount())] == ["missing", "good"]
    assert view.table.item(0, 3).text() == "unacceptable"
    assert [layer.name for layer in viewer.layers] == ["missing image", "missing labels"]
    assert tuple(viewer.layers["missing labels"].scale) == (2.0, 2.0, 2.0)
    assert tuple(viewer.layers["missing image"].scale) == (2.0, 2.0, 2.0)
    assert "UNACCEPTABLE" in tab.results.badge.text().upper()
    assert tab.results.thumbnails.count() == len(tab.item.record["thumbnails"]) > 0
    assert tab.results.cards.count() == 4

    findings = tab.results.findings
    row = next(i for i in range(findings.count()) if "empty slice" in findings.item(i).text())
    finding = findings.item(row).data(Qt.UserRole)
    findings.itemClicked.emit(findings.item(row))
    assert viewer.dims.current_step[finding.where.axis] == finding.where.slice
    assert HIGHLIGHT_NAME in viewer.layers


def test_decisions_are_written_and_a_colleague_continues(qtbot, queue_widget, batch_dir, make_napari_viewer):
    viewer, tab = queue_widget
    _open_first(qtbot, tab, batch_dir)
    tab.view.note.setText("six slices missing, agree")
    with qtbot.waitSignal(tab.caseShown, timeout=20000):
        tab.view.agree_button.click()  # decides, then moves to the next case
    assert tab.item.case == "good"
    assert [layer.name for layer in viewer.layers] == ["good image", "good labels"]  # the previous case's layers go
    rows = list(csv.DictReader((batch_dir / "reviews.csv").open()))
    assert [(r["case"], r["decision"], r["note"]) for r in rows][-1] == (
        "missing",
        "agree",
        "six slices missing, agree",
    )

    colleague = ReviewQueueTab(make_napari_viewer())
    qtbot.addWidget(colleague)
    with qtbot.waitSignal(colleague.caseShown, timeout=20000):
        colleague.open(batch_dir / "results.jsonl")
    assert colleague.view.table.item(0, 5).text() == "agree: six slices missing, agree"
    assert colleague.view.note.text() == "six slices missing, agree"
    colleague.view.unreviewed_box.setChecked(True)
    assert [colleague.view.table.item(r, 0).text() for r in range(colleague.view.table.rowCount())] == ["good"]


def test_filters_and_keyboard_next_previous(qtbot, queue_widget, batch_dir):
    viewer, tab = queue_widget
    _open_first(qtbot, tab, batch_dir)
    view = tab.view
    with qtbot.waitSignal(tab.caseShown, timeout=20000):
        view.shortcuts[0].activated.emit()  # Alt+PgDown
    assert tab.item.case == "good"
    with qtbot.waitSignal(tab.caseShown, timeout=20000):
        view.shortcuts[1].activated.emit()  # Alt+PgUp
    assert tab.item.case == "missing"
    assert view.shortcuts[0].key().toString() == "Alt+PgDown"
    view.verdict_combo.setCurrentText("acceptable")
    assert [view.table.item(r, 0).text() for r in range(view.table.rowCount())] == ["good"]
    view.verdict_combo.setCurrentText("any")
    view.structure_combo.setCurrentText("brain")
    assert view.table.rowCount() == 2


def test_a_folder_without_records_says_so(qtbot, queue_widget, tmp_path):
    _, tab = queue_widget
    assert not tab.open(tmp_path)
    assert "holds no batch records" in tab.results.badge.text()
