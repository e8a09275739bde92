"""Gemini through the official google-genai SDK: only the transport, the rest is ``llm.py``.

A backend builds one ``genai.Client`` on first use and shares it between its sessions (the
SDK allows that across threads; building one costs ~60 ms of TLS setup). Cancel does not need
to close it: the session abandons a pending request, which ends within the timeout. Endpoint
and mode follow the SDK's own conventions: an explicit ``base_url`` wins, otherwise the SDK
reads ``GOOGLE_GEMINI_BASE_URL`` (gateways, proxies, tests) and the Vertex AI variables
(``GOOGLE_GENAI_USE_VERTEXAI``, ``GOOGLE_CLOUD_PROJECT``, ``GOOGLE_CLOUD_LOCATION``) exactly as
documented by Google; we never override them. The
SDK's own retries stay off: its backoff ignores the server's ``retryDelay``, ours honours it.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Sequence
from typing import Any

from google import genai
from google.auth import exceptions as auth_exceptions
from google.genai import errors as genai_errors
from google.genai import types

from ..errors import BackendError
from ..secrets import HOW_TO_ADD_KEY, find_api_key, redact, vertex_mode
from ..stages import CaseFacts
from .llm import LLMSession, Reply, RetryPolicy, TransientError, is_loopback
from .prompting import Image, Turn
from .structured import StageModel

DEFAULT_MODEL = "gemini-2.5-flash"
LABEL = "Gemini"
RETRYABLE_CODES = frozenset({408, 429, 500, 502, 503, 504})
BLOCK_FINISHES = frozenset(
    {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "RECITATION"}
)


def gemini_key_available() -> bool:
    """True when a run could authenticate: a key in the environment, or Vertex AI mode."""
    return find_api_key() is not None or vertex_mode()


class GeminiBackend:
    """Builds one Gemini session per assessment; raises BackendError when no key is found."""

    name = "gemini"

    def __init__(
        self,
        model: str | None = None,
        api_key: str | None = None,
        thinking_budget: int | None = None,
        timeout_s: float = 120.0,
        base_url: str | None = None,
        max_output_tokens: int | None = None,
        retry: RetryPolicy | None = None,
    ):
        self.model = model or DEFAULT_MODEL
        self._api_key = find_api_key(api_key)
        if self._api_key is None and not vertex_mode():
            raise BackendError(HOW_TO_ADD_KEY)
        self.thinking_budget = thinking_budget
        self.timeout_s = timeout_s
        self.base_url = base_url
        self.max_output_tokens = max_output_tokens
        self.retry = retry or RetryPolicy()
        self._client_lock = threading.Lock()
        self._client: genai.Client | None = None

    def __repr__(self) -> str:
        return f"GeminiBackend(model={self.model!r}, base_url={self.base_url!r})"

    def open(self, facts: CaseFacts) -> LLMSession:
        transport = GeminiTransport(
            self._shared_client(),
            self.model,
            self.thinking_budget,
            self.max_output_tokens,
            self.timeout_s,
            self._api_key,
        )
        return LLMSession(
            transport, facts, name=self.name, model=self.model, label=LABEL, policy=self.retry, secrets=(self._api_key,)
        )

    def _shared_client(self) -> genai.Client:
        with self._client_lock:
            if self._client is None:
                self._client = self._new_client()
            return self._client

    def _new_client(self) -> genai.Client:
        options: dict[str, Any] = {"timeout": max(1, int(self.timeout_s * 1000))}
        if self.base_url:
            options["base_url"] = self.base_url
        if is_loopback(self.base_url or os.environ.get("GOOGLE_GEMINI_BASE_URL", "")):
            options["client_args"] = {"trust_env": False}
            options["async_client_args"] = {"trust_env": False}
        try:
            return genai.Client(api_key=self._api_key, http_options=types.HttpOptions(**options))
        except Exception as error:  # the SDK raises ValueError or google.auth errors for bad setups
            reason = redact(str(error), [self._api_key])
        raise BackendError(f"Gemini could not be set up: {reason}")


class GeminiTransport:
    """Sends one generateContent request and maps the SDK's outcomes onto ``llm.Reply``."""

    def __init__(
        self,
        client: genai.Client,
        model: str,
        thinking_budget: int | None,
        max_output_tokens: int | None,
        timeout_s: float,
        api_key: str | None,
    ):
        self._client = client
        self._model = model
        self._thinking_budget = thinking_budget
        self._max_output_tokens = max_output_tokens
        self._timeout_s = timeout_s
        self._api_key = api_key

    def generate(self, system: str, turns: Sequence[Turn], schema: type[StageModel]) -> Reply:
        config = types.GenerateContentConfig(
            system_instruction=system,
            temperature=0.0,
            response_mime_type="application/json",
            response_schema=schema,
            max_output_tokens=self._max_output_tokens,
            thinking_config=(
                None if self._thinking_budget is None else types.ThinkingConfig(thinking_budget=self._thinking_budget)
            ),
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )
        contents = [types.Content(role=t.role, parts=[_part(p) for p in t.parts]) for t in turns]
        failure: Exception
        try:
            response = self._client.models.generate_content(model=self._model, contents=contents, config=config)
        except genai_errors.APIError as error:
            failure = self._api_error(error)
        except auth_exceptions.GoogleAuthError:
            failure = BackendError(
                "Vertex AI credentials were not found or could not be refreshed: run "
                "'gcloud auth application-default login', or unset GOOGLE_GENAI_USE_VERTEXAI "
                "and set GEMINI_API_KEY."
            )
        except _NETWORK_ERRORS as error:
            if _is_timeout(error):
                failure = BackendError(
                    f"Gemini did not answer within {self._timeout_s:g} s; try again or raise the timeout.",
                    retryable=True,
                )
            else:
                failure = TransientError(f"The connection to Gemini failed ({type(error).__name__})")
        else:
            return _reply(response)
        # Raised outside the handler so the SDK's error, whose text may echo the request, is not
        # chained as __context__ and cannot reach a log through it.
        raise failure

    def close(self) -> None:
        """Nothing to release: the client belongs to the backend and outlives this session."""

    def _api_error(self, error: genai_errors.APIError) -> Exception:
        code = int(error.code or 0)
        status = error.status or ""
        detail = redact((error.message or "").strip().rstrip("."), [self._api_key])
        if code in RETRYABLE_CODES:
            what = "is rate limiting requests" if code == 429 else "is unavailable or overloaded"
            return TransientError(f"Gemini {what} ({code} {status})", _retry_hint(error))
        if code == 401 or (code == 400 and "API key" in detail) or status == "UNAUTHENTICATED":
            return BackendError(
                f"Gemini rejected the API key ({code} {status}): check GEMINI_API_KEY or "
                "the key in the widget's Gemini settings."
            )
        if code == 403:
            return BackendError(
                f"Gemini refused access ({code} {status}: {detail}); the key or project may "
                "lack permission for this model or region."
            )
        if code == 404:
            return BackendError(
                f"Gemini does not know the model {self._model!r} ({code} {status}); choose another model name."
            )
        return BackendError(f"Gemini could not process the request ({code} {status}: {detail}).")


