"""Errors the widget and the CLI turn into one plain sentence.

Every error raised on purpose by napari-hcr derives from :class:`HCRError`, so callers can
show ``str(error)`` to a person and keep tracebacks for genuine bugs only.
"""

from __future__ import annotations


class HCRError(Exception):
    """Base of all expected failures; ``str()`` is a sentence fit for a person."""


class InputError(HCRError):
    """The image or mask cannot be assessed as given (shape, dimensionality, empty mask...)."""


class CannotAssess(HCRError):
    """The image cannot be read well enough to judge a mask on it (blank, constant, mostly
    non-finite, or too little contrast): the answer is "cannot assess", never a verdict."""


class BackendError(HCRError):
    """A reasoning backend could not produce a stage (network, refusal, garbled answer)."""

    def __init__(self, message: str, *, stage: str | None = None, retryable: bool = False):
        super().__init__(message)
        self.stage = stage
        self.retryable = retryable


class BlockedError(BackendError):
    """The model refused to answer (safety block): 'could not assess', never a verdict."""


class CancelledError(HCRError):
    """The person cancelled the run."""
