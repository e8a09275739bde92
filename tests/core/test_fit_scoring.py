"""The scoring fit's operating points: a margin per kind of structure only where the kind has
enough held-out correct references to measure it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "acceptability" / "fit_scoring.py"


@pytest.fixture(scope="module")
def fit_scoring() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fit_scoring", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _records(fit_scoring: ModuleType) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Held-out log-odds of correct references: organs that pass easily, ribs that barely do,
    and two glands (too few for a margin of their own), all on CT."""
    many = fit_scoring.KIND_MIN
    organs = np.linspace(2.0, 4.0, many)
    bones = np.linspace(-2.0, 3.0, many)
    glands = np.array([-6.0, 1.0])
    held = np.concatenate([organs, bones, glands])
    kinds = np.array(["CT:organ"] * many + ["CT:bone"] * many + ["CT:gland"] * 2)
    families = np.full(len(held), "CT")
    correct = np.ones(len(held), dtype=bool)
    return held, correct, families, kinds


def test_a_kind_with_enough_correct_references_gets_its_own_margin(fit_scoring: ModuleType) -> None:
    held, correct, families, kinds = _records(fit_scoring)
    shifts = fit_scoring.operating_shifts(held, correct, families, kinds)
    assert shifts["CT:organ"] == pytest.approx(fit_scoring.safety_shift(held[kinds == "CT:organ"]))
    assert shifts["CT:bone"] == pytest.approx(fit_scoring.safety_shift(held[kinds == "CT:bone"]))
    # The organs pass without moving the operating point as far as the ribs need.
    assert shifts["CT:organ"] < shifts["CT:bone"]
    # The family's margin is measured over every correct reference, the gland's -6 included.
    assert shifts["CT"] == pytest.approx(fit_scoring.safety_shift(held))
    assert shifts["CT"] > shifts["CT:bone"]


def test_a_kind_with_few_correct_references_takes_its_familys_margin(fit_scoring: ModuleType) -> None:
    held, correct, families, kinds = _records(fit_scoring)
    shifts = fit_scoring.operating_shifts(held, correct, families, kinds)
    assert "CT:gland" not in shifts
    assert fit_scoring.shift_of("CT:gland", "CT", shifts) == shifts["CT"]
    assert fit_scoring.shift_of("CT:organ", "CT", shifts) == shifts["CT:organ"]
    assert fit_scoring.shift_of("", "MRI", shifts) == shifts["generic"]


def test_held_out_correct_references_pass_at_their_kinds_operating_point(fit_scoring: ModuleType) -> None:
    held, correct, families, kinds = _records(fit_scoring)
    y = np.ones(len(held))
    _, balanced, kept = fit_scoring.cross_validate(held, y, correct, families, kinds)
    # All but KEEP_MISS of each kind's correct references pass (here: all but the worst gland).
    assert kept >= 1.0 - 1.0 / len(held)
    one_per_family = np.full(len(kinds), "")
    _, _, kept_family = fit_scoring.cross_validate(held, y, correct, families, one_per_family)
    assert kept_family >= kept


def _cohort(fit_scoring: ModuleType, informative: bool) -> dict[str, np.ndarray]:
    """Ten CT structures (five organs, five bones), twelve candidates each: acceptable ones with
    a few islands' worth of evidence or none, failures with much (``informative``) or the same."""
    rng = np.random.default_rng(0)
    rows, y, structures, kinds, correct = [], [], [], [], []
    for s in range(10):
        for i in range(12):
            ok = i % 2 == 0
            x = np.zeros(len(fit_scoring.FEATURES))
            bad = informative and not ok
            x[fit_scoring.FEATURES.index("island_share")] = rng.uniform(2, 4) if bad else rng.uniform(0, 0.2)
            rows.append(x)
            y.append(float(ok))
            structures.append(f"structure{s}")
            kinds.append("CT:organ" if s < 5 else "CT:bone")
            correct.append(ok and i < 4)
    return _arrays(rows, y, structures, ["ct"] * len(y), kinds, correct, "CT")


def _arrays(rows, y, structures, scans, kinds, correct, family: str) -> dict[str, np.ndarray]:
    """The arrays ``fit_scoring.records_arrays`` makes of benchmark records, for one family."""
    return {
        "x": np.asarray(rows),
        "y": np.asarray(y),
        "structures": np.asarray(structures),
        "scans": np.asarray(scans),
        "families": np.full(len(y), family),
        "kinds": np.asarray(kinds),
        "correct": np.asarray(correct),
    }


