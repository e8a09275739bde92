"""``napari-hcr batch INPUT --out DIR``: every case of a cohort, on this machine or a Dask cluster.

Arguments and input are checked before any work (exit 2 with one sentence). A model-backed run
first says what it will cost and asks; without a terminal to ask on it refuses unless
``--yes``. Exit 0 when every label was assessed, 4 when some failed (each named at the end and
in summary.csv), 130 after Ctrl-C (every finished record is kept; the same command resumes).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError
from .inputs import Labels, discover, parse_labels

EXIT_SOME_FAILED = 4
EXIT_INTERRUPTED = 130
DEFAULT_CONCURRENCY = 4


def add_batch_parser(sub: Any) -> None:
    """Register the ``batch`` subcommand on the main parser's subparsers."""
    batch = sub.add_parser(
        "batch",
        help="assess every case of a folder, CSV manifest or TotalSegmentator output; resumable",
        description="Assess a cohort: a folder with images/ and masks/, a CSV manifest (image, mask[, structure, "
        "modality, labels, spacing]) or TotalSegmentator output beside its scan. Writes DIR/results.jsonl, "
        "summary.csv and report.html; running the same command again skips what DIR already holds.",
    )
    batch.add_argument("input", type=Path, help="folder (images/ + masks/), CSV manifest or TotalSegmentator output")
    batch.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the results (resumable)")
    batch.add_argument("--labels", type=_labels, default="all", metavar="all|N,M", help="labels to judge (default all)")
    batch.add_argument("--structure", default=None, help="structure for every label (default: from label names)")
    batch.add_argument("--modality", default=None, help="modality for every case, e.g. CT, MRI-T1 (default: guessed)")
    batch.add_argument(
        "--spacing",
        type=float,
        nargs="+",
        default=None,
        metavar="MM",
        help="voxel size in mm per axis for every case (a manifest's spacing column wins), for files that state "
        "none (.npy); without one their sizes are not judged",
    )
    batch.add_argument("--backend", default="offline", choices=["offline", "gemini", "openai_compat"])
    batch.add_argument("--model", default=None, help="model name for the gemini or openai_compat backend")
    batch.add_argument("--base-url", default=None, help="server URL for the openai_compat backend")
    where = batch.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, help="local worker processes (default: the cores)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786")
    batch.add_argument("--rpm", type=float, default=None, help="model backends: at most this many requests a minute")
    batch.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"model backends: at most this many cases talk to the model at once (default {DEFAULT_CONCURRENCY})",
    )
    batch.add_argument("--yes", action="store_true", help="run a model-backed batch without asking")
    batch.set_defaults(run=run_batch_command)


def run_batch_command(args: argparse.Namespace) -> int:
    from ..backends import make_backend
    from .engines import DaskEngine, Engine, LocalEngine, default_workers
    from .run import run_batch
    from .task import BackendSpec

    _check_arguments(args)
    spacing = tuple(args.spacing) if args.spacing else None
    _kind, cases = discover(
        args.input, labels=args.labels, structure=args.structure, modality=args.modality, spacing=spacing
    )
    options = {k: v for k, v in (("model", args.model), ("base_url", args.base_url)) if v}
    backend = make_backend(args.backend, **options)  # a missing key fails here, once, not in every case
    if args.backend == "gemini" and not _confirmed(cases, backend.model, args.yes):
        print("napari-hcr: nothing was sent.")
        return 0
    model_backend = args.backend != "offline"
    if args.scheduler:
        engine: Engine = DaskEngine(args.scheduler)
        slots = args.concurrency
    else:
        workers = args.workers or default_workers()
        engine = LocalEngine(min(workers, args.concurrency) if model_backend else workers)
        slots = engine.workers
    spec = BackendSpec(
        name=args.backend,
        model=args.model,
        base_url=args.base_url,
        rpm_per_slot=(args.rpm / slots) if args.rpm and model_backend else None,
        semaphore="napari-hcr-model-calls" if args.scheduler and model_backend else None,
        slots=slots,
    )
    print(f"napari-hcr: {len(cases)} cases from {args.input} on {engine.description}; results in {args.out}")
    outcome = _run_with_progress(run_batch, cases, args.out, engine, spec)
    return _report(outcome, args.out)


def _run_with_progress(run_batch: Any, cases: list[Any], out: Path, engine: Any, spec: Any) -> Any:
    from tqdm import tqdm

    with tqdm(total=len(cases), unit="case", desc="napari-hcr batch", file=sys.stderr, mininterval=0.5) as bar:
        failures = 0

        def advance(result: Any) -> None:
            nonlocal failures
            failures += sum(1 for r in result.records if r.get("error"))
            if failures:
                bar.set_postfix(failed=failures, refresh=False)
            bar.update(1)

        return run_batch(cases, out, engine, spec, on_result=advance)


def _report(outcome: Any, out: Path) -> int:
    for record in outcome.failures:
        label = "" if record.get("label") is None else f" label {record['label']}"
        print(f"napari-hcr: failed: {record['case']}{label}: {record['error']}", file=sys.stderr)
    kept = f", {outcome.skipped} already in {out}" if outcome.skipped else ""
    print(
        f"napari-hcr: {outcome.written} records written{kept}; {len(outcome.failures)} failed. "
        f"See {out / 'report.html'} and {out / 'summary.csv'}."
    )
    if outcome.interrupted:
        print(
            f"napari-hcr: interrupted; every finished record is in {out / 'results.jsonl'}: "
            "run the same command to resume.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return EXIT_SOME_FAILED if outcome.failures else 0


def _check_arguments(args: argparse.Namespace) -> None:
    """Refuse bad arguments with one sentence before anything is read or started."""
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers {args.workers} must be at least 1.")
    if args.rpm is not None and args.rpm <= 0:
        raise InputError(f"--rpm {args.rpm:g} must be a positive number of requests a minute.")
    if args.concurrency < 1:
        raise InputError(f"--concurrency {args.concurrency} must be at least 1.")
    if args.scheduler and "://" not in args.scheduler:
        raise InputError(f"--scheduler '{args.scheduler}' is not an address such as tcp://host:8786.")
    out = args.out
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder for the results.")
    folder = out
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not os.access(folder, os.W_OK):
        raise InputError(f"--out {out} cannot be written: the folder {folder} is not writable.")


def _confirmed(cases: list[Any], model: str, yes: bool) -> bool:
    """Print the estimate; ask on a terminal, refuse (InputError) without one unless ``--yes``."""
    from .estimate import estimate

    print(f"napari-hcr: {estimate(cases, model).sentence(model)}")
    if yes:
        return True
    if not sys.stdin.isatty():
        raise InputError("A Gemini batch costs money and there is no terminal to ask on: pass --yes to run it.")
    answer = input("Send these requests? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _labels(text: str) -> Labels:
    try:
        return parse_labels(text)
    except InputError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
