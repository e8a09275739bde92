"""One batch task: assess the wanted labels of one case, in whichever process runs it.

A task is small and picklable (paths, options, the resume keys already in DIR), so an engine
ships it to a local worker process or a Dask worker without any array. The worker reads the
case, hashes its input files, skips the labels whose record is already in DIR, judges each
other label through :mod:`napari_hcr.runs` (the one code path for "assess these labels of
this case"), and returns JSON records and thumbnail PNGs. Nothing raises out of a task: a
failing case or label becomes a record with its ``error``, so the batch goes on.
"""

from __future__ import annotations

import hashlib
import io
import os
import resource
import socket
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..backends import Backend, make_backend
from ..case import default_modality
from ..errors import HCRError
from ..knowledge import GENERIC
from ..reasoner import Done
from ..runs import RunRequest, named_alike, present_labels, run_events
from ..snapshots import Snapshot
from ..stages import PROMPT_VERSION
from .arrays import file_digest, read_case
from .inputs import BatchCase
from .pacing import PacedBackend, process_pacer

THUMB_SIZE = 160


@dataclass(frozen=True)
class BackendSpec:
    """Which backend judges, and how hard the batch may press a model's API."""

    name: str = "offline"
    model: str | None = None
    base_url: str | None = None
    rpm_per_slot: float | None = None
    semaphore: str | None = None
    slots: int = 1

    @property
    def is_model(self) -> bool:
        return self.name != "offline"


@dataclass(frozen=True)
class Task:
    case: BatchCase
    backend: BackendSpec = field(default_factory=BackendSpec)
    done: frozenset[str] = frozenset()


@dataclass
class TaskResult:
    """What a worker sends back: records (JSON-ready dicts), their thumbnails, the labels it
    skipped because DIR already held them, the task's wall-clock and CPU seconds (all of the
    process's threads), this process's peak memory and which process it is."""

    case_id: str
    records: list[dict[str, Any]] = field(default_factory=list)
    thumbnails: dict[str, bytes] = field(default_factory=dict)
    skipped: int = 0
    peak_mb: float = 0.0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    worker: str = ""


def resume_key(
    files: tuple[str, str],
    label: int,
    structure: str,
    modality: str,
    spacing: tuple[float, ...] | None,
    backend: str,
    model: str,
) -> str:
    """What decides a record: the input files' hashes, the label, what it is judged as, the
    voxel size given for it, the backend, the model and the prompt version. A record with the
    same key is not redone."""
    parts = [*files, str(label), structure, modality, repr(spacing), backend, model, PROMPT_VERSION]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def run_task(task: Task) -> TaskResult:
    """Assess one case; never raises (see the module docstring): even a bug ends as a record."""
    try:
        return _run_task(task)
    except Exception as error:  # noqa: BLE001 - one case's bug must not end the batch
        return failed_result(task, _sentence(error))


def failed_result(task: Task, reason: str) -> TaskResult:
    """One failed record for the whole case (its worker failed, or the task itself did)."""
    case = task.case
    record = {"case": case.id, "paths": {"image": case.image, "mask": case.mask}, "label": None, "error": reason}
    return TaskResult(case.id, records=[record])


