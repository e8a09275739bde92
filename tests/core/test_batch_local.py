"""napari-hcr batch on the local process pool: records, report, resume, a broken case, exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage as ndi

from batch_helpers import sample_folder, write_pair
from napari_hcr.batch.cohort import render_report, summary_row
from napari_hcr.batch.store import read_records
from napari_hcr.cli import main
from napari_hcr.stages import PROMPT_VERSION
from synthetic import nuclei_field


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two bundled samples, a two-organ synthetic CT with a label table, and a broken mask file."""
    root = sample_folder(tmp_path_factory.mktemp("batch") / "in", ("good", "missing"))
    write_pair(root / "images" / "organs.nii.gz", root / "masks" / "organs.nii.gz")
    (root / "masks" / "organs.json").write_text(json.dumps({"1": "spleen", "5": "liver"}))
    (root / "images" / "broken.nii.gz").write_bytes((root / "images" / "good.nii.gz").read_bytes())
    (root / "masks" / "broken.nii.gz").write_bytes(b"not a nifti file at all")
    return root


@pytest.fixture(scope="module")
def first_run(cohort: Path) -> tuple[int, Path]:
    out = cohort.parent / "out"
    code = main(["batch", str(cohort), "--out", str(out), "--workers", "2", "--modality", "MRI-T1"])
    return code, out


def test_every_case_and_label_gets_a_record_and_one_broken_case_does_not_stop_the_run(first_run) -> None:
    code, out = first_run
    records = {(r["case"], r["label"]): r for r in read_records(out / "results.jsonl")}
    assert set(records) == {("good", 1), ("missing", 1), ("organs", 1), ("organs", 5), ("broken", None)}
    assert code == 4  # some failed
    broken = records[("broken", None)]
    assert "broken.nii.gz could not be read" in broken["error"] and "verdict" not in broken
    organs = records[("organs", 5)]
    assert organs["error"] is None and organs["schema"] == "napari-hcr/assessment/v1"
    assert (
        organs["name"] == "liver" and organs["structure"] == "liver" and records[("organs", 1)]["structure"] == "spleen"
    )
    assert organs["paths"]["mask"].endswith("masks/organs.nii.gz") and len(organs["files"]["mask_sha256"]) == 64
    assert organs["run"] == {
        "backend": "offline",
        "model": organs["backend"]["model"],
        "prompt_version": PROMPT_VERSION,
    }
    assert records[("missing", 1)]["verdict"] == "unacceptable"
    assert all((out / name).is_file() for r in records.values() for name in r.get("thumbnails") or ())


def test_summary_and_report_are_sorted_by_risk(first_run) -> None:
    _, out = first_run
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert rows[0]["case"] == "broken" and rows[0]["verdict"] == "failed" and "could not be read" in rows[0]["error"]
    scores = [float(r["score"]) for r in rows[1:]]
    assert scores == sorted(scores) and rows[1]["case"] == "missing"
    report = (out / "report.html").read_text()
    assert report.index(">missing<") < report.index(">good<")  # lowest probability of acceptable first
    assert "data:image/png;base64," in report and "<svg" in report  # thumbnails and histogram inline
    assert not any(tag in report for tag in ('src="http', "<link", "<script"))  # nothing fetched from elsewhere
    assert "<td>missing_slices</td><td>major</td>" in report  # counts per finding kind


def test_the_report_names_passes_on_doubtful_evidence(first_run) -> None:
    _, out = first_run
    records = [r for r in read_records(out / "results.jsonl") if not r.get("error")]
    passed = next(r for r in records if r["verdict"] == "acceptable" and r["confidence"] >= 0.5)
    doubt = {**passed, "case": "doubted", "score": 0.4, "confidence": 0.4}
    clear = render_report(records, out, "cohort")
    flagged = render_report([*records, doubt], out, "cohort")
    assert "(0 of them on doubt, to be reviewed)" in clear and "acceptable on doubt" not in clear
    assert "(1 of them on doubt, to be reviewed)" in flagged and ">acceptable on doubt<" in flagged
    assert summary_row(doubt)["on_doubt"] == "yes" and summary_row(passed)["on_doubt"] == ""
    assert summary_row({**passed, "verdict": "unacceptable", "confidence": 0.6})["on_doubt"] == ""


def test_a_second_run_redoes_nothing_and_a_fixed_case_alone_is_redone(first_run, cohort: Path, capsys) -> None:
    _, out = first_run
    before = len(read_records(out / "results.jsonl"))
    (cohort / "masks" / "broken.nii.gz").write_bytes((cohort / "masks" / "good.nii.gz").read_bytes())
    code = main(["batch", str(cohort), "--out", str(out), "--workers", "2", "--modality", "MRI-T1"])
    assert code == 0
    added = read_records(out / "results.jsonl")[before:]
    assert [(r["case"], r["label"], r["error"]) for r in added] == [("broken", 1, None)]
    assert "4 already in" in capsys.readouterr().out
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert len(rows) == 5 and not any(r["error"] for r in rows)  # the fixed case's success supersedes its failure


