"""A kind of structure the calibration never saw, judged against the other labels of its
structure in the same label map: the nuclei of one image."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

import napari_hcr.peers as peers_module
from napari_hcr.backends import make_backend
from napari_hcr.case import make_case
from napari_hcr.knowledge import load_profile
from napari_hcr.peers import PEERS_MAX, Peers, spread_choice
from napari_hcr.reasoner import Done, assess
from napari_hcr.runs import RunRequest, run_events
from napari_hcr.scoring import PEERS, PEERS_MIN, UNSEEN, calibration, load_params
from synthetic import nuclei_field

IMAGE, LABELS = nuclei_field()
NAMES = {v: "nucleus" for v in range(1, int(LABELS.max()) + 1)}


def _judge(labels: np.ndarray, label: int, names: dict[int, str] | None = NAMES):
    case = make_case(IMAGE, labels, label=label, structure="nucleus", modality="Microscopy", names=names)
    return assess(case, make_backend("offline"))


def _moved(label: int) -> np.ndarray:
    out = LABELS.copy()
    own = label == LABELS
    out[own] = 0
    out[np.roll(own, 4, axis=1) & (out == 0)] = label
    return out


def _halved(label: int) -> np.ndarray:
    out = LABELS.copy()
    own = label == LABELS
    columns = np.nonzero(own)[1]
    out[own & (np.arange(LABELS.shape[1])[None, :] > columns.mean())] = 0
    return out


def _dilated(label: int) -> np.ndarray:
    out = LABELS.copy()
    out[ndi.binary_dilation(label == LABELS, iterations=4) & (LABELS == 0)] = label
    return out


@pytest.mark.parametrize("label", [8, 15, 22])
def test_a_nucleus_like_the_others_of_its_image_is_acceptable(label: int) -> None:
    a = _judge(LABELS, label)
    assert a.verdict == "acceptable"
    assert a.measures["peers"]["available"] == len(NAMES) - 1 and len(a.measures["peers"]["labels"]) == PEERS_MAX
    synthesis = a.stages[-1].text
    assert f"weighed against {PEERS_MAX} other cell nucleus labels of its label map, taken as correct" in synthesis
    assert "a fault they all share would not stand out" in synthesis


@pytest.mark.parametrize("altered", [_moved, _halved, _dilated], ids=["shifted", "half missing", "grown 4 px"])
def test_a_nucleus_unlike_the_others_of_its_image_is_unacceptable(altered) -> None:
    assert _judge(altered(15), 15).verdict == "unacceptable"


def test_without_a_label_table_a_nucleus_is_weighed_against_the_pooled_norms() -> None:
    # Nothing says the other labels are nuclei: no peers, and the text says what it was weighed against.
    a = _judge(_moved(15), 15, names=None)
    assert a.measures["peers"] is None
    assert "all the correct masks it knows" in a.stages[-1].text


def test_labels_of_unknown_names_are_no_ones_peers() -> None:
    # Names the knowledge base does not know all fall to the generic profile; they may differ.
    names = {v: ("mitochondrion" if v % 2 else "vacuole") for v in NAMES}
    case = make_case(IMAGE, LABELS, label=15, structure="mitochondrion", modality="Microscopy", names=names)
    assert assess(case, make_backend("offline")).measures["peers"] is None


def test_peers_never_replace_the_norms_of_a_kind_the_calibration_saw() -> None:
    figures = tuple({"roughness": 0.0} for _ in range(PEERS_MIN))
    sizes = (100.0,) * PEERS_MIN
    some = Peers(tuple(range(2, 2 + PEERS_MIN)), PEERS_MIN, figures, sizes)
    liver = calibration(load_profile("liver", "CT"), 3, some)
    assert liver.seen and liver.peers == 0
    nucleus = calibration(load_profile("nucleus", "Microscopy"), 2, some)
    assert not nucleus.seen and nucleus.peers == PEERS_MIN
    too_few = Peers(some.labels[1:], PEERS_MIN - 1, figures[1:], sizes[1:])
    assert calibration(load_profile("nucleus", "Microscopy"), 2, too_few).peers == 0


def test_the_fitted_parameters_carry_what_peers_need() -> None:
    # The pooled model holds the operating point the fit measured for peers, and every model
    # the floors and centre its norms were computed with, so peers' norms are computed alike.
    families = load_params()["families"]
    assert PEERS in families["generic"]["bias"]
    assert families["generic"]["bias"][PEERS] < families["generic"]["bias"][UNSEEN]
    for model in families.values():
        assert model["floor"] > 0 and 0 < model["centre_percentile"] < 100


def test_peers_are_spread_over_the_map_without_the_judged_label() -> None:
    labels = tuple(range(1, 101))
    chosen = spread_choice(labels, 50)
    assert len(chosen) == PEERS_MAX and 50 not in chosen
    assert chosen[0] == 1 and chosen[-1] >= 90  # from one end of the map to the other
    assert spread_choice(labels, 50) == chosen
    # Labels of one map share all but one of their peers, so a run measures each peer once.
    assert len(set(spread_choice(labels, 3)) & set(chosen)) >= PEERS_MAX - 1
    assert spread_choice((4, 5, 6), 5) == (4, 6)


def test_a_run_over_every_label_measures_each_peer_once(monkeypatch) -> None:
    peers_module._cache.clear()
    measured: list[int] = []
    real = peers_module.measure

    def counting(case, attenuation=None, grid_mm=None):
        measured.append(case.label)
        return real(case, attenuation, grid_mm)

    monkeypatch.setattr(peers_module, "measure", counting)
    request = RunRequest(image=IMAGE, mask=LABELS, labels="all", structure="nucleus", modality="Microscopy")
    done = [e for e in run_events(request) if isinstance(e, Done)]
    assert len(done) == len(NAMES)
    # An unnamed map judged as one known structure: every label is a peer of the others.
    assert all(d.assessment.measures["peers"] is not None for d in done)
    assert len(measured) == len(set(measured)) <= PEERS_MAX + 1


def test_an_unnamed_map_judged_as_the_generic_structure_has_no_peers() -> None:
    request = RunRequest(image=IMAGE, mask=LABELS, labels=(15, 22), structure="generic", modality="Microscopy")
    done = [e for e in run_events(request) if isinstance(e, Done)]
    assert [d.assessment.measures["peers"] for d in done] == [None, None]


def _volume_findings(assessment) -> list[tuple[str, str, str]]:
    return [(f.kind, f.severity, f.detail) for f in assessment.stages[2].findings if f.kind.startswith("volume")]


def test_a_fragment_far_smaller_than_every_peer_is_not_a_whole_nucleus() -> None:
    labels = LABELS.copy()
    labels[120:122, 120:122] = 99  # four pixels of debris labelled as one more nucleus
    names = {**NAMES, 99: "nucleus"}
    a = _judge(labels, 99, names)
    assert a.verdict == "unacceptable"
    [(kind, severity, detail)] = _volume_findings(a)
    assert (kind, severity) == ("volume_low", "major")
    assert detail.startswith("area 4 px, under 1/2 of the smallest of the 16 other cell nucleus labels measured")


def test_a_mask_holding_several_nuclei_is_more_than_one() -> None:
    labels = LABELS.copy()
    merged = np.isin(LABELS, (14, 15, 16, 20, 21))
    labels[ndi.binary_closing(merged, iterations=6)] = 15
    a = _judge(labels, 15, {v: "nucleus" for v in np.unique(labels) if v})
    assert a.verdict == "unacceptable"
    [(kind, severity, detail)] = _volume_findings(a)
    assert (kind, severity) == ("volume_high", "major")
    assert "over 2 times the largest of the 16 other cell nucleus labels measured" in detail


def test_a_nucleus_of_ordinary_size_is_said_to_be_so_and_a_cut_one_is_not_a_fragment() -> None:
    [(kind, _, detail)] = _volume_findings(_judge(LABELS, 15))
    assert kind == "volume_ok" and "within 2 times the sizes of the 16 other cell nucleus labels" in detail
    # A sliver at the image's edge is a nucleus the field of view cuts, not a fragment.
    labels = LABELS.copy()
    assert not labels[40:44, 0:1].any()
    labels[40:44, 0:1] = 99
    [(kind, _, _)] = _volume_findings(_judge(labels, 99, {**NAMES, 99: "nucleus"}))
    assert kind == "volume_ok"
