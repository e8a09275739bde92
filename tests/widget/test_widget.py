"""The dock widget in a real napari viewer: runs, streaming, responsiveness, cancel, staleness, errors."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest

from gui_helpers import SlowBackend, StallMeter, add_brain, run_and_wait
from napari_hcr.errors import BackendError
from napari_hcr.reasoner import StageDone
from napari_hcr.widget import QCWidget
from napari_hcr.widget._run_view import STALE
from napari_hcr.widget._views import StageCard

pytestmark = pytest.mark.gui


@pytest.fixture
def widget_with_brain(make_napari_viewer, mni_2mm):
    viewer = make_napari_viewer()
    _, labels = add_brain(viewer, mni_2mm)
    widget = QCWidget(viewer)
    viewer.window.add_dock_widget(widget, name="HCR Quality Check")
    return viewer, widget, labels


def stage_titles(widget: QCWidget) -> list[str]:
    cards = [widget.results.cards.itemAt(i).widget() for i in range(widget.results.cards.count())]
    return [card.result.name for card in cards if isinstance(card, StageCard)]


def test_offline_run_shows_four_stages_verdict_and_thumbnails(qtbot, widget_with_brain):
    _, widget, _ = widget_with_brain
    assert widget.form.labels_combo.currentText() == "brain"
    assert widget.form.image_combo.currentText() == "T1"
    assert widget.form.backend_combo.currentData() == "offline"

    assert run_and_wait(qtbot, widget) == "verdict"

    assert stage_titles(widget) == [
        "knowledge_recall",
        "visual_feature_analysis",
        "anatomical_inference",
        "clinical_synthesis",
    ]
    assert widget.results.badge.verdict in ("acceptable", "unacceptable")
    assert "confident" in widget.results.badge.text()
    assert widget.results.thumbnails.count() >= 1
    assert len(widget.review.entries) == 1
    entry = widget.review.entries[0]
    assert entry.assessment.structure == "brain"
    assert entry.assessment.modality == "MRI-T1"


def test_stages_stream_in_as_they_finish(qtbot, widget_with_brain):
    _, widget, _ = widget_with_brain
    backend = SlowBackend(delay=0.15)
    seen: list[int] = []

    def on_stage(event) -> None:
        if isinstance(event, StageDone):
            seen.append(len(stage_titles(widget)))

    with qtbot.waitSignal(widget.runStarted):
        widget.run(backend)
    widget.controller.worker.yielded.connect(on_stage)
    qtbot.waitSignal(widget.runFinished, timeout=10000).wait()
    assert seen == [1, 2, 3, 4]


def test_spacing_from_layer_scale_and_structure_from_metadata(qtbot, make_napari_viewer, mni_2mm):
    viewer = make_napari_viewer()
    add_brain(viewer, mni_2mm, scale=(1.5, 2.0, 2.5))
    widget = QCWidget(viewer)
    backend = SlowBackend(delay=0.0)
    run_and_wait(qtbot, widget, backend=backend)
    facts = backend.facts[0]
    assert facts.spacing == (1.5, 2.0, 2.5)
    assert facts.structure == "brain"
    assert facts.modality == "MRI-T1"


def test_the_voxel_size_shown_is_the_image_layers_scale_and_a_default_one_says_so(qtbot, make_napari_viewer, mni_2mm):
    """A CT added without its scale would be judged on 1 mm voxels: the form says what the run
    will assume, and follows the scale when the person sets it."""
    viewer = make_napari_viewer()
    image, _ = add_brain(viewer, mni_2mm, scale=(1.0, 1.0, 1.0))
    widget = QCWidget(viewer)
    shown = widget.form.voxel_size
    assert "napari's default scale" in shown.text() and "set the layers' scale" in shown.text()
    image.scale = (3.0, 0.8, 0.8)
    assert shown.text() == "3 × 0.8 × 0.8 mm"
    viewer.layers.remove(image)
    assert shown.text() == ""


def test_an_image_layer_that_says_its_voxel_size_is_unknown_is_judged_in_voxels(qtbot, make_napari_viewer, mni_2mm):
    """The review queue's layers of a .npy case carry ``spacing_known: False``: a re-check in the
    widget then judges no volume, as the batch did, instead of reading napari's ones as 1 mm."""
    viewer = make_napari_viewer()
    image, _ = add_brain(viewer, mni_2mm, scale=(1.0, 1.0, 1.0))
    image.metadata["spacing_known"] = False
    widget = QCWidget(viewer)
    assert widget.form.voxel_size.text().startswith("not given")
    backend = SlowBackend(delay=0.0)
    run_and_wait(qtbot, widget, backend=backend)
    assert backend.facts[0].spacing == ()
    assert run_and_wait(qtbot, widget) == "verdict"
    kinds = {f.kind for stage in widget.last_results[1].assessment.stages for f in stage.findings}
    assert "volume_unmeasured" in kinds and widget.last_results[1].assessment.measures["size_unit"] == "voxels"


