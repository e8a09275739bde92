"""The review queue's model without Qt: worst first, filters, decisions in reviews.csv read back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from napari_hcr.batch.queue import FAILED, ReviewQueue


def _record(case: str, label: int | None, score: float | None, structure: str = "liver", error: str | None = None):
    if error:
        return {"case": case, "label": label, "structure": structure, "error": error, "paths": {}}
    return {
        "case": case,
        "label": label,
        "structure": structure,
        "verdict": "acceptable" if score >= 0.5 else "unacceptable",
        "score": score,
        "confidence": 0.9,
        "stages": [
            {"name": "anatomical_inference", "findings": [{"kind": "leak", "severity": "major", "detail": "d"}]}
        ],
        "paths": {"image": f"/data/{case}.nii.gz", "mask": f"/data/{case}_seg.nii.gz"},
        "key": f"k-{case}-{label}",
        "error": None,
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    records = [
        _record("a", 1, 0.9),
        _record("b", 1, 0.2, structure="spleen"),
        _record("c", None, None, error="c.nii.gz could not be read"),
        _record("d", 2, 0.6, structure="spleen"),
        _record("a", 1, 0.4),  # a rerun's record supersedes the first
    ]
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + '{"case": "cut')
    return tmp_path


def test_items_are_worst_first_and_the_latest_record_wins(folder: Path) -> None:
    queue = ReviewQueue.open(folder)
    assert [(i.case, i.verdict) for i in queue.items] == [
        ("c", FAILED),
        ("b", "unacceptable"),
        ("a", "unacceptable"),
        ("d", "acceptable"),
    ]
    assert queue.items[0].summary == "c.nii.gz could not be read"
    assert queue.items[1].batch_case().mask == "/data/b_seg.nii.gz"
    assert queue.structures == ["liver", "spleen"] and queue.verdicts == ["acceptable", FAILED, "unacceptable"]


def test_filters_by_structure_verdict_and_review_state(folder: Path) -> None:
    queue = ReviewQueue.open(folder / "results.jsonl")
    assert [i.case for i in queue.filtered(structure="spleen")] == ["b", "d"]
    assert [i.case for i in queue.filtered(verdict="unacceptable")] == ["b", "a"]
    assert [i.case for i in queue.filtered(structure="spleen", verdict="acceptable")] == ["d"]
    queue.decide(queue.items[1], "agree")
    assert [i.case for i in queue.filtered(unreviewed=True)] == ["c", "a", "d"]


def test_decisions_go_to_reviews_csv_and_a_colleague_continues(folder: Path) -> None:
    first = ReviewQueue.open(folder)
    first.decide(first.items[1], "agree", "clear leak", reviewer="ann")
    first.decide(first.items[2], "override", " looks fine to me ", reviewer="ann")
    first.decide(first.items[1], "override", "changed my mind", reviewer="ann")
    rows = list(csv.DictReader((folder / "reviews.csv").open()))
    assert [(r["case"], r["decision"]) for r in rows] == [("b", "agree"), ("a", "override"), ("b", "override")]
    assert rows[0]["key"] == "k-b-1" and rows[1]["note"] == "looks fine to me"
    colleague = ReviewQueue.open(folder)
    assert colleague.review_of(colleague.items[1]).decision == "override"
    assert colleague.review_of(colleague.items[1]).note == "changed my mind"
    assert colleague.review_of(colleague.items[0]) is None
    assert [i.case for i in colleague.filtered(unreviewed=True)] == ["c", "d"]
    with pytest.raises(ValueError, match="decision must be one of"):
        colleague.decide(colleague.items[0], "maybe")


def test_a_folder_without_records_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="holds no batch records"):
        ReviewQueue.open(tmp_path)


@pytest.mark.parametrize(
    "module", ["napari_hcr.batch.cli", "napari_hcr.batch.queue", "napari_hcr.batch.task", "napari_hcr.batch.engines"]
)
def test_batch_core_never_imports_qt_or_napari(module: str) -> None:
    import subprocess
    import sys

    gui = {"napari", "qtpy", "PyQt5", "PyQt6", "PySide6"}
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {gui!r}); print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, f"{module} pulled in {done.stdout.strip()} {done.stderr[-300:]}"
