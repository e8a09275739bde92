"""Source volumes: the MNI ICBM152 2009 template with its reference tissue maps, as variants.

Only one real anatomy installs offline with a reference segmentation (the MNI152 T1 template
shipped in nilearn with its brain mask rule and grey/white-matter probability maps), so
distinct source volumes are made honestly as *scanner-like variants* of it: each variant
resamples the template and the reference maps to its own voxel size, then applies its own
gain, contrast curve, bias field, Rician noise, field-of-view crop and (for some) a
left-right flip. Dev and test use disjoint variants, so no image is in both splits.

References (documented in docs/benchmark.md), computed on each variant's grid:

* ``brain``: nilearn's brain-mask rule (template intensity > 0.2), largest connected
  component, enclosed cavities filled (a brain mask contains the ventricles);
* ``white_matter`` / ``grey_matter``: the tissue with the highest probability, where that
  probability is at least 0.5, largest connected component.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage as ndi

if TYPE_CHECKING:
    from .alterations import Subject

STRUCTURES: tuple[str, ...] = ("brain", "white_matter", "grey_matter")
MODALITY = "MRI-T1"
BRAIN_THRESHOLD = 0.2
TISSUE_THRESHOLD = 0.5


@dataclass(frozen=True)
class Variant:
    """One scanner-like rendering of the template; ``split`` is fixed by the variant, never by case."""

    id: str
    split: str
    spacing: tuple[float, float, float]
    gain: float
    gamma: float
    bias: float
    noise: float
    crop_mm: tuple[float, ...]
    flip: bool
    seed: int


# Voxel sizes cover the coarse end of clinical T1 (thick axial slices included); every split
# gets a spread of them, and the intensity changes of each variant are different.
VARIANTS: tuple[Variant, ...] = (
    Variant("v01", "dev", (2.0, 2.0, 2.0), 1.00, 1.00, 0.10, 0.010, (4, 8, 2, 6, 3, 5), False, 101),
    Variant("v02", "dev", (1.5, 1.5, 1.5), 0.60, 1.15, 0.25, 0.025, (10, 2, 6, 12, 0, 4), False, 102),
    Variant("v03", "dev", (3.0, 1.5, 1.5), 1.80, 0.85, 0.15, 0.015, (0, 14, 8, 0, 6, 6), True, 103),
    Variant("v04", "dev", (2.5, 2.5, 2.5), 250.0, 1.05, 0.30, 0.035, (6, 6, 10, 4, 8, 0), False, 104),
    Variant("v05", "dev", (2.0, 1.75, 1.75), 1200.0, 0.92, 0.20, 0.020, (12, 0, 0, 10, 2, 10), True, 105),
    Variant("v06", "test", (2.0, 2.0, 2.0), 0.80, 1.10, 0.20, 0.020, (2, 10, 4, 2, 9, 1), True, 206),
    Variant("v07", "test", (1.5, 1.5, 1.5), 1.40, 0.90, 0.10, 0.015, (8, 4, 12, 6, 2, 8), False, 207),
    Variant("v08", "test", (3.0, 1.25, 1.25), 90.0, 1.00, 0.28, 0.030, (4, 2, 0, 14, 4, 2), False, 208),
    Variant("v09", "test", (2.5, 2.5, 2.5), 0.50, 1.20, 0.12, 0.012, (0, 6, 8, 8, 0, 12), True, 209),
    Variant("v10", "test", (1.75, 2.0, 2.0), 4000.0, 0.95, 0.35, 0.040, (14, 12, 2, 0, 12, 4), False, 210),
)


def variants(split: str) -> list[Variant]:
    if split not in ("dev", "test", "all"):
        raise ValueError(f"split must be 'dev', 'test' or 'all', not {split!r}")
    return [v for v in VARIANTS if split == "all" or v.split == split]


@dataclass(frozen=True)
class Source:
    """A variant's image and the reference of every structure on its grid (bool arrays)."""

    variant: Variant
    image: np.ndarray
    spacing: tuple[float, float, float]
    references: dict[str, np.ndarray]
    brain_probability: np.ndarray
    tissue_probability: dict[str, np.ndarray]


def make_source(variant: Variant) -> Source:
    t1, gm, wm = _template_1mm()
    factors = [1.0 / s for s in variant.spacing]
    t1_v = resample(t1, factors)
    gm_v = resample(gm, factors)
    wm_v = resample(wm, factors)
    brain = reference_brain(t1_v)
    crop = _crop(brain, variant.spacing, variant.crop_mm)
    t1_v, gm_v, wm_v, brain = t1_v[crop], gm_v[crop], wm_v[crop], brain[crop]
    if variant.flip:
        t1_v, gm_v, wm_v, brain = (a[..., ::-1].copy() for a in (t1_v, gm_v, wm_v, brain))
    refs = {
        "brain": brain,
        "white_matter": reference_tissue(wm_v, gm_v),
        "grey_matter": reference_tissue(gm_v, wm_v),
    }
    image = scanner(t1_v, variant)
    return Source(variant, image, variant.spacing, refs, t1_v, {"white_matter": wm_v, "grey_matter": gm_v})


