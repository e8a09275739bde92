"""The plugin is discoverable as napari sees it, and CI runs what README.md promises."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from npe2 import PluginManifest

ROOT = Path(__file__).resolve().parents[2]


def test_installed_manifest_validates_with_imports() -> None:
    npe2 = shutil.which("npe2", path=str(Path(sys.executable).parent))
    assert npe2, "npe2 is a test dependency and must be installed beside this Python"
    result = subprocess.run([npe2, "validate", "napari-hcr", "--imports"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_manifest_contributes_the_widget_and_samples() -> None:
    manifest = PluginManifest.from_distribution("napari-hcr")
    widgets = [w.display_name for w in manifest.contributions.widgets]
    samples = {s.key for s in manifest.contributions.sample_data}
    assert widgets == ["HCR Quality Check"]
    assert {"mni152_brain_good", "mni152_brain_leak", "mni152_brain_missing"} <= samples


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(bash \.ci/setup && .+)$", readme, flags=re.MULTILINE)
    test_commands = [c for c in commands if "pytest" in c]
    assert len(test_commands) == 1, commands
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == test_commands[0]


@pytest.mark.parametrize(
    "module",
    [
        "napari_hcr.reasoner",
        "napari_hcr.cli",
        "napari_hcr.backends.offline",
        "napari_hcr._sample_data",
        "napari_hcr.io",
    ],
)
def test_core_never_imports_qt_or_napari(module: str) -> None:
    code = (
        "import sys, importlib; importlib.import_module(%r); "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'napari', 'qtpy', 'PyQt5', 'PyQt6', 'PySide6', 'magicgui'}); "
        "print(bad); sys.exit(1 if bad else 0)" % module
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{module} pulled in {result.stdout.strip()} {result.stderr[-400:]}"
