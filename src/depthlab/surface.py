"""A depth photo as a surface: triangles on the depth grid, cut at occlusions, photo as texture.

:func:`mesh` turns a :class:`~depthlab.capture.Capture` into a :class:`Mesh`.  The module is
called ``surface`` (not ``mesh``) on purpose: ``depthlab.mesh`` is the *function*, and a
submodule of the same name would replace it on the package the moment it was imported
(``import depthlab.mesh`` sets the package attribute to the module).

How the triangles are made
--------------------------
The vertices are the projection's points, exactly: :class:`~depthlab.projection.Projector`
computes them with the same model, stride, near/far and mask as :func:`depthlab.project`, and
the mesh keeps every valid grid point in the same (row-major) order, so ``mesh.vertices`` equals
``project(cap, ...).xyz`` element for element (a point with no triangle stays as an unused
vertex).  Each cell of four neighbouring grid points gets two triangles, split along the
diagonal whose two depths differ less.  A triangle is kept when its three points are valid and
each of its edges joins depths that differ by at most ``max_step`` (relative, per depth-map
pixel of the edge: ``|z1 - z2| <= max_step * stride * min(z1, z2)``).  A jump larger than that
is an occlusion (a subject in front of a background) and is left open; a smooth surface —
even a slanted wall or a floor seen at a grazing angle — stays whole.  With the default 0.03 a
surface is cut where it would be seen within about 3-4 degrees of edge-on (at a phone depth
map's focal length of ~450-600 px).  Unknown depth (NaN) and pixels removed by near/far/mask
leave holes; holes stay holes.

Convention: vertices in the camera frame of :class:`~depthlab.pointcloud.PointCloud` (x right,
y down, z forward; metres for the pinhole models, lens distortion removed in ``"pinhole"``);
faces wind counter-clockwise as seen from the camera (normals point back at the camera);
``uv`` in the OpenGL/OBJ/trimesh convention — origin at the texture's bottom-left, v up — with
grid pixel (column u, row v) of a W x H depth map at its centre:
``uv = ((u + 0.5) / W, 1 - (v + 0.5) / H)``; the texture is the photo in display orientation
(row 0 at the top) and covers the same field of view as the depth map.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .capture import Calibration, Capture
from .errors import InvalidInputError

__all__ = ["Mesh", "mesh", "grid_faces", "DEFAULT_MAX_STEP", "DEFAULT_MAX_TEXTURE"]

DEFAULT_MAX_STEP = 0.03
DEFAULT_MAX_TEXTURE = 4096


@dataclass(frozen=True, eq=False)
class Mesh:
    """A textured triangle mesh of one depth photo.

    Attributes
    ----------
    vertices : float32 (N, 3), camera frame x right, y down, z forward (see ``units``); the
        projection's points with the same settings, in the same order.
    faces : int32 (M, 3) indices into ``vertices``, counter-clockwise seen from the camera.
    uv : float32 (N, 2) in [0, 1], origin bottom-left of ``texture`` (OpenGL/OBJ convention).
    texture : uint8 (H', W', 3), the photo (row 0 at the top), at most ``max_texture`` px.
    pixel_index : int64 (N,) flat row-major index of each vertex's pixel in the depth map.
    grid_shape : (H, W) of the depth map.
    model, units, accuracy, camera : as on :class:`~depthlab.pointcloud.PointCloud`.
    metadata : source, parameters, depth range, intrinsics, counts.

    Arrays are read-only; methods return new objects or files.
    """

    vertices: np.ndarray
    faces: np.ndarray
    uv: np.ndarray
    texture: np.ndarray
    pixel_index: np.ndarray
    grid_shape: tuple[int, int]
    model: str = "pinhole"
    units: str = "m"
    accuracy: str | None = None
    camera: str = "unknown"
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        v = np.ascontiguousarray(self.vertices, dtype=np.float32)
        if v.ndim != 2 or v.shape[1] != 3:
            raise InvalidInputError(f"vertices must have shape (N, 3), got {v.shape}")
        n = v.shape[0]
        f = np.ascontiguousarray(self.faces)
        if f.ndim != 2 or f.shape[1] != 3 or not np.issubdtype(f.dtype, np.integer):
            raise InvalidInputError(f"faces must be integers of shape (M, 3), got {f.dtype} {f.shape}")
        f = f.astype(np.int32, copy=False)
        if f.size and (int(f.min()) < 0 or int(f.max()) >= n):
            raise InvalidInputError(f"faces index vertices 0..{n - 1}, found {int(f.min())}..{int(f.max())}")
        uv = np.ascontiguousarray(self.uv, dtype=np.float32)
        if uv.shape != (n, 2):
            raise InvalidInputError(f"uv must have shape ({n}, 2) like vertices, got {uv.shape}")
        tex = np.asarray(self.texture)
        if tex.ndim != 3 or tex.shape[2] != 3 or tex.dtype != np.uint8:
            raise InvalidInputError(f"texture must be uint8 (H, W, 3), got {tex.dtype} {tex.shape}")
        pix = np.asarray(self.pixel_index).astype(np.int64, copy=False)
        if pix.shape != (n,):
            raise InvalidInputError(f"pixel_index must have shape ({n},), got {pix.shape}")
        # read-only views: the caller's arrays (e.g. the capture's photo) keep their own flags
        for name, a in (("vertices", v), ("faces", f), ("uv", uv), ("texture", tex), ("pixel_index", pix)):
            a = a.view()
            a.flags.writeable = False
            object.__setattr__(self, name, a)
        object.__setattr__(self, "grid_shape", (int(self.grid_shape[0]), int(self.grid_shape[1])))

    # -- looking at it ------------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of triangles."""
        return int(self.faces.shape[0])

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(min xyz, max xyz) of the vertices used by faces, float32 (3,) each."""
        used = self.vertices[np.unique(self.faces)] if len(self) else self.vertices
        if used.shape[0] == 0:
            z = np.zeros(3, dtype=np.float32)
            return z, z.copy()
        return used.min(axis=0), used.max(axis=0)

    def area(self) -> float:
        """Total area of the triangles (square metres when ``units == "m"``)."""
        return float(triangle_areas(self.vertices, self.faces).sum())

    def caption(self) -> str:
        scale = {"relative": "relative scale", "absolute": "absolute scale"}.get(self.accuracy or "", "scale unknown")
        units = scale if self.units == "m" else f"{self.model} (arbitrary units)"
        return f"{self.camera} · {units} · {len(self):,} triangles · {self.vertices.shape[0]:,} vertices"

    def __repr__(self) -> str:
        return f"<Mesh {self.caption()} · model {self.model}>"

    def used_vertices(self) -> tuple[np.ndarray, np.ndarray]:
        """(kept, faces): indices of the vertices some face uses, and the faces renumbered onto
        them (for files, which need no unused vertices)."""
        used = np.zeros(self.vertices.shape[0], dtype=bool)
        used[self.faces.reshape(-1)] = True
        kept = np.flatnonzero(used)
        remap = np.cumsum(used, dtype=np.int64) - 1
        return kept, remap[self.faces].astype(np.int32)


def triangle_areas(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """float64 (M,) area of each triangle."""
    v = np.asarray(vertices, dtype=np.float64)
    f = np.asarray(faces)
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    return 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)


def grid_faces(depth: np.ndarray, valid: np.ndarray, max_step: float) -> np.ndarray:
    """Triangles on a grid of depths, cut where neighbouring depths jump.

    Parameters
    ----------
    depth : float (h, w) depths (any positive unit; only ratios matter).
    valid : bool (h, w), which grid points exist.
    max_step : largest relative difference ``|z1 - z2| / min(z1, z2)`` an edge may join.

    Returns int64 (M, 3) *grid* indices (row-major ``r * w + c``), two triangles per cell at
    most, counter-clockwise seen from the camera (x right, y down, z forward), cells in
    row-major order.  Each cell is split along the diagonal whose depths differ less.
    """
    d = np.where(valid, np.asarray(depth, dtype=np.float32), np.float32(np.nan))
    h, w = d.shape
    if h < 2 or w < 2:
        return np.empty((0, 3), dtype=np.int64)
    t = np.float32(max_step)

    def rel(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        # |p - q| / min(p, q); NaN when either is unknown (every comparison with it is False)
        diff = np.abs(p - q)
        np.divide(diff, np.minimum(p, q), out=diff)
        return diff

    a, b, c, dd = d[:-1, :-1], d[:-1, 1:], d[1:, :-1], d[1:, 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        horiz = rel(d[:, :-1], d[:, 1:])     # (h, w-1): edge (r, c)-(r, c+1)
        vert = rel(d[:-1, :], d[1:, :])      # (h-1, w): edge (r, c)-(r+1, c)
        r_ad = rel(a, dd)
        r_bc = rel(b, c)
    e_ab, e_cd = horiz[:-1] <= t, horiz[1:] <= t
    e_ac, e_bd = vert[:, :-1] <= t, vert[:, 1:] <= t
    e_ad, e_bc = r_ad <= t, r_bc <= t
    # split along a-d when it joins closer depths, or when b or c is missing
    use_ad = (r_ad < r_bc) | np.isnan(r_bc)
    ok1 = np.where(use_ad, e_ac & e_cd & e_ad, e_ac & e_bc & e_ab)   # (a,c,d) | (a,c,b)
    ok2 = np.where(use_ad, e_ad & e_bd & e_ab, e_bc & e_cd & e_bd)   # (a,d,b) | (b,c,d)

    base = (np.arange(h - 1, dtype=np.int64)[:, None] * w + np.arange(w - 1, dtype=np.int64)[None, :])
    ia, ib, ic, id_ = base, base + 1, base + w, base + w + 1
    tri = np.empty((h - 1, w - 1, 2, 3), dtype=np.int64)
    tri[:, :, 0, 0] = ia
    tri[:, :, 0, 1] = ic
    tri[:, :, 0, 2] = np.where(use_ad, id_, ib)
    tri[:, :, 1, 0] = np.where(use_ad, ia, ib)
    tri[:, :, 1, 1] = np.where(use_ad, id_, ic)
    tri[:, :, 1, 2] = np.where(use_ad, ib, id_)
    keep = np.stack([ok1, ok2], axis=-1)
    return tri[keep]


def mesh(
    cap: Capture,
    model: str = "pinhole",
    stride: int = 1,
    near: float | None = None,
    far: float | None = None,
    mask: Any = None,
    max_step: float = DEFAULT_MAX_STEP,
    max_texture: int | None = DEFAULT_MAX_TEXTURE,
    depth_scale: float = 1.0,
    aspect: float = 1.0,
    calibration: Calibration | None = None,
) -> Mesh:
    """A textured triangle mesh of a capture, cut at occlusions.

    >>> surf = depthlab.mesh(cap)                                    # doctest: +SKIP
    >>> surf.save("pug.glb")                                         # doctest: +SKIP

    Parameters
    ----------
    model, stride, near, far, mask, depth_scale, aspect, calibration : as for
        :func:`depthlab.project`; the vertices are that projection's points.
    max_step : the largest relative depth difference, per depth-map pixel, a triangle edge may
        span (default 0.03 = 3 %); larger jumps are occlusions and are left open.  Lower it to
        cut more, raise it to bridge more.
    max_texture : the texture's longest side in pixels (default 4096; None: the photo as is).
        A capture without a colour image gets depth colours (viridis) as its texture.

    Raises :class:`~depthlab.errors.InvalidInputError` when nothing is left to mesh (no valid
    depth, near/far/mask removing everything, a grid of one row or column, no two neighbouring
    points close enough in depth).

    Convention: see the module docstring (camera frame x right, y down, z forward; uv origin
    bottom-left; pixel centres at +0.5).
    """
    from .projection import Projector, depth_colours

    if not isinstance(cap, Capture):
        raise InvalidInputError(f"mesh needs a depthlab Capture, got {type(cap).__name__}")
    try:
        step = float(max_step)
    except (TypeError, ValueError):
        raise InvalidInputError(f"max_step must be a positive number, got {max_step!r}") from None
    if not math.isfinite(step) or step <= 0:
        raise InvalidInputError(f"max_step must be a positive finite number, got {max_step!r}")
    if max_texture is not None and (int(max_texture) != max_texture or max_texture < 1):
        raise InvalidInputError(f"max_texture must be a positive integer or None, got {max_texture!r}")

    proj = Projector(cap, stride=stride, calibration=calibration)
    xyz, valid = proj.points(model, depth_scale, aspect, near, far, mask)
    gh, gw = proj.grid_shape
    n = int(np.count_nonzero(valid))
    if n == 0:
        what = "the depth map has no valid (finite) depth" if not np.isfinite(proj._depth).any() else \
            "near/far/mask leave no point"
        raise InvalidInputError(f"nothing to mesh: {what} (near={near}, far={far}, mask="
                                f"{mask if mask is None or isinstance(mask, str) else 'array'}); widen near/far or change the mask")
    if gh < 2 or gw < 2:
        raise InvalidInputError(
            f"a mesh needs a grid of at least 2 x 2 points; this depth map at stride {proj.stride} gives "
            f"{gh} x {gw}; use a smaller stride"
        )
    depth_grid = proj._depth.reshape(gh, gw)
    valid_grid = valid.reshape(gh, gw)
    tri = grid_faces(depth_grid, valid_grid, step * proj.stride)
    if tri.shape[0] == 0:
        raise InvalidInputError(
            f"nothing to mesh: no two neighbouring points of the {n} kept are within max_step={step} "
            "in depth; raise max_step, lower the stride or widen near/far"
        )
    # grid index -> vertex index (the valid points, row-major, as the projection keeps them)
    lut = np.cumsum(valid, dtype=np.int64) - 1
    faces = lut[tri].astype(np.int32)
    sel = np.flatnonzero(valid)
    vertices = xyz[sel]
    pix = proj.pixel_index()[sel] if proj.stride > 1 else sel.astype(np.int64)

    h, w = proj.depth_shape
    uv = np.empty((n, 2), dtype=np.float32)
    uv[:, 0] = ((pix % w).astype(np.float32) + np.float32(0.5)) / np.float32(w)
    uv[:, 1] = np.float32(1.0) - ((pix // w).astype(np.float32) + np.float32(0.5)) / np.float32(h)

    colour = "rgb"
    if cap.has_rgb:
        texture = _capped(cap.rgb, max_texture)
    else:
        colour = "depth (no colour image)"
        rng = proj.depth_range() or (0.0, 1.0)
        texture = depth_colours(cap.depth, rng[0], rng[1])

    pinhole = model in ("pinhole", "pinhole-raw")
    cal = proj.calibration
    drange = [float(np.nanmin(proj._depth[sel])), float(np.nanmax(proj._depth[sel]))]
    meta: dict[str, Any] = {
        "source": None if cap.path is None else str(cap.path),
        "format": cap.format,
        "depth_range_m": drange,
        "parameters": {
            "model": model, "stride": proj.stride, "near": near, "far": far,
            "mask": mask if (mask is None or isinstance(mask, str)) else "array",
            "max_step": step, "max_texture": max_texture,
            "depth_scale": float(depth_scale), "aspect": float(aspect),
        },
        "colour": colour,
        "grid_points": int(gh * gw),
        "grid_cells": int((gh - 1) * (gw - 1)),
    }
    if pinhole and cal is not None:
        meta["intrinsics"] = cal.intrinsics_at(w, h).tolist()
        meta["intrinsics_size"] = [w, h]
        meta["calibration_source"] = cal.source
        meta["intrinsics_estimated"] = bool(cal.estimated)
        meta["lens_distortion_removed"] = bool(model == "pinhole" and cal.has_distortion)
    return Mesh(
        vertices=vertices,
        faces=faces,
        uv=uv,
        texture=texture,
        pixel_index=pix,
        grid_shape=(h, w),
        model=model,
        units="m" if (pinhole and float(depth_scale) == 1.0) else "arbitrary",
        accuracy=cap.accuracy,
        camera=cap.camera.kind,
        metadata=meta,
    )


def _capped(img: np.ndarray, max_side: int | None) -> np.ndarray:
    """The image, or an area-averaged copy whose longest side is ``max_side``."""
    h, w = img.shape[:2]
    if max_side is None or max(h, w) <= max_side:
        return img
    k = max_side / max(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    from PIL import Image

    return np.asarray(Image.fromarray(img).resize(size, Image.Resampling.BOX, reducing_gap=2.0))
