"""Backend registry: one place that knows which backends exist and how to build them.

Imports are lazy so the offline path never loads the google-genai or openai SDKs. The SDKs are
optional extras (``napari-hcr[gemini]``, ``napari-hcr[local]``); building a backend whose SDK
is missing raises a :class:`~napari_hcr.errors.BackendError` whose one sentence names the extra.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from ..errors import BackendError, HCRError
from .base import Backend, Session, StageAnswer

__all__ = ["BACKENDS", "Backend", "Session", "StageAnswer", "make_backend", "missing_sdk"]


@dataclass(frozen=True)
class BackendInfo:
    """Where a backend lives, and which optional SDK (and extra that installs it) it needs."""

    name: str
    label: str
    module: str
    factory: str
    sdk: str = ""
    package: str = ""
    extra: str = ""


BACKENDS: dict[str, BackendInfo] = {
    "offline": BackendInfo("offline", "Offline (built in)", "napari_hcr.backends.offline", "OfflineBackend"),
    "gemini": BackendInfo(
        "gemini",
        "Gemini (Google)",
        "napari_hcr.backends.gemini",
        "GeminiBackend",
        "google.genai",
        "google-genai",
        "gemini",
    ),
    "openai_compat": BackendInfo(
        "openai_compat",
        "Local server",
        "napari_hcr.backends.openai_compat",
        "OpenAICompatBackend",
        "openai",
        "openai",
        "local",
    ),
}


def missing_sdk(name: str) -> str | None:
    """The sentence saying which extra to install when backend ``name``'s SDK is missing, else None.

    Looks the SDK up without importing it, so asking costs nothing.
    """
    info = BACKENDS.get(name)
    if info is None or not info.sdk:
        return None
    try:
        found = importlib.util.find_spec(info.sdk) is not None
    except (ImportError, ValueError):
        found = False
    return None if found else _sentence(info)


def make_backend(name: str, **options: Any) -> Backend:
    """Build backend ``name``; options are that backend's own keyword arguments."""
    try:
        info = BACKENDS[name]
    except KeyError:
        raise HCRError(f"Unknown backend {name!r}; choose one of {', '.join(BACKENDS)}") from None
    sentence = missing_sdk(name)
    if sentence:
        raise BackendError(sentence)
    try:
        module = importlib.import_module(info.module)
    except ImportError as error:
        if info.sdk and (error.name or "").split(".")[0] == info.sdk.split(".")[0]:
            raise BackendError(_sentence(info)) from None
        raise
    factory = getattr(module, info.factory)
    return factory(**options)


def _sentence(info: BackendInfo) -> str:
    return (
        f"The {info.label} backend needs the {info.package} package, which is not installed; "
        f'install it with: pip install "napari-hcr[{info.extra}]"'
    )
