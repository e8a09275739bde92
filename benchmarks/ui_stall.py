"""Longest Qt event-loop stall while the widget assesses a 512x512x300 volume, and while the
auto re-check fires as someone paints.

A QTimer ticks every 10 ms on the Qt thread; the longest gap between two ticks is how long
the viewer froze. The volume is real anatomy: the MNI152 T1 template and brain mask that
ship with nilearn, resampled to 300 x 512 x 512 voxels (0.6 x 0.45 x 0.38 mm). Painting is
simulated with ``Labels.paint`` strokes 120 ms apart, as napari's brush calls it.

Run under a display (``xvfb-run -a python benchmarks/ui_stall.py``); prints the figures and,
with ``--json PATH``, writes them. Exit code 1 when a stall reaches the 100 ms budget.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BUDGET_MS = 100
SHAPE = (300, 512, 512)


def anatomy(shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    from nilearn import datasets
    from scipy import ndimage

    from napari_hcr.io import volume_from_nifti

    template = volume_from_nifti(datasets.load_mni152_template(resolution=1))
    brain = volume_from_nifti(datasets.load_mni152_brain_mask(resolution=1))
    factors = [n / s for n, s in zip(shape, template.data.shape)]
    image = ndimage.zoom(template.data.astype(np.float32), factors, order=1)
    mask = (ndimage.zoom(brain.data.astype(np.float32), factors, order=1) > 0.5).astype(np.uint8)
    spacing = tuple(s / f for s, f in zip(template.spacing, factors))
    return image, mask, spacing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--strokes", type=int, default=8, help="paint strokes in the re-check phase")
    args = parser.parse_args(argv)

    import os

    os.environ["NAPARI_HCR_CACHE_DIR"] = tempfile.mkdtemp(prefix="hcr-bench-cache-")
    from qtpy.QtCore import QSettings

    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp(prefix="hcr-bench-settings-"))

    import napari
    from qtpy.QtCore import QElapsedTimer, QEventLoop, QTimer

    from napari_hcr.widget import QCWidget

    t0 = time.perf_counter()
    image, mask, spacing = anatomy(SHAPE)
    prepare_s = time.perf_counter() - t0

    viewer = napari.Viewer(show=True)
    viewer.add_image(image, name="T1", scale=spacing, metadata={"modality": "MRI-T1"})
    labels = viewer.add_labels(mask, name="brain", scale=spacing, metadata={"structure": "brain"})
    widget = QCWidget(viewer)
    viewer.window.add_dock_widget(widget, name="HCR Quality Check")
    app = napari.qt.get_qapp()

    class Meter:
        def __init__(self) -> None:
            self.clock = QElapsedTimer()
            self.timer = QTimer()
            self.timer.setInterval(10)
            self.timer.timeout.connect(self.tick)
            self.longest = 0

        def tick(self) -> None:
            self.longest = max(self.longest, self.clock.restart())

        def start(self) -> None:
            self.longest = 0
            self.clock.start()
            self.timer.start()

        def stop(self) -> int:
            self.timer.stop()
            return self.longest

    def wait_finished(timeout_s: float = 600) -> str:
        outcome: list[str] = []
        loop = QEventLoop()
        widget.runFinished.connect(lambda o: (outcome.append(o), loop.quit()))
        QTimer.singleShot(int(timeout_s * 1000), loop.quit)
        loop.exec_()
        return outcome[0] if outcome else "timeout"

    for _ in range(50):  # let the window settle before measuring
        app.processEvents()
        time.sleep(0.01)

    meter = Meter()
    meter.start()
    t0 = time.perf_counter()
    widget.form.run_button.click()
    outcome = wait_finished()
    run_s = time.perf_counter() - t0
    run_stall = meter.stop()

    widget.settings_panel.delay.setValue(500)
    widget.settings_panel.auto_recheck.setChecked(True)
    starts: list[str] = []
    widget.runStarted.connect(starts.append)
    centre = np.array(SHAPE) // 2
    strokes = [tuple(int(v) for v in centre + (k, 0, 40)) for k in range(args.strokes)]
    meter.start()
    for delay, point in enumerate(strokes):
        QTimer.singleShot(120 * delay, lambda p=point: labels.paint(p, 0))
    t0 = time.perf_counter()
    recheck = wait_finished()
    recheck_s = time.perf_counter() - t0
    loop = QEventLoop()
    QTimer.singleShot(1000, loop.quit)  # a second more: no further re-run may start
    loop.exec_()
    paint_stall = meter.stop()

    figures = {
        "shape": list(SHAPE),
        "voxels": int(np.prod(SHAPE)),
        "prepare_seconds": round(prepare_s, 1),
        "assessment_outcome": outcome,
        "assessment_seconds": round(run_s, 1),
        "assessment_longest_stall_ms": run_stall,
        "paint_strokes": len(strokes),
        "recheck_runs": len(starts),
        "recheck_outcome": recheck,
        "recheck_seconds_after_first_stroke": round(recheck_s, 1),
        "painting_and_recheck_longest_stall_ms": paint_stall,
        "verdict": widget.results.badge.verdict,
        "budget_ms": BUDGET_MS,
    }
    for key, value in figures.items():
        print(f"{key:40s} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    widget.close()
    viewer.close()
    ok = run_stall < BUDGET_MS and paint_stall < BUDGET_MS and outcome == "verdict" and len(starts) == 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
