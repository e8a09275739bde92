"""The run form as a view: it offers layer names, emits the person's choice, knows no napari."""

from __future__ import annotations

import subprocess
import sys

from napari_hcr.widget._form import FormChoice, RunForm


def test_run_emits_the_current_choice(qtbot):
    form = RunForm()
    qtbot.addWidget(form)
    form.set_layer_names(["T1", "T2"], ["brain", "tumour"])
    form.labels_combo.setCurrentText("tumour")
    form.label_spin.setValue(3)
    form.structure_combo.setCurrentIndex(form.structure_combo.findData("liver"))
    form.modality_combo.setCurrentText("CT")
    with qtbot.waitSignal(form.runRequested) as blocker:
        form.run_button.click()
    assert blocker.args == [FormChoice("T1", "tumour", 3, False, "liver", "CT", "offline")]


def test_all_labels_disables_the_label_choice_and_reaches_the_choice(qtbot):
    form = RunForm()
    qtbot.addWidget(form)
    form.all_labels.setChecked(True)
    assert not form.label_spin.isEnabled()
    assert form.choice().all_labels


def test_new_layer_names_keep_a_choice_that_still_exists_without_signals(qtbot):
    form = RunForm()
    qtbot.addWidget(form)
    form.set_layer_names(["a", "b"], ["m", "n"])
    form.labels_combo.setCurrentText("n")
    with qtbot.assertNotEmitted(form.layersChosen):
        form.set_layer_names(["b"], ["k", "n"])
    assert form.labels_combo.currentText() == "n"
    assert form.image_combo.currentText() == "b"


def test_a_disabled_backend_falls_back_to_offline_with_its_reason(qtbot):
    form = RunForm()
    qtbot.addWidget(form)
    form.choose_backend("gemini")
    assert form.backend() == "gemini"
    form.offer_backend("gemini", False, "Add a key first.")
    assert form.backend() == "offline"
    item = form.backend_combo.model().item(form.backend_combo.findData("gemini"))
    assert not item.isEnabled() and item.toolTip() == "Add a key first."
    form.choose_backend("gemini")
    assert form.backend() == "offline"


def test_running_swaps_run_for_cancel_and_every_control_has_an_object_name(qtbot):
    form = RunForm()
    qtbot.addWidget(form)
    form.set_running(True)
    assert not form.run_button.isEnabled() and form.cancel_button.isEnabled()
    with qtbot.waitSignal(form.cancelRequested):
        form.cancel_button.click()
    controls = (form.image_combo, form.labels_combo, form.label_spin, form.structure_combo, form.backend_combo)
    assert all(c.objectName().startswith("hcr") for c in controls)
    assert all(c.objectName().startswith("hcr") for c in controls)


def test_the_views_import_without_napari():
    """brainrender-napari's rule: views emit signals and know nothing of napari."""
    views = ["_form", "_results", "_recheck", "_views", "_labels_table", "_review", "_settings", "_settings_panel"]
    code = (
        "import sys\n"
        f"for name in {views!r}: __import__('napari_hcr.widget.' + name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] == 'napari'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-600:]
    assert result.stdout.strip() == "[]"
