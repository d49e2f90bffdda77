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
from .colour import depth_colours
from .errors import InvalidInputError
from .projection import Projector
from .settings import is_pinhole

__all__ = ["Mesh", "mesh", "grid_faces", "DEFAULT_MAX_STEP", "DEFAULT_MAX_TEXTURE"]

DEFAULT_MAX_STEP = 0.03
DEFAULT_MAX_TEXTURE = 4096
DEFAULT_SIMPLIFY = 1.0
BLOCK = 4


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

    # -- hand-offs and files ------------------------------------------------------------------
    def to_trimesh(self, frame: str = "camera"):
        """A ``trimesh.Trimesh`` with the texture as its material (unused vertices dropped).

        ``frame="camera"`` keeps depthlab's frame (y down, z forward); ``"gltf"`` turns it to
        glTF's (y up, looking down -z: a half turn about x, so faces keep their winding).
        """
        from .mesh_files import to_trimesh

        return to_trimesh(self, frame=frame)

    def save(self, path: str | os.PathLike, overwrite: bool = False, **options: Any) -> Path:
        """Write the mesh by extension: ``.glb``, ``.obj`` (+ ``.mtl`` + ``.jpg`` beside it),
        ``.ply``, ``.stl``.  Atomic and never overwriting without ``overwrite=True``; see
        :mod:`depthlab.mesh_files` for what each file holds."""
        from .mesh_files import save_mesh

        return save_mesh(self, path, overwrite=overwrite, **options)

    def solid(self, thickness: float | None = None, metric: bool = False) -> "Mesh":
        """A closed, watertight relief — surface, walls, flat back — for a slicer; see
        :func:`depthlab.relief.solid`.  ``solid().save("relief.stl")`` writes it in mm."""
        from .relief import solid

        return solid(self, thickness=thickness, metric=metric)


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
    tri, keep = _cell_triangles(depth, valid, max_step)
    return tri[keep]


def _cell_triangles(depth: np.ndarray, valid: np.ndarray, max_step: float) -> tuple[np.ndarray, np.ndarray]:
    """(tri, keep): int64 (h-1, w-1, 2, 3) the two triangles of every cell in grid indices,
    bool (h-1, w-1, 2) which of them pass the cut (see :func:`grid_faces`)."""
    d = np.where(valid, np.asarray(depth, dtype=np.float32), np.float32(np.nan))
    h, w = d.shape
    if h < 2 or w < 2:
        return np.empty((0, 0, 2, 3), dtype=np.int64), np.empty((0, 0, 2), dtype=bool)
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
    keep = np.empty((h - 1, w - 1, 2), dtype=bool)
    keep[..., 0] = np.where(use_ad, e_ac & e_cd & e_ad, e_ac & e_bc & e_ab)   # (a,c,d) | (a,c,b)
    keep[..., 1] = np.where(use_ad, e_ad & e_bd & e_ab, e_bc & e_cd & e_bd)   # (a,d,b) | (b,c,d)

    base = (np.arange(h - 1, dtype=np.int64)[:, None] * w + np.arange(w - 1, dtype=np.int64)[None, :])
    ia, ib, ic, id_ = base, base + 1, base + w, base + w + 1
    tri = np.empty((h - 1, w - 1, 2, 3), dtype=np.int64)
    tri[:, :, 0, 0] = ia
    tri[:, :, 0, 1] = ic
    tri[:, :, 0, 2] = np.where(use_ad, id_, ib)
    tri[:, :, 1, 0] = np.where(use_ad, ia, ib)
    tri[:, :, 1, 1] = np.where(use_ad, id_, ic)
    tri[:, :, 1, 2] = np.where(use_ad, ib, id_)
    return tri, keep


