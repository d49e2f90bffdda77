"""Google Dynamic Depth 1.0 JPEGs (Pixel portrait photos and other Android cameras).

Entry point: :func:`read_dynamic_depth`, called by :func:`depthlab.formats.jpeg.read_jpeg` when
the JPEG's XMP (main or extended) holds a Dynamic Depth description (namespaces under
``http://ns.google.com/photos/dd/1.0/``).  Facts from Google's published specification
(Dynamic Depth 1.0, CC BY 4.0) and what Pixel phones write:

* **Where the description is.**  Pixel phones put it in the *extended* XMP: the main XMP's
  ``xmpNote:HasExtendedXMP`` names a GUID, and APP1 extension segments with that GUID hold the
  packet (reassembled by :func:`depthlab.formats.jpeg_segments.extended_xmp`).  Other writers put
  it in the main XMP; both are read.
* **Container.**  ``Device:Container`` / ``Container:Directory`` is an ordered ``rdf:Seq`` of
  ``Container:Item`` structures with ``Item:Mime``, ``Item:Length``, ``Item:DataURI`` and an
  optional ``Item:Padding``.  The first item is the primary image itself (length 0); the others
  are files appended after the primary JPEG's EOI marker, in that order, each followed by its
  padding.  Every length is checked against the bytes present before anything is sliced.
* **RDF forms.**  Every structure may be written with its properties as attributes or elements,
  inside ``rdf:Description`` nodes, or in RDF's *typed-value* form, which real Pixel 3 portraits
  use for every entry of ``Container:Directory``, ``Device:Profiles`` and ``Device:Cameras`` and
  for the camera's ``Image``, ``DepthMap`` and ``ImagingModel``: the ``rdf:li`` (``parseType``
  Resource) holds an ``rdf:value`` node carrying the properties and an ``rdf:type`` naming the
  class (e.g. ``http://ns.google.com/photos/dd/1.0/container/:Item``).  All are read alike; an
  empty ``rdf:value`` or wrappers nested past :data:`depthlab.formats.rdf.MAX_WRAPPER_DEPTH` are refused, naming the part.
* **Cameras.**  ``Device:Cameras`` is an ``rdf:Seq`` of ``Device:Camera``; the camera read is
  the first one listed by a ``DepthPhoto`` profile's ``CameraIndices``, else the first with a
  depth map.  Per camera: ``Camera:DepthMap`` (``Format``, ``Near``, ``Far``, ``Units``,
  ``MeasureType``, ``DepthURI``, ``ConfidenceURI``, ``ItemSemantic``, ``FocalTable``),
  ``Camera:ImagingModel`` (intrinsics) and ``Camera:Image`` (``ItemURI`` of the unblurred
  original, ``android/original_image`` on Pixels, whose primary is the blurred rendering).

**Depth values.**  With ``v = code / (2**bits - 1)`` in [0, 1] (8-bit JPEG or 16-bit PNG maps):

* ``RangeLinear``:  ``d = Near + (Far - Near) * v``
* ``RangeInverse``: ``d = Far * Near / (Far - (Far - Near) * v)`` (uniform in 1/d)

``Units`` "Meters" gives metres (accuracy "absolute").  Any other unit -- "Diopters" (what Pixel
3 and Pixel 4 portraits write), "None", absent or unknown -- marks non-metric depth: ``d`` is the
same formula in the file's own units, accuracy "relative", with a note.  "Diopters" is *not*
read as 1/m: on real Pixel files (RangeInverse, Near 0.55, Far 8) the person has lower codes than
the background behind him, so by the formula (code 0 is Near) the person is nearer, as he is;
taking ``d`` as a dioptre (1/m) would invert the scene.
``MeasureType`` "OpticRay" distances are measured along each pixel's ray; they are turned into
optical-axis depth ``z = d / |((u - cx) / fx, (v - cy) / fy, 1)|`` with the intrinsics at the
depth map's size (pixel centres at integers).  Without intrinsics the distances are kept, with a
note.  ``ItemSemantic`` "Segmentation" (Pixel) is read as depth too, with a note.

**Intrinsics.**  ``ImagingModel`` gives ``FocalLengthX/Y``, ``PrincipalPointX/Y`` at
``ImageWidth`` x ``ImageHeight``.  The specification normalises them (focal lengths by the larger
image side, the principal point by width and height); Pixel phones write pixels.  Which one a
file uses is detected per quantity: a focal length of at most :data:`NORMALISED_FOCAL_MAX` is
normalised (no real camera has a 10-pixel focal length, no real lens a normalised focal length
above 10), a principal point with both coordinates in [0, 1] is normalised.  The principal point
is taken as corner-origin (as Apple's; the specification does not say), ``Skew`` and
``PixelAspectRatio`` are recorded, and the ``Distortion`` coefficients (base64 little-endian
float32, ``2 * DistortionCount`` of them) are kept in ``metadata`` but not applied.

**Orientation.**  The depth map, confidence map and original image are stored like the primary's
pixels; the primary's EXIF orientation is applied to all of them and to the intrinsics.

**FocalTable.**  The phone's blur table (``FocalTableEntryCount`` pairs of float32: distance in
the depth map's units, blur radius) is kept in ``metadata["dynamic_depth"]["depth_map"]
["focal_table"]``; :func:`depthlab.refocus` does not use it: nothing available here says which
image's pixels the radii are in, or which focus and aperture the phone rendered them for, and no
real file was at hand to measure that against its blurred primary.

**Confidence.**  ``ConfidenceURI`` names a grey image whose codes scale to 0..1 (1 = most
confident); :attr:`Capture.confidence` holds it at the depth map's size (resampled bilinearly
when stored at another size), decoded on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import numpy as np

from ..capture import Calibration, Capture, DepthEncoding, Orientation
from ..errors import DepthlabError, NoDepthError, UnreadableFileError
from . import jpeg_segments as js
from .apple import same_aspect
from .makers import ANDROID_ADVICE, maker_of, no_depth_advice
from .google import RANGE_FORMATS, range_lut
from .jpeg_images import (MAX_AUX_PIXELS, MAX_COLOUR_PIXELS, grey_codes, open_image, oriented_size,
                          quiet_exif_warnings, rgb_loader)
from .rdf import (MAX_TABLE_FLOATS, child, empty_value, find_first, floats_b64, props, seq, seq_of,
                  number, whole, wrappers)
from .xmp import XMPNOTE, Xmp, parse_xmp_root

DD = "http://ns.google.com/photos/dd/1.0/"
DEVICE = DD + "device/"
CONTAINER = DD + "container/"
ITEM = DD + "item/"
CAMERA = DD + "camera/"
DEPTHMAP = DD + "depthmap/"
IMAGINGMODEL = DD + "imagingmodel/"
IMAGE = DD + "image/"
PROFILE = DD + "profile/"

#: bytes whose presence in an XMP packet marks a Dynamic Depth description
MARK = b"ns.google.com/photos/dd/1.0/"
#: what marks a Pixel portrait in the main XMP (GCamera:SpecialTypeID), when the description is elsewhere
PORTRAIT_MARK = b"SpecialType-PORTRAIT"

#: Phones write a handful of items and cameras; a description listing more is damaged.
MAX_ITEMS = 64
MAX_CAMERAS = 16
#: The description is a few KB; an extended XMP holding one is refused past this size.
MAX_DESCRIPTION_BYTES = 16 * 1024 * 1024
#: A focal length at most this is normalised (see the module docstring).
NORMALISED_FOCAL_MAX = 10.0
#: What a depth map's ``Units`` say about its numbers (only "Meters" is a trustworthy scale)
UNITS_NOTES = {
    "None": "DepthMap:Units None: the depth map states no unit; numbers kept in the file's own units, scale not trustworthy",
    "Diopters": ("DepthMap:Units Diopters: Dynamic Depth's mark for non-metric depth (Pixel portraits); depth is the "
                 "format's formula in the file's own units, relative: nearer and farther are right, metres are not"),
}


# --------------------------------------------------------------------------------------------
# the description, as small dataclasses
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerItem:
    """One ``Container:Item``; ``offset`` is where its bytes start in the file (0 for the primary)."""

    index: int
    mime: str
    length: int
    uri: str
    padding: int = 0
    offset: int = 0

    @property
    def end(self) -> int:
        return self.offset + self.length

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "uri": self.uri, "mime": self.mime, "length": self.length,
                "padding": self.padding, "offset": self.offset}


@dataclass(frozen=True)
class DepthMapInfo:
    format: str
    near: float
    far: float
    units: str
    measure_type: str
    depth_uri: str
    confidence_uri: str | None = None
    item_semantic: str = "Depth"
    focal_table: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class ImagingModelInfo:
    """Intrinsics as stored, and in pixels of ``width`` x ``height`` (corner origin)."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int | None
    height: int | None
    skew: float = 0.0
    pixel_aspect_ratio: float = 1.0
    distortion: tuple[float, ...] = ()
    focal_normalised: bool = False
    principal_point_normalised: bool = False


