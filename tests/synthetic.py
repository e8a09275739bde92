"""Small synthetic cases the unit tests share: a bright ball on a dark, noisy background, and a
liver-like organ in fat on a CT in Hounsfield units."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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
