"""Build (or refresh) the benchmark's cases into the case cache.

    python benchmarks/acceptability/build_cases.py [--split dev|test|all] [--cases-dir DIR]

The cache defaults to $NAPARI_HCR_BENCH_DIR or the user cache folder; it is never committed.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from napari_hcr.acceptability.build import build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--cases-dir", type=Path, default=None)
    args = parser.parse_args()
    records = build(args.split, args.cases_dir)
    counts = Counter((r.structure, r.label) for r in records)
    for (structure, label), n in sorted(counts.items()):
        print(f"{structure:<14}{label:<14}{n:>4}")


if __name__ == "__main__":
    main()
