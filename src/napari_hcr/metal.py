"""Metal in a CT (an implant, a clip, a wire) and the zone its artefacts spoil.

Metal is denser than any tissue: cortical bone stays under about 2000 HU, while a hip stem, a
pedicle screw, a surgical clip or a wire saturates the scanner's scale (3071 HU on a 12-bit
scale) and, averaged into a 3 mm voxel with the tissue around it, still reads well above
2500 HU. Around it, beam hardening and photon starvation throw bright and dark streaks through
the tissue, so attenuation near metal is the artefact's, not the tissue's.

A correct mask of a femur with a prosthesis stem, or of a vertebra with screws, holds metal
and voxels the streaks have darkened to the attenuation of fat or air. Read as tissue, they
say "this mask holds other tissue" about a correct mask. The guardrail cannot judge
attenuation there; it leaves those voxels out of every intensity figure and says that it did.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from .attenuation import MARGIN_HU
from .knowledge import Range
from .regions import largest_part
from .verdict import Location

METAL_HU = 2500.0  # above cortical bone (under about 2000 HU); metal averaged into a voxel stays above it
REACH_MM = 10.0  # how far from metal its streaks are taken to spoil the attenuation of tissue


@dataclass(frozen=True)
class Metal:
    """Metal in or within ``REACH_MM`` of a CT mask.

    ``share`` is the share of the mask's voxels within reach of metal (their attenuation is not
    judged); ``inside`` the volume (mL in 3-D, mm² in 2-D) of metal within the mask itself, 0
    when the metal only lies near it; ``where`` the centre of the largest piece of metal.
    """

    share: float
    inside: float
    where: Location

    @property
    def whole(self) -> bool:
        """Every voxel of the mask lies within reach of metal: no attenuation of it can be judged."""
        return self.share >= 1.0

    def to_dict(self) -> dict[str, object]:
        return {"share": round(self.share, 4), "inside": round(self.inside, 3), "where": self.where.slice_ref()}


def threshold(band: Range) -> float:
    """Attenuation above which a voxel is metal: never inside what the structure's own tissue
    may hold (undiluted contrast arriving in the superior vena cava reaches 2500 HU)."""
    return max(METAL_HU, band.high + MARGIN_HU)


@dataclass(frozen=True)
class Zone:
    """Metal near a crop of the image: ``near`` marks the crop's voxels within ``REACH_MM`` of
    metal, ``metal`` the metal among them, ``centre`` the largest piece's centre (image
    voxel coordinates; it may lie just outside the crop)."""

    near: np.ndarray
    metal: np.ndarray
    centre: tuple[float, ...]


def metal_zone(image: np.ndarray, box: tuple[slice, ...], spacing: tuple[float, ...], metal_hu: float) -> Zone | None:
    """Where metal spoils the attenuation of ``image[box]`` (``box`` may step, as a sampled
    grid reads it); None when no metal lies within reach (the usual case, found by one
    comparison).

    Metal just outside the box still streaks into it, so the search reaches ``REACH_MM``
    beyond the box; the distance is measured only around the metal itself, which is small
    next to the box of a large organ."""
    steps = [b.step or 1 for b in box]
    grid = [s * k for s, k in zip(spacing, steps)]
    reach = [min(math.ceil(REACH_MM / g), b.start // k) for g, b, k in zip(grid, box, steps)]
    after = [math.ceil(REACH_MM / g) for g in grid]
    bounds = zip(box, reach, after, steps, image.shape)
    wide = tuple(slice(b.start - r * k, min(n, b.stop + a * k), k) for b, r, a, k, n in bounds)
    hot = image[wide] >= metal_hu
    if not hot.any():
        return None
    coords = np.argwhere(hot)
    around = tuple(
        slice(max(0, int(lo) - a), min(n, int(hi) + 1 + a))
        for lo, hi, a, n in zip(coords.min(axis=0), coords.max(axis=0), after, hot.shape)
    )
    near = np.zeros(hot.shape, dtype=bool)
    near[around] = ndi.distance_transform_edt(~hot[around], sampling=grid) <= REACH_MM
    lengths = [len(range(b.start, min(b.stop, n), k)) for b, k, n in zip(box, steps, image.shape)]
    inner = tuple(slice(r, r + length) for r, length in zip(reach, lengths))
    if not near[inner].any():
        return None
    piece = largest_part(hot)
    centre = tuple(w.start + c * k for w, c, k in zip(wide, piece.centre, steps))
    return Zone(near[inner], hot[inner], centre)


def metal_in(zone: Zone, mask: np.ndarray, unit: float) -> Metal | None:
    """What ``zone`` means for ``mask`` (the same crop; ``unit`` one voxel's size); None when
    the mask lies beyond its reach."""
    total = int(np.count_nonzero(mask))
    spoiled = int(np.count_nonzero(zone.near & mask))
    if total == 0 or spoiled == 0:
        return None
    inside = float(np.count_nonzero(zone.metal & mask)) * unit
    return Metal(spoiled / total, inside, Location.at(zone.centre, mask.ndim))
