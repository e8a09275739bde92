"""Generate the benchmark's cases into a cache folder (never committed).

Layout of ``cases_dir``::

    manifest-<variant>.json      one record per candidate: family, parameters, rule inputs, label
    <variant>/image.npy          the variant's image (what the reasoner sees)
    <variant>/<case>.npy         the candidate mask, uint8 (what the reasoner sees)
    references/<variant>/<structure>.npy   reference masks: read by the builder and the tests only

Every random choice is seeded from the variant, structure, family and repeat, so a rebuild
gives the same cases. A manifest is written last, so a half-built variant is rebuilt.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .alterations import ACCEPTABLE_FAMILIES, alter, families_for
from .rule import agreement, label
from .sources import MODALITY, STRUCTURES, Variant, make_source, variants

BUILD_VERSION = "acceptability-cases/3"
REPEATS = {"threshold": 2, "jitter": 2}  # acceptable families drawn twice to balance the classes


@dataclass(frozen=True)
class CaseRecord:
    id: str
    variant: str
    split: str
    structure: str
    modality: str
    family: str
    intended: str
    params: dict[str, Any]
    agreement: dict[str, Any]
    label: str
    spacing: tuple[float, ...]
    image: str
    mask: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseRecord:
        return cls(**{**data, "spacing": tuple(data["spacing"])})


def default_cases_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("NAPARI_HCR_BENCH_DIR") or Path(user_cache_dir("napari-hcr")) / "bench")


def build_variant(
    variant: Variant, cases_dir: Path, structures: tuple[str, ...] = STRUCTURES, families: tuple[str, ...] | None = None
) -> list[CaseRecord]:
    """Build (or load, when already built) every case of one variant."""
    manifest = cases_dir / f"manifest-{variant.id}.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("version") == BUILD_VERSION:
            records = [CaseRecord.from_dict(r) for r in data["cases"]]
            wanted = [r for r in records if r.structure in structures and (families is None or r.family in families)]
            if {r.structure for r in wanted} == set(structures):
                return wanted
    source = make_source(variant)
    folder = cases_dir / variant.id
    refs = cases_dir / "references" / variant.id
    folder.mkdir(parents=True, exist_ok=True)
    refs.mkdir(parents=True, exist_ok=True)
    np.save(folder / "image.npy", source.image)
    records = []
    for structure in structures:
        np.save(refs / f"{structure}.npy", source.references[structure].astype(np.uint8))
        for family in families_for(structure):
            if families is not None and family not in families:
                continue
            for repeat in range(REPEATS.get(family, 1)):
                seed = zlib.crc32(f"{variant.seed}/{structure}/{family}/{repeat}".encode())
                rng = np.random.default_rng(seed)
                altered = alter(source, structure, family, rng)
                if not altered.mask.any():
                    continue
                agree = agreement(altered.mask, source.references[structure], source.spacing)
                case_id = f"{variant.id}-{structure}-{family}-{repeat}"
                np.save(folder / f"{case_id}.npy", altered.mask.astype(np.uint8))
                records.append(
                    CaseRecord(
                        id=case_id,
                        variant=variant.id,
                        split=variant.split,
                        structure=structure,
                        modality=MODALITY,
                        family=family,
                        intended="acceptable" if family in ACCEPTABLE_FAMILIES else "unacceptable",
                        params=altered.params,
                        agreement=agree.to_dict(),
                        label=label(agree),
                        spacing=tuple(source.spacing),
                        image=f"{variant.id}/image.npy",
                        mask=f"{variant.id}/{case_id}.npy",
                    )
                )
    if families is None and structures == STRUCTURES:
        payload = {"version": BUILD_VERSION, "variant": variant.id, "cases": [r.__dict__ for r in records]}
        manifest.write_text(json.dumps(payload, indent=1, default=_plain), encoding="utf-8")
    return records


def build(
    split: str, cases_dir: Path | None = None, log: Callable[[str], None] = print, workers: int = 2
) -> list[CaseRecord]:
    """Build every variant of ``split`` that is not cached yet, a variant per worker process."""
    cases_dir = Path(cases_dir) if cases_dir else default_cases_dir()
    cases_dir.mkdir(parents=True, exist_ok=True)
    todo = variants(split)
    records: list[CaseRecord] = []
    if workers > 1 and len(todo) > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(min(workers, len(todo))) as pool:
            for done in pool.starmap(build_variant, [(v, cases_dir) for v in todo]):
                records.extend(done)
                log(f"  built {done[0].variant}: {len(done)} candidates" if done else "  built an empty variant")
    else:
        for v in todo:
            done = build_variant(v, cases_dir)
            records.extend(done)
            log(f"  built {v.id}: {len(done)} candidates")
    return records


def load_case_arrays(record: CaseRecord, cases_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The image and the candidate mask of one case: all the reasoner is given, with spacing."""
    return np.load(cases_dir / record.image), np.load(cases_dir / record.mask)


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(type(value).__name__)
