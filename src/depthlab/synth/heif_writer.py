"""A small, bounded writer of HEIF files (ISO/IEC 14496-12 boxes, 23008-12 items).

The counterpart of :mod:`depthlab.formats.isobmff`: it lays out items the way an iPhone does —
``ftyp``, then ``meta`` (``hdlr``, ``pitm``, ``iinf``, ``iref``, ``iprp`` = ``ipco`` + ``ipma``,
``idat``, ``iloc``), then one ``mdat`` — from coded item payloads it is given.  It does not encode
pixels: HEVC bitstreams and their ``hvcC`` come from pillow-heif (see :mod:`depthlab.synth`).

Bounds: item ids and counts fit 16 bits (``infe`` version 2, ``iinf``/``iref``/``ipma`` version 0),
at most 32767 distinct properties, every box and the whole file below 4 GiB (32-bit sizes and
``iloc`` offsets).  Anything outside raises :class:`~depthlab.errors.InvalidInputError` before a
byte is produced.

Property helpers (``ispe``, ``pixi``, ``irot``, ``imir``, ``auxC``, ``colr``) return whole boxes;
:func:`depth_representation_sei` builds the depth representation information SEI (H.265 payload
type 177) that follows the ``urn:mpeg:hevc:2015:auxid:2`` URN in a depth item's ``auxC``.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

from ..errors import InvalidInputError

U32 = 0xFFFFFFFF
MAX_ITEM_ID = 0xFFFF
MAX_PROPERTIES = 0x7FFF
MAX_REFS_PER_ENTRY = 0xFFFF


def _fourcc(t: str) -> bytes:
    b = t.encode("latin-1") if isinstance(t, str) else bytes(t)
    if len(b) != 4:
        raise InvalidInputError(f"a box or item type must be 4 characters, got {t!r}")
    return b


def box(btype: str, payload: bytes) -> bytes:
    """A plain box: 32-bit size, 4-character type, payload."""
    size = 8 + len(payload)
    if size > U32:
        raise InvalidInputError(f"a '{btype}' box of {size:,} bytes does not fit a 32-bit size")
    return struct.pack(">I", size) + _fourcc(btype) + payload


def full_box(btype: str, version: int, flags: int, payload: bytes) -> bytes:
    """A full box: version (8 bits) and flags (24 bits) before the payload."""
    if not (0 <= version <= 255 and 0 <= flags <= 0xFFFFFF):
        raise InvalidInputError(f"'{btype}' version {version} / flags {flags} out of range")
    return box(btype, struct.pack(">I", (version << 24) | flags) + payload)


# --------------------------------------------------------------------------------------------
# item properties
# --------------------------------------------------------------------------------------------


def ispe(width: int, height: int) -> bytes:
    """Image spatial extents, as stored (before ``irot``/``imir``)."""
    w, h = int(width), int(height)
    if not (0 < w <= U32 and 0 < h <= U32):
        raise InvalidInputError(f"image size {width}x{height} cannot be stored in 'ispe'")
    return full_box("ispe", 0, 0, struct.pack(">II", w, h))


def pixi(*bits_per_channel: int) -> bytes:
    """Pixel information: bits per channel (one value for monochrome, three for colour)."""
    if not bits_per_channel or len(bits_per_channel) > 255 or not all(0 < b < 256 for b in bits_per_channel):
        raise InvalidInputError(f"'pixi' needs 1..255 channels of 1..255 bits, got {bits_per_channel}")
    return full_box("pixi", 0, 0, bytes([len(bits_per_channel), *bits_per_channel]))


def irot(angle: int) -> bytes:
    """Rotation anti-clockwise by ``angle`` degrees (0, 90, 180, 270)."""
    if angle % 90 or not 0 <= angle < 360:
        raise InvalidInputError(f"'irot' takes 0, 90, 180 or 270 degrees, got {angle}")
    return box("irot", bytes([angle // 90]))


def imir(axis: int) -> bytes:
    """Mirror: axis 0 swaps top and bottom (vertical mirror), 1 swaps left and right."""
    if axis not in (0, 1):
        raise InvalidInputError(f"'imir' axis must be 0 (vertical) or 1 (horizontal), got {axis}")
    return box("imir", bytes([axis]))


def auxC(urn: str, subtype: bytes = b"") -> bytes:
    """Auxiliary type: the URN, a NUL, then type-specific bytes (for depth: the SEI)."""
    u = urn.encode("utf-8")
    if b"\x00" in u or not u:
        raise InvalidInputError(f"an auxC URN must be non-empty text without NUL, got {urn!r}")
    return full_box("auxC", 0, 0, u + b"\x00" + bytes(subtype))


def colr_nclx(primaries: int = 1, transfer: int = 13, matrix: int = 6, full_range: bool = True) -> bytes:
    """Colour information 'nclx' (defaults: BT.709 primaries, sRGB transfer, BT.601 matrix, full range)."""
    return box("colr", b"nclx" + struct.pack(">HHHB", primaries, transfer, matrix, 0x80 if full_range else 0))


def hvcC(payload: bytes) -> bytes:
    """An ``hvcC`` box around a decoder configuration record taken from another file."""
    p = bytes(payload)
    if len(p) < 23 or p[0] != 1:
        raise InvalidInputError(f"not an HEVC decoder configuration record ({len(p)} bytes, version {p[:1].hex()})")
    return box("hvcC", p)


def _encode_sei_float(value: float) -> tuple[int, int, int, int]:
    """(sign, exponent, mantissa, mantissa_len) of H.265's depth representation element.

    value = (-1)^sign * 2^(exponent - 31) * (1 + mantissa / 2^mantissa_len), 0 < exponent < 127;
    the mantissa is as short as the value allows (at most 32 bits), and exact whenever the value
    has at most 33 significant bits (every float32 does).  Zero is written as -0 (exponent 0,
    mantissa 0, sign set), which reads back as a zero.
    """
    v = float(value)
    if not math.isfinite(v):
        raise InvalidInputError(f"depth representation values must be finite, got {value}")
    sign = 1 if v < 0 else 0
    v = abs(v)
    if v == 0.0:
        # written as -0: the set sign bit keeps the run of zero bits short of a start-code-like
        # "00 00 0x" byte pattern (libheif reads this NAL without emulation-prevention handling)
        return 1, 0, 0, 1
    m, e = math.frexp(v)  # v = m * 2^e, 0.5 <= m < 1
    exponent = e - 1 + 31
    if not 0 < exponent < 127:
        raise InvalidInputError(f"{value} is outside the range a depth representation element can store")
    frac = m * 2.0 - 1.0  # in [0, 1)
    for n in range(1, 33):
        scaled = frac * (1 << n)
        if scaled == int(scaled):
            return sign, exponent, int(scaled), n
    raise InvalidInputError(f"{value!r} needs more than 32 mantissa bits; round it to float32 first")


class _Bits:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def put(self, value: int, n: int) -> None:
        self.bits.extend((value >> (n - 1 - i)) & 1 for i in range(n))

    def ue(self, value: int) -> None:
        code = value + 1
        n = code.bit_length()
        self.put(0, n - 1)
        self.put(code, n)

    def bytes(self) -> bytes:
        bits = self.bits + [0] * (-len(self.bits) % 8)
        return bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8))


def depth_representation_sei(d_min: float, d_max: float, representation_type: int = 1) -> bytes:
    """The bytes that follow ``urn:mpeg:hevc:2015:auxid:2\\0`` in a depth item's ``auxC``.

    Layout (as iPhones write it and libheif reads it): a 32-bit length of what follows, then one
    NAL unit with a 32-bit length: prefix-SEI NAL header (type 39), payload type 177
    (depth_representation_info), payload size, then the payload — flags z_near=0 z_far=0
    d_min=1 d_max=1, ue(representation_type) (1 = uniform disparity), ue(disparity_reference_view
    = 0), then d_min and d_max as (sign, 7-bit exponent, 5-bit mantissa_len - 1, mantissa).
    Values round-trip exactly when they are float32 numbers.
    """
    if representation_type not in (0, 1, 2, 3):
        raise InvalidInputError(f"depth representation type must be 0..3, got {representation_type}")
    bw = _Bits()
    bw.put(0b0011, 4)
    bw.ue(representation_type)
    bw.ue(0)
    for v in (d_min, d_max):
        sign, exponent, mantissa, n = _encode_sei_float(v)
        bw.put(sign, 1)
        bw.put(exponent, 7)
        bw.put(n - 1, 5)
        bw.put(mantissa, n)
    payload = bw.bytes()
    nal = bytes([0x4E, 0x01, 177, len(payload)]) + payload
    if any(nal[i] == 0 and nal[i + 1] == 0 and nal[i + 2] <= 3 for i in range(len(nal) - 2)):
        # libheif reads this NAL without removing emulation-prevention bytes, so none may be needed
        raise InvalidInputError(f"depth range {d_min}..{d_max} encodes to a start-code-like byte run; nudge the values")
    inner = struct.pack(">I", len(nal)) + nal
    return struct.pack(">I", len(inner)) + inner


def parse_depth_representation_sei(data: bytes) -> dict:
    """Read back what :func:`depth_representation_sei` wrote (for tests and diagnostics)."""
    if len(data) < 12:
        raise InvalidInputError("depth representation SEI too short")
    pos = 8 + 4  # outer length, NAL length, NAL header (2), payload type, payload size
    bits = "".join(f"{b:08b}" for b in data[pos:])
    i = 0

    def take(n: int) -> int:
        nonlocal i
        if i + n > len(bits):
            raise InvalidInputError("depth representation SEI truncated")
        v = int(bits[i:i + n], 2) if n else 0
        i += n
        return v

    def ue() -> int:
        zeros = 0
        while take(1) == 0:
            zeros += 1
        return (1 << zeros) - 1 + take(zeros)

    flags = take(4)
    out: dict = {"representation_type": ue()}
    if flags & 0b0011:
        out["disparity_reference_view"] = ue()
    for name, bit in (("z_near", 8), ("z_far", 4), ("d_min", 2), ("d_max", 1)):
        if flags & bit:
            sign, exponent, n = take(1), take(7), take(5) + 1
            mantissa = take(n)
            value = 2.0 ** (exponent - 31) * (1 + mantissa / 2.0 ** n) if exponent else mantissa * 2.0 ** -(30 + n)
            out[name] = -value if sign else value
    return out


# --------------------------------------------------------------------------------------------
# the file
# --------------------------------------------------------------------------------------------


@dataclass
class _Item:
    id: int
    type: str
    data: bytes
    properties: list[tuple[int, bool]]  # (1-based ipco index, essential)
    name: str = ""
    content_type: str = ""
    hidden: bool = False
    in_idat: bool = False


@dataclass
class HeifBuilder:
    """Collects items, properties and references; :meth:`to_bytes` lays out the file.

    >>> b = HeifBuilder()
    >>> pid = b.add_item("hvc1", coded, [(hvcC(cfg), True), (ispe(64, 48), False)])   # doctest: +SKIP
    >>> b.set_primary(pid); data = b.to_bytes()                                         # doctest: +SKIP

    Identical property boxes are stored once and shared (as Apple shares ``irot``/``pixi``).
    """

    major_brand: str = "heic"
    compatible_brands: tuple[str, ...] = ("mif1", "heic", "heix", "miaf")
    _items: list[_Item] = field(default_factory=list)
    _props: list[bytes] = field(default_factory=list)
    _prop_index: dict[bytes, int] = field(default_factory=dict)
    _refs: list[tuple[str, int, tuple[int, ...]]] = field(default_factory=list)
    _primary: int | None = None
    _groups: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)

    def add_property(self, box_bytes: bytes) -> int:
        """Store a property box (shared when identical); its 1-based ``ipco`` index."""
        b = bytes(box_bytes)
        if len(b) < 8 or struct.unpack(">I", b[:4])[0] != len(b):
            raise InvalidInputError("a property must be one whole box")
        if b not in self._prop_index:
            if len(self._props) >= MAX_PROPERTIES:
                raise InvalidInputError(f"more than {MAX_PROPERTIES} distinct properties")
            self._props.append(b)
            self._prop_index[b] = len(self._props)
        return self._prop_index[b]

    def add_item(self, item_type: str, data: bytes, properties: list[tuple[bytes, bool]] = (),
                 *, name: str = "", content_type: str = "", hidden: bool = False, in_idat: bool = False) -> int:
        """Add an item; ``properties`` are (box, essential) in ``ipma`` order.  Returns its id."""
        _fourcc(item_type)
        if item_type == "mime" and not content_type:
            raise InvalidInputError("a 'mime' item needs a content type")
        item_id = len(self._items) + 1
        if item_id > MAX_ITEM_ID:
            raise InvalidInputError(f"more than {MAX_ITEM_ID} items")
        if len(properties) > 255:
            raise InvalidInputError(f"an item can carry at most 255 properties, got {len(properties)}")
        assoc = [(self.add_property(p), bool(e)) for p, e in properties]
        self._items.append(_Item(item_id, item_type, bytes(data), assoc, name, content_type, hidden, in_idat))
        return item_id

    def add_ref(self, ref_type: str, from_id: int, to_ids: list[int] | tuple[int, ...]) -> None:
        """A reference ``from_id -> to_ids`` (e.g. ``auxl`` aux -> primary, ``cdsc`` metadata -> image)."""
        _fourcc(ref_type)
        ids = tuple(int(i) for i in to_ids)
        known = {it.id for it in self._items}
        if from_id not in known or not ids or any(i not in known for i in ids):
            raise InvalidInputError(f"reference {ref_type} {from_id} -> {ids} names items that do not exist")
        if len(ids) > MAX_REFS_PER_ENTRY:
            raise InvalidInputError(f"a reference can list at most {MAX_REFS_PER_ENTRY} items")
        self._refs.append((ref_type, int(from_id), ids))

    def add_group(self, group_type: str, entity_ids: list[int] | tuple[int, ...]) -> None:
        """An entity group in ``grpl`` (ISO/IEC 23008-12), e.g. ``ster`` = (left, right) views.
        Group ids follow the last item id, as Apple numbers them."""
        _fourcc(group_type)
        ids = tuple(int(i) for i in entity_ids)
        known = {it.id for it in self._items}
        if not ids or any(i not in known for i in ids):
            raise InvalidInputError(f"group {group_type} {ids} names items that do not exist")
        self._groups.append((group_type, ids))

    def set_primary(self, item_id: int) -> None:
        if item_id not in {it.id for it in self._items}:
            raise InvalidInputError(f"primary item {item_id} does not exist")
        self._primary = int(item_id)

    # -- layout --------------------------------------------------------------------------------
    def _meta(self, mdat_payload_start: int, idat_payload: bytes, offsets: dict[int, int]) -> bytes:
        hdlr = full_box("hdlr", 0, 0, b"\x00" * 4 + b"pict" + b"\x00" * 12 + b"\x00")
        dinf = box("dinf", full_box("dref", 0, 0, struct.pack(">I", 1) + full_box("url ", 0, 1, b"")))
        pitm = full_box("pitm", 0, 0, struct.pack(">H", self._primary))
        infes = b"".join(
            full_box("infe", 2, 1 if it.hidden else 0,
                     struct.pack(">HH", it.id, 0) + _fourcc(it.type) + it.name.encode("utf-8") + b"\x00"
                     + ((it.content_type.encode("utf-8") + b"\x00") if it.type == "mime" else b""))
            for it in self._items
        )
        iinf = full_box("iinf", 0, 0, struct.pack(">H", len(self._items)) + infes)
        iref = b""
        if self._refs:
            iref = full_box("iref", 0, 0, b"".join(
                box(t, struct.pack(">HH", f, len(to)) + b"".join(struct.pack(">H", i) for i in to))
                for t, f, to in self._refs))
        ipco = box("ipco", b"".join(self._props))
        big = len(self._props) > 127
        entries = []
        for it in self._items:
            if not it.properties:
                continue
            e = struct.pack(">HB", it.id, len(it.properties))
            for idx, ess in it.properties:
                e += struct.pack(">H", idx | (0x8000 if ess else 0)) if big else bytes([idx | (0x80 if ess else 0)])
            entries.append(e)
        ipma = full_box("ipma", 0, 1 if big else 0, struct.pack(">I", len(entries)) + b"".join(entries))
        iprp = box("iprp", ipco + ipma)
        grpl = b""
        if self._groups:
            grpl = box("grpl", b"".join(
                full_box(t, 0, 0, struct.pack(">II", len(self._items) + 1 + k, len(ids)) + b"".join(struct.pack(">I", i) for i in ids))
                for k, (t, ids) in enumerate(self._groups)))
        idat = box("idat", idat_payload) if idat_payload else b""
        # iloc version 1 (construction method), offset/length 4 bytes, base offset 0, no index
        locs = b""
        for it in self._items:
            method = 1 if it.in_idat else 0
            off = offsets[it.id] + (0 if it.in_idat else mdat_payload_start)
            if off > U32 or len(it.data) > U32:
                raise InvalidInputError("the file would exceed 4 GiB, which this writer does not support")
            locs += struct.pack(">HHHHII", it.id, method, 0, 1, off, len(it.data))
        iloc = full_box("iloc", 1, 0, bytes([0x44, 0x00]) + struct.pack(">H", len(self._items)) + locs)
        return full_box("meta", 0, 0, hdlr + dinf + pitm + iinf + iref + iprp + grpl + idat + iloc)

    def to_bytes(self) -> bytes:
        """The whole file: ``ftyp``, ``meta``, ``mdat``."""
        if self._primary is None:
            raise InvalidInputError("no primary item was set")
        for it in self._items:
            if len(it.data) == 0:
                raise InvalidInputError(f"item {it.id} ({it.type}) has no data")
        ftyp = box("ftyp", _fourcc(self.major_brand) + b"\x00" * 4 + b"".join(_fourcc(b) for b in self.compatible_brands))
        offsets: dict[int, int] = {}
        idat_payload = b""
        mdat_len = 0
        for it in self._items:
            if it.in_idat:
                offsets[it.id] = len(idat_payload)
                idat_payload += it.data
            else:
                offsets[it.id] = mdat_len
                mdat_len += len(it.data)
        # the meta box's size does not depend on the offsets (fixed 4-byte fields): two passes
        meta_len = len(self._meta(0, idat_payload, offsets))
        mdat_payload_start = len(ftyp) + meta_len + 8
        meta = self._meta(mdat_payload_start, idat_payload, offsets)
        if len(meta) != meta_len:  # pragma: no cover - layout invariant
            raise AssertionError("meta box size changed between passes")
        mdat = box("mdat", b"".join(it.data for it in self._items if not it.in_idat))
        return ftyp + meta + mdat


def grid_descriptor(rows: int, columns: int, width: int, height: int) -> bytes:
    """The data of a ``grid`` item: rows x columns tiles cropped to width x height."""
    if not (1 <= rows <= 256 and 1 <= columns <= 256):
        raise InvalidInputError(f"a grid has 1..256 rows and columns, got {rows}x{columns}")
    if width <= 0 or height <= 0:
        raise InvalidInputError(f"grid output size must be positive, got {width}x{height}")
    if width > 0xFFFF or height > 0xFFFF:
        return struct.pack(">BBBBII", 0, 1, rows - 1, columns - 1, width, height)
    return struct.pack(">BBBBHH", 0, 0, rows - 1, columns - 1, width, height)
