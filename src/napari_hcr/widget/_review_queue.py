"""The "Review queue" tab: walk a batch's cases worst first in the viewer and decide on each.

It joins three existing pieces and adds none of their logic: the queue's model
(:mod:`napari_hcr.batch.queue`, loading, order, filters, reviews.csv), the list view
(:mod:`._queue_view`) and the results panel (:mod:`._results`, reused as is, with
:mod:`._navigate` for clicks on a finding or thumbnail). Opening an item shows its stored
assessment at once and reads its image and labels on a worker thread (the batch's own reader,
so a TotalSegmentator mask folder is merged as the batch merged it); a later choice makes an
earlier read stale, and its result is dropped by a generation counter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from napari.layers import Image, Labels
from napari.qt.threading import create_worker
from napari.viewer import Viewer
from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import QFileDialog, QSplitter, QVBoxLayout, QWidget

from ..batch.arrays import CaseArrays, read_case
from ..batch.queue import QueueItem, ReviewQueue
from ..verdict import Assessment, Finding, Location, SnapshotRef
from ._navigate import clear_highlight, go_to
from ._queue_view import QueueView
from ._results import LabelResult, ResultsPanel


@dataclass(frozen=True)
class StoredSnapshot:
    """A thumbnail the batch stored in DIR/thumbs, in the shape the results panel draws."""

    ref: SnapshotRef
    png: bytes
    region: tuple[int, int, int, int] | None = None


def stored_result(item: QueueItem, folder: Path) -> LabelResult:
    """The record as the results panel shows a finished label: verdict, stages, findings, thumbnails."""
    label = item.label if item.label is not None else 0
    if item.verdict == "failed":
        return LabelResult(label, item.structure, message=item.summary)
    assessment = Assessment.from_dict(item.record)
    snapshots = []
    for ref, name in zip(assessment.snapshots, item.record.get("thumbnails") or ()):
        path = folder / name
        if path.is_file():
            snapshots.append(StoredSnapshot(ref, path.read_bytes()))
    return LabelResult(label, item.structure, list(assessment.stages), assessment, tuple(snapshots))


class ReviewQueueTab(QWidget):
    """``caseShown(QueueItem)`` fires once an item's layers are in the viewer."""

    caseShown = Signal(object)

    def __init__(self, viewer: Viewer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.viewer = viewer
        self.queue: ReviewQueue | None = None
        self.item: QueueItem | None = None
        self.layers: tuple[Image, Labels] | None = None
        self._generation = 0
        self._worker: Any = None
        self.view = QueueView()
        self.results = ResultsPanel()
        splitter = QSplitter(Qt.Vertical)
        splitter.addWidget(self.view)
        splitter.addWidget(self.results)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.view.openRequested.connect(self._ask)
        self.view.itemChosen.connect(self.show_item)
        self.view.decided.connect(self.decide)
        self.results.findingActivated.connect(self._finding_clicked)
        self.results.snapshotActivated.connect(self.go_to)

    def open(self, path: str | Path) -> bool:
        """Open a batch DIR or results.jsonl and show its worst item; False (said in the panel) if it holds none."""
        try:
            queue = ReviewQueue.open(path)
        except (OSError, ValueError) as error:
            self.results.show_error(str(error))
            return False
        self.queue = queue
        self.view.show_queue(queue, Path(path).name)
        self.view.select(0)
        return True

    def show_item(self, item: QueueItem) -> None:
        if self.queue is None:
            return
        self.item = item
        self.results.show_result(stored_result(item, self.queue.folder))
        self.results.status.setText(f"{item.case}: reading the image and labels…")
        self._generation += 1
        generation = self._generation
        worker = create_worker(read_case, item.batch_case(), _start_thread=False, _ignore_errors=True)
        worker.returned.connect(lambda arrays: self._loaded(generation, item, arrays))
        worker.errored.connect(lambda error: self._failed(generation, item, error))
        self._worker = worker
        worker.start()

    def decide(self, decision: str, note: str) -> None:
        """Record the decision on the chosen item in reviews.csv, then move to the next item."""
        item = self.view.current()
        if self.queue is None or item is None:
            return
        self.queue.decide(item, decision, note)
        self.view.refresh_review(item)
        self.view.next()

    def go_to(self, location: Location) -> None:
        if self.layers is not None and self.item is not None and self.item.label is not None:
            go_to(self.viewer, self.layers[1], location, self.item.label)

    def _finding_clicked(self, finding: Finding) -> None:
        if finding.where is not None:
            self.go_to(finding.where)

    def _loaded(self, generation: int, item: QueueItem, arrays: CaseArrays) -> None:
        if generation != self._generation:
            return  # the reviewer moved on while this case was read
        image, labels = self._show_layers(item, arrays)
        if item.label is not None:
            labels.selected_label = item.label
        self.layers = (image, labels)
        self.results.status.setText(f"{item.case}, label {item.label}: {item.verdict}")
        self.caseShown.emit(item)

    def _failed(self, generation: int, item: QueueItem, error: BaseException) -> None:
        if generation == self._generation:
            self.results.status.setText(f"{item.case}: its files could not be read ({error}).")

    def _show_layers(self, item: QueueItem, arrays: CaseArrays) -> tuple[Image, Labels]:
        """The queue's two layers, reused from case to case (new data, spacing and names), so the
        viewer holds one case at a time and the reviewer's layer settings stay put."""
        clear_highlight(self.viewer)
        names = (f"{item.case} image", f"{item.case} labels")
        scale = arrays.spacing or (1.0,) * arrays.labels.ndim  # no voxel size in the files: one per voxel
        known = arrays.spacing is not None  # a re-check in the widget must not take the ones for 1 mm
        if self.layers is None or any(layer not in self.viewer.layers for layer in self.layers):
            image = self.viewer.add_image(arrays.image, name=names[0], scale=scale, metadata={"spacing_known": known})
            labels = self.viewer.add_labels(arrays.labels, name=names[1], scale=scale, opacity=0.35)
            return image, labels
        image, labels = self.layers
        image.metadata["spacing_known"] = known
        for layer, data, name in ((image, arrays.image, names[0]), (labels, arrays.labels, names[1])):
            layer.data = data
            layer.scale = scale
            layer.name = name
        image.reset_contrast_limits()
        self.viewer.reset_view()
        return image, labels

    def _ask(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a batch folder (napari-hcr batch --out DIR)")
        if folder:
            self.open(folder)