@dataclass
class Description:
    items: list[ContainerItem]
    depth_map: DepthMapInfo
    imaging_model: ImagingModelInfo | None
    image_uri: str | None
    camera_index: int
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# reading the description
# --------------------------------------------------------------------------------------------


def parse_description(roots: list[Element], what: str, *, advice: str = ANDROID_ADVICE) -> Description:
    """The container items, the depth camera's depth map, imaging model and original image.

    Raises :class:`UnreadableFileError` for a malformed description and :class:`NoDepthError`
    when it lists no camera with a depth map (ending with ``advice``: what the maker's phone needs).
    """
    try:
        return _parse_description(roots, what, advice)
    except UnreadableFileError as exc:
        if str(exc).startswith("rdf:"):  # a wrapper error raised deep in a helper: say where
            raise UnreadableFileError(f"{what}: {exc}") from None
        raise


def _parse_description(roots: list[Element], what: str, advice: str) -> Description:
    notes: list[str] = []
    items = _container_items(roots, what, notes)
    chosen, cam = _depth_camera(roots, items, what, advice)
    cw = f"{what}: camera {chosen}"
    depth_map = _depth_map(_fields(child(cam, CAMERA, "DepthMap"), DEPTHMAP, f"{cw}'s DepthMap"),  # type: ignore[arg-type]
                           f"{cw}'s DepthMap", notes)
    model = None
    im_el = child(cam, CAMERA, "ImagingModel")
    if im_el is not None:
        model = _imaging_model(_fields(im_el, IMAGINGMODEL, f"{cw}'s ImagingModel"), f"{cw}'s ImagingModel", notes)
    image_uri = None
    img_el = child(cam, CAMERA, "Image")
    if img_el is not None:
        image_uri = _fields(img_el, IMAGE, f"{cw}'s Image").get("ItemURI") or None
    return Description(items, depth_map, model, image_uri, chosen, notes)


