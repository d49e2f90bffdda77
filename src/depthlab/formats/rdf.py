"""RDF structures in XMP, read the ways the RDF/XML syntax allows (Dynamic Depth, XDM).

XMP structures (a camera, a container item, a depth map...) may carry their properties as
attributes or as elements, inside ``rdf:Description`` nodes or ``parseType="Resource"``
elements, or in RDF's typed-value form (the properties inside an ``rdf:value`` node, next to an
``rdf:type``).  These helpers read them all alike, strict about numbers and bounded in depth and
size; every error is an :class:`~depthlab.errors.UnreadableFileError` naming ``what`` was read.

>>> from depthlab.formats.xmp import parse_xmp_root
>>> root = parse_xmp_root(b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:a="urn:a">'
...     b'<rdf:Description><a:S rdf:parseType="Resource"><rdf:value rdf:parseType="Resource"><a:x>1.5</a:x>'
...     b'</rdf:value></a:S></rdf:Description></rdf:RDF>')
>>> props(child(root[0], "urn:a", "S"), "urn:a")
{'x': '1.5'}
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from collections.abc import Iterable
from xml.etree.ElementTree import Element

from ..errors import UnreadableFileError
from .xmp import RDF

#: Lens and blur tables (FocalTable, Distortion) hold at most this many float32 values.
MAX_TABLE_FLOATS = 1024


def split_tag(tag: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag ``{ns}local``."""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


#: RDF's wrappers around a structure's properties: a nested resource, or a typed value's node
WRAPPERS = ("{%s}Description" % RDF, "{%s}value" % RDF)
#: How deep wrappers may nest inside one structure (phones write one; a few levels are legal RDF)
MAX_WRAPPER_DEPTH = 4


def wrappers(elem: Element, depth: int = 0) -> Iterable[Element]:
    """``elem`` and the ``rdf:Description`` / ``rdf:value`` nodes inside it, nested or not (RDF's
    nested-resource and typed-value forms: Pixels wrap every structure's properties in an
    ``rdf:value`` next to an ``rdf:type``)."""
    yield elem
    for c in elem:
        if c.tag in WRAPPERS:
            if depth >= MAX_WRAPPER_DEPTH:
                raise UnreadableFileError(
                    f"rdf:Description/rdf:value wrappers nest more than {MAX_WRAPPER_DEPTH} deep inside one "
                    "Dynamic Depth structure; the description is malformed")
            yield from wrappers(c, depth + 1)


def literal(c: Element) -> str | None:
    """The text of a simple property element: its text, or a typed literal's ``rdf:value`` text."""
    if len(c) == 0:
        return (c.text or "").strip()
    values = [v for v in c if v.tag == "{%s}value" % RDF]
    if len(c) <= 2 and len(values) == 1 and len(values[0]) == 0:
        return (values[0].text or "").strip()
    return None


def empty_value(elem: Element) -> bool:
    """True when ``elem`` holds an ``rdf:value`` node with neither properties nor text."""
    for c in elem:
        if c.tag == "{%s}value" % RDF and len(c) == 0 and not (c.text or "").strip() and not any(
                not k.startswith("{%s}" % RDF) for k in c.attrib):
            return True
    return False


def props(elem: Element, ns: str) -> dict[str, str]:
    """Simple properties of namespace ``ns`` on a structure, in attribute or element form."""
    out: dict[str, str] = {}
    for e in wrappers(elem):
        for k, v in e.attrib.items():
            kn, kl = split_tag(k)
            if kn == ns:
                out.setdefault(kl, v.strip())
        for c in e:
            cn, cl = split_tag(c.tag)
            if cn == ns:
                text = literal(c)
                if text is not None:
                    out.setdefault(cl, text)
    return out


def child(elem: Element, ns: str, local: str) -> Element | None:
    tag = "{%s}%s" % (ns, local)
    for e in wrappers(elem):
        for c in e:
            if c.tag == tag:
                return c
    return None


def seq_of(holder: Element, limit: int, what: str, label: str) -> list[Element]:
    """The structures listed in ``holder``'s ``rdf:Seq``/``rdf:Bag``: each ``rdf:li``, or the
    single structure element inside it."""
    out: list[Element] = []
    for container in holder:
        if container.tag not in ("{%s}Seq" % RDF, "{%s}Bag" % RDF, "{%s}Alt" % RDF):
            continue
        for li in container:
            if li.tag != "{%s}li" % RDF:
                continue
            if len(out) >= limit:
                raise UnreadableFileError(f"{what} lists more than {limit} {label} entries; the file is damaged")
            inner = [c for c in li if c.tag != "{%s}Description" % RDF]
            out.append(inner[0] if len(inner) == 1 and not li.attrib.get("{%s}parseType" % RDF) else li)
    return out


def seq(elem: Element | None, ns: str, local: str, limit: int, what: str) -> list[Element]:
    """The structures listed in ``elem``'s ``ns:local`` sequence (see :func:`seq_of`)."""
    if elem is None:
        return []
    holder = child(elem, ns, local)
    return [] if holder is None else seq_of(holder, limit, what, local)


def find_first(roots: list[Element], ns: str, local: str) -> Element | None:
    tag = "{%s}%s" % (ns, local)
    for r in roots:
        for e in r.iter(tag):
            return e
    return None


def number(values: dict[str, str], key: str, what: str, required: bool = False) -> float | None:
    """``values[key]`` as a finite float; None when absent (unless ``required``)."""
    text = values.get(key)
    if text is None or text == "":
        if required:
            raise UnreadableFileError(f"{what} lacks {key}, which it needs; the file is damaged")
        return None
    try:
        v = float(text)
    except ValueError:
        raise UnreadableFileError(f"{what}: {key} should be a number, found {text[:40]!r}; the file is damaged") from None
    if not math.isfinite(v):
        raise UnreadableFileError(f"{what}: {key} is {text[:40]!r}, not a finite number; the file is damaged")
    return v


def whole(values: dict[str, str], key: str, what: str, lo: int, hi: int, required: bool = False) -> int | None:
    """``values[key]`` as a whole number in ``lo..hi``; None when absent (unless ``required``)."""
    v = number(values, key, what, required)
    if v is None:
        return None
    if v != int(v) or not lo <= v <= hi:
        raise UnreadableFileError(f"{what}: {key} is {values[key][:40]!r}; expected a whole number in {lo}..{hi:,}")
    return int(v)


def floats_b64(text: str | None, what: str) -> tuple[float, ...] | None:
    """Little-endian float32 values from base64 (``FocalTable``, ``Distortion``); bounded."""
    if not text:
        return None
    if len(text) > MAX_TABLE_FLOATS * 6 + 16:
        raise UnreadableFileError(f"{what} is {len(text):,} characters; more than a lens table needs; the file is damaged")
    t = "".join(text.split())
    try:
        raw = base64.b64decode(t + "=" * (-len(t) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnreadableFileError(f"{what} is not valid base64 ({exc}); the file is damaged") from exc
    if len(raw) % 4:
        raise UnreadableFileError(f"{what} is {len(raw):,} bytes, not a whole number of float32 values; the file is damaged")
    n = len(raw) // 4
    vals = struct.unpack(f"<{n}f", raw)
    return tuple(float(v) for v in vals)


__all__ = ["split_tag", "wrappers", "literal", "empty_value", "props", "child", "seq_of", "seq", "find_first",
           "number", "whole", "floats_b64", "WRAPPERS", "MAX_WRAPPER_DEPTH", "MAX_TABLE_FLOATS"]
