"""A content-addressed store of finished assessments, so a question is never paid for twice.

The key hashes what determines the answer (image, mask, label, structure, modality, backend,
model, prompt version, the knowledge the stages recall); it never includes a key or a file
name. Entries are Assessment JSON files, written atomically so two viewers sharing a cache
folder cannot read half a record.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from platformdirs import user_cache_dir

from .case import Case
from .knowledge import knowledge_digest
from .verdict import Assessment


def default_cache_dir() -> Path:
    """Where answers are kept: ``$NAPARI_HCR_CACHE_DIR``, else the user's cache folder."""
    return Path(os.environ.get("NAPARI_HCR_CACHE_DIR") or user_cache_dir("napari-hcr")) / "assessments"


def cache_key(case: Case, backend: str, model: str, prompt_version: str) -> str:
    """A key that changes with anything that could change the answer: the pixels, the label,
    the structure and modality, the spacing, the backend, its model, the prompts' version and
    the knowledge table (a corrected profile must not serve the answer its old text gave)."""
    digest = case.digest()
    parts = [
        digest.image_sha256,
        digest.mask_sha256,
        str(digest.label),
        case.structure,
        case.modality,
        repr(case.spacing) if case.spacing_known else "spacing unknown",
        backend,
        model,
        prompt_version,
        knowledge_digest(),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class AssessmentCache:
    """Finished model assessments on disk, one JSON file per key, written atomically."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder else default_cache_dir()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> Assessment | None:
        """The stored assessment, or None when there is none or it cannot be read."""
        path = self._path(key)
        try:
            return Assessment.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, assessment: Assessment) -> None:
        """Store ``assessment``; a reader never sees a half-written file."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(assessment.to_json())
        os.replace(tmp, path)
