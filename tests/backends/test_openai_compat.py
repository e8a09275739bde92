"""The OpenAI-compatible backend with the real ``openai`` client against a loopback server.

Every request goes to ``FakeOpenAI`` on 127.0.0.1; an audit hook on ``socket.connect``
checks that no connection goes anywhere else, even with proxy variables set.
"""

from __future__ import annotations

import json
import socket
import sys

import numpy as np
import pytest

from fake_openai import (
    FakeOpenAI,
    chat_reply,
    error_reply,
    json_reply,
    prose_reply,
    stage_payloads,
    stage_replies,
    truncated_reply,
)
from napari_hcr import cli
from napari_hcr.backends import make_backend
from napari_hcr.backends.openai_compat import DEFAULT_BASE_URL, OpenAICompatBackend, list_models, server_url
from napari_hcr.backends.prompting import fit_png
from napari_hcr.case import make_case
from napari_hcr.errors import BackendError
from napari_hcr.reasoner import Done, assess, assess_steps
from napari_hcr.stages import STAGES
from napari_hcr.verdict import STAGE_NAMES

KEY = "sk-local-test-0123456789"
_connections: list[tuple[object, ...]] | None = None


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.connect" and _connections is not None:
        _connections.append(args[1] if isinstance(args[1], tuple) else (args[1],))


sys.addaudithook(_audit)


@pytest.fixture
def connections():
    """Every address a socket connects to while the test runs."""
    global _connections
    _connections = []
    yield _connections
    _connections = None


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "NAPARI_HCR_LOCAL_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def case():
    grid = np.mgrid[:32, :40, :40]
    centre = np.array([16, 20, 20]).reshape(3, 1, 1, 1)
    ball = ((grid - centre) ** 2).sum(0) < 10**2
    image = np.where(ball, 100.0, 20.0) + np.random.default_rng(0).normal(0, 3, ball.shape)
    return make_case(image.astype(np.float32), ball.astype(np.uint8), spacing=(1.5, 1.0, 1.0))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _one_sentence(message: str) -> None:
    assert "\n" not in message and message.endswith(".")
    assert ". " not in message.rstrip("."), message


def test_four_stages_in_order_with_image_parts(case, connections):
    with FakeOpenAI(stage_replies("unacceptable", 0.2, 0.85)) as fake:
        backend = OpenAICompatBackend(model="m", base_url=fake.base_url, api_key=KEY)
        done = [e for e in assess_steps(case, backend, poll=3600.0) if isinstance(e, Done)][0]
    assessment = done.assessment
    assert [s.name for s in assessment.stages] == list(STAGE_NAMES)
    assert (assessment.verdict, assessment.score, assessment.confidence) == ("unacceptable", 0.2, 0.85)
    assert assessment.backend.name == "openai_compat" and assessment.backend.model == "m"
    assert (assessment.backend.calls, assessment.backend.tokens_in, assessment.backend.tokens_out) == (4, 3600, 480)

    requests = fake.chat_requests
    assert len(requests) == 4
    for number, (request, spec) in enumerate(zip(requests, STAGES, strict=True), start=1):
        assert request.model == "m" and request.messages[0]["role"] == "system"
        assert request.texts(-1)[0].startswith(f"Stage {number} of 4: {spec.title}.")
        assert request.body["response_format"]["type"] == "json_schema"
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert [m["role"] for m in request.messages[1:]] == ["user", "assistant"] * (number - 1) + ["user"]
    assert "verdict" in json.dumps(requests[3].body["response_format"])
    assert "verdict" not in json.dumps(requests[0].body["response_format"])

    sent = requests[1].images(-1)
    assert requests[0].images() == [] and len(sent) == len(done.snapshots) > 0
    assert sent == [fit_png(s.png) for s in done.snapshots]
    assert requests[2].images(-1) == [] and requests[2].images() == sent  # later stages refer back
    assert json.loads(requests[1].messages[2]["content"])["text"] == assessment.stages[0].text
    assert {address[0] for address in connections} == {"127.0.0.1"}


