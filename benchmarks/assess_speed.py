"""How long an offline assessment takes, split into measures, snapshots and the four stages.

Two real volumes: the MNI152 T1 at 1 mm (189x233x197 after reorientation) with its brain mask,
and the same anatomy resampled to 300x512x512 (a typical clinical MR grid) so the mask stays
realistic; and TotalSegmentator's example abdomen CT at 3 mm with its 61-label output, every
label assessed in turn with its neighbours in the label map (fetched from the package registry
into the user cache on first use), and the same CT resampled to 300x512x512 with all its labels
judged in one run, as the widget's "all labels" makes it; and stardist's 2-D nuclei image
with its 125 unnamed instance labels judged as nuclei in one run, where each nucleus is
weighed against other nuclei of the image (peers, measured once per map). Each volume figure
is the median over ``--repeats`` runs on this machine; a CT or nuclei figure is the median
over its labels. The figures are times only: the nuclei image belongs to the benchmark's
test split, whose verdicts this script never prints.

Run from the repository root:
    python benchmarks/assess_speed.py [--repeats 5] [--small-only] [--no-ct] [--no-nuclei]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage as ndi

from napari_hcr.backends import make_backend
from napari_hcr.case import Case, make_case
from napari_hcr.io import volume_from_nifti
from napari_hcr.measures import measure
from napari_hcr.reasoner import Done, StageDone, assess_steps
from napari_hcr.snapshots import take_snapshots

if TYPE_CHECKING:
    from napari_hcr.acceptability.scans import Scan
    from napari_hcr.runs import RunRequest

LARGE_SHAPE = (300, 512, 512)


def mni_case() -> Case:
    from nilearn import datasets

    image = volume_from_nifti(datasets.load_mni152_template(resolution=1))
    mask = volume_from_nifti(datasets.load_mni152_brain_mask(resolution=1))
    return make_case(
        image.data.astype(np.float32),
        (mask.data > 0.5).astype(np.uint8),
        spacing=image.spacing,
        structure="brain",
        modality="MRI-T1",
    )


def resampled(case: Case, shape: tuple[int, ...]) -> Case:
    """The same anatomy on a finer grid; spacing shrinks so the physical size is unchanged."""
    factors = [n / m for n, m in zip(shape, case.image.shape)]
    image = ndi.zoom(case.image, factors, order=1, grid_mode=True, mode="grid-constant")
    mask = ndi.zoom(case.labels, factors, order=0, grid_mode=True, mode="grid-constant")
    spacing = tuple(s * m / n for s, m, n in zip(case.spacing, case.image.shape, image.shape))
    return make_case(image, mask, spacing=spacing, structure=case.structure, modality=case.modality)


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stage_and_total_seconds(case: Case, repeats: int) -> tuple[float, float]:
    """Median time of the four offline stages (from StageDone events) and of the whole run."""
    backend = make_backend("offline")
    stages, totals = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        stage_time = 0.0
        for event in assess_steps(case, backend, poll=0.05):
            if isinstance(event, StageDone):
                stage_time += event.result.seconds
            elif isinstance(event, Done):
                totals.append(time.perf_counter() - start)
        stages.append(stage_time)
    return statistics.median(stages), statistics.median(totals)


def report(name: str, case: Case, repeats: int) -> float:
    measures = measure(case)  # warm-up: imports and first-call costs are not what we time
    take_snapshots(case, measures)
    t_measure = median_seconds(lambda: measure(case), repeats)
    t_snap = median_seconds(lambda: take_snapshots(case, measures), repeats)
    t_stages, t_total = stage_and_total_seconds(case, repeats)
    shape = "x".join(str(n) for n in case.image.shape)
    print(f"{name} ({shape}, brain {measures.size:.0f} mL, median of {repeats}):")
    print(f"  measures   {t_measure:6.3f} s")
    print(f"  snapshots  {t_snap:6.3f} s")
    print(f"  stages     {t_stages:6.3f} s")
    print(f"  total      {t_total:6.3f} s  (whole assess_steps run, offline backend)")
    return t_total


def ct_per_label(scan: Scan) -> float:
    """Median seconds of a whole offline assessment per label of the 61-label CT."""
    from napari_hcr.knowledge import canonical_structure

    backend = make_backend("offline")
    times = []
    for value, name in sorted(scan.names.items()):
        if not np.any(scan.labels == value):
            continue
        case = make_case(
            scan.image,
            scan.labels,
            label=value,
            spacing=scan.spacing,
            structure=canonical_structure(name),
            modality="CT",
            names=scan.names,
        )
        start = time.perf_counter()
        for _ in assess_steps(case, backend, poll=0.05):
            pass
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    shape = "x".join(str(n) for n in scan.image.shape)
    print(f"TotalSegmentator example CT ({shape}, 3 mm, {len(times)} labels):")
    print(f"  per label  {median:6.3f} s median, {max(times):.3f} s slowest")
    return median


def ct_large_all_labels(scan: Scan) -> float:
    """Median seconds per label of one "all labels" run (as the widget and ``assess --labels
    all`` make it) over the 61-label CT resampled to 300x512x512, the grid of a clinical CT."""
    from napari_hcr.runs import RunRequest

    large = resampled(make_case(scan.image, scan.labels, spacing=scan.spacing, modality="CT"), LARGE_SHAPE)
    request = RunRequest(
        image=large.image,
        mask=large.labels,
        spacing=large.spacing,
        labels="all",
        structures=scan.names,
        modality="CT",
        poll=0.05,
    )
    shape = "x".join(str(n) for n in large.image.shape)
    return all_labels_run(f"TotalSegmentator example CT resampled to {shape}, all labels in one run", request)


def all_labels_run(title: str, request: RunRequest) -> float:
    """Print and return the median seconds per label of one run (from a label's LabelStarted to
    the next), with the slowest label and the whole run."""
    from napari_hcr.runs import LabelStarted, run_events

    times: list[float] = []
    start = time.perf_counter()
    mark = start
    for event in run_events(request):
        if isinstance(event, LabelStarted):
            now = time.perf_counter()
            if event.position:
                times.append(now - mark)
            mark = now
    end = time.perf_counter()
    times.append(end - mark)
    median = statistics.median(times)
    print(f"{title} ({len(times)} labels):")
    print(f"  per label  {median:6.3f} s median, {max(times):.3f} s slowest; whole run {end - start:.1f} s")
    return median


def nuclei_all_labels(scan: Scan) -> float:
    """Median seconds per nucleus of one "all labels" run over the unnamed instance map, judged
    as nuclei (so every nucleus is weighed against its peers)."""
    from napari_hcr.runs import RunRequest

    request = RunRequest(
        image=scan.image, mask=scan.labels, labels="all", structure="nucleus", modality="Microscopy", poll=0.05
    )
    shape = "x".join(str(n) for n in scan.image.shape)
    return all_labels_run(f"stardist nuclei image ({shape}), all nuclei in one run, each against its peers", request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--small-only", action="store_true", help="skip the 300x512x512 volume")
    parser.add_argument("--no-ct", action="store_true", help="skip the CT (fetched on first use)")
    parser.add_argument("--no-nuclei", action="store_true", help="skip the nuclei image (fetched on first use)")
    args = parser.parse_args()
    from napari_hcr.acceptability.scans import load_scan  # the benchmark package: loaded for a run only

    case = mni_case()
    report("MNI152 1 mm", case, args.repeats)
    if not args.small_only:
        total = report("MNI152 resampled", resampled(case, LARGE_SHAPE), args.repeats)
        print(f"target: total under 2 s on the larger volume -> {'met' if total < 2.0 else 'MISSED'}")
    if not args.no_ct:
        scan = load_scan("ts-ct")
        per_label = ct_per_label(scan)
        print(f"target: under 1 s per label on the 3 mm CT -> {'met' if per_label < 1.0 else 'MISSED'}")
        if not args.small_only:
            per_label = ct_large_all_labels(scan)
            print(f"target: under 2 s per label on the 300x512x512 CT -> {'met' if per_label < 2.0 else 'MISSED'}")
    if not args.no_nuclei:
        nuclei_all_labels(load_scan("nuclei2d"))


if __name__ == "__main__":
    main()
