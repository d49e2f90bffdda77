"""Depth to points as plain functions over arrays: a cacheable ray grid, then rays x depth.

:func:`ray_grid` depends only on the calibration, the map's size, the model and the stride, so
it is computed once and reused for every depth map, slider value and clip of that shape;
:func:`points_from_depth` is the per-update work (a multiply into a reused buffer).

Formulas (grid pixel ``(u, v)``, depth ``d`` in metres, depth scale ``k``, aspect ``a``):

* pinhole models: ``(x, y, z) = k * d * (rx, ry, 1)`` where ``(rx, ry, 1)`` is the pixel's
  viewing ray (:func:`depthlab.camera.ray_planes`, lens distortion removed for ``"pinhole"``);
* flat models: ``x = (u - (W-1)/2) / W``, ``y = a * (v - (H-1)/2) / W``, ``z = k * d``: the grid
  spans one unit across; for ``"disparity-as-z"`` ``d`` is :func:`disparity_as_z` of the map.

Convention: see :mod:`depthlab.conventions` (camera frame x right / y down / z forward;
centre-origin pixel centres; grids row-major); float32 throughout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .camera import ray_blocks, ray_planes
from .capture import Calibration
from .checks import whole_number
from .colour import finite_range
from .errors import CalibrationError, InvalidInputError
from .settings import check_model, is_pinhole, removes_distortion

__all__ = ["RayGrid", "ray_grid", "points_from_depth", "points_from_calibration", "disparity_as_z", "grid_shape"]

# points per block: ~64k float32 per array stays in L2 through all passes
_CHUNK = 1 << 16


def grid_shape(shape: tuple[int, int], stride: int) -> tuple[int, int]:
    """(rows, columns) of the stride grid of an ``(H, W)`` map.

    >>> from depthlab.geometry import grid_shape
    >>> grid_shape((640, 480), 3)
    (214, 160)
    """
    return math.ceil(shape[0] / stride), math.ceil(shape[1] / stride)


@dataclass(frozen=True, eq=False)
class RayGrid:
    """What :func:`points_from_depth` multiplies depth with, for one model, size and stride.

    ``x``, ``y``: float32 (M,) -- the rays' x and y at z = 1 (pinhole models) or the flat grid's
    coordinates before aspect (flat models).  ``size`` is the full map's (W, H).
    """

    model: str
    size: tuple[int, int]
    stride: int
    x: np.ndarray
    y: np.ndarray

    @property
    def pinhole(self) -> bool:
        return is_pinhole(self.model)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) of the grid."""
        return grid_shape((self.size[1], self.size[0]), self.stride)

    def __len__(self) -> int:
        return int(self.x.shape[0])


def _check_stride(stride: int) -> int:
    """``stride`` as an int, or :class:`InvalidInputError` when it is below 1."""
    return whole_number("stride", stride)


def ray_grid(calibration: Calibration | None, size: tuple[int, int], model: str, stride: int = 1) -> RayGrid:
    """The ray grid of ``model`` for a ``size`` = (W, H) map at ``stride`` (cache it).

    Pinhole models need ``calibration`` (:class:`CalibrationError` without); flat ones ignore it.

    >>> import depthlab
    >>> from depthlab.geometry import ray_grid
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> rays = ray_grid(cap.calibration, cap.size, "pinhole", stride=4)
    >>> rays.shape, rays.pinhole
    ((160, 120), True)
    """
    check_model(model)
    w, h = int(size[0]), int(size[1])
    stride = _check_stride(stride)
    if is_pinhole(model):
        if calibration is None:
            raise CalibrationError(f"model {model!r} needs the camera's intrinsics; or use model='orthographic'")
        rx, ry = ray_planes(calibration, w, h, stride=stride, undistort=removes_distortion(model))
        return RayGrid(model, (w, h), stride, rx, ry)
    gh, gw = grid_shape((h, w), stride)
    u = ((np.arange(0, w, stride, dtype=np.float64) - (w - 1) / 2.0) / w).astype(np.float32)
    v = ((np.arange(0, h, stride, dtype=np.float64) - (h - 1) / 2.0) / w).astype(np.float32)
    gx = np.empty((gh, gw), dtype=np.float32)
    gy = np.empty((gh, gw), dtype=np.float32)
    gx[...] = u[None, :]
    gy[...] = v[:, None]
    return RayGrid(model, (w, h), stride, gx.reshape(-1), gy.reshape(-1))


