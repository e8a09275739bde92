"""The LLM SDKs are optional extras: the offline path and the widget never import them, and a
backend whose SDK is missing says, in one sentence, which extra to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from napari_hcr._sample_data import samples_dir

SDKS = ("google.genai", "openai")
BLOCKER = textwrap.dedent(
    """
    import sys
    class Blocker:
        '''Acts as if google-genai and openai were not installed.'''
        def find_spec(self, name, path=None, target=None):
            if name == "openai" or name.startswith(("openai.", "google.genai")):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None
    sys.meta_path.insert(0, Blocker())
    """
)


def _run(code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_the_offline_path_and_the_widget_import_no_llm_sdk() -> None:
    image, mask = samples_dir() / "mni152_t1_2mm.nii.gz", samples_dir() / "mni152_brain_good_2mm.nii.gz"
    result = _run(
        f"""
        import sys
        from napari_hcr.cli import main
        assert main(["assess", {str(image)!r}, {str(mask)!r}, "--structure", "brain"]) == 0
        import napari_hcr.widget._widget, napari_hcr.widget._settings_panel, napari_hcr.runs
        print("LOADED", sorted(m for m in sys.modules if m == "openai" or m.startswith(("openai.", "google.genai"))))
        """
    )
    assert result.returncode == 0, result.stderr[-1500:]
    assert result.stdout.strip().splitlines()[-1] == "LOADED []"


@pytest.mark.parametrize(("backend", "extra"), [("gemini", "gemini"), ("openai_compat", "local")])
def test_a_missing_sdk_is_one_sentence_naming_the_extra_and_exit_3(backend: str, extra: str) -> None:
    image, mask = samples_dir() / "mni152_t1_2mm.nii.gz", samples_dir() / "mni152_brain_good_2mm.nii.gz"
    result = _run(
        BLOCKER
        + f"""
import os
os.environ["GEMINI_API_KEY"] = "fake-key-0123456789abcdef"
from napari_hcr.cli import main
sys.exit(main(["assess", {str(image)!r}, {str(mask)!r}, "--backend", {backend!r}]))
"""
    )
    assert result.returncode == 3, result.stderr[-1500:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f'pip install "napari-hcr[{extra}]"' in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.gui
def test_choosing_gemini_in_the_widget_without_its_sdk_shows_the_sentence() -> None:
    result = _run(
        BLOCKER
        + """
import os
os.environ["GEMINI_API_KEY"] = "fake-key-0123456789abcdef"
import tempfile
from qtpy.QtCore import QSettings
QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp())
import numpy as np
import napari
from napari_hcr.widget import QCWidget
viewer = napari.Viewer(show=False)
viewer.add_image(np.random.rand(20, 20, 20).astype("float32"), name="T1")
viewer.add_labels(np.pad(np.ones((10, 10, 10), np.uint8), 5), name="m")
widget = QCWidget(viewer)
widget.form.backend_combo.setCurrentIndex(widget.form.backend_combo.findData("gemini"))
print("HINT", widget.form.backend_hint.text())
app = napari.qt.get_qapp()
finished = []
widget.runFinished.connect(finished.append)
widget.form.run_button.click()
import time
deadline = time.time() + 30
while not finished and time.time() < deadline:
    app.processEvents()
    time.sleep(0.02)
print("OUTCOME", finished)
print("BADGE", widget.results.badge.text())
widget.close()
viewer.close()
""",
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-1500:]
    out = result.stdout
    assert 'pip install "napari-hcr[gemini]"' in out.split("HINT", 1)[1].splitlines()[0]
    assert "OUTCOME ['error']" in out
    assert 'pip install "napari-hcr[gemini]"' in out.split("BADGE", 1)[1]
