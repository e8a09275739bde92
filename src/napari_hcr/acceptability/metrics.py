"""Figures of merit: the positive class is "unacceptable".

Sensitivity is the share of unacceptable masks caught; specificity the share of acceptable
masks passed. AUROC is of the score (P(acceptable)) at separating the two classes, computed
as the Mann-Whitney statistic with ties counted as one half.

Candidates of one target (a structure on one scan) share its image and its anatomy, so they
are not independent: the intervals resample whole targets (a cluster bootstrap), and a group
of fewer than five targets gets no interval at all: its few distinct resamples would feign
precision.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

# Confidence bins of the calibration error: a verdict's confidence can fall below one half when
# the operating point passes a mask on doubtful evidence (scoring.decide).
CONFIDENCE_BINS = (0.0, 0.5, 0.7, 0.9, 0.97, 1.0)
RESAMPLES = 2000  # bootstrap resamples of the targets behind each interval
LEVEL = 0.95
MIN_TARGETS = 5  # fewer targets have too few distinct resamples: their "interval" would feign precision


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
        balanced_accuracy=balanced_accuracy(t, v),
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


@dataclass(frozen=True)
class Reliability:
    """Whether "confidence" means what the assessment says it means, the probability the
    verdict is right: its mean against the share of verdicts that were right, and the expected
    calibration error (the gap between the two within each bin of CONFIDENCE_BINS, weighted
    by the bin's share of the verdicts)."""

    n: int
    mean_confidence: float
    share_right: float
    calibration_error: float

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def reliability(truth: Sequence[str], verdict: Sequence[str], confidence: Sequence[float]) -> Reliability:
    right = np.asarray([t == v for t, v in zip(truth, verdict, strict=True)], dtype=float)
    conf = np.asarray(confidence, dtype=float)
    if conf.size == 0:
        return Reliability(0, float("nan"), float("nan"), float("nan"))
    where = np.clip(np.digitize(conf, CONFIDENCE_BINS[1:-1]), 0, len(CONFIDENCE_BINS) - 2)
    error = sum(np.mean(where == b) * abs(conf[where == b].mean() - right[where == b].mean()) for b in np.unique(where))
    return Reliability(conf.size, float(conf.mean()), float(right.mean()), float(error))


def balanced_accuracy(truth: np.ndarray, called: np.ndarray) -> float:
    """Mean of the two classes' hit rates (the share of each class called as it is), the same
    whichever class is positive; a class absent from ``truth`` is left out."""
    rates = [float(np.mean(called[truth == cls] == cls)) for cls in (True, False) if np.any(truth == cls)]
    return float(np.mean(rates)) if rates else float("nan")


def auroc(score: np.ndarray, positive: np.ndarray) -> float:
    """P(score of a random positive > score of a random negative), ties counted half."""
    pos, neg = score[positive], score[~positive]
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    rank_sum = stats.rankdata(np.concatenate([pos, neg]))[: pos.size].sum()
    return float((rank_sum - pos.size * (pos.size + 1) / 2.0) / (pos.size * neg.size))


@dataclass(frozen=True)
class Interval:
    """95 % intervals of balanced accuracy and AUROC over ``targets`` resampled targets
    (None where fewer than :data:`MIN_TARGETS` targets leave too little to resample)."""

    targets: int
    balanced_accuracy: tuple[float, float] | None
    auroc: tuple[float, float] | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def interval(truth: Sequence[str], verdict: Sequence[str], score: Sequence[float], target: Sequence[str]) -> Interval:
    """Percentile intervals of balanced accuracy and AUROC, resampling whole targets (seeded,
    so a rerun prints the same interval)."""
    t = np.asarray([x == "unacceptable" for x in truth], dtype=bool)
    v = np.asarray([x == "unacceptable" for x in verdict], dtype=bool)
    s = np.asarray(score, dtype=float)
    names = sorted(set(target))
    members = [np.flatnonzero(np.asarray(target) == name) for name in names]
    if len(names) < MIN_TARGETS:
        return Interval(len(names), None, None)

    def pick(chosen: np.ndarray) -> np.ndarray:
        return np.concatenate([members[int(i)] for i in chosen])

    def balanced(chosen: np.ndarray) -> float:
        rows = pick(chosen)
        return balanced_accuracy(t[rows], v[rows])

    def area(chosen: np.ndarray) -> float:
        rows = pick(chosen)
        return auroc(s[rows], ~t[rows])

    out = []
    for statistic in (balanced, area):
        with warnings.catch_warnings():  # every resample alike (a perfect group): the interval is that point
            warnings.simplefilter("ignore", stats.DegenerateDataWarning)
            result = stats.bootstrap(
                (np.arange(len(names)),),
                statistic,
                n_resamples=RESAMPLES,
                confidence_level=LEVEL,
                method="percentile",
                vectorized=False,
                random_state=np.random.default_rng(0),
            )
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        out.append(None if np.isnan(low) or np.isnan(high) else (low, high))
    return Interval(len(names), out[0], out[1])


def roc_curve(score: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates over every threshold on ``score`` (higher = positive)."""
    thresholds = np.unique(score)[::-1]
    p, n = max(1, int(positive.sum())), max(1, int((~positive).sum()))
    tpr = [0.0] + [float(np.count_nonzero(positive & (score >= t))) / p for t in thresholds]
    fpr = [0.0] + [float(np.count_nonzero(~positive & (score >= t))) / n for t in thresholds]
    return np.asarray(fpr), np.asarray(tpr)
