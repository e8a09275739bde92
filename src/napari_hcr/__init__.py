"""napari-hcr: the Hierarchical Clinical Reasoner for segmentation quality control.

The package root stays free of Qt and napari so the CLI and the benchmark import it headless;
the dock widget lives in :mod:`napari_hcr.widget`. The version is written once, in
pyproject.toml, and read here from the installed package's metadata.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("napari-hcr")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
