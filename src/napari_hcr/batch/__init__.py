"""Cohort-scale checks: ``napari-hcr batch`` over many cases, locally or on a Dask cluster.

Core code (no Qt, no napari): :mod:`.inputs` finds the cases, :mod:`.task` assesses one case
in a worker, :mod:`.engines` runs tasks (local processes or Dask distributed), :mod:`.store`
keeps DIR/results.jsonl, :mod:`.cohort` writes summary.csv and report.html, :mod:`.queue` is
the review queue's model. docs/batch.md describes the files and the commands.
"""
