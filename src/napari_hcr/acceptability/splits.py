"""Which structure of which scan is a benchmark target, its group, and its split.

Splits are by structure and by scan, so the test figures measure zero-shot judgement:

* **CT organs** (TotalSegmentator's example CT, one scan): its structures are split by
  structure type into two fixed halves, each holding organs, vessels, bones and muscles. A
  left/right pair, the lung lobes, the vertebrae and the ribs stay on one side. The scan
  itself is in both splits (it is the only CT with many labels the registry serves); a test
  structure is never a candidate in dev.
* **lesions**: pyradiomics' lung1 and lung2 (CT nodule and tumour) in dev; brain1, brain2
  (MRI tumour) and breast1 (MRI lesion) in test: other scans, other structures.
* **microscopy**: stardist's 2-D nuclei, test only (zero-shot).
* **brain MRI**: the MNI152 variants as before (v01-v05 dev, v06-v10 test): split by scan
  only, its three structures are in both splits; kept so the figures stay comparable.

Structures of fewer than ``MIN_VOXELS`` voxels are left out: a one-voxel boundary move
there is most of the structure, so no rule can tell rater variation from failure.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from .scans import LESIONS, Scan
from .sources import STRUCTURES as MNI_STRUCTURES
from .sources import Variant, variants

GROUPS: tuple[str, ...] = ("brain MRI", "CT organs", "lesions", "microscopy")
SPLITS: tuple[str, ...] = ("dev", "test")
MIN_VOXELS = 100
NUCLEI_PER_IMAGE = 10

# Structure types of the TotalSegmentator 'total' classes in the example CT: (kind, split). A
# class belongs to a type when its name starts with the type (side and number follow). Each
# split holds organs, vessels, bones and muscles.
CT_TYPES: dict[str, tuple[str, str]] = {
    "liver": ("organ", "dev"),
    "kidney": ("organ", "dev"),
    "stomach": ("organ", "dev"),
    "pancreas": ("organ", "dev"),
    "small_bowel": ("organ", "dev"),
    "urinary_bladder": ("organ", "dev"),
    "lung_": ("organ", "dev"),
    "aorta": ("vessel", "dev"),
    "iliac_artery": ("vessel", "dev"),
    "rib_": ("bone", "dev"),
    "hip": ("bone", "dev"),
    "costal_cartilages": ("bone", "dev"),
    "gluteus_maximus": ("muscle", "dev"),
    "gluteus_minimus": ("muscle", "dev"),
    "autochthon": ("muscle", "dev"),
    "spleen": ("organ", "test"),
    "gallbladder": ("organ", "test"),
    "adrenal_gland": ("organ", "test"),
    "duodenum": ("organ", "test"),
    "colon": ("organ", "test"),
    "prostate": ("organ", "test"),
    "spinal_cord": ("organ", "test"),
    "inferior_vena_cava": ("vessel", "test"),
    "portal_vein_and_splenic_vein": ("vessel", "test"),
    "iliac_vena": ("vessel", "test"),
    "vertebrae": ("bone", "test"),
    "femur": ("bone", "test"),
    "sacrum": ("bone", "test"),
    "gluteus_medius": ("muscle", "test"),
    "iliopsoas": ("muscle", "test"),
}
CT_DEV_TYPES: tuple[str, ...] = tuple(t for t, (_, split) in CT_TYPES.items() if split == "dev")
CT_TEST_TYPES: tuple[str, ...] = tuple(t for t, (_, split) in CT_TYPES.items() if split == "test")
CT_KIND: dict[str, str] = {t: kind for t, (kind, _) in CT_TYPES.items()}
LESION_SPLIT: dict[str, str] = {"lung1": "dev", "lung2": "dev", "brain1": "test", "brain2": "test", "breast1": "test"}


@dataclass(frozen=True)
class Target:
    """One reference structure that candidates are made from."""

    group: str
    scan: str
    structure: str
    value: int
    split: str


def ct_type(name: str) -> str | None:
    for prefix in CT_DEV_TYPES + CT_TEST_TYPES:
        if name.startswith(prefix):
            return prefix
    return None


def ct_split(name: str) -> str | None:
    """'dev' or 'test' for a TotalSegmentator class name, None for a type outside both lists."""
    kind = ct_type(name)
    if kind is None:
        return None
    return "dev" if kind in CT_DEV_TYPES else "test"


def mni_targets(split: str) -> list[Target]:
    return [t for v in variants(split) for t in variant_targets(v)]


def variant_targets(variant: Variant) -> list[Target]:
    """The targets of one MNI152 variant, the benchmark's or one drawn again for a check."""
    return [Target("brain MRI", f"mni-{variant.id}", s, 1, variant.split) for s in MNI_STRUCTURES]


