"""The core report writers: review-log CSV and the self-contained HTML report (no Qt)."""

from __future__ import annotations

import base64
import csv
import dataclasses
import re
from dataclasses import dataclass

import pytest

from napari_hcr.report import CSV_COLUMNS, ReviewEntry, render_html, top_finding, write_csv
from napari_hcr.verdict import (
    Assessment,
    BackendUsage,
    Finding,
    InputDigest,
    Location,
    SnapshotRef,
    StageResult,
)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@dataclass
class Picture:
    ref: SnapshotRef
    png: bytes


def assessment(verdict: str = "unacceptable") -> Assessment:
    findings = (
        Finding("rough_edge", "minor", "Rough edge.", Location(0, 3)),
        Finding("leak", "major", "Leak into the <scalp> & skull.", Location(0, 41)),
    )
    stages = [
        StageResult("knowledge_recall", "Expect one part.\nNo holes."),
        StageResult("anatomical_inference", "A leak.", findings),
    ]
    return Assessment(
        verdict,
        0.8,
        0.2,
        "brain",
        "MRI-T1",
        stages,
        {},
        [SnapshotRef(0, 41, "largest area")],
        BackendUsage("offline", "rules-1"),
        1.0,
        InputDigest("a" * 64, "b" * 64, 1),
    )


def test_top_finding_is_the_most_severe():
    assert top_finding(assessment()) == "major: Leak into the <scalp> & skull."


def test_csv_has_one_row_per_entry_with_the_decision(tmp_path):
    entries = [
        ReviewEntry("brain", 1, assessment()),
        ReviewEntry("brain", 2, assessment("acceptable"), decision="override", note='says "fine", ok'),
    ]
    rows = list(csv.DictReader(write_csv(entries, tmp_path / "log.csv").open(encoding="utf-8")))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["label"] for r in rows] == ["1", "2"]
    assert rows[1]["decision"] == "override" and rows[1]["note"] == 'says "fine", ok'
    assert rows[0]["top_finding"].startswith("major: Leak")


def test_unknown_decision_is_refused():
    with pytest.raises(ValueError):
        ReviewEntry("brain", 1, assessment(), decision="maybe")


def test_html_embeds_snapshots_and_escapes_text():
    page = render_html(
        assessment(), [Picture(SnapshotRef(0, 41, "largest area"), PNG)], decision="override", note="<b>ok</b>"
    )
    assert page.count('src="data:image/png;base64,') == 1
    assert not re.search(r'(src|href)="(?!data:)', page)
    assert "Leak into the &lt;scalp&gt; &amp; skull." in page
    assert "&lt;b&gt;ok&lt;/b&gt;" in page
    assert "UNACCEPTABLE" in page and "axis 0 slice 41" in page
    assert "<p>Expect one part.</p><p>No holes.</p>" in page


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_html_severities_and_badge_read_at_aa_on_white():
    page = render_html(assessment())
    for severity in ("major", "minor", "info"):
        colour = re.search(rf"\.{severity}{{color:(#[0-9a-f]{{6}})}}", page).group(1)
        assert 1.05 / (_luminance(colour) + 0.05) >= 4.5, severity
    badge = re.search(r'class="badge" style="background:(#[0-9a-f]{6})"', page).group(1)
    assert 1.05 / (_luminance(badge) + 0.05) >= 4.5


def test_html_names_a_pass_on_doubtful_evidence_in_amber_not_green():
    clear = dataclasses.replace(assessment("acceptable"), confidence=0.9, score=0.9)
    doubt = dataclasses.replace(clear, confidence=0.4, score=0.4)
    green = re.search(r'class="badge" style="background:(#[0-9a-f]{6})">ACCEPTABLE<', render_html(clear))
    amber = re.search(r'class="badge" style="background:(#[0-9a-f]{6})">ACCEPTABLE ON DOUBT<', render_html(doubt))
    assert green is not None and amber is not None and green.group(1) != amber.group(1)
    assert 1.05 / (_luminance(amber.group(1)) + 0.05) >= 4.5


def test_html_says_where_the_time_went():
    a = assessment()
    a.measures = {"seconds": {"readability": 0.02, "measures": 0.6, "snapshots": 0.2}}
    page = render_html(a)
    assert "1.0 s in all: readability 20 ms, measures 600 ms, snapshots 200 ms, stages &lt;1 ms" in page
