"""Depth maps as 16-bit greyscale PNG files (lossless, readable by any image tool), and the
colour preview that goes with them.

``stored = round(value * 1000)``: depth in millimetres (1 mm steps up to 65.535 m) or disparity
in 0.001/m steps (up to 65.535 1/m); 0 means unknown.  The PNG's text chunks record quantity,
unit, scale, accuracy, camera and source, so the numbers can be read back without this package.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from ..capture import Capture
from ..checks import keyword_options, require_capture
from ..colour import depth_image
from ..errors import InvalidInputError

__all__ = ["DEPTH_PNG_SCALE", "DEPTH_PNG_UNIT", "QUANTITIES", "depth_png_array", "save_depth_png", "save_depth_preview"]

QUANTITIES = ("depth", "disparity")
#: 16-bit PNG scales: stored integer = round(value * scale); 0 means unknown.
DEPTH_PNG_SCALE = {"depth": 1000.0, "disparity": 1000.0}
DEPTH_PNG_UNIT = {"depth": "mm", "disparity": "0.001/m"}


def _values(cap: Capture, quantity: str) -> np.ndarray:
    require_capture(cap, "save_depth_png()")
    if quantity not in QUANTITIES:
        raise InvalidInputError(f"quantity must be 'depth' or 'disparity', got {quantity!r}")
    return cap.depth if quantity == "depth" else cap.disparity


def depth_png_array(values: np.ndarray, quantity: str) -> np.ndarray:
    """float map -> uint16 for a 16-bit PNG: ``round(value * 1000)``, 0 where unknown.

    Values beyond the range are clipped to 1..65535; NaN and non-positive values become 0.

    >>> import numpy as np
    >>> from depthlab.exchange.depth_png import depth_png_array
    >>> depth_png_array(np.array([[0.5, 1.2345, np.nan]]), "depth")
    array([[ 500, 1234,    0]], dtype=uint16)
    """
    scale = DEPTH_PNG_SCALE[quantity]
    v = np.asarray(values, dtype=np.float64) * scale
    ok = np.isfinite(v) & (v > 0)
    out = np.zeros(v.shape, dtype=np.uint16)
    out[ok] = np.clip(np.round(v[ok]), 1, 65535).astype(np.uint16)
    return out


@keyword_options
def save_depth_png(cap: Capture, path: str | os.PathLike, *, quantity: str = "depth", overwrite: bool = False) -> Path:
    """Write ``cap``'s depth (mm) or disparity (0.001/m) as a 16-bit PNG; returns the path.

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
    >>> png.mode, png.size
    ('I;16', (480, 640))
    """
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    arr = depth_png_array(_values(cap, quantity), quantity)
    info = PngInfo()
    info.add_text("depthlab:quantity", quantity)
    info.add_text("depthlab:unit", DEPTH_PNG_UNIT[quantity])
    info.add_text("depthlab:scale", f"stored = round({quantity} * {DEPTH_PNG_SCALE[quantity]:g}); 0 = unknown")
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
    info.add_text("depthlab:range", f"{rng[0]:.6g} to {rng[1]:.6g} {'m' if quantity == 'depth' else '1/m'}")
    with atomic_write(path, overwrite=overwrite) as fh:
        Image.fromarray(rgb).save(fh, format="PNG", pnginfo=info)
    return Path(path)