def _reply(response: types.GenerateContentResponse) -> Reply:
    usage = response.usage_metadata
    tokens = {
        "tokens_in": int(getattr(usage, "prompt_token_count", None) or 0),
        "tokens_out": int(getattr(usage, "candidates_token_count", None) or 0),
        "tokens_thinking": int(getattr(usage, "thoughts_token_count", None) or 0),
    }
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        return Reply("", "blocked", f"prompt blocked: {_name(feedback.block_reason)}", **tokens)
    if not response.candidates:
        return Reply("", "other", "no candidate", **tokens)
    candidate = response.candidates[0]
    finish = _name(candidate.finish_reason) if candidate.finish_reason is not None else "STOP"
    parts = (candidate.content.parts if candidate.content else None) or []
    text = "".join(p.text for p in parts if p.text and not p.thought)
    if finish in BLOCK_FINISHES:
        return Reply(text, "blocked", f"answer stopped: {finish}", **tokens)
    if finish == "MAX_TOKENS":
        return Reply(text, "max_tokens", finish, **tokens)
    return Reply(text, "stop" if finish == "STOP" else "other", finish, **tokens)


def _part(part: str | Image) -> types.Part:
    if isinstance(part, Image):
        return types.Part.from_bytes(data=part.png, mime_type=part.mime_type)
    return types.Part.from_text(text=part)


def _retry_hint(error: genai_errors.APIError) -> float | None:
    """Seconds the server asked us to wait: RetryInfo.retryDelay, else a Retry-After header."""
    details = error.details.get("error", error.details) if isinstance(error.details, dict) else {}
    for item in details.get("details", []) if isinstance(details, dict) else []:
        if isinstance(item, dict) and "retryDelay" in item:
            match = re.fullmatch(r"\s*([0-9.]+)s\s*", str(item["retryDelay"]))
            if match:
                return float(match[1])
    headers = getattr(error.response, "headers", None) or {}
    value = headers.get("retry-after") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _name(value: Any) -> str:
    return str(getattr(value, "value", value))


def _network_errors() -> tuple[type[BaseException], ...]:
    """The transport exceptions of whichever httpx flavour the SDK uses (both may be installed)."""
    found: list[type[BaseException]] = []
    for module in ("httpx2", "httpx"):
        try:
            found.append(__import__(module).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


_NETWORK_ERRORS = _network_errors()


def _is_timeout(error: BaseException) -> bool:
    return "Timeout" in type(error).__name__
