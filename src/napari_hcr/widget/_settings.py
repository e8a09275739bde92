"""What the widget remembers between sessions, kept with QSettings.

One small dataclass read and written in one place, so every control restores the same way and
tests can point QSettings at a temporary folder. The Gemini key (and a local server's key, if it
needs one) entered in the widget is kept here too (QSettings is the per-user store napari itself
uses); it is never logged, shown or exported, and a key from the environment is never written here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from qtpy.QtCore import QSettings

ORGANISATION = "napari-hcr"
APPLICATION = "qc-widget"


@dataclass
class WidgetSettings:
    backend: str = "offline"
    gemini_model: str = "gemini-2.5-flash"
    local_model: str = ""
    local_url: str = "http://127.0.0.1:11434/v1"
    structure: str = ""
    modality: str = "MRI-T1"
    use_cache: bool = True
    auto_recheck: bool = False
    recheck_delay_ms: int = 800
    gemini_key: str = ""
    local_key: str = ""

    def __repr__(self) -> str:
        """Keep the keys out of any log line or traceback that shows the settings."""
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in SECRET_FIELDS}
        hidden = ", ".join(f"{name}={'set' if getattr(self, name) else 'unset'}" for name in SECRET_FIELDS)
        return f"WidgetSettings({shown}, {hidden})"


SECRET_FIELDS = ("gemini_key", "local_key")


def _store() -> QSettings:
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANISATION, APPLICATION)


def load_settings() -> WidgetSettings:
    store = _store()
    values: dict[str, Any] = {}
    for item in fields(WidgetSettings):
        default = item.default
        raw = store.value(item.name, default)
        values[item.name] = _coerce(raw, default)
    return WidgetSettings(**values)


def save_settings(settings: WidgetSettings) -> None:
    store = _store()
    for item in fields(WidgetSettings):
        store.setValue(item.name, getattr(settings, item.name))
    store.sync()


def _coerce(raw: object, default: object) -> object:
    """QSettings' INI format hands back strings; turn them back into the default's type."""
    if isinstance(default, bool):
        return raw if isinstance(raw, bool) else str(raw).lower() in ("true", "1", "yes")
    if isinstance(default, int):
        try:
            return int(str(raw))
        except (TypeError, ValueError):
            return default
    return "" if raw is None else str(raw)
