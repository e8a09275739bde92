"""The embedded default backend: every stage computed from the profile and the measures.

No network, no model weights. The stage texts are written from the same evidence an LLM
backend receives, with the figures and slices spelled out, so a person can check each claim
against the viewer. The findings and the calibrated decision come from
:mod:`napari_hcr.findings` and :mod:`napari_hcr.scoring`, shared with the benchmark.
"""

from __future__ import annotations

from .. import __version__
from ..attenuation import MARGIN_HU, tissue_band
from ..errors import BackendError
from ..findings import NOT_JUDGED, compare, label_name
from ..knowledge import Profile
from ..knowledge.templates import GROUP_NOUN
from ..measures import Measures
from ..scoring import (
    decide,
    expected_sign,
    family,
    inside_spread,
    judgement,
    lone_body,
    params_digest,
    truncated_end,
)
from ..stages import CaseFacts, StageRequest
from ..verdict import BackendUsage, Finding, Location, doubtful
from ..wording import COUNT_UNITS, cell, cells, ordinal, percent, range_text, share_text, size_text, where_text
from .base import StageAnswer

# The offline "model" is this release with its fitted calibration: a cached assessment made by
# another one (an earlier release, a refit) is never served as this one's verdict.
VERSION = f"offline-{__version__}+{params_digest()}"


class OfflineBackend:
    name = "offline"

    def __init__(self, model: str | None = None):
        self.model = model or VERSION

    def open(self, facts: CaseFacts) -> OfflineSession:
        return OfflineSession(self.model)


class OfflineSession:
    def __init__(self, model: str):
        self._model = model
        self._calls = 0
        self._findings: list[Finding] | None = None

    def answer(self, request: StageRequest) -> StageAnswer:
        self._calls += 1
        stage = request.spec.name
        if stage == "knowledge_recall":
            return StageAnswer(recall_text(request.profile))
        if stage == "visual_feature_analysis":
            text, observations = describe(_measures(request), request)
            return StageAnswer(text, tuple(observations))
        findings = self._compare(request)
        if stage == "anatomical_inference":
            return StageAnswer(inference_text(findings, request.measures, request.profile), tuple(findings))
        decision = decide(_measures(request), request.profile, findings)
        return StageAnswer(
            synthesis_text(
                findings, decision.verdict, decision.score, decision.confidence, request.profile, request.measures
            ),
            tuple(f for f in findings if f.severity != "info"),
            decision,
        )

    def _compare(self, request: StageRequest) -> list[Finding]:
        if self._findings is None:
            self._findings = compare(_measures(request), request.profile)
        return self._findings

    def usage(self) -> BackendUsage:
        return BackendUsage(name="offline", model=self._model, calls=self._calls)

    def close(self) -> None:
        self._findings = None


def recall_text(profile: Profile) -> str:
    unit = "mL"
    lines = [f"A correct {profile.display_name} segmentation on {profile.modality}. {_sentence(profile.description)}"]
    if profile.volume_ml:
        lines.append(f"Expected size: {range_text(profile.volume_ml.low, profile.volume_ml.high, unit)}.")
    if profile.components is not None:
        noun = "component" if profile.components == 1 else "components"
        lines.append(f"Topology: {profile.components} connected {noun}; {profile.topology}.")
    else:
        lines.append(f"Topology: {profile.topology}.")
    lines.append("Enclosed holes are " + ("possible." if profile.holes_allowed else "not expected."))
    if profile.compactness:
        lines.append(f"Compactness typically {profile.compactness.low:.2f}-{profile.compactness.high:.2f}.")
    lines.append(f"Site: {_sentence(profile.site)}")
    lines.append(f"Intensity: {_sentence(profile.intensity)}")
    if profile.paired:
        lines.append("The structure is paired or left-right symmetric; a lopsided mask is suspect.")
    if profile.failures:
        lines.append("Failures that matter clinically: " + "; ".join(f.rstrip(". ") for f in profile.failures) + ".")
    return " ".join(lines)


