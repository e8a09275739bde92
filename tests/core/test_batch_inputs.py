"""Batch input discovery (each kind of INPUT), reading a case where it runs, and DICOM series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from batch_helpers import dicom_series, sample_folder, totalsegmentator_folder, two_organs, write_pair
from napari_hcr.batch.arrays import file_digest, read_case
from napari_hcr.batch.inputs import BatchCase, discover, parse_labels
from napari_hcr.errors import InputError
from napari_hcr.io import read_volume


def test_folder_pairs_images_and_masks_by_name(tmp_path: Path) -> None:
    root = sample_folder(tmp_path / "in", ("good", "leak"))
    (root / "images" / "good.nii.gz").rename(root / "images" / "good_0000.nii.gz")  # nnU-Net's channel tag
    kind, cases = discover(root, structure="brain")
    assert kind == "folder"
    assert [c.id for c in cases] == ["good", "leak"]
    assert cases[0].image.endswith("good_0000.nii.gz") and cases[0].mask.endswith("masks/good.nii.gz")
    assert all(c.structure == "brain" and c.labels == "all" for c in cases)


def test_folder_with_an_unpaired_file_is_refused_before_any_work(tmp_path: Path) -> None:
    root = sample_folder(tmp_path / "in", ("good",))
    (root / "images" / "extra.nii.gz").write_bytes((root / "images" / "good.nii.gz").read_bytes())
    with pytest.raises(InputError, match="'extra' has no file of the same name in masks/"):
        discover(root)


def test_manifest_columns_and_relative_paths(tmp_path: Path) -> None:
    write_pair(tmp_path / "data" / "a_img.nii.gz", tmp_path / "data" / "a_seg.nii.gz")
    manifest = tmp_path / "cohort.csv"
    manifest.write_text(
        "image,mask,structure,modality,labels\n"
        'data/a_img.nii.gz,data/a_seg.nii.gz,,CT,"1,5"\n'
        f"{tmp_path / 'data' / 'a_img.nii.gz'},data/a_seg.nii.gz,liver,CT,5\n"
    )
    kind, cases = discover(manifest)
    assert kind == "manifest"
    assert [c.id for c in cases] == ["a_seg", "a_seg-2"]
    assert cases[0].labels == (1, 5) and cases[0].modality == "CT" and cases[0].structure is None
    assert cases[1].labels == (5,) and cases[1].structure == "liver"
    assert Path(cases[0].image).is_file()


def test_manifest_with_a_missing_file_names_its_line(tmp_path: Path) -> None:
    manifest = tmp_path / "cohort.csv"
    manifest.write_text("image,mask\nnope.nii.gz,also.nii.gz\n")
    with pytest.raises(InputError, match="line 2: the image 'nope.nii.gz' does not exist"):
        discover(manifest)
    manifest.write_text("img,seg\na,b\n")
    with pytest.raises(InputError, match="lacks the column"):
        discover(manifest)


@pytest.mark.parametrize("split", [False, True])
def test_totalsegmentator_output_beside_its_scan(tmp_path: Path, split: bool) -> None:
    folder = totalsegmentator_folder(tmp_path / "s01", split=split)
    kind, cases = discover(folder)
    assert kind == "totalsegmentator"
    (case,) = cases
    assert case.id == "s01" and case.modality == "CT" and case.names == "totalsegmentator"
    arrays = read_case(case)
    _image, labels = two_organs()
    assert arrays.spacing == (2.0, 1.5, 1.5)
    np.testing.assert_array_equal(arrays.labels, labels)
    assert {v: arrays.names[v] for v in (1, 5)} == {1: "spleen", 5: "liver"}
    if split:  # an empty per-structure mask (a structure outside the scan) leaves no label
        assert "gallbladder" not in arrays.names.values()


def test_a_cohort_of_totalsegmentator_folders(tmp_path: Path) -> None:
    for name in ("s01", "s02"):
        totalsegmentator_folder(tmp_path / "cohort" / name, split=True)
    kind, cases = discover(tmp_path / "cohort")
    assert kind == "totalsegmentator" and [c.id for c in cases] == ["s01", "s02"]


def test_input_that_is_no_batch_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="is not batch input"):
        discover(tmp_path / "empty")
    with pytest.raises(InputError, match="does not exist"):
        discover(tmp_path / "missing")
    with pytest.raises(InputError, match="neither 'all' nor label values"):
        parse_labels("liver")
    assert parse_labels("1; 3 ,3") == (1, 3)


def test_dicom_series_reads_with_spacing_orientation_and_rescale(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    volume = rng.integers(-200, 300, size=(6, 10, 12)).astype(np.float32)
    dicom_series(tmp_path / "series", volume, (2.5, 0.8, 0.7))
    read = read_volume(tmp_path / "series")
    assert read.spacing == pytest.approx((2.5, 0.8, 0.7))
    np.testing.assert_allclose(read.data, volume)  # slices in position order, rows and columns as stored


def test_dicom_folder_as_batch_image(tmp_path: Path) -> None:
    image, labels = two_organs()
    root = tmp_path / "in"
    dicom_series(root / "images" / "p1", np.round(image), (2.0, 1.5, 1.5))
    from napari_hcr.io import Volume, write_volume

    (root / "masks").mkdir()
    write_volume(root / "masks" / "p1.nii.gz", Volume(labels, (2.0, 1.5, 1.5)))
    _, (case,) = discover(root)
    arrays = read_case(case)
    assert arrays.spacing == pytest.approx((2.0, 1.5, 1.5))
    np.testing.assert_array_equal(arrays.labels, labels)
    np.testing.assert_allclose(arrays.image, np.round(image))
    assert len(file_digest(case.image)) == 64


def test_a_folder_without_dicom_files_is_not_an_image(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("hello")
    with pytest.raises(InputError, match="folder without DICOM files"):
        read_volume(tmp_path / "notes")


def test_batch_case_is_paths_only() -> None:
    case = BatchCase("a", "/x/img.nii.gz", "/x/seg.nii.gz")
    assert all(isinstance(getattr(case, f), (str, type(None), tuple)) for f in case.__dataclass_fields__)


def test_assess_takes_a_dicom_series_folder_as_image(tmp_path: Path) -> None:
    import json

    from napari_hcr.cli import main
    from napari_hcr.io import Volume, write_volume

    image, labels = two_organs()
    dicom_series(tmp_path / "series", np.round(image), (2.0, 1.5, 1.5))
    write_volume(tmp_path / "seg.nii.gz", Volume(labels, (2.0, 1.5, 1.5)))
    out = tmp_path / "out.json"
    argv = ["assess", str(tmp_path / "series"), str(tmp_path / "seg.nii.gz"), "--labels", "all"]
    assert main([*argv, "--label-names", "totalsegmentator", "--modality", "CT", "--json", str(out)]) == 0
    records = json.loads(out.read_text())
    assert sorted(r["structure"] for r in records) == ["liver", "spleen"]


def test_a_voxel_size_for_files_that_state_none_reaches_each_case_and_its_verdict(tmp_path: Path) -> None:
    """A cohort of .npy arrays: without a spacing its livers' volumes are not judged; --spacing
    (or a manifest's column, which wins for its row) gives every case its size, and the size is
    part of what a record's resume key holds."""
    from napari_hcr.batch.task import Task, run_task
    from synthetic import liver_in_fat

    image, labels = liver_in_fat()
    for folder in ("images", "masks"):
        (tmp_path / "in" / folder).mkdir(parents=True)
    np.save(tmp_path / "in" / "images" / "a.npy", image)
    np.save(tmp_path / "in" / "masks" / "a.npy", labels)
    _, plain = discover(tmp_path / "in", structure="liver", modality="CT")
    _, given = discover(tmp_path / "in", structure="liver", modality="CT", spacing=(3.0, 3.0, 3.0))
    assert plain[0].spacing is None and given[0].spacing == (3.0, 3.0, 3.0)

    unknown, known = (run_task(Task(case)).records[0] for case in (plain[0], given[0]))
    unknown_kinds = {f["kind"] for stage in unknown["stages"] for f in stage["findings"]}
    known_kinds = {f["kind"] for stage in known["stages"] for f in stage["findings"]}
    assert "volume_unmeasured" in unknown_kinds and "volume_unmeasured" not in known_kinds
    assert unknown["measures"]["size_unit"] == "voxels" and known["measures"]["size_unit"] == "mL"
    assert unknown["key"] != known["key"]

    manifest = tmp_path / "cohort.csv"
    manifest.write_text("image,mask,spacing\nin/images/a.npy,in/masks/a.npy,2x1x1\nin/images/a.npy,in/masks/a.npy,\n")
    _, rows = discover(manifest, spacing=(3.0, 3.0, 3.0))
    assert [c.spacing for c in rows] == [(2.0, 1.0, 1.0), (3.0, 3.0, 3.0)]
    manifest.write_text("image,mask,spacing\nin/images/a.npy,in/masks/a.npy,thin\n")
    with pytest.raises(InputError, match="line 2: the spacing 'thin' is not voxel sizes in mm"):
        discover(manifest)
