"""Safe XMP parsing into typed values.

XMP is RDF/XML.  It is parsed with defusedxml: no DTDs, no entity expansion, no external
entities, and the input size is bounded before parsing.  The result is a flat mapping from
``"{namespace-uri}LocalName"`` to a string (simple property, attribute form or element form) or a
list of strings (``rdf:Seq`` / ``rdf:Bag`` / ``rdf:Alt``).  Typed getters turn those into finite
floats and ints or raise :class:`~depthlab.errors.UnreadableFileError` saying which key was bad.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Union
from xml.etree.ElementTree import Element

from ..errors import UnreadableFileError

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
APDI = "http://ns.apple.com/pixeldatainfo/1.0/"
DEPTHDATA = "http://ns.apple.com/depthData/1.0/"
GDEPTH = "http://ns.google.com/photos/1.0/depthmap/"
GIMAGE = "http://ns.google.com/photos/1.0/image/"
XMPNOTE = "http://ns.adobe.com/xmp/note/"

#: Default bound for one XMP packet (HEIC items, JPEG APP1).  Extended XMP passes a larger one.
MAX_XMP_BYTES = 4 * 1024 * 1024

Value = Union[str, list]


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


class Xmp(Mapping):
    """Flat, read-only view of an XMP packet: ``xmp[(ns, name)]`` or ``xmp["{ns}name"]``."""

    def __init__(self, values: dict[str, Value], what: str = "XMP"):
        self._values = values
        self.what = what

    # Mapping protocol over "{ns}name" keys
    def __getitem__(self, key) -> Value:
        if isinstance(key, tuple):
            key = "{%s}%s" % key
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key, default=None):  # type: ignore[override]
        try:
            return self[key]
        except KeyError:
            return default

    def text(self, ns: str, name: str) -> str | None:
        v = self.get((ns, name))
        if v is None:
            return None
        if isinstance(v, list):
            raise UnreadableFileError(f"{self.what}: {name} is a list where a single value was expected")
        return v.strip()

    def float(self, ns: str, name: str) -> float | None:
        """A finite float, None if absent; non-numbers and NaN/inf raise UnreadableFileError."""
        v = self.text(ns, name)
        if v is None:
            return None
        return _finite(v, name, self.what)

    def int(self, ns: str, name: str) -> int | None:
        v = self.text(ns, name)
        if v is None:
            return None
        try:
            return int(v)
        except ValueError:
            f = _finite(v, name, self.what)
            if f != int(f):
                raise UnreadableFileError(f"{self.what}: {name} should be a whole number, found {v!r}") from None
            return int(f)

    def floats(self, ns: str, name: str, count: int | None = None) -> list[float] | None:
        """A list of finite floats (rdf:Seq), None if absent; wrong count raises."""
        v = self.get((ns, name))
        if v is None:
            return None
        items = v if isinstance(v, list) else v.replace(",", " ").split()
        out = [_finite(s, name, self.what) for s in items]
        if count is not None and len(out) != count:
            raise UnreadableFileError(f"{self.what}: {name} has {len(out)} values, expected {count}")
        return out

    def to_dict(self) -> dict[str, Value]:
        return dict(self._values)


def _finite(text: str, name: str, what: str) -> float:
    try:
        f = float(text.strip())
    except ValueError:
        raise UnreadableFileError(f"{what}: {name} should be a number, found {text.strip()[:40]!r}") from None
    if not math.isfinite(f):
        raise UnreadableFileError(f"{what}: {name} is {text.strip()!r}, not a finite number; the file is damaged")
    return f


def _collect(elem: Element, out: dict[str, Value], depth: int = 0) -> None:
    if depth > 32:
        raise UnreadableFileError("XMP nests more than 32 levels deep")
    for key, value in elem.attrib.items():
        ns, _ = _local(key)
        if ns in (RDF, "http://www.w3.org/XML/1998/namespace") or key.startswith("xmlns"):
            continue
        out.setdefault(key, value)
    for child in elem:
        ns, local = _local(child.tag)
        if ns == RDF and local == "Description":
            _collect(child, out, depth + 1)
            continue
        containers = [c for c in child if _local(c.tag) in ((RDF, "Seq"), (RDF, "Bag"), (RDF, "Alt"))]
        if containers:
            items: list[str] = []
            for c in containers:
                for li in c:
                    if _local(li.tag) == (RDF, "li"):
                        items.append((li.text or "").strip())
            out.setdefault(child.tag, items)
        elif len(child) or child.attrib.get("{%s}parseType" % RDF) == "Resource":
            # a structure: keep its members flat (first occurrence wins)
            _collect(child, out, depth + 1)
        else:
            out.setdefault(child.tag, (child.text or "").strip())


def parse_xmp_root(data: bytes, what: str = "XMP", max_bytes: int = MAX_XMP_BYTES) -> Element:
    """Parse one XMP packet safely and return its root element (for structured XMP, e.g. the
    ordered lists of structures in Google's Dynamic Depth, which the flat :class:`Xmp` view
    cannot keep apart).

    Same safety and errors as :func:`parse_xmp`.
    """
    import defusedxml.ElementTree as SafeET
    from defusedxml import DefusedXmlException

    if len(data) > max_bytes:
        raise UnreadableFileError(f"{what} is {len(data):,} bytes, more than the {max_bytes:,} allowed; the file looks damaged")
    raw = bytes(data).rstrip(b"\x00 \t\r\n")
    start = raw.find(b"<x:xmpmeta")
    if start < 0:
        start = raw.find(b"<rdf:RDF")
    if start < 0:
        start = raw.find(b"<")
    if start < 0:
        raise UnreadableFileError(f"{what} holds no XML")
    end = raw.rfind(b"</x:xmpmeta>")
    body = raw[start:end + len(b"</x:xmpmeta>")] if end > start else raw[start:]
    # a DOCTYPE may sit before the root: refuse it explicitly (defusedxml refuses too)
    if b"<!DOCTYPE" in raw[:start] or b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise UnreadableFileError(f"{what} declares a DTD or entities, which XMP never needs; refusing to parse it")
    try:
        return SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UnreadableFileError(f"{what} uses forbidden XML features ({type(exc).__name__}); refusing to parse it") from exc
    except Exception as exc:  # ParseError, UnicodeDecodeError, ValueError
        raise UnreadableFileError(f"{what} is not well-formed XML ({exc})") from exc


def parse_xmp(data: bytes, what: str = "XMP", max_bytes: int = MAX_XMP_BYTES) -> Xmp:
    """Parse one XMP packet safely.

    ``data`` may carry an ``<?xpacket?>`` wrapper or trailing padding.  Larger than
    ``max_bytes``, DTDs, entities, external references and malformed XML all raise
    :class:`UnreadableFileError` naming ``what`` (e.g. "the depth item's XMP").
    """
    root = parse_xmp_root(data, what, max_bytes)
    values: dict[str, Value] = {}
    rdf_roots = [root] if _local(root.tag) == (RDF, "RDF") else root.findall(".//{%s}RDF" % RDF)
    for rdf in rdf_roots:
        for desc in rdf:
            try:
                _collect(desc, values)
            except UnreadableFileError as exc:
                raise UnreadableFileError(f"{what}: {exc}") from None
    return Xmp(values, what)
