"""The cohort's summary.csv and report.html, rebuilt from every record in DIR after each run.

Both list the riskiest first: failures (a human must look, nothing was judged), then the
assessed labels by ascending score (probability the mask is acceptable). The HTML is one
self-contained file: thumbnails are embedded as data URIs, the histogram is inline SVG.
"""

from __future__ import annotations

import base64
import csv
import html
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..verdict import doubtful, verdict_text
from .store import Record, failed

SUMMARY = "summary.csv"
REPORT = "report.html"
SUMMARY_COLUMNS = (
    "case",
    "label",
    "name",
    "structure",
    "modality",
    "verdict",
    "score",
    "confidence",
    "on_doubt",
    "major_findings",
    "top_finding",
    "error",
    "image",
    "mask",
)
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#202124}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #dadce0;padding:.2em .5em;"
    "text-align:left;vertical-align:top}.unacceptable{color:#c5221f;font-weight:bold}"
    ".acceptable{color:#1e8e3e}.error{color:#c5221f}img{display:block}"
)


def by_risk(records: Sequence[Record]) -> list[Record]:
    """Failures first, then lowest score first (ties: case, then label)."""
    return sorted(
        records,
        key=lambda r: (not failed(r), float(r.get("score") or 0.0), str(r["case"]), r.get("label") or 0),
    )


def findings(record: Record) -> list[dict[str, object]]:
    return [f for stage in record.get("stages") or () for f in stage.get("findings") or ()]


def top_finding(record: Record) -> str:
    order = {"major": 0, "minor": 1, "info": 2}
    listed = sorted(findings(record), key=lambda f: order.get(str(f.get("severity")), 3))
    if not listed or listed[0].get("severity") == "info":
        return ""
    return f"{listed[0]['severity']}: {listed[0]['detail']}"


def summary_row(record: Record) -> dict[str, str]:
    paths = record.get("paths") or {}
    ok = not failed(record)
    return {
        "case": str(record["case"]),
        "label": "" if record.get("label") is None else str(record["label"]),
        "name": str(record.get("name") or ""),
        "structure": str(record.get("structure") or ""),
        "modality": str(record.get("modality") or ""),
        "verdict": str(record.get("verdict") or "") if ok else "failed",
        "score": f"{record['score']:.3f}" if ok else "",
        "confidence": f"{record['confidence']:.3f}" if ok else "",
        "on_doubt": "yes" if ok and doubtful(str(record["verdict"]), float(record["confidence"])) else "",
        "major_findings": str(sum(f.get("severity") == "major" for f in findings(record))),
        "top_finding": top_finding(record),
        "error": str(record.get("error") or ""),
        "image": str(paths.get("image", "")),
        "mask": str(paths.get("mask", "")),
    }


def write_summary(records: Sequence[Record], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=SUMMARY_COLUMNS)
        writer.writeheader()
        for record in by_risk(records):
            writer.writerow(summary_row(record))
    return path


def write_report(records: Sequence[Record], folder: Path, title: str = "napari-hcr batch report") -> Path:
    path = folder / REPORT
    path.write_text(render_report(records, folder, title), encoding="utf-8")
    return path


