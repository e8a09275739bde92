"""The all-labels table: run order as labels arrive, riskiest first when the verdict header is clicked."""

from __future__ import annotations

import dataclasses

from qtpy.QtCore import QPoint, Qt

from napari_hcr.backends import make_backend
from napari_hcr.reasoner import Done, assess_steps
from napari_hcr.widget._labels_table import LabelTable
from napari_hcr.widget._palette import VERDICT
from synthetic import ball_case


def header_click(qtbot, table: LabelTable, column: int) -> None:
    header = table.horizontalHeader()
    centre = QPoint(header.sectionViewportPosition(column) + header.sectionSize(column) // 2, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=centre)


def test_rows_keep_run_order_until_a_header_sorts_them(qtbot) -> None:
    table = LabelTable()
    qtbot.addWidget(table)
    table.show()
    for label in (3, 10, 9, 1):
        table.set_row(label, "liver", "running…")
    table.set_row(10, "spleen", "acceptable", "90%", "", (0.9, 0.9))
    table.set_row(9, "kidney_left", "unacceptable", "80%", "leak", (0.2, 0.8))
    table.set_row(1, "aorta", "acceptable", "70%", "", (0.7, 0.7))
    assert table.labels() == [3, 10, 9, 1]  # as the run reached them

    header_click(qtbot, table, 0)
    assert table.labels() == [1, 3, 9, 10]  # by value: 10 after 9, not after 1

    header_click(qtbot, table, 2)
    assert table.labels() == [3, 9, 1, 10]  # still running first, then by probability of being acceptable

    table.set_row(3, "liver", "unacceptable", "99%", "missing part", (0.01, 0.99))
    assert table.labels() == [3, 9, 1, 10] and table.item(0, 4).text() == "missing part"
    header_click(qtbot, table, 2)
    assert table.labels() == [10, 1, 9, 3]  # a second click: safest first
    table.selectRow(1)
    chosen: list[int] = []
    table.rowChosen.connect(chosen.append)
    table.selectRow(0)
    assert chosen == [10]  # a sorted row still opens its own label


def test_a_pass_on_doubtful_evidence_reads_as_such_and_sorts_before_clear_passes(qtbot) -> None:
    clear = next(e for e in assess_steps(ball_case(), make_backend("offline"), poll=1.0) if isinstance(e, Done))
    passed = clear.assessment
    doubt = dataclasses.replace(passed, score=0.41, confidence=0.41)
    assert passed.verdict == "acceptable" and not passed.doubtful and doubt.doubtful
    table = LabelTable()
    qtbot.addWidget(table)
    table.show()
    table.set_result(1, "brain", passed)
    table.set_result(2, "brain", doubt)
    assert table.item(0, 2).text() == "acceptable" and table.item(1, 2).text() == "acceptable on doubt"
    assert table.item(0, 2).foreground().color().name() == VERDICT["acceptable"]
    assert table.item(1, 2).foreground().color().name() != VERDICT["acceptable"]
    header_click(qtbot, table, 2)
    assert table.labels() == [2, 1]  # riskiest first
