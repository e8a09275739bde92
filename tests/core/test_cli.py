"""`napari-hcr assess` on the bundled samples and on bad input, as a person would run it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from napari_hcr._sample_data import samples_dir
from napari_hcr.cli import main

SAMPLES = samples_dir()
IMAGE = SAMPLES / "mni152_t1_2mm.nii.gz"


@pytest.mark.parametrize(
    ("mask", "verdict", "kind"),
    [
        ("mni152_brain_good_2mm.nii.gz", "acceptable", None),
        ("mni152_brain_leak_2mm.nii.gz", "unacceptable", "leak"),
        ("mni152_brain_missing_2mm.nii.gz", "unacceptable", "missing_slices"),
    ],
)
def test_samples_get_the_right_verdict_with_grounded_stages(tmp_path, capsys, mask, verdict, kind) -> None:
    out = tmp_path / "out.json"
    code = main(["assess", str(IMAGE), str(SAMPLES / mask), "--structure", "brain", "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert f"VERDICT: {verdict.upper()}" in printed
    data = json.loads(out.read_text())
    assert data["schema"] == "napari-hcr/assessment/v1"
    assert data["verdict"] == verdict
    assert [s["name"] for s in data["stages"]] == [
        "knowledge_recall",
        "visual_feature_analysis",
        "anatomical_inference",
        "clinical_synthesis",
    ]
    analysis = data["stages"][1]["text"]
    assert re.search(r"\d+\.\d+ L", analysis), "stage 2 must name the measured volume"
    assert re.search(r"axis \d slice \d+", analysis), "stage 2 must name slices"
    kinds = {f["kind"] for s in data["stages"] for f in s["findings"]}
    if kind:
        assert kind in kinds
    if verdict == "unacceptable":
        decisive = [f for f in data["stages"][3]["findings"] if f["severity"] == "major"]
        assert decisive and all(f["where"] is not None for f in decisive)


def _write(path: Path, array: np.ndarray) -> Path:
    nib.save(nib.Nifti1Image(array, np.eye(4)), str(path))
    return path


@pytest.mark.parametrize(
    ("make", "sentence"),
    [
        (lambda d: (d / "missing.nii.gz", SAMPLES / "mni152_brain_good_2mm.nii.gz"), "missing.nii.gz does not exist"),
        (lambda d: (IMAGE, _write(d / "m.nii.gz", np.ones((10, 10, 10), np.uint8))), "does not match the image shape"),
        (lambda d: (IMAGE, _write(d / "e.nii.gz", np.zeros((99, 117, 95), np.uint8))), "mask is empty"),
        (
            lambda d: (
                _write(d / "i4.nii.gz", np.zeros((6, 6, 6, 3), np.float32)),
                _write(d / "m4.nii.gz", np.ones((6, 6, 6, 3), np.uint8)),
            ),
            "4 dimensions",
        ),
    ],
)
def test_bad_input_exits_non_zero_with_one_sentence(tmp_path, make, sentence) -> None:
    image, mask = make(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "napari_hcr.cli", "assess", str(image), str(mask)], capture_output=True, text=True
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert sentence in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_structure_still_gets_a_verdict_from_the_generic_profile(capsys) -> None:
    code = main(["assess", str(IMAGE), str(SAMPLES / "mni152_brain_good_2mm.nii.gz"), "--structure", "unicorn"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "'unicorn' is read as the 'generic' profile" in printed
    assert "VERDICT:" in printed


@pytest.mark.parametrize(("asked", "noted"), [("Brain", False), ("whole-brain", True)])
def test_only_an_alias_not_a_change_of_case_is_announced(capsys, asked: str, noted: bool) -> None:
    code = main(["assess", str(IMAGE), str(SAMPLES / "mni152_brain_good_2mm.nii.gz"), "--structure", asked])
    assert code == 0
    printed = capsys.readouterr().out
    assert (f"'{asked}' is read as the 'brain' profile" in printed) is noted
    assert "napari-hcr: brain on MRI-T1" in printed


def test_html_report_is_one_file_with_the_snapshots_inside(tmp_path, capsys) -> None:
    out = tmp_path / "report.html"
    code = main(
        [
            "assess",
            str(IMAGE),
            str(SAMPLES / "mni152_brain_missing_2mm.nii.gz"),
            "--structure",
            "brain",
            "--html",
            str(out),
        ]
    )
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') >= 3
    assert 'src="http' not in page and "src='http" not in page
    assert "UNACCEPTABLE" in page and "Clinical synthesis" in page
    assert "mni152" not in page, "file names stay out of the report"


def test_labels_all_assesses_every_label_and_writes_a_list(tmp_path, capsys) -> None:
    mask = nib.load(str(SAMPLES / "mni152_brain_good_2mm.nii.gz"))
    data = np.asarray(mask.dataobj).astype(np.uint8)
    two = np.where(data > 0, 1, 0).astype(np.uint8)
    two[: two.shape[0] // 2][two[: two.shape[0] // 2] == 1] = 2  # split the brain into two labels
    path = tmp_path / "two.nii.gz"
    nib.save(nib.Nifti1Image(two, mask.affine), str(path))
    out = tmp_path / "all.json"
    code = main(
        ["assess", str(IMAGE), str(path), "--labels", "all", "--structure", "1=brain,2=brain", "--json", str(out)]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert printed.count("VERDICT:") == 2
    assert "label 1," in printed and "label 2," in printed
    records = json.loads(out.read_text())
    assert [r["input"]["label"] for r in records] == [1, 2]
    assert all(r["schema"] == "napari-hcr/assessment/v1" and len(r["stages"]) == 4 for r in records)


def test_labels_lists_values_and_records_a_missing_one(tmp_path, capsys) -> None:
    out = tmp_path / "some.json"
    mask = SAMPLES / "mni152_brain_good_2mm.nii.gz"
    code = main(["assess", str(IMAGE), str(mask), "--labels", "1,5", "--json", str(out)])
    assert code == 4
    records = json.loads(out.read_text())
    assert records[0]["input"]["label"] == 1 and records[0]["verdict"] in ("acceptable", "unacceptable")
    assert records[1]["label"] == 5 and "Label 5 does not occur" in records[1]["error"]
    assert "1 of 2 labels could not be assessed" in capsys.readouterr().err


def test_label_and_labels_exclude_each_other() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "napari_hcr.cli", "assess", str(IMAGE), str(IMAGE), "--label", "1", "--labels", "all"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "not allowed with argument" in result.stderr
