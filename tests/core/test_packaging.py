"""The plugin is discoverable as napari sees it, its packages carry the manifest and samples
without symlinks, and CI runs what README.md promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from npe2 import PluginManifest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_FILES = {
    "mni152_t1_2mm.nii.gz",
    "mni152_brain_good_2mm.nii.gz",
    "mni152_brain_leak_2mm.nii.gz",
    "mni152_brain_missing_2mm.nii.gz",
}
VALIDATE = (
    "import site, sys\n"
    "before = list(sys.path)\n"
    "site.addsitedir(sys.argv[1])\n"
    "added = [p for p in sys.path if p not in before]\n"
    "sys.path[:] = added + before\n"
    "import napari_hcr\n"
    "print(napari_hcr.__file__)\n"
    "from npe2.cli import main\n"
    "sys.argv = ['npe2', 'validate', 'napari-hcr', '--imports']\n"
    "main()\n"
)


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
    setup, _, tests = test_commands[0].partition(" && ")
    assert "set -euo pipefail" in (ROOT / ".ci" / "run").read_text(encoding="utf-8"), "any failing check fails CI"
    ci = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line and line[0] != "#"]
    assert ci[-1] == tests, "CI ends with exactly the README's test command"
    assert setup in ci[:-1], "after the same set-up"
    checks = ci[ci.index(setup) + 1 : -1]
    assert [c.split()[0:2] for c in checks] == [
        [".venv/bin/ruff", "check"],
        [".venv/bin/ruff", "format"],
        [".venv/bin/mypy", "src"],
    ]
    assert "--check" in checks[1]


@pytest.mark.parametrize(
    "module",
    [
        "napari_hcr.reasoner",
        "napari_hcr.runs",
        "napari_hcr.cli",
        "napari_hcr.backends.offline",
        "napari_hcr._sample_data",
        "napari_hcr.io",
    ],
)
def test_core_never_imports_qt_or_napari(module: str) -> None:
    gui = {"napari", "qtpy", "PyQt5", "PyQt6", "PySide6", "magicgui"}
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {gui!r}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{module} pulled in {result.stdout.strip()} {result.stderr[-400:]}"


def test_no_symlinks_in_the_repository() -> None:
    """A Windows checkout turns symlinks into small text files; the repository has none."""
    listed = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    links = [line.split("\t", 1)[1] for line in listed.stdout.splitlines() if line.startswith("120000")]
    assert links == []


def _hatchling(*args: str, cwd: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hatchling", "build", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-800:] + result.stderr[-800:]


def _validate_in(site_dir: Path) -> str:
    """``npe2 validate napari-hcr --imports`` with ``site_dir`` (an unpacked wheel) first on the path."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", VALIDATE, str(site_dir)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=site_dir,
    )
    assert result.returncode == 0, result.stdout[-800:] + result.stderr[-800:]
    assert "valid" in result.stdout
    return result.stdout.splitlines()[0]


def _wheel_members(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.slow
def test_wheel_and_sdist_carry_the_manifest_and_samples_and_the_wheel_validates(tmp_path) -> None:
    _hatchling("-t", "sdist", "-t", "wheel", "-d", str(tmp_path / "dist"), cwd=ROOT)
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    (sdist,) = (tmp_path / "dist").glob("*.tar.gz")
    members = _wheel_members(wheel)
    assert "napari_hcr/napari.yaml" in members
    assert {f"napari_hcr/sample_data/{name}" for name in SAMPLE_FILES} <= members
    assert "napari_hcr/sample_data/build_samples.py" in members, "the recipe travels with the samples"

    with tarfile.open(sdist) as archive:
        entries = archive.getmembers()
        archive.extractall(tmp_path / "unpacked", filter="data")
    assert not [e.name for e in entries if e.issym() or e.islnk()]
    names = {e.name.split("/", 1)[1] for e in entries if "/" in e.name}
    assert "napari.yaml" in names and {f"sample_data/{n}" for n in SAMPLE_FILES} <= names
    assert "src/napari_hcr/napari.yaml" not in names, "the editable install's copy stays out of the sdist"

    (source,) = (tmp_path / "unpacked").iterdir()
    _hatchling("-t", "wheel", "-d", str(tmp_path / "from-sdist"), cwd=source)
    (rebuilt,) = (tmp_path / "from-sdist").glob("*.whl")
    assert {"napari_hcr/napari.yaml"} | {f"napari_hcr/sample_data/{n}" for n in SAMPLE_FILES} <= _wheel_members(rebuilt)

    site_dir = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site_dir)
    imported = _validate_in(site_dir)
    assert imported.startswith(str(site_dir)), imported
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "from napari_hcr._sample_data import sample_good, sample_path; "
            "print(sample_path('mni152_t1_2mm.nii.gz')); print(sample_good()[1][0].shape)",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(site_dir)},
        cwd=site_dir,
    )
    assert loaded.returncode == 0, loaded.stderr[-800:]
    assert loaded.stdout.startswith(str(site_dir)) and "(95, 117, 99)" in loaded.stdout


@pytest.mark.slow
def test_an_editable_install_validates_and_finds_the_samples(tmp_path) -> None:
    from hatchling.build import build_editable

    wheel = tmp_path / build_editable(str(tmp_path))
    site_dir = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site_dir)
    imported = _validate_in(site_dir)
    assert imported == str(ROOT / "src" / "napari_hcr" / "__init__.py")
    from napari_hcr._sample_data import sample_path

    assert Path(str(sample_path("mni152_t1_2mm.nii.gz"))).is_file()
