"""The README's install line works today (from a clone); the registry one is marked as for the release."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_install_line_from_a_clone_names_an_extra_that_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    working = re.search(r'pip install "\.\[(\w+)\]"', readme)
    assert working and working.group(1) in extras


def test_registry_install_line_is_marked_as_for_the_release() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    matches = list(re.finditer(r'pip install "napari-hcr\[pyqt6\]"', readme))
    assert matches, "the release's install line is kept beside the working one"
    for match in matches:
        context = readme[max(0, match.start() - 160) : match.end() + 40].lower()
        assert "release" in context, context
