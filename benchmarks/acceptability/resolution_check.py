"""Do correct CT masks still pass on a scan of another voxel size? A check on the dev split.

    python benchmarks/acceptability/resolution_check.py [--voxel-mm 1.5 2 4.5 5x1.5x1.5 5x0.75x0.75]

Every CT organ norm comes from one 3 mm scan. This redraws that scan (TotalSegmentator's
example CT, the benchmark's `ts-ct`) at other voxel sizes and judges the reference of every
**dev** structure on it, as a user with a finer or coarser scan would have it judged:

- coarser: the image is smoothed against aliasing and resampled (what a thicker
  reconstruction does), each label's indicator likewise, and each voxel takes the label of
  the largest share (background below one half);
- finer: the image is interpolated and white noise is added until the noise of a
  homogeneous organ (the liver's core) is what the same dose gives in the smaller voxel
  (noise grows as one over the square root of the voxel's volume); labels as above.

The finer scan is a stand-in, not a real one: its edges keep the 3 mm scan's blur and its
labels the 3 mm output's shapes. These are consistency figures, not accuracy: the masks are
all correct, so every rejection is a false alarm caused by the voxel size. Each voxel size is
judged twice in one run, with the evidence read on the norms' grid (`scoring.reading_grid`,
as the reasoner does) and measured on the scan's own voxels (empty slices are weighed by
their thickness in both: that is part of the evidence, not of the measuring), and each
rejection is printed with the three figures that weighed most against it. Test structures
are not judged.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from napari_hcr.acceptability.scans import Scan, load_scan
from napari_hcr.acceptability.sources import resample
from napari_hcr.acceptability.splits import targets_of
from napari_hcr.attenuation import tissue_band
from napari_hcr.case import Case, make_case
from napari_hcr.findings import compare
from napari_hcr.knowledge import load_profile
from napari_hcr.measures import measure
from napari_hcr.scoring import contributions, decide, reading_grid


@dataclass(frozen=True)
class Redrawn:
    image: np.ndarray
    labels: np.ndarray
    spacing: tuple[float, ...]
    noise_added: float


def noise_sd(image: np.ndarray, tissue: np.ndarray) -> float:
    """Robust SD of the image's noise inside ``tissue``'s core: the spread of each voxel about
    the mean of its 3x3x3 neighbourhood, corrected for the mean's own share of it."""
    core = ndi.binary_erosion(tissue, iterations=2)
    high = (image - ndi.uniform_filter(image, 3))[core]
    mad = float(np.median(np.abs(high - np.median(high))))
    return 1.4826 * mad / np.sqrt(26.0 / 27.0)


def voxel_size(text: str) -> tuple[float, ...]:
    """ "1.5" (isotropic) or "5x1.5x1.5" (mm per axis, in array order: slices first)."""
    sizes = tuple(float(part) for part in text.lower().split("x"))
    return sizes * 3 if len(sizes) == 1 else sizes


def redraw(scan: Scan, voxel_mm: tuple[float, ...], seed: int = 0) -> Redrawn:
    factor = [s / v for s, v in zip(scan.spacing, voxel_mm)]
    image = resample(scan.image.astype(np.float32), factor)
    share = np.full(image.shape, 0.5, np.float32)
    labels = np.zeros(image.shape, np.int32)
    for value in scan.names:
        part = resample((scan.labels == value).astype(np.float32), factor)
        wins = part > share
        labels[wins], share[wins] = value, part[wins]
    added = 0.0
    liver = next(v for v, name in scan.names.items() if name == "liver")
    volume_ratio = float(np.prod(scan.spacing) / np.prod(voxel_mm))
    if volume_ratio > 1.0:
        target = noise_sd(scan.image.astype(np.float32), scan.labels == liver) * np.sqrt(volume_ratio)
        added = float(np.sqrt(max(target**2 - noise_sd(image, labels == liver) ** 2, 0.0)))
        image = image + np.random.default_rng(seed).normal(0.0, added, image.shape).astype(np.float32)
    return Redrawn(image, labels, voxel_mm, added)


def judge(case: Case, on_norms_grid: bool) -> tuple[bool, list[tuple[str, float]]]:
    """The offline verdict from the measures, as the reasoner reaches it, and what weighed most."""
    profile = load_profile(case.structure, case.modality)
    grid = reading_grid(profile, case.ndim) if on_norms_grid else None
    m = measure(case, tissue_band(profile), grid)
    decision = decide(m, profile, compare(m, profile))
    weighed = sorted(contributions(m, profile).items(), key=lambda kv: -kv[1])[:3]
    return decision.verdict == "acceptable", [(k, round(float(v), 2)) for k, v in weighed if v > 0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = ("1.5", "2", "4.5", "5x1.5x1.5", "5x0.75x0.75")
    parser.add_argument("--voxel-mm", type=voxel_size, nargs="+", default=[voxel_size(v) for v in sizes])
    args = parser.parse_args()
    scan = load_scan("ts-ct")
    targets = targets_of(scan, "dev")
    print(f"{len(targets)} dev structures of {scan.id} ({scan.spacing[0]:g} mm), references only")
    for voxel_mm in args.voxel_mm:
        drawn = redraw(scan, voxel_mm)
        grid = "x".join(map(str, drawn.labels.shape))
        size = "x".join(f"{v:g}" for v in voxel_mm)
        print(f"\nat {size} mm ({grid}, noise added {drawn.noise_added:.1f} HU)")
        first = make_case(
            drawn.image,
            drawn.labels,
            label=targets[0].value,
            spacing=drawn.spacing,
            structure=targets[0].structure,
            modality="CT",
            names=scan.names,
        )
        for on_grid in (True, False):
            passed, rejected = 0, []
            for target in targets:
                ok, weighed = judge(first.relabelled(target.value, target.structure), on_grid)
                passed += ok
                if not ok:
                    rejected.append(f"{target.structure} {weighed}")
            how = "read on the norms' grid" if on_grid else "read on its own voxels"
            print(f"  {how}: {passed} of {len(targets)} correct masks pass")
            for line in rejected:
                print(f"    rejected: {line}")


if __name__ == "__main__":
    main()
