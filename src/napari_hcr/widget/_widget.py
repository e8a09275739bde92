"""The "HCR Quality Check" dock widget: a coordinator over small parts.

It builds the tabs and wires signals between the parts, and owns no logic of its own beyond
what a run's results mean for the views: the form (:mod:`._form`) says what to check, the run
controller (:mod:`._controller`) runs it off the Qt thread and drops stale results, the results
panel (:mod:`._results`) draws them, auto re-check (:mod:`._recheck`) asks for a run after
painting, and the viewer link (:mod:`._viewer_link`) is the only part that listens to napari.
More tabs (a review queue, say) join through :meth:`QCWidget.add_tab`.
"""

from __future__ import annotations

from typing import Any

from napari.layers import Image, Labels, Layer
from napari.utils.theme import get_theme
from napari.viewer import Viewer
from qtpy.QtCore import Signal
from qtpy.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from ..backends import Backend
from ..errors import HCRError
from ..verdict import Finding, Location
from ._controller import RunController
from ._form import FormChoice, RunForm
from ._layer_choice import LayerChoice
from ._navigate import clear_highlight, go_to
from ._recheck import AutoRecheck
from ._requests import build_request
from ._results import LabelResult, ResultsPanel
from ._review import ReviewLog
from ._review_queue import ReviewQueueTab
from ._run_view import RunView
from ._settings import WidgetSettings, load_settings
from ._settings_binding import SettingsBinding
from ._settings_panel import SettingsPanel
from ._viewer_link import ViewerLink


class QCWidget(QWidget):
    """Dock widget: segmentation quality check of the active labels layer over its image."""

    runStarted = Signal(str)
    runFinished = Signal(str)

    def __init__(self, napari_viewer: Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = napari_viewer
        self.settings: WidgetSettings = load_settings()
        self._inputs: tuple[Image, Labels] | None = None  # the layers the run in flight reads
        self.link = ViewerLink(napari_viewer, self)
        self.controller = RunController(self)
        self.recheck = AutoRecheck(lambda: self.controller.running, self)
        self.form = RunForm()
        self.results = ResultsPanel()
        self.review = ReviewLog()
        self.run_view = RunView(self.controller, self.results, self.review, self)
        self.settings_panel = SettingsPanel(self.settings)
        self.tabs = self._create_tabs()
        self.queue = ReviewQueueTab(napari_viewer)
        self.add_tab(self.queue, "Review queue")
        self.binding = SettingsBinding(self.settings, self.form, self.settings_panel, self.recheck, self)
        self.layers = LayerChoice(self.link, self.form, self)
        self._wire()
        self._theme_changed()

    # ---------------------------------------------------------------- building
    def _create_tabs(self) -> QTabWidget:
        check = QWidget()
        layout = QVBoxLayout(check)
        layout.addWidget(self.form)
        layout.addWidget(self.results, 1)
        tabs = QTabWidget(objectName="hcrTabs")
        tabs.addTab(check, "Check")
        tabs.addTab(self.review, "Review log")
        tabs.addTab(self.settings_panel, "Settings")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(tabs)
        self.setMinimumWidth(340)
        return tabs

    def add_tab(self, part: QWidget, title: str) -> None:
        """Another part as a tab before Settings (the review queue of a batch, for one)."""
        self.tabs.insertTab(self.tabs.count() - 1, part, title)

    def _wire(self) -> None:
        self.form.runRequested.connect(lambda choice: self.run(choice=choice))
        self.form.cancelRequested.connect(self.cancel)
        self.results.findingActivated.connect(self._finding_clicked)
        self.results.snapshotActivated.connect(self.go_to)
        self.link.painted.connect(self._painted)
        self.link.removed.connect(self._layer_removed)
        self.recheck.due.connect(lambda: self.run(auto=True))
        self.controller.finished.connect(self._finished)
        self.viewer.events.theme.connect(self._theme_changed)

    def _theme_changed(self, _event: Any = None) -> None:
        """Findings and links take colours that read on the viewer's theme (dark or light)."""
        theme = get_theme(self.viewer.theme)
        self.results.follow_theme(theme.background.as_hex(), theme.primary.as_hex())
        self.queue.results.follow_theme(theme.background.as_hex(), theme.primary.as_hex())

    # ------------------------------------------------------------- the layers
    def image_layer(self) -> Image | None:
        return self.layers.image_layer()

    def labels_layer(self) -> Labels | None:
        return self.layers.labels_layer()

    def _layer_removed(self, layer: Layer) -> None:
        if self._inputs is not None and layer.unique_id in {read.unique_id for read in self._inputs}:
            self.controller.mark_stale()

    # --------------------------------------------------------------- running
    @property
    def running(self) -> bool:
        return self.controller.running

    @property
    def shown(self) -> tuple[str, LabelResult] | None:
        """The labels layer's name and the label result the panel shows."""
        return self.run_view.shown

    @property
    def last_results(self) -> dict[int, LabelResult]:
        """Each label's result in the last run."""
        return self.run_view.last_results

    def run(self, backend: Backend | None = None, *, auto: bool = False, choice: FormChoice | None = None) -> bool:
        """Start a check of the chosen layers; returns False (and says why) when it cannot."""
        if self.controller.running:
            return False
        choice = choice or self.form.choice()
        image, labels = self.link.layer(choice.image, Image), self.link.layer(choice.labels, Labels)
        try:
            request = build_request(choice, image, labels, self.settings, backend=backend, auto=auto)
        except HCRError as error:
            self.results.show_error(str(error))
            return False
        assert image is not None and labels is not None
        clear_highlight(self.viewer)
        self._inputs = (image, labels)
        self.run_view.begin(labels.name, auto=auto, multi=choice.all_labels)
        stamp = self.link.edits.stamp(image, labels)
        self.controller.start(request, lambda: self.link.edits.changed(stamp, image, labels))
        self.form.set_running(True)
        self.runStarted.emit(labels.name)
        return True

    def cancel(self) -> None:
        if self.controller.running:
            self.controller.cancel()
            self.form.cancel_button.setEnabled(False)
            self.results.status.setText("Cancelling…")

    def _finished(self, outcome: str) -> None:
        self._inputs = None
        self.form.set_running(False)
        self.run_view.end(outcome)
        self.runFinished.emit(outcome)
        self.recheck.run_finished()

    # ------------------------------------------------------ showing, navigation
    def _finding_clicked(self, finding: Finding) -> None:
        if finding.where is not None:
            self.go_to(finding.where)

    def go_to(self, location: Location) -> None:
        """Show ``location`` of the displayed result in the viewer, if its layer still exists."""
        if self.run_view.shown is None:
            return
        layer_name, result = self.run_view.shown
        labels = self.link.layer(layer_name, Labels)
        if labels is None:
            self.results.status.setText(f"The labels layer '{layer_name}' is gone, so there is nothing to show.")
            return
        go_to(self.viewer, labels, location, result.label)

    def _painted(self, source: Layer) -> None:
        chosen = self.labels_layer()
        # unique_id, not identity: the plugin's viewer proxy wraps the layer the event comes from
        if chosen is not None and source.unique_id == chosen.unique_id:
            self.recheck.painted()

    # -------------------------------------------------------------- teardown
    def closeEvent(self, event: Any) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop any run and let go of the viewer's events."""
        self.recheck.stop()
        self.cancel()
        self.link.disconnect_all()
