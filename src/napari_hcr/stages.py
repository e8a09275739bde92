"""The four HCR stages: names, what each is asked, and what evidence each receives.

One definition serves every backend. The offline backend computes each stage from the same
evidence an LLM backend sends, so the stage boundaries mean the same thing whichever reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from .knowledge import Profile
from .measures import Measures
from .snapshots import Snapshot
from .verdict import STAGE_NAMES, StageResult

PROMPT_VERSION = "hcr-prompts/8"


@dataclass(frozen=True)
class StageSpec:
    name: str
    title: str
    instructions: str
    sees_snapshots: bool
    sees_measures: bool


STAGES: tuple[StageSpec, ...] = (
    StageSpec(
        name="knowledge_recall",
        title="Knowledge recall",
        instructions=(
            "Recall what a correct segmentation of the {structure} looks like in {modality}: "
            "expected volume range, shape, site relative to the body, intensity relative to its "
            "surroundings, connectivity and holes, left-right symmetry, and the segmentation "
            "failures that matter clinically for this structure. Start from the reference "
            "profile given and correct it only where you are sure. Do not look at the case yet."
        ),
        sees_snapshots=False,
        sees_measures=False,
    ),
    StageSpec(
        name="visual_feature_analysis",
        title="Visual feature analysis",
        instructions=(
            "Describe what this mask actually shows. Use the snapshots (mask outlined in colour "
            "over the image, one per listed slice) and the measurements. Report volume, "
            "components, holes, shape and boundary smoothness, how well the boundary follows "
            "image edges, contrast across the boundary, intensity spread inside, slice-to-slice "
            "continuity and symmetry. Name the axis and slice for every local observation. "
            "Describe; do not judge yet."
        ),
        sees_snapshots=True,
        sees_measures=True,
    ),
    StageSpec(
        name="anatomical_inference",
        title="Anatomical inference",
        instructions=(
            "Compare what was seen (stage 2) with what is expected (stage 1), finding by "
            "finding. For each disagreement say what it implies anatomically (leak into a "
            "neighbour, missing part, spurious island, shift, wrong structure...), how severe "
            "it is (info, minor or major) and where it is (axis and slice)."
        ),
        sees_snapshots=True,
        sees_measures=True,
    ),
    StageSpec(
        name="clinical_synthesis",
        title="Clinical synthesis",
        instructions=(
            "Weigh the findings by clinical impact (a leak into a neighbour or a missing part "
            "outweighs a rough edge) and decide whether the segmentation is clinically "
            "acceptable. Give the verdict, the probability that the mask is acceptable "
            "(score), your confidence in the verdict, and a short rationale naming the "
            "findings that decided it."
        ),
        sees_snapshots=False,
        sees_measures=False,
    ),
)
assert tuple(s.name for s in STAGES) == STAGE_NAMES


@dataclass(frozen=True)
class CaseFacts:
    """What a backend may know about the case: never file names, paths or patient metadata.
    ``spacing`` is empty when nobody gave the voxel size."""

    structure: str
    modality: str
    shape: tuple[int, ...]
    spacing: tuple[float, ...]
    label: int


@dataclass(frozen=True)
class StageRequest:
    """Everything one stage may use; backends must not reach for anything else."""

    spec: StageSpec
    facts: CaseFacts
    profile: Profile
    measures: Measures | None  # None for a stage that sees no measures (knowledge recall)
    snapshots: tuple[Snapshot, ...]
    earlier: tuple[StageResult, ...]

    def instructions(self) -> str:
        return self.spec.instructions.format(structure=self.profile.display_name, modality=self.facts.modality)
