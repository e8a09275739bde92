"""Issue 5 in a real viewer: findings as links, multi-label table, review log and exports,
re-check while painting, 2-D RGB images, settings that persist."""

from __future__ import annotations

import base64
import csv
import re

import numpy as np
import pytest
from qtpy.QtCore import Qt

from gui_helpers import SlowBackend, add_brain, run_and_wait
from napari_hcr.verdict import Location
from napari_hcr.widget import QCWidget
from napari_hcr.widget._navigate import HIGHLIGHT_NAME
from napari_hcr.widget._views import StageCard

pytestmark = pytest.mark.gui


@pytest.fixture
def brain_viewer(make_napari_viewer, mni_2mm):
    viewer = make_napari_viewer(show=True)
    _, labels = add_brain(viewer, mni_2mm)
    # Docked as napari docks a plugin: the widget sees the viewer through napari's proxy.
    _, widget = viewer.window.add_plugin_dock_widget("napari-hcr", "HCR Quality Check")
    return viewer, widget, labels


def click_row(qtbot, view, row: int) -> None:
    """A real mouse click on row ``row`` of a list view."""
    item = view.item(row)
    view.scrollToItem(item)
    rect = view.visualItemRect(item)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())


def test_clicking_a_finding_moves_the_viewer_to_its_slice(qtbot, brain_viewer):
    viewer, widget, labels = brain_viewer
    run_and_wait(qtbot, widget, backend=SlowBackend(delay=0.0, where=Location(0, 30)))
    assert viewer.dims.current_step[0] != 30
    row = next(i for i in range(widget.results.findings.count()) if "leaks" in widget.results.findings.item(i).text())

    click_row(qtbot, widget.results.findings, row)

    assert viewer.dims.current_step[0] == 30
    assert viewer.dims.not_displayed == (0,)
    marker = viewer.layers[HIGHLIGHT_NAME]
    assert marker.data[0][0] == pytest.approx(30)
    assert labels.data[tuple(np.round(marker.data[0]).astype(int))] == 1  # centred on the mask

    run_and_wait(qtbot, widget, backend=SlowBackend(delay=0.0))
    assert HIGHLIGHT_NAME not in viewer.layers


def test_a_finding_on_another_axis_turns_the_view(qtbot, brain_viewer):
    viewer, widget, _ = brain_viewer
    run_and_wait(qtbot, widget, backend=SlowBackend(delay=0.0, where=Location(1, 40)))
    row = next(i for i in range(widget.results.findings.count()) if "leaks" in widget.results.findings.item(i).text())
    click_row(qtbot, widget.results.findings, row)
    assert viewer.dims.not_displayed == (1,)
    assert viewer.dims.current_step[1] == 40


def test_clicking_a_thumbnail_moves_the_viewer_to_its_slice(qtbot, brain_viewer):
    viewer, widget, _ = brain_viewer
    run_and_wait(qtbot, widget)
    assert widget.results.thumbnails.count() >= 2
    for row in range(widget.results.thumbnails.count()):
        where: Location = widget.results.thumbnails.item(row).data(Qt.UserRole)
        click_row(qtbot, widget.results.thumbnails, row)
        assert viewer.dims.not_displayed == (where.axis,)
        assert viewer.dims.current_step[where.axis] == where.slice


def test_two_label_mask_yields_two_rows_and_a_row_shows_its_stages(qtbot, make_napari_viewer, mni_2mm):
    viewer = make_napari_viewer()
    labels = np.array(mni_2mm.mask, copy=True)
    half = labels.shape[2] // 2
    labels[:, :, half:][labels[:, :, half:] == 1] = 2
    _, layer = add_brain(viewer, mni_2mm, labels=labels)
    layer.metadata["structure"] = {1: "brain", 2: "white matter"}
    widget = QCWidget(viewer)
    widget.form.all_labels.setChecked(True)

    assert run_and_wait(qtbot, widget) == "verdict"

    table = widget.results.label_table
    assert table.isVisibleTo(widget)
    assert table.labels() == [1, 2]
    assert [table.item(r, 1).text() for r in range(2)] == ["brain", "white matter"]
    assert all(table.item(r, 2).text() in ("acceptable", "unacceptable") for r in range(2))
    assert len(widget.review.entries) == 2
    table.selectRow(0)
    assert widget.shown[1].label == 1
    cards = [widget.results.cards.itemAt(i).widget() for i in range(widget.results.cards.count())]
    assert [c.result for c in cards if isinstance(c, StageCard)] == widget.last_results[1].assessment.stages
    table.selectRow(1)
    assert widget.shown[1].label == 2


