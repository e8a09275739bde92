"""Evidence from around the mask: the image's field of view and the other labels beside it.

A mask is judged against its surroundings as well as against its profile. Two facts from
there change what its measures mean:

* **Field of view**: a mask that reaches the image's own border continues beyond the scan,
  so a flat end there is the scan's edge, not a missing part, and its volume is only a lower
  bound.
* **Labelled neighbours**: which named structures the mask touches; one that touches what its
  structure never does sits in the wrong place (a swapped label, a shifted mask). And in a
  multi-label map (TotalSegmentator, nnU-Net, an annotator's atlas) a leak into a
  neighbouring structure takes voxels away from that neighbour. The neighbour then wraps
  around the part the mask took (a bite out of its shape), and that part looks like the
  neighbour, not like the mask's own tissue. Both together are strong, located
  evidence; either alone is ordinary anatomy (an organ in another's impression, a vessel
  running through an organ), so only their conjunction counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from . import likelihood
from .blocks import stride_within
from .metal import metal_zone
from .regions import largest_part
from .verdict import Location

WRAP_MM = (4.0, 25.0)  # how far a neighbour may lie and still wrap a voxel: 3/4 of the mask's radius, within these
WRAP_SIDES = {3: 3, 2: 3}  # sides (of 6 or 4) on which the neighbour must lie to wrap a voxel
LIKE_MARGIN = 0.7  # log-likelihood ratio (about 2:1) for a voxel to look like the neighbour
MAX_NEIGHBOURS = 6  # the labels with the most contact are examined
GRID_BUDGET = 1_500_000  # voxels of the grid the surroundings are read on (the measures' budget)


@dataclass(frozen=True)
class NeighbourLeak:
    """The part of the mask that a labelled neighbour wraps and whose intensity is the neighbour's.

    ``share`` is that part's share of the mask, ``size`` its volume (mL in 3-D, mm² in 2-D).
    """

    label: int
    name: str
    share: float
    size: float
    where: Location


@dataclass(frozen=True)
class Context:
    """Where the mask meets the image border (``cut[axis] = (at first slice, at last slice)``),
    which labels touch it, and the leak into one of them when there is one."""

    cut: tuple[tuple[bool, bool], ...]
    neighbours: tuple[int, ...]
    leak: NeighbourLeak | None
    wrapped: float = 0.0  # the largest share of the mask one neighbour wraps, whatever its intensity
    contacts: tuple[tuple[str, int], ...] = ()  # named neighbours and the boundary voxels each touches
    alone: bool = False  # the label image holds no other structure: nothing to judge a leak against

    @property
    def clipped(self) -> bool:
        """The field of view cuts the mask: it continues beyond the image."""
        return any(a or b for a, b in self.cut)

    def at_border(self, axis: int, index: int, length: int) -> bool:
        """Whether slice ``index`` of ``axis`` is one of the image's border slices the mask reaches."""
        first, last = self.cut[axis]
        return (first and index == 0) or (last and index == length - 1)

    def to_dict(self) -> dict[str, object]:
        return {
            "cut": [list(c) for c in self.cut],
            "neighbours": list(self.neighbours),
            "wrapped": round(self.wrapped, 4),
            "contacts": [list(c) for c in self.contacts],
            "alone": self.alone,
            "leak": None
            if self.leak is None
            else {
                "label": self.leak.label,
                "name": self.leak.name,
                "share": round(self.leak.share, 4),
                "size": round(self.leak.size, 3),
                "where": self.leak.where.slice_ref(),
            },
        }


def field_cut(bbox: tuple[tuple[int, int], ...], shape: tuple[int, ...]) -> tuple[tuple[bool, bool], ...]:
    return tuple((a == 0, b == n) for (a, b), n in zip(bbox, shape))


