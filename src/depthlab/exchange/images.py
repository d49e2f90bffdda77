"""Image files: an RGB array written as JPEG, PNG, TIFF or WebP (chosen by the suffix), atomically.

Used by :meth:`depthlab.imaging._refocus.RefocusedImage.save` and ``depthlab refocus``.  Pillow is
imported when a file is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from .atomic import atomic_write

__all__ = ["IMAGE_FORMATS", "IMAGE_SUFFIXES", "save_image"]

#: Pillow's format name for each suffix :func:`save_image` writes
IMAGE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}
#: the suffixes :func:`save_image` writes
IMAGE_SUFFIXES = tuple(IMAGE_FORMATS)


def save_image(rgb: Any, path: str | os.PathLike, *, overwrite: bool = False, quality: int = 92,
               comment: str | None = None) -> Path:
    """Write ``rgb`` (uint8 (H, W, 3)) by the suffix of ``path``; JPEG and WebP at ``quality``, a
    JPEG with ``comment`` in its comment segment.  Never replaces a file without ``overwrite=True``.

    >>> import numpy as np, tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_image(np.zeros((4, 6, 3), np.uint8), pathlib.Path(d) / "black.png")
    ...     p.name, p.stat().st_size > 0
    ('black.png', True)
    """
    from PIL import Image

    dest = Path(path)
    fmt = IMAGE_FORMATS.get(dest.suffix.lower())
    if fmt is None:
        raise InvalidInputError(f"{dest.name}: unknown image type; use .jpg, .png, .tif or .webp")
    img = Image.fromarray(np.ascontiguousarray(rgb))
    opts: dict[str, Any] = {}
    if fmt in ("JPEG", "WEBP"):
        opts["quality"] = int(quality)
    if fmt == "JPEG" and comment is not None:
        opts["comment"] = comment.encode()
    with atomic_write(dest, overwrite=overwrite) as fh:
        img.save(fh, format=fmt, **opts)
    return dest
