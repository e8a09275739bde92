"""The widget with the real Gemini backend against the loopback fake server (no network)."""

from __future__ import annotations

import time

import pytest
from qtpy.QtWidgets import QLineEdit

from fake_gemini import FakeGemini, stage_replies
from gui_helpers import StallMeter, add_brain, run_and_wait
from napari_hcr.reasoner import StageDone
from napari_hcr.secrets import HOW_TO_ADD_KEY
from napari_hcr.widget import QCWidget
from napari_hcr.widget._views import StageCard

pytestmark = pytest.mark.gui
KEY = "fake-key-0123456789abcdef"


@pytest.fixture
def fake():
    with FakeGemini() as server:
        yield server


@pytest.fixture
def viewer_with_brain(make_napari_viewer, mni_2mm):
    viewer = make_napari_viewer()
    add_brain(viewer, mni_2mm)
    return viewer


def card_count(widget: QCWidget) -> int:
    return sum(
        isinstance(widget.results.cards.itemAt(i).widget(), StageCard) for i in range(widget.results.cards.count())
    )


def choose_gemini(widget: QCWidget) -> None:
    index = widget.form.backend_combo.findData("gemini")
    assert widget.form.backend_combo.model().item(index).isEnabled()
    widget.form.backend_combo.setCurrentIndex(index)


def test_without_a_key_gemini_is_offered_with_how_to_add_one(viewer_with_brain):
    widget = QCWidget(viewer_with_brain)
    index = widget.form.backend_combo.findData("gemini")
    item = widget.form.backend_combo.model().item(index)
    assert not item.isEnabled()
    assert item.toolTip() == HOW_TO_ADD_KEY
    assert "GEMINI_API_KEY" in widget.form.backend_hint.text()

    assert widget.settings_panel.gemini_key.echoMode() == QLineEdit.Password
    widget.settings_panel.gemini_key.setText(KEY)
    assert item.isEnabled()
    choose_gemini(widget)
    assert "gemini-2.5-flash" in widget.form.backend_hint.text()
    assert KEY not in widget.form.backend_hint.text() and KEY not in repr(widget.settings)


def test_gemini_stages_stream_in_and_the_ui_keeps_turning(qtbot, viewer_with_brain, fake, monkeypatch, tmp_path):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.base_url)
    fake.add(*stage_replies("unacceptable", score=0.2, confidence=0.85, delay_s=0.4))
    widget = QCWidget(viewer_with_brain)
    choose_gemini(widget)
    requests_at_stage: list[int] = []
    cards_at_stage: list[int] = []

    def on_event(event) -> None:
        if isinstance(event, StageDone):
            requests_at_stage.append(len(fake.requests))
            cards_at_stage.append(card_count(widget))

    with qtbot.waitSignal(widget.runStarted):
        widget.form.run_button.click()
    widget.controller.worker.yielded.connect(on_event)
    # measured from the first call on: the UI must keep turning while replies are pending
    qtbot.waitUntil(lambda: len(fake.requests) >= 1, timeout=10000)
    meter = StallMeter()
    meter.start()
    with qtbot.waitSignal(widget.runFinished, timeout=20000) as blocker:
        pass
    meter.stop()

    assert blocker.args == ["verdict"]
    assert cards_at_stage == [1, 2, 3, 4]
    # each stage was on screen before the later calls had been made: they stream, not batch
    assert all(seen <= index + 2 for index, seen in enumerate(requests_at_stage[:3]))
    assert len(fake.requests) == 4
    assert widget.results.badge.verdict == "unacceptable"
    assert "4 model calls" in widget.results.status.text()
    assert meter.longest_ms < 100, f"the Qt event loop stalled for {meter.longest_ms} ms"

    entry = widget.review.entries[0]
    assert entry.assessment.backend.name == "gemini"
    exported = widget.review.export_selected("json", tmp_path / "a.json").read_text()
    html = widget.review.export_selected("html", tmp_path / "a.html").read_text()
    for text in (exported, html, widget.results.status.text(), widget.results.badge.text()):
        assert KEY not in text
    settings_files = list(tmp_path.rglob("*.ini"))
    assert all(KEY not in path.read_text() for path in settings_files)


def test_cancel_abandons_a_pending_gemini_call_within_one_second(qtbot, viewer_with_brain, fake, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.base_url)
    fake.add(*stage_replies(delay_s=30.0))
    widget = QCWidget(viewer_with_brain)
    choose_gemini(widget)
    widget.form.run_button.click()
    qtbot.waitUntil(lambda: len(fake.requests) == 1, timeout=10000)
    started = time.perf_counter()
    with qtbot.waitSignal(widget.runFinished, timeout=1000) as blocker:
        widget.form.cancel_button.click()
    assert time.perf_counter() - started < 1.0
    assert blocker.args == ["cancelled"]
    assert card_count(widget) == 0
    assert len(fake.requests) == 1, "the conversation went on after Cancel"


def test_gemini_error_reads_as_a_sentence_without_the_key(qtbot, viewer_with_brain, fake, monkeypatch):
    from fake_gemini import error_reply

    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.base_url)
    fake.add(error_reply(403, "PERMISSION_DENIED", f"API key {KEY} is not valid."))
    widget = QCWidget(viewer_with_brain)
    choose_gemini(widget)
    assert run_and_wait(qtbot, widget) == "error"
    text = widget.results.badge.text()
    assert text and KEY not in text
    assert "Traceback" not in text
