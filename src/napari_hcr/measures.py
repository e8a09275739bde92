"""Quantitative evidence about one mask: size, topology, shape, boundary, intensity, continuity.

Everything the stages say about a case rests on these numbers, so each is defined once here.
Speed matters (a 512x512x300 scan must measure in well under a second on two cores), so the
work happens on the mask's bounding box plus a margin, and shape and edge measures use a
coarser *working grid* when that box is large:

* exact at full resolution: voxel count and size, per-slice areas, gaps, slice jumps, bbox,
  centroid, component voxel counts (from block counts, so no voxel is lost);
* on the working grid (blocks of ``stride`` voxels): component connectivity (a block is set
  when any of its voxels is), holes, surface area, compactness, roughness, edges, contrast and
  symmetry. Features smaller than one block can be missed by those measures.

A scan finer than the grid a structure's norms were measured on is read in blocks of about
that grid's size whatever the box (``grid_mm``, see :func:`measure`), intensities included.

Components use full connectivity (26 neighbours in 3-D, 8 in 2-D), so two pieces touching at
a corner count as one; holes are background regions not connected (6/4 neighbours, the dual
connectivity) to the outside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import ndimage as ndi

from .attenuation import ForeignTissue, foreign_tissue
from .blocks import block_sum, reading_stride, stride_within
from .case import Case
from .context import Context, field_cut, surroundings
from .hounsfield import hounsfield_doubt
from .knowledge import Range, modality_kind
from .metal import Metal, metal_in, metal_zone, threshold
from .refinement import Refinement, refine
from .verdict import Location
from .wording import COUNT_UNITS

if TYPE_CHECKING:
    from .peers import Peers

WORK_BUDGET = 1_500_000  # voxels in the working grid; sets the stride on large boxes
RING_MM = 3.0  # thickness of the bands either side of the boundary used for contrast
SMOOTH_MM = 3.0  # Gaussian sigma of the smoothed copy that roughness compares against ...
SMOOTH_SHARE = 0.2  # ... at most this share of the structure's mean radius, so a thin rib is not smoothed away
DESTAIR = 0.7  # voxels: a light blur so iso-surfaces follow the shape, not the voxel staircase
THIN_KEEP = 0.5  # a mask whose blurred copy keeps less than this share of it is too thin to measure its shape
EDGE_SHARE = 0.3  # a ridge this strong relative to the boundary's strongest edges counts as an edge
EDGE_NOISE = 2.0  # ... and at least this many times the median gradient there (noise is no edge)
SUBSTANTIAL = 0.05  # share of the mask a component needs to count towards the extent for gaps
JUMP_FLOOR = 0.1  # slices smaller than this share of the peak area are tips, not jumps


@dataclass(frozen=True)
class Component:
    """One connected component of the mask (largest first); ``size`` in mL (3-D) or mm² (2-D)."""

    voxels: int
    size: float
    where: Location
    at_border: bool = False  # reaches the image's border: it may join the rest beyond the scan


@dataclass(frozen=True)
class SliceJump:
    """Area change between slice ``slice - 1`` (``before``) and ``slice`` (``after``), in mm²
    (pixels when the voxel size is unknown)."""

    axis: int
    slice: int
    before: float
    after: float
    ratio: float


@dataclass(frozen=True)
class Measures:
    """What the mask is, in numbers; see the module docstring for resolution and conventions."""

    ndim: int
    shape: tuple[int, ...]
    spacing: tuple[float, ...]
    voxels: int
    size: float
    size_unit: str
    components: tuple[Component, ...]
    holes: int
    hole_size: float
    largest_hole: Location | None
    compactness: float
    roughness: float
    shape_measured: bool  # False: too thin at its voxel size for compactness and roughness to mean anything
    edge_agreement: float
    boundary_contrast: float
    inside_mean: float
    inside_std: float
    inside_cv: float
    inside_median: float
    inside_spread: float
    outside_mean: float
    inside_percentile: float
    area_per_slice: dict[int, np.ndarray]
    largest_jump: SliceJump | None
    gaps: tuple[Location, ...]
    gap_flank: float  # how whole the slices either side of the fullest gap are (see ``_gaps``)
    symmetry: float | None
    bbox: tuple[tuple[int, int], ...]
    extent_fraction: tuple[float, ...]
    centroid_fraction: tuple[float, ...]
    largest_area_slice: dict[int, int]
    refinement: Refinement | None = None
    context: Context | None = None
    nonfinite_share: float = 0.0  # share of image voxels that were NaN or infinite; intensities skip them
    foreign: ForeignTissue | None = None  # voxels outside the structure's attenuation band (CT with a known band)
    metal: Metal | None = None  # metal in or near a CT mask: attenuation within its reach is not judged
    not_hounsfield: str | None = None  # why a CT's values cannot be Hounsfield units (None: they can, or not a CT)
    peers: Peers | None = None  # other labels of the structure that set its norms (a kind the calibration never saw)

    @property
    def slice_area_unit(self) -> str:
        """Unit of a slice's area: mm² when the voxel size is known, a pixel count when not."""
        return "px" if self.size_unit in COUNT_UNITS else "mm²"

    @property
    def clipped(self) -> bool:
        """The scan's field of view cuts the mask: it continues beyond the image."""
        return self.context is not None and self.context.clipped

    @property
    def amid_metal(self) -> bool:
        """Every voxel of the mask lies within reach of metal (a CT): none of its attenuation can be read."""
        return self.metal is not None and self.metal.whole

    def clipped_end(self, axis: int, index: int) -> bool:
        """Whether slice ``index`` of ``axis`` is an image border the mask reaches (the scan ends there)."""
        return self.context is not None and self.context.at_border(axis, index, self.shape[axis])

    def to_dict(self) -> dict[str, Any]:
        """A compact JSON-able summary: rounded numbers, no per-slice arrays, a few examples."""
        return {
            "ndim": self.ndim,
            "shape": list(self.shape),
            "spacing": [_r(s, 4) for s in self.spacing],
            "voxels": self.voxels,
            "size": _r(self.size, 3),
            "size_unit": self.size_unit,
            "components": len(self.components),
            "component_sizes": [_r(c.size, 3) for c in self.components[:5]],
            "islands": [
                {"voxels": c.voxels, "size": _r(c.size, 3), "where": _loc(c.where)} for c in self.components[1:6]
            ],
            "holes": self.holes,
            "hole_size": _r(self.hole_size, 3),
            "largest_hole": _loc(self.largest_hole),
            "compactness": _r(self.compactness, 3),
            "roughness": _r(self.roughness, 3),
            "shape_measured": self.shape_measured,
            "edge_agreement": _r(self.edge_agreement, 3),
            "boundary_contrast": _r(self.boundary_contrast, 3),
            "inside_mean": _r(self.inside_mean, 4),
            "inside_std": _r(self.inside_std, 4),
            "inside_cv": _r(self.inside_cv, 3),
            "inside_median": _r(self.inside_median, 4),
            "inside_spread": _r(self.inside_spread, 4),
            "outside_mean": _r(self.outside_mean, 4),
            "inside_percentile": _r(self.inside_percentile, 1),
            "largest_jump": None
            if self.largest_jump is None
            else {
                "axis": self.largest_jump.axis,
                "slice": self.largest_jump.slice,
                "before": _r(self.largest_jump.before, 1),
                "after": _r(self.largest_jump.after, 1),
                "ratio": _r(self.largest_jump.ratio, 2),
            },
            "gap_count": len(self.gaps),
            "gaps": [_loc(g) for g in self.gaps[:20]],
            "gap_flank": _r(self.gap_flank, 3),
            "symmetry": None if self.symmetry is None else _r(self.symmetry, 3),
            "bbox": [list(b) for b in self.bbox],
            "extent_fraction": [_r(f, 3) for f in self.extent_fraction],
            "centroid_fraction": [_r(f, 3) for f in self.centroid_fraction],
            "largest_area_slice": {str(k): v for k, v in self.largest_area_slice.items()},
            "refinement": None if self.refinement is None else self.refinement.to_dict(),
            "context": None if self.context is None else self.context.to_dict(),
            "nonfinite_share": _r(self.nonfinite_share, 4),
            "foreign": None if self.foreign is None else self.foreign.to_dict(),
            "metal": None if self.metal is None else self.metal.to_dict(),
            "not_hounsfield": self.not_hounsfield,
            "peers": None if self.peers is None else self.peers.to_dict(),
        }


