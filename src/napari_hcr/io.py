"""Read and write image/mask files with their voxel spacing, in one array orientation.

Every 3-D volume that carries an orientation (NIfTI, NRRD with a space) is turned into
(axial, coronal, sagittal) order: axis 0 inferior->superior, axis 1 anterior->posterior,
axis 2 patient right->left. Measures such as symmetry and the snapshots' radiological view
rely on that, so the conversion happens once, here, and nowhere else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .case import Case, make_case
from .errors import InputError

_NIFTI = (".nii", ".nii.gz")
_NRRD = (".nrrd", ".nhdr")
_TIFF = (".tif", ".tiff")
_PICTURE = (".png", ".jpg", ".jpeg")
_NPY = (".npy",)
SUPPORTED: tuple[str, ...] = _NIFTI + _NRRD + _TIFF + _PICTURE + _NPY


@dataclass(frozen=True)
class Volume:
    """An array and its voxel size in millimetres, one entry per array axis (RGB: per spatial axis).

    ``spacing_known`` is False when the file states no voxel size (a .npy array, a picture, an
    NRRD or TIFF without one): ``spacing`` then holds ones, and no size in mm may be claimed.
    """

    data: np.ndarray
    spacing: tuple[float, ...]
    spacing_known: bool = True

    @property
    def stated_spacing(self) -> tuple[float, ...] | None:
        """The voxel size when the file states one, else None (what ``make_case`` reads as unknown)."""
        return self.spacing if self.spacing_known else None


def _suffix(path: Path) -> str:
    name = path.name.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else path.suffix.lower()


def read_volume(path: str | os.PathLike[str]) -> Volume:
    """Read ``path`` into a :class:`Volume`, or raise :class:`InputError` with one sentence.

    ``path`` may also be a folder holding one DICOM series (:mod:`napari_hcr.dicom`).
    """
    path = Path(path)
    if path.is_dir():
        return _read_dicom(path)
    suffix = _suffix(path)
    if suffix not in SUPPORTED:
        raise InputError(f"{path.name} has an unsupported file type; use one of {', '.join(SUPPORTED)}.")
    if not path.is_file():
        raise InputError(f"{path.name} does not exist or is not a file.")
    reader = {
        **{s: _read_nifti for s in _NIFTI},
        **{s: _read_nrrd for s in _NRRD},
        **{s: _read_tiff for s in _TIFF},
        **{s: _read_picture for s in _PICTURE},
        ".npy": _read_npy,
    }[suffix]
    try:
        volume = reader(path)
    except InputError:
        raise
    except Exception as error:  # every library raises its own types for a corrupt file
        raise InputError(f"{path.name} could not be read as a {suffix} file ({_reason(error, path)}).") from error
    if volume.data.size == 0:
        raise InputError(f"{path.name} holds an empty array.")
    return volume


def _read_dicom(path: Path) -> Volume:
    from .dicom import is_dicom_folder, read_dicom_series

    if not is_dicom_folder(path):
        raise InputError(f"{path.name} is a folder without DICOM files; give an image file or a DICOM series folder.")
    try:
        return read_dicom_series(path)
    except InputError:
        raise
    except Exception as error:  # pydicom raises its own types for a corrupt or compressed file
        raise InputError(f"{path.name} could not be read as a DICOM series ({_reason(error, path)}).") from error


def _reason(error: Exception, path: Path) -> str:
    """The library's own complaint, on one line and without the directory (paths can be private)."""
    text = " ".join(str(error).split()) or type(error).__name__
    text = text.replace(str(path.parent) + os.sep, "").replace(str(path.resolve().parent) + os.sep, "")
    text = text.replace("`", "'").rstrip(".")
    return text if len(text) <= 160 else text[:157] + "..."


def _read_nifti(path: Path) -> Volume:
    import nibabel as nib

    return volume_from_nifti(nib.load(str(path)))


def volume_from_nifti(image: Any) -> Volume:
    """A loaded nibabel image (file or in memory, e.g. from nilearn) in this package's orientation."""
    import nibabel as nib

    if len(image.shape) > 3:
        if any(n > 1 for n in image.shape[3:]):
            # Left for make_case to reject with its sentence about extra dimensions.
            return Volume(np.asarray(image.dataobj), tuple(float(z) for z in image.header.get_zooms()))
        image = nib.squeeze_image(image)
    if len(image.shape) == 2:
        data = np.asanyarray(image.dataobj)
        zooms = image.header.get_zooms()[:2]
        return Volume(np.asarray(data).T.copy(), (float(zooms[1]), float(zooms[0])))
    canonical = nib.as_closest_canonical(image)
    data = np.asarray(canonical.dataobj)
    zooms = tuple(float(z) for z in canonical.header.get_zooms()[:3])
    return Volume(_ras_to_hcr(data), (zooms[2], zooms[1], zooms[0]))


