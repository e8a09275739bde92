"""The acceptability rule: overlap, surface distance and topology against the reference.

Tolerance ``tau`` is one voxel, taken as the mean voxel spacing in mm: no rater places a
boundary more finely than the grid they draw on. With ``C`` the candidate and ``R`` the
reference:

* overlap: Dice(C, R);
* surface distance: HD95, the 95th percentile of the symmetric boundary-to-boundary
  distances (mm);
* gross error: voxels of C farther than 2 tau from R, plus voxels of R farther than 2 tau
  from C, as a share of R (``gross``) and the volume of their largest connected region
  (``gross_blob``), in mL and as a share of R: a local leak or a missing part that a global
  figure would dilute;
* topology: new islands (pieces of C of at least 0.05 mL lying mostly more than 2 tau from
  R), new enclosed cavities of at least 0.05 mL in a structure whose reference has none
  (a solid structure must stay solid), and slices inside C's extent that R fills but C
  leaves empty.

A candidate is **acceptable** when Dice >= 0.90, HD95 <= 2 tau, gross <= 0.5%,
gross_blob <= max(0.25 mL, 0.15% of R) and its topology is unchanged; **unacceptable** when
Dice < 0.80, or HD95 > 4 tau, or gross >= 2%, or gross_blob >= max(1 mL, 0.25% of R), or
its topology changed; anything between is the **grey zone** and is left out of the benchmark.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage as ndi

ACCEPT = {"dice": 0.90, "hd95_tau": 2.0, "gross": 0.005, "gross_blob_ml": 0.25, "gross_blob": 0.0015}
REJECT = {"dice": 0.80, "hd95_tau": 4.0, "gross": 0.02, "gross_blob_ml": 1.0, "gross_blob": 0.0025}
MIN_PIECE_ML = 0.05

RULE_TEXT = (
    "tau = one voxel (mean spacing, mm); gross error = voxels more than 2 tau from the other mask. "
    "ACCEPTABLE: Dice >= 0.90, HD95 <= 2 tau, gross error <= 0.5% of the reference, largest "
    "connected gross error <= max(0.25 mL, 0.15% of the reference), topology unchanged. "
    "UNACCEPTABLE: Dice < 0.80, or HD95 > 4 tau, or gross error >= 2%, or a connected gross error "
    ">= max(1 mL, 0.25% of the reference), or topology changed (a new island >= 0.05 mL more than "
    "2 tau from the reference, a new enclosed cavity >= 0.05 mL in a solid reference, or a slice "
    "the reference fills left empty). Between the two: grey zone, left out."
)


@dataclass(frozen=True)
class Agreement:
    """How a candidate compares with the reference; the inputs of the rule."""

    dice: float
    hd95_mm: float
    tau_mm: float
    gross: float
    gross_blob_ml: float
    reference_ml: float
    new_pieces: int
    new_cavities: int
    emptied_slices: int

    @property
    def topology_changed(self) -> bool:
        return self.new_pieces > 0 or self.new_cavities > 0 or self.emptied_slices > 0

    def to_dict(self) -> dict[str, float | int]:
        return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def label(a: Agreement) -> str:
    """'acceptable', 'unacceptable' or 'grey' by the rule in the module docstring."""
    hd = a.hd95_mm / a.tau_mm
    blob_reject = max(REJECT["gross_blob_ml"], REJECT["gross_blob"] * a.reference_ml)
    blob_accept = max(ACCEPT["gross_blob_ml"], ACCEPT["gross_blob"] * a.reference_ml)
    if (
        a.dice < REJECT["dice"]
        or hd > REJECT["hd95_tau"]
        or a.gross >= REJECT["gross"]
        or a.gross_blob_ml >= blob_reject
        or a.topology_changed
    ):
        return "unacceptable"
    if (
        a.dice >= ACCEPT["dice"]
        and hd <= ACCEPT["hd95_tau"]
        and a.gross <= ACCEPT["gross"]
        and a.gross_blob_ml <= blob_accept
    ):
        return "acceptable"
    return "grey"


def agreement(candidate: np.ndarray, reference: np.ndarray, spacing: tuple[float, ...]) -> Agreement:
    candidate = candidate.astype(bool)
    reference = reference.astype(bool)
    tau = float(np.mean(spacing))
    voxel_ml = float(np.prod(spacing)) / 1000.0
    box = _box(candidate | reference, int(np.ceil(3 * tau / min(spacing))) + 2)
    c, r = candidate[box], reference[box]
    inter = np.count_nonzero(c & r)
    total = np.count_nonzero(c) + np.count_nonzero(r)
    dice = 2.0 * inter / total if total else 1.0
    to_r = ndi.distance_transform_edt(~_boundary(r), sampling=spacing)
    to_c = ndi.distance_transform_edt(~_boundary(c), sampling=spacing)
    surface = np.concatenate([to_r[_boundary(c)], to_c[_boundary(r)]])
    hd95 = float(np.percentile(surface, 95)) if surface.size else 0.0
    gross = (c & ~r & (to_r > 2 * tau)) | (r & ~c & (to_c > 2 * tau))
    n_ref = max(1, np.count_nonzero(r))
    blob = 0
    if gross.any():
        labels, _ = ndi.label(gross, structure=np.ones((3,) * gross.ndim, dtype=bool))
        blob = int(np.bincount(labels.ravel())[1:].max())
    min_piece = max(1, int(round(MIN_PIECE_ML / voxel_ml)))
    return Agreement(
        dice=float(dice),
        hd95_mm=hd95,
        tau_mm=tau,
        gross=float(np.count_nonzero(gross)) / n_ref,
        gross_blob_ml=blob * voxel_ml,
        reference_ml=n_ref * voxel_ml,
        new_pieces=_islands(c, ~r & (to_r > 2 * tau), min_piece),
        new_cavities=_cavities(c, min_piece) if _cavities(r, min_piece) == 0 else 0,
        emptied_slices=_emptied(c, r),
    )


def _boundary(mask: np.ndarray) -> np.ndarray:
    return mask & ~ndi.binary_erosion(mask, border_value=0)


def _islands(mask: np.ndarray, far: np.ndarray, min_size: int) -> int:
    """Pieces of at least ``min_size`` voxels lying mostly in ``far`` (away from the reference)."""
    labels, count = ndi.label(mask, structure=np.ones((3,) * mask.ndim, dtype=bool))
    if count == 0:
        return 0
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    far_sizes = np.bincount(labels[far & mask], minlength=count + 1)
    return int(np.count_nonzero((sizes[1:] >= min_size) & (far_sizes[1:] * 2 > sizes[1:])))


def _cavities(mask: np.ndarray, min_size: int) -> int:
    cavities = ndi.binary_fill_holes(mask) & ~mask
    if not cavities.any():
        return 0
    labels, _ = ndi.label(cavities)
    return int(np.count_nonzero(np.bincount(labels.ravel())[1:] >= min_size))


def _emptied(candidate: np.ndarray, reference: np.ndarray) -> int:
    """Slices (any axis) inside the candidate's own extent that the reference fills and it leaves empty."""
    count = 0
    for axis in range(reference.ndim):
        other = tuple(a for a in range(reference.ndim) if a != axis)
        ref_filled = reference.any(axis=other)
        cand_filled = candidate.any(axis=other)
        hit = np.flatnonzero(cand_filled)
        if hit.size == 0:
            return int(np.count_nonzero(ref_filled))
        inside = np.zeros_like(ref_filled)
        inside[hit[0] : hit[-1] + 1] = True
        count += int(np.count_nonzero(ref_filled & ~cand_filled & inside))
    return count


def _box(mask: np.ndarray, margin: int) -> tuple[slice, ...]:
    out = []
    for axis in range(mask.ndim):
        other = tuple(a for a in range(mask.ndim) if a != axis)
        hit = np.flatnonzero(mask.any(axis=other))
        out.append(slice(max(0, hit[0] - margin), min(mask.shape[axis], hit[-1] + 1 + margin)))
    return tuple(out)
