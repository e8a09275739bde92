"""The one input every front end builds: image, mask, spacing and what the mask should be.

Validation lives here so the widget, the CLI and the benchmark reject bad input with the same
sentence, before any expensive work starts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from .errors import InputError
from .knowledge import canonical_structure
from .verdict import InputDigest
from .wording import COUNT_UNITS


@dataclass(frozen=True)
class Case:
    """A segmentation to judge.

    ``image`` is 2-D or 3-D grey (float32) with axes in array order; ``labels`` is the label
    array of the same shape and ``label`` the value whose mask is judged. ``spacing`` is the
    voxel size per axis in millimetres. ``rgb`` keeps the original colour image of a 2-D RGB
    case for snapshots; measures use the grey ``image``. ``present`` lists the labels in
    ``labels`` (empty: not known) and ``names`` gives other labels' names (label value ->
    structure name), so a finding can say which neighbour a leak runs into. ``finite`` marks
    the image voxels that were numbers in the input (None: all were); the others hold a neutral
    fill and measures ignore them. ``spacing_known`` is False when no voxel size was given (a
    .npy array): ``spacing`` then holds ones, and sizes are counts of voxels, not millilitres.
    """

    image: np.ndarray
    labels: np.ndarray
    label: int = 1
    spacing: tuple[float, ...] = ()
    structure: str = "generic"
    modality: str = "MRI-T1"
    rgb: np.ndarray | None = field(default=None, compare=False)
    names: Mapping[int, str] = field(default_factory=dict, compare=False)
    present: tuple[int, ...] = field(default=(), compare=False)
    finite: np.ndarray | None = field(default=None, compare=False, repr=False)
    spacing_known: bool = True

    @property
    def nonfinite_share(self) -> float:
        """Share of image voxels that were NaN or infinite in the input (0 when all are numbers)."""
        return 0.0 if self.finite is None else 1.0 - float(np.count_nonzero(self.finite)) / self.finite.size

    @property
    def area_unit(self) -> str:
        """Unit of a 2-D size: mm² when the pixel size is known, "px" (a pixel count) when it is not;
        readers report 1.0 per axis for a picture without a pixel size."""
        return "px" if not self.spacing_known or all(s == 1.0 for s in self.spacing) else "mm²"

    @property
    def size_unit(self) -> str:
        """Unit of a size: mL in a volume whose voxel size is known, else a count of voxels (or the
        2-D unit of :attr:`area_unit`)."""
        if self.image.ndim == 2:
            return self.area_unit
        return "mL" if self.spacing_known else "voxels"

    @property
    def voxel_size(self) -> float:
        """One voxel's size in :attr:`size_unit`: every size a measure reports is a count times this."""
        unit = self.size_unit
        if unit in COUNT_UNITS:
            return 1.0
        volume = float(np.prod(self.spacing))
        return volume / 1000.0 if unit == "mL" else volume

    @property
    def others(self) -> bool:
        """Whether other labels share the label image (neighbours to judge the mask against)."""
        return any(v != self.label for v in self.present) if self.present else True

    @property
    def mask(self) -> np.ndarray:
        """The judged label's voxels (computed on demand: a case may hold a large label image)."""
        return self.labels == self.label

    @property
    def ndim(self) -> int:
        """2 or 3."""
        return self.image.ndim

    def digest(self) -> InputDigest:
        """The input's hashes, for the record and the answer cache."""
        return InputDigest(image_sha256=self._image_sha256, mask_sha256=self._mask_sha256, label=int(self.label))

    @cached_property
    def _image_sha256(self) -> str:
        """Hashing a large volume takes a noticeable fraction of a second: once per image (a
        relabelled case carries it over)."""
        return _sha256(self.rgb if self.rgb is not None else self.image)

    @cached_property
    def _mask_sha256(self) -> str:
        return _sha256(self.mask)

    @cached_property
    def _labels_sha256(self) -> str:
        return _sha256(self.labels)

    def content_key(self) -> tuple[str, str]:
        """The hashes of the image and of the whole label map: what every label of one map
        shares, so work done for one of them can serve the others."""
        return self._image_sha256, self._labels_sha256

    def relabelled(self, label: int, structure: str) -> Case:
        """The same image and label map judged for another of its labels.

        :func:`make_case` reads the whole image and label map to check and convert them, and
        what it finds holds for every label: a run over the 100 labels of a full-resolution CT
        does that once and derives each label's case here. The image's hash, once computed,
        comes along, and so does the label map's; the image and the label map are the same arrays.
        """
        if self.present and label not in self.present:
            raise InputError(_absent(label, self.present))
        case = replace(self, label=int(label), structure=canonical_structure(structure))
        for shared in ("_image_sha256", "_labels_sha256"):
            if shared in self.__dict__:
                case.__dict__[shared] = self.__dict__[shared]
        return case


