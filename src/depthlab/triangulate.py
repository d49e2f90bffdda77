"""Triangles on a depth grid: cut at occlusions, fewer and larger where the surface is flat.

Plain functions over numpy grids, used by :func:`depthlab.mesh` (:mod:`depthlab.surface`) and
the relief (:mod:`depthlab.relief`).

Convention: a grid of ``h x w`` points, row-major point index ``r * w + c``; cell ``(r, c)``
has corners a = (r, c) top-left, b = (r, c+1), c = (r+1, c), d = (r+1, c+1); triangles wind
counter-clockwise as seen from a camera looking down +z with x right and y down (the camera
frame), so their normals point back at it.  Depths are positive; only their ratios matter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["BLOCK", "triangle_areas", "grid_faces", "cell_cuts", "cell_faces", "flat_blocks", "block_fans",
           "surface_faces"]

BLOCK = 4


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

    Returns int64 (M, 3) *grid* indices (row-major ``r * w + c``), at most two triangles per
    cell, counter-clockwise seen from the camera (x right, y down, z forward).  Each cell is
    split along the diagonal whose depths differ less.
    """
    keep, use_ad = cell_cuts(depth, valid, max_step)
    return cell_faces(keep, use_ad, np.shape(depth)[1])


def cell_cuts(depth: np.ndarray, valid: np.ndarray, max_step: float) -> tuple[np.ndarray, np.ndarray]:
    """(keep, use_ad) for every cell of the grid: bool (h-1, w-1, 2) which of its two
    triangles pass the cut, bool (h-1, w-1) whether it is split along the a-d diagonal (top-left
    to bottom-right) rather than b-c.  See :func:`grid_faces`; :func:`cell_faces` builds them.

    The relative test runs on log depth: ``|ln z1 - ln z2| <= ln(1 + max_step)`` is exactly
    ``|z1 - z2| <= max_step * min(z1, z2)``; unknown points are NaN and fail every test.
    """
    h, w = np.shape(depth)
    if h < 2 or w < 2:
        return np.zeros((max(h - 1, 0), max(w - 1, 0), 2), dtype=bool), np.zeros((max(h - 1, 0), max(w - 1, 0)), dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_d = np.log(np.asarray(depth, dtype=np.float32))
    np.copyto(log_d, np.float32(np.nan), where=~np.asarray(valid, dtype=bool))
    limit = np.float32(np.log1p(max_step))

    def apart(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        r = np.subtract(p, q)
        return np.abs(r, out=r)

    d_ad = apart(log_d[1:, 1:], log_d[:-1, :-1])
    d_bc = apart(log_d[:-1, 1:], log_d[1:, :-1])
    with np.errstate(invalid="ignore"):
        e_h = apart(log_d[:, 1:], log_d[:, :-1]) <= limit      # (h, w-1): (r, c)-(r, c+1)
        e_v = apart(log_d[1:], log_d[:-1]) <= limit            # (h-1, w): (r, c)-(r+1, c)
        e_ad, e_bc = d_ad <= limit, d_bc <= limit
        # split along a-d when it joins closer depths, or when b or c is missing
        use_ad = (d_ad < d_bc) | np.isnan(d_bc)
    e_ab, e_cd, e_ac, e_bd = e_h[:-1], e_h[1:], e_v[:, :-1], e_v[:, 1:]
    keep = np.empty((h - 1, w - 1, 2), dtype=bool)
    keep[..., 0] = np.where(use_ad, e_ac & e_cd & e_ad, e_ac & e_bc & e_ab)   # (a,c,d) | (a,c,b)
    keep[..., 1] = np.where(use_ad, e_ad & e_bd & e_ab, e_bc & e_cd & e_bd)   # (a,d,b) | (b,c,d)
    return keep, use_ad


def cell_faces(keep: np.ndarray, use_ad: np.ndarray, width: int) -> np.ndarray:
    """int32 (M, 3) grid indices of the kept cell triangles (all first triangles, then all
    second ones), for a grid ``width`` points wide; cell corners a (top-left), b (top-right),
    c (bottom-left), d (bottom-right)."""
    w = int(width)
    hc, wc = keep.shape[:2]
    corner = (np.arange(hc, dtype=np.int32)[:, None] * np.int32(w) + np.arange(wc, dtype=np.int32)[None, :])
    out = []
    for k in (0, 1):
        sel = keep[..., k]
        a = corner[sel]
        ad = use_ad[sel].astype(np.int32)
        t = np.empty((a.size, 3), dtype=np.int32)
        if k == 0:   # use_ad: (a, c, d); else (a, c, b)
            t[:, 0] = a
            t[:, 1] = a + w
            t[:, 2] = a + 1 + w * ad
        else:        # use_ad: (a, d, b); else (b, c, d)
            t[:, 0] = a + 1 - ad
            t[:, 1] = a + w + ad
            t[:, 2] = a + 1 + w - w * ad
        out.append(t)
    return np.concatenate(out)


def flat_blocks(depth: np.ndarray, keep: np.ndarray, tolerance: Any, max_span: float, block: int = BLOCK) -> np.ndarray:
    """bool (nb_r, nb_c): which ``block`` x ``block``-cell blocks (from the top-left corner)
    are flat — every cell kept both triangles, the disparities (1/depth) lie within
    ``tolerance`` of their least-squares affine fit in pixel position (a plane in space is
    affine in disparity, for a pinhole camera), and the depths span at most ``max_span``
    (relative).  ``tolerance``: 1/depth units, a number or a function of each block's mean
    disparity."""
    B = int(block)
    h, w = np.shape(depth)
    nb_r, nb_c = (h - 1) // B, (w - 1) // B
    if nb_r <= 0 or nb_c <= 0:
        return np.zeros((max(nb_r, 0), max(nb_c, 0)), dtype=bool)
    # a block's cells all kept both triangles: AND of the B x B strided views (fast on 2-D)
    both = keep[..., 0] & keep[..., 1]
    cells_ok = np.ones((nb_r, nb_c), dtype=bool)
    for i in range(B):
        for j in range(B):
            cells_ok &= both[i: nb_r * B: B, j: nb_c * B: B]
    with np.errstate(divide="ignore", invalid="ignore"):
        disp = np.float32(1.0) / np.asarray(depth, dtype=np.float32)
    # the (B+1)^2 points of every block, point-major: (P, blocks), each row one strided view
    offsets = [(i, j) for i in range(B + 1) for j in range(B + 1)]
    v = np.stack([disp[i: i + nb_r * B: B, j: j + nb_c * B: B].reshape(-1) for i, j in offsets])
    jr = np.array([i for i, _ in offsets], dtype=np.float32) - np.float32(B / 2)
    jc = np.array([j for _, j in offsets], dtype=np.float32) - np.float32(B / 2)
    norm = np.float32(jc @ jc)
    mean = v.mean(axis=0)
    gx, gy = (jc @ v) / norm, (jr @ v) / norm                          # least-squares slopes
    plane = mean[None, :] + jc[:, None] * gx[None, :] + jr[:, None] * gy[None, :]
    np.subtract(v, plane, out=plane)
    with np.errstate(invalid="ignore"):
        worst = np.abs(plane, out=plane).max(axis=0)
        lo, hi = v.min(axis=0), v.max(axis=0)                          # disparity: hi is the nearest
        tol = tolerance(mean) if callable(tolerance) else tolerance
        ok = (worst <= tol) & (hi <= np.float32(1.0 + max_span) * lo)
    return cells_ok & ok.reshape(nb_r, nb_c)


def block_fans(flat: np.ndarray, width: int, block: int = BLOCK) -> np.ndarray:
    """int64 (K, 3) grid indices: each flat block's fan around its centre point.

    A side shared with another flat block is one edge from corner to corner; a side next to
    anything else keeps every grid point, so the fan meets the neighbouring cells' triangles
    edge for edge (no T-junctions, no cracks).  Only original grid points are used; the
    triangles wind counter-clockwise seen from the camera.
    """
    B, w = int(block), int(width)
    nb_r, nb_c = flat.shape
    padded = np.zeros((nb_r + 2, nb_c + 2), dtype=bool)
    padded[1:-1, 1:-1] = flat
    bi, bj = np.nonzero(flat)
    r0, c0 = bi * B, bj * B
    k = np.arange(B + 1)
    # each side's points in fan order (counter-clockwise seen from the camera in x right,
    # y down): top right->left, left top->bottom, bottom left->right, right bottom->top
    side_r = np.stack([np.zeros_like(k), k, np.full_like(k, B), B - k])
    side_c = np.stack([B - k, np.zeros_like(k), k, np.full_like(k, B)])
    neighbour_flat = np.stack([padded[bi, bj + 1], padded[bi + 1, bj], padded[bi + 2, bj + 1], padded[bi + 1, bj + 2]], axis=1)
    side = (r0[:, None, None] + side_r[None]) * w + (c0[:, None, None] + side_c[None])   # (n, 4, B+1)
    centre = np.repeat(((r0 + B // 2) * w + (c0 + B // 2))[:, None], 4, axis=1)
    fine, cf = side[~neighbour_flat], centre[~neighbour_flat]
    fine_tris = np.stack([np.repeat(cf, B), fine[:, :-1].reshape(-1), fine[:, 1:].reshape(-1)], axis=1)
    coarse, cc = side[neighbour_flat], centre[neighbour_flat]
    coarse_tris = np.stack([cc, coarse[:, 0], coarse[:, -1]], axis=1)
    return np.concatenate([fine_tris, coarse_tris]).astype(np.int64)


def surface_faces(depth: np.ndarray, valid: np.ndarray, max_step: float, tolerance: Any = None,
                  block: int = BLOCK) -> np.ndarray:
    """int64 (M, 3) grid indices of the mesh's triangles: :func:`grid_faces`, with flat blocks
    (:func:`flat_blocks`, when ``tolerance`` is given) replaced by :func:`block_fans`.  A big
    triangle may span half a block's worth of grid edges in depth."""
    keep, use_ad = cell_cuts(depth, valid, max_step)
    w = np.shape(depth)[1]
    if tolerance is None:
        return cell_faces(keep, use_ad, w)
    flat = flat_blocks(depth, keep, tolerance, block // 2 * max_step, block)
    if not flat.any():
        return cell_faces(keep, use_ad, w)
    B = int(block)
    nb_r, nb_c = flat.shape
    outside = ~flat[..., None]
    for i in range(B):          # the fans replace the cells of flat blocks
        for j in range(B):
            keep[i: nb_r * B: B, j: nb_c * B: B] &= outside
    return np.concatenate([cell_faces(keep, use_ad, w), block_fans(flat, w, B)])
