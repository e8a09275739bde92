"""Block reductions onto a coarser grid: how the measures, the refinement and the context
evidence shrink a large volume to their working budgets."""

from __future__ import annotations

import math

import numpy as np


def stride_within(
    shape: tuple[int, ...], spacing: tuple[float, ...], budget: int, least: tuple[int, ...] | None = None
) -> tuple[int, ...]:
    """Block size per axis so a grid over ``shape`` stays within ``budget`` voxels, with blocks
    as near cubic (in millimetres) as integer strides allow: the finest physical block side
    grows first. ``least`` is the smallest block per axis (see :func:`reading_stride`)."""
    stride = list(least) if least is not None else [1] * len(shape)
    while math.prod(-(-n // k) for n, k in zip(shape, stride)) > budget:
        finest = min(range(len(shape)), key=lambda a: (spacing[a] * stride[a], -shape[a]))
        stride[finest] += 1
    return tuple(stride)


def block_sum(array: np.ndarray, stride: tuple[int, ...], dtype: type) -> np.ndarray:
    """Sum over blocks of ``stride``, one axis at a time from the outermost: each pass reads
    contiguous slabs, which is several times faster than one reduction over strided axes."""
    out = array
    for axis, k in enumerate(stride):
        if k == 1:
            continue
        shape = out.shape[:axis] + (out.shape[axis] // k, k) + out.shape[axis + 1 :]
        out = out.reshape(shape).sum(axis=axis + 1, dtype=dtype)
    return out.astype(dtype, copy=False)


def reading_stride(spacing: tuple[float, ...], grid_mm: float | None) -> tuple[int, ...]:
    """Voxels per block along each axis so that a block is as near ``grid_mm`` as whole voxels
    allow without exceeding it: the grid a structure's norms were measured on, so a finer scan
    is read at the scale (and with the noise per block) its norms know. Ones when ``grid_mm``
    is None or the scan is already that coarse."""
    if grid_mm is None:
        return (1,) * len(spacing)
    return tuple(max(1, int(grid_mm / s + 1e-6)) for s in spacing)
