"""Seeded, realistic alterations of a reference mask: the benchmark's candidate masks.

Every size is scaled by the structure: ``r`` is the equivalent radius of its typical
component (``rule.structure_scale``) and ``tau`` one voxel (the mean spacing), so a family
means the same on a 4 mL nodule, a 1.5 L liver and a 2-D nucleus. A size drawn relative to
``r`` has a floor in voxels, so it is never finer than the grid. For the MNI152 structures
(r of 50-70 mm on a 1.5-3 mm grid) the draws are those of the earlier benchmark.

Families meant to stay within inter-rater variation (the labelling rule has the last word):

* ``reference``: the reference itself;
* ``fov_crop``: image and mask cut together through the middle of the structure along
  axis 0 (built by ``build``; the scan ends inside the structure);
* ``threshold``: the reference drawn from its probability map at another threshold
  (MNI152 only: the other sources ship no probability map);
* ``jitter``: the boundary moved by a smooth random displacement under one voxel;
* ``smooth``: the mask smoothed (Gaussian, under one voxel) and re-thresholded;
* ``boundary_1vox``: a one-voxel erosion or dilation (face-connected).

Families meant as clinically meaningful failures:

* ``leak``: a lobulated outgrowth (radius 0.2-0.33 r, at least 3 voxels) into what lies beyond;
* ``leak_neighbour``: the candidate takes over part of an adjacent labelled structure (a
  ball of 0.25-0.45 r, at least 3 voxels, inside that neighbour at the contact), which
  shrinks accordingly in the label map;
* ``missing_part``: a cap of 15-25 % of the extent along one axis (at least 3 voxels deep,
  at most half), or a ball of radius 0.37-0.5 r on the boundary, cut away;
* ``missing_slices``: 0.1-0.23 r of consecutive slices left empty inside the structure (3-D);
* ``over_segmentation`` / ``under_segmentation``: the boundary moved out / in by 2.5-4
  voxels, at most 0.3-0.5 r (thin tissue ribbons: 1-1.6 voxels);
* ``islands``: 3-6 separate blobs (radius 0.07-0.12 r, at least 2-3 voxels) inside the
  body, away from the structure and from other labels;
* ``holes``: 2-4 enclosed cavities (radius 0.07-0.12 r, at least 2-3 voxels) carved
  inside (not for shells and not where the structure is too thin to hold one);
* ``shift``: the whole mask translated by 2.5-4 voxels;
* ``wrong_structure``: another structure's reference given for this one (the most similar
  in size; in a label map the other label is overwritten, a label swap).

A family that cannot be made on a structure (no neighbour, too thin for a hole, nothing
left after an erosion) gives ``None`` and no case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from .rule import structure_scale

# The unaltered reference and a field-of-view crop of it are correct masks, not merely close ones:
# a guardrail must pass every one ("no false alarm on a correct mask").
CORRECT_FAMILIES: tuple[str, ...] = ("reference", "fov_crop")
ACCEPTABLE_FAMILIES: tuple[str, ...] = (*CORRECT_FAMILIES, "threshold", "jitter", "smooth", "boundary_1vox")
FAILURE_FAMILIES: tuple[str, ...] = (
    "leak",
    "leak_neighbour",
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


@dataclass(frozen=True)
class Subject:
    """What an alteration may use: the reference and its surroundings, never the reasoner's output.

    ``labels`` is the whole label map (None for a binary source) with the reference under
    ``value``; ``inside`` is where islands may appear; ``others`` are other structures'
    references on the same grid (for ``wrong_structure``); ``redraw(t, rng)`` redraws the
    reference at another threshold where a probability map exists.
    """

    reference: np.ndarray
    spacing: tuple[float, ...]
    inside: np.ndarray
    labels: np.ndarray | None = None
    value: int = 1
    others: dict[str, np.ndarray] = field(default_factory=dict)
    redraw: Callable[[np.random.Generator], Alteration] | None = None
    shell: bool = False
    ribbon: bool = False

    @property
    def ndim(self) -> int:
        return self.reference.ndim

    @property
    def tau(self) -> float:
        return float(np.mean(self.spacing))

    @cached_property
    def scale(self) -> float:
        return structure_scale(self.reference, self.spacing)[0]


def families_for(subject: Subject) -> tuple[str, ...]:
    """Families that mean something for this structure (the builder adds ``fov_crop`` itself)."""
    out = []
    for family in FAMILIES:
        if family == "fov_crop":
            continue
        if family == "threshold" and subject.redraw is None:
            continue
        if family == "holes" and subject.shell:
            continue
        if family == "missing_slices" and subject.ndim != 3:
            continue
        if family == "leak_neighbour" and not _neighbours(subject):
            continue
        if family == "wrong_structure" and not subject.others:
            continue
        out.append(family)
    return tuple(out)


def alter(subject: Subject, family: str, rng: np.random.Generator) -> Alteration | None:
    made = _FAMILIES[family](subject, rng)
    if made is None or not made.mask.any():
        return None
    if family not in ("reference",) and np.array_equal(made.mask, subject.reference):
        return None
    return made


def _dist_out(mask: np.ndarray, spacing: tuple[float, ...]) -> np.ndarray:
    return ndi.distance_transform_edt(~mask, sampling=spacing)


def _dist_in(mask: np.ndarray, spacing: tuple[float, ...]) -> np.ndarray:
    return ndi.distance_transform_edt(mask, sampling=spacing)


def _smooth_noise(
    shape: tuple[int, ...], spacing: tuple[float, ...], sigma_mm: float, rng: np.random.Generator
) -> np.ndarray:
    field_ = ndi.gaussian_filter(rng.standard_normal(shape), [sigma_mm / s for s in spacing])
    return field_ / max(float(field_.std()), 1e-9)


def _reference(s: Subject, rng: np.random.Generator) -> Alteration:
    return Alteration(s.reference.copy(), {})


def _threshold(s: Subject, rng: np.random.Generator) -> Alteration | None:
    return None if s.redraw is None else s.redraw(rng)


def _jitter(s: Subject, rng: np.random.Generator) -> Alteration:
    amplitude = float(rng.uniform(0.3, 0.55)) * s.tau
    # Signed distance with the boundary half a voxel from the voxel centres either side of it.
    half = 0.5 * min(s.spacing)
    ref = s.reference
    sdf = np.where(ref, half - _dist_in(ref, s.spacing), _dist_out(ref, s.spacing) - half)
    correlation = float(np.clip(0.1 * s.scale, 2.0 * s.tau, 6.0))
    noise = _smooth_noise(ref.shape, s.spacing, correlation, rng)
    return Alteration(sdf < amplitude * noise, {"amplitude_mm": round(amplitude, 2)})


def _smooth(s: Subject, rng: np.random.Generator) -> Alteration:
    sigma = float(rng.uniform(0.5, 0.9))
    smoothed = ndi.gaussian_filter(s.reference.astype(np.float32), sigma) >= 0.5
    return Alteration(smoothed, {"sigma_vox": round(sigma, 2)})


def _boundary_1vox(s: Subject, rng: np.random.Generator) -> Alteration | None:
    cross = ndi.generate_binary_structure(s.ndim, 1)
    if rng.random() < 0.5:
        return Alteration(ndi.binary_dilation(s.reference, cross), {"operation": "dilate"})
    eroded = ndi.binary_erosion(s.reference, cross)
    return Alteration(eroded, {"operation": "erode"}) if eroded.any() else None


def _leak(s: Subject, rng: np.random.Generator) -> Alteration | None:
    """A lobulated blob grown from one stretch of the boundary into what lies beyond it."""
    ref = s.reference
    radius = max(float(rng.uniform(0.2, 0.33)) * s.scale, float(rng.uniform(3.0, 4.0)) * s.tau)
    outside = _dist_out(ref, s.spacing)
    candidates = np.argwhere(
        (outside > 0.35 * radius) & (outside < 0.55 * radius) & _inside_box(ref.shape, 3) & s.inside
    )
    if len(candidates) == 0:
        return None
    centre = candidates[rng.integers(len(candidates))]
    noise = _smooth_noise(ref.shape, s.spacing, max(4.0 * radius / 16.0, s.tau), rng)
    blob = _ball(ref.shape, s.spacing, centre) <= radius * (1.0 + 0.15 * noise)
    return Alteration(ref | blob, {"radius_mm": round(radius, 1), "centre": centre.tolist()})


def _neighbours(s: Subject) -> list[tuple[int, int]]:
    """(label value, contact voxels) of labelled structures touching the reference, most contact first."""
    if s.labels is None:
        return []
    ring = ndi.binary_dilation(s.reference, ndi.generate_binary_structure(s.ndim, s.ndim)) & ~s.reference
    values, counts = np.unique(s.labels[ring], return_counts=True)
    found = [(int(v), int(n)) for v, n in zip(values, counts) if v not in (0, s.value) and n >= 3]
    return sorted(found, key=lambda vn: -vn[1])


def _leak_neighbour(s: Subject, rng: np.random.Generator) -> Alteration | None:
    """Part of an adjacent labelled structure taken over, from the contact inwards."""
    options = _neighbours(s)
    if not options or s.labels is None:
        return None
    value = options[int(rng.integers(min(3, len(options))))][0]
    other = s.labels == value
    ring = ndi.binary_dilation(s.reference, ndi.generate_binary_structure(s.ndim, s.ndim)) & other
    contact = np.argwhere(ring)
    centre = contact[rng.integers(len(contact))]
    radius = max(float(rng.uniform(0.25, 0.45)) * s.scale, float(rng.uniform(3.0, 4.0)) * s.tau)
    taken = other & (_ball(other.shape, s.spacing, centre) <= radius)
    # A neighbour is never swallowed whole: keep at least 40 % of it.
    if np.count_nonzero(taken) > 0.6 * np.count_nonzero(other):
        depth = _ball(other.shape, s.spacing, centre)[other]
        radius = float(np.quantile(depth, 0.6))
        taken = other & (_ball(other.shape, s.spacing, centre) <= radius)
    return Alteration(
        s.reference | taken, {"neighbour": value, "radius_mm": round(radius, 1), "centre": centre.tolist()}
    )


def _missing_part(s: Subject, rng: np.random.Generator) -> Alteration | None:
    ref = s.reference
    coords = np.argwhere(ref)
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    out = ref.copy()
    axes = [a for a in range(s.ndim) if hi[a] - lo[a] >= 3]
    mode = "cap" if axes and rng.random() < 0.6 else "ball"
    if mode == "cap":
        axis = axes[int(rng.integers(len(axes)))]
        share = float(rng.uniform(0.15, 0.25))
        # At least 3 voxels deep (a shallower cut is boundary variation), at most half the extent.
        depth_mm = max(share * (hi[axis] - lo[axis]) * s.spacing[axis], 3.0 * s.tau)
        cut = min(round(depth_mm / s.spacing[axis]), (hi[axis] - lo[axis]) // 2)
        index: list[slice] = [slice(None)] * s.ndim
        if rng.random() < 0.5:
            index[axis] = slice(0, lo[axis] + cut + 1)
        else:
            index[axis] = slice(hi[axis] - cut, None)
        out[tuple(index)] = False
        params: dict[str, Any] = {"mode": "cap", "axis": axis, "share": round(share, 2)}
    else:
        radius = max(float(rng.uniform(0.37, 0.5)) * s.scale, 2.0 * s.tau)
        boundary = np.argwhere(ref & ~ndi.binary_erosion(ref))
        centre = boundary[rng.integers(len(boundary))]
        out &= _ball(ref.shape, s.spacing, centre) > radius
        params = {"mode": "ball", "radius_mm": round(radius, 1), "centre": centre.tolist()}
    return Alteration(out, params) if out.any() else None


def _missing_slices(s: Subject, rng: np.random.Generator) -> Alteration | None:
    ref = s.reference
    axis = 0 if rng.random() < 0.7 else 1
    coords = np.flatnonzero(ref.any(axis=tuple(a for a in range(ref.ndim) if a != axis)))
    if coords[-1] - coords[0] < 2:
        return None
    count = max(1, round(rng.uniform(0.1, 0.23) * s.scale / s.spacing[axis]))
    count = min(count, int(coords[-1] - coords[0]) - 1)
    start = int(coords[0] + max(1, int(rng.uniform(0.3, 0.65) * (coords[-1] - coords[0]))))
    start = min(start, int(coords[-1]) - count)
    out = ref.copy()
    index: list[slice] = [slice(None)] * ref.ndim
    index[axis] = slice(start, start + count)
    out[tuple(index)] = False
    return Alteration(out, {"axis": axis, "first": start, "count": count})


def _over(s: Subject, rng: np.random.Generator) -> Alteration:
    distance = min(float(rng.uniform(2.5, 4.0)) * s.tau, max(float(rng.uniform(0.3, 0.5)) * s.scale, s.tau))
    return Alteration(_dist_out(s.reference, s.spacing) <= distance, {"distance_mm": round(distance, 2)})


def _under(s: Subject, rng: np.random.Generator) -> Alteration | None:
    # Tissue ribbons and strands vanish under a multi-voxel erosion: thin them by one voxel or so.
    factor = (1.0, 1.6) if s.ribbon else (2.5, 4.0)
    distance = min(float(rng.uniform(*factor)) * s.tau, max(float(rng.uniform(0.3, 0.5)) * s.scale, s.tau))
    depth = _dist_in(s.reference, s.spacing)
    out = depth > distance
    if np.count_nonzero(out) < 0.2 * np.count_nonzero(s.reference):
        distance = max(s.spacing)
        out = depth > distance
    return Alteration(out, {"distance_mm": round(distance, 2)}) if out.any() else None


def _islands(s: Subject, rng: np.random.Generator) -> Alteration | None:
    ref = s.reference
    count = int(rng.integers(3, 7))
    away = max(0.17 * s.scale, 3.0 * s.tau)
    free = s.inside if s.labels is None else s.inside & (s.labels == 0)
    far = (_dist_out(ref, s.spacing) > away) & _inside_box(ref.shape, 4) & free
    candidates = np.argwhere(far)
    if len(candidates) == 0:
        return None
    out = ref.copy()
    radii = []
    for _ in range(count):
        radius = max(float(rng.uniform(0.07, 0.12)) * s.scale, float(rng.uniform(2.0, 3.0)) * s.tau)
        centre = candidates[rng.integers(len(candidates))]
        out |= (_ball(ref.shape, s.spacing, centre) <= radius) & free
        radii.append(round(radius, 1))
    return Alteration(out, {"count": count, "radii_mm": radii})


def _holes(s: Subject, rng: np.random.Generator) -> Alteration | None:
    count = int(rng.integers(2, 5))
    depth = _dist_in(s.reference, s.spacing)
    margin = 2.0 * s.tau
    out = s.reference.copy()
    radii = []
    for _ in range(count):
        radius = max(float(rng.uniform(0.07, 0.12)) * s.scale, float(rng.uniform(2.0, 3.0)) * s.tau)
        while radius > s.tau and not (depth > radius + margin).any():
            radius -= 0.25 * s.tau
        candidates = np.argwhere(depth > radius + margin)
        if len(candidates) == 0:
            continue
        centre = candidates[rng.integers(len(candidates))]
        out &= _ball(out.shape, s.spacing, centre) > radius
        radii.append(round(radius, 1))
    return Alteration(out, {"count": len(radii), "radii_mm": radii}) if radii else None


def _shift(s: Subject, rng: np.random.Generator) -> Alteration | None:
    direction = rng.standard_normal(s.ndim)
    direction /= np.linalg.norm(direction)
    voxels = float(rng.uniform(2.5, 4.0))
    offset = np.round(direction * voxels * s.tau / np.asarray(s.spacing)).astype(int)
    if not offset.any():
        offset[int(np.argmax(np.abs(direction)))] = 3
    out = ndi.shift(s.reference.astype(np.uint8), offset, order=0, mode="constant", cval=0) > 0
    return Alteration(out, {"offset_vox": offset.tolist()})


def _wrong_structure(s: Subject, rng: np.random.Generator) -> Alteration | None:
    """The other structure closest in size (ties broken by the draw): a plausible mix-up."""
    if not s.others:
        return None
    size = float(np.count_nonzero(s.reference))
    ranked = sorted(s.others, key=lambda k: abs(float(np.log(max(1.0, float(np.count_nonzero(s.others[k]))) / size))))
    other = ranked[int(rng.integers(min(2, len(ranked))))]
    return Alteration(s.others[other].copy(), {"given": other})


def _ball(shape: tuple[int, ...], spacing: tuple[float, ...], centre: np.ndarray) -> np.ndarray:
    """Distance in mm of every voxel from ``centre`` (voxel coordinates)."""
    grids = np.ogrid[tuple(slice(0, n) for n in shape)]
    total = sum(((g - c) * sp) ** 2 for g, c, sp in zip(grids, centre, spacing))
    return np.sqrt(total)


def _inside_box(shape: tuple[int, ...], margin: int) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    out[tuple(slice(min(margin, n // 4), n - min(margin, n // 4)) for n in shape)] = True
    return out


_FAMILIES: dict[str, Callable[[Subject, np.random.Generator], Alteration | None]] = {
    "reference": _reference,
    "threshold": _threshold,
    "jitter": _jitter,
    "smooth": _smooth,
    "boundary_1vox": _boundary_1vox,
    "leak": _leak,
    "leak_neighbour": _leak_neighbour,
    "missing_part": _missing_part,
    "missing_slices": _missing_slices,
    "over_segmentation": _over,
    "under_segmentation": _under,
    "islands": _islands,
    "holes": _holes,
    "shift": _shift,
    "wrong_structure": _wrong_structure,
}
