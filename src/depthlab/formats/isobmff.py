"""A small, bounded reader of HEIF item structure (ISO/IEC 14496-12 boxes, 23008-12 items).

Why our own: pillow-heif decodes pixels but does not expose the XMP ``mime`` item attached to the
depth item (where Apple keeps the calibration), nor per-item ``irot``/``imir``.  This module reads
just the item structure of the ``meta`` box: ``pitm``, ``iinf``/``infe``, ``iref``, ``iprp``
(``ipco`` + ``ipma``), ``iloc`` and ``idat``.

Every size, count and offset is checked against the bytes actually present before it is used, so
hostile files raise :class:`~depthlab.errors.UnreadableFileError` quickly and with bounded memory
(no allocation is sized by a number read from the file beyond what the file itself holds).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Iterator

from ..errors import UnreadableFileError

_U16 = struct.Struct(">H").unpack_from
_U32 = struct.Struct(">I").unpack_from

MAX_DEPTH = 16  # box nesting we follow
#: Items, locations, property associations and references we read.  An iPhone 16 file holds
#: about 125 items and libheif refuses more than 1000; a bound far below 65536 keeps a hostile
#: 'iloc'/'ipma'/'iref' with millions of (present) entries from costing seconds of Python loops.
MAX_ITEMS = 4096
#: ipma property indices are at most 15 bits
MAX_PROPERTIES = 32767
#: Boxes laid end to end in one container (a phone file has a handful at the top level, a few
#: hundred in 'ipco'); a file of millions of tiny boxes is refused instead of walked.
MAX_BOXES = 65536
#: Extents over all items of one 'iloc' (phones write one per item; libheif allows 32 per item).
MAX_EXTENTS = 65536


@dataclass(frozen=True)
class Box:
    type: str
    offset: int  # of the box header in the buffer
    header_size: int
    size: int  # whole box, header included

    @property
    def body(self) -> int:
        return self.offset + self.header_size

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class Item:
    id: int
    type: str
    name: str = ""
    content_type: str = ""
    uri_type: str = ""
    hidden: bool = False


@dataclass(frozen=True)
class Ref:
    type: str
    from_id: int
    to_ids: tuple[int, ...]


@dataclass(frozen=True)
class EntityGroup:
    """One EntityToGroupBox of 'grpl' (ISO/IEC 23008-12): e.g. 'ster' = (left, right) views."""

    type: str
    group_id: int
    entity_ids: tuple[int, ...]


@dataclass(frozen=True)
class Property:
    type: str
    payload: bytes  # body after the 8/16-byte header (version/flags included for full boxes)
    essential: bool
    raw: bytes  # the whole box


@dataclass(frozen=True)
class Extent:
    offset: int
    length: int


@dataclass
class HeifFile:
    """The item structure of a HEIF file, with its bytes for item data."""

    data: bytes
    primary_id: int
    items: dict[int, Item]
    refs: list[Ref]
    property_boxes: list[Property]
    associations: dict[int, list[tuple[int, bool]]]  # item -> [(1-based ipco index, essential)]
    locations: dict[int, tuple[int, list[Extent]]]  # item -> (construction method, extents)
    idat: tuple[int, int] | None = None  # (offset, length) of idat payload in data
    brands: tuple[str, ...] = field(default=())
    groups: tuple[EntityGroup, ...] = field(default=())  # entity groups of 'grpl', in file order

    def properties(self, item_id: int) -> list[Property]:
        out = []
        for index, essential in self.associations.get(item_id, []):
            if index == 0:
                continue
            if index > len(self.property_boxes):
                raise UnreadableFileError(
                    f"item {item_id} points at property {index}, but the file has only {len(self.property_boxes)}"
                )
            p = self.property_boxes[index - 1]
            out.append(Property(p.type, p.payload, essential, p.raw))
        return out

    def property(self, item_id: int, ptype: str) -> Property | None:
        for p in self.properties(item_id):
            if p.type == ptype:
                return p
        return None

    def refs_from(self, item_id: int, rtype: str | None = None) -> list[int]:
        """Items that ``item_id`` references (``from -> to``) with reference type ``rtype``."""
        out: list[int] = []
        for r in self.refs:
            if r.from_id == item_id and (rtype is None or r.type == rtype):
                out.extend(r.to_ids)
        return out

    def refs_to(self, item_id: int, rtype: str | None = None) -> list[int]:
        """Items whose reference of type ``rtype`` points at ``item_id``."""
        return [r.from_id for r in self.refs if item_id in r.to_ids and (rtype is None or r.type == rtype)]

    def item_data(self, item_id: int, max_bytes: int | None = None) -> bytes:
        """The item's bytes (all extents concatenated), checked against the file."""
        if item_id not in self.locations:
            raise UnreadableFileError(f"item {item_id} has no location in 'iloc'")
        method, extents = self.locations[item_id]
        if method == 0:
            base, limit = 0, len(self.data)
        elif method == 1:
            if self.idat is None:
                raise UnreadableFileError(f"item {item_id} lives in 'idat', but the file has no 'idat' box")
            base, limit = self.idat[0], self.idat[0] + self.idat[1]
        else:
            raise UnreadableFileError(f"item {item_id} uses iloc construction method {method}, which depthlab does not support")
        total = 0
        parts = []
        for e in extents:
            start = base + e.offset
            length = (limit - start) if e.length == 0 else e.length
            if start < base or length < 0 or start + length > limit:
                raise UnreadableFileError(
                    f"item {item_id} claims bytes {e.offset}..{e.offset + length} but the data ends at {limit - base}; the file is truncated or damaged"
                )
            total += length
            if max_bytes is not None and total > max_bytes:
                raise UnreadableFileError(f"item {item_id} is larger than the {max_bytes:,} bytes allowed for it")
            parts.append(self.data[start:start + length])
        return b"".join(parts)

    # -- typed property helpers ----------------------------------------------------------------
    def image_size(self, item_id: int) -> tuple[int, int] | None:
        """``ispe`` (width, height) as stored, before irot/imir."""
        p = self.property(item_id, "ispe")
        if p is None:
            return None
        if len(p.payload) < 12:
            raise UnreadableFileError(f"item {item_id}'s 'ispe' box is {len(p.payload)} bytes, too short")
        w, h = struct.unpack(">II", p.payload[4:12])
        return w, h

    def transforms(self, item_id: int) -> list[tuple[str, int]]:
        """The item's transformative properties in their ``ipma`` order: ("irot", angle) or ("imir", axis).

        ``irot`` angle is in degrees anti-clockwise (0, 90, 180, 270); ``imir`` axis 0 mirrors
        top-bottom (about a horizontal axis) and 1 left-right, as libheif reads it.
        """
        out = []
        for p in self.properties(item_id):
            if p.type == "irot" and p.payload:
                out.append(("irot", (p.payload[0] & 3) * 90))
            elif p.type == "imir" and p.payload:
                out.append(("imir", p.payload[0] & 1))
        return out

    def aux_type(self, item_id: int) -> str | None:
        """The ``auxC`` URN of an auxiliary image, or None."""
        p = self.property(item_id, "auxC")
        if p is None:
            return None
        body = p.payload[4:]
        nul = body.find(b"\x00")
        urn = body if nul < 0 else body[:nul]
        return urn.decode("utf-8", "replace")

    def aux_subtype(self, item_id: int) -> bytes:
        """The bytes after the ``auxC`` URN (for depth: the depth representation SEI)."""
        p = self.property(item_id, "auxC")
        if p is None:
            return b""
        body = p.payload[4:]
        nul = body.find(b"\x00")
        return b"" if nul < 0 else body[nul + 1:]


