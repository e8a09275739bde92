"""Ctrl-C during a batch keeps every finished record, and the same command then resumes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from batch_helpers import sample_folder
from napari_hcr.batch.store import read_records


def test_sigint_keeps_finished_records_and_a_rerun_completes_the_rest(tmp_path: Path) -> None:
    root = sample_folder(tmp_path / "in", ("good", "leak", "missing"))
    for kind in ("good", "leak", "missing"):  # six cases: the run is still busy when interrupted
        for sub in ("images", "masks"):
            (root / sub / f"{kind}-b.nii.gz").write_bytes((root / sub / f"{kind}.nii.gz").read_bytes())
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "napari_hcr.cli", "batch", str(root), "--out", str(out), "--workers", "1"]
    # The batch gets SIGINT as from a terminal. A test run started in the background ignores
    # SIGINT, and an ignored signal stays ignored across exec; a handled one is reset.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    results = out / "results.jsonl"
    deadline = time.monotonic() + 120
    while not (results.is_file() and read_records(results)) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted; every finished record is in" in err and "Traceback" not in err
    kept = read_records(results)
    assert 1 <= len(kept) < 6
    assert all(line.strip() for line in results.read_text().splitlines())  # whole lines only
    assert (out / "summary.csv").is_file() and (out / "report.html").is_file()

    rerun = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    records = read_records(results)
    assert sorted(r["case"] for r in records) == sorted(["good", "leak", "missing", "good-b", "leak-b", "missing-b"])
    assert records[: len(kept)] == kept  # the kept records were not redone
