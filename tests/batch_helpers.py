"""Batch inputs for the tests: the bundled 2 mm MNI152 samples laid out as a batch would find them,
small synthetic multi-label volumes, TotalSegmentator-style output and a DICOM series."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from napari_hcr.io import Volume, write_volume

SAMPLES = Path(__file__).resolve().parents[1] / "sample_data"
T1 = SAMPLES / "mni152_t1_2mm.nii.gz"
MASKS = {kind: SAMPLES / f"mni152_brain_{kind}_2mm.nii.gz" for kind in ("good", "leak", "missing")}


def sample_folder(root: Path, kinds: tuple[str, ...] = ("good", "leak", "missing")) -> Path:
    """images/ + masks/ with one case per sample mask (the same T1 under each case's name)."""
    for sub in ("images", "masks"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        shutil.copy(T1, root / "images" / f"{kind}.nii.gz")
        shutil.copy(MASKS[kind], root / "masks" / f"{kind}.nii.gz")
    return root


def two_organs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 40x48x48 'CT' with two bright blobs, labelled 5 (liver) and 1 (spleen) in TotalSegmentator's map."""
    shape = (40, 48, 48)
    grid = np.ogrid[tuple(slice(0, n) for n in shape)]
    liver = sum(((g - c) / r) ** 2 for g, c, r in zip(grid, (20, 24, 16), (10, 12, 10))) <= 1
    spleen = sum(((g - c) / r) ** 2 for g, c, r in zip(grid, (20, 24, 36), (7, 7, 6))) <= 1
    rng = np.random.default_rng(seed)
    image = np.where(liver, 60.0, np.where(spleen, 50.0, -100.0)) + 8.0 * rng.standard_normal(shape)
    labels = np.zeros(shape, np.uint8)
    labels[liver] = 5
    labels[spleen] = 1
    return image.astype(np.float32), labels


def write_pair(image_path: Path, mask_path: Path, seed: int = 0) -> None:
    image, labels = two_organs(seed)
    image_path.parent.mkdir(parents=True, exist_ok=True)
    mask_path.parent.mkdir(parents=True, exist_ok=True)
    write_volume(image_path, Volume(image, (2.0, 1.5, 1.5)))
    write_volume(mask_path, Volume(labels, (2.0, 1.5, 1.5)))


def totalsegmentator_folder(root: Path, *, split: bool) -> Path:
    """A scan beside TotalSegmentator output: ``segmentations/<class>.nii.gz`` (split) or one
    multi-label ``segmentations.nii.gz``."""
    image, labels = two_organs()
    root.mkdir(parents=True, exist_ok=True)
    write_volume(root / "ct.nii.gz", Volume(image, (2.0, 1.5, 1.5)))
    if split:
        (root / "segmentations").mkdir()
        for name, value in (("liver", 5), ("spleen", 1), ("gallbladder", 4)):  # gallbladder: empty, not in the scan
            write_volume(
                root / "segmentations" / f"{name}.nii.gz", Volume((labels == value).astype(np.uint8), (2.0, 1.5, 1.5))
            )
    else:
        write_volume(root / "segmentations.nii.gz", Volume(labels, (2.0, 1.5, 1.5)))
    return root


def dicom_series(
    folder: Path, volume: np.ndarray, spacing: tuple[float, float, float], intercept: float = -1024.0
) -> None:
    """Write ``volume`` (axial slices inferior->superior, rows anterior->posterior, columns right->left)
    as an axial CT DICOM series, one file per slice, shuffled file names."""
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    series = generate_uid()
    order = np.random.default_rng(1).permutation(volume.shape[0])
    for k in range(volume.shape[0]):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(str(folder / f"im{order[k]:03d}.dcm"), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.SeriesInstanceUID = series
        ds.StudyInstanceUID = series
        ds.Modality = "CT"
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [-30.0, -40.0, 10.0 + k * spacing[0]]
        ds.PixelSpacing = [spacing[1], spacing[2]]
        ds.SliceThickness = spacing[0]
        ds.Rows, ds.Columns = volume.shape[1:]
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.RescaleIntercept = intercept
        ds.RescaleSlope = 1
        ds.PixelData = (volume[k] - intercept).astype(np.uint16).tobytes()
        pydicom.dcmwrite(str(folder / f"im{order[k]:03d}.dcm"), ds, enforce_file_format=True)