def test_event_loop_keeps_turning_while_a_slow_backend_runs(qtbot, widget_with_brain):
    _, widget, _ = widget_with_brain
    meter = StallMeter()
    meter.start()
    outcome = run_and_wait(qtbot, widget, backend=SlowBackend(delay=0.4))
    meter.stop()
    assert outcome == "verdict"
    assert meter.ticks > 100  # the run lasted over 1.6 s and the timer kept firing
    assert meter.longest_ms < 100, f"the Qt event loop stalled for {meter.longest_ms} ms"


def test_cancel_stops_a_run_within_one_second(qtbot, widget_with_brain):
    _, widget, _ = widget_with_brain
    backend = SlowBackend(delay=30.0)
    widget.run(backend)
    qtbot.waitUntil(lambda: "Knowledge recall" in widget.results.status.text(), timeout=10000)
    started = time.perf_counter()
    with qtbot.waitSignal(widget.runFinished, timeout=1000) as blocker:
        widget.form.cancel_button.click()
    elapsed = time.perf_counter() - started
    assert blocker.args == ["cancelled"]
    assert elapsed < 1.0
    assert backend.closed.is_set(), "the backend session (the conversation) was not closed"
    assert widget.results.status.text() == "Cancelled."
    assert widget.results.badge.verdict is None
    assert widget.form.run_button.isEnabled()


def test_labels_painted_mid_run_never_show_the_verdict(qtbot, widget_with_brain):
    _, widget, labels = widget_with_brain
    widget.run(SlowBackend(delay=0.3))
    qtbot.waitUntil(lambda: len(stage_titles(widget)) >= 1, timeout=10000)
    labels.paint((40, 50, 50), 0)  # erase a blob inside the brain
    with qtbot.waitSignal(widget.runFinished, timeout=5000) as blocker:
        pass
    assert blocker.args == ["stale"]
    assert widget.results.badge.text() == STALE
    assert widget.results.badge.verdict is None
    assert widget.review.entries == []


def test_labels_replaced_mid_run_never_show_the_verdict(qtbot, widget_with_brain):
    _, widget, labels = widget_with_brain
    widget.run(SlowBackend(delay=0.3))
    qtbot.waitUntil(lambda: len(stage_titles(widget)) >= 1, timeout=10000)
    labels.data = np.zeros_like(labels.data)
    qtbot.waitSignal(widget.runFinished, timeout=5000).wait()
    assert widget.results.badge.text() == STALE


def test_layer_deleted_mid_run_does_not_crash(qtbot, widget_with_brain):
    viewer, widget, labels = widget_with_brain
    widget.run(SlowBackend(delay=0.3))
    qtbot.waitUntil(lambda: len(stage_titles(widget)) >= 1, timeout=10000)
    with qtbot.waitSignal(widget.runFinished, timeout=5000) as blocker:
        viewer.layers.remove(labels)
    assert blocker.args == ["stale"]
    assert widget.results.badge.text() == STALE
    assert widget.form.labels_combo.count() == 0
    widget.form.run_button.click()
    assert "no labels layer" in widget.results.badge.text()


