"""A layered depth image: the background a photo never saw, filled in behind its occlusion edges.

Turn a depth photo a little and, behind every occlusion edge (a subject in front of a
background), the background that the foreground hid comes into view: the phone never saw it.
:func:`layers` adds a second layer there, only where the first one occludes, as the classical
"3D photo" methods do:

1. **Where**: the mesh's cut rule (:func:`depthlab.surface.triangulate.occlusion_edges`, the
   same test :func:`depthlab.mesh` cuts with) marks the far side of every depth jump.  The
   hidden background is extended behind the foreground by a band of grid pixels: every valid
   point within ``band`` pixels of a far-side point that is nearer than that background by more
   than the cut rule allows.
2. **Depth**: the background's own depth, spread smoothly into the band from the far-side
   points around it (push-pull interpolation of disparity, :func:`push_pull`); each point keeps
   its pixel's ray, so from the phone the layer lies exactly behind the foreground.
3. **Colour**: inpainted from the surrounding background only (the foreground's colours are
   never used): OpenCV's ``cv2.inpaint`` (Telea) when ``opencv-python-headless`` is installed,
   else the nearest background pixel's colour, smoothed (``scipy.ndimage``).

Everything in the second layer is **invented**, so it is marked: :class:`Layers` keeps it apart
from the measured first layer (``front`` is exactly :func:`depthlab.mesh`'s mesh), and the
combined mesh and cloud carry a per-vertex flag ``metadata["invented"]``.  Nothing else in
depthlab adds it: :func:`depthlab.project`, :func:`depthlab.mesh`, every measurement and export
see measured points only unless a layered result is passed on purpose.

Band width: wide enough for a turn of ``turn`` degrees about the subject: a camera moved by
``d sin(turn)`` at the foreground's distance ``d`` shifts a background at ``z_bg`` against the
foreground by ``f sin(turn) (1 - d / z_bg)`` pixels (focal length ``f`` in grid pixels); the
band is that shift for the largest jumps (the 2nd percentile of near/far depth ratios), capped at a third of the grid's longer side.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..capture import Calibration, Capture
from ..deps import require
from ..errors import InvalidInputError, MissingDependencyError
from ..pointcloud import PointCloud
from ..projection import Projector
from ..checks import keyword_options, one_of, positive_number, require_capture, whole_number
from ..settings import DEFAULT_MODEL, is_pinhole
from ._mesh import DEFAULT_MAX_STEP, DEFAULT_MAX_TEXTURE, Mesh, mesh
from .triangulate import cell_cuts, cell_faces, occlusion_edges

__all__ = ["Layers", "layers", "projector_layer", "background_layer", "with_second_layer", "push_pull", "DEFAULT_TURN", "INPAINT_METHODS"]

#: the turn (degrees about the subject) the default band is wide enough for
DEFAULT_TURN = 60.0
INPAINT_METHODS = ("auto", "telea", "ns", "nearest")
NOTE = ("the second layer is invented for looks (depth extrapolated, colour inpainted); "
        "it is in no measurement or export unless asked")
#: how much looser the cut rule is inside the invented layer
BACK_STEPS = 10
#: grid pixels over which a silhouette may step down to the background (mixed pixels)
RAMP = 3
#: each Projector's background layers (:func:`background_layer`: the edges, push-pull and the
#: inpainting, the slow part), by the parameters that shape them.  On one projector they depend
#: on no model but through the focal length, so a change between the pinhole models (a live
#: view's projection menu) only re-projects; the arrays are read-only.
_BACKGROUNDS: "weakref.WeakKeyDictionary[Projector, dict[tuple, dict[str, Any]]]" = weakref.WeakKeyDictionary()
#: the band never reaches further than this share of the grid's longer side
MAX_BAND_SHARE = 1 / 3


@dataclass(frozen=True, eq=False)
class Layers:
    """A depth photo in two layers: what the phone measured, and the background filled in
    behind its occlusion edges (invented).

    Attributes
    ----------
    front : :class:`~depthlab.surface.Mesh`, exactly ``depthlab.mesh(cap, ...)`` (measured).
    back_xyz : float32 (K, 3), the second layer's points, camera frame (as the mesh's vertices):
        the invented ones behind the foreground and the measured points beside them (the seam).
    invented : bool (K,), which of them are invented (the others repeat measured points).
    back_rgb : uint8 (K, 3), their inpainted colours.
    back_pixel_index : int64 (K,), each point's pixel in the depth map (row-major).
    back_faces : int32 (L, 3), triangles over ``back_xyz`` (cut by the same rule as the mesh).
    back_texture : uint8 (gh, gw, 3), the photo at grid size with the band inpainted (the filled
        layer's texture; its uv are the same pixel centres as the mesh's).
    back_uv : float32 (K, 2), texture coordinates of ``back_xyz`` (origin bottom-left).
    metadata : the method and its parameters (band, turn, inpainting), counts, ``"invented"``.

    >>> import depthlab
    >>> two = depthlab.layers(depthlab.open("data/sample/front_truedepth.heic"), stride=8)
    >>> type(two.front).__name__, two.back_xyz.shape[1]
    ('Mesh', 3)
    """

    front: Mesh
    back_xyz: np.ndarray
    invented: np.ndarray
    back_rgb: np.ndarray
    back_pixel_index: np.ndarray
    back_faces: np.ndarray
    back_texture: np.ndarray
    back_uv: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        """Number of invented points."""
        return int(np.count_nonzero(self.invented))

    def __repr__(self) -> str:
        m = self.metadata
        return (f"<Layers {len(self.front):,} measured triangles · {len(self):,} invented points behind "
                f"{m.get('edge_points', 0):,} edge points · band {m.get('band', 0)} px>")

    def mesh(self) -> Mesh:
        """One mesh of both layers: the measured vertices and faces first (as ``front``), then
        the second layer's (``metadata["second_layer_from"]``, ``["second_layer_faces_from"]``: where
        they start); ``metadata["invented"]`` is bool (N,) per vertex.  The texture stacks
        the photo (top half) over the filled layer's (bottom half), each at most half of
        ``max_texture`` tall, and the uv are remapped onto their halves."""
        from PIL import Image

        f = self.front
        top = f.texture
        cap = max(1, int(f.metadata.get("parameters", {}).get("max_texture") or DEFAULT_MAX_TEXTURE) // 2)
        if top.shape[0] > cap:
            k = cap / top.shape[0]
            top = np.asarray(Image.fromarray(top).resize((max(1, round(top.shape[1] * k)), cap), Image.Resampling.BOX))
        bottom = np.asarray(Image.fromarray(self.back_texture).resize((top.shape[1], top.shape[0]),
                                                                       Image.Resampling.BILINEAR))
        uv_front = f.uv.copy()
        uv_front[:, 1] = 0.5 + 0.5 * uv_front[:, 1]
        uv_back = self.back_uv.copy()
        uv_back[:, 1] = 0.5 * uv_back[:, 1]
        n = f.vertices.shape[0]
        invented = np.concatenate([np.zeros(n, dtype=bool), self.invented])
        meta = dict(f.metadata)
        meta["layers"] = dict(self.metadata)
        meta["invented"] = invented
        meta["second_layer_from"] = n
        meta["second_layer_faces_from"] = int(len(f))
        return Mesh(vertices=np.concatenate([f.vertices, self.back_xyz]),
                    faces=np.concatenate([f.faces, self.back_faces + np.int32(n)]),
                    uv=np.concatenate([uv_front, uv_back]), texture=np.concatenate([top, bottom]),
                    pixel_index=np.concatenate([f.pixel_index, self.back_pixel_index]), grid_shape=f.grid_shape,
                    model=f.model, units=f.units, accuracy=f.accuracy, camera=f.camera, metadata=meta)

    def cloud(self, front: PointCloud) -> PointCloud:
        """``front`` (a projection of the same capture, e.g. ``depthlab.project(cap)``) followed by
        the second layer's points; ``metadata["invented"]`` is bool (N,) per point."""
        return with_second_layer(front, self.back_xyz, self.back_rgb, self.back_pixel_index, self.invented,
                                 self.metadata)


