"""The session logic every chat backend shares; a backend module only supplies the transport.

A :class:`Transport` sends one request (system text, turns, answer schema) and returns a
:class:`Reply`, or raises :class:`TransientError` for failures worth retrying (rate limits,
overloaded servers, dropped connections) and :class:`~napari_hcr.errors.BackendError` for
the rest. :class:`LLMSession` turns that into the backend Session contract: it retries
transient failures with exponential backoff, honouring the server's retry hint; validates
each answer, asks once more after a malformed or truncated one and then fails naming the
stage; turns a refusal into :class:`~napari_hcr.errors.BlockedError`; adds up tokens; and
lets another thread ``close()`` it while a call is pending (the reasoner's Cancel).
"""

from __future__ import annotations

import ipaddress
import logging
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from ..errors import BackendError, BlockedError, CancelledError
from ..secrets import redact
from ..stages import CaseFacts, StageRequest
from ..verdict import BackendUsage
from .base import StageAnswer
from .prompting import SYSTEM, Turn, conversation, repair_text
from .structured import AnswerError, StageModel, parse_stage, schema_for

log = logging.getLogger(__name__)

_CLOSE_POLL_S = 0.05  # how often a waiting caller checks for close(); completion wakes it at once
Finish = Literal["stop", "max_tokens", "blocked", "other"]


@dataclass(frozen=True)
class Reply:
    """A model's answer to one request, reduced to what the session needs."""

    text: str
    finish: Finish = "stop"
    reason: str = ""  # why it finished that way, e.g. the block reason
    tokens_in: int = 0
    tokens_out: int = 0
    tokens_thinking: int = 0


class TransientError(Exception):
    """A failure that may pass if we wait; ``retry_after`` is the server's hint in seconds."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Transport(Protocol):
    def generate(self, system: str, turns: Sequence[Turn], schema: type[StageModel]) -> Reply: ...

    def close(self) -> None:
        """Abort any pending request and release connections; safe from another thread."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries per request; waits grow ``base_s * 2**n`` with jitter up to ``cap_s``.

    A server hint longer than ``max_hint_s`` is not waited out: the run fails at once with a
    message saying how long the server asked for, rather than freezing a run for minutes.
    """

    attempts: int = 4
    base_s: float = 1.0
    cap_s: float = 20.0
    max_hint_s: float = 60.0

    def delay(self, attempt: int, hint: float | None) -> float:
        backoff = min(self.cap_s, self.base_s * 2**attempt) * (0.5 + random.random() / 2)
        return max(backoff, hint) if hint is not None else backoff


class LLMSession:
    """One assessment's conversation with a chat model, behind the backend Session contract."""

    def __init__(
        self,
        transport: Transport,
        facts: CaseFacts,
        *,
        name: str,
        model: str,
        label: str,
        policy: RetryPolicy | None = None,
        secrets: Sequence[str | None] = (),
    ):
        self._transport = transport
        self._facts = facts
        self._label = label
        self._policy = policy or RetryPolicy()
        self._secrets = tuple(secrets)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._usage = BackendUsage(name=name, model=model)

    def answer(self, request: StageRequest) -> StageAnswer:
        spec = request.spec
        schema = schema_for(spec.name)
        turns = conversation(request)
        reply = self._send(turns, schema, spec.name)
        try:
            return self._parse(spec.name, reply)
        except AnswerError as first:
            log.info("%s stage answer rejected (%s); asking once more", spec.name, first)
            truncated = reply.finish == "max_tokens"
            repair = repair_text(spec, str(first), truncated)
            if reply.text.strip():
                turns = [*turns, Turn("model", (reply.text,)), Turn("user", (repair,))]
            else:
                turns = [*turns[:-1], Turn("user", (*turns[-1].parts, repair))]
        reply = self._send(turns, schema, spec.name)
        try:
            return self._parse(spec.name, reply)
        except AnswerError as second:
            raise BackendError(
                f"{self._label} gave no usable answer to the {spec.title} stage after one retry "
                f"({self._clean(str(second))}); run it again or choose another model.",
                stage=spec.name,
            ) from None

    def usage(self) -> BackendUsage:
        with self._lock:
            u = self._usage
            return BackendUsage(u.name, u.model, u.tokens_in, u.tokens_out, u.tokens_thinking, u.calls)

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._transport.close()

    def _parse(self, stage: str, reply: Reply) -> StageAnswer:
        if reply.finish == "blocked":
            raise BlockedError(
                f"{self._label} declined to answer ({reply.reason or 'blocked'}), so this case could not "
                "be assessed; no verdict was made.",
                stage=stage,
            )
        try:
            return parse_stage(stage, reply.text, self._facts.shape)
        except AnswerError:
            if reply.finish == "max_tokens":
                raise AnswerError("the answer was cut off at the output token limit") from None
            raise

    def _send(self, turns: Sequence[Turn], schema: type[StageModel], stage: str) -> Reply:
        for attempt in range(self._policy.attempts):
            self._check_open()
            with self._lock:
                self._usage.calls += 1
            try:
                reply = self._call(turns, schema)
            except TransientError as error:
                self._check_open()
                message = self._clean(str(error))
                if attempt + 1 >= self._policy.attempts:
                    raise BackendError(
                        f"{message}; gave up after {attempt + 1} attempts.", stage=stage, retryable=True
                    ) from None
                if error.retry_after is not None and error.retry_after > self._policy.max_hint_s:
                    raise BackendError(
                        f"{message}; the server asks to wait {error.retry_after:.0f} s, so try again later.",
                        stage=stage,
                        retryable=True,
                    ) from None
                wait = self._policy.delay(attempt, error.retry_after)
                log.info("%s; retrying in %.2f s", message, wait)
                if self._closed.wait(wait):
                    raise CancelledError("The assessment was cancelled.") from None
                continue
            except BackendError as error:
                self._check_open()
                error.stage = error.stage or stage
                raise
            except Exception:
                self._check_open()
                raise
            self._check_open()
            with self._lock:
                self._usage.tokens_in += reply.tokens_in
                self._usage.tokens_out += reply.tokens_out
                self._usage.tokens_thinking += reply.tokens_thinking
            return reply
        raise AssertionError("RetryPolicy.attempts must be at least 1")

    def _call(self, turns: Sequence[Turn], schema: type[StageModel]) -> Reply:
        """Run the request on a helper thread so ``close()`` releases the caller at once.

        A sync HTTP client cannot be interrupted mid-read from another thread; the abandoned
        request ends on its own within the transport's timeout and its answer is dropped.
        """
        outcome: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                outcome["reply"] = self._transport.generate(SYSTEM, turns, schema)
            except BaseException as error:  # handed over to the waiting thread below
                outcome["error"] = error
            finally:
                done.set()

        threading.Thread(target=work, name="napari-hcr-llm-call", daemon=True).start()
        while not done.wait(_CLOSE_POLL_S):
            self._check_open()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["reply"]

    def _check_open(self) -> None:
        if self._closed.is_set():
            raise CancelledError("The assessment was cancelled.")

    def _clean(self, text: str) -> str:
        return redact(text, self._secrets)


def is_loopback(url: str) -> bool:
    """True when ``url`` names this machine; transports then bypass proxy variables.

    A server on this machine must never be reached through a proxy: the request would fail,
    or worse, carry the snapshots off the machine to the proxy.
    """
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
