"""Whether a CT image's values can be Hounsfield units, checked before attenuation is judged.

The attenuation evidence (a structure's median and the voxels outside its tissue's band) is
absolute: it means something only when the values are Hounsfield units. A CT handed over as its
stored values without the scanner's rescale (air at 0, water at 1024), as an 8-bit display
export or as a normalised array would put every structure "on other tissue", and a guardrail
that rejects correct work on a unit mismatch is worse than none. Such an image is still judged
on size, shape, position and boundary; its attenuation is said to be unknown.

Hounsfield units put air at -1000 and fat near -100, so any CT of a body holds values below
zero: outside the body, in the lungs and bowel, in fat. An image whose lowest value is zero or
more is not in Hounsfield units (or is a crop so tight that it holds no fat at all, where
leaving the attenuation out costs little), nor is one whose values span a few units. Stored
values with an offset (air near 0, fat near 900, the body above 500) may dip below zero with
noise or hold a padding value far below; they show no air where air is (-1100 to -500 HU)
while much of the image is denser than anything but bone.
"""

from __future__ import annotations

import numpy as np

from .readability import sample_step
from .wording import share_text

MIN_SPAN = 20.0  # Hounsfield units any anatomy spans (0.1st to 99.9th percentile); a normalised image spans a few
AIR = (-1100.0, -500.0)  # air and lung; padding outside a scanner's field of view lies below (-2000, -3024)
DENSE = 500.0  # only bone (and contrast) is denser ...
DENSE_SHARE = 0.2  # ... and it fills at most this share of an image that shows no air


def hounsfield_doubt(image: np.ndarray, finite: np.ndarray | None = None) -> str | None:
    """Why ``image``'s values cannot be Hounsfield units, as a phrase; None when they can be.

    ``finite`` marks the voxels that were numbers in the input (None: all were).
    """
    strided = (slice(None, None, sample_step(image.size, image.ndim)),) * image.ndim
    values = image[strided] if finite is None else image[strided][finite[strided]]
    if values.size == 0:
        return None  # nothing to read: the readability check says so
    low = float(values.min())
    if low >= 0.0:
        return (
            f"the image's lowest value is {low:.4g}, while a CT in Hounsfield units holds air and fat below zero "
            "(stored or display values: a rescale not applied, an 8-bit export)"
        )
    air = np.count_nonzero((values >= AIR[0]) & (values <= AIR[1]))
    dense = np.count_nonzero(values > DENSE) / values.size
    if air == 0 and dense >= DENSE_SHARE:
        return (
            f"none of the image's values is air or lung ({AIR[0]:.0f} to {AIR[1]:.0f} HU) while {share_text(dense)} "
            f"lie above {DENSE:.0f}, denser than anything but bone (stored values without the scanner's rescale)"
        )
    first, last = (float(v) for v in np.percentile(values, [0.1, 99.9]))
    if last - first < MIN_SPAN:
        return (
            f"the image's values span only {first:.3g} to {last:.3g}, as a normalised image's do, while Hounsfield "
            f"units of any anatomy span more than {MIN_SPAN:.0f}"
        )
    return None