def with_second_layer(front: PointCloud, xyz: np.ndarray, rgb: np.ndarray, pixel_index: np.ndarray,
                      invented: np.ndarray, facts: dict[str, Any]) -> PointCloud:
    """A new :class:`~depthlab.pointcloud.PointCloud`: ``front``'s points, then a second layer's
    (``invented`` bool per point of it); ``metadata["invented"]`` flags every invented point and
    ``metadata["layers"]`` holds ``facts`` (the method, its parameters).  ``front``'s edge flags
    (``edge``) are kept; no point of the second layer is an edge point."""
    if not isinstance(front, PointCloud):
        raise InvalidInputError(f"a second layer goes behind a PointCloud, got {type(front).__name__}")
    n = len(front)
    meta = dict(front.metadata)
    meta["layers"] = dict(facts)
    meta["invented"] = np.concatenate([np.zeros(n, dtype=bool), np.asarray(invented, dtype=bool)])
    meta["second_layer_from"] = n
    pix = None if front.pixel_index is None else np.concatenate([front.pixel_index, pixel_index])
    edge = None if front.edge is None else np.concatenate([front.edge, np.zeros(len(xyz), dtype=bool)])
    return PointCloud(xyz=np.concatenate([front.xyz, xyz]), rgb=np.concatenate([front.rgb, rgb]),
                      pixel_index=pix, edge=edge, grid_shape=front.grid_shape, model=front.model, units=front.units,
                      accuracy=front.accuracy, intrinsics_estimated=front.intrinsics_estimated,
                      camera=front.camera, metadata=meta)


