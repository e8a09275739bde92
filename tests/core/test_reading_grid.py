"""A scan finer than those the norms were measured on is read on the norms' grid: a CT on the
3 mm scan's, an MRI on the finest MNI152 variant's (1.5 mm)."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from scipy import ndimage as ndi

from napari_hcr.acceptability.sources import VARIANTS, make_source
from napari_hcr.blocks import block_sum, reading_stride
from napari_hcr.case import Case, make_case
from napari_hcr.findings import compare
from napari_hcr.knowledge import load_profile
from napari_hcr.measures import measure
from napari_hcr.scoring import CT_GRID_MM, MRI_GRID_MM, calibration, contributions, evidence, gap_slices, reading_grid
from napari_hcr.verdict import Location

RESOLUTION_CHECK = Path(__file__).resolve().parents[2] / "benchmarks" / "acceptability" / "resolution_check.py"


def scene(shift: int = 0, seed: int = 0) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A 60 HU organ in -100 HU fat inside a 40 HU body, drawn at 1.5 mm, and the 3 mm scan of
    the same dose (its 2x2x2 block means): noise 10 HU at 3 mm is 28 HU at 1.5 mm. The fine
    mask is moved ``shift`` voxels along the last axis."""
    z, y, x = np.mgrid[:64, :96, :96] * 1.5 + 0.75
    organ = ((z - 48) / 30) ** 2 + ((y - 72) / 45) ** 2 + ((x - 70) / 40) ** 2 <= 1
    body = ((y - 72) / 68) ** 2 + ((x - 72) / 68) ** 2 <= 1
    clean = np.where(organ, 60.0, np.where(body, -100.0, -1000.0)).astype(np.float32)
    rng = np.random.default_rng(seed)
    fine = clean + rng.normal(0, 28.3, clean.shape).astype(np.float32)
    coarse = block_sum(clean, (2, 2, 2), np.float32) / 8 + rng.normal(0, 10, (32, 48, 48)).astype(np.float32)
    coarse_mask = block_sum(organ.astype(np.uint8), (2, 2, 2), np.int32) >= 4
    fine_mask = np.roll(organ, shift, axis=2)
    return (fine, fine_mask.astype(np.uint8)), (coarse, coarse_mask.astype(np.uint8))


@pytest.mark.parametrize(
    ("spacing", "grid", "stride"),
    [
        ((3.0, 3.0, 3.0), CT_GRID_MM, (1, 1, 1)),
        ((1.5, 1.5, 1.5), CT_GRID_MM, (2, 2, 2)),
        ((0.8, 0.8, 0.8), CT_GRID_MM, (3, 3, 3)),  # 2.4 mm: never coarser than the norms' grid
        ((2.0, 2.0, 2.0), CT_GRID_MM, (1, 1, 1)),
        ((5.0, 0.7, 0.7), CT_GRID_MM, (1, 4, 4)),  # thick slices keep their thickness
        ((1.5, 1.5, 1.5), None, (1, 1, 1)),
    ],
)
def test_a_block_is_as_near_the_norms_grid_as_whole_voxels_allow_without_exceeding_it(
    spacing: tuple[float, ...], grid: float | None, stride: tuple[int, ...]
) -> None:
    assert reading_stride(spacing, grid) == stride


def test_the_grid_is_the_3_mm_scan_s_for_every_ct_kind_and_1_5_mm_for_mri_but_lesions() -> None:
    assert reading_grid(load_profile("liver", "CT"), 3) == CT_GRID_MM
    assert reading_grid(load_profile("femur_left", "CT"), 3) == CT_GRID_MM
    assert reading_grid(load_profile("lung_nodule", "CT"), 3) is None  # measured on 0.6 mm chest CTs
    assert reading_grid(load_profile("grey_matter", "MRI-T1"), 3) == MRI_GRID_MM
    assert reading_grid(load_profile("liver", "MRI"), 3) == MRI_GRID_MM
    assert reading_grid(load_profile("brain_tumour", "MRI"), 3) is None
    assert reading_grid(load_profile("nucleus", "microscopy"), 2) is None


