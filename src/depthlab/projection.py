"""From a Capture's depth map to points: :func:`project`, :func:`grid_points` and the slider cache.

* :func:`project` -- a :class:`~depthlab.pointcloud.PointCloud` of the valid points.
* :func:`grid_points` -- the same numbers kept on the stride grid, ``(xyz (h, w, 3), valid (h, w))``,
  for code that needs the neighbours of a point (meshes, refinement).
* :class:`Projector` -- one capture projected again and again cheaply (the live view): it
  caches what depends only on the capture and the stride (ray grids, strided depth, colours,
  masks, buffers); a slider step is a multiply and a few comparisons.

*How* to project is one :class:`~depthlab.settings.ProjectionSettings`; the formulas are
:mod:`depthlab.geometry`'s; the colours :mod:`depthlab.colour`'s.  A capture without a stored
calibration is projected with intrinsics estimated from its EXIF focal length
(:func:`resolve_calibration`; the cloud says ``intrinsics_estimated``).

Convention: see :mod:`depthlab.conventions`.  Unknown (NaN) and clipped pixels are dropped
from clouds; ``cloud.pixel_index`` is each point's flat row-major index into the depth map.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from .camera import calibration_from_camera, undistort_points
from .capture import Calibration, Capture
from .checks import check_shape, keyword_options, one_of, require_capture, whole_number
from .colour import depth_colours, finite_range
from .errors import CalibrationError, InvalidInputError
from .geometry import RayGrid, disparity_as_z, grid_shape, points_from_calibration, points_from_depth, ray_grid
from .pointcloud import PointCloud
from .imaging.resample import area_average, bilinear
from .settings import (DEFAULT_MODEL, DISPARITY_AS_Z, MODELS, PINHOLE_RAW, ProjectionSettings, check_mask, check_model,
                       is_pinhole, length_units, removes_distortion)

__all__ = ["Projector", "project", "point_cloud", "grid_points", "points_at", "resolve_calibration", "region_mask", "photo_size",
           "pinhole_available", "grid_colours", "MODELS"]

# points per block when checking validity (L2-resident) and when gathering the valid points
_CHUNK = 1 << 16
_COMPACT_CHUNK = 1 << 18
#: grids of this many points and more make their first colours on another core
_BACKGROUND_POINTS = 1 << 16
_background_pool: tuple[int, ThreadPoolExecutor] | None = None
_background_lock = threading.Lock()


def _background() -> ThreadPoolExecutor:
    """One worker thread, started on first use (again in a forked child, which has no copy of
    the thread), for work that overlaps the caller's."""
    global _background_pool
    with _background_lock:
        if _background_pool is None or _background_pool[0] != os.getpid():
            _background_pool = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="depthlab"))
        return _background_pool[1]


# --------------------------------------------------------------------------------------------
# Calibration policy
# --------------------------------------------------------------------------------------------


def resolve_calibration(cap: Capture, calibration: Calibration | None = None, model: str = DEFAULT_MODEL) -> Calibration:
    """The intrinsics a pinhole model uses: ``calibration``, else the capture's own, else an
    estimate from the photo's EXIF focal length (flagged ``estimated``); else
    :class:`CalibrationError` saying what is missing."""
    if calibration is not None:
        return calibration
    if cap.calibration is not None:
        return cap.calibration
    h, w = cap.shape
    try:
        return calibration_from_camera(cap.camera, w, h)
    except CalibrationError as exc:
        raise CalibrationError(
            f"model {model!r} needs the camera's intrinsics: {exc}; or use model='orthographic'"
        ) from None


def pinhole_available(cap: Capture, calibration: Calibration | None = None) -> bool:
    """True when the pinhole models can run: a calibration, or an EXIF focal length.

    >>> import depthlab
    >>> from depthlab.projection import pinhole_available
    >>> pinhole_available(depthlab.open("data/sample/rear_dual.heic"))
    True
    """
    try:
        resolve_calibration(cap, calibration)
    except CalibrationError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# Per-grid pieces (plain functions; the Projector caches their results)
# --------------------------------------------------------------------------------------------


