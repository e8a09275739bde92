"""Input validation and the Assessment JSON contract (BRIEF.md §3)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from napari_hcr.case import make_case
from napari_hcr.errors import InputError
from napari_hcr.verdict import (
    SCHEMA,
    STAGE_NAMES,
    Assessment,
    BackendUsage,
    Finding,
    InputDigest,
    Location,
    SnapshotRef,
    StageResult,
)


def _assessment(verdict: str = "unacceptable", score: float = 0.1) -> Assessment:
    stages = [
        StageResult(
            name,
            f"text of {name}",
            (Finding("leak", "major", "Outgrowth into the scalp.", Location(0, 41, (41.0, 20.5, 30.0))),),
            0.01,
        )
        for name in STAGE_NAMES
    ]
    return Assessment(
        verdict=verdict,
        confidence=0.9,
        score=score,
        structure="brain",
        modality="MRI-T1",
        stages=stages,
        measures={"size": np.float32(1650.5), "components": 1},
        snapshots=[SnapshotRef(0, 41, "largest area on axis 0")],
        backend=BackendUsage("offline", "offline-1", calls=4),
        seconds=0.5,
        input=InputDigest("a" * 64, "b" * 64, 1),
    )


def test_json_has_the_brief_keys_and_round_trips() -> None:
    original = _assessment()
    data = json.loads(original.to_json())
    assert data["schema"] == SCHEMA
    assert list(data) == [
        "schema",
        "verdict",
        "confidence",
        "score",
        "structure",
        "modality",
        "stages",
        "measures",
        "snapshots",
        "backend",
        "seconds",
        "input",
    ]
    assert [s["name"] for s in data["stages"]] == list(STAGE_NAMES)
    assert data["stages"][0]["findings"][0]["where"] == {"axis": 0, "slice": 41, "point": [41.0, 20.5, 30.0]}
    assert data["measures"]["size"] == pytest.approx(1650.5)
    assert {"name", "model", "tokens_in", "tokens_out", "calls"} <= set(data["backend"])
    assert set(data["input"]) == {"image_sha256", "mask_sha256", "label"}
    again = Assessment.from_json(original.to_json())
    assert again.stages == original.stages
    assert again.findings[0].where == Location(0, 41, (41.0, 20.5, 30.0))


def test_json_rejects_other_schemas_and_bad_values() -> None:
    data = json.loads(_assessment().to_json())
    data["schema"] = "something/else"
    with pytest.raises(ValueError, match="schema"):
        Assessment.from_dict(data)
    with pytest.raises(ValueError, match="verdict"):
        _assessment(verdict="maybe")
    with pytest.raises(ValueError, match="score"):
        _assessment(score=1.5)
    with pytest.raises(ValueError, match="severity"):
        Finding("x", "critical", "y")


def test_make_case_picks_the_largest_label_and_keeps_spacing() -> None:
    labels = np.zeros((4, 8, 8), np.uint8)
    labels[1:3, 1:3, 1:3] = 2
    labels[0:4, 4:8, 4:8] = 5
    case = make_case(np.ones(labels.shape), labels, spacing=(2.0, 1.0, 0.5))
    assert case.label == 5
    assert case.spacing == (2.0, 1.0, 0.5)
    assert case.mask.sum() == 64
    assert case.digest().label == 5


@pytest.mark.parametrize(
    ("image_shape", "labels_shape", "fill", "message"),
    [
        ((4, 8, 8), (4, 8, 9), True, "does not match the image shape"),
        ((2, 4, 8, 8), (2, 4, 8, 8), True, "4 dimensions"),
        ((4, 8, 8), (4, 8, 8), False, "mask is empty"),
    ],
)
def test_make_case_rejects_bad_input_with_a_sentence(image_shape, labels_shape, fill, message) -> None:
    labels = np.zeros(labels_shape, np.uint8)
    if fill:
        labels[..., 1:3, 1:3] = 1
    with pytest.raises(InputError, match=message):
        make_case(np.zeros(image_shape, np.float32), labels)


def test_make_case_rejects_a_label_that_is_not_there() -> None:
    labels = np.zeros((8, 8), np.uint8)
    labels[2:4, 2:4] = 1
    with pytest.raises(InputError, match="Label 3 does not occur"):
        make_case(np.zeros((8, 8)), labels, label=3)


def test_a_relabelled_case_is_the_case_make_case_builds_for_that_label() -> None:
    """A multi-label run checks the inputs once and derives each label's case: what it derives
    must be what checking that label on its own gives, hashes included."""
    rng = np.random.default_rng(0)
    image = rng.integers(-1000, 1000, (6, 10, 10)).astype(np.int16)
    labels = np.zeros(image.shape, np.uint8)
    labels[1:4, 1:4, 1:4] = 2
    labels[2:6, 5:9, 5:9] = 7
    first = make_case(image, labels, label=2, spacing=(3.0, 1.0, 1.0), structure="kidney_left", modality="CT")
    first.digest()  # the image's hash is now known and travels with the derived case
    derived = first.relabelled(7, "spleen")
    fresh = make_case(image, labels, label=7, spacing=(3.0, 1.0, 1.0), structure="spleen", modality="CT")
    for name in ("label", "structure", "spacing", "modality", "present", "names", "spacing_known"):
        assert getattr(derived, name) == getattr(fresh, name), name
    assert np.array_equal(derived.image, fresh.image) and np.array_equal(derived.mask, fresh.mask)
    assert derived.image is first.image and derived.present == (2, 7)
    assert derived.digest() == fresh.digest() != first.digest()
    with pytest.raises(InputError, match="Label 3 does not occur in the mask; present labels: 2, 7"):
        first.relabelled(3, "liver")


def test_a_missing_label_among_many_says_how_many_more_there_are() -> None:
    many = np.zeros((6, 10, 10), dtype=np.uint16)
    many.flat[: 40 * 3 : 3] = np.arange(1, 41) * 2  # labels 2, 4, ..., 80
    with pytest.raises(InputError, match=r"present labels: 2, 4, .*, 24 and 28 more, up to 80\.$"):
        make_case(np.zeros(many.shape), many, label=5)


def test_rgb_image_becomes_grey_for_measures_and_keeps_colour() -> None:
    rgb = np.zeros((16, 16, 3), np.uint8)
    rgb[..., 0] = 200
    labels = np.zeros((16, 16), np.uint8)
    labels[4:10, 4:10] = 1
    case = make_case(rgb, labels)
    assert case.image.shape == (16, 16)
    assert case.rgb is not None and case.rgb.shape == (16, 16, 3)
    assert case.image[0, 0] == pytest.approx(200 * 0.299, rel=1e-3)
