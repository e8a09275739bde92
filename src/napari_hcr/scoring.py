"""Clinical synthesis in numbers: evidence -> probability the mask is acceptable.

The evidence is a fixed list of one-sided "badness" figures computed from the measures and
the profile (0 or below the acceptable centre means nothing wrong). Each is standardised by
the centre and scale that acceptable masks show, and a logistic model with non-negative
weights turns them into log-odds whose sign is the verdict:

    logit = bias_structure - sum_i weight_i * max(0, (x_i - centre_i) / scale_i)

so every term can only push towards "unacceptable", and its size (``contributions``) says
how much that evidence decided the verdict. Weights, norms and biases are fitted per modality
family (CT, MRI, and a pooled model for the rest). Centres and scales come from the correct
masks of the structure itself when the fit had enough of them, else of its kind (bone,
vessel, organ...) in its family; so does the bias (a thin ribbon and a solid organ sit at
different operating points). A kind the family never saw (a lesion on MRI when only brain
tissue was fitted) is weighed against the pooled norms at an operating point measured by
holding whole kinds out of the fit, and the synthesis says so (:func:`calibration`); when
the label map holds enough other labels of the same structure (the nuclei of one image), their
evidence sets the norms instead (:mod:`napari_hcr.peers`).
Everything is fitted on the benchmark's dev split by
``benchmarks/acceptability/fit_scoring.py`` and read from ``scoring_params.json``; nothing
is fitted at run time. Each bias includes the margin that lets correct masks of structures
the fit never saw pass, so the log-odds are not yet a probability: near the operating point
more of the masks passed are flawed than the logistic curve says. A map fitted on the dev
split's held-out structures (both classes weighted equally, i.e. for a 50:50 prior) turns
them into ``score``, P(acceptable) on structures like those, and ``confidence``, the
probability the verdict is right, follows from it; it falls below one half for a mask passed
on doubtful evidence (:func:`napari_hcr.verdict.doubtful`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .knowledge import Profile, Range, canonical_structure, modality_kind
from .measures import Component, Measures
from .verdict import Decision, Finding

if TYPE_CHECKING:
    from .peers import Peers

PARAMS_FILE = "scoring_params.json"
Z_CAP = 25.0  # one absurd figure must not swamp the rest into numerical overflow
# Log-odds kept when the judgement is less specific: a structure without a profile, a kind
# without a calibration of its own, evidence that could not be measured (see ``unmeasured``).
UNSPECIFIC = 0.6
SEEN = "seen"  # the map to P(acceptable) of a kind of structure the fit had correct masks of
ALONE = "alone"  # ... and of a body structure of such a kind alone in its label image (see lone_body)
UNSEEN = "unseen"  # the bias of a kind of structure the fit had no correct mask of
PEERS = "peers"  # ... judged against the other labels of its structure in the same label map
PEERS_MIN = 8  # other labels of the structure a label map needs before they set the norms
# A volume this many times beyond the range the profile's sources report is not that structure,
# whatever the calibration: it decides the verdict, at P(acceptable) sigmoid(-VETO_LOGIT).
BEYOND_SOURCES = 2.0
VETO_LOGIT = 2.0

FEATURES: tuple[str, ...] = (
    "volume_excess",
    "volume_deficit",
    "island_share",
    "hole_share",
    "gaps",
    "gap_flank",
    "area_jump",
    "edge_deficit",
    "contrast_deficit",
    "wrong_contrast",
    "inside_spread",
    "intensity_off",
    "attenuation_off",
    "foreign_tissue",
    "asymmetry",
    "roughness",
    "compactness_deficit",
    "off_site",
    "refine_shrink",
    "refine_grow",
    "refine_excess",
    "refine_missing",
    "continued_tissue",
    "open_end",
    "truncation",
    "neighbour_leak",
    "neighbour_wrap",
    "unexpected_neighbour",
)
HU_SCALE = 100.0  # Hounsfield units per unit of the attenuation evidence
# Smallest scale per figure, in its own units: below this an acceptable spread is noise.
FLOORS = {
    "volume_excess": 0.05,
    "volume_deficit": 0.05,
    "island_share": 0.5,
    "hole_share": 0.5,
    "gaps": 0.3,
    "gap_flank": 0.1,
    "area_jump": 0.1,
    "edge_deficit": 0.03,
    "contrast_deficit": 0.2,
    "wrong_contrast": 0.2,
    "inside_spread": 0.02,
    "intensity_off": 0.03,
    "attenuation_off": 0.2,
    "foreign_tissue": 0.05,
    "asymmetry": 0.03,
    "roughness": 0.05,
    "compactness_deficit": 0.05,
    "off_site": 0.03,
    "refine_shrink": 0.1,
    "refine_grow": 0.1,
    "refine_excess": 0.3,
    "refine_missing": 0.3,
    "continued_tissue": 0.3,
    "open_end": 0.1,
    "truncation": 0.05,
    "neighbour_leak": 0.3,
    "neighbour_wrap": 0.3,
    "unexpected_neighbour": 0.05,
}
# Anatomy that tapers towards its ends: organs and glands have rounded poles, brain tissue and
# lesions rounded margins. Bones end on flat endplates or joints, muscles on tendons a mask
# leaves out, vessels and bowel run on beyond any one structure: an abrupt end says nothing there.
TAPERING_GROUPS = {"organ", "gland", "heart", "brain", "lesion", "cell", "other"}
UNTAPERED = {"tubular", "elongated", "sheet", "many"}
# Organs: one parenchyma (liver, spleen, kidney, lung) or one content (gallbladder, bladder)
# behind a capsule or wall, set in fat or against labelled neighbours, so their own tissue
# running on past a mask's boundary is a part left out. A gland, a lesion, a muscle or a bowel
# loop lies against tissue like its own (vessels, other muscles, other loops).
CONTINUOUS_GROUPS = {"organ"}


# Voxel size (mm) of the scan whose correct masks set the CT norms: every CT kind but the
# lesions comes from the 3 mm TotalSegmentator scan (the lesions from chest CTs of 0.57-0.63
# mm in-plane and 5 mm slices, so they keep their own grid).
CT_GRID_MM = 3.0
# The finest voxel (mm) among the MNI152 dev variants whose correct masks set the MRI norms
# (they span 1.5-3 mm); a 1 mm MRI is finer than any of them.
MRI_GRID_MM = 1.5


def reading_grid(p: Profile, ndim: int) -> float | None:
    """The voxel size a structure's evidence is read at (None: the scan's own): the grid its
    norms were measured on, or for MRI the finest of them. On a finer scan a liver's boundary
    depths, edges, intensity spread and stray voxels would otherwise be counted in smaller,
    noisier voxels than the norms know, and a correct mask would look unusual for its
    resolution alone. Lesions keep their own grid (their CT norms come from finer chest CTs)."""
    if p.group == "lesion":
        return None
    return {"CT": CT_GRID_MM, "MRI": MRI_GRID_MM}.get(family(p, ndim))


def family(p: Profile, ndim: int) -> str:
    """The modality family whose correct masks set the norms for a structure without its own."""
    if ndim == 2:
        return "2D"
    kind = modality_kind(p.modality)
    return kind if kind in ("CT", "MRI") else "generic"


def evidence(m: Measures, p: Profile) -> dict[str, float]:
    """The raw evidence figures; see docs/benchmark.md for what each means.

    Every figure is relative (a share of the mask, a ratio, a distance in voxels) or in a
    physical unit that means the same on every scan (Hounsfield units), so the norms learnt on
    some structures carry to others.
    """
    x = dict.fromkeys(FEATURES, 0.0)
    clipped = m.clipped
    if p.volume_ml is not None and m.size_unit == "mL" and m.size > 0:
        x["volume_excess"] = max(0.0, math.log(m.size / p.volume_ml.high))
        if not clipped:  # a scan that cuts the structure shows only part of its volume
            x["volume_deficit"] = max(0.0, math.log(p.volume_ml.low / m.size))
    if p.shape != "many":
        extra = sum(c.voxels for c in islands(m, p))
        x["island_share"] = math.log1p(1000.0 * extra / max(m.voxels, 1))
    if m.size > 0:  # also where holes are allowed: the norms say what is usual
        x["hole_share"] = math.log1p(1000.0 * m.hole_size / m.size)
    if not pieces_expected(p):
        x["gaps"] = math.log1p(gap_slices(m, reading_grid(p, m.ndim)))
        x["gap_flank"] = m.gap_flank
    if m.largest_jump is not None:
        x["area_jump"] = math.log(max(1.0, m.largest_jump.ratio))
    x["edge_deficit"] = 1.0 - m.edge_agreement
    sign = expected_sign(p)
    if sign > 0:
        low = p.intensity_contrast.low if p.intensity_contrast is not None else 0.0
        x["contrast_deficit"] = max(0.0, low - m.boundary_contrast)
        x["wrong_contrast"] = max(0.0, -m.boundary_contrast)
    elif sign < 0:
        high = p.intensity_contrast.high if p.intensity_contrast is not None else 0.0
        x["contrast_deficit"] = max(0.0, m.boundary_contrast - high)
        x["wrong_contrast"] = max(0.0, m.boundary_contrast)
    x["inside_spread"] = inside_spread(m, p)
    band = p.extras.get("inside_percentile")
    if band is not None:
        lo, hi = float(band[0]), float(band[1])
        x["intensity_off"] = max(0.0, lo - m.inside_percentile, m.inside_percentile - hi) / 100.0
    hu = hu_band(m, p)
    if hu is not None:
        x["attenuation_off"] = max(0.0, hu.low - m.inside_median, m.inside_median - hu.high) / HU_SCALE
        if m.foreign is not None:
            x["foreign_tissue"] = m.foreign.share
    if p.paired and m.symmetry is not None:
        x["asymmetry"] = 1.0 - m.symmetry
    if m.shape_measured:  # a mask too thin for its voxel size has no shape figures to weigh
        x["roughness"] = m.roughness
        if p.compactness is not None and m.compactness > 0:
            x["compactness_deficit"] = max(0.0, math.log(p.compactness.low / m.compactness))
    site = p.extras.get("centroid_fraction")
    if site is not None and len(site) == len(m.centroid_fraction) and not clipped:
        x["off_site"] = max(max(0.0, lo - v, v - hi) for (lo, hi), v in zip(site, m.centroid_fraction))
    if tapers(p):
        end = truncated_end(m)
        if end is not None:
            x["truncation"] = end[3]
    refinement = m.refinement
    if refinement is not None and m.size > 0:
        x["refine_shrink"] = refinement.shrink_depth
        x["refine_grow"] = refinement.grow_depth
        x["refine_excess"] = math.log1p(1000.0 * refinement.excess_region / m.size)
        x["refine_missing"] = math.log1p(1000.0 * refinement.missing_region / m.size)
        if p.group in CONTINUOUS_GROUPS:
            x["continued_tissue"] = math.log1p(1000.0 * refinement.continued_region / m.size)
        x["open_end"] = refinement.open_end
    if m.context is not None:
        if m.context.leak is not None:
            x["neighbour_leak"] = math.log1p(1000.0 * m.context.leak.share)
        x["neighbour_wrap"] = math.log1p(1000.0 * m.context.wrapped)
        if p.specific and p.neighbours:
            x["unexpected_neighbour"] = unexpected_contact(m, p)
    return x


def gap_slices(m: Measures, grid_mm: float | None) -> float:
    """Empty slices inside the mask's extent, each counted as the share of one of the norms'
    slices it is (``grid_mm`` thick): the same gap spans twice the slices on a scan of half the
    slice thickness."""
    if grid_mm is None:
        return float(len(m.gaps))
    return sum(min(1.0, m.spacing[g.axis] / grid_mm) for g in m.gaps)


def unmeasured(m: Measures, p: Profile) -> bool:
    """Whether evidence the profile expects could not be measured on this image: a CT whose
    values are not Hounsfield units, or a volume of unknown voxel size."""
    return m.not_hounsfield is not None or (p.volume_ml is not None and m.size_unit == "voxels")


def hu_band(m: Measures, p: Profile) -> Range | None:
    """The Hounsfield band the mask's median is judged against: the profile's, on a CT whose
    values can be Hounsfield units; None where attenuation cannot be judged (not Hounsfield
    units, or every voxel of the mask within reach of metal)."""
    if family(p, m.ndim) != "CT" or m.not_hounsfield is not None or m.amid_metal:
        return None
    return p.hu


def islands(m: Measures, p: Profile) -> list[Component]:
    """Components beyond the most a correct mask has; a piece on the image's border may join
    the rest beyond the scan, so it is not an island."""
    expected = max(p.components or 1, p.components_max or 1)
    return [c for c in m.components[expected:] if not c.at_border]


def unexpected_contact(m: Measures, p: Profile) -> float:
    """Share of the mask's contact with named neighbours made with structures its profile does
    not expect to touch it: a swapped label or a shifted mask sits among another's neighbours."""
    if m.context is None or not m.context.contacts:
        return 0.0
    expected = {p.structure, *p.neighbours}
    total = sum(n for _, n in m.context.contacts)
    return sum(n for name, n in m.context.contacts if canonical_structure(name) not in expected) / total


