"""The HTTP plumbing both fake model servers share: scripted JSON replies on 127.0.0.1.

A subclass says how to record a request and what to answer; this base serves the script in
order on a background thread, stalls a reply when asked (for timeouts and cancel tests) and
stays quiet when a client hangs up, which cancelled and timed-out calls do on purpose.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: HTTP status, JSON body, extra headers, and how long to stall first
    (``None``: the server's default delay)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float | None = None


class LoopbackServer:
    """Serve ``answer(method, path, headers, raw)`` on 127.0.0.1; use as a context manager."""

    name = "fake-server"
    content_type = "application/json"

    def __init__(self, replies: list[Reply] | None = None, delay_s: float = 0.0):
        self.delay_s = delay_s
        self.requests: list[Any] = []
        self._replies: deque[Reply] = deque(replies or [])
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=self.name, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        raise NotImplementedError

    def next_reply(self, recorded: Any, exhausted: Reply) -> Reply:
        """Record ``recorded`` and pop the next scripted reply, or ``exhausted`` when none is left."""
        with self._lock:
            self.requests.append(recorded)
            if self._replies:
                return self._replies.popleft()
        return exhausted


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (a cancelled or timed-out call) is expected, not a failure."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler_for(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes; with Nagle's algorithm on, the body would wait
        # for the client's delayed ACK (~40 ms a reply on Linux), a stall no real endpoint shows.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            self._serve(b"")

        def do_POST(self) -> None:  # noqa: N802
            self._serve(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def _serve(self, raw: bytes) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = server.answer(self.command, self.path.split("?")[0], headers, raw)
            delay = server.delay_s if reply.delay_s is None else reply.delay_s
            if delay and server._stopping.wait(delay):
                return
            data = json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", server.content_type)
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
