"""One depth colour ramp and one way to choose its range, for every view of a depth map.

The live view's points, ``show()``'s depth image, the figures' depth map, colorbar and histogram
and the command line's preview PNG all colour depth the same way:

* the **ramp**: a viridis-like ramp from dark purple (far) to yellow (near), 255 steps
  interpolated from nine anchors; unknown values are mid grey :data:`UNKNOWN_GREY`.  For
  disparity (1/m) the ramp runs the other way round, so *near is bright* in both;
* the **range**: for images, :func:`robust_range` (the 1st-99th percentile of the finite
  values, so a few outliers do not wash out the picture); for point colours, the finite range
  of the points shown (:func:`finite_range`), so every point keeps a colour of its own.

numpy only; :func:`matplotlib_colormap` imports matplotlib when called.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .deps import require

__all__ = [
    "UNKNOWN_GREY", "ramp", "finite_range", "robust_range", "depth_colours", "colour_map",
    "depth_image", "matplotlib_colormap", "DEFAULT_PERCENTILES",
]

# nine anchors of the ramp, far (dark purple) -> near (yellow)
_ANCHORS = ("440154", "472c7a", "3b518b", "2c718e", "21908d", "27ad81", "5cc863", "aadc32", "fde725")
#: The colour of unknown depth (NaN) everywhere.
UNKNOWN_GREY = (96, 96, 96)
# values per block in colour_map: a few float32/uint8 arrays of this size stay in L2
_CHUNK = 1 << 15
#: The percentiles :func:`robust_range` keeps by default.
DEFAULT_PERCENTILES = (1.0, 99.0)


@functools.lru_cache(maxsize=1)
def ramp() -> np.ndarray:
    """(256, 3) uint8, read-only: entry 0 is :data:`UNKNOWN_GREY`, 1..255 run far -> near."""
    anchors = np.array([[int(h[i:i + 2], 16) for i in (0, 2, 4)] for h in _ANCHORS], dtype=np.float64)
    t = np.linspace(0.0, 1.0, 255)
    pos = np.linspace(0.0, 1.0, len(anchors))
    lut = np.empty((256, 3), dtype=np.uint8)
    lut[0] = UNKNOWN_GREY
    lut[1:] = np.rint(np.stack([np.interp(t, pos, anchors[:, c]) for c in range(3)], axis=1))
    lut.flags.writeable = False
    return lut


@functools.lru_cache(maxsize=1)
def _ramp_words() -> np.ndarray:
    """:func:`ramp` as uint32 (256,), each entry's R, G, B in its first three bytes."""
    padded = np.zeros((256, 4), dtype=np.uint8)
    padded[:, :3] = ramp()
    return padded.view(np.uint32).reshape(-1)


def finite_range(values: np.ndarray) -> tuple[float, float] | None:
    """(min, max) of the finite values (NaN and +-inf ignored); None when there are none."""
    v = np.asarray(values).reshape(-1)
    if v.size == 0:
        return None
    lo, hi = float(np.fmin.reduce(v)), float(np.fmax.reduce(v))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        f = v[np.isfinite(v)]
        if f.size == 0:
            return None
        lo, hi = float(f.min()), float(f.max())
    return lo, hi


def robust_range(values: np.ndarray, percentiles: tuple[float, float] = DEFAULT_PERCENTILES) -> tuple[float, float] | None:
    """The ``percentiles`` of the finite values, widened to their full range when those are
    equal and padded when the map is flat; None when nothing is finite.

    >>> import numpy as np
    >>> from depthlab.colour import robust_range
    >>> robust_range(np.arange(101.0))
    (1.0, 99.0)
    """
    v = np.asarray(values)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return None
    lo, hi = (float(x) for x in np.percentile(v, percentiles))
    if not hi > lo:
        lo, hi = float(v.min()), float(v.max())
        if not hi > lo:  # a flat map: give the colour scale some width
            pad = max(abs(lo) * 1e-3, 1e-6)
            lo, hi = lo - pad, hi + pad
    return lo, hi


