"""The four HCR stages on a vision-language model served inside the hospital.

Ollama, vLLM, llama.cpp's server and LM Studio all speak OpenAI's chat completions API, so one
transport built on the official ``openai`` client reaches them all. Only the transport lives
here: the stage conversation (``prompting``), answer validation (``structured``) and the
session logic with its retries and repair turn (``llm``) are the ones the Gemini backend uses.

Local servers differ in how well they honour JSON mode: some constrain decoding to the stage
schema, some accept ``response_format`` and ignore it, a few reject it. The schema is asked for
anyway; an answer wrapped in prose is still found and validated by ``structured.extract_json``,
and a server that rejects the field is asked again without it for the rest of the session.
A loopback server is reached without any proxy, so scan pixels never pass through one.
"""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import openai

from ..errors import BackendError
from ..secrets import redact
from ..stages import CaseFacts
from .llm import Finish, LLMSession, Reply, TransientError, is_loopback
from .prompting import Image, Turn
from .structured import StageModel

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:11434/v1"  # Ollama's OpenAI-compatible endpoint
MODEL_VARIABLE = "NAPARI_HCR_LOCAL_MODEL"
NO_KEY = "no-key"  # the client insists on a key; local servers without auth ignore this one
_FINISH: dict[str, Finish] = {"stop": "stop", "length": "max_tokens", "content_filter": "blocked"}
_THINKING = re.compile(r"<think>.*?</think>", flags=re.DOTALL)


class OpenAICompatBackend:
    """A backend for any server with ``/v1/chat/completions``; the model must take images."""

    name = "openai_compat"

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
    ):
        self.model = _model_name(model)
        self.base_url = server_url(base_url)
        self.timeout_s = float(timeout_s)
        self._api_key = _key(api_key)

    def __repr__(self) -> str:
        return f"OpenAICompatBackend(model={self.model!r}, base_url={_shown(self.base_url)!r})"

    def open(self, facts: CaseFacts) -> LLMSession:
        server = _Server(self.base_url, self._api_key, self.timeout_s)
        return LLMSession(
            _ChatTransport(server, self.model),
            facts,
            name=self.name,
            model=self.model,
            label=f"The model {self.model!r} on {_shown(self.base_url)}",
            secrets=server.secrets,
        )


def list_models(base_url: str | None = None, api_key: str | None = None, timeout_s: float = 5.0) -> list[str]:
    """The model names the server offers, sorted; the widget's "Test connection" shows them."""
    server = _Server(server_url(base_url), _key(api_key), timeout_s)
    try:
        return sorted(model.id for model in server.client.models.list())
    except openai.OpenAIError as error:
        raise _as_backend_error(server.explain(error, model=None)) from None
    finally:
        server.client.close()


def server_url(base_url: str | None = None) -> str:
    """The API root to use: the argument, else OPENAI_BASE_URL, else Ollama's default.

    A bare ``http://host:port`` gets ``/v1`` appended, since every server this backend targets
    serves the API there and forgetting it is the commonest setup slip.
    """
    url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    if not _is_http_url(url):
        raise BackendError(
            f"The local server address {_shown(url)!r} is not an http(s) URL such as {DEFAULT_BASE_URL}."
        )
    return url if urlsplit(url).path not in ("", "/") else f"{url}/v1"


class _Server:
    """One client for one server, and the plain sentences for what can go wrong talking to it."""

    def __init__(self, base_url: str, api_key: str | None, timeout_s: float):
        self.where = _shown(base_url)
        self.timeout_s = timeout_s
        self.secrets = (api_key,) if api_key else ()
        http_client = openai.DefaultHttpxClient(trust_env=False) if is_loopback(base_url) else None
        self.client = openai.OpenAI(
            base_url=base_url, api_key=api_key or NO_KEY, timeout=timeout_s, max_retries=0, http_client=http_client
        )

    def explain(self, error: openai.OpenAIError, model: str | None) -> Exception:
        """A :class:`BackendError` to show, or a :class:`TransientError` worth retrying."""
        if isinstance(error, openai.APITimeoutError):
            return BackendError(
                f"The local model server at {self.where} did not answer within "
                f"{self.timeout_s:g} s; the model may still be loading or be too slow for "
                "this machine, so try again or choose a smaller model.",
                retryable=True,
            )
        if isinstance(error, openai.APIConnectionError):
            return BackendError(
                f"Could not connect to a local model server at {self.where}; check that the "
                "server is running and that the address and port are right."
            )
        if not isinstance(error, openai.APIStatusError):
            return BackendError(f"The local model server at {self.where} failed ({self._clean(str(error))}).")
        status, detail = error.status_code, self._clean(_server_message(error))
        if status == 404 and model and "model" in detail.lower():
            return BackendError(
                f"The server at {self.where} has no model named {model!r}; pull or load it "
                "there first, or pick one of the models that Test connection lists."
            )
        if status == 404:
            return BackendError(
                f"The server at {self.where} has no OpenAI-compatible API there ({detail}); "
                "check the address, which usually ends in /v1."
            )
        if status in (401, 403):
            return BackendError(
                f"The server at {self.where} refused the request as unauthorised; set its API "
                "key in the settings or in OPENAI_API_KEY."
            )
        if status in (408, 429) or status >= 500:
            return TransientError(
                f"The local model server at {self.where} is busy or failed ({status}: {detail})",
                retry_after=_retry_after(error),
            )
        return BackendError(f"The server at {self.where} rejected the request ({status}: {detail}).")

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets)