def _r(value: float, digits: int) -> float:
    return round(float(value), digits)


def _loc(where: Location | None) -> dict[str, Any] | None:
    if where is None:
        return None
    out: dict[str, Any] = dict(where.slice_ref())
    if where.point is not None:
        out["point"] = [round(float(p), 1) for p in where.point]
    return out


def measure(case: Case, attenuation: Range | None = None, grid_mm: float | None = None) -> Measures:
    """Measure ``case.mask`` against ``case.image``; the mask must not be empty (Case ensures it).

    ``attenuation`` is the band (HU) the structure's tissue lies in when the image is a CT and
    the structure's profile states one: voxels far outside it are measured as other tissue, when
    the image's values can be Hounsfield units.

    ``grid_mm`` is the voxel size the structure's norms were measured on. A finer scan is read
    in blocks of about that size, intensities included: a block mean carries the noise and the
    partial volume of a voxel of that size (as a thicker reconstruction would), the mask is
    outlined block by block and boundary depths count the norms' voxels, so the evidence is on
    the scale the norms know. Sizes, slice areas and gaps stay exact.
    """
    mask = case.mask
    image = case.image
    doubt = hounsfield_doubt(image, case.finite) if modality_kind(case.modality) == "CT" else None
    if doubt is not None:
        attenuation = None
    ndim = mask.ndim
    spacing = tuple(float(s) for s in case.spacing) or (1.0,) * ndim
    shape = tuple(int(n) for n in mask.shape)
    unit_volume = float(np.prod(spacing))  # mm³ (mm²), ones when the voxel size is unknown
    to_size = case.voxel_size

    bbox = _bbox(mask)
    margin = [max(2, math.ceil(RING_MM / s) + 2) for s in spacing]
    grid_mm = grid_mm if case.spacing_known else None  # no scale without a voxel size
    least = reading_stride(spacing, grid_mm)
    stride = stride_within(tuple(b - a + 2 * m for (a, b), m in zip(bbox, margin)), spacing, WORK_BUDGET, least)
    box = _box(bbox, [m + k for m, k in zip(margin, stride)], stride, shape)
    origin = np.array([b.start for b in box], dtype=float)
    sub = mask[box]
    sub_image = image[box]

    profiles = _profiles(sub)
    voxels = int(profiles[0].sum())
    areas = _areas(profiles, box, shape, spacing)
    grid = _Grid(sub, sub_image, stride, spacing)
    work = grid.fraction >= 0.5
    if not work.any():  # a mask thinner than one block: fall back to "any voxel in the block"
        work = grid.counts > 0

    components, extent = _components(grid, origin, to_size, ndim, shape)
    holes, hole_voxels, largest_hole = _holes(work, grid, origin, ndim)
    in_blocks = any(k > 1 for k in least)
    # Read on its norms' grid, a mask is outlined as a mask drawn on that grid would be, each
    # block in or out: the fractions of a thin rib's blocks would leave its surface nowhere.
    outline = work.astype(np.float32) if in_blocks else grid.fraction
    destaired = ndi.gaussian_filter(outline, DESTAIR)
    area = _surface(destaired, grid.spacing) or _surface(outline, grid.spacing)
    content = voxels * unit_volume
    # ndim x content / surface is the radius of a ball (disc), half the thickness x 1.5 of a rod or sheet
    sigma = min(SMOOTH_MM, SMOOTH_SHARE * ndim * content / area) if area > 0 else SMOOTH_MM
    smooth = _surface(ndi.gaussian_filter(outline, [sigma / s for s in grid.spacing]), grid.spacing)
    compactness = _compactness(content, area, ndim)
    roughness = max(0.0, area / smooth - 1.0) if smooth > 0 else 0.0
    # A mask about one voxel thick melts under the light blur itself: its surface, and with it
    # its compactness and roughness, would be a fraction of what it is (a rib fragment read as
    # a ball, "roughness 2.98"). Its shape cannot be measured at this voxel size.
    shape_measured = np.count_nonzero(destaired >= 0.5) >= THIN_KEEP * np.count_nonzero(outline >= 0.5)

    inner = work & _near(~work, grid.spacing, RING_MM)
    outer = ~work & _near(work, grid.spacing, RING_MM)
    # Intensities come from voxels that hold tissue values: numbers (not NaN), and on a CT none
    # within reach of metal, whose streaks are the artefact's attenuation (metal.py).
    metal_hu = None if attenuation is None else threshold(attenuation)
    zone = None if metal_hu is None else metal_zone(image, box, spacing, metal_hu)
    readable = case.finite[box] if case.finite is not None else None
    if zone is not None:
        readable = ~zone.near if readable is None else readable & ~zone.near
    numbers = None if readable is None else _Grid(readable, sub_image, stride, spacing).fraction >= 1.0
    if numbers is not None:  # intensities come from blocks of numbers only (Case fills the rest)
        inner, outer = inner & numbers, outer & numbers
    in_vals = grid.image[inner]
    out_vals = grid.image[outer]
    contrast = _contrast(in_vals, out_vals)
    edges = _edge_agreement(work, grid)

    sub_numbers = sub if readable is None else sub & readable
    if in_blocks:  # read on the norms' grid: block means of blocks wholly in the mask, of numbers only
        whole = grid.fraction >= 1.0
        values, sampled = grid.image, whole if numbers is None else whole & numbers
    else:  # a large box is sampled every few voxels (speed); intensities stay the voxels'
        every = tuple(slice(None, None, s) for s in stride)
        values, sampled = sub_image[every], sub_numbers[every]
    # Inside statistics come from the mask's core, one (sampled) voxel in from its boundary, so
    # partial volume with the surroundings does not pass for mixed tissue on a small structure.
    core = ndi.binary_erosion(sampled)
    if np.count_nonzero(core) < max(10, 0.2 * np.count_nonzero(sampled)):
        core = sampled
    inside = values[core]
    if inside.size == 0:
        inside = sub_image[sub_numbers] if sub_numbers.any() else sub_image[sub]
    inside_mean = float(inside.mean())
    inside_std = float(inside.std())
    inside_cv = inside_std / abs(inside_mean) if abs(inside_mean) > 1e-12 else 0.0
    q25, inside_median, q75 = (float(v) for v in np.percentile(inside, [25, 50, 75]))
    outside_mean = float(out_vals.mean()) if out_vals.size else inside_mean

    centroid = _centroid(profiles, origin)
    gaps, gap_flank = _gaps(areas, extent, origin)
    measures = Measures(
        ndim=ndim,
        shape=shape,
        spacing=spacing,
        voxels=voxels,
        size=voxels * to_size,
        size_unit=case.size_unit,
        components=components,
        holes=holes,
        hole_size=hole_voxels * float(np.prod(grid.stride)) * to_size,
        largest_hole=largest_hole,
        compactness=compactness,
        roughness=roughness,
        shape_measured=bool(shape_measured),
        edge_agreement=edges,
        boundary_contrast=contrast,
        inside_mean=inside_mean,
        inside_std=inside_std,
        inside_cv=inside_cv,
        inside_median=inside_median,
        inside_spread=(q75 - q25) / 1.349,
        outside_mean=outside_mean,
        inside_percentile=_percentile_of(image if case.finite is None else image[case.finite], inside_median),
        area_per_slice=areas,
        largest_jump=_largest_jump(areas),
        gaps=gaps,
        gap_flank=gap_flank,
        symmetry=_symmetry(work),
        bbox=bbox,
        extent_fraction=tuple((b - a) / n for (a, b), n in zip(bbox, shape)),
        centroid_fraction=tuple(c / n for c, n in zip(centroid, shape)),
        largest_area_slice={axis: int(np.argmax(a)) for axis, a in areas.items()},
        nonfinite_share=case.nonfinite_share,
        not_hounsfield=doubt,
        metal=None if zone is None else metal_in(zone, sub, to_size),
        foreign=None
        if attenuation is None
        else _foreign(grid if in_blocks else None, sampled, sub_image, sub_numbers, attenuation, to_size, box),
    )
    context = (
        surroundings(image, case.labels, case.label, spacing, bbox, voxels, to_size, case.names, least, metal_hu)
        if case.others
        else Context(field_cut(bbox, shape), (), None, alone=True)
    )
    return replace(measures, refinement=refine(case, measures, grid_mm, metal_hu), context=context)


