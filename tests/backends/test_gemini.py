"""The Gemini backend with the real google-genai client against the loopback fake server."""

from __future__ import annotations

import io
import json
import logging
import threading
from dataclasses import dataclass, field

import numpy as np
import pytest
from PIL import Image

from fake_gemini import (
    FakeGemini,
    blocked_reply,
    error_reply,
    json_reply,
    stage_payloads,
    stage_replies,
    text_reply,
    truncated_reply,
)
from napari_hcr.backends import make_backend
from napari_hcr.backends.gemini import GeminiBackend, gemini_key_available
from napari_hcr.backends.llm import RetryPolicy
from napari_hcr.cache import AssessmentCache
from napari_hcr.case import Case, make_case
from napari_hcr.errors import BackendError, BlockedError, CancelledError, HCRError
from napari_hcr.knowledge import load_profile
from napari_hcr.measures import measure
from napari_hcr.reasoner import assess
from napari_hcr.secrets import HOW_TO_ADD_KEY
from napari_hcr.snapshots import take_snapshots
from napari_hcr.stages import STAGES, CaseFacts, StageRequest
from napari_hcr.verdict import STAGE_NAMES

KEY = "AIzaFAKE-test-key-5f3c9d1e7b"


@dataclass(frozen=True)
class RecordingPolicy(RetryPolicy):
    """A fast retry policy that remembers each wait it chose, so tests need no clock."""

    waits: list[float] = field(default_factory=list)

    def delay(self, attempt: int, hint: float | None) -> float:
        wait = super().delay(attempt, hint)
        self.waits.append(wait)
        return wait


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "GOOGLE_GEMINI_BASE_URL",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GENAI_USE_ENTERPRISE",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def case() -> Case:
    z, y, x = np.mgrid[:40, :48, :44]
    distance = (z - 20) ** 2 + (y - 24) ** 2 + (x - 22) ** 2
    image = (100 * np.exp(-distance / 200.0)).astype(np.float32)
    return make_case(
        image, (distance < 150).astype(np.uint8), spacing=(1.2, 1.0, 1.0), structure="brain", modality="MRI-T1"
    )


def backend(fake: FakeGemini, **options: object) -> GeminiBackend:
    options.setdefault("retry", RetryPolicy(base_s=0.001, cap_s=0.01))
    return GeminiBackend(api_key=KEY, base_url=fake.base_url, **options)


def test_four_stages_in_order_with_images_and_earlier_stages(case: Case) -> None:
    with FakeGemini(stage_replies(verdict="unacceptable", score=0.2, confidence=0.7)) as fake:
        assessment = assess(case, backend(fake, thinking_budget=256))
    assert [s.name for s in assessment.stages] == list(STAGE_NAMES)
    assert (assessment.verdict, assessment.score, assessment.confidence) == ("unacceptable", 0.2, 0.7)
    assert len(fake.requests) == 4
    for index, request in enumerate(fake.requests):
        assert request.path == "/v1/models/gemini-2.5-flash:generateContent"
        assert request.headers["x-goog-api-key"] == KEY
        roles = [c["role"] for c in request.contents]
        assert roles == ["user", "model"] * index + ["user"]
        assert f"Stage {index + 1} of 4" in request.texts(-1)[0]
        for earlier, payload in enumerate(stage_payloads()[:index]):
            assert json.loads(request.texts(2 * earlier + 1)[0])["text"] == payload["text"]
        config = request.config
        assert config["temperature"] == 0
        assert config["responseMimeType"] == "application/json"
        assert ("verdict" in config["responseSchema"]["properties"]) == (index == 3)
        assert config["thinkingConfig"] == {"thinking_budget": 256}
    snapshots = len(assessment.snapshots)
    assert snapshots >= 3
    assert fake.requests[0].images() == []
    assert len(fake.requests[1].images(-1)) == snapshots, "stage 2 sends the snapshots"
    assert len(fake.requests[2].images()) == snapshots, "stage 3 sees them in the conversation, once"
    assert "volume" in fake.requests[1].texts(-1)[0] and "compactness:" in fake.requests[1].texts(-1)[0]
    assert fake.requests[3].body["systemInstruction"]["parts"][0]["text"].startswith("You are a radiologist")
    usage = assessment.backend
    assert (usage.name, usage.model, usage.calls) == ("gemini", "gemini-2.5-flash", 4)
    assert (usage.tokens_in, usage.tokens_out, usage.tokens_thinking) == (4800, 600, 160)
    stage_two = assessment.stages[1].findings[0].where
    assert (stage_two.axis, stage_two.slice) == (0, 3)


