"""The Settings tab: models, the Gemini key (a password field), cache and auto re-check.

Every change is written through at once, so closing napari never loses a setting.
"""

from __future__ import annotations

from qtpy.QtCore import Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

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
        self.local_model = QLineEdit(settings.local_model)
        self.local_model.setPlaceholderText("e.g. qwen2.5-vl:7b")
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
        form.addRow("Local model", self.local_model)
        form.addRow(self.use_cache)
        form.addRow(self.auto_recheck)
        form.addRow("Re-check after", self.delay)
        for edit in (self.gemini_model, self.gemini_key, self.local_url, self.local_model):
            edit.editingFinished.connect(self._store)
        self.gemini_key.textChanged.connect(self._store)
        self.use_cache.toggled.connect(self._store)
        self.auto_recheck.toggled.connect(self._store)
        self.delay.valueChanged.connect(self._store)

    def _store(self) -> None:
        s = self.settings
        s.gemini_model = self.gemini_model.text().strip() or s.gemini_model
        s.gemini_key = self.gemini_key.text().strip()
        s.local_url = self.local_url.text().strip()
        s.local_model = self.local_model.text().strip()
        s.use_cache = self.use_cache.isChecked()
        s.auto_recheck = self.auto_recheck.isChecked()
        s.recheck_delay_ms = self.delay.value()
        save_settings(s)
        self.changed.emit()