def describe(m: Measures, request: StageRequest) -> tuple[str, list[Finding]]:
    """Stage 2: what the mask shows, figure by figure, with where to look."""
    observations: list[Finding] = []
    size = "" if m.size_unit in COUNT_UNITS else f", {size_text(m.size, m.size_unit)}"  # a count says it already
    parts = [f"The mask covers {m.voxels:,} {cells(m.ndim)}{size}."]
    if m.nonfinite_share > 0:
        parts.append(
            f"{share_text(m.nonfinite_share)} of the image's {cells(m.ndim)} are not numbers (NaN or infinite); "
            "every intensity figure below ignores them."
        )
    if len(m.components) == 1:
        parts.append("It is one connected component.")
    else:
        main, *rest = m.components
        islands = ", ".join(f"{size_text(c.size, m.size_unit)} at {where_text(c.where)}" for c in rest[:4])
        more = f" and {len(rest) - 4} smaller" if len(rest) > 4 else ""
        parts.append(
            f"It has {len(m.components)} connected components: the main one holds "
            f"{percent(main.voxels / max(m.voxels, 1))} of the mask; the others are {islands}{more}."
        )
        for c in rest[:4]:
            observations.append(
                Finding("island_seen", "info", f"Separate piece of {size_text(c.size, m.size_unit)}.", c.where)
            )
    if m.holes:
        parts.append(
            f"It encloses {m.holes} hole{'s' if m.holes > 1 else ''} totalling "
            f"{size_text(m.hole_size, m.size_unit)}, the largest at {where_text(m.largest_hole)}."
        )
        observations.append(Finding("hole_seen", "info", f"{m.holes} enclosed hole(s).", m.largest_hole))
    else:
        parts.append("It encloses no holes.")
    if m.shape_measured:
        parts.append(
            f"Compactness {m.compactness:.2f}, boundary roughness {m.roughness:.2f} "
            f"(0 is as smooth as a lightly smoothed copy)."
        )
    else:
        parts.append(f"It is about one {cell(m.ndim)} thick: too thin to measure its compactness or roughness.")
    parts.append(
        f"{percent(m.edge_agreement)} of the boundary lies on a strong image edge; contrast across the "
        f"boundary is {m.boundary_contrast:+.2f} pooled standard deviations (inside mean {m.inside_mean:.3g}, "
        f"just outside {m.outside_mean:.3g}); {inside_text(m, request.profile)}."
    )
    if m.gaps:
        shown = ", ".join(where_text(g) for g in m.gaps[:6])
        parts.append(
            f"{len(m.gaps)} empty slice(s) lie inside the mask's extent: {shown}; the slices either side of "
            f"the fullest gap are {percent(m.gap_flank)} of a typical slice."
        )
        observations.extend(Finding("gap_seen", "info", "Empty slice inside the mask's extent.", g) for g in m.gaps[:6])
    elif m.ndim == 3:
        parts.append("No empty slices inside the mask's extent.")
    if m.largest_jump is not None:
        j = m.largest_jump
        parts.append(
            f"The largest slice-to-slice area change is {j.ratio:.1f}x at axis {j.axis} slice {j.slice} "
            f"({j.before:.0f} to {j.after:.0f} {m.slice_area_unit})."
        )
    if m.symmetry is not None and request.profile.side not in ("left", "right"):
        # A structure of one side (a kidney, the liver) has no mirror image within itself.
        parts.append(f"Left-right symmetry (Dice with its mirror image) is {m.symmetry:.2f}.")
    if request.snapshots:
        places = [(where_text(Location(s.ref.axis, s.ref.slice)), s.ref.why) for s in request.snapshots]
        views = "; ".join(place if why == place else f"{place} ({why})" for place, why in places)
        parts.append(f"Snapshots: {views}.")
    return " ".join(parts), observations