# --------------------------------------------------------------------------------------------
# low-level box walking
# --------------------------------------------------------------------------------------------


def iter_boxes(data: bytes, start: int = 0, end: int | None = None, *, max_boxes: int = MAX_BOXES) -> Iterator[Box]:
    """Yield the boxes laid end to end in ``data[start:end]``, checking every size.

    More than ``max_boxes`` boxes in one run raise :class:`UnreadableFileError`.
    """
    end = len(data) if end is None else end
    if end > len(data):
        raise UnreadableFileError(f"a box claims to end at byte {end}, past the end of the file ({len(data)} bytes)")
    pos = start
    count = 0
    while pos < end:
        count += 1
        if count > max_boxes:
            raise UnreadableFileError(f"more than {max_boxes:,} boxes in a row at offset {pos}; the file is damaged")
        if end - pos < 8:
            raise UnreadableFileError(f"{end - pos} stray bytes at offset {pos} where a box header was expected")
        size, raw_type = struct.unpack_from(">I4s", data, pos)
        btype = raw_type.decode("latin-1")
        header = 8
        if size == 1:
            if end - pos < 16:
                raise UnreadableFileError(f"box '{btype}' at offset {pos} is cut off in its 64-bit size")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise UnreadableFileError(
                f"box '{btype}' at offset {pos} claims {size:,} bytes but only {end - pos:,} remain; the file is truncated or damaged"
            )
        yield Box(btype, pos, header, size)
        pos += size


