"""One row per label of a multi-label run: structure, verdict, confidence and top finding."""

from __future__ import annotations

from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QColor
from qtpy.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from ..report import top_finding
from ..verdict import Assessment
from ..wording import percent
from ._views import VERDICT_COLOURS

COLUMNS = ("Label", "Structure", "Verdict", "Confidence", "Top finding")


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
        self.hide()

    def labels(self) -> list[int]:
        return [int(self.item(row, 0).text()) for row in range(self.rowCount())]

    def clear_rows(self) -> None:
        self.setRowCount(0)

    def set_row(self, label: int, structure: str, verdict: str, confidence: str = "", finding: str = "") -> None:
        row = self._row_of(label)
        self.blockSignals(True)
        for column, text in enumerate((str(label), structure.replace("_", " "), verdict, confidence, finding)):
            item = QTableWidgetItem(text)
            item.setData(Qt.UserRole, label)
            if column == 4:
                item.setToolTip(text)
            self.setItem(row, column, item)
        self.blockSignals(False)

    def set_result(self, label: int, structure: str, assessment: Assessment) -> None:
        self.set_row(label, structure, assessment.verdict, percent(assessment.confidence), top_finding(assessment))
        self.item(self._row_of(label), 2).setForeground(QColor(VERDICT_COLOURS[assessment.verdict]))

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
