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
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..report import DECISIONS, ReviewEntry, write_csv, write_html, write_json
from ..verdict import verdict_text
from ..wording import percent

COLUMNS = ("Layer", "Label", "Verdict", "Backend", "Time", "Decision", "Note")
DECISION_TEXT = {"": "—", "agree": "agree", "override": "override"}


class ReviewLog(QWidget):
    """A table of the session's assessments; the selected row's decision is edited below it.

    Selecting a row emits its entry, so the widget can show that assessment again.
    """

    entrySelected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[ReviewEntry] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setSelectionMode(QTableWidget.SingleSelection)
        self.table.setTextElideMode(Qt.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.Interactive)
        header.resizeSection(0, 130)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selected)

        self.decision = QComboBox()
        for value in DECISIONS:
            self.decision.addItem(DECISION_TEXT[value], value)
        self.note = QLineEdit()
        self.note.setPlaceholderText("why you agree or override")
        self.decision.currentIndexChanged.connect(self._edited)
        self.note.textEdited.connect(self._edited)
        editor = QHBoxLayout()
        editor.addWidget(QLabel("Your decision"))
        editor.addWidget(self.decision)
        editor.addWidget(self.note, 1)

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
        layout.addLayout(editor)
        layout.addLayout(buttons)
        self._selected()

    def add(self, entry: ReviewEntry) -> None:
        self.entries.append(entry)
        row = self.table.rowCount()
        self.table.insertRow(row)
        a = entry.assessment
        cells = (
            entry.layer,
            str(entry.label),
            f"{verdict_text(a.verdict, a.confidence)} {percent(a.confidence)}",
            a.backend.name + (" · cache" if a.backend.cached else ""),
            entry.when.strftime("%H:%M:%S"),
            DECISION_TEXT[entry.decision],
            entry.note,
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            self.table.setItem(row, column, item)
        self.table.selectRow(row)

    def set_decision(self, row: int, decision: str, note: str = "") -> None:
        """What a reviewer does with the controls under the table, callable from scripts and tests."""
        self.table.selectRow(row)
        self.decision.setCurrentIndex(DECISIONS.index(decision))
        self.note.setText(note)
        self._edited()

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
            entry.assessment,
            path,
            entry.snapshots,
            title=f"Quality check of '{entry.layer}', label {entry.label}",
            decision=entry.decision,
            note=entry.note,
        )

    def _edited(self, *_: object) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        row = rows[0].row()
        entry = self.entries[row]
        entry.decision = self.decision.currentData()
        entry.note = self.note.text()
        self.table.item(row, 5).setText(DECISION_TEXT[entry.decision])
        self.table.item(row, 6).setText(entry.note)
        self.table.item(row, 6).setToolTip(entry.note)

    def _selected(self) -> None:
        entry = self.selected_entry()
        chosen = entry is not None
        self.export_csv_button.setEnabled(bool(self.entries))
        self.export_json_button.setEnabled(chosen)
        self.export_html_button.setEnabled(chosen)
        self.decision.setEnabled(chosen)
        self.note.setEnabled(chosen)
        if entry is None:
            return
        for control in (self.decision, self.note):
            control.blockSignals(True)
        self.decision.setCurrentIndex(DECISIONS.index(entry.decision))
        self.note.setText(entry.note)
        for control in (self.decision, self.note):
            control.blockSignals(False)
        self.entrySelected.emit(entry)

    def _ask(self, caption: str, name: str, pattern: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, caption, name, pattern)
        return path
