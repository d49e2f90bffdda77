"""Resampling images to the depth map's size: colour by area average, mattes bilinear.

:func:`area_average` is the one area average in depthlab (the photo's colours at the depth map's
size, refine's guide, refocus's pyramid, photo-sized masks): each output pixel is the mean of the
input area it covers, input pixels cut by its edges weighted by the part of them inside.  It is
exact: separable integer weights, sums accumulated exactly (whole numbers for uint8 images, in
integers or in float32 below 2 ** 24; float64 otherwise), one rounding at the end.

Convention: images are (H, W[, C]) arrays in display orientation; sizes are (width, height); the
output's pixel grid spans the same extent as the input's (pixel edges aligned at the borders).
"""

from __future__ import annotations

import math
import os

import numpy as np

from ..errors import InvalidInputError

__all__ = ["area_average", "bilinear", "resize_map"]

#: input bytes per band of :func:`area_average` (a band's sums stay in cache)
_BAND_BYTES = 1 << 20
#: images of this many bytes and more are reduced on a few threads (numpy releases the GIL)
_THREAD_BYTES = 16 << 20


class _Cuts:
    """Where the edges of ``m`` output pixels fall on an axis of ``n`` input pixels, scaled by
    ``q`` so every weight is a whole number: with ``n / m = p / q`` in lowest terms, edge ``j``
    is at ``j p / q`` = input pixel ``i[j]`` plus ``r[j] / q`` of it, and an output pixel's
    weights (``q`` per whole input pixel, the cut ones ``q - r`` and ``r``) sum to ``p``."""

    def __init__(self, n: int, m: int) -> None:
        g = math.gcd(n, m)
        self.n, self.m, self.p, self.q = n, m, n // g, m // g
        edges = np.arange(m + 1, dtype=np.int64) * self.p
        self.i = edges // self.q
        self.r = edges - self.i * self.q
        self.whole = self.q == 1  # every edge on a pixel edge: plain block sums of p pixels


def _rows(a: np.ndarray, cut: _Cuts, g0: int, g1: int, dtype, buf: np.ndarray | None = None) -> np.ndarray:
    """The vertical pass over periods ``g0:g1`` of ``a``'s rows, times ``q``: ``((g1 - g0) q, W,
    ...)`` weighted sums.  Every period of ``p`` input rows makes ``q`` output rows with the same
    weights (``n = g p``), so each output row of a period is one reduce over all the band's
    periods at once (``q`` numpy calls per band, not one per output row): ``q`` times its whole
    input rows, less ``r`` of the row cut by its top edge, plus ``r`` of the row cut by its
    bottom edge (unsigned sums may wrap in between; the result is in range)."""
    i, r, p, q = cut.i, cut.r, cut.p, cut.q
    blk = a[g0 * p:g1 * p].reshape((g1 - g0, p) + a.shape[1:])
    shape = (g1 - g0, q) + a.shape[1:]
    n = math.prod(shape)
    s = buf[:n].reshape(shape) if buf is not None and buf.size >= n else np.empty(shape, dtype=dtype)
    for k in range(q):
        sk = s[:, k]
        if i[k + 1] > i[k]:
            np.add.reduce(blk[:, i[k]:i[k + 1]], axis=1, dtype=dtype, out=sk)
            if q > 1:
                sk *= dtype(q)
        else:
            sk[...] = 0
        if r[k]:
            sk -= np.multiply(blk[:, i[k]], dtype(r[k]), dtype=dtype)
        if r[k + 1]:  # (r[q] = 0: a period ends on a pixel edge)
            sk += np.multiply(blk[:, i[k + 1]], dtype(r[k + 1]), dtype=dtype)
    return s.reshape(((g1 - g0) * q,) + a.shape[1:])


def _period_weights(cut: _Cuts, channels: int) -> np.ndarray:
    """(p C, q C) float32: the horizontal pass of one period of ``p`` input columns (channels
    interleaved, as in memory) to its ``q`` output columns, whole-number weights times ``q``."""
    w = np.zeros((cut.p, cut.q), dtype=np.float32)
    for k in range(cut.q):
        w[cut.i[k]:cut.i[k + 1], k] = cut.q
        if cut.r[k]:
            w[cut.i[k], k] -= cut.r[k]
        if cut.r[k + 1]:
            w[cut.i[k + 1], k] += cut.r[k + 1]
    return np.kron(w, np.eye(channels, dtype=np.float32))


