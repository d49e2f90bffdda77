"""Depth you compute yourself: a rectified stereo pair, its focal length and baseline -> a Capture.

:func:`stereo` matches the two views with OpenCV's semi-global matcher (SGBM, Hirschmüller 2008),
checks the result against the right view's own match (left-right consistency) and turns pixels of
disparity into the package's disparity in 1/m::

    disparity [1/m] = d [px at the calibration's width] / (focal_px * baseline_m)      depth = f B / d

so the result is *absolute*: metres that come from the file's own calibration, not a guess.

Matcher settings, and why (all at the working size, at most ``work_max_side`` = 1024 px, 2.5x
below an Apple spatial photo's 2560: SGBM's work grows with the cube of the side (pixels times
disparities), so 1024 costs half of 1280 and an eighth of full size.  Measured on a generated
2560 pair, the per-plane median depth error is 0.07-0.53 % at 1024 against 0.11-0.45 % at 1280;
on the shared spatial photo 75 % of pixels are measured against 71 % -- each 5x5 block then
covers more of the photo's texture):

* **block 5x5**: small enough to keep thin leaves and edges, large enough for a stable census
  of texture at the working size; SGBM's smoothness terms do the rest.
* **P1 = 8·b², P2 = 32·b²** (b = block size): OpenCV's documented pair for one channel.  P1
  lets slanted surfaces (a deck seen at a grazing angle) change by one pixel per step, P2
  blocks jumps except at edges.
* **disparity range from the data**: ORB features matched between the working-size views (each
  match refined to a fraction of a pixel by Lucas-Kanade) give the 1st-99th percentile of
  horizontal offsets; the range is that, widened by 20 % and 8 px, rounded to 16 (or from
  ``depth_range_m`` when given).  The same matches measure how well the pair is
  rectified: a median vertical offset above ``max_vertical_offset_px`` is refused; a smaller one
  is corrected by shifting the right view before matching (recorded in the metadata).
* **uniqueness 10 %**: the best cost must beat the second best by 10 %, or the pixel stays a hole
  (repeated texture such as deck boards is where SGBM guesses).
* **speckle filter** 100 px at 1 px: islands of a different disparity smaller than that are holes.
* **subpixel**: SGBM's parabola through the three costs around the minimum (1/16 px), then a
  least-squares step on the image gradient per 9x9 window (:func:`_subpixel`): the parabola
  alone pulls depths towards whole pixels.
* **left-right check**: the right view is matched too (on mirrored images); a left pixel whose
  right partner disagrees by more than 1 px is a hole (occlusions, mismatches).
* mode **3-way** (SGBM_MODE_SGBM_3WAY): the same answers as 5-direction SGBM here in half the time.

Confidence (``cap.confidence``, 0..1) is the product of left-right agreement
``1 / (1 + (|dL - dR| / 0.5 px)^2)`` and texture ``g^2 / (g^2 + 4^2)`` with ``g`` the local mean
horizontal gradient of the left view (grey levels per pixel): matching has nothing to hold on to
in flat regions even where it agrees with itself.

Holes stay NaN (also shifts below one working pixel: :data:`MIN_SHIFT_PX`).  ``fill=True`` fills them with :func:`depthlab.refine` (colour-guided) for looks;
the filled pixels are flagged in ``metadata["filled"]`` (a boolean mask) and have confidence 0.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..capture import Calibration, CameraInfo, Capture, DepthEncoding
from ..checks import keyword_options
from ..deps import require
from ..errors import InvalidInputError
from ..settings import positive_number

#: the largest side matched; bigger pairs are area-averaged down to it first
WORK_MAX_SIDE = 1024
#: a pair whose ORB matches sit further apart vertically than this (median, full-size pixels) is
#: not rectified: matching along rows would return garbage
MAX_VERTICAL_OFFSET_PX = 2.0
BLOCK = 5
UNIQUENESS = 10
SPECKLE_WINDOW = 100
SPECKLE_RANGE = 1
LR_MAX_DIFF_PX = 1.0
#: the smallest shift kept (working pixels): below one pixel the matching error is a large part of
#: the shift, so depth beyond f·B/1 px (39 m for a spatial photo matched at 1024) is a hole
MIN_SHIFT_PX = 1.0
#: fewest ORB matches that measure rectification, and the disparity range
MIN_MATCHES = 12
RANGE_MATCHES = 100
#: ORB features per view, found on the working-size views (brute-force matching costs their square:
#: 1500 match in ~0.04 s; 1000 miss the nearest features of the shared spatial photo)
ORB_FEATURES = 1500
#: matches within this many working pixels of the median vertical offset are correspondences
VERTICAL_BAND_PX = 1.0
#: window of the Lucas-Kanade step that refines each feature match to a fraction of a pixel
LK_WINDOW = 15
#: window of the subpixel step (larger than the matching block: the shift is one number per window)
SUBPIXEL_WINDOW = 9

__all__ = ["stereo", "StereoSettings", "feature_offsets", "WORK_MAX_SIDE", "MAX_VERTICAL_OFFSET_PX"]


@dataclass(frozen=True)
class StereoSettings:
    """What the matcher was given, for ``metadata["stereo"]`` (provenance)."""

    work_size: tuple[int, int]
    scale: float  # full-size pixels per working pixel
    min_disparity: int  # working pixels
    num_disparities: int
    block: int
    p1: int
    p2: int
    uniqueness: int
    speckle_window: int
    speckle_range: int
    lr_max_diff_px: float
    range_from: str
    vertical_offset_px: float | None  # median, full size; the right view was shifted by it
    matches: int
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _cv2():
    return require("cv2", "computing depth from a stereo pair")


def _grey(img: Any, which: str) -> np.ndarray:
    a = np.asarray(img)
    if a.dtype != np.uint8 or not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (3, 4))):
        raise InvalidInputError(f"the {which} view must be a uint8 RGB image (H, W, 3), got {a.dtype} {a.shape}")
    if min(a.shape[:2]) < 32:
        raise InvalidInputError(f"the {which} view is {a.shape[1]}x{a.shape[0]} pixels; a stereo pair needs at least 32x32")
    if a.ndim == 2:
        return a
    cv2 = _cv2()
    return cv2.cvtColor(np.ascontiguousarray(a[:, :, :3]), cv2.COLOR_RGB2GRAY)


def feature_offsets(left_grey: np.ndarray, right_grey: np.ndarray) -> np.ndarray:
    """(N, 2) offsets ``(x_left - x_right, y_left - y_right)`` of ORB features matched between
    two grey views (cross-checked, Hamming distance), each refined to a fraction of a pixel by
    Lucas-Kanade (ORB's own positions sit on its pyramid's grid); empty when nothing matches."""
    cv2 = _cv2()
    orb = cv2.ORB_create(nfeatures=ORB_FEATURES)
    k1, d1 = orb.detectAndCompute(left_grey, None)
    k2, d2 = orb.detectAndCompute(right_grey, None)
    if d1 is None or d2 is None or len(k1) == 0 or len(k2) == 0:
        return np.zeros((0, 2))
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(d1, d2)
    if not matches:
        return np.zeros((0, 2))
    p1 = np.float32([k1[m.queryIdx].pt for m in matches]).reshape(-1, 1, 2)
    p2 = np.float32([k2[m.trainIdx].pt for m in matches]).reshape(-1, 1, 2)
    win = (LK_WINDOW, LK_WINDOW)
    q2, found, _ = cv2.calcOpticalFlowPyrLK(left_grey, right_grey, p1, p2.copy(), winSize=win, maxLevel=1,
                                            flags=cv2.OPTFLOW_USE_INITIAL_FLOW)
    # a refinement that wandered off (more than 2 px from ORB's position) keeps ORB's position
    keep = (found.ravel() == 1) & (np.abs(q2 - p2).reshape(-1, 2).max(axis=1) <= 2.0)
    p2[keep] = q2[keep]
    return (p1 - p2).reshape(-1, 2).astype(np.float64)


def _refuse_swapped(dx: np.ndarray, scale: float) -> None:
    """Refuse a pair given right view first: in a rectified (left, right) pair a feature sits at
    least as far right in the left view as in the right one (x_left - x_right >= 0); when nearly
    every row-aligned match points the other way, matching would give plausible-looking wrong depth."""
    if dx.size >= RANGE_MATCHES and np.mean(dx < -1.0) > 0.9:
        raise InvalidInputError(
            f"the views look swapped: {np.mean(dx < -1.0) * 100:.0f} % of {dx.size} matched features sit further left in "
            f"the 'left' view than in the 'right' one (median {float(np.median(dx)) * scale:.1f} px); pass the left "
            "camera's view first: stereo(left, right, ...)")


def _search_range(offsets: np.ndarray, width: int, scale: float, focal_px: float, baseline_m: float,
                  depth_range_m: tuple[float, float] | None, max_vertical: float) -> tuple[int, int, str, float | None]:
    """(min_disparity, num_disparities) in working pixels, where they came from, and the median
    vertical offset (full-size pixels); refuses a pair that is not rectified."""
    dx, dy = offsets[:, 0], offsets[:, 1]
    _refuse_swapped(dx[(np.abs(dy) < 16) & (np.abs(dx) < 0.5 * width)], scale)
    # plausible matches: along the rows within a generous band, pointing the right way
    ok = (np.abs(dy) < 16) & (dx > -0.05 * width) & (dx < 0.5 * width)
    vertical = None
    if ok.sum() >= MIN_MATCHES:
        vertical = float(np.median(dy[ok])) * scale
        if abs(vertical) > max_vertical:
            raise InvalidInputError(
                f"the two views are not rectified: matched features sit {abs(vertical):.1f} px apart vertically "
                f"(median of {int(ok.sum())} matches; at most {max_vertical:g} px is matched along rows). "
                "Rectify the pair first (e.g. OpenCV's stereoRectify with the cameras' calibration)")
        # true correspondences of a rectified pair share one vertical offset: the others are mismatches
        ok &= np.abs(dy - vertical / scale) <= VERTICAL_BAND_PX
    if depth_range_m is not None:
        near, far = (positive_number("depth_range_m", v, " (m)") for v in depth_range_m)
        if far <= near:
            raise InvalidInputError(f"depth_range_m must be (near, far) with near < far, got {depth_range_m!r}")
        lo, hi, source = focal_px * baseline_m / far / scale, focal_px * baseline_m / near / scale, "depth_range_m"
    elif ok.sum() >= RANGE_MATCHES:
        lo, hi = np.percentile(dx[ok], [1, 99])
        source = f"ORB feature matches (1st-99th percentile of {int(ok.sum())})"
    else:  # too few features to trust their extremes: the default span, stretched to cover them
        lo = min(0.0, float(dx[ok].min())) if ok.any() else 0.0
        hi = max(width / 4.0, float(dx[ok].max()) if ok.any() else 0.0)
        source = f"default 0..width/4 ({int(ok.sum())} feature matches are too few to measure it)"
    margin = 0.2 * (hi - lo) + 8 if source.startswith("ORB") else 8  # percentiles miss the extremes
    lo, hi = max(lo - margin, -0.05 * width), hi + margin
    mn = int(math.floor(lo))
    num = int(math.ceil((hi - mn) / 16.0)) * 16
    return mn, max(16, min(num, 16 * int(math.ceil(width / 2 / 16)))), source, vertical


def _shift_rows(img: np.ndarray, dy: float) -> np.ndarray:
    """``img`` moved down by ``dy`` pixels (bilinear, edges replicated)."""
    cv2 = _cv2()
    m = np.float32([[1, 0, 0], [0, 1, dy]])
    return cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _match(left: np.ndarray, right: np.ndarray, mn: int, num: int) -> tuple[np.ndarray, np.ndarray]:
    """Left and right disparity (working px, float32, NaN where SGBM found nothing)."""
    cv2 = _cv2()

    def sgbm(min_disp: int) -> Any:
        return cv2.StereoSGBM_create(minDisparity=min_disp, numDisparities=num, blockSize=BLOCK,
                                     P1=8 * BLOCK * BLOCK, P2=32 * BLOCK * BLOCK, disp12MaxDiff=-1,
                                     uniquenessRatio=UNIQUENESS, speckleWindowSize=SPECKLE_WINDOW,
                                     speckleRange=SPECKLE_RANGE, mode=cv2.STEREO_SGBM_MODE_SGBM_3WAY)

    def as_float(raw: np.ndarray, min_disp: int) -> np.ndarray:
        d = raw.astype(np.float32) / np.float32(16.0)
        d[raw < (min_disp - 1) * 16 + 8] = np.nan  # SGBM marks "no match" as (minDisparity - 1) * 16
        return d

    def run(ref: np.ndarray, other: np.ndarray) -> np.ndarray:
        # SGBM leaves the reference's first min+num columns empty; a replicated margin lets the
        # pixels near the edge whose match lies inside the other view be measured
        pad = max(0, mn + num)
        a = cv2.copyMakeBorder(np.ascontiguousarray(ref), 0, 0, pad, 0, cv2.BORDER_REPLICATE)
        b = cv2.copyMakeBorder(np.ascontiguousarray(other), 0, 0, pad, 0, cv2.BORDER_REPLICATE)
        return as_float(sgbm(mn).compute(a, b)[:, pad:], mn)

    dl = run(left, right)
    # the right view's disparities: the same search on the mirrored pair (right becomes the reference)
    dr = run(right[:, ::-1], left[:, ::-1])[:, ::-1]
    return dl, np.ascontiguousarray(dr)


def _subpixel(left: np.ndarray, right: np.ndarray, d: np.ndarray, iterations: int = 2) -> np.ndarray:
    """``d`` refined by a least-squares shift per 9x9 window (Lucas-Kanade along the row).

    SGBM's parabola through three matching costs pulls disparities towards whole pixels
    ("pixel locking", up to ~0.3 px: 2 % of depth at 15 px of disparity).  Here the right view is
    resampled at ``x - d`` and the shift ``delta`` that minimises
    ``sum (R(x - d - delta) - L(x))^2`` over the window is solved from the gradient:
    ``delta = sum(e * Rx) / sum(Rx^2)`` with ``e = R(x - d) - L(x)``; two steps, each at most
    half a pixel.  Windows without gradient keep SGBM's value.
    """
    cv2 = _cv2()
    lf = cv2.GaussianBlur(left.astype(np.float32), (0, 0), 0.7)
    rf = cv2.GaussianBlur(right.astype(np.float32), (0, 0), 0.7)
    rx = cv2.Sobel(rf, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    h, w = d.shape
    xs = np.arange(w, dtype=np.float32)[None, :]
    ys = np.repeat(np.arange(h, dtype=np.float32)[:, None], w, axis=1)
    known = np.isfinite(d)
    mask = known.astype(np.float32)
    out = np.where(known, d, np.float32(0.0))
    win = (SUBPIXEL_WINDOW, SUBPIXEL_WINDOW)
    for _ in range(iterations):  # in place where it can be: each full-size pass costs ~1 ms
        mx = xs - out
        e = cv2.remap(rf, mx, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        g = cv2.remap(rx, mx, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        g *= mask  # holes take no part in their neighbours' sums
        e -= lf
        e *= g
        g *= g
        num = cv2.boxFilter(e, -1, win, normalize=False)
        den = cv2.boxFilter(g, -1, win, normalize=False)
        delta = np.divide(num, den, out=np.zeros_like(num), where=den > 1.0)
        out += np.clip(delta, -0.5, 0.5, out=delta)
    out[~known] = np.nan
    return out


def _lr_check(dl: np.ndarray, dr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left disparity with inconsistent pixels removed, and the left-right disagreement (px)."""
    h, w = dl.shape
    xs = np.arange(w, dtype=np.float32)[None, :]
    xr = np.rint(xs - np.where(np.isfinite(dl), dl, np.float32(-1e6))).astype(np.int32)  # a hole looks outside
    partner = np.take_along_axis(dr, np.clip(xr, 0, w - 1), axis=1)
    partner[(xr < 0) | (xr >= w)] = np.nan
    diff = np.abs(dl - partner)
    return np.where(diff <= LR_MAX_DIFF_PX, dl, np.float32(np.nan)), diff


