"""Bounded reading of a JPEG's metadata: marker segments, the MPF index, extended XMP.

Pillow decodes the pixels; this module finds what sits around them, checking every length and
offset against the bytes actually present before it is used:

* :func:`iter_segments` walks the marker segments from SOI up to the first SOS (where the
  entropy-coded data begins, after which no metadata segments follow in practice).
* :func:`read_mpf` reads the CIPA DC-007 Multi-Picture Format index (APP2 ``"MPF\\0"``): where
  each image of the file starts and how long it is.  Offsets count from the MPF TIFF header,
  except the first image's, which is 0 (the file itself).
* :func:`extended_xmp` reassembles Adobe's extended XMP (XMP spec part 3): APP1 segments
  ``"http://ns.adobe.com/xmp/extension/\\0"`` + 32-character GUID + 4-byte total length +
  4-byte offset + chunk, all big-endian.  The main XMP's ``xmpNote:HasExtendedXMP`` names the
  GUID, which by the spec is the MD5 digest of the whole extended packet.

Why not Pillow's own MPO support: Pillow does not check MPF offsets against the file size,
silently opens an Ultra HDR file (which uses MPF for its gain map) as a plain JPEG, and turns a
malformed MPF index into a warning; a depth reader has to know which of these it is looking at.

Everything here raises :class:`~depthlab.errors.UnreadableFileError` (never struct/index errors)
and allocates nothing larger than the input, or the declared extended-XMP total after it was
checked against ``max_total`` and against the chunks present.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ..errors import UnreadableFileError

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
APP1, APP2 = 0xE1, 0xE2
# markers without a length field: TEM, RSTn, SOI, EOI
_STANDALONE = {0x01, *range(0xD0, 0xD8), SOI, EOI}

XMP_PREFIX = b"http://ns.adobe.com/xap/1.0/\x00"
XMP_EXT_PREFIX = b"http://ns.adobe.com/xmp/extension/\x00"
EXIF_PREFIX = b"Exif\x00\x00"
MPF_PREFIX = b"MPF\x00"

#: Default cap on reassembled extended XMP (a base64 depth PNG plus colour JPEG is a few MB).
MAX_EXTENDED_XMP = 64 * 1024 * 1024
#: Phones write a handful of MPF images; an index claiming more is damaged.
MAX_MPF_IMAGES = 64
_MAX_SEGMENTS = 100_000


@dataclass(frozen=True)
class Segment:
    """One marker segment: ``marker`` (e.g. 0xE1 for APP1), ``offset`` of its 0xFF byte, and the
    payload's ``start``/``end`` (after the 2-byte length)."""

    marker: int
    offset: int
    start: int
    end: int

    def payload(self, data: bytes) -> bytes:
        return data[self.start:self.end]

    def startswith(self, data: bytes, prefix: bytes) -> bool:
        return self.end - self.start >= len(prefix) and data[self.start:self.start + len(prefix)] == prefix


def iter_segments(data: bytes, start: int = 0, what: str = "the JPEG") -> Iterator[Segment]:
    """Yield the marker segments of the JPEG beginning at ``data[start]``, up to and including SOS.

    Convention: offsets index ``data``; the walk stops after SOS or EOI.  A missing SOI, a
    length running past the end, or bytes that are not a marker raise UnreadableFileError.
    """
    n = len(data)
    if n - start < 4 or data[start] != 0xFF or data[start + 1] != SOI:
        raise UnreadableFileError(f"{what} does not start with a JPEG SOI marker (FF D8)")
    pos = start + 2
    for _ in range(_MAX_SEGMENTS):
        if pos >= n:
            raise UnreadableFileError(f"{what} ends at byte {n:,} before its image data (no SOS marker); it is truncated")
        if data[pos] != 0xFF:
            raise UnreadableFileError(
                f"{what}: expected a marker at byte {pos:,}, found 0x{data[pos]:02X}; the metadata segments are damaged"
            )
        # any number of 0xFF fill bytes may precede a marker
        while pos < n and data[pos] == 0xFF:
            pos += 1
        if pos >= n:
            raise UnreadableFileError(f"{what} ends inside a marker at byte {n:,}; it is truncated")
        marker = data[pos]
        offset = pos - 1
        pos += 1
        if marker == 0x00:
            raise UnreadableFileError(f"{what}: a stuffed byte (FF 00) at {offset:,} where a marker was expected; damaged")
        if marker in _STANDALONE:
            yield Segment(marker, offset, pos, pos)
            if marker == EOI:
                return
            continue
        if pos + 2 > n:
            raise UnreadableFileError(f"{what} ends inside the length of segment 0xFF{marker:02X} at {offset:,}; truncated")
        length = (data[pos] << 8) | data[pos + 1]
        if length < 2:
            raise UnreadableFileError(f"{what}: segment 0xFF{marker:02X} at {offset:,} declares length {length}, less than 2")
        end = pos + length
        if end > n:
            raise UnreadableFileError(
                f"{what}: segment 0xFF{marker:02X} at byte {offset:,} declares {length:,} bytes but only "
                f"{n - pos:,} remain; the file is truncated"
            )
        yield Segment(marker, offset, pos + 2, end)
        if marker == SOS:
            return
        pos = end
    raise UnreadableFileError(f"{what} has more than {_MAX_SEGMENTS:,} metadata segments; it is damaged")