def inside_text(m: Measures, p: Profile) -> str:
    """The inside intensity in the scale its modality has: Hounsfield units are absolute and
    their mean can sit near zero, so a CT gets median and spread in HU, not a relative variation
    (in the image's own values, said to be so, when they cannot be Hounsfield units)."""
    if family(p, m.ndim) != "CT":
        return (
            f"the inside intensity varies by {percent(inside_spread(m, p))} (robust spread over the median) and "
            f"its median sits at the {ordinal(m.inside_percentile)} percentile of the image foreground"
        )
    if m.not_hounsfield is not None:
        return (
            f"inside, the median value is {m.inside_median:.4g} with a spread of ±{m.inside_spread:.3g}, not read as "
            f"Hounsfield units because {m.not_hounsfield}"
        )
    if m.amid_metal:
        return f"all of its {cells(m.ndim)} lie within reach of metal, so its attenuation is not read"
    text = f"inside, the median attenuation is {m.inside_median:.0f} HU with a spread of ±{m.inside_spread:.0f} HU"
    if m.metal is not None:
        text += f" (leaving out the {share_text(m.metal.share)} of its {cells(m.ndim)} within reach of metal)"
    band = tissue_band(p)
    if m.foreign is not None and band is not None:
        text += (
            f"; {share_text(m.foreign.share)} of its {cells(m.ndim)} lie more than {MARGIN_HU:.0f} HU outside "
            f"the {band.low:.0f} to {band.high:.0f} HU of {p.display_name}"
        )
    return text


def inference_text(findings: list[Finding], m: Measures | None = None, profile: Profile | None = None) -> str:
    """Stage 3: the disagreements, then what agrees; a check whose figure lies outside its expected
    range is never listed as agreeing, even when it weighs too little to count as a problem."""
    problems = [f for f in findings if f.severity != "info"]
    limits = [f for f in findings if f.kind in NOT_JUDGED]
    info = [f for f in findings if f.severity == "info" and f.kind not in NOT_JUDGED]
    outside = [f for f in info if m is not None and profile is not None and outside_expected(f, m, profile)]
    agreed = [f for f in info if f not in outside]
    if not problems:
        lines = ["What the mask shows agrees with what is expected on every check."]
    else:
        lines = [f"{len(problems)} disagreement(s) with the expected anatomy:"]
        for f in sorted(problems, key=lambda f: f.severity != "major"):
            lines.append(f"[{f.severity}] {_sentence(f.detail)[:-1]} (at {where_text(f.where)}).")
    if outside:
        lines.append(
            "Outside the expected range, though too slight to count against the mask on its own: "
            + " ".join(_sentence(f.detail) for f in outside)
        )
    if agreed:
        lines.append("In agreement: " + " ".join(_sentence(f.detail) for f in agreed))
    if limits:
        lines.append("Not judged: " + " ".join(_sentence(f.detail) for f in limits))
    return " ".join(lines)


def outside_expected(finding: Finding, m: Measures, p: Profile) -> bool:
    """Whether an ``_ok`` finding's own figure lies outside the range the profile expects."""
    if finding.kind == "contrast_ok":
        r = p.intensity_contrast
        if r is not None:
            return not r.low <= m.boundary_contrast <= r.high
        return m.boundary_contrast * expected_sign(p) <= 0
    if finding.kind == "volume_ok" and p.volume_ml is not None and m.ndim == 3:
        cut = m.size < p.volume_ml.low and truncated_end(m) is not None  # the scan shows only part of it
        return not cut and not p.volume_ml.low <= m.size <= p.volume_ml.high
    if finding.kind == "shape_ok" and p.compactness is not None:
        return not p.compactness.low <= m.compactness <= p.compactness.high
    band = p.extras.get("inside_percentile")
    if finding.kind == "intensity_ok" and band is not None:
        return not float(band[0]) <= m.inside_percentile <= float(band[1])
    return False


