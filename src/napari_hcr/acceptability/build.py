"""Generate the benchmark's cases into a cache folder (never committed).

Layout of ``cases_dir``::

    manifest-<scan>-<split>.json   one record per candidate: group, structure, family, rule inputs, label
    <scan>/image.npy               the scan's image (what the reasoner sees)
    <scan>/labels.npy              the scan's reference label map (real scans; the candidate's
                                   label is replaced by the candidate mask when a case is read)
    <scan>/names.json              structure name of each label value (a label table)
    <scan>/<case>.npz              the candidate mask (what the reasoner sees, in the label map)
    references/<scan>/<structure>.npy   MNI152 reference masks, for the tests only

A case is the whole label map with the candidate's label replaced by the candidate mask, so
the reasoner sees the neighbours, and a neighbour the candidate grew into shrinks. A
``fov_crop`` case cuts image and label map along axis 0 through the structure (``crop``).
Every random choice is seeded from the scan, structure, family and repeat, so a rebuild
gives the same cases. A manifest is written last, so a half-built scan is rebuilt.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..verdict import plain_json
from .alterations import (
    ACCEPTABLE_FAMILIES,
    CORRECT_FAMILIES,
    FAILURE_FAMILIES,
    Alteration,
    Subject,
    alter,
    families_for,
)
from .rule import agreement, label
from .scans import Scan, load_scan
from .sources import MODALITY, STRUCTURES, Variant, make_source, mni_subject, variants
from .splits import Target, scan_group, scans_for, targets_of, variant_targets

BUILD_VERSION = "acceptability-cases/7"
# How many draws of each family per target, by group: acceptable families are drawn more
# often where a structure has few of them, so both classes are represented.
REPEATS: dict[str, dict[str, int]] = {
    "brain MRI": {"threshold": 2, "jitter": 2},
    "CT organs": {"jitter": 2},
    "lesions": {"fov_crop": 3, "jitter": 4, "smooth": 2, "boundary_1vox": 2, **dict.fromkeys(FAILURE_FAMILIES, 2)},
    "microscopy": {"jitter": 2},
}
CT_FAILURES_PER_STRUCTURE = 6  # CT: a seeded draw of the failure families, ~12 candidates per structure
LARGE = 4_000_000  # voxels: beyond this, alterations work in a box around the structure


@dataclass(frozen=True)
class CaseRecord:
    id: str
    variant: str  # the scan id (named 'variant' since the MNI152-only benchmark)
    split: str
    group: str
    structure: str
    value: int
    modality: str
    family: str
    intended: str
    params: dict[str, Any]
    agreement: dict[str, Any]
    label: str
    spacing: tuple[float, ...]
    image: str
    mask: str
    labels: str | None = None
    crop: tuple[int, int] | None = None

    @property
    def scan(self) -> str:
        return self.variant

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseRecord:
        crop = data.get("crop")
        return cls(**{**data, "spacing": tuple(data["spacing"]), "crop": None if crop is None else tuple(crop)})


def default_cases_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("NAPARI_HCR_BENCH_DIR") or Path(user_cache_dir("napari-hcr")) / "bench")


def build_variant(
    variant: Variant, cases_dir: Path, structures: tuple[str, ...] = STRUCTURES, families: tuple[str, ...] | None = None
) -> list[CaseRecord]:
    """The cases of one MNI152 variant, the benchmark's or another (a variant redrawn at a finer
    voxel size), for some structures and families only; never cached as a whole scan."""
    folder = cases_dir / f"mni-{variant.id}"
    folder.mkdir(parents=True, exist_ok=True)
    return _mni_cases(variant, cases_dir, folder, families, structures)


def build_scan(
    scan_id: str,
    split: str,
    cases_dir: Path,
    families: tuple[str, ...] | None = None,
    structures: tuple[str, ...] | None = None,
    values: tuple[int, ...] | None = None,
) -> list[CaseRecord]:
    """Build (or load, when already built) every case of one scan in one split.

    ``families``, ``structures`` or label ``values`` build a part only (a ``--limit`` run, a
    test), which is not cached as the whole.
    """
    partial = families is not None or structures is not None or values is not None
    manifest = cases_dir / f"manifest-{scan_id}-{split}.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("version") == BUILD_VERSION:
            records = [CaseRecord.from_dict(r) for r in data["cases"]]
            return [
                r
                for r in records
                if (families is None or r.family in families)
                and (structures is None or r.structure in structures)
                and (values is None or r.value in values)
            ]
    folder = cases_dir / scan_id
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    if scan_id.startswith("mni-"):
        variant = next(v for v in variants("all") if f"mni-{v.id}" == scan_id)
        records = _mni_cases(variant, cases_dir, folder, families, structures)
    else:
        scan = load_scan(scan_id)
        if not (folder / "names.json").is_file():  # written last: image and labels are complete
            _save(folder / "image.npy", scan.image)
            _save(folder / "labels.npy", scan.labels)
            names = json.dumps({str(k): v for k, v in scan.names.items()})
            (folder / "names.json").write_text(names, encoding="utf-8")
        for target in targets_of(scan, split):
            if (structures is not None and target.structure not in structures) or (
                values is not None and target.value not in values
            ):
                continue
            subject, box = _subject(scan, target)
            seed = f"{scan_id}/{target.structure}/{target.value}"
            records += _candidates(
                target, subject, scan.modality, seed, folder, families, labels_path=f"{scan_id}/labels.npy", box=box
            )
    if not partial:
        payload = {"version": BUILD_VERSION, "scan": scan_id, "split": split, "cases": [asdict(r) for r in records]}
        manifest.write_text(json.dumps(payload, indent=1, default=plain_json), encoding="utf-8")
    return records


def _mni_cases(
    variant: Variant,
    cases_dir: Path,
    folder: Path,
    families: tuple[str, ...] | None,
    structures: tuple[str, ...] | None,
) -> list[CaseRecord]:
    """Draw ``variant`` and make the candidates of its structures (all, or ``structures``)."""
    source = make_source(variant)
    _save(folder / "image.npy", source.image)
    refs = cases_dir / "references" / f"mni-{variant.id}"
    refs.mkdir(parents=True, exist_ok=True)
    records: list[CaseRecord] = []
    for target in variant_targets(variant):
        if structures is not None and target.structure not in structures:
            continue
        _save(refs / f"{target.structure}.npy", source.references[target.structure].astype(np.uint8))
        subject = mni_subject(source, target.structure)
        seed = f"{variant.seed}/{target.structure}"
        records += _candidates(target, subject, MODALITY, seed, folder, families, labels_path=None)
    return records


def build(
    split: str,
    cases_dir: Path | None = None,
    log: Callable[[str], None] = print,
    workers: int = 2,
    group: str | None = None,
    scans: dict[str, tuple[int, ...] | None] | None = None,
) -> list[CaseRecord]:
    """Build every scan of ``split`` (and ``group``) not cached yet, a scan per worker process.

    ``scans`` maps the scans to build to the label values wanted (None: every target).
    """
    cases_dir = Path(cases_dir) if cases_dir else default_cases_dir()
    cases_dir.mkdir(parents=True, exist_ok=True)
    todo = scans if scans is not None else dict.fromkeys(scans_for(split, group))
    jobs = [(s, split, cases_dir, None, None, values) for s, values in todo.items()]
    records: list[CaseRecord] = []
    if workers > 1 and len(jobs) > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(min(workers, len(jobs))) as pool:
            for scan_id, done in zip(todo, pool.starmap(build_scan, jobs)):
                records.extend(done)
                log(f"  {scan_id}: {len(done)} candidates")
    else:
        for job in jobs:
            done = build_scan(*job)
            records.extend(done)
            log(f"  {job[0]}: {len(done)} candidates")
    return records


def compose(labels: np.ndarray | None, value: int, mask: np.ndarray) -> np.ndarray:
    """The label map the reasoner sees: the candidate replaces its label, over whatever was there."""
    if labels is None:
        return mask.astype(np.uint8)
    out = labels.copy()
    out[out == value] = 0
    out[mask] = value
    return out


def load_case_arrays(record: CaseRecord, cases_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The image and the label map of one case: all the reasoner is given, with spacing."""
    image = np.load(cases_dir / record.image, mmap_mode="r")
    with np.load(cases_dir / record.mask) as stored:
        mask = stored["mask"]
    base = None if record.labels is None else np.load(cases_dir / record.labels)
    labels = compose(base, record.value, mask)
    if record.crop is not None:
        window = slice(*record.crop)
        return np.array(image[window]), labels[window]
    return np.array(image), labels


