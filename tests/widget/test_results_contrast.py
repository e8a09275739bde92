"""Finding colours read at WCAG AA (4.5:1) on every surface of napari's dark and light themes."""

from __future__ import annotations

import pytest
from napari.utils.theme import get_theme

from napari_hcr.widget._palette import LINK, NOTE, VERDICT, contrast, kind_of, link_colour, severity_colour

SURFACES = ("background", "foreground", "primary")  # panels, frames, and list views (the findings)


def _hex(colour: object) -> str:
    return colour.as_hex() if hasattr(colour, "as_hex") else str(colour)


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("severity", ["major", "minor", "info"])
def test_severity_colours_reach_aa_on_each_theme_surface(theme: str, severity: str) -> None:
    palette = get_theme(theme)
    for surface in SURFACES:
        background = _hex(getattr(palette, surface))
        colour = severity_colour(severity, background)
        assert contrast(colour, background) >= 4.5, (theme, surface, severity, colour)


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_links_reach_aa_and_the_palette_follows_the_theme(theme: str) -> None:
    background = _hex(get_theme(theme).background)
    assert kind_of(background) == theme
    for surface in SURFACES:
        behind = _hex(getattr(get_theme(theme), surface))
        assert contrast(link_colour(behind), behind) >= 4.5


def test_badges_keep_white_text_legible() -> None:
    for colour in (*VERDICT.values(), *NOTE.values()):
        assert contrast("#ffffff", colour) >= 4.5, colour
    assert set(LINK) == {"dark", "light"}


def test_the_old_colours_would_fail() -> None:
    """The check can fail: the red the issue measured on the dark list view is far below AA."""
    assert contrast("#c5221f", _hex(get_theme("dark").primary)) < 2.0