def colour_map(values: np.ndarray, lo: float, hi: float, near_is_low: bool = True) -> np.ndarray:
    """uint8 (..., 3): ``values`` through the ramp over ``[lo, hi]``, clamped at both ends.

    ``near_is_low=True`` (depth): ``lo`` is yellow, ``hi`` purple; False (disparity): the
    reverse.  Non-finite values are :data:`UNKNOWN_GREY`.
    """
    d = np.ascontiguousarray(values, dtype=np.float32)
    flat = d.reshape(-1)
    span = hi - lo if hi > lo else 1.0
    scale = np.float32(255.0 / span)
    # ramp index 1 (far) .. 255 (near), the steps of matplotlib's lookup of the same 255 colours
    # (so figures drawn through matplotlib_colormap match exactly): depth 255 - floor(255 x),
    # disparity 1 + floor(255 x), x = (v - lo) / span.  NaN survives ceil and clip and becomes 0
    # (grey) via fmax.  Block by block, so each value is read from memory once.
    if near_is_low:
        a, b = -scale, np.float32(hi * 255.0 / span)
    else:
        a, b = scale, np.float32(1.0 - lo * 255.0 / span)
    lut = _ramp_words()
    out = np.empty((flat.size, 3), dtype=np.uint8)
    tmp = np.empty(min(flat.size, _CHUNK), dtype=np.float32)
    idx = np.empty(tmp.size, dtype=np.intp)
    words = np.empty(tmp.size, dtype=np.uint32)
    word_bytes = words.view(np.uint8).reshape(-1, 4)
    for i0 in range(0, flat.size, _CHUNK):
        i1 = min(flat.size, i0 + _CHUNK)
        t, k = tmp[: i1 - i0], idx[: i1 - i0]
        np.multiply(flat[i0:i1], a, out=t)
        np.add(t, b, out=t)
        if near_is_low:
            np.ceil(t, out=t)
        np.clip(t, np.float32(1.0), np.float32(255.0), out=t)
        np.fmax(t, np.float32(0.0), out=t)
        np.copyto(k, t, casting="unsafe")
        # the ramp as one 4-byte word per entry: numpy's take moves words fast (3-byte rows go
        # through memcpy one by one), then the three colour bytes go to their columns; the
        # indices are in 0..255 already, and mode "clip" spares take its checked, buffered path
        w = words[: i1 - i0]
        np.take(lut, k, out=w, mode="clip")
        for c in range(3):
            np.copyto(out[i0:i1, c], word_bytes[: i1 - i0, c])
    return out.reshape(d.shape + (3,))


def depth_colours(depth: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    """uint8 (..., 3) colours of depths in metres: ``lo`` (near) yellow, ``hi`` (far) purple.

    ``lo``/``hi`` default to the finite minimum/maximum; depths outside are clamped; unknown
    depths are :data:`UNKNOWN_GREY`.

    >>> import numpy as np
    >>> from depthlab.colour import depth_colours
    >>> c = depth_colours(np.array([0.5, 1.0, np.nan]))
    >>> c.shape, c.dtype
    ((3, 3), dtype('uint8'))
    """
    if lo is None or hi is None:
        rng = finite_range(depth) or (0.0, 1.0)
        lo = rng[0] if lo is None else lo
        hi = rng[1] if hi is None else hi
    return colour_map(depth, lo, hi, near_is_low=True)


def depth_image(values: np.ndarray, quantity: str = "depth",
                percentiles: tuple[float, float] = DEFAULT_PERCENTILES) -> tuple[np.ndarray, tuple[float, float]]:
    """A depth (m) or disparity (1/m) map as a uint8 (H, W, 3) picture over its
    :func:`robust_range`, and that range: what ``show()``, the figures and the CLI preview show.

    >>> import depthlab
    >>> from depthlab.colour import depth_image
    >>> img, (lo, hi) = depth_image(depthlab.open("data/sample/front_truedepth.heic").depth)
    >>> img.shape, img.dtype, round(lo, 2), round(hi, 2)
    ((640, 480, 3), dtype('uint8'), 0.36, 0.92)
    """
    rng = robust_range(values, percentiles) or (0.0, 1.0)
    return colour_map(values, rng[0], rng[1], near_is_low=(quantity == "depth")), rng


def matplotlib_colormap(quantity: str = "depth"):
    """The ramp as a matplotlib ``ListedColormap`` (low values first), unknown values grey:
    reversed for depth so that near (small depth) is bright, as in :func:`colour_map`."""
    ListedColormap = require("matplotlib.colors", "figures").ListedColormap
    lut = ramp()[1:].astype(np.float64) / 255.0
    if quantity == "depth":
        lut = lut[::-1]
    grey = tuple(c / 255.0 for c in UNKNOWN_GREY) + (1.0,)
    return ListedColormap(lut, name=f"depthlab-{quantity}").with_extremes(bad=grey)
