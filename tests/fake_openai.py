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
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fake_gemini import stage_payloads

__all__ = ["FakeOpenAI", "Recorded", "Reply", "chat_reply", "error_reply", "json_reply", "prose_reply",
           "stage_payloads", "stage_replies", "truncated_reply"]


@dataclass
class Reply:
    """One scripted answer: HTTP status, JSON body, extra headers, and how long to stall first."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


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


def chat_reply(text: str | None, *, finish: str = "stop", tokens: tuple[int, int] = (900, 120),
               model: str = "m", delay_s: float = 0.0) -> Reply:
    prompt, completion = tokens
    body = {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
    }
    return Reply(200, body, delay_s=delay_s)


def json_reply(payload: Any, **options: Any) -> Reply:
    return chat_reply(json.dumps(payload), **options)


def prose_reply(payload: Any, **options: Any) -> Reply:
    """What a server that ignores JSON mode sends back: chatter around a fenced JSON block."""
    text = ("Sure! Here is my assessment of this stage, following the format you asked for:\n\n"
            f"```json\n{json.dumps(payload, indent=2)}\n```\n\nLet me know if you need anything else.")
    return chat_reply(text, **options)


def truncated_reply(payload: Any) -> Reply:
    """A JSON answer cut off half way by the output token limit."""
    text = json.dumps(payload)
    return chat_reply(text[: len(text) // 2], finish="length")


def error_reply(status: int, message: str, *, kind: str = "api_error", headers: dict[str, str] | None = None,
                delay_s: float = 0.0) -> Reply:
    """An OpenAI-style error body, as Ollama, vLLM and llama.cpp send them."""
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return Reply(status, body, headers=dict(headers or {}), delay_s=delay_s)


def stage_replies(verdict: str = "acceptable", score: float = 0.9, confidence: float = 0.8,
                  delay_s: float = 0.0) -> list[Reply]:
    return [json_reply(p, delay_s=delay_s) for p in stage_payloads(verdict, score, confidence)]


class FakeOpenAI:
    """Serve scripted chat replies in order on 127.0.0.1; use as a context manager.

    ``models`` are the names the server holds (listed by ``GET /v1/models``). When the script
    runs out the server answers 400, which the backend does not retry, so an unexpected extra
    request fails the test instead of hanging it.
    """

    def __init__(self, replies: list[Reply] | None = None, *, models: tuple[str, ...] = ("m",)):
        self.models = models
        self.requests: list[Recorded] = []
        self._replies: deque[Reply] = deque(replies or [])
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    @property
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def add(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def answer(self, recorded: Recorded) -> Reply:
        """The reply to one request; records it first, so even a 404 shows what was sent."""
        with self._lock:
            self.requests.append(recorded)
            if recorded.method == "GET":
                return self._model_list(recorded.path)
            if not recorded.path.endswith("/v1/chat/completions"):
                return error_reply(404, f"fake server: no route {recorded.path}", kind="not_found_error")
            if recorded.model not in self.models:
                return error_reply(404, f'model "{recorded.model}" not found, try pulling it first',
                                   kind="not_found_error")
            if self._replies:
                return self._replies.popleft()
        return error_reply(400, "fake server: no scripted reply left", kind="invalid_request_error")

    def _model_list(self, path: str) -> Reply:
        if not path.endswith("/v1/models"):
            return error_reply(404, f"fake server: no route {path}", kind="not_found_error")
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "library"} for name in self.models]
        return Reply(200, {"object": "list", "data": data})


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes; with Nagle's algorithm on, the body would wait
        # for the client's delayed ACK (~40 ms a reply on Linux) and slow every test.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            self._serve(b"")

        def do_POST(self) -> None:  # noqa: N802
            self._serve(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def _serve(self, raw: bytes) -> None:
            recorded = Recorded(self.command, self.path.split("?")[0],
                                {k.lower(): v for k, v in self.headers.items()}, json.loads(raw or b"{}"))
            reply = fake.answer(recorded)
            if reply.delay_s and fake._stopping.wait(reply.delay_s):
                return
            data = json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
            """Stay quiet: request lines would clutter test output."""

    return Handler