def tapers(p: Profile) -> bool:
    """Whether a correct mask of this structure narrows towards its ends (see TAPERING_GROUPS)."""
    return p.group in TAPERING_GROUPS and p.shape not in UNTAPERED


def pieces_expected(p: Profile) -> bool:
    """A structure made of several pieces (cartilages, nuclei, a bilateral pair in one mask) or
    that a slab may show in several (bowel loops) has empty slices between them by nature."""
    return p.shape == "many" or (p.components or 1) > 1 or (p.components_max or 1) > 2


def expected_sign(p: Profile) -> int:
    """+1 when the structure should be brighter than its surroundings, -1 darker, 0 no claim.

    An MRI signal is claimed only for a known sequence (the profile's ``signal``); an explicit
    contrast range in the profile claims a sign too.
    """
    signal = p.signal
    if signal in ("brighter", "darker"):
        return 1 if signal == "brighter" else -1
    r = p.intensity_contrast
    if r is not None and r.low > 0:
        return 1
    if r is not None and r.high < 0:
        return -1
    return 0


def inside_spread(m: Measures, p: Profile) -> float:
    """How much the intensity varies inside: robust SD in units of 100 HU on CT (a coefficient
    of variation of Hounsfield units means nothing, their mean can sit near zero), otherwise
    relative to the median of a non-negative image."""
    if family(p, m.ndim) == "CT":
        return 0.0 if m.amid_metal else m.inside_spread / HU_SCALE
    if m.inside_median > 1e-9:
        return min(5.0, m.inside_spread / m.inside_median)
    return 0.0


