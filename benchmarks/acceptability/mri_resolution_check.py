"""Does the offline reasoner judge an MRI finer than its norms as it judges theirs? A dev check.

    python benchmarks/acceptability/mri_resolution_check.py [--voxel-mm 1 0.75] [--variants v01]

The MRI norms come from the MNI152 dev variants, drawn at 1.5-3 mm; a 1 mm MRI (the commonest
research protocol) is finer than any of them. This draws dev variants
again at finer voxel sizes, with their own scanner settings, builds every benchmark family on
them (the benchmark's own alterations and labelling rule) and judges each candidate twice in
one run: with the evidence read on the MRI grid (`scoring.reading_grid`, as the reasoner does)
and measured on the scan's own voxels. It prints the balanced accuracy, sensitivity and
specificity of each reading and every correct mask (reference or field-of-view crop) it
rejects. Test variants are not drawn.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
from resolution_check import judge

from napari_hcr.acceptability.alterations import CORRECT_FAMILIES
from napari_hcr.acceptability.build import build_variant
from napari_hcr.acceptability.metrics import balanced_accuracy
from napari_hcr.acceptability.runner import case_for
from napari_hcr.acceptability.sources import variants


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--voxel-mm", type=float, nargs="+", default=[1.0, 0.75])
    parser.add_argument("--variants", nargs="+", default=["v01"], help="dev variants to draw again")
    args = parser.parse_args()
    chosen = [v for v in variants("dev") if v.id in args.variants]
    if len(chosen) != len(args.variants):
        raise SystemExit(f"not dev variants: {sorted(set(args.variants) - {v.id for v in chosen})}")
    with tempfile.TemporaryDirectory(prefix="hcr-mri-check-") as folder:
        for variant in chosen:
            for mm in args.voxel_mm:
                drawn = replace(variant, id=f"{variant.id}-{mm:g}mm", spacing=(mm, mm, mm))
                records = [r for r in build_variant(drawn, Path(folder)) if r.label != "grey"]
                truth = np.array([r.label == "unacceptable" for r in records])
                print(f"\n{variant.id} drawn at {mm:g} mm: {len(records)} candidates, {truth.sum()} unacceptable")
                for on_grid in (True, False):
                    passed = np.array([judge(case_for(r, Path(folder)), on_grid)[0] for r in records])
                    called = ~passed
                    how = "read on the MRI grid" if on_grid else "read on its own voxels"
                    print(
                        f"  {how}: balanced accuracy {balanced_accuracy(truth, called):.3f}, "
                        f"sensitivity {called[truth].mean():.3f}, specificity {passed[~truth].mean():.3f}"
                    )
                    for r, ok in zip(records, passed, strict=True):
                        if r.family in CORRECT_FAMILIES and not ok:
                            print(f"    correct mask rejected: {r.structure} ({r.family})")


if __name__ == "__main__":
    main()