def test_a_changed_input_file_is_redone(first_run, cohort: Path) -> None:
    _, out = first_run
    before = len(read_records(out / "results.jsonl"))
    write_pair(cohort / "images" / "organs.nii.gz", cohort / "masks" / "organs.nii.gz", seed=3)  # new image noise
    assert main(["batch", str(cohort), "--out", str(out), "--workers", "1", "--modality", "MRI-T1"]) == 0
    added = read_records(out / "results.jsonl")[before:]
    assert sorted((r["case"], r["label"]) for r in added) == [("organs", 1), ("organs", 5)]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workers", "0"], "--workers 0 must be at least 1"),
        (["--rpm", "-3"], "--rpm -3 must be a positive"),
        (["--scheduler", "localhost"], "is not an address"),
    ],
)
def test_bad_arguments_exit_2_with_one_sentence_before_any_work(tmp_path: Path, capsys, argv, message) -> None:
    root = sample_folder(tmp_path / "in", ("good",))
    assert main(["batch", str(root), "--out", str(tmp_path / "out"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_bad_input_exits_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["batch", str(tmp_path / "nothing"), "--out", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
    root = sample_folder(tmp_path / "in", ("good",))
    assert main(["batch", str(root), "--out", str(tmp_path / "file")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_a_task_that_breaks_still_returns_a_failed_record(tmp_path: Path) -> None:
    """Even an error outside the per-label guard (here a label list that is not one) is a record."""
    from batch_helpers import MASKS, T1
    from napari_hcr.batch.inputs import BatchCase
    from napari_hcr.batch.task import Task, run_task

    result = run_task(Task(BatchCase("odd", str(T1), str(MASKS["good"]), labels=7)))  # type: ignore[arg-type]
    (record,) = result.records
    assert record["case"] == "odd" and record["label"] is None
    assert record["error"].startswith("unexpected TypeError")


def test_a_worker_killed_mid_case_becomes_a_failed_record_not_a_hang(tmp_path: Path, monkeypatch) -> None:
    """The worker is killed while it waits on a (slow, loopback) model: the run goes on without it."""
    import threading
    import time

    import psutil

    from fake_gemini import FakeGemini, json_reply, stage_payloads
    from napari_hcr.batch.engines import LocalEngine
    from napari_hcr.batch.inputs import discover
    from napari_hcr.batch.task import BackendSpec, Task

    _, cases = discover(sample_folder(tmp_path / "in", ("good",)), structure="brain")
    with FakeGemini([json_reply(stage_payloads()[0], delay_s=5.0)]) as fake:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.base_url)
        monkeypatch.setenv("GEMINI_API_KEY", "test-key-not-real")

        def kill_when_asked() -> None:
            deadline = time.monotonic() + 60
            while not fake.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            for child in psutil.Process().children():
                child.kill()

        killer = threading.Thread(target=kill_when_asked, daemon=True)
        killer.start()
        engine = LocalEngine(1, poll=0.2)
        started = time.monotonic()
        try:
            results = list(engine.run([Task(cases[0], BackendSpec(name="gemini"))]))
        finally:
            engine.close()
        killer.join(timeout=5)
    assert time.monotonic() - started < 30
    ((record,),) = [r.records for r in results]
    assert record["case"] == "good" and "worker process died" in record["error"]


def test_an_unnamed_instance_map_judged_as_nuclei_weighs_each_against_its_peers(tmp_path: Path) -> None:
    # A StarDist-like output without a label table, all labels judged as nuclei: one nucleus
    # grown by 4 px stands out among the others of its image.
    image, labels = nuclei_field()
    labels[ndi.binary_dilation(labels == 15, iterations=4) & (labels == 0)] = 15
    root = tmp_path / "in"
    for folder, array in (("images", image), ("masks", labels)):
        (root / folder).mkdir(parents=True)
        np.save(root / folder / "field.npy", array)
    out = tmp_path / "out"
    argv = ["batch", str(root), "--out", str(out), "--workers", "1", "--structure", "nucleus"]
    assert main([*argv, "--modality", "Microscopy"]) == 0
    records = {r["label"]: r for r in read_records(out / "results.jsonl")}
    assert len(records) == int(labels.max())
    assert all(r["measures"]["peers"] is not None for r in records.values())
    assert [v for v, r in records.items() if r["verdict"] != "acceptable"] == [15]
