"""What an LLM is told at each stage: the conversation rebuilt from a :class:`StageRequest`.

Transport-free and deterministic, so the Gemini and OpenAI-compatible backends send the same
words and the same question always produces the same prompt (the cache relies on
``PROMPT_VERSION`` meaning exactly that). The conversation is rebuilt from the request each
time rather than kept as mutable chat history: the earlier stages' validated answers become
the model's own turns, and the evidence (snapshot images and the measures) travels once,
with the first stage that looks at the case, so later stages refer back to it instead of
paying for the pixels again.

Only pixels of a few slices and numbers are sent: no file names, paths or image metadata.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from ..knowledge import Profile, Range
from ..stages import STAGES, CaseFacts, StageRequest, StageSpec
from ..verdict import Finding, StageResult

MAX_IMAGE_SIDE = 768  # one 768x768 tile on Gemini 2.5 (~258 tokens); more pixels buy nothing
AXIS_NAMES_3D = ("axial", "coronal", "sagittal")

SYSTEM = (
    "You are a radiologist reviewing the quality of a medical image segmentation. You judge "
    "whether one mask is clinically acceptable, in four stages: knowledge recall, visual "
    "feature analysis, anatomical inference and clinical synthesis. You see only a few slice "
    "snapshots (the mask outlined in colour over the image) and measurements computed from "
    "the image and the mask. Array conventions: a 3-D array has axes (axial, coronal, "
    "sagittal); axis 0 runs inferior to superior, axis 1 anterior to posterior, axis 2 "
    "patient right to left (radiological view). A location is an array axis and a slice "
    "index along it; use null for both when a finding is not local. Severity is info, minor "
    "or major: major means the mask would mislead a clinical decision. Answer every stage "
    "with one JSON object that follows the given schema, and nothing else."
)

MEASURE_NOTES: dict[str, str] = {
    "size": "mask volume (3-D) or area (2-D), unit in size_unit",
    "compactness": "1 for a sphere/disc, lower for elongated or ragged shapes",
    "roughness": "extra boundary area against a smoothed copy; 0 is smooth",
    "shape_measured": "false when the mask is about one voxel thick, too thin for compactness and roughness "
    "to mean anything: do not judge its shape from them",
    "edge_agreement": "share of the boundary lying on an image edge (0-1)",
    "boundary_contrast": "intensity step across the boundary, inside minus outside, in inside-spread units",
    "inside_percentile": "percentile of the inside mean within the whole image",
    "extent_fraction": "mask extent per axis as a fraction of the image",
    "centroid_fraction": "mask centre per axis as a fraction of the image (0 = first slice)",
    "symmetry": "left-right overlap of the mask with its mirror (0-1), paired structures",
    "largest_jump": "largest slice-to-slice area change along an axis",
    "gaps": "empty slices inside the mask's extent",
    "gap_flank": "how whole the slices either side of a gap are: the smaller side as a share of a typical "
    "slice along that axis (0-1; near 1 a slab was left out of a solid structure, small where a mask breaks "
    "at a thin part)",
    "refinement": "how far an image-driven refinement moved the mask: agreement is its Dice with the "
    "mask, grown/shrunk the share of volume added/removed, depths in voxels (in units of depth_unit_mm "
    "when set: a CT finer than the 3 mm grid its calibration was measured on is read on that grid), "
    "excess_region/missing_region the largest solid part the image puts outside/inside "
    "(mL), local_disagreement the share of the mask around that part it covers (0-1), "
    "continued_region the largest part of the mask's own tissue running on beyond its boundary "
    "into space no other label claims (mL; on an organ, a part the mask leaves out), open_end the largest "
    "end face (3-D) through which the mask's own tissue runs straight on into unlabelled space, as a share of "
    "its largest cross-section (0-1; a mask cut off across the slices)",
    "foreign": "CT: share of the mask's voxels more than 50 HU outside the attenuation its tissue and contents "
    "may have, the size and slice of their largest connected part, and their median HU (typical)",
    "metal": "CT: metal (an implant, a clip, a wire) in or within 10 mm of the mask: share of the mask within "
    "that reach, whose attenuation was left out of every intensity figure (its streaks are not tissue), inside "
    "the volume of metal within the mask itself, and the slice of the largest piece; null when there is none. "
    "Judge no attenuation there",
    "not_hounsfield": "CT: why the image's values cannot be Hounsfield units (null: they can, or not a CT); "
    "when set, judge no attenuation in HU",
    "context": "the image's border slices the mask reaches (cut: per axis, first and last), the labels touching it "
    "(neighbours; contacts: named ones with the boundary voxels each touches), the largest share of the mask one "
    "neighbour wraps (wrapped), a part wrapped by a neighbour and looking like it (leak), and alone: true when the "
    "label image holds no other structure, so a leak into a neighbour of like tissue cannot show",
    "peers": "other labels of the label map named as the same structure (labels: those measured; available: how "
    "many the map holds; size_range: the smallest and largest size among those measured, in size_unit) against "
    "which a kind without calibration was judged; null when none were used",
}


@dataclass(frozen=True)
class Image:
    png: bytes
    mime_type: str = "image/png"


Part = str | Image


@dataclass(frozen=True)
class Turn:
    """One message: who speaks, and its text and image parts in order."""

    role: Literal["user", "model"]
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        return "\n".join(p for p in self.parts if isinstance(p, str))


def conversation(request: StageRequest) -> list[Turn]:
    """The whole exchange up to this stage's question: earlier questions, their answers, this one."""
    index = _index(request.spec)
    turns: list[Turn] = []
    for spec, result in zip(STAGES[:index], request.earlier):
        turns.append(stage_turn(request, spec))
        turns.append(Turn("model", (answer_json(result),)))
    turns.append(stage_turn(request, request.spec))
    return turns


