"""Prose for a profile, written from its table row by per-group templates.

The reasoner's text must name the same figures the checks use, so the sentences are filled
from the row (ranges, neighbours, HU band, MRI signal) rather than written by hand per
structure; a structure with clinically important particulars gets its own prose file
(``prose/<structure>.json``), which overrides these.
"""

from __future__ import annotations

from collections.abc import Mapping

from .modality import CT, MICROSCOPY, MRI, PHOTOGRAPH, XRAY, modality_kind, mri_sequence
from .table import Row

GROUP_NOUN = {
    "organ": "solid organ",
    "gland": "gland",
    "vessel": "blood vessel",
    "airway": "airway",
    "gut": "hollow gut organ",
    "bone": "bone",
    "muscle": "skeletal muscle",
    "heart": "cardiac structure",
    "brain": "central nervous system structure",
    "lesion": "lesion",
    "cell": "cell nuclei in a 2-D microscopy image",
    "other": "structure",
}

SHAPE_PHRASE = {
    "compact": "a compact solid body",
    "lobulated": "a lobulated body whose fissures and notches are not holes",
    "elongated": "an elongated body",
    "tubular": "a tube, often curved, so it has no compactness expectation",
    "sheet": "a thin plate or sheet, so it has no compactness expectation",
    "many": "many separate pieces, so it has no compactness or component-count expectation",
}

GROUP_FAILURES: dict[str, tuple[str, ...]] = {
    "organ": (
        "Leak into a neighbouring structure{nb} where the boundary is faint.",
        "Missing pole, lobe or tip, often cut off along a slice plane.",
        "Lesions, cysts or vessels inside the organ left out as holes or notches.",
        "Wrong organ or wrong side outlined.",
    ),
    "gland": (
        "Leak into the surrounding fat or a neighbour{nb}.",
        "Part of the gland missing (a limb, lobe, isthmus or tail).",
        "Nodules or lesions inside the gland left out.",
        "A neighbouring vessel or bowel loop outlined instead of the small gland.",
    ),
    "vessel": (
        "Leak into an adjacent vessel or organ{nb} where they touch.",
        "A segment missing: the vessel stops short or breaks into pieces.",
        "Branches included that the label excludes, or the wrong vessel followed.",
        "Thrombus, plaque or wall calcification left out, narrowing the lumen.",
    ),
    "airway": (
        "Leak into the lungs or the oesophagus{nb}.",
        "The wall or surrounding tissue included, or the lumen only partly filled.",
        "A segment missing between the larynx and the carina.",
    ),
    "gut": (
        "Leak into an adjacent loop or organ{nb} where the walls touch.",
        "A segment missing, so the bowel breaks into pieces.",
        "Luminal gas, fluid or contrast left out as holes, or fat around the wall included.",
    ),
    "bone": (
        "Leak across a joint, disc or cartilage into an adjacent bone or soft tissue{nb}.",
        "Wrong level or wrong bone outlined (the vertebra or rib above or below).",
        "Part of the bone missing (a process, an end, the cortex).",
        "Marrow left out as holes inside the bone.",
    ),
    "muscle": (
        "Leak into an adjacent muscle or organ{nb} across a faint fascial plane.",
        "Part of the muscle missing at its origin or insertion.",
        "Intramuscular or surrounding fat handled differently from the protocol.",
    ),
    "heart": (
        "Leak into the great vessels, lungs or liver{nb}.",
        "Pericardial fat or effusion included.",
        "A chamber, the appendage or the myocardium left out.",
    ),
    "brain": (
        "Leak into a neighbouring structure{nb} across a low-contrast boundary.",
        "Part of the structure missing (a head, tail or pole).",
        "Wrong side or wrong structure outlined.",
        "CSF or vessels included at the boundary.",
    ),
    "lesion": (
        "Under-segmentation: part of the lesion (a lobulation, an enhancing rim, a spiculation) left out.",
        "Over-segmentation into the surrounding tissue, vessels or organ wall{nb}.",
        "Necrotic or cystic parts handled differently from the protocol.",
        "A separate lesion or a normal structure included as an extra piece.",
    ),
    "cell": (
        "Touching nuclei merged into one object, or one nucleus split in two.",
        "Background, debris or out-of-focus blur labelled as nuclei.",
        "Dim nuclei missed.",
        "Boundaries too tight or too loose around each nucleus.",
    ),
    "other": (),
}

COMMON_FAILURES = (
    "Missing or skipped slices producing a gap.",
    "Spurious islands apart from the main body.",
)


