"""One projection policy: the model names and :class:`ProjectionSettings`, the facts they imply.

Every place that projects a capture -- :func:`depthlab.project`, the notebook views, the
figures, the HTML export, the command line, meshes -- describes *how* with one frozen
:class:`ProjectionSettings` and asks it the derived facts (is this a pinhole model, which units,
which stride for a size, which colour when the photo has none) instead of spelling them again.

Models
------
``"pinhole"`` (default)
    The camera's own calibration: intrinsics scaled to the depth map's size, Apple's lens
    distortion removed (:mod:`depthlab.camera`).  Metres.
``"pinhole-raw"``
    The same intrinsics, distortion ignored (to see what the correction changes).
``"orthographic"``
    *Teaching mode*: the pixel grid laid flat and pushed back by the depth.  No perspective in
    the back-projection: every point keeps its pixel's place on the grid, so far things stay as
    small as they look in the photo -- too small.  Arbitrary units.
``"disparity-as-z"``
    *A common mistake*, kept as a named mode so it can be shown: the flat grid with the stored
    disparity (1/m), mirrored within its range, used as z.

The formulas are in :mod:`depthlab.geometry`; frames and units in :mod:`depthlab.conventions`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from .checks import known_options, one_of, positive_number, whole_number
from .errors import InvalidInputError

__all__ = [
    "MODELS", "PINHOLE_MODELS", "FLAT_MODELS", "MODEL_LABELS", "COLOURS", "DEFAULT_MODEL",
    "PINHOLE", "PINHOLE_RAW", "ORTHOGRAPHIC", "DISPARITY_AS_Z", "removes_distortion", "MAX_LIVE_STRIDE", "check_mask",
    "ProjectionSettings", "is_pinhole", "default_stride", "check_model",
]

#: The projection models, each with a short label for menus (the only place they are named).
MODEL_LABELS = {
    "pinhole": "pinhole, lens distortion removed",
    "pinhole-raw": "pinhole, raw (distortion ignored)",
    "orthographic": "orthographic (teaching: pixel grid pushed back)",
    "disparity-as-z": "disparity as z (a common mistake)",
}
MODELS = tuple(MODEL_LABELS)
#: Each model by name, for code that means one of them (spell a model name nowhere else).
PINHOLE, PINHOLE_RAW, ORTHOGRAPHIC, DISPARITY_AS_Z = MODELS
DEFAULT_MODEL = PINHOLE
#: Models that need the camera's intrinsics and give metres (at depth scale 1).
PINHOLE_MODELS = MODELS[:2]
#: Models on the flat pixel grid (no intrinsics, arbitrary units).
FLAT_MODELS = MODELS[2:]

#: The largest stride the live views' slider offers (any whole stride projects).
MAX_LIVE_STRIDE = 8

#: Point colour modes: the photo, the depth colour ramp (:mod:`depthlab.colour`), a matte.
COLOURS = ("rgb", "depth", "matte")

#: Edge points (a neighbour jumps in depth: the mesh's cut rule,
#: :func:`depthlab.surface.triangulate.occlusion_edges`): the views and the HTML page hide them by
#: default and show them on request; they are flagged, never dropped.
EDGE_OPTIONS = ("hide", "show")


def check_edges(edges: str) -> str:
    """``edges`` if it is one of :data:`EDGE_OPTIONS`, else :class:`InvalidInputError`.

    >>> from depthlab.settings import check_edges
    >>> check_edges("show")
    'show'
    """
    return one_of("edges", edges, EDGE_OPTIONS)


def check_model(model: str) -> str:
    """``model`` if it is one of :data:`MODELS`, else :class:`InvalidInputError`.

    >>> from depthlab.settings import check_model
    >>> check_model("pinhole")
    'pinhole'
    """
    return one_of("model", model, MODELS)


def is_pinhole(model: str) -> bool:
    """True for the calibrated models (metres, need intrinsics).

    >>> from depthlab.settings import is_pinhole
    >>> is_pinhole("pinhole-raw"), is_pinhole("orthographic")
    (True, False)
    """
    return model in PINHOLE_MODELS


def length_units(model: str, depth_scale: float = 1.0, depth_unit: str = "m") -> str:
    """The units of a cloud's or mesh's positions: ``"m"`` for a pinhole model at depth scale 1 of
    a capture whose depth is in metres (``Capture.depth_unit``), else ``"arbitrary"`` (a flat
    model, a stretched depth, or a file's own units).

    >>> from depthlab.settings import length_units
    >>> length_units("pinhole"), length_units("pinhole", 2.0), length_units("pinhole", depth_unit="units")
    ('m', 'arbitrary', 'arbitrary')
    """
    return "m" if (is_pinhole(model) and float(depth_scale) == 1.0 and depth_unit == "m") else "arbitrary"


def removes_distortion(model: str) -> bool:
    """True for the model that removes the lens distortion (:data:`PINHOLE`)."""
    return model == PINHOLE


def default_stride(shape: tuple[int, int], max_points: int = 500_000) -> int:
    """The smallest stride whose grid of an ``(H, W)`` map keeps at most ``max_points`` points.

    >>> from depthlab.settings import default_stride
    >>> default_stride((3024, 4032)), default_stride((640, 480))
    (5, 1)
    """
    h, w = int(shape[0]), int(shape[1])
    s = max(1, math.isqrt(max(0, h * w // max(1, int(max_points)))))
    while s > 1 and math.ceil(h / (s - 1)) * math.ceil(w / (s - 1)) <= max_points:
        s -= 1
    while math.ceil(h / s) * math.ceil(w / s) > max_points:
        s += 1
    return s


def _limit(name: str, value: Any) -> float | None:
    """None, or a positive finite distance in metres."""
    return None if value is None else positive_number(name, value, " (a distance in metres, or None)")


def check_mask(mask: Any) -> Any:
    """``mask`` in one of its forms, else InvalidInputError: None; a matte name; a box
    ``(x0, y0, x1, y1)`` in the photo's pixels (the depth map's where there is no photo),
    x0 < x1 and y0 < y1, as a tuple of floats; or an array (bool, or 0..1 kept from 0.5) of the
    depth map's, the grid's or the photo's shape (checked against a capture by
    :func:`depthlab.projection.region_mask`)."""
    if mask is None or isinstance(mask, str):
        return mask
    scalars = isinstance(mask, (tuple, list)) and all(np.ndim(v) == 0 and not isinstance(v, (bool, np.bool_)) for v in mask)
    if isinstance(mask, tuple) or (scalars and len(mask) == 4):
        if not (scalars and len(mask) == 4):
            raise InvalidInputError(f"a mask box is (x0, y0, x1, y1) in the photo's pixels, got {mask!r}")
        try:
            box = tuple(float(v) for v in mask)
        except (TypeError, ValueError):
            box = (math.nan,) * 4
        if not (all(math.isfinite(v) for v in box) and box[0] < box[2] and box[1] < box[3]):
            raise InvalidInputError(f"a mask box is (x0, y0, x1, y1) in the photo's pixels with x0 < x1 and "
                                    f"y0 < y1, got {mask!r}")
        return box
    arr = np.asarray(mask)
    if arr.dtype == object or arr.ndim not in (1, 2) or not (arr.dtype == bool or np.issubdtype(arr.dtype, np.number)):
        raise InvalidInputError(f"mask must be None, a matte name, a box (x0, y0, x1, y1) in the photo's pixels or "
                                f"a bool array, got {type(mask).__name__}")
    return mask


@dataclass(frozen=True, eq=False)
class ProjectionSettings:
    """How to turn a depth map into points: one value, checked once, shared by every caller.

    Attributes
    ----------
    model : one of :data:`MODELS` (default ``"pinhole"``).
    near, far : keep depths within ``[near, far]`` metres (None: no limit), compared before
        ``depth_scale``; positive, near below far.
    stride : keep every ``stride``-th pixel in each direction, a whole number >= 1 (see
        :mod:`depthlab.conventions`; the live views' slider stops at :data:`MAX_LIVE_STRIDE`).
    mask : None, a matte name (e.g. ``"portrait"``; thresholded at 0.5 after resampling to depth
        size), a box ``(x0, y0, x1, y1)`` in the photo's pixels, or a boolean/float array of the
        depth map's, the grid's or the photo's shape (see :func:`check_mask`).
    colour : ``"rgb"``, ``"depth"`` or ``"matte"`` (see :meth:`colour_for`).
    matte : which matte ``colour="matte"`` shows (see :meth:`matte_for`).
    depth_scale : multiplies depth (pinhole models: a uniform scale of the cloud; flat models: z
        only).
    aspect : stretches y of the flat models (ignored by the pinhole ones).

    ``ProjectionSettings(model="orthographic")``; ``settings.replace(far=1.5)`` for a variant.

    >>> from depthlab import ProjectionSettings
    >>> s = ProjectionSettings(model="orthographic", stride=2)
    >>> s.pinhole, s.units, s.replace(far=1.5).far
    (False, 'arbitrary', 1.5)
    >>> try:
    ...     ProjectionSettings(stride=2.5)
    ... except depthlab.InvalidInputError as exc:
    ...     print(exc)
    stride must be a whole number of at least 1, got 2.5
    """

    model: str = DEFAULT_MODEL
    near: float | None = None
    far: float | None = None
    stride: int = 1
    mask: Any = None
    colour: str = "rgb"
    matte: str | None = None
    depth_scale: float = 1.0
    aspect: float = 1.0

    def __post_init__(self) -> None:
        check_model(self.model)
        if self.colour not in COLOURS:
            raise InvalidInputError(f"colour must be one of {COLOURS}, got {self.colour!r}")
        object.__setattr__(self, "stride", whole_number("stride", self.stride))
        near, far = _limit("near", self.near), _limit("far", self.far)
        if near is not None and far is not None and near >= far:
            raise InvalidInputError(f"near ({near:g} m) must be below far ({far:g} m): nothing lies between them")
        object.__setattr__(self, "near", near)
        object.__setattr__(self, "far", far)
        object.__setattr__(self, "mask", check_mask(self.mask))
        object.__setattr__(self, "depth_scale", positive_number("depth_scale", self.depth_scale))
        object.__setattr__(self, "aspect", positive_number("aspect", self.aspect))

    @classmethod
    def option_names(cls) -> list[str]:
        """The settings' names, as keyword options of project() and every caller."""
        return [f.name for f in fields(cls)]

    @classmethod
    def from_options(cls, options: dict[str, Any], what: str = "projection") -> "ProjectionSettings":
        """Settings from keyword options, naming any unknown keyword and the known ones."""
        known_options(what, options, cls.option_names())
        return cls(**options)

    def replace(self, **changes: Any) -> "ProjectionSettings":
        """A copy with ``changes`` applied (checked again)."""
        return replace(self, **changes)

    # -- derived facts --------------------------------------------------------------------------
    @property
    def pinhole(self) -> bool:
        """True for the calibrated models (need intrinsics, give metres at depth scale 1)."""
        return is_pinhole(self.model)

    @property
    def units(self) -> str:
        """``"m"`` for a pinhole model at depth scale 1, else ``"arbitrary"``: what the settings
        alone say.  A capture in its file's own units gives arbitrary units under any settings;
        a label for a capture's positions asks :func:`length_units` with its ``depth_unit``
        (as :func:`depthlab.project` and :func:`depthlab.mesh` do)."""
        return length_units(self.model, self.depth_scale)

    @property
    def mask_label(self) -> str | list[float] | None:
        """The mask as it can be written down: None, the matte name, the box as a list, or ``"array"``."""
        if isinstance(self.mask, tuple):
            return list(self.mask)
        return self.mask if (self.mask is None or isinstance(self.mask, str)) else "array"

    def colour_for(self, has_rgb: bool, has_mattes: bool = True) -> str:
        """The colour mode actually used: ``"rgb"`` without a photo, or ``"matte"`` without
        mattes, falls back to ``"depth"``."""
        if (self.colour == "rgb" and not has_rgb) or (self.colour == "matte" and not has_mattes):
            return "depth"
        return self.colour

    def matte_for(self, mattes: Any) -> str | None:
        """The matte ``colour="matte"`` shows: ``matte``, else ``mask`` when it names a matte,
        else the first of ``mattes`` (None when there are none)."""
        if self.matte is not None:
            return self.matte
        if isinstance(self.mask, str):
            return self.mask
        return next(iter(mattes), None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly parameters (an array mask is written as ``"array"``)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["mask"] = self.mask_label
        return out