def _fields(elem: Element, ns: str, what: str) -> dict[str, str]:
    """:func:`props` of a structure that must not hold an empty typed value."""
    if any(empty_value(e) for e in wrappers(elem)):
        raise UnreadableFileError(f"{what}: its rdf:value holds no properties (an empty typed value); the file is damaged")
    return props(elem, ns)


def _container_items(roots: list[Element], what: str, notes: list[str]) -> list[ContainerItem]:
    """``Device:Container``'s directory, checked (offsets are set later by :func:`locate_items`)."""
    container = find_first(roots, DEVICE, "Container")
    if container is None:
        raise UnreadableFileError(
            f"{what} has no Device:Container, so the depth map's bytes cannot be located; the file is damaged")
    items: list[ContainerItem] = []
    for i, el in enumerate(seq(container, CONTAINER, "Directory", MAX_ITEMS, what)):
        iw = f"{what}: container item {i}"
        p = _fields(el, ITEM, iw)
        mime = p.get("Mime")
        if not mime:
            raise UnreadableFileError(f"{iw} has no Item:Mime; the file is damaged")
        length = whole(p, "Length", iw, 0, js.MAX_EXTENDED_XMP * 16, required=i > 0) or 0
        padding = whole(p, "Padding", iw, 0, 2**31) or 0
        uri = p.get("DataURI") or ("primary_image" if i == 0 else "")
        if not uri:  # only an appended item can lack one (the primary's defaults above)
            raise UnreadableFileError(f"{iw} has no Item:DataURI, so nothing can refer to it; the file is damaged")
        if i > 0 and length == 0:
            raise UnreadableFileError(f"{iw} ({uri}) has length 0; only the primary image may; the file is damaged")
        items.append(ContainerItem(i, mime, length, uri, padding))
    if not items:
        raise UnreadableFileError(f"{what}: Container:Directory lists no items; the file is damaged")
    if items[0].length != 0:
        notes.append(f"the first container item declares length {items[0].length:,} (the primary normally declares 0)")
    return items