def _foreign(
    grid: _Grid | None,
    blocks: np.ndarray,
    sub_image: np.ndarray,
    sub_numbers: np.ndarray,
    band: Range,
    to_size: float,
    box: tuple[slice, ...],
) -> ForeignTissue:
    """Other tissue in the mask, voxel by voxel, or over the mask's ``blocks`` (wholly inside it)
    on the ``grid`` that reads a finer scan at its norms' scale: a block's noise is then what
    the attenuation margin allows for."""
    origin = tuple(b.start for b in box)
    if grid is None:
        return foreign_tissue(sub_image, sub_numbers, band, to_size, origin)
    return foreign_tissue(grid.image, blocks, band, to_size * float(np.prod(grid.stride)), origin, grid.stride)


class _Grid:
    """The cropped mask and image in blocks of ``stride`` voxels.

    ``counts`` holds exact mask voxel counts per block (so sizes stay exact), ``fraction``
    the share of the block inside the mask (a sub-voxel surface for marching cubes) and
    ``image`` the block mean intensity.
    """

    def __init__(self, mask: np.ndarray, image: np.ndarray, stride: tuple[int, ...], spacing: tuple[float, ...]):
        self.stride = stride
        self.spacing = tuple(s * k for s, k in zip(spacing, stride))
        if all(k == 1 for k in stride):
            self.counts = mask.astype(np.int32)
            self.fraction = mask.astype(np.float32)
            self.image = image.astype(np.float32, copy=False)
            return
        pad = [(0, (-n) % k) for n, k in zip(mask.shape, stride)]
        if any(p for _, p in pad):  # only when the box meets the image border
            mask = np.pad(mask, pad)
            image = np.pad(image, pad, mode="edge")
        self.counts = block_sum(mask, stride, np.int32)
        self.fraction = self.counts.astype(np.float32) / float(np.prod(stride))
        self.image = (block_sum(image, stride, np.float32) / np.float32(np.prod(stride))).astype(np.float32, copy=False)

    def to_voxel(self, index: np.ndarray) -> np.ndarray:
        """Block index (may be fractional) -> crop voxel coordinate of the block's centre."""
        return (np.asarray(index, dtype=float) + 0.5) * np.asarray(self.stride) - 0.5