@keyword_options
def layers(cap: Capture, *, model: str = DEFAULT_MODEL, stride: int = 1, near: float | None = None,
           far: float | None = None, max_step: float = DEFAULT_MAX_STEP, turn: float = DEFAULT_TURN,
           band: int | None = None, inpaint: str = "auto", max_texture: int | None = DEFAULT_MAX_TEXTURE,
           calibration: Calibration | None = None) -> Layers:
    """The capture's mesh and an invented background layer behind its occlusion edges.

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/rear_dual.heic")
    >>> lay = depthlab.layers(cap, stride=4)
    >>> len(lay.front) == len(depthlab.mesh(cap, stride=4)), len(lay) > 0
    (True, True)
    >>> bool(lay.mesh().metadata["invented"].any()), bool(depthlab.mesh(cap, stride=4).metadata.get("invented") is None)
    (True, True)

    Parameters
    ----------
    model, stride, near, far, max_step, max_texture, calibration : as for :func:`depthlab.mesh`
        (the front layer is that mesh; ``max_step`` is also the rule that finds the occlusion
        edges; ``near``/``far`` clip the second layer's points by their own depth too).
        Only the pinhole models have a behind: for the flat teaching models the layer is empty.
    turn : degrees of turn about the subject the band should cover (default 60: a long drag in
        the live views).
    band : the band's width in grid pixels (overrides ``turn``).
    inpaint : ``"auto"`` (Telea with OpenCV, else ``"nearest"``), ``"telea"``, ``"ns"``
        (OpenCV's Navier-Stokes) or ``"nearest"`` (nearest background colour, smoothed).

    A capture without occlusion edges (a flat wall) gets an empty second layer.
    """
    require_capture(cap, "layers()")
    front = mesh(cap, model=model, stride=stride, near=near, far=far, max_step=max_step, max_texture=max_texture,
                 calibration=calibration)
    proj = Projector(cap, stride=stride, calibration=calibration)
    back = projector_layer(proj, model, max_step=max_step, turn=turn, band=band, inpaint=inpaint, near=near, far=far)
    return Layers(front=front, back_xyz=back["xyz"], invented=back["invented"], back_rgb=back["rgb"],
                  back_pixel_index=back["pixel_index"], back_faces=back["faces"], back_texture=back["texture"],
                  back_uv=back["uv"], metadata=back["facts"])


