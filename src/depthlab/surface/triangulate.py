"""Triangles on a depth grid: cut at occlusions, fewer and larger where the surface is flat.

Plain functions over numpy grids, used by :func:`depthlab.mesh` (:mod:`depthlab.surface`) and
the relief (:mod:`depthlab.surface.relief`).

Convention: a grid of ``h x w`` points, row-major point index ``r * w + c``; cell ``(r, c)``
has corners a = (r, c) top-left, b = (r, c+1), c = (r+1, c), d = (r+1, c+1); triangles wind
counter-clockwise as seen from a camera looking down +z with x right and y down (the camera
frame), so their normals point back at it.  Depths are positive; only their ratios matter.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["BLOCK", "DEFAULT_MAX_STEP", "triangle_areas", "grid_faces", "cell_cuts", "cell_faces", "flat_blocks", "block_fans",
           "surface_faces", "depth_steps", "occlusion_edges"]

BLOCK = 4
#: the cut rule's default: the largest relative depth difference per depth-map pixel a
#: triangle edge may span (:func:`depthlab.mesh`'s ``max_step``); larger jumps are occlusions
DEFAULT_MAX_STEP = 0.03
#: neighbours this many quantisation steps apart (or fewer) in the stored map are one surface
CODE_STEPS = 1.5


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

    Returns int32 (M, 3) *grid* indices (row-major ``r * w + c``), at most two triangles per
    cell, counter-clockwise seen from the camera (x right, y down, z forward).  Each cell is
    split along the diagonal whose depths differ less.
    """
    keep, use_ad = cell_cuts(depth, valid, max_step)
    return cell_faces(keep, use_ad, np.shape(depth)[1])


def cell_cuts(depth: np.ndarray, valid: np.ndarray, max_step: float) -> tuple[np.ndarray, np.ndarray]:
    """(keep, use_ad) for every cell of the grid: bool (2, h-1, w-1) which of its two
    triangles pass the cut (``keep[0]`` the first, ``keep[1]`` the second), bool (h-1, w-1) whether it is split along the a-d diagonal (top-left
    to bottom-right) rather than b-c.  See :func:`grid_faces`; :func:`cell_faces` builds them.

    The relative test runs on log depth: ``|ln z1 - ln z2| <= ln(1 + max_step)`` is exactly
    ``|z1 - z2| <= max_step * min(z1, z2)``; unknown points are NaN and fail every test.
    """
    h, w = np.shape(depth)
    if h < 2 or w < 2:
        return np.zeros((2, max(h - 1, 0), max(w - 1, 0)), dtype=bool), np.zeros((max(h - 1, 0), max(w - 1, 0)), dtype=bool)
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
    keep = np.empty((2, h - 1, w - 1), dtype=bool)
    keep[0] = np.where(use_ad, e_ac & e_cd & e_ad, e_ac & e_bc & e_ab)   # (a,c,d) | (a,c,b)
    keep[1] = np.where(use_ad, e_ad & e_bd & e_ab, e_bc & e_cd & e_bd)   # (a,d,b) | (b,c,d)
    return keep, use_ad


