"""Fit the offline scoring's parameters on the DEV split and write src/napari_hcr/scoring_params.json.

Run after `napari-hcr bench --split dev` and `napari-hcr bench --split dev --alone` (or with
--run to do both first); it reads the two dev results JSONs, whose records carry each
candidate's evidence figures (computed from the image and the mask only) and its label by the
benchmark's rule. The lone-mask records only set how much further a lone body-structure
mask's operating point moves (the margin its held-out correct masks need) and the map of its
log-odds to P(acceptable); no weight or norm is fitted on them. The test split is never read.

    python benchmarks/acceptability/fit_scoring.py [--results-dir benchmark-results] [--run]

Norms (the centre and scale that turn an evidence figure into "how unusual for a correct
mask") are pooled by **modality family** (CT, MRI, 2-D) over every dev structure of that
family, so they carry to structures the fit never saw; only a structure with many correct
dev masks of its own (the MNI152 tissues, split by scan) gets its own. centre = median over
the acceptable masks, scale = their 95th percentile minus the median, with a floor, so a z of
1 means "as unusual as the most unusual correct masks". Weights are non-negative (evidence
can only count against a mask) and fitted per modality family (how much a refinement's
disagreement says differs between MRI and CT; a pooled fit serves 2-D images and other
modalities), one bias per norm set; fitted by L2-penalised
maximum likelihood with both classes weighted equally and the unaltered references and
field-of-view crops weighted up; then each operating point moves towards "acceptable" by the
margin that lets held-out correct references pass (a false alarm on a correct mask is the
worst error a guardrail makes): per kind of structure where the kind has enough of them, per
family otherwise. Moving the operating point leaves the log-odds short of P(acceptable) near
it, so last maps (a slope and an offset per family and way of judging: a kind it saw, one it
never saw, one against its peers, a lone body-structure mask), each fitted on the records held
out as that way holds a structure out, turn them into the probability they stand for on
unseen structures. The floors' multiplier, the penalty, the centre's percentile and a cap on
how much one figure can say are chosen on dev alone by grouped cross-validation that holds
out whole structures (whole scans for structures with their own norms): each held-out fold
plays the part of the structures the test split keeps unseen.
A kind of structure that a family has no correct mask of (a lesion on MRI when the dev MRI is
brain tissue) gets an operating point of its own, measured by holding each kind out in turn
and judging it against the pooled norms of the others (:func:`unseen_kind`); the kinds each
family was fitted on are written beside its parameters so run time knows which are unseen.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from scipy import optimize
from scipy.special import expit

from napari_hcr.acceptability.alterations import CORRECT_FAMILIES
from napari_hcr.acceptability.metrics import balanced_accuracy, reliability
from napari_hcr.knowledge import load_profile
from napari_hcr.peers import PEERS_MAX
from napari_hcr.scoring import (
    ALONE,
    FEATURES,
    PARAMS_FILE,
    PEERS,
    PEERS_MIN,
    SEEN,
    UNSEEN,
    UNSPECIFIC,
    Z_CAP,
    family,
    standardise,
)

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "src" / "napari_hcr" / PARAMS_FILE
OWN_MIN = 15  # correct dev masks a structure needs before it gets norms of its own
KIND_MIN = 8  # ... and a kind of structure (bone, vessel, organ) in a modality family
CORRECT_WEIGHT = 4.0  # how much more an unaltered reference or a crop weighs than another acceptable case
FOLDS = 5
KEEP_MISS = 0.02  # share of held-out correct references the safety margin may still lose ...
MARGIN = 0.25  # ... and the log-odds it keeps above the threshold
# (scale floor multiplier, L2 penalty, centre quantile, cap on one figure's z)
GRID = [
    (floor, l2, centre, cap)
    for floor in (1.0, 2.0)
    for l2 in (0.005, 0.02)
    for centre in (50.0, 75.0)
    for cap in (4.0, 8.0, Z_CAP)
]
Config = tuple[float, float, float, float]

Norms = dict[str, tuple[np.ndarray, np.ndarray]]


def norm_keys(structures: np.ndarray, kinds: np.ndarray, families: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each record's norm set, as :func:`napari_hcr.scoring.norm_key` looks it up: its
    structure's own when that has enough correct masks, else its kind's within its family,
    else its family's."""
    ok = y > 0.5
    names, counts = np.unique(structures[ok], return_counts=True)
    own = {n for n, c in zip(names, counts, strict=True) if c >= OWN_MIN}
    kind_names, kind_counts = np.unique(kinds[ok], return_counts=True)
    known = {n for n, c in zip(kind_names, kind_counts, strict=True) if c >= KIND_MIN}
    return np.asarray(
        [s if s in own else k if k in known else f for s, k, f in zip(structures, kinds, families, strict=True)]
    )