TWO_D_MODALITIES = ("X-ray", "Microscopy", "Photo")  # what a 2-D image may be; the person picks among them


def default_modality(image: np.ndarray, labels: np.ndarray) -> str:
    """The modality a case is judged as when nobody says: a colour picture is a photograph, another
    2-D image an X-ray (both judged on relative intensity), a volume a T1 MRI. Front ends say which
    was taken, so the person can pick microscopy or another one."""
    if labels.ndim == 2 and image.ndim == 3 and image.shape[-1] in (3, 4):
        return "Photo"
    return "X-ray" if image.ndim == 2 else "MRI-T1"


def make_case(
    image: np.ndarray,
    labels: np.ndarray,
    *,
    label: int | None = None,
    spacing: tuple[float, ...] | None = None,
    structure: str = "generic",
    modality: str = "MRI-T1",
    names: Mapping[int, str] | None = None,
) -> Case:
    """Check and normalise raw arrays into a :class:`Case`, or raise :class:`InputError`.

    A 2-D RGB(A) image (last axis of 3 or 4 with a 2-D label array) is converted to grey for
    measures and kept for snapshots. ``label=None`` picks the only non-zero label, or the
    largest one when there are several. ``spacing=None`` means the voxel size is unknown.
    """
    image = np.asarray(image)
    labels = np.asarray(labels)
    rgb = None
    if image.ndim == labels.ndim + 1 and image.shape[-1] in (3, 4) and labels.ndim == 2:
        rgb = image[..., :3]
        image = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if image.ndim not in (2, 3):
        raise InputError(
            f"The image has {image.ndim} dimensions {tuple(image.shape)}; napari-hcr assesses "
            "2-D or 3-D images, so pick one channel or time point first."
        )
    if labels.shape != image.shape:
        raise InputError(
            f"The mask shape {tuple(labels.shape)} does not match the image shape "
            f"{tuple(image.shape)}; the mask must be drawn on this image's grid."
        )
    if not (np.issubdtype(labels.dtype, np.integer) or labels.dtype == bool):
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise InputError("The mask holds fractional values; give a label image of integers.")
        labels = labels.astype(np.int32)
    if labels.dtype == bool:
        labels = labels.astype(np.uint8)
    numbers = np.isfinite(image)
    finite = None if numbers.all() else numbers
    if finite is not None:
        # Measures skip these voxels (Case.finite); the fill only keeps arithmetic finite, and the
        # median of the rest draws no false edge in snapshots or gradients.
        fill = float(np.median(image[finite])) if finite.any() else 0.0
        image = np.where(finite, image, np.float32(fill))
    present = np.unique(labels)
    present = present[present != 0]
    if present.size == 0:
        raise InputError("The mask is empty: no voxel carries a label, so there is nothing to judge.")
    if label is None:
        counts = [(int(np.count_nonzero(labels == v)), int(v)) for v in present]
        label = max(counts)[1]
    elif label not in present:
        raise InputError(_absent(label, tuple(int(v) for v in present)))
    known = spacing is not None
    if spacing is None:
        spacing = (1.0,) * image.ndim
    spacing = tuple(float(s) for s in spacing)[-image.ndim :]
    if len(spacing) != image.ndim or any(not np.isfinite(s) or s <= 0 for s in spacing):
        raise InputError(
            f"The voxel spacing {spacing} is not one positive size per image axis: the image has {image.ndim} axes "
            f"{tuple(image.shape)}."
        )
    return Case(
        image=np.ascontiguousarray(image, dtype=np.float32),
        labels=np.ascontiguousarray(labels),
        label=int(label),
        spacing=spacing,
        structure=canonical_structure(structure),
        modality=modality,
        rgb=rgb,
        names=dict(names or {}),
        present=tuple(int(v) for v in present),
        finite=finite,
        spacing_known=known,
    )


SHOWN_LABELS = 12  # labels an error message lists before it says how many more there are


def _absent(label: int, present: tuple[int, ...]) -> str:
    shown = ", ".join(str(v) for v in present[:SHOWN_LABELS])
    more = len(present) - SHOWN_LABELS
    rest = f" and {more} more, up to {present[-1]}" if more > 0 else ""
    return f"Label {label} does not occur in the mask; present labels: {shown}{rest}."


def _sha256(array: np.ndarray) -> str:
    digest = hashlib.sha256()
    digest.update(str(array.dtype).encode() + str(array.shape).encode())
    # Hash the buffer in place: tobytes() would copy it while holding the GIL (150 ms on a
    # 512x512x300 volume, a frozen viewer); hashlib reads a buffer with the GIL released.
    digest.update(np.ascontiguousarray(array).reshape(-1).view(np.uint8).data)
    return digest.hexdigest()
