"""Command line: ``napari-hcr demo | assess | bench``.

Stages print as they finish so a slow backend still shows progress. Every expected failure
ends with one sentence on stderr and a non-zero exit code; tracebacks are for bugs only.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from . import __version__
from .errors import BackendError, CannotAssess, HCRError, InputError

if TYPE_CHECKING:
    from .backends import Backend
    from .report import PictureLike
    from .runs import RunRequest
    from .verdict import Assessment

EXIT_INPUT = 2
EXIT_BACKEND = 3
EXIT_SOME_FAILED = 4
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
    except (BackendError, CannotAssess) as error:
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
    parser.add_argument("--version", action="version", version=f"napari-hcr {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="open napari with a bundled sample and the HCR dock widget")
    demo.add_argument("--sample", choices=sorted(SAMPLES), default="good", help="which bundled sample to open")
    demo.set_defaults(run=_demo)

    assess = sub.add_parser("assess", help="assess one mask and print the staged report")
    assess.add_argument(
        "image", type=Path, help="image file (.nii/.nii.gz, .nrrd, .tif, .npy, .png) or DICOM series folder"
    )
    assess.add_argument("mask", type=Path, help="mask or label file on the same grid")
    which = assess.add_mutually_exclusive_group()
    which.add_argument("--label", type=int, default=None, help="label value to judge (default: the largest)")
    which.add_argument(
        "--labels",
        type=_label_list,
        default=None,
        metavar="all|N,M",
        help="judge every label of a multi-label mask, or the listed ones; --json then writes a list",
    )
    assess.add_argument(
        "--structure",
        default="generic",
        help="target structure, e.g. brain, liver, or one per label: 1=liver,2=spleen (default: generic)",
    )
    assess.add_argument(
        "--modality",
        default=None,
        help="imaging modality, e.g. MRI-T1, CT, X-ray, Microscopy, Photo "
        "(default: MRI-T1 for a volume, X-ray for a grey 2-D image, Photo for a colour one)",
    )
    assess.add_argument(
        "--spacing",
        type=float,
        nargs="+",
        default=None,
        metavar="MM",
        help="voxel size in mm, one per image axis in array order (e.g. 3 0.8 0.8), for a file that states none "
        "(.npy, PNG); overrides the file's. Without one, sizes of such a volume are not judged",
    )
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
    assess.add_argument(
        "--label-names",
        default="auto",
        metavar="{auto,totalsegmentator,totalsegmentator_mr,PATH}",
        help="where label names (hence each label's structure) come from: a label table beside the mask (auto), "
        "TotalSegmentator's total or total_mr class map, or a JSON/CSV label table (default: auto)",
    )
    assess.set_defaults(run=_assess)

    structures = sub.add_parser("structures", help="list the structure profiles, their modalities and aliases")
    structures.add_argument("--json", dest="as_json", action="store_true", help="print the catalogue as JSON")
    structures.set_defaults(run=_structures)

    from .batch.cli import add_batch_parser

    add_batch_parser(sub)

    bench = sub.add_parser("bench", help="run the acceptability benchmark with the offline reasoner")
    bench.add_argument("--split", choices=["dev", "test"], default="test")
    bench.add_argument(
        "--group",
        choices=["brain MRI", "CT organs", "lesions", "microscopy"],
        default=None,
        help="only this group of the benchmark (default: every group)",
    )
    bench.add_argument("--limit", type=int, default=None, help="assess at most this many cases, spread over groups")
    bench.add_argument("--cases-dir", type=Path, default=None, help="where generated cases are cached")
    bench.add_argument("--results-dir", type=Path, default=Path("benchmark-results"), help="where JSON and PNG go")
    bench.add_argument(
        "--alone",
        action="store_true",
        help="judge each candidate of a label map as a lone binary mask, without the map's other structures",
    )
    bench.set_defaults(run=_bench)
    return parser


def _assess(args: argparse.Namespace) -> int:
    from .backends import make_backend
    from .cache import AssessmentCache
    from .case import default_modality
    from .io import read_pair
    from .knowledge import is_known_modality
    from .label_names import run_structures
    from .readability import looks_swapped
    from .runs import RunRequest

    default_structure, structures = _structure_map(args.structure)
    _check_outputs(args.json_out, args.html_out)
    for role, path in (("image", args.image), ("mask", args.mask)):
        if not path.is_file() and not (role == "image" and path.is_dir()):  # an image may be a DICOM series folder
            state = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise InputError(f"The {role} file {path} {state}.")
    structures = run_structures(args.mask, args.label_names, default_structure, structures)
    if args.modality is not None and not is_known_modality(args.modality):
        print(
            f"napari-hcr: warning: no profile knows modality '{args.modality}'; judged without intensity "
            "expectations (see 'napari-hcr structures').",
            file=sys.stderr,
        )
    image, mask, spacing = read_pair(args.image, args.mask)
    if args.spacing is not None:
        spacing = tuple(args.spacing)
    if looks_swapped(image, mask):
        raise InputError(
            f"The image {args.image.name} looks like a label mask (a few integer values) and the mask "
            f"{args.mask.name} like an image: give the image first, then the mask."
        )
    modality = args.modality or default_modality(image, mask)
    if args.modality is None and modality != "MRI-T1":
        print(f"napari-hcr: a 2-D image is judged as {modality}; pass --modality X-ray, Microscopy or Photo to choose.")
    options = {key: value for key, value in (("model", args.model), ("base_url", args.base_url)) if value}
    backend = make_backend(args.backend, **options)
    request = RunRequest(
        image=image,
        mask=mask,
        spacing=spacing,
        labels=args.labels or ((args.label,) if args.label is not None else "largest"),
        structures=structures,
        structure=default_structure,
        modality=modality,
        backend=lambda: backend,
        cache=None if args.no_cache or args.backend == "offline" else AssessmentCache(),
        poll=3600.0,
    )
    outcomes = _run(request, mask.shape, backend)
    if args.labels is None:
        assessment, snapshots, (_, message) = outcomes[0]
        if assessment is None:
            raise InputError(message)
        _write_outputs(args.json_out, args.html_out, assessment, snapshots)
        return 0
    if args.json_out:
        records = [a.to_dict() if a is not None else {"label": label, "error": e} for a, _, (label, e) in outcomes]
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(records, indent=2), encoding="utf-8")
        print(f"Wrote {args.json_out} ({len(records)} labels)")
    for assessment, snapshots, (label, _) in outcomes:
        if assessment is not None and args.html_out:
            html_out = args.html_out.with_name(f"{args.html_out.stem}-label{label}{args.html_out.suffix}")
            _write_outputs(None, html_out, assessment, snapshots)
    failed = [label for a, _, (label, _) in outcomes if a is None]
    if failed:
        print(f"napari-hcr: {len(failed)} of {len(outcomes)} labels could not be assessed.", file=sys.stderr)
        return EXIT_SOME_FAILED
    return 0


Outcome = tuple["Assessment | None", tuple["PictureLike", ...], tuple[int, str]]


def _run(request: RunRequest, shape: tuple[int, ...], backend: Backend) -> list[Outcome]:
    """Print each label's staged report as it comes; one outcome per label (a failure's sentence)."""
    from .knowledge import normalise_name
    from .reasoner import Done, StageDone
    from .runs import LabelFailed, LabelStarted, run_events
    from .verdict import verdict_text
    from .wording import assessment_timing, cells

    outcomes: list[Outcome] = []
    for event in run_events(request):
        if isinstance(event, LabelStarted):
            if event.position:
                print()
            asked = request.structure_of(event.label)
            if normalise_name(asked) != event.structure:  # an alias resolved, not a mere change of case
                print(f"napari-hcr: '{asked}' is read as the '{event.structure}' profile.")
            print(
                f"napari-hcr: {event.structure} on {request.modality}, "
                f"label {event.label}, {'x'.join(map(str, shape))} {cells(len(shape))}, "
                f"backend {backend.name} ({backend.model})"
            )
        elif isinstance(event, LabelFailed):
            print(f"napari-hcr: label {event.label}: {event.message}", file=sys.stderr)
            outcomes.append((None, (), (event.label, event.message)))
        elif isinstance(event, StageDone):
            print(_stage_block(event.index, event.result))
        elif isinstance(event, Done):
            a = event.assessment
            print(
                f"\nVERDICT: {verdict_text(a.verdict, a.confidence).upper()}  (confidence {a.confidence:.2f}, "
                f"probability acceptable {a.score:.2f}; {assessment_timing(a)})"
            )
            outcomes.append((a, event.snapshots, (a.input.label, "")))
    return outcomes


def _write_outputs(
    json_out: Path | None, html_out: Path | None, assessment: Assessment, snapshots: tuple[PictureLike, ...]
) -> None:
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(assessment.to_json(), encoding="utf-8")
        print(f"Wrote {json_out}")
    if html_out:
        from .report import write_html

        html_out.parent.mkdir(parents=True, exist_ok=True)
        write_html(assessment, html_out, snapshots, title=f"{assessment.structure} segmentation quality check")
        print(f"Wrote {html_out}")


def _check_outputs(json_out: Path | None, html_out: Path | None) -> None:
    """Refuse an output path that cannot be written before any work starts (missing folders are made)."""
    for flag, path in (("--json", json_out), ("--html", html_out)):
        if path is None:
            continue
        if path.is_dir() or str(path).endswith(("/", os.sep)):
            raise InputError(f"{flag} {path} names a folder; give a file name such as {path / ('report.' + flag[2:])}.")
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            raise InputError(f"{flag} {path} cannot be written: {folder} is a file, not a folder.")
        if not os.access(folder, os.W_OK):
            raise InputError(f"{flag} {path} cannot be written: the folder {folder} is not writable.")


def _label_list(text: str) -> tuple[int, ...] | Literal["all"]:
    """``all`` or comma-separated label values, for ``--labels``."""
    if text.strip().lower() == "all":
        return "all"
    try:
        values = tuple(dict.fromkeys(int(part) for part in text.split(",") if part.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is neither 'all' nor label values such as 1,2,5") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"'{text}' names no positive label values")
    return values


def _structure_map(text: str) -> tuple[str, dict[int, str]]:
    """``--structure``: one name for every label, or ``1=liver,2=spleen`` (others stay generic)."""
    if "=" not in text:
        return text, {}
    mapping: dict[int, str] = {}
    for part in text.split(","):
        label, _, name = part.partition("=")
        if not label.strip().isdigit() or not name.strip():
            raise InputError(f"--structure '{text}' must be one name or label=name pairs such as 1=liver,2=spleen.")
        mapping[int(label)] = name.strip()
    return "generic", mapping


def _stage_block(index: int, result) -> str:
    from .stages import STAGES
    from .wording import duration, where_text

    lines = [f"\n[{index + 1}/4] {STAGES[index].title} ({duration(result.seconds)})"]
    lines += textwrap.wrap(result.text, width=96, initial_indent="  ", subsequent_indent="  ")
    listed = () if result.name == "clinical_synthesis" else result.findings
    for finding in listed:
        if finding.severity != "info":
            lines.append(f"  - [{finding.severity}] {finding.kind}: {finding.detail} ({where_text(finding.where)})")
    return "\n".join(lines)


def _structures(args: argparse.Namespace) -> int:
    from .knowledge.listing import catalogue_json, catalogue_table

    print(catalogue_json() if args.as_json else catalogue_table())
    return 0


def _demo(args: argparse.Namespace) -> int:
    _check_display()
    import napari

    viewer = napari.Viewer(title="napari-hcr demo")
    viewer.open_sample("napari-hcr", SAMPLES[args.sample])
    viewer.window.add_plugin_dock_widget("napari-hcr", "HCR Quality Check")
    napari.run()
    return 0


def _check_display() -> None:
    """Qt aborts the process (a libxcb message, exit 134) when there is no display: say so first."""
    headless = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal", "vnc", "eglfs")
    if not sys.platform.startswith("linux") or headless:
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise InputError(
            "The demo needs a display and none is set (DISPLAY, WAYLAND_DISPLAY): run it in a desktop "
            "session, or under a virtual display with `xvfb-run -a napari-hcr demo`."
        )


def _bench(args: argparse.Namespace) -> int:
    from .acceptability import format_table, run_benchmark

    result = run_benchmark(
        split=args.split,
        cases_dir=args.cases_dir,
        results_dir=args.results_dir,
        limit=args.limit,
        log=print,
        group=args.group,
        alone=args.alone,
    )
    print(format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