def depth_steps(depth: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(steps_h, steps_v): float32 ``ln z(r, c+1) - ln z(r, c)`` (h, w-1) and ``ln z(r+1, c) -
    ln z(r, c)`` (h-1, w), NaN where either point is unknown.  A pair is joined by the cut rule
    when ``|step| <= ln(1 + max_step)`` (:func:`cell_cuts`), an occlusion when it is larger."""
    d = np.asarray(depth, dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_d = np.log(d)
    np.copyto(log_d, np.float32(np.nan), where=~np.asarray(valid, dtype=bool))
    return log_d[:, 1:] - log_d[:, :-1], log_d[1:] - log_d[:-1]


def occlusion_edges(depth: np.ndarray, valid: np.ndarray, max_step: float,
                    code_step: tuple[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(near, far): bool (h, w), the grid points on either side of an occlusion -- a horizontal
    or vertical neighbour pair, both valid, whose depths differ by more than ``max_step``
    (relative, the mesh's cut rule of :func:`cell_cuts`: ``|ln z1 - ln z2| > ln(1 + max_step)``).
    ``near`` is the nearer point of such a pair (the foreground's rim), ``far`` the farther one
    (the background the foreground hides).  A point may be both (a step between three depths).

    ``code_step``: the stored map's quantisation, ``("disparity", q)`` (1/m) or ``("depth", q)``
    (m): neighbours at most ``CODE_STEPS`` codes apart are never an occlusion -- on an 8-bit
    map a far wall's neighbouring codes are several per cent apart in depth, and are a surface.

    >>> d = np.array([[1.0, 1.0, 3.0, 3.0]])
    >>> [m.astype(int).tolist() for m in occlusion_edges(d, np.ones_like(d, bool), 0.03)]
    [[[0, 1, 0, 0]], [[0, 0, 1, 0]]]
    >>> [m.astype(int).tolist() for m in occlusion_edges(d, np.ones_like(d, bool), 0.03, ("disparity", 0.5))]
    [[[0, 0, 0, 0]], [[0, 0, 0, 0]]]
    """
    h, w = np.shape(depth)
    limit = np.float32(np.log1p(max_step))
    near = np.zeros((h, w), dtype=bool)
    far = np.zeros((h, w), dtype=bool)
    steps_h, steps_v = depth_steps(depth, valid)
    if code_step is not None:
        quantity, q = code_step
        z = np.asarray(depth, dtype=np.float32)
        v = 1.0 / z if quantity == "disparity" else z
        tol = np.float32(CODE_STEPS * q)
        with np.errstate(invalid="ignore"):
            # one code apart: not a jump (NaN: the step fails every test below)
            steps_h[np.abs(v[:, 1:] - v[:, :-1]) <= tol] = 0.0
            steps_v[np.abs(v[1:] - v[:-1]) <= tol] = 0.0
    with np.errstate(invalid="ignore"):
        for step, first, second in ((steps_h, np.s_[:, :-1], np.s_[:, 1:]), (steps_v, np.s_[:-1, :], np.s_[1:, :])):
            second_far, first_far = step > limit, step < -limit
            near[first] |= second_far
            far[second] |= second_far
            far[first] |= first_far
            near[second] |= first_far
    return near, far


def cell_faces(keep: np.ndarray, use_ad: np.ndarray, width: int) -> np.ndarray:
    """int32 (M, 3) grid indices of the kept cell triangles (all first triangles, then all
    second ones), for a grid ``width`` points wide; cell corners a (top-left), b (top-right),
    c (bottom-left), d (bottom-right)."""
    w = np.int32(width)
    wc = keep.shape[2]
    ad_flat = use_ad.reshape(-1)
    cells = [np.flatnonzero(keep[k]).astype(np.int32) for k in (0, 1)]    # r * wc + c
    out = np.empty((cells[0].size + cells[1].size, 3), dtype=np.int32)
    for k, cell in enumerate(cells):
        t = out[: cell.size] if k == 0 else out[cells[0].size:]
        a = cell + cell // np.int32(max(wc, 1))          # r * w + c: the cell's top-left point
        ad = ad_flat[cell].view(np.int8)                 # 1 where split along a-d, else 0
        wad = ad * w
        if k == 0:   # use_ad: (a, c, d); else (a, c, b)
            t[:, 0] = a
            t[:, 1] = a + w
            t[:, 2] = a + 1 + wad
        else:        # use_ad: (a, d, b); else (b, c, d)
            t[:, 0] = a + 1 - ad
            t[:, 1] = a + w + ad
            t[:, 2] = a + 1 + w - wad
    return out


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
    # a block's cells all kept both triangles
    both = keep[0, : nb_r * B, : nb_c * B] & keep[1, : nb_r * B, : nb_c * B]
    cells_ok = both.reshape(nb_r, B, nb_c, B).all(axis=(1, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        disp = np.float32(1.0) / np.asarray(depth, dtype=np.float32)
    # the (B+1)^2 points of every block, point-major: (P, blocks), each row one strided view
    offsets = [(i, j) for i in range(B + 1) for j in range(B + 1)]
    v = np.empty((len(offsets), nb_r, nb_c), dtype=np.float32)
    for p, (i, j) in enumerate(offsets):
        v[p] = disp[i: i + nb_r * B: B, j: j + nb_c * B: B]
    v = v.reshape(len(offsets), -1)
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


def _fan_templates(block: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """int32 (4, B, 3) and (4, 3): the fine and the coarse fan triangles of each side of a
    block (top, left, bottom, right), as grid-index offsets from the block's top-left point;
    the first corner is always the block's centre."""
    B, w = int(block), int(width)
    k = np.arange(B + 1)
    # each side's points in fan order (counter-clockwise seen from the camera in x right,
    # y down): top right->left, left top->bottom, bottom left->right, right bottom->top
    side_r = np.stack([np.zeros_like(k), k, np.full_like(k, B), B - k])
    side_c = np.stack([B - k, np.zeros_like(k), k, np.full_like(k, B)])
    side = side_r * w + side_c                                                # (4, B+1)
    centre = (B // 2) * w + B // 2
    fine = np.stack([np.full((4, B), centre), side[:, :-1], side[:, 1:]], axis=2)
    coarse = np.stack([np.full(4, centre), side[:, 0], side[:, -1]], axis=1)
    return fine.astype(np.int32), coarse.astype(np.int32)


def block_fans(flat: np.ndarray, width: int, block: int = BLOCK) -> np.ndarray:
    """int32 (K, 3) grid indices: each flat block's fan around its centre point (the first
    corner of every fan triangle).

    A side shared with another flat block is one edge from corner to corner; a side next to
    anything else keeps every grid point, so the fan meets the neighbouring cells' triangles
    edge for edge (no T-junctions, no cracks).  Only original grid points are used; the
    triangles wind counter-clockwise seen from the camera.
    """
    B, w = int(block), int(width)
    flat = np.asarray(flat, dtype=bool)
    nb_r, nb_c = flat.shape
    padded = np.zeros((nb_r + 2, nb_c + 2), dtype=bool)
    padded[1:-1, 1:-1] = flat
    # the block's top-left grid point, for every flat block (row-major)
    base = (np.arange(nb_r, dtype=np.int32)[:, None] * np.int32(B * w)
            + np.arange(nb_c, dtype=np.int32)[None, :] * np.int32(B))[flat]
    neighbours = (padded[:-2, 1:-1], padded[1:-1, :-2], padded[2:, 1:-1], padded[1:-1, 2:])  # top, left, bottom, right
    fine, coarse = _fan_templates(B, w)
    out = []
    for s, beside in enumerate(neighbours):
        shared = beside[flat]
        out.append((base[~shared, None, None] + fine[s][None]).reshape(-1, 3))
        out.append(base[shared, None] + coarse[s][None])
    return np.concatenate(out)


def surface_faces(depth: np.ndarray, valid: np.ndarray, max_step: float, tolerance: Any = None,
                  block: int = BLOCK) -> np.ndarray:
    """int32 (M, 3) grid indices of the mesh's triangles: :func:`grid_faces`, with flat blocks
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
    # the fans replace the cells of flat blocks
    covered = np.repeat(np.repeat(flat, B, axis=0), B, axis=1)
    keep[:, : nb_r * B, : nb_c * B] &= ~covered
    return np.concatenate([cell_faces(keep, use_ad, w), block_fans(flat, w, B)])
