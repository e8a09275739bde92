"""Moving the viewer to a finding: the right axis, the slice, the centre, and a marker.

A finding's Location is in the labels layer's array coordinates; napari's dims and camera
work in world coordinates, which differ when the layer has a scale or translate, or when the
viewer holds layers of higher dimensionality. All conversion goes through the layer.
"""

from __future__ import annotations

import numpy as np
from napari.layers import Labels, Points
from napari.viewer import Viewer

from ..verdict import Location

HIGHLIGHT_NAME = "HCR finding"


def go_to(viewer: Viewer, labels: Labels, location: Location, label: int) -> tuple[float, ...]:
    """Show ``location`` and mark it; returns the marked point in data coordinates."""
    point = _data_point(labels, location, label)
    world = np.asarray(labels.data_to_world(point), dtype=float)
    offset = viewer.dims.ndim - labels.ndim
    if location.axis >= 0 and viewer.dims.ndisplay == 2:
        world_axis = location.axis + offset
        order = [a for a in viewer.dims.order if a != world_axis]
        viewer.dims.order = (world_axis, *order)
        viewer.dims.set_point(world_axis, float(world[location.axis]))
    displayed = list(viewer.dims.displayed)
    centre = [float(world[a - offset]) for a in displayed if a >= offset]
    if len(centre) == len(displayed):
        # napari 0.9 moved the camera under viewer.scene; older releases keep viewer.camera
        camera = viewer.scene.camera if hasattr(viewer, "scene") else viewer.camera
        camera.center = tuple(centre)
    highlight(viewer, labels, point)
    return point


def highlight(viewer: Viewer, labels: Labels, point: tuple[float, ...]) -> Points:
    """A ring on the finding, on a layer of its own that the next run removes."""
    clear_highlight(viewer)
    size = max(8.0, 0.08 * float(max(labels.data.shape[-2:])))
    layer = viewer.add_points(
        [point],
        name=HIGHLIGHT_NAME,
        scale=labels.scale,
        translate=labels.translate,
        size=size,
        face_color="transparent",
        border_color="#ffd600",
        border_width=0.15,
        symbol="ring",
    )
    viewer.layers.selection.active = labels
    return layer


def clear_highlight(viewer: Viewer) -> None:
    if HIGHLIGHT_NAME in viewer.layers:
        viewer.layers.remove(HIGHLIGHT_NAME)


def _data_point(labels: Labels, location: Location, label: int) -> tuple[float, ...]:
    """The finding's own point, else the middle of the mask on that slice, else the slice centre."""
    shape = labels.data.shape
    if location.point is not None and len(location.point) == len(shape):
        return tuple(float(v) for v in location.point)
    if location.axis < 0 or len(shape) == 2:
        plane = np.asarray(labels.data)
        return _centre(plane == label, shape)
    at = min(max(location.slice, 0), shape[location.axis] - 1)
    index: list[slice | int] = [slice(None)] * len(shape)
    index[location.axis] = at
    plane = np.asarray(labels.data[tuple(index)]) == label
    in_plane = list(_centre(plane, plane.shape))
    in_plane.insert(location.axis, float(at))
    return tuple(in_plane)


def _centre(mask: np.ndarray, shape: tuple[int, ...]) -> tuple[float, ...]:
    found = np.argwhere(mask)
    if found.size:
        return tuple(float(v) for v in found.mean(axis=0))
    return tuple((s - 1) / 2 for s in shape)
