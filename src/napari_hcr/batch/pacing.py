"""Requests-per-minute pacing for model backends in a batch.

Each worker process gets an equal share of the batch's limit (``rpm / slots``, where ``slots``
is how many cases may talk to the model at once), so the whole batch stays under the limit
without any shared state between processes or machines. A stage's repair retry is one more
request that the pacing does not see: keep the limit a little under the provider's quota.
"""

from __future__ import annotations

import threading
import time

from ..backends import Backend, Session
from ..backends.base import StageAnswer
from ..stages import CaseFacts, StageRequest
from ..verdict import BackendUsage


class Pacer:
    """At most ``per_minute`` calls a minute from this process, evenly spaced."""

    def __init__(self, per_minute: float):
        self.interval = 60.0 / per_minute
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


_PACERS: dict[float, Pacer] = {}
_PACERS_LOCK = threading.Lock()


def process_pacer(per_minute: float) -> Pacer:
    """The process's one pacer for this rate, shared by every task the process runs."""
    with _PACERS_LOCK:
        return _PACERS.setdefault(per_minute, Pacer(per_minute))


class PacedBackend:
    """A backend whose sessions wait for the pacer before each stage's request."""

    def __init__(self, backend: Backend, pacer: Pacer):
        self.name = backend.name
        self.model = backend.model
        self._backend = backend
        self._pacer = pacer

    def open(self, facts: CaseFacts) -> Session:
        return _PacedSession(self._backend.open(facts), self._pacer)


class _PacedSession:
    def __init__(self, session: Session, pacer: Pacer):
        self._session = session
        self._pacer = pacer

    def answer(self, request: StageRequest) -> StageAnswer:
        self._pacer.wait()
        return self._session.answer(request)

    def usage(self) -> BackendUsage:
        return self._session.usage()

    def close(self) -> None:
        self._session.close()