@pytest.mark.parametrize(
    ("make_layers", "sentence"),
    [
        (lambda v, a: v.add_image(a.image, name="T1"), "There is no labels layer to check"),
        (
            lambda v, a: (v.add_image(a.image, name="T1"), v.add_labels(np.zeros_like(a.mask), name="m")),
            "The mask is empty",
        ),
        (
            lambda v, a: (v.add_image(a.image, name="T1"), v.add_labels(a.mask[:, :, :50].copy(), name="m")),
            "does not match the image shape",
        ),
    ],
    ids=["no-labels", "empty-mask", "shape-mismatch"],
)
def test_input_errors_read_as_sentences(qtbot, make_napari_viewer, mni_2mm, make_layers, sentence):
    viewer = make_napari_viewer()
    make_layers(viewer, mni_2mm)
    widget = QCWidget(viewer)
    if widget.labels_layer() is None:
        widget.form.run_button.click()
        assert not widget.running
    else:
        assert run_and_wait(qtbot, widget) == "error"
    assert sentence in widget.results.badge.text()
    assert widget.results.badge.verdict is None
    assert "Traceback" not in widget.results.badge.text()


def test_backend_error_is_a_sentence(qtbot, widget_with_brain):
    _, widget, _ = widget_with_brain
    backend = SlowBackend(delay=0.0, fail_with=BackendError("The model refused to look at this image."))
    assert run_and_wait(qtbot, widget, backend=backend) == "error"
    assert widget.results.badge.text() == "The model refused to look at this image."


def test_unexpected_error_is_a_sentence_and_the_traceback_goes_to_the_log(qtbot, widget_with_brain, caplog):
    _, widget, _ = widget_with_brain
    backend = SlowBackend(delay=0.0, fail_with=ZeroDivisionError("division by zero in a stage"))
    with caplog.at_level(logging.ERROR, logger="napari_hcr.widget._controller"):
        assert run_and_wait(qtbot, widget, backend=backend) == "error"
    assert widget.results.badge.text() == "The check failed unexpectedly (ZeroDivisionError); details are in the log."
    records = [r for r in caplog.records if r.exc_info]
    assert records and records[0].exc_info[0] is ZeroDivisionError


def test_widget_follows_the_active_layers(qtbot, make_napari_viewer, mni_2mm):
    viewer = make_napari_viewer()
    add_brain(viewer, mni_2mm)
    other = viewer.add_labels(np.array(mni_2mm.mask, copy=True), name="other")
    widget = QCWidget(viewer)
    assert widget.form.labels_combo.currentText() == "other"
    viewer.layers.selection.active = viewer.layers["brain"]
    assert widget.form.labels_combo.currentText() == "brain"
    other.name = "renamed"
    assert widget.form.labels_combo.findText("renamed") >= 0
    assert widget.form.labels_combo.currentText() == "brain"


def test_closing_the_widget_mid_run_stops_the_run(qtbot, widget_with_brain):
    _, widget, _ = widget_with_brain
    backend = SlowBackend(delay=30.0)
    widget.run(backend)
    qtbot.waitUntil(lambda: "Knowledge recall" in widget.results.status.text(), timeout=10000)
    widget.close()
    qtbot.waitUntil(backend.closed.is_set, timeout=1000)
    assert backend.answered == []


def test_docked_as_a_plugin_on_a_bundled_sample_gives_the_verdict(qtbot, make_napari_viewer):
    """The path a person takes (and `napari-hcr demo`): napari builds the widget from the
    manifest and hands it the viewer through its public-only proxy, not the viewer itself."""
    viewer = make_napari_viewer()
    viewer.open_sample("napari-hcr", "mni152_brain_missing")
    _, widget = viewer.window.add_plugin_dock_widget("napari-hcr", "HCR Quality Check")
    assert widget.form.labels_combo.currentText().startswith("brain mask")

    assert run_and_wait(qtbot, widget) == "verdict"

    assert widget.results.badge.verdict == "unacceptable"
    assert widget.results.badge.text() != STALE
    assert stage_titles(widget)[-1] == "clinical_synthesis"