def matte_on_grid(cap: Capture, name: str, stride: int) -> np.ndarray:
    """float32 (M,) of matte ``name`` resampled to the depth map's size, on the stride grid."""
    mattes = cap.mattes
    if name not in mattes:
        raise InvalidInputError(f"no matte named {name!r} in this capture; it has {sorted(mattes) or 'none'}")
    h, w = cap.shape
    full = bilinear(mattes[name], w, h)
    return np.ascontiguousarray(full[::stride, ::stride]).reshape(-1)


def region_mask(cap: Capture, mask: Any) -> np.ndarray:
    """A region given in the photo's pixels as a bool (H, W) mask at the depth map's size.

    ``mask`` is a box ``(x0, y0, x1, y1)`` selecting ``cap.rgb[y0:y1, x0:x1]``, or a bool (or
    0..1) array of the photo's ``(H', W')``.  A depth pixel is kept when its centre lies in the
    box, or when at least half of its area is in the array's region (area average).  A capture
    without a photo takes both in depth pixels.  Matte names and depth-size arrays are
    :meth:`Projector.mask`'s; this is the one place a photo region becomes a depth region.

    Convention: see :mod:`depthlab.conventions` (depth pixel ``(u, v)`` covers the photo's
    ``[u, u + 1) * W'/W`` by ``[v, v + 1) * H'/H``).
    """
    h, w = cap.shape
    cw, ch = photo_size(cap)
    if isinstance(mask, tuple):
        x0, y0, x1, y1 = check_mask(mask)
        cx = (np.arange(w) + 0.5) * (cw / w)
        cy = (np.arange(h) + 0.5) * (ch / h)
        return ((cy >= y0) & (cy < y1))[:, None] & ((cx >= x0) & (cx < x1))[None, :]
    arr = np.asarray(mask)
    if arr.shape == (h, w):
        return arr >= 0.5 if arr.dtype != bool else arr
    if arr.shape != (ch, cw):
        raise InvalidInputError(f"a mask array must have the depth map's shape {(h, w)}, the grid's or the photo's "
                                f"{(ch, cw)}, got {arr.shape}")
    return area_average(arr.astype(np.float32), w, h) >= 0.5


def photo_size(cap: Capture) -> tuple[int, int]:
    """(W', H') of the photo (the depth map's size when there is none)."""
    if not cap.has_rgb:
        return cap.size
    if cap.rgb_size is None:
        _ = cap.rgb  # decodes it and records its size
    return cap.rgb_size  # type: ignore[return-value]


def grid_colours(cap: Capture, mode: str, stride: int, matte: str | None = None,
                 depth_grid: np.ndarray | None = None, depth_range: tuple[float, float] | None = None) -> np.ndarray:
    """uint8 (M, 3) colour of each grid pixel.

    ``"rgb"``: the photo area-averaged to the depth map's size; ``"depth"``: the depth ramp
    (:mod:`depthlab.colour`) over ``depth_range`` (default: the grid's finite range); ``"matte"``:
    the matte ``matte`` (default: the first) as grey levels.
    """
    h, w = cap.shape
    if mode == "rgb":
        return np.ascontiguousarray(cap.rgb_at(w, h)[::stride, ::stride]).reshape(-1, 3)
    if mode == "depth":
        d = cap.depth[::stride, ::stride] if depth_grid is None else depth_grid
        lo, hi = depth_range or finite_range(d) or (0.0, 1.0)
        return depth_colours(d, lo, hi).reshape(-1, 3)
    if mode == "matte":
        name = matte if matte is not None else next(iter(cap.mattes), None)
        if name is None:
            raise InvalidInputError("colour='matte' but this capture has no mattes")
        g = np.clip(matte_on_grid(cap, name, stride) * 255.0, 0, 255).astype(np.uint8)
        return np.repeat(g[:, None], 3, axis=1)
    raise InvalidInputError(f"colour must be one of ('rgb', 'depth', 'matte'), got {mode!r}")


def _fill_valid(out: np.ndarray, finite: np.ndarray, depth: np.ndarray, near: float | None,
                far: float | None, mask: np.ndarray | None) -> np.ndarray:
    """``out`` (bool (M,)) = finite & near <= depth <= far & mask, block by block."""
    np.copyto(out, finite)
    if near is None and far is None and mask is None:
        return out
    n32 = None if near is None else np.float32(near)
    f32 = None if far is None else np.float32(far)
    tmp = np.empty(min(out.size, _CHUNK), dtype=bool)
    for i0 in range(0, out.size, _CHUNK):
        i1 = min(out.size, i0 + _CHUNK)
        v, d, t = out[i0:i1], depth[i0:i1], tmp[: i1 - i0]
        if n32 is not None:
            np.logical_and(v, np.greater_equal(d, n32, out=t), out=v)
        if f32 is not None:
            np.logical_and(v, np.less_equal(d, f32, out=t), out=v)
        if mask is not None:
            np.logical_and(v, mask[i0:i1], out=v)
    return out


