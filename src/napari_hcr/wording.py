"""Shared phrasing of figures and places, so every backend and report says them alike."""

from __future__ import annotations

from .verdict import Location


def where_text(location: Location | None) -> str:
    if location is None:
        return "the whole mask"
    if location.axis < 0:
        return "the image"
    return f"axis {location.axis} slice {location.slice}"


def size_text(value: float, unit: str) -> str:
    """Volumes above a litre read better in L; small ones keep one more decimal."""
    if unit == "mL" and value >= 1000:
        return f"{value / 1000:.2f} L"
    if value >= 100:
        return f"{value:.0f} {unit}"
    return f"{value:.1f} {unit}"


def range_text(low: float, high: float, unit: str) -> str:
    if unit == "mL" and low >= 1000:
        return f"{low / 1000:.2f}-{high / 1000:.2f} L"
    return f"{low:g}-{high:g} {unit}"


def percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def ordinal(value: float) -> str:
    """51 -> "51st", 2 -> "2nd", 12 -> "12th": percentiles and ranks read as English."""
    n = int(round(value))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
