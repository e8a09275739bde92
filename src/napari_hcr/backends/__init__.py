"""Backend registry: one place that knows which backends exist and how to build them.

Imports are lazy so the offline path never loads the google-genai or openai SDKs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from ..errors import HCRError
from .base import Backend, Decision, Session, StageAnswer

__all__ = ["Backend", "Decision", "Session", "StageAnswer", "BACKENDS", "make_backend"]


@dataclass(frozen=True)
class BackendInfo:
    name: str
    label: str
    module: str
    factory: str


BACKENDS: dict[str, BackendInfo] = {
    "offline": BackendInfo("offline", "Offline (built in)", "napari_hcr.backends.offline", "OfflineBackend"),
    "gemini": BackendInfo("gemini", "Gemini (Google)", "napari_hcr.backends.gemini", "GeminiBackend"),
    "openai_compat": BackendInfo(
        "openai_compat", "Local server", "napari_hcr.backends.openai_compat", "OpenAICompatBackend"
    ),
}


def make_backend(name: str, **options: Any) -> Backend:
    """Build backend ``name``; options are that backend's own keyword arguments."""
    try:
        info = BACKENDS[name]
    except KeyError:
        raise HCRError(f"Unknown backend {name!r}; choose one of {', '.join(BACKENDS)}") from None
    factory = getattr(importlib.import_module(info.module), info.factory)
    return factory(**options)
