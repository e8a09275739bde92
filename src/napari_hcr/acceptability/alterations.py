"""Seeded, realistic alterations of a reference mask: the benchmark's candidate masks.

Families meant to stay within inter-rater variation (the labelling rule has the last word):

* ``reference``: the reference itself;
* ``threshold``: the reference drawn from its probability map at another threshold, as a
  different rater or tool would place the partial-volume boundary;
* ``jitter``: the boundary moved by a smooth random displacement under one voxel;
* ``smooth``: the mask smoothed (Gaussian, under one voxel) and re-thresholded;
* ``boundary_1vox``: a one-voxel erosion or dilation (6-connected).

Families meant as clinically meaningful failures:

* ``leak``: a lobulated outgrowth into the neighbouring tissue or background;
* ``missing_part``: a pole or block cut away (frontal pole, posterior fossa, a lateral block);
* ``missing_slices``: consecutive slices left empty inside the structure;
* ``over_segmentation`` / ``under_segmentation``: the boundary moved out / in by 2.5-4 voxels;
* ``islands``: separate blobs away from the structure;
* ``holes``: enclosed cavities carved inside (not for grey matter, a shell);
* ``shift``: the whole mask translated by 2.5-4 voxels;
* ``wrong_structure``: the reference of another structure given for this one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from .sources import Source, reference_brain, reference_tissue

ACCEPTABLE_FAMILIES: tuple[str, ...] = ("reference", "threshold", "jitter", "smooth", "boundary_1vox")
FAILURE_FAMILIES: tuple[str, ...] = (
    "leak",
    "missing_part",
    "missing_slices",
    "over_segmentation",
    "under_segmentation",
    "islands",
    "holes",
    "shift",
    "wrong_structure",
)
FAMILIES = ACCEPTABLE_FAMILIES + FAILURE_FAMILIES


@dataclass(frozen=True)
class Alteration:
    mask: np.ndarray
    params: dict[str, Any]


def families_for(structure: str) -> tuple[str, ...]:
    """Which families apply: a grey-matter mask is a shell, so carved 'holes' mean nothing there."""
    if structure == "grey_matter":
        return tuple(f for f in FAMILIES if f != "holes")
    return FAMILIES


def alter(source: Source, structure: str, family: str, rng: np.random.Generator) -> Alteration:
    reference = source.references[structure]
    return _FAMILIES[family](source, structure, reference, rng)


def _tau(source: Source) -> float:
    return float(np.mean(source.spacing))


def _dist_out(mask: np.ndarray, spacing: tuple[float, ...]) -> np.ndarray:
    return ndi.distance_transform_edt(~mask, sampling=spacing)


def _dist_in(mask: np.ndarray, spacing: tuple[float, ...]) -> np.ndarray:
    return ndi.distance_transform_edt(mask, sampling=spacing)


def _smooth_noise(
    shape: tuple[int, ...], spacing: tuple[float, ...], sigma_mm: float, rng: np.random.Generator
) -> np.ndarray:
    field = ndi.gaussian_filter(rng.standard_normal(shape), [sigma_mm / s for s in spacing])
    return field / max(float(field.std()), 1e-9)


def _reference(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    return Alteration(ref.copy(), {})


def _threshold(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    if structure == "brain":
        t = float(rng.uniform(0.14, 0.28))
        return Alteration(reference_brain(source.brain_probability, t), {"threshold": round(t, 3)})
    other = "grey_matter" if structure == "white_matter" else "white_matter"
    t = float(rng.uniform(0.38, 0.62))
    own, rest = source.tissue_probability[structure], source.tissue_probability[other]
    return Alteration(reference_tissue(own, rest, t), {"threshold": round(t, 3)})


def _jitter(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    amplitude = float(rng.uniform(0.3, 0.55)) * _tau(source)
    # Signed distance with the boundary half a voxel from the voxel centres either side of it.
    half = 0.5 * min(source.spacing)
    sdf = np.where(ref, half - _dist_in(ref, source.spacing), _dist_out(ref, source.spacing) - half)
    noise = _smooth_noise(ref.shape, source.spacing, 6.0, rng)
    return Alteration(sdf < amplitude * noise, {"amplitude_mm": round(amplitude, 2)})


def _smooth(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    sigma = float(rng.uniform(0.5, 0.9))
    return Alteration(ndi.gaussian_filter(ref.astype(np.float32), sigma) >= 0.5, {"sigma_vox": round(sigma, 2)})


def _boundary_1vox(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    cross = ndi.generate_binary_structure(3, 1)
    if rng.random() < 0.5:
        return Alteration(ndi.binary_dilation(ref, cross), {"operation": "dilate"})
    eroded = ndi.binary_erosion(ref, cross)
    return Alteration(eroded if eroded.any() else ref.copy(), {"operation": "erode"})


def _leak(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    """A lobulated blob grown from one stretch of the boundary into what lies beyond it."""
    radius = float(rng.uniform(12.0, 20.0))
    outside = _dist_out(ref, source.spacing)
    candidates = np.argwhere((outside > 0.35 * radius) & (outside < 0.55 * radius) & _inside_box(ref.shape, 3))
    centre = candidates[rng.integers(len(candidates))]
    noise = _smooth_noise(ref.shape, source.spacing, 4.0, rng)
    blob = _ball(ref.shape, source.spacing, centre) <= radius * (1.0 + 0.15 * noise)
    return Alteration(ref | blob, {"radius_mm": round(radius, 1), "centre": centre.tolist()})


def _missing_part(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    mode = ["anterior_pole", "inferior_block", "lateral_block"][int(rng.integers(3))]
    coords = np.argwhere(ref)
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    out = ref.copy()
    if mode == "anterior_pole":
        cut = lo[1] + int(round(rng.uniform(0.14, 0.22) * (hi[1] - lo[1])))
        out[:, : cut + 1] = False
    elif mode == "inferior_block":
        cut = lo[0] + int(round(rng.uniform(0.16, 0.26) * (hi[0] - lo[0])))
        out[: cut + 1] = False
    else:
        radius = float(rng.uniform(22.0, 30.0))
        side = int(rng.integers(2))
        centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2] if side == 0 else hi[2]], dtype=float)
        centre[0] += rng.uniform(-0.15, 0.15) * (hi[0] - lo[0])
        centre[1] += rng.uniform(-0.2, 0.2) * (hi[1] - lo[1])
        out &= _ball(ref.shape, source.spacing, centre) > radius
    return Alteration(out, {"mode": mode})


def _missing_slices(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    axis = 0 if rng.random() < 0.7 else 1
    coords = np.flatnonzero(ref.any(axis=tuple(a for a in range(3) if a != axis)))
    count = max(2, int(round(rng.uniform(6.0, 14.0) / source.spacing[axis])))
    start = int(coords[0] + rng.uniform(0.3, 0.65) * (coords[-1] - coords[0]))
    out = ref.copy()
    index = [slice(None)] * 3
    index[axis] = slice(start, start + count)
    out[tuple(index)] = False
    return Alteration(out, {"axis": axis, "first": start, "count": count})


def _over(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    distance = float(rng.uniform(2.5, 4.0)) * _tau(source)
    return Alteration(_dist_out(ref, source.spacing) <= distance, {"distance_mm": round(distance, 2)})


def _under(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    # Tissue ribbons and strands vanish under a multi-voxel erosion: thin them by one voxel or so.
    factor = (2.5, 4.0) if structure == "brain" else (1.0, 1.6)
    distance = float(rng.uniform(*factor)) * _tau(source)
    depth = _dist_in(ref, source.spacing)
    out = depth > distance
    if np.count_nonzero(out) < 0.2 * np.count_nonzero(ref):
        distance = max(source.spacing)
        out = depth > distance
    return Alteration(out, {"distance_mm": round(distance, 2)})


def _islands(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    count = int(rng.integers(3, 7))
    far = (_dist_out(ref, source.spacing) > 10.0) & _inside_box(ref.shape, 4)
    if structure != "brain":  # inside the head, where a tissue classifier would misfire
        far &= source.references["brain"]
    candidates = np.argwhere(far)
    out = ref.copy()
    radii = []
    for _ in range(count):
        radius = float(rng.uniform(4.0, 7.0))
        centre = candidates[rng.integers(len(candidates))]
        out |= _ball(ref.shape, source.spacing, centre) <= radius
        radii.append(round(radius, 1))
    return Alteration(out, {"count": count, "radii_mm": radii})


def _holes(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    count = int(rng.integers(2, 5))
    depth = _dist_in(ref, source.spacing)
    out = ref.copy()
    radii = []
    for _ in range(count):
        radius = float(rng.uniform(4.0, 7.0))
        while radius > 2.0 and not (depth > radius + 2.0 * _tau(source)).any():
            radius -= 0.5
        candidates = np.argwhere(depth > radius + 2.0 * _tau(source))
        if len(candidates) == 0:
            continue
        centre = candidates[rng.integers(len(candidates))]
        out &= _ball(ref.shape, source.spacing, centre) > radius
        radii.append(round(radius, 1))
    return Alteration(out, {"count": len(radii), "radii_mm": radii})


def _shift(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    direction = rng.standard_normal(3)
    direction /= np.linalg.norm(direction)
    voxels = float(rng.uniform(2.5, 4.0))
    offset = np.round(direction * voxels * _tau(source) / np.asarray(source.spacing)).astype(int)
    if not offset.any():
        offset[int(np.argmax(np.abs(direction)))] = 3
    out = ndi.shift(ref.astype(np.uint8), offset, order=0, mode="constant", cval=0) > 0
    return Alteration(out, {"offset_vox": offset.tolist()})


def _wrong_structure(source: Source, structure: str, ref: np.ndarray, rng: np.random.Generator) -> Alteration:
    choices = {
        "brain": ["white_matter", "grey_matter"],
        "white_matter": ["grey_matter", "brain"],
        "grey_matter": ["white_matter", "brain"],
    }[structure]
    other = choices[int(rng.integers(len(choices)))]
    return Alteration(source.references[other].copy(), {"given": other})


def _ball(shape: tuple[int, ...], spacing: tuple[float, ...], centre: np.ndarray) -> np.ndarray:
    """Distance in mm of every voxel from ``centre`` (voxel coordinates)."""
    grids = np.ogrid[tuple(slice(0, n) for n in shape)]
    total = sum(((g - c) * s) ** 2 for g, c, s in zip(grids, centre, spacing))
    return np.sqrt(total)


def _inside_box(shape: tuple[int, ...], margin: int) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    out[tuple(slice(margin, n - margin) for n in shape)] = True
    return out


_FAMILIES: dict[str, Callable[[Source, str, np.ndarray, np.random.Generator], Alteration]] = {
    "reference": _reference,
    "threshold": _threshold,
    "jitter": _jitter,
    "smooth": _smooth,
    "boundary_1vox": _boundary_1vox,
    "leak": _leak,
    "missing_part": _missing_part,
    "missing_slices": _missing_slices,
    "over_segmentation": _over,
    "under_segmentation": _under,
    "islands": _islands,
    "holes": _holes,
    "shift": _shift,
    "wrong_structure": _wrong_structure,
}
