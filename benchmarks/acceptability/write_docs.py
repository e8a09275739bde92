"""Run the benchmark on both splits and write its figures into docs/benchmark.md.

    python benchmarks/acceptability/write_docs.py [--cases-dir DIR] [--results-dir DIR] [--counts-only]

The case counts between ``<!-- counts:start -->`` and ``<!-- counts:end -->``, the tables
between ``<!-- figures:start -->`` and ``<!-- figures:end -->``, the lone-mask table between
``<!-- alone:start -->`` and ``<!-- alone:end -->`` and the chart docs/benchmark-test.png are
replaced by what this run built and measured, so the document always shows figures that a
script made, never hand-typed ones. With ``--results-dir`` the runs' results JSONs (every
record behind those figures) are kept there; otherwise they go with a temporary folder.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import date
from pathlib import Path

from napari_hcr.acceptability import BenchmarkResult, format_table, run_benchmark
from napari_hcr.acceptability.build import build
from napari_hcr.acceptability.runner import correct_masks
from napari_hcr.acceptability.splits import GROUPS

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "benchmark.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
COUNTS = ("<!-- counts:start -->", "<!-- counts:end -->")
ALONE = ("<!-- alone:start -->", "<!-- alone:end -->")


def counts_table(cases_dir: Path | None) -> str:
    """Candidates per group and split, by the rule's label (grey ones are left out of the figures)."""
    lines = [
        "| group | split | structures | candidates | acceptable | unacceptable | grey (left out) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for split in ("dev", "test"):
        records = build(split, cases_dir, log=lambda _: None)
        for group in GROUPS:
            mine = [r for r in records if r.group == group]
            if not mine:
                continue
            n = {k: sum(r.label == k for r in mine) for k in ("acceptable", "unacceptable", "grey")}
            targets = len({(r.variant, r.structure, r.value) for r in mine})
            lines.append(
                f"| {group} | {split} | {len({r.structure for r in mine})} ({targets} targets) | {len(mine)} "
                f"| {n['acceptable']} | {n['unacceptable']} | {n['grey']} |"
            )
    return "\n".join(lines)


def alone_table(runs: dict[str, tuple[BenchmarkResult, BenchmarkResult]]) -> str:
    """Each group with label maps, per split: its figures in the map and as lone masks."""
    lines = [
        "| group | split | judged | balanced accuracy | sensitivity | specificity | AUROC | correct masks rejected "
        "| mean confidence (share right) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for split, (full, alone) in runs.items():
        for group in alone.per_group:
            for judged, result in (("in its label map", full), ("alone", alone)):
                f, trust = result.per_group[group], result.reliability[group]
                correct, rejected = correct_masks([r for r in result.records if r["group"] == group])
                lines.append(
                    f"| {group} | {split} | {judged} | {f.balanced_accuracy:.3f} | {f.sensitivity:.3f} "
                    f"| {f.specificity:.3f} | {f.auroc:.3f} | {len(rejected)} of {len(correct)} "
                    f"| {trust.mean_confidence:.3f} ({trust.share_right:.3f}) |"
                )
    return "\n".join(lines)


def replace_block(text: str, start: str, end: str, block: str) -> str:
    head, rest = text.split(start, 1)
    return head + start + "\n" + block + "\n" + end + rest.split(end, 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases-dir", type=Path, default=None)
    parser.add_argument("--counts-only", action="store_true", help="build the cases and write their counts only")
    parser.add_argument("--results-dir", type=Path, default=None, help="keep the runs' results JSONs here")
    args = parser.parse_args()
    if args.counts_only:
        text = replace_block(DOC.read_text(encoding="utf-8"), *COUNTS, counts_table(args.cases_dir))
        DOC.write_text(text, encoding="utf-8")
        return
    with tempfile.TemporaryDirectory() as tmp:
        results = args.results_dir or Path(tmp)
        dev = run_benchmark("dev", cases_dir=args.cases_dir, results_dir=results, chart=False)
        test = run_benchmark("test", cases_dir=args.cases_dir, results_dir=results)
        shutil.copyfile(test.png_path, ROOT / "docs" / "benchmark-test.png")
        runs = {
            split: (full, run_benchmark(split, cases_dir=args.cases_dir, results_dir=results, chart=False, alone=True))
            for split, full in (("dev", dev), ("test", test))
        }
    block = "\n".join(
        [
            f"Measured on {date.today().isoformat()} by `benchmarks/acceptability/write_docs.py`.",
            "",
            "Test split (structures of the CT, lesion and microscopy groups never used for fitting):",
            "",
            "```text",
            format_table(test),
            "```",
            "",
            "Dev split (the data the scoring was fitted on, so an optimistic figure):",
            "",
            "```text",
            format_table(dev),
            "```",
            "",
            "![ROC and per-group figures on the test split](benchmark-test.png)",
        ]
    )
    text = DOC.read_text(encoding="utf-8")
    text = replace_block(text, *COUNTS, counts_table(args.cases_dir))
    text = replace_block(text, START, END, block)
    text = replace_block(text, *ALONE, alone_table(runs))
    DOC.write_text(text, encoding="utf-8")
    print(block)


if __name__ == "__main__":
    main()
