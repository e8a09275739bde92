"""The pieces the result is drawn with: verdict badge, stage cards, findings and thumbnails.

They only display; what a click means (moving the viewer) is decided by the widget, which
listens to ``findingActivated`` and ``snapshotActivated``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from qtpy.QtCore import QRect, QSize, Qt, Signal
from qtpy.QtGui import QColor, QIcon, QImage, QPixmap
from qtpy.QtWidgets import (
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..report import PictureLike, badge_colour
from ..stages import STAGES
from ..verdict import Finding, Location, StageResult, doubtful, verdict_text
from ..wording import duration, percent, where_text
from ._palette import NOTE, link_colour, severity_colour

NOTE_COLOURS = NOTE
TITLES = {spec.name: spec.title for spec in STAGES}
PANEL, LIST = "#23242b", "#424a54"  # napari's dark theme: panel and list-view backgrounds, until told
THUMB = 160


class VerdictBadge(QLabel):
    """The verdict in one glance, or a plain sentence when there is no verdict to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hcrVerdict")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignCenter)
        self.verdict: str | None = None
        self.clear()

    def show_verdict(self, verdict: str, confidence: float, cached: bool = False) -> None:
        self.verdict = verdict
        extra = " (from cache)" if cached else ""
        review = ": review it" if doubtful(verdict, confidence) else ""
        self.setText(f"{verdict_text(verdict, confidence).upper()}  ·  {percent(confidence)} confident{review}{extra}")
        self._paint(badge_colour(verdict, confidence), bold=True)

    def show_note(self, text: str, kind: str = "info") -> None:
        self.verdict = None
        self.setText(text)
        self._paint(NOTE_COLOURS[kind], bold=kind != "info")

    def clear(self) -> None:
        self.verdict = None
        self.setText("")
        self.setStyleSheet("")
        self.hide()

    def _paint(self, colour: str, *, bold: bool) -> None:
        weight = "bold" if bold else "normal"
        self.setStyleSheet(
            f"QLabel#hcrVerdict {{ background: {colour}; color: white; border-radius: 6px;"
            f" padding: 8px; font-weight: {weight}; }}"
        )
        self.show()


class StageCard(QFrame):
    """One finished stage: its title, time and text, long text folded to its opening lines."""

    FOLD = 320

    def __init__(self, result: StageResult, parent: QWidget | None = None, *, background: str = PANEL) -> None:
        super().__init__(parent)
        self.result = result
        self.link = link_colour(background)
        self.setFrameShape(QFrame.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        title = QLabel(
            f"<b>{TITLES.get(result.name, result.name)}</b>  <small>{html.escape(duration(result.seconds))}</small>"
        )
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.RichText)
        self.body.setTextInteractionFlags(Qt.TextSelectableByMouse | Qt.LinksAccessibleByMouse)
        self.body.linkActivated.connect(self._toggle)
        layout.addWidget(title)
        layout.addWidget(self.body)
        self.folded = len(result.text) > self.FOLD
        self._render()

    def _toggle(self, _link: str) -> None:
        self.folded = not self.folded
        self._render()

    def _render(self) -> None:
        text = html.escape(self.result.text).replace("\n", "<br>")
        if len(self.result.text) <= self.FOLD:
            self.body.setText(text)
        elif self.folded:
            cut = html.escape(self.result.text[: self.FOLD].rsplit(" ", 1)[0]).replace("\n", "<br>")
            self.body.setText(f'{cut}… <a href="more" style="color:{self.link}">more</a>')
        else:
            self.body.setText(f'{text} <a href="less" style="color:{self.link}">less</a>')


class FindingList(QListWidget):
    """Every finding of an assessment; clicking one with a place emits it."""

    findingActivated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setSelectionMode(QListWidget.SingleSelection)
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)
        self.background = LIST

    def set_background(self, colour: str) -> None:
        """The theme's list-view background: findings are coloured to read on it (WCAG AA)."""
        self.background = colour
        for row in range(self.count()):
            item = self.item(row)
            item.setForeground(QColor(severity_colour(item.data(Qt.UserRole).severity, colour)))

    def show_findings(self, findings: list[Finding]) -> None:
        """Each distinct finding once; info notes without a place stay in the stage text."""
        self.clear()
        order = {"major": 0, "minor": 1, "info": 2}
        distinct = list(dict.fromkeys(f for f in findings if f.severity != "info" or f.where is not None))
        findings = sorted(distinct, key=lambda f: order[f.severity])
        for finding in findings:
            place = f" ({where_text(finding.where)})" if finding.where else ""
            item = QListWidgetItem(f"{finding.severity}: {finding.detail}{place}")
            item.setForeground(QColor(severity_colour(finding.severity, self.background)))
            item.setData(Qt.UserRole, finding)
            if finding.where is not None:
                item.setToolTip("Click to show this place in the viewer")
            self.addItem(item)
        self.setVisible(bool(findings))
        self.setFixedHeight(min(180, 14 + 56 * len(findings)))  # wrapped rows: up to three lines each

    def _clicked(self, item: QListWidgetItem) -> None:
        finding = item.data(Qt.UserRole)
        if finding is not None and finding.where is not None:
            self.findingActivated.emit(finding)


class ThumbnailStrip(QListWidget):
    """Snapshot thumbnails in a row; clicking one emits its Location."""

    snapshotActivated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListWidget.IconMode)
        self.setFlow(QListWidget.LeftToRight)
        self.setWrapping(False)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 16, THUMB + 64))  # room for a caption of three short lines
        self.setWordWrap(True)
        self.setFixedHeight(THUMB + 84)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self.setMovement(QListWidget.Static)
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)
        self.hide()

    def show_snapshots(self, snapshots: Sequence[PictureLike], images: Sequence[QImage] = ()) -> None:
        """Show the snapshots; ``images`` are their thumbnails already decoded (see
        :func:`thumbnail`), else each PNG is decoded here."""
        self.clear()
        for index, snapshot in enumerate(snapshots):
            image = images[index] if index < len(images) else thumbnail(snapshot.png, getattr(snapshot, "region", None))
            pixmap = QPixmap.fromImage(image)
            ref = snapshot.ref
            place = "image" if ref.axis < 0 else f"ax {ref.axis} · {ref.slice}"
            caption = place if ref.why == "the whole image" else f"{place}: {ref.why}"  # why it was chosen, visible
            item = QListWidgetItem(QIcon(pixmap), caption)
            item.setToolTip(f"{ref.why} ({where_text(Location(ref.axis, ref.slice))}); click to go there")
            item.setData(Qt.UserRole, Location(ref.axis, ref.slice))
            self.addItem(item)
        self.setVisible(bool(snapshots))

    def _clicked(self, item: QListWidgetItem) -> None:
        self.snapshotActivated.emit(item.data(Qt.UserRole))


def thumbnail(png: bytes, region: tuple[int, int, int, int] | None = None) -> QImage:
    """A snapshot's PNG decoded, cropped to ``region`` (the mask and what borders it) and scaled
    to the strip's size; a QImage, so a worker thread can make it and the Qt thread only wraps it
    in a pixmap."""
    image = QImage.fromData(png, "PNG")
    if region is not None:
        image = image.copy(QRect(*region))
    return image.scaled(THUMB, THUMB, Qt.KeepAspectRatio, Qt.SmoothTransformation)
