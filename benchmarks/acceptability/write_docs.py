"""Run the benchmark on both splits and write its figures into docs/benchmark.md.

    python benchmarks/acceptability/write_docs.py [--cases-dir DIR]

The tables between the ``<!-- figures:start -->`` and ``<!-- figures:end -->`` markers and the
chart docs/benchmark-test.png are replaced by what this run measured, so the document always
shows figures that a script made, never hand-typed ones.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import date
from pathlib import Path

from napari_hcr.acceptability import format_table, run_benchmark

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "benchmark.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases-dir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp)
        dev = run_benchmark("dev", cases_dir=args.cases_dir, results_dir=results, chart=False)
        test = run_benchmark("test", cases_dir=args.cases_dir, results_dir=results)
        shutil.copyfile(test.png_path, ROOT / "docs" / "benchmark-test.png")
    block = "\n".join(
        [
            START,
            f"Measured on {date.today().isoformat()} by `benchmarks/acceptability/write_docs.py`.",
            "",
            "Test split (parameters fitted on dev only):",
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
            "![ROC and per-structure figures on the test split](benchmark-test.png)",
            END,
        ]
    )
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(head + block + tail, encoding="utf-8")
    print(block)


if __name__ == "__main__":
    main()
