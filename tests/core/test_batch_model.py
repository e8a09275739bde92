"""Model backends in a batch: the cost estimate and question before a Gemini run, and pacing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from batch_helpers import sample_folder
from napari_hcr.batch.estimate import estimate
from napari_hcr.batch.inputs import discover
from napari_hcr.batch.pacing import Pacer


def test_estimate_counts_labels_calls_tokens_and_cost(tmp_path: Path) -> None:
    _, cases = discover(sample_folder(tmp_path / "in", ("good", "leak")))
    guess = estimate(cases, "gemini-2.5-flash")
    assert (guess.labels, guess.calls) == (2, 8)
    assert guess.cost_usd is not None and 0 < guess.cost_usd < 1
    assert "about 8 requests for 2 labels" in guess.sentence("gemini-2.5-flash")
    assert "unknown cost" in estimate(cases, "some-new-model").sentence("some-new-model")


def test_gemini_batch_without_a_terminal_refuses_unless_yes(tmp_path: Path) -> None:
    root = sample_folder(tmp_path / "in", ("good",))
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "napari_hcr.cli", "batch", str(root), "--out", str(out), "--backend", "gemini"]
    env = {"PATH": "/usr/bin:/bin", "GEMINI_API_KEY": "test-key-not-real", "HOME": str(tmp_path)}
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "about 4 requests for 1 label (counted)" in done.stdout
    assert "pass --yes to run it" in done.stderr and "test-key-not-real" not in done.stdout + done.stderr
    assert not (out / "results.jsonl").exists()


def test_pacer_spaces_calls_to_the_rate() -> None:
    pacer = Pacer(per_minute=600)  # one call every 0.1 s
    started = time.monotonic()
    for _ in range(4):
        pacer.wait()
    assert 0.28 <= time.monotonic() - started < 1.0


def test_a_gemini_batch_runs_in_the_workers_and_is_paced(tmp_path: Path, monkeypatch) -> None:
    """A loopback Gemini (the real SDK in a spawned worker): four paced stage requests, one record."""
    from fake_gemini import FakeGemini, stage_replies
    from napari_hcr.batch.store import read_records
    from napari_hcr.cli import main

    root = sample_folder(tmp_path / "in", ("good",))
    out = tmp_path / "out"
    with FakeGemini(stage_replies(verdict="unacceptable", score=0.2, confidence=0.7)) as fake:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.base_url)
        monkeypatch.setenv("GEMINI_API_KEY", "test-key-not-real")
        argv = ["batch", str(root), "--out", str(out), "--backend", "gemini", "--yes", "--rpm", "120", "--workers", "1"]
        assert main([*argv, "--structure", "brain"]) == 0
        assert len(fake.requests) == 4
    (record,) = read_records(out / "results.jsonl")
    assert record["backend"]["name"] == "gemini" and record["backend"]["calls"] == 4
    assert record["verdict"] == "unacceptable" and record["run"]["model"] == "gemini-2.5-flash"
    # 120 a minute from one slot: requests 0.5 s apart. The last two stages follow straight on
    # from the one before, so each waits its turn inside the stage (a fake reply takes ms).
    assert sum(stage["seconds"] for stage in record["stages"][2:]) >= 0.8


def test_a_gemini_batch_without_a_key_stops_before_the_estimate(tmp_path: Path) -> None:
    root = sample_folder(tmp_path / "in", ("good",))
    argv = [sys.executable, "-m", "napari_hcr.cli", "batch", str(root), "--out", str(tmp_path / "out")]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([*argv, "--backend", "gemini"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "GEMINI_API_KEY" in done.stderr and "requests for" not in done.stdout
