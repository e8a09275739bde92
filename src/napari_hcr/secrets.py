"""API keys: where they are looked up, and how they are kept out of every text we produce.

Keys come from an explicit value (the widget's settings) or the environment, never from a
file in the project. Anything we show or log that might echo a server message passes through
:func:`redact`, so a key that a gateway reflects back still never reaches a report.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

KEY_VARIABLES: tuple[str, ...] = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
VERTEX_VARIABLES: tuple[str, ...] = ("GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_ENTERPRISE")
HOW_TO_ADD_KEY = (
    "No Gemini API key was found: set GEMINI_API_KEY (or GOOGLE_API_KEY) in the environment, "
    "or paste a key in the widget's Gemini settings."
)
_MASK = "[redacted]"


def find_api_key(explicit: str | None = None) -> str | None:
    """The explicit key if given, else GEMINI_API_KEY, else GOOGLE_API_KEY; blank counts as none."""
    if explicit and explicit.strip():
        return explicit.strip()
    for name in KEY_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def vertex_mode() -> bool:
    """True when the SDK's own variables select Vertex AI (credentials come from Google Cloud)."""
    return any(os.environ.get(name, "").strip().lower() in ("1", "true") for name in VERTEX_VARIABLES)


def known_secrets(extra: Iterable[str | None] = ()) -> list[str]:
    """Every key value we might hold, longest first so overlapping keys redact completely."""
    values = {os.environ.get(name, "").strip() for name in KEY_VARIABLES}
    values.update((v or "").strip() for v in extra)
    return sorted((v for v in values if len(v) >= 6), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every known key (environment and ``secrets``) replaced by a marker."""
    for secret in known_secrets(secrets):
        text = text.replace(secret, _MASK)
    return text
