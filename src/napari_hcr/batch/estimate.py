"""What a model-backed batch will cost, said before a single request is sent.

The figures are estimates: labels are counted on a sample of masks when ``--labels all``,
tokens per label come from the four-stage conversation's usual size (text, six snapshots of
about 258 tokens each that later stages see again, answers and some thinking), and prices are
list prices per million tokens that change; an unknown model gets no price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import read_volume
from ..stages import STAGES
from .inputs import BatchCase, is_volume

TOKENS_IN_PER_LABEL = 11_000
TOKENS_OUT_PER_LABEL = 2_500
SAMPLE = 5
#: USD per million tokens (input, output incl. thinking), Gemini API paid tier list prices.
PRICES = {
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-flash-lite": (0.10, 0.40),
    "gemini-2.5-pro": (1.25, 10.00),
    "gemini-2.0-flash": (0.10, 0.40),
}


@dataclass(frozen=True)
class Estimate:
    labels: int
    calls: int
    tokens_in: int
    tokens_out: int
    cost_usd: float | None
    sampled: bool

    def sentence(self, model: str) -> str:
        cost = (
            f"about ${self.cost_usd:,.2f}" if self.cost_usd is not None else f"an unknown cost (no price for {model})"
        )
        counted = "estimated from a sample of masks" if self.sampled else "counted"
        return (
            f"This batch sends {model} about {self.calls:,} requests for {self.labels:,} "
            f"label{'s' if self.labels != 1 else ''} ({counted}): "
            f"about {self.tokens_in:,} input and {self.tokens_out:,} output tokens, {cost}."
        )


def estimate(cases: Sequence[BatchCase], model: str) -> Estimate:
    explicit = sum(len(c.labels) for c in cases if c.labels != "all")
    open_cases = [c for c in cases if c.labels == "all"]
    sample = [count_labels(c) for c in open_cases[:SAMPLE]]
    per_case = float(np.mean(sample)) if sample else 0.0
    labels = explicit + round(per_case * len(open_cases))
    tokens_in = labels * TOKENS_IN_PER_LABEL
    tokens_out = labels * TOKENS_OUT_PER_LABEL
    price = PRICES.get(model)
    cost = None if price is None else (tokens_in * price[0] + tokens_out * price[1]) / 1e6
    return Estimate(labels, labels * len(STAGES), tokens_in, tokens_out, cost, len(open_cases) > len(sample))


def count_labels(case: BatchCase) -> int:
    """Labels a case's mask holds (a mask folder: its non-empty files are not opened, just counted)."""
    mask = Path(case.mask)
    if mask.is_dir() and not is_volume(mask):
        return sum(1 for p in mask.iterdir() if p.is_file() and is_volume(p))
    values = np.unique(read_volume(mask).data)
    return int(np.count_nonzero(values))
