"""Anatomical inference: where what the mask shows disagrees with what the profile expects.

Each check compares one measured figure with its expectation and returns either a problem
(severity ``minor`` or ``major``, with the measured and the expected figure in the detail and
the slice that shows it) or an ``<check>_ok`` finding of severity ``info``, so the stage text
can also say what agreed. Thresholds that the profile does not set live in ``LIMITS``; a
profile may override any of them under the same name in its extra keys.

A check's severity is the worse of its own threshold and how far its evidence moves the
calibrated score (:func:`napari_hcr.scoring.contributions`): 0.5 log-odds or more is
``minor``, 1.5 or more ``major``. So every piece of evidence that drives the verdict is
named here with its slice, and plain facts (an empty slice) are named whatever their weight.

Finding kinds are stable machine names (documented in docs/benchmark.md); the benchmark
tests that each alteration family is recognised by the kind that names it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .attenuation import MARGIN_HU, tissue_band, tissue_name
from .knowledge import Profile
from .measures import Measures
from .metal import REACH_MM, threshold
from .refinement import Refinement
from .scoring import (
    BEYOND_SOURCES,
    beyond_peers,
    beyond_sources,
    contributions,
    expected_sign,
    family,
    hu_band,
    inside_spread,
    islands,
    judgement,
    pieces_expected,
    sized_by_peers,
    tapers,
    truncated_end,
)
from .verdict import Finding, Location, Severity
from .wording import cell, ordinal, percent, range_text, share_text, size_text, where_text

LIMITS: dict[str, float] = {
    "volume_major": 0.15,  # beyond the expected range by this share of its bound: major
    "island_major": 0.005,  # islands holding this share of the mask: major
    "island_min": 0.0005,  # islands below this share are specks: minor at most
    "hole_major": 0.002,  # enclosed holes holding this share of the mask: major
    "hole_min": 0.0005,  # holes below this share, of two voxels each at most, are specks
    "jump_minor": 2.5,  # slice-to-slice area ratio that is suspicious (a ball's tip reaches 2)
    "jump_major": 4.0,
    "symmetry_minor": 0.85,  # Dice with the mirror image, paired structures only
    "symmetry_major": 0.75,
    "compactness_margin": 0.8,  # major below this share of the expected lower bound
}

JUMP_MIN_CELLS = 4  # voxels (pixels) the smaller of two slices needs before their ratio is the anatomy's

Check = Callable[[Measures, Profile], list[Finding]]


def compare(measures: Measures, profile: Profile) -> list[Finding]:
    """Every check in turn, reconciled so one cause gives one finding; problems first (major
    before minor, each by how much it weighed in the verdict), then caveats and what agreed."""
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(measures, profile))
    c = _contributions(measures, profile)
    findings = reconcile(findings, measures, c)
    rank = {"major": 0, "minor": 1, "info": 2}
    return sorted(findings, key=lambda f: (rank[f.severity], -weight(f, c)))


# Which evidence figures each finding kind is written from: its weight in the verdict.
KIND_FEATURES: dict[str, tuple[str, ...]] = {
    "volume_high": ("volume_excess",),
    "volume_low": ("volume_deficit",),
    "spurious_islands": ("island_share",),
    "holes": ("hole_share",),
    "missing_slices": ("gaps", "gap_flank", "island_share"),  # the pieces beyond a gap are told in its text
    "area_jump": ("area_jump",),
    "boundary_off_edge": ("edge_deficit",),
    "low_contrast": ("contrast_deficit",),
    "wrong_intensity": ("wrong_contrast", "intensity_off", "attenuation_off"),
    "foreign_tissue": ("foreign_tissue",),
    "inhomogeneous_inside": ("inside_spread",),
    "asymmetry": ("asymmetry",),
    "rough_boundary": ("roughness",),
    "low_compactness": ("compactness_deficit",),
    "off_site": ("off_site",),
    "shifted": ("refine_shrink", "refine_grow"),
    "over_segmentation": ("refine_shrink",),
    "under_segmentation": ("refine_grow",),
    "leak": ("refine_excess", "neighbour_leak"),
    "missing_part": ("refine_missing", "continued_tissue", "open_end", "truncation"),
}
# Slices either side of a gap at least this share of a typical slice: the gap cut a slab out.
WHOLE_FLANK = 0.5
# Info findings that say what could not be judged (the scan's edge, metal in a CT, a mask too
# small for the image to model, a CT not in Hounsfield units, a volume of unknown voxel size):
# limits of the assessment, never "in agreement".
NOT_JUDGED = {
    "partial_view",
    "metal",
    "refinement_unmeasured",
    "attenuation_unmeasured",
    "volume_unmeasured",
    "shape_unmeasured",
}
TOO_MUCH = {"leak", "over_segmentation", "foreign_tissue"}  # the mask holds what is not the structure
TOO_LITTLE = {"under_segmentation", "missing_part"}  # ... or leaves out what is
# The refinement's region competition: moving the boundary out in one place and in at another
# can be one error seen twice. Direct measures (other tissue inside the mask, an organ's own
# tissue running on past it, a cut face, an abrupt end, a part a labelled neighbour wraps) are
# not traded.
COMPETITION = {"refine_shrink", "refine_grow", "refine_excess", "refine_missing"}


def weight(finding: Finding, c: dict[str, float]) -> float:
    return sum(c.get(name, 0.0) for name in KIND_FEATURES.get(finding.kind, ()))


def reconcile(findings: list[Finding], m: Measures, c: dict[str, float] | None = None) -> list[Finding]:
    """One cause, one finding; no finding that contradicts a heavier one.

    * Empty slices split a mask: the pieces beyond the gap are the gap's consequence, told in
      the gap's text, not a finding of islands of their own; nor is the refinement's "too
      little" found in the gap.
    * "Too much" (a leak, over-segmentation) and "too little" (under-segmentation, a missing
      part) of one mask at the same severity both stand when they are in different places (a
      mask can leak in one place and miss a part in another); a lighter one beside a heavier
      opposite, or the one of less weight (``c``, the evidence's contributions) in the same
      place, is the refinement trading one error for another, and is dropped. Only findings
      the competition decided are traded (:func:`traded`): fat inside a mask and the organ
      left beside it are both true of a displaced mask.
    """
    problems = {f.kind: f for f in findings if f.severity != "info"}
    out = list(findings)
    gap = problems.get("missing_slices")
    islands = problems.get("spurious_islands")
    if gap is not None and islands is not None:
        pieces = len(m.components)
        folded = Finding(
            gap.kind, gap.severity, f"{gap.detail}; the gap splits the mask into {pieces} pieces", gap.where
        )
        out = [folded if f is gap else f for f in out if f is not islands]
    if gap is not None:
        # The image continues the structure across the empty slices: the refinement's "too
        # little" there is the gap itself.
        rows = [g.slice for g in m.gaps if g.axis == 0] or [gap.where.slice if gap.where else -1]
        near = range(min(rows) - 3, max(rows) + 4)
        out = [f for f in out if not (f.kind in TOO_LITTLE and f.where is not None and f.where.slice in near)]
    weights = c or {}
    rank = {"info": 0, "minor": 1, "major": 2}
    heaviest = {
        side: max(
            (rank[f.severity] for f in out if f.kind in kinds and f.severity != "info" and traded(f, weights)),
            default=0,
        )
        for side, kinds in (("much", TOO_MUCH), ("little", TOO_LITTLE))
    }

    def contradicted(f: Finding) -> bool:
        if not traded(f, weights):
            return False
        if f.kind in TOO_MUCH:
            return rank[f.severity] < heaviest["little"]
        if f.kind in TOO_LITTLE:
            return rank[f.severity] < heaviest["much"]
        return False

    out = [f for f in out if f.severity == "info" or not contradicted(f)]
    much = [f for f in out if f.kind in TOO_MUCH and f.severity != "info" and traded(f, weights)]
    little = [f for f in out if f.kind in TOO_LITTLE and f.severity != "info" and traded(f, weights)]
    dropped = {
        id(lighter)
        for a in much
        for b in little
        if _same_place(a, b)
        for lighter in [min((a, b), key=lambda f: weight(f, weights))]
    }
    return [f for f in out if id(f) not in dropped]


def traded(finding: Finding, c: dict[str, float]) -> bool:
    """Whether the refinement's competition, more than a direct measure, decided a "too much"
    or "too little" finding (without contributions, every such finding is)."""
    features = KIND_FEATURES.get(finding.kind, ())
    competed = sum(c.get(name, 0.0) for name in features if name in COMPETITION)
    return competed >= sum(c.get(name, 0.0) for name in features if name not in COMPETITION)


def _same_place(a: Finding, b: Finding, slices: int = 3) -> bool:
    """Two findings seen on the same axis within a few slices of each other."""
    if a.where is None or b.where is None or a.where.axis != b.where.axis:
        return False
    return abs(a.where.slice - b.where.slice) <= slices


def limit(profile: Profile, name: str) -> float:
    return float(profile.extras.get(name, LIMITS[name]))


def _main_slice(m: Measures) -> Location:
    """The slice that shows most of the mask: where a whole-mask finding is best seen; in 2-D
    the mask's centre, since "the whole image" finds no nucleus among a hundred."""
    if m.ndim == 3:
        return Location(0, int(m.largest_area_slice.get(0, 0)))
    return Location.at(tuple(f * n for f, n in zip(m.centroid_fraction, m.shape, strict=True)), 2)


def label_name(p: Profile) -> str:
    """A structure as a label table names it ("nucleus"), without the profile's gloss."""
    return p.structure.replace("_", " ")


def _ok(kind: str, detail: str, where: Location | None = None) -> list[Finding]:
    return [Finding(f"{kind}_ok", "info", detail, where)]


MINOR_LOGIT = 0.5  # evidence that moves the log-odds this much is worth naming
MAJOR_LOGIT = 1.5  # ... and this much can decide a verdict on its own


def _contributions(m: Measures, p: Profile) -> dict[str, float]:
    return contributions(m, p)


# How a kind of structure is named in "correct CT masks of bones".
KIND_PLURALS = {
    "bone": "bones",
    "organ": "organs",
    "vessel": "vessels",
    "muscle": "muscles",
    "gut": "the stomach and bowel",
    "gland": "glands",
    "lesion": "lesions",
    "brain": "brain structures",
    "heart": "heart structures",
    "airway": "airways",
    "cell": "cells",
}
FAMILY_NAMES = {"CT": "CT ", "MRI": "MRI ", "2D": "2-D "}


def compared_with(m: Measures, p: Profile) -> str:
    """Whose correct masks a figure was found unusual against: the structure's own only when
    the calibration holds them; a structure it never saw is compared with its kind, its
    modality's or its peers', and the text must not claim more."""
    judged = judgement(m, p)
    modality = FAMILY_NAMES.get(family(p, m.ndim), "")
    if judged.against == "structure":
        return f"correct masks of {p.display_name}"
    if judged.against == "kind":
        return f"correct {modality}masks of {KIND_PLURALS.get(p.group, 'its kind of structure')}"
    if judged.against == "family":
        return f"correct {modality}masks of any structure"
    if judged.against == "peers":
        return f"the image's {judged.peers} other {label_name(p)} labels"
    return "correct masks of every structure the calibration knows"


def _grade(contribution: float) -> Severity:
    if contribution >= MAJOR_LOGIT:
        return "major"
    if contribution >= MINOR_LOGIT:
        return "minor"
    return "info"


def _worse(a: Severity, b: Severity) -> Severity:
    order: tuple[Severity, ...] = ("info", "minor", "major")
    return order[max(order.index(a), order.index(b))]


def _graded(m: Measures, p: Profile, severity: Severity, *features: str) -> Severity:
    """The worse of the check's own threshold and how much its evidence moved the verdict,
    so every finding that drives the verdict is named, and a plain fact (an empty slice) is
    named whatever its weight."""
    c = _contributions(m, p)
    return _worse(severity, _grade(sum(c.get(f, 0.0) for f in features)))


def _worst_or_main(m: Measures) -> Location:
    """The slice where the image-driven refinement moved the boundary most, when known."""
    r = m.refinement
    if r is not None and r.where is not None:
        return r.where
    return _main_slice(m)


def check_volume(m: Measures, p: Profile) -> list[Finding]:
    if sized_by_peers(m, p):
        return check_size_among_peers(m, p)
    if p.volume_ml is None or m.ndim != 3:
        return []
    low, high = p.volume_ml.low, p.volume_ml.high
    expected = range_text(low, high, "mL")
    if m.size_unit != "mL":
        detail = (
            f"The voxel size is unknown (the file states none), so the mask's {m.voxels:,} voxels were not judged "
            f"against the expected {expected} of {p.display_name}, and its confidence is lowered; give the spacing "
            "(napari-hcr assess --spacing, or the layers' scale) to judge its size"
        )
        return [Finding("volume_unmeasured", "info", detail)]
    size = size_text(m.size, "mL")
    margin = limit(p, "volume_major")
    where = _main_slice(m)
    ruled = beyond_sources(m, p)
    factor = f"{BEYOND_SOURCES:g}"
    if m.size > high:
        severity = _graded(m, p, "major" if m.size > high * (1 + margin) else "minor", "volume_excess")
        detail = f"volume {size}, above the expected {expected}" + (
            f", over {factor} times the largest its sources report: more than this structure alone" if ruled else ""
        )
        return [Finding("volume_high", severity, detail, where)]
    if m.size < low and m.clipped:
        return _ok("volume", f"visible volume {size}: the scan shows only part of the structure, expected {expected}.")
    if m.size < low:
        severity = _graded(m, p, "major" if m.size < low * (1 - margin) else "minor", "volume_deficit")
        detail = f"volume {size}, below the expected {expected}" + (
            f", under 1/{factor} of the smallest its sources report: not the whole structure" if ruled else ""
        )
        return [Finding("volume_low", severity, detail, where)]
    return _ok("volume", f"volume {size} lies within the expected {expected}.")


def check_size_among_peers(m: Measures, p: Profile) -> list[Finding]:
    """The size against the other labels of the structure it was weighed against: only a size
    far beyond theirs is a finding (:func:`~napari_hcr.scoring.beyond_peers`)."""
    assert m.peers is not None
    word = "area" if m.ndim == 2 else "volume"
    name = label_name(p)
    unit = m.size_unit
    size = size_text(m.size, unit)
    count = len(m.peers.sizes)
    sizes = f"{size_text(min(m.peers.sizes), unit)} to {size_text(max(m.peers.sizes), unit)}"
    seen = f"the {count} other {name} labels measured ({sizes})"
    ruled = beyond_peers(m, p)
    factor = f"{BEYOND_SOURCES:g}"
    where = _main_slice(m)
    if ruled == "volume_excess":
        detail = f"{word} {size}, over {factor} times the largest of {seen}: more than one {name}"
        return [Finding("volume_high", "major", detail, where)]
    if ruled == "volume_deficit":
        detail = f"{word} {size}, under 1/{factor} of the smallest of {seen}: not a whole {name}"
        return [Finding("volume_low", "major", detail, where)]
    return _ok("volume", f"{word} {size}, within {factor} times the sizes of {seen}.")


def check_field_of_view(m: Measures, p: Profile) -> list[Finding]:
    """A caveat, not a fault: where the scan ends, the mask cannot be judged beyond it."""
    if m.context is None or not m.context.clipped:
        return []
    axis, side = next((a, s) for a, cut in enumerate(m.context.cut) for s in (0, 1) if cut[s])
    index = 0 if side == 0 else m.shape[axis] - 1
    cut_axes = sum(1 for a, b in m.context.cut if a or b)
    detail = (
        f"the image does not cover the {p.display_name} entirely: the mask reaches the image border at "
        f"{where_text(Location(axis, index))}"
        + (f" and on {cut_axes - 1} more side(s)" if cut_axes > 1 else "")
        + "; its size and ends are judged as far as the scan shows them"
    )
    return [Finding("partial_view", "info", detail, Location(axis, index) if m.ndim == 3 else None)]


def check_metal(m: Measures, p: Profile) -> list[Finding]:
    """A caveat, not a fault: attenuation near metal is the artefact's (metal.py)."""
    metal, band = m.metal, tissue_band(p)
    if metal is None or band is None:
        return []
    found = (
        f"the mask holds metal ({size_text(metal.inside, m.size_unit)} above {threshold(band):.0f} HU"
        if metal.inside > 0
        else f"metal lies within {REACH_MM:.0f} mm of the mask ("
    )
    detail = (
        found + f" at {where_text(metal.where)}: an implant, a clip or a wire); the attenuation of "
        f"{share_text(metal.share)} of the mask, within {REACH_MM:.0f} mm of it, was not judged: metal and the "
        "streaks it throws are not tissue"
    )
    return [Finding("metal", "info", detail, metal.where)]


def check_islands(m: Measures, p: Profile) -> list[Finding]:
    if p.shape == "many":
        return _ok("components", f"{len(m.components)} connected component(s), as expected for {p.display_name}.")
    expected = max(p.components or 1, p.components_max or 1)
    extra = islands(m, p)
    share = sum(c.voxels for c in extra) / max(m.voxels, 1)
    own: Severity = "info"
    if extra and share >= limit(p, "island_min"):
        own = "major" if share >= limit(p, "island_major") else "minor"
    if p.components is None and share < 1.0 - float(p.extras.get("main_component_fraction_min", 0.98)):
        own = "info"  # the profile tolerates small partial-volume pieces
    severity = _graded(m, p, own, "island_share")
    if not extra or severity == "info":
        return _ok(
            "components",
            f"{len(m.components)} connected component(s); {share_text(share)} of the mask lies outside the main one.",
        )
    biggest = max(extra, key=lambda c: c.voxels)
    detail = (
        f"{len(extra)} piece(s) apart from the main body ({share_text(share)} of the mask, "
        f"largest {size_text(biggest.size, m.size_unit)}); expected {expected} connected component(s)"
    )
    return [Finding("spurious_islands", severity, detail, biggest.where)]


def check_holes(m: Measures, p: Profile) -> list[Finding]:
    share = m.hole_size / max(m.size, 1e-9)
    own: Severity = "info"
    # A voxel or two left out inside (a vessel, partial volume) is no flaw; a left-out lesion is.
    voxels = m.hole_size * m.voxels / max(m.size, 1e-9)
    speck = share < limit(p, "hole_min") and voxels <= 2 * m.holes
    if not p.holes_allowed and m.holes and not speck:
        own = "major" if share >= limit(p, "hole_major") else "minor"
    severity = _graded(m, p, own, "hole_share")
    if severity == "info":
        if not m.holes:
            return _ok("holes", "no enclosed holes.")
        holes = f"{m.holes} enclosed hole(s) of {size_text(m.hole_size, m.size_unit)} ({share_text(share)} of the mask)"
        return _ok(
            "holes", f"{holes}, {'usual for ' + p.display_name if p.holes_allowed else 'specks too small to matter'}."
        )
    expectation = "a correct mask has none" if not p.holes_allowed else f"more than {compared_with(m, p)} show"
    detail = (
        f"{m.holes} enclosed hole(s) totalling {size_text(m.hole_size, m.size_unit)} "
        f"({share_text(share)} of the mask); {expectation}"
    )
    return [Finding("holes", severity, detail, m.largest_hole)]


def check_gaps(m: Measures, p: Profile) -> list[Finding]:
    if m.ndim != 3 or pieces_expected(p):
        return []
    if not m.gaps:
        return _ok("continuity", "no empty slices inside the mask's extent.")
    first = m.gaps[0]
    cut = (
        f"; a gap has whole cross-sections on both sides ({percent(m.gap_flank)} of a typical slice): "
        "a slab of the structure is left out, not a thin part broken"
        if m.gap_flank >= WHOLE_FLANK
        else ""
    )
    detail = (
        f"{len(m.gaps)} empty slice(s) inside the mask's extent, from {where_text(first)}{cut}; "
        "a correct mask is continuous from slice to slice"
    )
    return [Finding("missing_slices", "major", detail, first)]


def check_jump(m: Measures, p: Profile) -> list[Finding]:
    j = m.largest_jump
    if m.ndim != 3 or j is None:
        return []
    where = Location(j.axis, j.slice)
    own: Severity = "info"
    # A ratio of a few voxels' areas is the grid's, not the anatomy's: one voxel to five is 5x.
    face = math.prod(s for axis, s in enumerate(m.spacing) if axis != j.axis) if m.slice_area_unit == "mm²" else 1.0
    if j.ratio >= limit(p, "jump_minor") and min(j.before, j.after) / face >= JUMP_MIN_CELLS:
        own = "major" if j.ratio >= limit(p, "jump_major") else "minor"
    severity = _graded(m, p, own, "area_jump")
    if severity != "info":
        detail = (
            f"area changes {j.ratio:.1f}x between neighbouring slices ({j.before:.0f} to {j.after:.0f} "
            f"{m.slice_area_unit}), "
            f"more than a smooth anatomy allows"
        )
        return [Finding("area_jump", severity, detail, where)]
    return _ok("area_jump", f"slice-to-slice area changes stay at or below {j.ratio:.1f}x.")


def check_edges(m: Measures, p: Profile) -> list[Finding]:
    severity = _graded(m, p, "info", "edge_deficit")
    if severity != "info":
        detail = (
            f"only {percent(m.edge_agreement)} of the boundary lies on an image edge, "
            f"fewer than on {compared_with(m, p)}"
        )
        return [Finding("boundary_off_edge", severity, detail, _worst_or_main(m))]
    return _ok("boundary", f"{percent(m.edge_agreement)} of the boundary follows image edges.")


def check_contrast(m: Measures, p: Profile) -> list[Finding]:
    sign = expected_sign(p)
    if sign == 0:
        return []
    c = m.boundary_contrast
    r = p.intensity_contrast
    expected = (
        f"{r.low:+.1f} to {r.high:+.1f} SD"
        if r is not None
        else ("brighter" if sign > 0 else "darker") + " than around"
    )
    severity = _graded(m, p, "major" if c * sign < 0 else "info", "wrong_contrast")
    if severity != "info":
        detail = (
            f"contrast across the boundary {c:+.2f} SD has the opposite sign to the expected "
            f"{expected}: the mask is not on this structure's tissue"
        )
        return [Finding("wrong_intensity", severity, detail, _main_slice(m))]
    severity = _graded(m, p, "info", "contrast_deficit")
    if severity != "info":
        detail = f"contrast across the boundary {c:+.2f} SD, weaker than the expected {expected}"
        return [Finding("low_contrast", severity, detail, _worst_or_main(m))]
    return _ok("contrast", f"contrast across the boundary {c:+.2f} SD (expected {expected}).")


def check_inside(m: Measures, p: Profile) -> list[Finding]:
    findings: list[Finding] = []
    ct = family(p, m.ndim) == "CT"
    if ct and m.amid_metal:
        return []  # no voxel of it holds tissue values: the metal caveat says so
    band = p.extras.get("inside_percentile")
    if band is not None:
        lo, hi = float(band[0]), float(band[1])
        own: Severity = "info" if lo <= m.inside_percentile <= hi else "minor"
        severity = _graded(m, p, own, "intensity_off")
        if severity != "info":
            detail = (
                f"inside intensity sits at the {ordinal(m.inside_percentile)} percentile of the image "
                f"foreground, outside the expected {ordinal(lo)}-{ordinal(hi)} for {p.display_name}: "
                "the mask may be on the wrong structure"
            )
            findings.append(Finding("wrong_intensity", severity, detail, _main_slice(m)))
    hu = hu_band(m, p)
    if hu is not None:
        severity = _graded(m, p, "info", "attenuation_off")
        if severity != "info":
            detail = (
                f"median attenuation inside {m.inside_median:.0f} HU, outside the {hu.low:.0f} to {hu.high:.0f} HU "
                f"expected of {p.display_name}: the mask is on other tissue"
            )
            findings.append(Finding("wrong_intensity", severity, detail, _main_slice(m)))
        findings.extend(check_foreign(m, p))
    unit = " HU" if m.not_hounsfield is None else ""
    spread = f"±{m.inside_spread:.0f}{unit}" if ct else percent(inside_spread(m, p))
    severity = _graded(m, p, "info", "inside_spread")
    if severity != "info":
        detail = f"inside intensity varies by {spread}, more than inside {compared_with(m, p)}: it mixes tissues"
        findings.append(Finding("inhomogeneous_inside", severity, detail, _worst_or_main(m)))
    if not findings:
        level = f"median {m.inside_median:.0f}{unit}" if ct else f"{ordinal(m.inside_percentile)} percentile"
        findings = _ok("intensity", f"inside intensity fits the structure ({spread} spread, {level}).")
    if ct and m.not_hounsfield is not None:
        detail = (
            f"The image's values are not read as Hounsfield units: {m.not_hounsfield}. The attenuation of "
            f"{p.display_name} was therefore not judged; the verdict rests on the other evidence, and its "
            "confidence is lowered"
        )
        findings.append(Finding("attenuation_unmeasured", "info", detail))
    return findings


def check_foreign(m: Measures, p: Profile) -> list[Finding]:
    """A part of a CT mask whose attenuation its structure never has: other tissue inside."""
    foreign = m.foreign
    band = tissue_band(p)
    severity = _graded(m, p, "info", "foreign_tissue")
    if foreign is None or foreign.typical is None or foreign.where is None or band is None or severity == "info":
        return []
    detail = (
        f"{share_text(foreign.share)} of the mask has attenuation around {foreign.typical:.0f} HU "
        f"({tissue_name(foreign.typical)}), more than {MARGIN_HU:.0f} HU outside the {band.low:.0f} to "
        f"{band.high:.0f} HU of {p.display_name}, the largest part {size_text(foreign.size, m.size_unit)}: "
        "the mask holds other tissue"
    )
    return [Finding("foreign_tissue", severity, detail, foreign.where)]


def check_symmetry(m: Measures, p: Profile) -> list[Finding]:
    if not p.paired or m.symmetry is None:
        return []
    minor, major = limit(p, "symmetry_minor"), limit(p, "symmetry_major")
    own: Severity = "info" if m.symmetry >= minor else "major" if m.symmetry < major else "minor"
    severity = _graded(m, p, own, "asymmetry")
    if severity != "info":
        detail = f"left-right symmetry {m.symmetry:.2f}, below the expected {minor:.2f}"
        return [Finding("asymmetry", severity, detail, _worst_or_main(m))]
    return _ok("symmetry", f"left-right symmetry {m.symmetry:.2f}.")


def check_shape(m: Measures, p: Profile) -> list[Finding]:
    if not m.shape_measured:
        detail = (
            f"the mask is about one {cell(m.ndim)} thick at this {cell(m.ndim)} size, too thin for its "
            "compactness or boundary roughness to be measured"
        )
        return [Finding("shape_unmeasured", "info", detail)]
    findings: list[Finding] = []
    severity = _graded(m, p, "info", "roughness")
    if severity != "info":
        detail = f"boundary roughness {m.roughness:.2f}, rougher than {compared_with(m, p)}"
        findings.append(Finding("rough_boundary", severity, detail, _main_slice(m)))
    if p.compactness is not None:
        own: Severity = "info"
        if m.compactness < p.compactness.low:
            own = "major" if m.compactness < p.compactness.low * limit(p, "compactness_margin") else "minor"
        severity = _graded(m, p, own, "compactness_deficit")
        if severity != "info":
            detail = (
                f"compactness {m.compactness:.2f}, below the expected {p.compactness.low:.2f}-{p.compactness.high:.2f}"
            )
            findings.append(Finding("low_compactness", severity, detail, _main_slice(m)))
    if not findings:
        figures = f"compactness {m.compactness:.2f}, roughness {m.roughness:.2f}"
        if p.compactness is not None and not p.compactness.low <= m.compactness <= p.compactness.high:
            typical = f"{p.compactness.low:.2f}-{p.compactness.high:.2f}"
            return _ok("shape", f"shape: {figures} (compactness typically {typical}).")
        return _ok("shape", f"shape as expected ({figures}).")
    return findings


def check_site(m: Measures, p: Profile) -> list[Finding]:
    band = p.extras.get("centroid_fraction")
    if band is None or len(band) != len(m.centroid_fraction):
        return []
    for axis, ((lo, hi), value) in enumerate(zip(band, m.centroid_fraction)):
        if not lo <= value <= hi:
            detail = (
                f"centre at {percent(value)} of the field along axis {axis}, outside the expected "
                f"{percent(lo)}-{percent(hi)} for {p.site}"
            )
            return [Finding("off_site", _graded(m, p, "minor", "off_site"), detail, _main_slice(m))]
    return _ok("site", "centre lies where expected.")


def _depth(r: Refinement, depth: float, cells: str) -> str:
    """A boundary depth in the scan's voxels, or in mm when it counts the norms' larger voxels."""
    return f"{depth:.1f} {cells}" if r.depth_unit_mm is None else f"{depth * r.depth_unit_mm:.1f} mm"


def check_refinement(m: Measures, p: Profile) -> list[Finding]:
    """Name the failure the image-driven refinement points to: the boundary beyond the image
    edge all round (over-segmentation), short of it all round (under-segmentation), both ways
    (a shift), or a large region the image puts outside (a leak) or inside (a missing part)."""
    r = m.refinement
    cells = "voxels" if m.ndim == 3 else "pixels"
    if r is None:
        detail = (
            f"the mask has too few {cells} deep inside it to model its intensity, so no image-driven "
            "refinement could support or dispute its boundary"
        )
        return [Finding("refinement_unmeasured", "info", detail)]
    moved = (
        f"an image-driven refinement keeps {percent(r.agreement)} agreement (Dice) with the mask, "
        f"adding {share_text(r.grown)} and removing {share_text(r.shrunk)} of its {'area' if m.ndim == 2 else 'volume'}"
    )
    c = _contributions(m, p)
    findings: list[Finding] = []
    shrink = _grade(c.get("refine_shrink", 0.0))
    grow = _grade(c.get("refine_grow", 0.0))
    where = r.where or _main_slice(m)
    if shrink != "info" and grow != "info":
        detail = (
            f"{moved}: the boundary lies about {_depth(r, r.shrink_depth, cells)} beyond the image edge in "
            f"places and {_depth(r, r.grow_depth, cells)} short of it in others, as when the whole mask is displaced"
        )
        findings.append(Finding("shifted", _worse(shrink, grow), detail, where))
    elif shrink != "info":
        detail = f"{moved}: the boundary lies on average {_depth(r, r.shrink_depth, cells)} outside the image edge"
        findings.append(Finding("over_segmentation", shrink, detail, r.excess_where or where))
    elif grow != "info":
        detail = f"{moved}: the boundary lies on average {_depth(r, r.grow_depth, cells)} inside the image edge"
        findings.append(Finding("under_segmentation", grow, detail, r.missing_where or where))
    unit = m.size_unit
    excess = _grade(c.get("refine_excess", 0.0))
    if excess != "info" and r.excess_where is not None:
        detail = (
            f"a region of {size_text(r.excess_region, unit)} of the mask lies more than a voxel beyond the "
            "image edge of the structure: the mask leaks into the neighbouring tissue there"
        )
        findings.append(Finding("leak", excess, detail, r.excess_where))
    # Three views of one missing part: the heaviest that the verdict weighed tells it. Alone in
    # its label image, nothing claims the tissue beside a mask, so what runs on may also be a
    # neighbour of like tissue: the text says so rather than claim more than was seen.
    alone = m.context is not None and m.context.alone
    unclaimed = "into tissue no label of this image marks" if alone else "into space no other label claims"
    unsure = " (or a neighbouring structure of like tissue: the label image holds no other structure)" if alone else ""
    missing = {
        "refine_missing": (
            r.missing_where,
            f"the image continues the structure for {size_text(r.missing_region, unit)} beyond the mask's "
            f"boundary: a part of the structure is missing there{unsure}",
        ),
        "continued_tissue": (
            r.continued_where,
            f"tissue of the mask's own intensity runs on for {size_text(r.continued_region, unit)} beyond its "
            f"boundary, {unclaimed}: the mask stops inside the structure, a part is missing there{unsure}",
        ),
        "open_end": (
            r.open_end_where,
            f"the mask ends on a cut face ({percent(r.open_end)} of its largest cross-section): its own tissue "
            f"runs straight on through it, {unclaimed}, so the structure goes on beyond the cut and a part is "
            f"missing there{unsure}",
        ),
    }
    heaviest = max(missing, key=lambda name: c.get(name, 0.0))
    severity = _grade(c.get(heaviest, 0.0))
    place, detail = missing[heaviest]
    if severity != "info" and place is not None:
        findings.append(Finding("missing_part", severity, detail, place))
    if not findings:
        return _ok("refinement", f"{moved}; the image supports the boundary.")
    return findings


def check_ends(m: Measures, p: Profile) -> list[Finding]:
    end = truncated_end(m)
    if m.ndim != 3 or end is None or not tapers(p):
        return []
    axis, index, share, _ = end
    severity = _graded(m, p, "info", "truncation")
    if severity == "info":
        if share <= 0.5:
            return _ok(
                "ends", f"the mask tapers towards its ends (largest end {percent(share)} of its peak cross-section)."
            )
        # A structure a few slices long ends on large slices whatever its shape (truncated_end).
        length = int((m.area_per_slice[axis] > 0).sum())
        return _ok(
            "ends",
            f"no end looks cut off: the largest holds {percent(share)} of the peak cross-section, as the end of a "
            f"structure only {length} slices long on axis {axis} may.",
        )
    detail = (
        f"the mask stops abruptly at {where_text(Location(axis, index))} with {percent(share)} of its largest "
        "cross-section inside the image, where the anatomy tapers off: the part beyond is missing"
    )
    return [Finding("missing_part", severity, detail, Location(axis, index))]


def check_neighbours(m: Measures, p: Profile) -> list[Finding]:
    """A part of the mask that a labelled neighbour wraps and that looks like the neighbour."""
    leak = None if m.context is None else m.context.leak
    severity = _graded(m, p, "info", "neighbour_leak")
    if leak is None or severity == "info":
        if m.context is not None and m.context.neighbours:
            return _ok(
                "neighbours", f"borders {len(m.context.neighbours)} labelled structure(s) without taking from them."
            )
        return []
    detail = (
        f"{size_text(leak.size, m.size_unit)} ({share_text(leak.share)} of the mask) lies inside the labelled "
        f"{leak.name.replace('_', ' ')}, which wraps around it, and has its intensity: "
        "the mask leaks into that neighbour"
    )
    return [Finding("leak", severity, detail, leak.where)]


CHECKS: tuple[Check, ...] = (
    check_field_of_view,
    check_metal,
    check_volume,
    check_islands,
    check_holes,
    check_gaps,
    check_jump,
    check_edges,
    check_contrast,
    check_inside,
    check_symmetry,
    check_shape,
    check_site,
    check_ends,
    check_neighbours,
    check_refinement,
)
