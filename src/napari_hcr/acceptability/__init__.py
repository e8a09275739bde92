"""The acceptability benchmark: real images, seeded alterations, a documented labelling rule.

``run_benchmark`` builds any missing cases of a split into the case cache, runs the offline
reasoner on every labelled candidate and writes the figures (JSON and PNG); ``format_table``
prints them. See docs/benchmark.md for the data, the rule, the splits and what the figures
can and cannot say.
"""

from .runner import BenchmarkResult, format_table, run_benchmark

__all__ = ["BenchmarkResult", "format_table", "run_benchmark"]
