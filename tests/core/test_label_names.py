"""Label value -> name -> structure: label tables beside a mask (JSON, CSV, TSV), the
TotalSegmentator class maps, napari features tables, and the CLI's --label-names and
structures subcommand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from napari_hcr.cli import main
from napari_hcr.errors import InputError
from napari_hcr.knowledge import GENERIC, load_profile
from napari_hcr.label_names import (
    find_label_table,
    label_names,
    mask_stem,
    names_from_features,
    read_label_table,
    run_structures,
    structures_from_names,
    totalsegmentator_names,
    unknown_names,
)


def test_totalsegmentator_maps() -> None:
    total, mr = totalsegmentator_names("total"), totalsegmentator_names("total_mr")
    assert len(total) == 117 and len(mr) == 50
    assert total[1] == "spleen" and total[5] == "liver" and total[52] == "aorta" and total[90] == "brain"
    assert mr[10] == "lung_left" and mr[19] == "vertebrae"
    structures = structures_from_names(total)
    assert structures[2] == "kidney_right" and structures[27] == "vertebrae_l5"
    assert GENERIC not in structures.values()
    assert label_names(None, "totalsegmentator") == total
    assert label_names(None, "TotalSegmentator_MR") == mr
    with pytest.raises(InputError):
        totalsegmentator_names("total_v1")


@pytest.mark.parametrize(
    ("file_name", "text"),
    [
        ("seg.json", '{"1": "liver", "2": "Spleen", "3": "Left-Hippocampus"}'),
        ("seg.json", '{"labels": {"0": "background", "1": "liver", "2": "spleen", "3": "left hippocampus"}}'),
        ("seg.json", '{"labels": {"background": 0, "liver": 1, "spleen": 2, "hippocampus_left": 3}}'),
        (
            "seg.json",
            '[{"value": 1, "name": "liver"}, {"value": 2, "name": "spleen"}, {"index": 3, "name": "lh_hippocampus"}]',
        ),
        ("seg.json", '{"index": [1, 2, 3], "name": ["liver", "spleen", "Left-Hippocampus"]}'),
        ("seg.csv", "index,name\n1,liver\n2,spleen\n3,Left-Hippocampus\n"),
        ("seg.csv", "label,structure,colour\n1,liver,red\n2,spleen,blue\n3,hippocampus_left,green\n"),
        ("seg.csv", "1,liver\n2,spleen\n3,Left-Hippocampus\n"),
        ("seg.tsv", "value\tname\n1\tliver\n2\tspleen\n3\tLeft Hippocampus\n"),
        (
            "seg.txt",
            "# FreeSurfer LUT\n0 Unknown 0 0 0 0\n1 liver 1 2 3 0\n2 spleen 4 5 6 0\n3 Left-Hippocampus 220 216 20 0\n",
        ),
        (
            "seg.txt",
            (
                '# ITK-SNAP\n0 0 0 0 0 0 0 "Clear Label"\n1 255 0 0 1 1 1 "Liver"\n2 0 255 0 1 1 1 "Spleen"\n'
                '3 0 0 255 1 1 1 "Left hippocampus"\n'
            ),
        ),
    ],
)
def test_label_tables_map_to_structures(tmp_path: Path, file_name: str, text: str) -> None:
    table = tmp_path / file_name
    table.write_text(text, encoding="utf-8")
    names = read_label_table(table)
    assert sorted(names) == [1, 2, 3]
    assert structures_from_names(names) == {1: "liver", 2: "spleen", 3: "hippocampus_left"}


def test_table_beside_the_mask_is_found(tmp_path: Path) -> None:
    mask = tmp_path / "case01_seg.nii.gz"
    mask.write_bytes(b"")
    assert mask_stem(mask) == "case01_seg"
    assert find_label_table(mask) is None
    assert label_names(mask, "auto") == {}
    (tmp_path / "labels.csv").write_text("1,aorta\n", encoding="utf-8")
    assert find_label_table(mask) == tmp_path / "labels.csv"
    (tmp_path / "case01_seg.json").write_text('{"1": "heart"}', encoding="utf-8")
    assert find_label_table(mask) == tmp_path / "case01_seg.json"  # the mask's own table first
    assert label_names(mask, "auto") == {1: "heart"}
    assert label_names(mask, str(tmp_path / "labels.csv")) == {1: "aorta"}
    notes = tmp_path / "other_seg.nii.gz"
    (tmp_path / "other_seg.txt").write_text("reviewed by Dr X\n", encoding="utf-8")
    assert find_label_table(notes) == tmp_path / "labels.csv"  # notes beside a scan are not a label table


def test_bad_label_tables_say_what_is_wrong(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        read_label_table(broken)
    headless = tmp_path / "odd.csv"
    headless.write_text("colour,size\nred,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="value column"):
        read_label_table(headless)
    empty = tmp_path / "empty.json"
    empty.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="names no labels"):
        read_label_table(empty)
    with pytest.raises(InputError, match="neither"):
        label_names(None, str(tmp_path / "missing.csv"))


def test_features_tables() -> None:
    with_index = {"index": np.array([0, 1, 2, 5]), "name": ["background", "liver", "", "kidney_left"]}
    assert names_from_features(with_index) == {1: "liver", 5: "kidney_left"}
    by_row = {"name": ["background", "spleen", "aorta"], "confidence": [1.0, 0.9, 0.8]}
    assert names_from_features(by_row) == {1: "spleen", 2: "aorta"}
    assert names_from_features({"label": [1.0, 2.0], "label_name": ["heart", "Brain-Stem"]}) == {
        1: "heart",
        2: "Brain-Stem",
    }
    assert names_from_features({3: "liver", 4: "mystery organ"}) == {3: "liver", 4: "mystery organ"}
    assert names_from_features({"area": [1, 2]}) == {} and names_from_features(None) == {}
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"index": [1, 2], "name": ["liver", "Left-Putamen"]})
    assert structures_from_names(names_from_features({k: frame[k] for k in frame.columns})) == {
        1: "liver",
        2: "putamen_left",
    }


def test_unknown_names_are_generic_and_not_specific() -> None:
    names = {1: "liver", 2: "pancreatic duct of Wirsung"}
    assert unknown_names(names) == {2: "pancreatic duct of Wirsung"}
    structure = structures_from_names(names)[2]
    assert structure == GENERIC and not load_profile(structure, "CT").specific


def test_run_structures_priority(tmp_path: Path) -> None:
    mask = tmp_path / "seg.nii.gz"
    (tmp_path / "seg.json").write_text('{"1": "liver", "2": "spleen"}', encoding="utf-8")
    assert run_structures(mask, "auto", "generic", {}) == {1: "liver", 2: "spleen"}
    assert run_structures(mask, "auto", "generic", {2: "kidney"}) == {1: "liver", 2: "kidney"}
    assert run_structures(mask, "auto", "aorta", {}) == {}  # a named structure outranks a found table
    assert run_structures(mask, "totalsegmentator", "aorta", {})[52] == "aorta"


def _write_pair(folder: Path) -> tuple[Path, Path]:
    image = np.zeros((24, 24, 24), np.float32)
    mask = np.zeros((24, 24, 24), np.uint8)
    zz, yy, xx = np.mgrid[:24, :24, :24]
    ball = (zz - 12) ** 2 + (yy - 12) ** 2 + (xx - 12) ** 2 <= 36
    image[ball] = 60.0
    mask[ball] = 1
    image_path, mask_path = folder / "img.npy", folder / "seg.npy"
    np.save(image_path, image)
    np.save(mask_path, mask)
    return image_path, mask_path


def test_cli_label_names_and_modality_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image, mask = _write_pair(tmp_path)
    (tmp_path / "seg.json").write_text('{"1": "Left-Amygdala"}', encoding="utf-8")
    assert main(["assess", str(image), str(mask), "--modality", "PET"]) == 0
    out, err = capsys.readouterr()
    assert "amygdala_left on PET" in out
    assert "warning" in err and "PET" in err and len(err.strip().splitlines()) == 1
    assert main(["assess", str(image), str(mask), "--modality", "CT", "--label-names", "totalsegmentator"]) == 0
    out, err = capsys.readouterr()
    assert "spleen on CT" in out and "warning" not in err


def test_cli_structures_lists_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["structures"]) == 0
    out = capsys.readouterr().out
    assert "kidney_left" in out and "hippocampus" in out and "generic" in out
    assert "Modalities: CT, MRI-T1" in out
    assert main(["structures", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    by_name = {r["structure"]: r for r in records}
    assert "CT" in by_name["liver"]["modalities"]
    assert "left_hippocampus" in by_name["hippocampus_left"]["aliases"]
    assert by_name["generic"]["modalities"] == []


def test_label_names_and_knowledge_stay_out_of_qt() -> None:
    """The widget calls these with layer.features; they must not pull napari or Qt into the core."""
    import subprocess
    import sys

    code = (
        "import sys, napari_hcr.label_names, napari_hcr.knowledge.listing; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'napari', 'qtpy', 'PyQt5', 'PyQt6', 'PySide6'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr[-400:]


def test_cli_labels_all_takes_each_structure_from_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = np.zeros((24, 24, 24), np.float32)
    mask = np.zeros((24, 24, 24), np.uint8)
    image[4:11, 4:11, 4:11], mask[4:11, 4:11, 4:11] = 60.0, 1
    image[13:20, 13:20, 13:20], mask[13:20, 13:20, 13:20] = 120.0, 2
    np.save(tmp_path / "img.npy", image)
    np.save(tmp_path / "seg.npy", mask)
    (tmp_path / "labels.csv").write_text("index,name\n1,Left-Putamen\n2,Right-Thalamus\n", encoding="utf-8")
    main(["assess", str(tmp_path / "img.npy"), str(tmp_path / "seg.npy"), "--labels", "all", "--modality", "MRI-T1"])
    out = capsys.readouterr().out
    assert "putamen_left on MRI-T1, label 1" in out and "thalamus_right on MRI-T1, label 2" in out