def end_of_image(data: bytes, segments: Sequence[Segment], what: str = "the JPEG") -> int:
    """Where the JPEG whose ``segments`` are given ends: the position just after its EOI marker.

    Convention: ``segments`` come from :func:`iter_segments` (ending with SOS).  Entropy-coded
    data never holds FF D9 (a data byte FF is stuffed as FF 00), so the first FF D9 after the
    first scan's header is the EOI, also for progressive files (their later scan headers and
    tables sit between scans and hold no FF D9 either).  A file without one is truncated.
    """
    sos = next((s for s in segments if s.marker == SOS), None)
    if sos is None:
        raise UnreadableFileError(f"{what} has no image data (no SOS marker); it is truncated")
    at = data.find(b"\xff\xd9", sos.end)
    if at < 0:
        raise UnreadableFileError(f"{what} has no end-of-image marker (FF D9): it is truncated")
    return at + 2


# --------------------------------------------------------------------------------------------
# MPF
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MpImage:
    """One image listed in the MPF index: absolute ``offset`` and ``size`` in the file (both
    checked to lie inside it), the MP ``type`` code (0x030000 = baseline primary) and ``index``."""

    index: int
    offset: int
    size: int
    type: int

    @property
    def end(self) -> int:
        return self.offset + self.size


def read_mpf(data: bytes, segments: Sequence[Segment], what: str = "the JPEG") -> list[MpImage] | None:
    """The MPF index of the JPEG whose segments are given, or None when it has no MPF segment.

    Convention: returned offsets are absolute positions in ``data``; image 0 is the primary at
    offset 0.  Every image must lie inside ``data`` and begin with SOI, and the count is capped
    at :data:`MAX_MPF_IMAGES`; otherwise UnreadableFileError says which entry is wrong.
    """
    seg = next((s for s in segments if s.marker == APP2 and s.startswith(data, MPF_PREFIX)), None)
    if seg is None:
        return None
    base = seg.start + len(MPF_PREFIX)  # the TIFF header: MPF offsets count from here
    w = f"{what}: the MPF index"
    block, bo, u16, u32 = _mpf_tiff(data, seg, w)
    ifd = u32(4)
    count = u16(ifd)
    if count > 64:
        raise UnreadableFileError(f"{w} claims {count} tags; the file is damaged")
    n_images = None
    entries_at = entries_len = None
    for i in range(count):
        e = ifd + 2 + 12 * i
        tag, cnt = u16(e), u32(e + 4)
        if tag == 0xB001:  # NumberOfImages, LONG
            n_images = u32(e + 8)
        elif tag == 0xB002:  # MPEntry, UNDEFINED, 16 bytes per image
            entries_len = cnt
            entries_at = u32(e + 8) if cnt > 4 else e + 8
    if n_images is None or entries_at is None or entries_len is None:
        raise UnreadableFileError(f"{w} lacks the number of images or the image entries; the file is damaged")
    if n_images < 1 or n_images > MAX_MPF_IMAGES:
        raise UnreadableFileError(f"{w} claims {n_images:,} images (at most {MAX_MPF_IMAGES} are plausible); the file is damaged")
    if entries_len != 16 * n_images:
        raise UnreadableFileError(f"{w} has {entries_len} bytes of entries for {n_images} images (16 each); damaged")
    if entries_at + entries_len > len(block):
        raise UnreadableFileError(f"{w}'s entries run past the end of its segment; the file is damaged")
    images: list[MpImage] = []
    n = len(data)
    for i in range(n_images):
        attr, size, off = struct.unpack_from(bo + "III", block, entries_at + 16 * i)
        start = 0 if i == 0 else base + off
        if i > 0 and off == 0:
            raise UnreadableFileError(f"{w}: image {i} has offset 0, which only the first image may have; damaged")
        if size < 4 or start + size > n:
            raise UnreadableFileError(
                f"{w}: image {i} claims bytes {start:,}..{start + size:,} but the file has {n:,} bytes; "
                "it is truncated or the index is damaged"
            )
        if data[start:start + 2] != b"\xff\xd8":
            raise UnreadableFileError(f"{w}: image {i} at byte {start:,} does not start with a JPEG SOI marker; damaged")
        images.append(MpImage(index=i, offset=start, size=size, type=attr & 0x00FFFFFF))
    return images