def fit(
    z: np.ndarray, y: np.ndarray, weight: np.ndarray, groups: np.ndarray, l2: float, steps: int = 6000, lr: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Maximise the weighted likelihood of y (1 = acceptable) under p = sigmoid(b[group] - z @ w), w >= 0."""
    w = np.full(z.shape[1], 0.5)
    b = np.full(groups.shape[1], 2.0)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(groups @ b - z @ w)))
        residual = weight * (p - y)
        b -= lr * (groups.T @ residual + l2 * (b - b.mean()))
        w = np.maximum(0.0, w - lr * (-(z.T @ residual) + l2 * w))
    return w, b


def class_weights(y: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """Both classes weigh the same in total (the benchmark's class ratio is set by how many
    failure families it has, not by how often masks fail); within the acceptable class the
    unaltered and cropped references weigh more."""
    raw = np.where(correct, CORRECT_WEIGHT, 1.0)
    ok = y > 0.5
    out = np.empty_like(raw)
    out[ok] = 0.5 * raw[ok] / max(1.0, raw[ok].sum())
    out[~ok] = 0.5 * raw[~ok] / max(1.0, raw[~ok].sum())
    return out


def model(
    x: np.ndarray, y: np.ndarray, keys: np.ndarray, correct: np.ndarray, config: Config
) -> tuple[Norms, np.ndarray, dict[str, float]]:
    floor, l2, quantile, cap = config
    families = sorted({k.split(":")[0] for k in keys} - set(keys))
    names = sorted(set(keys))
    norms: Norms = {"generic": standardise(x, y > 0.5, floor, quantile)}
    for fam in families:  # a family whose kinds all have norms still serves the kinds it has not seen
        here = np.asarray([k.split(":")[0] == fam for k in keys])
        norms[fam] = standardise(x[here], y[here] > 0.5, floor, quantile)
    for name in names:
        here = keys == name
        norms[name] = standardise(x[here], y[here] > 0.5, floor, quantile)
    groups = np.asarray([[k == name for name in names] for k in keys], dtype=float)
    w, b = fit(transform(x, keys, norms, cap), y, class_weights(y, correct), groups, l2)
    bias = {name: float(v) for name, v in zip(names, b, strict=True)}
    bias["generic"] = float(min(b))  # a structure of no known family: the most cautious operating point
    for fam in families:
        bias[fam] = float(min(bias[k] for k in names if k.split(":")[0] == fam))
    return norms, w, bias


def resolve(key: str, table: dict[str, Any]) -> str:
    """The key itself, else its family (``CT:bone`` -> ``CT``), else the pooled set: how a
    structure the fit did not see is looked up."""
    for candidate in (key, key.split(":")[0]):
        if candidate in table:
            return candidate
    return "generic"


def transform(x: np.ndarray, keys: np.ndarray, norms: Norms, cap: float) -> np.ndarray:
    z = np.zeros_like(x)
    for i, key in enumerate(keys):
        centre, scale = norms[resolve(key, norms)]
        z[i] = np.clip((x[i] - centre) / scale, 0.0, cap)
    return z


def logits(
    x: np.ndarray, keys: np.ndarray, norms: Norms, w: np.ndarray, bias: dict[str, float], cap: float
) -> np.ndarray:
    return np.asarray([bias[resolve(k, bias)] for k in keys]) - transform(x, keys, norms, cap) @ w


def folds(structures: np.ndarray, scans: np.ndarray, keys: np.ndarray, families: np.ndarray) -> np.ndarray:
    """A fold per record: whole structures held out together (whole scans for structures with
    norms of their own), dealt round-robin within each family so every fold holds some of each."""
    fold = np.zeros(len(structures), dtype=int)
    for fam in sorted(set(families)):
        units = sorted(
            {(s if k != s else f"{s}@{v}") for s, v, k, f in zip(structures, scans, keys, families) if f == fam}
        )
        deal = {u: i % FOLDS for i, u in enumerate(units)}
        for i in np.flatnonzero(families == fam):
            unit = structures[i] if keys[i] != structures[i] else f"{structures[i]}@{scans[i]}"
            fold[i] = deal[unit]
    return fold


Model = tuple[Norms, np.ndarray, dict[str, float]]


def fold_models(
    x: np.ndarray, y: np.ndarray, keys: np.ndarray, correct: np.ndarray, fold: np.ndarray, config: Config
) -> dict[int, Model]:
    """Per fold, the model fitted on the other folds."""
    return {
        int(held): model(x[fold != held], y[fold != held], keys[fold != held], correct[fold != held], config)
        for held in sorted(set(fold))
    }


def score_held_out(
    models: dict[int, Model], x: np.ndarray, keys: np.ndarray, fold: np.ndarray, cap: float
) -> np.ndarray:
    """Each record's log-odds from the model of its fold, the one that never saw its structure.
    A held-out structure without norms of its own falls back to its family's, as at test time."""
    out = np.zeros(len(keys))
    for held, (norms, w, bias) in models.items():
        mine = fold == held
        out[mine] = logits(x[mine], keys[mine], norms, w, bias, cap)
    return out


def cross_validate(
    held_logits: np.ndarray, y: np.ndarray, correct: np.ndarray, families: np.ndarray, kinds: np.ndarray
) -> tuple[dict[str, float], float, float]:
    """The operating points :func:`operating_shifts` sets on held-out records (``kinds``
    all-empty: one per family), the balanced accuracy with them and the share of correct
    references kept."""
    shifts = operating_shifts(held_logits, correct, families, kinds)
    called = acceptable_at(held_logits, shifts, kinds, families)
    return shifts, balanced_accuracy(y > 0.5, called), float(np.mean(called[correct])) if correct.any() else 1.0


def acceptable_at(logits: np.ndarray, shifts: dict[str, float], kinds: np.ndarray, families: np.ndarray) -> np.ndarray:
    """Which records are called acceptable once each one's operating point has moved by its
    kind's margin (:func:`shift_of`)."""
    return logits + margins(shifts, kinds, families) >= 0.0


def margins(shifts: dict[str, float], kinds: np.ndarray, families: np.ndarray) -> np.ndarray:
    return np.asarray([shift_of(k, f, shifts) for k, f in zip(kinds, families, strict=True)])


def operating_shifts(
    held_logits: np.ndarray, correct: np.ndarray, families: np.ndarray, kinds: np.ndarray
) -> dict[str, float]:
    """How far each operating point moves towards "acceptable" so that held-out correct
    references (structures the fold's fit never saw) pass: all but ``KEEP_MISS`` of them, plus
    ``MARGIN`` log-odds. A guardrail that rejects correct work is worse than none, so
    sensitivity is what is left after that.

    A kind of structure with ``KIND_MIN`` held-out correct references or more (CT organs,
    bones, muscles) gets a margin of its own: what unseen organs need says nothing about the
    ribs and bowel loops whose correct masks look least like their norms, and one margin for a
    whole family would let those set the sensitivity of every kind. A kind with fewer takes
    its family's."""
    shifts = {}
    for fam in sorted(set(families)):
        here = correct & (families == fam)
        shifts[fam] = safety_shift(held_logits[here]) if here.any() else 0.0
    shifts["generic"] = max(shifts.values(), default=0.0)
    for kind in sorted(set(kinds[correct]) - {""}):
        here = correct & (kinds == kind)
        if np.count_nonzero(here) >= KIND_MIN:
            shifts[kind] = safety_shift(held_logits[here])
    return shifts


class Nested(NamedTuple):
    """Balanced accuracy with one margin per family and with a margin per kind, the share of
    correct references kept with the margins per kind (the rule the fit writes), and each
    record's log-odds under that rule, its margin included (the verdict is their sign); the
    same log-odds for the lone masks, if any were given, their own margins included, with
    their balanced accuracy and the share of their correct masks kept."""

    family: float
    kind: float
    kept: float
    decision: np.ndarray
    lone: np.ndarray
    lone_balanced: float = 0.0
    lone_kept: float = 1.0


class Lone(NamedTuple):
    """Candidates judged as lone binary masks (``bench --alone``): their arrays as
    :func:`records_arrays` gives them, and the norm set and outer fold of each, those of the
    same candidate in its label map. They are scored, never fitted on."""

    a: dict[str, np.ndarray]
    keys: np.ndarray
    fold: np.ndarray

    def only(self, chosen: np.ndarray) -> Lone:
        return Lone({name: values[chosen] for name, values in self.a.items()}, self.keys[chosen], self.fold[chosen])


def nested_estimate(
    a: dict[str, np.ndarray], keys: np.ndarray, fold: np.ndarray, config: Config, lone: Lone | None = None
) -> Nested:
    """Scores each outer fold's held-out structures with the margins set on the other folds
    alone (their own inner cross-validation). The fit's cross-validated figures set the margins
    on the very log-odds they then score, which flatters a rule with more margins and the
    share of correct references kept; these do not, so they are the dev split's estimate of
    how often a correct mask of an unseen structure is rejected. The ``lone`` masks of each
    held-out structure are scored by the same fit and margins."""
    x, y, correct, fams, kinds = a["x"], a["y"], a["correct"], a["families"], a["kinds"]
    structures, scans = a["structures"], a["scans"]
    rules = {"family": np.full(len(kinds), ""), "kind": kinds}
    called = {rule: np.zeros(len(y), dtype=bool) for rule in rules}
    decision = np.zeros(len(y))
    lone_decision = np.zeros(0 if lone is None else len(lone.keys))
    for held in sorted(set(fold)):
        out, inner = fold == held, fold != held
        inner_fold = folds(structures[inner], scans[inner], keys[inner], fams[inner])
        inner_models = fold_models(x[inner], y[inner], keys[inner], correct[inner], inner_fold, config)
        inner_logits = score_held_out(inner_models, x[inner], keys[inner], inner_fold, config[3])
        norms, w, bias = model(x[inner], y[inner], keys[inner], correct[inner], config)
        outer_logits = logits(x[out], keys[out], norms, w, bias, config[3])
        for rule, by in rules.items():
            shifts = operating_shifts(inner_logits, correct[inner], fams[inner], by[inner])
            called[rule][out] = acceptable_at(outer_logits, shifts, by[out], fams[out])
        decision[out] = outer_logits + margins(shifts, kinds[out], fams[out])
        if lone is not None:
            # The lone masks' own margins are set on the inner folds' lone masks, each scored
            # by the inner fit that never saw its structure, as the label-map margins are.
            inner_of = dict(zip(zip(structures[inner], scans[inner], strict=True), inner_fold, strict=True))
            lone_in = lone.only(lone.fold != held)
            lone_in = lone_in._replace(
                fold=np.asarray([inner_of[sc] for sc in zip(lone_in.a["structures"], lone_in.a["scans"], strict=True)])
            )
            held_lone = score_held_out(inner_models, lone_in.a["x"], lone_in.keys, lone_in.fold, config[3])
            lone_shifts = lone_margins(held_lone, lone_in, shifts)
            mine = lone.only(lone.fold == held)
            lone_logits = logits(mine.a["x"], mine.keys, norms, w, bias, config[3])
            lone_decision[lone.fold == held] = lone_logits + lone_moves(mine, shifts, lone_shifts)
    kept = float(np.mean(called["kind"][correct])) if correct.any() else 1.0
    lone_called = lone_decision >= 0.0
    lone_correct = np.zeros(0, dtype=bool) if lone is None else lone.a["correct"]
    return Nested(
        balanced_accuracy(y > 0.5, called["family"]),
        balanced_accuracy(y > 0.5, called["kind"]),
        kept,
        decision,
        lone_decision,
        balanced_accuracy(lone.a["y"] > 0.5, lone_called) if lone is not None else 0.0,
        float(np.mean(lone_called[lone_correct])) if lone_correct.any() else 1.0,
    )


def lone_margins(held_lone: np.ndarray, lone: Lone, shifts: dict[str, float]) -> dict[str, float]:
    """How much further each operating point moves for a body structure alone in its label
    image, on top of its label-map margin (``shifts``), so that held-out lone correct masks
    pass as the label-map ones do: alone, the refinement may grow into a neighbour of like
    tissue that a label would have claimed, so a correct lone mask looks less usual than the
    norms, set in label maps, expect. Per kind where it has enough lone correct masks, per
    family otherwise. ``held_lone`` are the lone masks' log-odds from fits that never saw
    their structures."""
    moved = held_lone + margins(shifts, lone.a["kinds"], lone.a["families"])
    return operating_shifts(moved, lone.a["correct"], lone.a["families"], lone.a["kinds"])


def lone_moves(lone: Lone, shifts: dict[str, float], lone_shifts: dict[str, float]) -> np.ndarray:
    """Each lone mask's operating point moves: its label-map margin and its lone margin."""
    kinds, fams = lone.a["kinds"], lone.a["families"]
    return margins(shifts, kinds, fams) + margins(lone_shifts, kinds, fams)


def lone_masks(rows: list[dict[str, Any]], a: dict[str, np.ndarray], keys: np.ndarray, fold: np.ndarray) -> Lone:
    """The lone-mask records as the nested estimate scores them: each takes the norm set and
    outer fold of the same candidate in its label map."""
    lone = records_arrays(rows)
    where = {(s, c): i for i, (s, c) in enumerate(zip(a["structures"], a["scans"], strict=True))}
    index = np.asarray([where[(s, c)] for s, c in zip(lone["structures"], lone["scans"], strict=True)], dtype=int)
    return Lone(lone, keys[index], fold[index])


class Calibrated(NamedTuple):
    """The map from the verdict's log-odds to P(acceptable), and how the confidence fares on the
    nested held-out records without it and with it (fitted on the other folds): its calibration
    error and the log-loss of P(acceptable), both classes weighing the same. ``adopted`` is
    False where the map did not lower that log-loss; the map is then the identity."""

    slope: float
    offset: float
    error_before: float
    error_after: float
    loss_before: float
    loss_after: float

    @property
    def adopted(self) -> bool:
        return self.loss_after < self.loss_before


def platt(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """P(acceptable) = sigmoid(slope * decision + offset), by maximum likelihood with both
    classes weighing the same (the 50:50 prior the scoring is calibrated for). The targets are
    Platt's (1999): 1 and 0 pulled in by one case of each class, so a held-out set the log-odds
    nearly separate does not drive the slope to infinity."""
    good = y > 0.5
    n_good, n_bad = int(good.sum()), int((~good).sum())
    target = np.where(good, (n_good + 1) / (n_good + 2), 1 / (n_bad + 2))
    weight = balanced(y)

    def loss(p: np.ndarray) -> tuple[float, np.ndarray]:
        t = p[0] * decision + p[1]
        residual = weight * (expit(t) - target)
        return log_loss(t, target, weight), np.asarray([residual @ decision, residual.sum()])

    result = optimize.minimize(loss, np.asarray([1.0, 0.0]), jac=True, method="BFGS")
    return float(result.x[0]), float(result.x[1])


def balanced(y: np.ndarray) -> np.ndarray:
    """Weights under which each class sums to one half: :func:`class_weights` with no reference
    weighted up, since a calibration is of every verdict alike."""
    return class_weights(y, np.zeros(len(y), dtype=bool))


def log_loss(logit: np.ndarray, target: np.ndarray, weight: np.ndarray) -> float:
    return float(np.sum(weight * (target * np.logaddexp(0.0, -logit) + (1 - target) * np.logaddexp(0.0, logit))))


def calibrate(decision: np.ndarray, y: np.ndarray, fold: np.ndarray) -> Calibrated:
    """The operating point moves towards "acceptable" by the margin correct masks of unseen
    structures need, so the verdict's log-odds are not P(acceptable): masks passed near the
    threshold are often flawed. This maps them to the probability they stand for on structures
    the fit never saw (the nested held-out records), keeping the verdict where it is; where the
    map, fitted on the other folds, does not predict the held-out records better than the
    log-odds themselves, it is left out."""
    truth = np.where(y > 0.5, "acceptable", "unacceptable")
    verdict = np.where(decision >= 0.0, "acceptable", "unacceptable")
    mapped = np.zeros(len(y))
    for held in sorted(set(fold)):
        out = fold == held
        slope, offset = platt(decision[~out], y[~out])
        mapped[out] = slope * decision[out] + offset
    slope, offset = platt(decision, y)
    weight = balanced(y)
    calibrated = Calibrated(
        slope,
        offset,
        reliability(truth, verdict, expit(np.abs(decision))).calibration_error,
        reliability(truth, verdict, np.where(decision >= 0.0, expit(mapped), expit(-mapped))).calibration_error,
        log_loss(decision, y, weight),
        log_loss(mapped, y, weight),
    )
    return calibrated if calibrated.adopted else calibrated._replace(slope=1.0, offset=0.0)


def shift_of(kind: str, fam: str, shifts: dict[str, float]) -> float:
    """The margin of a kind of structure: its own when it had enough correct references, else
    its family's."""
    return shifts.get(kind, shifts.get(fam, shifts["generic"]))


def safety_shift(held_correct: np.ndarray) -> float:
    """Log-odds an operating point moves towards "acceptable" so held-out correct masks pass:
    all but ``KEEP_MISS`` of them, with ``MARGIN`` to spare."""
    return max(0.0, MARGIN - float(np.quantile(held_correct, KEEP_MISS)))


def without_each_kind(
    x: np.ndarray, y: np.ndarray, keys: np.ndarray, kinds: np.ndarray, correct: np.ndarray, config: Config
) -> list[tuple[np.ndarray, Norms, np.ndarray, dict[str, float]]]:
    """For each kind of structure with correct masks (bone, vessel, organ...): which records are
    of it, and the model fitted on the others' (norms, weights, biases). Empty when the records
    hold a single kind, so nothing can be held out."""
    names = sorted(set(kinds[correct]))
    if len(names) < 2:
        return []
    fits = []
    for name in names:
        out = kinds == name
        fits.append((out, *model(x[~out], y[~out], keys[~out], correct[~out], config)))
    return fits


class Point(NamedTuple):
    """An operating point measured on records held out by kind: how far it moves from the pooled
    bias, the balanced accuracy with it, and what :func:`calibrate` needs to map the judged
    records' log-odds to P(acceptable): those log-odds as run time computes them (moved, and
    scaled by UNSPECIFIC, as every judgement of a kind the fit never saw is), their labels
    and the kind each was held out with."""

    shift: float
    balanced: float
    decision: np.ndarray
    y: np.ndarray
    fold: np.ndarray


def held_out_point(
    held: np.ndarray, y: np.ndarray, correct: np.ndarray, judged: np.ndarray, kinds: np.ndarray
) -> Point:
    """The log-odds an operating point moves so the judged held-out correct masks pass (as in
    :func:`cross_validate`), and the balanced accuracy of the judged records with it."""
    shift = safety_shift(held[judged & correct])
    moved = held[judged] + shift
    return Point(shift, balanced_accuracy(y[judged] > 0.5, moved >= 0.0), UNSPECIFIC * moved, y[judged], kinds[judged])


def unseen_kind(
    x: np.ndarray, y: np.ndarray, keys: np.ndarray, kinds: np.ndarray, correct: np.ndarray, config: Config
) -> Point | None:
    """The operating point for a kind of structure the fit has no correct mask of: each kind
    (bone, vessel, organ...) is held out in turn and judged, as at run time, against the pooled
    norms of the others at their most cautious bias. Returns the log-odds that bias moves so
    the held-out kinds' correct masks pass, and the balanced accuracy with it; None when the
    records hold a single kind, so nothing can be held out."""
    fits = without_each_kind(x, y, keys, kinds, correct, config)
    if not fits:
        return None
    held = np.zeros(len(y))
    judged = np.zeros(len(y), dtype=bool)
    for out, norms, w, bias in fits:
        held[out] = logits(x[out], np.full(int(out.sum()), "generic"), norms, w, bias, config[3])
        judged |= out
    return held_out_point(held, y, correct, judged, kinds)


def peer_kind(a: dict[str, np.ndarray], keys: np.ndarray, config: Config) -> Point | None:
    """The operating point for a kind of structure judged against its peers (the other labels
    of its structure in one label map, :mod:`napari_hcr.peers`): each kind is held out in turn,
    and each of its structures on one scan is judged, with the model fitted on the other kinds,
    against the norms of up to PEERS_MAX acceptable masks of the same structure on the other
    scans. Returns the log-odds the pooled bias moves so the correct masks judged so pass (as
    in :func:`unseen_kind`) and the balanced accuracy with it; None when no structure of any
    kind has PEERS_MIN such masks, or there is a single kind to hold out."""
    x, y, kinds, correct = a["x"], a["y"], a["kinds"], a["correct"]
    structures, scans = a["structures"], a["scans"]
    floor, _, percentile, cap = config
    held = np.full(len(y), np.nan)
    for out, _, w, bias in without_each_kind(x, y, keys, kinds, correct, config):
        for structure, scan in sorted(set(zip(structures[out], scans[out], strict=True))):
            peers = np.flatnonzero(out & (y > 0.5) & (structures == structure) & (scans != scan))
            if len(peers) < PEERS_MIN:
                continue
            peers = peers[np.round(np.linspace(0, len(peers) - 1, min(len(peers), PEERS_MAX))).astype(int)]
            centre, scale = standardise(x[peers], np.ones(len(peers), dtype=bool), floor, percentile)
            here = out & (structures == structure) & (scans == scan)
            held[here] = bias["generic"] - np.clip((x[here] - centre) / scale, 0.0, cap) @ w
    judged = ~np.isnan(held)
    if not (judged & correct).any():
        return None
    return held_out_point(held, y, correct, judged, kinds)


def records_arrays(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    profiles = [load_profile(r["structure"], r["modality"]) for r in rows]
    families = [family(p, int(r.get("ndim", 3))) for p, r in zip(profiles, rows, strict=True)]

    return {
        "x": np.asarray([[r["evidence"].get(f, 0.0) for f in FEATURES] for r in rows], dtype=float),
        "y": np.asarray([r["truth"] == "acceptable" for r in rows], dtype=float),
        "structures": np.asarray([r["structure"] for r in rows]),
        "scans": np.asarray([str(r.get("scan", r.get("variant", ""))) for r in rows]),
        "families": np.asarray(families),
        "kinds": np.asarray([f"{f}:{p.group}" for f, p in zip(families, profiles, strict=True)]),
        "correct": np.asarray([r["family"] in CORRECT_FAMILIES for r in rows]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--results-dir", type=Path, default=ROOT / "benchmark-results")
    parser.add_argument("--run", action="store_true", help="run the dev split first")
    args = parser.parse_args()
    if args.run:
        from napari_hcr.acceptability import run_benchmark

        run_benchmark("dev", results_dir=args.results_dir, chart=False)
        run_benchmark("dev", results_dir=args.results_dir, chart=False, alone=True)
    rows = dev_records(args.results_dir / "benchmark-dev.json", alone=False)
    a = records_arrays(rows)
    keys = norm_keys(a["structures"], a["kinds"], a["families"], a["y"])
    fold = folds(a["structures"], a["scans"], keys, a["families"])
    lone = lone_masks(dev_records(args.results_dir / "benchmark-dev-alone.json", alone=True), a, keys, fold)
    families = {fam: a["families"] == fam for fam in sorted(set(a["families"]))}
    fitted = {
        name: fit_family(a, keys, fold, here, lone.only(lone.a["families"] == name)) for name, here in families.items()
    }
    # pooled: 2-D images, other modalities; a lone mask of theirs is of a kind none of the lone records is
    fitted["generic"] = fit_family(a, keys, fold, np.ones(len(rows), dtype=bool), None)
    params = {
        "fitted_on": f"dev split, {len(rows)} candidates over {len(set(a['structures']))} structures; "
        + "; ".join(f"{name}: {model['fitted_on']}" for name, model in fitted.items()),
        "families": fitted,
    }
    PARAMS.write_text(json.dumps(params, indent=2) + "\n", encoding="utf-8")
    print(params["fitted_on"])


def dev_records(path: Path, alone: bool) -> list[dict[str, Any]]:
    """The records of a dev benchmark run (``alone``: judged as lone masks)."""
    if not path.exists():
        flag = " --alone" if alone else ""
        raise SystemExit(f"{path} is missing: run `napari-hcr bench --split dev{flag}` first (or pass --run)")
    data = json.loads(path.read_text(encoding="utf-8"))
    if data["split"] != "dev" or bool(data.get("alone")) != alone:
        raise SystemExit(f"refusing to fit on anything but the dev split's {'lone' if alone else 'label-map'} run")
    return list(data["records"])


def fit_family(
    a: dict[str, np.ndarray], keys: np.ndarray, fold: np.ndarray, here: np.ndarray, lone: Lone | None
) -> dict[str, Any]:
    """Choose the hyper-parameters, fit and move the operating point on one family's records;
    its ``lone`` masks (if any) only move their operating point further and get a map of their
    own to P(acceptable)."""
    a = {name: values[here] for name, values in a.items()}
    x, y, correct, fams, kinds = a["x"], a["y"], a["correct"], a["families"], a["kinds"]
    keys, fold = keys[here], fold[here]
    # The configuration is chosen by how well held-out structures are told apart at one
    # operating point per family; the kinds' own operating points are then set on its
    # held-out log-odds.
    one_per_family = np.full(len(kinds), "")
    fits = {config: fold_models(x, y, keys, correct, fold, config) for config in GRID}
    held = {config: score_held_out(fits[config], x, keys, fold, config[3]) for config in GRID}
    scores = {config: cross_validate(held[config], y, correct, fams, one_per_family) for config in GRID}
    config = max(scores, key=lambda k: (round(scores[k][1], 4), round(scores[k][2], 4)))
    floor, l2, quantile, cap = config
    shifts, balanced, kept = cross_validate(held[config], y, correct, fams, kinds)
    lone = lone if lone is not None and len(lone.keys) else None
    nested = nested_estimate(a, keys, fold, config, lone)
    lone_shifts = (
        None
        if lone is None
        else lone_margins(score_held_out(fits[config], lone.a["x"], lone.keys, lone.fold, cap), lone, shifts)
    )
    norms, w, bias = model(x, y, keys, correct, config)
    unseen = unseen_kind(x, y, keys, kinds, correct, config)
    peers = peer_kind(a, keys, config)
    # A kind the fit saw, one it never saw, one judged against its peers: each way of judging
    # has its own held-out log-odds, and its own map from them to P(acceptable).
    maps = {SEEN: calibrate(nested.decision, y, fold)}
    for path, point in ((UNSEEN, unseen), (PEERS, peers)):
        if point is not None:
            maps[path] = calibrate(point.decision, point.y, point.fold)
    if lone is not None:  # a body structure alone in its label image: less evidence to go on
        maps[ALONE] = calibrate(nested.lone, lone.a["y"], lone.fold)
    pooled = bias["generic"]
    # The kind a norm set serves: a kind's own, or a structure's with norms of its own; the
    # pooled sets serve several kinds and take their family's margin.
    kind_of = {k: kind for k, kind, f in zip(keys, kinds, fams, strict=True) if k not in (f, "generic")}
    bias = {name: value + shift_of(kind_of.get(name, ""), name.split(":")[0], shifts) for name, value in bias.items()}
    if unseen is not None:
        bias[UNSEEN] = pooled + unseen.shift
    if peers is not None:
        bias[PEERS] = pooled + peers.shift
    called = logits(x, keys, norms, w, bias, cap) >= 0.0
    accuracy = float(np.mean(called == (y > 0.5)))
    return {
        "fitted_on": (
            f"{len(y)} candidates ({int(y.sum())} acceptable); floor x{floor}, L2 {l2}, centre at the "
            f"{quantile:.0f}th percentile, z capped at {cap:g}; operating points moved "
            + ", ".join(f"{name} {value:.2f}" for name, value in sorted(shifts.items()) if name != "generic")
            + f" log-odds so held-out correct references pass (held-out balanced accuracy "
            f"{balanced:.3f}, correct references kept {kept:.3f}; nested, margins set on other folds only: "
            f"{nested.family:.3f} with one per family, {nested.kind:.3f} per kind, correct references kept "
            f"{nested.kept:.3f}); dev accuracy {accuracy:.3f}; "
            + (
                "a single kind of structure, so kinds it has not seen go to the pooled model"
                if unseen is None
                else f"kinds held out in turn: operating point moved {unseen.shift:.2f}, balanced accuracy "
                f"{unseen.balanced:.3f}"
            )
            + (
                ""
                if peers is None
                else f"; against their peers: operating point moved {peers.shift:.2f}, balanced accuracy "
                f"{peers.balanced:.3f}"
            )
            + (
                ""
                if lone_shifts is None
                else "; body structures alone in their label image: operating points moved further "
                + ", ".join(f"{name} {value:.2f}" for name, value in sorted(lone_shifts.items()) if name != "generic")
                + " log-odds so held-out lone correct masks pass (nested: balanced accuracy "
                f"{nested.lone_balanced:.3f}, correct lone masks kept {nested.lone_kept:.3f})"
            )
            + "; confidence on held-out records, calibration error / log-loss from the log-odds -> mapped (the "
            "map fitted on the other folds): "
            + ", ".join(
                f"{path} {m.error_before:.3f}/{m.loss_before:.3f} -> {m.error_after:.3f}/{m.loss_after:.3f} "
                + ("(map kept)" if m.adopted else "(no map)")
                for path, m in maps.items()
            )
        ),
        "bias": {name: round(v, 4) for name, v in bias.items()},
        "calibration": {path: {"slope": round(m.slope, 4), "offset": round(m.offset, 4)} for path, m in maps.items()},
        **(
            {}
            if lone_shifts is None
            else {"alone_margin": {name: round(v, 4) for name, v in lone_shifts.items() if name != "generic"}}
        ),
        "z_cap": cap,
        "floor": floor,
        "centre_percentile": quantile,
        "kinds": sorted(set(kinds[correct])),
        "weights": {f: round(float(wi), 4) for f, wi in zip(FEATURES, w, strict=True)},
        "standardisation": {
            name: {
                f: {"centre": round(float(c), 5), "scale": round(float(s), 5)}
                for f, c, s in zip(FEATURES, *cs, strict=True)
            }
            for name, cs in norms.items()
        },
    }


if __name__ == "__main__":
    main()
