"""The benchmark's picture: ROC curves of the score and bars per group (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .metrics import roc_curve

if TYPE_CHECKING:
    from .runner import BenchmarkResult


def draw(result: BenchmarkResult, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (roc_ax, bar_ax) = plt.subplots(1, 2, figsize=(11, 4.4), dpi=110)
    for name in list(result.per_group) + ["overall"]:
        rows = [r for r in result.records if name == "overall" or r.get("group") == name]
        acceptable = np.asarray([r["truth"] == "acceptable" for r in rows])
        if acceptable.all() or not acceptable.any():
            continue
        fpr, tpr = roc_curve(np.asarray([r["score"] for r in rows]), acceptable)
        figs = result.overall if name == "overall" else result.per_group[name]
        roc_ax.plot(
            fpr,
            tpr,
            lw=2.4 if name == "overall" else 1.4,
            color="black" if name == "overall" else None,
            label=f"{name} (AUROC {figs.auroc:.3f})",
        )
    roc_ax.plot([0, 1], [0, 1], ls=":", color="grey")
    roc_ax.set(
        xlabel="unacceptable masks passed (1 - sensitivity)",
        ylabel="acceptable masks passed (specificity)",
        title=f"ROC of P(acceptable), {result.split} split",
        xlim=(0, 1),
        ylim=(0, 1.01),
    )
    if roc_ax.get_legend_handles_labels()[0]:  # no curve when a sample holds one class only
        roc_ax.legend(loc="lower right", fontsize=8)

    names = list(result.per_group) + ["overall"]
    metrics = [
        ("balanced_accuracy", "balanced accuracy"),
        ("sensitivity", "sensitivity"),
        ("specificity", "specificity"),
        ("auroc", "AUROC"),
    ]
    x = np.arange(len(names))
    width = 0.2
    for i, (key, label) in enumerate(metrics):
        values = [getattr(result.overall if n == "overall" else result.per_group[n], key) for n in names]
        bar_ax.bar(x + (i - 1.5) * width, values, width, label=label)
    bar_ax.axhline(0.9, ls="--", color="grey", lw=0.8)
    bar_ax.set_xticks(x, names)
    bar_ax.set(ylim=(0.0, 1.1), title="per group")
    bar_ax.legend(loc="upper center", ncol=4, fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
