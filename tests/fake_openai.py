"""A loopback server that speaks enough of the OpenAI chat completions API for the real client.

Ollama, vLLM, llama.cpp's server and LM Studio all serve ``POST /v1/chat/completions`` and
``GET /v1/models``; this fake serves the same two routes on 127.0.0.1 so the official
``openai`` client can be tested end to end without a model. Replies are scripted in order:
JSON answers, JSON wrapped in prose the way small models answer when they ignore JSON mode,
truncated answers, HTTP errors and slow replies (for timeouts). A request for a model the
server does not hold gets Ollama's 404, whatever the script says. Every request is recorded
with its parsed body and headers, so tests can check exactly what would have left the machine.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from fake_gemini import stage_payloads
from loopback import LoopbackServer, Reply

__all__ = [
    "FakeOpenAI",
    "Recorded",
    "Reply",
    "chat_reply",
    "error_reply",
    "json_reply",
    "prose_reply",
    "stage_payloads",
    "stage_replies",
    "truncated_reply",
]


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def model(self) -> str | None:
        return self.body.get("model")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def parts(self, message: int | None = None) -> list[dict[str, Any]]:
        """Content parts of every message, or of one (negative counts back); a string is one text part."""
        chosen = self.messages if message is None else [self.messages[message]]
        out: list[dict[str, Any]] = []
        for item in chosen:
            content = item.get("content")
            out += [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        return out

    def texts(self, message: int | None = None) -> list[str]:
        return [p["text"] for p in self.parts(message) if p.get("type") == "text"]

    def image_urls(self, message: int | None = None) -> list[str]:
        return [p["image_url"]["url"] for p in self.parts(message) if p.get("type") == "image_url"]

    def images(self, message: int | None = None) -> list[bytes]:
        """Decoded bytes of every base64 data URL; anything else (a web URL) fails loudly."""
        out = []
        for url in self.image_urls(message):
            head, _, data = url.partition(",")
            if not (head.startswith("data:image/") and head.endswith(";base64")):
                raise AssertionError(f"image part is not a base64 data URL: {url[:60]!r}")
            out.append(base64.b64decode(data, validate=True))
        return out


def chat_reply(
    text: str | None,
    *,
    finish: str = "stop",
    tokens: tuple[int, int] = (900, 120),
    model: str = "m",
    delay_s: float = 0.0,
) -> Reply:
    prompt, completion = tokens
    body = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }
    return Reply(200, body, delay_s=delay_s)


def json_reply(payload: Any, **options: Any) -> Reply:
    return chat_reply(json.dumps(payload), **options)


def prose_reply(payload: Any, **options: Any) -> Reply:
    """What a server that ignores JSON mode sends back: chatter around a fenced JSON block."""
    text = (
        "Sure! Here is my assessment of this stage, following the format you asked for:\n\n"
        f"```json\n{json.dumps(payload, indent=2)}\n```\n\nLet me know if you need anything else."
    )
    return chat_reply(text, **options)


def truncated_reply(payload: Any) -> Reply:
    """A JSON answer cut off half way by the output token limit."""
    text = json.dumps(payload)
    return chat_reply(text[: len(text) // 2], finish="length")


def error_reply(
    status: int, message: str, *, kind: str = "api_error", headers: dict[str, str] | None = None, delay_s: float = 0.0
) -> Reply:
    """An OpenAI-style error body, as Ollama, vLLM and llama.cpp send them."""
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return Reply(status, body, headers=dict(headers or {}), delay_s=delay_s)


def stage_replies(
    verdict: str = "acceptable", score: float = 0.9, confidence: float = 0.8, delay_s: float = 0.0
) -> list[Reply]:
    return [json_reply(p, delay_s=delay_s) for p in stage_payloads(verdict, score, confidence)]


class FakeOpenAI(LoopbackServer):
    """Serve scripted chat replies in order on 127.0.0.1; use as a context manager.

    ``models`` are the names the server holds (listed by ``GET /v1/models``). When the script
    runs out the server answers 400, which the backend does not retry, so an unexpected extra
    request fails the test instead of hanging it.
    """

    name = "fake-openai"

    def __init__(self, replies: list[Reply] | None = None, *, models: tuple[str, ...] = ("m",)):
        super().__init__(replies)
        self.models = models

    @property
    def base_url(self) -> str:
        return self.address + "/v1"

    @property
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def answer(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        """The reply to one request; records it first, so even a 404 shows what was sent."""
        recorded = Recorded(method, path, headers, json.loads(raw or b"{}"))
        if method == "GET":
            return self._record(recorded, self._model_list(path))
        if not path.endswith("/v1/chat/completions"):
            return self._record(recorded, error_reply(404, f"fake server: no route {path}", kind="not_found_error"))
        if recorded.model not in self.models:
            return self._record(
                recorded,
                error_reply(404, f'model "{recorded.model}" not found, try pulling it first', kind="not_found_error"),
            )
        return self.next_reply(
            recorded, error_reply(400, "fake server: no scripted reply left", kind="invalid_request_error")
        )

    def _record(self, recorded: Recorded, reply: Reply) -> Reply:
        with self._lock:
            self.requests.append(recorded)
        return reply

    def _model_list(self, path: str) -> Reply:
        if not path.endswith("/v1/models"):
            return error_reply(404, f"fake server: no route {path}", kind="not_found_error")
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "library"} for name in self.models]
        return Reply(200, {"object": "list", "data": data})
