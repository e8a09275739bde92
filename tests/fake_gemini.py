"""A loopback server that speaks enough of the Gemini REST API for the real google-genai SDK.

Point a client at ``FakeGemini.base_url`` (``HttpOptions(base_url=...)`` or
``GOOGLE_GEMINI_BASE_URL``) and script what it answers: JSON stage replies, errors with retry
hints, truncated or blocked answers, slow replies. Every request is recorded with its parsed
body, so tests can check what would have been sent to Google. Used by the backend tests,
the widget tests and ``benchmarks/gemini_overhead.py``.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from loopback import LoopbackServer, Reply

_PATH = re.compile(r"^/(?P<version>v1(?:beta1?)?)/(?:.*/)?models/(?P<model>[^/:]+):generateContent$")


@dataclass
class Recorded:
    """What one request carried, as the server saw it."""

    path: str
    version: str
    model: str
    headers: dict[str, str]
    body: dict[str, Any]
    size: int

    @property
    def contents(self) -> list[dict[str, Any]]:
        return list(self.body.get("contents", []))

    def images(self, turn: int | None = None) -> list[bytes]:
        """Decoded inline image bytes, of every turn or of one turn (negative counts back)."""
        turns = self.contents if turn is None else [self.contents[turn]]
        out = []
        for content in turns:
            for part in content.get("parts", []):
                data = part.get("inlineData") or part.get("inline_data")
                if data:
                    out.append(_b64(data["data"]))
        return out

    def texts(self, turn: int | None = None) -> list[str]:
        turns = self.contents if turn is None else [self.contents[turn]]
        return [part["text"] for content in turns for part in content.get("parts", []) if "text" in part]

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.body.get("generationConfig") or self.body.get("generation_config") or {})


def _b64(text: str) -> bytes:
    """The SDK sends URL-safe base64; accept either alphabet, padded or not."""
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def stage_payloads(verdict: str = "acceptable", score: float = 0.9, confidence: float = 0.8) -> list[dict[str, Any]]:
    """Four valid stage answers, the last with a verdict, as a model following the schema would give."""
    return [
        {
            "text": "A brain mask on T1 should be one compact component of 1000-1700 mL.",
            "findings": [
                {
                    "kind": "expected_volume",
                    "severity": "info",
                    "axis": None,
                    "slice": None,
                    "detail": "Expected 1000-1700 mL.",
                }
            ],
        },
        {
            "text": "One component, smooth boundary following the brain surface.",
            "findings": [
                {
                    "kind": "boundary",
                    "severity": "info",
                    "axis": 0,
                    "slice": 3,
                    "detail": "Boundary follows the edge on this slice.",
                }
            ],
        },
        {
            "text": "What was seen matches what is expected.",
            "findings": [
                {"kind": "rough_edge", "severity": "minor", "axis": 0, "slice": 4, "detail": "Slightly rough edge."}
            ],
        },
        {
            "text": "No finding of clinical weight.",
            "findings": [],
            "verdict": verdict,
            "score": score,
            "confidence": confidence,
        },
    ]


def json_reply(
    payload: Any, *, finish: str = "STOP", tokens: tuple[int, int, int] = (1200, 150, 40), delay_s: float | None = None
) -> Reply:
    return text_reply(json.dumps(payload), finish=finish, tokens=tokens, delay_s=delay_s)


def text_reply(
    text: str, *, finish: str = "STOP", tokens: tuple[int, int, int] = (1200, 150, 40), delay_s: float | None = None
) -> Reply:
    prompt, output, thinking = tokens
    body = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": finish, "index": 0}],
        "usageMetadata": {
            "promptTokenCount": prompt,
            "candidatesTokenCount": output,
            "thoughtsTokenCount": thinking,
            "totalTokenCount": prompt + output + thinking,
        },
        "modelVersion": "fake",
    }
    return Reply(200, body, delay_s=delay_s)


def truncated_reply(payload: Any) -> Reply:
    """A JSON answer cut off half way, as when the output token limit is reached."""
    text = json.dumps(payload)
    return text_reply(text[: len(text) // 2], finish="MAX_TOKENS")


def blocked_reply(reason: str = "SAFETY") -> Reply:
    """A prompt refused before any candidate was produced."""
    body = {
        "promptFeedback": {"blockReason": reason},
        "usageMetadata": {"promptTokenCount": 900, "totalTokenCount": 900},
    }
    return Reply(200, body)


def error_reply(
    code: int, status: str, message: str, *, retry_delay: str | None = None, retry_after: str | None = None
) -> Reply:
    """A Google-style error; ``retry_delay`` (e.g. ``"0.05s"``) adds a RetryInfo detail."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if retry_delay is not None:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}]
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return Reply(code, {"error": error}, headers=headers)


def stage_replies(
    verdict: str = "acceptable", score: float = 0.9, confidence: float = 0.8, delay_s: float | None = None
) -> list[Reply]:
    return [json_reply(p, delay_s=delay_s) for p in stage_payloads(verdict, score, confidence)]


class FakeGemini(LoopbackServer):
    """Serve scripted replies in order on 127.0.0.1; use as a context manager.

    When the script runs out the server answers 400 INVALID_ARGUMENT (not retried), so an
    unexpected extra request fails the test instead of hanging it.
    """

    name = "fake-gemini"
    content_type = "application/json; charset=UTF-8"

    @property
    def base_url(self) -> str:
        return self.address + "/"

    def answer(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Reply:
        match = _PATH.match(path)
        if method != "POST" or not match:
            return error_reply(404, "NOT_FOUND", f"fake server: unknown path {path}")
        recorded = Recorded(path, match["version"], match["model"], headers, json.loads(raw or b"{}"), len(raw))
        return self.next_reply(recorded, error_reply(400, "INVALID_ARGUMENT", "fake server: no scripted reply left"))
