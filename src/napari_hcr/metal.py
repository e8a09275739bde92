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


def metal_near(
    image: np.ndarray, mask: np.ndarray, box: tuple[slice, ...], spacing: tuple[float, ...], band: Range, unit: float
) -> tuple[Metal, np.ndarray] | None:
    """Metal within ``REACH_MM`` of ``mask`` (the crop ``box`` of the image) and the voxels of
    that crop within reach of it; None when there is none (the usual case, found by one
    comparison). ``unit`` is one voxel's size.

    Metal just outside the box still streaks into it, so the search reaches ``REACH_MM``
    beyond the box; the distance is measured only around the metal itself, which is small
    next to the box of a large organ."""
    reach = [math.ceil(REACH_MM / s) for s in spacing]
    wide = tuple(slice(max(0, b.start - r), min(n, b.stop + r)) for b, r, n in zip(box, reach, image.shape))
    hot = image[wide] >= threshold(band)
    if not hot.any():
        return None
    coords = np.argwhere(hot)
    near = tuple(
        slice(max(0, int(lo) - r), min(n, int(hi) + 1 + r))
        for lo, hi, r, n in zip(coords.min(axis=0), coords.max(axis=0), reach, hot.shape)
    )
    zone = np.zeros(hot.shape, dtype=bool)
    zone[near] = ndi.distance_transform_edt(~hot[near], sampling=spacing) <= REACH_MM
    inner = tuple(slice(b.start - w.start, b.stop - w.start) for b, w in zip(box, wide))
    zone, total = zone[inner], int(np.count_nonzero(mask))
    spoiled = int(np.count_nonzero(zone & mask))
    if total == 0 or spoiled == 0:
        return None
    piece = largest_part(hot)
    where = Location.at(tuple(w.start + c for w, c in zip(wide, piece.centre)), mask.ndim)
    inside = float(np.count_nonzero(hot[inner] & mask)) * unit
    return Metal(spoiled / total, inside, where), zone