class _Cursor:
    """Bounds-checked big-endian reads within [pos, end)."""

    def __init__(self, data: bytes, pos: int, end: int, what: str):
        self.data, self.pos, self.end, self.what = data, pos, end, what

    def need(self, n: int) -> None:
        if n < 0 or self.pos + n > self.end:
            raise UnreadableFileError(f"'{self.what}' box is cut short (needs {n} more bytes at offset {self.pos})")

    def u(self, nbytes: int) -> int:
        """An unsigned big-endian integer of 0, 1, 2, 3, 4 or 8 bytes (hot path: no helpers)."""
        p = self.pos
        e = p + nbytes
        if e > self.end:
            self.need(nbytes)  # raises with the message
        self.pos = e
        if nbytes == 1:
            return self.data[p]
        if nbytes == 2:
            return _U16(self.data, p)[0]
        if nbytes == 4:
            return _U32(self.data, p)[0]
        if nbytes == 0:
            return 0
        return int.from_bytes(self.data[p:e], "big")

    def fourcc(self) -> str:
        self.need(4)
        v = self.data[self.pos:self.pos + 4].decode("latin-1")
        self.pos += 4
        return v

    def cstring(self) -> str:
        nul = self.data.find(b"\x00", self.pos, self.end)
        stop = self.end if nul < 0 else nul
        s = self.data[self.pos:stop].decode("utf-8", "replace")
        self.pos = stop + 1 if nul >= 0 else self.end
        return s

    @property
    def left(self) -> int:
        return self.end - self.pos


def _fullbox(c: _Cursor) -> tuple[int, int]:
    v = c.u(1)
    flags = c.u(3)
    return v, flags


# --------------------------------------------------------------------------------------------
# meta parsing
# --------------------------------------------------------------------------------------------


