"""A closed relief of a depth photo for 3D printing: the surface, walls, a flat back.

:func:`solid` (also :meth:`Mesh.solid <depthlab.surface.Mesh.solid>`) closes a
:class:`~depthlab.surface.Mesh` into a watertight solid:

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

``metric=True`` promises true size; it is refused for captures whose scale is not trustworthy
(``accuracy`` other than ``"absolute"``) or not in metres.

Convention: the mesh's frame (camera frame x right, y down, z forward); ``thickness`` in the
mesh's units.  Files: :meth:`Mesh.save` writes STL in millimetres, the relief's face up.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import InvalidInputError

__all__ = ["solid"]


def solid(mesh, thickness: float | None = None, metric: bool = False):
    """A closed, watertight relief of ``mesh`` (a new :class:`~depthlab.surface.Mesh`).

    Parameters
    ----------
    thickness : how far behind the farthest point the flat back lies, in the mesh's units
        (default: 10 % of the surface's depth range, at least 1 % of its farthest depth).
    metric : True to require a true-to-size solid: refused (``InvalidInputError``) unless the
        capture's depth is absolute and the mesh is in metres.

    The solid's vertices are the front's (used) vertices followed by their copies on the back;
    ``uv``/``pixel_index`` are copied to the back, so a textured file shows the photo on the
    front (and mirrored on the back).
    """
    from .surface import BLOCK, Mesh, _cell_triangles

    if not isinstance(mesh, Mesh):
        raise InvalidInputError(f"solid needs a depthlab Mesh, got {type(mesh).__name__}")
    if metric and (mesh.accuracy != "absolute" or mesh.units != "m"):
        why = (f"its depth is {mesh.accuracy or 'of unknown accuracy'} (only 'absolute' captures, e.g. a "
               "front TrueDepth camera, have trustworthy metres)") if mesh.units == "m" else \
            f"the mesh is in arbitrary units (model {mesh.model!r})"
        raise InvalidInputError(
            f"a metric solid needs true scale, but {why}; use solid(metric=False) and scale the print "
            "in the slicer, or a capture with absolute depth"
        )
    if len(mesh) == 0:
        raise InvalidInputError("this mesh has no triangles; nothing to close into a solid")

    params = mesh.metadata.get("parameters", {})
    s = int(params.get("stride", 1))
    h, w = mesh.grid_shape
    gh, gw = math.ceil(h / s), math.ceil(w / s)
    pix = mesh.pixel_index
    gid = ((pix // w) // s) * gw + (pix % w) // s        # vertex -> grid point
    z = mesh.vertices[:, 2]
    if not (np.isfinite(z).all() and (z > 0).all()):
        raise InvalidInputError("a solid needs every vertex in front of the camera (z > 0)")
    zgrid = np.full(gh * gw, np.nan, dtype=np.float32)
    zgrid[gid] = z
    lut = np.full(gh * gw, -1, dtype=np.int64)
    lut[gid] = np.arange(len(gid))

    # the mesh's big (flat-block) triangles stay; every other cell is triangulated afresh
    # with no cut, so occlusions become walls of the relief instead of slits
    fr, fc = gid[mesh.faces] // gw, gid[mesh.faces] % gw
    big = (np.ptp(fr, axis=1) > 1) | (np.ptp(fc, axis=1) > 1)
    covered = np.zeros((max(gh - 1, 0), max(gw - 1, 0)), dtype=bool)
    if big.any():
        cr, cc = fr[big, 0] - BLOCK // 2, fc[big, 0] - BLOCK // 2   # fans start at their centre
        blocks = np.unique(np.stack([cr, cc], axis=1), axis=0)
        for dr in range(BLOCK):
            for dc in range(BLOCK):
                covered[blocks[:, 0] + dr, blocks[:, 1] + dc] = True
    valid = np.isfinite(zgrid).reshape(gh, gw)
    tri, keep = _cell_triangles(zgrid.reshape(gh, gw), valid, np.inf)
    keep &= ~covered[..., None]
    front = np.concatenate([lut[tri[keep]], mesh.faces[big].astype(np.int64)])

    # only the vertices the front uses
    used = np.zeros(len(z), dtype=bool)
    used[front.reshape(-1)] = True
    kept = np.flatnonzero(used)
    remap = np.cumsum(used) - 1
    front = remap[front]
    vf = mesh.vertices[kept].astype(np.float64)
    n = len(kept)

    zf = vf[:, 2]
    zmin, zmax = float(zf.min()), float(zf.max())
    if thickness is None:
        thickness = max(0.1 * (zmax - zmin), 0.01 * zmax)
    t = float(thickness)
    if not math.isfinite(t) or t <= 0:
        raise InvalidInputError(f"thickness must be a positive number (the mesh's units), got {thickness!r}")
    z_back = zmax + t
    if mesh.model in ("pinhole", "pinhole-raw"):
        vb = vf * (z_back / zf)[:, None]                  # along the ray through the camera centre
    else:
        vb = vf.copy()
        vb[:, 2] = z_back                                 # parallel rays
    back = front[:, ::-1] + n

    # walls on the front's open edges: a directed edge u->v used once becomes (v, u, u'), (v, u', v')
    e = np.concatenate([front[:, [0, 1]], front[:, [1, 2]], front[:, [2, 0]]])
    key = np.sort(e, axis=1)
    _, inv, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    if counts.max() > 2:
        raise InvalidInputError("the surface has an edge shared by more than two triangles; cannot close it")
    open_e = e[counts[inv.reshape(-1)] == 1]
    u, v = open_e[:, 0], open_e[:, 1]
    walls = np.concatenate([np.stack([v, u, u + n], axis=1), np.stack([v, u + n, v + n], axis=1)])

    faces = np.concatenate([front, back, walls]).astype(np.int32)
    vertices = np.concatenate([vf, vb]).astype(np.float32)
    meta: dict[str, Any] = dict(mesh.metadata)
    meta["solid"] = {"thickness": t, "back_z": z_back, "metric": bool(metric),
                     "front_triangles": int(len(front)), "wall_triangles": int(len(walls))}
    return Mesh(
        vertices=vertices, faces=faces,
        uv=np.concatenate([mesh.uv[kept], mesh.uv[kept]]),
        texture=mesh.texture,
        pixel_index=np.concatenate([pix[kept], pix[kept]]),
        grid_shape=mesh.grid_shape, model=mesh.model, units=mesh.units,
        accuracy=mesh.accuracy, camera=mesh.camera, metadata=meta,
    )
