"""The refinement trusts its bias-field estimate only where it measured it.

The field is estimated from the mask's core. Around a thin part of the mask far from that core
(the brainstem below the cerebral white matter), the estimate is an extrapolation; under a
strong scanner field, a darker neighbouring tissue there reaches the core's intensity, and the
competition used to claim it as a part the mask leaves out. On an MRI the competition now
leaves voxels without support where they are; a CT carries no scanner field and is unchanged.
"""

from __future__ import annotations

import numpy as np

from napari_hcr.case import make_case
from napari_hcr.measures import measure
from napari_hcr.refinement import Refinement

SPACING = (2.0, 2.0, 2.0)
STALK_END = 66  # the thin part runs from the body's end (slice 24) to here
FIELD_RISES = (40, 55)  # the field climbs from 1 to e^0.5 between these slices


def _scene() -> tuple[np.ndarray, np.ndarray]:
    """A thick body with a thin stalk (no core of its own) running into a strong field, in a
    tissue 0.7 times as bright as the mask's."""
    rng = np.random.default_rng(7)
    shape = (72, 40, 40)
    mask = np.zeros(shape, dtype=bool)
    mask[4:24, 6:34, 6:34] = True
    mask[24:STALK_END, 18:22, 18:22] = True
    z = np.arange(shape[0], dtype=np.float32)
    ramp = np.clip((z - FIELD_RISES[0]) / (FIELD_RISES[1] - FIELD_RISES[0]), 0.0, 1.0)
    field = np.exp(0.5 * ramp)[:, None, None]
    tissue = np.where(mask, 100.0, 70.0).astype(np.float32)
    image = tissue * field + rng.normal(0.0, 2.0, shape).astype(np.float32)
    return image.astype(np.float32), mask


def _refined(modality: str) -> Refinement:
    image, mask = _scene()
    case = make_case(image, mask.astype(np.uint8), label=1, spacing=SPACING, structure="generic", modality=modality)
    r = measure(case).refinement
    assert r is not None
    return r


def test_a_strong_field_around_a_thin_part_far_from_the_core_is_no_missing_part_on_mri() -> None:
    r = _refined("MRI")
    assert r.missing_region < 0.5  # mL: what the competition claims there is the field's, not the mask's


def test_a_ct_has_no_scanner_field_so_its_competition_runs_on_the_whole_band() -> None:
    r = _refined("CT")
    # The same arrays read as CT: the neighbour where the field has lifted it is claimed, at the stalk's end.
    assert r.missing_region > 2.0
    assert r.missing_where is not None
    assert r.missing_where.axis == 0 and r.missing_where.slice > FIELD_RISES[0]
