"""Fit the offline scoring's parameters on the DEV split and write src/napari_hcr/scoring_params.json.

Run after `napari-hcr bench --split dev` (or with --run to do that first); it reads the dev
results JSON, whose records carry each candidate's evidence figures (computed from the image
and the mask only) and its label by the benchmark's rule. The test split is never read.

    python benchmarks/acceptability/fit_scoring.py [--results-dir benchmark-results] [--run]

For each structure and evidence figure: centre = median over that structure's acceptable dev
masks, scale = spread of their upper half (95th percentile minus median) with a floor, so a
z of 1 means "as unusual as the most unusual acceptable masks" (a pooled "generic" set serves
other structures). Weights are non-negative (evidence
can only count against a mask) and fitted by L2-penalised maximum likelihood with projected
gradient descent, with both classes weighted equally (so the score is calibrated for a 50:50
prior). The scale floors' multiplier and the L2 penalty are chosen on dev alone, by
leave-one-variant-out cross-validation (a held-out variant plays the part of the unseen test
variants); the test split is never read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from napari_hcr.scoring import FEATURES, PARAMS_FILE, Z_CAP

ROOT = Path(__file__).resolve().parents[2]
PARAMS = ROOT / "src" / "napari_hcr" / PARAMS_FILE
# Smallest scale per figure, in its own units: below this an acceptable spread is noise.
FLOORS = {
    "volume_excess": 0.05,
    "volume_deficit": 0.05,
    "island_share": 0.5,
    "hole_share": 0.5,
    "gaps": 0.3,
    "area_jump": 0.1,
    "edge_deficit": 0.03,
    "contrast_deficit": 0.2,
    "wrong_contrast": 0.2,
    "inside_cv": 0.02,
    "intensity_off": 0.03,
    "asymmetry": 0.03,
    "roughness": 0.05,
    "compactness_deficit": 0.05,
    "off_site": 0.03,
    "refine_shrink": 0.1,
    "refine_grow": 0.1,
    "refine_excess": 0.3,
    "refine_missing": 0.3,
    "truncation": 0.05,
}
GRID = [(floor, l2) for floor in (1.0, 2.0, 4.0) for l2 in (0.005, 0.02, 0.08)]


def standardise(x: np.ndarray, acceptable: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    ok = x[acceptable]
    centre = np.median(ok, axis=0)
    spread = np.percentile(ok, 95, axis=0) - centre
    floors = floor * np.asarray([FLOORS[f] for f in FEATURES])
    return centre, np.maximum(spread, floors)


def fit(
    z: np.ndarray, y: np.ndarray, groups: np.ndarray, l2: float, steps: int = 8000, lr: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Maximise the likelihood of y (1 = acceptable) under p = sigmoid(b[group] - z @ w), w >= 0.

    ``groups`` (one column per structure, one-hot) give each structure its own bias: where
    the operating point sits differs between a solid brain mask and a thin ribbon.
    """
    w = np.full(z.shape[1], 0.5)
    b = np.full(groups.shape[1], 2.0)
    # Both classes weigh the same: the benchmark's class ratio is set by how many failure
    # families it has, not by how often masks fail in practice.
    weight = np.where(y > 0.5, 0.5 / max(1.0, y.sum()), 0.5 / max(1.0, (1 - y).sum()))
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(groups @ b - z @ w)))
        residual = weight * (p - y)  # d(-loglik)/d(logit), class-weighted
        b -= lr * (groups.T @ residual + l2 * (b - b.mean()))
        w = np.maximum(0.0, w - lr * (-(z.T @ residual) + l2 * w))
    return w, b


