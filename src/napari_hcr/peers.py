"""The other labels of a structure in the same label map, as the norms of a kind the
calibration never saw.

An instance segmentation (the nuclei of a microscopy image, the lesions of one scan) holds many
masks of one structure, drawn by the same hand or model on the same image. When the offline
calibration has no correct mask of that kind of structure, those other labels are the nearest
reference there is: a nucleus is judged by how unusual its figures are among the other nuclei
of its image, as a reviewer compares it with its neighbours. They are taken as correct, so a
fault that every one of them shares does not stand out, and the synthesis says so. Held out on
the benchmark's dev split, a kind judged this way was told apart far better than against the
pooled norms of other kinds (docs/reasoner.md).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from .case import Case
from .knowledge import Profile, Range, canonical_structure
from .measures import measure
from .scoring import PEERS_MIN, calibration, evidence, reading_grid

PEERS_MAX = 16  # peers measured: enough for a 95th percentile, a bounded cost per label
CACHE_SIZE = 512  # peers' figures kept, so a run over every label of a map measures each once


@dataclass(frozen=True)
class Peers:
    """The evidence figures and sizes of ``labels``, other labels of the judged structure in the
    same label map, sizes in the judged mask's unit; ``available`` is how many such labels the
    map holds (up to PEERS_MAX are measured)."""

    labels: tuple[int, ...]
    available: int
    evidence: tuple[dict[str, float], ...]
    sizes: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        size_range = [round(min(self.sizes), 3), round(max(self.sizes), 3)]
        return {"labels": list(self.labels), "available": self.available, "size_range": size_range}


def peer_evidence(case: Case, profile: Profile, attenuation: Range | None) -> Peers | None:
    """The peers' figures when the structure has a profile, the calibration has not seen its
    kind and the label map names at least PEERS_MIN other labels as that structure; None
    otherwise. Labels whose names the knowledge base does not know are no one's peers: two of
    them may name different structures."""
    if not profile.specific or calibration(profile, case.ndim).seen:
        return None
    same = peer_labels(case)
    chosen = spread_choice(same, case.label)
    if len(chosen) < PEERS_MIN:
        return None
    measured = [_figures(case, value, profile, attenuation) for value in chosen]
    available = len([v for v in same if v != case.label])
    return Peers(chosen, available, tuple(f for f, _ in measured), tuple(size for _, size in measured))


def peer_labels(case: Case) -> tuple[int, ...]:
    """Every label the case's label table names as the judged structure, the case's own included."""
    return tuple(v for v in case.present if v in case.names and canonical_structure(case.names[v]) == case.structure)


def spread_choice(labels: tuple[int, ...], own: int) -> tuple[int, ...]:
    """Up to PEERS_MAX of ``labels`` other than ``own``, spread evenly over them.

    The choice is made among all the structure's labels before ``own`` is dropped, so the labels
    of one map share most of their peers and a run over all of them measures each peer once.
    """
    if len(labels) <= PEERS_MAX + 1:
        return tuple(v for v in labels if v != own)
    picks = sorted({labels[round(i * (len(labels) - 1) / PEERS_MAX)] for i in range(PEERS_MAX + 1)})
    if own in picks:
        picks.remove(own)
    return tuple(picks[:PEERS_MAX])


_cache: OrderedDict[tuple[Any, ...], tuple[dict[str, float], float]] = OrderedDict()
_lock = threading.Lock()


def _figures(case: Case, value: int, profile: Profile, attenuation: Range | None) -> tuple[dict[str, float], float]:
    """One peer's evidence figures and size."""
    key = (*case.content_key(), value, case.structure, case.modality, case.spacing, case.spacing_known, attenuation)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    measures = measure(case.relabelled(value, case.structure), attenuation, reading_grid(profile, case.ndim))
    figures = (evidence(measures, profile), measures.size)
    with _lock:
        _cache[key] = figures
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return figures