def test_json_wrapped_in_prose_still_yields_a_valid_assessment(case):
    replies = [prose_reply(p) for p in stage_payloads("acceptable", 0.9, 0.7)]
    message = replies[0].body["choices"][0]["message"]
    message["content"] = '<think>A draft: {"text": "draft"}; no, give every field.</think>' + message["content"]
    with FakeOpenAI(replies) as fake:
        assessment = assess(case, OpenAICompatBackend(model="m", base_url=fake.base_url))
    assert len(fake.chat_requests) == 4  # no repair turn was needed
    assert assessment.verdict == "acceptable" and assessment.confidence == 0.7
    assert assessment.stages[0].text.startswith("A brain mask on T1")
    assert assessment.stages[2].findings[0].kind == "rough_edge"


def test_a_server_that_rejects_json_mode_is_asked_without_it(case):
    rejection = error_reply(400, "response_format type json_schema is not supported", kind="invalid_request_error")
    with FakeOpenAI([rejection, *stage_replies()]) as fake:
        assessment = assess(case, OpenAICompatBackend(model="m", base_url=fake.base_url))
    assert assessment.verdict == "acceptable"
    assert "response_format" in fake.chat_requests[0].body
    assert all("response_format" not in r.body for r in fake.chat_requests[1:])
    assert len(fake.chat_requests) == 5


def test_a_truncated_answer_is_repaired_once(case):
    payloads = stage_payloads()
    with FakeOpenAI([truncated_reply(payloads[0]), *[json_reply(p) for p in payloads]]) as fake:
        assessment = assess(case, OpenAICompatBackend(model="m", base_url=fake.base_url))
    assert assessment.stages[0].text == payloads[0]["text"]
    assert "cut off" in fake.chat_requests[1].texts(-1)[0]


def test_connection_refused_gives_one_clear_sentence(case):
    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(BackendError) as caught:
        assess(case, OpenAICompatBackend(model="m", base_url=url))
    message = str(caught.value)
    _one_sentence(message)
    assert message.startswith("Could not connect to a local model server at " + url)
    with pytest.raises(BackendError, match="^Could not connect"):
        list_models(url)


def test_unknown_model_gives_one_clear_sentence_without_retrying(case):
    with FakeOpenAI(stage_replies(), models=("qwen2.5vl:7b",)) as fake, pytest.raises(BackendError) as caught:
        assess(case, OpenAICompatBackend(model="llava:13b", base_url=fake.base_url))
    message = str(caught.value)
    _one_sentence(message)
    assert "no model named 'llava:13b'" in message and "pull" in message
    assert caught.value.stage == "knowledge_recall"
    assert len(fake.chat_requests) == 1


def test_a_wrong_api_path_says_to_check_the_address(case):
    wrong_path = pytest.raises(BackendError, match="no OpenAI-compatible API there .* usually ends in /v1")
    with FakeOpenAI(stage_replies()) as fake, wrong_path as caught:
        assess(case, OpenAICompatBackend(model="m", base_url=fake.base_url.replace("/v1", "/api")))
    _one_sentence(str(caught.value))


def test_a_loading_server_is_retried(case):
    loading = error_reply(503, "model is loading", headers={"Retry-After": "0"})
    with FakeOpenAI([loading, *stage_replies()]) as fake:
        assessment = assess(case, OpenAICompatBackend(model="m", base_url=fake.base_url))
    assert assessment.verdict == "acceptable" and assessment.backend.calls == 5
    assert fake.chat_requests[0].body == fake.chat_requests[1].body


def test_a_slow_server_times_out_with_one_clear_sentence(case):
    with FakeOpenAI([chat_reply("{}", delay_s=5.0)]) as fake, pytest.raises(BackendError) as caught:
        assess(case, OpenAICompatBackend(model="m", base_url=fake.base_url, timeout_s=0.3))
    message = str(caught.value)
    _one_sentence(message)
    assert "did not answer within 0.3 s" in message
    assert len(fake.chat_requests) == 1  # a timeout is not retried


