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
