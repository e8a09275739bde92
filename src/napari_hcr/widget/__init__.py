"""The napari dock widget "HCR Quality Check" (the only part of napari-hcr that imports Qt)."""

from ._widget import QCWidget

__all__ = ["QCWidget"]
