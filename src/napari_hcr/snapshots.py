"""Pictures of the slices that matter: slice choice, window/level and the mask overlay as PNG.

A reader (person or model) judges a mask from a handful of slices, so which slices are shown
matters as much as how: the largest cross-sections give the overall shape, and the slices
where the measures found something odd (islands, missing slices, area jumps, holes, the slab
where the image disagrees most with the boundary) let the reader see that problem instead of
taking the number on trust; on a CT, the metal whose surroundings were not judged.

Planes are shown the radiological way for the array convention of :mod:`napari_hcr.io`:
axial slices with anterior up and the patient's right on the left; coronal and sagittal
slices with superior up. Pixels keep their physical aspect ratio.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage as ndi

from .case import Case
from .measures import Measures
from .metal import REACH_MM
from .verdict import SnapshotRef
from .wording import size_text

AXIS_NAMES = {0: "axial", 1: "coronal", 2: "sagittal"}
OUTLINE = np.array([255, 214, 0], dtype=np.float32)  # bright yellow: visible on grey and most colour
FILL = np.array([0, 190, 255], dtype=np.float32)  # cyan: no grey level looks like it
FILLS = np.array([[0, 190, 255], [255, 0, 200], [0, 230, 90], [255, 140, 0]], dtype=np.float32)
FILL_ALPHA = 0.35  # the mask reads as a filled region, the anatomy still shows through it
MARGIN = 0.35  # the region a thumbnail shows: the mask's box on the slice grown by this share of its size
MIN_REGION = 0.25  # ... and at least this share of the picture's longer side, so a small island keeps context
MIN_DISAGREEMENT = 0.2  # share of the mask around a region the image-driven refinement disputes; below: noise
MIN_JUMP = 1.5  # below this ratio a slice-to-slice change is ordinary anatomy, not worth a picture


@dataclass(frozen=True)
class Snapshot:
    """A rendered slice. ``region`` (left, top, width, height in PNG pixels) frames the mask and
    what borders it, for a thumbnail that shows the finding rather than the whole field."""

    ref: SnapshotRef
    png: bytes
    width: int
    height: int
    region: tuple[int, int, int, int] | None = None


def choose_slices(case: Case, measures: Measures, *, limit: int = 6) -> list[SnapshotRef]:
    """Up to ``limit`` distinct slices, most informative first (see the module docstring)."""
    if case.ndim == 2:
        return [SnapshotRef(-1, 0, "the whole image")]
    picks: list[SnapshotRef] = []

    def add(axis: int, index: int, why: str) -> None:
        index = int(np.clip(index, 0, case.image.shape[axis] - 1))
        if all((p.axis, p.slice) != (axis, index) for p in picks):
            picks.append(SnapshotRef(axis, index, why))

    for axis in (0, 1, 2):
        add(axis, measures.largest_area_slice[axis], f"largest area on axis {axis} ({AXIS_NAMES[axis]})")
    if len(measures.components) > 1:
        island = measures.components[1]
        share = island.voxels / max(measures.voxels, 1)
        size = size_text(island.size, measures.size_unit)
        add(
            island.where.axis,
            island.where.slice,
            f"island of {size}" if share < 0.1 else f"a separate part of {size} ({share:.0%} of the mask)",
        )
    if measures.gaps:
        gap = measures.gaps[0]
        add(gap.axis, gap.slice - 1, f"next to missing slice {gap.slice} on axis {gap.axis}")
    jump = measures.largest_jump
    if jump is not None and jump.ratio >= MIN_JUMP:
        add(jump.axis, jump.slice, f"area jumps {jump.ratio:.1f}x on axis {jump.axis}")
    if measures.largest_hole is not None:
        hole = measures.largest_hole
        add(hole.axis, hole.slice, f"largest hole ({size_text(measures.hole_size, measures.size_unit)} of holes)")
    moved = measures.refinement
    if moved is not None and moved.where is not None and moved.local_disagreement >= MIN_DISAGREEMENT:
        area = measures.area_per_slice.get(moved.where.axis)
        empty = area is not None and 0 <= moved.where.slice < area.size and area[moved.where.slice] == 0
        adds = moved.missing_region > moved.excess_region  # as Refinement.where chooses
        region = size_text(max(moved.missing_region, moved.excess_region), measures.size_unit)
        why = (
            "image-driven refinement finds tissue here, on a slice the mask leaves empty"
            if empty
            else f"image-driven refinement adds {region} of tissue beyond the mask here"
            if adds
            else f"image-driven refinement takes {region} out of the mask here"
        )
        add(moved.where.axis, moved.where.slice, why)
    metal = measures.metal
    if metal is not None:
        add(metal.where.axis, metal.where.slice, f"metal: attenuation within {REACH_MM:.0f} mm of it not judged")
    start, stop = measures.bbox[0]
    reach = max(1, (stop - start) // 8)
    add(0, start + reach, "near the inferior end")
    add(0, stop - 1 - reach, "near the superior end")
    return picks[:limit]


def render(case: Case, ref: SnapshotRef, *, size: int = 512) -> bytes:
    """PNG of slice ``ref`` with the mask outlined; the longest side is ``size`` pixels."""
    return _render(case, ref, size, _window(case))[0]


def take_snapshots(case: Case, measures: Measures, *, size: int = 512) -> list[Snapshot]:
    window = _window(case)
    out = []
    for ref in choose_slices(case, measures):
        png, width, height, region = _render(case, ref, size, window)
        out.append(Snapshot(ref, png, width, height, region))
    return out


def _window(case: Case) -> tuple[float, float]:
    """Grey levels mapped to black and white: 1st-99th percentile around the mask.

    The neighbourhood (mask box grown by half its size) holds the structure and what borders
    it, so the contrast the reader needs is not washed out by air or by far-away bright tissue.
    """
    mask = case.mask
    if case.ndim == 3:
        bounds = [np.flatnonzero(mask.any(axis=tuple(a for a in range(3) if a != axis))) for axis in range(3)]
    else:
        bounds = [np.flatnonzero(mask.any(axis=1 - axis)) for axis in range(2)]
    box = []
    for hit, n in zip(bounds, mask.shape):
        grow = max(2, (hit[-1] - hit[0]) // 2)
        box.append(slice(max(0, hit[0] - grow), min(n, hit[-1] + 1 + grow)))
    region = case.image[tuple(box)]
    step = max(1, int(round((region.size / 250_000) ** (1 / region.ndim))))
    sample = region[tuple(slice(None, None, step) for _ in range(region.ndim))]
    low, high = (float(v) for v in np.percentile(sample, [1, 99]))
    if high <= low:
        low, high = float(sample.min()), float(sample.max())
    return low, high if high > low else low + 1.0


def _plane(array: np.ndarray, ref: SnapshotRef) -> np.ndarray:
    if ref.axis < 0:
        return array
    plane = np.take(array, ref.slice, axis=ref.axis)
    return plane if ref.axis == 0 else plane[::-1]  # superior up for coronal and sagittal


def _render(
    case: Case, ref: SnapshotRef, size: int, window: tuple[float, float]
) -> tuple[bytes, int, int, tuple[int, int, int, int]]:
    if case.ndim == 3 and not 0 <= ref.slice < case.image.shape[ref.axis]:
        raise ValueError(f"slice {ref.slice} is outside axis {ref.axis} of shape {case.image.shape}")
    mask = _plane(case.labels, ref) == case.label
    rows, cols = mask.shape
    if case.ndim == 3:
        row_mm, col_mm = (s for a, s in enumerate(case.spacing) if a != ref.axis)
    else:
        row_mm, col_mm = case.spacing
    scale = size / max(rows * row_mm, cols * col_mm)
    height, width = max(1, round(rows * row_mm * scale)), max(1, round(cols * col_mm * scale))

    if case.rgb is not None:
        base = Image.fromarray(_to_uint8_rgb(case.rgb))
    else:
        low, high = window
        grey = np.clip((_plane(case.image, ref) - low) * (255.0 / (high - low)), 0, 255).astype(np.uint8)
        base = Image.fromarray(grey).convert("RGB")
    picture = np.asarray(base.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
    inside = (
        np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize((width, height), Image.Resampling.NEAREST)) > 0
    )
    thickness = 2 if max(width, height) >= 256 else 1
    edge = inside & ~ndi.binary_erosion(inside, iterations=thickness, border_value=0)
    fill = FILL if case.rgb is None else _contrasting(picture, inside)
    picture[inside] = picture[inside] * (1 - FILL_ALPHA) + fill * FILL_ALPHA
    picture[edge] = OUTLINE
    buffer = io.BytesIO()
    Image.fromarray(picture.astype(np.uint8)).save(buffer, format="PNG", compress_level=1)
    shown = mask if mask.any() else _footprint(case, ref)
    return buffer.getvalue(), width, height, _region(shown, height / rows, width / cols, height, width)


def _footprint(case: Case, ref: SnapshotRef) -> np.ndarray:
    """Where the mask lies on this plane, seen through the whole volume: the frame for a slice
    the mask misses (a gap), so its thumbnail shows where the mask should have been."""
    mask = case.mask
    if ref.axis < 0:
        return mask
    footprint: np.ndarray = np.asarray(mask.any(axis=ref.axis))
    return footprint if ref.axis == 0 else footprint[::-1]


def _region(
    shown: np.ndarray, row_scale: float, col_scale: float, height: int, width: int
) -> tuple[int, int, int, int]:
    """The box (left, top, width, height) in picture pixels around ``shown``, grown by MARGIN."""
    if not shown.any():
        return 0, 0, width, height
    rows, cols = np.flatnonzero(shown.any(axis=1)), np.flatnonzero(shown.any(axis=0))
    least = MIN_REGION * max(width, height)
    box = []
    for lo, hi, scale, limit in ((cols[0], cols[-1] + 1, col_scale, width), (rows[0], rows[-1] + 1, row_scale, height)):
        start, stop = lo * scale, hi * scale
        grow = max(MARGIN * (stop - start), (least - (stop - start)) / 2, 0.0)
        start, stop = max(0, int(start - grow)), min(limit, int(np.ceil(stop + grow)))
        box.append((start, stop - start))
    (left, w), (top, h) = box
    return left, top, w, h


def _contrasting(picture: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """The fill colour farthest from the picture's colours under the mask (a colour photograph)."""
    if not inside.any():
        return FILLS[0]
    mean = picture[inside].mean(axis=0)
    return FILLS[int(np.argmax(np.linalg.norm(FILLS - mean, axis=1)))]


def _to_uint8_rgb(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype == np.uint8:
        return np.ascontiguousarray(rgb)
    low, high = (float(v) for v in np.percentile(rgb, [0.5, 99.5]))
    scaled = (rgb.astype(np.float32) - low) * (255.0 / max(high - low, 1e-12))
    return np.clip(scaled, 0, 255).astype(np.uint8)
