"""From the form's choice, the layers and the settings to a :class:`~napari_hcr.runs.RunRequest`.

Only references are gathered here, on the Qt thread: the layers' arrays go into the request as
they are and are read by the run on its worker thread, and the backend is a factory built there
too (building a model backend imports its SDK).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from napari.layers import Image, Labels

from ..backends import Backend, make_backend, missing_sdk
from ..cache import AssessmentCache
from ..label_names import names_from_features, structures_from_names
from ..runs import RunRequest
from ..secrets import find_api_key
from . import _layers
from ._form import FormChoice
from ._settings import WidgetSettings


def build_request(
    choice: FormChoice,
    image: Image | None,
    labels: Labels | None,
    settings: WidgetSettings,
    *,
    backend: Backend | None = None,
    auto: bool = False,
) -> RunRequest:
    """The run the person asked for; raises :class:`~napari_hcr.errors.InputError` with a sentence."""
    inputs = _layers.gather(image, labels)
    assert image is not None and labels is not None  # gather raised otherwise
    structures: dict[int, str] = {}
    if choice.all_labels or not choice.structure:
        # Each label its own structure: the names in the layer's features (TotalSegmentator, an atlas).
        features = labels.features
        structures = structures_from_names(names_from_features({c: features[c] for c in features.columns}))
    named = labels.metadata.get("structure")
    if isinstance(named, dict):
        structures.update(
            {int(k): _layers.structure_for(labels, image, int(k), choice.structure) for k in named if str(k).isdigit()}
        )
    return RunRequest(
        image=inputs.image,
        mask=inputs.labels,
        spacing=inputs.spacing,
        labels="all" if choice.all_labels else (choice.label,),
        structures=structures,
        structure=_layers.structure_for(labels, image, choice.label, choice.structure),
        modality=choice.modality,
        backend=(lambda: backend)
        if backend is not None
        else backend_factory("offline" if auto else choice.backend, settings),
        cache=AssessmentCache() if settings.use_cache else None,
    )


def backend_factory(name: str, settings: WidgetSettings) -> Callable[[], Backend]:
    """How to build backend ``name`` with the settings as they are now; built later in the worker."""
    if name == "gemini":
        return partial(make_backend, "gemini", model=settings.gemini_model, api_key=find_api_key(settings.gemini_key))
    if name == "openai_compat":
        return partial(
            make_backend,
            "openai_compat",
            base_url=settings.local_url,
            model=settings.local_model or None,
            api_key=settings.local_key or None,
        )
    return partial(make_backend, name)


def backend_hint(name: str, settings: WidgetSettings) -> str:
    """One line under the backend menu: where the images go, or which extra to install first."""
    missing = missing_sdk(name)
    if missing:
        return missing
    if name == "gemini":
        return f"Asks {settings.gemini_model}; snapshots and measures are sent to Google."
    if name == "openai_compat":
        return f"Asks the model server at {settings.local_url}."
    hint = "Computed on this computer; nothing leaves it."
    if find_api_key(settings.gemini_key) is None:
        hint += " To ask Gemini, set GEMINI_API_KEY or paste a key under Settings."
    return hint