def flat_block_fans(
    depth: np.ndarray, keep: np.ndarray, tolerance: Any, max_span: float, block: int = BLOCK,
) -> tuple[np.ndarray, np.ndarray]:
    """Fewer, larger triangles where the depth grid is flat: (cell_flat, fans).

    The grid is cut into blocks of ``block`` x ``block`` cells (``block`` even).  A block is
    *flat* when all its cells kept both triangles, its disparities (1/depth) lie within
    ``tolerance`` of an affine function of the pixel position — a plane in space is exactly
    that, for a pinhole camera — and its depths span at most ``max_span`` (relative; :func:`mesh` allows
    half a block's worth of grid edges, so a big triangle on a steep wall stays short in depth).  A flat block's triangles become a fan
    around its centre point; a side shared with another flat block is one edge from corner to
    corner, a side next to anything else keeps every grid point, so the two sides meet without
    cracks (no T-junctions).  Only original grid points are used.

    ``tolerance`` is in 1/depth units: a number, or a function of each block's mean
    disparity returning one per block.  Returns
    ``cell_flat`` bool (h-1, w-1) — the cells the fans replace — and ``fans`` int64 (K, 3) grid
    indices, counter-clockwise seen from the camera.
    """
    B = int(block)
    h, w = depth.shape
    cell_flat = np.zeros((h - 1, w - 1), dtype=bool)
    nb_r, nb_c = (h - 1) // B, (w - 1) // B
    if nb_r == 0 or nb_c == 0:
        return cell_flat, np.empty((0, 3), dtype=np.int64)
    from numpy.lib.stride_tricks import sliding_window_view

    cells_ok = keep[: nb_r * B, : nb_c * B].all(axis=-1).reshape(nb_r, B, nb_c, B).all(axis=(1, 3))
    win = sliding_window_view(np.asarray(depth, dtype=np.float64), (B + 1, B + 1))[::B, ::B][:nb_r, :nb_c]
    pts = win.reshape(nb_r, nb_c, (B + 1) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        disp = 1.0 / pts
        yy, xx = np.mgrid[0 : B + 1, 0 : B + 1]
        design = np.stack([xx.ravel(), yy.ravel(), np.ones((B + 1) ** 2)], axis=1).astype(np.float64)
        fit = disp @ (design @ np.linalg.pinv(design)).T     # least-squares affine fit, per block
        resid = np.abs(disp - fit).max(axis=-1)
        if callable(tolerance):
            tolerance = tolerance(disp.mean(axis=-1))
        lo, hi = pts.min(axis=-1), pts.max(axis=-1)
        flat = cells_ok & (resid <= tolerance) & ((hi - lo) <= max_span * lo)
    if not flat.any():
        return cell_flat, np.empty((0, 3), dtype=np.int64)
    cell_flat[: nb_r * B, : nb_c * B] = np.repeat(np.repeat(flat, B, axis=0), B, axis=1)

    padded = np.zeros((nb_r + 2, nb_c + 2), dtype=bool)
    padded[1:-1, 1:-1] = flat
    bi, bj = np.nonzero(flat)
    r0, c0 = bi * B, bj * B
    k = np.arange(B + 1)
    # each side's points in fan order (counter-clockwise seen from the camera in x right,
    # y down): top right->left, left top->bottom, bottom left->right, right bottom->top
    side_r = np.stack([np.zeros_like(k), k, np.full_like(k, B), B - k])          # (4, B+1)
    side_c = np.stack([B - k, np.zeros_like(k), k, np.full_like(k, B)])
    neighbour_flat = np.stack([padded[bi, bj + 1], padded[bi + 1, bj], padded[bi + 2, bj + 1], padded[bi + 1, bj + 2]], axis=1)
    side = (r0[:, None, None] + side_r[None]) * w + (c0[:, None, None] + side_c[None])   # (n, 4, B+1)
    centre = (r0 + B // 2) * w + (c0 + B // 2)
    # fine sides: B triangles (centre, p_k, p_k+1); coarse sides: one (centre, p_0, p_B)
    fine = side[~neighbour_flat]                                                      # (nf, B+1)
    cf = np.repeat(centre[:, None], 4, axis=1)[~neighbour_flat]
    fine_tris = np.stack([np.repeat(cf, B), fine[:, :-1].reshape(-1), fine[:, 1:].reshape(-1)], axis=1)
    coarse = side[neighbour_flat]
    cc = np.repeat(centre[:, None], 4, axis=1)[neighbour_flat]
    coarse_tris = np.stack([cc, coarse[:, 0], coarse[:, -1]], axis=1)
    return cell_flat, np.concatenate([fine_tris, coarse_tris]).astype(np.int64)


def mesh(
    cap: Capture,
    model: str = "pinhole",
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
    simplify : fewer, larger triangles where the surface is flat (default 1.0; 0 or None: two
        triangles per grid cell).  Blocks of 4 x 4 cells whose points lie on a plane to within
        ``simplify`` steps of the depth map's own quantisation (for an 8-bit disparity map, one
        step of the stored disparity; for float maps 0.1 % of the disparity per unit) become a
        fan of 4-16 triangles around the block's centre point, sewn to their neighbours without
        cracks (:func:`flat_block_fans`).  The vertices stay the projection's points; only
        the faces change.  The real pug photo drops from ~876k to ~200k triangles.

    Raises :class:`~depthlab.errors.InvalidInputError` when nothing is left to mesh (no valid
    depth, near/far/mask removing everything, a grid of one row or column, no two neighbouring
    points close enough in depth).

    Convention: see the module docstring (camera frame x right, y down, z forward; uv origin
    bottom-left; pixel centres at +0.5).
    """
    step, simplify = _check_mesh_options(cap, max_step, simplify, max_texture)

    proj = Projector(cap, stride=stride, calibration=calibration)
    xyz, valid = proj.points(model, depth_scale, aspect, near, far, mask)
    gh, gw = proj.grid_shape
    n = int(np.count_nonzero(valid))
    if n == 0:
        what = "the depth map has no valid (finite) depth" if not np.isfinite(proj.depth).any() else \
            "near/far/mask leave no point"
        raise InvalidInputError(f"nothing to mesh: {what} (near={near}, far={far}, mask="
                                f"{mask if mask is None or isinstance(mask, str) else 'array'}); widen near/far or change the mask")
    if gh < 2 or gw < 2:
        raise InvalidInputError(
            f"a mesh needs a grid of at least 2 x 2 points; this depth map at stride {proj.stride} gives "
            f"{gh} x {gw}; use a smaller stride"
        )
    depth_grid = proj.depth.reshape(gh, gw)
    valid_grid = valid.reshape(gh, gw)
    tri, keep = _cell_triangles(depth_grid, valid_grid, step * proj.stride)
    if simplify > 0:
        cell_flat, fans = flat_block_fans(depth_grid, keep, _disparity_tolerance(cap, simplify),
                                          BLOCK // 2 * step * proj.stride)
        keep &= ~cell_flat[..., None]
        tri = np.concatenate([tri[keep], fans])
    else:
        tri = tri[keep]
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
    uv = _uv_of(pix, w, h)
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
        units="m" if (is_pinhole(model) and float(depth_scale) == 1.0) else "arbitrary",
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
    if not isinstance(cap, Capture):
        raise InvalidInputError(f"mesh needs a depthlab Capture, got {type(cap).__name__}")
    try:
        step = float(max_step)
    except (TypeError, ValueError):
        raise InvalidInputError(f"max_step must be a positive number, got {max_step!r}") from None
    if not math.isfinite(step) or step <= 0:
        raise InvalidInputError(f"max_step must be a positive finite number, got {max_step!r}")
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


def _uv_of(pix: np.ndarray, w: int, h: int) -> np.ndarray:
    """float32 (n, 2) texture coordinates of depth pixels (flat indices), origin bottom-left."""
    uv = np.empty((pix.shape[0], 2), dtype=np.float32)
    uv[:, 0] = ((pix % w).astype(np.float32) + np.float32(0.5)) / np.float32(w)
    uv[:, 1] = np.float32(1.0) - ((pix // w).astype(np.float32) + np.float32(0.5)) / np.float32(h)
    return uv


def _texture_of(cap: Capture, proj: Any, max_texture: int | None) -> tuple[np.ndarray, str]:
    """The texture image and what it shows: the photo, or depth colours without one."""
    if cap.has_rgb:
        return _capped(cap.rgb, max_texture), "rgb"
    rng = proj.depth_range() or (0.0, 1.0)
    return depth_colours(cap.depth, rng[0], rng[1]), "depth (no colour image)"


def _mesh_metadata(cap: Capture, proj: Any, params: dict[str, Any], colour: str, sel: np.ndarray,
                   grid: tuple[int, int]) -> dict[str, Any]:
    """Provenance of a mesh: source, depth range of its vertices, parameters, intrinsics used."""
    gh, gw = grid
    h, w = proj.depth_shape
    cal = proj.calibration
    drange = [float(np.nanmin(proj.depth[sel])), float(np.nanmax(proj.depth[sel]))]
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
        meta["lens_distortion_removed"] = bool(params["model"] == "pinhole" and cal.has_distortion)
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
