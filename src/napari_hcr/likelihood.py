"""Which of two tissues explains an intensity better: the one model the refinement and the
neighbour-leak evidence share."""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

BINS = 48


def log_ratio(image: np.ndarray, first: np.ndarray, second: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Log-likelihood ratio log p_first(I) - log p_second(I) for every voxel of ``image``.

    The two models are smoothed histograms of the samples of intensities ``first`` and
    ``second`` over ``[lo, hi]``.

    Histograms, not Gaussians, so a structure surrounded by several tissues is still modelled;
    a small floor keeps an empty bin from claiming certainty.
    """
    edges = np.linspace(lo, hi, BINS + 1)
    h_first = np.histogram(np.clip(first, lo, hi), edges)[0].astype(float)
    h_second = np.histogram(np.clip(second, lo, hi), edges)[0].astype(float)
    h_first = ndi.gaussian_filter1d(h_first, 1.0) + 1e-3 * h_first.sum() / BINS
    h_second = ndi.gaussian_filter1d(h_second, 1.0) + 1e-3 * h_second.sum() / BINS
    table = np.log(h_first / h_first.sum()) - np.log(h_second / h_second.sum())
    index = np.clip(((image - lo) / (hi - lo) * BINS).astype(np.int32), 0, BINS - 1)
    return table[index].astype(np.float32)