@pytest.mark.parametrize("informative", [True, False])
def test_the_nested_estimate_scores_held_out_structures_only_by_what_the_evidence_says(
    fit_scoring: ModuleType, informative: bool
) -> None:
    a = _cohort(fit_scoring, informative)
    keys = fit_scoring.norm_keys(a["structures"], a["kinds"], a["families"], a["y"])
    fold = fit_scoring.folds(a["structures"], a["scans"], keys, a["families"])
    nested = fit_scoring.nested_estimate(a, keys, fold, fit_scoring.GRID[0])
    if informative:
        assert nested.family == nested.kind == nested.kept == 1.0
    else:  # evidence that says nothing: no better than a coin on structures it was not fitted on
        assert nested.family <= 0.6 and nested.kind <= 0.6


def test_lone_masks_are_scored_by_the_fit_that_held_their_structure_out_and_never_fitted_on(
    fit_scoring: ModuleType,
) -> None:
    """The same candidates judged alone, with the evidence a label map gave them gone (here the
    failures' islands halved): each takes its label-map twin's norm set and fold, its log-odds
    come from the fit that held its structure out, and the fit itself does not change."""
    a = _cohort(fit_scoring, informative=True)
    keys = fit_scoring.norm_keys(a["structures"], a["kinds"], a["families"], a["y"])
    fold = fit_scoring.folds(a["structures"], a["scans"], keys, a["families"])
    alone = {**a, "x": a["x"] * 0.5}
    lone = fit_scoring.Lone(alone, keys, fold)
    config = fit_scoring.GRID[0]
    with_lone = fit_scoring.nested_estimate(a, keys, fold, config, lone)
    without = fit_scoring.nested_estimate(a, keys, fold, config)
    assert np.array_equal(with_lone.decision, without.decision) and len(without.lone) == 0
    assert len(with_lone.lone) == len(a["y"])
    # Weaker evidence against the failures: their lone log-odds sit nearer "acceptable".
    failed = a["y"] < 0.5
    assert np.all(with_lone.lone[failed] > with_lone.decision[failed])
    one = lone.only(a["structures"] == "structure3")
    assert set(one.fold) == {fold[a["structures"] == "structure3"][0]} and len(one.keys) == 12


def test_lone_masks_get_the_margin_their_held_out_correct_masks_need_per_kind(fit_scoring: ModuleType) -> None:
    """Alone, a correct organ mask carries evidence its label map kept it from (a refinement
    grown into a neighbour of like tissue), here an island's worth; bones alone do not. The
    organs' operating point moves further for lone masks, so held out their correct ones pass
    as in the label map, and the bones' does not move."""
    a = _cohort(fit_scoring, informative=True)
    keys = fit_scoring.norm_keys(a["structures"], a["kinds"], a["families"], a["y"])
    fold = fit_scoring.folds(a["structures"], a["scans"], keys, a["families"])
    x = a["x"].copy()
    organ_ok = (a["kinds"] == "CT:organ") & (a["y"] > 0.5)
    x[organ_ok, fit_scoring.FEATURES.index("island_share")] += 1.5
    lone = fit_scoring.Lone({**a, "x": x}, keys, fold)
    config = fit_scoring.GRID[0]
    models = fit_scoring.fold_models(a["x"], a["y"], keys, a["correct"], fold, config)
    held = fit_scoring.score_held_out(models, a["x"], keys, fold, config[3])
    shifts, _, _ = fit_scoring.cross_validate(held, a["y"], a["correct"], a["families"], a["kinds"])
    held_lone = fit_scoring.score_held_out(models, x, keys, fold, config[3])
    further = fit_scoring.lone_margins(held_lone, lone, shifts)
    assert further["CT:organ"] > 0.5 and further["CT:bone"] == 0.0
    moved = held_lone + fit_scoring.lone_moves(lone, shifts, further)
    in_label_map = held_lone + fit_scoring.margins(shifts, a["kinds"], a["families"])
    assert np.all(moved[a["correct"]] >= 0.0)  # every lone correct mask passes ...
    assert not np.all(in_label_map[organ_ok & a["correct"]] >= 0.0)  # ... which the label-map margins did not let
    nested = fit_scoring.nested_estimate(a, keys, fold, config, lone)
    assert nested.lone_kept >= 0.9


def _two_kinds_on_several_scans(fit_scoring: ModuleType, scans: int) -> dict[str, np.ndarray]:
    """Two kinds whose correct masks sit at very different levels of one figure (roughness 0
    against 3) and whose failures sit one unit above their own kind's level: against the other
    kind's norms a correct mask looks failed, against its own structure's it does not."""
    rng = np.random.default_rng(1)
    rows, y, structures, scan_ids, kinds, correct = [], [], [], [], [], []
    for s in range(4):
        level = 0.0 if s < 2 else 3.0
        for scan in range(scans):
            for i in range(12):
                ok = i % 2 == 0
                x = np.zeros(len(fit_scoring.FEATURES))
                x[fit_scoring.FEATURES.index("roughness")] = level + (
                    rng.uniform(1.0, 2.0) if not ok else rng.uniform(0, 0.1)
                )
                rows.append(x)
                y.append(float(ok))
                structures.append(f"structure{s}")
                scan_ids.append(f"scan{scan}")
                kinds.append("MRI:brain" if s < 2 else "MRI:lesion")
                correct.append(ok and i < 4)
    return _arrays(rows, y, structures, scan_ids, kinds, correct, "MRI")


