"""From a Capture's depth map to 3D points, in one of four named camera models.

Models
------
``"pinhole"`` (default)
    The camera's own calibration: intrinsics scaled to the depth map's size, Apple's lens
    distortion removed (:mod:`depthlab.camera`).  Metres, camera frame.
``"pinhole-raw"``
    The same intrinsics, distortion ignored (to see what the correction changes).
``"orthographic"``
    *Teaching mode*, the seed's view: the pixel grid laid flat and pushed back by the depth.
    ``x = (u - (W-1)/2) / W``, ``y = aspect * (v - (H-1)/2) / W``, ``z = depth_scale * depth``:
    the grid spans one unit across, z is metres times ``depth_scale``.  No perspective, so
    things far away are not shrunk — shapes look flattened or stretched.  Units "arbitrary".
``"disparity-as-z"``
    *The seed's mistake*, kept as a named mode so it can be shown: the same flat grid with the
    stored disparity (1/m) used as z.  The seed's viewer had z pointing toward the viewer, so
    larger disparity (nearer) came out nearer and the relief *looked* reasonable; here that is
    ``z = depth_scale * (d_min + d_max - disparity)`` — the disparity values mirrored within
    their own range so near stays near in our z-forward frame.  Wrong because disparity is
    ``1/depth``: equal steps in disparity are tiny steps in depth up close and huge steps far
    away, so the background is squashed against the subject.

Convention: camera frame x right, y down, z forward; pixel (u, v) = (column, row) at its centre
(centre-origin intrinsics from :meth:`Calibration.intrinsics_at`); arrays in display
orientation; a *grid* is every ``stride``-th pixel, ``M = ceil(H/s) * ceil(W/s)`` points in
row-major order; float32 positions, uint8 colours.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from .capture import Calibration, Capture
from .errors import CalibrationError, InvalidInputError

__all__ = ["MODELS", "COLOURS", "Projector", "project", "depth_colours"]

# points per block in Projector.points: ~64k float32 per array stays in L2 through all passes
_CHUNK = 1 << 16
# rows per block when gathering the valid points into a new cloud
_COMPACT_CHUNK = 1 << 18

MODELS = ("pinhole", "pinhole-raw", "orthographic", "disparity-as-z")
COLOURS = ("rgb", "depth", "matte")

# A 9-step viridis ramp (dark purple -> yellow), interpolated to 256 entries once per process
# on first use of depth colours.  Near = yellow, far = purple.
_VIRIDIS_STEPS = ("440154", "472c7a", "3b518b", "2c718e", "21908d", "27ad81", "5cc863", "aadc32", "fde725")
_INVALID_GREY = np.array([96, 96, 96], dtype=np.uint8)


@functools.lru_cache(maxsize=1)
def _viridis_lut() -> np.ndarray:
    """(256, 3) uint8: entry 0 is the grey of unknown depth, 1..255 run far (purple) -> near."""
    anchors = np.array([[int(h[i:i + 2], 16) for i in (0, 2, 4)] for h in _VIRIDIS_STEPS], dtype=np.float64)
    t = np.linspace(0.0, 1.0, 255)
    pos = np.linspace(0.0, 1.0, len(anchors))
    lut = np.empty((256, 3), dtype=np.uint8)
    lut[0] = _INVALID_GREY
    lut[1:] = np.rint(np.stack([np.interp(t, pos, anchors[:, c]) for c in range(3)], axis=1))
    lut.flags.writeable = False
    return lut


def _finite_range(values: np.ndarray) -> tuple[float | None, float | None]:
    """(min, max) ignoring NaN (and +-inf); (None, None) when nothing is finite."""
    v = np.asarray(values).reshape(-1)
    if v.size == 0:
        return None, None
    lo, hi = float(np.fmin.reduce(v)), float(np.fmax.reduce(v))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        f = v[np.isfinite(v)]
        if f.size == 0:
            return None, None
        lo, hi = float(f.min()), float(f.max())
    return lo, hi


def depth_colours(depth: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """uint8 (..., 3) viridis colours for depths in metres: ``lo`` (near) yellow, ``hi`` purple.

    Convention: ``lo``/``hi`` default to the finite minimum/maximum; depths outside are clamped;
    non-finite depths are grey (96, 96, 96).
    """
    d = np.asarray(depth, dtype=np.float32)
    if lo is None or hi is None:
        flo, fhi = _finite_range(d)
        lo = (0.0 if flo is None else flo) if lo is None else lo
        hi = (1.0 if fhi is None else fhi) if hi is None else hi
    span = hi - lo if hi > lo else 1.0
    # index 1 (far) .. 255 (near) = 1.5 + (hi - d) * 254 / span; NaN survives clip and becomes
    # 0 (grey) via fmax
    scale = np.float32(254.0 / span)
    t = np.multiply(d, -scale)
    np.add(t, np.float32(1.5 + hi * 254.0 / span), out=t)
    np.clip(t, np.float32(1.0), np.float32(255.0), out=t)
    np.fmax(t, np.float32(0.0), out=t)
    idx = t.astype(np.uint8)
    return np.take(_viridis_lut(), idx, axis=0)


def _resample_float(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of a float image to ``width`` x ``height`` (Pillow, mode 'F')."""
    a = np.asarray(img, dtype=np.float32)
    if a.shape == (height, width):
        return a
    from PIL import Image

    return np.asarray(Image.fromarray(a, mode="F").resize((width, height), Image.Resampling.BILINEAR))


