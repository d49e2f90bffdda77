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

from ..capture import Calibration, Capture, accuracy_label
from ..colour import depth_colours
from ..errors import InvalidInputError
from ..projection import Projector
from ..checks import keyword_options, nothing_left, positive_number, require_capture
from ..settings import DEFAULT_MODEL, is_pinhole, length_units, removes_distortion
from .triangulate import DEFAULT_MAX_STEP, surface_faces, triangle_areas

__all__ = ["Mesh", "mesh", "DEFAULT_MAX_STEP", "DEFAULT_MAX_TEXTURE", "DEFAULT_SIMPLIFY"]

DEFAULT_MAX_TEXTURE = 4096
DEFAULT_SIMPLIFY = 1.0


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

    >>> import depthlab
    >>> surf = depthlab.mesh(depthlab.open("data/sample/front_truedepth.heic"), stride=8)
    >>> surf.vertices.dtype, surf.faces.shape[1], surf.units, surf.camera
    (dtype('float32'), 3, 'm', 'front TrueDepth')
    """

    vertices: np.ndarray
    faces: np.ndarray
    uv: np.ndarray
    texture: np.ndarray
    pixel_index: np.ndarray
    grid_shape: tuple[int, int]
    model: str = DEFAULT_MODEL
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
        scale = accuracy_label(self.accuracy)
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

    # -- hand-offs and files ------------------------------------------------------------------
    def to_trimesh(self, frame: str = "camera"):
        """A ``trimesh.Trimesh`` with the texture as its material (unused vertices dropped).

        ``frame="camera"`` keeps depthlab's frame (y down, z forward); ``"gltf"`` turns it to
        glTF's (y up, looking down -z: a half turn about x, so faces keep their winding).
        """
        from ..exchange.meshes import to_trimesh

        return to_trimesh(self, frame=frame)

    def save(self, path: str | os.PathLike, overwrite: bool = False, **options: Any) -> Path:
        """Write the mesh by extension: ``.glb``, ``.obj`` (+ ``.mtl`` + ``.jpg`` beside it),
        ``.ply``, ``.stl``.  Atomic and never overwriting without ``overwrite=True``; see
        :mod:`depthlab.exchange.meshes` for what each file holds."""
        from ..exchange.meshes import save_mesh

        return save_mesh(self, path, overwrite=overwrite, **options)

    def to_html(self, path: str | os.PathLike, overwrite: bool = False, **options: Any) -> Path:
        """The offline 3D page of this surface: the HTML export's viewer, camera and controls,
        the photo drawn on the triangles (:func:`depthlab.exchange.html.to_html`; ``background``,
        ``title``).  Never overwrites without ``overwrite=True``."""
        from ..exchange.html import to_html

        return to_html(self, path, overwrite=overwrite, **options)

    def solid(self, thickness: float | None = None, metric: bool = False) -> "Mesh":
        """A closed, watertight relief — surface, walls, flat back — for a slicer (see
        :mod:`depthlab.surface.relief`); ``solid().save("relief.stl")`` writes it in millimetres.

        ``thickness``: how far behind the farthest point the flat back lies (the mesh's units;
        default 10 % of the depth range).  ``metric=True``: refuse unless the capture's depth
        is absolute and in metres (a true-to-size print).  The solid's vertices are the
        surface's followed by their copies on the back (same uv and pixels).

        >>> import depthlab
        >>> cap = depthlab.open("data/sample/front_truedepth.heic")
        >>> relief = depthlab.mesh(cap, stride=8).solid(thickness=0.02, metric=True)
        >>> relief.save("me.stl").stat().st_size > 0
        True
        """
        from .relief import check_metric, close_relief

        if metric:
            check_metric(self.accuracy, self.units, self.model)
        stride = int(self.metadata.get("parameters", {}).get("stride", 1))
        v, f, kept, facts = close_relief(self.vertices, self.faces, self.pixel_index, self.grid_shape, stride,
                                         thickness, perspective=is_pinhole(self.model))
        meta = dict(self.metadata)
        meta["solid"] = dict(facts, metric=bool(metric))
        return Mesh(vertices=v, faces=f, uv=np.concatenate([self.uv[kept], self.uv[kept]]), texture=self.texture,
                    pixel_index=np.concatenate([self.pixel_index[kept], self.pixel_index[kept]]),
                    grid_shape=self.grid_shape, model=self.model, units=self.units, accuracy=self.accuracy,
                    camera=self.camera, metadata=meta)


@keyword_options
def mesh(
    cap: Capture,
    *,
    model: str = DEFAULT_MODEL,
    stride: int = 1,
    near: float | None = None,
    far: float | None = None,
    mask: Any = None,
    max_step: float = DEFAULT_MAX_STEP,
    max_texture: int | None = DEFAULT_MAX_TEXTURE,
    simplify: float | None = DEFAULT_SIMPLIFY,
    depth_scale: float = 1.0,
    aspect: float = 1.0,
    calibration: Calibration | None = None,
) -> Mesh:
    """A textured triangle mesh of a capture, cut at occlusions.

    Parameters
    ----------
    model, stride, near, far, mask, depth_scale, aspect, calibration : as for
        :func:`depthlab.project`; the vertices are that projection's points.
    max_step : the largest relative depth difference, per depth-map pixel, a triangle edge may
        span (default 0.03 = 3 %); larger jumps are occlusions and are left open.  Lower it to
        cut more, raise it to bridge more.
    max_texture : the texture's longest side in pixels (default 4096; None: the photo as is).
        A capture without a colour image gets depth colours (viridis) as its texture.
    simplify : fewer, larger triangles where the surface is flat (default 1.0; 0 or None: two
        triangles per grid cell).  Blocks of 4 x 4 cells whose points lie on a plane to within
        ``simplify`` steps of the depth map's own quantisation (for an 8-bit disparity map, one
        step of the stored disparity; for float maps 0.1 % of the disparity per unit) become a
        fan of 4-16 triangles around the block's centre point, sewn to their neighbours without
        cracks (:mod:`depthlab.surface.triangulate`).  The vertices stay the projection's points; only
        the faces change.  The real pug photo drops from ~876k to ~200k triangles.

    Raises :class:`~depthlab.errors.InvalidInputError` when nothing is left to mesh (no valid
    depth, near/far/mask removing everything, a grid of one row or column, no two neighbouring
    points close enough in depth).

    Convention: see the module docstring (camera frame x right, y down, z forward; uv origin
    bottom-left; pixel centres at +0.5).

    >>> surf = depthlab.mesh(depthlab.open("data/sample/front_truedepth.heic"), stride=4, far=1.5)
    >>> len(surf) > 1000, surf.save("me.glb").name
    (True, 'me.glb')
    """
    step, simplify = _check_mesh_options(cap, max_step, simplify, max_texture)

    proj = Projector(cap, stride=stride, calibration=calibration)
    xyz, valid = proj.points(model, depth_scale, aspect, near, far, mask)
    gh, gw = proj.grid_shape
    n = _check_grid(cap, proj, valid, near, far, mask)
    tolerance = _disparity_tolerance(cap, simplify) if simplify > 0 else None
    tri = surface_faces(proj.depth.reshape(gh, gw), valid.reshape(gh, gw), step * proj.stride, tolerance)
    if tri.shape[0] == 0:
        raise InvalidInputError(
            f"nothing to mesh: no two neighbouring points of the {n} kept are within max_step={step} "
            "in depth; raise max_step, lower the stride or widen near/far"
        )
    h, w = proj.depth_shape
    if n == proj.size:
        # every grid point is a vertex: no renumbering, no gathering (the Projector is ours)
        sel, faces, vertices, pix = None, tri, xyz, proj.pixel_index()
        uv = _grid_uv(proj).reshape(-1, 2)
    else:
        # grid index -> vertex index (the valid points, row-major, as the projection keeps them)
        sel = np.flatnonzero(valid)
        faces = (np.cumsum(valid, dtype=np.int32) - 1)[tri]
        vertices, pix = xyz[sel], proj.pixel_index()[sel]
        uv = _grid_uv(proj).reshape(-1, 2)[sel]
    texture, colour = _texture_of(cap, proj, max_texture)
    params = {"model": model, "stride": proj.stride, "near": near, "far": far,
              "mask": mask if (mask is None or isinstance(mask, str)) else "array",
              "max_step": step, "max_texture": max_texture, "simplify": simplify,
              "depth_scale": float(depth_scale), "aspect": float(aspect)}
    meta = _mesh_metadata(cap, proj, params, colour, sel, (gh, gw))
    return Mesh(
        vertices=vertices,
        faces=faces,
        uv=uv,
        texture=texture,
        pixel_index=pix,
        grid_shape=(h, w),
        model=model,
        units=length_units(model, depth_scale, cap.depth_unit),
        accuracy=cap.accuracy,
        camera=cap.camera.kind,
        metadata=meta,
    )


def _disparity_tolerance(cap: Capture, simplify: float) -> Any:
    """How far (1/m) a block's disparities may stray from a plane: ``simplify`` quantisation
    steps of the stored map (disparity steps as they are; depth steps converted at each
    block's disparity), or ``simplify`` x 0.1 % of the disparity for maps stored as floats."""
    enc = cap.encoding
    q = None if enc is None else enc.step
    if q is not None and enc.quantity == "disparity":
        return simplify * q
    if q is not None and enc.quantity == "depth":
        return lambda disp: simplify * q * disp * disp
    return lambda disp: simplify * 1e-3 * disp


def _check_mesh_options(cap: Any, max_step: Any, simplify: Any, max_texture: Any) -> tuple[float, float]:
    """The checked ``max_step`` and ``simplify`` (``cap`` and ``max_texture`` checked too)."""
    require_capture(cap, "mesh()")
    step = positive_number("max_step", max_step)
    if simplify is None:
        simplify = 0.0
    try:
        simplify = float(simplify)
    except (TypeError, ValueError):
        raise InvalidInputError(f"simplify must be a number >= 0 or None, got {simplify!r}") from None
    if not math.isfinite(simplify) or simplify < 0:
        raise InvalidInputError(f"simplify must be a number >= 0 or None, got {simplify!r}")
    if max_texture is not None and (int(max_texture) != max_texture or max_texture < 1):
        raise InvalidInputError(f"max_texture must be a positive integer or None, got {max_texture!r}")
    return step, simplify


def _check_grid(cap: Capture, proj: Any, valid: np.ndarray, near: Any, far: Any, mask: Any) -> int:
    """The number of valid grid points, or a clear error when nothing can be meshed."""
    gh, gw = proj.grid_shape
    n = int(np.count_nonzero(valid))
    if n == 0:
        if not np.isfinite(proj.depth).any():
            raise InvalidInputError("nothing to mesh: the depth map has no valid (finite) depth")
        raise nothing_left(cap, what="nothing to mesh", near=near, far=far, mask=mask)
    if gh < 2 or gw < 2:
        raise InvalidInputError(
            f"a mesh needs a grid of at least 2 x 2 points; this depth map at stride {proj.stride} gives "
            f"{gh} x {gw}; use a smaller stride"
        )
    return n


def _grid_uv(proj: Any) -> np.ndarray:
    """float32 (gh, gw, 2): uv of every grid point's pixel centre (origin bottom-left)."""
    h, w = proj.depth_shape
    s = proj.stride
    gh, gw = proj.grid_shape
    uv = np.empty((gh, gw, 2), dtype=np.float32)
    uv[..., 0] = ((np.arange(0, w, s, dtype=np.float64) + 0.5) / w).astype(np.float32)[None, :]
    uv[..., 1] = (1.0 - (np.arange(0, h, s, dtype=np.float64) + 0.5) / h).astype(np.float32)[:, None]
    return uv


def _texture_of(cap: Capture, proj: Any, max_texture: int | None) -> tuple[np.ndarray, str]:
    """The texture image and what it shows: the photo, or depth colours without one."""
    if cap.has_rgb:
        return _capped(cap.rgb, max_texture), "rgb"
    rng = proj.depth_range() or (0.0, 1.0)
    return depth_colours(cap.depth, rng[0], rng[1]), "depth (no colour image)"


def _mesh_metadata(cap: Capture, proj: Any, params: dict[str, Any], colour: str, sel: np.ndarray | None,
                   grid: tuple[int, int]) -> dict[str, Any]:
    """Provenance of a mesh: source, depth range of its vertices, parameters, intrinsics used."""
    gh, gw = grid
    h, w = proj.depth_shape
    cal = proj.calibration
    if sel is None:  # every grid point kept
        drange = list(proj.depth_range())
    else:
        kept = proj.depth[sel]
        drange = [float(kept.min()), float(kept.max())]
    meta: dict[str, Any] = {
        "source": None if cap.path is None else str(cap.path),
        "format": cap.format,
        "depth_range_m": drange,
        "parameters": params,
        "colour": colour,
        "grid_points": int(gh * gw),
        "grid_cells": int((gh - 1) * (gw - 1)),
    }
    if is_pinhole(params["model"]) and cal is not None:
        meta["intrinsics"] = cal.intrinsics_at(w, h).tolist()
        meta["intrinsics_size"] = [w, h]
        meta["calibration_source"] = cal.source
        meta["intrinsics_estimated"] = bool(cal.estimated)
        meta["lens_distortion_removed"] = bool(removes_distortion(params["model"]) and cal.has_distortion)
    return meta


def _capped(img: np.ndarray, max_side: int | None) -> np.ndarray:
    """The image, or an area-averaged copy whose longest side is ``max_side``."""
    h, w = img.shape[:2]
    if max_side is None or max(h, w) <= max_side:
        return img
    k = max_side / max(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    from PIL import Image

    return np.asarray(Image.fromarray(img).resize(size, Image.Resampling.BOX, reducing_gap=2.0))