def _box(
    bbox: tuple[tuple[int, int], ...], margin: list[int], stride: tuple[int, ...], shape: tuple[int, ...]
) -> tuple[slice, ...]:
    """The bbox plus margin, its length a multiple of the stride wherever the image allows."""
    out = []
    for (a, b), m, k, n in zip(bbox, margin, stride, shape):
        start, stop = max(0, a - m), min(n, b + m)
        extra = (-(stop - start)) % k
        if stop + extra <= n:
            stop += extra
        elif stop - (k - extra) >= b:
            stop -= k - extra
        out.append(slice(start, stop))
    return tuple(out)


def _bbox(mask: np.ndarray) -> tuple[tuple[int, int], ...]:
    out = []
    for axis in range(mask.ndim):
        other = tuple(a for a in range(mask.ndim) if a != axis)
        hit = np.flatnonzero(mask.any(axis=other)) if other else np.flatnonzero(mask)
        out.append((int(hit[0]), int(hit[-1]) + 1))
    return tuple(out)


def _profiles(sub: np.ndarray) -> dict[int, np.ndarray]:
    """Mask voxel count per slice along every axis (exact); two passes over the box in all."""
    if sub.ndim == 3:
        plane = sub.sum(axis=0, dtype=np.int64)
        return {0: sub.sum(axis=(1, 2), dtype=np.int64), 1: plane.sum(axis=1), 2: plane.sum(axis=0)}
    return {0: sub.sum(axis=1, dtype=np.int64), 1: sub.sum(axis=0, dtype=np.int64)}


