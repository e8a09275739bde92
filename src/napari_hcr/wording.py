"""Shared phrasing of figures and places, so every backend and report says them alike."""

from __future__ import annotations

from collections.abc import Mapping

from .verdict import Assessment, Location


def where_text(location: Location | None) -> str:
    """A place a person can find: a slice of a volume, or a point of a 2-D image."""
    if location is None:
        return "the whole mask"
    if location.axis < 0:
        if location.point is not None and len(location.point) == 2:
            row, column = (round(float(v)) for v in location.point)
            return f"the image near row {row}, column {column}"
        return "the whole image"
    return f"axis {location.axis} slice {location.slice}"


def cells(ndim: int) -> str:
    """What an image is made of: voxels in a volume, pixels in a picture."""
    return "voxels" if ndim == 3 else "pixels"


def cell(ndim: int) -> str:
    return "voxel" if ndim == 3 else "pixel"


COUNT_UNITS = ("px", "voxels")  # sizes that are counts: no pixel or voxel size turns them into mm


def size_text(value: float, unit: str) -> str:
    """Volumes above a litre read better in L; small ones keep one more decimal, and tiny ones
    two significant digits (a 0.03 mL hole is not "0.0 mL"); pixels and voxels (a size whose
    voxel size is unknown) are counts."""
    if unit in COUNT_UNITS:
        return f"{value:,.0f} {unit}"
    if 0 < value < 0.1:
        return f"{value:.2g} {unit}"
    if unit == "mL" and value >= 1000:
        return f"{value / 1000:.2f} L"
    if value >= 100:
        return f"{value:.0f} {unit}"
    return f"{value:.1f} {unit}"


def range_text(low: float, high: float, unit: str) -> str:
    """In litres when the range reaches one, as :func:`size_text` gives a volume that large, so
    "1.88 L lies within the expected 0.9-2.1 L" compares like with like; a range that starts
    under 100 mL (a tumour's 0.05-2500 mL) stays in mL, not "5e-05-2.5 L"."""
    if unit == "mL" and high >= 1000 and low >= 100:
        return f"{low / 1000:g}-{high / 1000:g} L"
    return f"{low:g}-{high:g} {unit}"


def voxel_size_text(scale: tuple[float, ...], known: bool = True) -> str:
    """The voxel size a run will judge sizes by, as a layer's scale gives it. A scale of ones is
    napari's default, not a measurement: say what it means, so a 3 mm CT added without its
    scale is not judged as a 1 mm one unnoticed; a scale known to be no voxel size says so."""
    if not known:
        return "not given: sizes are counted in voxels and the volume is not judged"
    sizes = " × ".join(f"{s:g}" for s in scale)
    if all(s == 1.0 for s in scale):
        if len(scale) == 2:
            return f"{sizes}: no pixel size, so areas are counted in pixels"
        return f"{sizes} mm, napari's default scale: if the voxels are not 1 mm, set the layers' scale"
    return f"{sizes} mm"


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def share_text(value: float) -> str:
    """A share that may be small but is never zero in words: 0.3 % stays 0.3 %, not 0 %."""
    if value >= 0.01 or value <= 0:
        return percent(value)
    return f"{100 * value:.2g}%"


def ordinal(value: float) -> str:
    """51 -> "51st", 2 -> "2nd", 12 -> "12th": percentiles and ranks read as English."""
    n = int(round(value))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def duration(seconds: float) -> str:
    """Seconds a person can compare: "<1 ms", "40 ms", "1.3 s" (never a bare "0.00 s")."""
    if seconds < 0.001:
        return "<1 ms"
    if seconds < 1.0:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.1f} s"


def timing_text(total: float, steps: Mapping[str, float]) -> str:
    """Where a run's time went: "0.91 s in all: measures 620 ms, snapshots 210 ms, ..."."""
    parts = ", ".join(f"{name} {duration(value)}" for name, value in steps.items())
    return f"{duration(total)} in all: {parts}" if parts else duration(total)


def assessment_timing(assessment: Assessment) -> str:
    """Where an assessment's time went: the evidence steps its record keeps, then the four stages."""
    return timing_text(assessment.seconds, time_steps(assessment))


def time_steps(assessment: Assessment) -> dict[str, float]:
    """Seconds per step of an assessment: readability, measures, snapshots (as recorded), stages."""
    steps = {str(k): float(v) for k, v in dict(assessment.measures.get("seconds", {})).items()}
    steps["stages"] = sum(stage.seconds for stage in assessment.stages)
    return steps
