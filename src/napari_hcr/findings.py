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

from collections.abc import Callable
from typing import Any

from .knowledge import Profile
from .measures import Measures
from .verdict import Finding, Location
from .wording import percent, range_text, size_text, where_text

LIMITS: dict[str, float] = {
    "volume_major": 0.15,  # beyond the expected range by this share of its bound: major
    "island_major": 0.005,  # islands holding this share of the mask: major
    "island_min": 0.0005,  # islands below this share are specks: minor at most
    "hole_major": 0.002,  # enclosed holes holding this share of the mask: major
    "jump_minor": 2.5,  # slice-to-slice area ratio that is suspicious (a ball's tip reaches 2)
    "jump_major": 4.0,
    "symmetry_minor": 0.85,  # Dice with the mirror image, paired structures only
    "symmetry_major": 0.75,
    "compactness_margin": 0.8,  # major below this share of the expected lower bound
}

Check = Callable[[Measures, Profile], list[Finding]]


def compare(measures: Measures, profile: Profile) -> list[Finding]:
    """Every check in turn; problems first (major before minor), then what agreed."""
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(measures, profile))
    rank = {"major": 0, "minor": 1, "info": 2}
    return sorted(findings, key=lambda f: rank[f.severity])


def limit(profile: Profile, name: str) -> float:
    return float(profile.extras.get(name, LIMITS[name]))


def _main_slice(m: Measures) -> Location:
    """The slice that shows most of the mask: where a whole-mask finding is best seen."""
    if m.ndim == 3:
        return Location(0, int(m.largest_area_slice.get(0, 0)))
    return Location(-1, 0)


def _ok(kind: str, detail: str, where: Location | None = None) -> list[Finding]:
    return [Finding(f"{kind}_ok", "info", detail, where)]


def check_volume(m: Measures, p: Profile) -> list[Finding]:
    if p.volume_ml is None or m.ndim != 3:
        return []
    low, high = p.volume_ml.low, p.volume_ml.high
    expected = range_text(low, high, "mL")
    size = size_text(m.size, "mL")
    margin = limit(p, "volume_major")
    where = _main_slice(m)
    if m.size > high:
        severity = _graded(m, p, "major" if m.size > high * (1 + margin) else "minor", "volume_excess")
        return [Finding("volume_high", severity, f"volume {size}, above the expected {expected}", where)]
    if m.size < low:
        severity = _graded(m, p, "major" if m.size < low * (1 - margin) else "minor", "volume_deficit")
        return [Finding("volume_low", severity, f"volume {size}, below the expected {expected}", where)]
    return _ok("volume", f"volume {size} lies within the expected {expected}.")


def check_islands(m: Measures, p: Profile) -> list[Finding]:
    expected = p.components if p.components is not None else 1
    extra = m.components[expected:]
    share = sum(c.voxels for c in extra) / max(m.voxels, 1)
    own = "info"
    if extra and share >= limit(p, "island_min"):
        own = "major" if share >= limit(p, "island_major") else "minor"
    if p.components is None and share < 1.0 - float(p.extras.get("main_component_fraction_min", 0.98)):
        own = "info"  # the profile tolerates small partial-volume pieces
    severity = _graded(m, p, own, "island_share")
    if not extra or severity == "info":
        return _ok(
            "components",
            f"{len(m.components)} connected component(s); {percent(share)} of the mask lies outside the main one.",
        )
    biggest = max(extra, key=lambda c: c.voxels)
    detail = (
        f"{len(extra)} piece(s) apart from the main body ({percent(share)} of the mask, "
        f"largest {size_text(biggest.size, m.size_unit)}); expected {expected} connected component(s)"
    )
    return [Finding("spurious_islands", severity, detail, biggest.where)]


def check_holes(m: Measures, p: Profile) -> list[Finding]:
    share = m.hole_size / max(m.size, 1e-9)
    own = "info"
    if not p.holes_allowed and m.holes:
        own = "major" if share >= limit(p, "hole_major") else "minor"
    severity = _graded(m, p, own, "hole_share")
    if severity == "info":
        if not m.holes:
            return _ok("holes", "no enclosed holes.")
        return _ok("holes", f"{m.holes} enclosed hole(s) ({percent(share)} of the mask), usual for {p.display_name}.")
    expectation = "a correct mask has none" if not p.holes_allowed else "more than correct masks of this structure show"
    detail = (
        f"{m.holes} enclosed hole(s) totalling {size_text(m.hole_size, m.size_unit)} "
        f"({percent(share)} of the mask); {expectation}"
    )
    return [Finding("holes", severity, detail, m.largest_hole)]


def check_gaps(m: Measures, p: Profile) -> list[Finding]:
    if m.ndim != 3:
        return []
    if not m.gaps:
        return _ok("continuity", "no empty slices inside the mask's extent.")
    first = m.gaps[0]
    detail = (
        f"{len(m.gaps)} empty slice(s) inside the mask's extent, from {where_text(first)}; "
        "a correct mask is continuous from slice to slice"
    )
    return [Finding("missing_slices", "major", detail, first)]


