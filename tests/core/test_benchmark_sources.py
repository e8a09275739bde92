"""The benchmark's real sources: only the named archive members are ever read (the reserved
TotalSegmentator files never), the class map is parsed without running the module, the cache
is used without a network, and the fetched scans have the expected labels and grids."""

from __future__ import annotations

import io
import subprocess
import tarfile
import zipfile

import numpy as np
import pytest

from napari_hcr.acceptability import fetch as fetch_module
from napari_hcr.acceptability.fetch import PACKAGES, TOTALSEGMENTATOR, FetchError, Package, fetch
from napari_hcr.acceptability.scans import available, class_map_total, load_scan
from napari_hcr.acceptability.splits import ct_split, ct_targets, nucleus_targets

RESERVED = ("example_ct_sm", "example_mr_sm", "example_ct_dicom", "aorta_report", "pulmonary_report")


def test_only_the_allowed_members_are_named():
    for package in PACKAGES:
        for member in package.members:
            assert not any(word in member for word in RESERVED), member
    reference_files = [m for m in TOTALSEGMENTATOR.members if m.startswith("tests/")]
    assert reference_files == [
        "tests/reference_files/example_ct.nii.gz",
        "tests/reference_files/example_seg_fast_force_split.nii.gz",
    ]
    # The sdist path is exact: the aorta_report folder's own example_ct.nii.gz can never match.
    assert TOTALSEGMENTATOR.archive_path(reference_files[0]) == (
        "totalsegmentator-2.18.0/tests/reference_files/example_ct.nii.gz"
    )


def _fake_sdist(tmp_path, name="pkg", version="1.0"):
    path = tmp_path / f"{name}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as t:
        for member, text in (("data/a.txt", b"wanted"), ("data/reserved.txt", b"never read")):
            info = tarfile.TarInfo(f"{name}-{version}/{member}")
            info.size = len(text)
            t.addfile(info, io.BytesIO(text))
    return path


def test_fetch_extracts_exactly_the_named_members(tmp_path, monkeypatch):
    archive = _fake_sdist(tmp_path)
    package = Package("pkg", "1.0", "sdist", ("data/a.txt",), "MIT")
    monkeypatch.setattr(fetch_module, "_download", lambda p, into: archive)
    root = tmp_path / "cache"
    folder = fetch(package, root)
    assert (folder / "data" / "a.txt").read_bytes() == b"wanted"
    assert sorted(p.name for p in folder.rglob("*") if p.is_file()) == ["a.txt"]
    missing = Package("pkg", "1.0", "sdist", ("data/none.txt",), "MIT")
    with pytest.raises(FetchError, match="no member"):
        fetch(missing, tmp_path / "other")


def test_fetch_reads_wheels_by_member_name(tmp_path, monkeypatch):
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("pkg/data/img.tif", b"tif")
        z.writestr("pkg/data/other.tif", b"other")
    monkeypatch.setattr(fetch_module, "_download", lambda p, into: wheel)
    folder = fetch(Package("pkg", "1.0", "wheel", ("pkg/data/img.tif",), "BSD-3-Clause"), tmp_path / "cache")
    assert (folder / "pkg" / "data" / "img.tif").read_bytes() == b"tif"
    assert not (folder / "pkg" / "data" / "other.tif").exists()


def test_a_cached_package_needs_no_network(tmp_path, monkeypatch):
    package = Package("pkg", "1.0", "sdist", ("data/a.txt",), "MIT")
    (tmp_path / "pkg-1.0" / "data").mkdir(parents=True)
    (tmp_path / "pkg-1.0" / "data" / "a.txt").write_text("x")

    def no_network(*args, **kwargs):
        raise AssertionError("pip was called although the cache is complete")

    monkeypatch.setattr(subprocess, "run", no_network)
    assert fetch(package, tmp_path) == tmp_path / "pkg-1.0"


def test_an_sdist_without_its_build_modules_names_the_extra(tmp_path, monkeypatch):
    """pip's own message for a missing ``wheel`` is a build log's last line; the user needs the
    extra that brings it."""
    monkeypatch.setattr(fetch_module, "BUILD_MODULES", ("setuptools", "napari_hcr_no_such_module"))

    def no_pip(*args, **kwargs):
        raise AssertionError("pip was called although it could not read the sdist")

    monkeypatch.setattr(subprocess, "run", no_pip)
    with pytest.raises(FetchError, match=r"needs napari_hcr_no_such_module .*napari-hcr\[bench\]"):
        fetch(Package("pkg", "1.0", "sdist", ("data/a.txt",), "MIT"), tmp_path)


def test_class_map_is_read_as_literals_without_running_the_module(tmp_path):
    source = tmp_path / "map_to_binary.py"
    source.write_text(
        "raise SystemExit('never executed')\n"
        "class_map = {\n"
        '    "other": {1: "x"},\n'
        '    "total": {1: "spleen", 2: "kidney_right", 117: "costal_cartilages"},\n'
        "}\n",
        encoding="utf-8",
    )
    assert class_map_total(source) == {1: "spleen", 2: "kidney_right", 117: "costal_cartilages"}


needs_ct = pytest.mark.skipif(not available("ts-ct"), reason="TotalSegmentator not in the user cache: run bench once")
needs_nuclei = pytest.mark.skipif(not available("nuclei2d"), reason="stardist not in the user cache: run bench once")
needs_lesions = pytest.mark.skipif(not available("lung1"), reason="pyradiomics not in the user cache: run bench once")


@needs_ct
def test_totalsegmentator_ct_has_61_named_labels_and_every_one_a_split():
    scan = load_scan("ts-ct")
    assert scan.modality == "CT" and scan.spacing == pytest.approx((3.0, 3.0, 3.0))
    assert scan.image.shape == scan.labels.shape and scan.image.min() < -900
    assert len(scan.names) == 61 and scan.names[1] == "spleen" and scan.names[5] == "liver"
    assert all(ct_split(name) in ("dev", "test") for name in scan.names.values())
    dev, test = ct_targets(scan, "dev"), ct_targets(scan, "test")
    assert not {t.structure for t in dev} & {t.structure for t in test}
    assert len(dev) + len(test) == 58  # three structures of fewer than 100 voxels left out
    assert scan.body.sum() > 0.2 * scan.body.size


@needs_lesions
def test_pyradiomics_lesions_are_single_labels_on_their_own_grids():
    for scan_id, structure in (("lung1", "lung_nodule"), ("brain1", "brain_tumour"), ("breast1", "breast_lesion")):
        scan = load_scan(scan_id)
        assert scan.names == {1: structure}
        assert set(np.unique(scan.labels)) == {0, 1}
        assert scan.labels.sum() >= 100
    assert load_scan("brain1").modality == "MRI" and load_scan("lung1").modality == "CT"


@needs_nuclei
def test_stardist_nuclei_are_instances_and_the_draw_is_fixed():
    scan = load_scan("nuclei2d")
    assert scan.ndim == 2 and len(scan.names) > 100 and set(scan.names.values()) == {"nucleus"}
    first, again = nucleus_targets(scan, "test"), nucleus_targets(scan, "test")
    assert first == again and len(first) == 10 and nucleus_targets(scan, "dev") == []
    edge = set(np.unique(np.concatenate([scan.labels[0], scan.labels[-1], scan.labels[:, 0], scan.labels[:, -1]])))
    assert not {t.value for t in first} & edge
