"""The catalogue for people: which structures have a profile, in which modalities it makes
specific claims, and the names it answers to (``napari-hcr structures``)."""

from __future__ import annotations

import json
from typing import Any

from . import _prose, structure_aliases
from .modality import modalities
from .table import rows


def claimed_modalities(structure: str) -> tuple[str, ...]:
    """The modalities in which the profile states an intensity expectation of its own: CT with
    a HU band, an MRI sequence with a signal claim or its own text, X-ray, microscopy. Every
    structure also loads for any other modality, without those claims."""
    row = rows()[structure]
    found = []
    if row.hu is not None:
        found.append("CT")
    blocks = _prose().get(structure, {}).get("modalities", {})
    for sequence in ("T1", "T1C", "T2", "FLAIR"):
        if sequence in row.signal or f"MRI-{sequence}" in blocks:
            found.append(f"MRI-{sequence}")
    if "XR" in blocks:
        found.append("X-ray")
    if row.group == "cell":
        found.append("Microscopy")
    return tuple(found)


def catalogue() -> list[dict[str, Any]]:
    """One record per structure, in table order."""
    return [
        {
            "structure": name,
            "display_name": row.display_name,
            "group": row.group,
            "modalities": list(claimed_modalities(name)),
            "aliases": list(structure_aliases(name)[1:]),
        }
        for name, row in rows().items()
    ]


def catalogue_json() -> str:
    return json.dumps(catalogue(), indent=2)


def catalogue_table(max_aliases: int = 4) -> str:
    """A compact fixed-width table: structure, group, modalities with claims, first aliases."""
    records = catalogue()
    width = max(len(r["structure"]) for r in records)
    lines = [f"{'structure':<{width}}  {'group':<7}  {'claims for':<28}  aliases"]
    for r in records:
        aliases = r["aliases"][:max_aliases]
        more = len(r["aliases"]) - len(aliases)
        alias_text = ", ".join(aliases) + (f" (+{more})" if more > 0 else "")
        claims = ", ".join(r["modalities"]) or "-"
        lines.append(f"{r['structure']:<{width}}  {r['group']:<7}  {claims:<28}  {alias_text}")
    lines.append(
        f"{len(records)} structures; every one also loads for any other modality, without intensity claims. "
        "Unknown names use 'generic'."
    )
    lines.append(f"Modalities: {', '.join(modalities())} (plain MRI makes no sequence claim).")
    return "\n".join(lines)