def check_jump(m: Measures, p: Profile) -> list[Finding]:
    j = m.largest_jump
    if m.ndim != 3 or j is None:
        return []
    where = Location(j.axis, j.slice)
    own = "info"
    if j.ratio >= limit(p, "jump_minor"):
        own = "major" if j.ratio >= limit(p, "jump_major") else "minor"
    severity = _graded(m, p, own, "area_jump")
    if severity != "info":
        detail = (
            f"area changes {j.ratio:.1f}x between neighbouring slices ({j.before:.0f} to {j.after:.0f} mm²), "
            f"more than a smooth anatomy allows"
        )
        return [Finding("area_jump", severity, detail, where)]
    return _ok("area_jump", f"slice-to-slice area changes stay at or below {j.ratio:.1f}x.")


def check_edges(m: Measures, p: Profile) -> list[Finding]:
    severity = _graded(m, p, "info", "edge_deficit")
    if severity != "info":
        detail = (
            f"only {percent(m.edge_agreement)} of the boundary lies on an image edge, "
            f"fewer than on correct masks of {p.display_name}"
        )
        return [Finding("boundary_off_edge", severity, detail, _worst_or_main(m))]
    return _ok("boundary", f"{percent(m.edge_agreement)} of the boundary follows image edges.")


def check_contrast(m: Measures, p: Profile) -> list[Finding]:
    r = p.intensity_contrast
    if r is None:
        return []
    c = m.boundary_contrast
    expected = f"{r.low:+.1f} to {r.high:+.1f}"
    wrong_sign = (r.low > 0 and c < 0) or (r.high < 0 and c > 0)
    severity = _graded(m, p, "major" if wrong_sign else "info", "wrong_contrast")
    if severity != "info":
        detail = (
            f"contrast across the boundary {c:+.2f} SD has the opposite sign to the expected "
            f"{expected} SD: the mask is not on this structure's tissue"
        )
        return [Finding("wrong_intensity", severity, detail, _main_slice(m))]
    severity = _graded(m, p, "info", "contrast_deficit")
    if severity != "info":
        detail = f"contrast across the boundary {c:+.2f} SD, weaker than the expected {expected} SD"
        return [Finding("low_contrast", severity, detail, _worst_or_main(m))]
    return _ok("contrast", f"contrast across the boundary {c:+.2f} SD (expected {expected} SD).")


def check_inside(m: Measures, p: Profile) -> list[Finding]:
    findings: list[Finding] = []
    band = p.extras.get("inside_percentile")
    if band is not None:
        lo, hi = float(band[0]), float(band[1])
        own = "info" if lo <= m.inside_percentile <= hi else "minor"
        severity = _graded(m, p, own, "intensity_off")
        if severity != "info":
            detail = (
                f"inside intensity sits at the {m.inside_percentile:.0f}th percentile of the image "
                f"foreground, outside the expected {lo:.0f}-{hi:.0f}th for {p.display_name}: "
                "the mask may be on the wrong structure"
            )
            findings.append(Finding("wrong_intensity", severity, detail, _main_slice(m)))
    severity = _graded(m, p, "info", "inside_cv")
    if severity != "info":
        detail = (
            f"inside intensity varies by {percent(m.inside_cv)}, more than inside correct masks of "
            f"{p.display_name}: it mixes tissues"
        )
        findings.append(Finding("inhomogeneous_inside", severity, detail, _worst_or_main(m)))
    if not findings:
        return _ok(
            "intensity",
            f"inside intensity fits the structure ({percent(m.inside_cv)} variation, "
            f"{m.inside_percentile:.0f}th percentile).",
        )
    return findings


def check_symmetry(m: Measures, p: Profile) -> list[Finding]:
    if not p.paired or m.symmetry is None:
        return []
    minor, major = limit(p, "symmetry_minor"), limit(p, "symmetry_major")
    own = "info" if m.symmetry >= minor else "major" if m.symmetry < major else "minor"
    severity = _graded(m, p, own, "asymmetry")
    if severity != "info":
        detail = f"left-right symmetry {m.symmetry:.2f}, below the expected {minor:.2f}"
        return [Finding("asymmetry", severity, detail, _worst_or_main(m))]
    return _ok("symmetry", f"left-right symmetry {m.symmetry:.2f}.")


def check_shape(m: Measures, p: Profile) -> list[Finding]:
    findings: list[Finding] = []
    severity = _graded(m, p, "info", "roughness")
    if severity != "info":
        detail = f"boundary roughness {m.roughness:.2f}, rougher than correct masks of {p.display_name}"
        findings.append(Finding("rough_boundary", severity, detail, _main_slice(m)))
    if p.compactness is not None:
        own = "info"
        if m.compactness < p.compactness.low:
            own = "major" if m.compactness < p.compactness.low * limit(p, "compactness_margin") else "minor"
        severity = _graded(m, p, own, "compactness_deficit")
        if severity != "info":
            detail = (
                f"compactness {m.compactness:.2f}, below the expected {p.compactness.low:.2f}-{p.compactness.high:.2f}"
            )
            findings.append(Finding("low_compactness", severity, detail, _main_slice(m)))
    if not findings:
        return _ok("shape", f"shape as expected (compactness {m.compactness:.2f}, roughness {m.roughness:.2f}).")
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