def _names(names: tuple[str, ...], display: Mapping[str, str], limit: int = 6) -> str:
    shown = [display.get(n, n.replace("_", " ")) for n in names[:limit]]
    more = len(names) - len(shown)
    text = ", ".join(shown)
    return text + (f" and {more} more" if more > 0 else "")


def _range_text(low: float, high: float, unit: str) -> str:
    return f"{low:g}-{high:g} {unit}"


def description(row: Row) -> str:
    noun = GROUP_NOUN[row.group]
    text = f"{row.display_name[:1].upper()}{row.display_name[1:]} ({noun})"
    if row.location:
        text += f": {row.location}"
    text += "."
    if row.group == "cell":
        if row.area_um2 is not None:
            text += f" Each nucleus about {_range_text(row.area_um2.low, row.area_um2.high, 'um2')} in area,"
            text += " only meaningful when the pixel size is known."
        return text
    if row.volume_ml is not None:
        text += f" Adult range for a correct mask: {_range_text(row.volume_ml.low, row.volume_ml.high, 'mL')}"
        text += " (plausible bounds, not a population mean)."
    else:
        text += " Adult structure; the table states no volume range."
    if row.group == "lesion":
        text += " Lesions vary widely in size and shape, so their size alone is weak evidence."
    text += f" Shape: {SHAPE_PHRASE[row.shape]}."
    return text


def site(row: Row, display: Mapping[str, str]) -> str:
    parts = [row.location or "anywhere in the field of view"]
    if row.side in ("left", "right"):
        parts.append(f"on the patient's {row.side}")
    if row.neighbours:
        parts.append(f"normally touching the {_names(row.neighbours, display)}")
    return "; ".join(parts)


def topology(row: Row) -> str:
    count = row.components
    if count is None:
        pieces = (
            "any number of connected components"
            if row.components_max is None
            else (f"up to {row.components_max} connected components")
        )
    elif row.paired and count == 2:
        pieces = "two components, left and right (one where they touch)"
    elif count == 1 and (row.components_max or 1) > 1:
        pieces = f"one connected component (up to {row.components_max} where the field of view or anatomy divides it)"
    else:
        pieces = "one connected component" if count == 1 else f"{count} connected components"
    holes = "enclosed holes are possible" if row.holes_allowed else "no enclosed holes"
    return f"{pieces}; {holes}; {SHAPE_PHRASE[row.shape]}"


def failures(row: Row, display: Mapping[str, str]) -> tuple[str, ...]:
    nb = f" ({_names(row.neighbours, display, 4)})" if row.neighbours else ""
    own = tuple(f.format(nb=nb) for f in GROUP_FAILURES[row.group])
    tail = () if row.group == "cell" else COMMON_FAILURES
    return own + tail


def intensity(row: Row, modality: str) -> str:
    """One sentence on what the inside should look like in this modality, claims only where
    the table makes them (a HU band on CT, a signal on a named MRI sequence)."""
    kind = modality_kind(modality)
    if kind == CT:
        if row.hu is None or row.hu_median is None:
            return "CT: the table states no attenuation band for this structure"
        text = (
            f"CT: median about {row.hu_median:g} HU inside; the median of a correct mask lies within "
            f"{row.hu.low:g} to {row.hu.high:g} HU across unenhanced and contrast phases"
        )
        if row.contents_hu is not None:
            text += (
                f"; a correct mask also holds {row.contents} ({row.contents_hu.low:g} to {row.contents_hu.high:g} HU)"
            )
        return text
    if kind == MRI:
        sequence = mri_sequence(modality)
        if sequence is None:
            return "MRI without a named sequence: no signal expectation, since brightness depends on the sequence"
        claim = row.signal.get(sequence)
        if claim is None:
            return f"MRI {sequence}: no signal expectation for this structure"
        if claim == "variable":
            return f"MRI {sequence}: signal varies relative to its surroundings"
        if claim == "similar":
            return f"MRI {sequence}: signal similar to its surroundings, so the boundary is faint"
        return f"MRI {sequence}: {claim} than its surroundings"
    if kind == MICROSCOPY:
        if row.group == "cell":
            return "relative: nuclei stand out from the background (bright in fluorescence, dark in haematoxylin)"
        return "relative intensity only"
    if kind == PHOTOGRAPH:
        return "relative intensity only; colour and lighting vary between photographs"
    if kind == XRAY:
        return "relative: a projection image without an absolute intensity scale"
    return "no modality-specific expectation; a correct mask is usually more uniform inside than across its boundary"