def _compact(xyz: np.ndarray, cols: np.ndarray, valid: np.ndarray, n: int, pix: np.ndarray | None,
             depth: np.ndarray):
    """The valid rows of positions, colours and pixel indices (block by block, cache-warm) and
    the depth range of those rows (None when there are none)."""
    pts = np.empty((n, 3), dtype=np.float32)
    rgb = np.empty((n, 3), dtype=np.uint8)
    idx = np.empty(n, dtype=np.int64)
    lo, hi = math.inf, -math.inf
    pos = 0
    for i0 in range(0, valid.size, _COMPACT_CHUNK):
        i1 = min(valid.size, i0 + _COMPACT_CHUNK)
        sel = np.flatnonzero(valid[i0:i1])
        k = sel.size
        if k == 0:
            continue
        np.take(xyz[i0:i1], sel, axis=0, out=pts[pos:pos + k], mode="clip")
        np.take(cols[i0:i1], sel, axis=0, out=rgb[pos:pos + k], mode="clip")
        if pix is None:
            np.add(sel, i0, out=idx[pos:pos + k])
        else:
            np.take(pix[i0:i1], sel, out=idx[pos:pos + k], mode="clip")
        dsel = np.take(depth[i0:i1], sel)
        lo, hi = min(lo, float(dsel.min())), max(hi, float(dsel.max()))
        pos += k
    return pts, rgb, idx, ([lo, hi] if n else None)


def _cloud_metadata(cap: Capture, settings: ProjectionSettings, cal: Calibration | None, colour_used: str,
                    matte: str | None, drange: list[float] | None) -> dict[str, Any]:
    params = settings.as_dict()
    params["matte"] = matte
    meta: dict[str, Any] = {
        "source": None if cap.path is None else str(cap.path),
        "format": cap.format,
        "depth_range_m": drange,
        "depth_unit": cap.depth_unit,  # of depth_range_m: "m", or "units" (the file's own)
        "parameters": params,
        "colour": colour_used if colour_used == settings.colour else f"{colour_used} (no colour image)",
    }
    if settings.pinhole and cal is not None:
        h, w = cap.shape
        meta["intrinsics"] = cal.intrinsics_at(w, h).tolist()
        meta["intrinsics_size"] = [w, h]
        meta["calibration_source"] = cal.source
        meta["lens_distortion_removed"] = bool(removes_distortion(settings.model) and cal.has_distortion)
        from .camera import check_intrinsics_against_exif

        check = check_intrinsics_against_exif(cal, cap.camera)
        if check is not None and check.short:
            meta["intrinsics_warning"] = check.short  # stored intrinsics disagree with the EXIF focal length
    return meta


# --------------------------------------------------------------------------------------------
# The cache for repeated projections
# --------------------------------------------------------------------------------------------


