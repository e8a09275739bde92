"""The run form: which image and labels, which label, structure, modality and backend; Run and Cancel.

A view: it knows layer *names* only, never napari. The coordinator feeds it the viewer's layers
and turns the :class:`FormChoice` it emits into a run.
"""

from __future__ import annotations

from dataclasses import dataclass

from qtpy.QtCore import Signal
from qtpy.QtGui import QStandardItemModel
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..backends import BACKENDS
from ..knowledge import available_structures
from ..wording import voxel_size_text

MODALITIES = ("MRI-T1", "MRI-T2", "MRI-FLAIR", "CT", "PET", "US", "X-ray", "Photo", "Microscopy")
FROM_LAYER = ""


@dataclass(frozen=True)
class FormChoice:
    """What the person chose; ``structure`` is empty for "from layer metadata"."""

    image: str
    labels: str
    label: int
    all_labels: bool
    structure: str
    modality: str
    backend: str


class RunForm(QWidget):
    """The controls above the results; emits ``runRequested`` with the current choice."""

    runRequested = Signal(object)
    cancelRequested = Signal()
    layersChosen = Signal()
    optionsChanged = Signal()
    backendChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image_combo = self._create_combo("hcrImage")
        self.labels_combo = self._create_combo("hcrLabels")
        self.label_spin, self.all_labels = self._create_label_choice()
        self.structure_combo = self._create_structure_combo()
        self.modality_combo = self._create_modality_combo()
        self.backend_combo = self._create_backend_combo()
        self.backend_hint = QLabel(objectName="hcrBackendHint", wordWrap=True)
        self.voxel_size = QLabel(objectName="hcrVoxelSize", wordWrap=True)
        self.run_button = self._create_button("Run", "hcrRun", self._run_clicked)
        self.cancel_button = self._create_button("Cancel", "hcrCancel", self.cancelRequested.emit)
        self.cancel_button.setEnabled(False)
        self._lay_out()
        self.image_combo.currentIndexChanged.connect(self.layersChosen.emit)
        self.labels_combo.currentIndexChanged.connect(self.layersChosen.emit)
        self.structure_combo.currentIndexChanged.connect(self.optionsChanged.emit)
        self.modality_combo.currentTextChanged.connect(self.optionsChanged.emit)
        self.backend_combo.currentIndexChanged.connect(lambda: self.backendChosen.emit(self.backend()))

    # ------------------------------------------------------------- builders
    def _create_combo(self, name: str) -> QComboBox:
        combo = QComboBox(objectName=name)
        return combo

    def _create_label_choice(self) -> tuple[QSpinBox, QCheckBox]:
        spin = QSpinBox(objectName="hcrLabel")
        spin.setRange(1, 2**31 - 1)
        every = QCheckBox("all labels", objectName="hcrAllLabels")
        every.toggled.connect(spin.setDisabled)
        return spin, every

    def _create_structure_combo(self) -> QComboBox:
        combo = QComboBox(objectName="hcrStructure")
        combo.addItem("from layer metadata", FROM_LAYER)
        for name in available_structures():
            combo.addItem(name.replace("_", " "), name)
        return combo

    def _create_modality_combo(self) -> QComboBox:
        combo = QComboBox(objectName="hcrModality")
        combo.setEditable(True)
        combo.addItems(MODALITIES)
        return combo

    def _create_backend_combo(self) -> QComboBox:
        combo = QComboBox(objectName="hcrBackend")
        for name, info in BACKENDS.items():
            combo.addItem(info.label, name)
        return combo

    def _create_button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text, objectName=name)
        button.clicked.connect(slot)
        return button

    def _lay_out(self) -> None:
        label_row = QHBoxLayout()
        label_row.addWidget(self.label_spin)
        label_row.addWidget(self.all_labels)
        form = QFormLayout()
        form.addRow("Image", self.image_combo)
        form.addRow("Labels", self.labels_combo)
        form.addRow("Voxel size", self.voxel_size)
        form.addRow("Label", label_row)
        form.addRow("Structure", self.structure_combo)
        form.addRow("Modality", self.modality_combo)
        form.addRow("Backend", self.backend_combo)
        form.addRow("", self.backend_hint)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(form)
        outer.addLayout(buttons)

    # -------------------------------------------------------------- reading
    def choice(self) -> FormChoice:
        return FormChoice(
            image=self.image_combo.currentText(),
            labels=self.labels_combo.currentText(),
            label=self.label_spin.value(),
            all_labels=self.all_labels.isChecked(),
            structure=self.structure_combo.currentData() or FROM_LAYER,
            modality=self.modality_combo.currentText().strip() or "MRI-T1",
            backend=self.backend(),
        )

    def backend(self) -> str:
        return str(self.backend_combo.currentData() or "offline")

    # -------------------------------------------------------------- writing
    def set_layer_names(self, images: list[str], labels: list[str]) -> None:
        """Offer these layers, keeping the current choices that still exist, without signals."""
        for combo, names in ((self.image_combo, images), (self.labels_combo, labels)):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            if current in names:
                combo.setCurrentText(current)
            combo.blockSignals(False)

    def restore(self, structure: str, modality: str) -> None:
        self.structure_combo.setCurrentIndex(max(self.structure_combo.findData(structure), 0))
        self.modality_combo.setCurrentText(modality)

    def show_modality(self, modality: str) -> None:
        """A layer's own modality: shown, without counting as the person's choice."""
        self.modality_combo.blockSignals(True)
        self.modality_combo.setCurrentText(modality)
        self.modality_combo.blockSignals(False)

    def show_voxel_size(self, scale: tuple[float, ...] | None, known: bool = True) -> None:
        """The image layer's scale, which a run takes as the voxel size unless ``known`` is
        False (empty: no image chosen)."""
        self.voxel_size.setText("" if scale is None else voxel_size_text(scale, known))

    def show_layer_structure(self, named: str | None) -> None:
        self.structure_combo.setItemText(0, f"from layer metadata ({named})" if named else "from layer metadata")

    def offer_backend(self, name: str, enabled: bool, tooltip: str = "") -> None:
        """Enable or disable one backend; a disabled current choice falls back to offline."""
        index = self.backend_combo.findData(name)
        if index < 0:
            return
        model: QStandardItemModel = self.backend_combo.model()
        model.item(index).setEnabled(enabled)
        model.item(index).setToolTip(tooltip)
        if not enabled and self.backend_combo.currentIndex() == index:
            self.backend_combo.setCurrentIndex(self.backend_combo.findData("offline"))

    def choose_backend(self, name: str) -> None:
        index = self.backend_combo.findData(name)
        if index >= 0 and self.backend_combo.model().item(index).isEnabled():
            self.backend_combo.setCurrentIndex(index)

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _run_clicked(self) -> None:
        self.runRequested.emit(self.choice())
