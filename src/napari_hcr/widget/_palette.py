"""Text colours for the results that stay legible on napari's dark and light themes.

No single red reads on both a dark grey and a light grey at WCAG AA (4.5:1), so each severity
has a colour per kind of theme, picked from the theme's own background: the lines that matter
most must not be the hardest to read.
"""

from __future__ import annotations

from ..report import VERDICT_COLOURS

SEVERITY = {
    "dark": {"major": "#ffaaa0", "minor": "#ffc870", "info": "#dadce0"},
    "light": {"major": "#8c1010", "minor": "#6b3e00", "info": "#33363a"},
}
LINK = {"dark": "#a8c7fa", "light": "#0b3f8c"}
VERDICT = VERDICT_COLOURS  # the badges' colours, as the HTML report paints them; white text on these: >= 4.5:1
NOTE = {"info": "#5f6368", "warning": "#8a4b00", "error": "#b3261e"}  # white text on these too


def luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours, 1 to 21."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def kind_of(background: str) -> str:
    """``dark`` or ``light``: which palette reads on a theme with this background colour."""
    return "dark" if luminance(background) < 0.5 else "light"


def severity_colour(severity: str, background: str) -> str:
    return SEVERITY[kind_of(background)][severity]


def link_colour(background: str) -> str:
    return LINK[kind_of(background)]
