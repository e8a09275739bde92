"""Review records and the files a person takes away: a CSV log and a self-contained HTML report.

Core code (no Qt, no napari) so the CLI writes the same report the widget exports. The HTML
embeds every snapshot as a data URI, so the report is one file that opens anywhere.
"""

from __future__ import annotations

import base64
import csv
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from .stages import STAGES
from .verdict import Assessment, Location, SnapshotRef, doubtful, verdict_text
from .wording import assessment_timing, percent, where_text

DECISIONS: tuple[str, ...] = ("", "agree", "override")
CSV_COLUMNS: tuple[str, ...] = (
    "time",
    "layer",
    "label",
    "structure",
    "modality",
    "verdict",
    "confidence",
    "score",
    "backend",
    "model",
    "decision",
    "note",
    "top_finding",
    "mask_sha256",
)
_TITLES = {spec.name: spec.title for spec in STAGES}
# Verdict badges, in the HTML report and the widget alike; white text on these at >= 4.5:1.
VERDICT_COLOURS = {"acceptable": "#137333", "unacceptable": "#b3261e", "doubtful": "#8a4b00"}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#202124}"
    ".badge{display:inline-block;color:#fff;border-radius:6px;padding:.4em .8em;font-weight:bold}"
    "figure{display:inline-block;margin:.5em}figcaption{font-size:.85em;color:#5f6368}"
    "table{border-collapse:collapse}td,th{border:1px solid #dadce0;padding:.2em .5em;text-align:left}"
    ".major{color:#b3261e}.minor{color:#8a4b00}.info{color:#5f6368}"  # >= 4.5:1 on white
)


class PictureLike(Protocol):
    """What the report needs of a snapshot: where it is and its PNG bytes."""

    @property
    def ref(self) -> SnapshotRef:
        """Which slice it shows, and why it was chosen."""
        ...

    @property
    def png(self) -> bytes:
        """The picture, PNG-encoded."""
        ...


@dataclass
class ReviewEntry:
    """One assessment of the session with the reviewer's own decision on it."""

    layer: str
    label: int
    assessment: Assessment
    when: datetime = field(default_factory=lambda: datetime.now().astimezone())
    decision: str = ""
    note: str = ""
    snapshots: Sequence[PictureLike] = ()

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, not {self.decision!r}")

    def row(self) -> dict[str, str]:
        """The entry as one row of the review log's CSV."""
        a = self.assessment
        return {
            "time": self.when.isoformat(timespec="seconds"),
            "layer": self.layer,
            "label": str(self.label),
            "structure": a.structure,
            "modality": a.modality,
            "verdict": a.verdict,
            "confidence": f"{a.confidence:.3f}",
            "score": f"{a.score:.3f}",
            "backend": a.backend.name,
            "model": a.backend.model,
            "decision": self.decision,
            "note": self.note,
            "top_finding": top_finding(a),
            "mask_sha256": a.input.mask_sha256,
        }


def top_finding(assessment: Assessment) -> str:
    """The most severe finding in words, or an empty string when there is none."""
    order = {"major": 0, "minor": 1, "info": 2}
    findings = sorted(assessment.findings, key=lambda f: order[f.severity])
    if not findings:
        return ""
    first = findings[0]
    return f"{first.severity}: {first.detail}"


def write_csv(entries: Iterable[ReviewEntry], path: str | Path) -> Path:
    """Write the review log to ``path`` as CSV; returns the path."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for entry in entries:
            writer.writerow(entry.row())
    return path


def write_json(assessment: Assessment, path: str | Path) -> Path:
    """Write one assessment record (schema ``napari-hcr/assessment/v1``) to ``path``."""
    path = Path(path)
    path.write_text(assessment.to_json(), encoding="utf-8")
    return path


def badge_colour(verdict: str, confidence: float) -> str:
    """A pass on doubtful evidence is amber, not the green of a clear pass."""
    return VERDICT_COLOURS["doubtful"] if doubtful(verdict, confidence) else VERDICT_COLOURS.get(verdict, "#5f6368")


def render_html(
    assessment: Assessment,
    snapshots: Sequence[PictureLike] = (),
    *,
    title: str = "Segmentation quality check",
    decision: str = "",
    note: str = "",
) -> str:
    """One HTML page with the verdict, the four stages, the findings and the snapshots inline."""
    esc = html.escape
    a = assessment
    colour = badge_colour(a.verdict, a.confidence)
    shown = verdict_text(a.verdict, a.confidence)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        (
            f'<p><span class="badge" style="background:{colour}">{esc(shown.upper())}</span> '
            f"confidence {percent(a.confidence)}, probability acceptable {percent(a.score)}</p>"
        ),
        "<table>",
        _row("Structure", a.structure),
        _row("Modality", a.modality),
        _row("Label", str(a.input.label)),
        _row("Backend", f"{a.backend.name} ({a.backend.model})" + (", from cache" if a.backend.cached else "")),
        _row("Time", assessment_timing(a)),
        _row("Mask SHA-256", a.input.mask_sha256),
    ]
    if decision:
        parts.append(_row("Reviewer decision", decision + (f": {note}" if note else "")))
    parts.append("</table>")
    for stage in a.stages:
        parts.append(f"<h2>{esc(_TITLES.get(stage.name, stage.name))}</h2>")
        parts.append("".join(f"<p>{esc(p)}</p>" for p in stage.text.split("\n") if p.strip()))
        if stage.findings:
            parts.append("<ul>")
            for finding in stage.findings:
                place = f" ({esc(where_text(finding.where))})" if finding.where else ""
                parts.append(
                    f'<li class="{finding.severity}"><b>{finding.severity}</b> {esc(finding.detail)}{place}</li>'
                )
            parts.append("</ul>")
    if snapshots:
        parts.append("<h2>Snapshots</h2><div>")
        for snapshot in snapshots:
            ref = snapshot.ref
            data = base64.b64encode(snapshot.png).decode("ascii")
            caption = f"{where_text(Location(ref.axis, ref.slice))}: {ref.why}"
            parts.append(
                f'<figure><img alt="{esc(caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{esc(caption)}</figcaption></figure>"
            )
        parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(assessment: Assessment, path: str | Path, snapshots: Sequence[PictureLike] = (), **kwargs: str) -> Path:
    """Write the self-contained HTML report (snapshots embedded) to ``path``; see :func:`render_html`."""
    path = Path(path)
    path.write_text(render_html(assessment, snapshots, **kwargs), encoding="utf-8")
    return path


def _row(name: str, value: str) -> str:
    return f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
