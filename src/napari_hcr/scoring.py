"""Clinical synthesis in numbers: evidence -> probability the mask is acceptable.

The evidence is a fixed list of one-sided "badness" figures computed from the measures and
the profile (0 or below the acceptable centre means nothing wrong). Each is standardised by
the centre and scale that acceptable masks show, and a logistic model with non-negative
weights turns them into a probability:

    score = sigmoid(bias_structure - sum_i weight_i * max(0, (x_i - centre_i) / scale_i))

so every term can only push towards "unacceptable", and its size (``contributions``) says
how much that evidence decided the verdict. Centres and scales are per structure (what an
acceptable white-matter mask looks like differs from an acceptable brain mask), with a pooled
"generic" set for structures the benchmark does not cover; so is the bias (a thin ribbon
and a solid organ sit at different operating points); the weights are shared.
Centres, scales, weights and bias are fitted on
the benchmark's dev split by ``benchmarks/acceptability/fit_scoring.py`` and read from
``scoring_params.json``; nothing is fitted at run time. A logistic model fitted by maximum
likelihood is calibrated on the data it was fitted to (here with both classes weighted
equally, i.e. for a 50:50 prior), so ``score`` reads as a probability and ``confidence``
(the probability the verdict is right) follows from it.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from .backends.base import Decision
from .knowledge import Profile
from .measures import Measures
from .verdict import Finding

PARAMS_FILE = "scoring_params.json"
Z_CAP = 25.0  # one absurd figure must not swamp the rest into numerical overflow

FEATURES: tuple[str, ...] = (
    "volume_excess",
    "volume_deficit",
    "island_share",
    "hole_share",
    "gaps",
    "area_jump",
    "edge_deficit",
    "contrast_deficit",
    "wrong_contrast",
    "inside_cv",
    "intensity_off",
    "asymmetry",
    "roughness",
    "compactness_deficit",
    "off_site",
    "refine_shrink",
    "refine_grow",
    "refine_excess",
    "refine_missing",
    "truncation",
)


def evidence(m: Measures, p: Profile) -> dict[str, float]:
    """The raw evidence figures; see docs/benchmark.md for what each means."""
    x = dict.fromkeys(FEATURES, 0.0)
    if p.volume_ml is not None and m.ndim == 3 and m.size > 0:
        x["volume_excess"] = max(0.0, math.log(m.size / p.volume_ml.high))
        x["volume_deficit"] = max(0.0, math.log(p.volume_ml.low / m.size))
    expected = p.components if p.components is not None else 1
    extra = sum(c.voxels for c in m.components[expected:])
    x["island_share"] = math.log1p(1000.0 * extra / max(m.voxels, 1))
    if m.size > 0:  # also where holes are allowed: the per-structure centre says what is usual
        x["hole_share"] = math.log1p(1000.0 * m.hole_size / m.size)
    x["gaps"] = math.log1p(len(m.gaps))
    if m.largest_jump is not None:
        x["area_jump"] = math.log(max(1.0, m.largest_jump.ratio))
    x["edge_deficit"] = 1.0 - m.edge_agreement
    r = p.intensity_contrast
    if r is not None:
        if r.low > 0:  # brighter than its surroundings
            x["contrast_deficit"] = max(0.0, r.low - m.boundary_contrast)
            x["wrong_contrast"] = max(0.0, -m.boundary_contrast)
        elif r.high < 0:  # darker than its surroundings
            x["contrast_deficit"] = max(0.0, m.boundary_contrast - r.high)
            x["wrong_contrast"] = max(0.0, m.boundary_contrast)
    x["inside_cv"] = m.inside_cv
    band = p.extras.get("inside_percentile")
    if band is not None:
        lo, hi = float(band[0]), float(band[1])
        x["intensity_off"] = max(0.0, lo - m.inside_percentile, m.inside_percentile - hi) / 100.0
    if p.paired and m.symmetry is not None:
        x["asymmetry"] = 1.0 - m.symmetry
    x["roughness"] = m.roughness
    if p.compactness is not None and m.compactness > 0:
        x["compactness_deficit"] = max(0.0, math.log(p.compactness.low / m.compactness))
    site = p.extras.get("centroid_fraction")
    if site is not None and len(site) == len(m.centroid_fraction):
        x["off_site"] = max(max(0.0, lo - v, v - hi) for (lo, hi), v in zip(site, m.centroid_fraction))
    end = truncated_end(m)
    if end is not None:
        x["truncation"] = end[2]
    refinement = getattr(m, "refinement", None)
    if refinement is not None:
        x["refine_shrink"] = refinement.shrink_depth
        x["refine_grow"] = refinement.grow_depth
        x["refine_excess"] = math.log1p(10.0 * refinement.excess_region)
        x["refine_missing"] = math.log1p(10.0 * refinement.missing_region)
    return x


def truncated_end(m: Measures) -> tuple[int, int, float] | None:
    """The mask's most abrupt end: (axis, end slice, its area as a share of the axis' peak).

    Anatomy tapers towards its ends; a mask cut off by a plane (a missing pole or lobe) ends
    on a slice that still holds a large share of its largest cross-section.
    """
    best = None
    for axis, area in m.area_per_slice.items():
        filled = np.flatnonzero(area > 0)
        if filled.size < 3 or area.max() <= 0:
            continue
        for index in (filled[0], filled[-1]):
            share = float(area[index] / area.max())
            if best is None or share > best[2]:
                best = (int(axis), int(index), share)
    return best


def contributions(m: Measures, p: Profile) -> dict[str, float]:
    """How far each piece of evidence pushes the log-odds towards "unacceptable" (>= 0)."""
    params = load_params()
    norms = params["standardisation"]
    norm = norms.get(p.structure, norms["generic"])
    x = evidence(m, p)
    out = {}
    for name in FEATURES:
        weight = params["weights"].get(name, 0.0)
        if weight <= 0 or name not in norm:
            out[name] = 0.0
            continue
        z = (x[name] - norm[name]["centre"]) / norm[name]["scale"]
        out[name] = weight * min(Z_CAP, max(0.0, z))
    return out


def decide(m: Measures, p: Profile, findings: list[Finding]) -> Decision:
    """Verdict, calibrated P(acceptable) and P(verdict right) from the weighed evidence.

    ``findings`` are the stage-3 findings; the probability comes from the same evidence they
    were written from (see :func:`contributions`), so the findings marked major or minor are
    the ones that moved it.
    """
    params = load_params()
    bias = params["bias"]
    logit = bias.get(p.structure, bias["generic"]) - sum(contributions(m, p).values())
    score = _sigmoid(logit)
    acceptable = score >= params["threshold"]
    confidence = score if acceptable else 1.0 - score
    return Decision(
        verdict="acceptable" if acceptable else "unacceptable",
        score=round(score, 4),
        confidence=round(max(0.5, confidence), 4),
    )


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)


@lru_cache(maxsize=1)
def load_params() -> dict[str, Any]:
    text = (resources.files(__package__) / PARAMS_FILE).read_text(encoding="utf-8")
    return json.loads(text)
