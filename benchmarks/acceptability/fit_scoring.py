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
gradient descent; the penalty keeps single features from overfitting one dev failure family.
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
    "volume_excess": 0.05, "volume_deficit": 0.05, "island_share": 0.5, "hole_share": 0.5, "gaps": 0.3,
    "area_jump": 0.1, "edge_deficit": 0.03, "contrast_deficit": 0.2, "wrong_contrast": 0.2, "inside_cv": 0.02,
    "intensity_off": 0.03, "asymmetry": 0.03, "roughness": 0.05, "compactness_deficit": 0.05, "off_site": 0.03,
    "refine_shrink": 0.1, "refine_grow": 0.1, "refine_excess": 0.3, "refine_missing": 0.3,
}
L2 = 0.02


def standardise(x: np.ndarray, acceptable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = x[acceptable]
    centre = np.median(ok, axis=0)
    spread = np.percentile(ok, 95, axis=0) - centre
    floors = np.asarray([FLOORS[f] for f in FEATURES])
    return centre, np.maximum(spread, floors)


def fit(z: np.ndarray, y: np.ndarray, steps: int = 20000, lr: float = 0.05) -> tuple[np.ndarray, float]:
    """Maximise the likelihood of y (1 = acceptable) under p = sigmoid(b - z @ w), w >= 0."""
    w = np.full(z.shape[1], 0.5)
    b = 2.0
    n = len(y)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(b - z @ w)))
        residual = p - y  # d(-loglik)/d(logit)
        grad_b = residual.sum() / n
        grad_w = -(z.T @ residual) / n + L2 * w
        b -= lr * grad_b
        w = np.maximum(0.0, w - lr * grad_w)
    return w, b


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
    norms = {"generic": standardise(x, y.astype(bool))}
    z = np.zeros_like(x)
    for name in sorted(set(structures)):
        here = structures == name
        norms[name] = standardise(x[here], y[here].astype(bool))
        z[here] = np.clip((x[here] - norms[name][0]) / norms[name][1], 0.0, Z_CAP)
    w, b = fit(z, y)
    p = 1.0 / (1.0 + np.exp(-(b - z @ w)))
    accuracy = float(np.mean((p >= 0.5) == y.astype(bool)))
    params = {
        "fitted_on": f"dev split, {len(rows)} candidates ({int(y.sum())} acceptable); dev accuracy {accuracy:.3f}",
        "bias": round(float(b), 4),
        "threshold": 0.5,
        "weights": {f: round(float(wi), 4) for f, wi in zip(FEATURES, w)},
        "standardisation": {
            name: {f: {"centre": round(float(c), 5), "scale": round(float(s), 5)} for f, c, s in zip(FEATURES, *cs)}
            for name, cs in norms.items()
        },
    }
    PARAMS.write_text(json.dumps(params, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(params, indent=2))


if __name__ == "__main__":
    main()