def projector_layer(proj: Projector, model: str, *, max_step: float = DEFAULT_MAX_STEP, turn: float = DEFAULT_TURN,
                    band: int | None = None, inpaint: str = "auto", near: float | None = None,
                    far: float | None = None) -> dict[str, Any]:
    """The second layer of a :class:`~depthlab.projection.Projector`'s capture (what
    :func:`layers` and the live views draw): ``xyz`` float32 (K, 3), ``invented`` bool (K,),
    ``rgb`` uint8 (K, 3), ``pixel_index`` int64 (K,), ``depth`` float32 (K,), ``faces`` int32
    (L, 3), ``uv`` float32 (K, 2), ``cells`` int64 (K,) flat grid indices, ``grid_shape``, ``texture``
    uint8 (gh, gw, 3) and the method's facts
    (``band``, ``edge_points``, ``method``).  Points outside ``near``/``far`` (by their own depth)
    are left out, with their triangles."""
    turn = positive_number("turn", turn)
    if not turn < 90:
        raise InvalidInputError(f"turn must be below 90 degrees, got {turn!r}")
    one_of("inpaint", inpaint, INPAINT_METHODS)
    band = None if band is None else whole_number("band", band)
    xyz, valid = proj.points(model)
    focal = None
    if is_pinhole(model):
        h, w = proj.depth_shape
        k = proj.calibration.intrinsics_at(w, h)
        focal = float(min(k[0, 0], k[1, 1])) / proj.stride
    gh, gw = proj.grid_shape
    step = positive_number("max_step", max_step) * proj.stride
    # valid is the projector's finite depth for every model (no near, far or mask here): the
    # layer depends on the model only through the focal length
    key = (focal, step, turn, band, inpaint)
    memo = _BACKGROUNDS.setdefault(proj, {})
    back = memo.get(key)
    if back is None:
        grid_rgb = proj.colours("rgb" if proj.capture.has_rgb else "depth").reshape(gh, gw, 3)
        back = background_layer(proj.depth.reshape(gh, gw), valid.reshape(gh, gw), grid_rgb, max_step=step,
                                focal=focal, turn=turn, band=band, inpaint=inpaint)
        for v in back.values():
            if isinstance(v, np.ndarray) and not np.shares_memory(v, grid_rgb):  # not the projector's own colours
                v.flags.writeable = False
        memo[key] = back
    sel = back["points"]
    depth = (proj.depth[sel] * back["scale"]).astype(np.float32)
    keep = np.ones(sel.size, dtype=bool)
    if near is not None:
        keep &= depth >= near
    if far is not None:
        keep &= depth <= far
    faces = back["faces"]
    if not keep.all():
        renum = np.cumsum(keep) - 1
        faces = renum[faces[keep[faces].all(axis=1)]].astype(np.int32)
    sel = sel[keep]
    return {"xyz": (xyz[sel] * back["scale"][keep][:, None]).astype(np.float32), "invented": back["invented"][keep],
            "rgb": back["rgb"][keep], "pixel_index": proj.pixel_index()[sel].copy(), "depth": depth[keep],
            "faces": faces, "uv": _pixel_uv(sel, (gh, gw)), "cells": sel, "grid_shape": (gh, gw),
            "texture": back["texture"], "band": back["band"],
            "edge_points": back["edge_points"], "method": back["method"],
            "facts": {"invented": True, "method": back["method"], "band": back["band"], "turn": float(turn),
                      "edge_points": back["edge_points"], "max_step": float(max_step), "stride": proj.stride,
                      "model": model, "note": NOTE}}


