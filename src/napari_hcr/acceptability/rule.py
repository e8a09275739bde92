"""The acceptability rule: overlap, surface distance and topology against the reference.

Tolerance ``tau`` is one voxel, taken as the mean voxel spacing in mm: no rater places a
boundary more finely than the grid they draw on. The structure's size ``r`` is the
equivalent radius (mm) of its typical component (its volume shared among the components of
at least a tenth of the largest; one component: the whole reference). With ``C`` the
candidate and ``R`` the reference:

* overlap: Dice(C, R);
* surface distance: HD95, the 95th percentile of the symmetric boundary-to-boundary
  distances (mm);
* gross error: voxels of C farther than 2 tau from R, plus voxels of R farther than 2 tau
  from C, as a share of R (``gross``) and the volume of their largest connected region
  (``gross_blob``), in mL and as a share of R: a local leak or a missing part that a global
  figure would dilute;
* topology: new islands (pieces of C of at least ``min_piece`` lying mostly more than
  2 tau from R), new enclosed cavities of at least ``min_piece`` in a structure whose
  reference has none (a solid structure must stay solid), and slices inside C's extent
  that R fills but C leaves empty. ``min_piece`` is 0.05 mL, or 2 % of the typical
  component when that is smaller (a nucleus), and never under 2 voxels.

Dice scales with size: a one-voxel boundary move costs a structure of radius r about
1.5 tau / r of Dice, so the bars are ``dice_ok = max(0.75, min(0.90, 1 - 1.5 tau / r))``
and ``dice_fail = max(0.60, min(0.80, 1 - 3 tau / r))`` (0.90 and 0.80 for anything of
r >= 15 tau, e.g. every MNI152 structure; a 4-voxel-radius nodule passes at 0.75 and fails
under 0.60). Distances are in voxels, shares of R are size-free.

The connected gross error's bars are shares of R with a floor in mL that never exceeds
0.5 % of R: ``blob_ok = max(0.15% R, min(0.25 mL, 0.5% R))`` and ``blob_fail = max(0.25% R,
min(1 mL, 0.5% R))`` (for R >= 400 mL, every MNI152 structure, the earlier max(0.25 mL,
0.15% R) and max(1 mL, 0.25% R)).

A candidate is **acceptable** when Dice >= dice_ok, HD95 <= 2 tau, gross <= 0.5%,
gross_blob <= blob_ok and its topology is unchanged; **unacceptable** when Dice <
dice_fail, or HD95 > 4 tau, or gross >= 2%, or gross_blob >= blob_fail, or its topology
changed; anything between is the **grey zone** and is left out of the
benchmark. In 2-D images "mL" reads as 1000 square pixels (or mm^2).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage as ndi

ACCEPT = {"dice": 0.90, "hd95_tau": 2.0, "gross": 0.005, "gross_blob_ml": 0.25, "gross_blob": 0.0015}
REJECT = {"dice": 0.80, "hd95_tau": 4.0, "gross": 0.02, "gross_blob_ml": 1.0, "gross_blob": 0.0025}
DICE_FLOOR = {"ok": 0.75, "fail": 0.60}
BLOB_FLOOR_SHARE = 0.005
MIN_PIECE_ML = 0.05
MIN_PIECE_SHARE = 0.02

RULE_TEXT = (
    "tau = one voxel (mean spacing, mm); r = equivalent radius of the reference's typical component; "
    "gross error = voxels more than 2 tau from the other mask; dice_ok = max(0.75, min(0.90, 1 - 1.5 tau/r)), "
    "dice_fail = max(0.60, min(0.80, 1 - 3 tau/r)) (Dice >= 0.90 and Dice < 0.80 for r >= 15 tau). "
    "ACCEPTABLE: Dice >= dice_ok, HD95 <= 2 tau, gross error <= 0.5% of the reference, largest "
    "connected gross error <= max(0.15% of the reference, min(0.25 mL, 0.5% of it)), topology unchanged. "
    "UNACCEPTABLE: Dice < dice_fail, or HD95 > 4 tau, or gross error >= 2%, or a connected gross error "
    ">= max(0.25% of the reference, min(1 mL, 0.5% of it)), or topology changed (a new island >= min_piece more than "
    "2 tau from the reference, a new enclosed cavity >= min_piece in a solid reference, or a slice "
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
    scale_mm: float = float("inf")

    @property
    def topology_changed(self) -> bool:
        return self.new_pieces > 0 or self.new_cavities > 0 or self.emptied_slices > 0

    def to_dict(self) -> dict[str, float | int]:
        return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def dice_bars(tau_mm: float, scale_mm: float) -> tuple[float, float]:
    """(dice_ok, dice_fail) for a structure of equivalent radius ``scale_mm`` on a grid of ``tau_mm``."""
    ratio = tau_mm / scale_mm if scale_mm > 0 else float("inf")
    ok = max(DICE_FLOOR["ok"], min(ACCEPT["dice"], 1.0 - 1.5 * ratio))
    fail = max(DICE_FLOOR["fail"], min(REJECT["dice"], 1.0 - 3.0 * ratio))
    return ok, fail


def blob_bars(reference_ml: float) -> tuple[float, float]:
    """(fail, ok) bars in mL for the largest connected gross error of a reference of ``reference_ml``.

    A share of the reference, with a floor in mL for large structures that never exceeds
    0.5 % of the reference (so a small structure is not judged by a large one's floor).
    """
    floor = BLOB_FLOOR_SHARE * reference_ml
    fail = max(REJECT["gross_blob"] * reference_ml, min(REJECT["gross_blob_ml"], floor))
    ok = max(ACCEPT["gross_blob"] * reference_ml, min(ACCEPT["gross_blob_ml"], floor))
    return fail, ok


def label(a: Agreement) -> str:
    """'acceptable', 'unacceptable' or 'grey' by the rule in the module docstring."""
    hd = a.hd95_mm / a.tau_mm
    dice_ok, dice_fail = dice_bars(a.tau_mm, a.scale_mm)
    blob_reject, blob_accept = blob_bars(a.reference_ml)
    if (
        a.dice < dice_fail
        or hd > REJECT["hd95_tau"]
        or a.gross >= REJECT["gross"]
        or a.gross_blob_ml >= blob_reject
        or a.topology_changed
    ):
        return "unacceptable"
    if a.dice >= dice_ok and hd <= ACCEPT["hd95_tau"] and a.gross <= ACCEPT["gross"] and a.gross_blob_ml <= blob_accept:
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
    n_ref = max(1, int(np.count_nonzero(r)))
    blob = 0
    if gross.any():
        labels, _ = ndi.label(gross, structure=np.ones((3,) * gross.ndim, dtype=bool))
        blob = int(np.bincount(labels.ravel())[1:].max())
    scale, typical = structure_scale(reference, spacing)
    min_piece = max(2, round(min(MIN_PIECE_ML / voxel_ml, MIN_PIECE_SHARE * typical)))
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
        scale_mm=scale,
    )


def structure_scale(reference: np.ndarray, spacing: tuple[float, ...]) -> tuple[float, float]:
    """(equivalent radius in mm, voxels) of the reference's typical component.

    The volume is shared among the components of at least a tenth of the largest, so a
    mask of a hundred nuclei is sized by a nucleus and a liver with a stray voxel by the liver.
    """
    labels, count = ndi.label(reference, structure=np.ones((3,) * reference.ndim, dtype=bool))
    if count == 0:
        return 0.0, 0.0
    sizes = np.bincount(labels.ravel())[1:]
    kept = sizes[sizes >= 0.1 * sizes.max()]
    typical = float(kept.sum()) / len(kept)
    volume = typical * float(np.prod(spacing))
    if reference.ndim == 2:
        return float(np.sqrt(volume / np.pi)), typical
    return float((3.0 * volume / (4.0 * np.pi)) ** (1.0 / 3.0)), typical


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
