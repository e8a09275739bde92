"""Keeps the form and auto re-check in step with the settings, and the settings with the form.

The form restores the person's last structure, modality and backend; a backend that cannot be
used (Gemini without a key) is offered disabled with the reason; every change is saved at once.
"""

from __future__ import annotations

from qtpy.QtCore import QObject

from ..secrets import HOW_TO_ADD_KEY, find_api_key
from ._form import RunForm
from ._recheck import AutoRecheck
from ._requests import backend_hint
from ._settings import WidgetSettings, save_settings
from ._settings_panel import SettingsPanel


class SettingsBinding(QObject):
    """Restores the form from ``settings`` and writes the person's choices back."""

    def __init__(
        self,
        settings: WidgetSettings,
        form: RunForm,
        panel: SettingsPanel,
        recheck: AutoRecheck,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings, self.form, self.recheck = settings, form, recheck
        form.restore(settings.structure, settings.modality)
        wanted = settings.backend
        self.update_backend_menu()
        form.choose_backend(wanted)
        self.backend_chosen(form.backend())
        recheck.configure(settings.auto_recheck, settings.recheck_delay_ms)
        form.optionsChanged.connect(self.remember_choices)
        form.backendChosen.connect(self.backend_chosen)
        panel.changed.connect(self.settings_changed)

    def update_backend_menu(self) -> None:
        has_key = find_api_key(self.settings.gemini_key) is not None
        self.form.offer_backend("gemini", has_key, "" if has_key else HOW_TO_ADD_KEY)
        self.backend_chosen(self.form.backend())

    def backend_chosen(self, name: str) -> None:
        self.form.backend_hint.setText(f"<small>{backend_hint(name, self.settings)}</small>")
        if name != self.settings.backend:
            self.settings.backend = name
            save_settings(self.settings)

    def remember_choices(self) -> None:
        choice = self.form.choice()
        self.settings.structure, self.settings.modality = choice.structure, choice.modality
        save_settings(self.settings)

    def settings_changed(self) -> None:
        self.update_backend_menu()
        self.recheck.configure(self.settings.auto_recheck, self.settings.recheck_delay_ms)