def _depth_camera(roots: list[Element], items: list[ContainerItem], what: str, advice: str) -> tuple[int, Element]:
    """(index, element) of the camera to read: the first a DepthPhoto profile lists, else the
    first with a depth map; :class:`NoDepthError` when none has one."""
    holder = find_first(roots, DEVICE, "Cameras")
    cameras = [] if holder is None else seq_of(holder, MAX_CAMERAS, what, "camera")
    order = list(range(len(cameras)))
    profiles = find_first(roots, DEVICE, "Profiles")
    listed = [] if profiles is None else seq_of(profiles, MAX_CAMERAS, what, "profile")
    for prof in listed or [e for r in roots for e in r.iter("{%s}Profile" % DEVICE)]:
        if props(prof, PROFILE).get("Type") == "DepthPhoto":
            wanted = []
            for li in seq(prof, PROFILE, "CameraIndices", MAX_CAMERAS, what):
                try:
                    wanted.append(int((li.text or "").strip()))
                except ValueError:
                    raise UnreadableFileError(f"{what}: a Profile:CameraIndices entry is {li.text!r}, not an index") from None
            order = [k for k in wanted if 0 <= k < len(cameras)] + [k for k in order if k not in wanted]
            break
    for k in order:
        if child(cameras[k], CAMERA, "DepthMap") is not None:
            return k, cameras[k]
    raise NoDepthError(
        f"{what.split(':')[0]} is a Google Dynamic Depth photo whose description lists no camera with a depth map "
        f"({len(items)} container item(s): {', '.join(i.uri for i in items)}). {advice}")