def test_a_kind_judged_against_its_peers_needs_a_smaller_margin_and_is_told_apart(fit_scoring: ModuleType) -> None:
    a = _two_kinds_on_several_scans(fit_scoring, scans=4)
    keys = fit_scoring.norm_keys(a["structures"], a["kinds"], a["families"], a["y"])
    config = fit_scoring.GRID[0]
    peers = fit_scoring.peer_kind(a, keys, config)
    unseen = fit_scoring.unseen_kind(a["x"], a["y"], keys, a["kinds"], a["correct"], config)
    assert peers is not None and unseen is not None
    assert peers[1] >= 0.95 and unseen[1] <= 0.6  # against the other kind's norms: a coin
    assert peers[0] < unseen[0]


def test_no_peer_operating_point_without_a_structure_seen_on_several_scans(fit_scoring: ModuleType) -> None:
    # One scan: a structure's other acceptable masks there are variations of the same target, not peers.
    a = _two_kinds_on_several_scans(fit_scoring, scans=1)
    keys = fit_scoring.norm_keys(a["structures"], a["kinds"], a["families"], a["y"])
    assert fit_scoring.peer_kind(a, keys, fit_scoring.GRID[0]) is None


def test_log_odds_moved_by_a_margin_are_mapped_back_to_the_probability_they_stand_for(
    fit_scoring: ModuleType,
) -> None:
    """Records whose true log-odds are t, judged at an operating point moved 2 towards
    "acceptable": the map learns the shift back, the held-out confidence is closer to the share
    of verdicts right, and a mask passed just above the threshold is more likely flawed."""
    rng = np.random.default_rng(3)
    true_logit = rng.normal(0.0, 3.0, 600)
    y = (rng.random(600) < 1.0 / (1.0 + np.exp(-true_logit))).astype(float)
    fold = np.arange(600) % fit_scoring.FOLDS
    moved = fit_scoring.calibrate(true_logit + 2.0, y, fold)
    assert moved.adopted and moved.loss_after < moved.loss_before
    assert moved.error_after < moved.error_before
    assert moved.offset / moved.slope == pytest.approx(-2.0, abs=0.5)
    assert 1.0 / (1.0 + np.exp(-moved.offset)) < 0.5  # at the threshold: a doubtful pass


def test_log_odds_that_are_already_probabilities_keep_no_map_or_one_close_to_none(fit_scoring: ModuleType) -> None:
    left_out = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        logit = rng.normal(0.0, 3.0, 600)
        y = (rng.random(600) < 1.0 / (1.0 + np.exp(-logit))).astype(float)
        kept = fit_scoring.calibrate(logit, y, np.arange(600) % fit_scoring.FOLDS)
        assert kept.offset == pytest.approx(0.0, abs=0.3) and kept.slope == pytest.approx(1.0, abs=0.3)
        if not kept.adopted:
            assert (kept.slope, kept.offset) == (1.0, 0.0)
            left_out += 1
    assert left_out >= 3  # a map that does not predict held-out records better is left out


def test_a_lone_record_takes_the_norm_set_and_fold_of_its_twin_in_the_label_map(fit_scoring: ModuleType) -> None:
    def record(structure: str, truth: str) -> dict[str, object]:
        return {
            "structure": structure,
            "scan": "ts-ct",
            "modality": "CT",
            "ndim": 3,
            "family": "leak",
            "truth": truth,
            "evidence": {"island_share": 1.0},
        }

    rows = [record(s, t) for s in ("liver", "spleen", "femur_left") for t in ("acceptable", "unacceptable")]
    a = fit_scoring.records_arrays(rows)
    keys = np.asarray(["CT:organ", "CT:organ", "CT:organ", "CT:organ", "CT", "CT"])
    fold = np.asarray([0, 0, 1, 1, 2, 2])
    lone = fit_scoring.lone_masks([record("femur_left", "unacceptable"), record("liver", "acceptable")], a, keys, fold)
    assert lone.keys.tolist() == ["CT", "CT:organ"] and lone.fold.tolist() == [2, 0]
    assert lone.a["y"].tolist() == [0.0, 1.0]
