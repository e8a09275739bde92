"""Whether the image can be read at all, checked before any verdict is formed.

A verdict is a clinical claim about a mask *on this image*. On a blank, constant or mostly
non-finite image, or one whose contrast around the mask is lost in its noise, every measure
that compares the mask with the image reads zero, and zero would pass for "no problem". Such
an image gets "cannot assess" with the reason (:class:`~napari_hcr.errors.CannotAssess`), so
no front end ever shows a reassuring verdict about something nobody could see.

The figures are cheap (a strided sample of the mask's neighbourhood), so the check runs on
every case before measures and snapshots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .case import Case
from .errors import CannotAssess
from .wording import share_text

MIN_FINITE = 0.5  # below this share of finite voxels (image, or under the mask) nothing can be judged
MIN_CNR = 1.0  # contrast-to-noise below which the image shows nothing around the mask
SAMPLE = 2_000_000  # voxels of the neighbourhood looked at; a stride keeps larger ones cheap
NOISE_MAD = 1.4826 / math.sqrt(2.0)  # MAD of neighbour differences -> standard deviation of the noise
SWAP_LEVELS = 16  # an "image" of at most this many integer values looks like a label mask


@dataclass(frozen=True)
class Readability:
    """How well the image shows what the mask is judged against.

    ``finite_share`` is the share of the image's voxels that are numbers (not NaN or
    infinite), ``mask_finite_share`` the same under the mask. ``dynamic_range`` is the spread
    (5th to 95th percentile) of the finite values around the mask, ``noise`` the noise level
    estimated from neighbouring voxels' differences, and ``cnr`` the larger of the contrast
    across the mask (inside mean minus outside mean) and the structure around it (spread beyond
    the noise), both in units of the noise: below :data:`MIN_CNR` nothing there can be seen.
    """

    finite_share: float
    mask_finite_share: float
    dynamic_range: float
    noise: float
    cnr: float

    @property
    def nonfinite_share(self) -> float:
        return 1.0 - self.finite_share


def measure_readability(case: Case) -> Readability:
    """The figures of :class:`Readability` for ``case`` (never raises)."""
    finite = case.finite
    if finite is None:
        finite_share = mask_finite = 1.0
    else:
        mask = case.mask
        finite_share = float(np.count_nonzero(finite)) / finite.size
        mask_finite = float(np.count_nonzero(finite & mask)) / max(int(np.count_nonzero(mask)), 1)
    region = _neighbourhood(case.labels, case.label)
    values = case.image[region]
    inside = case.labels[region] == case.label
    ok = np.ones(values.shape, dtype=bool) if finite is None else finite[region]
    if not ok.any():
        return Readability(finite_share, mask_finite, 0.0, 0.0, 0.0)
    low, high = (float(v) for v in np.percentile(values[ok], [5, 95]))
    noise = _noise(values, ok)
    contrast = _difference(values, inside & ok, ~inside & ok)
    structure = math.sqrt(max(0.0, float(values[ok].var()) - noise**2))
    if noise <= 0.0:  # noise-free (synthetic, quantised or smoothed): any variation can be seen
        cnr = math.inf if max(contrast, structure, high - low) > 0.0 else 0.0
    else:
        cnr = max(contrast, structure) / noise
    return Readability(finite_share, mask_finite, high - low, noise, cnr)


def check_readable(case: Case) -> Readability:
    """The figures, or :class:`CannotAssess` with a sentence saying why the image cannot be judged."""
    r = measure_readability(case)
    if r.finite_share < MIN_FINITE:
        raise CannotAssess(
            f"Cannot assess: {share_text(r.nonfinite_share)} of the image's voxels are not numbers (NaN or "
            "infinite), so there is too little image to judge the mask against."
        )
    if r.mask_finite_share < MIN_FINITE:
        raise CannotAssess(
            f"Cannot assess: {share_text(1.0 - r.mask_finite_share)} of the voxels under the mask are not numbers "
            "(NaN or infinite), so the image does not show what the mask covers."
        )
    if r.dynamic_range <= 0.0 and r.cnr <= 0.0:
        raise CannotAssess(
            "Cannot assess: the image is blank (the same value everywhere around the mask), so there is "
            "nothing to judge the mask against."
        )
    if r.cnr < MIN_CNR:
        raise CannotAssess(
            f"Cannot assess: the image shows too little contrast around the mask to judge it (contrast-to-noise "
            f"{r.cnr:.2f}, at least {MIN_CNR:.1f} needed)."
        )
    return r


def _neighbourhood(labels: np.ndarray, label: int) -> tuple[slice, ...]:
    """The mask's bounding box grown by half its size, and by at least a quarter of the image, per
    axis, strided to at most SAMPLE voxels. A small mask on a featureless patch of a readable image
    is judged (it covers nothing), not excused: the region reaches the anatomy around it. The box
    is found on a strided copy of the labels (one cheap pass, however large the volume)."""
    coarse = sample_step(labels.size, labels.ndim)
    mask = labels[tuple(slice(None, None, coarse) for _ in range(labels.ndim))] == label
    if not mask.any():  # thinner than the stride: look at every voxel
        coarse, mask = 1, labels == label
    box = []
    for axis in range(mask.ndim):
        other = tuple(a for a in range(mask.ndim) if a != axis)
        hit = np.flatnonzero(mask.any(axis=other)) * coarse
        grow = max(2, int(hit[-1] - hit[0]) // 2, labels.shape[axis] // 4) + coarse
        box.append((max(0, int(hit[0]) - grow), min(labels.shape[axis], int(hit[-1]) + 1 + grow)))
    step = sample_step(math.prod(b - a for a, b in box), labels.ndim)
    return tuple(slice(a, b, step) for a, b in box)


def sample_step(size: int, ndim: int) -> int:
    """The stride along every axis that leaves at most :data:`SAMPLE` of ``size`` voxels."""
    return max(1, math.ceil((size / SAMPLE) ** (1 / ndim)))


def _noise(values: np.ndarray, ok: np.ndarray) -> float:
    """Noise standard deviation from differences between neighbours along the last axis (MAD, so
    edges, a minority of the differences, do not count)."""
    diff = np.diff(values, axis=-1)
    both = ok[..., 1:] & ok[..., :-1]
    d = diff[both]
    if d.size == 0:
        return 0.0
    return NOISE_MAD * float(np.median(np.abs(d - np.median(d))))


def _difference(values: np.ndarray, inside: np.ndarray, outside: np.ndarray) -> float:
    if not inside.any() or not outside.any():
        return 0.0
    return abs(float(values[inside].mean()) - float(values[outside].mean()))


def looks_swapped(image: np.ndarray, mask: np.ndarray) -> bool:
    """Whether IMAGE looks like a label mask (a few integer values) and MASK like an image
    (fractional values, or thousands of levels): the two files were probably given the wrong way round."""
    return _label_like(image) and not _label_like(mask)


def _label_like(array: np.ndarray) -> bool:
    sample = np.asarray(array).reshape(-1)[:: max(1, array.size // SAMPLE)]
    if sample.dtype == bool:
        return True
    if not np.issubdtype(sample.dtype, np.number) or not np.isfinite(sample).all():
        return False
    if not np.issubdtype(sample.dtype, np.integer) and not np.array_equal(sample, np.round(sample)):
        return False
    return np.unique(sample).size <= SWAP_LEVELS
