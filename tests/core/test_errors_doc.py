"""docs/errors.md says what the CLI says: each row's command gives that exit code and message."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest

from napari_hcr.cli import main
from synthetic import ball_case, liver_in_fat

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
REQUIRED = (
    "Missing image file",
    "Missing mask file",
    "Mismatched shapes",
    "Empty mask",
    "4-D image",
    "Blank image",
    "All-NaN image",
    "Partial NaN",
    "Wrong label",
    "Unreadable file",
    "Bad output path",
    "Swapped arguments",
    "No display",
    "CT not in Hounsfield units",
    "Volume without a voxel size",
)


def _rows() -> list[tuple[str, str, int, str]]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 4 and cells[1].startswith("`napari-hcr"):
            rows.append((cells[0], cells[1].strip("`"), int(cells[2]), cells[3]))
    return rows


ROWS = _rows()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("errors")
    case = ball_case()
    image, mask = case.image, case.labels
    rng = np.random.default_rng(0)
    ct, liver = liver_in_fat()
    files = {
        "ct.npy": ct,
        "ct_stored.npy": np.maximum(ct + 1024.0, 0.0),  # the scanner's stored values, rescale not applied
        "liver.npy": liver,
        "image.npy": image,
        "mask.npy": mask,
        "small_mask.npy": np.ones((10, 10, 10), np.uint8),
        "empty_mask.npy": np.zeros_like(mask),
        "image_4d.npy": np.stack([image, image]),
        "blank.npy": np.zeros_like(image),
        "all_nan.npy": np.full_like(image, np.nan),
        "noise.npy": np.random.default_rng(1).standard_normal(image.shape).astype(np.float32),
        "some_nan.npy": np.where(rng.random(image.shape) < 0.05, np.nan, image).astype(np.float32),
    }
    for name, array in files.items():
        np.save(folder / name, array)
    (folder / "broken.nii.gz").write_bytes(b"not a nifti file at all")
    (folder / "notes.txt").write_text("a file where a folder is expected")
    (folder / "out").mkdir()
    return folder


def test_the_table_covers_every_bad_input_the_issue_names() -> None:
    names = [row[0] for row in ROWS]
    for required in REQUIRED:
        assert any(name.startswith(required) for name in names), required


@pytest.mark.parametrize(("name", "command", "code", "message"), ROWS, ids=[row[0] for row in ROWS])
def test_each_row_is_what_the_cli_says(
    name: str, command: str, code: int, message: str, inputs: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(inputs)
    if name == "No display":
        if not sys.platform.startswith("linux"):
            pytest.skip("the display check is for Linux")
        for variable in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
            monkeypatch.delenv(variable, raising=False)
    argv = shlex.split(command)[1:]
    assert main(argv) == code
    out, err = capsys.readouterr()
    if code == 0:
        assert message in " ".join(out.split())  # the stage text is wrapped on the terminal
        assert err == ""
    else:
        assert err.strip() == message
        assert len(err.strip().splitlines()) == 1
    written = [p.name for p in inputs.rglob("*") if re.search(r"report|assessment", p.name)]
    assert written == []