class _ChatTransport:
    """The :class:`~napari_hcr.backends.llm.Transport` for chat completions."""

    def __init__(self, server: _Server, model: str):
        self._server = server
        self._model = model
        self._json_mode = True

    def generate(self, system: str, turns: Sequence[Turn], schema: type[StageModel]) -> Reply:
        request: dict[str, Any] = {"model": self._model, "messages": chat_messages(system, turns), "temperature": 0.0}
        if self._json_mode:
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "hcr_stage_answer", "schema": schema.model_json_schema(), "strict": False},
            }
        try:
            completion = self._server.client.chat.completions.create(**request)
        except openai.BadRequestError as error:
            if not (self._json_mode and _rejects_json_mode(error)):
                raise self._server.explain(error, self._model) from None
            log.info("the server rejects response_format; asking for JSON in the prompt only")
            self._json_mode = False
            return self.generate(system, turns, schema)
        except openai.OpenAIError as error:
            raise self._server.explain(error, self._model) from None
        return _reply(completion)

    def close(self) -> None:
        self._server.client.close()


def chat_messages(system: str, turns: Sequence[Turn]) -> list[dict[str, Any]]:
    """Turns as chat messages, images as base64 data URLs.

    A message without images travels as a plain string: older servers accept content-part
    arrays only where images need them.
    """
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for turn in turns:
        role = "assistant" if turn.role == "model" else "user"
        if not any(isinstance(part, Image) for part in turn.parts):
            messages.append({"role": role, "content": turn.text})
            continue
        content = [
            {"type": "image_url", "image_url": {"url": _data_url(part)}}
            if isinstance(part, Image)
            else {"type": "text", "text": part}
            for part in turn.parts
        ]
        messages.append({"role": role, "content": content})
    return messages


def _reply(completion: Any) -> Reply:
    choice = completion.choices[0] if completion.choices else None
    if choice is None:
        return Reply("", finish="other")
    message = choice.message
    if getattr(message, "refusal", None):
        return Reply("", finish="blocked", reason=message.refusal)
    usage = completion.usage
    details = getattr(usage, "completion_tokens_details", None) if usage else None
    thinking = int(getattr(details, "reasoning_tokens", 0) or 0)
    return Reply(
        text=_THINKING.sub("", message.content or "").strip(),
        finish=_FINISH.get(choice.finish_reason or "stop", "other"),
        reason=choice.finish_reason or "",
        tokens_in=int(usage.prompt_tokens or 0) if usage else 0,
        tokens_out=max(0, int(usage.completion_tokens or 0) - thinking) if usage else 0,
        tokens_thinking=thinking,
    )


def _data_url(image: Image) -> str:
    return f"data:{image.mime_type};base64,{base64.b64encode(image.png).decode('ascii')}"


def _model_name(model: str | None) -> str:
    name = (model or os.environ.get(MODEL_VARIABLE) or "").strip()
    if not name:
        raise BackendError(
            f"No local model was named: pass --model NAME (for example qwen2.5vl:7b), set "
            f"{MODEL_VARIABLE}, or pick a model in the widget's Local server settings."
        )
    return name


def _key(api_key: str | None) -> str | None:
    key = (api_key or os.environ.get("OPENAI_API_KEY") or "").strip()
    return key or None


def _shown(url: str) -> str:
    """``url`` without any user:password part, fit for messages and logs."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    try:
        port = parts.port  # a port that is not a number from 0 to 65535 raises here
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0


def _server_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        text = inner.get("message") if isinstance(inner, dict) else inner
        if text:
            return str(text).strip().rstrip(".")[:200]
    return error.response.reason_phrase or "no detail"


def _rejects_json_mode(error: openai.BadRequestError) -> bool:
    text = _server_message(error).lower()
    return any(word in text for word in ("response_format", "json_schema", "json schema", "grammar"))


def _retry_after(error: openai.APIStatusError) -> float | None:
    try:
        return float(error.response.headers.get("retry-after", ""))
    except ValueError:
        return None


def _as_backend_error(error: Exception) -> BackendError:
    """For list_models, which never retries: a transient failure is reported like any other."""
    return (
        error if isinstance(error, BackendError) else BackendError(f"{error}; try again in a moment.", retryable=True)
    )