def truncated_end(m: Measures) -> tuple[int, int, float, float] | None:
    """The mask's most abrupt end inside the image: (axis, end slice, its area as a share of
    the axis' peak, how far that share exceeds a tapering shape's at this resolution).

    Anatomy tapers towards its ends; a mask cut off by a plane (a missing pole or lobe) ends
    on a slice that still holds a large share of its largest cross-section. An end on the
    image's own border is the scan's edge, not the mask's, and is left out; and a structure
    only a few slices long has large end slices whatever its shape (an ellipsoid sampled on n
    slices ends with about 2/n of its peak), so only the excess over that counts.
    """
    best = None
    for axis, area in m.area_per_slice.items():
        filled = np.flatnonzero(area > 0)
        if filled.size < 3 or area.max() <= 0:
            continue
        tapering = min(1.0, 2.0 / filled.size)
        for index in (filled[0], filled[-1]):
            if m.clipped_end(axis, int(index)):
                continue
            share = float(area[index] / area.max())
            excess = max(0.0, share - tapering)
            if best is None or (excess, share) > (best[3], best[2]):
                best = (int(axis), int(index), share, excess)
    return best


Against = Literal["structure", "kind", "family", "peers", "all"]


@dataclass(frozen=True)
class Calibration:
    """Which fitted model judges a structure, against whose correct masks, at which operating point.

    ``seen`` is False when no correct mask of the structure's kind (bone, vessel, lesion...) in
    its modality family was in the fit: it is then judged against every correct mask the fit
    knows, at the operating point that let correct masks of kinds held out of the fit pass, or,
    when ``peers`` is not zero, against that many other labels of its structure in the same
    label map. ``alone``: a body structure of a seen kind alone in its label image, whose
    operating point has moved further (``bias`` includes it) and whose log-odds have a map of
    their own. ``norms`` is the centre and scale of each figure, and ``against`` whose correct
    masks set them: the structure's own, its kind's in the family, the family's pooled, the
    peers' or (an unseen kind) every correct mask the fit knows, so a text never claims a
    comparison with correct masks of a structure the fit never saw.
    """

    model: dict[str, Any]
    norms: dict[str, dict[str, float]]
    bias: float
    seen: bool
    peers: int = 0
    alone: bool = False
    against: Against = "all"

    def mapping(self) -> dict[str, float]:
        """Slope and offset that turn the verdict's log-odds into P(acceptable), fitted on dev
        records held out as this judgement holds the structure out: by structure for a seen
        kind (alone, as a lone body-structure mask, where the family has such records), by kind
        for an unseen one or one judged against its peers."""
        maps = self.model["calibration"]
        path = PEERS if self.peers else UNSEEN if not self.seen else ALONE if self.alone and ALONE in maps else SEEN
        return dict(maps[path])


