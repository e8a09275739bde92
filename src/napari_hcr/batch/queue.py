"""The review queue's model: a batch's records worst first, filters, and the reviewers' decisions.

Core code, tested without Qt; the widget's review-queue tab only draws it. Decisions are
appended to DIR/reviews.csv (one row each, flushed), and reading takes the last row per case
and label, so a colleague who opens the same DIR continues where the first reviewer stopped.
"""

from __future__ import annotations

import csv
import getpass
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .cohort import by_risk, top_finding
from .inputs import BatchCase
from .store import RESULTS, Record, failed, latest, read_records

REVIEWS = "reviews.csv"
DECISIONS: tuple[str, ...] = ("agree", "override")
REVIEW_COLUMNS = ("case", "label", "structure", "verdict", "score", "decision", "note", "reviewer", "time", "key")
FAILED = "failed"


@dataclass(frozen=True)
class QueueItem:
    """One record of the batch: a label of a case, or a case that could not be read."""

    record: Record

    @property
    def case(self) -> str:
        return str(self.record["case"])

    @property
    def label(self) -> int | None:
        label = self.record.get("label")
        return None if label is None else int(label)

    @property
    def key(self) -> str:
        """Names the item in reviews.csv: case and label."""
        return f"{self.case}#{'' if self.label is None else self.label}"

    @property
    def structure(self) -> str:
        return str(self.record.get("structure") or "")

    @property
    def verdict(self) -> str:
        return FAILED if failed(self.record) else str(self.record.get("verdict"))

    @property
    def score(self) -> float | None:
        return None if failed(self.record) else float(self.record["score"])

    @property
    def summary(self) -> str:
        """The item's most important line: its error, or its most severe finding."""
        return str(self.record["error"]) if failed(self.record) else top_finding(self.record)

    def batch_case(self) -> BatchCase:
        """The case's paths, to read its image and labels again."""
        paths = self.record.get("paths") or {}
        return BatchCase(self.case, str(paths.get("image", "")), str(paths.get("mask", "")))


@dataclass(frozen=True)
class Review:
    decision: str
    note: str = ""
    reviewer: str = ""
    time: str = ""

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, not {self.decision!r}")


class ReviewQueue:
    """A batch folder's items, worst first (failures, then lowest score), with their reviews."""

    def __init__(self, folder: Path, items: list[QueueItem], reviews: dict[str, Review]):
        self.folder = folder
        self.items = items
        self.reviews = reviews

    @classmethod
    def open(cls, path: str | Path) -> ReviewQueue:
        """Open a batch DIR or its results.jsonl; ValueError when neither holds records."""
        path = Path(path)
        results = path / RESULTS if path.is_dir() else path
        records = latest(read_records(results))
        if not records:
            raise ValueError(f"{path} holds no batch records (results.jsonl).")
        items = [QueueItem(r) for r in by_risk(records)]
        return cls(results.parent, items, read_reviews(results.parent / REVIEWS))

    @property
    def structures(self) -> list[str]:
        return sorted({item.structure for item in self.items if item.structure})

    @property
    def verdicts(self) -> list[str]:
        return sorted({item.verdict for item in self.items})

    def filtered(
        self, structure: str | None = None, verdict: str | None = None, unreviewed: bool = False
    ) -> list[QueueItem]:
        """The items that match every filter given (None: any), still worst first."""
        return [
            item
            for item in self.items
            if (structure is None or item.structure == structure)
            and (verdict is None or item.verdict == verdict)
            and not (unreviewed and item.key in self.reviews)
        ]

    def review_of(self, item: QueueItem) -> Review | None:
        return self.reviews.get(item.key)

    def decide(self, item: QueueItem, decision: str, note: str = "", reviewer: str | None = None) -> Review:
        """Record a decision on ``item`` and append it to reviews.csv at once."""
        review = Review(
            decision,
            note.strip(),
            reviewer if reviewer is not None else _user(),
            datetime.now().astimezone().isoformat(timespec="seconds"),
        )
        self.reviews[item.key] = review
        path = self.folder / REVIEWS
        new = not path.is_file() or path.stat().st_size == 0
        with path.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=REVIEW_COLUMNS)
            if new:
                writer.writeheader()
            writer.writerow(
                {
                    "case": item.case,
                    "label": "" if item.label is None else item.label,
                    "structure": item.structure,
                    "verdict": item.verdict,
                    "score": "" if item.score is None else f"{item.score:.3f}",
                    "decision": review.decision,
                    "note": review.note,
                    "reviewer": review.reviewer,
                    "time": review.time,
                    "key": item.record.get("key", ""),
                }
            )
        return review


def read_reviews(path: Path) -> dict[str, Review]:
    """The last decision per case and label in a reviews.csv (rows that do not parse are skipped)."""
    reviews: dict[str, Review] = {}
    if not path.is_file():
        return reviews
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                review = Review(
                    row["decision"], row.get("note") or "", row.get("reviewer") or "", row.get("time") or ""
                )
            except (KeyError, ValueError):
                continue
            reviews[f"{row.get('case', '')}#{row.get('label', '')}"] = review
    return reviews


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a container
        return ""