def _depth_map(d: dict[str, str], cw: str, notes: list[str]) -> DepthMapInfo:
    """A ``Camera:DepthMap``'s properties, checked: the format and a usable range are required."""
    fmt = d.get("Format", "")
    if fmt not in RANGE_FORMATS:
        raise UnreadableFileError(f"{cw}: Format is {fmt[:40]!r}; only RangeInverse and RangeLinear are defined")
    near = number(d, "Near", cw, required=True)
    far = number(d, "Far", cw, required=True)
    units = d.get("Units") or "None"
    if units not in ("Meters", "Diopters", "None"):
        notes.append(f"unknown DepthMap:Units {units[:40]!r}: treated as None (no stated scale)")
        units = "None"
    ok = 0 <= near < far and (fmt == "RangeLinear" or near > 0)  # type: ignore[operator]
    if not ok:
        raise UnreadableFileError(f"{cw}: Near {near} and Far {far} ({units}) do not describe a {fmt} range")
    measure = d.get("MeasureType") or "OpticalAxis"
    if measure not in ("OpticalAxis", "OpticRay"):
        notes.append(f"unknown DepthMap:MeasureType {measure[:40]!r}: treated as OpticalAxis")
        measure = "OpticalAxis"
    depth_uri = d.get("DepthURI")
    if not depth_uri:
        raise UnreadableFileError(f"{cw} has no DepthURI, so its image cannot be found; the file is damaged")
    table: tuple[tuple[float, float], ...] = ()
    ft = floats_b64(d.get("FocalTable"), f"{cw}: FocalTable")
    if ft:
        n = whole(d, "FocalTableEntryCount", cw, 0, MAX_TABLE_FLOATS)
        if len(ft) % 2 or (n is not None and 2 * n != len(ft)):
            expected = f"FocalTableEntryCount {n} needs {2 * n}" if n is not None else "pairs need an even count"
            raise UnreadableFileError(
                f"{cw}: FocalTable holds {len(ft)} float32 values ({expected}: distance, blur radius per entry); "
                "the file is damaged")
        table = tuple((ft[2 * i], ft[2 * i + 1]) for i in range(len(ft) // 2))
    return DepthMapInfo(fmt, float(near), float(far), units, measure, depth_uri,  # type: ignore[arg-type]
                        d.get("ConfidenceURI") or None, d.get("ItemSemantic") or "Depth", table)


def _imaging_model(p: dict[str, str], what: str, notes: list[str]) -> ImagingModelInfo | None:
    fx = number(p, "FocalLengthX", what)
    fy = number(p, "FocalLengthY", what)
    if fx is None or fy is None:
        notes.append("ImagingModel without FocalLengthX/Y: no intrinsics")
        return None
    if fx <= 0 or fy <= 0:
        raise UnreadableFileError(f"{what}: focal lengths {fx}, {fy} are not positive; the file is damaged")
    w = whole(p, "ImageWidth", what, 1, 1 << 16)
    h = whole(p, "ImageHeight", what, 1, 1 << 16)
    ppx = number(p, "PrincipalPointX", what)
    ppy = number(p, "PrincipalPointY", what)
    skew = number(p, "Skew", what) or 0.0
    par = number(p, "PixelAspectRatio", what)
    par = 1.0 if par is None else par
    dist = floats_b64(p.get("Distortion"), f"{what}: Distortion") or ()
    count = whole(p, "DistortionCount", what, 0, MAX_TABLE_FLOATS)
    if dist and count is not None and 2 * count != len(dist):
        notes.append(f"ImagingModel:Distortion holds {len(dist)} values but DistortionCount {count} says {2 * count}")
    focal_norm = max(fx, fy) <= NORMALISED_FOCAL_MAX
    if ppx is None or ppy is None:
        pp_norm = True
        ppx, ppy = 0.5, 0.5  # the specification's default: the image centre
        notes.append("ImagingModel without a principal point: the image centre is used")
    else:
        pp_norm = 0.0 <= ppx <= 1.0 and 0.0 <= ppy <= 1.0
    return ImagingModelInfo(fx, fy, ppx, ppy, w, h, skew, par, tuple(dist), focal_norm, pp_norm)


def calibration_from_model(model: ImagingModelInfo, fallback_size: tuple[int, int], notes: list[str]) -> Calibration | None:
    """A :class:`Calibration` (stored frame, corner origin) at ImageWidth x ImageHeight, or None."""
    w, h = model.width, model.height
    if not w or not h:
        w, h = fallback_size
        notes.append(f"ImagingModel without ImageWidth/Height: taken as the image's {w}x{h}")
    fx, fy, cx, cy = model.fx, model.fy, model.cx, model.cy
    if model.focal_normalised:
        fx, fy = fx * max(w, h), fy * max(w, h)
        notes.append("ImagingModel focal lengths are normalised by the larger image side (as the specification writes them)")
    if model.principal_point_normalised:
        cx, cy = cx * w, cy * h
    if model.skew:
        notes.append(f"ImagingModel:Skew {model.skew:g} is not modelled (projection assumes none)")
    if model.distortion and any(v for v in model.distortion):
        notes.append(f"ImagingModel:Distortion ({len(model.distortion)} values) is kept in metadata, not applied")
    try:
        return Calibration(intrinsic_matrix=np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]]),
                           reference_size=(w, h), source="Dynamic Depth ImagingModel (XMP)")
    except DepthlabError as exc:
        notes.append(f"ImagingModel ignored: {exc}")
        return None


# --------------------------------------------------------------------------------------------
# locating the appended items
# --------------------------------------------------------------------------------------------

_MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}


def _magic_ok(data: bytes, item: ContainerItem, start: int) -> bool:
    m = _MAGIC.get(item.mime.lower())
    return m is None or data[start:start + len(m)] == m


def locate_items(data: bytes, segments, items: list[ContainerItem], what: str) -> list[ContainerItem]:
    """The items with their offsets: appended after the primary's EOI in order (each followed
    by its padding; the last item's padding may be missing).  When the lengths leave bytes over
    at the end, the items are also tried flush with the end of the file (a writer may insert
    something between).  Lengths that overrun the file, or items that do not start with their
    type's signature, raise :class:`UnreadableFileError`."""
    rest = items[1:]
    total = sum(i.length + i.padding for i in rest) + items[0].padding
    n = len(data)
    misplaced: list[ContainerItem] = []

    def place(start: int) -> list[ContainerItem] | None:
        out = [items[0]]  # the primary: offset 0
        pos = start + items[0].padding
        for it in rest:  # within the file: the lengths were checked against it below
            if not _magic_ok(data, it, pos):
                misplaced.append(it)
                return None
            out.append(replace(it, offset=pos))
            pos += it.length + it.padding
        return out

    primary_end = js.end_of_image(data, segments, what=what)
    if primary_end + total - (rest[-1].padding if rest else 0) > n:
        raise UnreadableFileError(
            f"{what}: the Dynamic Depth container lists {total:,} bytes of items after the primary image, but only "
            f"{n - primary_end:,} bytes follow it; the file is truncated or the item lengths are wrong")
    placed = place(primary_end)
    if placed is None and primary_end + total < n:
        placed = place(n - total)
    if placed is None:
        bad = misplaced[0]
        raise UnreadableFileError(
            f"{what}: the Dynamic Depth container's item {bad.index} ({bad.uri}, {bad.mime}) is not where the item "
            "lengths put it; the file was edited or is damaged")
    return placed


