"""The session's review log: every assessment with the reviewer's own decision, and exports.

Rows are :class:`~napari_hcr.report.ReviewEntry` objects; the files are written by the core
``report`` module so the CLI produces the same CSV and HTML.
"""

from __future__ import annotations

from pathlib import Path

from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..report import DECISIONS, ReviewEntry, write_csv, write_html, write_json
from ..wording import percent

COLUMNS = ("Layer", "Label", "Verdict", "Backend", "Time", "Decision", "Note")
DECISION_TEXT = {"": "—", "agree": "agree", "override": "override"}


class ReviewLog(QWidget):
    """A table of the session's assessments; selecting a row emits its entry."""

    entrySelected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[ReviewEntry] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setSelectionMode(QTableWidget.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(self._note_edited)
        self.table.itemSelectionChanged.connect(self._selected)
        self.export_csv_button = QPushButton("Export log (CSV)…")
        self.export_json_button = QPushButton("Selected as JSON…")
        self.export_html_button = QPushButton("Selected as HTML…")
        self.export_csv_button.clicked.connect(lambda: self.export_csv())
        self.export_json_button.clicked.connect(lambda: self.export_selected("json"))
        self.export_html_button.clicked.connect(lambda: self.export_selected("html"))
        buttons = QHBoxLayout()
        for button in (self.export_csv_button, self.export_json_button, self.export_html_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self._update_buttons()

    def add(self, entry: ReviewEntry) -> None:
        self.entries.append(entry)
        row = self.table.rowCount()
        self.table.blockSignals(True)
        self.table.insertRow(row)
        a = entry.assessment
        cells = (
            entry.layer, str(entry.label), f"{a.verdict} ({percent(a.confidence)})",
            a.backend.name + (" · cache" if a.backend.cached else ""), entry.when.strftime("%H:%M:%S"),
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setFlags(item.flags() & ~Qt.ItemIsEditable)
            self.table.setItem(row, column, item)
        decision = QComboBox()
        for value in DECISIONS:
            decision.addItem(DECISION_TEXT[value], value)
        decision.currentIndexChanged.connect(lambda _i, e=entry, box=decision: self._decided(e, box))
        self.table.setCellWidget(row, 5, decision)
        self.table.setItem(row, 6, QTableWidgetItem(entry.note))
        self.table.blockSignals(False)
        self.table.selectRow(row)
        self._update_buttons()

    def set_decision(self, row: int, decision: str, note: str = "") -> None:
        """What a reviewer does with the row's controls, callable from scripts and tests."""
        box: QComboBox = self.table.cellWidget(row, 5)
        box.setCurrentIndex(DECISIONS.index(decision))
        self.table.item(row, 6).setText(note)

    def selected_entry(self) -> ReviewEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def export_csv(self, path: str | Path | None = None) -> Path | None:
        path = path or self._ask("Export review log", "napari-hcr-review.csv", "CSV (*.csv)")
        return write_csv(self.entries, path) if path else None

    def export_selected(self, kind: str, path: str | Path | None = None) -> Path | None:
        entry = self.selected_entry()
        if entry is None:
            return None
        stem = f"hcr-{entry.layer}-label{entry.label}-{entry.when:%H%M%S}".replace(" ", "_")
        if kind == "json":
            path = path or self._ask("Export assessment", f"{stem}.json", "JSON (*.json)")
            return write_json(entry.assessment, path) if path else None
        path = path or self._ask("Export report", f"{stem}.html", "HTML (*.html)")
        if not path:
            return None
        return write_html(
            entry.assessment, path, entry.snapshots,
            title=f"Quality check of '{entry.layer}', label {entry.label}",
            decision=entry.decision, note=entry.note,
        )

    def _decided(self, entry: ReviewEntry, box: QComboBox) -> None:
        entry.decision = box.currentData()

    def _note_edited(self, item: QTableWidgetItem) -> None:
        if item.column() == 6:
            self.entries[item.row()].note = item.text()

    def _selected(self) -> None:
        self._update_buttons()
        entry = self.selected_entry()
        if entry is not None:
            self.entrySelected.emit(entry)

    def _update_buttons(self) -> None:
        self.export_csv_button.setEnabled(bool(self.entries))
        chosen = self.selected_entry() is not None
        self.export_json_button.setEnabled(chosen)
        self.export_html_button.setEnabled(chosen)

    def _ask(self, caption: str, name: str, pattern: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, caption, name, pattern)
        return path