def _mpf_tiff(data: bytes, seg: Segment, w: str) -> tuple[bytes, str, Callable[[int], int], Callable[[int], int]]:
    """An MPF segment's TIFF block, its byte order, and bounded u16/u32 readers of it."""
    block = data[seg.start + len(MPF_PREFIX):seg.end]
    if len(block) < 8 or block[:4] not in (b"MM\x00*", b"II*\x00"):
        raise UnreadableFileError(f"{w} has no valid TIFF header; the file is damaged")
    bo = ">" if block[:2] == b"MM" else "<"

    def u16(off: int) -> int:
        if off < 0 or off + 2 > len(block):
            raise UnreadableFileError(f"{w} points past its own segment (byte {off}); the file is damaged")
        return struct.unpack_from(bo + "H", block, off)[0]

    def u32(off: int) -> int:
        if off < 0 or off + 4 > len(block):
            raise UnreadableFileError(f"{w} points past its own segment (byte {off}); the file is damaged")
        return struct.unpack_from(bo + "I", block, off)[0]

    return block, bo, u16, u32


#: MP Attribute IFD tags (CIPA DC-007) of a multi-view set that depthlab reads
MP_ATTRIBUTE_TAGS = {0xB101: "MPIndividualNum", 0xB204: "BaseViewpointNum", 0xB205: "ConvergenceAngle",
                     0xB206: "BaselineLength", 0xB207: "VerticalDivergence"}


def read_mp_attributes(data: bytes, start: int = 0, what: str = "the JPEG") -> dict[str, float | int | None]:
    """The MP Attribute IFD (CIPA DC-007) of the individual image beginning at ``data[start]``:
    ``{name: value}`` for the tags of :data:`MP_ATTRIBUTE_TAGS` it holds; empty without an MPF
    segment or attribute IFD.

    Convention: in the first image's APP2 the attribute IFD is the MP Index IFD's next IFD; in a
    later image's it is the first IFD (both found by walking the chain).  LONGs are ints;
    RATIONAL / SRATIONAL are floats (BaselineLength in metres, the angles in degrees), ``None``
    when the writer stated "unknown" (numerator and denominator 0xFFFFFFFF) or a zero denominator.
    """
    segments = iter_segments(data, start, what)
    seg = next((s for s in segments if s.marker == APP2 and s.startswith(data, MPF_PREFIX)), None)
    if seg is None:
        return {}
    w = f"{what}: the MPF attributes"
    block, bo, u16, u32 = _mpf_tiff(data, seg, w)
    out: dict[str, float | int | None] = {}
    ifd, seen = u32(4), set()
    while ifd and ifd not in seen and len(seen) < 4:  # the index IFD (first image only), then the attributes
        seen.add(ifd)
        count = u16(ifd)
        if count > 64:
            raise UnreadableFileError(f"{w} claims {count} tags; the file is damaged")
        for i in range(count):
            e = ifd + 2 + 12 * i
            tag, kind = u16(e), u16(e + 2)
            name = MP_ATTRIBUTE_TAGS.get(tag)
            if name is None:
                continue
            if kind == 4:  # LONG
                out[name] = u32(e + 8)
            elif kind in (5, 10):  # RATIONAL, SRATIONAL: 8 bytes at the offset
                at = u32(e + 8)
                num, den = u32(at), u32(at + 4)
                if kind == 10:
                    num, den = struct.unpack(bo + "ii", struct.pack(bo + "II", num, den))
                unknown = (num, den) in ((0xFFFFFFFF, 0xFFFFFFFF), (-1, -1)) or den == 0
                out[name] = None if unknown else num / den
            else:
                raise UnreadableFileError(f"{w}: {name} has TIFF type {kind}, not the one DC-007 defines; damaged")
        ifd = u32(ifd + 2 + 12 * count)
    return out


# --------------------------------------------------------------------------------------------
# XMP (standard and extended)
# --------------------------------------------------------------------------------------------