def disparity_as_z(disparity: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Disparity used as z (a common mistake): mirrored within its own finite range, ``lo + hi - disparity``.

    In a viewer with z toward the viewer, large disparity (near) comes out near; mirroring
    keeps near near in our z-forward frame.  Wrong because disparity is ``1/depth``: equal steps
    in disparity are tiny steps in depth up close and huge ones far away.  Unknown (or, when
    ``valid`` is given, invalid) pixels are NaN, and the range is that of the valid pixels only.
    float32, the shape of ``disparity``.
    """
    d = np.asarray(disparity, dtype=np.float32)
    invalid = None if valid is None else ~np.asarray(valid, dtype=bool).reshape(d.shape)
    # the range of the pixels that are kept: an unknown pixel stored as 0 or a negative
    # disparity must not shift everyone else's z
    lo, hi = finite_range(d if invalid is None else d[~invalid]) or (0.0, 0.0)
    z = np.subtract(np.float32(lo + hi), d)
    if invalid is not None:
        np.copyto(z, np.float32(np.nan), where=invalid)
    return z


def points_from_depth(depth: np.ndarray, rays: RayGrid, depth_scale: float = 1.0, aspect: float = 1.0,
                      out: np.ndarray | None = None) -> np.ndarray:
    """float32 (M, 3) positions of the grid pixels, NaN where ``depth`` is NaN.

    ``depth``: the grid's depths in metres (or :func:`disparity_as_z` for that model), (M,) or
    the grid's 2-D shape.  ``depth_scale`` multiplies depth (pinhole: the whole point; flat: z);
    ``aspect`` stretches y of the flat models.  ``out``: an (M, 3) float32 buffer to fill.

    >>> import depthlab
    >>> from depthlab.geometry import points_from_depth, ray_grid
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> xyz = points_from_depth(cap.depth, ray_grid(cap.calibration, cap.size, "pinhole"))
    >>> xyz.shape
    (307200, 3)
    """
    d = np.asarray(depth, dtype=np.float32).reshape(-1)
    m = len(rays)
    if d.shape[0] != m:
        raise InvalidInputError(f"depth has {d.shape[0]} values but the ray grid {rays.shape} has {m}")
    if out is None:
        out = np.empty((m, 3), dtype=np.float32)
    k = np.float32(depth_scale)
    tmp = np.empty(min(m, _CHUNK), dtype=np.float32) if k != 1 else None
    ga = np.float32(aspect)
    # blocks small enough that each input is read from memory once for all the passes
    for i0 in range(0, m, _CHUNK):
        i1 = min(m, i0 + _CHUNK)
        dz = d[i0:i1]
        o = out[i0:i1]
        if tmp is not None:
            dz = np.multiply(dz, k, out=tmp[: i1 - i0])
        if rays.pinhole:
            np.multiply(rays.x[i0:i1], dz, out=o[:, 0])
            np.multiply(rays.y[i0:i1], dz, out=o[:, 1])
        else:
            np.copyto(o[:, 0], rays.x[i0:i1])
            np.multiply(rays.y[i0:i1], ga, out=o[:, 1])
        np.copyto(o[:, 2], dz)
    return out


def points_from_calibration(depth: np.ndarray, calibration: Calibration | None, size: tuple[int, int], model: str,
                            stride: int = 1, depth_scale: float = 1.0, aspect: float = 1.0,
                            out: np.ndarray | None = None, grid_rows: tuple[int, int] | None = None) -> np.ndarray:
    """``points_from_depth(depth, ray_grid(calibration, size, model, stride), ...)`` for one
    projection: the rays are written straight into the output and scaled by depth there, so no
    ray grid is kept (half the memory a cold projection touches).  Same numbers, same layout.
    ``grid_rows=(r0, r1)``: a pinhole model fills those grid rows of ``out`` only (two threads
    can share one cloud); the other models fill every row."""
    check_model(model)
    stride = _check_stride(stride)  # before grid_shape divides by it
    d = np.asarray(depth, dtype=np.float32).reshape(-1)
    w, h = int(size[0]), int(size[1])
    m = grid_shape((h, w), stride)
    if d.shape[0] != m[0] * m[1]:
        raise InvalidInputError(f"depth has {d.shape[0]} values but the grid {m} has {m[0] * m[1]}")
    if out is None:
        out = np.empty((d.shape[0], 3), dtype=np.float32)
    k = np.float32(depth_scale)
    if is_pinhole(model):
        if calibration is None:
            raise CalibrationError(f"model {model!r} needs the camera's intrinsics; or use model='orthographic'")
        # each block of rays is made in cache, multiplied by depth there (contiguous: vectorised)
        # and copied into the output's interleaved columns: ``out`` is written once, never read
        grid = out.reshape(m[0], m[1], 3)  # splitting the first axis: always a view
        dgrid = d.reshape(m)
        tmp: list[np.ndarray] = []
        for v0, v1, rx, ry in ray_blocks(calibration, w, h, stride=stride, undistort=removes_distortion(model),
                                         grid_rows=grid_rows):
            if not tmp:
                tmp = [np.empty(rx.shape, dtype=np.float32) for _ in range(3)]
            tx, ty, tz = (t[: v1 - v0] for t in tmp)
            dz = dgrid[v0:v1] if k == 1 else np.multiply(dgrid[v0:v1], k, out=tz)
            o = grid[v0:v1]
            np.copyto(o[:, :, 0], np.multiply(rx, dz, out=tx))
            np.copyto(o[:, :, 1], np.multiply(ry, dz, out=ty))
            np.copyto(o[:, :, 2], dz)
        return out
    flat = ray_grid(None, (w, h), model, stride)
    out[:, 0], out[:, 1] = flat.x, flat.y
    tmp = np.empty(min(d.shape[0], _CHUNK), dtype=np.float32) if k != 1 else None
    for i0 in range(0, d.shape[0], _CHUNK):
        i1 = min(d.shape[0], i0 + _CHUNK)
        dz = d[i0:i1] if tmp is None else np.multiply(d[i0:i1], k, out=tmp[: i1 - i0])
        o = out[i0:i1]
        if aspect != 1:
            np.multiply(o[:, 1], np.float32(aspect), out=o[:, 1])
        np.copyto(o[:, 2], dz)
    return out
