"""Where tasks run: worker processes on this machine, or an existing Dask distributed cluster.

Both engines take the same small tasks (paths and options, see :mod:`.task`) and yield their
results as they complete, so the driver writes each record the moment it exists. Neither
schedules anything itself: the local engine is :mod:`multiprocessing`'s pool, the cluster
engine is ``dask.distributed`` (the optional extra ``napari-hcr[cluster]``).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from ..errors import InputError
from .task import Task, TaskResult, failed_result, run_task


class Engine(Protocol):
    """Runs tasks and yields each result as soon as it is ready, in completion order."""

    description: str

    def run(self, tasks: Sequence[Task]) -> Iterator[TaskResult]: ...

    def close(self) -> None:
        """Stop at once: running tasks are abandoned, their cases are redone by the next run."""
        ...


def default_workers() -> int:
    """The cores this process may use (a container's or a job's share, not the machine's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class LocalEngine:
    """A pool of ``workers`` processes; each runs one case at a time and reads its own files.

    Workers are spawned (not forked: the driver holds threads) and ignore SIGINT, so Ctrl-C
    reaches only the driver, which keeps what finished and terminates the pool. Each worker says
    which task it starts; a worker that dies mid-case (killed, out of memory) is noticed within
    ``poll`` seconds and its case becomes a failed record, where a plain pool would wait forever.
    """

    def __init__(self, workers: int, poll: float = 0.5):
        self.workers = workers
        self.poll = poll
        self.description = f"{workers} local worker process{'es' if workers != 1 else ''}"
        self._pool: Any = None

    def run(self, tasks: Sequence[Task]) -> Iterator[TaskResult]:
        if not tasks:
            return
        context = multiprocessing.get_context("spawn")
        started = context.SimpleQueue()
        with _one_thread_each():
            self._pool = context.Pool(min(self.workers, len(tasks)), initializer=_start_worker, initargs=(started,))
        done: queue.Queue[tuple[int, TaskResult]] = queue.Queue()
        for index, task in enumerate(tasks):
            self._pool.apply_async(_run_indexed, (index, task), callback=done.put)
        remaining = set(range(len(tasks)))
        running: dict[int, int] = {}
        while remaining:
            try:
                index, result = done.get(timeout=self.poll)
            except queue.Empty:
                while not started.empty():
                    index, pid = started.get()
                    running[index] = pid
                alive = {child.pid for child in multiprocessing.active_children()}
                for index in [i for i, pid in running.items() if i in remaining and pid not in alive]:
                    remaining.discard(index)
                    yield failed_result(tasks[index], "its worker process died (killed, or out of memory?)")
                continue
            remaining.discard(index)
            yield result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


class DaskEngine:
    """An existing Dask distributed cluster at ``address``; tasks carry paths, so each worker
    reads its case from storage it shares with the driver (the same paths must resolve there)."""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise InputError(
                "--scheduler needs Dask distributed: pip install 'napari-hcr[cluster]' (dask[distributed])."
            ) from None
        try:
            self._client = Client(address, timeout="10s", set_as_default=False)
        except OSError as error:
            raise InputError(f"No Dask scheduler answers at {address} ({error}).") from None
        workers = self._client.scheduler_info().get("workers", {})
        self.workers = sum(int(w.get("nthreads", 1)) for w in workers.values())
        self.description = f"Dask cluster at {address} ({len(workers)} workers, {self.workers} threads)"
        self._futures: list[Any] = []

    def run(self, tasks: Sequence[Task]) -> Iterator[TaskResult]:
        from distributed import as_completed

        if not tasks:
            return
        self._futures = self._client.map(run_task, list(tasks), pure=False, key=[_key(t) for t in tasks])
        by_key = {future.key: task for future, task in zip(self._futures, tasks)}
        for future in as_completed(self._futures, loop=self._client.loop, raise_errors=False):
            if future.status == "finished":
                yield future.result()
            else:  # the worker itself failed (killed, out of memory, napari-hcr missing there)
                yield failed_result(by_key[future.key], f"the Dask worker failed: {future.exception()!r}")

    def close(self) -> None:
        if self._futures:
            self._client.cancel(self._futures)
            self._futures = []
        self._client.close()


def _key(task: Task) -> str:
    """A readable task name on the Dask dashboard, unique per run."""
    return f"napari-hcr-{task.case.id}-{os.urandom(4).hex()}"


#: Thread pools of numerical libraries, sized once when they load: one thread per worker process,
#: so N processes on N cores do not fight over them (Dask's nanny does the same for its workers).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextmanager
def _one_thread_each() -> Iterator[None]:
    """Spawned children inherit the environment at spawn time; the driver's own is restored."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    for name, value in saved.items():
        if value is None:
            os.environ[name] = "1"
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)


_STARTED: Any = None


def _start_worker(started: Any) -> None:
    """In each worker: Ctrl-C is the driver's business; remember where to say what starts."""
    global _STARTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STARTED = started


def _run_indexed(index: int, task: Task) -> tuple[int, TaskResult]:
    _STARTED.put((index, os.getpid()))
    return index, run_task(task)
