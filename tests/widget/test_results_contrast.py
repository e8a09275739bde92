"""Finding colours read at WCAG AA (4.5:1) on every surface of napari's dark and light themes."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from napari.utils.theme import get_theme
from PIL import Image
from qtpy.QtGui import QColor
from qtpy.QtWidgets import QLabel

from gui_helpers import add_brain, run_and_wait
from napari_hcr.verdict import Finding, Location
from napari_hcr.widget import QCWidget
from napari_hcr.widget._palette import LINK, NOTE, VERDICT, contrast, kind_of, link_colour, severity_colour
from napari_hcr.widget._views import StageCard, thumbnail

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


# ------------------------------------------------------------------ in the widget


@pytest.fixture
def widget_on(make_napari_viewer):
    """A dock widget in a viewer holding ``image`` and ``mask`` (call it with them)."""

    def make(image: np.ndarray, mask: np.ndarray, **image_kwargs: object) -> tuple[object, QCWidget]:
        viewer = make_napari_viewer()
        viewer.add_image(image, name="image", **image_kwargs)
        viewer.add_labels(mask, name="mask")
        widget = QCWidget(viewer)
        viewer.window.add_dock_widget(widget, name="HCR Quality Check")
        return viewer, widget

    return make


@pytest.mark.gui
def test_findings_take_the_colours_of_the_viewers_theme(qtbot, widget_on, mni_2mm) -> None:
    viewer, widget = widget_on(mni_2mm.image, mni_2mm.mask.astype(np.uint8))
    findings = widget.results.findings
    shown = [
        Finding("leak", "major", "a leak", Location(0, 40)),
        Finding("rough_edge", "minor", "rough", Location(0, 41)),
    ]
    for theme in ("light", "dark"):
        viewer.theme = theme
        findings.show_findings(shown)
        surface = _hex(get_theme(theme).primary)
        for row in range(findings.count()):
            colour = findings.item(row).foreground().color().name()
            assert colour == severity_colour(shown[row].severity, surface)
            assert contrast(colour, surface) >= 4.5
    viewer.theme = "light"  # already shown findings are recoloured too
    assert findings.item(0).foreground().color().name() == severity_colour("major", _hex(get_theme("light").primary))


@pytest.mark.gui
def test_thumbnails_are_large_cropped_and_captioned_with_why(qtbot, make_napari_viewer, mni_2mm) -> None:
    viewer = make_napari_viewer()
    add_brain(viewer, mni_2mm)
    widget = QCWidget(viewer)
    viewer.window.add_dock_widget(widget, name="HCR Quality Check")
    assert run_and_wait(qtbot, widget, timeout=90000) == "verdict"
    strip = widget.results.thumbnails
    assert strip.iconSize().width() >= 160 and strip.iconSize().height() >= 160
    captions = [strip.item(i).text() for i in range(strip.count())]
    assert any("largest area on axis 0" in c for c in captions), captions
    cards = [widget.results.cards.itemAt(i).widget() for i in range(widget.results.cards.count())]
    titles = [c.findChildren(QLabel)[0].text() for c in cards if isinstance(c, StageCard)]
    assert titles and not any("0.0 s" in t for t in titles)
    assert all(re.search(r"<small>(&lt;1 ms|\d+ ms|[\d.]+ s)</small>", t) for t in titles), titles
    status = widget.results.status.text()
    assert re.match(
        r"Done in [\d.]+ s; readability [\d<.]+ m?s, measures [\d<.]+ m?s, snapshots [\d<.]+ m?s, stages", status
    )


@pytest.mark.gui
def test_thumbnail_shows_the_region_not_the_whole_field(qtbot) -> None:
    picture = np.zeros((400, 400, 3), dtype=np.uint8)
    picture[100:140, 200:260] = 255
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    image = thumbnail(buffer.getvalue(), (200, 100, 60, 40))
    assert max(image.width(), image.height()) == 160
    assert QColor(image.pixel(image.width() // 2, image.height() // 2)).name() == "#ffffff"
    assert QColor(image.pixel(1, 1)).name() == "#ffffff"  # the crop holds only the bright block


@pytest.mark.gui
def test_blank_image_gets_cannot_assess_in_the_widget(qtbot, widget_on, mni_2mm) -> None:
    _, widget = widget_on(np.zeros_like(mni_2mm.image), mni_2mm.mask.astype(np.uint8))
    assert run_and_wait(qtbot, widget, timeout=90000) == "error"
    assert widget.results.badge.text().startswith("Cannot assess: the image is blank")
    assert widget.results.badge.verdict is None
    assert widget.review.entries == []


@pytest.mark.gui
@pytest.mark.parametrize(("rgb", "modality"), [(False, "X-ray"), (True, "Photo")])
def test_a_picture_defaults_to_a_two_dimensional_modality(qtbot, widget_on, rgb: bool, modality: str) -> None:
    yy, xx = np.mgrid[:80, :100]
    disc = ((yy - 40) ** 2 + (xx - 50) ** 2 <= 20**2).astype(np.uint8)
    grey = np.where(disc, 200, 40).astype(np.uint8)
    image = np.stack([grey, grey // 2, grey // 3], axis=-1) if rgb else grey
    _, widget = widget_on(image, disc)
    assert widget.form.modality_combo.currentText() == modality
