"""Intel's XDM 1.0 JPEGs (Extensible Device Metadata, 2016: RealSense cameras), Dynamic Depth's
predecessor.

Entry points: :func:`find` and :func:`read_xdm`, called by :func:`depthlab.formats.jpeg.read_jpeg`
when the JPEG's main XMP uses the ``http://ns.xdm.org/photos/1.0/`` namespaces.  Facts checked on
the real RealSense R200 file in the shared samples:

* The main XMP names the extended XMP (``xmpNote:HasExtendedXMP``); the description is there.
* ``Device:Cameras`` is an ``rdf:Seq``; each camera is a structure with ``Camera:DepthMap``,
  ``Camera:Image``, ``Camera:ImagingModel``, ``Camera:Pose`` and ``Camera:VendorInfo``.  There are
  no container items: images are base64 inside the XMP (``DepthMap:Data``, ``Image:Data``).
* The colour camera (the one with an ``Image``; "R200" in the sample) has its depth map
  registered to its own view, a 16-bit PNG; a second camera ("R200-rawdepth") has a raw depth map
  from its own pose.  The colour camera's depth is read; :data:`Capture.metadata` lists every
  camera and says which one was used.
* ``DepthMap:Format`` RangeLinear or RangeInverse over ``Near``..``Far`` with
  ``v = code / (2**bits - 1)`` (the formulas of :mod:`depthlab.formats.google`); the sample writes
  RangeLinear 0..65535, so the number is the code itself.  Code 0 decodes to 0: unknown.
* ``DepthMap:Metric`` "True" means the numbers are metres (accuracy "absolute"); "False" (the
  sample) means they are not: depth stays in the file's own units, accuracy "relative", with a
  note (the sample's noise model table is in millimetres, but the file does not promise it).
* ``ImagingModel`` holds ``PerspectiveModel:FocalLengthX/Y`` and ``PrincipalPointX/Y``,
  normalised, and no image size: focal lengths by the larger side and the principal point by
  width and height (Dynamic Depth's convention; the sample's fx 0.887 and fy 0.889 are square
  pixels only that way), applied at the depth map's size.  ``LensDistortion`` is kept, not applied.

Every error names XDM: a description without cameras or depth, a depth map that is not a PNG,
bad numbers.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import numpy as np

from ..capture import Calibration, Capture, DepthEncoding, LazyMattes, Orientation
from ..errors import NoDepthError, UnreadableFileError, UnsupportedFormatError
from . import jpeg_segments as js
from .dynamic_depth import (MAX_DESCRIPTION_BYTES, NORMALISED_FOCAL_MAX, ImagingModelInfo, calibration_from_model,
                            disparity_lut)
from .google import RANGE_FORMATS
from .jpeg_images import MAX_AUX_PIXELS, MAX_COLOUR_PIXELS, grey_codes, open_image, oriented_size, rgb_loader
from .rdf import child, find_first, number, props, seq_of
from .xmp import XMPNOTE, Xmp, parse_xmp_root

XDM = "http://ns.xdm.org/photos/1.0/"
DEVICE = XDM + "device/"
CAMERA = XDM + "camera/"
DEPTHMAP = XDM + "depthmap/"
IMAGE = XDM + "image/"
PERSPECTIVE = XDM + "perspectivemodel/"
VENDOR = XDM + "vendorinfo/"
POSE = XDM + "camerapose/"
#: bytes whose presence in the main XMP marks an XDM photo
MARK = b"ns.xdm.org/photos/1.0/"
MAX_CAMERAS = 16
#: base64 text of one embedded image is refused past this many characters
MAX_DATA_CHARS = 64 * 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
KIND = "an XDM 1.0 photo (Intel RealSense)"


@dataclass(frozen=True)
class XdmCamera:
    """One ``Device:Cameras`` entry: its index, vendor model and what it carries."""

    index: int
    element: Element
    model: str | None
    manufacturer: str | None
    has_image: bool
    has_depth: bool

    def to_dict(self) -> dict[str, Any]:
        pose = child(self.element, CAMERA, "Pose")
        return {"index": self.index, "model": self.model, "manufacturer": self.manufacturer,
                "has_image": self.has_image, "has_depth": self.has_depth,
                "pose": None if pose is None else props(pose, POSE)}


def find(data: bytes, segments, xmp_raw: bytes | None, xmp: Xmp | None, name: str) -> list[Element] | None:
    """The parsed XMP trees (main, and extended when named) of an XDM photo, or None when the
    main XMP does not use XDM's namespaces.  A named extended XMP that cannot be reassembled
    raises :class:`UnreadableFileError` (the depth would be in it)."""
    if xmp_raw is None or MARK not in xmp_raw:
        return None
    roots = [parse_xmp_root(xmp_raw, what=f"{name}: the XDM XMP")]
    guid = xmp.text(XMPNOTE, "HasExtendedXMP") if xmp is not None else None
    if guid:
        ext = js.extended_xmp(data, segments, guid, what=name)
        roots.append(parse_xmp_root(ext.data, what=f"{name}: the XDM extended XMP", max_bytes=MAX_DESCRIPTION_BYTES))
    return roots


def cameras_of(roots: list[Element], name: str) -> list[XdmCamera]:
    """Every camera the description lists, in order."""
    holder = find_first(roots, DEVICE, "Cameras")
    out = []
    for i, el in enumerate([] if holder is None else seq_of(holder, MAX_CAMERAS, f"{name}: the XDM description", "camera")):
        vendor = child(el, CAMERA, "VendorInfo")
        info = {} if vendor is None else props(vendor, VENDOR)
        out.append(XdmCamera(i, el, info.get("Model"), info.get("Manufacturer"),
                             child(el, CAMERA, "Image") is not None, child(el, CAMERA, "DepthMap") is not None))
    return out


def choose_camera(cameras: list[XdmCamera], name: str) -> tuple[XdmCamera, list[str]]:
    """The colour camera's depth (a camera with both an Image and a DepthMap), else the first
    camera with a DepthMap; :class:`NoDepthError` naming XDM when none has one."""
    if not cameras:
        raise NoDepthError(f"{name} is {KIND} whose description lists no camera, so it holds no depth map; "
                           "only the camera's unmodified original file keeps it")
    with_depth = [c for c in cameras if c.has_depth]
    if not with_depth:
        models = ", ".join(c.model or f"camera {c.index}" for c in cameras)
        raise NoDepthError(f"{name} is {KIND}: its cameras ({models}) carry no DepthMap, so it holds no depth map; "
                           "only the camera's unmodified original file keeps it")
    colour = [c for c in with_depth if c.has_image]
    if colour:
        return colour[0], []
    c = with_depth[0]
    return c, [f"XDM: no camera has both an Image and a DepthMap; depth from camera {c.index} ({c.model or 'unnamed'}), "
               "which may not be registered to the primary image"]


def embedded(p: dict[str, str], what: str) -> bytes:
    """The bytes of a base64 ``Data`` property (bounded)."""
    text = p.get("Data")
    if not text:
        raise UnreadableFileError(f"{what} has no Data, so there is no image to read; the file is damaged")
    if len(text) > MAX_DATA_CHARS:
        raise UnreadableFileError(f"{what}: Data is {len(text):,} characters, more than an image needs; the file is damaged")
    t = "".join(text.split())
    try:
        return base64.b64decode(t + "=" * (-len(t) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnreadableFileError(f"{what}: Data is not valid base64 ({exc}); the file is damaged") from exc


def depth_png(p: dict[str, str], what: str) -> bytes:
    """The DepthMap's PNG, checked: XDM's depth maps are PNGs."""
    mime = p.get("Mime") or "image/png"
    if mime.lower() != "image/png":
        raise UnsupportedFormatError(f"{what} is {mime[:40]!r}; depthlab reads XDM depth maps stored as PNG")
    blob = embedded(p, what)
    if not blob.startswith(PNG_MAGIC):
        raise UnreadableFileError(f"{what}: Data is not a PNG (it starts with {blob[:8]!r}); the file is damaged")
    return blob


def xdm_calibration(el: Element | None, depth_size: tuple[int, int], notes: list[str]) -> tuple[Calibration | None, dict | None]:
    """Intrinsics from a camera's ImagingModel (PerspectiveModel) at the depth map's size, and
    the model as stored (for metadata); (None, None) without one."""
    if el is None:
        notes.append("XDM camera without an ImagingModel: no intrinsics")
        return None, None
    p = props(el, PERSPECTIVE)
    what = "the XDM ImagingModel"
    fx, fy = number(p, "FocalLengthX", what, required=True), number(p, "FocalLengthY", what, required=True)
    cx, cy = number(p, "PrincipalPointX", what), number(p, "PrincipalPointY", what)
    if fx <= 0 or fy <= 0:  # type: ignore[operator]
        raise UnreadableFileError(f"{what}: focal lengths {fx}, {fy} are not positive; the file is damaged")
    dist: list[float] = []
    holder = child(el, PERSPECTIVE, "LensDistortion")
    for li in [] if holder is None else seq_of(holder, 64, what, "LensDistortion"):
        dist.append(number({"v": (li.text or "").strip()}, "v", f"{what}: LensDistortion", required=True))  # type: ignore[arg-type]
    pp_missing = cx is None or cy is None
    cx, cy = (0.5, 0.5) if pp_missing else (cx, cy)
    model = ImagingModelInfo(fx, fy, cx, cy, depth_size[0], depth_size[1], distortion=tuple(dist),  # type: ignore[arg-type]
                             focal_normalised=max(fx, fy) <= NORMALISED_FOCAL_MAX,  # type: ignore[type-var]
                             principal_point_normalised=pp_missing or (0 <= cx <= 1 and 0 <= cy <= 1))  # type: ignore[operator]
    if not model.focal_normalised:
        notes.append("XDM ImagingModel in pixels without an image size: taken at the depth map's size")
    cal = calibration_from_model(model, depth_size, notes)
    stored = {"focal_length": [fx, fy], "principal_point": [cx, cy], "lens_distortion": dist or None,
              "normalised": model.focal_normalised, "applied_at": list(depth_size)}
    return (None if cal is None else replace(cal, source="XDM 1.0 ImagingModel (PerspectiveModel, XMP)")), stored


def depth_codes(cam: XdmCamera, name: str) -> tuple[np.ndarray, int, dict[str, str], str]:
    """(codes, bits, DepthMap properties, what) of a camera's depth map."""
    what = f"{name}: XDM camera {cam.index} ({cam.model or 'unnamed'})'s DepthMap"
    p = props(child(cam.element, CAMERA, "DepthMap"), DEPTHMAP)  # type: ignore[arg-type]
    blob = depth_png(p, what)
    codes, bits = grey_codes(open_image(blob, what, MAX_AUX_PIXELS), what)
    return codes, bits, p, what