def _areas(
    profiles: dict[int, np.ndarray], box: tuple[slice, ...], shape: tuple[int, ...], spacing: tuple[float, ...]
) -> dict[int, np.ndarray]:
    """Per-slice mask area in mm² along every axis of a 3-D mask, over the whole image length."""
    if len(shape) != 3:
        return {}
    areas = {}
    for axis, count in profiles.items():
        full = np.zeros(shape[axis], dtype=np.float64)
        pixel = float(np.prod([s for a, s in enumerate(spacing) if a != axis]))
        full[box[axis]] = count * pixel
        areas[axis] = full
    return areas


def _components(
    grid: _Grid, origin: np.ndarray, to_size: float, ndim: int, shape: tuple[int, ...]
) -> tuple[tuple[Component, ...], list[tuple[int, int]]]:
    """Components largest first, and the crop-voxel extent per axis of the substantial ones.

    The extent covers components holding at least ``SUBSTANTIAL`` of the mask, so a small
    island far from the structure does not make the empty space between them look like
    missing slices, while a structure cut in two by missing slices still spans the gap.
    """
    occupied = grid.counts > 0
    labels, count = ndi.label(occupied, structure=np.ones((3,) * ndim, dtype=bool))
    index = np.arange(1, count + 1)
    voxels = ndi.sum_labels(grid.counts, labels, index).astype(np.int64)
    centres = ndi.center_of_mass(grid.counts, labels, index)
    order = np.argsort(-voxels, kind="stable")
    boxes = ndi.find_objects(labels)
    out = []
    for i in order:
        if voxels[i] == 0:
            continue
        point = tuple(float(v) for v in grid.to_voxel(np.asarray(centres[i])) + origin)
        border = any(
            (origin[a] == 0 and b.start == 0) or origin[a] + b.stop * k >= n
            for a, (b, k, n) in enumerate(zip(boxes[i], grid.stride, shape))
        )
        out.append(Component(int(voxels[i]), float(voxels[i]) * to_size, Location.at(point, ndim), border))
    big = [boxes[i] for i in range(count) if voxels[i] >= SUBSTANTIAL * voxels.sum()]
    extent = [
        (min(b[axis].start for b in big) * k, max(b[axis].stop for b in big) * k) for axis, k in enumerate(grid.stride)
    ]
    return tuple(out), extent