def _columns(v: np.ndarray, cut: _Cuts, dtype) -> np.ndarray:
    """The horizontal pass on axis 1 of ``v`` (already weighted), times ``q``: edge ``j``
    contributes ``g[j] = q * (sum of the columns before i[j]) + r[j] * column i[j]``, and output
    column ``j`` is ``g[j + 1] - g[j]`` (prefix sums: long contiguous loops, unlike sums of
    short runs of columns)."""
    i, r, q = cut.i, cut.r, cut.q
    if cut.whole:
        s = v[:, ::cut.p].astype(dtype)
        for k in range(1, cut.p):
            s += v[:, k::cut.p]
        return s
    c = np.empty((v.shape[0], cut.n + 1) + v.shape[2:], dtype=dtype)
    c[:, 0] = 0
    np.cumsum(v, axis=1, dtype=dtype, out=c[:, 1:])
    g = np.take(c, i, axis=1)
    g *= dtype(q)
    if r.any():
        g += np.take(v, np.minimum(i, cut.n - 1), axis=1) * r.astype(dtype).reshape((1, -1) + (1,) * (v.ndim - 2))
    return g[:, 1:] - g[:, :-1]


def _packed(s: np.ndarray, bits: int) -> np.ndarray:
    """(rows, W, C) non-negative integers as one uint64 per pixel, channel k in bits
    ``k * bits`` up: sums of packed pixels are the packed sums while each stays below
    ``2 ** bits`` (wrapping in between is harmless: only differences are read)."""
    pk = s[..., -1].astype(np.uint64)
    for k in range(s.shape[2] - 2, -1, -1):
        pk <<= np.uint64(bits)
        np.add(pk, s[..., k], out=pk, casting="unsafe")
    return pk


def _unpacked(t: np.ndarray, bits: int, channels: int) -> np.ndarray:
    """(rows, W) packed sums (:func:`_packed`) back to (rows, W, channels) int64."""
    out = np.empty(t.shape + (channels,), dtype=np.int64)
    mask = np.uint64((1 << bits) - 1)
    for k in range(channels):
        np.bitwise_and(t >> np.uint64(k * bits) if k else t, mask, out=out[..., k], casting="unsafe")
    return out


def _round_half_up(s: np.ndarray, top: int, out: np.ndarray) -> None:
    """``out`` (uint8) = the whole-number sums ``s`` (a float array, overwritten) divided by
    ``top`` and rounded half up: ``floor((2 s + top) / (2 top))``.  The division is correctly
    rounded, so the floor is exact while ``2 top`` times the largest quotient stays well inside
    the float's precision (float32: ``2 top < 2 ** 16``; float64: any image)."""
    s *= 2
    s += top
    s /= 2 * top
    out[...] = s.reshape(out.shape)  # (the cast to uint8 truncates: the floor)