def calibration(p: Profile, ndim: int, peers: Peers | None = None, alone: bool = False) -> Calibration:
    """The structure's own norms when the dev split holds enough of its correct masks, else its
    kind's in its modality family, else (a kind with few correct masks in the fit) the family's
    pooled ones. A kind the family never saw is judged against its ``peers`` (other labels of
    its structure in the label map) when there are enough of them, else against the pooled
    norms, each at the operating point measured for it by holding kinds out of the fit (the
    pooled model's when the family had none to hold out). A seen kind judged ``alone`` (a body
    structure alone in its label image, :func:`lone_body`) has its operating point moved by the
    margin that let held-out lone correct masks pass."""
    families = load_params()["families"]
    fam = family(p, ndim)
    model = families.get(fam, families["generic"])
    kind = f"{fam}:{p.group}"
    lone = model.get("alone_margin", {}) if alone else {}
    further = float(lone.get(kind, lone.get(fam, 0.0)))
    own: tuple[tuple[str, Against], ...] = ((p.structure, "structure"), (kind, "kind"))
    for key, against in own:
        if key in model["standardisation"]:
            bias = float(model["bias"][key]) + further
            return Calibration(model, model["standardisation"][key], bias, True, alone=alone, against=against)
    if kind in model.get("kinds", ()):  # too few correct masks for norms of its own, but in the fit
        pooled = fam if fam in model["standardisation"] else "generic"
        bias = float(model["bias"][pooled]) + further
        return Calibration(model, model["standardisation"][pooled], bias, True, alone=alone, against="family")
    if peers is not None and len(peers.evidence) >= PEERS_MIN:
        model = model if PEERS in model["bias"] else families["generic"]
        norms = peer_norms(peers, model)
        bias = float(model["bias"][PEERS])
        return Calibration(model, norms, bias, seen=False, peers=len(peers.evidence), against="peers")
    if UNSEEN not in model["bias"]:
        model = families["generic"]
    return Calibration(model, model["standardisation"]["generic"], float(model["bias"][UNSEEN]), seen=False)