def stage_turn(request: StageRequest, spec: StageSpec) -> Turn:
    """The user's message that opens stage ``spec`` of the run ``request`` belongs to."""
    index = _index(spec)
    lines = [
        f"Stage {index + 1} of {len(STAGES)}: {spec.title}.",
        spec.instructions.format(structure=request.profile.display_name, modality=request.facts.modality),
    ]
    if index == 0:
        lines += ["", case_text(request.facts), "", "Reference profile:", profile_text(request.profile)]
    parts: list[Part] = []
    first_look = _first_evidence_stage()
    if spec.sees_measures and index == first_look and request.measures is not None:
        lines += ["", "Measurements (computed from the image and the mask):", measures_text(request.measures.to_dict())]
    elif spec.sees_measures or spec.sees_snapshots:
        lines += ["", f"Use the snapshots and measurements given in stage {first_look + 1}."]
    if spec.sees_snapshots and index == first_look and request.snapshots:
        lines += ["", f"{len(request.snapshots)} snapshots follow, each after its caption."]
        parts.append("\n".join(lines))
        for number, snapshot in enumerate(request.snapshots, start=1):
            parts.append(
                snapshot_caption(number, snapshot.ref.axis, snapshot.ref.slice, snapshot.ref.why, request.facts.shape)
            )
            parts.append(Image(fit_png(snapshot.png)))
        parts.append(answer_format(spec))
    else:
        lines += ["", answer_format(spec)]
        parts.append("\n".join(lines))
    return Turn("user", tuple(parts))


def case_text(facts: CaseFacts) -> str:
    if len(facts.shape) == 3:
        axes = ", ".join(f"{name} {n}" for name, n in zip(AXIS_NAMES_3D, facts.shape))
        grid = f"3-D volume of {axes} slices"
    else:
        grid = f"2-D image of {facts.shape[0]} x {facts.shape[1]} pixels (locations: axis -1, slice 0)"
    if facts.spacing:
        size = "voxel size " + " x ".join(f"{s:g}" for s in facts.spacing) + " mm"
    else:
        size = "voxel size unknown (sizes are counts of voxels: judge no size in mm or mL)"
    return (
        f"Case: {grid}, {size}; target structure {facts.structure}, "
        f"modality {facts.modality}, mask label {facts.label}."
    )