def _holes(work: np.ndarray, grid: _Grid, origin: np.ndarray, ndim: int) -> tuple[int, int, Location | None]:
    filled = ndi.binary_fill_holes(work)
    cavities = filled & ~work
    if not cavities.any():
        return 0, 0, None
    labels, count = ndi.label(cavities)
    sizes = np.bincount(labels.ravel())[1:]
    biggest = int(np.argmax(sizes)) + 1
    centre = ndi.center_of_mass(cavities, labels, biggest)
    point = tuple(float(v) for v in grid.to_voxel(np.asarray(centre)) + origin)
    return int(count), int(sizes.sum()), Location.at(point, ndim)


SLAB = 16  # planes per marching-cubes call


def _surface(field: np.ndarray, spacing: tuple[float, ...]) -> float:
    """Area (3-D, mm²) or perimeter (2-D, mm) of the 0.5 iso-surface of ``field``."""
    padded = np.pad(field, 1)
    if padded.max() < 0.5:
        return 0.0
    from skimage import measure as skm

    if field.ndim == 3:
        # Slabs sharing one plane partition the cubes exactly, so their areas add up to the whole
        # surface; marching cubes holds the GIL, and a slab at a time lets a UI thread run between.
        area = 0.0
        for start in range(0, padded.shape[0] - 1, SLAB):
            slab = padded[start : start + SLAB + 1]
            if slab.max() >= 0.5 > slab.min():
                verts, faces, _, _ = skm.marching_cubes(slab, 0.5, spacing=spacing)
                area += float(skm.mesh_surface_area(verts, faces))
        return area
    total = 0.0
    for contour in skm.find_contours(padded, 0.5):
        steps = np.diff(contour, axis=0) * np.asarray(spacing)
        total += float(np.sqrt((steps**2).sum(axis=1)).sum())
    return total


