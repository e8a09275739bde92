"""The widget with a local model server ("Local server"), against the loopback chat-completions fake."""

from __future__ import annotations

import socket

import pytest

from fake_openai import FakeOpenAI, stage_replies
from gui_helpers import add_brain, run_and_wait
from napari_hcr.widget import QCWidget

pytestmark = pytest.mark.gui


@pytest.fixture
def widget(make_napari_viewer, mni_2mm):
    viewer = make_napari_viewer()
    add_brain(viewer, mni_2mm)
    return QCWidget(viewer)


def test_test_connection_lists_the_servers_models_and_the_run_uses_the_chosen_one(qtbot, widget):
    panel = widget.settings_panel
    assert widget.form.backend_combo.itemText(widget.form.backend_combo.findData("openai_compat")) == "Local server"
    with FakeOpenAI(models=("gemma3:4b", "qwen2.5vl:7b")) as fake:
        panel.local_url.setText(fake.base_url)
        panel.local_url.editingFinished.emit()
        panel.test_button.click()
        qtbot.waitUntil(lambda: panel.connection.text().startswith("Connected"), timeout=5000)
        assert [panel.local_model.itemText(i) for i in range(panel.local_model.count())] == [
            "gemma3:4b",
            "qwen2.5vl:7b",
        ]
        panel.local_model.setCurrentIndex(1)
        panel.local_model.activated.emit(1)
        assert widget.settings.local_model == "qwen2.5vl:7b"

        fake.add(*stage_replies("unacceptable", score=0.2, confidence=0.8))
        widget.form.backend_combo.setCurrentIndex(widget.form.backend_combo.findData("openai_compat"))
        assert run_and_wait(qtbot, widget) == "verdict"
        assert widget.results.badge.verdict == "unacceptable"
        assert {r.model for r in fake.chat_requests} == {"qwen2.5vl:7b"}
        assert len(fake.chat_requests) == 4


def test_an_unreachable_server_is_one_sentence_and_the_button_comes_back(qtbot, widget):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    panel = widget.settings_panel
    panel.local_url.setText(f"http://127.0.0.1:{port}/v1")
    panel.local_url.editingFinished.emit()
    panel.test_button.click()
    qtbot.waitUntil(lambda: panel.test_button.isEnabled(), timeout=8000)
    text = panel.connection.text()
    assert not text.startswith("Connected") and "Asking" not in text
    assert "Traceback" not in text and text.endswith(".")
    assert str(port) in text or "reach" in text.lower()
