"""A small synthetic case the unit tests share: a bright ball on a dark, noisy background."""

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