def _compactness(content: float, area: float, ndim: int) -> float:
    """Sphericity (3-D) or circularity (2-D): 1 for a ball / disc, towards 0 for ragged shapes."""
    if area <= 0:
        return 0.0
    if ndim == 3:
        value = math.pi ** (1 / 3) * (6 * content) ** (2 / 3) / area
    else:
        value = 4 * math.pi * content / area**2
    return float(min(1.0, max(0.0, value)))


def _near(mask: np.ndarray, spacing: tuple[float, ...], mm: float) -> np.ndarray:
    """Voxels within a box of half-width ``mm`` of any ``mask`` voxel (separable, so cheap)."""
    sizes = [2 * max(1, int(round(mm / s))) + 1 for s in spacing]
    return ndi.uniform_filter(mask.astype(np.float32), size=sizes, mode="nearest") > 1e-6


def _contrast(inside: np.ndarray, outside: np.ndarray) -> float:
    """(mean of the inner band - mean of the outer band) / pooled std of both bands."""
    if inside.size == 0 or outside.size == 0:
        return 0.0
    pooled = math.sqrt((float(inside.var()) + float(outside.var())) / 2.0)
    diff = float(inside.mean()) - float(outside.mean())
    if pooled < 1e-12:
        return 0.0 if abs(diff) < 1e-12 else math.copysign(10.0, diff)
    return diff / pooled


def _edge_agreement(work: np.ndarray, grid: _Grid) -> float:
    """Share of boundary voxels that lie on a strong image edge.

    Edges are ridges of the gradient magnitude (Gaussian derivative, per mm): voxels whose
    gradient is not exceeded by either neighbour along the gradient direction, as in Canny's
    non-maximum suppression, so an edge is one voxel thin and a boundary drawn two voxels off it
    does not count. A ridge is strong when its gradient reaches ``EDGE_SHARE`` of the 95th
    percentile of the gradient near the boundary and ``EDGE_NOISE`` times its median (so pure
    noise, whose ridges are everywhere, does not pass for edges): thresholds that follow the
    image's own contrast whatever the modality or intensity scale. A boundary voxel agrees when it or an
    outside face neighbour is a strong ridge (the true edge usually falls between the two).
    """
    boundary = work & ~ndi.binary_erosion(work, border_value=1)
    if not boundary.any():
        return 0.0
    derivs = [
        ndi.gaussian_filter1d(grid.image, sigma=1.0, axis=axis, order=1, mode="nearest") / step
        for axis, step in enumerate(grid.spacing)
    ]
    grad = np.sqrt(sum(d * d for d in derivs))
    index = np.nonzero(_near(boundary, grid.spacing, RING_MM))
    values = grad[index]
    peak = float(np.percentile(values, 95))
    if peak <= 0:
        return 0.0
    # Direction of the gradient in index space (per-mm gradient scaled by 1/spacing), rounded
    # to one of the 26 neighbour steps.
    direction = np.stack([d[index] / s for d, s in zip(derivs, grid.spacing)])
    direction /= np.linalg.norm(direction, axis=0) + 1e-12
    step = np.where(np.abs(direction) > 0.3827, np.sign(direction), 0).astype(np.intp)
    coords = np.stack(index)
    top = np.array(grad.shape)[:, None] - 1
    ahead = grad[tuple(np.clip(coords + step, 0, top))]
    behind = grad[tuple(np.clip(coords - step, 0, top))]
    strong = np.zeros(grad.shape, dtype=bool)
    threshold = max(EDGE_SHARE * peak, EDGE_NOISE * float(np.median(values)))
    strong[index] = (values >= ahead) & (values >= behind) & (values >= threshold)
    agrees = strong | ndi.binary_dilation(strong & ~work)
    return float(np.count_nonzero(agrees[boundary]) / np.count_nonzero(boundary))


