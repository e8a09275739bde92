"""The samples open with the anatomy visible through the mask."""

from __future__ import annotations

import pytest

from napari_hcr._sample_data import sample_good, sample_leak, sample_missing


@pytest.mark.parametrize("sample", [sample_good, sample_leak, sample_missing])
def test_mask_opens_translucent_enough_for_the_image_to_show(sample) -> None:
    (_, _, image_kind), (_, labels_meta, labels_kind) = sample()
    assert (image_kind, labels_kind) == ("image", "labels")
    assert labels_meta["opacity"] <= 0.4  # napari's default 0.7 hides the anatomy