def _ras_to_hcr(data: np.ndarray) -> np.ndarray:
    """RAS+ array (x to the right, y anterior, z superior) -> (S, P, L) array order."""
    out = np.transpose(data, (2, 1, 0))
    return np.ascontiguousarray(out[:, ::-1, ::-1])


def _hcr_to_ras(data: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.transpose(data[:, ::-1, ::-1], (2, 1, 0)))


_NRRD_TO_RAS = {
    "right-anterior-superior": (1, 1, 1),
    "ras": (1, 1, 1),
    "left-anterior-superior": (-1, 1, 1),
    "las": (-1, 1, 1),
    "left-posterior-superior": (-1, -1, 1),
    "lps": (-1, -1, 1),
    "scanner-xyz": (1, 1, 1),
    "3d-right-handed": (1, 1, 1),
}


def _read_nrrd(path: Path) -> Volume:
    import nrrd

    data, header = nrrd.read(str(path))
    directions = header.get("space directions")
    space = str(header.get("space", "")).lower()
    if directions is not None:
        rows = [np.asarray(d, dtype=float) for d in directions]
        spatial = [r for r in rows if r is not None and np.all(np.isfinite(r))]
        spacing = tuple(float(np.linalg.norm(r)) for r in spatial)
        if data.ndim == 3 and len(spatial) == 3 and space in _NRRD_TO_RAS:
            import nibabel as nib

            flips = np.asarray(_NRRD_TO_RAS[space], dtype=float)
            affine = np.eye(4)
            affine[:3, :3] = np.stack(spatial, axis=1) * flips[:, None]
            origin = header.get("space origin")
            if origin is not None:
                affine[:3, 3] = np.asarray(origin, dtype=float) * flips
            image = nib.Nifti1Image(data, affine)
            canonical = nib.as_closest_canonical(image)
            zooms = tuple(float(z) for z in canonical.header.get_zooms()[:3])
            return Volume(_ras_to_hcr(np.asarray(canonical.dataobj)), (zooms[2], zooms[1], zooms[0]))
        return Volume(np.ascontiguousarray(data.T), tuple(reversed(spacing)) or (1.0,) * data.ndim, bool(spacing))
    spacings = header.get("spacings")
    known = spacings is not None and all(np.isfinite(s) for s in spacings)
    spacing = tuple(float(s) for s in spacings) if known else (1.0,) * data.ndim
    # pynrrd returns Fortran (x fastest) order; reverse to the C order the rest of the code uses.
    return Volume(np.ascontiguousarray(data.T), tuple(reversed(spacing)), known)


def _read_tiff(path: Path) -> Volume:
    import tifffile

    with tifffile.TiffFile(str(path)) as tif:
        data = tif.asarray()
        page = tif.pages[0]
        rgb = data.ndim >= 3 and data.shape[-1] in (3, 4) and getattr(page, "photometric", None) == 2
        spatial_ndim = data.ndim - 1 if rgb else data.ndim
        spacing = [1.0] * spatial_ndim
        yx = _tiff_pixel_size(page)
        if yx is not None and spatial_ndim >= 2:
            spacing[-2], spacing[-1] = yx
        imagej = tif.imagej_metadata or {}
        depth = bool(imagej and spatial_ndim == 3 and imagej.get("spacing"))
        if depth:
            spacing[0] = float(imagej["spacing"])
        if imagej:
            # ImageJ stores sizes in its own unit (often microns); the rest of napari-hcr uses mm.
            scale = _IMAGEJ_UNIT_MM.get(str(imagej.get("unit", "")).strip().lower(), 1.0)
            spacing = [s * scale for s in spacing]
    known = yx is not None and (spatial_ndim == 2 or depth)
    return Volume(np.asarray(data), tuple(spacing), known)


# ImageJ may write the micro sign as the literal escape text "\u00B5m", hence that key.
_IMAGEJ_UNIT_MM = {
    "micron": 1e-3,
    "um": 1e-3,
    "\\u00b5m": 1e-3,
    "µm": 1e-3,
    "nm": 1e-6,
    "mm": 1.0,
    "cm": 10.0,
    "m": 1000.0,
    "inch": 25.4,
}


