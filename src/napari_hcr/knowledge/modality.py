"""Modality names -> what a profile may claim about intensity.

CT is absolute (Hounsfield units), so a profile states a HU band. MRI is relative, and what
is bright depends on the sequence: a profile states a signal only when the sequence is named
(T1, T2, FLAIR); plain "MRI" makes no sequence claim. Microscopy, photographs and X-ray are
relative too. Anything else (PET, ultrasound, an unknown word) is "other": judged without
intensity expectations, and the CLI warns about it.
"""

from __future__ import annotations

import re

CT = "CT"
MRI = "MRI"
XRAY = "X-ray"
MICROSCOPY = "microscopy"
PHOTOGRAPH = "photograph"
OTHER = "other"

SEQUENCES = ("T1", "T1C", "T2", "FLAIR")
"""MRI sequences a profile may hold expectations for (T1C: T1 after gadolinium)."""

MODALITIES: tuple[str, ...] = (
    "CT",
    "MRI-T1",
    "MRI-T1C",
    "MRI-T2",
    "MRI-FLAIR",
    "MRI",
    "X-ray",
    "Microscopy",
    "Photo",
)
"""The modality names the widget and the CLI offer, in that order; other spellings resolve too."""

_MRI_ONLY = ("PD", "DWI", "ADC", "SWI", "STIR", "DIXON", "DCE", "TOF")
_XRAY = {"XRAY", "XR", "CR", "DX", "CXR", "RADIOGRAPH", "RADIOGRAPHY", "RX", "CHESTXRAY", "PLAINFILM"}
_MICROSCOPY = ("MICROSCOP", "FLUORESCEN", "HISTOLOG", "BRIGHTFIELD", "CONFOCAL", "PATHOLOG", "WSI", "HE")
_PHOTO = ("PHOTO", "RGB", "CAMERA", "DERMOSCOP", "ENDOSCOP", "FUNDUS", "VIDEO")


def _squash(modality: str) -> str:
    return re.sub(r"[^A-Z0-9+]", "", modality.strip().upper())


def modality_kind(modality: str) -> str:
    """``CT``, ``MRI``, ``X-ray``, ``microscopy``, ``photograph``, ``any`` or ``other``."""
    key = _squash(modality)
    if key in ("", "ANY"):
        return "any"
    if key.startswith("CT") or key in ("CAT", "CBCT", "MDCT"):
        return CT
    if key.startswith(("MR",) + _MRI_ONLY) or mri_sequence(modality) is not None:
        return MRI
    if key in _XRAY or key.startswith("XRAY"):
        return XRAY
    if key.startswith(_MICROSCOPY):
        return MICROSCOPY
    if key.startswith(_PHOTO):
        return PHOTOGRAPH
    return OTHER


def mri_sequence(modality: str) -> str | None:
    """The named MRI sequence (``T1``, ``T1C``, ``T2``, ``FLAIR``), or None when none is named.

    ``MRI-T1w``, ``T1-MPRAGE`` -> T1; ``MRI-T1C``, ``T1CE``, ``T1-Gd``, ``T1+C``, ``T1-post`` ->
    T1C; ``T2w``, ``T2-FS`` -> T2; ``FLAIR``, ``T2-FLAIR`` -> FLAIR. PD, DWI and plain ``MRI``
    name no sequence the profiles know.
    """
    key = _squash(modality)
    body = key[3:] if key.startswith("MRI") else key.removeprefix("MR")
    if "FLAIR" in body:
        return "FLAIR"
    match = re.match(r"T1(W|WI)?(.*)$", body)
    if match:
        rest = match.group(2)
        if rest == "C" or rest.startswith(("CE", "C+", "+", "GD", "POST", "CONTRAST", "ENH")):
            return "T1C"
        return "T1"
    if re.match(r"T2", body):
        return "T2"
    return None


def modality_key(modality: str) -> str:
    """The key a per-structure prose file uses for this modality: ``CT``, ``MRI-T1``,
    ``MRI-T1C``, ``MRI-T2``, ``MRI-FLAIR``, ``MRI`` (no sequence), ``XR``, ``MICROSCOPY``,
    ``PHOTO``; ``any`` for everything else."""
    kind = modality_kind(modality)
    if kind == MRI:
        sequence = mri_sequence(modality)
        return f"MRI-{sequence}" if sequence else "MRI"
    return {CT: "CT", XRAY: "XR", MICROSCOPY: "MICROSCOPY", PHOTOGRAPH: "PHOTO"}.get(kind, "any")


def modalities() -> list[str]:
    """The modality names to offer (the widget's list, the CLI's help)."""
    return list(MODALITIES)


def is_known_modality(modality: str) -> bool:
    """False for a modality the profiles hold no expectations for (PET, US, a typo)."""
    return modality_kind(modality) not in (OTHER,)
