"""napari-hcr batch --scheduler on a real Dask cluster: a scheduler and two worker processes on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_helpers import sample_folder, totalsegmentator_folder
from napari_hcr.batch.store import read_records
from napari_hcr.cli import main

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
    ) as local:
        yield local


def test_batch_runs_on_a_dask_cluster_and_resumes(cluster, tmp_path: Path) -> None:
    root = sample_folder(tmp_path / "in", ("good", "leak", "missing"))
    out = tmp_path / "out"
    address = cluster.scheduler_address
    assert address.startswith("tcp://127.0.0.1:")
    assert main(["batch", str(root), "--out", str(out), "--scheduler", address, "--structure", "brain"]) == 0
    records = read_records(out / "results.jsonl")
    assert sorted(r["case"] for r in records) == ["good", "leak", "missing"]
    assert {r["structure"] for r in records} == {"brain"} and not any(r["error"] for r in records)
    by_case = {r["case"]: r for r in records}
    assert by_case["missing"]["score"] < by_case["good"]["score"]
    assert main(["batch", str(root), "--out", str(out), "--scheduler", address, "--structure", "brain"]) == 0
    assert len(read_records(out / "results.jsonl")) == 3  # nothing redone


def test_totalsegmentator_folder_on_the_cluster(cluster, tmp_path: Path) -> None:
    folder = totalsegmentator_folder(tmp_path / "s01", split=True)
    out = tmp_path / "out"
    assert main(["batch", str(folder), "--out", str(out), "--scheduler", cluster.scheduler_address]) == 0
    records = {r["label"]: r for r in read_records(out / "results.jsonl")}
    assert {v: (r["name"], r["structure"], r["modality"]) for v, r in records.items()} == {
        1: ("spleen", "spleen", "CT"),
        5: ("liver", "liver", "CT"),
    }


def test_no_scheduler_at_the_address_exits_2(tmp_path: Path, capsys) -> None:
    root = sample_folder(tmp_path / "in", ("good",))
    code = main(["batch", str(root), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2
    assert "No Dask scheduler answers at tcp://127.0.0.1:9" in capsys.readouterr().err
