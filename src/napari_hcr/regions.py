"""The largest connected part of a region: where a finding about a leak, a missing part or
other tissue inside the mask points the viewer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi


@dataclass(frozen=True)
class Part:
    """The largest part: its voxel count and centre (array coordinates of the region it was
    found in); ``mask()`` gives its voxels when a caller needs the part itself."""

    voxels: int
    centre: tuple[float, ...]
    labels: np.ndarray
    index: int

    def mask(self) -> np.ndarray:
        return self.labels == self.index


def largest_part(region: np.ndarray) -> Part:
    """The largest connected part of a non-empty boolean region. Pieces touching at a corner are
    one part (full connectivity), as the mask's own components are."""
    labels, _ = ndi.label(region, structure=np.ones((3,) * region.ndim, dtype=bool))
    sizes = np.bincount(labels.ravel())[1:]
    biggest = int(np.argmax(sizes)) + 1
    centre = ndi.center_of_mass(region, labels, biggest)
    return Part(int(sizes[biggest - 1]), tuple(float(c) for c in centre), labels, biggest)