def _by_products(a: np.ndarray, ys: _Cuts, xs: _Cuts, vdt, weights: np.ndarray, step: int, out: np.ndarray) -> None:
    """uint8 ``a`` area-averaged into ``out``, ``step`` periods of rows per band: the vertical
    pass in integers (:func:`_rows`), the horizontal one a float32 product with
    :func:`_period_weights` (every sum a whole number below 2 ** 24: exact), rounded half up
    in float32 (exact while ``2 top`` is below 2 ** 16).  One thread: the products run on BLAS's
    own threads, and bands on threads of ours competed with them.  The work buffers are made
    once and reused from band to band (fresh ones would be page-faulted in each time)."""
    top = ys.p * xs.p
    n = step * ys.q * a.shape[1] * (a.shape[2] if a.ndim == 3 else 1)
    vbuf, fbuf, sbuf = np.empty(n, vdt), np.empty(n, np.float32), np.empty(n // xs.p * xs.q, np.float32)
    periods = a.shape[0] // ys.p
    for g0 in range(0, periods, step):
        g1 = min(periods, g0 + step)
        v = _rows(a, ys, g0, g1, vdt, vbuf)
        f = fbuf[:v.size].reshape(-1, weights.shape[0])
        f[...] = v.reshape(f.shape)
        s = np.matmul(f, weights, out=sbuf[:f.shape[0] * weights.shape[1]].reshape(f.shape[0], -1))
        _round_half_up(s, top, out[g0 * ys.q:g1 * ys.q])


def area_average(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """``img`` (H, W[, C]) resampled to (height, width[, C]) by area averaging: each output
    pixel is the mean of the input area it covers, input pixels cut by its edges weighted by the
    overlap (the grids' outer edges aligned).  Exact: uint8 in, uint8 out (rounded once, halves
    up); any other dtype in, float32 out.  The image itself when the size is already right.

    The image is reduced in bands of whole periods of rows (each band's sums stay in cache).  A
    uint8 image whose column period is small (the phones' 5.25 and 6.3 photo pixels per depth
    pixel: 21 columns to 4, 63 to 10) takes its horizontal pass as one float32 matrix product per
    band, on BLAS's threads; any other large image is reduced on a few threads of ours (numpy
    releases the GIL).

    >>> import numpy as np
    >>> from depthlab.imaging.resample import area_average
    >>> area_average(np.array([[0, 10, 20, 30, 40]], np.uint8), 2, 1)   # 2.5 pixels each
    array([[ 8, 32]], dtype=uint8)
    >>> area_average(np.arange(6.0).reshape(1, 6), 3, 1)
    array([[0.5, 2.5, 4.5]], dtype=float32)
    """
    a = np.asarray(img)
    if a.ndim < 2:
        raise InvalidInputError(f"an image must be (H, W[, C]), got shape {a.shape}")
    h0, w0 = a.shape[:2]
    if (w0, h0) == (width, height):
        return a
    if width < 1 or height < 1 or h0 < 1 or w0 < 1:
        raise InvalidInputError(f"cannot area-average a {w0}x{h0} image to {width}x{height}")
    ys, xs = _Cuts(h0, int(height)), _Cuts(w0, int(width))
    top = ys.p * xs.p  # the weights of one output pixel sum to this
    if a.dtype == np.uint8:
        vdt = np.uint16 if 255 * ys.p < 1 << 16 else np.int64
        hdt = np.int32 if 255 * ys.p * w0 * xs.q < 1 << 31 else np.int64
        bits = (255 * top).bit_length()
        if a.ndim != 3 or a.shape[2] < 2 or xs.whole or bits * a.shape[2] > 64:
            bits = 0
    else:
        vdt = hdt = np.float64
        bits = 0
    out = np.empty((ys.m, xs.m) + a.shape[2:], dtype=np.uint8 if a.dtype == np.uint8 else np.float32)
    if a.ndim == 3 and a.strides[2] > a.strides[0]:  # channels first in memory: keep them so
        out = np.moveaxis(np.empty((a.shape[2], ys.m, xs.m), dtype=out.dtype), 0, -1)

    ch = a.shape[2] if a.ndim == 3 else 1
    # uint8: the horizontal pass of each period of columns as a matrix product, unless the
    # period's matrix is large or a sum could reach 2 ** 24 (:func:`_by_products`)
    weights = _period_weights(xs, ch) if a.dtype == np.uint8 and xs.q * ch <= 48 and 511 * top < 1 << 23 else None

    periods = h0 // ys.p
    step = max(1, _BAND_BYTES // max(1, a[:1].nbytes * ys.p))  # periods of rows per band
    if weights is not None:
        _by_products(a, ys, xs, vdt, weights, step, out)
        return out

    def band(g0: int, g1: int) -> None:
        j0, j1 = g0 * ys.q, g1 * ys.q
        v = _rows(a, ys, g0, g1, vdt)
        if bits:  # one uint64 per pixel for the horizontal pass (a third of the work)
            s = _unpacked(_columns(_packed(v, bits), xs, np.uint64), bits, a.shape[2])
        else:
            s = _columns(v, xs, hdt)
        if a.dtype == np.uint8:  # (in float64, where the division is exact enough for any top)
            _round_half_up(s.astype(np.float64), top, out[j0:j1])
        else:
            np.divide(s, top, out=out[j0:j1], casting="same_kind")

    threads = min(os.cpu_count() or 1, 4) if a.nbytes >= _THREAD_BYTES else 1
    starts = list(range(0, periods, step))
    workers = min(threads, len(starts))
    if workers <= 1:
        for g0 in starts:
            band(g0, min(periods, g0 + step))
        return out
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda g0: band(g0, min(periods, g0 + step)), starts))
    return out


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