# --------------------------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------------------------


def disparity_lut(bits: int, fmt: str, near: float, far: float) -> np.ndarray:
    """float32 disparity per possible code: ``1 / value`` of the format's formula (see
    :mod:`depthlab.formats.google`), whatever the units; NaN where the value is not a positive
    finite number.  Indexing it with the codes decodes a map in one pass."""
    values = range_lut(bits, fmt, near, far)  # positive or NaN: nothing to warn about in 1 / values
    return (np.float32(1.0) / values).astype(np.float32)


def ray_norms(k: np.ndarray, width: int, height: int) -> np.ndarray:
    """``|((u - cx) / fx, (v - cy) / fy, 1)|`` per pixel of a ``width`` x ``height`` grid,
    float64, for centre-origin intrinsics ``k`` (pixel centres at integer ``u``, ``v``)."""
    x = (np.arange(width) - k[0, 2]) / k[0, 0]  # true division: float64 whatever the dtype of k
    y = (np.arange(height) - k[1, 2]) / k[1, 1]
    return np.sqrt(x[None, :] ** 2 + y[:, None] ** 2 + 1.0)


# --------------------------------------------------------------------------------------------
# finding and reading
# --------------------------------------------------------------------------------------------


@dataclass
class Found:
    roots: list[Element]
    extended: dict[str, Any] | None


def find(data: bytes, segments, xmp_raw: bytes | None, xmp: Xmp | None, name: str) -> Found | None:
    """The parsed XMP trees holding a Dynamic Depth description, or None when the JPEG has none.

    The extended XMP is reassembled only when the main XMP names one.  When it cannot be
    (missing chunks, a GUID no segment carries, absurd sizes), the error is raised if the main
    XMP announces Dynamic Depth or a Pixel portrait, else the photo is taken as having no
    description (an ordinary photo whose extension was lost).
    """
    in_main = xmp_raw is not None and MARK in xmp_raw
    hinted = in_main or (xmp_raw is not None and PORTRAIT_MARK in xmp_raw)
    ext_data = None
    ext_info = None
    guid = None
    if xmp is not None:
        try:
            guid = xmp.text(XMPNOTE, "HasExtendedXMP")
        except UnreadableFileError:
            guid = None
    if guid:
        try:
            ext = js.extended_xmp(data, segments, guid, what=name)
        except UnreadableFileError:
            if hinted:
                raise
            ext = None
        if ext is not None:
            ext_info = {"guid": ext.guid, "bytes": len(ext.data), "chunks": ext.chunks, "guid_is_md5": ext.md5_ok}
            if MARK in ext.data:
                ext_data = ext.data
    if not in_main and ext_data is None:
        if hinted and not guid:
            raise UnreadableFileError(
                f"{name} is marked as a Pixel portrait but carries no extended XMP, where its Dynamic Depth "
                "description would be; the file was re-saved by a program that dropped it")
        return None
    roots = []
    if in_main:
        roots.append(parse_xmp_root(xmp_raw, what=f"{name}: the XMP"))  # type: ignore[arg-type]
    if ext_data is not None:
        roots.append(parse_xmp_root(ext_data, what=f"{name}: the extended XMP", max_bytes=MAX_DESCRIPTION_BYTES))
    return Found(roots, ext_info)