def test_a_correct_mask_on_a_finer_noisier_ct_reads_as_on_the_3_mm_scan_of_the_same_dose() -> None:
    (fine, fine_mask), (coarse, coarse_mask) = scene()
    profile = load_profile("liver", "CT")
    at_3mm = evidence(
        measure(make_case(coarse, coarse_mask, spacing=(3.0,) * 3, structure="liver", modality="CT")), profile
    )
    case = make_case(fine, fine_mask, spacing=(1.5,) * 3, structure="liver", modality="CT")
    in_blocks = evidence(measure(case, profile.hu, reading_grid(profile, 3)), profile)
    in_voxels = evidence(measure(case, profile.hu), profile)
    # Voxel by voxel, the finer scan's noise reads as an organ of mixed tissue and its sharper
    # partial volume as a boundary all on edges; in blocks both are what the 3 mm scan shows.
    assert in_voxels["inside_spread"] > 2 * at_3mm["inside_spread"]
    assert in_blocks["inside_spread"] == pytest.approx(at_3mm["inside_spread"], rel=0.2)
    assert abs(in_voxels["edge_deficit"] - at_3mm["edge_deficit"]) > 0.2
    assert in_blocks["edge_deficit"] == pytest.approx(at_3mm["edge_deficit"], abs=0.1)


def test_findings_read_in_blocks_are_located_on_the_scan_s_own_voxels() -> None:
    (fine, shifted), _ = scene(shift=10)
    profile = load_profile("liver", "CT")
    case = make_case(fine, shifted, spacing=(1.5,) * 3, structure="liver", modality="CT")
    blocks = measure(case, profile.hu, reading_grid(profile, 3))
    voxels = measure(case, profile.hu)
    found = [m.foreign.where.point for m in (blocks, voxels) if m.foreign is not None and m.foreign.where is not None]
    assert len(found) == 2 and found[0] is not None and found[1] is not None
    # The crescent of fat the mask moved into, where voxel by voxel finds it (a block is 2 voxels).
    assert np.allclose(found[0], found[1], atol=1.5)
    assert found[1][2] > 60


def test_a_gap_counts_as_the_share_of_a_norms_slice_it_is() -> None:
    (fine, mask), _ = scene()
    mask[30:32] = 0  # two 1.5 mm slices: one slice of the 3 mm scan
    m = measure(make_case(fine, mask, spacing=(1.5,) * 3, structure="liver", modality="CT"))
    assert [g.axis for g in m.gaps] == [0, 0] and all(isinstance(g, Location) for g in m.gaps)
    assert gap_slices(m, None) == 2
    assert gap_slices(m, CT_GRID_MM) == pytest.approx(1.0)


def test_a_volume_without_a_voxel_size_is_read_on_its_own_voxels() -> None:
    (fine, mask), _ = scene()
    profile = load_profile("liver", "CT")
    case = make_case(fine, mask, structure="liver", modality="CT")
    assert not case.spacing_known
    assert measure(case, profile.hu, CT_GRID_MM).inside_spread == measure(case, profile.hu).inside_spread


def test_a_boundary_depth_read_in_blocks_is_said_in_millimetres() -> None:
    (fine, mask), _ = scene()
    grown = ndi.binary_dilation(mask, iterations=4).astype(np.uint8)  # 6 mm out into the fat
    profile = load_profile("liver", "CT")
    case = make_case(fine, grown, spacing=(1.5,) * 3, structure="liver", modality="CT")
    m = measure(case, profile.hu, reading_grid(profile, 3))
    assert m.refinement is not None and m.refinement.depth_unit_mm == pytest.approx(3.0)
    voxels = measure(case, profile.hu).refinement
    assert voxels is not None and voxels.depth_unit_mm is None
    # No whole number of 2 mm voxels fits 3 mm better than one, but depths still count 3 mm.
    two = measure(replace(case, spacing=(2.0,) * 3), profile.hu, reading_grid(profile, 3)).refinement
    assert two is not None and two.depth_unit_mm == pytest.approx(3.0)
    over = [f for f in compare(m, profile) if f.kind == "over_segmentation"]
    assert len(over) == 1
    said = float(over[0].detail.split("on average ")[1].split(" mm")[0])
    assert 3.0 < said < 7.5


