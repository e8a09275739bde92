"""An instance segmentation in the widget: the nuclei of one image, unnamed, judged as nuclei
with "all labels"; each nucleus is weighed against the other nuclei of its image."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from gui_helpers import run_and_wait
from napari_hcr.widget import QCWidget
from synthetic import nuclei_field

pytestmark = pytest.mark.gui


def test_all_labels_of_an_unnamed_instance_map_are_judged_against_their_peers(qtbot, make_napari_viewer):
    image, labels = nuclei_field()
    grown = ndi.binary_dilation(labels == 15, iterations=4) & (labels == 0)
    labels[grown] = 15
    viewer = make_napari_viewer()
    viewer.add_image(image, name="nuclei")
    viewer.add_labels(labels, name="StarDist")
    widget = QCWidget(viewer)
    viewer.window.add_dock_widget(widget, name="HCR Quality Check")
    form = widget.form
    form.structure_combo.setCurrentIndex(form.structure_combo.findData("cell_nucleus"))
    form.modality_combo.setCurrentText("Microscopy")
    form.all_labels.setChecked(True)

    assert run_and_wait(qtbot, widget, timeout=120_000) == "verdict"

    values = [int(v) for v in np.unique(labels) if v != 0]
    assert widget.results.label_table.labels() == values
    results = {v: widget.last_results[v].assessment for v in values}
    assert all(a.measures["peers"] is not None for a in results.values())
    assert results[15].verdict == "unacceptable"
    assert "other cell nucleus labels of its label map" in results[15].stages[-1].text
    others = [a.verdict for v, a in results.items() if v != 15]
    assert others.count("acceptable") >= 0.9 * len(others)
