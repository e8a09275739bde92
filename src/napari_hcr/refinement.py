"""Independent evidence from the image: where the image would put this mask's boundary.

A few rounds of region competition seeded by the mask, in a band either side of its
boundary. The inside intensity model comes from the mask's core (deep enough that a moderate
over-segmentation does not reach it) and the outside model from a ring around the mask; both
are histograms, so a structure surrounded by several tissues (grey matter between white
matter and fluid) is still modelled. Each band voxel joins the side whose model explains its
(lightly smoothed) intensity better, and a majority filter keeps the result a region rather
than speckle. A mask the image supports barely moves; a mask that spills over its edges, stops
short of them, or is shifted moves by its error.

The competition cannot see a part of the structure the mask leaves out when that part fills
the ring it learns "outside" from (a liver's dome cut off along a slice plane: the ring is
liver). So the same pass also asks directly whether the mask's own tissue runs on: voxels in
the intensity band of the mask's core, claimed by no other label, joined to the mask by more
than a thin bridge and lying deeper than partial volume beyond its boundary
(``continued_region``). And where the mask ends on a face across the scan's slices, it asks
whether that face is a cut: whether the mask's own tissue, as the competition's model tells it
from the surroundings, runs on through the face into space no label claims
(``open_end``). Unlike ``continued_region`` this holds for any kind of structure: a gland, a
muscle or a vessel lies against tissue like its own along its sides, but a correct mask does
not end on a broad face with its own tissue going straight on beyond it.

Runs on the mask's bounding box, on a coarser grid when that box is large, so it stays well
under half a second on a whole-brain case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import ndimage as ndi

from . import likelihood
from .blocks import block_sum, reading_stride
from .knowledge.modality import CT, modality_kind
from .metal import metal_zone
from .regions import largest_part
from .verdict import Location

if TYPE_CHECKING:
    from .case import Case
    from .measures import Measures

WORK_BUDGET = 1_200_000  # voxels of the working grid
BAND = 5  # working voxels either side of the boundary that may change side
CORE = 2  # working voxels deep: where the inside model is learnt
RING = (2, 6)  # working voxels out: where the outside model is learnt
ROUNDS = 3
DEEP = 2.0  # mean voxels: a change farther than this from the mask's boundary is more than jitter
MARGIN = 0.7  # log-likelihood ratio (about 2:1) a voxel needs to change side
BIAS_MM = 25.0  # scale of the smooth intensity field divided out before modelling
# Where the mask's core is this sparse around a voxel (relative to the core itself), the field
# there is extrapolated from tissue further away, not measured: on a scan that carries a
# scanner field (MRI, microscopy), the competition leaves such voxels where they are.
SUPPORT = 0.2
REACH = 10.0  # mean voxels beyond the boundary searched for the mask's own tissue running on
OWN_BAND = (10.0, 90.0)  # percentiles of the smoothed core intensity that count as the mask's own tissue
OPEN_DEPTH = 2  # working slices beyond an end face the own tissue must fill: deeper than partial volume
OPEN_PATCH = 9  # working voxels: the smallest cut face (3 x 3), not a line of partial volume along a thin structure
# Voxels a mask needs before its intensity can be modelled: fewer than one per histogram bin
# (a few slices of a rib at the edge of a scan) and the model is its own noise.
MIN_SAMPLES = likelihood.BINS


@dataclass(frozen=True)
class Refinement:
    """How far an image-driven refinement moved the mask.

    ``agreement`` is the Dice of the refined mask with the mask; ``grown``/``shrunk`` the
    share of the mask's volume added/removed; ``grow_depth``/``shrink_depth`` the same volumes
    spread over the mask's surface, in voxels (about how far the boundary moved out/in on
    average); ``excess_region`` the volume (mL in 3-D, mm² in 2-D) of the largest connected
    part of the mask the image puts outside, more than ``DEEP`` voxels from the boundary (a
    leak), at ``excess_where``; ``missing_region`` the same for the largest part the image
    puts inside but the mask leaves out (a missing part), at ``missing_where``;
    ``continued_region`` the volume of the largest part of the mask's own tissue running on
    beyond its boundary into space no label claims (see the module), at ``continued_where``;
    ``open_end`` the largest part of an end face of the mask (its first or last slice along an
    axis, in 3-D) through which its own tissue runs on for ``OPEN_DEPTH`` slices into space
    no label claims, as a share of the mask's largest cross-section along that axis, at
    ``open_end_where``; ``where`` the larger of the excess and missing regions; ``local_disagreement`` the share
    of the mask around ``where`` (the larger region's bounding box) that the region covers
    (0-1): how much of that part of the mask the image disputes. Depths count the scan's
    voxels, or the voxels of the grid the norms were measured on when the scan is finer (a CT
    under 3 mm): ``depth_unit_mm`` is then their size, in mm.
    """

    agreement: float
    grown: float
    shrunk: float
    grow_depth: float
    shrink_depth: float
    excess_region: float
    excess_where: Location | None
    missing_region: float
    missing_where: Location | None
    local_disagreement: float = 0.0
    continued_region: float = 0.0
    continued_where: Location | None = None
    open_end: float = 0.0
    open_end_where: Location | None = None
    depth_unit_mm: float | None = None

    @property
    def where(self) -> Location | None:
        return self.excess_where if self.excess_region >= self.missing_region else self.missing_where

    def to_dict(self) -> dict[str, Any]:
        def loc(where: Location | None) -> dict[str, int] | None:
            return None if where is None else where.slice_ref()

        return {
            "agreement": round(self.agreement, 4),
            "grown": round(self.grown, 4),
            "shrunk": round(self.shrunk, 4),
            "grow_depth": round(self.grow_depth, 3),
            "shrink_depth": round(self.shrink_depth, 3),
            "excess_region": round(self.excess_region, 3),
            "excess_where": loc(self.excess_where),
            "missing_region": round(self.missing_region, 3),
            "missing_where": loc(self.missing_where),
            "local_disagreement": round(self.local_disagreement, 4),
            "continued_region": round(self.continued_region, 3),
            "continued_where": loc(self.continued_where),
            "open_end": round(self.open_end, 4),
            "open_end_where": loc(self.open_end_where),
            "depth_unit_mm": None if self.depth_unit_mm is None else round(self.depth_unit_mm, 2),
        }


def refine(
    case: Case, measures: Measures, grid_mm: float | None = None, metal_hu: float | None = None
) -> Refinement | None:
    """Refine ``case.mask`` from ``case.image`` and report how much it moved; None when the
    mask holds too few voxels to model its intensity, so the image can neither support nor
    dispute it. ``grid_mm`` is the voxel size the structure's norms were measured on: a finer
    scan is refined in blocks of about that size (:func:`blocks.reading_stride`) and its
    depths count in that size. On a CT, ``metal_hu`` is where metal begins: within reach of
    metal the image shows the artefact, so no voxel there models a tissue, changes side or
    counts as the mask's own tissue running on (metal.py)."""
    mask = case.mask
    ndim = mask.ndim
    least = reading_stride(case.spacing, grid_mm)
    stride = tuple(max(k, m) for k, m in zip(_stride(tuple(b - a for a, b in measures.bbox)), least))
    box = _box(measures.bbox, mask.shape, [(BAND + RING[1] + 2) * k for k in stride])
    sub_mask = mask[box]
    sub_image = case.image[box].astype(np.float32, copy=False)
    work_mask, work_image = _coarsen(sub_mask, sub_image, stride)
    zone = None if metal_hu is None else metal_zone(case.image, box, case.spacing, metal_hu)
    readable = np.ones(work_mask.shape, dtype=bool) if zone is None else ~_majority(zone.near, stride)
    # Voxels another label claims are that structure's: the image may not move this mask into them.
    claimed = _majority((case.labels[box] != 0) & ~sub_mask, stride) if case.others else None
    if np.count_nonzero(work_mask) < MIN_SAMPLES:
        return None
    smooth = ndi.gaussian_filter(work_image, 0.7)
    # Distances in mm, expressed in mean working voxels, so thick slices count by their size.
    grid = [s * k for s, k in zip(case.spacing, stride)]
    voxel = float(np.mean(grid))
    inside = ndi.distance_transform_edt(work_mask, sampling=grid) / voxel
    outside = ndi.distance_transform_edt(~work_mask, sampling=grid) / voxel
    bias_sigma = [BIAS_MM / (s * k) for s, k in zip(case.spacing, stride)]
    model = _tissue_model(work_mask, smooth, inside, outside, bias_sigma, modality_kind(case.modality) != CT, readable)
    refined = work_mask if model is None else _compete(work_mask, *model)
    if claimed is not None:
        refined &= ~(claimed & ~work_mask)
    added = refined & ~work_mask
    removed = work_mask & ~refined
    volume = float(np.count_nonzero(work_mask))
    surface = float(np.count_nonzero(work_mask & ~ndi.binary_erosion(work_mask, border_value=1)))
    # Depths and distances count the scan's voxels, or on a finer scan its reading blocks, and
    # no less than the norms' voxels: partial volume is a voxel deep, whatever its size.
    voxel_mm = float(np.mean(case.spacing))
    block_mm = float(np.mean([s * m for s, m in zip(case.spacing, least)]))
    unit_mm = voxel_mm if grid_mm is None else max(block_mm, grid_mm)
    scale = float(np.mean(grid)) / unit_mm
    agreement = 2.0 * np.count_nonzero(refined & work_mask) / max(1.0, volume + np.count_nonzero(refined))
    unit = case.voxel_size * float(np.prod(stride))
    excess, excess_where, excess_mask = _largest_region(removed & (inside * scale > DEEP), unit, stride, box, ndim)
    missing, missing_where, missing_mask = _largest_region(added & (outside * scale > DEEP), unit, stride, box, ndim)
    share = _local_share(excess_mask if excess >= missing else missing_mask, work_mask)
    # Beyond the mask: space no other label claims, where the image holds numbers (past the last
    # number the scan ends, as at its border).
    free = (~work_mask if claimed is None else ~work_mask & ~claimed) & readable
    if case.finite is not None:
        free &= _majority(case.finite[box], stride)
    own = _own_tissue_beyond(work_mask, smooth, inside, outside * scale, free, readable)
    continued, continued_where, _ = _located(own, unit, stride, box, ndim)
    face = None if model is None or ndim != 3 else _open_end(work_mask, (model[0] > MARGIN) & free)
    open_share, open_where = (0.0, None) if face is None else (face[0], _scan_location(face[1], stride, box, ndim))
    return Refinement(
        agreement=float(agreement),
        grown=np.count_nonzero(added) / volume,
        shrunk=np.count_nonzero(removed) / volume,
        grow_depth=scale * np.count_nonzero(added) / max(surface, 1.0),
        shrink_depth=scale * np.count_nonzero(removed) / max(surface, 1.0),
        excess_region=excess,
        excess_where=excess_where,
        missing_region=missing,
        missing_where=missing_where,
        local_disagreement=share,
        continued_region=continued,
        continued_where=continued_where,
        open_end=open_share,
        open_end_where=open_where,
        depth_unit_mm=unit_mm if unit_mm > voxel_mm else None,
    )


def _tissue_model(
    mask: np.ndarray,
    image: np.ndarray,
    inside_dist: np.ndarray,
    outside_dist: np.ndarray,
    bias_sigma: list[float],
    field_bound: bool,
    readable: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Per working voxel, the log-likelihood ratio of the mask's own tissue (its core) against
    its surroundings (a ring outside), and where a voxel may change side: the band either side
    of the boundary, and with ``field_bound`` (the image may carry a scanner field: not CT,
    whose Hounsfield units are calibrated) only where the field was measured (``SUPPORT``).
    Only ``readable`` voxels (none within reach of metal) model a tissue or change side.
    None when the image is flat there, or shows nothing but metal's artefact."""
    core = (inside_dist > CORE) & readable
    if np.count_nonzero(core) < 0.1 * np.count_nonzero(mask & readable):
        core = (inside_dist > 1) & readable
    if not core.any():
        core = mask & readable
    ring = (outside_dist > RING[0]) & (outside_dist <= RING[1]) & readable
    if not ring.any():
        ring = ~mask & readable
    if not core.any() or not ring.any():
        return None
    band = (inside_dist <= BAND) & (outside_dist <= BAND) & readable
    image, density = _flatten(image, core, bias_sigma)
    if field_bound and density is not None:
        band &= density >= SUPPORT * float(np.median(density[core]))
    lo, hi = np.percentile(image[core | ring], [0.5, 99.5])
    if hi <= lo:
        return None
    return likelihood.log_ratio(image, image[core], image[ring], lo, hi), band


def _compete(mask: np.ndarray, log_ratio: np.ndarray, band: np.ndarray) -> np.ndarray:
    refined = mask.copy()
    for _ in range(ROUNDS):
        vote = ndi.uniform_filter(refined.astype(np.float32), size=3)
        # Neighbours count as mild evidence, so an isolated voxel needs clear intensity evidence;
        # a voxel changes side only on clear evidence (MARGIN), so noise alone does not move it.
        evidence = log_ratio + 2.0 * (vote - 0.5)
        flip_in = band & ~mask & (evidence > MARGIN)
        flip_out = band & mask & (evidence < -MARGIN)
        refined = (mask & ~flip_out) | flip_in
    return refined


def _open_end(mask: np.ndarray, own: np.ndarray) -> tuple[float, tuple[float, ...]] | None:
    """The largest cut face of a 3-D mask: the part of an end slice (along any axis) behind
    which ``own`` tissue fills the next ``OPEN_DEPTH`` slices, as a share of the mask's largest
    cross-section along that axis, and that part's centre (working grid). An end with too few
    slices beyond it inside the box is the image's border: the scan ends there, nothing is cut."""
    best: tuple[float, tuple[float, ...]] | None = None
    for axis in range(mask.ndim):
        along, tissue = np.moveaxis(mask, axis, 0), np.moveaxis(own, axis, 0)
        area = along.reshape(along.shape[0], -1).sum(axis=1)
        filled = np.flatnonzero(area)
        if filled.size < 3:
            continue
        for end, step in ((int(filled[0]), -1), (int(filled[-1]), 1)):
            beyond = [end + step * k for k in range(1, OPEN_DEPTH + 1)]
            if not all(0 <= b < along.shape[0] for b in beyond):
                continue
            face = along[end] & np.logical_and.reduce([tissue[b] for b in beyond])
            if np.count_nonzero(face) < OPEN_PATCH:
                continue
            part = largest_part(face)
            share = part.voxels / float(area.max())
            if part.voxels >= OPEN_PATCH and (best is None or share > best[0]):
                best = (share, (*part.centre[:axis], float(end), *part.centre[axis:]))
    return best


def _own_tissue_beyond(
    mask: np.ndarray,
    image: np.ndarray,
    inside_dist: np.ndarray,
    beyond: np.ndarray,
    free: np.ndarray,
    readable: np.ndarray,
) -> np.ndarray:
    """Voxels of the mask's own tissue more than ``DEEP`` voxels beyond its boundary (``beyond``
    in original voxels), within ``REACH``, on no other label, and joined to the mask by more
    than a thin bridge: an opening cuts a capsule, a vessel or a one-voxel contact, so ordinary
    tissue of the same intensity beside a correct mask stays apart from it. The own tissue's
    intensities come from ``readable`` voxels of the mask (none within reach of metal)."""
    core = (inside_dist > 1) & readable
    if np.count_nonzero(core) < MIN_SAMPLES:
        core = mask & readable
    if not core.any():
        return np.zeros_like(mask)
    low, high = np.percentile(image[core], OWN_BAND)
    own = free & (image >= low) & (image <= high) & (beyond <= REACH)
    own = ndi.binary_opening(own, structure=ndi.generate_binary_structure(mask.ndim, 1))
    joined, _ = ndi.label(own | mask)
    body = np.bincount(joined[mask]).argmax()
    return (joined == body) & ~mask & (beyond > DEEP)


def _flatten(image: np.ndarray, tissue: np.ndarray, sigma: list[float]) -> tuple[np.ndarray, np.ndarray | None]:
    """Divide out a smooth multiplicative field (scanner bias), estimated as the local mean of
    the mask's core (one tissue, so its local mean varies only with the field), so one
    intensity model holds across the whole structure. Also returns the core's Gaussian density
    the estimate rests on (``SUPPORT``), None when no field was divided out."""
    weight = tissue.astype(np.float32)
    density = ndi.gaussian_filter(weight, sigma)
    local = ndi.gaussian_filter(image * weight, sigma) / np.maximum(density, 1e-3)
    level = float(np.median(local[tissue])) if tissue.any() else 0.0
    if level <= 0 or not np.isfinite(level):
        return image, None
    field = np.clip(local / level, 0.5, 2.0)
    return image / field, density


def _largest_region(
    deep: np.ndarray, unit: float, stride: tuple[int, ...], box: tuple[slice, ...], ndim: int
) -> tuple[float, Location | None, np.ndarray | None]:
    """Size of the largest connected region that moved deep (``unit`` per voxel), where it
    is, and the region itself (working grid)."""
    # An opening keeps solid regions (a leak, a missing lobe) and drops the thin, scattered
    # changes that image noise causes along a correct boundary.
    return _located(ndi.binary_opening(deep, structure=ndi.generate_binary_structure(ndim, 1)), unit, stride, box, ndim)


def _located(
    region: np.ndarray, unit: float, stride: tuple[int, ...], box: tuple[slice, ...], ndim: int
) -> tuple[float, Location | None, np.ndarray | None]:
    """Size of the largest connected part of ``region`` (``unit`` per voxel), where it is, and
    the part itself (working grid)."""
    if not region.any():
        return 0.0, None, None
    part = largest_part(region)
    return float(part.voxels) * unit, _scan_location(part.centre, stride, box, ndim), part.mask()


def _scan_location(centre: tuple[float, ...], stride: tuple[int, ...], box: tuple[slice, ...], ndim: int) -> Location:
    """Where a point of the working grid lies in the scan's own voxels."""
    return Location.at(tuple(b.start + (c + 0.5) * k - 0.5 for b, c, k in zip(box, centre, stride)), ndim)


def _local_share(region: np.ndarray | None, mask: np.ndarray) -> float:
    """Share of mask-or-region voxels in the region's bounding box that the region holds."""
    if region is None:
        return 0.0
    box = []
    for axis in range(region.ndim):
        other = tuple(a for a in range(region.ndim) if a != axis)
        hit = np.flatnonzero(region.any(axis=other))
        box.append(slice(hit[0], hit[-1] + 1))
    region, mask = region[tuple(box)], mask[tuple(box)]
    return float(np.count_nonzero(region)) / max(1, int(np.count_nonzero(region | mask)))


def _box(bbox: tuple[tuple[int, int], ...], shape: tuple[int, ...], margin: list[int]) -> tuple[slice, ...]:
    return tuple(slice(max(0, a - m), min(n, b + m)) for (a, b), n, m in zip(bbox, shape, margin))


def _stride(shape: tuple[int, ...]) -> tuple[int, ...]:
    total = float(np.prod(shape))
    if total <= WORK_BUDGET:
        return (1,) * len(shape)
    k = max(1, int(math.ceil((total / WORK_BUDGET) ** (1.0 / len(shape)))))
    return (k,) * len(shape)


def _coarsen(mask: np.ndarray, image: np.ndarray, stride: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Block majority of the mask and block mean of the image (crop to whole blocks first)."""
    if all(k == 1 for k in stride):
        return mask.astype(bool), image
    crop = tuple(slice(0, (n // k) * k) for n, k in zip(mask.shape, stride))
    return _majority(mask, stride), block_sum(image[crop], stride, np.float32) / np.float32(np.prod(stride))


def _majority(mask: np.ndarray, stride: tuple[int, ...]) -> np.ndarray:
    """Block majority of a mask on the working grid (crop to whole blocks first)."""
    if all(k == 1 for k in stride):
        return mask.astype(bool)
    crop = tuple(slice(0, (n // k) * k) for n, k in zip(mask.shape, stride))
    return 2 * block_sum(mask[crop], stride, np.int32) >= int(np.prod(stride))