def _run_task(task: Task) -> TaskResult:
    started = time.perf_counter()
    result = TaskResult(task.case.id, cpu_seconds=time.process_time())
    case = task.case
    base = {"case": case.id, "paths": {"image": case.image, "mask": case.mask}}
    try:
        backend = _backend(task.backend)
        run = {"backend": backend.name, "model": backend.model, "prompt_version": PROMPT_VERSION}
        base["run"] = run
        files = (file_digest(case.image), file_digest(case.mask))
        base["files"] = {"image_sha256": files[0], "mask_sha256": files[1]}
        arrays = read_case(case)
        modality = case.modality or default_modality(arrays.image, arrays.labels)
        spacing = case.spacing or arrays.spacing
        labels = present_labels(arrays.labels) if case.labels == "all" else case.labels
        if not labels:
            raise HCRError("The mask is empty: no voxel carries a label, so there is nothing to judge.")
        structures: Mapping[int, str] = {} if case.structure else arrays.names
        if case.labels == "all":
            structures = named_alike(structures, case.structure or GENERIC, modality, labels)
    except Exception as error:  # noqa: BLE001 - the case fails, the batch goes on
        result.records.append({**base, "label": None, "error": _sentence(error)})
        return _finish(result, started)
    for label in labels:
        name = arrays.names.get(label, "")
        asked = case.structure or name or GENERIC
        key = resume_key(files, label, asked, modality, spacing, backend.name, backend.model)
        if key in task.done:
            result.skipped += 1
            continue
        record: dict[str, Any] = {**base, "label": label, "name": name, "key": key}
        try:
            request = RunRequest(
                image=arrays.image,
                mask=arrays.labels,
                spacing=spacing,
                labels=(label,),
                structures=structures,
                structure=case.structure or GENERIC,
                modality=modality,
                backend=lambda: backend,
                poll=3600.0,
            )
            with _model_slot(task.backend):
                done = _last_done(request)
            record = {**done.assessment.to_dict(), **record, "error": None}
            record["thumbnails"] = _thumbnails(result, key, done.snapshots)
        except Exception as error:  # noqa: BLE001 - the label fails, the others go on
            record.update({"structure": asked, "modality": modality, "error": _sentence(error)})
        result.records.append(record)
    return _finish(result, started)


def _last_done(request: RunRequest) -> Done:
    done = None
    for event in run_events(request):
        if isinstance(event, Done):
            done = event
    if done is None:
        raise HCRError("The run ended without a verdict.")
    return done


def _thumbnails(result: TaskResult, key: str, snapshots: tuple[Snapshot, ...]) -> list[str]:
    """Small PNGs of the snapshots (the report and the review queue show them), named by key."""
    from PIL import Image

    names = []
    for index, snapshot in enumerate(snapshots):
        with Image.open(io.BytesIO(snapshot.png)) as opened:
            picture: Image.Image = opened
            if snapshot.region is not None:  # the mask and what borders it, as the widget shows it
                left, top, width, height = snapshot.region
                picture = picture.crop((left, top, left + width, top + height))
            picture.thumbnail((THUMB_SIZE, THUMB_SIZE))
            buffer = io.BytesIO()
            picture.save(buffer, format="PNG", optimize=True)
        name = f"thumbs/{key[:20]}-{index}.png"
        result.thumbnails[name] = buffer.getvalue()
        names.append(name)
    return names


def _finish(result: TaskResult, started: float) -> TaskResult:
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - result.cpu_seconds
    result.worker = f"{socket.gethostname()}:{os.getpid()}"
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result.peak_mb = kilobytes / (1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0)
    return result


def _sentence(error: BaseException) -> str:
    """An expected failure's own sentence; anything else named by its type (a bug to report)."""
    text = " ".join(str(error).split())
    if isinstance(error, HCRError):
        return text
    return f"unexpected {type(error).__name__}: {text or 'no message'}"


_BACKENDS: dict[BackendSpec, Backend] = {}
_BACKENDS_LOCK = threading.Lock()


def _backend(spec: BackendSpec) -> Backend:
    """One backend per process and spec: an SDK client is built once, not per case."""
    with _BACKENDS_LOCK:
        if spec not in _BACKENDS:
            options = {k: v for k, v in (("model", spec.model), ("base_url", spec.base_url)) if v}
            backend = make_backend(spec.name, **options)
            if spec.rpm_per_slot:
                backend = PacedBackend(backend, process_pacer(spec.rpm_per_slot))
            _BACKENDS[spec] = backend
        return _BACKENDS[spec]


@contextmanager
def _model_slot(spec: BackendSpec) -> Iterator[None]:
    """On a Dask cluster, hold one of ``slots`` cluster-wide leases while a case talks to a model."""
    if not (spec.is_model and spec.semaphore):
        yield
        return
    from distributed import Semaphore

    with Semaphore(max_leases=spec.slots, name=spec.semaphore):
        yield