class Projector:
    """Turns one Capture into points again and again, cheaply: the slider engine.

    What depends only on the capture and the stride — ray grids per model, the strided depth,
    colours per mode, masks per matte, index arrays, output buffers — is computed once, on first
    use.  :meth:`points` then only does what the slider values change: a multiply and a few
    comparisons into preallocated float32/bool buffers.

    One Projector serves one stride (keep one per stride a viewer offers); the model, scale,
    aspect, clipping, mask and colour mode can change on every call.

    Parameters
    ----------
    capture : Capture
    stride : int >= 1, keep every ``stride``-th pixel in each direction.
    calibration : Calibration, optional
        Overrides ``capture.calibration`` (e.g. an estimate from
        :func:`depthlab.camera.estimate_calibration` for a file without one).

    Convention: see the module docstring (camera frame x right / y down / z forward; grid pixels
    row-major; centre-origin pixel centres).
    """

    def __init__(self, capture: Capture, stride: int = 1, calibration: Calibration | None = None):
        if not isinstance(capture, Capture):
            raise InvalidInputError(f"Projector needs a depthlab Capture, got {type(capture).__name__}")
        try:
            s = int(stride)
        except (TypeError, ValueError):
            raise InvalidInputError(f"stride must be a positive integer, got {stride!r}") from None
        if s < 1 or s != stride:
            raise InvalidInputError(f"stride must be a positive integer, got {stride!r}")
        self.capture = capture
        self.stride = s
        self.calibration = calibration if calibration is not None else capture.calibration
        h, w = capture.shape
        self.depth_shape = (h, w)
        self.grid_shape = (math.ceil(h / s), math.ceil(w / s))
        self.size = self.grid_shape[0] * self.grid_shape[1]
        self._depth = np.ascontiguousarray(capture.depth[::s, ::s]).reshape(-1)
        self._finite = np.isfinite(self._depth)
        self._disparity: np.ndarray | None = None
        self._rays: dict[str, np.ndarray] = {}
        self._colours: dict[tuple[str, str | None], np.ndarray] = {}
        self._masks: dict[str, np.ndarray] = {}
        self._pixel_index: np.ndarray | None = None
        self._depth_range: tuple[float, float] | None | bool = False
        # buffers reused by points()
        self._xyz = np.empty((self.size, 3), dtype=np.float32)
        self._valid = np.empty(self.size, dtype=bool)
        self._tmp_bool_buf: np.ndarray | None = None  # allocated on first need (near/far)
        self._tmp_f_buf: np.ndarray | None = None     # (depth_scale != 1, disparity-as-z)

    @property
    def _tmp_bool(self) -> np.ndarray:
        if self._tmp_bool_buf is None:
            self._tmp_bool_buf = np.empty(self.size, dtype=bool)
        return self._tmp_bool_buf

    @property
    def _tmp_f(self) -> np.ndarray:
        if self._tmp_f_buf is None:
            self._tmp_f_buf = np.empty(self.size, dtype=np.float32)
        return self._tmp_f_buf

    # -- cached pieces ------------------------------------------------------------------------
    def depth_range(self) -> tuple[float, float] | None:
        """(nearest, farthest) finite depth on the grid, metres (cached)."""
        if self._depth_range is False:
            lo, hi = _finite_range(self._depth)
            self._depth_range = None if lo is None else (lo, hi)
        return self._depth_range  # type: ignore[return-value]

    def intrinsics(self) -> np.ndarray:
        """3x3 centre-origin intrinsics at the depth map's full size (not the strided grid)."""
        cal = self._need_calibration("pinhole")
        h, w = self.depth_shape
        return cal.intrinsics_at(w, h)

    @property
    def pinhole_available(self) -> bool:
        """True when the pinhole models can run: a stored calibration, or one estimated from the
        photo's EXIF focal length (then ``calibration.estimated`` is True)."""
        try:
            self._need_calibration("pinhole")
        except CalibrationError:
            return False
        return True

    def _need_calibration(self, model: str) -> Calibration:
        if self.calibration is None:
            from .camera import calibration_from_camera

            h, w = self.depth_shape
            try:
                # no stored calibration: estimate from the photo's EXIF focal length, flagged
                self.calibration = calibration_from_camera(self.capture.camera, w, h)
            except CalibrationError as exc:
                raise CalibrationError(
                    f"model {model!r} needs the camera's intrinsics: {exc}; or use model='orthographic'"
                ) from None
        return self.calibration

    def ray_planes(self, model: str = "pinhole") -> tuple[np.ndarray, np.ndarray]:
        """(rx, ry) float32 (M,) of a pinhole model's rays (z = 1), cached per model."""
        r = self._rays.get(model)
        if r is None:
            if model not in ("pinhole", "pinhole-raw"):
                raise InvalidInputError(f"rays exist for the pinhole models only, not {model!r}")
            cal = self._need_calibration(model)
            from .camera import ray_planes

            h, w = self.depth_shape
            r = ray_planes(cal, w, h, stride=self.stride, undistort=(model == "pinhole"))
            if model == "pinhole" and not cal.has_distortion:
                self._rays.setdefault("pinhole-raw", r)
            self._rays[model] = r
        return r  # type: ignore[return-value]

    def rays(self, model: str = "pinhole") -> np.ndarray:
        """float32 (M, 3) ray grid (z = 1) of a pinhole model (a new array)."""
        rx, ry = self.ray_planes(model)
        out = np.empty((self.size, 3), dtype=np.float32)
        out[:, 0], out[:, 1], out[:, 2] = rx, ry, 1.0
        return out

    def _flat_grid(self) -> np.ndarray:
        """float32 (M, 2) of the orthographic grid (x, y before aspect), cached."""
        g = self._rays.get("flat")
        if g is None:
            h, w = self.depth_shape
            s = self.stride
            gh, gw = self.grid_shape
            u = (np.arange(0, w, s, dtype=np.float64) - (w - 1) / 2.0) / w
            v = (np.arange(0, h, s, dtype=np.float64) - (h - 1) / 2.0) / w
            g = np.empty((gh, gw, 2), dtype=np.float32)
            g[..., 0] = u[None, :]
            g[..., 1] = v[:, None]
            g = g.reshape(-1, 2)
            self._rays["flat"] = g
        return g

    def _disparity_range(self) -> tuple[float, float]:
        rng = self._rays.get("disparity_range")
        if rng is None:
            lo, hi = _finite_range(self.capture.disparity)
            rng = (0.0, 0.0) if lo is None else (lo, hi)
            self._rays["disparity_range"] = rng  # type: ignore[assignment]
        return rng  # type: ignore[return-value]

    def _disparity_grid(self) -> np.ndarray:
        if self._disparity is None:
            s = self.stride
            self._disparity = np.ascontiguousarray(self.capture.disparity[::s, ::s]).reshape(-1)
        return self._disparity

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
        """bool (M,) for a matte name (thresholded at 0.5 after resampling to depth size) or an
        array of the depth map's (H, W) or the grid's shape (cached for names)."""
        if isinstance(mask, str):
            m = self._masks.get(mask)
            if m is None:
                mattes = self.capture.mattes
                if mask not in mattes:
                    raise InvalidInputError(
                        f"no matte named {mask!r} in this capture; it has {sorted(mattes) or 'none'}"
                    )
                h, w = self.depth_shape
                full = _resample_float(mattes[mask], w, h)
                s = self.stride
                m = np.ascontiguousarray(full[::s, ::s] >= 0.5).reshape(-1)
                self._masks[mask] = m
            return m
        arr = np.asarray(mask)
        if arr.shape == self.depth_shape:
            s = self.stride
            arr = arr[::s, ::s]
        if arr.shape != self.grid_shape and arr.shape != (self.size,):
            raise InvalidInputError(
                f"mask must be a matte name or an array of shape {self.depth_shape} (depth) or "
                f"{self.grid_shape} (grid), got {arr.shape}"
            )
        return (arr >= 0.5 if arr.dtype != bool else arr).reshape(-1)

    def colours(self, mode: str = "rgb", matte: str | None = None) -> np.ndarray:
        """uint8 (M, 3) colour of each grid pixel, cached per mode.

        ``"rgb"``: the photo area-averaged to the depth map's size; ``"depth"``: viridis over
        the capture's depth range (near yellow, far purple, unknown grey); ``"matte"``: the matte
        ``matte`` (default: the first one) as grey levels, resampled to depth size.
        """
        if mode not in COLOURS:
            raise InvalidInputError(f"colour must be one of {COLOURS}, got {mode!r}")
        if mode == "matte":
            if matte is None:
                names = list(self.capture.mattes)
                if not names:
                    raise InvalidInputError("colour='matte' but this capture has no mattes")
                matte = names[0]
        key = (mode, matte if mode == "matte" else None)
        c = self._colours.get(key)
        if c is not None:
            return c
        h, w = self.depth_shape
        s = self.stride
        if mode == "rgb":
            img = self.capture.rgb_at(w, h)
            c = np.ascontiguousarray(img[::s, ::s]).reshape(-1, 3)
        elif mode == "depth":
            rng = self.depth_range()
            lo, hi = rng if rng is not None else (0.0, 1.0)
            c = depth_colours(self._depth, lo, hi)
        else:
            if matte not in self.capture.mattes:
                raise InvalidInputError(f"no matte named {matte!r}; this capture has {sorted(self.capture.mattes) or 'none'}")
            full = _resample_float(self.capture.mattes[matte], w, h)
            g = np.clip(np.ascontiguousarray(full[::s, ::s]).reshape(-1) * 255.0, 0, 255).astype(np.uint8)
            c = np.repeat(g[:, None], 3, axis=1)
        self._colours[key] = c
        return c

    # -- the per-update work ------------------------------------------------------------------
    def points(
        self,
        model: str = "pinhole",
        depth_scale: float = 1.0,
        aspect: float = 1.0,
        near: float | None = None,
        far: float | None = None,
        mask: Any = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions of every grid pixel and which of them are valid.

        Returns ``(xyz, valid)``: ``xyz`` float32 (M, 3) — a buffer reused by the next call, copy
        it to keep it; NaN where depth is unknown — and ``valid`` bool (M,) (also reused): depth
        finite, ``near <= depth <= far`` (metres, before ``depth_scale``) and inside ``mask``.

        ``depth_scale`` multiplies depth (pinhole models: a uniform scale of the cloud; flat
        models: z only); ``aspect`` stretches y of the flat models (ignored by pinhole ones).

        Convention: see the module docstring.
        """
        if model not in MODELS:
            raise InvalidInputError(f"model must be one of {MODELS}, got {model!r}")
        ds = float(depth_scale)
        if not math.isfinite(ds) or ds <= 0:
            raise InvalidInputError(f"depth_scale must be a positive finite number, got {depth_scale!r}")
        xyz = self._xyz
        valid = self._valid
        pinhole = model in ("pinhole", "pinhole-raw")
        if pinhole:
            rx, ry = self.ray_planes(model)
        else:
            a = float(aspect)
            if not math.isfinite(a) or a <= 0:
                raise InvalidInputError(f"aspect must be a positive finite number, got {aspect!r}")
            g = self._flat_grid()
            ga = np.array([1.0, a], dtype=np.float32)
            if model == "disparity-as-z":
                disp = self._disparity_grid()
                lo, hi = self._disparity_range()
                mirror = np.float32(lo + hi)
        m_arr = None if mask is None else self.mask(mask)
        f32 = np.float32
        near32 = None if near is None else f32(near)
        far32 = None if far is None else f32(far)
        # chunks small enough that each input is read from memory once for all the passes
        for i0 in range(0, self.size, _CHUNK):
            i1 = min(self.size, i0 + _CHUNK)
            d = self._depth[i0:i1]
            out = xyz[i0:i1]
            tf = self._tmp_f[i0:i1] if (ds != 1.0 or model == "disparity-as-z") else None
            if pinhole:
                if ds != 1.0:
                    np.multiply(d, f32(ds), out=tf)
                    dz = tf
                else:
                    dz = d
                np.multiply(rx[i0:i1], dz, out=out[:, 0])
                np.multiply(ry[i0:i1], dz, out=out[:, 1])
                np.copyto(out[:, 2], dz)
            else:
                np.multiply(g[i0:i1], ga, out=out[:, :2])
                if model == "orthographic":
                    np.multiply(d, f32(ds), out=out[:, 2])
                else:
                    np.subtract(mirror, disp[i0:i1], out=tf)
                    np.multiply(tf, f32(ds), out=tf)
                    # unknown depth (NaN or non-positive disparity) has no point either
                    np.copyto(tf, f32(np.nan), where=~self._finite[i0:i1])
                    np.copyto(out[:, 2], tf)
            v = valid[i0:i1]
            np.copyto(v, self._finite[i0:i1])
            tb = self._tmp_bool[i0:i1] if (near32 is not None or far32 is not None) else None
            if near32 is not None:
                np.greater_equal(d, near32, out=tb)
                np.logical_and(v, tb, out=v)
            if far32 is not None:
                np.less_equal(d, far32, out=tb)
                np.logical_and(v, tb, out=v)
            if m_arr is not None:
                np.logical_and(v, m_arr[i0:i1], out=v)
        return xyz, valid

    def _compact(self, valid: np.ndarray, n: int, cols: np.ndarray):
        """The valid rows of positions, colours and pixel indices, block by block (cache-warm),
        and the depth range of those rows (None when there are none)."""
        pts = np.empty((n, 3), dtype=np.float32)
        rgb = np.empty((n, 3), dtype=np.uint8)
        idx = np.empty(n, dtype=np.int64)
        pix = None if self.stride == 1 else self.pixel_index()
        lo, hi = math.inf, -math.inf
        pos = 0
        for i0 in range(0, self.size, _COMPACT_CHUNK):
            i1 = min(self.size, i0 + _COMPACT_CHUNK)
            sel = np.flatnonzero(valid[i0:i1])
            k = sel.size
            if k == 0:
                continue
            np.take(self._xyz[i0:i1], sel, axis=0, out=pts[pos:pos + k], mode="clip")
            np.take(cols[i0:i1], sel, axis=0, out=rgb[pos:pos + k], mode="clip")
            if pix is None:
                np.add(sel, i0, out=idx[pos:pos + k])
            else:
                np.take(pix[i0:i1], sel, out=idx[pos:pos + k], mode="clip")
            dsel = np.take(self._depth[i0:i1], sel)
            lo, hi = min(lo, float(dsel.min())), max(hi, float(dsel.max()))
            pos += k
        return pts, rgb, idx, ([lo, hi] if n else None)

    def cloud(
        self,
        model: str = "pinhole",
        depth_scale: float = 1.0,
        aspect: float = 1.0,
        near: float | None = None,
        far: float | None = None,
        mask: Any = None,
        colour: str = "rgb",
        matte: str | None = None,
        _hand_over: bool = False,
    ):
        """A :class:`~depthlab.pointcloud.PointCloud` of the valid points (new arrays).

        ``colour="rgb"`` on a capture without a colour image falls back to depth colours (the
        cloud's ``metadata["colour"]`` says so).  ``matte`` picks the matte for
        ``colour="matte"`` (default: ``mask`` if it is a matte name, else the first matte).
        """
        from .pointcloud import PointCloud

        xyz, valid = self.points(model, depth_scale, aspect, near, far, mask)
        colour_used = colour
        if colour == "rgb" and not self.capture.has_rgb:
            colour_used = "depth"
        if colour_used == "matte" and matte is None and isinstance(mask, str):
            matte = mask
        cols = self.colours(colour_used, matte=matte)
        n_valid = int(np.count_nonzero(valid))
        if n_valid == self.size and _hand_over:
            # project(): this Projector is thrown away, so its buffers become the cloud's
            pts, rgb, idx = xyz, cols, self.pixel_index()
            self._xyz = np.empty_like(xyz)
            self._colours.clear()
            self._pixel_index = None
        elif n_valid == self.size:
            pts, rgb, idx = xyz.copy(), cols.copy(), self.pixel_index().copy()
        else:
            pts, rgb, idx, drange = self._compact(valid, n_valid, cols)
        cap = self.capture
        cal = self.calibration
        pinhole = model in ("pinhole", "pinhole-raw")
        if n_valid == self.size:
            drange = list(self.depth_range() or ()) or None
        meta: dict[str, Any] = {
            "source": None if cap.path is None else str(cap.path),
            "format": cap.format,
            "depth_range_m": drange,
            "parameters": {
                "model": model, "stride": self.stride, "near": near, "far": far,
                "mask": mask if (mask is None or isinstance(mask, str)) else "array",
                "colour": colour, "matte": matte, "depth_scale": float(depth_scale), "aspect": float(aspect),
            },
            "colour": colour_used if colour_used == colour else f"{colour_used} (no colour image)",
        }
        if pinhole and cal is not None:
            h, w = self.depth_shape
            meta["intrinsics"] = cal.intrinsics_at(w, h).tolist()
            meta["intrinsics_size"] = [w, h]
            meta["calibration_source"] = cal.source
            meta["lens_distortion_removed"] = bool(model == "pinhole" and cal.has_distortion)
        units = "m" if (pinhole and float(depth_scale) == 1.0) else "arbitrary"
        return PointCloud(
            xyz=pts,
            rgb=rgb,
            pixel_index=idx,
            grid_shape=self.depth_shape,
            model=model,
            units=units,
            accuracy=cap.accuracy,
            intrinsics_estimated=bool(pinhole and cal is not None and cal.estimated),
            camera=cap.camera.kind,
            metadata=meta,
        )


def project(
    cap: Capture,
    model: str = "pinhole",
    near: float | None = None,
    far: float | None = None,
    stride: int = 1,
    mask: Any = None,
    colour: str = "rgb",
    depth_scale: float = 1.0,
    aspect: float = 1.0,
    calibration: Calibration | None = None,
    matte: str | None = None,
):
    """Project a capture's depth map into a :class:`~depthlab.pointcloud.PointCloud`.

    >>> cloud = depthlab.project(cap)                            # doctest: +SKIP
    >>> cloud = depthlab.project(cap, near=0.2, far=1.5, stride=2, mask="portrait", colour="depth")  # doctest: +SKIP

    Parameters
    ----------
    model : ``"pinhole"`` (calibrated, lens distortion removed; default), ``"pinhole-raw"``,
        ``"orthographic"`` (teaching), ``"disparity-as-z"`` (the seed's mistake).
    near, far : keep depths within ``[near, far]`` metres (None: no limit).
    stride : keep every ``stride``-th pixel in each direction.
    mask : a matte name (e.g. ``"portrait"``; thresholded at 0.5 after resampling to depth size)
        or a boolean/float array of the depth map's shape.
    colour : ``"rgb"``, ``"depth"`` (viridis, near yellow) or ``"matte"``.
    depth_scale, aspect : see :meth:`Projector.points`.
    calibration : overrides the capture's (e.g. intrinsics estimated from EXIF).
    matte : which matte ``colour="matte"`` shows.

    Convention: camera frame x right, y down, z forward; metres for the pinhole models;
    unknown (NaN) and clipped pixels are dropped; ``cloud.pixel_index`` is each point's flat
    row-major index into the depth map.  For repeated projections of one capture (sliders) keep
    a :class:`Projector`: it caches rays and colours.
    """
    return Projector(cap, stride=stride, calibration=calibration).cloud(
        model=model, depth_scale=depth_scale, aspect=aspect, near=near, far=far, mask=mask,
        colour=colour, matte=matte, _hand_over=True,
    )