def profile_text(profile: Profile) -> str:
    lines = [
        f"- {profile.display_name}: {profile.description}",
        f"- expected volume (mL, 3-D cases): {_range(profile.volume_ml)}",
        f"- connected components: {profile.components if profile.components is not None else 'no expectation'}",
        f"- holes allowed: {'yes' if profile.holes_allowed else 'no'}",
        f"- compactness: {_range(profile.compactness)}",
        f"- intensity: {profile.intensity} (boundary contrast {_range(profile.intensity_contrast)})",
        f"- paired left-right: {'yes' if profile.paired else 'no'}",
        f"- site: {profile.site}",
        f"- topology: {profile.topology}",
    ]
    if profile.failures:
        lines.append("- failures that matter: " + "; ".join(f.strip().rstrip(".") for f in profile.failures) + ".")
    for key, value in sorted(profile.extras.items()):
        lines.append(f"- {key.replace('_', ' ')}: {_compact(value)}")
    return "\n".join(lines)


def measures_text(measures: dict[str, Any]) -> str:
    """One ``name: value`` line per measure, with a short gloss where the name is not plain."""
    lines = []
    for key, value in measures.items():
        note = MEASURE_NOTES.get(key)
        lines.append(f"{key}: {_compact(value)}" + (f"  ({note})" if note else ""))
    return "\n".join(lines)


def snapshot_caption(number: int, axis: int, index: int, why: str, shape: tuple[int, ...]) -> str:
    if len(shape) == 2 or axis < 0:
        return f"Snapshot {number}: the 2-D image ({why})."
    name = AXIS_NAMES_3D[axis] if 0 <= axis < 3 else f"axis {axis}"
    return f"Snapshot {number}: {name} slice, axis {axis}, slice {index} of {shape[axis]} ({why})."


def answer_format(spec: StageSpec) -> str:
    fields = (
        '"text": string, "findings": [{"kind": snake_case string, "severity": "info"|"minor"|"major", '
        '"axis": int or null, "slice": int or null, "detail": string}]'
    )
    if spec.name == STAGES[-1].name:
        fields += (
            ', "verdict": "acceptable"|"unacceptable", "score": 0-1 (probability the mask is '
            'acceptable), "confidence": 0-1 (probability the verdict is right)'
        )
    return "Answer with one JSON object: {" + fields + "}."


def answer_json(result: StageResult) -> str:
    """An earlier stage's validated answer, as the model's own JSON turn."""
    return json.dumps(
        {"text": result.text, "findings": [_finding(f) for f in result.findings]},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def repair_text(spec: StageSpec, reason: str, truncated: bool) -> str:
    if truncated:
        return (
            f"Your answer to stage {spec.title!r} was cut off before the JSON ended. Answer again "
            f"with a shorter JSON object. {answer_format(spec)}"
        )
    return (
        f"Your answer to stage {spec.title!r} could not be used ({reason}). Answer again with only "
        f"the corrected JSON object. {answer_format(spec)}"
    )


@lru_cache(maxsize=64)
def fit_png(png: bytes, max_side: int = MAX_IMAGE_SIDE) -> bytes:
    """``png`` unchanged if it fits in ``max_side``, else downscaled to fit (kept as PNG)."""
    width, height = _png_size(png)
    if max(width, height) <= max_side:
        return png
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as picture:
        scale = max_side / max(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        resized = picture.convert("RGB").resize(size, PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    resized.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        raise ValueError("snapshot is not a PNG image")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _index(spec: StageSpec) -> int:
    return [s.name for s in STAGES].index(spec.name)


def _first_evidence_stage() -> int:
    return next(i for i, s in enumerate(STAGES) if s.sees_snapshots or s.sees_measures)


def _finding(finding: Finding) -> dict[str, Any]:
    where = finding.where
    return {
        "kind": finding.kind,
        "severity": finding.severity,
        "axis": where.axis if where else None,
        "slice": where.slice if where else None,
        "detail": finding.detail,
    }


def _range(value: Range | None) -> str:
    return "no expectation" if value is None else f"{value.low:g} to {value.high:g}"


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), ensure_ascii=False)