def check_refinement(m: Measures, p: Profile) -> list[Finding]:
    """Name the failure the image-driven refinement points to: the boundary beyond the image
    edge all round (over-segmentation), short of it all round (under-segmentation), both ways
    (a shift), or a large region the image puts outside (a leak) or inside (a missing part)."""
    r = _refinement(m)
    if r is None:
        return []
    moved = (
        f"an image-driven refinement keeps {percent(r.agreement)} agreement (Dice) with the mask, "
        f"adding {percent(r.grown)} and removing {percent(r.shrunk)} of its volume"
    )
    c = _contributions(m, p)
    findings: list[Finding] = []
    shrink = _grade(c.get("refine_shrink", 0.0))
    grow = _grade(c.get("refine_grow", 0.0))
    where = r.where or _main_slice(m)
    if shrink != "info" and grow != "info":
        detail = (
            f"{moved}: the boundary lies about {r.shrink_depth:.1f} voxels beyond the image edge in places "
            f"and {r.grow_depth:.1f} voxels short of it in others, as when the whole mask is displaced"
        )
        findings.append(Finding("shifted", _worse(shrink, grow), detail, where))
    elif shrink != "info":
        detail = f"{moved}: the boundary lies on average {r.shrink_depth:.1f} voxels outside the image edge"
        findings.append(Finding("over_segmentation", shrink, detail, r.excess_where or where))
    elif grow != "info":
        detail = f"{moved}: the boundary lies on average {r.grow_depth:.1f} voxels inside the image edge"
        findings.append(Finding("under_segmentation", grow, detail, r.missing_where or where))
    unit = m.size_unit
    excess = _grade(c.get("refine_excess", 0.0))
    if excess != "info" and r.excess_where is not None:
        detail = (
            f"a region of {size_text(r.excess_region, unit)} of the mask lies more than a voxel beyond the "
            "image edge of the structure: the mask leaks into the neighbouring tissue there"
        )
        findings.append(Finding("leak", excess, detail, r.excess_where))
    missing = _grade(c.get("refine_missing", 0.0))
    if missing != "info" and r.missing_where is not None:
        detail = (
            f"the image continues the structure for {size_text(r.missing_region, unit)} beyond the mask's "
            "boundary: a part of the structure is missing there"
        )
        findings.append(Finding("missing_part", missing, detail, r.missing_where))
    if not findings:
        return _ok("refinement", f"{moved}; the image supports the boundary.")
    return findings


MINOR_LOGIT = 0.5  # evidence that moves the log-odds this much is worth naming
MAJOR_LOGIT = 1.5  # ... and this much can decide a verdict on its own


def _contributions(m: Measures, p: Profile) -> dict[str, float]:
    from .scoring import contributions

    return contributions(m, p)


def _grade(contribution: float) -> str:
    if contribution >= MAJOR_LOGIT:
        return "major"
    if contribution >= MINOR_LOGIT:
        return "minor"
    return "info"


def _worse(a: str, b: str) -> str:
    order = ("info", "minor", "major")
    return order[max(order.index(a), order.index(b))]


def _graded(m: Measures, p: Profile, severity: str, *features: str) -> str:
    """The worse of the check's own threshold and how much its evidence moved the verdict,
    so every finding that drives the verdict is named, and a plain fact (an empty slice) is
    named whatever its weight."""
    c = _contributions(m, p)
    return _worse(severity, _grade(sum(c.get(f, 0.0) for f in features)))


def _refinement(m: Measures) -> Any:
    return getattr(m, "refinement", None)


def _worst_or_main(m: Measures) -> Location:
    """The slice where the image-driven refinement moved the boundary most, when known."""
    r = _refinement(m)
    if r is not None and r.where is not None:
        return r.where
    return _main_slice(m)


def check_ends(m: Measures, p: Profile) -> list[Finding]:
    from .scoring import truncated_end

    end = truncated_end(m)
    if m.ndim != 3 or end is None:
        return []
    axis, index, share = end
    severity = _graded(m, p, "info", "truncation")
    if severity == "info":
        return _ok(
            "ends", f"the mask tapers towards its ends (largest end {percent(share)} of its peak cross-section)."
        )
    detail = (
        f"the mask stops abruptly at axis {axis} slice {index} with {percent(share)} of its largest "
        "cross-section, where the anatomy tapers off: the part beyond is missing"
    )
    return [Finding("missing_part", severity, detail, Location(axis, index))]


CHECKS: tuple[Check, ...] = (
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
    check_refinement,
)
