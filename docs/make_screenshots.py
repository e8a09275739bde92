"""Screenshots of the HCR Quality Check widget in each state, for the README.

Run under a display: ``xvfb-run -a python docs/make_screenshots.py``. Writes
``docs/screenshots/{running,acceptable,unacceptable,log}.png`` from the bundled MNI152 samples
(leak while running, good mask, mask with missing slices after a click on its first major finding)
with the offline backend. For the "running" picture the offline backend is slowed to 1.5 s a
stage (the offline backend finishes in under a second, too fast to photograph mid-run).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).parent / "screenshots"


class Unhurried:
    """The offline backend taking its time, so a screenshot can catch a run half way."""

    def __init__(self, seconds: float = 1.5) -> None:
        from napari_hcr.backends import make_backend

        self.inner = make_backend("offline")
        self.name = self.inner.name
        self.model = f"{self.inner.model} (slowed)"
        self.seconds = seconds

    def open(self, facts):
        return _Slow(self.inner.open(facts), self.seconds)


class _Slow:
    def __init__(self, session, seconds: float) -> None:
        self.session = session
        self.seconds = seconds

    def answer(self, request):
        time.sleep(self.seconds)
        return self.session.answer(request)

    def usage(self):
        return self.session.usage()

    def close(self) -> None:
        self.session.close()


def main() -> int:
    os.environ["NAPARI_HCR_CACHE_DIR"] = tempfile.mkdtemp(prefix="hcr-shots-cache-")
    from qtpy.QtCore import QSettings

    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tempfile.mkdtemp(prefix="hcr-shots-settings-"))

    import napari
    from napari._qt.dialogs.qt_notification import NapariQtNotification
    from qtpy.QtCore import Qt
    from skimage.io import imsave

    from napari_hcr._sample_data import sample_good, sample_leak, sample_missing
    from napari_hcr.widget import QCWidget

    OUT.mkdir(parents=True, exist_ok=True)
    viewer = napari.Viewer(title="napari-hcr")
    window = viewer.window._qt_window
    window.resize(1920, 1200)  # large enough that the widget's text and thumbnails read at full size
    app = napari.qt.get_qapp()

    def pump(until: Callable[[], bool] = lambda: False, seconds: float = 0.3) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end and not until():
            app.processEvents()
            time.sleep(0.01)

    def load(tuples) -> None:
        for layer in list(viewer.layers):
            viewer.layers.remove(layer)
        for data, meta, kind in tuples:
            getattr(viewer, f"add_{kind}")(data, **meta)

    def shoot(name: str) -> None:
        pump(seconds=0.4)
        for toast in window.findChildren(NapariQtNotification):
            toast.close()
        pump(seconds=0.2)
        imsave(OUT / f"{name}.png", viewer.screenshot(canvas_only=False), check_contrast=False)
        print(OUT / f"{name}.png")

    widget = QCWidget(viewer)
    dock = viewer.window.add_dock_widget(widget, name="HCR Quality Check", area="right")
    window.resizeDocks([dock], [760], Qt.Horizontal)
    window.show()

    load(sample_leak())
    widget.run(Unhurried())
    pump(lambda: widget.results.cards.count() >= 2, seconds=30)
    shoot("running")
    pump(lambda: not widget.running, seconds=30)

    load(sample_good())
    widget.form.run_button.click()
    pump(lambda: not widget.running, seconds=60)
    shoot("acceptable")

    load(sample_missing())
    widget.form.run_button.click()
    pump(lambda: not widget.running, seconds=60)
    # click the first major finding, as a person would
    for row in range(widget.results.findings.count()):
        item = widget.results.findings.item(row)
        if item.text().startswith("major"):
            widget.results.findings.setCurrentItem(item)
            widget.results.findings.itemClicked.emit(item)
            break
    shoot("unacceptable")

    widget.review.set_decision(0, "agree")
    widget.review.set_decision(len(widget.review.entries) - 1, "override", "Gap matches the scan; reviewed by hand.")
    widget.tabs.setCurrentWidget(widget.review)
    shoot("log")
    viewer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