@pytest.fixture(scope="module")
def resolution_check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("resolution_check", RESOLUTION_CHECK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up while being made
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_correct_masks_of_the_real_ct_redrawn_at_1_5_mm_pass_read_in_blocks(resolution_check: ModuleType) -> None:
    """The structures that a voxel-by-voxel reading of the finer scan rejected (its noise as mixed
    tissue and fat, its partial volume as a boundary off the edges, docs/benchmark.md)."""
    from napari_hcr.acceptability.scans import load_scan

    scan = load_scan("ts-ct")
    drawn = resolution_check.redraw(scan, (1.5, 1.5, 1.5))
    by_name = {name: value for value, name in scan.names.items()}
    names = ("liver", "stomach", "urinary_bladder", "gluteus_maximus_left", "autochthon_right")
    first = make_case(
        drawn.image,
        drawn.labels,
        label=by_name["liver"],
        spacing=drawn.spacing,
        structure="liver",
        modality="CT",
        names=scan.names,
    )
    verdicts = {name: resolution_check.judge(first.relabelled(by_name[name], name), True)[0] for name in names}
    assert all(verdicts.values()), verdicts
    in_voxels = {name: resolution_check.judge(first.relabelled(by_name[name], name), False)[0] for name in names}
    assert not any(in_voxels.values()), in_voxels


def test_a_thin_bone_read_in_blocks_is_outlined_as_the_3_mm_scan_draws_it() -> None:
    """A rib-like rod 5 mm thick, curved and tilted: its blocks are mostly part-filled, and an
    outline through their fractions would shrink it to a few beads; each block in or out is
    what a mask drawn at 3 mm is."""
    z, y, x = np.mgrid[:64, :96, :96] * 1.5 + 0.75
    rod = (np.hypot(y - 72, x - 72) - 50) ** 2 + (z - 48 - 0.3 * (x - 72)) ** 2 <= 2.5**2
    rod &= y < 72
    image = np.where(rod, 600.0, 40.0).astype(np.float32) + np.random.default_rng(0).normal(0, 20, rod.shape)
    image = image.astype(np.float32)
    profile = load_profile("rib_left_9", "CT")
    fine = measure(make_case(image, rod.astype(np.uint8), spacing=(1.5,) * 3, structure="rib_left_9", modality="CT"))
    blocks = measure(
        make_case(image, rod.astype(np.uint8), spacing=(1.5,) * 3, structure="rib_left_9", modality="CT"),
        profile.hu,
        reading_grid(profile, 3),
    )
    drawn = (block_sum(rod.astype(np.uint8), (2, 2, 2), np.int32) >= 4).astype(np.uint8)
    coarse = block_sum(image, (2, 2, 2), np.float32) / 8
    scan_3mm = make_case(coarse, drawn, spacing=(3.0,) * 3, structure="rib_left_9", modality="CT")
    at_3mm = measure(scan_3mm, profile.hu, reading_grid(profile, 3))
    assert blocks.compactness == pytest.approx(at_3mm.compactness, abs=0.1)
    assert blocks.roughness == pytest.approx(at_3mm.roughness, abs=0.02)
    assert fine.voxels == blocks.voxels  # the size stays exact


def _logit(case: Case, grid: float | None) -> float:
    """Log-odds of acceptable from the evidence read on ``grid`` (None: the scan's own voxels)."""
    profile = load_profile(case.structure, case.modality)
    m = measure(case, None, grid)
    return calibration(profile, 3, m.peers).bias - sum(contributions(m, profile).values())


@pytest.mark.slow
@pytest.mark.parametrize("structure", ["white_matter", "grey_matter"])
def test_correct_brain_tissue_on_a_1_mm_mri_passes_read_on_the_mri_grid(structure: str) -> None:
    # Dev variant v01 (2 mm) redrawn at 1 mm, finer than any variant the MRI norms know.
    source = make_source(replace(VARIANTS[0], id="v01-1mm", spacing=(1.0, 1.0, 1.0)))
    labels = source.references[structure].astype(np.uint8)
    case = make_case(source.image, labels, label=1, spacing=source.spacing, structure=structure, modality="MRI-T1")
    on_grid = _logit(case, reading_grid(load_profile(structure, "MRI-T1"), 3))
    assert on_grid > 1.5
    # Voxel by voxel, a 1 mm voxel's partial volume and noise read as a boundary moved further.
    assert _logit(case, None) < on_grid
