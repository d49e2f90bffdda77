"""Scene frame: the one place where depthlab's camera frame becomes three.js's frame.

depthlab's camera frame (OpenCV / Open3D): x right, y down, z forward, metres, the phone at the
origin.  three.js (and therefore pythreejs and the HTML export) is y-up and its cameras look down
their own -z axis: x right, y up, z toward the viewer.  The map between them is a rotation of 180
degrees about x, ``(x, y, z) -> (x, -y, -z)``.  Nothing else in depthlab flips axes for display:
the pythreejs view (:mod:`depthlab.live.viewer`) and the HTML export both call :func:`to_threejs` and
:func:`initial_camera`.

numpy only, so the HTML exporter and tests can use it without a notebook stack.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..checks import positive_number
from ..errors import InvalidInputError
from ..settings import is_pinhole

#: widest vertical field of view (degrees) the initial camera uses at the phone's position;
#: a cloud that needs more (teaching models laid out wider than deep) is viewed from further back
MAX_FOV_DEG = 75.0
#: field of view used when the camera has to step back from the origin
FALLBACK_FOV_DEG = 50.0
#: extra room around the cloud in the initial view
MARGIN = 1.08


#: The camera -> three.js flip as per-axis factors (its own inverse): :func:`to_threejs` for point
#: arrays, :func:`threejs_point` for one point; the only place depthlab writes it.
THREEJS_FLIP = np.array([1.0, -1.0, -1.0])


def threejs_point(p: Any) -> tuple[float, float, float]:
    """One camera-frame point in three.js's frame, as plain floats (JSON-friendly; no -0.0).

    >>> threejs_point([1.0, 2.0, 3.0])
    (1.0, -2.0, -3.0)
    """
    return tuple(float(v) + 0.0 for v in np.asarray(p, dtype=np.float64) * THREEJS_FLIP)  # type: ignore[return-value]


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


def initial_camera(bounds_min: Any, bounds_max: Any, aspect: float = 1.0, fit: str = "far",
                   pivot: Any = None) -> dict[str, Any]:
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
    pivot : optional 3-vector in the camera frame, the subject (:func:`orbit_centre`).  The
        camera orbits around it: at the phone, the target is the optical axis at the pivot's
        depth (the first picture stays the phone's own, :func:`home_pivot`); a camera that
        steps back looks at the pivot itself.  Default: the depth of the bounds' centre.

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
    piv = None
    if pivot is not None:
        piv = np.asarray(pivot, dtype=np.float64).reshape(-1)
        if piv.shape != (3,) or not np.all(np.isfinite(piv)):
            raise InvalidInputError(f"pivot must be a finite 3-vector, got {pivot!r}")
    if straddles:
        target = home_pivot(piv if piv is not None and piv[2] > 0 else centre, at_phone=True)
    else:
        target = piv.copy() if piv is not None else centre.copy()
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
        look = centre if piv is None else home_pivot(piv, at_phone=False)
        fit = radius / math.sin(min(half, half * aspect)) + float(np.linalg.norm(look - centre))
        d = np.array([0.0, 0.0, 1.0]) if dist <= 1e-9 else view / dist
        target = look
        position = look - d * fit
    far_dist = float(np.linalg.norm(position - centre)) + size
    near = max(far_dist * 1e-4, 1e-4)
    return {
        "position": threejs_point(position),
        "target": threejs_point(target),
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
    centre = threejs_point(centre_cam)
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


# --------------------------------------------------------------------------------------------
# The orbit centre: the subject at its depth
# --------------------------------------------------------------------------------------------

#: a matte counts as the subject when at least this share of the drawn points lies inside it
SUBJECT_MIN_SHARE = 0.002
#: half width of the image-centre window searched for the nearest large surface (image fraction)
CENTRE_WINDOW = 0.2
#: a depth slice counts as a "large surface" when it holds this share of the window's points
LARGE_SURFACE_SHARE = 0.05
#: points the orbit-centre search looks at (an even sample); enough for medians to the millimetre
_CENTRE_SAMPLE = 60_000


def grid_image_xy(grid_shape: tuple[int, int]) -> np.ndarray:
    """Normalised image position of every pixel of a row-major grid, float32 (M, 2) in [0, 1].

    Convention: column (x) and row (y) of each pixel's centre divided by the grid's width and
    height: ``((c + 0.5) / w, (r + 0.5) / h)``; row-major order, as the projection's grids.
    """
    gh, gw = (int(v) for v in grid_shape)
    out = np.empty((gh, gw, 2), dtype=np.float32)
    out[..., 0] = ((np.arange(gw, dtype=np.float32) + 0.5) / gw)[None, :]
    out[..., 1] = ((np.arange(gh, dtype=np.float32) + 0.5) / gh)[:, None]
    return out.reshape(-1, 2)


def orbit_centre(xyz: np.ndarray, image_xy: np.ndarray, subject: np.ndarray | None = None) -> np.ndarray | None:
    """Where the subject is: the point the live view and the HTML page orbit around.

    Parameters
    ----------
    xyz : float (N, 3), the drawn points in depthlab's camera frame (x right, y down, z forward;
        metres for the pinhole models, model units for the flat teaching models).  Non-finite
        rows are ignored.
    image_xy : float (N, 2), each point's position in the photo as a fraction of its width and
        height (:func:`grid_image_xy`; (0.5, 0.5) is the image centre).
    subject : bool (N,), optional: the points inside the portrait matte.

    Returns
    -------
    float64 (3,) in the camera frame, or None when no point is finite.

    Rule
    ----
    1. With a portrait matte covering at least ``SUBJECT_MIN_SHARE`` of the points: the
       matte's centre at its depth, i.e. the median x, y and z of the points inside it.
    2. Otherwise the nearest large surface near the image centre: among the points in the
       central window (``CENTRE_WINDOW`` either side of the centre, 40 % of each side), their
       depths are binned in 64 slices; the nearest slice holding at least
       ``LARGE_SURFACE_SHARE`` of them (with its two neighbours) is the surface, and its
       points' median x, y, z is the centre.  A face, a pet or a wall in the middle of the
       picture wins over a few stray near points and over the background behind it.

    The live view puts its pivot where the phone's optical axis meets this depth
    (:func:`initial_camera` ``pivot=``), so the first picture stays the phone's own and a drag
    turns the subject in place.
    """
    p = np.asarray(xyz, dtype=np.float64)
    uv = np.asarray(image_xy, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3 or uv.shape != (p.shape[0], 2):
        raise InvalidInputError(f"orbit_centre needs xyz (N, 3) and image_xy (N, 2), got {p.shape} and {uv.shape}")
    sub = None if subject is None else np.asarray(subject, dtype=bool).reshape(-1)
    if sub is not None and sub.shape != (p.shape[0],):
        raise InvalidInputError(f"subject must be bool ({p.shape[0]},), got {sub.shape}")
    step = max(1, p.shape[0] // _CENTRE_SAMPLE)
    if step > 1:
        p, uv = p[::step], uv[::step]
        sub = None if sub is None else sub[::step]
    ok = np.isfinite(p).all(axis=1)
    if not ok.any():
        return None
    if sub is not None:
        inside = ok & sub
        if inside.sum() >= max(8, SUBJECT_MIN_SHARE * ok.sum()):
            return np.median(p[inside], axis=0)
    win = ok & (np.abs(uv[:, 0] - 0.5) <= CENTRE_WINDOW) & (np.abs(uv[:, 1] - 0.5) <= CENTRE_WINDOW)
    if win.sum() < 16:
        win = ok
    pts = p[win]
    z = pts[:, 2]
    lo, hi = float(z.min()), float(z.max())
    if not hi > lo:
        return np.median(pts, axis=0)
    bins = 64
    counts, edges = np.histogram(z, bins=bins, range=(lo, hi))
    need = LARGE_SURFACE_SHARE * z.size
    big = np.flatnonzero(counts >= need)
    k = int(big[0]) if big.size else int(np.argmax(counts))
    z0, z1 = edges[max(k - 1, 0)], edges[min(k + 2, bins)]
    near = pts[(z >= z0) & (z <= z1)]
    return np.median(near, axis=0)


def home_pivot(centre: Any, at_phone: bool) -> np.ndarray:
    """The pivot the camera orbits: camera frame, float64 (3,).

    Convention: a camera at the phone (``at_phone``) keeps looking along the optical axis, so
    its pivot is the point of that axis at the subject's depth, ``(0, 0, centre.z)``; a camera
    that stepped back (flat teaching models) looks at the subject's centre itself.
    """
    c = np.asarray(centre, dtype=np.float64).reshape(3)
    return np.array([0.0, 0.0, c[2]]) if at_phone else c.copy()


# --------------------------------------------------------------------------------------------
# Linked views: each orbits its own subject
# --------------------------------------------------------------------------------------------


def view_transform(home: dict[str, Any], shared: dict[str, Any]) -> dict[str, tuple[float, ...]]:
    """The similarity that moves a view's contents so that ``shared`` sees them as ``home`` did.

    Two linked views draw through one camera (rotation and zoom stay linked) but each scene
    orbits its own subject: the second scene is scaled (uniformly), turned and moved so that its
    own home camera (``home``, an :func:`initial_camera` dict) lands on the shared one
    (``shared``).  A uniform scale about a camera's position does not change its picture, so
    the first picture of each view is still its own phone's.

    Convention: three.js coordinates (both dicts are :func:`initial_camera` output).  Returns
    ``scale`` (3 equal factors), ``quaternion`` (x, y, z, w) and ``position`` for the
    three.js object holding the scene: ``world = position + scale * R(quaternion) @ local``.
    """
    p_h, t_h = np.asarray(home["position"], float), np.asarray(home["target"], float)
    p_s, t_s = np.asarray(shared["position"], float), np.asarray(shared["target"], float)
    d_h, d_s = t_h - p_h, t_s - p_s
    n_h, n_s = float(np.linalg.norm(d_h)), float(np.linalg.norm(d_s))
    if n_h < 1e-12 or n_s < 1e-12:
        return {"scale": (1.0, 1.0, 1.0), "quaternion": (0.0, 0.0, 0.0, 1.0), "position": (0.0, 0.0, 0.0)}
    k = n_s / n_h
    a, b = d_h / n_h, d_s / n_s
    axis = np.cross(a, b)
    s, c = float(np.linalg.norm(axis)), float(np.dot(a, b))
    if s < 1e-12:
        q = np.array([0.0, 0.0, 0.0, 1.0]) if c > 0 else np.array([0.0, 1.0, 0.0, 0.0])
    else:
        half = math.atan2(s, c) / 2
        q = np.concatenate([axis / s * math.sin(half), [math.cos(half)]])
    rot = quaternion_matrix(q)
    pos = t_s - k * rot @ t_h
    return {"scale": (k, k, k), "quaternion": tuple(float(v) for v in q),
            "position": tuple(float(v) + 0.0 for v in pos)}


def quaternion_matrix(q: np.ndarray) -> np.ndarray:
    """3x3 rotation matrix of a unit quaternion (x, y, z, w), three.js's order."""
    x, y, z, w = (float(v) for v in q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


# --------------------------------------------------------------------------------------------
# Point size: each point covers its pixel
# --------------------------------------------------------------------------------------------

#: how much wider than its pixel a point is drawn: 1 tiles the photo exactly from the phone's
#: viewpoint; a little more keeps a turned surface closed where depth steps (8-bit disparity)
#: open thin slits between rows
COVERAGE = 1.25


def point_footprint(model: str, stride: int, depth_size: tuple[int, int],
                    intrinsics: Any = None, aspect: float = 1.0) -> dict[str, float]:
    """How wide one grid pixel is in the scene: the one point-size rule of every 3D view.

    A point stands for one grid pixel (``stride`` x ``stride`` depth pixels).  Seen from the
    phone it must cover exactly that pixel, so its diameter in scene units is

    * pinhole models: ``per_depth * depth`` with ``per_depth = stride / min(fx, fy)`` (a pixel
      at depth z metres is ``z * stride / f`` metres wide; the smaller focal length covers the
      pixel's longer side);
    * flat teaching models: ``constant = stride * max(1, aspect) / W`` (their grid is one unit
      wide, rows ``aspect / W`` apart).

    The notebook view and the HTML page draw with :data:`POINT_VERTEX_SHADER`, which turns this
    diameter into screen pixels with the camera's own projection (three.js r97's
    ``PointsMaterial`` would scale by the canvas height only, as if the field of view were 90
    degrees), times :data:`COVERAGE` and the user's size factor.

    Convention: ``depth_size`` is the depth map's (W, H); ``intrinsics`` the 3x3 centre-origin
    matrix at that size (pinhole models).  Returns ``{"per_depth": ..., "constant": ...}``.
    """
    s = int(stride)
    w, h = (int(v) for v in depth_size)
    if s < 1 or w < 1 or h < 1:
        raise InvalidInputError(f"stride and depth size must be positive, got {stride}, {depth_size}")
    if is_pinhole(model):
        k = np.asarray(intrinsics, dtype=np.float64)
        if k.shape != (3, 3) or not (k[0, 0] > 0 and k[1, 1] > 0):
            raise InvalidInputError(f"pinhole footprint needs 3x3 intrinsics with positive focal lengths, got {k.tolist()}")
        return {"per_depth": s / float(min(k[0, 0], k[1, 1])), "constant": 0.0}
    a = float(aspect) if aspect and math.isfinite(aspect) and aspect > 0 else 1.0
    return {"per_depth": 0.0, "constant": s * max(1.0, a) / w}


#: the most a point grows to cover its pixel on a surface seen at a slant (1 / cos 75 degrees)
MAX_STRETCH = 4.0


def point_stretch(xyz: np.ndarray, depth: np.ndarray, valid: np.ndarray, grid_shape: tuple[int, int],
                  footprint: dict[str, float], max_step: float) -> np.ndarray:
    """How much wider than its pixel each point must be drawn so a slanted surface stays closed
    when the view turns: uint8 (M,), ``round(stretch / MAX_STRETCH * 255)``, stretch in
    ``[1, MAX_STRETCH]`` (the shaders read it as a normalised attribute).

    A grid pixel on a surface seen at a slant covers more of the surface than its width facing
    the phone (:func:`point_footprint`): its neighbours lie ``1 / cos(slant)`` pixel widths
    away.  Turned to face that surface, points of the footprint's size open into stripes (and
    8-bit disparity's depth steps into terraces).  The stretch is the largest distance to a
    neighbour the mesh would join (the cut rule, :func:`depthlab.surface.triangulate.depth_steps`;
    never across an occlusion) over the footprint, capped at ``MAX_STRETCH``.

    Convention: ``xyz`` (M, 3) camera frame at depth scale 1, row-major grid ``grid_shape``;
    ``depth`` (M,) the grid's depth (the cut rule's input); ``footprint`` as :func:`point_footprint`;
    ``max_step`` the cut rule per grid step.
    """
    from ..surface.triangulate import depth_steps

    gh, gw = (int(v) for v in grid_shape)
    # one plane per axis (x, y, z), each contiguous: the neighbour distances below are then
    # whole-array arithmetic, not a sum over a 3-wide axis (the same sums, in the same order)
    planes = np.ascontiguousarray(np.moveaxis(np.asarray(xyz, dtype=np.float32).reshape(gh, gw, 3), -1, 0))
    ok = np.asarray(valid, dtype=bool).reshape(gh, gw)
    width = np.float32(footprint["constant"]) + np.float32(footprint["per_depth"]) * np.abs(planes[2])
    need = np.zeros((gh, gw), dtype=np.float32)
    limit = np.float32(np.log1p(max_step))
    steps = depth_steps(np.asarray(depth).reshape(gh, gw), ok)
    for step, a, b in ((steps[0], np.s_[:, :-1], np.s_[:, 1:]), (steps[1], np.s_[:-1, :], np.s_[1:, :])):
        with np.errstate(invalid="ignore"):
            joined = np.abs(step) <= limit
        gap = np.zeros(step.shape, dtype=np.float32)
        for axis in planes:
            d = axis[b] - axis[a]
            gap += d * d
        np.sqrt(gap, out=gap)
        gap[~joined] = 0.0
        np.maximum(need[a], gap, out=need[a])
        np.maximum(need[b], gap, out=need[b])
    with np.errstate(invalid="ignore", divide="ignore"):
        stretch = np.clip(need / width, 1.0, MAX_STRETCH)
    stretch = np.where(np.isfinite(stretch), stretch, 1.0)
    return np.rint(stretch * (255.0 / MAX_STRETCH)).astype(np.uint8).reshape(-1)


def scattered_stretch(xyz: np.ndarray, depth: np.ndarray, cells: np.ndarray, grid_shape: tuple[int, int],
                      footprint: dict[str, float], max_step: float) -> np.ndarray:
    """:func:`point_stretch` of points that fill only some cells of a grid (a compacted cloud, the
    invented layer): uint8 (N,).  ``cells`` int (N,) each point's flat grid index (unique),
    ``depth`` (N,) its depth for the cut rule; the other cells count as unknown."""
    gh, gw = (int(v) for v in grid_shape)
    cells = np.asarray(cells, dtype=np.int64)
    if not cells.size:
        return np.zeros(0, dtype=np.uint8)
    # only the rectangle the points span: the cells around it are unknown, and join nothing
    rows, cols = np.divmod(cells, gw)
    r0, c0 = int(rows.min()), int(cols.min())
    h, w = int(rows.max()) - r0 + 1, int(cols.max()) - c0 + 1
    local = (rows - r0) * w + (cols - c0)
    grid_xyz = np.full((h * w, 3), np.nan, dtype=np.float32)
    grid_xyz[local] = xyz
    grid_depth = np.full(h * w, np.nan, dtype=np.float32)
    grid_depth[local] = depth
    valid = np.zeros(h * w, dtype=bool)
    valid[local] = True
    return point_stretch(grid_xyz, grid_depth, valid, (h, w), footprint, max_step)[local]


#: GLSL (WebGL 1, three.js ShaderMaterial) drawing each point as wide as its pixel.  Uniforms:
#: ``footprint`` (vec2: per-depth and constant diameter, :func:`point_footprint`), ``sizeScale``
#: (COVERAGE x the user's factor), ``viewportHeight`` (device pixels of the view), ``posMin`` and
#: ``posSpan`` (vec3: positions are ``posMin + position * posSpan``; the HTML page stores them
#: quantised, the notebook sends them as they are with (0, 0, 0) and (1, 1, 1)).  Attribute
#: ``stretch`` (normalised uint8, :func:`point_stretch`) widens points on slanted surfaces; a
#: geometry without it draws every point at its pixel's width.  Depth is
#: ``-position.z`` before the object's transform (three.js frame: the phone looks down -z).
POINT_VERTEX_SHADER = f"\n#define MAX_STRETCH {MAX_STRETCH:.1f}" + """
uniform vec2 footprint;
uniform float sizeScale;
uniform float viewportHeight;
uniform vec3 posMin;
uniform vec3 posSpan;
attribute float stretch;
varying vec3 vColor;
void main() {
#ifdef USE_COLOR
  vColor = color;
#else
  vColor = vec3(0.8);
#endif
  vec3 p = posMin + position * posSpan;
  vec4 mv = modelViewMatrix * vec4(p, 1.0);
  gl_Position = projectionMatrix * mv;
  float objectScale = max(length(modelMatrix[0].xyz), length(modelMatrix[1].xyz));
  float diameter = (footprint.y + footprint.x * max(-p.z, 0.0)) * objectScale * sizeScale
      * max(stretch * MAX_STRETCH, 1.0);
  gl_PointSize = max(1.0, diameter * projectionMatrix[1][1] * 0.5 * viewportHeight / max(-mv.z, 1e-6));
}
"""

POINT_FRAGMENT_SHADER = """
varying vec3 vColor;
void main() {
  gl_FragColor = vec4(vColor, 1.0);
}
"""


def stretch_drawing(model: str, *, depth_scale: float, aspect: float) -> tuple[tuple[float, float, float], float]:
    """How a live view draws a depth scale and an aspect without sending positions again: the
    drawn layers' GPU stretch (x, y, z) and the grid's ruler scale
    (:meth:`depthlab.live.viewer.CloudView.set_ruler_scale`).

    Convention: positions are sent at depth scale 1 and aspect 1, camera frame.  Flat models
    (depth scale multiplies z, aspect y; :mod:`depthlab.projection`): the layers are stretched
    ``(1, aspect, depth_scale)`` and the ruler is 1.  Pinhole models: a depth scale multiplies
    every point's distance from the phone, a uniform stretch about it, which the camera sees
    exactly as the grid drawn ``1/depth_scale`` as large about the phone (every ray from a camera
    carried with the stretch meets the same points): the layers are not stretched and the ruler
    is ``depth_scale``; aspect does not apply.

    >>> stretch_drawing("orthographic", depth_scale=2.0, aspect=0.5)
    ((1.0, 0.5, 2.0), 1.0)
    >>> stretch_drawing("pinhole", depth_scale=2.0, aspect=0.5)
    ((1.0, 1.0, 1.0), 2.0)
    """
    ds, a = positive_number("depth_scale", depth_scale), positive_number("aspect", aspect)
    return ((1.0, 1.0, 1.0), ds) if is_pinhole(model) else ((1.0, a, ds), 1.0)


__all__ = ["stretch_drawing", "to_threejs", "threejs_point", "THREEJS_FLIP", "initial_camera", "nice_step",
           "grid_spec", "default_point_size", "grid_image_xy", "orbit_centre", "home_pivot", "view_transform",
           "quaternion_matrix", "point_footprint", "COVERAGE", "POINT_VERTEX_SHADER", "POINT_FRAGMENT_SHADER",
           "point_stretch", "scattered_stretch", "MAX_STRETCH"]