def surroundings(
    image: np.ndarray,
    labels: np.ndarray,
    label: int,
    spacing: tuple[float, ...],
    bbox: tuple[tuple[int, int], ...],
    voxels: int,
    unit: float,
    names: Mapping[int, str],
    least: tuple[int, ...] | None = None,
    metal_hu: float | None = None,
) -> Context:
    """The mask's context; its ``voxels`` set how far a neighbour may lie and still be said to
    wrap it, and ``unit`` is one voxel's size in the unit the measures report sizes in.

    A box larger than ``GRID_BUDGET`` is read every few voxels: a liver with its neighbours on
    a 300x512x512 CT would otherwise cost seconds per label, and a wrap or a leak is a
    structure of millimetres to centimetres, which the sampled grid still resolves. ``least``
    is the smallest step per axis (the grid the structure's norms were measured on). On a CT,
    ``metal_hu`` is where metal begins: a voxel within reach of metal looks like nothing but
    the artefact, so it is never taken to look like a neighbour (metal.py)."""
    ndim = labels.ndim
    cut = field_cut(bbox, labels.shape)
    content = voxels * float(np.prod(spacing))  # mm³ (mm² in 2-D)
    radius_mm = (3.0 * content / (4.0 * math.pi)) ** (1 / 3) if ndim == 3 else math.sqrt(content / math.pi)
    reach_mm = min(WRAP_MM[1], max(WRAP_MM[0], 0.75 * radius_mm))
    margin = [max(1, int(round(reach_mm / s))) + 1 for s in spacing]
    bounds = [(max(0, a - m), min(n, b + m)) for (a, b), m, n in zip(bbox, margin, labels.shape)]
    stride = stride_within(tuple(b - a for a, b in bounds), spacing, GRID_BUDGET, least)
    box = tuple(slice(a, b, k) for (a, b), k in zip(bounds, stride))
    reach = [max(1, int(round(reach_mm / (s * k)))) for s, k in zip(spacing, stride)]
    sub = labels[box]
    mask = sub == label
    ring = ndi.binary_dilation(mask, structure=ndi.generate_binary_structure(ndim, 1)) & ~mask
    touching = sub[ring & (sub != 0)]
    if touching.size == 0:
        return Context(cut, (), None)
    values, counts = np.unique(touching, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:MAX_NEIGHBOURS]
    neighbours = tuple(int(values[i]) for i in order)
    sub_image = image[box].astype(np.float32, copy=False)
    zone = None if metal_hu is None else metal_zone(image, box, spacing, metal_hu)
    readable = np.ones(sub.shape, dtype=bool) if zone is None else ~zone.near
    best: NeighbourLeak | None = None
    wrapped = 0.0
    total = max(1, int(np.count_nonzero(mask)))
    for value in neighbours:
        other = sub == value
        around = mask & (_sides(other, reach) >= WRAP_SIDES.get(ndim, 3))
        wrapped = max(wrapped, np.count_nonzero(around) / total)
        leak = _leak_into(
            sub_image,
            mask,
            other,
            around,
            readable,
            unit * math.prod(stride),
            box,
            value,
            names.get(value, f"label {value}"),
        )
        if leak is not None and (best is None or leak.share > best.share):
            best = leak
    contacts = tuple((names[int(v)], int(n)) for v, n in zip(values, counts) if int(v) in names)
    return Context(cut, neighbours, best, float(wrapped), contacts)


def _leak_into(
    image: np.ndarray,
    mask: np.ndarray,
    other: np.ndarray,
    wrapped: np.ndarray,
    readable: np.ndarray,
    unit: float,
    box: tuple[slice, ...],
    value: int,
    name: str,
) -> NeighbourLeak | None:
    """The leak into one neighbour on the (sampled) grid ``box`` reads: ``unit`` is one grid
    voxel's size; only ``readable`` voxels (none within reach of metal) are compared."""
    if not wrapped.any():
        return None
    own = mask & ~ndi.binary_dilation(other, iterations=2) & readable
    theirs = other & readable
    if np.count_nonzero(own) < 20 or np.count_nonzero(theirs) < 20:
        return None
    lo, hi = np.percentile(np.concatenate([image[theirs], image[own]]), [0.5, 99.5])
    if not hi > lo:
        return None
    like = wrapped & readable & (likelihood.log_ratio(image, image[theirs], image[own], lo, hi) > LIKE_MARGIN)
    like = ndi.binary_opening(like, structure=ndi.generate_binary_structure(mask.ndim, 1))
    if not like.any():
        return None
    part = largest_part(like)
    where = Location.at(tuple(b.start + c * b.step for b, c in zip(box, part.centre)), mask.ndim)
    return NeighbourLeak(value, name, part.voxels / max(1, int(np.count_nonzero(mask))), part.voxels * unit, where)


def _sides(other: np.ndarray, reach: list[int]) -> np.ndarray:
    """For each voxel, on how many of the 2 x ndim axis directions ``other`` lies within reach."""
    count = np.zeros(other.shape, dtype=np.int8)
    for axis, r in enumerate(reach):
        cumulative = np.cumsum(other, axis=axis, dtype=np.int32)
        n = other.shape[axis]
        padded = np.concatenate(
            [np.zeros_like(np.take(cumulative, [0], axis=axis)), cumulative], axis=axis
        )  # padded[i] = count of other in [0, i)
        index = np.arange(n)
        ahead = np.take(padded, np.minimum(index + r + 1, n), axis=axis) - np.take(padded, index + 1, axis=axis)
        behind = np.take(padded, index, axis=axis) - np.take(padded, np.maximum(index - r, 0), axis=axis)
        count += (ahead > 0).astype(np.int8) + (behind > 0).astype(np.int8)
    return count
