"""Run the offline reasoner over a split and report the figures, per structure and overall.

The reasoner is given exactly what a user would give it: the image, the candidate mask, the
voxel spacing, the structure and the modality. The reference and the family of the
alteration stay in the manifest and are used only to score the answer afterwards.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..case import Case, make_case
from .build import CaseRecord, build, default_cases_dir, load_case_arrays
from .metrics import Figures, figures
from .rule import RULE_TEXT

RESULTS_DIR = Path("benchmark-results")


@dataclass
class BenchmarkResult:
    split: str
    rule: str
    overall: Figures
    per_structure: dict[str, Figures]
    per_family: dict[str, dict[str, Any]]
    records: list[dict[str, Any]]
    grey_excluded: int
    json_path: Path | None = None
    png_path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "rule": self.rule,
            "grey_excluded": self.grey_excluded,
            "overall": self.overall.to_dict(),
            "per_structure": {k: v.to_dict() for k, v in self.per_structure.items()},
            "per_family": self.per_family,
            "records": self.records,
        }


def case_for(record: CaseRecord, cases_dir: Path) -> Case:
    """The reasoner's whole input for one candidate: no reference, no family, no label."""
    image, mask = load_case_arrays(record, cases_dir)
    return make_case(image, mask, label=1, spacing=record.spacing, structure=record.structure, modality=record.modality)


def assess_record(record: CaseRecord, cases_dir: Path) -> dict[str, Any]:
    """Assess one candidate with the offline backend; the record keeps the evidence for fitting."""
    from ..backends import make_backend
    from ..knowledge import load_profile
    from ..reasoner import Done, StageDone, assess_steps
    from ..scoring import evidence

    case = case_for(record, cases_dir)
    started = time.perf_counter()
    measures = None
    assessment = None
    for event in assess_steps(case, make_backend("offline"), poll=3600.0):
        if isinstance(event, StageDone):
            measures = event.evidence.measures
        elif isinstance(event, Done):
            assessment = event.assessment
    seconds = time.perf_counter() - started
    assert assessment is not None and measures is not None
    profile = load_profile(case.structure, case.modality)
    stage_findings = [
        {
            "stage": s.name,
            "kind": f.kind,
            "severity": f.severity,
            "where": None if f.where is None else {"axis": f.where.axis, "slice": f.where.slice},
        }
        for s in assessment.stages
        for f in s.findings
    ]
    return {
        "id": record.id,
        "variant": record.variant,
        "structure": record.structure,
        "family": record.family,
        "truth": record.label,
        "verdict": assessment.verdict,
        "score": assessment.score,
        "confidence": assessment.confidence,
        "seconds": round(seconds, 3),
        "findings": stage_findings,
        "evidence": evidence(measures, profile),
        "agreement": record.agreement,
    }


def _assess_star(args: tuple[CaseRecord, Path]) -> dict[str, Any]:
    return assess_record(*args)


def run_benchmark(
    split: str = "test",
    cases_dir: Path | None = None,
    results_dir: Path | None = None,
    limit: int | None = None,
    log: Callable[[str], None] = print,
    workers: int = 2,
    chart: bool = True,
) -> BenchmarkResult:
    """Build missing cases of ``split``, assess every labelled one, write JSON and PNG figures."""
    cases_dir = Path(cases_dir) if cases_dir else default_cases_dir()
    results_dir = Path(results_dir) if results_dir else RESULTS_DIR
    log(f"Benchmark split '{split}': cases in {cases_dir}")
    records = build(split, cases_dir, log=log, workers=workers)
    labelled = [r for r in records if r.label != "grey"]
    grey = len(records) - len(labelled)
    if limit is not None:
        labelled = _spread(labelled, limit)
    log(f"Assessing {len(labelled)} candidates ({grey} in the grey zone left out)")
    if workers > 1 and len(labelled) > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            rows = pool.map(_assess_star, [(r, cases_dir) for r in labelled], chunksize=4)
    else:
        rows = [assess_record(r, cases_dir) for r in labelled]
    result = summarise(split, rows, grey)
    results_dir.mkdir(parents=True, exist_ok=True)
    result.json_path = results_dir / f"benchmark-{split}.json"
    result.json_path.write_text(json.dumps(result.to_dict(), indent=1, default=_plain), encoding="utf-8")
    if chart:
        from .chart import draw

        result.png_path = draw(result, results_dir / f"benchmark-{split}.png")
    log(f"Wrote {result.json_path}" + (f" and {result.png_path}" if result.png_path else ""))
    return result


def summarise(split: str, rows: list[dict[str, Any]], grey: int) -> BenchmarkResult:
    def fig(subset: list[dict[str, Any]]) -> Figures:
        return figures(
            [r["truth"] for r in subset],
            [r["verdict"] for r in subset],
            [r["score"] for r in subset],
            [r["seconds"] for r in subset],
        )

    structures = sorted({r["structure"] for r in rows})
    families: dict[str, dict[str, Any]] = {}
    for name in sorted({r["family"] for r in rows}):
        subset = [r for r in rows if r["family"] == name]
        families[name] = {
            "n": len(subset),
            "unacceptable": sum(r["truth"] == "unacceptable" for r in subset),
            "correct": sum(r["truth"] == r["verdict"] for r in subset),
        }
    return BenchmarkResult(
        split=split,
        rule=RULE_TEXT,
        overall=fig(rows),
        per_structure={s: fig([r for r in rows if r["structure"] == s]) for s in structures},
        per_family=families,
        records=rows,
        grey_excluded=grey,
    )


def format_table(result: BenchmarkResult) -> str:
    head = (
        f"{'structure':<14}{'n':>5}{'unacc':>7}{'acc':>7}{'bal.acc':>9}{'sens':>7}{'spec':>7}{'AUROC':>8}"
        f"{'TP/FN/TN/FP':>15}{'s/case':>8}"
    )
    lines = [
        f"Acceptability benchmark, split '{result.split}' ({result.grey_excluded} grey-zone candidates left out)",
        f"Rule: {result.rule}",
        "",
        head,
        "-" * len(head),
    ]
    rows = list(result.per_structure.items()) + [("overall", result.overall)]
    for name, f in rows:
        c = f.confusion
        cells = (
            f"{c['true_unacceptable_called_unacceptable']}/{c['true_unacceptable_called_acceptable']}/"
            f"{c['true_acceptable_called_acceptable']}/{c['true_acceptable_called_unacceptable']}"
        )
        lines.append(
            f"{name:<14}{f.n:>5}{f.n_unacceptable:>7}{f.accuracy:>7.3f}{f.balanced_accuracy:>9.3f}"
            f"{f.sensitivity:>7.3f}{f.specificity:>7.3f}{f.auroc:>8.3f}{cells:>15}{f.median_seconds:>8.2f}"
        )
    lines += ["", "Per alteration family (correct / n):"]
    lines.append("  " + ", ".join(f"{k} {v['correct']}/{v['n']}" for k, v in result.per_family.items()))
    return "\n".join(lines)


def _spread(records: list[CaseRecord], limit: int) -> list[CaseRecord]:
    """At most ``limit`` records taken evenly across the list, so every structure stays in."""
    if limit >= len(records):
        return records
    step = len(records) / max(1, limit)
    return [records[int(i * step)] for i in range(limit)]


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(type(value).__name__)
