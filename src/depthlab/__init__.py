"""depthlab: explore the depth maps hidden in phone portrait photos.

``import depthlab`` stays light (numpy only): readers, projection, views, figures and PCD
support load when first used.

>>> import depthlab
>>> cap = depthlab.open("data/sample/front_truedepth.heic")
>>> cap.depth.shape, cap.accuracy
((640, 480), 'absolute')
>>> cloud = depthlab.project(cap, stride=4, far=1.5)
>>> cloud.units, len(cloud) > 1000
('m', True)
"""

from __future__ import annotations

import importlib
from typing import Any

from .capture import Calibration, CameraInfo, Capture, DepthEncoding, Orientation
from .errors import (
    CalibrationError,
    DepthlabError,
    InvalidInputError,
    MissingDependencyError,
    NoDepthError,
    OverwriteError,
    UnreadableFileError,
    UnsupportedFormatError,
    WriteError,
)

__version__ = "0.1.0"

# name -> (module, attribute); resolved on first access so heavy dependencies load late
_LAZY = {
    "open": ("depthlab.reader", "open"),
    "project": ("depthlab.projection", "project"),
    "Projector": ("depthlab.projection", "Projector"),
    "PointCloud": ("depthlab.pointcloud", "PointCloud"),
    "show": ("depthlab.live.widgets", "show"),
    "explore": ("depthlab.live.widgets", "explore"),
    "compare": ("depthlab.live.widgets", "compare"),
    "to_html": ("depthlab.exchange.export", "to_html"),
    "ProjectionSettings": ("depthlab.settings", "ProjectionSettings"),
    "grid_points": ("depthlab.projection", "grid_points"),
    "points_at": ("depthlab.projection", "points_at"),
    # the Python batch API (one record per file); the module is depthlab.cli.batch
    "batch": ("depthlab.cli.batch", "batch"),
    # the function lives in depthlab.surface: a submodule named "mesh" would shadow it
    "mesh": ("depthlab.surface", "mesh"),
    "Mesh": ("depthlab.surface", "Mesh"),
    "layers": ("depthlab.surface.layers", "layers"),
    "Layers": ("depthlab.surface.layers", "Layers"),
    "animate": ("depthlab.exchange.animation", "animate"),
    # likewise depthlab.refine lives in depthlab.imaging._refine
    "refine": ("depthlab.imaging._refine", "refine"),
    # likewise depthlab.refocus lives in depthlab.imaging._refocus, refocus_view in depthlab.live.refocus_view
    "refocus": ("depthlab.imaging._refocus", "refocus"),
    "refocus_view": ("depthlab.live.refocus_view", "refocus_view"),
    "stereo": ("depthlab.imaging.stereo", "stereo"),
}
# depthlab.<name> for a module: the modules of the old flat layout keep their short names
_LAZY_MODULES = {
    "camera": "depthlab.camera", "colour": "depthlab.colour", "conventions": "depthlab.conventions",
    "geometry": "depthlab.geometry", "pointcloud": "depthlab.pointcloud", "projection": "depthlab.projection",
    "settings": "depthlab.settings",
    "formats": "depthlab.formats", "synth": "depthlab.synth", "surface": "depthlab.surface",
    "imaging": "depthlab.imaging", "exchange": "depthlab.exchange", "live": "depthlab.live",
    "figures": "depthlab.figures", "teaching": "depthlab.teaching", "cli": "depthlab.cli",
    "concepts": "depthlab.teaching.concepts", "truthcheck": "depthlab.teaching.truthcheck",
    "lessons": "depthlab.teaching.lessons", "stereo_lesson": "depthlab.teaching.stereo_lesson",
    "lesson_figures": "depthlab.figures.lessons",
    "viewer": "depthlab.live.viewer", "widgets": "depthlab.live.widgets", "scene": "depthlab.live.scene",
    "refocus_live": "depthlab.live.refocus_view",
    "html": "depthlab.exchange.html", "export": "depthlab.exchange.export", "depth_png": "depthlab.exchange.depth_png",
    "info": "depthlab.cli.info",
    "refinement": "depthlab.imaging._refine", "defocus": "depthlab.imaging._refocus",
}


def _load(module: str) -> Any:
    """Import one of depthlab's own modules; a missing third-party package it needs is named."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        from .deps import dependency_in, missing_error

        dep = dependency_in(exc)
        if dep is None:
            raise
        raise missing_error(dep, exc) from exc


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(_load(module), attr)
        globals()[name] = value
        return value
    if name in _LAZY_MODULES:
        return _load(_LAZY_MODULES[name])
    raise AttributeError(f"module 'depthlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_MODULES))


__all__ = [
    "open", "project", "Projector", "PointCloud", "show", "explore", "compare", "to_html", "mesh", "Mesh", "layers", "Layers", "animate", "refine",
    "ProjectionSettings", "grid_points", "points_at", "batch", "refocus", "refocus_view", "stereo",
    "Capture", "Calibration", "CameraInfo", "DepthEncoding", "Orientation",
    "DepthlabError", "UnreadableFileError", "UnsupportedFormatError", "NoDepthError",
    "CalibrationError", "InvalidInputError", "OverwriteError", "WriteError", "MissingDependencyError",
]