def _tiff_pixel_size(page: object) -> tuple[float, float] | None:
    tags = page.tags  # type: ignore[attr-defined]
    if "XResolution" not in tags or "YResolution" not in tags:
        return None
    xres = tags["XResolution"].value
    yres = tags["YResolution"].value
    try:
        x = xres[1] / xres[0]
        y = yres[1] / yres[0]
    except (TypeError, ZeroDivisionError, IndexError):
        return None
    unit = tags["ResolutionUnit"].value if "ResolutionUnit" in tags else 1
    scale = {2: 25.4, 3: 10.0}.get(int(unit), 1.0)  # inch / centimetre -> mm; none: as is
    if not (np.isfinite(x) and np.isfinite(y)) or x <= 0 or y <= 0:
        return None
    if int(unit) == 1 and x == 1.0 and y == 1.0:
        return None
    return (float(y * scale), float(x * scale))


def _read_picture(path: Path) -> Volume:
    from PIL import Image

    with Image.open(path) as opened:
        opened.load()
        picture: Image.Image = opened
        # Palette ("P") images keep their indices: label masks are often stored that way.
        if picture.mode in ("1", "LA"):
            picture = picture.convert("L")
        elif picture.mode not in ("L", "P", "I", "I;16", "F", "RGB"):
            picture = picture.convert("RGB")
        data = np.asarray(picture)
    return Volume(data, (1.0, 1.0), spacing_known=False)


def _read_npy(path: Path) -> Volume:
    data = np.load(str(path), allow_pickle=False)
    spatial = data.ndim - 1 if data.ndim == 3 and data.shape[-1] in (3, 4) and data.dtype == np.uint8 else data.ndim
    return Volume(data, (1.0,) * spatial, spacing_known=False)


def write_volume(path: str | os.PathLike[str], volume: Volume) -> None:
    """Write ``volume`` so :func:`read_volume` gives back the same array and spacing."""
    path = Path(path)
    suffix = _suffix(path)
    if suffix in _NIFTI:
        import nibabel as nib

        data = volume.data
        if data.dtype == bool:
            data = data.astype(np.uint8)
        if data.ndim == 3:
            sz, sy, sx = volume.spacing
            affine = np.diag([sx, sy, sz, 1.0])
            image = nib.Nifti1Image(_hcr_to_ras(data), affine)
        elif data.ndim == 2:
            sy, sx = volume.spacing
            image = nib.Nifti1Image(np.ascontiguousarray(data.T), np.diag([sx, sy, 1.0, 1.0]))
        else:
            raise InputError(f"{path.name}: only 2-D or 3-D arrays can be written as NIfTI.")
        image.header.set_xyzt_units("mm")
        nib.save(image, str(path))
    elif suffix == ".npy":
        np.save(str(path), volume.data, allow_pickle=False)
    elif suffix in _TIFF:
        import tifffile

        tifffile.imwrite(
            str(path),
            volume.data,
            imagej=volume.data.ndim == 3,
            resolution=(1.0 / volume.spacing[-1], 1.0 / volume.spacing[-2]),
            metadata={"spacing": volume.spacing[0], "unit": "mm"} if volume.data.ndim == 3 else {},
        )
    elif suffix in _PICTURE:
        from PIL import Image

        Image.fromarray(volume.data).save(path)
    else:
        raise InputError(f"{path.name}: writing {suffix} files is not supported; use .nii.gz or .npy.")


def load_case(
    image_path: str | os.PathLike[str],
    mask_path: str | os.PathLike[str],
    *,
    label: int | None = None,
    structure: str = "generic",
    modality: str = "MRI-T1",
) -> Case:
    """Read an image and its mask into a validated :class:`Case` (spacing from the image file)."""
    image, labels, spacing = read_pair(image_path, mask_path)
    return make_case(image, labels, label=label, spacing=spacing, structure=structure, modality=modality)


def read_pair(
    image_path: str | os.PathLike[str], mask_path: str | os.PathLike[str]
) -> tuple[np.ndarray, np.ndarray, tuple[float, ...] | None]:
    """Read an image and its label file: the two arrays and the voxel spacing (the image's
    first, then the mask's; None when neither file states one)."""
    image = read_volume(image_path)
    mask = read_volume(mask_path)
    labels = mask.data
    if labels.ndim == 3 and labels.shape[-1] in (3, 4) and image.data.ndim == 2:
        labels = labels[..., 0]
    for volume in (image, mask):
        if volume.stated_spacing is not None and len(volume.spacing) == labels.ndim:
            return image.data, labels, volume.stated_spacing
    return image.data, labels, None
