"""Reading and writing volumes: spacing, orientation, formats and the errors a person sees."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import nrrd
import numpy as np
import pytest
import tifffile
from PIL import Image

from napari_hcr.errors import InputError
from napari_hcr.io import Volume, load_case, read_volume, write_volume

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
SHAPE_RAS = (10, 12, 14)  # x (left->right), y (posterior->anterior), z (inferior->superior)


def marker_nifti(path: Path, affine: np.ndarray, world: tuple[float, float, float]) -> None:
    """A zero volume with one bright voxel at RAS position ``world`` (mm)."""
    data = np.zeros(SHAPE_RAS, dtype=np.int16)
    index = np.rint(np.linalg.inv(affine) @ np.array([*world, 1.0]))[:3].astype(int)
    data[tuple(index)] = 7
    nib.save(nib.Nifti1Image(data, affine), str(path))


def test_nifti_round_trip_keeps_array_and_spacing(tmp_path):
    data = np.random.default_rng(1).integers(0, 500, size=(7, 9, 11)).astype(np.int16)
    volume = Volume(data, (3.0, 1.5, 0.8))
    write_volume(tmp_path / "v.nii.gz", volume)
    back = read_volume(tmp_path / "v.nii.gz")
    np.testing.assert_array_equal(back.data, data)
    assert back.spacing == pytest.approx((3.0, 1.5, 0.8))


@pytest.mark.parametrize(
    "name, data, spacing",
    [
        ("v.npy", np.arange(60, dtype=np.int32).reshape(3, 4, 5), (1.0, 1.0, 1.0)),
        ("v.tif", np.arange(60, dtype=np.uint16).reshape(3, 4, 5), (2.5, 0.5, 0.75)),
        ("v.png", np.arange(20, dtype=np.uint8).reshape(4, 5), (1.0, 1.0)),
        ("v.nii", np.arange(20, dtype=np.uint8).reshape(4, 5), (0.7, 0.3)),
    ],
)
def test_other_formats_round_trip(tmp_path, name, data, spacing):
    write_volume(tmp_path / name, Volume(data, spacing))
    back = read_volume(tmp_path / name)
    np.testing.assert_array_equal(back.data, data)
    assert back.spacing == pytest.approx(spacing)


def test_nifti_orientation_follows_the_convention(tmp_path):
    """Axis 0 runs inferior->superior, axis 1 anterior->posterior, axis 2 right->left."""
    ras = np.diag([2.0, 2.0, 3.0, 1.0])
    lps = np.array([[-2.0, 0, 0, 18.0], [0, -2.0, 0, 22.0], [0, 0, 3.0, 0], [0, 0, 0, 1]])
    world = (4.0, 6.0, 15.0)  # x=4 mm -> RAS voxel 2 of 10; y=6 -> 3 of 12; z=15 -> 5 of 14
    expected = (5, 12 - 1 - 3, 10 - 1 - 2)
    for name, affine in (("ras.nii", ras), ("lps.nii.gz", lps)):
        marker_nifti(tmp_path / name, affine, world)
        volume = read_volume(tmp_path / name)
        assert volume.data.shape == (14, 12, 10)
        assert volume.spacing == pytest.approx((3.0, 2.0, 2.0))
        assert tuple(np.argwhere(volume.data == 7)[0]) == expected, name


def test_real_mni_sample_is_upright(tmp_path):
    """On the MNI brain the cerebellum (inferior, posterior) sits low on axis 0 and high on axis 1."""
    volume = read_volume(SAMPLES / "mni152_brain_good_2mm.nii.gz")
    assert volume.spacing == (2.0, 2.0, 2.0)
    mask = volume.data > 0
    lowest = np.argwhere(mask[np.flatnonzero(mask.any(axis=(1, 2)))[8]])
    assert lowest[:, 0].mean() > mask.shape[1] / 2  # bottom slices of the brain are posterior


def test_nrrd_with_lps_space_matches_nifti(tmp_path):
    data = np.zeros(SHAPE_RAS, dtype=np.int16)
    # In LPS, voxel i grows to the left, j posterior: index (7, 8, 5) sits at RAS voxel (2, 3, 5).
    data[7, 8, 5] = 7
    header = {
        "space": "left-posterior-superior",
        "space directions": np.diag([2.0, 2.0, 3.0]),
        "space origin": np.zeros(3),
    }
    nrrd.write(str(tmp_path / "m.nrrd"), data, header)
    volume = read_volume(tmp_path / "m.nrrd")
    assert volume.spacing == pytest.approx((3.0, 2.0, 2.0))
    assert tuple(np.argwhere(volume.data == 7)[0]) == (5, 12 - 1 - 3, 10 - 1 - 2)


def test_nrrd_without_space_uses_spacings(tmp_path):
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    # NRRD headers list the fastest axis first, so C-order axis 0 takes the last spacing.
    nrrd.write(str(tmp_path / "plain.nrrd"), data, {"spacings": [2.5, 1.0, 0.5]}, index_order="C")
    volume = read_volume(tmp_path / "plain.nrrd")
    np.testing.assert_array_equal(volume.data, data)
    assert volume.spacing == pytest.approx((0.5, 1.0, 2.5))


@pytest.mark.parametrize("unit, scale", [("mm", 1.0), ("micron", 1e-3)])
def test_tiff_reads_imagej_spacing_in_mm(tmp_path, unit, scale):
    data = np.arange(5 * 6 * 7, dtype=np.uint16).reshape(5, 6, 7)
    tifffile.imwrite(
        str(tmp_path / "s.tif"),
        data,
        imagej=True,
        resolution=(1 / 0.25, 1 / 0.5),
        metadata={"spacing": 2.0, "unit": unit},
    )
    volume = read_volume(tmp_path / "s.tif")
    np.testing.assert_array_equal(volume.data, data)
    assert volume.spacing == pytest.approx((2.0 * scale, 0.5 * scale, 0.25 * scale))


def test_tiff_without_resolution_has_unit_spacing(tmp_path):
    tifffile.imwrite(str(tmp_path / "p.tiff"), np.ones((4, 5), dtype=np.uint8))
    assert read_volume(tmp_path / "p.tiff").spacing == (1.0, 1.0)


def test_png_rgb_and_npy(tmp_path):
    rgb = np.zeros((20, 30, 3), dtype=np.uint8)
    rgb[..., 1] = 200
    Image.fromarray(rgb).save(tmp_path / "c.png")
    volume = read_volume(tmp_path / "c.png")
    assert volume.data.shape == (20, 30, 3) and volume.spacing == (1.0, 1.0)
    np.testing.assert_array_equal(volume.data, rgb)
    array = np.arange(12.0).reshape(3, 4)
    write_volume(tmp_path / "a.npy", Volume(array, (1.0, 1.0)))
    np.testing.assert_array_equal(read_volume(tmp_path / "a.npy").data, array)


@pytest.mark.parametrize(
    "name, content, phrase",
    [
        ("scan.xyz", b"data", "unsupported file type"),
        ("absent.nii.gz", None, "does not exist"),
        ("broken.nii.gz", b"this is not a nifti file at all", "could not be read"),
        ("broken.nrrd", b"NRRD0004\ntype: nonsense\n\n", "could not be read"),
        ("broken.png", b"\x89PNG garbage", "could not be read"),
        ("broken.npy", b"nope", "could not be read"),
    ],
)
def test_bad_files_raise_one_sentence(tmp_path, name, content, phrase):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_volume(path)
    message = str(caught.value)
    assert name in message and phrase in message
    assert "\n" not in message and str(tmp_path) not in message


def test_load_case_from_the_bundled_sample():
    case = load_case(
        SAMPLES / "mni152_t1_2mm.nii.gz", SAMPLES / "mni152_brain_good_2mm.nii.gz", structure="brain", modality="MRI-T1"
    )
    assert case.image.shape == case.labels.shape == (95, 117, 99)
    assert case.spacing == (2.0, 2.0, 2.0) and case.label == 1 and case.structure == "brain"


def test_load_case_rejects_mismatched_shapes(tmp_path):
    write_volume(tmp_path / "i.nii.gz", Volume(np.zeros((4, 5, 6), np.float32), (1.0, 1.0, 1.0)))
    write_volume(tmp_path / "m.nii.gz", Volume(np.ones((4, 5, 7), np.uint8), (1.0, 1.0, 1.0)))
    with pytest.raises(InputError, match="does not match"):
        load_case(tmp_path / "i.nii.gz", tmp_path / "m.nii.gz")


def test_load_case_from_rgb_png_and_mask_png(tmp_path):
    rgb = np.zeros((40, 50, 3), dtype=np.uint8)
    rgb[10:30, 10:40] = (220, 90, 40)
    mask = np.zeros((40, 50), dtype=np.uint8)
    mask[10:30, 10:40] = 255
    Image.fromarray(rgb).save(tmp_path / "photo.png")
    Image.fromarray(mask).save(tmp_path / "mask.png")
    case = load_case(tmp_path / "photo.png", tmp_path / "mask.png", structure="lesion")
    assert case.image.shape == (40, 50) and case.rgb is not None and case.rgb.shape == (40, 50, 3)
    assert case.label == 255 and int(case.mask.sum()) == 600


def test_a_file_that_states_no_voxel_size_says_so(tmp_path):
    """A size in mm is a claim: an array or picture without a voxel size reads as unknown,
    and a pair takes the size of whichever file states one."""
    from napari_hcr.io import read_pair

    cube = np.zeros((5, 6, 7), dtype=np.uint8)
    cube[1:3, 1:4, 1:5] = 1
    write_volume(tmp_path / "a.npy", Volume(cube, (1.0, 1.0, 1.0)))
    write_volume(tmp_path / "a.nii.gz", Volume(cube, (3.0, 0.8, 0.8)))
    write_volume(tmp_path / "a.tif", Volume(cube, (2.0, 0.5, 0.5)))
    nrrd.write(str(tmp_path / "bare.nrrd"), cube, index_order="C")
    tifffile.imwrite(str(tmp_path / "bare.tif"), cube, photometric="minisblack")
    Image.fromarray(cube[0] * 255).save(tmp_path / "a.png")
    known = {name: read_volume(tmp_path / name).spacing_known for name in ("a.nii.gz", "a.tif")}
    unknown = {name: read_volume(tmp_path / name).spacing_known for name in ("a.npy", "bare.nrrd", "bare.tif", "a.png")}
    assert all(known.values()) and not any(unknown.values())
    assert read_pair(tmp_path / "a.npy", tmp_path / "a.npy")[2] is None
    assert read_pair(tmp_path / "a.npy", tmp_path / "a.nii.gz")[2] == pytest.approx((3.0, 0.8, 0.8))
    assert read_pair(tmp_path / "a.nii.gz", tmp_path / "a.npy")[2] == pytest.approx((3.0, 0.8, 0.8))
