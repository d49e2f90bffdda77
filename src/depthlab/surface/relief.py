"""A closed relief of a depth photo for 3D printing: the surface, walls, a flat back.

:meth:`Mesh.solid <depthlab.surface.Mesh.solid>` closes a mesh into a watertight solid with
:func:`close_relief`:

* **front**: the mesh's surface with its occlusion cuts closed again — a relief needs the
  steep step from the subject down to the background as a wall, not a slit (holes where the
  depth is unknown or was removed by near/far/mask stay open, as through-holes);
* **back**: a flat plane ``thickness`` behind the farthest point, perpendicular to the camera's
  axis;
* **walls**: along the outline of the front (and of every hole), each boundary edge joined to
  its copy on the back.

Every point is moved to the back *along its own viewing ray* (through the camera centre for
the pinhole models, parallel to z for the flat ones), so the walls are seen edge-on from the
camera and can never cut through the surface: the solid is the region between the surface
and the back plane as the camera saw it.  Every edge is shared by exactly two triangles and all
triangles face outwards (watertight, positive volume).

``metric=True`` promises true size; :func:`check_metric` refuses it for captures whose scale is
not trustworthy (``accuracy`` other than ``"absolute"``) or not in metres.

Convention: the mesh's frame (camera frame x right, y down, z forward); ``thickness`` in the
mesh's units; grids as in :mod:`depthlab.surface.triangulate`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from .triangulate import BLOCK, cell_cuts, cell_faces

__all__ = ["close_relief", "check_metric", "relief_front"]


def check_metric(accuracy: str | None, units: str, model: str) -> None:
    """Refuse a true-to-size solid unless the depth is absolute and in metres."""
    if accuracy == "absolute" and units == "m":
        return
    if units == "m":
        why = (f"its depth is {accuracy or 'of unknown accuracy'} (only 'absolute' captures, e.g. a "
               "front TrueDepth camera, have trustworthy metres)")
    else:
        why = f"the mesh is in arbitrary units (model {model!r})"
    raise InvalidInputError(
        f"a metric solid needs true scale, but {why}; use solid(metric=False) and scale the print "
        "in the slicer, or a capture with absolute depth"
    )


def relief_front(z: np.ndarray, faces: np.ndarray, pixel_index: np.ndarray, grid_shape: tuple[int, int],
                 stride: int) -> np.ndarray:
    """int64 (M, 3) vertex indices of the relief's front: the mesh's big (flat-block) triangles
    as they are, every other cell of the grid triangulated afresh with no cut.

    ``z`` (N,) the vertices' depths, ``pixel_index`` their flat indices in the depth map of
    ``grid_shape`` (H, W), ``stride`` the grid's."""
    h, w = grid_shape
    gh, gw = math.ceil(h / stride), math.ceil(w / stride)
    gid = ((pixel_index // w) // stride) * gw + (pixel_index % w) // stride    # vertex -> grid point
    zgrid = np.full(gh * gw, np.nan, dtype=np.float32)
    zgrid[gid] = z
    lut = np.full(gh * gw, -1, dtype=np.int64)
    lut[gid] = np.arange(len(gid))
    fr, fc = gid[faces] // gw, gid[faces] % gw
    big = (np.ptp(fr, axis=1) > 1) | (np.ptp(fc, axis=1) > 1)
    covered = np.zeros((max(gh - 1, 0), max(gw - 1, 0)), dtype=bool)
    if big.any():
        # a fan triangle starts at its block's centre point
        blocks = np.unique(np.stack([fr[big, 0] - BLOCK // 2, fc[big, 0] - BLOCK // 2], axis=1), axis=0)
        for dr in range(BLOCK):
            for dc in range(BLOCK):
                covered[blocks[:, 0] + dr, blocks[:, 1] + dc] = True
    keep, use_ad = cell_cuts(zgrid.reshape(gh, gw), np.isfinite(zgrid).reshape(gh, gw), np.inf)
    keep &= ~covered
    return np.concatenate([lut[cell_faces(keep, use_ad, gw)], faces[big].astype(np.int64)])


def _walls(front: np.ndarray, n: int) -> np.ndarray:
    """Two triangles per open edge of ``front``: a directed edge u->v used once becomes
    (v, u, u') and (v, u', v'), where x' = x + n is the point's copy on the back."""
    e = np.concatenate([front[:, [0, 1]], front[:, [1, 2]], front[:, [2, 0]]])
    _, inv, counts = np.unique(np.sort(e, axis=1), axis=0, return_inverse=True, return_counts=True)
    if counts.max() > 2:
        raise InvalidInputError("the surface has an edge shared by more than two triangles; cannot close it")
    u, v = e[counts[inv.reshape(-1)] == 1].T
    return np.concatenate([np.stack([v, u, u + n], axis=1), np.stack([v, u + n, v + n], axis=1)])


def close_relief(vertices: np.ndarray, faces: np.ndarray, pixel_index: np.ndarray, grid_shape: tuple[int, int],
                 stride: int = 1, thickness: float | None = None, perspective: bool = True):
    """The closed relief of a grid mesh: ``(vertices, faces, kept, facts)``.

    ``vertices`` float32: the front's used vertices (``kept``, indices into the input)
    followed by their copies on the back; ``faces`` int32: front, back, walls, all facing out.
    ``thickness``: how far behind the farthest point the back lies, in the vertices' units
    (default: 10 % of the depth range, at least 1 % of the farthest depth).  ``perspective``:
    move points to the back along rays through the origin (pinhole) rather than along z.
    """
    z = np.asarray(vertices)[:, 2]
    if len(faces) == 0:
        raise InvalidInputError("this mesh has no triangles; nothing to close into a solid")
    if not (np.isfinite(z).all() and (z > 0).all()):
        raise InvalidInputError("a solid needs every vertex in front of the camera (z > 0)")
    front = relief_front(z, np.asarray(faces), np.asarray(pixel_index), grid_shape, int(stride))
    used = np.zeros(len(z), dtype=bool)
    used[front.reshape(-1)] = True
    kept = np.flatnonzero(used)
    front = (np.cumsum(used) - 1)[front]
    vf = np.asarray(vertices)[kept].astype(np.float64)
    zmin, zmax = float(vf[:, 2].min()), float(vf[:, 2].max())
    t = max(0.1 * (zmax - zmin), 0.01 * zmax) if thickness is None else thickness
    try:
        t = float(t)
    except (TypeError, ValueError):
        t = math.nan
    if not math.isfinite(t) or t <= 0:
        raise InvalidInputError(f"thickness must be a positive number (the mesh's units), got {thickness!r}")
    z_back = zmax + t
    if perspective:
        vb = vf * (z_back / vf[:, 2])[:, None]
    else:
        vb = vf.copy()
        vb[:, 2] = z_back
    n = len(kept)
    walls = _walls(front, n)
    out_faces = np.concatenate([front, front[:, ::-1] + n, walls]).astype(np.int32)
    facts: dict[str, Any] = {"thickness": t, "back_z": z_back, "front_triangles": int(len(front)),
                             "wall_triangles": int(len(walls))}
    return np.concatenate([vf, vb]).astype(np.float32), out_faces, kept, facts