def standard_xmp(data: bytes, segments: Sequence[Segment]) -> bytes | None:
    """The main XMP packet (first APP1 ``http://ns.adobe.com/xap/1.0/``), or None."""
    for s in segments:
        if s.marker == APP1 and s.startswith(data, XMP_PREFIX):
            return data[s.start + len(XMP_PREFIX):s.end]
    return None


def exif_payload(data: bytes, segments: Sequence[Segment]) -> bytes | None:
    """The EXIF APP1 payload including its ``Exif\\0\\0`` header, or None."""
    for s in segments:
        if s.marker == APP1 and s.startswith(data, EXIF_PREFIX):
            return s.payload(data)
    return None


_GUID = re.compile(r"^[0-9A-Fa-f]{32}$")


@dataclass(frozen=True)
class ExtendedXmp:
    """Reassembled extended XMP: the packet bytes, its GUID, the number of chunks, and whether
    the GUID equals the packet's MD5 digest (as the XMP spec requires)."""

    data: bytes
    guid: str
    chunks: int
    md5_ok: bool


def extended_xmp(data: bytes, segments: Sequence[Segment], guid: str, max_total: int = MAX_EXTENDED_XMP,
                 what: str = "the JPEG") -> ExtendedXmp:
    """Reassemble the extended XMP named by ``guid`` from the APP1 extension segments.

    Refuses (UnreadableFileError) a GUID that is not 32 hex digits, no segment with that GUID
    (naming the GUIDs present), disagreeing or absurd totals (more than ``max_total`` or than
    the file holds), chunks past the total, duplicated or overlapping chunks, and gaps.
    Segments carrying other GUIDs are ignored, as the XMP spec asks.  Memory: one buffer of the
    declared total, allocated only after the chunks were shown to cover it exactly.
    """
    w = f"{what}: the extended XMP"
    guid = guid.strip()
    if not _GUID.match(guid):
        raise UnreadableFileError(f"{what}: xmpNote:HasExtendedXMP is {guid[:40]!r}, not a 32-digit GUID; the file is damaged")
    head = len(XMP_EXT_PREFIX) + 32 + 8
    chunks: list[tuple[int, int, int]] = []  # (offset in packet, start in data, length)
    others: set[str] = set()
    total: int | None = None
    for s in segments:
        if s.marker != APP1 or not s.startswith(data, XMP_EXT_PREFIX):
            continue
        if s.end - s.start < head:
            raise UnreadableFileError(f"{w}: a segment at byte {s.offset:,} is too short to hold its header; damaged")
        p = s.start + len(XMP_EXT_PREFIX)
        seg_guid = data[p:p + 32].decode("latin-1")
        if seg_guid.upper() != guid.upper():
            others.add(seg_guid)
            continue
        seg_total, seg_off = struct.unpack_from(">II", data, p + 32)
        if total is None:
            total = seg_total
            if total == 0 or total > max_total or total > len(data):
                raise UnreadableFileError(
                    f"{w} declares {total:,} bytes (the limit is {min(max_total, len(data)):,}); the file is damaged"
                )
        elif seg_total != total:
            raise UnreadableFileError(f"{w}: its chunks disagree on the total length ({total:,} vs {seg_total:,}); damaged")
        chunks.append((seg_off, p + 40, s.end - (p + 40)))
    if total is None:
        found = f"; the file has extension segments for {', '.join(sorted(others))}" if others else \
            "; the file has no extension segments at all"
        raise UnreadableFileError(
            f"{w} with GUID {guid} named by xmpNote:HasExtendedXMP is missing{found}. The file was "
            "probably re-saved by a program that dropped it"
        )
    chunks.sort()
    expect = 0
    prev = -1
    for off, _, length in chunks:
        if off < expect:
            kind = "duplicated" if off == prev else "overlapping"
            raise UnreadableFileError(f"{w}: a chunk at offset {off:,} is {kind} (already covered up to {expect:,}); damaged")
        if off > expect:
            raise UnreadableFileError(f"{w}: bytes {expect:,}..{off:,} of {total:,} are missing (a segment was lost)")
        if off + length > total:
            raise UnreadableFileError(f"{w}: a chunk at offset {off:,} runs past the declared total {total:,}; damaged")
        expect, prev = off + length, off
    if expect != total:
        raise UnreadableFileError(f"{w}: bytes {expect:,}..{total:,} of {total:,} are missing (a segment was lost)")
    buf = bytearray(total)
    for off, start, length in chunks:
        buf[off:off + length] = data[start:start + length]
    packet = bytes(buf)
    md5_ok = hashlib.md5(packet).hexdigest().upper() == guid.upper()  # noqa: S324 - an identifier, not security
    return ExtendedXmp(packet, guid.upper(), len(chunks), md5_ok)
