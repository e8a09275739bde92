"""DIR/results.jsonl: one JSON record per case and label, appended and flushed as each arrives.

A record is the assessment JSON (schema ``napari-hcr/assessment/v1``) plus ``case``, ``label``,
``name`` (the label's name, if any), ``paths`` (image and mask), ``files`` (their SHA-256),
``run`` (backend, model, prompt version), ``key`` (the resume key), ``thumbnails`` (PNG files
in DIR/thumbs) and ``error``: null when assessed, else the sentence that says why not. A failed
record carries no verdict; a failure of the whole case (unreadable image) has ``label`` null.

The file only grows. Reading keeps the last record per case and label, so a rerun that
succeeds where an earlier run failed supersedes the failure, and a line cut short by a killed
process is skipped (and closed with a newline before the next append).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from ..verdict import plain_json

RESULTS = "results.jsonl"
Record = dict[str, Any]


def read_records(path: Path) -> list[Record]:
    """Every well-formed record in a results file, in the order written."""
    if not path.is_file():
        return []
    records = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a killed process
            if isinstance(record, dict) and "case" in record:
                records.append(record)
    return records


def latest(records: Iterable[Record]) -> list[Record]:
    """The last record per (case, label), in first-seen order; a whole-case failure is dropped
    once a later record of the same case exists."""
    ordered = list(records)
    last: dict[tuple[str, Any], int] = {}
    newest_of_case: dict[str, int] = {}
    for index, record in enumerate(ordered):
        last[(record["case"], record.get("label"))] = index
        newest_of_case[record["case"]] = index
    keep = []
    for (case, label), index in last.items():
        if label is None and newest_of_case[case] > index:
            continue
        keep.append(index)
    return [ordered[i] for i in sorted(keep)]


def failed(record: Record) -> bool:
    return bool(record.get("error"))


class ResultStore:
    """The results file of one batch folder, open for appending during a run."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / RESULTS
        self._handle: IO[str] | None = None

    def records(self) -> list[Record]:
        return latest(read_records(self.path))

    def done_keys(self) -> dict[tuple[str, str], frozenset[str]]:
        """Resume keys of the assessed records, per (image path, mask path)."""
        keys: dict[tuple[str, str], set[str]] = {}
        for record in self.records():
            if not failed(record) and record.get("key"):
                paths = record.get("paths", {})
                keys.setdefault((paths.get("image", ""), paths.get("mask", "")), set()).add(record["key"])
        return {where: frozenset(found) for where, found in keys.items()}

    def append(self, record: Record, thumbnails: dict[str, bytes] | None = None) -> None:
        """Write the record's thumbnails, then the record, then flush to disk: a record that is
        in the file is complete, whatever happens to the process next."""
        for name in record.get("thumbnails") or ():
            data = (thumbnails or {}).get(name)
            if data is not None:
                target = self.folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        handle = self._open()
        handle.write(json.dumps(record, default=plain_json) + "\n")
        handle.flush()
        os.fsync(handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _open(self) -> IO[str]:
        if self._handle is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            cut_short = False
            if self.path.is_file() and self.path.stat().st_size:
                with self.path.open("rb") as tail:
                    tail.seek(-1, os.SEEK_END)
                    cut_short = tail.read(1) != b"\n"
            self._handle = self.path.open("a", encoding="utf-8")
            if cut_short:
                self._handle.write("\n")
        return self._handle