def test_review_log_exports_csv_json_and_a_self_contained_html(qtbot, brain_viewer, tmp_path):
    _, widget, _ = brain_viewer
    run_and_wait(qtbot, widget)
    run_and_wait(qtbot, widget, backend=SlowBackend(delay=0.0))
    log = widget.review
    assert log.table.rowCount() == 2
    assert [log.table.item(r, 0).text() for r in range(2)] == ["brain", "brain"]
    log.set_decision(1, "override", "The leak is a vessel, fine.")

    rows = list(csv.DictReader(log.export_csv(tmp_path / "log.csv").open()))
    assert [r["backend"] for r in rows] == ["offline", "slow-test"]
    assert rows[1]["decision"] == "override" and rows[1]["note"] == "The leak is a vessel, fine."

    log.table.selectRow(0)
    entry = log.selected_entry()
    html = log.export_selected("html", tmp_path / "report.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == len(entry.snapshots) >= 1
    assert all(base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n" for data in images)
    assert not re.search(r'(src|href)="(?!data:)', html), "the report must not reference other files"
    assert entry.assessment.verdict.upper() in html

    exported = log.export_selected("json", tmp_path / "a.json").read_text()
    assert '"schema": "napari-hcr/assessment/v1"' in exported


def test_a_paint_edit_triggers_exactly_one_recheck_after_the_debounce(qtbot, brain_viewer):
    _, widget, labels = brain_viewer
    widget.settings_panel.delay.setValue(300)
    widget.settings_panel.auto_recheck.setChecked(True)
    run_and_wait(qtbot, widget)
    first = widget.results.badge.verdict
    starts: list[str] = []
    widget.runStarted.connect(starts.append)

    for z in (40, 41, 42):  # three quick strokes, as a person painting
        labels.paint((z, 5, 5), 1)
    assert starts == []  # nothing before the person pauses
    with qtbot.waitSignal(widget.runFinished, timeout=10000) as blocker:
        pass
    qtbot.wait(800)  # longer than the debounce: no second run may follow

    assert starts == ["brain"]
    assert blocker.args == ["verdict"]
    assert widget.review.entries[-1].assessment.backend.name == "offline"
    assert widget.results.compare.isVisibleTo(widget)
    assert f"Before your edit: <b>{first}</b>" in widget.results.compare.text()


def test_painting_during_a_run_never_starts_a_second_one(qtbot, brain_viewer):
    _, widget, labels = brain_viewer
    widget.settings_panel.delay.setValue(200)
    widget.settings_panel.auto_recheck.setChecked(True)
    in_flight = {"now": 0, "most": 0}

    def started(_name: str) -> None:
        in_flight["now"] += 1
        in_flight["most"] = max(in_flight["most"], in_flight["now"])

    def finished(_outcome: str) -> None:
        in_flight["now"] -= 1

    widget.runStarted.connect(started)
    widget.runFinished.connect(finished)
    widget.run(SlowBackend(delay=0.5))
    labels.paint((40, 5, 5), 1)
    qtbot.wait(400)  # the debounce fires while the first run is still going
    labels.paint((41, 5, 5), 1)
    qtbot.waitUntil(lambda: in_flight["now"] == 0 and not widget.recheck.timer.isActive(), timeout=15000)
    qtbot.wait(400)
    qtbot.waitUntil(lambda: not widget.running, timeout=15000)
    assert in_flight["most"] == 1


def test_a_2d_rgb_photo_gets_a_verdict(qtbot, make_napari_viewer):
    from skimage import data, draw

    viewer = make_napari_viewer()
    photo = data.coffee()  # (400, 600, 3) uint8
    mask = np.zeros(photo.shape[:2], dtype=np.uint8)
    rr, cc = draw.ellipse(180, 300, 120, 160, shape=mask.shape)
    mask[rr, cc] = 1
    viewer.add_image(photo, name="coffee", rgb=True, scale=(0.1, 0.1))
    viewer.add_labels(mask, name="cup", scale=(0.1, 0.1))
    widget = QCWidget(viewer)
    widget.form.structure_combo.setCurrentIndex(widget.form.structure_combo.findData("generic"))
    widget.form.modality_combo.setCurrentText("Photo")

    assert run_and_wait(qtbot, widget) == "verdict"
    assert widget.results.badge.verdict in ("acceptable", "unacceptable")
    assessment = widget.review.entries[0].assessment
    assert assessment.modality == "Photo"
    assert widget.results.thumbnails.count() >= 1
    widget.go_to(Location(-1, 0))
    assert HIGHLIGHT_NAME in viewer.layers


def test_settings_persist_between_sessions(qtbot, make_napari_viewer, mni_2mm):
    viewer = make_napari_viewer()
    add_brain(viewer, mni_2mm, metadata=False)
    first = QCWidget(viewer)
    first.settings_panel.gemini_model.setText("gemini-3-flash")
    first.settings_panel.gemini_model.editingFinished.emit()
    first.settings_panel.auto_recheck.setChecked(True)
    first.settings_panel.use_cache.setChecked(False)
    first.form.structure_combo.setCurrentIndex(first.form.structure_combo.findData("liver"))
    first.form.modality_combo.setCurrentText("CT")
    first.form.backend_combo.setCurrentIndex(first.form.backend_combo.findData("openai_compat"))
    first.close()

    second = QCWidget(viewer)
    assert second.settings.gemini_model == "gemini-3-flash"
    assert second.settings_panel.auto_recheck.isChecked()
    assert not second.settings_panel.use_cache.isChecked()
    assert second.form.structure_combo.currentData() == "liver"
    assert second.form.modality_combo.currentText() == "CT"
    assert second.form.backend_combo.currentData() == "openai_compat"
