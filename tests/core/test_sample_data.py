"""The bundled samples: what napari's sample menu gets, and that each mask shows exactly the
anatomy or failure that sample_data/README.md describes."""

from __future__ import annotations

import importlib.util
import re
from importlib import resources

import numpy as np
import pytest
from scipy import ndimage

from napari_hcr import _sample_data
from napari_hcr._sample_data import sample_good, sample_leak, sample_missing, sample_path

SAMPLES = {"good": sample_good, "leak": sample_leak, "missing": sample_missing}
VOXEL_ML = 2.0**3 / 1000.0


def _labels(kind: str) -> np.ndarray:
    return SAMPLES[kind]()[1][0] > 0


def _readme() -> str:
    with resources.as_file(sample_path("README.md")) as path:
        return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_sample_is_an_image_and_labels_pair_on_one_2mm_grid(kind: str) -> None:
    (image, image_meta, image_type), (labels, labels_meta, labels_type) = SAMPLES[kind]()
    assert (image_type, labels_type) == ("image", "labels")
    assert image.ndim == 3 and image.shape == labels.shape
    assert image_meta["scale"] == labels_meta["scale"] == (2.0, 2.0, 2.0)
    assert image_meta["name"] == "MNI152 T1" and labels_meta["name"].startswith("brain mask (")
    for meta in (image_meta, labels_meta):
        assert meta["metadata"] == {"structure": "brain", "modality": "MRI-T1"}
    assert np.issubdtype(labels.dtype, np.integer) and set(np.unique(labels)) == {0, 1}
    assert float(image.max()) > float(image.min())


def test_samples_share_the_image_and_name_their_masks_apart() -> None:
    outputs = [f() for f in SAMPLES.values()]
    for other in outputs[1:]:
        assert np.array_equal(outputs[0][0][0], other[0][0])
    assert len({out[1][1]["name"] for out in outputs}) == 3


def test_sample_metadata_is_not_shared_between_calls() -> None:
    first = sample_good()
    first[0][1]["metadata"]["structure"] = "liver"
    assert sample_good()[0][1]["metadata"]["structure"] == "brain"


def test_good_mask_is_the_nilearn_brain_mask(mni_2mm) -> None:
    (image, _, _), (labels, _, _) = sample_good()
    expected = mni_2mm.mask > 0
    good = labels > 0
    dice = 2 * np.count_nonzero(good & expected) / (good.sum() + expected.sum())
    assert dice > 0.99
    assert np.array_equal(good, expected)
    assert np.abs(image / 255.0 - mni_2mm.image).max() <= 0.5 / 255 + 1e-6
    assert good.sum() * VOXEL_ML == pytest.approx(1883.0, abs=1.0)


def test_good_mask_lies_in_the_expected_orientation() -> None:
    """Axis 0 inferior->superior: the cerebellum (low) is narrower than the cerebrum above it."""
    good = _labels("good")
    areas = good.sum(axis=(1, 2))
    rows = np.flatnonzero(areas)
    lower, upper = rows[: len(rows) // 4], rows[len(rows) // 4 : len(rows) // 2]
    assert areas[lower].mean() < areas[upper].mean()


def test_leak_is_one_connected_outgrowth_through_the_skull_at_the_right_frontal_convexity() -> None:
    good, leak = _labels("good"), _labels("leak")
    assert np.all(leak[good]), "the leak mask must keep the whole brain"
    extra = leak & ~good
    _, n_leak = ndimage.label(leak)
    _, n_extra = ndimage.label(extra)
    assert n_leak == 1 and n_extra == 1
    assert 10.0 <= extra.sum() * VOXEL_ML <= 30.0
    extent_mm = [2.0 * (s.stop - s.start) for s in ndimage.find_objects(extra.astype(np.uint8))[0]]
    assert all(30.0 <= e <= 60.0 for e in extent_mm), extent_mm
    depth_mm = ndimage.distance_transform_edt(~good, sampling=2.0)[extra]
    assert depth_mm.max() >= 12.0, "the outgrowth must reach past the skull into the scalp"
    centre = np.argwhere(extra).mean(axis=0) / np.array(good.shape)
    assert centre[0] > 0.6  # superior
    assert centre[1] < 0.4  # anterior (row 0 is anterior)
    assert centre[2] < 0.5  # patient right (the last axis runs right -> left)


def test_missing_sample_lacks_exactly_the_axial_slices_the_readme_names() -> None:
    found = re.search(r"axis-0 slices (\d+)-(\d+)", _readme())
    assert found, "README must name the missing slices"
    first, last = int(found.group(1)), int(found.group(2))
    good, missing = _labels("good"), _labels("missing")
    gap = np.zeros(good.shape[0], dtype=bool)
    gap[first : last + 1] = True
    assert last - first + 1 >= 5
    assert np.all(good[gap].sum(axis=(1, 2)) > 0), "the skipped slices hold brain in the good mask"
    assert not missing[gap].any()
    assert np.array_equal(missing[~gap], good[~gap])
    assert ndimage.label(missing)[1] == 2  # superior and inferior pieces
    removed_ml = (good & ~missing).sum() * VOXEL_ML
    assert f"{removed_ml:.1f} mL" in _readme()


def test_readme_states_source_licence_and_sizes() -> None:
    text = _readme()
    assert "nlin_sym_09a" in text and "nilearn" in text
    assert '"unknown"' in text and "Permission to use, copy, modify, and distribute" in text
    for name in (_sample_data.IMAGE_FILE, *_sample_data.MASK_FILES.values()):
        with resources.as_file(sample_path(name)) as path:
            size = path.stat().st_size
        assert f"{size:,}".replace(",", " ") in text, f"README size of {name} is stale"


def test_samples_are_small() -> None:
    total = 0
    for name in (_sample_data.IMAGE_FILE, *_sample_data.MASK_FILES.values()):
        with resources.as_file(sample_path(name)) as path:
            total += path.stat().st_size
    assert total < 1_000_000


def test_rebuilding_gives_the_bundled_bytes(tmp_path) -> None:
    with resources.as_file(sample_path("build_samples.py")) as script:
        spec = importlib.util.spec_from_file_location("build_samples", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    for built in module.build(tmp_path):
        with resources.as_file(sample_path(built.name)) as bundled:
            assert built.read_bytes() == bundled.read_bytes(), f"{built.name} differs from its rebuild"
