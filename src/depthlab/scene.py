"""Scene frame: the one place where depthlab's camera frame becomes three.js's frame.

depthlab's camera frame (OpenCV / Open3D): x right, y down, z forward, metres, the phone at the
origin.  three.js (and therefore pythreejs and the HTML export) is y-up and its cameras look down
their own -z axis: x right, y up, z toward the viewer.  The map between them is a rotation of 180
degrees about x, ``(x, y, z) -> (x, -y, -z)``.  Nothing else in depthlab flips axes for display:
the pythreejs view (:mod:`depthlab.viewer`) and the HTML export both call :func:`to_threejs` and
:func:`initial_camera`.

numpy only, so the HTML exporter and tests can use it without a notebook stack.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import InvalidInputError

#: widest vertical field of view (degrees) the initial camera uses at the phone's position;
#: a cloud that needs more (teaching models laid out wider than deep) is viewed from further back
MAX_FOV_DEG = 75.0
#: field of view used when the camera has to step back from the origin
FALLBACK_FOV_DEG = 50.0
#: extra room around the cloud in the initial view
MARGIN = 1.08


def to_threejs(xyz: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Points in depthlab's camera frame -> points in three.js's frame, float32 (N, 3).

    Convention: input x right, y down, z forward (any units, usually metres); output x right,
    y up, z toward the viewer, same units: ``(x, y, z) -> (x, -y, -z)``.  Rows are points.
    ``out`` (float32, same shape) is filled and returned when given, so a viewer can reuse one
    buffer between updates; ``out`` may be ``xyz`` itself.  NaN stays NaN.

    >>> to_threejs(np.array([[1.0, 2.0, 3.0]])).tolist()
    [[1.0, -2.0, -3.0]]
    """
    a = np.asarray(xyz)
    if a.ndim != 2 or a.shape[1] != 3:
        raise InvalidInputError(f"points must have shape (N, 3), got {a.shape}")
    if out is None:
        out = np.empty(a.shape, dtype=np.float32)
    elif out.shape != a.shape or out.dtype != np.float32:
        raise InvalidInputError(f"out must be float32 {a.shape}, got {out.dtype} {out.shape}")
    # copy, then negate y and z column by column: four times faster than a broadcast multiply
    np.copyto(out, a, casting="same_kind")
    np.negative(out[:, 1], out=out[:, 1])
    np.negative(out[:, 2], out=out[:, 2])
    return out


def _bounds(bounds_min: Any, bounds_max: Any) -> tuple[np.ndarray, np.ndarray]:
    lo = np.asarray(bounds_min, dtype=np.float64).reshape(-1)
    hi = np.asarray(bounds_max, dtype=np.float64).reshape(-1)
    if lo.shape != (3,) or hi.shape != (3,):
        raise InvalidInputError(f"bounds must be two 3-vectors, got {lo.shape} and {hi.shape}")
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise InvalidInputError(f"bounds must be finite, got {lo.tolist()} .. {hi.tolist()} (is the cloud empty?)")
    if np.any(hi < lo):
        raise InvalidInputError(f"bounds_max {hi.tolist()} is below bounds_min {lo.tolist()}")
    return lo, hi