def render_report(records: Sequence[Record], folder: Path, title: str) -> str:
    esc = html.escape
    ordered = by_risk(records)
    assessed = [r for r in ordered if not failed(r)]
    errors = [r for r in ordered if failed(r)]
    verdicts = Counter(str(r.get("verdict")) for r in assessed)
    on_doubt = sum(doubtful(str(r.get("verdict")), float(r["confidence"])) for r in assessed)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        (
            f"<p>{len(assessed)} labels assessed in {len({r['case'] for r in ordered})} cases: "
            f"{verdicts.get('unacceptable', 0)} judged unacceptable, {verdicts.get('acceptable', 0)} acceptable "
            f"({on_doubt} of them on doubt, to be reviewed); "
            f"{len(errors)} could not be assessed.</p>"
        ),
        "<h2>Scores</h2>",
        histogram_svg([float(r["score"]) for r in assessed]),
        "<h2>Per structure</h2>",
        _structure_table(ordered),
        "<h2>Findings by kind</h2>",
        _finding_table(assessed),
    ]
    if errors:
        parts.append("<h2>Could not be assessed</h2><table><tr><th>Case</th><th>Label</th><th>Why</th></tr>")
        for r in errors:
            label = "" if r.get("label") is None else str(r["label"])
            parts.append(
                f"<tr><td>{esc(str(r['case']))}</td><td>{label}</td><td class='error'>{esc(str(r['error']))}</td></tr>"
            )
        parts.append("</table>")
    parts.append(
        "<h2>By risk (lowest probability of acceptable first)</h2><table><tr><th>Snapshot</th><th>Case</th>"
        "<th>Label</th><th>Structure</th><th>Verdict</th><th>Score</th><th>Confidence</th><th>Top finding</th></tr>"
    )
    for r in assessed:
        verdict = str(r["verdict"])
        label = f"{r['label']}" + (f" ({esc(str(r['name']))})" if r.get("name") else "")
        parts.append(
            f"<tr><td>{_thumbnail(r, folder)}</td><td>{esc(str(r['case']))}</td><td>{label}</td>"
            f"<td>{esc(str(r.get('structure')))}</td>"
            f"<td class='{verdict}'>{esc(verdict_text(verdict, float(r['confidence'])))}</td>"
            f"<td>{r['score']:.2f}</td><td>{r['confidence']:.2f}</td><td>{esc(top_finding(r))}</td></tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts)


def histogram_svg(scores: Sequence[float], bins: int = 10, width: int = 400, height: int = 120) -> str:
    """Counts of scores in ``bins`` equal bins over [0, 1] as an inline SVG bar chart."""
    counts = [0] * bins
    for score in scores:
        counts[min(bins - 1, max(0, int(score * bins)))] += 1
    top = max(counts) or 1
    bar = width / bins
    shapes = []
    for index, count in enumerate(counts):
        h = (height - 20) * count / top
        x = index * bar
        shapes.append(
            f'<rect x="{x + 1:.1f}" y="{height - 20 - h:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
            f'fill="{"#c5221f" if index < bins // 2 else "#1e8e3e"}">'
            f"<title>{index / bins:.1f}-{(index + 1) / bins:.1f}: {count}</title></rect>"
        )
        if count:
            shapes.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 24 - h:.1f}" font-size="10" '
                f'text-anchor="middle">{count}</text>'
            )
    shapes.append(f'<text x="0" y="{height - 4}" font-size="10">0 (surely unacceptable)</text>')
    shapes.append(f'<text x="{width}" y="{height - 4}" font-size="10" text-anchor="end">1 (surely acceptable)</text>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="histogram of scores">{"".join(shapes)}</svg>'
    )


def _structure_table(records: Sequence[Record]) -> str:
    rows: dict[str, Counter[str]] = {}
    for r in records:
        key = str(r.get("structure") or "(unknown)")
        rows.setdefault(key, Counter())["failed" if failed(r) else str(r.get("verdict"))] += 1
    out = ["<table><tr><th>Structure</th><th>Labels</th><th>Unacceptable</th><th>Acceptable</th><th>Failed</th></tr>"]
    for name, counts in sorted(rows.items(), key=lambda kv: (-kv[1]["unacceptable"] - kv[1]["failed"], kv[0])):
        out.append(
            f"<tr><td>{html.escape(name)}</td><td>{sum(counts.values())}</td><td>{counts['unacceptable']}</td>"
            f"<td>{counts['acceptable']}</td><td>{counts['failed']}</td></tr>"
        )
    out.append("</table>")
    return "".join(out)


def _finding_table(records: Sequence[Record]) -> str:
    counts: Counter[tuple[str, str]] = Counter()
    for r in records:
        for f in findings(r):
            if f.get("severity") != "info":
                counts[(str(f.get("kind")), str(f.get("severity")))] += 1
    if not counts:
        return "<p>No minor or major findings.</p>"
    out = ["<table><tr><th>Kind</th><th>Severity</th><th>Findings</th></tr>"]
    for (kind, severity), n in sorted(counts.items(), key=lambda kv: (kv[0][1] != "major", -kv[1], kv[0][0])):
        out.append(f"<tr><td>{html.escape(kind)}</td><td>{severity}</td><td>{n}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _thumbnail(record: Record, folder: Path) -> str:
    names = record.get("thumbnails") or ()
    if not names:
        return ""
    path = folder / names[0]
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="snapshot" width="120" src="data:image/png;base64,{data}">'
