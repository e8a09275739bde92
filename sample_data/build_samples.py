"""Build the bundled sample volumes from the MNI ICBM152 template shipped inside nilearn.

The samples must be real anatomy (so a radiologist recognises the failures) and must rebuild
byte for byte offline, so everything comes from files installed with nilearn, every random
choice is seeded, and the gzip header carries no timestamp.

Run from the repository root:  python sample_data/build_samples.py
"""

from __future__ import annotations

import gzip
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

HERE = Path(__file__).resolve().parent
RESOLUTION_MM = 2
SEED = 20260127

# Leak: a blob through the skull over the right frontal convexity (MNI mm, RAS).
LEAK_CENTRE_FROM = np.array([0.0, -10.0, 20.0])  # ray origin deep in the brain
LEAK_DIRECTION = np.array([0.35, 0.70, 0.62])  # up, forward and to the right
LEAK_RADIUS_MM = 26.0
LEAK_DEPTH_MM = 18.0  # brain surface to outer skin is about 10-15 mm over the frontal bone

# Missing slices: an annotator skipped 12 mm of axial slices through the lateral ventricles.
MISSING_Z_MM = (6.0, 16.0)  # inclusive MNI z range of the cleared slices


def brain_inputs() -> tuple[nib.Nifti1Image, np.ndarray]:
    """The 2 mm T1 template (scaled 0-255, uint8 like the original) and nilearn's brain mask."""
    from nilearn import datasets

    template = datasets.load_mni152_template(resolution=RESOLUTION_MM)
    mask = np.asarray(datasets.load_mni152_brain_mask(resolution=RESOLUTION_MM).dataobj) > 0
    t1 = np.clip(np.rint(np.asarray(template.dataobj, dtype=np.float32) * 255.0), 0, 255)
    image = nib.Nifti1Image(t1.astype(np.uint8), template.affine)
    return image, mask


def leak_mask(mask: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """The brain mask plus one connected outgrowth through the skull at the frontal convexity.

    Region growing past the brain edge is restricted to a ball centred on the brain surface, and
    its outer edge is roughened with smooth seeded noise so it looks like a real extraction leak
    (lobulated, thickest in the middle) rather than a geometric cap.
    """
    surface = _surface_point(mask, affine)
    world = _world_grid(mask.shape, affine)
    distance = np.linalg.norm(world - surface, axis=-1)
    rng = np.random.default_rng(SEED)
    noise = ndimage.gaussian_filter(rng.standard_normal(mask.shape), sigma=3.0)
    noise /= np.abs(noise).max()
    ball = distance <= LEAK_RADIUS_MM * (1.0 + 0.35 * noise)
    depth = _outside_depth_mm(mask, affine)
    taper = LEAK_DEPTH_MM * (1.0 - (distance / LEAK_RADIUS_MM) ** 2)
    grown = ball & (depth > 0) & (depth <= taper * (1.0 + 0.3 * noise))
    leaked = mask | grown
    labels, _ = ndimage.label(leaked)
    return labels == labels[tuple(np.argwhere(mask)[0])]


def missing_mask(mask: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """The brain mask with the axial slices in ``MISSING_Z_MM`` cleared."""
    z = affine[2, 3] + affine[2, 2] * np.arange(mask.shape[2])
    cleared = (z >= MISSING_Z_MM[0]) & (z <= MISSING_Z_MM[1])
    out = mask.copy()
    out[:, :, cleared] = False
    return out


def _world_grid(shape: tuple[int, ...], affine: np.ndarray) -> np.ndarray:
    index = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), axis=-1)
    return index @ affine[:3, :3].T + affine[:3, 3]


def _surface_point(mask: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Last brain point along the leak ray (MNI mm)."""
    direction = LEAK_DIRECTION / np.linalg.norm(LEAK_DIRECTION)
    inverse = np.linalg.inv(affine)
    last = LEAK_CENTRE_FROM
    for step in np.arange(0.0, 150.0, 0.5):
        point = LEAK_CENTRE_FROM + step * direction
        i, j, k = np.rint(inverse[:3, :3] @ point + inverse[:3, 3]).astype(int)
        if mask[i, j, k]:
            last = point
    return last


def _outside_depth_mm(mask: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Distance from the brain for voxels outside it (0 inside)."""
    return ndimage.distance_transform_edt(~mask, sampling=np.abs(np.diag(affine)[:3]))


def save(data: np.ndarray, affine: np.ndarray, folder: Path, name: str) -> Path:
    """Write a gzip'd NIfTI without a timestamp so rebuilding gives identical bytes."""
    image = nib.Nifti1Image(data, affine)
    image.header.set_xyzt_units("mm")
    image.set_qform(affine, code=4)  # 4 = MNI152 space
    image.set_sform(affine, code=4)
    path = folder / name
    path.write_bytes(gzip.compress(image.to_bytes(), compresslevel=9, mtime=0))
    return path


def build(folder: Path = HERE) -> list[Path]:
    """Write the four samples into ``folder`` and return their paths."""
    image, mask = brain_inputs()
    affine = image.affine
    return [
        save(np.asarray(image.dataobj), affine, folder, "mni152_t1_2mm.nii.gz"),
        save(mask.astype(np.uint8), affine, folder, "mni152_brain_good_2mm.nii.gz"),
        save(leak_mask(mask, affine).astype(np.uint8), affine, folder, "mni152_brain_leak_2mm.nii.gz"),
        save(missing_mask(mask, affine).astype(np.uint8), affine, folder, "mni152_brain_missing_2mm.nii.gz"),
    ]


if __name__ == "__main__":
    for written in build():
        print(f"{written.name}: {written.stat().st_size} bytes")