def model(
    x: np.ndarray, y: np.ndarray, structures: np.ndarray, floor: float, l2: float
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], np.ndarray, dict[str, float]]:
    names = sorted(set(structures))
    norms = {"generic": standardise(x, y > 0.5, floor)}
    for name in names:
        here = structures == name
        norms[name] = standardise(x[here], y[here] > 0.5, floor)
    groups = np.asarray([[s == name for name in names] for s in structures], dtype=float)
    w, b = fit(transform(x, structures, norms), y, groups, l2)
    bias = {name: float(v) for name, v in zip(names, b)}
    bias["generic"] = float(np.mean(b))
    return norms, w, bias


def biases(structures: np.ndarray, bias: dict[str, float]) -> np.ndarray:
    return np.asarray([bias.get(s, bias["generic"]) for s in structures])


def transform(x: np.ndarray, structures: np.ndarray, norms: dict[str, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    z = np.zeros_like(x)
    for i, name in enumerate(structures):
        centre, scale = norms.get(name, norms["generic"])
        z[i] = np.clip((x[i] - centre) / scale, 0.0, Z_CAP)
    return z


def cross_validate(
    x: np.ndarray, y: np.ndarray, structures: np.ndarray, variants: np.ndarray, floor: float, l2: float
) -> float:
    """Balanced accuracy of leave-one-variant-out predictions on dev."""
    called = np.zeros(len(y), dtype=bool)
    for held in sorted(set(variants)):
        out = variants == held
        norms, w, bias = model(x[~out], y[~out], structures[~out], floor, l2)
        z = transform(x[out], structures[out], norms)
        called[out] = (biases(structures[out], bias) - z @ w) >= 0.0
    ok = y > 0.5
    return 0.5 * (float(np.mean(called[ok])) + float(np.mean(~called[~ok])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results-dir", type=Path, default=ROOT / "benchmark-results")
    parser.add_argument("--run", action="store_true", help="run the dev split first")
    args = parser.parse_args()
    if args.run:
        from napari_hcr.acceptability import run_benchmark

        run_benchmark("dev", results_dir=args.results_dir, chart=False)
    data = json.loads((args.results_dir / "benchmark-dev.json").read_text(encoding="utf-8"))
    if data["split"] != "dev":
        raise SystemExit("refusing to fit on anything but the dev split")
    rows = data["records"]
    x = np.asarray([[r["evidence"][f] for f in FEATURES] for r in rows], dtype=float)
    y = np.asarray([r["truth"] == "acceptable" for r in rows], dtype=float)
    structures = np.asarray([r["structure"] for r in rows])
    variants = np.asarray([r["variant"] for r in rows])
    scores = {(floor, l2): cross_validate(x, y, structures, variants, floor, l2) for floor, l2 in GRID}
    floor, l2 = max(scores, key=lambda k: (round(scores[k], 4), k[0]))
    norms, w, bias = model(x, y, structures, floor, l2)
    p = 1.0 / (1.0 + np.exp(-(biases(structures, bias) - transform(x, structures, norms) @ w)))
    accuracy = float(np.mean((p >= 0.5) == (y > 0.5)))
    params = {
        "fitted_on": (
            f"dev split, {len(rows)} candidates ({int(y.sum())} acceptable); floor x{floor}, L2 {l2} "
            f"chosen by leave-one-variant-out balanced accuracy {scores[(floor, l2)]:.3f}; "
            f"dev accuracy {accuracy:.3f}"
        ),
        "bias": {name: round(v, 4) for name, v in bias.items()},
        "threshold": 0.5,
        "weights": {f: round(float(wi), 4) for f, wi in zip(FEATURES, w)},
        "standardisation": {
            name: {f: {"centre": round(float(c), 5), "scale": round(float(s), 5)} for f, c, s in zip(FEATURES, *cs)}
            for name, cs in norms.items()
        },
    }
    PARAMS.write_text(json.dumps(params, indent=2) + "\n", encoding="utf-8")
    for key, value in sorted(scores.items()):
        print(f"floor x{key[0]:<4} L2 {key[1]:<6} leave-one-variant-out balanced accuracy {value:.3f}")
    print(params["fitted_on"])


if __name__ == "__main__":
    main()
