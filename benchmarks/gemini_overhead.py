"""Our own cost around a Gemini assessment, against the loopback fake server with a fixed delay.

Each of the four replies is held back ``--delay`` seconds (1.5 s mimics gemini-2.5-flash), so
anything above 4 x delay of wall-clock time is ours: measuring the mask and rendering the
snapshots (which run while the knowledge-recall call is pending), prompt building, image
fitting, the SDK's request encoding and response parsing, validation and thread hand-offs.
The stage calls' own share and the evidence time alone are printed too. Also printed: the bytes
each stage's request carries, the size of the images sent, and an estimate of the prompt tokens Google would bill
(~4 characters per text token, 258 tokens per image of at most 768x768 on 2.5 models).

Run from the repository root:  python benchmarks/gemini_overhead.py [--runs 3] [--delay 1.5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from importlib import resources
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_gemini import FakeGemini, Recorded, stage_replies  # noqa: E402
from napari_hcr._sample_data import samples_dir  # noqa: E402
from napari_hcr.backends.gemini import GeminiBackend  # noqa: E402
from napari_hcr.case import Case  # noqa: E402
from napari_hcr.io import load_case  # noqa: E402
from napari_hcr.measures import measure  # noqa: E402
from napari_hcr.reasoner import Done, StageDone, assess_steps  # noqa: E402
from napari_hcr.snapshots import take_snapshots  # noqa: E402
from napari_hcr.verdict import STAGE_NAMES  # noqa: E402

TOKENS_PER_IMAGE = 258
CHARS_PER_TOKEN = 4
FAKE_KEY = "benchmark-fake-key-000000"


def sample_case() -> Case:
    folder = samples_dir()
    with (
        resources.as_file(folder / "mni152_t1_2mm.nii.gz") as image,
        resources.as_file(folder / "mni152_brain_good_2mm.nii.gz") as mask,
    ):
        return load_case(image, mask, structure="brain", modality="MRI-T1")


def run_once(case: Case, backend: GeminiBackend, fake: FakeGemini, delay: float) -> tuple[float, float, list[Recorded]]:
    """One assessment; returns (wall-clock overhead, stage-call overhead, its recorded requests),
    each in seconds beyond the server's 4 x ``delay``."""
    fake.delay_s = delay
    fake.add(*stage_replies())
    first = len(fake.requests)
    stage_seconds = 0.0
    started = time.perf_counter()
    for event in assess_steps(case, backend, poll=3600.0):
        if isinstance(event, StageDone):
            stage_seconds += event.result.seconds
        elif isinstance(event, Done):
            total = time.perf_counter() - started
    waited = len(STAGE_NAMES) * delay
    return total - waited, stage_seconds - waited, fake.requests[first:]


def evidence_seconds(case: Case) -> float:
    started = time.perf_counter()
    take_snapshots(case, measure(case))
    return time.perf_counter() - started


def estimated_tokens(request: Recorded) -> int:
    text = sum(len(t) for t in request.texts())
    text += len(request.body.get("systemInstruction", {}).get("parts", [{}])[0].get("text", ""))
    return text // CHARS_PER_TOKEN + TOKENS_PER_IMAGE * len(request.images())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--delay", type=float, default=1.5, help="seconds the fake server holds each reply")
    args = parser.parse_args()

    case = sample_case()
    overhead, in_calls, requests = [], [], []
    with FakeGemini() as fake:
        backend = GeminiBackend(api_key=FAKE_KEY, base_url=fake.base_url)
        started = time.perf_counter()
        run_once(case, backend, fake, 0.0)  # warm-up: builds the SDK client, fills import and schema caches
        first_run = time.perf_counter() - started
        for _ in range(args.runs):
            wall, calls, requests = run_once(case, backend, fake, args.delay)
            overhead.append(wall)
            in_calls.append(calls)
    evidence = [evidence_seconds(case) for _ in range(args.runs)]

    exchange = len(STAGE_NAMES) * args.delay
    median = statistics.median(overhead)
    print(f"case: MNI152 brain, shape {case.image.shape}; {args.runs} runs, fake server delay {args.delay:g} s/reply")
    print(
        f"our overhead per assessment, everything but the {exchange:g} s of server delay (wall clock): "
        f"median {median * 1000:.0f} ms = {100 * median / exchange:.2f}% (target < 5%)"
    )
    print(f"  of which inside the four stage calls: median {statistics.median(in_calls) * 1000:.0f} ms")
    print(
        f"  measures + snapshots alone, overlapped with knowledge recall: "
        f"median {statistics.median(evidence) * 1000:.0f} ms"
    )
    print(f"first run with zero delay, including the one-time SDK client setup: {first_run * 1000:.0f} ms")
    print("request per stage: bytes sent, images in the conversation, estimated prompt tokens")
    for name, request in zip(STAGE_NAMES, requests):
        images, tokens = len(request.images()), estimated_tokens(request)
        print(f"  {name:24s} {request.size:>9,d} B  {images:>2d} images  ~{tokens:,d} tokens")
    sizes = []
    for png in requests[1].images():
        with Image.open(io.BytesIO(png)) as picture:
            sizes.append((picture.size, len(png)))
    print("images sent (pixels, PNG bytes): " + ", ".join(f"{w}x{h} {n:,d} B" for (w, h), n in sizes))
    print(f"largest image side: {max(max(s) for s, _ in sizes)} px (limit 768)")
    print(f"estimated prompt tokens per assessment: ~{sum(estimated_tokens(r) for r in requests):,d}")


if __name__ == "__main__":
    main()
