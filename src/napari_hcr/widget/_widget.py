"""The "HCR Quality Check" dock widget: choose layers and options, run, read the verdict.

The widget is thin: it gathers layer references, starts the core reasoner in a napari thread
worker and draws what the worker yields. It owns three rules the core cannot know about:
a result is shown only if the layers are unchanged since the run started, only one run is in
flight at a time, and any failure reaches the person as one sentence (tracebacks go to the log).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from napari.layers import Image, Labels, Layer
from napari.qt.threading import GeneratorWorker
from napari.viewer import Viewer
from qtpy.QtCore import QTimer, Signal
from qtpy.QtGui import QStandardItemModel
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..backends import BACKENDS, Backend, make_backend
from ..cache import AssessmentCache
from ..errors import HCRError
from ..knowledge import available_structures
from ..reasoner import TOTAL_STEPS, Done, Progress, StageDone
from ..report import PictureLike, ReviewEntry
from ..runs import Cancelled, LabelFailed, LabelStarted, RunRequest
from ..secrets import HOW_TO_ADD_KEY, find_api_key
from ..verdict import Assessment, Finding, Location, StageResult
from ..wording import percent
from . import _layers
from ._labels_table import LabelTable
from ._navigate import clear_highlight, go_to
from ._review import ReviewLog
from ._settings import WidgetSettings, load_settings, save_settings
from ._settings_panel import SettingsPanel
from ._views import FindingList, StageCard, ThumbnailStrip, VerdictBadge
from ._worker import start_worker

log = logging.getLogger(__name__)
STALE = "The labels changed while the check ran; run it again."
MODALITIES = ("MRI-T1", "MRI-T2", "MRI-FLAIR", "CT", "PET", "US", "X-ray", "Photo", "Microscopy")
FROM_LAYER = ""


@dataclass
class LabelResult:
    """What one label of a run produced so far."""

    label: int
    structure: str
    stages: list[StageResult] = field(default_factory=list)
    assessment: Assessment | None = None
    snapshots: tuple[PictureLike, ...] = ()
    message: str = ""


@dataclass
class ActiveRun:
    worker: GeneratorWorker
    cancel: threading.Event
    image: Image
    labels: Labels
    stamp: _layers.Stamp
    auto: bool
    multi: bool
    started: float = field(default_factory=time.perf_counter)
    current: int | None = None
    results: dict[int, LabelResult] = field(default_factory=dict)
    stale: bool = False
    outcome: str = "verdict"


class QCWidget(QWidget):
    """Dock widget: segmentation quality check of the active labels layer over its image."""

    runStarted = Signal(str)
    runFinished = Signal(str)

    def __init__(self, napari_viewer: Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = napari_viewer
        self.settings: WidgetSettings = load_settings()
        self.edits = _layers.EditCounter()
        self.run_state: ActiveRun | None = None
        self.shown: tuple[str, LabelResult] | None = None
        self.previous: dict[tuple[str, int], Assessment] = {}
        self.last_results: dict[int, LabelResult] = {}
        self._labels_name = ""
        self._recheck_pending = False
        self._recheck_timer = QTimer(self)
        self._recheck_timer.setSingleShot(True)
        self._recheck_timer.timeout.connect(self._recheck)
        self._build()
        self._connect_viewer()
        self._refresh_layers()
        self._on_active()

    # ---------------------------------------------------------------- building
    def _build(self) -> None:
        self.image_combo = QComboBox()
        self.labels_combo = QComboBox()
        self.label_spin = QSpinBox()
        self.label_spin.setRange(1, 2**31 - 1)
        self.all_labels = QCheckBox("all labels")
        self.all_labels.toggled.connect(self.label_spin.setDisabled)
        self.structure_combo = QComboBox()
        self.structure_combo.addItem("from layer metadata", FROM_LAYER)
        for name in available_structures():
            self.structure_combo.addItem(name.replace("_", " "), name)
        self.modality_combo = QComboBox()
        self.modality_combo.setEditable(True)
        self.modality_combo.addItems(MODALITIES)
        self.backend_combo = QComboBox()
        for name, info in BACKENDS.items():
            self.backend_combo.addItem(info.label, name)
        self.backend_hint = QLabel()
        self.backend_hint.setWordWrap(True)
        self.run_button = QPushButton("Run")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, TOTAL_STEPS)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.badge = VerdictBadge()
        self.compare = QLabel()
        self.compare.setWordWrap(True)
        self.compare.hide()
        self.label_table = LabelTable()
        self.cards = QVBoxLayout()
        self.cards.setSpacing(4)
        self.thumbnails = ThumbnailStrip()
        self.findings = FindingList()
        self.findings.hide()

        label_row = QHBoxLayout()
        label_row.addWidget(self.label_spin)
        label_row.addWidget(self.all_labels)
        form = QFormLayout()
        form.addRow("Image", self.image_combo)
        form.addRow("Labels", self.labels_combo)
        form.addRow("Label", label_row)
        form.addRow("Structure", self.structure_combo)
        form.addRow("Modality", self.modality_combo)
        form.addRow("Backend", self.backend_combo)
        form.addRow("", self.backend_hint)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)

        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.label_table)
        results_layout.addWidget(self.thumbnails)
        results_layout.addWidget(self.findings)
        results_layout.addLayout(self.cards)
        results_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(results)
        scroll.setFrameShape(QScrollArea.NoFrame)

        check = QWidget()
        check_layout = QVBoxLayout(check)
        check_layout.addLayout(form)
        check_layout.addLayout(buttons)
        check_layout.addWidget(self.progress)
        check_layout.addWidget(self.status)
        check_layout.addWidget(self.badge)
        check_layout.addWidget(self.compare)
        check_layout.addWidget(scroll, 1)

        self.review = ReviewLog()
        self.settings_panel = SettingsPanel(self.settings)
        self.tabs = QTabWidget()
        self.tabs.addTab(check, "Check")
        self.tabs.addTab(self.review, "Review log")
        self.tabs.addTab(self.settings_panel, "Settings")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(self.tabs)
        self.setMinimumWidth(340)

        self._restore_choices()
        self.run_button.clicked.connect(lambda: self.run())
        self.cancel_button.clicked.connect(self.cancel)
        self.backend_combo.currentIndexChanged.connect(self._backend_chosen)
        self.structure_combo.currentIndexChanged.connect(self._remember_choices)
        self.modality_combo.currentTextChanged.connect(self._remember_choices)
        self.labels_combo.currentIndexChanged.connect(self._labels_chosen)
        self.image_combo.currentIndexChanged.connect(self._image_chosen)
        self.settings_panel.changed.connect(self._settings_changed)
        self.findings.findingActivated.connect(self._finding_clicked)
        self.thumbnails.snapshotActivated.connect(self._snapshot_clicked)
        self.label_table.rowChosen.connect(self._label_row_chosen)
        self.review.entrySelected.connect(self._review_row_chosen)

    def _restore_choices(self) -> None:
        index = self.structure_combo.findData(self.settings.structure)
        self.structure_combo.setCurrentIndex(max(index, 0))
        self.modality_combo.setCurrentText(self.settings.modality)
        wanted = self.settings.backend
        self._update_backend_menu()
        index = self.backend_combo.findData(wanted)
        if index >= 0 and self._backend_enabled(index):
            self.backend_combo.setCurrentIndex(index)
        self._backend_chosen()

    # ------------------------------------------------------------- the viewer
    def _connect_viewer(self) -> None:
        layers = self.viewer.layers
        layers.events.inserted.connect(self._layer_inserted)
        layers.events.removed.connect(self._layer_removed)
        layers.events.reordered.connect(self._refresh_layers)
        layers.selection.events.active.connect(self._on_active)
        for layer in layers:
            self._watch(layer)

    def _watch(self, layer: Layer) -> None:
        if isinstance(layer, (Image, Labels)):
            self.edits.watch(layer)
            layer.events.name.connect(self._refresh_layers)
        if isinstance(layer, Labels):
            layer.events.paint.connect(self._painted)

    def _layer_inserted(self, event: Any) -> None:
        self._watch(event.value)
        self._refresh_layers()

    def _layer_removed(self, event: Any) -> None:
        layer = event.value
        if isinstance(layer, (Image, Labels)):
            self.edits.forget(layer)
            layer.events.name.disconnect(self._refresh_layers)
        if isinstance(layer, Labels):
            layer.events.paint.disconnect(self._painted)
        run = self.run_state
        if run is not None and layer in (run.image, run.labels):
            self._mark_stale(run)
        self._refresh_layers()

    def _refresh_layers(self, *_: Any) -> None:
        for combo, kind in ((self.image_combo, Image), (self.labels_combo, Labels)):
            current = combo.currentText()
            names = [layer.name for layer in self.viewer.layers if isinstance(layer, kind)]
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            if current in names:
                combo.setCurrentText(current)
            combo.blockSignals(False)
        self._labels_chosen()

    def _on_active(self, *_: Any) -> None:
        """Follow the layer the person is working on, without touching the other choice."""
        active = self.viewer.layers.selection.active
        if isinstance(active, Labels):
            self.labels_combo.setCurrentText(active.name)
        elif isinstance(active, Image):
            self.image_combo.setCurrentText(active.name)

    def image_layer(self) -> Image | None:
        return self._layer(self.image_combo.currentText(), Image)

    def labels_layer(self) -> Labels | None:
        return self._layer(self.labels_combo.currentText(), Labels)

    def _layer(self, name: str, kind: type) -> Any:
        if name in self.viewer.layers and isinstance(self.viewer.layers[name], kind):
            return self.viewer.layers[name]
        return None

    def _labels_chosen(self, *_: Any) -> None:
        labels = self.labels_layer()
        if labels is not None and labels.name != self._labels_name:
            self.label_spin.setValue(max(1, int(labels.selected_label)))
        self._labels_name = labels.name if labels is not None else ""
        self._image_chosen()

    def _image_chosen(self, *_: Any) -> None:
        modality = _layers.metadata_modality(self.image_layer(), self.labels_layer())
        if modality:  # the layer's own modality shows, but is not remembered as the default
            self.modality_combo.blockSignals(True)
            self.modality_combo.setCurrentText(modality)
            self.modality_combo.blockSignals(False)
        named = _layers.metadata_structure(self.labels_layer(), self.image_layer(), self.label_spin.value())
        self.structure_combo.setItemText(0, f"from layer metadata ({named})" if named else "from layer metadata")

    # ----------------------------------------------------------- the backend
    def _update_backend_menu(self) -> None:
        model: QStandardItemModel = self.backend_combo.model()
        has_key = find_api_key(self.settings.gemini_key) is not None
        index = self.backend_combo.findData("gemini")
        if index >= 0:
            model.item(index).setEnabled(has_key)
            model.item(index).setToolTip("" if has_key else HOW_TO_ADD_KEY)
            if not has_key and self.backend_combo.currentIndex() == index:
                self.backend_combo.setCurrentIndex(self.backend_combo.findData("offline"))
        self._backend_chosen()

    def _backend_enabled(self, index: int) -> bool:
        return self.backend_combo.model().item(index).isEnabled()

    def _backend_chosen(self, *_: Any) -> None:
        name = self.backend_combo.currentData()
        has_key = find_api_key(self.settings.gemini_key) is not None
        if name == "offline":
            hint = "Computed on this computer; nothing leaves it."
            if not has_key:
                hint += " To ask Gemini, set GEMINI_API_KEY or paste a key under Settings."
        elif name == "gemini":
            hint = f"Asks {self.settings.gemini_model}; snapshots and measures are sent to Google."
        else:
            hint = f"Asks the model server at {self.settings.local_url}."
        self.backend_hint.setText(f"<small>{hint}</small>")
        if name and name != self.settings.backend:
            self.settings.backend = name
            save_settings(self.settings)

    def _remember_choices(self, *_: Any) -> None:
        self.settings.structure = self.structure_combo.currentData() or FROM_LAYER
        self.settings.modality = self.modality_combo.currentText().strip() or "MRI-T1"
        save_settings(self.settings)

    def _settings_changed(self) -> None:
        self._update_backend_menu()

    def _backend_factory(self, auto: bool) -> Callable[[], Backend]:
        """How to build the chosen backend (auto re-checks stay offline), read now, built later
        in the worker; a HCRError from building names what is missing."""
        name = "offline" if auto else self.backend_combo.currentData()
        s = self.settings
        if name == "gemini":
            return partial(make_backend, "gemini", model=s.gemini_model, api_key=find_api_key(s.gemini_key))
        if name == "openai_compat":
            return partial(
                make_backend,
                "openai_compat",
                base_url=s.local_url,
                model=s.local_model or None,
                api_key=s.local_key or None,
            )
        return partial(make_backend, name)

    # --------------------------------------------------------------- running
    @property
    def running(self) -> bool:
        return self.run_state is not None

    def run(self, backend: Backend | None = None, *, auto: bool = False) -> bool:
        """Start a check of the chosen layers; returns False (and says why) when it cannot."""
        if self.run_state is not None:
            return False
        image, labels = self.image_layer(), self.labels_layer()
        try:
            inputs = _layers.gather(image, labels)
        except HCRError as error:
            self._say_error(str(error))
            return False
        assert image is not None and labels is not None
        multi = self.all_labels.isChecked()
        chosen = self.structure_combo.currentData() or FROM_LAYER
        structures = {}
        if isinstance(labels.metadata.get("structure"), dict):
            structures = {
                int(k): _layers.structure_for(labels, image, int(k), chosen)
                for k in labels.metadata["structure"]
                if str(k).isdigit()
            }
        request = RunRequest(
            image=inputs.image,
            mask=inputs.labels,
            spacing=inputs.spacing,
            labels="all" if multi else (self.label_spin.value(),),
            structures=structures,
            structure=_layers.structure_for(labels, image, self.label_spin.value(), chosen),
            modality=self.modality_combo.currentText().strip() or "MRI-T1",
            backend=(lambda: backend) if backend is not None else self._backend_factory(auto),
            cache=AssessmentCache() if self.settings.use_cache else None,
        )
        self._clear_results(keep_compare=auto)
        clear_highlight(self.viewer)
        stamp = self.edits.stamp(image, labels)
        worker, cancel = start_worker(request, self._on_event, self._on_returned, self._on_error, self._on_finished)
        self.destroyed.connect(cancel.set)  # a widget deleted mid-run must not leave its run going
        self.run_state = ActiveRun(worker, cancel, image, labels, stamp, auto, multi)
        self.last_results = self.run_state.results
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText("Re-checking after your edit…" if auto else "Starting…")
        self.label_table.setVisible(multi)
        self.runStarted.emit(labels.name)
        return True

    def cancel(self) -> None:
        run = self.run_state
        if run is None:
            return
        run.cancel.set()
        run.outcome = "cancelled"
        self.cancel_button.setEnabled(False)
        self.status.setText("Cancelling…")

    def _on_event(self, event: Any) -> None:
        run = self.run_state
        if run is None or run.cancel.is_set():
            return
        if not run.stale and self.edits.changed(run.stamp, run.image, run.labels):
            self._mark_stale(run)
            return
        if isinstance(event, Progress):
            self.progress.setValue(event.step)
            prefix = f"Label {run.current}: " if run.multi and run.current is not None else ""
            self.status.setText(prefix + event.message + "…")
        elif isinstance(event, LabelStarted):
            run.current = event.label
            run.results[event.label] = LabelResult(event.label, event.structure)
            self._clear_stage_view()
            if run.multi:
                self.label_table.set_row(event.label, event.structure, "running…")
        elif isinstance(event, LabelFailed):
            run.results[event.label] = LabelResult(event.label, "", message=event.message)
            self.label_table.set_row(event.label, "", event.message)
        elif isinstance(event, StageDone) and run.current is not None:
            result = run.results[run.current]
            result.stages.append(event.result)
            self.cards.addWidget(StageCard(event.result))
        elif isinstance(event, Done) and run.current is not None:
            self._label_done(run, run.results[run.current], event)

    def _label_done(self, run: ActiveRun, result: LabelResult, event: Done) -> None:
        result.assessment = event.assessment
        result.snapshots = event.snapshots
        result.stages = list(event.assessment.stages)
        key = (run.labels.name, result.label)
        before = self.previous.get(key)
        self.previous[key] = event.assessment
        self.review.add(ReviewEntry(run.labels.name, result.label, event.assessment, snapshots=event.snapshots))
        if run.multi:
            self.label_table.set_result(result.label, result.structure, event.assessment)
        self._show(run.labels.name, result)
        if run.auto and before is not None:
            self._show_compare(before, event.assessment)

    def _on_returned(self, value: Any) -> None:
        run = self.run_state
        if run is not None and isinstance(value, Cancelled):
            run.outcome = "cancelled"

    def _on_error(self, error: BaseException) -> None:
        run = self.run_state
        if run is not None:
            if run.stale or run.outcome == "cancelled":
                log.debug("napari-hcr: error after the run was abandoned: %s", type(error).__name__)
                return
            run.outcome = "error"
        if isinstance(error, HCRError):
            log.info("napari-hcr check stopped: %s", error)
            self._say_error(str(error))
        else:
            log.error("napari-hcr check failed", exc_info=error)
            self._say_error(f"The check failed unexpectedly ({type(error).__name__}); details are in the log.")

    def _on_finished(self) -> None:
        run = self.run_state
        self.run_state = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.hide()
        if run is None:
            return
        outcome = "stale" if run.stale else run.outcome
        if outcome == "cancelled":
            self.status.setText("Cancelled.")
        elif outcome == "verdict":
            self.status.setText(f"Done in {time.perf_counter() - run.started:.1f} s{self._usage_text(run)}.")
        elif outcome == "stale":
            self.status.setText("")
        self.runFinished.emit(outcome)
        if self._recheck_pending:
            self._recheck_pending = False
            self._recheck_timer.start(0)

    @staticmethod
    def _usage_text(run: ActiveRun) -> str:
        """What an LLM run cost, so nobody is surprised by a bill; empty for the offline backend."""
        usages = [r.assessment.backend for r in run.results.values() if r.assessment is not None]
        calls = sum(u.calls for u in usages if not u.cached and u.tokens_in + u.tokens_out > 0)
        tokens = sum(u.tokens_in + u.tokens_out + u.tokens_thinking for u in usages if not u.cached)
        return f", {calls} model call{'s' if calls != 1 else ''}, {tokens:,} tokens" if calls else ""

    def _mark_stale(self, run: ActiveRun) -> None:
        """Layers changed under a run: never show its result, and stop spending on it."""
        run.stale = True
        run.cancel.set()
        self._clear_results(keep_compare=False)
        self.badge.show_note(STALE, "warning")

    def _say_error(self, sentence: str) -> None:
        self.badge.show_note(sentence, "error")
        self.status.setText("")

    # --------------------------------------------------------------- showing
    def _clear_stage_view(self) -> None:
        while self.cards.count():
            card = self.cards.takeAt(0).widget()
            if card is not None:
                card.hide()  # deleteLater alone leaves it painted until the loop turns
                card.deleteLater()
        self.thumbnails.show_snapshots(())
        self.findings.show_findings([])

    def _clear_results(self, *, keep_compare: bool) -> None:
        self._clear_stage_view()
        self.badge.clear()
        self.label_table.clear_rows()
        self.shown = None
        if not keep_compare:
            self.compare.hide()

    def _show(self, layer_name: str, result: LabelResult) -> None:
        """Draw one label's result: badge, thumbnails, findings and stage cards."""
        self.shown = (layer_name, result)
        self._clear_stage_view()
        if result.assessment is None:
            self.badge.show_note(result.message or "No verdict for this label.", "error" if result.message else "info")
            for stage in result.stages:
                self.cards.addWidget(StageCard(stage))
            return
        a = result.assessment
        self.badge.show_verdict(a.verdict, a.confidence, cached=a.backend.cached)
        self.thumbnails.show_snapshots(result.snapshots)
        self.findings.show_findings(a.findings)
        for stage in a.stages:
            self.cards.addWidget(StageCard(stage))

    def _show_compare(self, before: Assessment, after: Assessment) -> None:
        self.compare.setText(
            f"Before your edit: <b>{before.verdict}</b> ({percent(before.confidence)}) &nbsp;→&nbsp; "
            f"now: <b>{after.verdict}</b> ({percent(after.confidence)})"
        )
        self.compare.show()

    def _label_row_chosen(self, label: int) -> None:
        if self.running or self.shown is None or label not in self.last_results:
            return
        self._show(self.shown[0], self.last_results[label])

    def _review_row_chosen(self, entry: ReviewEntry) -> None:
        if self.running:
            return
        result = LabelResult(
            entry.label,
            entry.assessment.structure,
            list(entry.assessment.stages),
            entry.assessment,
            tuple(entry.snapshots),
        )
        self._show(entry.layer, result)

    # ------------------------------------------------------------ navigation
    def _finding_clicked(self, finding: Finding) -> None:
        if finding.where is not None:
            self.go_to(finding.where)

    def _snapshot_clicked(self, location: Location) -> None:
        self.go_to(location)

    def go_to(self, location: Location) -> None:
        """Show ``location`` of the displayed result in the viewer, if its layer still exists."""
        if self.shown is None:
            return
        layer_name, result = self.shown
        labels = self._layer(layer_name, Labels)
        if labels is None:
            self.status.setText(f"The labels layer '{layer_name}' is gone, so there is nothing to show.")
            return
        go_to(self.viewer, labels, location, result.label)

    # --------------------------------------------------------------- re-check
    def _painted(self, event: Any) -> None:
        chosen = self.labels_layer()
        # unique_id, not identity: the plugin's viewer proxy wraps the layer the event comes from
        if not self.settings.auto_recheck or chosen is None or event.source.unique_id != chosen.unique_id:
            return
        self._recheck_timer.start(self.settings.recheck_delay_ms)

    def _recheck(self) -> None:
        if self.run_state is not None:
            self._recheck_pending = True
            return
        self.run(auto=True)

    # -------------------------------------------------------------- teardown
    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop any run and let go of the viewer's events."""
        self._recheck_timer.stop()
        self.cancel()
        layers = self.viewer.layers
        for signal, slot in (
            (layers.events.inserted, self._layer_inserted),
            (layers.events.removed, self._layer_removed),
            (layers.events.reordered, self._refresh_layers),
            (layers.selection.events.active, self._on_active),
        ):
            signal.disconnect(slot)
        for layer in layers:
            if isinstance(layer, (Image, Labels)):
                layer.events.name.disconnect(self._refresh_layers)
            if isinstance(layer, Labels):
                layer.events.paint.disconnect(self._painted)
        self.edits.forget_all()
