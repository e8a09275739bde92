"""Structure profiles: every file loads, its figures are coherent, names resolve, and the
brain / grey / white-matter ranges hold the real MNI152 masks shipped in nilearn."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from napari_hcr.knowledge import (
    GENERIC,
    Range,
    available_structures,
    canonical_structure,
    load_profile,
)

PROFILE_DIR = resources.files("napari_hcr.knowledge") / "profiles"
PROFILE_FILES = sorted(p.name for p in PROFILE_DIR.iterdir() if p.name.endswith(".json"))
RANGE_KEYS = ("volume_ml", "compactness", "intensity_contrast")
REQUIRED = {"brain", "white_matter", "grey_matter", "generic", "liver", "lung", "kidney", "spleen", "lung_field_xray"}


def _raw(name: str) -> dict:
    return json.loads((PROFILE_DIR / name).read_text(encoding="utf-8"))


def _cases() -> list[tuple[str, str]]:
    return [(name, modality) for name in PROFILE_FILES for modality in _raw(name)["modalities"]]


def test_required_profiles_exist() -> None:
    assert REQUIRED <= set(available_structures())
    assert available_structures()[-1] == GENERIC


@pytest.mark.parametrize(("name", "modality"), _cases())
def test_every_profile_loads_for_each_modality(name: str, modality: str) -> None:
    data = _raw(name)
    profile = load_profile(data["structure"], modality)
    assert profile.structure == data["structure"]
    assert profile.description and profile.display_name and profile.site and profile.intensity
    assert profile.failures, f"{name}/{modality} lists no failure modes"
    assert all(f.strip().endswith(".") for f in profile.failures)
    for key in RANGE_KEYS:
        value = getattr(profile, key)
        assert value is None or isinstance(value, Range)
        if value is not None:
            assert value.low < value.high, f"{name}/{modality}: {key} {value} is not ordered"
    if profile.volume_ml is not None:
        assert profile.volume_ml.low > 0
    if profile.compactness is not None:
        assert 0 < profile.compactness.low and profile.compactness.high <= 1
    for key, value in profile.extras.items():
        if key == "centroid_fraction":
            assert all(0 <= lo < hi <= 1 for lo, hi in value)
        elif isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
            assert value[0] < value[1], f"{name}/{modality}: {key} {value} is not ordered"
    if "inside_percentile" in profile.extras:
        lo, hi = profile.extras["inside_percentile"]
        assert 0 <= lo < hi <= 100


@pytest.mark.parametrize("name", PROFILE_FILES)
def test_every_profile_has_an_any_modality_and_descriptions_say_adult(name: str) -> None:
    data = _raw(name)
    assert "any" in data["modalities"]
    if data["structure"] != GENERIC:
        assert "adult" in data["description"].lower()


@pytest.mark.parametrize("name", PROFILE_FILES)
def test_aliases_are_normalised_and_unique(name: str) -> None:
    """canonical_structure lower-cases and turns spaces and hyphens into underscores before it
    compares, so an alias written any other way could never match."""
    mine = _raw(name)["aliases"]
    for alias in mine:
        assert alias == alias.strip().lower().replace("-", "_").replace(" ", "_")
        assert canonical_structure(alias) == _raw(name)["structure"]
    others = {a for other in PROFILE_FILES if other != name for a in _raw(other)["aliases"]}
    assert not set(mine) & others


def test_file_name_matches_structure() -> None:
    for name in PROFILE_FILES:
        assert name == f"{_raw(name)['structure']}.json"


@pytest.mark.parametrize(
    ("asked", "structure"),
    [
        ("Whole Brain", "brain"),
        ("brain mask", "brain"),
        ("brain-mask", "brain"),
        ("WM", "white_matter"),
        ("gm", "grey_matter"),
        ("gray matter", "grey_matter"),
        ("cortex", "grey_matter"),
        ("Lungs", "lung"),
        ("left kidney", "kidney"),
        ("lung fields", "lung_field_xray"),
        ("brain", "brain"),
    ],
)
def test_aliases_resolve(asked: str, structure: str) -> None:
    assert canonical_structure(asked) == structure
    assert load_profile(asked, "any").structure == structure


def test_unknown_structure_falls_back_to_generic() -> None:
    profile = load_profile("pancreatic duct of Wirsung", "CT")
    assert profile.structure == GENERIC
    assert profile.volume_ml is None and profile.compactness is None
    assert profile.failures


def test_modality_family_matching() -> None:
    t1 = load_profile("brain", "MRI-T1")
    assert load_profile("brain", "MRI-T1w").intensity == t1.intensity
    assert load_profile("brain", "mri-t1-mprage").intensity == t1.intensity
    assert load_profile("brain", "MRI-T2w").intensity == load_profile("brain", "MRI-T2").intensity
    assert load_profile("brain", "MRI-FLAIR").intensity == load_profile("brain", "MRI").intensity
    assert load_profile("brain", "PET").intensity == load_profile("brain", "any").intensity
    assert load_profile("liver", "MRI-T1w").intensity == load_profile("liver", "MRI").intensity
    assert load_profile("liver", "MRI-T1w").intensity != load_profile("liver", "CT").intensity


def test_intensity_expectations_point_the_right_way() -> None:
    """White matter is the bright tissue on T1 and the dark one on T2; lungs are dark on CT."""
    wm_t1, wm_t2 = load_profile("wm", "MRI-T1"), load_profile("wm", "MRI-T2")
    assert wm_t1.intensity_contrast.low > 0 and wm_t2.intensity_contrast.high < 0
    assert wm_t1.extras["inside_percentile"][0] > load_profile("gm", "MRI-T1").extras["inside_percentile"][0]
    assert load_profile("lung", "CT").intensity_contrast.high < 0
    assert load_profile("lung", "CT").paired and load_profile("lung", "CT").components == 2
    assert load_profile("lung_field_xray", "XR").volume_ml is None
    liver_lr = load_profile("liver", "CT").extras["centroid_fraction"][2]
    spleen_lr = load_profile("spleen", "CT").extras["centroid_fraction"][2]
    assert liver_lr[0] < spleen_lr[0] and liver_lr[1] < spleen_lr[1]  # liver on the patient's right


def _mask_ml(image: object) -> float:
    data = np.asarray(image.dataobj) > 0  # type: ignore[attr-defined]
    voxel_ml = abs(float(np.linalg.det(image.affine[:3, :3]))) / 1000.0  # type: ignore[attr-defined]
    return float(data.sum()) * voxel_ml


@pytest.mark.parametrize("resolution", [1, 2])
@pytest.mark.parametrize(
    ("structure", "loader"),
    [
        ("brain", "load_mni152_brain_mask"),
        ("grey_matter", "load_mni152_gm_mask"),
        ("white_matter", "load_mni152_wm_mask"),
    ],
)
def test_mni152_masks_fall_inside_their_volume_ranges(structure: str, loader: str, resolution: int) -> None:
    from nilearn import datasets

    volume = _mask_ml(getattr(datasets, loader)(resolution=resolution))
    expected = load_profile(structure, "MRI-T1").volume_ml
    assert expected.contains(volume)
    margin = 0.05 * volume  # comfortably inside: a 5 % boundary change stays in range
    assert expected.low < volume - margin and volume + margin < expected.high


def test_mni152_brain_mask_measures_match_its_profile(mni_2mm) -> None:
    """The real brain mask meets the brain profile's shape, contrast, intensity and site figures."""
    from napari_hcr.case import make_case
    from napari_hcr.measures import measure

    profile = load_profile("brain", "MRI-T1")
    m = measure(make_case(mni_2mm.image, mni_2mm.mask, spacing=mni_2mm.spacing, structure="brain"))
    assert len(m.components) == profile.components and m.holes == 0
    assert profile.compactness.contains(m.compactness)
    assert profile.intensity_contrast.contains(m.boundary_contrast)
    lo, hi = profile.extras["inside_percentile"]
    assert lo <= m.inside_percentile <= hi
    for (lo, hi), value in zip(profile.extras["centroid_fraction"], m.centroid_fraction):
        assert lo <= value <= hi