def _pixel_uv(sel: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """float32 (K, 2) uv of grid points ``sel`` (flat indices): pixel centres, origin bottom-left."""
    gh, gw = grid
    r, c = np.divmod(np.asarray(sel, dtype=np.int64), gw)
    return np.stack([(c + 0.5) / gw, 1.0 - (r + 0.5) / gh], axis=1).astype(np.float32)


def _band_width(depth: np.ndarray, near: np.ndarray, bg_depth: np.ndarray, focal: float | None, turn: float,
                grid: tuple[int, int]) -> int:
    """Grid pixels a turn of ``turn`` degrees uncovers behind the median edge (see the module)."""
    cap = max(2, int(max(grid) * MAX_BAND_SHARE))
    if focal is None:
        return max(2, int(max(grid) * 0.1))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = depth[near] / bg_depth[near]
    ratio = ratio[np.isfinite(ratio) & (ratio < 1)]
    if not ratio.size:
        return 2
    shift = focal * math.sin(math.radians(turn)) * (1.0 - float(np.quantile(ratio, 0.02)))
    return int(min(cap, max(2, math.ceil(shift))))


def background_layer(depth: np.ndarray, valid: np.ndarray, rgb: np.ndarray, *, max_step: float,
                     focal: float | None, turn: float = DEFAULT_TURN, band: int | None = None,
                     inpaint: str = "auto") -> dict[str, Any]:
    """The filled layer on a depth grid (plain arrays; :func:`layers` is the public face).

    ``depth`` float (gh, gw), ``valid`` bool (gh, gw), ``rgb`` uint8 (gh, gw, 3) the grid's
    colours, ``max_step`` the cut rule per grid step, ``focal`` the focal length in grid pixels
    (None: a flat model, no behind).  Returns ``points`` int64 (K,) flat grid indices of the
    second layer's points, ``invented`` bool (K,) which of them are invented, ``scale`` float32 (K,) background depth / own depth (multiplies each
    point's position along its ray), ``rgb`` uint8 (K, 3), ``faces`` int32 (L, 3) over the K
    points, ``texture`` uint8 (gh, gw, 3), ``band``, ``edge_points``, ``method``.
    """
    ndimage = require("scipy.ndimage", "the background layer behind occlusion edges")
    d = np.where(valid, np.asarray(depth, dtype=np.float32), np.float32(np.nan))
    gh, gw = d.shape
    empty = {"points": np.zeros(0, np.int64), "invented": np.zeros(0, bool), "scale": np.zeros(0, np.float32), "rgb": np.zeros((0, 3), np.uint8),
             "faces": np.zeros((0, 3), np.int32), "texture": np.ascontiguousarray(rgb), "band": 0, "edge_points": 0,
             "method": "none"}
    if focal is None or gh < 2 or gw < 2 or not valid.any():
        return empty
    near, far = occlusion_edges(d, valid, max_step)
    if not far.any():
        return empty
    dist, (iy, ix) = ndimage.distance_transform_edt(~far, return_indices=True)
    # the background's depth at the nearest far-side point: the farthest far-side depth within
    # RAMP pixels of it (a silhouette's mixed pixels step down to the background over a few
    # pixels, each a far side of the next; the layer belongs behind all of them)
    far_depth = ndimage.maximum_filter(np.where(far, d, 0.0).astype(np.float32), size=2 * RAMP + 1)
    bg = far_depth[iy, ix]
    # hidden behind the foreground: markedly nearer than the nearest background, and nearer in
    # (log) depth to the nearest foreground rim than to it (a slanted wall stays background)
    fg = d[tuple(ndimage.distance_transform_edt(~near, return_distances=False, return_indices=True))]
    limit = np.float32(1.0 + max_step)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_d = np.log(d)
        hidden = valid & (d * limit < bg) & (np.abs(log_d - np.log(fg)) < np.abs(log_d - np.log(bg)))
    width = band if band is not None else _band_width(d, near, bg, focal, turn, (gh, gw))
    inside = hidden & (dist <= width)
    if not inside.any():
        return dict(empty, band=int(width), edge_points=int(far.sum()))
    # the background's disparity, spread smoothly into the band from the far-side points that
    # are background only (not also the near side of a further step): push-pull interpolation
    source = far & ~near
    if not source.any():
        source = far
    with np.errstate(divide="ignore"):
        seeds = np.where(source, 1.0 / np.maximum(far_depth, 1e-9), 0.0).astype(np.float32)
    smooth = push_pull(seeds, source.astype(np.float32))
    bg_smooth = (1.0 / np.maximum(smooth, 1e-9)).astype(np.float32)
    with np.errstate(invalid="ignore"):
        # a silhouette's mixed pixels beside the band (far sides nearer than the background)
        # are moved back onto it too, so the layer reaches the background and closes the cut
        inside |= far & ndimage.binary_dilation(inside) & (d * limit < bg_smooth)
        inside &= bg_smooth > d * limit            # only where the layer lies behind its own pixel
    back_d = np.where(inside, bg_smooth, np.where(far, d, np.nan)).astype(np.float32)
    back_d[~(inside | far)] = np.nan
    # colours from the background only: everything nearer than its background (and the mixed
    # pixels of both rims) is unknown to the inpainting
    with np.errstate(invalid="ignore"):
        nearer = valid & (d * limit < bg)     # broader than ``hidden``: any colour source in doubt is left out
    unknown = hidden | nearer | ndimage.binary_dilation(near | far) | ~valid
    texture, method = _inpaint(rgb, unknown, inside, inpaint, ndimage)
    # the layer's triangles: the band and the far-side points it leans on, cut by the same rule
    # (BACK_STEPS times looser: the invented surface is smooth by construction, and a cut in it
    # would open the hole it is there to close)
    # (and the measured points within RAMP pixels of the band, at their own depth: the seam
    # between the layer and the measured background then has no crack)
    layer = inside | (valid & ndimage.binary_dilation(inside, iterations=RAMP))
    back_d = np.where(inside, back_d, d).astype(np.float32)
    keep, use_ad = cell_cuts(back_d, layer, max_step * BACK_STEPS)
    faces = cell_faces(keep, use_ad, gw)
    sel = np.flatnonzero(layer.reshape(-1))
    renum = np.full(gh * gw, -1, dtype=np.int64)
    renum[sel] = np.arange(sel.size)
    faces = renum[faces].astype(np.int32)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = (back_d.reshape(-1)[sel] / d.reshape(-1)[sel]).astype(np.float32)
    return {"points": sel, "invented": inside.reshape(-1)[sel], "scale": scale, "rgb": texture.reshape(-1, 3)[sel].copy(), "faces": faces,
            "texture": texture, "band": int(width), "edge_points": int(far.sum()), "method": method}


def push_pull(values: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """float32 (h, w): ``values`` (where ``weight`` > 0) spread smoothly over the whole grid.

    Push-pull interpolation: the weighted values are summed into ever coarser 2 x 2 blocks
    until every block holds some weight, then pulled back up -- each level keeps its own
    average where it is fully known and blends in the coarser level's (bilinear) where it is
    not.  Known values are kept (up to the blend at weight < 1); gaps get a smooth surface.
    """
    v = np.asarray(values, dtype=np.float32) * weight
    w = np.asarray(weight, dtype=np.float32)
    levels = []
    while True:
        levels.append((v, w))
        if min(v.shape) <= 2 or (w > 0).all():
            break
        h, wd = v.shape
        ph, pw = h + h % 2, wd + wd % 2
        vp = np.zeros((ph, pw), np.float32)
        wp = np.zeros((ph, pw), np.float32)
        vp[:h, :wd], wp[:h, :wd] = v, w
        v = vp.reshape(ph // 2, 2, pw // 2, 2).sum(axis=(1, 3))
        w = wp.reshape(ph // 2, 2, pw // 2, 2).sum(axis=(1, 3))
    v, w = levels[-1]
    est = np.where(w > 0, v / np.maximum(w, 1e-12), float(v.sum() / max(w.sum(), 1e-12)))
    for v, w in reversed(levels[:-1]):
        h, wd = v.shape
        up = np.repeat(np.repeat(est, 2, axis=0), 2, axis=1)[:h, :wd]
        up = _blur3(up)
        a = np.minimum(w, 1.0)
        est = a * (v / np.maximum(w, 1e-12)) + (1 - a) * up
    return est.astype(np.float32)


def _blur3(a: np.ndarray) -> np.ndarray:
    """A 3 x 3 box blur with edge values repeated (smooths the blocky upsampling)."""
    p = np.pad(a, 1, mode="edge")
    h, w = a.shape
    return sum(p[i:i + h, j:j + w] for i in range(3) for j in range(3)) / 9.0


def _inpaint(rgb: np.ndarray, unknown: np.ndarray, wanted: np.ndarray, method: str, ndimage: Any) -> tuple[np.ndarray, str]:
    """(texture, method used): ``rgb`` with the ``wanted`` pixels filled from the known ones
    (``~unknown``) -- OpenCV's inpainting, or the nearest known colour smoothed."""
    out = np.array(rgb, dtype=np.uint8, copy=True)
    known = ~unknown
    if not known.any():
        return out, "none (no background pixel to fill from)"
    if method in ("auto", "telea", "ns"):
        try:
            cv2 = require("cv2", "inpainting the background layer (opencv-python-headless)")
        except MissingDependencyError:
            if method != "auto":
                raise
            cv2 = None
        if cv2 is not None:
            flag = cv2.INPAINT_NS if method == "ns" else cv2.INPAINT_TELEA
            # only the region around the band: inpainting cost grows with the masked area
            rows, cols = np.nonzero(wanted)
            pad = 8
            r0, r1 = max(rows.min() - pad, 0), min(rows.max() + pad + 1, rgb.shape[0])
            c0, c1 = max(cols.min() - pad, 0), min(cols.max() + pad + 1, rgb.shape[1])
            crop = np.ascontiguousarray(out[r0:r1, c0:c1])
            mask = (unknown[r0:r1, c0:c1]).astype(np.uint8)
            filled = cv2.inpaint(crop, mask, 5, flag)
            region = out[r0:r1, c0:c1]
            region[wanted[r0:r1, c0:c1]] = filled[wanted[r0:r1, c0:c1]]
            return out, "ns" if method == "ns" else "telea"
    _, (iy, ix) = ndimage.distance_transform_edt(unknown, return_indices=True)
    near_col = out[iy, ix].astype(np.float32)
    w = wanted.astype(np.float32)
    blurred = np.stack([ndimage.gaussian_filter(near_col[..., k] * w, 2.0) for k in range(3)], axis=-1)
    norm = ndimage.gaussian_filter(w, 2.0)[..., None]
    fill = np.clip(blurred / np.maximum(norm, 1e-6) + 0.5, 0, 255).astype(np.uint8)
    out[wanted] = fill[wanted]
    return out, "nearest"
