"""JPEG depth photos: Apple portrait JPEGs (MPF), Google Lens Blur / GDepth and Dynamic Depth JPEGs.

Entry point: :func:`read_jpeg` (called by :func:`depthlab.open` for files starting FF D8 FF).

**Apple portrait JPEG.**  The primary JPEG is followed by Multi-Picture Format images (gain
map, disparity, mattes), each a small JPEG with its own XMP.  Images are identified by that XMP:
``apdi:AuxiliaryImageType`` "disparity" is the depth map; a portrait-effects matte says "depth"
with ``apdi:AuxiliaryImageSubType`` "portraiteffectsmatte", so the SubType is looked at first;
semantic mattes and the HDR gain map carry Apple's aux URN as their type.  Values decode exactly
as for HEIC::

    disparity [1/m] = FloatMinValue + (FloatMaxValue - FloatMinValue) * (v - IntMinValue) / (IntMaxValue - IntMinValue)

The depth image's XMP holds the calibration (AVCameraCalibrationData, in the stored sensor
frame); the primary's EXIF orientation is applied to depth, mattes, colour and calibration alike.

**Google GDepth** (``http://ns.google.com/photos/1.0/depthmap/``).  The depth image (PNG or
JPEG) is base64 in ``GDepth:Data``, normally in the extended XMP.  With ``n = v / (2**bits - 1)``:

* ``RangeLinear``:  ``depth = Near + n * (Far - Near)``
* ``RangeInverse``: ``depth = Far * Near / (Far - n * (Far - Near))`` -- uniform in 1/depth, so 0 is
  Near and the largest code is Far (checked on the Lens Blur sample: the code at ``GFocus``'s focal
  point decodes to exactly ``GFocus:FocalDistance``).

``GDepth:Units`` ("m", "mm") scales Near/Far to metres where given.  Lens Blur writes no units:
its depth comes from structure-from-motion over a small camera sweep and has an arbitrary scale,
so the numbers are kept as they are, in the file's own units (``Capture.depth_unit`` "units"), and ``accuracy`` is "relative".  Only a
file that states metric units is "absolute".  GDepth stores no intrinsics: ``calibration`` is
None and the EXIF focal lengths are kept in :class:`CameraInfo` for an estimate.  Colours come
from ``GImage:Data`` (Lens Blur's original, unblurred photo, which the depth map was computed for)
when present, else from the primary (which Lens Blur replaces with the blurred rendering).

Camera labels come from :func:`depthlab.formats.exif.camera_kind` on EXIF LensModel, exactly as
for HEIC ("rear dual", "front TrueDepth", ...); a GDepth file whose EXIF names no lens is labelled
"Lens Blur" when it carries Lens Blur's ``GFocus`` settings, else "GDepth".

**Google Dynamic Depth** (Pixel portraits; description in the main or the extended XMP, depth,
confidence and original image appended after the primary): read by
:mod:`depthlab.formats.dynamic_depth`.  A GContainer listing a "Depth" item is recognised and
refused with :class:`~depthlab.errors.UnsupportedFormatError`; Ultra HDR gain maps and other MPF
images without depth are named in the :class:`~depthlab.errors.NoDepthError` message.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..capture import LENGTH_UNITS, Capture, DepthEncoding, LazyMattes, Orientation
from ..errors import NoDepthError, UnreadableFileError, UnsupportedFormatError
from . import jpeg_segments as js, spatial
from .exif import TAG_ORIENTATION, camera_from_exif, exif_orientation, read_exif
from .makers import camera_name, no_depth_advice, with_article
from .apple import calibration_for_display, disparity_from_codes, fourcc
from .google import RANGE_FORMATS, range_lut
from .jpeg_images import (MAX_AUX_PIXELS, MAX_COLOUR_PIXELS, grey_codes, open_image, oriented_size,
                          quiet_exif_warnings, rgb_loader)
from .xmp import APDI, DEPTHDATA, GDEPTH, GIMAGE, XMPNOTE, Xmp, parse_xmp

GFOCUS = "http://ns.google.com/photos/1.0/focus/"
HDRGM = "http://ns.adobe.com/hdr-gain-map/1.0/"

#: Apple aux names (SubType, or the last part of the type URN) -> matte name
MATTE_NAMES = {
    "portraiteffectsmatte": "portrait",
    "semanticskinmatte": "skin",
    "semantichairmatte": "hair",
    "semanticteethmatte": "teeth",
    "semanticglassesmatte": "glasses",
    "semanticskymatte": "sky",
}
OTHER_AUX = {"hdrgainmap": "HDR gain map"}

# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def read_jpeg(path: Path | None, data: bytes, *, baseline_m: float | None = None) -> Capture:
    """Read an Apple portrait JPEG or a Google GDepth JPEG held in ``data``; a stereo MPO (two
    views) gets depth computed from its views with the given ``baseline_m``.

    ``path`` is used in messages and kept as ``Capture.path``.  Depth, metadata and calibration
    are read now; colour and mattes are decoded on first use.

    Raises
    ------
    NoDepthError
        An ordinary JPEG (or one whose depth was stripped); the message names what it holds.
    UnsupportedFormatError
        A Google container (GContainer) listing an appended depth item: not read yet.
    UnreadableFileError
        Damaged structure: truncated segments, MPF offsets past the end, missing or duplicated
        extended-XMP chunks, a wrong GUID, absurd sizes, undecodable images.
    """
    name = path.name if path else "the JPEG data"
    data = bytes(data)
    segments = list(js.iter_segments(data, what=name))
    exif = js.exif_payload(data, segments)
    with quiet_exif_warnings():
        orientation = exif_orientation(exif)
    xmp_raw = js.standard_xmp(data, segments)
    xmp: Xmp | None = None
    if xmp_raw is not None:
        try:
            xmp = parse_xmp(xmp_raw, what=f"{name}: the XMP")
        except UnreadableFileError:
            if b"ns.google.com/photos/1.0/depthmap" in xmp_raw or b"ns.google.com/photos/dd/" in xmp_raw:
                raise
            xmp = None  # a damaged XMP on a photo that announces no depth: treat it as absent
    if xmp is not None and any(k.startswith("{%s}" % GDEPTH) for k in xmp):
        return _read_gdepth(path, name, data, segments, xmp, exif, orientation)

    from . import dynamic_depth

    found = dynamic_depth.find(data, segments, xmp_raw, xmp, name)
    if found is not None:
        return dynamic_depth.read_dynamic_depth(path, name, data, segments, found, exif, orientation)
    from . import xdm

    xdm_roots = xdm.find(data, segments, xmp_raw, xmp, name)
    if xdm_roots is not None:
        return xdm.read_xdm(path, name, data, xdm_roots, exif, orientation)

    mpf = js.read_mpf(data, segments, what=name)
    aux = _classify_mpf(data, mpf, name) if mpf else []
    if any(a["role"] in ("disparity", "depth") for a in aux):
        return _read_apple(path, name, data, mpf, aux, exif, orientation)
    if spatial.is_stereo_mpo(mpf):
        return spatial.read_stereo_mpo(path, name, data, mpf, exif, baseline_m=baseline_m)

    sef = samsung_sef_names(data, segments)
    if any(n.startswith("DualShot_DepthMap") for n in sef):
        raise UnsupportedFormatError(
            f"{name} is a Samsung Live Focus photo: its depth map is in the Samsung SEF trailer at the end of the file "
            f"({', '.join(sef)}). depthlab does not read that trailer yet (no licensed sample exists to test a reader "
            "against); Apple portrait HEIC/JPEG, Google Dynamic Depth and Lens Blur (GDepth) JPEGs are supported")
    if xmp_raw is not None and re.search(rb"Semantic\s*(=\s*[\"']|>)\s*Depth\b", xmp_raw):
        raise UnsupportedFormatError(
            f"{name} keeps a depth map as an appended file listed in a Google container (GContainer item with "
            "Semantic 'Depth'); depthlab does not read that container yet. Apple portrait HEIC/JPEG and Lens Blur "
            "(GDepth) JPEGs are supported"
        )
    raise NoDepthError(f"{name} holds no depth map ({_describe(data, segments, xmp, exif, aux)}). {_advice(exif)}")


#: Samsung's SEF trailer ends the file with this magic, after its directory ("SEFH" ...)
SEF_END = b"SEFT"
_SEF_NAME = re.compile(rb"(?:DualShot|Image_UTC|MCC|Camera|Shot|Photo|Burst)_[A-Za-z0-9_]{1,48}")


def samsung_sef_names(data: bytes, segments) -> list[str]:
    """Names of the blocks in a Samsung SEF trailer (``DualShot_DepthMap_1``, ...), or [] when the
    JPEG does not end with one.

    Convention (Samsung's trailer, as other tools describe it): the file ends with a 4-byte
    little-endian directory size and ``SEFT``; the directory starts with ``SEFH``; each data block
    (between the primary's EOI and the directory) carries its name as text.  Only the names are
    looked for, in the bytes after the primary image: detection, not reading.
    """
    if len(data) < 16 or data[-4:] != SEF_END:
        return []
    size = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - size
    if size < 12 or start < 0 or data[start:start + 4] != b"SEFH":
        return []
    try:
        primary_end = js.end_of_image(data, segments)
    except UnreadableFileError:
        primary_end = 0
    tail = data[max(primary_end, start - 64 * 2**20):start] if primary_end < start else b""  # bounded scan
    names: list[str] = []
    for m in _SEF_NAME.finditer(tail):
        n = m.group(0).decode("ascii")
        if n not in names:
            names.append(n)
        if len(names) >= 32:
            break
    return names


def _advice(exif: bytes | None) -> str:
    """What this photo's maker needs for depth (:func:`depthlab.formats.makers.no_depth_advice`)."""
    with quiet_exif_warnings():
        cam = camera_from_exif(exif)
    return no_depth_advice(cam.make, cam.model)


def _describe(data: bytes, segments, xmp: Xmp | None, exif: bytes | None, aux: list[dict]) -> str:
    """What an ordinary JPEG holds, for NoDepthError messages."""
    parts = []
    try:
        im = open_image(data, "the JPEG")
        parts.append(with_article(f"{im.size[0]}x{im.size[1]} JPEG"))
    except UnreadableFileError:
        parts.append("a JPEG")
    with quiet_exif_warnings():
        tags = read_exif(exif)
    who = camera_name(*(str(tags[t]) if tags.get(t) else None for t in (0x010F, 0x0110)))
    if who:
        parts.append(f"from {who}")
    if aux:
        parts.append("MPF images: " + ", ".join(a["label"] for a in aux))
    if xmp is not None:
        if any(k.startswith("{%s}" % HDRGM) for k in xmp):
            parts.append("an Ultra HDR photo")
        if any(k.startswith("{%s}" % GFOCUS) for k in xmp):
            parts.append("Lens Blur focus settings but no GDepth map")
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------
# Apple portrait JPEG
# --------------------------------------------------------------------------------------------


def _classify(xmp: Xmp | None) -> tuple[str, str]:
    """(role, label) of an MPF image from its XMP: role is "disparity", "depth", "matte:<name>",
    "other"; label is for people."""
    if xmp is None:
        return "other", "an image without XMP"
    typ = (xmp.text(APDI, "AuxiliaryImageType") or "").strip()
    sub = (xmp.text(APDI, "AuxiliaryImageSubType") or "").strip()
    for key in (sub, typ):  # the SubType first: a portrait matte's type says "depth"
        tail = key.rsplit(":", 1)[-1].lower()
        if tail in MATTE_NAMES:
            return f"matte:{MATTE_NAMES[tail]}", f"{MATTE_NAMES[tail]} matte"
        if tail in OTHER_AUX:
            return "other", OTHER_AUX[tail]
    if sub:
        return "other", f"auxiliary image {typ or '?'}/{sub}"
    if any(k.startswith("{%s}" % HDRGM) for k in xmp):
        return "other", "HDR gain map (Ultra HDR)"
    if typ in ("disparity", "depth"):
        return typ, f"{typ} map"
    return "other", f"auxiliary image {typ}" if typ else "an image without an auxiliary type"


def _classify_mpf(data: bytes, mpf: list[js.MpImage], name: str) -> list[dict[str, Any]]:
    out = []
    for img in mpf[1:]:
        what = f"{name}: MPF image {img.index}"
        blob = data[img.offset:img.end]
        segs = list(js.iter_segments(blob, what=what))
        raw = js.standard_xmp(blob, segs)
        xmp = None if raw is None else parse_xmp(raw, what=f"{what}'s XMP")
        role, label = _classify(xmp)
        out.append({"index": img.index, "blob": blob, "xmp": xmp, "role": role, "label": label, "what": what})
    return out


def _matte_loader(blob: bytes, orientation: Orientation, what: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        codes, bits = grey_codes(open_image(blob, what, MAX_AUX_PIXELS), what)
        top = np.float32((1 << bits) - 1)
        return np.ascontiguousarray(orientation.apply((codes.astype(np.float32) / top).clip(0, 1)))

    return load


def _read_apple(path: Path | None, name: str, data: bytes, mpf: list[js.MpImage], aux: list[dict],
                exif: bytes | None, orientation: Orientation) -> Capture:
    depth_aux = next(a for a in aux if a["role"] in ("disparity", "depth"))
    xmp: Xmp = depth_aux["xmp"]
    what = f"{depth_aux['what']} (the {depth_aux['role']} map)"
    im = open_image(depth_aux["blob"], what, MAX_AUX_PIXELS)
    stored_size = im.size
    codes, bits = grey_codes(im, what)

    fmin = xmp.float(APDI, "FloatMinValue")
    fmax = xmp.float(APDI, "FloatMaxValue")
    if fmin is None or fmax is None:
        raise UnreadableFileError(f"{what}: its XMP lacks apdi:FloatMinValue/FloatMaxValue, so its values cannot be turned into 1/m")
    imin = xmp.int(APDI, "IntMinValue")
    imax = xmp.int(APDI, "IntMaxValue")
    int_min = 0 if imin is None else imin
    int_max = (1 << bits) - 1 if imax is None else imax
    if int_max == int_min:
        raise UnreadableFileError(f"{what}: IntMinValue and IntMaxValue are both {int_min}; the value range is unusable")
    kind = depth_aux["role"]
    fmt = " from ".join(f for f in (fourcc(xmp.int(APDI, "StoredFormat")), fourcc(xmp.int(APDI, "NativeFormat"))) if f)

    disparity = disparity_from_codes(codes, fmin, fmax, int_min, int_max, kind)
    disparity = np.ascontiguousarray(orientation.apply(disparity))

    notes: list[str] = []
    accuracy = xmp.text(DEPTHDATA, "Accuracy")
    if accuracy not in ("relative", "absolute"):
        accuracy = None
    display_size = (disparity.shape[1], disparity.shape[0])
    calibration = calibration_for_display(
        xmp, stored_size, display_size, orientation, notes,
        source="depth image XMP in the JPEG's MPF (AVCameraCalibrationData)")

    with quiet_exif_warnings():
        camera = camera_from_exif(exif, accuracy=accuracy)
        exif_tags = read_exif(exif)
    primary_im = open_image(data, f"{name}: the primary image")
    rgb_size = oriented_size(primary_im.size, orientation)

    mattes: dict[str, Callable[[], np.ndarray]] = {}
    for a in aux:
        if a["role"].startswith("matte:"):
            mname = a["role"].split(":", 1)[1]
            if mname not in mattes:
                mattes[mname] = _matte_loader(a["blob"], orientation, f"{a['what']} (the {mname} matte)")

    meta: dict[str, Any] = {
        "container": "JPEG + MPF",
        "mpf_images": [{"index": img.index, "offset": img.offset, "size": img.size} for img in mpf],
        "mpf_contents": {str(a["index"]): a["label"] for a in aux},
        "depth_mpf_image": depth_aux["index"],
        "depth_stored_size": stored_size,
        "depth_orientation": orientation.to_dict(),
        "exif_orientation": exif_tags.get(TAG_ORIENTATION),
        "other_aux": sorted({a["label"] for a in aux if a["role"] == "other"}),
        "depth_xmp": {k: v for k, v in xmp.to_dict().items() if "RenderingParameters" not in k},
        "notes": notes,
    }
    return Capture(
        disparity=disparity,
        calibration=calibration,
        accuracy=accuracy,
        camera=camera,
        encoding=DepthEncoding(quantity=kind, bits=bits, float_min=fmin, float_max=fmax,
                               int_min=int_min, int_max=int_max, format=fmt or None),
        mattes=LazyMattes(mattes),
        path=path,
        format="JPEG (Apple portrait, MPF)",
        metadata=meta,
        rgb_loader=rgb_loader(data, orientation, f"{name}: the primary image"),
        rgb_size=rgb_size,
    )


# --------------------------------------------------------------------------------------------
# Google GDepth
# --------------------------------------------------------------------------------------------


def _b64(text: str | None, what: str, max_bytes: int) -> bytes | None:
    if text is None:
        return None
    if len(text) > max_bytes * 4 // 3 + 1024:
        raise UnreadableFileError(f"{what} is {len(text):,} characters of base64, more than allowed; the file is damaged")
    try:
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):  # XMP may wrap long values: drop whitespace, try again
            return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnreadableFileError(f"{what} is not valid base64 ({exc}); the file is damaged") from exc


def gdepth_to_metres(codes: np.ndarray, bits: int, fmt: str, near: float, far: float, unit_scale: float = 1.0) -> np.ndarray:
    """Depth in metres from GDepth integer codes.

    Convention: ``n = codes / (2**bits - 1)``; RangeLinear ``d = near + n (far - near)``;
    RangeInverse ``d = far near / (far - n (far - near))`` (uniform in 1/d; code 0 is ``near``);
    ``d`` is then multiplied by ``unit_scale`` (metres per file unit).  float32 (H, W) out,
    NaN where the result is not a positive finite number.
    """
    top = (1 << bits) - 1
    if codes.size and int(codes.max()) > top:
        raise UnreadableFileError(f"GDepth codes reach {int(codes.max())}, above the {bits}-bit maximum {top}")
    if fmt not in RANGE_FORMATS:
        raise UnreadableFileError(f"GDepth:Format is {fmt!r}; only RangeLinear and RangeInverse exist")
    # one value per possible code (256 or 65536), then a table look-up: exact and fast
    return range_lut(bits, fmt, near, far, unit_scale)[codes]


def _with_extended_xmp(data: bytes, segments, xmp: Xmp, guid: str | None, name: str,
                       what: str) -> tuple[Xmp, dict[str, Any] | None]:
    """The XMP merged with its extended part (when ``guid`` names one) and facts about that part."""
    if not guid:
        return xmp, None
    ext = js.extended_xmp(data, segments, guid, what=name)
    merged_ext = parse_xmp(ext.data, what=f"{name}: the extended XMP", max_bytes=js.MAX_EXTENDED_XMP)
    merged = Xmp({**xmp.to_dict(), **merged_ext.to_dict()}, what=what)
    return merged, {"guid": ext.guid, "bytes": len(ext.data), "chunks": ext.chunks, "guid_is_md5": ext.md5_ok}


def _gdepth_units(units: str | None, notes: list[str]) -> tuple[float, str]:
    """(metres per GDepth unit, accuracy) for ``GDepth:Units``; unknown units are noted."""
    if units is None:
        notes.append("no GDepth:Units: Near/Far kept as they are, in the file's own units (not metres); the scale is arbitrary")
        return 1.0, "relative"
    if units.lower() in LENGTH_UNITS:
        return LENGTH_UNITS[units.lower()], "absolute"
    notes.append(f"unknown GDepth:Units {units!r}: values kept as they are; the scale is arbitrary")
    return 1.0, "relative"


def _read_gdepth(path: Path | None, name: str, data: bytes, segments, xmp: Xmp, exif: bytes | None,
                 orientation: Orientation) -> Capture:
    w = f"{name}: the GDepth XMP"
    guid = xmp.text(XMPNOTE, "HasExtendedXMP")
    merged, ext_info = _with_extended_xmp(data, segments, xmp, guid, name, w)
    fmt = merged.text(GDEPTH, "Format")
    near = merged.float(GDEPTH, "Near")
    far = merged.float(GDEPTH, "Far")
    blob = _b64(merged.text(GDEPTH, "Data"), f"{name}: GDepth:Data", js.MAX_EXTENDED_XMP)
    if blob is None:
        raise NoDepthError(
            f"{name} has GDepth metadata but no depth image (GDepth:Data"
            f"{', and the extended XMP it needs is absent' if not guid else ''}). {_advice(exif)}"
        )
    if fmt not in ("RangeInverse", "RangeLinear"):
        raise UnreadableFileError(f"{w}: GDepth:Format is {fmt!r}; only RangeInverse and RangeLinear are defined")
    if near is None or far is None:
        raise UnreadableFileError(f"{w} lacks GDepth:Near or GDepth:Far, so its values cannot be turned into distances")
    if not (0 <= near < far) or (fmt == "RangeInverse" and near <= 0):
        raise UnreadableFileError(f"{w}: Near {near} and Far {far} do not describe a depth range (need 0 < Near < Far)")
    units = merged.text(GDEPTH, "Units")
    notes: list[str] = []
    unit_scale, accuracy = _gdepth_units(units, notes)
    mime = merged.text(GDEPTH, "Mime")
    what = f"{name}: the GDepth depth image ({mime or 'no GDepth:Mime'})"
    im = open_image(blob, what, MAX_AUX_PIXELS)
    stored_size = im.size
    codes, bits = grey_codes(im, what)
    codes_all = np.arange((1 << bits), dtype=np.uint16 if bits == 16 else np.uint8)
    with np.errstate(divide="ignore", invalid="ignore"):
        disparity_lut = (1.0 / gdepth_to_metres(codes_all, bits, fmt, near, far, unit_scale).astype(np.float64)).astype(np.float32)
    disparity = disparity_lut[codes]
    disparity = np.ascontiguousarray(orientation.apply(disparity))
    measure = merged.text(GDEPTH, "MeasureType")
    if measure and measure != "OpticalAxis":
        notes.append(f"GDepth:MeasureType {measure}: distances are along each pixel's ray, not along the optical axis")

    # colour: Lens Blur's original (GImage:Data) if present, else the primary
    gimage = _b64(merged.text(GIMAGE, "Data"), f"{name}: GImage:Data", js.MAX_EXTENDED_XMP)
    if gimage is not None:
        cim = open_image(gimage, f"{name}: the original image (GImage:Data)")
        colour_blob, colour_what, colour_source = gimage, f"{name}: the original image (GImage:Data)", "GImage:Data (original, unblurred)"
    else:
        cim = open_image(data, f"{name}: the primary image")
        colour_blob, colour_what, colour_source = data, f"{name}: the primary image", "primary image"
    rgb_size = oriented_size(cim.size, orientation)

    with quiet_exif_warnings():
        camera = camera_from_exif(exif, accuracy=accuracy)
        exif_tags = read_exif(exif)
    lens_blur = any(k.startswith("{%s}" % GFOCUS) for k in merged)
    if camera.kind == "unknown":
        camera = replace(camera, kind="Lens Blur" if lens_blur else "GDepth")
    focus = {k.split("}", 1)[1]: merged.float(GFOCUS, k.split("}", 1)[1]) for k in merged if k.startswith("{%s}" % GFOCUS)}

    meta: dict[str, Any] = {
        "container": "JPEG + GDepth XMP",
        "gdepth": {"format": fmt, "near": near, "far": far, "units": units, "mime": mime,
                   "measure_type": measure, "depth_stored_size": stored_size, "bits": bits},
        "extended_xmp": ext_info,
        "gfocus": focus or None,
        "colour_source": colour_source,
        "depth_orientation": orientation.to_dict(),
        "exif_orientation": exif_tags.get(TAG_ORIENTATION),
        "notes": notes,
    }
    if ext_info is not None and not ext_info["guid_is_md5"]:
        notes.append("the extended XMP's GUID is not its MD5 digest (the file was edited, or its writer deviates from the XMP spec)")
    return Capture(
        disparity=disparity,
        calibration=None,
        accuracy=accuracy,
        camera=camera,
        encoding=DepthEncoding(quantity="depth", bits=bits, int_min=0, int_max=(1 << bits) - 1,
                               format=fmt, near=near, far=far, units=units),
        mattes=LazyMattes({}),
        path=path,
        format="JPEG (Google GDepth)" if not lens_blur else "JPEG (Google Lens Blur, GDepth)",
        metadata=meta,
        rgb_loader=rgb_loader(colour_blob, orientation, colour_what),
        rgb_size=rgb_size,
    )


__all__ = ["read_jpeg", "gdepth_to_metres", "MATTE_NAMES"]
