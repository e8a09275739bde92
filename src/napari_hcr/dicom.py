"""Read a DICOM series folder into a volume, with spacing and orientation from its headers.

Scanners and TotalSegmentator users start from a folder of slices, one file each. pydicom (an
optional dependency, ``pip install napari-hcr[dicom]``) reads the headers and pixels; this
module orders the slices along the slice normal, applies the rescale to real units (HU on CT)
and builds the patient-space affine, so the volume goes through the same conversion to
(axial, coronal, sagittal) order as a NIfTI file (:func:`napari_hcr.io.volume_from_nifti`).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InputError

if TYPE_CHECKING:
    from .io import Volume

#: LPS (DICOM patient space) -> RAS (NIfTI world space): flip x and y.
_LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def is_dicom_folder(path: Path) -> bool:
    """Whether ``path`` is a folder holding at least one DICOM file (checked by its preamble)."""
    if not path.is_dir():
        return False
    return any(_has_preamble(child) for child in sorted(path.iterdir())[:64] if child.is_file())


def read_dicom_series(path: Path) -> Volume:
    """The one image series in folder ``path`` as a :class:`~napari_hcr.io.Volume`.

    A folder with several series is refused with their descriptions, since guessing which one
    the mask was drawn on would judge the mask against the wrong image.
    """
    pydicom = _pydicom()
    series: dict[str, list[Any]] = defaultdict(list)
    for child in sorted(path.iterdir()):
        if not child.is_file():
            continue
        try:
            header = pydicom.dcmread(str(child), stop_before_pixels=False)
        except pydicom.errors.InvalidDicomError:
            continue
        if "PixelData" in header:
            series[str(header.get("SeriesInstanceUID", ""))].append(header)
    if not series:
        raise InputError(f"{path.name} holds no DICOM image files.")
    if len(series) > 1:
        described = "; ".join(
            f"{slices[0].get('SeriesDescription', '(no description)')} ({len(slices)} files)"
            for slices in series.values()
        )
        raise InputError(f"{path.name} holds {len(series)} DICOM series ({described}); give one series per folder.")
    slices = next(iter(series.values()))
    from .io import volume_from_nifti

    return volume_from_nifti(_nifti(slices, path.name))


def _nifti(slices: list[Any], name: str) -> Any:
    import nibabel as nib

    first = slices[0]
    try:
        orientation = np.asarray([float(v) for v in first.ImageOrientationPatient], dtype=float)
        row_spacing, column_spacing = (float(v) for v in first.PixelSpacing)
    except AttributeError as error:
        raise InputError(f"{name}: the DICOM files lack orientation or pixel spacing ({error}).") from None
    along_row, along_column = orientation[:3], orientation[3:]
    normal = np.cross(along_row, along_column)
    positions = {id(s): np.asarray([float(v) for v in s.ImagePositionPatient]) for s in slices}
    slices = sorted(slices, key=lambda s: float(positions[id(s)] @ normal))
    offsets = np.array([positions[id(s)] @ normal for s in slices])
    if len(slices) > 1:
        steps = np.diff(offsets)
        if np.any(steps <= 0):
            raise InputError(f"{name}: two DICOM slices share a position; the folder mixes acquisitions.")
        if np.ptp(steps) > 0.01 * float(np.median(steps)) + 1e-3:
            raise InputError(f"{name}: the DICOM slices are not evenly spaced, so no single voxel size fits them.")
        step = (positions[id(slices[-1])] - positions[id(slices[0])]) / (len(slices) - 1)
    else:
        step = normal * float(first.get("SliceThickness", 1.0) or 1.0)
    planes = [_pixels(s) for s in slices]
    # pixel_array is (rows, columns); voxel index (i, j, k) = (column, row, slice) in the affine below.
    data = np.stack([p.T for p in planes], axis=-1)
    affine = np.eye(4)
    affine[:3, 0] = along_row * column_spacing
    affine[:3, 1] = along_column * row_spacing
    affine[:3, 2] = step
    affine[:3, 3] = positions[id(slices[0])]
    return nib.Nifti1Image(data, _LPS_TO_RAS @ affine)


def _pixels(header: Any) -> np.ndarray:
    """One slice in real units: the stored values times RescaleSlope plus RescaleIntercept."""
    pixels = np.asarray(header.pixel_array)
    slope = float(header.get("RescaleSlope", 1.0) or 1.0)
    intercept = float(header.get("RescaleIntercept", 0.0) or 0.0)
    if slope == 1.0 and intercept == 0.0:
        return pixels
    return (pixels.astype(np.float32) * np.float32(slope) + np.float32(intercept)).astype(np.float32)


def _has_preamble(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(132)[128:132] == b"DICM"
    except OSError:
        return False


def _pydicom() -> Any:
    try:
        import pydicom
        import pydicom.errors
    except ImportError:
        raise InputError(
            "Reading a DICOM series needs pydicom: pip install 'napari-hcr[dicom]' (or pydicom)."
        ) from None
    return pydicom
