"""The napari dock widget "HCR Quality Check" (the only part of napari-hcr that imports Qt).

``QCWidget`` is imported on first use, so the views (form, results, review log, settings) can
be imported, and tested, without napari.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._widget import QCWidget

__all__ = ["QCWidget"]


def __getattr__(name: str) -> Any:
    if name == "QCWidget":
        from ._widget import QCWidget

        return QCWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
