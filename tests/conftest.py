"""Fixtures for every suite come from tests/fixtures/ (registered below); shared helpers such as
fake servers and synthetic cases sit beside the suites, importable through pytest's pythonpath.

The LLM SDKs are optional extras: without them, the suites that drive the SDKs are not collected
(``tests/core/test_extras.py`` checks the offline path and the widget without them).
"""

from __future__ import annotations

import importlib.util

pytest_plugins = ["fixtures.anatomy", "fixtures.isolation"]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


collect_ignore_glob: list[str] = []
if not _installed("google.genai"):
    collect_ignore_glob += ["backends/test_gemini.py", "widget/test_widget_gemini.py"]
if not _installed("openai"):
    collect_ignore_glob += ["backends/test_openai_compat.py", "widget/test_widget_local.py"]