def test_images_sent_are_pngs_no_larger_than_768(case: Case) -> None:
    with FakeGemini(stage_replies()) as fake:
        assess(case, backend(fake))
    images = fake.requests[1].images()
    assert images
    for png in images:
        with Image.open(io.BytesIO(png)) as picture:
            assert picture.format == "PNG" and max(picture.size) <= 768


def test_429_with_retry_info_is_retried_honouring_the_hint(case: Case) -> None:
    policy = RecordingPolicy(base_s=0.001, cap_s=0.01)
    replies = [error_reply(429, "RESOURCE_EXHAUSTED", "Quota exceeded.", retry_delay="0.2s"), *stage_replies()]
    with FakeGemini(replies) as fake:
        assessment = assess(case, backend(fake, retry=policy))
    assert len(fake.requests) == 5
    assert assessment.backend.calls == 5
    assert policy.waits == [0.2]


def test_a_retry_after_header_is_honoured_too(case: Case) -> None:
    policy = RecordingPolicy(base_s=0.001, cap_s=0.01)
    replies = [error_reply(503, "UNAVAILABLE", "Overloaded.", retry_after="0.3"), *stage_replies()]
    with FakeGemini(replies) as fake:
        assess(case, backend(fake, retry=policy))
    assert policy.waits == [0.3] and len(fake.requests) == 5


def test_500_then_success_is_retried_and_503_gives_up_with_a_sentence(case: Case) -> None:
    with FakeGemini([error_reply(500, "INTERNAL", "oops"), *stage_replies()]) as fake:
        assert assess(case, backend(fake)).verdict == "acceptable"
        assert len(fake.requests) == 5
    failing = [error_reply(503, "UNAVAILABLE", "The model is overloaded.")] * 3
    with FakeGemini(failing) as fake, pytest.raises(BackendError) as caught:
        assess(case, backend(fake, retry=RetryPolicy(attempts=3, base_s=0.001, cap_s=0.01)))
    assert len(fake.requests) == 3
    assert caught.value.retryable and caught.value.stage == "knowledge_recall"
    assert "unavailable or overloaded (503 UNAVAILABLE)" in str(caught.value)


def test_a_long_retry_hint_fails_at_once_instead_of_freezing(case: Case) -> None:
    reply = error_reply(429, "RESOURCE_EXHAUSTED", "Quota.", retry_delay="3600s")
    with FakeGemini([reply]) as fake, pytest.raises(BackendError, match="asks to wait 3600 s"):
        assess(case, backend(fake))
    assert len(fake.requests) == 1


def test_401_gives_one_clear_sentence_and_is_not_retried(case: Case) -> None:
    reply = error_reply(401, "UNAUTHENTICATED", "API key not valid.")
    with FakeGemini([reply]) as fake, pytest.raises(BackendError) as caught:
        assess(case, backend(fake))
    message = str(caught.value)
    assert message == (
        "Gemini rejected the API key (401 UNAUTHENTICATED): check GEMINI_API_KEY or the key in "
        "the widget's Gemini settings."
    )
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (error_reply(403, "PERMISSION_DENIED", "Permission denied."), "refused access (403 PERMISSION_DENIED"),
        (error_reply(404, "NOT_FOUND", "models/x is not found."), "does not know the model 'gemini-2.5-flash'"),
        (error_reply(400, "INVALID_ARGUMENT", "Bad schema."), "could not process the request (400"),
    ],
)
def test_other_client_errors_are_plain_sentences(case: Case, reply: object, expected: str) -> None:
    with FakeGemini([reply]) as fake, pytest.raises(BackendError, match=expected.replace("(", r"\(")) as caught:
        assess(case, backend(fake))
    assert "\n" not in str(caught.value) and len(fake.requests) == 1