def ct_targets(scan: Scan, split: str) -> list[Target]:
    out = []
    for value, name in sorted(scan.names.items()):
        side = ct_split(name)
        if side is None or (split != "all" and side != split):
            continue
        if np.count_nonzero(scan.labels == value) < MIN_VOXELS:
            continue
        out.append(Target("CT organs", scan.id, name, value, side))
    return out


def lesion_targets(scan: Scan, split: str) -> list[Target]:
    side = LESION_SPLIT[scan.id]
    if split not in ("all", side) or np.count_nonzero(scan.labels) < MIN_VOXELS:
        return []
    return [Target("lesions", scan.id, LESIONS[scan.id][0], 1, side)]


def nucleus_targets(scan: Scan, split: str) -> list[Target]:
    """A fixed, seeded draw of whole nuclei (not cut by the image border, >= MIN_VOXELS pixels)."""
    if split not in ("all", "test"):
        return []
    values = np.asarray(sorted(scan.names))
    sizes = ndi.sum_labels(np.ones(scan.labels.shape), scan.labels, values)
    edge = np.unique(np.concatenate([scan.labels[0], scan.labels[-1], scan.labels[:, 0], scan.labels[:, -1]]))
    whole = [int(v) for v, n in zip(values, sizes) if n >= MIN_VOXELS and v not in edge]
    rng = np.random.default_rng(zlib.crc32(b"nuclei2d"))
    chosen = sorted(rng.choice(whole, size=min(NUCLEI_PER_IMAGE, len(whole)), replace=False).tolist())
    return [Target("microscopy", scan.id, scan.names[v], int(v), "test") for v in chosen]


REAL_SCANS: tuple[str, ...] = ("ts-ct", "lung1", "lung2", "brain1", "brain2", "breast1", "nuclei2d")


def scan_group(scan_id: str) -> str:
    if scan_id.startswith("mni-"):
        return "brain MRI"
    if scan_id == "ts-ct":
        return "CT organs"
    if scan_id in LESIONS:
        return "lesions"
    return "microscopy"


def scan_splits(scan_id: str) -> tuple[str, ...]:
    """The splits a scan can hold targets in, known without reading it."""
    if scan_id.startswith("mni-"):
        return tuple(v.split for v in variants("all") if f"mni-{v.id}" == scan_id)
    if scan_id == "ts-ct":
        return SPLITS
    if scan_id in LESION_SPLIT:
        return (LESION_SPLIT[scan_id],)
    return ("test",)


def scans_for(split: str, group: str | None = None) -> list[str]:
    """Scan ids holding targets of ``split`` (and ``group``), known without reading any scan."""
    ids = [f"mni-{v.id}" for v in variants("all")] + list(REAL_SCANS)
    return [s for s in ids if (split == "all" or split in scan_splits(s)) and (group is None or scan_group(s) == group)]


def targets_of(scan: Scan, split: str) -> list[Target]:
    if scan.id == "ts-ct":
        return ct_targets(scan, split)
    if scan.id in LESIONS:
        return lesion_targets(scan, split)
    return nucleus_targets(scan, split)