def label_names(record: CaseRecord, cases_dir: Path) -> dict[int, str]:
    """Structure name of every label value in the case's label map (what a label table gives a user)."""
    if record.labels is None:
        return {record.value: record.structure}
    path = cases_dir / Path(record.labels).parent / "names.json"
    return {int(k): v for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def load_candidate(record: CaseRecord, cases_dir: Path) -> np.ndarray:
    """The candidate mask alone, on the (cropped) case grid."""
    _image, labels = load_case_arrays(record, cases_dir)
    return labels == record.value


def reference_cases(
    split: str, group: str | None = None, cases_dir: Path | None = None, only_cached: bool = False
) -> list[CaseRecord]:
    """The unaltered references and field-of-view crops of ``split`` (and ``group``).

    Every one of them is a correct mask, to be judged acceptable. Only these two families are
    built (quickly, and not cached as a whole scan). ``only_cached`` skips real scans whose
    package is not in the user cache yet, so a test never reaches the network.
    """
    from .scans import available

    cases_dir = Path(cases_dir) if cases_dir else default_cases_dir()
    out: list[CaseRecord] = []
    for scan_id in scans_for(split, group):
        if only_cached and not scan_id.startswith("mni-") and not available(scan_id):
            continue
        out += build_scan(scan_id, split, cases_dir, families=CORRECT_FAMILIES)
    return out


def _subject(scan: Scan, target: Target) -> tuple[Subject, tuple[slice, ...] | None]:
    """The alteration subject of a real scan's target, in a box around it for large scans."""
    reference = scan.labels == target.value
    box = _box(reference, scan.spacing) if scan.image.size > LARGE else None
    cut = (lambda a: a[box]) if box is not None else (lambda a: a)
    labels = cut(scan.labels)
    others: dict[str, np.ndarray] = {}
    if scan_group(scan.id) == "CT organs":
        others = {name: labels == v for v, name in scan.names.items() if v != target.value and (labels == v).any()}
    subject = Subject(
        reference=cut(reference),
        spacing=scan.spacing,
        inside=cut(scan.body),
        labels=labels,
        value=target.value,
        others=others,
        ribbon=False,
    )
    return subject, box


def _box(mask: np.ndarray, spacing: tuple[float, ...]) -> tuple[slice, ...]:
    """The structure's bounding box with a margin of 40 mm (at least 6 voxels) each side."""
    out = []
    for axis, s in enumerate(spacing):
        other = tuple(a for a in range(mask.ndim) if a != axis)
        hit = np.flatnonzero(mask.any(axis=other))
        margin = max(6, int(np.ceil(40.0 / s)))
        out.append(slice(max(0, hit[0] - margin), min(mask.shape[axis], hit[-1] + 1 + margin)))
    return tuple(out)


def _plan(target: Target, subject: Subject, seed: str) -> list[tuple[str, int]]:
    """(family, repeat) pairs to draw for one target."""
    applicable = list(families_for(subject))
    repeats = REPEATS[target.group]
    if target.group == "CT organs":
        failures = [f for f in applicable if f in FAILURE_FAMILIES]
        rng = np.random.default_rng(zlib.crc32(f"{seed}/plan".encode()))
        keep = set(rng.choice(failures, size=min(CT_FAILURES_PER_STRUCTURE, len(failures)), replace=False).tolist())
        applicable = [f for f in applicable if f not in FAILURE_FAMILIES or f in keep]
    families = [f for f in ACCEPTABLE_FAMILIES if f == "fov_crop" or f in applicable]
    families += [f for f in applicable if f in FAILURE_FAMILIES]
    return [(f, k) for f in families for k in range(repeats.get(f, 1))]


def _candidates(
    target: Target,
    subject: Subject,
    modality: str,
    seed: str,
    folder: Path,
    families: tuple[str, ...] | None,
    labels_path: str | None,
    box: tuple[slice, ...] | None = None,
) -> list[CaseRecord]:
    out = []
    for family, repeat in _plan(target, subject, seed):
        if families is not None and family not in families:
            continue
        rng = np.random.default_rng(zlib.crc32(f"{seed}/{family}/{repeat}".encode()))
        crop = None
        if family == "fov_crop":
            made, crop_local = _fov_crop(subject, rng)
            if made is None or crop_local is None:
                continue
            reference = subject.reference[slice(*crop_local)]
            agree = agreement(made.mask[slice(*crop_local)], reference, subject.spacing)
            crop = crop_local
            if box is not None:  # the kept side runs to the scan's own end, not the box's
                cut = made.params["cut"] + box[0].start
                crop = (0, cut) if made.params["kept"] == "low" else (cut, _full_shape(folder)[0])
                made = Alteration(made.mask, {**made.params, "cut": cut})
        else:
            made = alter(subject, family, rng)
            if made is None:
                continue
            agree = agreement(made.mask, subject.reference, subject.spacing)
        mask = made.mask
        if box is not None:
            full = np.zeros(_full_shape(folder), dtype=bool)
            full[box] = mask
            mask = full
        case_id = f"{target.scan}-{target.structure}-{target.value}-{family}-{repeat}"
        _save(folder / f"{case_id}.npz", mask)
        out.append(
            CaseRecord(
                id=case_id,
                variant=target.scan,
                split=target.split,
                group=target.group,
                structure=target.structure,
                value=target.value,
                modality=modality,
                family=family,
                intended="acceptable" if family in ACCEPTABLE_FAMILIES else "unacceptable",
                params=made.params,
                agreement=agree.to_dict(),
                label=label(agree),
                spacing=tuple(subject.spacing),
                image=f"{target.scan}/image.npy",
                mask=f"{target.scan}/{case_id}.npz",
                labels=labels_path,
                crop=crop,
            )
        )
    return out


def _fov_crop(subject: Subject, rng: np.random.Generator) -> tuple[Alteration | None, tuple[int, int] | None]:
    """The scan cut along axis 0 through the structure (35-65 % of its extent), one side kept."""
    ref = subject.reference
    hit = np.flatnonzero(ref.any(axis=tuple(range(1, ref.ndim))))
    if hit[-1] - hit[0] < 2:
        return None, None
    cut = int(hit[0] + max(1, round(float(rng.uniform(0.35, 0.65)) * (hit[-1] - hit[0]))))
    keep_low = bool(rng.random() < 0.5)
    window = (0, cut) if keep_low else (cut, ref.shape[0])
    return Alteration(ref.copy(), {"axis": 0, "cut": cut, "kept": "low" if keep_low else "high"}), window


def _save(path: Path, array: np.ndarray) -> None:
    """Write to a temporary name and rename: a reader in another process never sees half a file."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    with open(partial, "wb") as handle:
        if path.suffix == ".npz":
            np.savez_compressed(handle, mask=array)
        else:
            np.save(handle, array)
    os.replace(partial, path)


def _full_shape(folder: Path) -> tuple[int, ...]:
    return tuple(np.load(folder / "labels.npy", mmap_mode="r").shape)


__all__ = [
    "CaseRecord",
    "build",
    "build_scan",
    "build_variant",
    "compose",
    "default_cases_dir",
    "load_case_arrays",
    "reference_cases",
]
