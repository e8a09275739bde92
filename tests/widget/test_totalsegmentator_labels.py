"""The user story of issue 9: a TotalSegmentator CT and its 61-label output, names in the Labels
layer's features, "all labels" in the widget; every label judged as its named structure.

The scan and its output come from TotalSegmentator 2.18.0's source archive on the package
registry (fetched into the user cache on first use, as the benchmark does)."""

from __future__ import annotations

import numpy as np
import pytest

from gui_helpers import run_and_wait
from napari_hcr.acceptability.scans import load_scan
from napari_hcr.knowledge import GENERIC, canonical_structure
from napari_hcr.widget import QCWidget

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def ts_ct():
    return load_scan("ts-ct")


def test_every_label_of_a_totalsegmentator_output_is_judged_as_its_named_structure(qtbot, make_napari_viewer, ts_ct):
    viewer = make_napari_viewer()
    viewer.add_image(ts_ct.image, name="CT", scale=ts_ct.spacing, metadata={"modality": "CT"})
    values = sorted(int(v) for v in np.unique(ts_ct.labels) if v != 0)
    assert len(values) == 61
    top = max(values)
    # napari's layout: row i of the features table describes label i
    names = [ts_ct.names.get(i, "") for i in range(top + 1)]
    layer = viewer.add_labels(ts_ct.labels, name="TotalSegmentator", scale=ts_ct.spacing)
    layer.features = {"index": list(range(top + 1)), "name": names}
    widget = QCWidget(viewer)
    viewer.window.add_dock_widget(widget, name="HCR Quality Check")
    widget.form.modality_combo.setCurrentText("CT")
    widget.form.all_labels.setChecked(True)

    assert run_and_wait(qtbot, widget, timeout=240_000) == "verdict"

    table = widget.results.label_table
    assert table.labels() == values
    shown = {table.labels()[r]: table.item(r, 1).text().replace(" ", "_") for r in range(table.rowCount())}
    for value in values:
        expected = canonical_structure(ts_ct.names[value])
        assert expected != GENERIC, ts_ct.names[value]
        assert shown[value] == expected
        assert widget.last_results[value].assessment.structure == expected
    verdicts = [widget.last_results[v].assessment.verdict for v in values]
    acceptable = verdicts.count("acceptable") / len(verdicts)
    rejected = [ts_ct.names[v] for v, verdict in zip(values, verdicts, strict=True) if verdict != "acceptable"]
    assert acceptable >= 0.9, f"unacceptable: {rejected}"