def synthesis_text(
    findings: list[Finding],
    verdict: str,
    score: float,
    confidence: float,
    profile: Profile | None = None,
    m: Measures | None = None,
) -> str:
    major = [f for f in findings if f.severity == "major"]
    minor = [f for f in findings if f.severity == "minor"]
    head = f"Verdict: {verdict} (probability acceptable {score:.2f}, confidence {confidence:.2f})."
    if doubtful(verdict, confidence):
        head += (
            " Passed on doubtful evidence: masks with evidence like this are more often flawed than not, but the "
            "reasoner rejects only on evidence that correct masks of structures it was not fitted on rarely show, "
            "so this one passes; review it before relying on it."
        )
    tail = "".join(f" {c}" for c in caveats(findings, profile, m))
    if verdict == "unacceptable":
        deciding = major or minor
        reasons = " ".join(f"{_sentence(f.detail)[:-1]} (at {where_text(f.where)})." for f in deciding[:4])
        why = f" Decided by: {reasons}" if reasons else " The combined evidence falls below the acceptance threshold."
        return head + why + " Correct these regions before the mask is used clinically." + tail
    if major:
        agreed = sum(
            1
            for f in findings
            if f.kind.endswith("_ok")
            and not (m is not None and profile is not None and outside_expected(f, m, profile))
        )
        notes = " ".join(f"{_sentence(f.detail)[:-1]} (at {where_text(f.where)})." for f in major[:2])
        checks = "check that agrees" if agreed == 1 else "checks that agree"
        return (
            head + f" A major deviation stands: {notes} It is outweighed by the {agreed} {checks} with the "
            "expected anatomy, so the combined evidence stays above the acceptance threshold; look at this region "
            "before relying on the mask." + tail
        )
    if minor:
        notes = " ".join(f"{_sentence(f.detail)[:-1]} (at {where_text(f.where)})." for f in minor[:3])
        return head + f" Remaining deviations are within what is clinically tolerable: {notes}" + tail
    if any(f.kind in NOT_JUDGED for f in findings):  # say only what was measured matches
        return head + " What could be measured matches the expected anatomy." + tail
    return head + " Size, topology, boundary and intensity all match the expected anatomy." + tail


def caveats(findings: list[Finding], profile: Profile | None, m: Measures | None = None) -> list[str]:
    """What limits the judgement itself: a structure without a profile, a kind of structure the
    calibration never saw in this modality, a mask of a body structure with no labelled
    neighbour to judge a leak against, a scan that cuts it."""
    out = []
    if profile is not None and not profile.specific:
        out.append(
            "No profile of its own exists for this structure: it was judged on expectations that hold for any "
            "anatomy, so the judgement is less specific and its confidence is lowered."
        )
    elif profile is not None and m is not None and not (judged := judgement(m, profile)).seen:
        where = {"CT": "CT", "MRI": "MRI", "2D": "2-D images"}.get(family(profile, m.ndim), "this modality")
        noun = "cell nucleus" if profile.group == "cell" else GROUP_NOUN[profile.group]
        head = f"No correct mask of any {noun} on {where} was among those the offline reasoner was calibrated on: "
        if judged.peers:
            out.append(
                head + f"this one was weighed against {judged.peers} other {label_name(profile)} "
                "labels of its label map, taken as correct, so a fault they all share would not stand out, and the "
                "judgement is less specific."
            )
        else:
            out.append(
                head + "this one was weighed against all the correct masks it knows, at the operating point that "
                "let correct masks of kinds held out of its calibration pass, so the judgement is less specific."
            )
    if profile is not None and m is not None and lone_body(m, profile):
        out.append(
            "The label image holds no other structure, so a leak into a neighbouring structure of like tissue, which "
            "a label map would show as a bite taken out of that neighbour, can go unseen: load the whole label map "
            "where there is one."
        )
    out.extend(_sentence(f.detail) for f in findings if f.kind in NOT_JUDGED)
    return out


def _sentence(text: str) -> str:
    """Profile and finding phrases come with or without capitals and stops; make them sentences."""
    text = text.strip().rstrip(".")
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _measures(request: StageRequest) -> Measures:
    """The measures a stage that looks at the evidence always gets from the reasoner."""
    if request.measures is None:
        raise BackendError(f"The {request.spec.title.lower()} stage was asked without the measures.")
    return request.measures