def test_malformed_answer_is_retried_once_with_a_repair_turn(case: Case) -> None:
    replies = stage_replies()
    replies.insert(1, text_reply("Sure! Here is my analysis: the mask looks fine."))
    with FakeGemini(replies) as fake:
        assessment = assess(case, backend(fake))
    assert assessment.verdict == "acceptable" and assessment.backend.calls == 5
    repair = fake.requests[2]
    assert [c["role"] for c in repair.contents] == ["user", "model", "user", "model", "user"]
    assert repair.texts(-2) == ["Sure! Here is my analysis: the mask looks fine."]
    assert "could not be used (the answer holds no complete JSON object)" in repair.texts(-1)[0]


def test_an_empty_answer_is_asked_again_within_the_same_turn(case: Case) -> None:
    replies = stage_replies()
    replies.insert(0, text_reply(""))
    with FakeGemini(replies) as fake:
        assert assess(case, backend(fake)).verdict == "acceptable"
    first, again = fake.requests[:2]
    assert len(again.contents) == len(first.contents) == 1, "no empty model turn is sent back"
    assert again.texts(-1)[:-1] == first.texts(-1)
    assert "could not be used" in again.texts(-1)[-1]


def test_malformed_twice_fails_cleanly_naming_the_stage(case: Case) -> None:
    bad = {"text": "Looks fine.", "findings": [{"kind": "x", "severity": "catastrophic", "detail": "?"}]}
    replies = [*stage_replies()[:2], json_reply(bad), json_reply(bad)]
    with FakeGemini(replies) as fake, pytest.raises(BackendError) as caught:
        assess(case, backend(fake))
    assert caught.value.stage == "anatomical_inference"
    assert str(caught.value).startswith(
        "Gemini gave no usable answer to the Anatomical inference stage after one retry"
    )
    assert "severity" in str(caught.value)
    assert len(fake.requests) == 4


def test_truncated_answer_asks_again_saying_it_was_cut_off(case: Case) -> None:
    replies = stage_replies()
    replies.insert(3, truncated_reply(stage_payloads()[3]))
    with FakeGemini(replies) as fake:
        assessment = assess(case, backend(fake))
    assert assessment.verdict == "acceptable"
    assert "was cut off before the JSON ended" in fake.requests[4].texts(-1)[0]


@pytest.mark.parametrize("reply", [blocked_reply("SAFETY"), text_reply("", finish="SAFETY")])
def test_a_safety_block_is_could_not_assess_not_a_verdict(case: Case, reply: object) -> None:
    with FakeGemini([stage_replies()[0], reply]) as fake, pytest.raises(BlockedError) as caught:
        assess(case, backend(fake))
    assert "could not be assessed" in str(caught.value)
    assert caught.value.stage == "visual_feature_analysis"
    assert len(fake.requests) == 2


def test_a_cached_second_run_makes_no_request(case: Case, tmp_path) -> None:
    cache = AssessmentCache(tmp_path)
    with FakeGemini(stage_replies()) as fake:
        first = assess(case, backend(fake), cache=cache)
        second = assess(case, backend(fake), cache=cache)
    assert len(fake.requests) == 4
    assert second.backend.cached and not first.backend.cached
    assert [s.text for s in second.stages] == [s.text for s in first.stages]


