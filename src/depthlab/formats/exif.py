"""EXIF facts depthlab uses: who made the photo, with which lens, and its orientation.

Parsed with Pillow's EXIF reader; damaged EXIF yields an empty answer rather than an error,
since EXIF is descriptive here, never needed for the numbers.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from typing import Any

from ..capture import CameraInfo, Orientation

TAG_MAKE, TAG_MODEL, TAG_ORIENTATION = 0x010F, 0x0110, 0x0112
TAG_EXIF_IFD = 0x8769
TAG_FOCAL_LENGTH, TAG_FOCAL_35MM = 0x920A, 0xA405
TAG_LENS_MAKE, TAG_LENS_MODEL = 0xA433, 0xA434

#: EXIF orientation (1..8) -> Orientation (rotate anti-clockwise, then mirror) that brings
#: stored pixels upright.
EXIF_ORIENTATIONS = {
    1: Orientation(0, None),
    2: Orientation(0, "horizontal"),
    3: Orientation(180, None),
    4: Orientation(0, "vertical"),
    5: Orientation(90, "vertical"),
    6: Orientation(270, None),
    7: Orientation(270, "vertical"),
    8: Orientation(90, None),
}


def read_exif(exif: bytes | None, tags: tuple[int, ...] | None = None) -> dict[int, Any]:
    """Flat tag -> value mapping of IFD0 and the Exif IFD; {} when absent or unreadable.

    ``tags``: only these (the others are listed but never decoded: an iPhone's Exif IFD holds
    some 35 tags and its maker note, and decoding them all is most of the work).
    """
    if not exif:
        return {}
    from PIL import Image, TiffImagePlugin

    raw = bytes(exif)
    if raw.startswith(b"Exif\x00\x00"):
        raw = raw[6:]
    elif len(raw) > 4 and raw[4:10] == b"Exif\x00\x00":  # HEIF Exif item: 4-byte offset first
        raw = raw[10:]
    try:
        with warnings.catch_warnings():
            # Pillow warns ("Tag data larger than file", ...) on damaged EXIF; we answer {} instead
            warnings.simplefilter("ignore")
            if tags is None:
                ex = Image.Exif()
                ex.load(raw)
                out = dict(ex.items())
                out.update(ex.get_ifd(TAG_EXIF_IFD))
                return out
            fp = io.BytesIO(raw)
            head = fp.read(8)
            ifd = TiffImagePlugin.ImageFileDirectory_v2(head)
            fp.seek(ifd.next)
            ifd.load(fp)
            out = {t: ifd[t] for t in tags if t in ifd}
            sub_offset = ifd.get(TAG_EXIF_IFD)
            if isinstance(sub_offset, int) and sub_offset > 0:
                fp.seek(sub_offset)
                sub = TiffImagePlugin.ImageFileDirectory_v2(head)
                sub.load(fp)
                out.update({t: sub[t] for t in tags if t in sub and t not in out})
        return out
    except Exception:  # damaged EXIF is not fatal: it only describes the photo
        return {}


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    s = str(v).strip().strip("\x00").strip()
    return s or None


def _number(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return f if math.isfinite(f) and f > 0 else None


def camera_kind(lens_model: str | None, accuracy: str | None = None) -> str:
    """A short label from EXIF LensModel, e.g. 'iPhone 14 front TrueDepth camera 2.69mm f/1.9'.

    'back'/'rear' -> "rear", 'front' -> "front"; "dual"/"triple" and "TrueDepth" are kept.
    Without a lens model the kind is "unknown": ``accuracy`` is accepted but does not decide
    it, since an absolute depth map does not say which camera made it (TrueDepth and
    LiDAR-assisted rear captures both report absolute accuracy).
    """
    if not lens_model:
        return "unknown"
    s = lens_model.lower()
    side = "rear" if re.search(r"\b(back|rear)\b", s) else "front" if "front" in s else None
    if side is None:
        return "unknown"
    if "truedepth" in s:
        return f"{side} TrueDepth"
    for multi in ("dual", "triple"):
        if re.search(rf"\b{multi}\b", s):
            return f"{side} {multi}"
    return side


#: the tags :func:`camera_from_exif` reads
CAMERA_TAGS = (TAG_MAKE, TAG_MODEL, TAG_LENS_MODEL, TAG_FOCAL_LENGTH, TAG_FOCAL_35MM)


def camera_from_exif(exif: bytes | None, accuracy: str | None = None) -> CameraInfo:
    tags = read_exif(exif, CAMERA_TAGS)
    lens = _text(tags.get(TAG_LENS_MODEL))
    return CameraInfo(
        kind=camera_kind(lens, accuracy),
        make=_text(tags.get(TAG_MAKE)),
        model=_text(tags.get(TAG_MODEL)),
        lens_model=lens,
        focal_length_mm=_number(tags.get(TAG_FOCAL_LENGTH)),
        focal_length_35mm=_number(tags.get(TAG_FOCAL_35MM)),
    )


def exif_orientation(exif: bytes | None) -> Orientation:
    v = read_exif(exif).get(TAG_ORIENTATION, 1)
    try:
        return EXIF_ORIENTATIONS.get(int(v), Orientation())
    except (TypeError, ValueError):
        return Orientation()
