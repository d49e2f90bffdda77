"""Resampling images to the depth map's size: colour by area average, mattes bilinear.

:func:`area_average` is how a 12-megapixel photo becomes the colours of a 768x576 depth map:
each output pixel is the mean of the photo's pixels under it.  It first takes whole
``f x f`` block means in numpy (``f`` the integer part of the scale; blocks cut by the border
are averaged over the pixels they hold), then a box filter over the exact remaining fraction
(Pillow, on an image ``f**2`` times smaller).  This avoids handing the full photo to Pillow, whose
conversion of a 12-megapixel RGB array alone costs more than the whole reduction here.

Convention: images are (H, W[, C]) arrays in display orientation; sizes are (width, height); the
output's pixel grid spans the same extent as the input's (pixel edges aligned at the borders).
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["area_average", "block_mean", "bilinear", "resize_map"]

#: input bytes per band when :func:`block_mean` reduces a large image on threads
_BAND_BYTES = 1 << 20


def _sums_along(a: np.ndarray, axis: int, f: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``f`` consecutive entries along ``axis`` (0 or 1), the last, partial block
    included, and the number of entries in each block."""
    n = a.shape[axis]
    full = n // f
    rest = n - full * f
    counts = np.full(full + (1 if rest else 0), f, dtype=np.int64)
    if rest:
        counts[-1] = rest
    if axis == 0:
        out = np.empty((counts.size,) + a.shape[1:], dtype=dtype)
        np.add.reduce(a[: full * f].reshape(full, f, *a.shape[1:]), axis=1, dtype=dtype, out=out[:full])
        if rest:
            np.add.reduce(a[full * f:], axis=0, dtype=dtype, out=out[full])
        return out, counts
    # along columns: for each channel, f strided adds of (H, full) views -- long inner loops
    # (a (H, full, f, C) reduction would run numpy's inner loop over the C=3 channels only)
    h = a.shape[0]
    c = a.shape[2] if a.ndim == 3 else 1
    flat = a.reshape(h, n * c)
    out = np.empty((h, counts.size, c), dtype=dtype)
    for ch in range(c):
        o = out[:, :full, ch]
        np.copyto(o, flat[:, ch: full * f * c: f * c], casting="unsafe")
        for k in range(1, f):
            np.add(o, flat[:, k * c + ch: full * f * c: f * c], out=o, casting="unsafe")
    if rest:
        np.add.reduce(a[:, full * f:].reshape(h, rest, c), axis=1, dtype=dtype, out=out[:, full])
    return (out if a.ndim == 3 else out[:, :, 0]), counts


def _block_mean_rows(a: np.ndarray, f: int, dtype) -> np.ndarray:
    """:func:`block_mean` of a band of whole block rows (the last may be partial)."""
    rows, cr = _sums_along(a, 0, f, dtype)
    sums, cc = _sums_along(rows, 1, f, dtype)
    count = (cr[:, None] * cc[None, :]).astype(np.float32)
    if sums.ndim == 3:
        count = count[:, :, None]
    mean = sums.astype(np.float32)
    np.divide(mean, count, out=mean)
    np.rint(mean, out=mean)
    return mean.astype(np.uint8)


def block_mean(img: np.ndarray, f: int) -> np.ndarray:
    """uint8 mean of every ``f x f`` block of a uint8 (H, W[, C]) image (blocks at the right and
    bottom borders hold fewer pixels and are averaged over those), rounded to nearest.

    A large image is reduced in bands of :data:`_BAND_BYTES` of input on a few threads (numpy
    releases the GIL; each band's sums stay in cache); every block lies in one band, so the
    result is the same as in one piece.

    >>> import numpy as np
    >>> from depthlab.imaging.resample import block_mean
    >>> block_mean(np.arange(16, dtype=np.uint8).reshape(4, 4) * 10, 2)
    array([[ 25,  45],
           [105, 125]], dtype=uint8)
    """
    a = np.asarray(img)
    dtype = np.uint16 if f * f * 255 <= np.iinfo(np.uint16).max else np.uint32
    h = a.shape[0]
    out_rows = -(-h // f)
    per_band = max(1, _BAND_BYTES // max(1, f * a[:1].nbytes))  # block rows per band
    workers = min(os.cpu_count() or 1, 4, -(-out_rows // per_band))
    if workers <= 1:
        return _block_mean_rows(a, f, dtype)
    from concurrent.futures import ThreadPoolExecutor

    out = np.empty((out_rows, -(-a.shape[1] // f)) + a.shape[2:], dtype=np.uint8)

    def band(r0: int) -> None:
        r1 = min(out_rows, r0 + per_band)
        out[r0:r1] = _block_mean_rows(a[r0 * f:r1 * f], f, dtype)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(band, range(0, out_rows, per_band)))
    return out


def area_average(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """uint8 (height, width[, C]): ``img`` (uint8 (H, W[, C])) averaged over the area under each
    output pixel (a box filter); see the module docstring.

    >>> import numpy as np
    >>> from depthlab.imaging.resample import area_average
    >>> area_average(np.arange(6.0).reshape(1, 6), 3, 1)
    array([[0.5, 2.5, 4.5]], dtype=float32)
    """
    from PIL import Image

    a = np.asarray(img)
    h, w = a.shape[:2]
    if (w, h) == (width, height):
        return a
    f = min(h // height, w // width)
    box = None
    if f >= 2:
        a = block_mean(a, f)
        box = (0.0, 0.0, w / f, h / f)  # the original extent in block units (last block partial)
    return np.asarray(Image.fromarray(np.ascontiguousarray(a)).resize((width, height), Image.Resampling.BOX, box=box))


def bilinear(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of a float image to ``width`` x ``height`` (Pillow, mode 'F'), float32.

    >>> import numpy as np
    >>> from depthlab.imaging.resample import bilinear
    >>> bilinear(np.array([[0.0, 1.0]]), 4, 1).round(2)
    array([[0.  , 0.25, 0.75, 1.  ]], dtype=float32)
    """
    a = np.asarray(img, dtype=np.float32)
    if a.shape == (height, width):
        return a
    from PIL import Image

    return np.asarray(Image.fromarray(a, mode="F").resize((width, height), Image.Resampling.BILINEAR))


def resize_map(a: np.ndarray, width: int, height: int, method: str = "bilinear") -> np.ndarray:
    """A float32 (H, W) map resized to ``width`` x ``height`` with Pillow: ``"bilinear"``,
    ``"nearest"`` or ``"box"`` (area mean); pixel centres aligned as in
    :meth:`~depthlab.capture.Calibration.intrinsics_at`.  The map itself when the size is already
    right.  NaN-free input (a NaN spreads over its neighbours).

    >>> resize_map(np.ones((2, 2), np.float32), 4, 4).shape
    (4, 4)
    """
    from PIL import Image

    if a.shape == (height, width):
        return np.asarray(a, dtype=np.float32)
    mode = {"bilinear": Image.Resampling.BILINEAR, "nearest": Image.Resampling.NEAREST, "box": Image.Resampling.BOX}[method]
    return np.asarray(Image.fromarray(np.ascontiguousarray(a, dtype=np.float32), mode="F").resize((width, height), mode))
