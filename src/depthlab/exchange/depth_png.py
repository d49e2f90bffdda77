"""Depth maps as 16-bit greyscale PNG files (lossless, readable by any image tool), and the
colour preview that goes with them.

``stored = round(value * scale)``, 0 means unknown.  The scale is chosen from the data: the
largest power of ten that keeps the largest value within 65535 (depth in 0.1 mm steps for an
iPhone selfie, 0.01 units for Lens Blur's 25..334, the code itself for a RealSense map).  Nothing
is clipped: a map whose values cannot all be stored at one scale, or whose distinct levels a
16-bit PNG would merge beyond the source's own quantisation, is refused with
:class:`~depthlab.errors.InvalidInputError` saying what to export instead.  The PNG's text chunks
record quantity, ``depthlab:scale`` (the number), unit, accuracy, camera and source, so the
numbers can be read back without this package: ``value = stored / scale``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from ..capture import Capture
from ..checks import keyword_options, require_capture
from ..colour import depth_image
from ..errors import InvalidInputError

__all__ = ["DEPTH_PNG_SCALE", "DEPTH_PNG_UNIT", "PNG_MAX", "QUANTITIES", "depth_png_array", "png_scale", "save_depth_png", "save_depth_preview"]

QUANTITIES = ("depth", "disparity")
#: 16-bit PNG scales for a map with nothing valid: stored integer = round(value * scale); 0 means unknown.
DEPTH_PNG_SCALE = {"depth": 1000.0, "disparity": 1000.0}
DEPTH_PNG_UNIT = {"depth": "m", "disparity": "1/m"}
#: the largest stored integer
PNG_MAX = 65535
#: a continuous map (more distinct values than 16 bits hold) is refused when one stored step is
#: more than this fraction of its median value
RELATIVE_STEP = 1e-3


def _values(cap: Capture, quantity: str) -> np.ndarray:
    require_capture(cap, "save_depth_png()")
    if quantity not in QUANTITIES:
        raise InvalidInputError(f"quantity must be 'depth' or 'disparity', got {quantity!r}")
    return cap.depth if quantity == "depth" else cap.disparity


def png_scale(values: np.ndarray, quantity: str) -> float:
    """The scale :func:`depth_png_array` stores ``values`` at: the largest power of ten keeping
    the largest valid value within 65535 (:data:`DEPTH_PNG_SCALE` when nothing is valid).

    >>> import numpy as np
    >>> png_scale(np.array([0.5, 1.9]), "depth"), png_scale(np.array([24.8, 334.2]), "depth")
    (10000.0, 100.0)
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return DEPTH_PNG_SCALE[quantity]
    hi = float(v.max())
    scale = 10.0 ** math.floor(math.log10(PNG_MAX / hi))
    while round(hi * scale) > PNG_MAX:  # floating point at the boundary
        scale /= 10.0
    return scale


def depth_png_array(values: np.ndarray, quantity: str, *, scale: float | None = None) -> np.ndarray:
    """float map -> uint16 for a 16-bit PNG: ``round(value * scale)``, 0 where unknown (NaN or
    not positive); ``scale`` defaults to :func:`png_scale`.  A value that would fall outside
    1..65535 at that scale is refused (:class:`InvalidInputError`), never clipped.

    >>> import numpy as np
    >>> from depthlab.exchange.depth_png import depth_png_array
    >>> depth_png_array(np.array([[0.5, 1.2345, np.nan]]), "depth", scale=1000)
    array([[ 500, 1234,    0]], dtype=uint16)
    """
    scale = png_scale(values, quantity) if scale is None else float(scale)
    v = np.asarray(values, dtype=np.float64) * scale
    ok = np.isfinite(v) & (v > 0)
    r = np.round(v[ok])
    if r.size and (r.min() < 1 or r.max() > PNG_MAX):
        lo, hi = float(v[ok].min()) / scale, float(v[ok].max()) / scale
        raise InvalidInputError(
            f"{quantity} spans {lo:.6g} to {hi:.6g}: a 16-bit PNG at one scale ({scale:g} per {DEPTH_PNG_UNIT[quantity]}) "
            f"would store {'the smallest as 0 (unknown)' if r.min() < 1 else 'the largest beyond 65535'}; nothing was "
            "written. Export the other quantity, or a point cloud (float32), instead")
    out = np.zeros(v.shape, dtype=np.uint16)
    out[ok] = r.astype(np.uint16)
    return out


