"""Run the offline reasoner over a split and report the figures, per group, per structure and overall.

The reasoner is given exactly what a user would give it: the image, the label map with the
candidate under its label (neighbours included), the voxel spacing, the structure and the
modality. The reference and the family of the alteration stay in the manifest and are used
only to score the answer afterwards.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

import numpy as np

from ..case import Case, make_case
from ..verdict import doubtful, plain_json
from .alterations import CORRECT_FAMILIES
from .build import CaseRecord, build, default_cases_dir, label_names, load_case_arrays, reference_cases
from .metrics import LEVEL, RESAMPLES, Figures, Interval, Reliability, figures, interval, reliability
from .rule import RULE_TEXT
from .splits import GROUPS, scan_group, scans_for

RESULTS_DIR = Path("benchmark-results")


@dataclass
class BenchmarkResult:
    split: str
    rule: str
    overall: Figures
    per_group: dict[str, Figures]
    per_structure: dict[str, Figures]
    per_family: dict[str, dict[str, Any]]
    records: list[dict[str, Any]]
    grey_excluded: int
    intervals: dict[str, Interval]
    reliability: dict[str, Reliability]  # per group and overall: does the confidence mean what it says
    alone: bool = False  # each candidate judged as a lone binary mask (see case_for)
    json_path: Path | None = None
    png_path: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "alone": self.alone,
            "rule": self.rule,
            "grey_excluded": self.grey_excluded,
            "overall": self.overall.to_dict(),
            "per_group": {k: v.to_dict() for k, v in self.per_group.items()},
            "per_structure": {k: v.to_dict() for k, v in self.per_structure.items()},
            "per_family": self.per_family,
            "intervals": {k: v.to_dict() for k, v in self.intervals.items()},
            "reliability": {k: v.to_dict() for k, v in self.reliability.items()},
            "records": self.records,
        }


def case_for(record: CaseRecord, cases_dir: Path, alone: bool = False) -> Case:
    """The reasoner's whole input for one candidate: no reference, no family, no truth label.

    ``alone`` drops the other structures of the candidate's label map: the mask as a model
    that segments one structure hands it over, with no neighbour to leak into or to wrap it.
    """
    image, labels = load_case_arrays(record, cases_dir)
    names = label_names(record, cases_dir)
    if alone:
        labels = np.where(labels == record.value, labels, 0).astype(labels.dtype, copy=False)
        names = {record.value: names.get(record.value, record.structure)}
    return make_case(
        image,
        labels,
        label=record.value,
        spacing=record.spacing,
        structure=record.structure,
        modality=record.modality,
        names=names,
    )


def correct_cases(
    split: str, group: str | None = None, cases_dir: Path | None = None, only_cached: bool = False
) -> Iterator[tuple[CaseRecord, Case]]:
    """Each unaltered reference and field-of-view crop of ``split`` with the Case the reasoner gets.

    These masks are correct, so a guardrail must pass every one ("no false alarm on a
    correct mask"); see ``build.reference_cases`` for ``only_cached``.
    """
    cases_dir = Path(cases_dir) if cases_dir else default_cases_dir()
    for record in reference_cases(split, group, cases_dir, only_cached=only_cached):
        yield record, case_for(record, cases_dir)


def assess_record(record: CaseRecord, cases_dir: Path, alone: bool = False) -> dict[str, Any]:
    """Assess one candidate with the offline backend (as a lone mask when ``alone``); the record
    keeps the evidence for fitting."""
    from ..backends import make_backend
    from ..knowledge import load_profile
    from ..reasoner import Done, StageDone, assess_steps
    from ..scoring import evidence

    case = case_for(record, cases_dir, alone)
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
            "where": None if f.where is None else f.where.slice_ref(),
        }
        for s in assessment.stages
        for f in s.findings
    ]
    return {
        "id": record.id,
        "variant": record.variant,
        "scan": record.variant,
        "group": record.group,
        "split": record.split,
        "structure": record.structure,
        "profile": profile.structure,
        "modality": record.modality,
        "label_value": record.value,
        "ndim": case.ndim,
        "family": record.family,
        "params": record.params,
        "truth": record.label,
        "verdict": assessment.verdict,
        "score": assessment.score,
        "confidence": assessment.confidence,
        "seconds": round(seconds, 3),
        "findings": stage_findings,
        "evidence": evidence(measures, profile),
        "agreement": record.agreement,
    }


def _assess_star(args: tuple[CaseRecord, Path, bool]) -> dict[str, Any]:
    return assess_record(*args)


def run_benchmark(
    split: str = "test",
    cases_dir: Path | None = None,
    results_dir: Path | None = None,
    limit: int | None = None,
    log: Callable[[str], None] = print,
    workers: int = 2,
    chart: bool = True,
    group: str | None = None,
    alone: bool = False,
) -> BenchmarkResult:
    """Build missing cases of ``split`` (and ``group``), assess every labelled one, write JSON and PNG.

    ``alone`` judges only the candidates of a label map with other structures in it (CT organs,
    nuclei), each as a lone binary mask: what the reasoner makes of the same masks without the
    context a label map gives. The other candidates are lone masks already."""
    if group is not None and group not in GROUPS:
        raise ValueError(f"group must be one of {', '.join(GROUPS)}, not {group!r}")
    cases_dir = Path(cases_dir) if cases_dir else default_cases_dir()
    results_dir = Path(results_dir) if results_dir else RESULTS_DIR
    log(f"Benchmark split '{split}'" + (f", group '{group}'" if group else "") + f": cases in {cases_dir}")
    scans: dict[str, tuple[int, ...] | None] = dict.fromkeys(scans_for(split, group))
    if limit is not None:
        scans = _scans_for_limit(list(scans), split, limit)
    records = build(split, cases_dir, log=log, workers=workers, scans=scans)
    labelled = [r for r in records if r.label != "grey"]
    grey = len(records) - len(labelled)
    if alone:
        labelled = [r for r in labelled if len(label_names(r, cases_dir)) > 1]
    if limit is not None:
        labelled = balanced_sample(labelled, limit)
    view = ", each as a lone mask without its label map's other structures" if alone else ""
    log(f"Assessing {len(labelled)} candidates ({grey} in the grey zone left out){view}")
    if workers > 1 and len(labelled) > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            rows = pool.map(_assess_star, [(r, cases_dir, alone) for r in labelled], chunksize=4)
    else:
        rows = [assess_record(r, cases_dir, alone) for r in labelled]
    result = summarise(split, rows, grey, alone)
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = f"benchmark-{split}" + (f"-{group.replace(' ', '_')}" if group else "") + ("-alone" if alone else "")
    result.json_path = results_dir / f"{stem}.json"
    result.json_path.write_text(json.dumps(result.to_dict(), indent=1, default=plain_json), encoding="utf-8")
    if chart:
        from .chart import draw

        result.png_path = draw(result, results_dir / f"{stem}.png")
    log(f"Wrote {result.json_path}" + (f" and {result.png_path}" if result.png_path else ""))
    return result


def summarise(split: str, rows: list[dict[str, Any]], grey: int, alone: bool = False) -> BenchmarkResult:
    def fig(subset: list[dict[str, Any]]) -> Figures:
        return figures(
            [r["truth"] for r in subset],
            [r["verdict"] for r in subset],
            [r["score"] for r in subset],
            [r["seconds"] for r in subset],
        )

    def spread(subset: list[dict[str, Any]]) -> Interval:
        return interval(
            [r["truth"] for r in subset],
            [r["verdict"] for r in subset],
            [r["score"] for r in subset],
            [target_of(r) for r in subset],
        )

    def trust(subset: list[dict[str, Any]]) -> Reliability:
        return reliability(
            [r["truth"] for r in subset], [r["verdict"] for r in subset], [r["confidence"] for r in subset]
        )

    structures = sorted({r["structure"] for r in rows})
    groups = [g for g in GROUPS if any(r.get("group") == g for r in rows)]
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
        per_group={g: fig([r for r in rows if r.get("group") == g]) for g in groups},
        per_structure={s: fig([r for r in rows if r["structure"] == s]) for s in structures},
        per_family=families,
        records=rows,
        grey_excluded=grey,
        intervals={
            **{g: spread([r for r in rows if r.get("group") == g]) for g in groups},
            "overall": spread(rows),
        },
        reliability={**{g: trust([r for r in rows if r.get("group") == g]) for g in groups}, "overall": trust(rows)},
        alone=alone,
    )


def target_of(record: dict[str, Any]) -> str:
    """The target a candidate belongs to: one structure (one nucleus) on one scan."""
    return f"{record.get('scan', '')}:{record['structure']}:{record.get('label_value', '')}"


def format_table(result: BenchmarkResult) -> str:
    """Figures per group, per structure and overall, with the confusion counts and the rule."""
    head = (
        f"{'':<30}{'n':>5}{'n_unacc':>8}{'n_acc':>7}{'bal.acc':>9}{'sens':>7}{'spec':>7}{'AUROC':>8}"
        f"{'TP/FN/TN/FP':>15}{'s/case':>8}"
    )
    lines = [
        f"Acceptability benchmark, split '{result.split}' ({result.grey_excluded} grey-zone candidates left out)"
        + (", each candidate of a label map judged alone, without its other structures" if result.alone else ""),
        f"Rule: {result.rule}",
        "Columns: n_unacc / n_acc = candidates the rule labels unacceptable / acceptable; sens = share of",
        "unacceptable ones caught; spec = share of acceptable ones passed; TP/FN/TN/FP with 'unacceptable' positive.",
        "",
        head,
        "-" * len(head),
    ]

    def row(name: str, f: Figures) -> str:
        c = f.confusion
        cells = (
            f"{c['true_unacceptable_called_unacceptable']}/{c['true_unacceptable_called_acceptable']}/"
            f"{c['true_acceptable_called_acceptable']}/{c['true_acceptable_called_unacceptable']}"
        )
        return (
            f"{name[:29]:<30}{f.n:>5}{f.n_unacceptable:>8}{f.n - f.n_unacceptable:>7}{f.balanced_accuracy:>9.3f}"
            f"{f.sensitivity:>7.3f}{f.specificity:>7.3f}{f.auroc:>8.3f}{cells:>15}{f.median_seconds:>8.2f}"
        )

    lines.append("per group")
    lines += [row(f"  {name}", f) for name, f in result.per_group.items()]
    lines.append(row("overall", result.overall))
    lines += ["", *interval_lines(result.intervals), "", *reliability_lines(result.reliability)]
    lines += ["", *review_lines(result.records)]
    lines += ["", "per structure"]
    for group in list(result.per_group) or [""]:
        names = sorted({r["structure"] for r in result.records if r.get("group", "") == group})
        if group:
            lines.append(f"  [{group}]")
        lines += [row(f"  {n}", result.per_structure[n]) for n in names if n in result.per_structure]
    lines += ["", "Per alteration family (correct / n):"]
    lines.append("  " + ", ".join(f"{k} {v['correct']}/{v['n']}" for k, v in result.per_family.items()))
    lines += ["", *false_alarms(result.records)]
    return "\n".join(lines)


def interval_lines(intervals: dict[str, Interval]) -> list[str]:
    """How far each group's figures could move on other targets like these; a group of a few
    targets gets none, and says why."""
    lines = [
        f"{LEVEL:.0%} intervals, resampling whole targets (a structure on one scan, a nucleus on the image; "
        f"{RESAMPLES} resamples): how the figures vary across targets, not across patients or scanners:"
    ]
    for name, spread in intervals.items():

        def shown(bounds: tuple[float, float] | None) -> str:
            return f"{'n/a':<11}" if bounds is None else f"{bounds[0]:.3f}-{bounds[1]:.3f}"

        lines.append(
            f"  {name:<14}bal.acc {shown(spread.balanced_accuracy)}   AUROC {shown(spread.auroc)}   "
            f"({spread.targets} target{'s' if spread.targets != 1 else ''}"
            + (", too few to resample)" if spread.balanced_accuracy is None else ")")
        )
    return lines


def reliability_lines(reliability: dict[str, Reliability]) -> list[str]:
    """Whether a verdict's confidence is the share of such verdicts that are right, as the
    assessment claims."""
    lines = [
        "Confidence (the probability the verdict is right) against the share of verdicts that were right; "
        "calibration error = their gap within bins of confidence, weighted by the bins' shares:"
    ]
    lines += [
        f"  {name:<14}mean confidence {r.mean_confidence:.3f}   right {r.share_right:.3f}   "
        f"calibration error {r.calibration_error:.3f}"
        for name, r in reliability.items()
    ]
    return lines


def review_lines(records: list[dict[str, Any]]) -> list[str]:
    """What reaches a reviewer's attention: a mask is flagged when it is rejected or passed on
    doubtful evidence (acceptable, but more likely flawed than not); per group, the share of
    each class flagged and the correct masks among them."""
    lines = ["Flagged for review (rejected, or passed on doubt), per group:"]

    def flagged(subset: list[dict[str, Any]]) -> str:
        marked = [r["verdict"] == "unacceptable" or doubtful(r["verdict"], r["confidence"]) for r in subset]
        return f"{sum(marked)} of {len(subset)}"

    for group in sorted({r.get("group", "") for r in records}):
        mine = [r for r in records if r.get("group", "") == group]
        correct, _ = correct_masks(mine)
        lines.append(
            f"  {group or 'all':<14}unacceptable {flagged([r for r in mine if r['truth'] == 'unacceptable'])}, "
            f"acceptable {flagged([r for r in mine if r['truth'] == 'acceptable'])}, correct masks {flagged(correct)}; "
            f"passed on doubt {sum(doubtful(r['verdict'], r['confidence']) for r in mine)}"
        )
    return lines


def correct_masks(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The correct masks (unaltered references, field-of-view crops) among ``records``, and
    those of them called unacceptable."""
    correct = [r for r in records if r["family"] in CORRECT_FAMILIES]
    return correct, [r for r in correct if r["verdict"] != "acceptable"]


def false_alarms(records: list[dict[str, Any]]) -> list[str]:
    """The correct masks called unacceptable, per group and by name: the guardrail's first duty
    is to pass every one of them."""
    correct, rejected = correct_masks(records)
    lines = [f"Correct masks (references, field-of-view crops) called unacceptable: {len(rejected)} of {len(correct)}"]
    for group in sorted({r.get("group", "") for r in correct}):
        mine = [r for r in correct if r.get("group", "") == group]
        named = sorted(f"{r['structure']} ({r['family']}, {r['scan']})" for r in rejected if r in mine)
        listed = f": {', '.join(named)}" if named else ""
        lines.append(f"  {group or 'all'}: {len(named)} of {len(mine)}{listed}")
    return lines


def balanced_sample(records: list[CaseRecord], limit: int) -> list[CaseRecord]:
    """At most ``limit`` records spread evenly over groups, then structures, then families.

    Each group gets an equal share (a group with fewer records gives its rest to the others);
    within a group the records are dealt round-robin over structures and, within a
    structure, over families, so a small ``--limit`` still sees every group and both classes.
    """
    if limit >= len(records):
        return records
    by_group: dict[str, list[CaseRecord]] = {}
    for r in records:
        by_group.setdefault(r.group, []).append(r)
    queues = {g: _deal(rs) for g, rs in by_group.items()}
    chosen: list[CaseRecord] = []
    while len(chosen) < limit and any(queues.values()):
        for g in list(queues):
            if queues[g] and len(chosen) < limit:
                chosen.append(queues[g].pop(0))
    return chosen


def _deal(records: list[CaseRecord]) -> list[CaseRecord]:
    """Round-robin over targets (structure of a scan); each target's own stream alternates
    acceptable-meant and failure families and starts one place further on than the previous
    target's, so the first few dealt already mix families and both classes."""
    by_target: dict[tuple[str, str, int], list[CaseRecord]] = {}
    for r in records:
        by_target.setdefault((r.structure, r.variant, r.value), []).append(r)
    streams = []
    for i, items in enumerate(by_target.values()):
        good = [r for r in items if r.intended == "acceptable"]
        bad = [r for r in items if r.intended != "acceptable"]
        stream = [r for pair in zip_longest(good, bad) for r in pair if r is not None]
        shift = i % max(1, len(stream))
        streams.append(stream[shift:] + stream[:shift])
    out: list[CaseRecord] = []
    while any(streams):
        for stream in streams:
            if stream:
                out.append(stream.pop(0))
    return out


def _scans_for_limit(scans: list[str], split: str, limit: int) -> dict[str, tuple[int, ...] | None]:
    """What a balanced ``limit`` needs, no more: per group, enough scans and targets for its share.

    Each group's share is dealt one candidate per target first, so a share of q needs about q
    targets: an MNI152 variant holds 3, a lesion scan 1, the CT and the nuclei image many (a
    spread of them is built, evenly over the sorted targets so every kind of structure is in).
    """
    from .scans import load_scan
    from .splits import targets_of

    groups = sorted({scan_group(s) for s in scans})
    share = max(1, -(-limit // max(1, len(groups))))
    out: dict[str, tuple[int, ...] | None] = {}
    for g in groups:
        mine = [s for s in scans if scan_group(s) == g]
        if g == "brain MRI":
            out.update(dict.fromkeys(mine[: max(1, -(-share // 3))]))
            continue
        needed = share
        for scan_id in mine:
            if needed <= 0:
                break
            values = [t.value for t in targets_of(load_scan(scan_id), split)]
            if len(values) > needed:
                picks = np.linspace(0, len(values) - 1, needed).round().astype(int)
                values = [values[i] for i in sorted(set(picks.tolist()))]
            out[scan_id] = tuple(values)
            needed -= len(values)
    return {s: out[s] for s in scans if s in out}
