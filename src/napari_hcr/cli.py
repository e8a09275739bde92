"""Command line: ``napari-hcr demo | assess | bench``.

Stages print as they finish so a slow backend still shows progress. Every expected failure
ends with one sentence on stderr and a non-zero exit code; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
from pathlib import Path

from .errors import BackendError, HCRError, InputError

EXIT_INPUT = 2
EXIT_BACKEND = 3
SAMPLES = {"good": "mni152_brain_good", "leak": "mni152_brain_leak", "missing": "mni152_brain_missing"}


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.run(args)
    except InputError as error:
        print(f"napari-hcr: {error}", file=sys.stderr)
        return EXIT_INPUT
    except BackendError as error:
        print(f"napari-hcr: {error}", file=sys.stderr)
        return EXIT_BACKEND
    except HCRError as error:
        print(f"napari-hcr: {error}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("napari-hcr: interrupted.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="napari-hcr",
        description="Hierarchical Clinical Reasoner: is this segmentation clinically acceptable, and why?",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="open napari with a bundled sample and the HCR dock widget")
    demo.add_argument("--sample", choices=sorted(SAMPLES), default="good", help="which bundled sample to open")
    demo.set_defaults(run=_demo)

    assess = sub.add_parser("assess", help="assess one mask and print the staged report")
    assess.add_argument("image", type=Path, help="image file (.nii/.nii.gz, .nrrd, .tif, .npy, .png)")
    assess.add_argument("mask", type=Path, help="mask or label file on the same grid")
    assess.add_argument("--label", type=int, default=None, help="label value to judge (default: the largest)")
    assess.add_argument("--structure", default="generic", help="target structure, e.g. brain, liver (default: generic)")
    assess.add_argument("--modality", default="MRI-T1", help="imaging modality, e.g. MRI-T1, CT (default: MRI-T1)")
    assess.add_argument("--backend", default="offline", choices=["offline", "gemini", "openai_compat"])
    assess.add_argument("--model", default=None, help="model name for the gemini or openai_compat backend")
    assess.add_argument("--base-url", default=None, help="server URL for the openai_compat backend")
    assess.add_argument("--json", dest="json_out", type=Path, default=None, help="write the assessment JSON here")
    assess.add_argument(
        "--html",
        dest="html_out",
        type=Path,
        default=None,
        help="write a self-contained HTML report (snapshots embedded) here",
    )
    assess.add_argument("--no-cache", action="store_true", help="do not reuse or store earlier model answers")
    assess.set_defaults(run=_assess)

    bench = sub.add_parser("bench", help="run the acceptability benchmark with the offline reasoner")
    bench.add_argument("--split", choices=["dev", "test"], default="test")
    bench.add_argument("--limit", type=int, default=None, help="assess at most this many cases")
    bench.add_argument("--cases-dir", type=Path, default=None, help="where generated cases are cached")
    bench.add_argument("--results-dir", type=Path, default=Path("benchmark-results"), help="where JSON and PNG go")
    bench.set_defaults(run=_bench)
    return parser


def _assess(args: argparse.Namespace) -> int:
    from .backends import make_backend
    from .cache import AssessmentCache
    from .io import load_case
    from .reasoner import Done, StageDone, assess_steps

    case = load_case(args.image, args.mask, label=args.label, structure=args.structure, modality=args.modality)
    if case.structure != args.structure:
        print(f"napari-hcr: '{args.structure}' is read as the '{case.structure}' profile.")
    options = {key: value for key, value in (("model", args.model), ("base_url", args.base_url)) if value}
    backend = make_backend(args.backend, **options)
    cache = None if args.no_cache or args.backend == "offline" else AssessmentCache()
    print(
        f"napari-hcr: {case.structure} on {case.modality}, label {case.label}, "
        f"{'x'.join(map(str, case.image.shape))} voxels, backend {backend.name} ({backend.model})"
    )
    for event in assess_steps(case, backend, cache=cache, poll=3600.0):
        if isinstance(event, StageDone):
            print(_stage_block(event.index, event.result))
        elif isinstance(event, Done):
            assessment, snapshots = event.assessment, event.snapshots
    print(
        f"\nVERDICT: {assessment.verdict.upper()}  (confidence {assessment.confidence:.2f}, "
        f"probability acceptable {assessment.score:.2f}, {assessment.seconds:.2f} s)"
    )
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(assessment.to_json(), encoding="utf-8")
        print(f"Wrote {args.json_out}")
    if args.html_out:
        from .report import write_html

        args.html_out.parent.mkdir(parents=True, exist_ok=True)
        write_html(assessment, args.html_out, snapshots, title=f"{case.structure} segmentation quality check")
        print(f"Wrote {args.html_out}")
    return 0


def _stage_block(index: int, result) -> str:
    from .stages import STAGES
    from .wording import where_text

    lines = [f"\n[{index + 1}/4] {STAGES[index].title} ({result.seconds:.2f} s)"]
    lines += textwrap.wrap(result.text, width=96, initial_indent="  ", subsequent_indent="  ")
    listed = () if result.name == "clinical_synthesis" else result.findings
    for finding in listed:
        if finding.severity != "info":
            lines.append(f"  - [{finding.severity}] {finding.kind}: {finding.detail} ({where_text(finding.where)})")
    return "\n".join(lines)


def _demo(args: argparse.Namespace) -> int:
    import napari

    viewer = napari.Viewer(title="napari-hcr demo")
    viewer.open_sample("napari-hcr", SAMPLES[args.sample])
    viewer.window.add_plugin_dock_widget("napari-hcr", "HCR Quality Check")
    napari.run()
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .acceptability import format_table, run_benchmark

    result = run_benchmark(
        split=args.split, cases_dir=args.cases_dir, results_dir=args.results_dir, limit=args.limit, log=print
    )
    print(format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