def test_the_key_never_reaches_logs_errors_or_reports(
    case: Case, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    texts = []
    echo = f"API key {KEY} not valid."
    scripts = [
        [error_reply(429, "RESOURCE_EXHAUSTED", echo, retry_delay="0.01s"), *stage_replies()],
        [error_reply(401, "UNAUTHENTICATED", echo)],
        [error_reply(400, "INVALID_ARGUMENT", echo)],
        [error_reply(403, "PERMISSION_DENIED", echo)],
        [text_reply(echo), text_reply(echo)],
    ]
    for script in scripts:
        with FakeGemini(script) as fake:
            chosen = GeminiBackend(base_url=fake.base_url, retry=RetryPolicy(base_s=0.001, cap_s=0.01))
            texts.append(repr(chosen))
            try:
                texts.append(assess(case, chosen).to_json())
            except HCRError as error:
                texts += [str(error), repr(error), repr(error.__cause__), repr(error.__context__)]
        assert fake.requests[0].headers["x-goog-api-key"] == KEY
    assert sum("napari-hcr/assessment/v1" in text for text in texts) == 1
    assert sum(text.startswith("Gemini ") for text in texts) == 4, "four runs failed with a sentence"
    assert [text for text in texts if KEY in text] == []
    assert caplog.records and KEY not in caplog.text


def test_no_key_raises_a_sentence_saying_how_to_add_one(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not gemini_key_available()
    with pytest.raises(BackendError) as caught:
        GeminiBackend()
    assert str(caught.value) == HOW_TO_ADD_KEY
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)
    assert gemini_key_available()
    assert make_backend("gemini", model="gemini-3-flash").model == "gemini-3-flash"


def test_the_sdk_base_url_variable_is_honoured(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGemini(stage_replies()) as fake:
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake.base_url)
        monkeypatch.setenv("GEMINI_API_KEY", KEY)
        assessment = assess(case, GeminiBackend(model="gemini-flash-lite-latest"))
    assert assessment.backend.model == "gemini-flash-lite-latest"
    assert [r.model for r in fake.requests] == ["gemini-flash-lite-latest"] * 4


def test_vertex_mode_follows_the_sdk_variables(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    assert gemini_key_available()
    with FakeGemini(stage_replies()) as fake:
        assess(case, backend(fake))
    assert fake.requests[0].path == "/v1beta1/publishers/google/models/gemini-2.5-flash:generateContent"


def test_vertex_mode_without_credentials_says_how_to_log_in(
    case: Case, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    from google.auth.compute_engine import _metadata

    monkeypatch.setattr(_metadata, "_NO_GCE_CHECK", True)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    for name, value in (
        ("GOOGLE_GENAI_USE_VERTEXAI", "1"),
        ("GOOGLE_CLOUD_PROJECT", "p"),
        ("GOOGLE_CLOUD_LOCATION", "us-central1"),
    ):
        monkeypatch.setenv(name, value)
    with pytest.raises(BackendError, match="Vertex AI credentials were not found"):
        assess(case, GeminiBackend())


def _request(case: Case, stage: int = 0) -> StageRequest:
    measures = measure(case)
    facts = CaseFacts(case.structure, case.modality, case.image.shape, case.spacing, case.label)
    return StageRequest(
        STAGES[stage],
        facts,
        load_profile(case.structure, case.modality),
        measures,
        tuple(take_snapshots(case, measures)),
        (),
    )


def test_close_from_another_thread_releases_a_pending_call(case: Case) -> None:
    request = _request(case)
    with FakeGemini(stage_replies(delay_s=30.0)) as fake:
        session = backend(fake).open(request.facts)
        outcome: list[BaseException] = []

        def run() -> None:
            try:
                session.answer(request)
            except BaseException as error:
                outcome.append(error)

        worker = threading.Thread(target=run)
        worker.start()
        while not fake.requests:
            threading.Event().wait(0.01)
        session.close()
        worker.join(timeout=1.0)
        assert not worker.is_alive(), "close() must release the caller within a second"
    assert len(outcome) == 1 and isinstance(outcome[0], CancelledError)
    with pytest.raises(CancelledError):
        session.answer(request)


def test_a_slow_server_hits_the_timeout_with_a_sentence(case: Case) -> None:
    request = _request(case)
    with FakeGemini(stage_replies(delay_s=5.0)) as fake:
        session = backend(fake, timeout_s=0.3).open(request.facts)
        with pytest.raises(BackendError, match=r"did not answer within 0.3 s") as caught:
            session.answer(request)
    assert caught.value.stage == "knowledge_recall"
