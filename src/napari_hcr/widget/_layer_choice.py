"""Keeps the form's layer choices in step with the viewer: its layers, the active layer, and
what the chosen layers' metadata say (label, modality, structure).
"""

from __future__ import annotations

from napari.layers import Image, Labels, Layer
from qtpy.QtCore import QObject

from ..case import TWO_D_MODALITIES
from . import _layers
from ._form import RunForm
from ._viewer_link import ViewerLink


class LayerChoice(QObject):
    """Feeds the form the viewer's layer names and follows the layer the person works on."""

    def __init__(self, link: ViewerLink, form: RunForm, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.form = form
        self._labels_name = ""
        self._scaled: Image | None = None  # the image layer whose scale the form shows
        link.layersChanged.connect(self.refresh)
        link.activeChanged.connect(self.follow)
        form.layersChosen.connect(self.chosen)
        self.refresh()
        self.follow(link.active())

    def image_layer(self) -> Image | None:
        return self.link.layer(self.form.image_combo.currentText(), Image)

    def labels_layer(self) -> Labels | None:
        return self.link.layer(self.form.labels_combo.currentText(), Labels)

    def refresh(self) -> None:
        """Offer the viewer's image and labels layers, keeping choices that still exist."""
        self.form.set_layer_names(self.link.names(Image), self.link.names(Labels))
        self.chosen()

    def follow(self, active: Layer | None) -> None:
        """Follow the layer the person is working on, without touching the other choice."""
        if isinstance(active, Labels):
            self.form.labels_combo.setCurrentText(active.name)
        elif isinstance(active, Image):
            self.form.image_combo.setCurrentText(active.name)

    def chosen(self) -> None:
        """Show what the chosen layers say of themselves: selected label, modality, structure."""
        image, labels = self.image_layer(), self.labels_layer()
        if labels is not None and labels.name != self._labels_name:
            self.form.label_spin.setValue(max(1, int(labels.selected_label)))
        self._labels_name = labels.name if labels is not None else ""
        modality = _layers.metadata_modality(image, labels)
        if not modality and image is not None and image.ndim == 2:  # a 3-D modality would not fit a picture
            chosen = self.form.modality_combo.currentText()
            modality = None if chosen in TWO_D_MODALITIES else "Photo" if image.rgb else "X-ray"
        if modality:
            self.form.show_modality(modality)
        self.form.show_layer_structure(_layers.metadata_structure(labels, image, self.form.label_spin.value()))
        self._follow_scale(image)

    def _follow_scale(self, image: Image | None) -> None:
        """Show the chosen image's scale, and again whenever the person sets it."""
        if image is not self._scaled:
            if self._scaled is not None:
                self._scaled.events.scale.disconnect(self._show_scale)
            if image is not None:
                image.events.scale.connect(self._show_scale)
            self._scaled = image
        self._show_scale()

    def _show_scale(self, _event: object = None) -> None:
        image = self._scaled
        if image is None:
            self.form.show_voxel_size(None)
        else:
            self.form.show_voxel_size(tuple(float(s) for s in image.scale), _layers.spacing_known(image))