def _refuse_merged_levels(values: np.ndarray, stored: np.ndarray, quantity: str, scale: float) -> None:
    """A quantised source (at most 65535 distinct values) must keep every level in the PNG; a
    continuous one, steps of at most :data:`RELATIVE_STEP` of its median value."""
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v) & (v > 0)
    source = np.unique(v[ok])
    if source.size > PNG_MAX:  # a continuous map: one step must stay below 0.1% of a typical value
        typical = float(np.median(v[ok]))
        if 1.0 / scale > RELATIVE_STEP * typical:
            other = "depth" if quantity == "disparity" else "disparity"
            raise InvalidInputError(
                f"{quantity} spans {source[0]:.6g} to {source[-1]:.6g} {DEPTH_PNG_UNIT[quantity]}: the largest scale that "
                f"fits a 16-bit PNG ({scale:g} per {DEPTH_PNG_UNIT[quantity]}) stores steps of {1 / scale:g}, "
                f"{100 / scale / typical:.2g}% of the median {typical:.4g}, so nearby values would be merged; nothing was "
                f"written. Export --quantity {other} (quantity='{other}'), or a point cloud (float32), instead")
        return
    kept = np.unique(stored[ok]).size
    if kept < source.size:
        other = "depth" if quantity == "disparity" else "disparity"
        raise InvalidInputError(
            f"{quantity} holds {source.size:,} distinct values; a 16-bit PNG at {scale:g} per {DEPTH_PNG_UNIT[quantity]} "
            f"keeps only {kept:,} of them (the largest scale that fits), so levels would be merged; nothing was written. "
            f"Export --quantity {other} (quantity='{other}'), or a point cloud (float32), instead")


@keyword_options
def save_depth_png(cap: Capture, path: str | os.PathLike, *, quantity: str = "depth", overwrite: bool = False) -> Path:
    """Write ``cap``'s depth or disparity as a 16-bit PNG at the scale its data needs (recorded in
    the ``depthlab:scale`` text chunk; see the module docstring); returns the path.  A map that
    cannot be stored without clipping or merging levels is refused, and nothing is written.

    Never replaces an existing file unless ``overwrite=True``; written atomically.

    >>> import depthlab
    >>> from depthlab.exchange.depth_png import save_depth_png, save_depth_preview
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> save_depth_png(cap, "depth.png").name
    'depth.png'
    >>> save_depth_preview(cap, "depth.preview.png").name
    'depth.preview.png'
    >>> from PIL import Image
    >>> png = Image.open("depth.png")
    >>> png.mode, png.size, png.text["depthlab:scale"]
    ('I;16', (480, 640), '10000')
    """
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    values = _values(cap, quantity)
    scale = png_scale(values, quantity)
    arr = depth_png_array(values, quantity, scale=scale)
    _refuse_merged_levels(values, arr, quantity, scale)
    info = PngInfo()
    info.add_text("depthlab:quantity", quantity)
    unit = "m" if cap.depth_unit == "m" else "unit (the file's own)"
    info.add_text("depthlab:unit", f"{1 / scale:g} {unit}" if quantity == "depth" else f"{1 / scale:g}/{unit}")
    info.add_text("depthlab:scale", f"{scale:g}")
    info.add_text("depthlab:encoding", f"stored = round({quantity} * {scale:g}); {quantity} = stored / {scale:g}; 0 = unknown")
    info.add_text("depthlab:accuracy", str(cap.accuracy))
    info.add_text("depthlab:camera", str(cap.camera))
    info.add_text("depthlab:source", cap.path.name if cap.path is not None else "in-memory capture")
    with atomic_write(path, overwrite=overwrite) as fh:
        Image.fromarray(arr).save(fh, format="PNG", pnginfo=info)
    return Path(path)


@keyword_options
def save_depth_preview(cap: Capture, path: str | os.PathLike, *, quantity: str = "depth", overwrite: bool = False) -> Path:
    """Write the colour picture of the map (:func:`depthlab.colour.depth_image`, as ``show()``
    and the figures draw it) as an 8-bit PNG whose text chunk records the range shown."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    rgb, rng = depth_image(_values(cap, quantity), quantity)
    info = PngInfo()
    unit = cap.depth_unit if quantity == "depth" else ("1/m" if cap.depth_unit == "m" else "1/unit")
    info.add_text("depthlab:range", f"{rng[0]:.6g} to {rng[1]:.6g} {unit}")
    with atomic_write(path, overwrite=overwrite) as fh:
        Image.fromarray(rgb).save(fh, format="PNG", pnginfo=info)
    return Path(path)