def standardise(
    x: np.ndarray, acceptable: np.ndarray, floor: float, percentile: float
) -> tuple[np.ndarray, np.ndarray]:
    """Centre and scale of each figure (the columns of ``x``, in FEATURES order) over the
    acceptable rows: the centre at ``percentile``, the scale from the median to the 95th
    percentile, never under ``floor`` times the figure's FLOORS, so a z of 1 means "as unusual
    as the most unusual correct masks"."""
    ok = x[acceptable] if acceptable.any() else x
    centre = np.percentile(ok, percentile, axis=0)
    spread = np.maximum(np.percentile(ok, 95, axis=0) - np.median(ok, axis=0), 0.0)
    floors = floor * np.asarray([FLOORS[f] for f in FEATURES])
    return centre, np.maximum(spread, floors)


def peer_norms(peers: Peers, model: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The norms the peers' figures give, computed as the fit computes a structure's own."""
    x = np.asarray([[e.get(f, 0.0) for f in FEATURES] for e in peers.evidence], dtype=float)
    centre, scale = standardise(x, np.ones(len(x), dtype=bool), model["floor"], model["centre_percentile"])
    return {f: {"centre": float(c), "scale": float(s)} for f, c, s in zip(FEATURES, centre, scale, strict=True)}


def judgement(m: Measures, p: Profile) -> Calibration:
    """The calibration that judges this mask: with its peers, and with the lone margin when it
    is a body structure alone in its label image."""
    return calibration(p, m.ndim, m.peers, lone_body(m, p))


def contributions(m: Measures, p: Profile) -> dict[str, float]:
    """How far each piece of evidence pushes the log-odds towards "unacceptable" (>= 0)."""
    return _weighed(m, p, judgement(m, p))


def _weighed(m: Measures, p: Profile, judged: Calibration) -> dict[str, float]:
    norm = judged.norms
    x = evidence(m, p)
    cap = float(judged.model.get("z_cap", Z_CAP))
    out = {}
    for name in FEATURES:
        weight = judged.model["weights"].get(name, 0.0)
        if weight <= 0 or name not in norm:
            out[name] = 0.0
            continue
        z = (x[name] - norm[name]["centre"]) / norm[name]["scale"]
        out[name] = weight * min(cap, max(0.0, z))
    ruled = beyond_sources(m, p) or beyond_peers(m, p)
    if ruled is not None:
        others = sum(v for k, v in out.items() if k != ruled)
        out[ruled] = max(out[ruled], judged.bias + VETO_LOGIT - others)
    return out


def beyond_sources(m: Measures, p: Profile) -> str | None:
    """The size figure the profile's own sources rule out: a volume more than BEYOND_SOURCES
    times the largest they report (a mask holding much more than the structure) or, when the
    scan shows all of it, less than the smallest over that factor. Stage-1 knowledge, not a
    fitted norm, so it holds for a kind of structure the calibration never saw."""
    if not p.specific or p.volume_ml is None or m.size_unit != "mL" or m.size <= 0:
        return None
    if m.size > BEYOND_SOURCES * p.volume_ml.high:
        return "volume_excess"
    if not m.clipped and m.size < p.volume_ml.low / BEYOND_SOURCES:
        return "volume_deficit"
    return None


def beyond_peers(m: Measures, p: Profile) -> str | None:
    """The size figure the peers rule out where the profile's sources cannot judge the size (an
    area, or a kind without a volume range): over BEYOND_SOURCES times the largest of the peers
    measured (a mask holding several of them) or, when the image shows all of it, under the
    smallest over that factor (a fragment). A rule on what was measured beside it, not a fitted
    norm, as :func:`beyond_sources` is on what the sources report."""
    peers = m.peers
    if peers is None or not sized_by_peers(m, p) or m.size <= 0:
        return None
    if m.size > BEYOND_SOURCES * max(peers.sizes):
        return "volume_excess"
    if not m.clipped and m.size < min(peers.sizes) / BEYOND_SOURCES:
        return "volume_deficit"
    return None


def sized_by_peers(m: Measures, p: Profile) -> bool:
    """Whether the mask's size is judged against its peers': it has peers, and the profile's
    sources say nothing of its size (an area, or a kind without a volume range); where they
    give a volume range they judge it, or say it could not be measured."""
    return m.peers is not None and (p.volume_ml is None or m.ndim != 3)


# Kinds of structure that lie among labelled neighbours in a whole-body label map.
NEIGHBOURED = frozenset({"organ", "gland", "vessel", "airway", "gut", "bone", "muscle", "heart"})


def lone_body(m: Measures, p: Profile) -> bool:
    """A body structure alone in its label image: no labelled neighbour to judge a leak or a
    label swap against, and a refinement free to grow into tissue a label would have claimed,
    so its evidence says less than in a label map."""
    return p.group in NEIGHBOURED and m.context is not None and m.context.alone


def decide(m: Measures, p: Profile, findings: list[Finding]) -> Decision:
    """Verdict, calibrated P(acceptable) and P(verdict right) from the weighed evidence.

    ``findings`` are the stage-3 findings; the probability comes from the same evidence they
    were written from (see :func:`contributions`), so the findings marked major or minor are
    the ones that moved it.
    """
    judged = judgement(m, p)
    logit = judged.bias - sum(_weighed(m, p, judged).values())
    if not p.specific or not judged.seen or unmeasured(m, p):
        # generic expectations, norms of other kinds, evidence that could not be measured: say so in the confidence
        logit *= UNSPECIFIC
    acceptable = logit >= 0.0
    mapped = judged.mapping()
    score = _sigmoid(mapped["slope"] * logit + mapped["offset"])
    confidence = score if acceptable else 1.0 - score
    return Decision(
        verdict="acceptable" if acceptable else "unacceptable", score=round(score, 4), confidence=round(confidence, 4)
    )


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)


@lru_cache(maxsize=1)
def _params_file() -> bytes:
    return (resources.files(__package__) / PARAMS_FILE).read_bytes()


def params_digest() -> str:
    """A short fingerprint of the fitted parameters: a verdict is only as current as they are."""
    return hashlib.sha256(_params_file()).hexdigest()[:8]


@lru_cache(maxsize=1)
def load_params() -> dict[str, Any]:
    return json.loads(_params_file())