def reference_brain(template: np.ndarray, threshold: float = BRAIN_THRESHOLD) -> np.ndarray:
    return ndi.binary_fill_holes(largest_component(template > threshold))


def reference_tissue(own: np.ndarray, other: np.ndarray, threshold: float = TISSUE_THRESHOLD) -> np.ndarray:
    return largest_component((own >= threshold) & (own >= other))


def largest_component(mask: np.ndarray) -> np.ndarray:
    labels, count = ndi.label(mask)
    if count <= 1:
        return mask.astype(bool)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def scanner(template: np.ndarray, variant: Variant) -> np.ndarray:
    """Gain, contrast curve, smooth multiplicative bias field and Rician noise, all seeded."""
    rng = np.random.default_rng(variant.seed)
    image = np.clip(template, 0.0, None) ** variant.gamma
    field = ndi.gaussian_filter(rng.standard_normal(image.shape), [40.0 / s for s in variant.spacing])
    field /= max(float(np.abs(field).max()), 1e-9)
    image = image * np.exp(variant.bias * field)
    real = image + variant.noise * rng.standard_normal(image.shape)
    imag = variant.noise * rng.standard_normal(image.shape)
    return (variant.gain * np.sqrt(real**2 + imag**2)).astype(np.float32)


def _crop(brain: np.ndarray, spacing: tuple[float, ...], crop_mm: tuple[float, ...]) -> tuple[slice, ...]:
    """Keep the brain's box plus a variant-specific margin (mm) on each side: a tighter or looser FOV."""
    out = []
    for axis, s in enumerate(spacing):
        other = tuple(a for a in range(brain.ndim) if a != axis)
        hit = np.flatnonzero(brain.any(axis=other))
        before = round((4.0 + crop_mm[2 * axis]) / s)
        after = round((4.0 + crop_mm[2 * axis + 1]) / s)
        out.append(slice(max(0, hit[0] - before), min(brain.shape[axis], hit[-1] + 1 + after)))
    return tuple(out)


def resample(volume: np.ndarray, factors: list[float]) -> np.ndarray:
    """Linear resampling by ``factors`` (new voxels per old one, per axis), smoothed first
    against aliasing along the axes it coarsens."""
    sigma = [max(0.0, (1.0 / f - 1.0) / 2.0) for f in factors]
    smoothed = ndi.gaussian_filter(volume, sigma) if any(sigma) else volume
    return ndi.zoom(smoothed, factors, order=1).astype(np.float32)


@lru_cache(maxsize=1)
def _template_1mm() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 1 mm T1 template and GM/WM probability maps in (axial, coronal, sagittal) order."""
    import nibabel as nib
    from nilearn import datasets

    def hcr(image: nib.Nifti1Image) -> np.ndarray:
        # Same orientation as napari_hcr.io: RAS+ -> (S, P, L) array order.
        data = np.asarray(nib.as_closest_canonical(image).get_fdata(), dtype=np.float32)
        return np.ascontiguousarray(np.transpose(data, (2, 1, 0))[:, ::-1, ::-1])

    return (
        hcr(datasets.load_mni152_template(resolution=1)),
        hcr(datasets.load_mni152_gm_template(resolution=1)),
        hcr(datasets.load_mni152_wm_template(resolution=1)),
    )


def mni_subject(source: Source, structure: str) -> Subject:
    """One MNI152 structure as an alteration subject: binary (no label map), with its probability maps."""
    from .alterations import Alteration, Subject

    def redraw(rng: np.random.Generator) -> Alteration:
        if structure == "brain":
            t = float(rng.uniform(0.14, 0.28))
            return Alteration(reference_brain(source.brain_probability, t), {"threshold": round(t, 3)})
        other = "grey_matter" if structure == "white_matter" else "white_matter"
        t = float(rng.uniform(0.38, 0.62))
        own, rest = source.tissue_probability[structure], source.tissue_probability[other]
        return Alteration(reference_tissue(own, rest, t), {"threshold": round(t, 3)})

    reference = source.references[structure]
    # Islands: anywhere in the field for the brain; inside the head, where a tissue classifier misfires, for tissues.
    inside = np.ones(reference.shape, dtype=bool) if structure == "brain" else source.references["brain"]
    return Subject(
        reference=reference,
        spacing=source.spacing,
        inside=inside,
        others={k: v for k, v in source.references.items() if k != structure},
        redraw=redraw,
        shell=structure == "grey_matter",
        ribbon=structure != "brain",
    )
