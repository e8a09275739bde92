"""Other tissue inside a CT mask: voxels whose attenuation the structure never has.

Hounsfield units are absolute, so stage-1 knowledge says voxel by voxel what cannot be the
structure. The band a structure's attenuation lies in, across unenhanced and contrast phases,
widened by what a correct mask of it holds (the table's contents: a bone's fatty marrow, a
lung's vessels and consolidated parenchyma), rules out fat (about -100 HU) inside a liver,
air inside a muscle and bone inside a vein. A correct mask holds almost none of these
voxels: partial volume at its rim stays within a margin of the band. A mask shifted off its
structure, grown over its boundary or leaking into fat holds a crescent or a lobe of them.
The inside median that judges the wrong structure does not move while that tissue is a
minority of the mask; the share of voxels does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .knowledge import Profile, Range
from .regions import largest_part
from .verdict import Location

# Hounsfield units beyond the structure's band before a voxel counts as other tissue: noise
# on a 3 mm CT and partial volume at the rim stay within it. Chosen on the dev split
# (50 kept every correct dev mask under 3 % of its voxels; 100 and 200 separated less).
MARGIN_HU = 50.0


@dataclass(frozen=True)
class ForeignTissue:
    """The mask's voxels more than ``MARGIN_HU`` outside its structure's attenuation band.

    ``share`` is their share of the mask's voxels; ``size`` the volume (mL in 3-D, mm² in 2-D)
    of their largest connected part, at ``where``; ``typical`` the median attenuation (HU) of
    all of them, which says what tissue it is (None when there are none).
    """

    share: float
    size: float
    typical: float | None
    where: Location | None

    def to_dict(self) -> dict[str, object]:
        return {
            "share": round(self.share, 4),
            "size": round(self.size, 3),
            "typical": None if self.typical is None else round(self.typical, 1),
            "where": None if self.where is None else self.where.slice_ref(),
        }


def tissue_band(p: Profile) -> Range | None:
    """The attenuation a voxel of the structure may have: the band of its median, widened to
    what a correct mask holds beyond it (the table's contents: a bone's fatty marrow, a lung's
    vessels and consolidation); None when the profile states no band (not a CT, or a structure
    the table has no attenuation for)."""
    if p.hu is None:
        return None
    held = p.hu_contents
    if held is None:
        return p.hu
    return Range(min(p.hu.low, held.low), max(p.hu.high, held.high))


def foreign_tissue(
    image: np.ndarray,
    mask: np.ndarray,
    band: Range,
    unit: float,
    origin: tuple[int, ...],
    stride: tuple[int, ...] | None = None,
) -> ForeignTissue:
    """``mask`` and ``image`` are the same crop (non-finite voxels already left out of the
    mask), ``unit`` one element's volume and ``origin`` the crop's first index in the image;
    ``stride`` is the block size when they are block means of a finer scan."""
    total = int(np.count_nonzero(mask))
    off = mask & ((image < band.low - MARGIN_HU) | (image > band.high + MARGIN_HU))
    count = int(np.count_nonzero(off))
    if total == 0 or count == 0:
        return ForeignTissue(0.0, 0.0, None, None)
    part = largest_part(off)
    step = stride or (1,) * mask.ndim
    point = tuple(o + (c + 0.5) * k - 0.5 for o, c, k in zip(origin, part.centre, step))
    return ForeignTissue(
        share=count / total,
        size=float(part.voxels) * unit,
        typical=float(np.median(image[off])),
        where=Location.at(point, mask.ndim),
    )


def tissue_name(hu: float) -> str:
    """The tissue an attenuation usually means, in the words a radiologist would use."""
    if hu < -500:
        return "air"
    if hu < -30:
        return "fat"
    if hu < 20:
        return "fluid"
    if hu < 150:
        return "soft tissue"
    if hu < 500:
        return "contrast-enhanced blood or calcification"
    if hu < 2000:
        return "bone"
    return "metal or undiluted contrast"