def _confidence(grey: np.ndarray, diff: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """0..1: left-right agreement times texture (see the module docstring)."""
    cv2 = _cv2()
    gx = np.abs(cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)) / np.float32(4.0)
    g = cv2.blur(gx, (BLOCK, BLOCK))
    texture = g * g / (g * g + np.float32(16.0))
    agree = np.float32(1.0) / (np.float32(1.0) + (np.nan_to_num(diff, nan=1e3) / np.float32(0.5)) ** 2)
    c = (agree * texture).astype(np.float32)
    c[~valid] = 0.0
    return c


def _checked_pair(left: Any, right: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(left RGB, left grey, right grey) after the checks every pair must pass."""
    gl, gr = _grey(left, "left"), _grey(right, "right")
    if gl.shape != gr.shape:
        raise InvalidInputError(
            f"the views differ in size: left {gl.shape[1]}x{gl.shape[0]}, right {gr.shape[1]}x{gr.shape[0]}; "
            "a rectified pair has two views of the same size")
    if np.array_equal(gl, gr):
        raise InvalidInputError("the two views are identical: there is no parallax to measure depth from "
                                "(the same image given twice, or a 2D photo)")
    lrgb = np.asarray(left)
    if lrgb.ndim == 2:
        lrgb = np.repeat(lrgb[:, :, None], 3, axis=2)
    return np.ascontiguousarray(lrgb[:, :, :3]), gl, gr


def _work(grey: np.ndarray, work_max_side: int) -> tuple[np.ndarray, float]:
    h, w = grey.shape
    s = max(1.0, max(h, w) / float(work_max_side))
    if s == 1.0:
        return grey, 1.0
    cv2 = _cv2()
    size = (max(1, int(round(w / s))), max(1, int(round(h / s))))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA), w / size[0]


@keyword_options
def stereo(left: Any, right: Any, *, focal_px: float, baseline_m: float, cx: float | None = None,
           cy: float | None = None, depth_range_m: tuple[float, float] | None = None, fill: bool = False,
           work_max_side: int = WORK_MAX_SIDE, max_vertical_offset_px: float = MAX_VERTICAL_OFFSET_PX,
           metadata: Mapping[str, Any] | None = None, **capture_fields: Any) -> Capture:
    """Depth from a rectified stereo pair: a :class:`~depthlab.Capture` with absolute accuracy.

    ``left`` and ``right`` are uint8 RGB arrays of the same size, rectified (rows correspond),
    ``left`` is the reference (its pixels get depth; it is the capture's colour).  ``focal_px``
    is the focal length in pixels at this size, ``baseline_m`` the distance between the two
    cameras' centres; ``cx``, ``cy`` the principal point (corner origin; default the centre).
    ``depth_range_m=(near, far)`` bounds the search (default: measured from feature matches).
    ``fill=True`` fills holes for looks (flagged in ``metadata["filled"]``, confidence 0).
    ``path``, ``format`` and ``camera`` may be given to describe where the pair came from.

    >>> import numpy as np, depthlab
    >>> right = np.random.default_rng(0).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    >>> left = np.roll(right, 8, axis=1)          # every point 8 px further right in the left view
    >>> cap = depthlab.stereo(left, right, focal_px=800, baseline_m=0.1)
    >>> round(float(np.nanmedian(cap.depth)), 3), cap.accuracy   # f B / d = 800 * 0.1 / 8
    (10.0, 'absolute')

    Raises :class:`~depthlab.errors.InvalidInputError` for views of different sizes or types,
    identical views, a pair that is not rectified (median vertical offset of matched features
    above ``max_vertical_offset_px``), or a focal length or baseline that is not positive.
    """
    t0 = time.perf_counter()
    focal = positive_number("focal_px", focal_px, " (pixels)")
    baseline = positive_number("baseline_m", baseline_m, " (metres between the two cameras)")
    max_vertical = positive_number("max_vertical_offset_px", max_vertical_offset_px, " (pixels)")
    if isinstance(work_max_side, bool) or not isinstance(work_max_side, (int, np.integer)) or work_max_side < 64:
        raise InvalidInputError(f"work_max_side must be a whole number of pixels >= 64, got {work_max_side!r}")
    rgb, gl, gr = _checked_pair(left, right)
    h, w = gl.shape
    wl, scale = _work(gl, int(work_max_side))
    wr, _ = _work(gr, int(work_max_side))
    # features on the working-size views (~3x cheaper than at full size), refined to
    # subpixel positions: their median measures the vertical offset to a fraction of a pixel
    offsets = feature_offsets(wl, wr)
    mn, num, source, vertical = _search_range(offsets, wl.shape[1], scale, focal, baseline, depth_range_m, max_vertical)
    if vertical is not None and abs(vertical) >= 0.25:
        wr = _shift_rows(wr, vertical / scale)
    dl, dr = _match(wl, wr, mn, num)
    d, diff = _lr_check(dl, dr)
    d = _subpixel(wl, wr, d)
    measured = np.isfinite(d) & (d >= MIN_SHIFT_PX)
    d[~measured] = np.nan
    conf = _confidence(wl, diff, measured)
    settings = StereoSettings(work_size=(wl.shape[1], wl.shape[0]), scale=float(scale), min_disparity=mn,
                              num_disparities=num, block=BLOCK, p1=8 * BLOCK * BLOCK, p2=32 * BLOCK * BLOCK,
                              uniqueness=UNIQUENESS, speckle_window=SPECKLE_WINDOW, speckle_range=SPECKLE_RANGE,
                              lr_max_diff_px=LR_MAX_DIFF_PX, range_from=source, vertical_offset_px=vertical,
                              matches=len(offsets), seconds=round(time.perf_counter() - t0, 4))
    k = np.array([[focal, 0.0, w / 2.0 if cx is None else float(cx)],
                  [0.0, focal, h / 2.0 if cy is None else float(cy)], [0.0, 0.0, 1.0]])
    meta: dict[str, Any] = {"baseline_m": baseline, "focal_px": focal, **dict(metadata or {})}
    meta["stereo"] = settings.to_dict() | {"measured_fraction": float(measured.mean())}
    meta.setdefault("notes", []).append(
        f"depth computed from a stereo pair: OpenCV semi-global matching at {wl.shape[1]}x{wl.shape[0]}, "
        f"f {focal:.2f} px, baseline {baseline * 1000:.3f} mm; {measured.mean():.0%} of pixels measured")
    cap = Capture(
        disparity=(d * np.float32(scale / (focal * baseline))).astype(np.float32),
        calibration=Calibration(intrinsic_matrix=k, reference_size=(w, h),
                                source=str(meta.get("intrinsics_source", "given to depthlab.stereo"))),
        accuracy="absolute",
        camera=capture_fields.pop("camera", None) or CameraInfo(kind="stereo pair"),
        encoding=DepthEncoding(quantity="disparity", bits=32, format="computed: OpenCV SGBM, 1/16 px"),
        format=capture_fields.pop("format", "stereo pair"), metadata=meta,
        confidence_loader=lambda: conf, rgb_loader=lambda: rgb, rgb_size=(w, h),
        views={"left": rgb, "right": _rgb(right)}, **capture_fields)
    return _filled(cap, measured) if fill else cap


def _rgb(img: Any) -> np.ndarray:
    a = np.asarray(img)
    return np.repeat(a[:, :, None], 3, axis=2) if a.ndim == 2 else np.ascontiguousarray(a[:, :, :3])


def _filled(cap: Capture, measured: np.ndarray) -> Capture:
    """``cap`` with its holes filled by :func:`depthlab.refine`; the filled pixels flagged."""
    from ._refine import refine

    out = refine(cap, fill=True)
    conf = np.where(measured, cap.confidence, np.float32(0.0)).astype(np.float32)
    out.confidence_loader = lambda: conf
    out.metadata["filled"] = ~measured & np.isfinite(out.disparity)
    out.metadata["notes"].append(
        f"{int(out.metadata['filled'].sum())} holes filled for looks (metadata['filled']); they are not measurements")
    return out
