"""Pillow, wrapped for depth photos: JPEG/PNG blobs opened with their size checked before any
decoding, decoded with Pillow's errors turned into :class:`~depthlab.errors.UnreadableFileError`,
grey codes of depth maps and mattes, lazy colour loaders.

Shared by the JPEG readers (:mod:`depthlab.formats.jpeg` for Apple and GDepth,
:mod:`depthlab.formats.dynamic_depth` for Dynamic Depth).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable

import numpy as np

from ..capture import Orientation
from ..errors import UnreadableFileError

#: Depth maps and mattes larger than this many pixels are refused before decoding (real ones are
#: at most about 3 MP; a 5600x5600 one took 1.8 s CPU and 0.65 GB to open and touch).
MAX_AUX_PIXELS = 4096 * 4096
#: Colour images larger than this are refused before decoding (a 48-megapixel photo, 8064x6048,
#: fits).  JpegImageFile is built directly, so Pillow's own decompression-bomb check never runs.
MAX_COLOUR_PIXELS = 50_000_000


def open_image(blob: bytes, what: str, max_pixels: int | None = None):
    """Open (header only) a JPEG or PNG held in ``blob``; size checked before any decoding.

    JPEGs are opened with Pillow's plain JPEG class so an embedded MPF index never turns the
    image into Pillow's MPO reader (the MPF images are located by :mod:`jpeg_segments`).
    """
    from PIL import Image, JpegImagePlugin

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if blob[:3] == b"\xff\xd8\xff":
                im = JpegImagePlugin.JpegImageFile(io.BytesIO(blob))
            else:
                im = Image.open(io.BytesIO(blob), formats=["PNG", "JPEG"])
    except Exception as exc:  # UnidentifiedImageError, SyntaxError, DecompressionBomb*, OSError
        raise UnreadableFileError(f"{what} cannot be opened ({type(exc).__name__}: {exc}); the file is damaged") from exc
    w, h = im.size
    if w <= 0 or h <= 0 or (max_pixels is not None and w * h > max_pixels):
        raise UnreadableFileError(f"{what} declares {w}x{h} pixels, which is not a plausible size; the file is damaged")
    return im


def decode_pixels(im, what: str) -> np.ndarray:
    """Decode an opened Pillow image to a numpy array, wrapping any decoder error."""
    try:
        im.load()
        return np.asarray(im)
    except Exception as exc:  # OSError (truncated), ValueError, SyntaxError
        raise UnreadableFileError(f"{what} cannot be decoded ({type(exc).__name__}: {exc}); the file is damaged") from exc


def grey_codes(im, what: str) -> tuple[np.ndarray, int]:
    """Single-channel integer codes and their bit depth (8 or 16) from a depth or matte image.

    Grey images are used as they are; RGB(A)/LA images (GDepth PNGs are often RGBA with R=G=B)
    give their first channel; palette images are converted to grey.
    """
    mode = im.mode
    if mode == "P":
        im = im.convert("L")
        mode = "L"
    elif mode in ("LA", "RGB", "RGBA", "RGBX"):
        try:
            im.load()
            im = im.getchannel(0)  # copy one band, not all of them
        except Exception as exc:
            raise UnreadableFileError(f"{what} cannot be decoded ({type(exc).__name__}: {exc}); the file is damaged") from exc
        mode = "L"
    arr = decode_pixels(im, what)
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        if arr.size and (arr.min() < 0 or arr.max() > 65535):
            raise UnreadableFileError(f"{what} holds values outside 0..65535 ({arr.min()}..{arr.max()})")
        return arr.astype(np.uint16), 16
    if mode in ("L", "1"):
        return arr.astype(np.uint8), 8
    if mode in ("LA", "RGB", "RGBA", "RGBX", "YCbCr", "CMYK") and arr.ndim == 3:
        return np.ascontiguousarray(arr[:, :, 0]).astype(np.uint8), 8
    raise UnreadableFileError(f"{what} is a {mode} image; a depth map or matte must be greyscale")


def rgb_loader(blob: bytes, orientation: Orientation, what: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        im = open_image(blob, what, MAX_COLOUR_PIXELS)
        try:
            im = im.convert("RGB")
        except Exception as exc:
            raise UnreadableFileError(f"{what} cannot be decoded ({type(exc).__name__}: {exc}); the file is damaged") from exc
        return np.ascontiguousarray(orientation.apply(decode_pixels(im, what)))

    return load


@contextlib.contextmanager
def quiet_exif_warnings():
    """Silence Pillow's UserWarnings about damaged EXIF: EXIF only describes the photo here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def oriented_size(size: tuple[int, int], orientation: Orientation) -> tuple[int, int]:
    return (size[1], size[0]) if orientation.swaps_axes else (int(size[0]), int(size[1]))