def _percentile_of(image: np.ndarray, value: float) -> float:
    """Percentile rank of ``value`` among the image's foreground (above Otsu's threshold)."""
    step = max(1, int(round((image.size / 1_000_000) ** (1 / image.ndim))))
    sample = np.sort(image[tuple(slice(None, None, step) for _ in range(image.ndim))].ravel())
    if sample[0] == sample[-1]:
        return 50.0
    from skimage.filters import threshold_otsu

    foreground = sample[sample > threshold_otsu(sample)]
    if foreground.size == 0:
        foreground = sample
    return float(100.0 * np.searchsorted(foreground, value, side="right") / foreground.size)


def _centroid(profiles: dict[int, np.ndarray], origin: np.ndarray) -> tuple[float, ...]:
    return tuple(float((p * np.arange(p.size)).sum() / p.sum() + origin[axis]) for axis, p in sorted(profiles.items()))


def _largest_jump(areas: dict[int, np.ndarray]) -> SliceJump | None:
    best: SliceJump | None = None
    for axis, area in areas.items():
        floor = JUMP_FLOOR * float(area.max())
        before, after = area[:-1], area[1:]
        valid = (before > floor) & (after > floor)
        if not valid.any():
            continue
        ratio = np.where(valid, np.maximum(before, after) / np.maximum(np.minimum(before, after), 1e-12), 0.0)
        i = int(np.argmax(ratio))
        if best is None or ratio[i] > best.ratio:
            best = SliceJump(axis, i + 1, float(before[i]), float(after[i]), float(ratio[i]))
    return best


def _gaps(
    areas: dict[int, np.ndarray], extent: list[tuple[int, int]], origin: np.ndarray
) -> tuple[tuple[Location, ...], float]:
    """Empty slices between the first and last non-empty slice of the substantial parts, and
    how full the slices either side of the fullest run of them are (the smaller side, as a
    share of the median filled slice along that axis, at most 1). A slab cut out of a solid
    structure leaves whole cross-sections either side of it; a mask broken at a thin part, as
    a correct but fragmented one is, leaves slivers."""
    out: list[Location] = []
    flank = 0.0
    for axis, area in areas.items():
        start, stop = (int(origin[axis]) + e for e in extent[axis])
        filled = start + np.flatnonzero(area[start:stop] > 0)
        if filled.size < 2:
            continue
        inner = np.arange(filled[0], filled[-1] + 1)
        empty = inner[area[inner] == 0]
        out.extend(Location(axis, int(s)) for s in empty)
        if empty.size == 0:
            continue
        typical = float(np.median(area[filled]))
        for run in np.split(empty, np.flatnonzero(np.diff(empty) > 1) + 1):
            sides = min(area[run[0] - 1], area[run[-1] + 1])
            flank = max(flank, min(1.0, float(sides) / typical))
    return tuple(out), flank


def _symmetry(work: np.ndarray) -> float | None:
    """Dice of the mask with its mirror across its own centroid along the last axis."""
    profile = work.sum(axis=tuple(range(work.ndim - 1)))
    total = int(profile.sum())
    width = np.flatnonzero(profile)
    if total == 0 or width[-1] - width[0] < 1:
        return None
    centre = float((profile * np.arange(profile.size)).sum() / total)
    shift = int(round(2 * centre - (profile.size - 1)))
    mirrored = work[..., ::-1]
    n = profile.size
    overlap = 0
    if abs(shift) < n:
        if shift >= 0:
            overlap = int(np.count_nonzero(work[..., shift:] & mirrored[..., : n - shift]))
        else:
            overlap = int(np.count_nonzero(work[..., : n + shift] & mirrored[..., -shift:]))
    return 2.0 * overlap / (2 * total)
