"""From napari layers to what the core needs, and how to tell that a layer changed mid-run.

Building the :class:`~napari_hcr.case.Case` itself (type conversion, ``np.unique`` over the
mask) costs seconds on a large volume, so here we only gather references and metadata on
the Qt thread; ``make_case`` runs in the worker. Arrays are not copied: instead each layer
carries an edit counter, and a result whose counter moved is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from napari.layers import Image, Labels, Layer

from ..errors import InputError
from ..knowledge import GENERIC


@dataclass(frozen=True)
class LayerInputs:
    """Raw references to what one run reads; ``make_case`` turns them into a Case later."""

    image: Any
    labels: Any
    spacing: tuple[float, ...] | None  # None: the image layer says its voxel size is unknown


def gather(image: Image | None, labels: Labels | None) -> LayerInputs:
    """Cheap checks a person can act on before anything starts, as plain sentences."""
    if labels is None:
        raise InputError("There is no labels layer to check; add or select one first.")
    if image is None:
        raise InputError("There is no image layer under the labels; add or select one first.")
    image_data = _level0(image.data)
    labels_data = _level0(labels.data)
    spacing = tuple(float(s) for s in image.scale)
    if tuple(float(s) for s in labels.scale) != spacing:
        raise InputError(
            f"The labels layer '{labels.name}' has a different scale from the image "
            f"'{image.name}'; they must share one voxel grid."
        )
    return LayerInputs(image_data, labels_data, spacing if spacing_known(image) else None)


def spacing_known(image: Image) -> bool:
    """Whether the image layer's scale is a voxel size: a layer whose ``metadata`` sets
    ``spacing_known`` to False (the review queue's layers of a .npy case) holds only napari's
    default, and sizes on it are counts of voxels."""
    return image.metadata.get("spacing_known") is not False


def metadata_structure(labels: Labels | None, image: Image | None, label: int) -> str | None:
    """The structure the layers say they hold: ``metadata['structure']`` as a name or a
    ``{label: name}`` mapping, labels layer first."""
    for layer in (labels, image):
        if layer is None:
            continue
        value = layer.metadata.get("structure")
        if isinstance(value, dict):
            value = value.get(label, value.get(str(label)))
        if isinstance(value, str) and value:
            return value
    return None


def metadata_modality(image: Image | None, labels: Labels | None) -> str | None:
    for layer in (image, labels):
        if layer is not None and isinstance(layer.metadata.get("modality"), str):
            return layer.metadata["modality"]
    return None


def structure_for(labels: Labels | None, image: Image | None, label: int, chosen: str) -> str:
    """The menu's structure, or when it is left on 'from layer metadata', the layers' own."""
    return chosen or metadata_structure(labels, image, label) or GENERIC


def _level0(data: Any) -> Any:
    """Multiscale layers hold a list of levels; the full-resolution one is first."""
    if isinstance(data, (list, tuple)):
        return data[0]
    return data


@dataclass(frozen=True)
class Stamp:
    """What a run saw when it started: which arrays, at which edit count."""

    image_id: int
    labels_id: int
    image_version: int
    labels_version: int


class EditCounter:
    """Counts edits per layer (paint strokes, fills, data replacement, removal).

    napari reports brush strokes as ``paint``, each painted atom as ``labels_update`` and a new
    array as ``data``; any of them makes an earlier result stale. Layers are keyed by
    ``unique_id``, not ``id()``: a widget docked as a plugin sees the viewer through napari's
    public-only proxy, which hands out a new proxy object on every access.
    """

    def __init__(self) -> None:
        self._versions: dict[str, int] = {}
        self._watched: dict[str, Layer] = {}

    def watch(self, layer: Layer) -> None:
        key = layer.unique_id
        if key in self._watched:
            return
        self._watched[key] = layer
        self._versions.setdefault(key, 0)
        layer.events.data.connect(self._bump)
        if isinstance(layer, Labels):
            layer.events.paint.connect(self._bump)
            layer.events.labels_update.connect(self._bump)

    def forget(self, layer: Layer) -> None:
        """The layer left the viewer: drop the hooks, and make any run on it stale."""
        key = layer.unique_id
        if self._watched.pop(key, None) is None:
            return
        layer.events.data.disconnect(self._bump)
        if isinstance(layer, Labels):
            layer.events.paint.disconnect(self._bump)
            layer.events.labels_update.disconnect(self._bump)
        self._versions[key] = self._versions.get(key, 0) + 1

    def forget_all(self) -> None:
        for layer in list(self._watched.values()):
            self.forget(layer)

    def version(self, layer: Layer) -> int:
        return self._versions.get(layer.unique_id, 0)

    def stamp(self, image: Image, labels: Labels) -> Stamp:
        return Stamp(id(image.data), id(labels.data), self.version(image), self.version(labels))

    def changed(self, stamp: Stamp, image: Image, labels: Labels) -> bool:
        return (
            self.stamp(image, labels) != stamp
            or image.unique_id not in self._watched
            or labels.unique_id not in self._watched
        )

    def _bump(self, event: Any) -> None:
        source = getattr(event, "source", None)
        if source is not None:
            key = source.unique_id
            self._versions[key] = self._versions.get(key, 0) + 1