def depth_range(p: dict[str, str], what: str) -> tuple[str, float, float]:
    """(format, near, far) of an XDM DepthMap, checked."""
    fmt = p.get("Format", "")
    if fmt not in RANGE_FORMATS:
        raise UnreadableFileError(f"{what}: Format is {fmt[:40]!r}; XDM defines RangeLinear and RangeInverse")
    near, far = number(p, "Near", what, required=True), number(p, "Far", what, required=True)
    if not (0 <= near < far and (fmt == "RangeLinear" or near > 0)):  # type: ignore[operator]
        raise UnreadableFileError(f"{what}: Near {near} and Far {far} do not describe a {fmt} range; the file is damaged")
    return fmt, float(near), float(far)  # type: ignore[arg-type]


def read_xdm(path: Path | None, name: str, data: bytes, roots: list[Element], exif: bytes | None,
             orientation: Orientation) -> Capture:
    """Read the XDM JPEG held in ``data`` (see the module docstring)."""
    from .exif import camera_from_exif
    from .jpeg_images import quiet_exif_warnings

    cameras = cameras_of(roots, name)
    cam, notes = choose_camera(cameras, name)
    codes, bits, p, what = depth_codes(cam, name)
    fmt, near, far = depth_range(p, what)
    depth_size = (codes.shape[1], codes.shape[0])
    metric = (p.get("Metric") or "False").strip().lower() == "true"
    accuracy = "absolute" if metric else "relative"
    if not metric:
        notes.append("XDM DepthMap:Metric False: the depth is not in metres; numbers kept in the file's own units "
                     "(this camera's noise model is in millimetres), relative")
    disparity = np.take(disparity_lut(bits, fmt, near, far), codes)
    calibration, model = xdm_calibration(child(cam.element, CAMERA, "ImagingModel"), depth_size, notes)
    colour, colour_source = data, "primary image"
    img = child(cam.element, CAMERA, "Image")
    if img is not None:
        colour, colour_source = embedded(props(img, IMAGE), f"{name}: XDM camera {cam.index}'s Image"), \
            f"XDM camera {cam.index}'s Image"
    colour_what = f"{name}: the {colour_source}"
    colour_stored = open_image(colour, colour_what, MAX_COLOUR_PIXELS).size
    cw, ch = colour_stored
    if abs(cw / ch - depth_size[0] / depth_size[1]) > 0.005 * cw / ch:
        notes.append(f"the colour image ({cw}x{ch}) and the depth map ({depth_size[0]}x{depth_size[1]}) differ in "
                     "aspect ratio; colour is stretched onto the depth grid")
    with quiet_exif_warnings():
        camera = camera_from_exif(exif, accuracy=accuracy)
    if camera.kind == "unknown":
        camera = replace(camera, kind="XDM")
    meta = {
        "container": "JPEG + XDM 1.0",
        "xdm": {"camera_index": cam.index, "camera_model": cam.model, "cameras": [c.to_dict() for c in cameras],
                "depth_map": {"format": fmt, "near": near, "far": far, "metric": metric, "bits": bits,
                              "stored_size": list(depth_size)},
                "imaging_model": model},
        "colour_source": colour_source,
        "notes": notes + [f"XDM: depth from camera {cam.index} ({cam.model or 'unnamed'}) of {len(cameras)}"],
    }
    return Capture(
        disparity=np.ascontiguousarray(orientation.apply(disparity)),
        calibration=None if calibration is None else calibration.oriented(orientation),
        accuracy=accuracy, camera=camera,
        encoding=DepthEncoding(quantity="depth", bits=bits, int_min=0, int_max=(1 << bits) - 1, format=fmt,
                               near=near, far=far, units="Meters" if metric else None),
        mattes=LazyMattes({}), path=path, format="JPEG (XDM 1.0)", metadata=meta,
        rgb_loader=rgb_loader(colour, orientation, colour_what), rgb_size=oriented_size(colour_stored, orientation),
    )


__all__ = ["find", "read_xdm", "cameras_of", "choose_camera", "embedded", "depth_png", "xdm_calibration",
           "depth_codes", "depth_range", "XdmCamera", "XDM", "MARK"]
