"""Refined depth: edge-aware, de-quantised, at any size, with the colour image as the guide.

The stored maps are 8-bit and small: one code of pug's disparity is 0.011 1/m (bands on a wall),
and the rear dual camera's depth bleeds across the outline of the subject.  :func:`refine` turns
a :class:`~depthlab.Capture` into a new one whose float disparity is

* **edge-aware**: a *confidence-weighted guided filter* (a local linear model of disparity in
  the colour and in the pixel position, fitted in every window) explains the disparity by the
  colour where the stored map is trustworthy and carries it across where it is not, so a depth
  edge follows the colour edge instead of the stored blur;
* **de-quantised**: the same local fit replaces the staircase of 8-bit codes on smooth surfaces
  by a ramp (the position channels let a tilted plane stay a plane instead of a staircase or a
  copy of the colour's shading);
* **not inventing detail**: where the stored map is smooth the result stays within half a code
  of the stored value (the interval the true value was rounded from); elsewhere it stays within
  the range of stored values nearby;
* **at any size**: the coefficients are fitted on the depth grid and evaluated at the requested
  size with the colour image at that size (a "fast guided filter"), so ``size="colour"`` gives
  a map whose edges are the photo's.

Holes (unknown pixels) are *missing*, not zeros: every average is normalised by the weights of
the known pixels, and holes stay holes unless ``fill=True``.

The method, step by step (confidence, windowed fits, clamps), is in ``docs/refine.md``.

scipy (``scipy.ndimage``) is imported when :func:`refine` runs.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..capture import Capture, DepthEncoding
from ..deps import require
from ..checks import image_size, keyword_options, require_capture
from ..errors import InvalidInputError
from .resample import area_average, resize_map

#: largest output accepted, in pixels (a 48 MP phone photo fits; 12 MP is typical)
MAX_PIXELS = 50_000_000
#: confidence halves where the stored map changes by this many codes per pixel
SLOPE_CODES = 2.0
#: a window follows the colour only where its stored values leave a plane by more than this
#: many codes squared (variance); quantisation alone leaves ~1/12
NOISE_CODES2 = 4.0


@dataclass(frozen=True)
class Refinement:
    """What :func:`refine` did, for the new capture's ``metadata["refined"]`` (provenance)."""

    method: str
    source_size: tuple[int, int]  # (w, h) of the stored map
    size: tuple[int, int]  # (w, h) of the refined map
    guide: str | None  # "colour" or None (no guide: position channels only)
    radius: int  # window radius in source (depth-map) pixels
    eps: float
    code_per_m: float  # the quantisation step used, 1/m
    fill: bool
    seconds: float
    filled_fraction: float = 0.0  # share of the refined map that was a hole in the stored one (invented)
    depth_unit: str = "m"  # the capture's Capture.depth_unit: code_per_m is per this unit

    def __str__(self) -> str:
        g = "the colour image as guide" if self.guide else "no guide (smoothing along planes only)"
        holes = (f"holes filled ({self.filled_fraction * 100:.1f} % of the map, invented, not measured)" if self.fill
                 else "holes kept")
        per = "1/m" if self.depth_unit == "m" else "1/unit"
        return (f"refined by depthlab.refine from {self.source_size[0]}x{self.source_size[1]} to "
                f"{self.size[0]}x{self.size[1]}: {self.method}, {g}, radius {self.radius} depth px, "
                f"eps {self.eps:g}, code {self.code_per_m:.4g} {per}, {holes}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ndimage():
    """scipy.ndimage through the one optional-dependency loader (a missing scipy is named with its pip line)."""
    return require("scipy.ndimage", "refine()")


def _cv2():
    """OpenCV through the one optional-dependency loader: its box, minimum and maximum filters
    are the same sums and comparisons as scipy.ndimage's, 4-30x faster on a depth map."""
    return require("cv2", "refine() (opencv-python-headless)")


def _window_extreme(a: np.ndarray, size: int, *, largest: bool) -> np.ndarray:
    """Minimum (or maximum) of float32 ``a`` over ``size`` x ``size`` windows, cut at the map's
    edges (what scipy.ndimage's minimum_filter gives with its default reflected border: the
    mirrored pixels are inside the window already); exact, NaN-free input (+-inf allowed)."""
    cv2 = _cv2()
    kernel = np.ones((size, size), np.uint8)
    op = cv2.dilate if largest else cv2.erode
    return op(np.ascontiguousarray(a), kernel, borderType=cv2.BORDER_CONSTANT,
              borderValue=float("-inf") if largest else float("inf"))


def target_size(cap: Capture, size: Any) -> tuple[int, int]:
    """The (width, height) that ``size`` asks for: ``"depth"``, ``"colour"`` or ``(w, h)``.

    Raises :class:`~depthlab.errors.InvalidInputError` for zero or negative sizes, more than
    :data:`MAX_PIXELS`, an aspect ratio other than the depth map's (beyond 2 %), or ``"colour"``
    on a capture without a colour image.
    """
    h0, w0 = cap.shape
    if isinstance(size, str):
        if size == "depth":
            return (w0, h0)
        if size in ("colour", "color"):
            if not cap.has_rgb:
                raise InvalidInputError("size='colour': this capture has no colour image; give size='depth' or (w, h)")
            if cap.rgb_size is None:
                _ = cap.rgb  # decodes and records the size
            return image_size(cap.rgb_size, (w0, h0), max_pixels=MAX_PIXELS, what="refine()")
        raise InvalidInputError(f"size must be 'depth', 'colour' or (width, height), got {size!r}")
    return image_size(size, (w0, h0), max_pixels=MAX_PIXELS, what="refine()")


def code_step(cap: Capture) -> float:
    """One stored code in 1/m as :func:`refine` uses it (step 1 of docs/refine.md)."""
    d = cap.disparity[np.isfinite(cap.disparity)]
    span = float(d.max() - d.min()) if d.size else 0.0
    step = None
    if cap.encoding is not None and cap.encoding.quantity == "disparity":
        step = cap.encoding.step
    if step is None and d.size:
        # depth-coded maps (GDepth): the typical gap between the distinct values present
        gaps = np.diff(np.unique(d))
        step = float(np.median(gaps)) if gaps.size else None
    step = max(step or 0.0, span / 255.0)
    return step if step > 0 else 1e-3


def confidence(disparity: np.ndarray, code: float) -> np.ndarray:
    """float32 (H, W) in 0..1: how far the stored value can be trusted as it is.

    ``1 / (1 + (slope / (SLOPE_CODES * code))^2)`` with ``slope`` half the range of the valid
    stored values in the 3x3 neighbourhood (1/m per pixel); 0 at holes.
    """
    d = np.asarray(disparity, dtype=np.float32)
    valid = np.isfinite(d)
    hi = _window_extreme(np.where(valid, d, -np.inf), 3, largest=True)
    lo = _window_extreme(np.where(valid, d, np.inf), 3, largest=False)
    slope = np.where(valid, (hi - lo) * 0.5, 0.0) / np.float32(SLOPE_CODES * code)
    c = np.float32(1.0) / (np.float32(1.0) + slope * slope)
    c[~valid] = 0.0
    return c.astype(np.float32)


def _box(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over (2r+1)^2 windows of the last two axes, edges reflected."""
    cv2 = _cv2()
    src = np.ascontiguousarray(x)
    out = np.empty_like(src)
    planes, outs = src.reshape((-1,) + src.shape[-2:]), out.reshape((-1,) + src.shape[-2:])
    for p, o in zip(planes, outs):  # scipy's uniform_filter(mode="reflect") is BORDER_REFLECT
        cv2.boxFilter(p, -1, (2 * r + 1, 2 * r + 1), dst=o, normalize=True, borderType=cv2.BORDER_REFLECT)
    return out


def _resize(img: np.ndarray, size: tuple[int, int], nearest: bool = False, box: bool = False) -> np.ndarray:
    """Resize a float32 (H, W) map to ``size`` = (W, H): bilinear, nearest or box (area mean),
    pixel centres aligned as in :meth:`~depthlab.Calibration.intrinsics_at`.  NaN-free input."""
    if (img.shape[1], img.shape[0]) == tuple(size):
        return img
    return resize_map(img, size[0], size[1], "nearest" if nearest else "box" if box else "bilinear")


def _nearest_fill(arrays: list[np.ndarray], known: np.ndarray) -> list[np.ndarray]:
    """Give unknown pixels the values of the nearest known pixel (all arrays alike)."""
    if known.all() or not known.any():
        return arrays
    idx = _ndimage().distance_transform_edt(~known, return_distances=False, return_indices=True)
    return [a[tuple(idx)] for a in arrays]


def _positions(shape: tuple[int, int], source: tuple[int, int], radius: int) -> list[np.ndarray]:
    """(u - w/2) / radius and (v - h/2) / radius (float64) at the pixel centres of an (H, W) grid,
    in pixels of the ``source`` (h, w) depth grid (centre convention: ``u_src = (u + 0.5) * w / W
    - 0.5``).  Centred, so that window variances keep their precision."""
    h, w = shape
    sh, sw = source
    u = ((np.arange(w) + 0.5) * (sw / w) - 0.5 - sw / 2) / radius
    v = ((np.arange(h) + 0.5) * (sh / h) - 0.5 - sh / 2) / radius
    return [np.broadcast_to(u[None, :], (h, w)), np.broadcast_to(v[:, None], (h, w))]


def _cholesky_solve(cov: list[list[np.ndarray]], rhs: list[np.ndarray]) -> list[np.ndarray]:
    """Solve ``cov x = rhs`` for every pixel at once (cov symmetric positive definite, given as
    C x C lists of (H, W) arrays): Cholesky by hand, vectorised over pixels (a batched LAPACK
    call costs ~2 us per pixel; this ~C^3/6 array operations)."""
    c = len(rhs)
    low: list[list[np.ndarray | None]] = [[None] * c for _ in range(c)]
    for j in range(c):
        s = cov[j][j]
        for k in range(j):
            s = s - low[j][k] * low[j][k]
        low[j][j] = np.sqrt(np.maximum(s, 1e-12))
        for i in range(j + 1, c):
            s = cov[i][j]
            for k in range(j):
                s = s - low[i][k] * low[j][k]
            low[i][j] = s / low[j][j]
    y: list[np.ndarray] = []
    for i in range(c):
        s = rhs[i]
        for k in range(i):
            s = s - low[i][k] * y[k]
        y.append(s / low[i][i])
    x: list[np.ndarray | None] = [None] * c
    for i in reversed(range(c)):
        s = y[i]
        for k in range(i + 1, c):
            s = s - low[k][i] * x[k]
        x[i] = s / low[i][i]
    return x  # type: ignore[return-value]


def _coefficients(p: np.ndarray, w: np.ndarray, g: list[np.ndarray], ncol: int, radius: int,
                  eps: float, noise: float) -> tuple[list[np.ndarray], np.ndarray]:
    """Window-averaged coefficients (a: C arrays, b) of the weighted local fit ``p ~ a . g + b``
    on one grid (float64: float32 loses the covariances to cancellation); NaN where no window
    around a pixel holds a known value.

    The first ``ncol`` channels are colour: ``eps`` is added to their variance, and their model
    is blended with a plane-only fit (the last two channels) by ``gamma = r / (r + noise)``, ``r``
    the window's variance of ``p`` about its best plane: a window whose stored values are a
    plane up to quantisation (``r`` ~ code^2 / 12) keeps its plane and does not copy the colour's
    texture into depth; a window across a depth edge (``r`` >> code^2) follows the colour.
    """
    c = len(g)
    pairs = [(i, j) for i in range(c) for j in range(i, c)]
    wg = [w * gi for gi in g]
    wp = w * p
    stack = np.stack([w, wp, wp * p, *wg, *[wg[i] * g[j] for i, j in pairs], *[x * p for x in wg]])
    m = _box(stack, radius)
    mw = m[0]
    support = mw > 1e-6
    inv = 1.0 / np.where(support, mw, 1.0)
    mp = m[1] * inv
    var_p = m[2] * inv - mp * mp
    mg = [m[3 + i] * inv for i in range(c)]
    cov: list[list[np.ndarray]] = [[None] * c for _ in range(c)]  # type: ignore[list-item]
    for k, (i, j) in enumerate(pairs):
        cov[i][j] = cov[j][i] = m[3 + c + k] * inv - mg[i] * mg[j]
    for i in range(c):
        cov[i][i] = cov[i][i] + (eps if i < ncol else 1e-6)
    rhs = [m[3 + c + len(pairs) + i] * inv - mg[i] * mp for i in range(c)]
    a = _cholesky_solve(cov, rhs)
    if ncol:
        pos = list(range(ncol, c))
        a_plane = _cholesky_solve([[cov[i][j] for j in pos] for i in pos], [rhs[i] for i in pos])
        resid = np.maximum(var_p - sum(ap * rhs[i] for ap, i in zip(a_plane, pos)), 0.0)
        gamma = resid / (resid + noise)
        a = [gamma * a[i] for i in range(ncol)] + [gamma * a[i] + (1.0 - gamma) * ap for i, ap in zip(pos, a_plane)]
    b = mp - sum(ai * mi for ai, mi in zip(a, mg))
    s = support.astype(np.float64)
    ms = _box(np.stack([s, *[ai * s for ai in a], b * s]), radius)
    ok = ms[0] > 1e-6
    inv = np.where(ok, 1.0 / np.where(ok, ms[0], 1.0), np.nan)
    return [ms[1 + i] * inv for i in range(c)], ms[1 + c] * inv


def _evaluate(coefs: list[np.ndarray], rgb: np.ndarray | None, lower: np.ndarray, upper: np.ndarray,
              keep: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``clip(o + sum_c a_c * rgb_c, lower, upper)`` at ``size``: the coefficients resampled
    bilinearly (Pillow, pixel centres aligned), the bounds and ``keep`` (NaN where False) those
    of the stored pixel each output pixel falls in.

    At 12 MP the work is a few dozen passes over 48 MB maps, so it is done in horizontal bands
    on a few threads (Pillow's resize and numpy's arithmetic release the GIL), each band's maps
    small enough to stay in cache; Pillow's ``box`` makes each band's resampling exactly that
    of the whole image.
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    from PIL import Image

    out_w, out_h = size
    out = np.empty((out_h, out_w), dtype=np.float32)
    src = [Image.fromarray(np.ascontiguousarray(x, dtype=np.float32), mode="F") for x in coefs]
    bil = Image.Resampling.BILINEAR
    # bounds and holes belong to the stored pixel an output pixel falls in (nearest, by index)
    sh, sw = lower.shape
    iy = np.minimum(((np.arange(out_h) + 0.5) * (sh / out_h)).astype(np.intp), sh - 1)
    ix = np.minimum(((np.arange(out_w) + 0.5) * (sw / out_w)).astype(np.intp), sw - 1)
    all_kept = bool(keep.all())

    def band(y0: int, y1: int) -> None:
        q = None
        for i, im in enumerate(src):
            ch, cw = im.size[1], im.size[0]
            up = np.asarray(im.resize((out_w, y1 - y0), bil, box=(0, y0 * ch / out_h, cw, y1 * ch / out_h)))
            if i == 0:
                q = up.copy()
            else:
                q += up * rgb[y0:y1, :, i - 1]
        rows = iy[y0:y1]
        np.clip(q, lower[rows][:, ix], upper[rows][:, ix], out=q)
        if not all_kept:
            q[~keep[rows][:, ix]] = np.nan
        out[y0:y1] = q

    rows = 128
    edges = list(range(0, out_h, rows)) + [out_h]
    workers = max(1, min(4, os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda ab: band(*ab), zip(edges[:-1], edges[1:])))
    return out


def _fit(d: np.ndarray, conf: np.ndarray, guide_depth: np.ndarray | None, radius: int, eps: float,
         coarse: int, code: float) -> list[np.ndarray]:
    """Steps 1-3 on a grid ``coarse`` times coarser than the depth map: float32 maps
    ``[offset, a_R, a_G, a_B]`` (colour in 0..255) or ``[offset]`` without a guide."""
    h, w = d.shape
    gw, gh = max(1, round(w / coarse)), max(1, round(h / coarse))
    wsum = _resize(conf, (gw, gh), box=True).astype(np.float64)
    psum = _resize(np.where(conf > 0, d * conf, np.float32(0.0)), (gw, gh), box=True).astype(np.float64)
    p = np.divide(psum, wsum, out=np.zeros_like(psum), where=wsum > 0)
    g = _positions((gh, gw), (h, w), radius)
    ncol = 0
    if guide_depth is not None:
        small = area_average(guide_depth, gw, gh)
        g = [small[:, :, i] / 255.0 for i in range(3)] + g
        ncol = 3
    a, b = _coefficients(p, wsum, g, ncol, max(1, round(radius / coarse)), eps, NOISE_CODES2 * code * code)
    # fold the position terms into the offset (they are linear, so they resample exactly) and
    # the 1/255 of the colour into its coefficients
    offset = b + a[ncol] * g[ncol] + a[ncol + 1] * g[ncol + 1]
    coefs = [offset] + [a[i] / 255.0 for i in range(ncol)]
    known = np.isfinite(offset)
    # where no window reaches a known pixel (deep inside a hole) the nearest known pixel's
    # coefficients are used: filled holes continue the surface around them
    return _nearest_fill([np.where(known, x, 0.0).astype(np.float32) for x in coefs], known)


def _bounds(d: np.ndarray, conf: np.ndarray, code: float, radius: int, tight: bool) -> tuple[np.ndarray, np.ndarray]:
    """Step 5 on the depth grid: ``stored -/+ code / (2 c)`` within the stored range of the
    window; ``tight``: half a code everywhere.  Holes get their nearest pixel's bounds."""
    valid = np.isfinite(d)
    win = 2 * radius + 1
    lo = _window_extreme(np.where(valid, d, np.inf), win, largest=False)
    hi = _window_extreme(np.where(valid, d, -np.inf), win, largest=True)
    # without a guide nothing tells a blurred edge from a steep surface: every pixel stays in
    # its quantisation interval (de-quantisation only, edges as stored)
    tol = np.float32(0.5 * code) / (np.float32(1.0) if tight else np.maximum(conf, np.float32(1e-6)))
    lower = np.where(valid, np.maximum(lo, d - tol), lo)
    upper = np.where(valid, np.minimum(hi, d + tol), hi)
    bounded = np.isfinite(lower) & np.isfinite(upper)
    lower, upper = _nearest_fill([np.where(bounded, x, 0.0).astype(np.float32) for x in (lower, upper)], bounded)
    return lower, upper


@keyword_options
def refine(cap: Capture, *, size: Any = "depth", fill: bool = False, guide: str | None = "colour",
           radius: int = 6, eps: float = 5e-5, coarse: int = 3) -> Capture:
    """A new :class:`~depthlab.Capture` with refined float disparity (and depth) at ``size``.

    Parameters
    ----------
    cap : the capture to refine (it is not changed).
    size : ``"depth"`` (the stored map's size, the default), ``"colour"`` (the photo's size) or
        ``(width, height)`` of the same aspect; at most :data:`MAX_PIXELS`.
    fill : fill holes from the colour-guided fit around them (default False: holes stay holes).
    guide : ``"colour"`` (the default) or None.  A capture without a colour image (e.g. a Lens
        Blur JPEG without its photo) needs ``guide=None``: the map is then de-quantised along
        local planes only, edges are kept as stored (not sharpened), and the provenance says so.
    radius : window radius in depth-map pixels (6: wider than the rear camera's blurred edges).
    eps : ridge on the colour coefficients (colour in 0..1); larger keeps more of the stored map,
        smaller follows the colour edges more closely.
    coarse : the local fits are made on a grid this many times coarser than the depth map and
        resampled (He & Sun's fast guided filter; 1 = on the depth grid itself, slower).

    Returns
    -------
    Capture
        Same calibration (``calibration.intrinsics_at(w, h)`` gives the new size's intrinsics),
        accuracy, camera, mattes and colour; ``encoding`` says what it now is (32-bit float
        disparity, :func:`refined_encoding`); ``disparity`` float32
        at ``size`` (1/m, NaN where unknown); ``metadata["refined"]`` holds the
        :class:`Refinement` as a dict and ``metadata["notes"]`` says it in words.

    Raises
    ------
    InvalidInputError
        Bad ``size`` (zero, above 50 MP, another aspect), a bad ``radius``/``eps``/``guide``,
        a capture without colour and ``guide="colour"``, or a map without a known pixel.

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/rear_dual.heic")
    >>> fine = depthlab.refine(cap)
    >>> fine.disparity.shape == cap.disparity.shape, fine.disparity.dtype
    (True, dtype('float32'))
    >>> fine.metadata["notes"][-1][:40]
    'refined by depthlab.refine from 768x576 '
    """
    t0 = time.perf_counter()
    require_capture(cap, "refine()")
    if guide not in ("colour", "color", None):
        raise InvalidInputError(f"guide must be 'colour' or None, got {guide!r}")
    guide = None if guide is None else "colour"
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or not 1 <= radius <= 50:
        raise InvalidInputError(f"radius must be a whole number of depth pixels from 1 to 50, got {radius!r}")
    if not (isinstance(eps, (int, float)) and np.isfinite(eps) and eps > 0):
        raise InvalidInputError(f"eps must be a positive number, got {eps!r}")
    if isinstance(coarse, bool) or not isinstance(coarse, (int, np.integer)) or not 1 <= coarse <= 8:
        raise InvalidInputError(f"coarse must be a whole number from 1 to 8, got {coarse!r}")
    if guide and not cap.has_rgb:
        raise InvalidInputError(
            "this capture has no colour image to guide the refinement (e.g. a depth map without its photo); "
            "pass guide=None to de-quantise it without a guide (edges are then kept as stored, not sharpened)")
    out_w, out_h = target_size(cap, size)
    d = cap.disparity
    valid = np.isfinite(d)
    if not valid.any():
        raise InvalidInputError("the capture has no known depth pixel to refine")
    h, w = d.shape
    code = code_step(cap)
    conf = confidence(d, code)
    if cap.has_confidence:  # a stored confidence map (Dynamic Depth) weighs in too
        conf = conf * np.clip(cap.confidence, 0.0, 1.0).astype(np.float32)
    guide_depth = cap.rgb_at(w, h) if guide else None  # the photo area-averaged once (the capture caches it)
    coefs = _fit(d, conf, guide_depth, int(radius), float(eps), int(coarse), code)
    lower, upper = _bounds(d, conf, code, int(radius), tight=not guide)
    keep = np.ones_like(valid) if fill else valid

    # 4: evaluate at the output size with the guide at that size
    size_wh = (out_w, out_h)
    if size_wh == (w, h):
        q = _resize(coefs[0], size_wh).copy()
        for i in range(len(coefs) - 1):
            q += _resize(coefs[1 + i], size_wh) * guide_depth[:, :, i]
        q = np.clip(q, lower, upper, out=q)
        q[~keep] = np.nan
    else:
        q = _evaluate(coefs, area_average(cap.rgb, out_w, out_h) if guide else None, lower, upper, keep, size_wh)

    info = Refinement(method="confidence-weighted guided filter (colour + position channels), clamped to the stored quantisation",
                      source_size=(w, h), size=size_wh, guide=guide, radius=int(radius), eps=float(eps), code_per_m=float(code),
                      fill=bool(fill), seconds=round(time.perf_counter() - t0, 4),
                      filled_fraction=float(np.mean(~valid)) if fill else 0.0, depth_unit=cap.depth_unit)
    return _refined_capture(cap, q, info)


def refined_encoding(cap: Capture) -> DepthEncoding:
    """What a refined map is: float32 disparity in 1/m (no quantisation step), saying what it was
    refined from (the source's own encoding stays in ``metadata["refined"]``'s provenance)."""
    src = cap.encoding
    was = "an unknown encoding" if src is None else f"{src.bits}-bit {src.quantity}" + (f" ({src.format})" if src.format else "")
    return DepthEncoding(quantity="disparity", bits=32, int_min=0, int_max=0, format=f"float32, refined from {was}",
                         units="1/m" if cap.depth_unit == "m" else "1/unit (the file's own)")


def _refined_capture(cap: Capture, q: np.ndarray, info: Refinement) -> Capture:
    """The new Capture: everything of ``cap`` but the disparity (and its confidence, which was
    measured for the source's map), plus the provenance."""
    meta = dict(cap.metadata) if isinstance(cap.metadata, dict) else {}
    meta["refined"] = info.to_dict()
    meta["notes"] = list(meta.get("notes") or []) + [str(info)]
    out = Capture(
        disparity=q, calibration=cap.calibration, accuracy=cap.accuracy, camera=cap.camera, encoding=refined_encoding(cap),
        mattes=cap.mattes, path=cap.path, format=f"{cap.format} (refined)" if cap.format else "refined", metadata=meta,
        # the photo is the source's: decoded once, shared (not copied)
        rgb_loader=(lambda: cap.rgb) if cap.has_rgb else None, rgb_size=cap.rgb_size,
        views=cap.views,  # a stereo pair's two photos: independent of the map's size, shared as well
    )
    if info.guide:
        out.set_rgb(cap.rgb)
    return out
