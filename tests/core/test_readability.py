"""An image nobody can read gets "cannot assess" with the reason, never a verdict."""

from __future__ import annotations

import numpy as np
import pytest

from napari_hcr.backends import make_backend
from napari_hcr.case import Case, make_case
from napari_hcr.errors import CannotAssess
from napari_hcr.measures import measure
from napari_hcr.readability import MIN_CNR, check_readable, measure_readability
from napari_hcr.reasoner import Done, StageDone, assess, assess_steps
from napari_hcr.runs import LabelFailed, RunRequest, run_events
from synthetic import SHAPE, ball_case


def _on_ball(image: np.ndarray) -> Case:
    """``image`` with the ball's correct mask over it."""
    return make_case(image.astype(np.float32), ball_case().labels, spacing=(1.0, 1.0, 1.0))


def _noise(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(SHAPE)


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (np.zeros(SHAPE), "blank"),
        (np.full(SHAPE, 7.5), "blank"),
        (np.full(SHAPE, np.nan), "100% of the image's voxels are not numbers"),
        (np.where(np.arange(SHAPE[0])[:, None, None] < 40, np.inf, 1.0) * np.ones(SHAPE), "not numbers"),
        (_noise(), "too little contrast"),
        (np.where(ball_case().mask, 0.3, 0.0) + _noise(), "too little contrast"),
    ],
    ids=["zeros", "constant", "all-nan", "mostly-inf", "noise", "faint"],
)
def test_unreadable_image_cannot_be_assessed(image: np.ndarray, reason: str) -> None:
    case = _on_ball(image)
    with pytest.raises(CannotAssess, match="^Cannot assess: ") as caught:
        check_readable(case)
    assert reason in str(caught.value)
    with pytest.raises(CannotAssess):
        assess(case, make_backend("offline"))


def test_unreadable_image_yields_no_stage_and_no_verdict() -> None:
    events: list[object] = []
    with pytest.raises(CannotAssess):
        events.extend(assess_steps(_on_ball(np.zeros(SHAPE)), make_backend("offline"), poll=0.01))
    assert not any(isinstance(e, StageDone | Done) for e in events)


def test_nan_under_most_of_the_mask_cannot_be_assessed() -> None:
    ball = ball_case()
    image = np.where(ball.mask & (np.arange(SHAPE[0])[:, None, None] > 14), np.nan, ball.image)
    with pytest.raises(CannotAssess, match="under the mask"):
        check_readable(_on_ball(image))


def test_readable_images_pass_with_their_figures() -> None:
    r = check_readable(ball_case())
    assert r.finite_share == 1.0 and r.cnr > 20
    clear = check_readable(_on_ball(np.where(ball_case().mask, 3.0, 0.0) + _noise()))
    assert clear.cnr > MIN_CNR
    assert 0.8 < clear.noise < 1.2


def test_partial_nans_are_ignored_by_measures_and_named_in_the_text() -> None:
    ball = ball_case()
    holes = np.random.default_rng(3).random(SHAPE) < 0.1
    case = _on_ball(np.where(holes, np.nan, ball.image))
    assert case.nonfinite_share == pytest.approx(holes.mean())
    assert measure_readability(case).finite_share == pytest.approx(1 - holes.mean())
    clean, dirty = measure(ball), measure(case)
    # Filled voxels must not pull the inside or outside intensity towards the fill value.
    assert dirty.inside_mean == pytest.approx(clean.inside_mean, abs=0.01)
    assert dirty.outside_mean == pytest.approx(clean.outside_mean, abs=0.02)
    assert dirty.boundary_contrast == pytest.approx(clean.boundary_contrast, rel=0.1)
    assert dirty.nonfinite_share == pytest.approx(holes.mean())
    assessment = assess(case, make_backend("offline"))
    visual = assessment.stages[1].text
    assert f"{100 * holes.mean():.0f}% of the image's voxels are not numbers" in visual
    assert assessment.measures["nonfinite_share"] == pytest.approx(holes.mean(), abs=1e-3)


def test_record_says_where_the_evidence_time_went() -> None:
    seconds = assess(ball_case(), make_backend("offline")).measures["seconds"]
    assert set(seconds) == {"readability", "measures", "snapshots"}
    assert all(v >= 0 for v in seconds.values()) and seconds["measures"] > 0


def test_one_unreadable_label_fails_alone_in_a_multi_label_run() -> None:
    ball = ball_case()
    image = ball.image.copy()
    labels = ball.labels.astype(np.uint8)
    labels[40:46, 2:8, 2:8] = 3
    image[38:48, 0:10, 0:10] = np.nan
    events = list(run_events(RunRequest(image, labels, (1.0, 1.0, 1.0), labels=(1, 3), poll=0.01)))
    failed = [e for e in events if isinstance(e, LabelFailed)]
    assert [f.label for f in failed] == [3]
    assert failed[0].message.startswith("Cannot assess: ") and "under the mask" in failed[0].message
    assert [e.assessment.input.label for e in events if isinstance(e, Done)] == [1]
