"""Small synthetic cases the unit tests share: a bright ball on a dark, noisy background, a
liver-like organ in fat on a CT in Hounsfield units, and a field of fluorescent nuclei."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage as ndi

from napari_hcr.case import Case, make_case

SHAPE = (48, 56, 56)
CENTRE = (24, 28, 28)
RADIUS = 14


def ball_case(edit: Callable[[np.ndarray, tuple[np.ndarray, ...]], np.ndarray] | None = None, *, seed: int = 0) -> Case:
    """The ball's image with a mask that fits it; ``edit(mask, grid)`` returns an altered mask."""
    grid = np.ogrid[tuple(slice(0, n) for n in SHAPE)]
    ball = sum((g - c) ** 2 for g, c in zip(grid, CENTRE)) <= RADIUS**2
    rng = np.random.default_rng(seed)
    image = np.where(ball, 1.0, 0.1) + 0.02 * rng.standard_normal(SHAPE)
    mask = ball.copy() if edit is None else edit(ball.copy(), grid)
    return make_case(
        image.astype(np.float32), mask.astype(np.uint8), spacing=(1.0, 1.0, 1.0), structure="generic", modality="MRI-T1"
    )


def liver_in_fat(shift: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 60 HU ellipsoid in -100 HU fat inside a 40 HU body; the mask moved ``shift`` voxels."""
    rng = np.random.default_rng(3)
    z, y, x = np.mgrid[:48, :80, :80]
    organ = ((z - 24) / 16) ** 2 + ((y - 40) / 24) ** 2 + ((x - 38) / 22) ** 2 <= 1
    body = ((y - 40) / 38) ** 2 + ((x - 40) / 38) ** 2 <= 1
    image = np.where(organ, 60.0, np.where(body, -100.0, -1000.0)) + rng.normal(0, 10, organ.shape)
    labels = np.roll(organ, shift, axis=2).astype(np.uint8)
    return image.astype(np.float32), labels


def nuclei_field(rows: int = 6, size: int = 256, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fluorescence image of ``rows`` x ``rows`` elliptical nuclei (7-10 px by 6-9 px, each of its
    own brightness, blurred, with noise) and their instance labels, 1 to ``rows**2`` in row order."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    labels = np.zeros((size, size), np.int32)
    step = size // rows
    for i in range(rows):
        for j in range(rows):
            cy = step * i + step // 2 + rng.integers(-3, 4)
            cx = step * j + step // 2 + rng.integers(-3, 4)
            a, b, t = rng.uniform(7, 10), rng.uniform(6, 9), rng.uniform(0, np.pi)
            u = (yy - cy) * np.cos(t) + (xx - cx) * np.sin(t)
            v = -(yy - cy) * np.sin(t) + (xx - cx) * np.cos(t)
            labels[(u / a) ** 2 + (v / b) ** 2 <= 1] = i * rows + j + 1
    brightness = rng.uniform(0.7, 1.0, labels.max() + 1)
    image = ndi.gaussian_filter(np.where(labels > 0, brightness[labels], 0.1), 1.0)
    return (image + rng.normal(0, 0.03, image.shape)).astype(np.float32), labels