def parse_heif(data: bytes) -> HeifFile:
    """Read the item structure of a HEIF/HEIC file held in ``data``.

    Raises :class:`UnreadableFileError` when the file is not HEIF or its structure is damaged.
    """
    if len(data) < 12 or data[4:8] != b"ftyp":
        raise UnreadableFileError("not a HEIF file (no 'ftyp' box at the start)")
    brands: tuple[str, ...] = ()
    meta: Box | None = None
    for box in iter_boxes(data):
        if box.type == "ftyp":
            raw = data[box.body:box.end]
            if len(raw) >= 8:
                brands = tuple(raw[i:i + 4].decode("latin-1") for i in [0] + list(range(8, len(raw) - 3, 4)))
        elif box.type == "meta" and meta is None:
            meta = box
    if meta is None:
        raise UnreadableFileError("this HEIF file has no 'meta' box, so it holds no images")
    if meta.size < meta.header_size + 4:
        raise UnreadableFileError("the 'meta' box is too short")

    primary: int | None = None
    items: dict[int, Item] = {}
    refs: list[Ref] = []
    props: list[Property] = []
    assoc: dict[int, list[tuple[int, bool]]] = {}
    locs: dict[int, tuple[int, list[Extent]]] = {}
    idat: tuple[int, int] | None = None
    groups: tuple[EntityGroup, ...] = ()

    for box in iter_boxes(data, meta.body + 4, meta.end):
        c = _Cursor(data, box.body, box.end, box.type)
        if box.type == "pitm":
            v, _ = _fullbox(c)
            primary = c.u(2 if v == 0 else 4)
        elif box.type == "iinf":
            items = _parse_iinf(data, box)
        elif box.type == "iref":
            refs = _parse_iref(data, box)
        elif box.type == "iprp":
            props, assoc = _parse_iprp(data, box)
        elif box.type == "iloc":
            locs = _parse_iloc(data, box)
        elif box.type == "idat":
            idat = (box.body, box.size - box.header_size)
        elif box.type == "grpl":
            groups = _parse_grpl(data, box)
    if primary is None:
        raise UnreadableFileError("this HEIF file names no primary image ('pitm' missing)")
    if primary not in items:
        raise UnreadableFileError(f"the primary image (item {primary}) is not listed in 'iinf'")
    return HeifFile(data, primary, items, refs, props, assoc, locs, idat, brands, groups)


def _parse_iinf(data: bytes, box: Box) -> dict[int, Item]:
    c = _Cursor(data, box.body, box.end, "iinf")
    v, _ = _fullbox(c)
    count = c.u(2 if v == 0 else 4)
    if count > MAX_ITEMS or count * 12 > c.left + 12:
        raise UnreadableFileError(f"'iinf' claims {count:,} items, more than its {c.left} bytes can hold")
    items: dict[int, Item] = {}
    for b in iter_boxes(data, c.pos, box.end):
        if b.type != "infe":
            continue
        e = _Cursor(data, b.body, b.end, "infe")
        ver, flags = _fullbox(e)
        if ver >= 2:
            iid = e.u(2 if ver == 2 else 4)
            e.u(2)  # protection index
            itype = e.fourcc()
            name = e.cstring()
            ctype = uri = ""
            if itype == "mime":
                ctype = e.cstring()
            elif itype == "uri ":
                uri = e.cstring()
        else:
            iid = e.u(2)
            e.u(2)
            name = e.cstring()
            ctype = e.cstring()
            itype, uri = "mime", ""
        if iid in items:
            raise UnreadableFileError(f"item {iid} is declared twice in 'iinf'")
        items[iid] = Item(iid, itype, name, ctype, uri, bool(flags & 1))
        if len(items) > MAX_ITEMS:
            raise UnreadableFileError("too many items in 'iinf'")
    return items


def _parse_grpl(data: bytes, box: Box) -> tuple[EntityGroup, ...]:
    groups: list[EntityGroup] = []
    for b in iter_boxes(data, box.body, box.end):
        if len(groups) >= MAX_ITEMS:
            raise UnreadableFileError(f"'grpl' holds more than {MAX_ITEMS:,} groups; the file is damaged")
        c = _Cursor(data, b.body, b.end, f"grpl/{b.type}")
        _fullbox(c)
        group_id = c.u(4)
        n = c.u(4)
        if n * 4 > c.left:
            raise UnreadableFileError(f"entity group '{b.type}' {group_id} claims {n} entities but holds {c.left // 4}")
        groups.append(EntityGroup(b.type, group_id, tuple(c.u(4) for _ in range(n))))
    return tuple(groups)


def _parse_iref(data: bytes, box: Box) -> list[Ref]:
    c = _Cursor(data, box.body, box.end, "iref")
    v, _ = _fullbox(c)
    w = 2 if v == 0 else 4
    refs: list[Ref] = []
    for b in iter_boxes(data, c.pos, box.end):
        if len(refs) >= MAX_ITEMS:
            raise UnreadableFileError(f"'iref' holds more than {MAX_ITEMS:,} references; the file is damaged")
        r = _Cursor(data, b.body, b.end, f"iref/{b.type}")
        frm = r.u(w)
        n = r.u(2)
        if n * w > r.left:
            raise UnreadableFileError(f"'iref' entry from item {frm} claims {n} references but holds {r.left // w}")
        refs.append(Ref(b.type, frm, tuple(r.u(w) for _ in range(n))))
    return refs