def initial_camera(bounds_min: Any, bounds_max: Any, aspect: float = 1.0, fit: str = "far") -> dict[str, Any]:
    """Where the virtual camera starts: at the phone, looking along its optical axis at the cloud.

    Parameters
    ----------
    bounds_min, bounds_max : 3-vectors in depthlab's camera frame (x right, y down, z forward),
        e.g. ``PointCloud.bounds``.
    aspect : width / height of the view the camera renders into (the horizontal extent must fit).
    fit : ``"far"`` (default) fits the bounds' far face: right for a cloud projected through a
        pinhole camera at the origin, whose far face spans the phone's field of view.  ``"all"``
        fits every corner (the near face too): for the flat teaching models, whose near points
        are as wide as the far ones.

    Returns
    -------
    dict with ``position``, ``target``, ``up`` (3-tuples of floats), ``fov`` (vertical, degrees),
    ``near``, ``far``, all in **three.js** coordinates (x right, y up, z toward the viewer).

    Convention: the camera sits at the phone's position (the origin) and its target is the point
    on the optical axis (three.js ``(0, 0, -z)``) at the depth of the cloud's centre, so the first
    view is what the phone saw and orbiting turns around the subject.  If the cloud does not
    straddle the optical axis, the target is the cloud's centre instead.  The field of view is
    the smallest that shows the bounds' far face (for a pinhole cloud: the phone's own field of
    view; ``fit="all"``: every corner) with a small margin.  If that would exceed ``MAX_FOV_DEG`` (a cloud close to or behind
    the origin, or a teaching model wider than deep) the camera steps back along the viewing
    direction, keeping ``FALLBACK_FOV_DEG``.
    """
    lo, hi = _bounds(bounds_min, bounds_max)
    if not (aspect > 0 and math.isfinite(aspect)):
        raise InvalidInputError(f"aspect must be positive, got {aspect}")
    if fit not in ("far", "all"):
        raise InvalidInputError(f"fit must be 'far' or 'all', got {fit!r}")
    centre = (lo + hi) / 2
    size = float(np.linalg.norm(hi - lo)) or 1.0
    straddles = lo[0] <= 0 <= hi[0] and lo[1] <= 0 <= hi[1]
    target = np.array([0.0, 0.0, centre[2]]) if straddles else centre.copy()
    position = np.zeros(3)

    # viewing direction (camera frame) and the half extents of the far face around it
    view = target - position
    dist = float(np.linalg.norm(view))
    fov = None
    if dist > 1e-9 and hi[2] > 0:
        d = view / dist
        # corners of the far face, measured in the camera's own axes (d is close to +z)
        faces = (hi[2],) if fit == "far" else (lo[2], hi[2])
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in faces])
        along = corners @ d
        if np.all(along > 1e-9):
            right = np.cross(d, [0.0, -1.0, 0.0])  # camera frame: up is -y
            right /= np.linalg.norm(right) or 1.0
            up = np.cross(right, d)
            tan_x = np.max(np.abs(corners @ right) / along)
            tan_y = np.max(np.abs(corners @ up) / along)
            tan_half = max(tan_y, tan_x / aspect) * MARGIN
            fov = math.degrees(2 * math.atan(tan_half))
    if fov is None or fov > MAX_FOV_DEG or fov <= 0.5:
        # step back: fit the bounding sphere with the fallback field of view
        fov = FALLBACK_FOV_DEG
        radius = size / 2 * MARGIN
        half = math.radians(fov) / 2
        fit = radius / math.sin(min(half, half * aspect))
        d = np.array([0.0, 0.0, 1.0]) if dist <= 1e-9 else view / dist
        target = centre
        position = centre - d * fit
    far_dist = float(np.linalg.norm(position - centre)) + size
    near = max(far_dist * 1e-4, 1e-4)
    flip = np.array([1.0, -1.0, -1.0])
    return {
        "position": tuple(float(v) + 0.0 for v in position * flip),
        "target": tuple(float(v) + 0.0 for v in target * flip),
        "up": (0.0, 1.0, 0.0),
        "fov": float(fov),
        "near": float(near),
        "far": float(far_dist * 4),
    }


def nice_step(length: float, divisions: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) close to ``length / divisions``.

    Used for the metre grid and the scale bar so they read as "0.1 m", "0.2 m", "0.5 m".

    >>> nice_step(1.3), nice_step(0.04), nice_step(740, 4)
    (0.2, 0.01, 200.0)
    """
    if not (length > 0 and math.isfinite(length)):
        raise InvalidInputError(f"length must be positive and finite, got {length}")
    raw = length / max(int(divisions), 1)
    exp = math.floor(math.log10(raw))
    base = raw / 10**exp
    mult = 1.0 if base < 1.5 else 2.0 if base < 3.5 else 5.0 if base < 7.5 else 10.0
    return float(round(mult * 10**exp, 12))


def grid_spec(bounds_min: Any, bounds_max: Any, units: str = "m") -> dict[str, Any]:
    """A square floor grid under the cloud with round spacing, in three.js coordinates.

    Convention: bounds in depthlab's camera frame.  The grid lies in the three.js x-z plane just
    below the cloud (camera-frame ``y = bounds_max.y``, the lowest point, which is the largest y
    because y points down), centred under the cloud.  Returns ``size`` (edge length),
    ``divisions``, ``step`` (= size / divisions, a :func:`nice_step`), ``centre`` (x, y, z) and a
    ``label`` such as ``"grid 0.1 m"`` (``"grid 50 units (arbitrary)"`` for a cloud without metres).
    """
    lo, hi = _bounds(bounds_min, bounds_max)
    extent = float(max(hi[0] - lo[0], hi[2] - lo[2], 1e-6))
    step = nice_step(extent, 8)
    divisions = int(math.ceil(extent * 1.2 / step))
    divisions += divisions % 2  # even, so a line runs through the centre
    size = divisions * step
    centre_cam = np.array([(lo[0] + hi[0]) / 2, hi[1], (lo[2] + hi[2]) / 2])
    centre = tuple(float(v) + 0.0 for v in centre_cam * np.array([1.0, -1.0, -1.0]))
    label = f"grid {step:g} m" if units == "m" else f"grid {step:g} units ({units or 'not metres'})"
    return {"size": float(size), "divisions": divisions, "step": float(step), "centre": centre, "label": label}


def default_point_size(bounds_min: Any, bounds_max: Any, n_points: int) -> float:
    """A point size in world units that closes the gaps between neighbouring points.

    Convention: the cloud's cross-section (x by y extent of the bounds, camera frame) shared
    among ``n_points`` gives the spacing between neighbours; the size is 1.5 spacings so a
    surface looks closed without smearing edges.
    """
    lo, hi = _bounds(bounds_min, bounds_max)
    area = float(max((hi[0] - lo[0]) * (hi[1] - lo[1]), 1e-12))
    spacing = math.sqrt(area / max(int(n_points), 1))
    return 1.5 * spacing


__all__ = ["to_threejs", "initial_camera", "nice_step", "grid_spec", "default_point_size"]
