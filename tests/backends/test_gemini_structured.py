"""Transport-free parts shared by the chat backends: answer parsing, prompts, key handling."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image as PILImage

from napari_hcr.backends.llm import RetryPolicy
from napari_hcr.backends.prompting import Image, conversation, fit_png, measures_text
from napari_hcr.backends.structured import AnswerError, extract_json, locate, parse_stage
from napari_hcr.case import make_case
from napari_hcr.knowledge import load_profile
from napari_hcr.measures import measure
from napari_hcr.secrets import find_api_key, redact
from napari_hcr.snapshots import take_snapshots
from napari_hcr.stages import STAGES, CaseFacts, StageRequest
from napari_hcr.verdict import Location, StageResult
from synthetic import liver_in_fat

SHAPE = (40, 48, 44)


@pytest.mark.parametrize(
    "text",
    [
        '{"text": "ok", "findings": []}',
        'Here you go:\n```json\n{"text": "ok", "findings": [],}\n```\nHope this helps.',
        'Answer: {"text": "ok", "findings": []} -- end',
        '{"broken": } then {"text": "ok", "findings": []}',
        '{"text": "cut\n{"text": "ok", "findings": []}',
    ],
)
def test_extract_json_finds_the_object_in_prose_and_fences(text: str) -> None:
    assert extract_json(text) == {"text": "ok", "findings": []}


def test_extract_json_prefers_the_answer_to_a_nested_or_quoted_object() -> None:
    text = 'A finding looks like {"kind": "leak"}; my answer: {"text": "ok", "findings": [{"kind": "leak"}]}'
    assert extract_json(text)["text"] == "ok"
    truncated = '{"text": "Leak.", "findings": [{"kind": "leak", "severity": "major", "detail": "x"}, {"ki'
    with pytest.raises(AnswerError, match="text: Field required"):
        parse_stage("anatomical_inference", truncated, SHAPE)


@pytest.mark.parametrize("text", ["", "no json here", '{"text": "cut off', "[1, 2, 3]"])
def test_extract_json_refuses_what_holds_no_complete_object(text: str) -> None:
    with pytest.raises(AnswerError, match="no complete JSON object"):
        extract_json(text)


def test_parse_stage_normalises_sloppy_but_clear_answers() -> None:
    answer = parse_stage(
        "anatomical_inference",
        json.dumps(
            {
                "text": " Leak found. ",
                "findings": [
                    {"kind": "Leak into scalp", "severity": "Major", "axis": 0, "slice": 12, "detail": "frontal"},
                    {"kind": "island", "severity": "minor", "axis": 1, "slice": 480, "detail": "out of range"},
                    {"kind": "shift", "severity": "info", "axis": 5, "slice": 1, "detail": "no such axis"},
                    {"kind": "global", "severity": "info", "axis": None, "slice": None, "detail": "everywhere"},
                ],
            }
        ),
        SHAPE,
    )
    assert answer.text == "Leak found." and answer.decision is None
    assert [f.kind for f in answer.findings] == ["leak_into_scalp", "island", "shift", "global"]
    assert answer.findings[0].severity == "major"
    assert [f.where for f in answer.findings] == [Location(0, 12), None, None, None]


def test_parse_stage_gives_the_synthesis_its_decision() -> None:
    answer = parse_stage(
        "clinical_synthesis",
        json.dumps(
            {"text": "Leak decides it.", "findings": [], "verdict": "Unacceptable", "score": 0.1, "confidence": 0.9}
        ),
        SHAPE,
    )
    assert (answer.decision.verdict, answer.decision.score, answer.decision.confidence) == ("unacceptable", 0.1, 0.9)


@pytest.mark.parametrize(
    ("stage", "payload", "reason"),
    [
        ("clinical_synthesis", {"text": "fine", "findings": []}, "verdict"),
        ("clinical_synthesis", {"text": "fine", "verdict": "acceptable", "score": 1.7, "confidence": 0.5}, "score"),
        (
            "visual_feature_analysis",
            {"text": "fine", "findings": [{"kind": "x", "severity": "bad", "detail": "d"}]},
            "severity",
        ),
        ("knowledge_recall", {"text": "   ", "findings": []}, "empty"),
    ],
)
def test_parse_stage_rejects_what_a_repair_turn_should_fix(stage: str, payload: dict, reason: str) -> None:
    with pytest.raises(AnswerError, match=reason):
        parse_stage(stage, json.dumps(payload), SHAPE)


def test_2d_cases_locate_at_the_image_itself() -> None:
    assert locate(0, 5, (64, 64)) == Location(-1, 0)
    assert locate(None, None, (64, 64)) is None
    assert locate(2, 43, SHAPE) == Location(2, 43) and locate(2, 44, SHAPE) is None


def test_fit_png_downscales_only_what_is_larger_than_the_model_needs() -> None:
    def png(width: int, height: int) -> bytes:
        out = io.BytesIO()
        PILImage.fromarray(np.zeros((height, width, 3), np.uint8)).save(out, format="PNG")
        return out.getvalue()

    small = png(512, 400)
    assert fit_png(small) is small
    with PILImage.open(io.BytesIO(fit_png(png(1536, 1024)))) as picture:
        assert picture.format == "PNG" and picture.size == (768, 512)


def test_conversation_sends_evidence_once_and_replays_earlier_answers() -> None:
    z, y, x = np.mgrid[: SHAPE[0], : SHAPE[1], : SHAPE[2]]
    inside = (z - 20) ** 2 + (y - 24) ** 2 + (x - 22) ** 2 < 150
    case = make_case(np.where(inside, 80.0, 20.0).astype(np.float32), inside.astype(np.uint8), structure="brain")
    measures = measure(case)
    snapshots = tuple(take_snapshots(case, measures))
    facts = CaseFacts(case.structure, case.modality, SHAPE, case.spacing, case.label)
    earlier = tuple(StageResult(s.name, f"said {s.name}") for s in STAGES[:3])
    request = StageRequest(STAGES[3], facts, load_profile("brain", "MRI-T1"), measures, snapshots, earlier)
    turns = conversation(request)
    assert [t.role for t in turns] == ["user", "model"] * 3 + ["user"]
    assert [json.loads(turns[i].text)["text"] for i in (1, 3, 5)] == [f"said {s.name}" for s in STAGES[:3]]
    images = [p for t in turns for p in t.parts if isinstance(p, Image)]
    assert len(images) == len(snapshots), "the pixels travel once, with stage 2"
    assert not any(isinstance(p, Image) for p in turns[4].parts)
    assert "Use the snapshots and measurements given in stage 2" in turns[4].text
    profile = load_profile("brain", "MRI-T1")
    assert profile.display_name in turns[0].text and "Reference profile" in turns[0].text
    assert '"verdict"' in turns[-1].text
    assert "compactness: " in measures_text(measures.to_dict())


def test_a_model_is_told_when_nobody_gave_the_voxel_size() -> None:
    from napari_hcr.backends.prompting import case_text

    given = case_text(CaseFacts("liver", "CT", (48, 80, 80), (3.0, 0.8, 0.8), 1))
    unknown = case_text(CaseFacts("liver", "CT", (48, 80, 80), (), 1))
    assert "voxel size 3 x 0.8 x 0.8 mm" in given
    assert "voxel size unknown" in unknown and "judge no size in mm or mL" in unknown


def test_a_model_is_told_when_a_cts_values_are_not_hounsfield_units() -> None:
    """The model reads the same caveat as the offline reasoner: no HU claims on stored values."""
    image, labels = liver_in_fat()
    stored = make_case(image + 1024.0, labels, spacing=(3.0, 3.0, 3.0), structure="liver", modality="CT")
    line = next(x for x in measures_text(measure(stored).to_dict()).splitlines() if x.startswith("not_hounsfield: "))
    assert "rescale" in line and "judge no attenuation in HU" in line
    in_hu = make_case(image, labels, spacing=(3.0, 3.0, 3.0), structure="liver", modality="CT")
    assert measure(in_hu).not_hounsfield is None


def test_a_model_is_told_when_a_mask_is_alone_in_its_label_image() -> None:
    """The model reads what the offline synthesis says of a lone mask: a leak into like tissue cannot show."""
    image, labels = liver_in_fat()

    def context_line(labels: np.ndarray) -> str:
        case = make_case(image, labels, spacing=(3.0, 3.0, 3.0), structure="liver", modality="CT")
        return next(x for x in measures_text(measure(case).to_dict()).splitlines() if x.startswith("context: "))

    alone = context_line(labels)
    assert '"alone":true' in alone and "a leak into a neighbour of like tissue cannot show" in alone
    beside = labels.copy()
    beside[20:28, 40:50, 58:70] = 2
    assert '"alone":false' in context_line(beside)


def test_keys_come_from_explicit_value_then_environment_and_redact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    assert find_api_key() is None and find_api_key("   ") is None
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key-123456")
    assert find_api_key() == "google-key-123456"
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key-123456")
    assert find_api_key() == "gemini-key-123456"
    assert find_api_key(" explicit-key-1234 ") == "explicit-key-1234"
    text = "keys gemini-key-123456 google-key-123456 explicit-key-1234"
    assert redact(text, ["explicit-key-1234"]) == "keys [redacted] [redacted] [redacted]"


def test_retry_policy_waits_at_least_the_server_hint_and_backs_off() -> None:
    policy = RetryPolicy(base_s=1.0, cap_s=8.0)
    assert policy.delay(0, 5.0) >= 5.0
    assert 0.5 <= policy.delay(0, None) <= 1.0
    assert 4.0 <= policy.delay(10, None) <= 8.0
