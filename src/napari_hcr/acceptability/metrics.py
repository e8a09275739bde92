"""Figures of merit, by hand with numpy: the positive class is "unacceptable".

Sensitivity is the share of unacceptable masks caught; specificity the share of acceptable
masks passed. AUROC is of the score (P(acceptable)) at separating the two classes, computed
as the Mann-Whitney statistic with ties counted as one half.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Figures:
    n: int
    n_unacceptable: int
    accuracy: float
    balanced_accuracy: float
    sensitivity: float
    specificity: float
    auroc: float
    confusion: dict[str, int]
    median_seconds: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def figures(truth: list[str], verdict: list[str], score: list[float], seconds: list[float]) -> Figures:
    t = np.asarray([x == "unacceptable" for x in truth], dtype=bool)
    v = np.asarray([x == "unacceptable" for x in verdict], dtype=bool)
    tp = int(np.count_nonzero(t & v))
    fn = int(np.count_nonzero(t & ~v))
    tn = int(np.count_nonzero(~t & ~v))
    fp = int(np.count_nonzero(~t & v))
    sens = tp / (tp + fn) if tp + fn else float("nan")
    spec = tn / (tn + fp) if tn + fp else float("nan")
    n = len(truth)
    return Figures(
        n=n,
        n_unacceptable=int(t.sum()),
        accuracy=(tp + tn) / n if n else float("nan"),
        balanced_accuracy=float(np.nanmean([sens, spec])) if n else float("nan"),
        sensitivity=sens,
        specificity=spec,
        auroc=auroc(np.asarray(score, dtype=float), ~t),
        confusion={
            "true_unacceptable_called_unacceptable": tp,
            "true_unacceptable_called_acceptable": fn,
            "true_acceptable_called_acceptable": tn,
            "true_acceptable_called_unacceptable": fp,
        },
        median_seconds=float(np.median(seconds)) if seconds else float("nan"),
    )


def auroc(score: np.ndarray, positive: np.ndarray) -> float:
    """P(score of a random positive > score of a random negative), ties counted half."""
    pos, neg = score[positive], score[~positive]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    values = np.concatenate([pos, neg])[order]
    ranks = np.empty(values.size)
    i = 0
    while i < values.size:  # average ranks over ties
        j = i
        while j + 1 < values.size and values[j + 1] == values[i]:
            j += 1
        ranks[i : j + 1] = (i + j) / 2.0 + 1.0
        i = j + 1
    full = np.empty(values.size)
    full[order] = ranks
    rank_sum = full[: pos.size].sum()
    return float((rank_sum - pos.size * (pos.size + 1) / 2.0) / (pos.size * neg.size))


def roc_curve(score: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates over every threshold on ``score`` (higher = positive)."""
    thresholds = np.unique(score)[::-1]
    p, n = max(1, int(positive.sum())), max(1, int((~positive).sum()))
    tpr = [0.0] + [float(np.count_nonzero(positive & (score >= t))) / p for t in thresholds]
    fpr = [0.0] + [float(np.count_nonzero(~positive & (score >= t))) / n for t in thresholds]
    return np.asarray(fpr), np.asarray(tpr)
