"""One row per label of a multi-label run: structure, verdict, confidence and top finding.

Rows come in run order. A click on a header sorts by that column: labels by value (10 after
9, not after 1), verdicts by the probability of being acceptable, so the riskiest label of a
61-label TotalSegmentator run comes first, with labels that failed or are still running
before them.
"""

from __future__ import annotations

from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QColor, QPalette
from qtpy.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from ..report import top_finding
from ..verdict import Assessment, verdict_text
from ..wording import percent
from ._palette import VERDICT, severity_colour

COLUMNS = ("Label", "Structure", "Verdict", "Confidence", "Top finding")
SORT_KEY = Qt.UserRole + 1
UNJUDGED = -1.0  # the sort key of a label that failed or is still running: ahead of every verdict


class _Cell(QTableWidgetItem):
    """A cell that sorts by its key (a number) where it has one, else by its text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_KEY), other.data(SORT_KEY)
        if mine is not None and theirs is not None:
            return float(mine) < float(theirs)
        return super().__lt__(other)


class LabelTable(QTableWidget):
    """Selecting a row emits its label value so the widget can show that label's stages."""

    rowChosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().hide()
        self.setEditTriggers(QTableWidget.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectRows)
        self.setSelectionMode(QTableWidget.SingleSelection)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setMinimumHeight(110)
        self.itemSelectionChanged.connect(self._selected)
        self.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)  # run order until a header is clicked
        self.setSortingEnabled(True)
        self.hide()

    def labels(self) -> list[int]:
        return [int(self.item(row, 0).text()) for row in range(self.rowCount())]

    def clear_rows(self) -> None:
        self.setRowCount(0)

    def set_row(
        self,
        label: int,
        structure: str,
        verdict: str,
        confidence: str = "",
        finding: str = "",
        keys: tuple[float, float] = (UNJUDGED, UNJUDGED),
    ) -> None:
        """``keys`` sort the verdict and confidence columns: P(acceptable) and the confidence."""
        sorting = self.isSortingEnabled()
        self.setSortingEnabled(False)  # a row must not move while its cells are written
        row = self._row_of(label)
        self.blockSignals(True)
        sort_keys = (float(label), None, *keys, None)
        for column, text in enumerate((str(label), structure.replace("_", " "), verdict, confidence, finding)):
            item = _Cell(text)
            item.setData(Qt.UserRole, label)
            if sort_keys[column] is not None:
                item.setData(SORT_KEY, sort_keys[column])
            if column == 4:
                item.setToolTip(text)
            self.setItem(row, column, item)
        self.blockSignals(False)
        self.setSortingEnabled(sorting)

    def set_result(self, label: int, structure: str, assessment: Assessment) -> None:
        confidence, score = assessment.confidence, assessment.score
        verdict = verdict_text(assessment.verdict, confidence)
        self.set_row(label, structure, verdict, percent(confidence), top_finding(assessment), (score, confidence))
        colour = (
            severity_colour("minor", self.palette().color(QPalette.Base).name())
            if assessment.doubtful  # passed, but more likely flawed than not: not the green of a clear pass
            else VERDICT[assessment.verdict]
        )
        self.item(self._row_of(label), 2).setForeground(QColor(colour))

    def _row_of(self, label: int) -> int:
        for row in range(self.rowCount()):
            if self.item(row, 0) is not None and int(self.item(row, 0).text()) == label:
                return row
        self.insertRow(self.rowCount())
        return self.rowCount() - 1

    def _selected(self) -> None:
        rows = self.selectionModel().selectedRows()
        if rows:
            self.rowChosen.emit(int(self.item(rows[0].row(), 0).text()))
