"""The Settings tab: models, keys (password fields), the local server, cache and auto re-check.

Every change is written through at once, so closing napari never loses a setting. "Test
connection" asks the local server for its models on a worker thread, so an unreachable server
costs a few seconds of waiting, never a frozen viewer.
"""

from __future__ import annotations

from qtpy.QtCore import Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)
from superqt.utils import create_worker

from ..backends import missing_sdk
from ..errors import HCRError
from ._settings import WidgetSettings, save_settings


class SettingsPanel(QWidget):
    changed = Signal()

    def __init__(self, settings: WidgetSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.gemini_model = QLineEdit(settings.gemini_model)
        self.gemini_key = QLineEdit(settings.gemini_key)
        self.gemini_key.setEchoMode(QLineEdit.Password)
        self.gemini_key.setPlaceholderText("paste a Gemini API key")
        self.local_url = QLineEdit(settings.local_url)
        self.local_key = QLineEdit(settings.local_key)
        self.local_key.setEchoMode(QLineEdit.Password)
        self.local_key.setPlaceholderText("only if the server asks for one")
        self.local_model = QComboBox()
        self.local_model.setEditable(True)
        self.local_model.lineEdit().setPlaceholderText("e.g. qwen2.5vl:7b")
        self.local_model.setEditText(settings.local_model)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.connection = QLabel("")
        self.connection.setWordWrap(True)
        self.use_cache = QCheckBox("Reuse earlier answers for the same mask (cache)")
        self.use_cache.setChecked(settings.use_cache)
        self.auto_recheck = QCheckBox("Re-check automatically when I stop painting (offline)")
        self.auto_recheck.setChecked(settings.auto_recheck)
        self.delay = QSpinBox()
        self.delay.setRange(200, 10000)
        self.delay.setSingleStep(100)
        self.delay.setSuffix(" ms")
        self.delay.setValue(settings.recheck_delay_ms)
        note = "A key entered here is used before GEMINI_API_KEY or GOOGLE_API_KEY."
        form = QFormLayout(self)
        form.addRow("Gemini model", self.gemini_model)
        form.addRow("Gemini key", self.gemini_key)
        form.addRow("", QLabel(f"<small>{note} The key stays on this computer.</small>"))
        form.addRow("Local server URL", self.local_url)
        form.addRow("Local server key", self.local_key)
        model_row = QHBoxLayout()
        model_row.addWidget(self.local_model, 1)
        model_row.addWidget(self.test_button)
        form.addRow("Local model", model_row)
        form.addRow("", self.connection)
        form.addRow(self.use_cache)
        form.addRow(self.auto_recheck)
        form.addRow("Re-check after", self.delay)
        for edit in (self.gemini_model, self.gemini_key, self.local_url, self.local_key, self.local_model.lineEdit()):
            edit.editingFinished.connect(self._store)
        self.gemini_key.textChanged.connect(self._store)
        self.local_key.textChanged.connect(self._store)
        self.local_model.activated.connect(self._store)
        self.use_cache.toggled.connect(self._store)
        self.auto_recheck.toggled.connect(self._store)
        self.delay.valueChanged.connect(self._store)

    def _store(self) -> None:
        s = self.settings
        s.gemini_model = self.gemini_model.text().strip() or s.gemini_model
        s.gemini_key = self.gemini_key.text().strip()
        s.local_url = self.local_url.text().strip()
        s.local_key = self.local_key.text().strip()
        s.local_model = self.local_model.currentText().strip()
        s.use_cache = self.use_cache.isChecked()
        s.auto_recheck = self.auto_recheck.isChecked()
        s.recheck_delay_ms = self.delay.value()
        save_settings(s)
        self.changed.emit()

    def test_connection(self) -> None:
        """List the local server's models in the background and offer them as the model choice."""
        self._store()
        self.test_button.setEnabled(False)
        self.connection.setText(f"Asking {self.settings.local_url or 'the default server'} for its models…")
        worker = create_worker(
            _probe, self.settings.local_url or None, self.settings.local_key or None, _start_thread=False
        )
        worker.returned.connect(self._probed)
        worker.finished.connect(lambda: self.test_button.setEnabled(True))
        self._test_worker = worker
        worker.start()

    def _probed(self, outcome: list[str] | str) -> None:
        if isinstance(outcome, str):
            self.connection.setText(outcome)
            return
        models = outcome
        current = self.local_model.currentText().strip()
        self.local_model.clear()
        self.local_model.addItems(models)
        self.local_model.setEditText(current if current in models or not models else models[0])
        self._store()
        if not models:
            self.connection.setText("Connected, but the server offers no models; pull one first.")
        else:
            self.connection.setText(f"Connected: {len(models)} model(s): {', '.join(models)}.")


def _probe(base_url: str | None, api_key: str | None) -> list[str] | str:
    """The server's models, or the sentence saying why there are none: an unreachable server
    is an expected outcome here, not an error for napari's error dialog. The OpenAI SDK is
    imported here, on the worker thread, and only when asked."""
    missing = missing_sdk("openai_compat")
    if missing:
        return missing
    try:
        from ..backends.openai_compat import list_models

        return list_models(base_url, api_key, timeout_s=5.0)
    except HCRError as error:
        return str(error)