class Projector:
    """One Capture projected again and again, cheaply: the slider engine.

    What depends only on the capture and the stride -- ray grids per model, the strided depth,
    colours per mode, masks per matte, pixel indices, output buffers -- is computed on first use
    and kept.  :meth:`points` then only does what slider values change.  One Projector serves
    one stride; everything else may change on every call.

    ``calibration`` overrides the capture's (e.g. :func:`depthlab.camera.estimate_calibration`);
    without either, intrinsics are estimated from EXIF (:func:`resolve_calibration`).
    ``keep_rays=False`` is for a single projection: ray grids are written straight into the
    output instead of being kept (less memory touched; :func:`project` uses it).

    Convention: see :mod:`depthlab.conventions`.

    >>> import depthlab
    >>> p = depthlab.Projector(depthlab.open("data/sample/front_truedepth.heic"), stride=4)
    >>> a = p.cloud(model="pinhole")
    >>> b = p.cloud(model="orthographic")
    >>> len(a) == len(b), a.units, b.units
    (True, 'm', 'arbitrary')
    """

    def __init__(self, capture: Capture, *, stride: int = 1, calibration: Calibration | None = None,
                 keep_rays: bool = True):
        require_capture(capture, "Projector")
        self.stride = ProjectionSettings(stride=stride).stride
        self.capture = capture
        self.calibration = calibration if calibration is not None else capture.calibration
        s = self.stride
        self.depth_shape = capture.shape
        self.grid_shape = grid_shape(capture.shape, s)
        self.size = self.grid_shape[0] * self.grid_shape[1]
        self.depth = np.ascontiguousarray(capture.depth[::s, ::s]).reshape(-1)
        self.finite = np.isfinite(self.depth)
        self.keep_rays = bool(keep_rays)
        self._rays: dict[str, RayGrid] = {}
        self._z: dict[str, np.ndarray] = {}
        self._colours: dict[tuple[str, str | None], np.ndarray] = {}
        self._masks: dict[str, np.ndarray] = {}
        self._pixel_index: np.ndarray | None = None
        self._edges: np.ndarray | None = None
        self._depth_range: tuple[float, float] | None | bool = False
        self._xyz: np.ndarray | None = None  # the positions buffer, made on first use
        self._valid: np.ndarray | None = None

    # -- cached pieces ----------------------------------------------------------------------------
    def depth_range(self) -> tuple[float, float] | None:
        """(nearest, farthest) finite depth on the grid, metres (cached)."""
        if self._depth_range is False:
            self._depth_range = finite_range(self.depth)
        return self._depth_range  # type: ignore[return-value]

    @property
    def pinhole_available(self) -> bool:
        """True when the pinhole models can run (a calibration, or an EXIF focal length)."""
        return pinhole_available(self.capture, self.calibration)

    def ray_grid(self, model: str = DEFAULT_MODEL) -> RayGrid:
        """The :func:`~depthlab.geometry.ray_grid` of ``model`` at this stride (cached)."""
        r = self._rays.get(model)
        if r is None:
            check_model(model)
            if is_pinhole(model):
                self.calibration = resolve_calibration(self.capture, self.calibration, model)
            h, w = self.depth_shape
            r = ray_grid(self.calibration, (w, h), model, self.stride)
            if removes_distortion(model) and not self.calibration.has_distortion:
                self._rays.setdefault(PINHOLE_RAW, r)
            self._rays[model] = r
        return r

    def _z_of(self, model: str) -> np.ndarray:
        """What multiplies the rays: depth, or the mirrored disparity of the disparity-as-z mistake (cached)."""
        if model != DISPARITY_AS_Z:
            return self.depth
        z = self._z.get(model)
        if z is None:
            s = self.stride
            full = disparity_as_z(self.capture.disparity, np.isfinite(self.capture.depth))
            z = self._z[model] = np.ascontiguousarray(full[::s, ::s]).reshape(-1)
        return z

    def pixel_index(self) -> np.ndarray:
        """int64 (M,) flat row-major index into the full depth map of each grid pixel (cached)."""
        if self._pixel_index is None:
            h, w = self.depth_shape
            s = self.stride
            if s == 1:
                self._pixel_index = np.arange(h * w, dtype=np.int64)
            else:
                rows = np.arange(0, h, s, dtype=np.int64) * w
                cols = np.arange(0, w, s, dtype=np.int64)
                self._pixel_index = (rows[:, None] + cols[None, :]).reshape(-1)
        return self._pixel_index

    def mask(self, mask: Any) -> np.ndarray:
        """bool (M,) for a matte name (thresholded at 0.5 after resampling to depth size; cached),
        a box or an array of the depth map's (H, W), the grid's or the photo's shape
        (:func:`region_mask`)."""
        if isinstance(mask, str):
            m = self._masks.get(mask)
            if m is None:
                m = self._masks[mask] = matte_on_grid(self.capture, mask, self.stride) >= 0.5
            return m
        arr = np.asarray(mask)
        if arr.ndim == 2 and arr.shape not in (self.depth_shape, self.grid_shape) or isinstance(mask, tuple):
            arr = region_mask(self.capture, mask)
        if arr.shape == self.depth_shape:
            arr = arr[::self.stride, ::self.stride]
        if arr.shape != self.grid_shape and arr.shape != (self.size,):
            raise InvalidInputError(
                f"mask must be a matte name or an array of shape {self.depth_shape} (depth) or "
                f"{self.grid_shape} (grid), got {arr.shape}"
            )
        return (arr >= 0.5 if arr.dtype != bool else arr).reshape(-1)

    def edges(self) -> np.ndarray:
        """bool (M,): the grid's edge points, where a neighbour jumps in depth by more than the
        mesh's cut rule allows (:func:`depthlab.surface.triangulate.occlusion_edges`, near or far side; its default step
        per depth-map pixel, times the stride; neighbouring codes of a quantised map are no jump);
        cached.  Flagged, never dropped: the live views
        hide them by default, :func:`project` marks them in ``PointCloud.edge``."""
        if self._edges is None:
            self._edges = self._edge_test()()
        return self._edges

    def _edge_test(self):
        """The edge test of :meth:`edges` as a function of this grid's depth alone (it keeps
        neither the Projector nor the capture alive): what a cloud runs if its edges are read."""
        from .surface.triangulate import DEFAULT_MAX_STEP, occlusion_edges

        gh, gw = self.grid_shape
        enc = self.capture.encoding
        code = (enc.quantity, enc.step) if enc is not None and enc.step and enc.quantity in ("disparity", "depth") \
            else None
        depth, finite, step = self.depth.reshape(gh, gw), self.finite.reshape(gh, gw), DEFAULT_MAX_STEP * self.stride

        def test() -> np.ndarray:
            near, far = occlusion_edges(depth, finite, step, code_step=code)
            return (near | far).reshape(-1)

        return test

    def colours(self, mode: str = "rgb", matte: str | None = None) -> np.ndarray:
        """uint8 (M, 3) colours of the grid (:func:`grid_colours`), cached per mode and matte."""
        if mode == "matte" and matte is None:
            matte = next(iter(self.capture.mattes), None)
        key = (mode, matte if mode == "matte" else None)
        c = self._colours.get(key)
        if c is None:
            c = self._colours[key] = grid_colours(self.capture, mode, self.stride, matte=matte,
                                                  depth_grid=self.depth, depth_range=self.depth_range())
        return c

    def _colours_meanwhile(self, mode: str, matte: str | None) -> Future | None:
        """:meth:`colours` started on another core when they are not cached yet and the grid is
        large (a first cloud: the colours and the positions are independent, and numpy releases
        the GIL); None when they are made in line."""
        key = (mode, matte if mode == "matte" else None)
        if key in self._colours or self.size < _BACKGROUND_POINTS or (os.cpu_count() or 1) < 2:
            return None
        return _background().submit(self.colours, mode, matte)

    # -- per update ---------------------------------------------------------------------------
    def points(self, model: str = DEFAULT_MODEL, depth_scale: float = 1.0, aspect: float = 1.0,
               near: float | None = None, far: float | None = None, mask: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """``(xyz, valid)`` of every grid pixel: float32 (M, 3), NaN where depth is unknown, and
        bool (M,): depth finite, ``near <= depth <= far`` (metres, before ``depth_scale``) and
        inside ``mask``.  Both are buffers reused by the next call: copy them to keep them."""
        st = ProjectionSettings(model=model, depth_scale=depth_scale, aspect=aspect, near=near, far=far,
                                stride=self.stride)
        return self.points_for(st if mask is None else st.replace(mask=mask))

    def selected(self, near: float | None = None, far: float | None = None, mask: Any = None) -> np.ndarray:
        """bool (M,): the ``valid`` of :meth:`points` -- depth finite, ``near <= depth <= far``
        (metres, before any depth scale), inside ``mask`` -- without working out the positions
        (what a near/far or mask change needs; it is the same for every model).  A buffer
        reused by the next call, as :meth:`points`'s.

        >>> import depthlab
        >>> proj = depthlab.Projector(depthlab.open("data/sample/rear_dual.heic"), stride=4)
        >>> kept = proj.selected(far=1.5).copy()
        >>> bool((kept == proj.points(far=1.5)[1]).all()), 0 < int(kept.sum()) < proj.size
        (True, True)
        """
        st = ProjectionSettings(near=near, far=far, stride=self.stride)
        m = None if mask is None else self.mask(st.replace(mask=mask).mask)
        if self._valid is None or self._valid is self.finite:
            self._valid = np.empty(self.size, dtype=bool)
        return _fill_valid(self._valid, self.finite, self.depth, st.near, st.far, m)

    def points_for(self, settings: ProjectionSettings, _share: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`points` for a :class:`ProjectionSettings` (its stride must be this one's).
        ``_share`` < 1: the last grid rows of a one-off pinhole projection are made by the
        background thread (after the colours it may be making) while this one makes the rest."""
        if settings.stride != self.stride:
            raise InvalidInputError(f"this Projector serves stride {self.stride}, not {settings.stride}")
        model = settings.model
        z = self._z_of(model)
        if self._xyz is None:
            self._xyz = np.empty((self.size, 3), dtype=np.float32)
        if self.keep_rays or model in self._rays:
            points_from_depth(z, self.ray_grid(model), settings.depth_scale, settings.aspect, out=self._xyz)
        else:
            if is_pinhole(model):
                self.calibration = resolve_calibration(self.capture, self.calibration, model)
            h, w = self.depth_shape
            args = (z, self.calibration, (w, h), model, self.stride, settings.depth_scale, settings.aspect)
            cut = round(self.grid_shape[0] * _share) if is_pinhole(model) else self.grid_shape[0]
            tail = None if cut >= self.grid_shape[0] else \
                _background().submit(points_from_calibration, *args, out=self._xyz, grid_rows=(cut, self.grid_shape[0]))
            points_from_calibration(*args, out=self._xyz, grid_rows=(0, cut))
            if tail is not None:
                tail.result()
        m = None if settings.mask is None else self.mask(settings.mask)
        if m is None and settings.near is None and settings.far is None and not self.keep_rays:
            self._valid = self.finite  # one projection, nothing clipped: no copy needed
        else:
            if self._valid is None or self._valid is self.finite:
                self._valid = np.empty(self.size, dtype=bool)
            _fill_valid(self._valid, self.finite, self.depth, settings.near, settings.far, m)
        return self._xyz, self._valid

    def cloud(self, settings: ProjectionSettings | None = None, _hand_over: bool = False, **options: Any) -> PointCloud:
        """A :class:`~depthlab.pointcloud.PointCloud` of the valid points (new arrays), for
        ``settings`` or keyword options (those of :class:`ProjectionSettings`)."""
        if settings is None:
            settings = ProjectionSettings.from_options({"stride": self.stride, **options})
        cap = self.capture
        colour_used = settings.colour_for(cap.has_rgb)
        matte = settings.matte_for(cap.mattes) if colour_used == "matte" else settings.matte
        pending = self._colours_meanwhile(colour_used, matte)
        # a one-off projection on two cores: the background thread makes the colours (about half
        # the positions' work), then the last quarter of the positions
        xyz, valid = self.points_for(settings, _share=0.75 if pending is not None and _hand_over else 1.0)
        cols = self.colours(colour_used, matte=matte) if pending is None else pending.result()
        n_valid = int(np.count_nonzero(valid))
        if n_valid == self.size:
            # every point kept: the edge test (a pass over the whole map's neighbours) runs only
            # when someone reads cloud.edge -- a first cloud does not need it
            edge = self._edges.copy() if self._edges is not None else self._edge_test()
            drange = list(self.depth_range() or ()) or None
            if _hand_over:  # project(): this Projector is thrown away, its buffers become the cloud's
                # (every pixel of a stride-1 grid: the index is 0..N-1, made only if someone reads it)
                idx = range(self.size) if self.stride == 1 else self.pixel_index()
                pts, rgb = xyz, cols
                self._xyz, self._colours, self._pixel_index = None, {}, None
            else:
                idx = range(self.size) if self.stride == 1 else self.pixel_index().copy()
                pts, rgb = xyz.copy(), cols.copy()
        else:
            edge = self.edges()[valid]
            pix = None if self.stride == 1 else self.pixel_index()
            pts, rgb, idx, drange = _compact(xyz, cols, valid, n_valid, pix, self.depth)
        cal = self.calibration if settings.pinhole else None
        return PointCloud(
            xyz=pts, rgb=rgb, pixel_index=idx, edge=edge,
            grid_shape=self.depth_shape, model=settings.model, accuracy=cap.accuracy,
            units=length_units(settings.model, settings.depth_scale, cap.depth_unit),
            intrinsics_estimated=bool(cal is not None and cal.estimated), camera=cap.camera.kind,
            metadata=_cloud_metadata(cap, settings, cal, colour_used, matte, drange),
        )


# --------------------------------------------------------------------------------------------
# One-shot projections
# --------------------------------------------------------------------------------------------


def point_cloud(cap: Capture, *, settings: ProjectionSettings | None = None,
                calibration: Calibration | None = None) -> PointCloud:
    """:func:`project` for a :class:`~depthlab.settings.ProjectionSettings` value.

    >>> import depthlab
    >>> from depthlab.projection import point_cloud
    >>> cloud = point_cloud(depthlab.open("data/sample/rear_dual.heic"), settings=depthlab.ProjectionSettings(stride=8))
    >>> cloud.accuracy, cloud.caption().split(" · ")[1]
    ('relative', 'relative scale')
    """
    settings = settings or ProjectionSettings()
    proj = Projector(cap, stride=settings.stride, calibration=calibration, keep_rays=False)
    return proj.cloud(settings, _hand_over=True)


@keyword_options
def grid_points(cap: Capture, *, settings: ProjectionSettings | None = None,
                calibration: Calibration | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The projection kept on its stride grid: ``(xyz, valid)``.

    ``xyz`` float32 (h, w, 3) camera-frame positions (metres for a pinhole model at depth scale
    1), NaN where depth is unknown; ``valid`` bool (h, w): depth known, within near/far and
    inside the mask.  ``(h, w) = (ceil(H/stride), ceil(W/stride))``; grid pixel ``(i, j)`` is
    depth pixel ``(i * stride, j * stride)``.  For the valid pixels these are exactly the
    positions :func:`project` gives with the same settings (``project(...).xyz`` lists them in
    row-major order).  New arrays, owned by the caller.

    Convention: see :mod:`depthlab.conventions`.

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> xyz, valid = depthlab.grid_points(cap, settings=depthlab.ProjectionSettings(stride=4))
    >>> xyz.shape, valid.shape, valid.dtype
    ((160, 120, 3), (160, 120), dtype('bool'))
    """
    require_capture(cap, "grid_points()")
    settings = settings or ProjectionSettings()
    proj = Projector(cap, stride=settings.stride, calibration=calibration, keep_rays=False)
    xyz, valid = proj.points_for(settings)
    if valid is proj.finite:
        valid = valid.copy()  # the caller owns it; the capture's validity stays untouched
    gh, gw = proj.grid_shape
    return xyz.reshape(gh, gw, 3), valid.reshape(gh, gw)


@keyword_options
def project(
    cap: Capture,
    *,
    model: str = DEFAULT_MODEL,
    near: float | None = None,
    far: float | None = None,
    stride: int = 1,
    mask: Any = None,
    colour: str = "rgb",
    depth_scale: float = 1.0,
    aspect: float = 1.0,
    calibration: Calibration | None = None,
    matte: str | None = None,
) -> PointCloud:
    """Project a capture's depth map into a :class:`~depthlab.pointcloud.PointCloud`.

    The options are those of :class:`~depthlab.settings.ProjectionSettings` (model, near, far,
    stride, mask, colour, matte, depth_scale, aspect); ``calibration`` overrides the capture's
    (e.g. intrinsics estimated from EXIF).  ``colour="rgb"`` on a capture without a colour image
    gives depth colours (``cloud.metadata["colour"]`` says so).  For repeated projections of one
    capture keep a :class:`Projector`.

    Convention: see :mod:`depthlab.conventions`; unknown and clipped pixels are dropped.  Edge
    points (a neighbour jumps in depth: both sides of an occlusion and the "flying pixels" between
    them) are kept and flagged in ``cloud.edge``; ``cloud.without_edges()`` drops them.

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> cloud = depthlab.project(cap, stride=2, near=0.2, far=1.5, mask="portrait", colour="depth")
    >>> cloud.units, cloud.xyz.shape[1], round(float(cloud.xyz[:, 2].max()), 2)
    ('m', 3, 0.82)
    """
    require_capture(cap, "project()")
    settings = ProjectionSettings(model=model, near=near, far=far, stride=stride, mask=mask, colour=colour,
                                  matte=matte, depth_scale=depth_scale, aspect=aspect)
    return point_cloud(cap, settings=settings, calibration=calibration)


# --------------------------------------------------------------------------------------------
# Pixels -> points
# --------------------------------------------------------------------------------------------

#: What ``points_at(..., image=...)`` can measure in.
IMAGES = ("colour", "depth")


@keyword_options
def points_at(cap: Capture, uv: Any, *, image: str = "colour", window: int = 3,
              calibration: Calibration | None = None) -> np.ndarray:
    """The 3D points seen at pixel positions: metres in the camera frame, NaN where unknown.

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> p = depthlab.points_at(cap, [[480, 640], [0, 0]])     # the photo's centre and corner
    >>> p.shape, bool(abs(p[0, 0]) < 0.01), bool(0.3 < p[0, 2] < 1.0)
    ((2, 3), True, True)

    ``uv`` is one ``(u, v)`` or an array of them, shape (N, 2): u = column, v = row, in the
    pixels of ``image`` -- ``"colour"`` (the photo; the depth map's pixels when there is no
    photo) or ``"depth"`` -- continuous, with pixel ``(u, v)``'s *centre* at ``(u, v)`` (the
    convention of :meth:`~depthlab.capture.Calibration.intrinsics_at`, OpenCV and Open3D; the
    half-pixel shifts between the photo, the depth map and the calibration's reference frame
    are done here).  The depth is the median of the known depths in the ``window`` x
    ``window`` depth pixels around the one the position falls in (``window=1``: that pixel
    alone); the ray is the calibrated pinhole's through the exact position, lens distortion
    removed -- at a depth pixel's centre exactly :func:`project`'s point.  NaN rows where the
    window holds no known depth or the position is outside the image.  Returns float64 (N, 3),
    or (3,) for a single ``(u, v)``.  A relative-accuracy capture's metres are its own units.

    Convention: see :mod:`depthlab.conventions`.
    """
    require_capture(cap, "points_at()")
    one_of("image", image, IMAGES)
    k = whole_number("window", window, 1, 31)
    if k % 2 == 0:
        raise InvalidInputError(f"window must be odd (a square centred on the pixel), got {window!r}")
    single = np.ndim(uv) == 1
    pts = check_shape("uv", np.atleast_2d(np.asarray(uv, dtype=np.float64)), (None, 2))
    h, w = cap.shape
    iw, ih = photo_size(cap) if image == "colour" else (w, h)
    # continuous depth-map coordinates (pixel centres at integers): edges scale, centres shift
    ud = (pts[:, 0] + 0.5) * (w / iw) - 0.5
    vd = (pts[:, 1] + 0.5) * (h / ih) - 0.5
    z = _window_depth(cap.depth, ud, vd, k)
    cal = resolve_calibration(cap, calibration)
    rw, rh = cal.reference_size
    ref = np.stack([(ud + 0.5) * (rw / w), (vd + 0.5) * (rh / h)], axis=1)  # corner origin, as stored
    if cal.has_distortion:
        ref = undistort_points(cal, ref)
    out = np.stack([(ref[:, 0] - cal.cx) / cal.fx * z, (ref[:, 1] - cal.cy) / cal.fy * z, z], axis=1)
    return out[0] if single else out


def _window_depth(depth: np.ndarray, ud: np.ndarray, vd: np.ndarray, k: int) -> np.ndarray:
    """Median of the finite depths in the k x k window around the pixel each position falls in;
    NaN outside the map or where the window holds none."""
    h, w = depth.shape
    iu, iv = np.floor(ud + 0.5).astype(np.int64), np.floor(vd + 0.5).astype(np.int64)
    inside = (iu >= 0) & (iu < w) & (iv >= 0) & (iv < h)
    r = np.arange(k) - k // 2
    cols = iu[:, None, None] + r[None, None, :]
    rows = iv[:, None, None] + r[None, :, None]
    ok = (cols >= 0) & (cols < w) & (rows >= 0) & (rows < h)
    vals = np.where(ok, depth[np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1)], np.nan).reshape(len(iu), -1)
    vals[~inside] = np.nan
    known = np.isfinite(vals).any(axis=1)
    z = np.full(len(iu), np.nan)
    if known.any():
        z[known] = np.nanmedian(vals[known].astype(np.float64), axis=1)
    return z
