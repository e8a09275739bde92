"""Build hook: put the top-level ``napari.yaml`` and ``sample_data/`` inside the package.

The repository keeps both at its top (the design's layout) and the package reaches them
without symlinks, which a Windows checkout would turn into small text files:

- wheel (from a clone or from an sdist): both are force-included as ``napari_hcr/napari.yaml``
  and ``napari_hcr/sample_data/``;
- editable install: the package is imported from ``src/napari_hcr``, and npe2 looks for the
  manifest beside the package's own files, so the manifest is copied there (the copy is
  git-ignored and rewritten by every editable install); the samples are found through the
  editable-aware lookup in ``napari_hcr._sample_data``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

MANIFEST = "napari.yaml"
SAMPLES = "sample_data"
PACKAGE = "napari_hcr"


class TopLevelDataHook(BuildHookInterface):
    """See the module docstring."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        if self.target_name != "wheel":
            return
        if version == "editable":
            shutil.copy2(root / MANIFEST, root / "src" / PACKAGE / MANIFEST)
            return
        build_data["force_include"][str(root / MANIFEST)] = f"{PACKAGE}/{MANIFEST}"
        for path in sorted((root / SAMPLES).iterdir()):  # the samples, their README and their recipe
            if path.is_file() and path.suffix in (".gz", ".md", ".py"):
                build_data["force_include"][str(path)] = f"{PACKAGE}/{SAMPLES}/{path.name}"
