"""Anatomical inference: where what the mask shows disagrees with what the profile expects.

Each check compares one measured figure with its expectation and returns either a problem
(severity ``minor`` or ``major``, with the measured and the expected figure in the detail and
the slice that shows it) or an ``<check>_ok`` finding of severity ``info``, so the stage text
can also say what agreed. Thresholds that the profile does not set live in ``LIMITS``; a
profile may override any of them under the same name in its extra keys.

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
    "jump_minor": 1.8,  # slice-to-slice area ratio that is suspicious
    "jump_major": 3.0,
    "edge_minor": 0.45,  # share of the boundary on a strong image edge
    "edge_major": 0.30,
    "cv_minor": 0.30,  # coefficient of variation of the inside intensity
    "cv_major": 0.45,
    "symmetry_minor": 0.85,  # Dice with the mirror image, paired structures only
    "symmetry_major": 0.75,
    "roughness_minor": 0.45,
    "roughness_major": 0.80,
    "compactness_margin": 0.8,  # major below this share of the expected lower bound
    "refine_minor": 0.06,  # share of the mask the image-driven refinement moves
    "refine_major": 0.12,
    "offset_major_vox": 1.5,  # mean boundary offset (voxels) that makes a whole-surface error major
    "offset_minor_vox": 0.9,
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
        severity = "major" if m.size > high * (1 + margin) else "minor"
        return [Finding("volume_high", severity, f"volume {size}, above the expected {expected}", where)]
    if m.size < low:
        severity = "major" if m.size < low * (1 - margin) else "minor"
        return [Finding("volume_low", severity, f"volume {size}, below the expected {expected}", where)]
    return _ok("volume", f"volume {size} lies within the expected {expected}.")


def check_islands(m: Measures, p: Profile) -> list[Finding]:
    expected = p.components if p.components is not None else 1
    extra = m.components[expected:]
    if not extra:
        return _ok("components", f"{len(m.components)} connected component(s), as expected.")
    share = sum(c.voxels for c in extra) / max(m.voxels, 1)
    biggest = max(extra, key=lambda c: c.voxels)
    if share < limit(p, "island_min"):
        severity = "minor"
    else:
        severity = "major" if share >= limit(p, "island_major") else "minor"
    unit = m.size_unit
    detail = (
        f"{len(extra)} piece(s) apart from the expected {expected} ({percent(share)} of the mask, "
        f"largest {size_text(biggest.size, unit)}); expected {expected} connected component(s)"
    )
    return [Finding("spurious_islands", severity, detail, biggest.where)]


def check_holes(m: Measures, p: Profile) -> list[Finding]:
    if p.holes_allowed:
        return []
    if m.holes == 0:
        return _ok("holes", "no enclosed holes, as expected.")
    share = m.hole_size / max(m.size, 1e-9)
    severity = "major" if share >= limit(p, "hole_major") else "minor"
    detail = (
        f"{m.holes} enclosed hole(s) totalling {size_text(m.hole_size, m.size_unit)} "
        f"({percent(share)} of the mask); a correct mask has none"
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
    if j.ratio >= limit(p, "jump_minor"):
        severity = "major" if j.ratio >= limit(p, "jump_major") else "minor"
        detail = (
            f"area changes {j.ratio:.1f}x between neighbouring slices ({j.before:.0f} to {j.after:.0f} mm²), "
            f"above the {limit(p, 'jump_minor'):.1f}x a smooth anatomy allows"
        )
        return [Finding("area_jump", severity, detail, where)]
    return _ok("area_jump", f"slice-to-slice area changes stay below {j.ratio:.1f}x.")


def check_edges(m: Measures, p: Profile) -> list[Finding]:
    minor, major = limit(p, "edge_minor"), limit(p, "edge_major")
    if m.edge_agreement < minor:
        severity = "major" if m.edge_agreement < major else "minor"
        detail = f"only {percent(m.edge_agreement)} of the boundary lies on an image edge, below the expected {percent(minor)}"
        return [Finding("boundary_off_edge", severity, detail, _worst_or_main(m))]
    return _ok("boundary", f"{percent(m.edge_agreement)} of the boundary follows image edges.")


def check_contrast(m: Measures, p: Profile) -> list[Finding]:
    r = p.intensity_contrast
    if r is None:
        return []
    c = m.boundary_contrast
    expected = f"{r.low:+.1f} to {r.high:+.1f}"
    if c < r.low or c > r.high:
        wrong_sign = (r.low > 0 and c < 0) or (r.high < 0 and c > 0)
        if wrong_sign:
            detail = (
                f"contrast across the boundary {c:+.2f} SD has the opposite sign to the expected "
                f"{expected} SD: the mask is not on this structure's tissue"
            )
            return [Finding("wrong_intensity", "major", detail, _main_slice(m))]
        if abs(c) < min(abs(r.low), abs(r.high)):
            detail = f"contrast across the boundary {c:+.2f} SD, weaker than the expected {expected} SD"
            return [Finding("low_contrast", "minor", detail, _worst_or_main(m))]
        return _ok("contrast", f"contrast across the boundary {c:+.2f} SD, stronger than the expected {expected} SD.")
    return _ok("contrast", f"contrast across the boundary {c:+.2f} SD, within the expected {expected} SD.")


def check_inside(m: Measures, p: Profile) -> list[Finding]:
    minor, major = limit(p, "cv_minor"), limit(p, "cv_major")
    findings: list[Finding] = []
    band = p.extras.get("inside_percentile")
    if band is not None:
        lo, hi = float(band[0]), float(band[1])
        if not lo <= m.inside_percentile <= hi:
            detail = (
                f"inside intensity sits at the {m.inside_percentile:.0f}th percentile of the image "
                f"foreground, outside the expected {lo:.0f}-{hi:.0f}th for {p.display_name}"
            )
            findings.append(Finding("wrong_intensity", "major", detail, _main_slice(m)))
    if m.inside_cv > minor:
        severity = "major" if m.inside_cv > major else "minor"
        detail = f"inside intensity varies by {percent(m.inside_cv)}, above the expected {percent(minor)}"
        findings.append(Finding("inhomogeneous_inside", severity, detail, _worst_or_main(m)))
    if not findings:
        return _ok("intensity", f"inside intensity is homogeneous ({percent(m.inside_cv)} variation).")
    return findings


def check_symmetry(m: Measures, p: Profile) -> list[Finding]:
    if not p.paired or m.symmetry is None:
        return []
    minor, major = limit(p, "symmetry_minor"), limit(p, "symmetry_major")
    if m.symmetry < minor:
        severity = "major" if m.symmetry < major else "minor"
        detail = f"left-right symmetry {m.symmetry:.2f}, below the expected {minor:.2f}"
        return [Finding("asymmetry", severity, detail, _worst_or_main(m))]
    return _ok("symmetry", f"left-right symmetry {m.symmetry:.2f}.")


def check_shape(m: Measures, p: Profile) -> list[Finding]:
    findings: list[Finding] = []
    minor, major = limit(p, "roughness_minor"), limit(p, "roughness_major")
    if m.roughness > minor:
        severity = "major" if m.roughness > major else "minor"
        detail = f"boundary roughness {m.roughness:.2f}, above the expected {minor:.2f}"
        findings.append(Finding("rough_boundary", severity, detail, _main_slice(m)))
    if p.compactness is not None and m.compactness < p.compactness.low:
        severity = "major" if m.compactness < p.compactness.low * limit(p, "compactness_margin") else "minor"
        detail = (
            f"compactness {m.compactness:.2f}, below the expected "
            f"{p.compactness.low:.2f}-{p.compactness.high:.2f}"
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
            return [Finding("off_site", "major", detail, _main_slice(m))]
    return _ok("site", f"centre lies where expected ({p.site}).")


def check_refinement(m: Measures, p: Profile) -> list[Finding]:
    """Name the failure the image-driven refinement points to: it moved the boundary in all
    round (over-segmentation), out all round (under-segmentation), both ways (shift), or a lot
    in one place (a leak or a missing part)."""
    r = _refinement(m)
    if r is None:
        return []
    minor, major = limit(p, "offset_minor_vox"), limit(p, "offset_major_vox")
    where = r.where or _main_slice(m)
    moved = (
        f"an image-driven refinement keeps {percent(r.agreement)} agreement (Dice) with the mask, "
        f"adding {percent(r.grown)} and removing {percent(r.shrunk)} of its volume"
    )
    findings: list[Finding] = []
    if r.shrink_depth >= minor and r.grow_depth >= minor:
        severity = "major" if min(r.shrink_depth, r.grow_depth) >= major else "minor"
        detail = (f"{moved}: the boundary lies about {r.shrink_depth:.1f} voxels beyond the image edge on one side "
                  f"and {r.grow_depth:.1f} voxels short of it on the other, expected under {minor:.1f}")
        findings.append(Finding("shifted", severity, detail, where))
    elif r.shrink_depth >= minor:
        severity = "major" if r.shrink_depth >= major else "minor"
        detail = f"{moved}: the boundary lies about {r.shrink_depth:.1f} voxels outside the image edge, expected under {minor:.1f}"
        findings.append(Finding("over_segmentation", severity, detail, where))
    elif r.grow_depth >= minor:
        severity = "major" if r.grow_depth >= major else "minor"
        detail = f"{moved}: the boundary lies about {r.grow_depth:.1f} voxels inside the image edge, expected under {minor:.1f}"
        findings.append(Finding("under_segmentation", severity, detail, where))
    local_minor, local_major = limit(p, "refine_minor"), limit(p, "refine_major")
    if r.local_disagreement >= local_minor and not findings:
        severity = "major" if r.local_disagreement >= local_major else "minor"
        detail = (f"the image disagrees with the mask locally: {percent(r.local_disagreement)} of the mask "
                  f"near {where_text(where)} changes side under refinement, expected under {percent(local_minor)}")
        findings.append(Finding("refinement_disagreement", severity, detail, where))
    if not findings:
        return _ok("refinement", f"{moved}; the image supports the boundary.")
    return findings


def _refinement(m: Measures) -> Any:
    return getattr(m, "refinement", None)


def _worst_or_main(m: Measures) -> Location:
    """The slice where the image-driven refinement moved the boundary most, when known."""
    r = _refinement(m)
    if r is not None and r.where is not None:
        return r.where
    return _main_slice(m)


CHECKS: tuple[Check, ...] = (
    check_volume, check_islands, check_holes, check_gaps, check_jump, check_edges,
    check_contrast, check_inside, check_symmetry, check_shape, check_site, check_refinement,
)
