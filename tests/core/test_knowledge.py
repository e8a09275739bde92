"""Structure profiles: the table loads and its figures are coherent and sourced, every
TotalSegmentator class and common alias resolves, intensity claims follow the modality (HU on
CT, signal only for a named MRI sequence), and the brain / grey / white-matter ranges hold the
real MNI152 masks shipped in nilearn."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from napari_hcr.knowledge import (
    GENERIC,
    MODALITY_ONLY,
    TABLE_OWNED,
    Range,
    available_structures,
    canonical_structure,
    load_profile,
    modalities,
    modality_kind,
    mri_sequence,
    normalise_name,
    structure_aliases,
    templates,
)
from napari_hcr.knowledge.table import GROUPS, SHAPES, parse_row, rows

KNOWLEDGE = resources.files("napari_hcr.knowledge")
PROSE_DIR = KNOWLEDGE / "prose"
PROSE_FILES = sorted(p.name for p in PROSE_DIR.iterdir() if p.name.endswith(".json"))
RANGE_KEYS = ("volume_ml", "compactness", "intensity_contrast", "hu")
REQUIRED = {"brain", "white_matter", "grey_matter", "generic", "liver", "lung", "kidney", "spleen", "lung_field_xray"}
STRUCTURES = list(rows())
MODALITIES = [*modalities(), "any", "PET"]
TS_CLASSES = json.loads((KNOWLEDGE / "totalsegmentator_classes.json").read_text(encoding="utf-8"))


def _raw(name: str) -> dict:
    return json.loads((PROSE_DIR / name).read_text(encoding="utf-8"))


def test_required_profiles_exist() -> None:
    assert set(available_structures()) >= REQUIRED
    assert available_structures()[-1] == GENERIC
    brain = {"hippocampus", "amygdala", "thalamus", "caudate", "putamen", "pallidum", "cerebellum"}
    for name in brain:
        assert {name, f"{name}_left", f"{name}_right"} <= set(STRUCTURES)
    assert {"lateral_ventricles", "lateral_ventricle_left", "lateral_ventricle_right"} <= set(STRUCTURES)
    assert {"brainstem", "cerebellum", "tumour", "nodule", "cyst", "lung_tumour", "lung_nodule"} <= set(STRUCTURES)
    assert {"brain_tumour", "breast_lesion", "cell_nucleus", "cell_nuclei"} <= set(STRUCTURES)


@pytest.mark.parametrize("structure", STRUCTURES)
def test_every_profile_loads_for_each_modality(structure: str) -> None:
    for modality in MODALITIES:
        _check_profile(structure, modality)


def _check_profile(structure: str, modality: str) -> None:
    profile = load_profile(structure, modality)
    assert profile.structure == structure
    assert profile.description and profile.display_name and profile.site and profile.intensity
    assert profile.failures, f"{structure}/{modality} lists no failure modes"
    assert all(f.strip().endswith(".") for f in profile.failures)
    for key in RANGE_KEYS:
        value = getattr(profile, key)
        assert value is None or isinstance(value, Range)
        if value is not None:
            assert value.low < value.high, f"{structure}/{modality}: {key} {value} is not ordered"
    if profile.volume_ml is not None:
        assert profile.volume_ml.low > 0
    if profile.compactness is not None:
        assert profile.compactness.low > 0 and profile.compactness.high <= 1
    for key, value in profile.extras.items():
        if key == "centroid_fraction":
            assert all(0 <= lo < hi <= 1 for lo, hi in value)
        elif isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value):
            assert value[0] < value[1], f"{structure}/{modality}: {key} {value} is not ordered"
    if "inside_percentile" in profile.extras:
        lo, hi = profile.extras["inside_percentile"]
        assert 0 <= lo < hi <= 100
    assert profile.group in GROUPS and profile.shape in SHAPES
    assert profile.side in (None, "left", "right", "midline")
    assert profile.specific == (structure != GENERIC)
    assert all(isinstance(s, str) and s for s in profile.sources)
    if profile.components is not None and profile.components_max is not None:
        assert profile.components <= profile.components_max


@pytest.mark.parametrize("structure", STRUCTURES)
def test_descriptions_say_adult(structure: str) -> None:
    profile = load_profile(structure, "any")
    if profile.group not in ("cell", "other"):
        assert "adult" in profile.description.lower()


def test_aliases_are_normalised_and_unique() -> None:
    """canonical_structure normalises case, spaces and hyphens before it compares, so an alias
    written any other way could never match; no alias may name two structures or a row."""
    owner: dict[str, str] = {}
    for name, row in rows().items():
        assert name == normalise_name(name), name
        for alias in row.aliases:
            assert alias == normalise_name(alias), alias
            assert alias not in rows(), f"alias {alias} of {name} is itself a structure"
            assert alias not in owner, f"{alias} names both {owner[alias]} and {name}"
            owner[alias] = name
            assert canonical_structure(alias) == name
        assert structure_aliases(name)[0] == name


def test_prose_files_are_named_after_table_rows_and_hold_no_table_figures() -> None:
    for file in PROSE_FILES:
        data = _raw(file)
        assert file == f"{data['structure']}.json"
        assert data["structure"] in rows()
        assert not set(TABLE_OWNED) & set(data), file
        assert not set(TABLE_OWNED) & set(data.get("common", {})), file
        # calibrated figures belong to one exact modality, never to every modality or to plain MRI
        for block in ("common", "MRI", "any"):
            where = data.get("common", {}) if block == "common" else data.get("modalities", {}).get(block, {})
            assert not set(MODALITY_ONLY) & set(where), f"{file}: {block}"
        assert "inside_percentile" not in data.get("modalities", {}).get("CT", {}), file
        assert "inside_percentile" not in data.get("modalities", {}).get("MRI-T2", {}), file


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
        # was "kidney": sided kidneys have their own rows (side, neighbours) since the table
        ("left kidney", "kidney_left"),
        ("kidney", "kidney"),
        ("lung fields", "lung_field_xray"),
        ("brain", "brain"),
        ("Kidney (left)", "kidney_left"),
        ("kidney_l", "kidney_left"),
        ("liver_seg", "liver"),
        ("Liver Mask", "liver"),
        ("vertebrae_L5", "vertebrae_l5"),
        ("L5", "vertebrae_l5"),
        ("RUL", "lung_upper_lobe_right"),
        ("IVC", "inferior_vena_cava"),
        ("oesophagus", "esophagus"),
        ("tumor", "tumour"),
        ("GTV", "tumour"),
        ("pulmonary nodule", "lung_nodule"),
        ("glioblastoma", "brain_tumour"),
        ("nuclei", "cell_nuclei"),
        ("hippocampi", "hippocampus"),
        ("lh_hippocampus", "hippocampus_left"),
        ("kidney_left.nii.gz", "kidney_left"),
        ("Liver_mask.nrrd", "liver"),
        ("mask", "generic"),
    ],
)
def test_aliases_resolve(asked: str, structure: str) -> None:
    assert canonical_structure(asked) == structure
    assert load_profile(asked, "any").structure == structure


@pytest.mark.parametrize(
    ("freesurfer", "structure"),
    [
        ("Left-Hippocampus", "hippocampus_left"),
        ("Right-Hippocampus", "hippocampus_right"),
        ("Left-Amygdala", "amygdala_left"),
        ("Right-Thalamus", "thalamus_right"),
        ("Left-Thalamus-Proper", "thalamus_left"),
        ("Right-Caudate", "caudate_right"),
        ("Left-Putamen", "putamen_left"),
        ("Right-Pallidum", "pallidum_right"),
        ("Left-Lateral-Ventricle", "lateral_ventricle_left"),
        ("Right-Cerebellum-Cortex", "cerebellum_right"),
        ("Brain-Stem", "brainstem"),
    ],
)
def test_freesurfer_names_resolve(freesurfer: str, structure: str) -> None:
    assert canonical_structure(freesurfer) == structure
    profile = load_profile(freesurfer, "MRI-T1")
    assert profile.specific and profile.group == "brain"
    if structure.endswith(("_left", "_right")):
        assert profile.side == structure.rsplit("_", 1)[1] and not profile.paired


def test_totalsegmentator_class_maps_are_complete() -> None:
    assert "Apache-2.0" in TS_CLASSES["licence"] and "2.18.0" in TS_CLASSES["origin"]
    for task, count in (("total", 117), ("total_mr", 50)):
        ids = sorted(int(i) for i in TS_CLASSES[task])
        assert ids == list(range(1, count + 1))
    assert TS_CLASSES["total"]["5"] == "liver" and TS_CLASSES["total"]["117"] == "costal_cartilages"
    assert TS_CLASSES["total_mr"]["50"] == "brain"


@pytest.mark.parametrize("name", sorted({n for task in ("total", "total_mr") for n in TS_CLASSES[task].values()}))
def test_every_totalsegmentator_class_has_a_specific_profile(name: str) -> None:
    structure = canonical_structure(name)
    assert structure != GENERIC, name
    ct = load_profile(name, "CT")
    assert ct.specific and ct.volume_ml is not None and ct.hu is not None and ct.sources
    assert normalise_name(name) == structure or normalise_name(name) in structure_aliases(structure)
    if name.endswith(("_left", "_right")) or "_left_" in name or "_right_" in name:
        assert ct.side == ("left" if "left" in name else "right")


def test_every_figure_has_a_source() -> None:
    for name, row in rows().items():
        if row.volume_ml is not None or row.area_um2 is not None:
            assert row.volume_source, f"{name}: size without a source"
        if row.hu is not None:
            assert row.hu_source, f"{name}: HU band without a source"
        if row.signal:
            assert row.signal_source, f"{name}: MRI signal without a source"
        assert row.sources or name == GENERIC, f"{name}: no source at all"
        for text in row.sources:
            assert len(text) > 15, f"{name}: source {text!r} names nothing"


def test_malformed_rows_are_refused() -> None:
    good = {
        "structure": "x",
        "display_name": "x",
        "group": "organ",
        "side": "none",
        "paired": "no",
        "shape": "compact",
        "volume_ml_low": "10",
        "volume_ml_high": "20",
        "area_um2_low": "",
        "area_um2_high": "",
        "components": "1",
        "components_max": "",
        "holes_allowed": "no",
        "compactness_low": "",
        "compactness_high": "",
        "neighbours": "",
        "hu_median": "40",
        "hu_low": "0",
        "hu_high": "80",
        "contents": "",
        "contents_hu_low": "",
        "contents_hu_high": "",
        "mri_t1": "brighter",
        "mri_t2": "",
        "mri_flair": "",
        "location": "",
        "aliases": "",
        "volume_source": "s",
        "hu_source": "s",
        "signal_source": "s",
    }
    assert parse_row(good).components_max == 1  # empty: as many as expected
    for column, value in [
        ("volume_ml_high", "5"),
        ("hu_median", "100"),
        ("mri_t1", "bright"),
        ("shape", "round"),
        ("group", "organs"),
        ("side", "both"),
        ("components_max", "0"),
        ("contents", "fatty marrow"),  # named, but no attenuation for it
    ]:
        with pytest.raises(ValueError):
            parse_row({**good, column: value})
    held = {"contents": "fatty marrow", "contents_hu_low": "-190", "contents_hu_high": "-30"}
    assert parse_row({**good, **held}).contents_hu is not None
    with pytest.raises(ValueError):  # contents beside no band of the structure's own
        parse_row({**good, **held, "hu_median": "", "hu_low": "", "hu_high": ""})
    with pytest.raises(ValueError):  # an attenuation that names nothing
        parse_row({**good, **held, "contents": ""})


def test_ct_visible_structures_have_a_hu_band_and_it_is_ct_only() -> None:
    for name, row in rows().items():
        if row.group in ("cell", "other") or name == "lung_field_xray":
            continue
        assert row.hu is not None and row.hu_median is not None, name
        assert load_profile(name, "CT").hu == row.hu
        assert "HU" in load_profile(name, "CT").intensity
        assert load_profile(name, "CT").hu_contents == row.contents_hu
        for other in ("MRI-T1", "MRI", "X-ray", "Microscopy"):
            assert load_profile(name, other).hu is None and load_profile(name, other).hu_contents is None


def test_what_a_correct_mask_holds_by_anatomy_or_disease_is_stated_with_its_source() -> None:
    """A bone's fatty marrow and a lung's vessels and consolidation are in a correct mask: the
    voxel band reaches them, and the knowledge recall says so."""
    table = rows()
    marrow = [n for n, r in table.items() if r.group == "bone" and n != "intervertebral_discs"]
    assert all(table[n].contents_hu == table["femur_left"].contents_hu for n in marrow)
    assert table["intervertebral_discs"].contents_hu is None  # a disc has no marrow
    lungs = [n for n in table if n.startswith("lung") and n not in ("lung_field_xray", "lung_tumour", "lung_nodule")]
    assert len(lungs) == 8 and all(table[n].contents_hu is not None and table[n].contents_hu.high >= 450 for n in lungs)
    for name, row in table.items():
        if row.contents_hu is not None:
            assert row.contents and "contents:" in row.hu_source, name
            assert row.contents in templates.intensity(row, "CT"), name  # unless a prose file words it
    assert table["liver"].contents_hu is None


def test_hu_bands_point_the_right_way() -> None:
    lobes = [n for n in rows() if n.startswith("lung_") and "lobe" in n]
    assert len(lobes) == 5 and all(load_profile(n, "CT").hu.high < -100 for n in lobes)
    assert all(rows()[f"vertebrae_{lv}"].hu_median > 150 for lv in ("c3", "t8", "l3"))
    assert rows()["skull"].hu_median > rows()["liver"].hu.high
    assert rows()["trachea"].hu.high < rows()["esophagus"].hu.high
    assert rows()["cyst"].hu.low >= -50 and rows()["cyst"].hu.high <= 150


@pytest.mark.parametrize("plain", ["MRI", "MR", "mri", "MRI-PD", "DWI"])
def test_plain_mri_makes_no_sequence_claim(plain: str) -> None:
    assert modality_kind(plain) == "MRI" and mri_sequence(plain) is None
    for name in rows():
        profile = load_profile(name, plain)
        assert profile.signal is None, name
        assert profile.intensity_contrast is None, name
        assert "inside_percentile" not in profile.extras, name
        assert profile.hu is None


def test_sequence_claims_follow_the_sequence() -> None:
    assert load_profile("wm", "MRI-T1").signal == "brighter" and load_profile("wm", "MRI-T2").signal == "darker"
    assert load_profile("lateral_ventricles", "MRI-T2w").signal == "brighter"
    assert load_profile("lateral_ventricles", "MRI-FLAIR").signal == "darker"
    assert load_profile("lateral_ventricles", "MRI-FLAIR").intensity_contrast.high < 0
    assert load_profile("lateral_ventricles", "T2-FLAIR").signal == "darker"
    assert load_profile("liver", "MRI-T1").signal is None  # no claim: fat around is bright or suppressed
    assert load_profile("liver", "MRI-T1").intensity_contrast is None
    assert load_profile("cyst", "MRI-T1C").signal is None  # T1 after contrast: no column, no claim
    assert load_profile("wm", "CT").signal is None


def test_inside_percentile_only_where_validated() -> None:
    """Foreground percentiles were checked on T1 MNI152 (and X-ray lung fields): never applied
    to CT (absolute HU instead), T2 or plain MRI."""
    for name in rows():
        for modality in ("CT", "MRI-T2", "MRI", "MRI-FLAIR", "MRI-T1C"):
            assert "inside_percentile" not in load_profile(name, modality).extras, (name, modality)
    assert "inside_percentile" in load_profile("brain", "MRI-T1").extras
    assert "inside_percentile" in load_profile("lung_field_xray", "XR").extras


def test_shape_classes_set_compactness() -> None:
    for name, row in rows().items():
        profile = load_profile(name, "CT")
        if row.shape in ("tubular", "many"):
            assert profile.compactness is None, name
        if row.shape in ("elongated", "sheet") and profile.compactness is not None:
            assert profile.compactness.low <= 0.1, name
    assert load_profile("aorta", "CT").compactness is None
    assert load_profile("rib_left_5", "CT").compactness is None


def test_neighbours_are_rows_and_sides_match_names() -> None:
    for name, row in rows().items():
        assert name not in row.neighbours
        assert set(row.neighbours) <= set(rows()), name
        if name.endswith("_left") or "_left_" in name:
            assert row.side == "left" and not row.paired, name
        if name.endswith("_right") or "_right_" in name:
            assert row.side == "right" and not row.paired, name
        if row.paired:
            assert row.components == 2 or (row.components == 1 and row.shape != "many"), name
    assert "spleen" in load_profile("kidney_left", "CT").neighbours
    table = rows()
    for name, row in table.items():  # mutual, except that organs do not list the lesions in them
        for other in row.neighbours:
            if "lesion" not in (row.group, table[other].group):
                assert name in table[other].neighbours, f"{name} touches {other} but not the reverse"
    assert "liver" in load_profile("kidney_right", "CT").neighbours


def test_bilateral_forms_hold_both_sides() -> None:
    for base in ("hippocampus", "amygdala", "thalamus", "caudate", "putamen", "pallidum"):
        both, left = rows()[base], rows()[f"{base}_left"]
        assert both.paired and both.components == 2
        assert both.volume_ml.low == pytest.approx(2 * left.volume_ml.low)
        assert both.volume_ml.high == pytest.approx(2 * left.volume_ml.high)


def test_unknown_structure_falls_back_to_generic() -> None:
    profile = load_profile("pancreatic duct of Wirsung", "CT")
    assert profile.structure == GENERIC and not profile.specific
    assert profile.volume_ml is None and profile.compactness is None and profile.hu is None
    assert profile.failures
    assert "less specific" in profile.description


def test_modalities_listed_and_recognised() -> None:
    listed = modalities()
    assert {"CT", "MRI-T1", "MRI-T2", "MRI-FLAIR", "MRI", "X-ray", "Microscopy", "Photo"} <= set(listed)
    assert all(modality_kind(m) not in ("other", "any") for m in listed)
    assert modality_kind("PET") == "other" and modality_kind("US") == "other"
    assert [mri_sequence(m) for m in ("MRI-T1w", "T1CE", "MRI-T2", "T2-FLAIR", "MRI")] == [
        "T1",
        "T1C",
        "T2",
        "FLAIR",
        None,
    ]


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
    assert load_profile("liver", "CT").side == "right" and load_profile("spleen", "CT").side == "left"


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


def test_template_prose_is_filled_from_the_row() -> None:
    """Structures without their own prose get text that names the row's own figures."""
    kidney = load_profile("kidney_left", "CT")
    assert "spleen" in kidney.site and "patient's left" in kidney.site
    assert "70-320 mL" in kidney.description
    assert "15 to 300 HU" in kidney.intensity
    assert any("spleen" in f for f in kidney.failures)
    aorta = load_profile("aorta", "CT")
    assert "up to 2" in aorta.topology and "no compactness expectation" in aorta.topology
    assert "no signal expectation" in load_profile("aorta", "MRI").intensity
    assert load_profile("lateral_ventricle_left", "MRI-T2").intensity == "MRI T2: brighter than its surroundings"
    assert "um2" in load_profile("cell_nucleus", "Microscopy").description
    rich = load_profile("liver", "CT")  # its own prose file wins over the templates
    assert "Heinemann" in rich.description and "steatosis" in rich.intensity