def _parse_iprp(data: bytes, box: Box) -> tuple[list[Property], dict[int, list[tuple[int, bool]]]]:
    props: list[Property] = []
    assoc: dict[int, list[tuple[int, bool]]] = {}
    for b in iter_boxes(data, box.body, box.end):
        if b.type == "ipco":
            for p in iter_boxes(data, b.body, b.end):
                if len(props) >= MAX_PROPERTIES:
                    raise UnreadableFileError(f"'ipco' holds more than {MAX_PROPERTIES:,} properties; the file is damaged")
                props.append(Property(p.type, bytes(data[p.body:p.end]), False, bytes(data[p.offset:p.end])))
        elif b.type == "ipma":
            c = _Cursor(data, b.body, b.end, "ipma")
            v, flags = _fullbox(c)
            n = c.u(4)
            idw = 2 if v < 1 else 4
            if n > MAX_ITEMS:
                raise UnreadableFileError(f"'ipma' claims {n:,} entries; depthlab reads at most {MAX_ITEMS:,}")
            if n * (idw + 1) > c.left:
                raise UnreadableFileError(f"'ipma' claims {n:,} entries but holds at most {c.left // (idw + 1):,}")
            aw = 2 if flags & 1 else 1
            for _ in range(n):
                iid = c.u(idw)
                k = c.u(1)
                lst = assoc.setdefault(iid, [])
                for _ in range(k):
                    x = c.u(aw)
                    top = 1 << (8 * aw - 1)
                    lst.append((x & (top - 1), bool(x & top)))
    return props, assoc


def _parse_iloc(data: bytes, box: Box) -> dict[int, tuple[int, list[Extent]]]:
    c = _Cursor(data, box.body, box.end, "iloc")
    v, _ = _fullbox(c)
    if v > 2:
        raise UnreadableFileError(f"'iloc' version {v} is unknown")
    a = c.u(1)
    b = c.u(1)
    off_size, len_size, base_size = a >> 4, a & 15, b >> 4
    idx_size = (b & 15) if v in (1, 2) else 0
    for s in (off_size, len_size, base_size, idx_size):
        if s not in (0, 4, 8):
            raise UnreadableFileError(f"'iloc' uses a field size of {s} bytes; only 0, 4 and 8 exist")
    count = c.u(2 if v < 2 else 4)
    if count > MAX_ITEMS:
        raise UnreadableFileError(f"'iloc' claims {count:,} items; depthlab reads at most {MAX_ITEMS:,}")
    per_item_min = (2 if v < 2 else 4) + (2 if v else 0) + 2 + base_size + 2
    if count * per_item_min > c.left:
        raise UnreadableFileError(f"'iloc' claims {count:,} items but holds at most {c.left // per_item_min:,}")
    out: dict[int, tuple[int, list[Extent]]] = {}
    total_extents = 0
    for _ in range(count):
        iid = c.u(2 if v < 2 else 4)
        method = (c.u(2) & 15) if v in (1, 2) else 0
        c.u(2)  # data reference index
        base = c.u(base_size)
        n = c.u(2)
        per_ext = idx_size + off_size + len_size
        total_extents += n
        if total_extents > MAX_EXTENTS:
            raise UnreadableFileError(f"'iloc' lists more than {MAX_EXTENTS:,} extents; the file is damaged")
        if n * per_ext > c.left:
            raise UnreadableFileError(f"'iloc' item {iid} claims {n:,} extents but the box holds at most {c.left // max(per_ext, 1):,}")
        exts = []
        for _ in range(n):
            c.u(idx_size)
            exts.append(Extent(base + c.u(off_size), c.u(len_size)))
        if iid in out:
            raise UnreadableFileError(f"item {iid} is located twice in 'iloc'")
        out[iid] = (method, exts)
    return out
