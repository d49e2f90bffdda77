"""What Google's depth photos share, whether GDepth JPEGs (Lens Blur) or Dynamic Depth JPEGs
(Pixel portraits): depth stored as the integer codes of an image over a range [Near, Far].

With ``v = code / (2**bits - 1)`` in [0, 1]:

* ``RangeLinear``:  ``d = Near + (Far - Near) * v``
* ``RangeInverse``: ``d = Far * Near / (Far - (Far - Near) * v)`` -- uniform in 1/d; code 0 is Near,
  the largest code is Far.

``d`` is in the file's unit (metres, or what the reader scales it by; diopters for a Dynamic
Depth map whose Units are Diopters).
"""

from __future__ import annotations

import numpy as np

from ..errors import UnreadableFileError

RANGE_FORMATS = ("RangeLinear", "RangeInverse")


def range_lut(bits: int, fmt: str, near: float, far: float, scale: float = 1.0) -> np.ndarray:
    """float32 value per possible code (``2**bits`` of them), times ``scale``; NaN where the
    result is not a positive finite number.  Index it with a map's codes to decode the map."""
    top = (1 << bits) - 1
    v = np.arange(top + 1, dtype=np.float64) / top
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if fmt == "RangeLinear":
            lut = near + v * (far - near)
        elif fmt == "RangeInverse":
            lut = (far * near) / (far - v * (far - near))
        else:
            raise UnreadableFileError(f"the depth format is {fmt!r}; only RangeLinear and RangeInverse exist")
        lut = lut * scale
    lut[~(np.isfinite(lut) & (lut > 0))] = np.nan
    return lut.astype(np.float32)


__all__ = ["RANGE_FORMATS", "range_lut"]
