"""napari-hcr: the Hierarchical Clinical Reasoner for segmentation quality control.

The package root stays free of Qt and napari so the CLI and the benchmark import it headless;
the dock widget lives in :mod:`napari_hcr.widget`.
"""

__version__ = "0.1.0"
