"""Synthetic refocus (``depthlab.refocus``): the portrait blur re-rendered from the depth map, with a thin lens.

>>> import depthlab
>>> cap = depthlab.open("data/sample/rear_dual.heic")
>>> img = depthlab.refocus(cap, f_number=1.4, size=(384, 288))
>>> img.shape, img.dtype, round(img.focus_m, 2)
((288, 384, 3), dtype('uint8'), 1.15)

The blur is a thin lens's circle of confusion, ``c = (f**2 / N) * z_f / (z_f - f) * |1/z - 1/z_f|``
(35 mm-equivalent ``f`` and ``N``), rendered in layers by depth and composited far to near;
``docs/refocus.md`` explains the lens, the units of relative-accuracy photos and the rendering.
Conventions: depth in m along the optical axis, disparity in 1/m, blur radii in pixels of the
image rendered (positive in front of the focus).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CalibrationError, InvalidInputError
from ..checks import image_size, keyword_options, positive_number, require_capture
from .resample import area_average, resize_map

#: Diagonal of the 36x24 mm frame that 35 mm-equivalent focal lengths refer to, in mm.
FRAME_35MM_DIAGONAL_MM = math.hypot(36.0, 24.0)

#: The named focus targets of ``refocus(focus=...)``.
FOCUS_TARGETS = ("subject", "background")

#: Blurring works on an image at most this many pixels on its long side.
WORK_MAX_SIDE = 512



# --------------------------------------------------------------------------------------------
# The lens
# --------------------------------------------------------------------------------------------


def blur_diameter_mm(depth_m: Any, focus_m: float, f_number: float, focal_length_mm: float) -> np.ndarray:
    """Thin-lens circle-of-confusion diameter on the sensor, in mm, for points at ``depth_m``.

    ``c = (f**2 / N) * z_f / (z_f - f) * |1/z - 1/z_f|`` with ``f`` in mm and the distances in
    metres (converted).  With ``focal_length_mm`` a 35 mm-equivalent focal length (and
    ``f_number`` read as 35 mm-equivalent), the diameter is on a 36x24 mm frame.

    Convention: depth along the optical axis, metres; NaN depth gives NaN.

    >>> from depthlab.imaging._refocus import blur_diameter_mm
    >>> round(float(blur_diameter_mm(3.0, 1.0, 2.0, 26.0)), 3)
    0.231
    """
    n = positive_number("f_number", f_number)
    f = positive_number("focal_length_mm", focal_length_mm, " (mm)")
    zf = positive_number("focus", focus_m, " (metres)")
    if zf * 1000.0 <= f:
        raise InvalidInputError(f"focus {zf:g} m is not beyond the focal length ({f:g} mm); nothing can be focused there")
    z = np.asarray(depth_m, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.abs(1.0 / z - 1.0 / zf) / 1000.0  # 1/mm
    return (f * f / n) * (zf * 1000.0 / (zf * 1000.0 - f)) * delta


def blur_radius_px(depth_m: Any, focus_m: float, f_number: float, focal_length_35mm: float,
                   image_size: tuple[int, int]) -> np.ndarray:
    """Signed blur radius in pixels of an image of ``image_size`` = (width, height).

    Positive in front of the focus, negative behind it (``|r|`` is half the circle of
    confusion).  The 35 mm-equivalent frame's diagonal is mapped onto the image's diagonal.

    Convention: depth in metres along the optical axis; radius in pixels of ``image_size``.

    >>> from depthlab.imaging._refocus import blur_radius_px
    >>> [round(float(r), 1) for r in blur_radius_px([0.5, 2.0, 4.0], 1.0, 2.8, 26.0, (4032, 3024))]
    [14.4, -7.2, -10.8]
    """
    w, h = (int(v) for v in image_size)
    z = np.asarray(depth_m, dtype=np.float64)
    c = blur_diameter_mm(z, focus_m, f_number, focal_length_35mm)
    scale = math.hypot(w, h) / FRAME_35MM_DIAGONAL_MM / 2.0
    with np.errstate(invalid="ignore"):
        sign = np.where(z < float(focus_m), 1.0, -1.0)
    return sign * c * scale


def radius_per_disparity(focus_m: float, f_number: float, focal_length_35mm: float,
                         image_size: tuple[int, int]) -> float:
    """``k`` in ``r = k * (d - d_focus)``: blur radius (pixels of ``image_size``) per 1/m of disparity."""
    f = positive_number("focal_length_35mm", focal_length_35mm, " (mm)")
    n = positive_number("f_number", f_number)
    zf = positive_number("focus", focus_m, " (metres)")
    if zf * 1000.0 <= f:
        raise InvalidInputError(f"focus {zf:g} m is not beyond the focal length ({f:g} mm); nothing can be focused there")
    w, h = (int(v) for v in image_size)
    return (f * f / n) * (zf * 1000.0 / (zf * 1000.0 - f)) / 1000.0 * math.hypot(w, h) / FRAME_35MM_DIAGONAL_MM / 2.0


def lens_focal_length_35mm(cap: Any) -> tuple[float, str]:
    """The capture's 35 mm-equivalent focal length (mm) and where it came from.

    EXIF ``FocalLengthIn35mmFilm`` first; else the calibration's focal length in pixels over the
    reference image's diagonal (``f35 = fx * 43.27 / diagonal_px``).

    >>> import depthlab
    >>> from depthlab.imaging._refocus import lens_focal_length_35mm
    >>> lens_focal_length_35mm(depthlab.open("data/sample/rear_dual.heic"))
    (26.0, 'EXIF FocalLengthIn35mmFilm')
    """
    f35 = getattr(cap.camera, "focal_length_35mm", None)
    if f35 is not None and math.isfinite(float(f35)) and float(f35) > 0:
        return float(f35), "EXIF FocalLengthIn35mmFilm"
    cal = cap.calibration
    if cal is not None:
        w, h = cal.reference_size
        return cal.fx * FRAME_35MM_DIAGONAL_MM / math.hypot(w, h), "calibration focal length over the image diagonal"
    raise CalibrationError(
        "this photo states no 35 mm-equivalent focal length (EXIF FocalLengthIn35mmFilm) and has no "
        "calibration to derive one; pass focal_length_35mm=... (e.g. 26 for a phone's main camera)"
    )


# --------------------------------------------------------------------------------------------
# Where to focus
# --------------------------------------------------------------------------------------------


def _fill_unknown(disparity: np.ndarray) -> np.ndarray:
    """Unknown (NaN/<=0) disparity replaced by the nearest known value (scipy's distance transform)."""
    d = np.asarray(disparity, dtype=np.float32)
    bad = ~(np.isfinite(d) & (d > 0))
    if not bad.any():
        return d
    if bad.all():
        raise InvalidInputError("the depth map holds no valid value; there is nothing to focus on or blur by")
    ndimage = _scipy_ndimage()
    idx = ndimage.distance_transform_edt(bad, return_distances=False, return_indices=True)
    return d[idx[0], idx[1]]


def _resize_float(a: np.ndarray, width: int, height: int, resample: str = "bilinear") -> np.ndarray:
    return resize_map(a, width, height, resample)


def _subject_biased(disparity: np.ndarray) -> np.ndarray:
    """Disparity max-filtered over 3x3 depth pixels (nearer wins).

    Phone depth maps are stored at a fraction of the photo's resolution with soft edges, so the
    pixels along a subject's outline carry a disparity between the subject's and the
    background's and would be blurred half-way.  Moving each edge one depth pixel outwards
    renders the subject's outline in the subject's own layer; the price is a band of at most one
    depth pixel of background next to the subject blurred as little as the subject (measured on
    the rear sample: the head's rim changes half as much, see tests/test_refocus.py).
    """
    return _scipy_ndimage().grey_dilation(disparity, size=(3, 3))


@dataclass(frozen=True)
class FocusChoice:
    """Where :func:`choose_focus` focused: distance (capture units, m) and how it was chosen."""

    focus_m: float
    source: str


def choose_focus(cap: Any) -> FocusChoice:
    """The subject's distance: the portrait matte's face, else the nearest large region near the centre.

    * With a ``"portrait"`` matte: the median disparity of the matte's top quarter (a portrait
      matte covers a person; the face is at its top).
    * Otherwise: in the central half of the frame (each axis), the nearest disparity band
      (bands 1/40 of the range wide, three neighbours pooled) that holds at least 15% of it;
      the median disparity of that band.

    Convention: the result is in the capture's own units (metres; for relative-accuracy captures
    the inverse of a disparity that is affine in the true one, not metres).

    >>> import depthlab
    >>> from depthlab.imaging._refocus import choose_focus
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> choice = choose_focus(cap)
    >>> round(choice.focus_m, 2), choice.source
    (0.39, 'portrait matte (its top quarter, where the face is)')
    """
    d = _fill_unknown(cap.disparity)
    h, w = d.shape
    matte = None
    if "portrait" in getattr(cap, "mattes", {}):
        try:
            matte = _resize_float(np.asarray(cap.mattes["portrait"], dtype=np.float32), w, h)
        except Exception:  # a matte that cannot be decoded: fall back to the centre rule
            matte = None
    if matte is not None:
        person = matte > 0.5
        if person.mean() >= 0.01:
            rows = np.flatnonzero(person.any(axis=1))
            top, bottom = rows[0], rows[-1]
            cut = top + max(1, (bottom - top + 1) // 4)
            face = person.copy()
            face[cut:] = False
            return FocusChoice(float(1.0 / np.median(d[face])), "portrait matte (its top quarter, where the face is)")
    centre = d[h // 4: h - h // 4, w // 4: w - w // 4].ravel()
    lo, hi = float(centre.min()), float(centre.max())
    if hi - lo < 1e-9:
        return FocusChoice(float(1.0 / hi), "the centre of the frame (one distance)")
    band = _large_band(centre, nearest=True)
    if band is not None:
        return FocusChoice(float(1.0 / np.median(band)), "the nearest large region near the centre")
    return FocusChoice(float(1.0 / np.median(centre)), "the centre of the frame (median)")


def _large_band(values: np.ndarray, nearest: bool) -> np.ndarray | None:
    """The nearest (or farthest) disparity band (1/40 of the range wide, three neighbours
    pooled) holding at least 15% of ``values``; None when none does."""
    lo, hi = float(values.min()), float(values.max())
    bins = 40
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    pooled = np.convolve(counts, np.ones(3), mode="same")
    need = 0.15 * values.size
    for i in (range(bins - 1, -1, -1) if nearest else range(bins)):  # largest disparity is nearest
        if pooled[i] >= need:
            a, b = edges[max(i - 1, 0)], edges[min(i + 2, bins)]
            return values[(values >= a) & (values <= b)]
    return None


def choose_background(cap: Any) -> FocusChoice:
    """The background's distance: the farthest disparity band holding at least 15% of the
    frame's pixels (outside the portrait matte where the photo has one); its median.

    Convention: the capture's own units, as :func:`choose_focus`.
    """
    d = _fill_unknown(cap.disparity)
    h, w = d.shape
    values, where = d.ravel(), "the frame"
    if "portrait" in getattr(cap, "mattes", {}):
        outside = _resize_float(np.asarray(cap.mattes["portrait"], dtype=np.float32), w, h) <= 0.5
        if outside.mean() >= 0.01:
            values, where = d[outside], "the frame outside the portrait matte"
    if float(values.max() - values.min()) < 1e-9:
        return FocusChoice(float(1.0 / values.max()), f"{where} (one distance)")
    band = _large_band(values, nearest=False)
    band = values if band is None else band
    return FocusChoice(float(1.0 / np.median(band)), f"the farthest large region of {where}")


# --------------------------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefocusInfo:
    """How a refocused image was made: lens, focus and what to know about the numbers."""

    focus_m: float
    focus_source: str
    f_number: float
    focal_length_35mm: float
    focal_length_source: str
    accuracy: str | None
    units: str
    max_blur_radius_px: float
    size: tuple[int, int]
    notes: tuple[str, ...] = field(default_factory=tuple)


class RefocusedImage(np.ndarray):
    """A uint8 (H, W, 3) RGB image that also says how it was made.

    It *is* the image for every numpy purpose (``plt.imshow``, ``PIL.Image.fromarray``,
    slicing, ``np.asarray`` -> a plain array); ``.focus_m``, ``.notes`` and ``.info``
    (:class:`RefocusInfo`) carry the focus distance that was chosen and the lens.  Slices and
    views keep the information (they still show the same rendering); arithmetic results are
    plain arrays (the information no longer describes them).
    """

    info: RefocusInfo | None

    def __new__(cls, pixels: np.ndarray, info: RefocusInfo) -> "RefocusedImage":
        obj = np.asarray(pixels).view(cls)
        obj.info = info
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.info = getattr(obj, "info", None)

    def __array_wrap__(self, array, context=None, return_scalar=False):  # noqa: ANN001
        arr = np.asarray(array)
        return arr[()] if return_scalar else arr

    def __reduce__(self):
        # pickles as a plain array (the information is derived, not data)
        return np.asarray(self).__reduce__()

    @property
    def focus_m(self) -> float | None:
        return None if self.info is None else self.info.focus_m

    def save(self, path: str | os.PathLike, overwrite: bool = False, quality: int = 92) -> Path:
        """Write the image (JPEG, PNG, TIFF or WebP, by the suffix) atomically; an existing file
        is replaced only with ``overwrite=True``.  JPEGs carry the focus and lens in their comment."""
        from ..exchange.images import save_image

        comment = None
        if self.info is not None:
            i = self.info
            comment = (f"depthlab refocus: focus {i.focus_m:.4g} {i.units}, f/{i.f_number:g}, "
                       f"{i.focal_length_35mm:.3g} mm (35 mm equiv.)")
        return save_image(self, path, overwrite=overwrite, quality=quality, comment=comment)

    @property
    def notes(self) -> tuple[str, ...]:
        return () if self.info is None else self.info.notes


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _scipy_ndimage():
    """scipy.ndimage, imported when a refocus runs; a missing scipy is named with its pip line."""
    from ..deps import require

    return require("scipy.ndimage", "refocus (depth-of-field blur)")


def disc_kernel(radius: float) -> np.ndarray:
    """A normalised disc of ``radius`` pixels, anti-aliased at its rim (weights = approximate
    coverage of each pixel by the disc); radius < 0.5 gives (nearly) the identity.

    >>> from depthlab.imaging._refocus import disc_kernel
    >>> k = disc_kernel(2.0)
    >>> k.shape, round(float(k.sum()), 6)
    ((5, 5), 1.0)
    """
    r = max(float(radius), 0.0)
    n = int(math.ceil(r + 0.5))
    y, x = np.mgrid[-n:n + 1, -n:n + 1]
    k = np.clip(r + 0.5 - np.hypot(x, y), 0.0, 1.0).astype(np.float32)
    if k.sum() == 0:
        k[n, n] = 1.0
    keep = np.flatnonzero(k.any(axis=0))
    k = k[keep[0]:keep[-1] + 1, keep[0]:keep[-1] + 1]  # symmetric: same rows as columns
    return k / k.sum()


def layer_radii(r_min: float, r_max: float) -> np.ndarray:
    """Signed layer radii (working pixels) covering ``[r_min, r_max]``: 0.5 px apart near the
    focus, then about 25% apart (a 25% larger disc is hard to tell from its neighbour)."""
    pos = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    top = max(abs(r_min), abs(r_max))
    while pos[-1] < top:
        pos.append(pos[-1] * 1.25)
    pos_a = np.array(pos)
    radii = np.concatenate([-pos_a[:0:-1], pos_a])
    i0 = max(int(np.searchsorted(radii, r_min, side="right")) - 1, 0)
    i1 = min(int(np.searchsorted(radii, r_max, side="left")), radii.size - 1)
    return radii[i0:i1 + 1]


def _block_mean(a: np.ndarray, f: int) -> np.ndarray:
    """(C, H, W) -> (C, ceil(H/f), ceil(W/f)): the area average of ``f x f`` blocks
    (:func:`~depthlab.imaging.resample.area_average`); beyond the borders is transparent (0)."""
    c, h, w = a.shape
    hp, wp = -(-h // f) * f, -(-w // f) * f
    if (hp, wp) != (h, w):
        p = np.empty((c, hp, wp), dtype=np.float32)
        p[:, :h, :w] = a
        p[:, h:] = 0
        p[:, :h, w:] = 0
        a = p
    return np.moveaxis(area_average(np.moveaxis(a, 0, -1), wp // f, hp // f), -1, 0)


def _up2(a: np.ndarray, axis: int) -> np.ndarray:
    """Double ``a`` along ``axis`` by linear interpolation, centres aligned with a 2x block mean
    (fine pixel 2i sits a quarter of a coarse pixel before coarse pixel i); edges clamp."""
    n = a.shape[axis]
    idx = np.arange(n)
    prev = np.take(a, np.maximum(idx - 1, 0), axis=axis)
    nxt = np.take(a, np.minimum(idx + 1, n - 1), axis=axis)
    a = a * np.float32(0.75)
    even = a + prev * np.float32(0.25)
    odd = a + nxt * np.float32(0.25)
    out = np.stack([even, odd], axis=axis + 1)
    shape = list(a.shape)
    shape[axis] = 2 * n
    return out.reshape(shape)


def _upsample(a: np.ndarray, f: int, height: int, width: int) -> np.ndarray:
    """(C, H, W) at a pyramid level ``f`` (a power of two) back to (C, height, width): repeated
    linear doubling, pixel centres aligned with :func:`_block_mean`."""
    while f > 1:
        a = _up2(_up2(a, 1), 2)
        f //= 2
    return a[:, :height, :width]


def _level(radius: float) -> int:
    """Pyramid level at which a disc of ``radius`` working pixels is blurred: the working grid
    up to 1.5 px (a separable 3-tap kernel), else the level where it is at most 2.5 px (5x5)."""
    if radius <= 1.5:
        return 0
    return max(1, int(math.ceil(math.log2(radius / 2.5))))


def _detail_weight(radius_full_px: float, scale: int) -> float:
    """How much of the detail finer than the working grid survives a disc of this radius
    (full-resolution pixels): all of it below half a pixel, none from ``scale`` pixels on
    (an approximation, linear in between)."""
    if scale <= 1:
        return 0.0
    r = abs(radius_full_px)
    return float(np.clip((scale - r) / (scale - 0.5), 0.0, 1.0))


def render_layers(rgb: np.ndarray, radius: np.ndarray, detail_scale: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Layered depth-of-field of ``rgb`` given each pixel's signed blur ``radius``.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 or float
        The sharp image.
    radius : (H, W) float
        Signed blur radius per pixel, pixels of this image; positive in front of the focus.
    detail_scale : int
        When the image is a reduced working copy of a ``detail_scale`` times larger one, the
        second result says how much of the finer detail to keep per pixel.

    Returns
    -------
    image : (H, W, 3) float32, 0..255
    detail : (H, W) float32, 0..1 (all zeros when ``detail_scale`` is 1)

    Convention: layers are composited far to near (ascending signed radius, i.e. ascending
    disparity).  A pixel between two layer radii is drawn opaque in the farther layer and with
    the interpolation weight in the nearer one, so no pixel is see-through.  Outside the image
    is transparent; the result is divided by the coverage.
    """
    ndimage = _scipy_ndimage()
    h, w = radius.shape
    r = np.asarray(radius, dtype=np.float32)
    colour = np.ascontiguousarray(np.moveaxis(np.asarray(rgb, dtype=np.float32), 2, 0))  # (3, H, W)
    radii = layer_radii(float(r.min()), float(r.max()))
    if radii.size == 1:
        return np.moveaxis(colour, 0, 2), np.full((h, w), _detail_weight(radii[0] * detail_scale, detail_scale), np.float32)
    j = np.searchsorted(radii, r, side="right") - 1
    np.clip(j, 0, radii.size - 2, out=j)
    lo = radii[j].astype(np.float32)
    t = (r - lo) / (radii[j + 1].astype(np.float32) - lo)
    np.clip(t, 0.0, 1.0, out=t)
    j = j.astype(np.int16)
    # per-row / per-column range of layer indices, for each layer's bounding box
    row_lo, row_hi = j.min(axis=1), j.max(axis=1) + 1
    col_lo, col_hi = j.min(axis=0), j.max(axis=0) + 1

    acc = np.zeros((5, h, w), dtype=np.float32)  # premultiplied r, g, b, coverage, detail
    for i, ri in enumerate(radii):
        rows = np.flatnonzero((row_lo <= i) & (row_hi >= i))
        cols = np.flatnonzero((col_lo <= i) & (col_hi >= i))
        if rows.size == 0 or cols.size == 0:
            continue
        rad = abs(float(ri))
        pad = int(math.ceil(rad)) + 2
        y0, y1 = max(rows[0] - pad, 0), min(rows[-1] + 1 + pad, h)
        x0, x1 = max(cols[0] - pad, 0), min(cols[-1] + 1 + pad, w)
        jj = j[y0:y1, x0:x1]
        alpha = (jj == i).astype(np.float32)
        np.copyto(alpha, t[y0:y1, x0:x1], where=(jj == i - 1))
        layer = np.empty((5, y1 - y0, x1 - x0), dtype=np.float32)
        np.multiply(colour[:, y0:y1, x0:x1], alpha, out=layer[:3])
        layer[3] = alpha
        np.multiply(alpha, np.float32(_detail_weight(ri * detail_scale, detail_scale)), out=layer[4])
        if 0.5 <= rad <= 1.5:
            # a small disc: a separable three-tap kernel of the disc's variance (r**2 / 4 per
            # axis) looks the same and costs a third
            a = np.float32(rad * rad / 8.0)
            k1 = np.array([a, 1 - 2 * a, a], dtype=np.float32)
            layer = ndimage.correlate1d(layer, k1, axis=1, mode="constant", cval=0.0)
            layer = ndimage.correlate1d(layer, k1, axis=2, mode="constant", cval=0.0)
        elif rad > 1.5:
            f = 2 ** _level(rad)
            small = _block_mean(layer, f)
            k = disc_kernel(rad / f)
            small = ndimage.correlate(small, k[None], mode="constant", cval=0.0)
            layer = _upsample(small, f, y1 - y0, x1 - x0)
        region = acc[:, y0:y1, x0:x1]
        region *= 1.0 - layer[3]
        region += layer
    cov = np.maximum(acc[3], np.float32(1e-6))
    out = acc[:3] / cov
    detail = np.clip(acc[4] / cov, 0.0, 1.0)
    empty = acc[3] < 1e-4
    if empty.any():
        out[:, empty] = colour[:, empty]
    return np.moveaxis(out, 0, 2), detail


@keyword_options
def refocus(cap: Any, *, focus: float | str | None = None, f_number: float = 2.8, focal_length_35mm: float | None = None,
            size: tuple[int, int] | None = None) -> RefocusedImage:
    """The photo re-rendered with a shallow depth of field, focused at ``focus`` metres.

    Parameters
    ----------
    cap : Capture
        A capture with a colour image and a depth map (a refined capture works the same way).
    focus : float or str, optional
        Focus distance in metres (the capture's own units; see docs/refocus.md), or
        ``"subject"`` (the default, also None: :func:`choose_focus`) or ``"background"``
        (:func:`choose_background`); a chosen distance is reported (``.focus_m``, ``.notes``).
    f_number : float
        35 mm-equivalent f-number: 1.4 blurs a lot, 16 little (as a phone's portrait slider).
    focal_length_35mm : float, optional
        35 mm-equivalent focal length in mm; default the file's EXIF (or the calibration's).
    size : (width, height), optional
        Output size; default the photo's own size.  A smaller size renders a faster preview
        with the same look (the blur scales with the image).

    Returns
    -------
    RefocusedImage
        uint8 (H, W, 3) RGB, with ``.focus_m``, ``.notes`` and ``.info``.

    Raises
    ------
    InvalidInputError
        focus or f-number not positive, a capture without a colour image, a bad size.
    CalibrationError
        No focal length in the file and none given.

    Convention: display orientation, the depth map resampled (bilinear, in disparity) to the
    image; unknown depth takes the nearest known value.

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> img = depthlab.refocus(cap, f_number=1.4, size=(240, 320))
    >>> img.shape, round(img.focus_m, 2), img.info.focus_source
    ((320, 240, 3), 0.39, 'portrait matte (its top quarter, where the face is)')
    >>> img.save("refocused.jpg").name
    'refocused.jpg'
    """
    require_capture(cap, "refocus()")
    return Refocuser(cap, size=size, focal_length_35mm=focal_length_35mm).render(focus=focus, f_number=f_number)


class Refocuser:
    """One capture prepared for refocusing at one output size; :meth:`render` is the cheap part.

    Holds the colour image at ``size``, its reduced working copy, the working disparity (holes
    filled, subject-biased, resampled) and the focus choice, so a live control re-renders a
    new focus or f-number without redoing them.  ``depthlab.refocus`` is
    ``Refocuser(cap, size=size, focal_length_35mm=...).render(focus=focus, f_number=f_number)``.

    ``work_max_side`` bounds the working copy's long side (the layers are blurred there); a
    smaller one is faster and only approximates blur radii below ``size / work_max_side``
    output pixels more coarsely (the live preview uses 320).

    >>> import depthlab
    >>> from depthlab.imaging._refocus import Refocuser
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> r = Refocuser(cap, size=(240, 320))
    >>> [round(r.render(f_number=n).info.f_number, 1) for n in (1.4, 8)]
    [1.4, 8.0]
    """

    def __init__(self, cap: Any, *, size: tuple[int, int] | None = None, focal_length_35mm: float | None = None,
                 work_max_side: int = WORK_MAX_SIDE):
        require_capture(cap, "refocus()")
        if focal_length_35mm is not None:
            self.focal_length_35mm = positive_number("focal_length_35mm", focal_length_35mm, " (mm)")
            self.focal_length_source = "given"
        else:
            self.focal_length_35mm, self.focal_length_source = lens_focal_length_35mm(cap)
        if not getattr(cap, "has_rgb", False):
            raise InvalidInputError(
                "this capture has no colour image to refocus (a depth map alone cannot be blurred); "
                "open the original photo with depthlab.open"
            )
        if size is None:
            full = cap.rgb
            H, W = full.shape[:2]
        else:
            W, H = image_size(size, cap.rgb_size or cap.rgb.shape[1::-1], of="the photo")
            full = cap.rgb_at(W, H)
        from PIL import Image

        self.cap = cap
        self.size = (W, H)
        self.scale = max(1, int(math.ceil(max(W, H) / max(int(work_max_side), 16))))
        self._full = full
        self._full_image = None if self.scale == 1 else Image.fromarray(full)
        self._work = full if self.scale == 1 else np.asarray(self._full_image.reduce(self.scale))
        wh, ww = self._work.shape[:2]
        self.disparity = _fill_unknown(cap.disparity)
        self._work_disparity = _resize_float(_subject_biased(self.disparity), ww, wh)
        self._choice: FocusChoice | None = None
        self._background: FocusChoice | None = None

    def background(self) -> FocusChoice:
        """Where ``focus="background"`` focuses (:func:`choose_background`, computed once)."""
        if self._background is None:
            self._background = choose_background(self.cap)
        return self._background

    def subject(self) -> FocusChoice:
        """Where ``focus=None`` focuses (:func:`choose_focus`, computed once)."""
        if self._choice is None:
            self._choice = choose_focus(self.cap)
        return self._choice

    def focus_at(self, x: float, y: float) -> float:
        """The distance (m, capture units) seen at pixel (x, y) of the output (x = column, y = row,
        pixel centres at integers); the median over a 5x5 depth-pixel window."""
        W, H = self.size
        if not (0 <= x < W and 0 <= y < H):
            raise InvalidInputError(f"({x}, {y}) is outside the {W}x{H} image")
        h, w = self.disparity.shape
        u, v = int((x + 0.5) * w / W), int((y + 0.5) * h / H)
        win = self.disparity[max(v - 2, 0):v + 3, max(u - 2, 0):u + 3]
        return float(1.0 / np.median(win))

    def render(self, focus: float | str | None = None, f_number: float = 2.8) -> RefocusedImage:
        """The refocused image; see :func:`refocus` for the parameters."""
        n = positive_number("f_number", f_number, " (e.g. 1.4 ... 16)")
        if focus is None or (isinstance(focus, str) and focus in FOCUS_TARGETS):
            choice = self.background() if focus == "background" else self.subject()
            focus_m, focus_source = choice.focus_m, choice.source
        else:
            focus_m, focus_source = positive_number(
                "focus", focus, f" in metres, or one of {FOCUS_TARGETS}"), "given"
        f35 = self.focal_length_35mm
        k = radius_per_disparity(focus_m, n, f35, self.size)  # output pixels per 1/m
        scale = self.scale
        radius_work = (self._work_disparity - np.float32(1.0 / focus_m)) * np.float32(k / scale)
        blurred, detail = render_layers(self._work, radius_work, detail_scale=scale)
        low = np.clip(blurred + 0.5, 0, 255).astype(np.uint8)
        out = low if scale == 1 else _add_detail(self._full_image, low, detail)

        accuracy = getattr(self.cap, "accuracy", None)
        notes = []
        units = "m"
        if accuracy == "relative":
            units = "capture units (relative accuracy: not metres)"
            notes.append("relative-accuracy depth: the stored disparity is a·(true disparity) + b with a and b unknown, "
                         "so the focus distance is in the capture's own units, the blur is a times a real lens's at this "
                         "f-number and the offset b moves where the sharp plane lands; the look is an approximation")
        elif accuracy is None:
            notes.append("the file does not say how accurate its depth is; distances may be scaled")
        if self.focal_length_source != "given" and not self.focal_length_source.startswith("EXIF"):
            notes.append(f"35 mm-equivalent focal length {f35:.1f} mm estimated from the {self.focal_length_source}")
        if focus_source != "given":
            notes.append(f"focused at {focus_m:.3g} {'m' if units == 'm' else 'capture units'} on {focus_source}")
        d = self.disparity
        d_lo, d_hi = float(d.min()), float(d.max())
        if not d_lo <= 1 / focus_m <= d_hi:
            far = "infinity" if d_lo <= 0 else f"{1 / d_lo:.3g}"
            notes.append(f"the focus {focus_m:.3g} lies outside this photo's depth ({1 / d_hi:.3g}–{far} "
                         f"{'m' if units == 'm' else 'capture units'}): nothing in it is sharp")
        max_r = float(max(abs(d_lo - 1 / focus_m), abs(d_hi - 1 / focus_m)) * k)
        if max_r < 1.0:
            notes.append(f"the largest blur is {max_r:.2f} px radius, under a pixel: at f/{n:g} this depth map's range "
                         f"gives no visible blur (try a smaller f-number or another focus)")
        info = RefocusInfo(focus_m=float(focus_m), focus_source=focus_source, f_number=n, focal_length_35mm=f35,
                           focal_length_source=self.focal_length_source, accuracy=accuracy, units=units,
                           max_blur_radius_px=max_r, size=self.size, notes=tuple(notes))
        return RefocusedImage(out, info)


def _add_detail(full, low: np.ndarray, detail: np.ndarray) -> np.ndarray:
    """Full-size result: the working result upsampled (bilinear), blended with the full image
    where the result is sharp (``detail`` upsampled as the blend weight).

    ``full`` is a PIL image of the full-size photo.  Where a layer is blurred by less than a
    working pixel the working result is (nearly) the reduced photo itself, so the blend puts
    back exactly the detail the reduction removed; elsewhere the weight is 0.
    """
    from PIL import Image

    W, H = full.size
    up = Image.fromarray(low).resize((W, H), Image.Resampling.BILINEAR)
    if float(detail.max()) > 1e-3:
        mask = Image.fromarray(np.clip(detail * 255.0 + 0.5, 0, 255).astype(np.uint8)).resize((W, H), Image.Resampling.BILINEAR)
        up = Image.composite(full, up, mask)
    return np.asarray(up)


__all__ = [
    "FRAME_35MM_DIAGONAL_MM", "FocusChoice", "RefocusInfo", "RefocusedImage", "Refocuser", "blur_diameter_mm", "blur_radius_px",
    "choose_focus", "choose_background", "FOCUS_TARGETS", "disc_kernel", "layer_radii", "lens_focal_length_35mm", "radius_per_disparity", "refocus",
    "render_layers",
]
