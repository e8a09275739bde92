"""Block reductions onto a coarser grid: how the measures, the refinement and the context
evidence shrink a large volume to their working budgets."""

from __future__ import annotations

import math

import numpy as np


def stride_within(shape: tuple[int, ...], spacing: tuple[float, ...], budget: int) -> tuple[int, ...]:
    """Block size per axis so a grid over ``shape`` stays within ``budget`` voxels, with blocks
    as near cubic (in millimetres) as integer strides allow: the finest physical block side
    grows first."""
    stride = [1] * len(shape)
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
