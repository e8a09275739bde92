"""The review queue's list: filters, the items worst first, the reviewer's decision, next/previous.

A view: it draws a :class:`~napari_hcr.batch.queue.ReviewQueue` it is given and emits what the
reviewer does (open a folder, choose an item, decide); it knows nothing of napari or files.
"""

from __future__ import annotations

from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QShortcut,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..batch.queue import QueueItem, Review, ReviewQueue

ANY = "any"
COLUMNS = ("Case", "Label", "Structure", "Verdict", "Score", "Review")
NEXT_KEY = "Alt+PgDown"
PREVIOUS_KEY = "Alt+PgUp"


class QueueView(QWidget):
    """``openRequested`` asks for a folder dialog; ``itemChosen(QueueItem)`` fires when the selected
    row changes; ``decided(decision, note)`` when Agree or Override is pressed."""

    openRequested = Signal()
    itemChosen = Signal(object)
    decided = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue: ReviewQueue | None = None
        self.source_name = ""
        self.shown: list[QueueItem] = []
        self.open_button = QPushButton("Open batch…", objectName="hcrQueueOpen")
        self.source = QLabel("Open a batch folder (napari-hcr batch --out DIR) or its results.jsonl.", wordWrap=True)
        self.structure_combo = QComboBox(objectName="hcrQueueStructure")
        self.verdict_combo = QComboBox(objectName="hcrQueueVerdict")
        self.unreviewed_box = QCheckBox("unreviewed only", objectName="hcrQueueUnreviewed")
        self.table = self._create_table()
        self.note = QLineEdit(objectName="hcrQueueNote", placeholderText="a note on your decision")
        self.agree_button = QPushButton("Agree", objectName="hcrQueueAgree")
        self.override_button = QPushButton("Override", objectName="hcrQueueOverride")
        self.previous_button = QPushButton("◀ Previous", objectName="hcrQueuePrevious")
        self.next_button = QPushButton("Next ▶", objectName="hcrQueueNext")
        self.previous_button.setToolTip(f"Previous case ({PREVIOUS_KEY})")
        self.next_button.setToolTip(f"Next case ({NEXT_KEY})")
        self.shortcuts = self._create_shortcuts()
        self._lay_out()
        self._wire()
        self._enable()

    # ---------------------------------------------------------------- building
    def _create_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS), objectName="hcrQueueTable")
        table.setHorizontalHeaderLabels(COLUMNS)
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        table.setSelectionBehavior(QTableWidget.SelectRows)
        table.setSelectionMode(QTableWidget.SingleSelection)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        return table

    def _create_shortcuts(self) -> tuple[QShortcut, QShortcut]:
        """Window-wide, so they work while the canvas has the focus."""
        after = QShortcut(QKeySequence(NEXT_KEY), self, self.next)
        before = QShortcut(QKeySequence(PREVIOUS_KEY), self, self.previous)
        for shortcut in (after, before):
            shortcut.setContext(Qt.WindowShortcut)
        return after, before

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        for widget in (QLabel("Structure"), self.structure_combo, QLabel("Verdict"), self.verdict_combo):
            filters.addWidget(widget)
        filters.addWidget(self.unreviewed_box)
        decision = QHBoxLayout()
        for widget in (self.note, self.agree_button, self.override_button):
            decision.addWidget(widget)
        steps = QHBoxLayout()
        steps.addWidget(self.previous_button)
        steps.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.source, 1)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(decision)
        layout.addLayout(steps)

    def _wire(self) -> None:
        self.open_button.clicked.connect(self.openRequested)
        self.structure_combo.currentIndexChanged.connect(self._refilter)
        self.verdict_combo.currentIndexChanged.connect(self._refilter)
        self.unreviewed_box.toggled.connect(self._refilter)
        self.table.itemSelectionChanged.connect(self._selected)
        self.agree_button.clicked.connect(lambda: self.decided.emit("agree", self.note.text()))
        self.override_button.clicked.connect(lambda: self.decided.emit("override", self.note.text()))
        self.previous_button.clicked.connect(self.previous)
        self.next_button.clicked.connect(self.next)

    # ---------------------------------------------------------------- showing
    def show_queue(self, queue: ReviewQueue, source: str) -> None:
        self.queue = queue
        self.source_name = source
        self._say_counts()
        for combo, values in ((self.structure_combo, queue.structures), (self.verdict_combo, queue.verdicts)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([ANY, *values])
            combo.blockSignals(False)
        self._refilter()

    def current(self) -> QueueItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self.shown[rows[0].row()] if rows else None

    def select(self, row: int) -> None:
        if 0 <= row < len(self.shown):
            self.table.selectRow(row)

    def next(self) -> None:
        self._step(+1)

    def previous(self) -> None:
        self._step(-1)

    def refresh_review(self, item: QueueItem) -> None:
        """Show ``item``'s review in its row after a decision."""
        if self.queue is None or item not in self.shown:
            return
        review = self.queue.review_of(item)
        self.table.item(self.shown.index(item), 5).setText(_review_text(review))
        self._say_counts()

    # ---------------------------------------------------------------- helpers
    def _say_counts(self) -> None:
        if self.queue is not None:
            self.source.setText(
                f"{self.source_name}: {len(self.queue.items)} items, {len(self.queue.reviews)} reviewed"
            )

    def _step(self, offset: int) -> None:
        if not self.shown:
            return
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() + offset if rows else 0
        self.select(min(max(row, 0), len(self.shown) - 1))

    def _refilter(self) -> None:
        if self.queue is None:
            return
        chosen = self.current()
        structure = self.structure_combo.currentText()
        verdict = self.verdict_combo.currentText()
        self.shown = self.queue.filtered(
            structure=None if structure in ("", ANY) else structure,
            verdict=None if verdict in ("", ANY) else verdict,
            unreviewed=self.unreviewed_box.isChecked(),
        )
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for row, item in enumerate(self.shown):
            self.table.insertRow(row)
            label = "" if item.label is None else str(item.label)
            if item.record.get("name"):
                label += f" ({item.record['name']})"
            cells = (
                item.case,
                label,
                item.structure,
                item.verdict,
                "" if item.score is None else f"{item.score:.2f}",
                _review_text(self.queue.review_of(item)),
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setToolTip(item.summary or text)
                self.table.setItem(row, column, cell)
        self.table.blockSignals(False)
        if chosen in self.shown:
            self.table.selectRow(self.shown.index(chosen))
        self._enable()

    def _selected(self) -> None:
        self._enable()
        item = self.current()
        if item is None:
            return
        review = self.queue.review_of(item) if self.queue is not None else None
        self.note.setText(review.note if review is not None else "")
        self.itemChosen.emit(item)

    def _enable(self) -> None:
        chosen = self.current() is not None
        for control in (self.agree_button, self.override_button, self.note):
            control.setEnabled(chosen)
        for control in (self.previous_button, self.next_button):
            control.setEnabled(bool(self.shown))


def _review_text(review: Review | None) -> str:
    if review is None:
        return ""
    return f"{review.decision}: {review.note}" if review.note else review.decision
