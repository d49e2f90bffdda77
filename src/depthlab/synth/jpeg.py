"""Write synthetic captures as the JPEG depth photos phones make, from generic segment primitives.

Two layers:

**Primitives** (any JPEG-based depth container can be assembled from them; the Dynamic Depth
writer reuses them).  Every one returns bytes and checks the limits of the format instead of
writing something a reader would have to guess about:

* :func:`encode_jpeg` -- pixels to a plain baseline JPEG (Pillow; no EXIF, no XMP);
* :func:`marker_segment` -- one ``FF xx`` segment with its 2-byte length (at most 65,533 bytes of
  payload); :func:`exif_segment`, :func:`xmp_segment` (APP1 ``http://ns.adobe.com/xap/1.0/``);
* :func:`extended_xmp_segments` -- Adobe's extended XMP (XMP spec part 3): the packet split over
  APP1 ``http://ns.adobe.com/xmp/extension/`` segments, each with the 32-digit GUID (by the spec
  the MD5 of the whole packet, upper-case hex), the 4-byte total length and the 4-byte offset of
  its chunk, all big-endian;
* :func:`insert_segments` -- put segments into a JPEG right after SOI (and after a leading
  JFIF APP0, which must stay first);
* :func:`mpf_segment` / :func:`with_mpf_images` -- the CIPA DC-007 Multi-Picture Format index
  (APP2 ``MPF\\0``, big-endian TIFF IFD with MPFVersion, NumberOfImages, MPEntry) and the images
  appended after the primary, each entry's offset counted from the MPF TIFF header (the primary's
  is 0), as iPhones write portrait JPEGs;
* :func:`append_files` -- files concatenated after the primary JPEG, returning where each starts
  (Google's GContainer / Dynamic Depth layout: the XMP lists each item's length, no index).

**Writers** built on them, from a :class:`~depthlab.synth.render.SynthCapture`:

* :func:`apple_portrait_jpeg_bytes` -- an iPhone portrait JPEG like ``rear_dual_portrait.jpg``:
  primary colour JPEG with EXIF (orientation, make, lens), an MPF index, MPF image 1 an HDR gain
  map, image 2 the 8-bit disparity JPEG with Apple's ``apdi:``/``depthData:`` XMP (the same text
  the HEIC writer puts in the depth item), image 3 the portrait effects matte;
* :func:`gdepth_jpeg_bytes` -- a Google Camera Lens Blur JPEG like ``lens_blur_gdepth.jpg``:
  ``GFocus``/``GImage``/``GDepth`` attributes in the main XMP with ``xmpNote:HasExtendedXMP``, the
  depth PNG (``GDepth:Data``) and the original colour JPEG (``GImage:Data``) base64 in the extended
  XMP.

JPEG is lossy: the disparity and matte images are coded at quality 100, so codes read back within
a few steps (not exactly, unlike the lossless HEIC samples).  GDepth's depth PNG is exact.
Orientation works as in :mod:`depthlab.synth.heic`: ``orientation`` says how stored pixels become
the display; pixels and calibration are stored un-oriented and the EXIF Orientation tag says how
to turn them.  Nothing here depends on the clock or the machine: equal inputs give equal bytes
(for one Pillow/libjpeg version).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import struct
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..exchange.atomic import atomic_write
from ..capture import Orientation
from ..errors import InvalidInputError
from ..formats.jpeg_segments import EXIF_PREFIX, MPF_PREFIX, XMP_EXT_PREFIX, XMP_PREFIX
from .heic import exif_orientation, inverse_orientation, validate_capture, depth_xmp, exif_item, matte_xmp
from .render import SynthCapture

APP0, APP1, APP2 = 0xE0, 0xE1, 0xE2
#: A segment's length field counts itself: at most 65,535 - 2 bytes of payload.
MAX_SEGMENT_PAYLOAD = 0xFFFF - 2
#: Payload bytes of extended-XMP data per segment (Adobe's SDK uses 65,400 as well).
EXTENDED_XMP_CHUNK = 65400
#: MP entry attribute of a baseline primary image (CIPA DC-007 5.2.3.3.1: type code 0x030000).
MP_PRIMARY = 0x030000
GDEPTH_NS = "http://ns.google.com/photos/1.0/depthmap/"
GIMAGE_NS = "http://ns.google.com/photos/1.0/image/"
GFOCUS_NS = "http://ns.google.com/photos/1.0/focus/"
XMPNOTE_NS = "http://ns.adobe.com/xmp/note/"
HDR_GAIN_MAP_TYPE = "urn:com:apple:photo:2020:aux:hdrgainmap"


# --------------------------------------------------------------------------------------------
# primitives
# --------------------------------------------------------------------------------------------


def encode_jpeg(pixels: np.ndarray, quality: int = 90) -> bytes:
    """A baseline JPEG of ``pixels`` (uint8 (H, W) grey or (H, W, 3) RGB), without metadata.

    Pillow writes SOI, a JFIF APP0, tables, SOF0, SOS and the entropy-coded data; chroma is
    subsampled 4:2:0 as phones do.  ``quality`` 100 keeps 8-bit codes within a few steps.
    """
    from PIL import Image

    a = np.ascontiguousarray(pixels)
    if a.dtype != np.uint8 or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] != 3) or 0 in a.shape:
        raise InvalidInputError(f"encode_jpeg needs uint8 (H, W) or (H, W, 3) pixels, got {a.dtype} {a.shape}")
    buf = io.BytesIO()
    Image.fromarray(a, "L" if a.ndim == 2 else "RGB").save(buf, "JPEG", quality=int(quality), optimize=False,
                                                           progressive=False)
    return buf.getvalue()


def marker_segment(marker: int, payload: bytes) -> bytes:
    """``FF marker`` + big-endian length (payload + 2) + ``payload``; refuses more than
    :data:`MAX_SEGMENT_PAYLOAD` bytes (a JPEG segment cannot hold them)."""
    if not 0xC0 <= marker <= 0xFE or 0xD0 <= marker <= 0xD9:  # RSTn, SOI, EOI stand alone
        raise InvalidInputError(f"0x{marker:02X} is not a JPEG marker with a length field")
    if len(payload) > MAX_SEGMENT_PAYLOAD:
        raise InvalidInputError(f"a JPEG segment holds at most {MAX_SEGMENT_PAYLOAD:,} bytes, got {len(payload):,}")
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def exif_segment(tiff: bytes) -> bytes:
    """APP1 EXIF segment from a TIFF block (with or without its ``Exif\\0\\0`` header)."""
    return marker_segment(APP1, tiff if tiff.startswith(EXIF_PREFIX) else EXIF_PREFIX + tiff)


def xmp_segment(packet: bytes) -> bytes:
    """APP1 segment holding the main XMP ``packet`` (at most 65,504 bytes; larger content goes to
    :func:`extended_xmp_segments`)."""
    return marker_segment(APP1, XMP_PREFIX + packet)


def extended_xmp_guid(packet: bytes) -> str:
    """The GUID the XMP spec gives an extended packet: its MD5 digest, 32 upper-case hex digits."""
    return hashlib.md5(packet).hexdigest().upper()  # noqa: S324 - an identifier, not security


def extended_xmp_segments(packet: bytes, guid: str | None = None, chunk: int = EXTENDED_XMP_CHUNK) -> list[bytes]:
    """``packet`` as APP1 extended-XMP segments, in order: each is the extension prefix, the
    32-character ``guid`` (default :func:`extended_xmp_guid`), the total length and this chunk's
    offset (4 bytes each, big-endian), then at most ``chunk`` bytes of the packet.

    The main XMP must name the GUID in ``xmpNote:HasExtendedXMP``.  A wrong ``guid`` may be
    given on purpose (a test of a reader); it must still be 32 ASCII characters.
    """
    guid = extended_xmp_guid(packet) if guid is None else guid
    g = guid.encode("ascii")
    if len(g) != 32:
        raise InvalidInputError(f"an extended-XMP GUID has 32 characters, got {len(g)}")
    head = len(XMP_EXT_PREFIX) + 32 + 8
    if not 0 < chunk <= MAX_SEGMENT_PAYLOAD - head:
        raise InvalidInputError(f"chunk must be 1..{MAX_SEGMENT_PAYLOAD - head} bytes, got {chunk}")
    if not packet or len(packet) > 0xFFFFFFFF:
        raise InvalidInputError(f"an extended XMP packet has 1..4 GiB, got {len(packet):,} bytes")
    total = len(packet)
    return [marker_segment(APP1, XMP_EXT_PREFIX + g + struct.pack(">II", total, off) + packet[off:off + chunk])
            for off in range(0, total, chunk)]


def _first_segment_end(jpeg: bytes) -> int:
    """Where new segments go: after SOI, and after a JFIF/JFXX APP0 that must stay first."""
    if jpeg[:2] != b"\xff\xd8":
        raise InvalidInputError("not a JPEG (no SOI marker at the start)")
    pos = 2
    if jpeg[2:4] == b"\xff\xe0" and len(jpeg) >= 6:
        (length,) = struct.unpack_from(">H", jpeg, 4)
        if jpeg[6:10] in (b"JFIF", b"JFXX"):
            pos = 4 + length
    return pos


def insert_segments(jpeg: bytes, segments: Sequence[bytes]) -> bytes:
    """``jpeg`` with ``segments`` (complete, from :func:`marker_segment`) inserted, in order,
    right after SOI and a leading JFIF APP0."""
    pos = _first_segment_end(jpeg)
    return jpeg[:pos] + b"".join(segments) + jpeg[pos:]


_MPF_TAGS = 3  # MPFVersion, NumberOfImages, MPEntry
_MPF_IFD_BYTES = 8 + 2 + 12 * _MPF_TAGS + 4  # TIFF header, tag count, tags, next-IFD offset
#: TIFF types of MP Attribute IFD values (CIPA DC-007)
TIFF_LONG, TIFF_RATIONAL, TIFF_UNDEFINED, TIFF_SRATIONAL = 4, 5, 7, 10


def mp_attribute_ifd(attributes: Sequence[tuple[int, int, Any]], at: int) -> bytes:
    """An MP Attribute IFD (CIPA DC-007) placed at byte ``at`` of its MPF TIFF block.

    ``attributes`` = [(tag, TIFF type, value)]: LONG values inline, RATIONAL / SRATIONAL as
    ``(numerator, denominator)`` in the value area right after the IFD.  MPFVersion "0100" comes
    first, the rest in tag order; no next IFD.
    """
    tags = [(0xB000, TIFF_UNDEFINED, b"0100")] + sorted(attributes)
    values_at = at + 2 + 12 * len(tags) + 4
    head, values = struct.pack(">H", len(tags)), b""
    for tag, kind, value in tags:
        if kind == TIFF_UNDEFINED:
            head += struct.pack(">HHI", tag, kind, len(value)) + value
        elif kind == TIFF_LONG:
            head += struct.pack(">HHII", tag, kind, 1, value)
        elif kind in (TIFF_RATIONAL, TIFF_SRATIONAL):
            head += struct.pack(">HHII", tag, kind, 1, values_at + len(values))
            values += struct.pack(">II" if kind == TIFF_RATIONAL else ">ii", *value)
        else:
            raise InvalidInputError(f"MP attribute 0x{tag:04X}: TIFF type {kind} is not one DC-007 uses")
    return head + struct.pack(">I", 0) + values


def mpf_segment(entries: Sequence[tuple[int, int, int]], attributes: Sequence[tuple[int, int, Any]] | None = None) -> bytes:
    """APP2 MPF index for ``entries`` = [(attribute, size, offset), ...], primary first.

    Convention: big-endian TIFF; ``offset`` counts from the first byte of the TIFF header (just
    after ``MPF\\0`` in the primary's APP2) and is 0 for the primary; ``attribute`` is the MP type
    code (:data:`MP_PRIMARY` for the primary, 0 for Apple's auxiliary images) with its flags.
    The segment's length depends only on the number of entries (``4 + 50 + 16 n`` bytes of
    payload) and on ``attributes``, so a caller can lay out the file before it knows the offsets.
    ``attributes`` (as :func:`mp_attribute_ifd`) adds the primary's MP Attribute IFD after the
    entries, linked as the index IFD's next IFD (DC-007's layout of the first image's APP2).
    """
    n = len(entries)
    if not 1 <= n <= 64:
        raise InvalidInputError(f"an MPF index lists 1..64 images, got {n}")
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8)
    attr_at = _MPF_IFD_BYTES + 16 * n
    ifd = struct.pack(">H", _MPF_TAGS)
    ifd += struct.pack(">HHI", 0xB000, 7, 4) + b"0100"  # MPFVersion, UNDEFINED[4]
    ifd += struct.pack(">HHII", 0xB001, 4, 1, n)  # NumberOfImages, LONG
    ifd += struct.pack(">HHII", 0xB002, 7, 16 * n, _MPF_IFD_BYTES)  # MPEntry, UNDEFINED[16 n], offset
    ifd += struct.pack(">I", 0 if attributes is None else attr_at)  # next IFD: the MP Attribute IFD
    table = b"".join(struct.pack(">IIIHH", attr, size, off, 0, 0) for attr, size, off in entries)
    tail = b"" if attributes is None else mp_attribute_ifd(attributes, attr_at)
    return marker_segment(APP2, MPF_PREFIX + tiff + ifd + table + tail)


def mp_attribute_segment(attributes: Sequence[tuple[int, int, Any]]) -> bytes:
    """APP2 MPF of an individual image after the first: a TIFF header and its MP Attribute IFD."""
    return marker_segment(APP2, MPF_PREFIX + b"MM\x00\x2a" + struct.pack(">I", 8) + mp_attribute_ifd(attributes, 8))


def with_mpf_images(primary: bytes, images: Sequence[bytes], attributes: Sequence[int] | None = None,
                    mp_attributes: Sequence[Sequence[tuple[int, int, Any]]] | None = None) -> bytes:
    """``primary`` with an MPF index (APP2) inserted after its leading APPn segments and
    ``images`` (complete JPEGs) appended after it; ``attributes`` are their MP type codes
    (default 0, as Apple's; the primary's is :data:`MP_PRIMARY`, or ``attributes[0]`` when one
    more code than images is given).  ``mp_attributes`` (one list per image, primary first)
    gives every image its MP Attribute IFD, as 3D cameras write (:func:`mp_attribute_ifd`).
    Returns the whole file.

    Insert EXIF/XMP into ``primary`` first: a segment inserted later would move the images away
    from the offsets the index records.
    """
    if not images:
        raise InvalidInputError("with_mpf_images needs at least one image to append")
    for i, im in enumerate(images):
        if im[:2] != b"\xff\xd8":
            raise InvalidInputError(f"appended image {i + 1} is not a JPEG (no SOI)")
    attrs = list(attributes) if attributes is not None else [0] * len(images)
    first = attrs.pop(0) if len(attrs) == len(images) + 1 else MP_PRIMARY
    if len(attrs) != len(images) or (mp_attributes is not None and len(mp_attributes) != len(images) + 1):
        raise InvalidInputError("one attribute per appended image (and one MP attribute list per image, primary first)")
    if mp_attributes is not None:  # each later image's own APP2 MPF, after its other APPn segments
        images = [im[:_existing_app_end(im)] + mp_attribute_segment(a) + im[_existing_app_end(im):]
                  for im, a in zip(images, mp_attributes[1:])]
    own = None if mp_attributes is None else mp_attributes[0]
    # lay out with placeholder offsets (the segment's size does not depend on them)
    n = len(images) + 1
    probe = mpf_segment([(0, 0, 0)] * n, own)
    at = _existing_app_end(primary)
    tiff_base = at + 4 + len(MPF_PREFIX)  # FF E2, length, "MPF\0"
    primary_size = len(primary) + len(probe)
    entries = [(first, primary_size, 0)]
    pos = primary_size
    for im, attr in zip(images, attrs):
        entries.append((attr, len(im), pos - tiff_base))
        pos += len(im)
    seg = mpf_segment(entries, own)
    assert len(seg) == len(probe)
    return primary[:at] + seg + primary[at:] + b"".join(images)


def _existing_app_end(jpeg: bytes) -> int:
    """End of the leading APP0..APP15 segments (where an MPF APP2 goes, after EXIF and XMP)."""
    pos = _first_segment_end(jpeg)
    while pos + 4 <= len(jpeg) and jpeg[pos] == 0xFF and 0xE0 <= jpeg[pos + 1] <= 0xEF:
        (length,) = struct.unpack_from(">H", jpeg, pos + 2)
        pos += 2 + length
    return pos


def append_files(primary: bytes, files: Sequence[bytes]) -> tuple[bytes, list[int]]:
    """``primary`` followed by ``files``; returns the bytes and the offset where each file starts
    (a GContainer lists only each item's length, in this order, after the primary)."""
    out, offsets, pos = [primary], [], len(primary)
    for f in files:
        offsets.append(pos)
        out.append(bytes(f))
        pos += len(f)
    return b"".join(out), offsets


def rewrite_extended_xmp(data: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    """``data`` (a JPEG with an extended XMP) with its extended XMP packet replaced by
    ``edit(packet)``, re-chunked under the new packet's MD5 GUID, which the main XMP is updated to
    name.  For tests of readers: damaged or other-form descriptions made from a good file.

    >>> from depthlab.synth import dynamic_depth as sdd
    >>> data = sdd.pixel3_portrait_bytes(sdd.render_pixel3_portrait(depth_size=(48, 64)))
    >>> b"Diopters" in rewrite_extended_xmp(data, lambda p: p.replace(b"Diopters", b"Meters"))
    False
    """
    import re

    from ..formats import jpeg_segments as js

    segs = list(js.iter_segments(data))
    main = js.standard_xmp(data, segs) or b""
    m = re.search(rb'HasExtendedXMP(?:="|>)([0-9A-Fa-f]{32})', main)
    if m is None:
        raise InvalidInputError("the JPEG's main XMP names no extended XMP (xmpNote:HasExtendedXMP)")
    guid = m.group(1).decode()
    new = edit(js.extended_xmp(data, segs, guid).data)
    ext_segs = [s for s in segs if s.marker == 0xE1 and s.startswith(data, js.XMP_EXT_PREFIX)]
    first, last = ext_segs[0].offset, ext_segs[-1].end
    out = data[:first] + b"".join(extended_xmp_segments(new)) + data[last:]
    return out.replace(guid.encode(), extended_xmp_guid(new).encode(), 1)


def png_bytes(pixels: np.ndarray) -> bytes:
    """A PNG of ``pixels`` (uint8 or uint16 (H, W) grey, uint8 (H, W, 3) RGB), lossless."""
    from PIL import Image

    a = np.ascontiguousarray(pixels)
    if a.dtype == np.uint16 and a.ndim == 2:
        im = Image.fromarray(a.astype("<u2"))  # mode I;16
    elif a.dtype == np.uint8 and a.ndim in (2, 3):
        im = Image.fromarray(a)
    else:
        raise InvalidInputError(f"png_bytes needs uint8/uint16 grey or uint8 RGB pixels, got {a.dtype} {a.shape}")
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=False)
    return buf.getvalue()


def _attr_xmp(namespaces: dict[str, str], attrs: Sequence[tuple[str, str]]) -> bytes:
    """An XMP packet with simple properties in attribute form (as Google Camera writes them)."""
    ns = "".join(f'\n        xmlns:{k}="{v}"' for k, v in namespaces.items())
    body = "".join(f'\n      {k}="{v}"' for k, v in attrs)
    return ('<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="depthlab.synth">\n'
            '  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            f'    <rdf:Description rdf:about=""{ns}{body}/>\n  </rdf:RDF>\n</x:xmpmeta>\n').encode("utf-8")


# --------------------------------------------------------------------------------------------
# Apple portrait JPEG
# --------------------------------------------------------------------------------------------


def gain_map_xmp() -> bytes:
    """XMP of an HDR gain map MPF image, as iPhones write it (no depth: readers must skip it)."""
    from .heic import L008, xmp_packet

    return xmp_packet({"apdi": "http://ns.apple.com/pixeldatainfo/1.0/", "HDRGainMap": "http://ns.apple.com/HDRGainMap/1.0/"},
                [("apdi:AuxiliaryImageType", HDR_GAIN_MAP_TYPE), ("apdi:StoredFormat", str(L008)),
                 ("apdi:NativeFormat", str(L008)), ("HDRGainMap:HDRGainMapVersion", "65536")])


def apple_portrait_jpeg_bytes(cap: SynthCapture, orientation: Orientation | None = None, *, quality: int = 90,
                              gain_map: bool = True, matte: bool = True) -> bytes:
    """The whole portrait JPEG for ``cap`` (display orientation) stored with ``orientation``.

    Layout (``rear_dual_portrait.jpg``): primary = colour JPEG + APP1 EXIF + APP2 MPF; MPF image
    1 = HDR gain map (half size, grey) when ``gain_map``; next = disparity codes (quality 100) with
    the depth XMP and calibration (:func:`depthlab.synth.heic.depth_xmp`, in the stored frame);
    last = the portrait effects matte when ``matte``.  Each MPF image carries its own XMP in APP1.
    """
    orientation = orientation or Orientation()
    validate_capture(cap)
    inv = inverse_orientation(orientation)
    rgb = np.ascontiguousarray(inv.apply(cap.rgb))
    depth = np.ascontiguousarray(inv.apply(cap.depth_codes))
    calibration = cap.calibration.oriented(inv)
    h, w = rgb.shape[:2]
    exif = exif_item(cap, orientation, (w, h))[4:]  # drop the HEIF item's 4-byte header offset
    primary = insert_segments(encode_jpeg(rgb, quality), [exif_segment(exif)])
    images, attrs = [], []
    if gain_map:
        grey = rgb[::2, ::2].mean(axis=2).astype(np.uint8)
        images.append(insert_segments(encode_jpeg(grey, 80), [xmp_segment(gain_map_xmp())]))
        attrs.append(0)
    images.append(insert_segments(encode_jpeg(depth, 100), [xmp_segment(depth_xmp(cap, calibration))]))
    attrs.append(0)
    if matte:
        m = np.ascontiguousarray(inv.apply(cap.matte_codes))
        images.append(insert_segments(encode_jpeg(m, 100), [xmp_segment(matte_xmp())]))
        attrs.append(0)
    return with_mpf_images(primary, images, attrs)


def write_apple_portrait_jpeg(path: str | os.PathLike, cap: SynthCapture, orientation: Orientation | None = None,
                              overwrite: bool = False, **kwargs) -> None:
    """Write :func:`apple_portrait_jpeg_bytes` to ``path`` atomically (refuses to replace a file
    unless ``overwrite``)."""
    data = apple_portrait_jpeg_bytes(cap, orientation, **kwargs)
    with atomic_write(path, overwrite=overwrite) as fh:
        fh.write(data)


# --------------------------------------------------------------------------------------------
# Google GDepth (Lens Blur)
# --------------------------------------------------------------------------------------------


def gdepth_codes(depth_m: np.ndarray, fmt: str, near: float, far: float, bits: int = 8) -> np.ndarray:
    """Integer codes of ``depth_m`` in GDepth's encoding (the inverse of the reader's formulas).

    Convention: ``n = code / (2**bits - 1)``; RangeLinear ``n = (d - near) / (far - near)``;
    RangeInverse ``n = far (d - near) / (d (far - near))`` (so code 0 is ``near``, the top code
    ``far``).  Depths outside [near, far] are clipped; NaN becomes ``far``.
    """
    if fmt not in ("RangeLinear", "RangeInverse") or not 0 < near < far or bits not in (8, 16):
        raise InvalidInputError(f"GDepth needs Format RangeLinear/RangeInverse, 0 < near < far and 8 or 16 bits, got "
                                f"{fmt!r} {near} {far} {bits}")
    d = np.clip(np.nan_to_num(np.asarray(depth_m, dtype=np.float64), nan=far), near, far)
    n = (d - near) / (far - near) if fmt == "RangeLinear" else far * (d - near) / (d * (far - near))
    top = (1 << bits) - 1
    return np.clip(np.round(n * top), 0, top).astype(np.uint8 if bits == 8 else np.uint16)


def gdepth_jpeg_bytes(cap: SynthCapture, orientation: Orientation | None = None, *, fmt: str = "RangeInverse",
                      units: str | None = None, bits: int = 8, quality: int = 90,
                      original: bool = True, extended: bool = True) -> bytes:
    """A Google Camera Lens Blur JPEG of ``cap``: depth PNG in ``GDepth:Data``.

    The depth stored is what ``cap`` stores (``1 / cap.disparity``, so a relative capture keeps
    its wrong scale; holes take ``far``), Near/Far its finite range (as float32 numbers, which
    read back exactly), coded with :func:`gdepth_codes`.  ``units`` None writes no
    ``GDepth:Units`` (as Lens Blur: the reader calls the scale relative); "m" or "mm" state it.
    The main XMP holds ``GFocus`` (focal point at the image centre), ``GImage:Mime``, ``GDepth``
    Format/Near/Far/Mime and ``xmpNote:HasExtendedXMP``; the extended XMP holds ``GImage:Data``
    (the colour JPEG, when ``original``) and ``GDepth:Data``.  With ``extended`` False everything
    goes into the main XMP (only possible for small images: one segment holds 64 KB).
    EXIF carries the orientation; pixels are stored un-oriented.
    """
    orientation = orientation or Orientation()
    inv = inverse_orientation(orientation)
    with np.errstate(divide="ignore"):
        depth = 1.0 / cap.disparity.astype(np.float64)
    finite = depth[np.isfinite(depth) & (depth > 0)]
    if finite.size == 0:
        raise InvalidInputError("the capture has no finite depth to store")
    scale = {None: 1.0, "m": 1.0, "mm": 1000.0}.get(units)
    if scale is None:
        raise InvalidInputError(f"units must be None, 'm' or 'mm', got {units!r}")
    near, far = float(np.float32(finite.min() * scale)), float(np.float32(finite.max() * scale))
    if not near < far:
        far = float(np.nextafter(np.float32(near), np.float32(np.inf)))
    codes = np.ascontiguousarray(inv.apply(gdepth_codes(depth * scale, fmt, near, far, bits)))
    rgb = np.ascontiguousarray(inv.apply(cap.rgb))
    h, w = rgb.shape[:2]
    colour = encode_jpeg(rgb, quality)
    ns = {"GFocus": GFOCUS_NS, "GImage": GIMAGE_NS, "GDepth": GDEPTH_NS, "xmpNote": XMPNOTE_NS}
    main = [("GFocus:BlurAtInfinity", "0.01"), ("GFocus:FocalDistance", repr(float(np.float32(np.median(finite) * scale)))),
            ("GFocus:FocalPointX", "0.5"), ("GFocus:FocalPointY", "0.5")]
    if original:
        main.append(("GImage:Mime", "image/jpeg"))
    main += [("GDepth:Format", fmt), ("GDepth:Near", repr(near)), ("GDepth:Far", repr(far)), ("GDepth:Mime", "image/png")]
    if units is not None:
        main.append(("GDepth:Units", units))
    data_attrs = ([("GImage:Data", base64.b64encode(colour).decode("ascii"))] if original else []) + \
        [("GDepth:Data", base64.b64encode(png_bytes(codes)).decode("ascii"))]
    exif = exif_item(cap, orientation, (w, h))[4:]
    if extended:
        ext = _attr_xmp({"GImage": GIMAGE_NS, "GDepth": GDEPTH_NS}, data_attrs)
        guid = extended_xmp_guid(ext)
        segs = [exif_segment(exif), xmp_segment(_attr_xmp(ns, main + [("xmpNote:HasExtendedXMP", guid)])),
                *extended_xmp_segments(ext, guid)]
    else:
        segs = [exif_segment(exif), xmp_segment(_attr_xmp(ns, main + data_attrs))]
    # Lens Blur's primary is the blurred rendering; the synthetic one is the sharp colour image
    return insert_segments(colour, segs)


def write_gdepth_jpeg(path: str | os.PathLike, cap: SynthCapture, orientation: Orientation | None = None,
                      overwrite: bool = False, **kwargs) -> None:
    """Write :func:`gdepth_jpeg_bytes` to ``path`` atomically (refuses to replace a file unless
    ``overwrite``)."""
    data = gdepth_jpeg_bytes(cap, orientation, **kwargs)
    with atomic_write(path, overwrite=overwrite) as fh:
        fh.write(data)


__all__ = [
    "APP1", "APP2", "EXTENDED_XMP_CHUNK", "MAX_SEGMENT_PAYLOAD", "MP_PRIMARY",
    "append_files", "apple_portrait_jpeg_bytes", "encode_jpeg", "exif_segment", "extended_xmp_guid",
    "extended_xmp_segments", "gain_map_xmp", "gdepth_codes", "gdepth_jpeg_bytes", "insert_segments",
    "marker_segment", "mpf_segment", "png_bytes", "rewrite_extended_xmp", "with_mpf_images", "write_apple_portrait_jpeg",
    "write_gdepth_jpeg", "xmp_segment",
]
