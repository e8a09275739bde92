"""No false alarm on a correct mask: every unaltered reference and every field-of-view crop of
the benchmark's dev split is judged acceptable by the offline reasoner.

A guardrail that rejects correct work is worse than none. The cases are real scans with their
real reference masks (the MNI152 template shipped in nilearn; TotalSegmentator's example CT,
pyradiomics' lesions and stardist's nuclei fetched from the package registry into the user
cache on first use), so this is the benchmark's promise checked on every run. The test split
does not keep it yet (docs/benchmark.md names the correct masks it rejects: white and grey
matter, a brain tumour, a portal-vein crop and a femur), so it is measured there, not asserted.
"""

from __future__ import annotations

import pytest

from napari_hcr.acceptability.runner import correct_cases
from napari_hcr.backends import make_backend
from napari_hcr.reasoner import assess

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("split", ["dev"])
def test_every_reference_and_field_of_view_crop_is_acceptable(split, tmp_path_factory):
    cases_dir = tmp_path_factory.mktemp(f"correct-{split}")
    backend = make_backend("offline")
    rejected = []
    groups = set()
    count = 0
    for record, case in correct_cases(split, cases_dir=cases_dir):
        count += 1
        groups.add(record.group)
        assessment = assess(case, backend)
        if assessment.verdict != "acceptable":
            top = next((f for f in assessment.findings if f.severity != "info"), None)
            rejected.append(f"{record.id} ({record.family}): {top.kind if top else '?'} {assessment.score:.2f}")
    expected_groups = {"brain MRI", "CT organs", "lesions"} | ({"microscopy"} if split == "test" else set())
    assert groups == expected_groups
    assert count >= 60
    assert not rejected, f"{len(rejected)} of {count} correct masks called unacceptable: {rejected}"
