"""The one part that listens to the viewer: its layers, the active layer, paint strokes, edits.

It turns napari's events into a few Qt signals, so the coordinator and the views never hold
napari's event connections themselves, and :meth:`disconnect` lets go of all of them at once.
"""

from __future__ import annotations

from typing import Any, TypeVar

from napari.layers import Image, Labels, Layer
from napari.viewer import Viewer
from qtpy.QtCore import QObject, Signal

from ._layers import EditCounter

L = TypeVar("L", bound=Layer)


class ViewerLink(QObject):
    """``layersChanged`` after any insert, removal, reorder or rename; ``activeChanged`` with the
    newly active layer; ``painted`` with the labels layer a stroke landed on; ``removed`` with a
    layer that left the viewer."""

    layersChanged = Signal()
    activeChanged = Signal(object)
    painted = Signal(object)
    removed = Signal(object)

    def __init__(self, viewer: Viewer, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.viewer = viewer
        self.edits = EditCounter()
        self._closed = False
        layers = viewer.layers
        self._hooks = (
            (layers.events.inserted, self._inserted),
            (layers.events.removed, self._removed),
            (layers.events.reordered, self._changed),
            (layers.selection.events.active, self._active),
        )
        for signal, slot in self._hooks:
            signal.connect(slot)
        for layer in layers:
            self._watch(layer)

    def names(self, kind: type[Layer]) -> list[str]:
        return [layer.name for layer in self.viewer.layers if isinstance(layer, kind)]

    def layer(self, name: str, kind: type[L]) -> L | None:
        """The layer called ``name`` if it is a ``kind``, else None."""
        if name in self.viewer.layers and isinstance(self.viewer.layers[name], kind):
            return self.viewer.layers[name]
        return None

    def active(self) -> Layer | None:
        return self.viewer.layers.selection.active

    def disconnect_all(self) -> None:
        """Let go of every napari event; safe to call twice (close, then deletion)."""
        if self._closed:
            return
        self._closed = True
        for signal, slot in self._hooks:
            signal.disconnect(slot)
        for layer in self.viewer.layers:
            self._unwatch(layer)
        self.edits.forget_all()

    def _watch(self, layer: Layer) -> None:
        if isinstance(layer, Image | Labels):
            self.edits.watch(layer)
            layer.events.name.connect(self._changed)
        if isinstance(layer, Labels):
            layer.events.paint.connect(self._painted)

    def _unwatch(self, layer: Layer) -> None:
        if isinstance(layer, Image | Labels):
            self.edits.forget(layer)
            layer.events.name.disconnect(self._changed)
        if isinstance(layer, Labels):
            layer.events.paint.disconnect(self._painted)

    def _inserted(self, event: Any) -> None:
        self._watch(event.value)
        self.layersChanged.emit()

    def _removed(self, event: Any) -> None:
        self._unwatch(event.value)
        self.removed.emit(event.value)
        self.layersChanged.emit()

    def _changed(self, *_: Any) -> None:
        self.layersChanged.emit()

    def _active(self, *_: Any) -> None:
        self.activeChanged.emit(self.active())

    def _painted(self, event: Any) -> None:
        self.painted.emit(event.source)
