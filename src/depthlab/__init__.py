"""depthlab: explore the depth maps hidden in phone portrait photos.

>>> import depthlab
>>> cap = depthlab.open("data/sample/front_truedepth.heic")   # doctest: +SKIP
>>> cap.depth.shape, cap.accuracy                              # doctest: +SKIP

``import depthlab`` stays light (numpy only): readers, projection, views, figures and PCD
support load when first used.
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
    "show": ("depthlab.widgets", "show"),
    "explore": ("depthlab.widgets", "explore"),
    "compare": ("depthlab.widgets", "compare"),
    "to_html": ("depthlab.export", "to_html"),
    "ProjectionSettings": ("depthlab.settings", "ProjectionSettings"),
    "grid_points": ("depthlab.projection", "grid_points"),
    # the function lives in depthlab.surface: a submodule named "mesh" would shadow it
    "mesh": ("depthlab.surface", "mesh"),
    "Mesh": ("depthlab.surface", "Mesh"),
    # likewise depthlab.refine lives in depthlab.refinement
    "refine": ("depthlab.refinement", "refine"),
    # likewise depthlab.refocus lives in depthlab.defocus, refocus_view in depthlab.refocus_live
    "refocus": ("depthlab.defocus", "refocus"),
    "refocus_view": ("depthlab.refocus_live", "refocus_view"),
}
_LAZY_MODULES = {"concepts", "figures", "synth", "viewer", "widgets", "projection", "pointcloud", "camera", "html", "cli",
                 "formats", "surface", "refinement", "settings", "geometry", "colour", "conventions", "export",
                 "depth_png", "batch", "defocus", "refocus_live", "lesson_figures"}


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
        return _load(f"depthlab.{name}")
    raise AttributeError(f"module 'depthlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _LAZY_MODULES)


__all__ = [
    "open", "project", "Projector", "PointCloud", "show", "explore", "compare", "to_html", "mesh", "Mesh", "refine",
    "ProjectionSettings", "grid_points", "refocus", "refocus_view",
    "Capture", "Calibration", "CameraInfo", "DepthEncoding", "Orientation",
    "DepthlabError", "UnreadableFileError", "UnsupportedFormatError", "NoDepthError",
    "CalibrationError", "InvalidInputError", "OverwriteError", "WriteError", "MissingDependencyError",
]