def test_server_errors_never_echo_the_key(case):
    with (
        FakeOpenAI([error_reply(400, f"bad token {KEY} for this route")]) as fake,
        pytest.raises(BackendError) as caught,
    ):
        assess(case, OpenAICompatBackend(model="m", base_url=fake.base_url, api_key=KEY))
    assert KEY not in str(caught.value) and "[redacted]" in str(caught.value)
    assert KEY not in repr(OpenAICompatBackend(model="m", api_key=KEY))


def test_list_models_and_proxies_are_bypassed_on_loopback(monkeypatch, connections):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://10.255.255.1:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with FakeOpenAI(models=("qwen2.5vl:7b", "gemma3:4b")) as fake:
        assert list_models(fake.base_url, timeout_s=2.0) == ["gemma3:4b", "qwen2.5vl:7b"]
        bare = fake.base_url.removesuffix("/v1")
        assert list_models(bare) == ["gemma3:4b", "qwen2.5vl:7b"]  # /v1 is added
        assert fake.requests[0].headers["authorization"] == "Bearer no-key"
    assert connections and {address[0] for address in connections} == {"127.0.0.1"}


def test_settings_come_from_arguments_or_the_environment(monkeypatch):
    with pytest.raises(BackendError, match="No local model was named") as caught:
        OpenAICompatBackend()
    _one_sentence(str(caught.value))
    assert server_url() == DEFAULT_BASE_URL
    monkeypatch.setenv("NAPARI_HCR_LOCAL_MODEL", "gemma3:4b")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://gpu-box.local:8000")
    backend = make_backend("openai_compat")
    assert (backend.model, backend.base_url) == ("gemma3:4b", "http://gpu-box.local:8000/v1")
    assert make_backend("openai_compat", model="m", base_url="http://h:1/v1/").base_url == "http://h:1/v1"
    for bad in ("ftp://h/v1", "http://h:99999/v1", "127.0.0.1:11434"):
        with pytest.raises(BackendError, match="not an http"):
            OpenAICompatBackend(model="m", base_url=bad)
    shown = repr(OpenAICompatBackend(model="m", base_url="http://user:pw@h:8000/v1"))
    assert "pw" not in shown and "h:8000" in shown


def _write_case(tmp_path, case):
    image, mask = tmp_path / "image.npy", tmp_path / "mask.npy"
    np.save(image, case.image)
    np.save(mask, case.labels)
    return str(image), str(mask)


def test_cli_runs_the_four_stages_on_a_local_server(tmp_path, case, capsys, connections):
    image, mask = _write_case(tmp_path, case)
    out = tmp_path / "out.json"
    with FakeOpenAI(stage_replies("unacceptable", 0.1, 0.9)) as fake:
        code = cli.main(
            [
                "assess",
                image,
                mask,
                "--backend",
                "openai_compat",
                "--base-url",
                fake.base_url,
                "--model",
                "m",
                "--no-cache",
                "--json",
                str(out),
            ]
        )
    printed = capsys.readouterr().out
    assert code == 0
    positions = [printed.index(f"[{i}/4] {spec.title}") for i, spec in enumerate(STAGES, start=1)]
    assert positions == sorted(positions)
    assert "backend openai_compat (m)" in printed and "VERDICT: UNACCEPTABLE" in printed
    assert json.loads(out.read_text())["backend"]["name"] == "openai_compat"
    assert len(fake.chat_requests) == 4 and len(fake.chat_requests[1].images(-1)) > 0
    assert {address[0] for address in connections} == {"127.0.0.1"}


def test_cli_reports_a_missing_server_in_one_line(tmp_path, case, capsys):
    image, mask = _write_case(tmp_path, case)
    url = f"http://127.0.0.1:{_free_port()}/v1"
    code = cli.main(
        ["assess", image, mask, "--backend", "openai_compat", "--base-url", url, "--model", "m", "--no-cache"]
    )
    err = capsys.readouterr().err
    assert code == cli.EXIT_BACKEND
    assert err.count("\n") == 1 and "Could not connect to a local model server" in err