def read_dynamic_depth(path: Path | None, name: str, data: bytes, segments, found: Found,
                       exif: bytes | None, orientation: Orientation) -> Capture:
    """Read the Dynamic Depth JPEG held in ``data`` (see the module docstring)."""
    from .exif import TAG_ORIENTATION, camera_from_exif, read_exif

    with quiet_exif_warnings():
        camera = camera_from_exif(exif)
        exif_tags = read_exif(exif)
    advice = ANDROID_ADVICE if maker_of(camera.make, camera.model) == "unknown" else no_depth_advice(camera.make, camera.model)
    desc = parse_description(found.roots, f"{name}: the Dynamic Depth description", advice=advice)
    notes = desc.notes
    items = locate_items(data, segments, desc.items, name)
    dm = desc.depth_map

    # depth codes, colour source and intrinsics (stored frame); colour is only opened for its size
    dblob, ditem = _item_blob(data, items, dm.depth_uri, "depth map", name)
    dwhat = f"{name}: the depth map ({dm.depth_uri}, {ditem.mime})"
    dim = open_image(dblob, dwhat, MAX_AUX_PIXELS)
    stored_size = dim.size
    codes, bits = grey_codes(dim, dwhat)
    colour_blob, colour_what, colour_source = _colour_source(data, items, desc.image_uri, name, notes)
    colour_stored = open_image(colour_blob, colour_what, MAX_COLOUR_PIXELS).size
    calibration = _stored_calibration(desc.imaging_model, colour_stored, stored_size, notes)

    disparity = _disparity(codes, bits, dm, calibration, stored_size, notes)
    disparity = np.ascontiguousarray(orientation.apply(disparity))
    if calibration is not None:
        calibration = calibration.oriented(orientation)
    accuracy = "absolute" if dm.units == "Meters" else "relative"
    if dm.units != "Meters":
        notes.append(UNITS_NOTES[dm.units])
    if dm.item_semantic == "Segmentation":
        notes.append("DepthMap:ItemSemantic Segmentation: the phone made this map for portrait blur; read as depth")

    confidence_loader = None
    if dm.confidence_uri:
        try:
            cblob, citem = _item_blob(data, items, dm.confidence_uri, "confidence map", name)
        except UnreadableFileError as exc:  # the depth is whole without it: read, and say so (as for Camera:Image)
            notes.append(f"{str(exc).removeprefix(f'{name}: ')}: the depth is read without a confidence map")
        else:
            cwhat = f"{name}: the confidence map ({dm.confidence_uri}, {citem.mime})"
            confidence_loader = _confidence_loader(cblob, cwhat, stored_size, orientation)

    if camera.kind == "unknown":
        camera = replace(camera, kind="Dynamic Depth")
    if found.extended is not None and not found.extended["guid_is_md5"]:
        notes.append("the extended XMP's GUID is not its MD5 digest (the file was edited, or its writer deviates from the XMP spec)")
    meta = _metadata(desc, items, found, stored_size, bits) | {
        "colour_source": colour_source,
        "depth_orientation": orientation.to_dict(),
        "exif_orientation": exif_tags.get(TAG_ORIENTATION),
        "notes": notes,
    }
    return Capture(
        disparity=disparity,
        calibration=calibration,
        accuracy=accuracy,
        camera=camera,
        encoding=DepthEncoding(quantity="depth", bits=bits, int_max=(1 << bits) - 1, format=dm.format, near=dm.near,
                               far=dm.far, units=dm.units),  # codes from 0 (DepthEncoding's int_min default)
        path=path,
        format="JPEG (Google Dynamic Depth)",
        metadata=meta,
        rgb_loader=rgb_loader(colour_blob, orientation, colour_what),
        rgb_size=oriented_size(colour_stored, orientation),
        confidence_loader=confidence_loader,
    )


def _item_blob(data: bytes, items: list[ContainerItem], uri: str, role: str, name: str) -> tuple[bytes, ContainerItem]:
    """The bytes of the located item ``uri``, one of those appended after the primary image."""
    it = next((i for i in items if i.uri == uri), None)
    if it is None:
        raise UnreadableFileError(
            f"{name}: the {role} is item {uri!r}, which the Dynamic Depth container does not list "
            f"(it lists {', '.join(repr(i.uri) for i in items)}); the file is damaged")
    if it.index == 0:
        raise UnreadableFileError(f"{name}: the {role} is item {uri!r}, the primary image itself; the file is damaged")
    return data[it.offset:it.end], it


