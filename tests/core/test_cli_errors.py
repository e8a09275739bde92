"""The command line checks what it can before any work, and says where the time went."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import napari_hcr
from napari_hcr import io
from napari_hcr.cli import main
from synthetic import ball_case


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    case = ball_case()
    np.save(tmp_path / "image.npy", case.image)
    np.save(tmp_path / "mask.npy", case.labels)
    return tmp_path / "image.npy", tmp_path / "mask.npy"


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"napari-hcr {napari_hcr.__version__}"


@pytest.mark.parametrize("flag", ["--json", "--html"])
def test_bad_output_path_stops_before_anything_is_read(pair, tmp_path, monkeypatch, capsys, flag) -> None:
    def never(*_args, **_kwargs):
        raise AssertionError("the inputs were read before the output path was checked")

    monkeypatch.setattr(io, "read_pair", never)
    (tmp_path / "a-file").write_text("x")
    for bad in (tmp_path, tmp_path / "a-file" / "out"):
        assert main(["assess", str(pair[0]), str(pair[1]), flag, str(bad)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"napari-hcr: {flag} ") and len(err.splitlines()) == 1


def test_missing_output_folders_are_made(pair, tmp_path, capsys) -> None:
    out = tmp_path / "new" / "deeper" / "record.json"
    assert main(["assess", str(pair[0]), str(pair[1]), "--json", str(out)]) == 0
    assert out.is_file()


@pytest.mark.parametrize(("role", "index"), [("image", 0), ("mask", 1)])
def test_missing_file_says_whether_image_or_mask(pair, tmp_path, capsys, role, index) -> None:
    args = [str(p) for p in pair]
    args[index] = str(tmp_path / "gone.npy")
    assert main(["assess", *args]) == 2
    assert capsys.readouterr().err.strip() == f"napari-hcr: The {role} file {tmp_path / 'gone.npy'} does not exist."


def test_swapped_image_and_mask_are_named(pair, capsys) -> None:
    assert main(["assess", str(pair[1]), str(pair[0])]) == 2
    assert "give the image first, then the mask" in capsys.readouterr().err


def test_unreadable_image_exits_3_and_writes_no_record(pair, tmp_path, capsys) -> None:
    np.save(tmp_path / "blank.npy", np.zeros_like(np.load(pair[0])))
    out, html = tmp_path / "r.json", tmp_path / "r.html"
    assert main(["assess", str(tmp_path / "blank.npy"), str(pair[1]), "--json", str(out), "--html", str(html)]) == 3
    captured = capsys.readouterr()
    assert captured.err.strip().startswith("napari-hcr: Cannot assess: the image is blank")
    assert "VERDICT" not in captured.out
    assert not out.exists() and not html.exists()


def test_demo_without_display_says_how_to_get_one(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    for variable in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(variable, raising=False)
    assert main(["demo"]) == 2
    err = capsys.readouterr().err
    assert "needs a display" in err and "xvfb-run -a napari-hcr demo" in err


def test_timing_says_where_the_time_went(pair, capsys) -> None:
    assert main(["assess", str(pair[0]), str(pair[1])]) == 0
    out = capsys.readouterr().out
    assert "0.00 s" not in out
    verdict = next(line for line in out.splitlines() if line.startswith("VERDICT"))
    assert re.search(r"in all: readability [\d<.]+ m?s, measures [\d<.]+ m?s, snapshots [\d<.]+ m?s, stages", verdict)


def test_two_dimensional_picture_is_judged_in_pixels_as_a_2d_modality(tmp_path, capsys) -> None:
    yy, xx = np.mgrid[:120, :160]
    disc = (yy - 60) ** 2 + (xx - 80) ** 2 <= 30**2
    grey = np.where(disc, 200, 40).astype(np.uint8) + np.random.default_rng(0).integers(0, 20, disc.shape, np.uint8)
    Image.fromarray(grey).save(tmp_path / "photo.png")
    Image.fromarray(disc.astype(np.uint8)).save(tmp_path / "mask.png")
    out = tmp_path / "r.json"
    assert main(["assess", str(tmp_path / "photo.png"), str(tmp_path / "mask.png"), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "judged as X-ray" in text and "on X-ray" in text
    assert "120x160 pixels" in text and "voxels" not in text.split("[2/4]")[1].split("[3/4]")[0]
    assert re.search(r"The mask covers 2,\d{3} pixels\.", " ".join(text.split()))
    assert '"modality": "X-ray"' in out.read_text()