def _colour_source(data: bytes, items: list[ContainerItem], image_uri: str | None, name: str,
                   notes: list[str]) -> tuple[bytes, str, str]:
    """(bytes, what for messages, source for people) of the colour image: the camera's original
    where the container holds it, else the primary."""
    listed = {i.uri: i for i in items}
    if image_uri and image_uri in listed and listed[image_uri].index != 0:
        it = listed[image_uri]
        return data[it.offset:it.end], f"{name}: the original image ({image_uri})", f"{image_uri} (original, unblurred)"
    if image_uri and image_uri not in listed:
        notes.append(f"Camera:Image names {image_uri!r}, which the container does not list: colour from the primary")
    return data, f"{name}: the primary image", "primary image"


def _stored_calibration(model: ImagingModelInfo | None, colour_stored: tuple[int, int],
                        depth_stored: tuple[int, int], notes: list[str]) -> Calibration | None:
    """The ImagingModel's intrinsics in the stored frame, or None (absent, or not the depth map's view)."""
    if model is None:
        return None
    calibration = calibration_from_model(model, colour_stored, notes)
    if calibration is not None and not same_aspect(calibration.reference_size, depth_stored):
        rw, rh = calibration.reference_size
        notes.append(f"ImagingModel size {rw}x{rh} does not have the depth map's {depth_stored[0]}x{depth_stored[1]} "
                     "aspect; intrinsics ignored")
        return None
    return calibration


def _disparity(codes: np.ndarray, bits: int, dm: DepthMapInfo, calibration: Calibration | None,
               stored_size: tuple[int, int], notes: list[str]) -> np.ndarray:
    """float32 optical-axis disparity (1/m) in the stored frame, NaN where unknown."""
    lut = disparity_lut(bits, dm.format, dm.near, dm.far)
    disparity = np.take(lut, codes)  # NaN where the value is not a positive distance
    if dm.measure_type == "OpticRay":
        if calibration is not None:
            k = calibration.intrinsics_at(*stored_size)
            # range r along the ray -> z = r / |ray|, i.e. disparity_z = disparity_r * |ray|
            disparity = (disparity * ray_norms(k, *stored_size)).astype(np.float32)
            notes.append("MeasureType OpticRay: distances along each pixel's ray converted to optical-axis depth")
        else:
            notes.append("MeasureType OpticRay but no usable intrinsics: distances along the rays kept as depth")
    return disparity


def _metadata(desc: Description, items: list[ContainerItem], found: Found, stored_size: tuple[int, int],
              bits: int) -> dict[str, Any]:
    """The facts ``Capture.metadata`` keeps for people (``depthlab info`` lists the items)."""
    dm, model = desc.depth_map, desc.imaging_model
    return {
        "container": "JPEG + Dynamic Depth",
        "container_items": [it.to_dict() for it in items],
        "dynamic_depth": {
            "camera_index": desc.camera_index,
            "depth_map": {"format": dm.format, "near": dm.near, "far": dm.far, "units": dm.units,
                          "measure_type": dm.measure_type, "depth_uri": dm.depth_uri, "confidence_uri": dm.confidence_uri,
                          "item_semantic": dm.item_semantic, "focal_table": [list(p) for p in dm.focal_table] or None,
                          "stored_size": list(stored_size), "bits": bits},
            "imaging_model": None if model is None else {
                "focal_length": [model.fx, model.fy], "principal_point": [model.cx, model.cy],
                "image_size": [model.width, model.height], "skew": model.skew,
                "pixel_aspect_ratio": model.pixel_aspect_ratio, "distortion": list(model.distortion) or None,
                "focal_normalised": model.focal_normalised, "principal_point_normalised": model.principal_point_normalised},
            "image_uri": desc.image_uri,
        },
        "extended_xmp": found.extended,
    }


def _confidence_loader(blob: bytes, what: str, depth_stored: tuple[int, int],
                       orientation: Orientation) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from PIL import Image

        codes, bits = grey_codes(open_image(blob, what, MAX_AUX_PIXELS), what)
        conf = codes / np.float32((1 << bits) - 1)  # float32 in 0..1; bilinear resampling stays within it
        if (conf.shape[1], conf.shape[0]) != tuple(depth_stored):
            conf = np.asarray(Image.fromarray(conf).resize(tuple(depth_stored), Image.Resampling.BILINEAR))
        return np.ascontiguousarray(orientation.apply(conf))

    return load


__all__ = ["read_dynamic_depth", "find", "parse_description", "locate_items", "disparity_lut", "ray_norms",
           "calibration_from_model", "ContainerItem", "DepthMapInfo", "ImagingModelInfo", "Description"]
