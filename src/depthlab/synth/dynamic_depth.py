"""Synthetic Google Dynamic Depth JPEGs (the Pixel portrait layout), with ground truth.

:func:`render_pixel_portrait` renders a scene (default :func:`~depthlab.synth.scenes.portrait_scene`)
through a pinhole camera and returns a :class:`DynamicDepthCapture`: the sharp original, the
"portrait" primary (background blurred by depth), the stored depth codes, a confidence map, the
intrinsics and the true depth.  :func:`dynamic_depth_jpeg_bytes` lays it out as Pixel phones do
(the facts are in :mod:`depthlab.formats.dynamic_depth`):

* primary JPEG with EXIF and a main XMP naming the extended XMP (``xmpNote:HasExtendedXMP``) and
  marking the photo as a portrait (``GCamera:SpecialTypeID``);
* the Dynamic Depth description in the extended XMP (or, on request, in the main XMP): a
  ``Device:Container`` directory (primary, original image, depth map, confidence map, in that
  order), a ``DepthPhoto`` profile and one camera with ``Camera:Image``, ``Camera:DepthMap`` and
  ``Camera:ImagingModel`` as attributes;
* the items appended after the primary's EOI, in directory order.

Encoding (the inverse of the reader's formulas), with ``q`` the stored quantity -- the distance
``z`` (OpticalAxis) or ``z * |ray|`` (OpticRay), in metres (or, for Units other than Meters, the
file's own units, which this writer takes as metres):
RangeLinear ``v = (q - near) / (far - near)``, RangeInverse ``v = far (1 - near / q) / (far - near)``,
``code = round(v * (2**bits - 1))``.  8-bit depth is a JPEG (quality 100, as Pixels store it),
16-bit depth a PNG.  Segment primitives come from :mod:`depthlab.synth.jpeg`.

Intrinsics are written in pixels of the colour image (as Pixels do) or normalised as the
specification describes (focal lengths by the larger side, principal point by width and height).
"""

from __future__ import annotations

import base64
import json
import math
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..exchange.atomic import atomic_write
from ..capture import Calibration, CameraInfo, Orientation
from ..errors import InvalidInputError
from .heic import camera_exif, inverse_orientation
from .jpeg import encode_jpeg, exif_segment, extended_xmp_guid, extended_xmp_segments, insert_segments, png_bytes, xmp_segment
from .render import GroundTruth, gaussian_blur, pixel_rays
from .scenes import Scene, cast, portrait_scene

NS = {
    "Device": "http://ns.google.com/photos/dd/1.0/device/",
    "Container": "http://ns.google.com/photos/dd/1.0/container/",
    "Item": "http://ns.google.com/photos/dd/1.0/item/",
    "Camera": "http://ns.google.com/photos/dd/1.0/camera/",
    "DepthMap": "http://ns.google.com/photos/dd/1.0/depthmap/",
    "ImagingModel": "http://ns.google.com/photos/dd/1.0/imagingmodel/",
    "Image": "http://ns.google.com/photos/dd/1.0/image/",
    "Profile": "http://ns.google.com/photos/dd/1.0/profile/",
}
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PORTRAIT_TYPE = "com.google.android.apps.camera.gallery.specialtype.SpecialType-PORTRAIT"
SAMPLE_NAME = "pixel_portrait"


@dataclass
class DynamicDepthCapture:
    """What a Pixel-layout file stores (display orientation) and the truth.

    ``original`` uint8 (H, W, 3) sharp colour; ``primary`` the blurred portrait rendering;
    ``depth_m`` float64 (h, w) true optical-axis depth at the depth pixels' centres;
    ``confidence_codes`` uint8 (h, w); ``calibration`` pinhole intrinsics at the colour size
    (corner origin, no distortion); ``truth`` labels and scene.
    """

    original: np.ndarray
    primary: np.ndarray
    depth_m: np.ndarray
    confidence_codes: np.ndarray
    calibration: Calibration
    camera: CameraInfo
    truth: GroundTruth
    near: float = 0.3
    far: float = 8.0
    name: str = SAMPLE_NAME
    notes: list[str] = field(default_factory=list)


def pixel_calibration(colour_size: tuple[int, int] = (1024, 768)) -> Calibration:
    """A Pixel-like rear camera: focal length 1812.5 px at 3264 px width, scaled to ``colour_size``
    and rounded to 1/4 px; principal point a little off centre (corner origin)."""
    w, h = (int(v) for v in colour_size)
    f = float(np.round(1812.5 * w / 3264 * 4) / 4)
    cx, cy = w / 2 + 3.25, h / 2 - 1.5
    return Calibration(intrinsic_matrix=np.array([[f, 0, cx], [0, f, cy], [0, 0, 1.0]]), reference_size=(w, h),
                       source="synthetic (depthlab.synth.dynamic_depth)")


def headlight_shading(hits, background=(0.5, 0.55, 0.62)) -> np.ndarray:
    """uint8 (N, 3) colours of ray hits lit from the camera (a flash-like light): albedo times
    ``0.3 + 0.7 |cos|`` of the angle between the surface normal and the optical axis."""
    lit = 0.3 + 0.7 * np.abs(np.asarray(hits.normal, dtype=np.float64)[:, 2])
    rgb = np.asarray(hits.albedo, dtype=np.float64) * lit[:, None]
    rgb[np.asarray(hits.label) == 0] = background
    return np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)


def render_pixel_portrait(scene: Scene | None = None, *, depth_size: tuple[int, int] = (512, 384),
                          colour_size: tuple[int, int] = (1024, 768), near: float = 0.3, far: float = 8.0,
                          focus_m: float | None = None) -> DynamicDepthCapture:
    """Render ``scene`` as a Pixel portrait (see the module docstring); sizes (width, height)
    must share an aspect ratio.  ``focus_m`` (default: the nearest person surface) stays sharp in
    the primary; farther surfaces are blurred more the farther they are."""
    scene = scene or portrait_scene()
    dw, dh = (int(v) for v in depth_size)
    cw, ch = (int(v) for v in colour_size)
    if min(dw, dh, cw, ch) < 8 or abs(dw / dh - cw / ch) > 0.01 * cw / ch:
        raise InvalidInputError(f"depth {depth_size} and colour {colour_size} must be at least 8 px and share an aspect ratio")
    if not (0 <= near < far):
        raise InvalidInputError(f"need 0 <= near < far, got {near}, {far}")
    cal = pixel_calibration((cw, ch))
    hits = cast(scene, pixel_rays(cal, dw, dh, distorted=False))
    depth = hits.depth.reshape(dh, dw).astype(np.float64)
    labels = hits.label.reshape(dh, dw)
    depth = np.where(np.isfinite(depth), np.clip(depth, near, far), far)
    colour_hits = cast(scene, pixel_rays(cal, cw, ch, distorted=False))
    original = headlight_shading(colour_hits).reshape(ch, cw, 3)
    cdepth = colour_hits.depth.reshape(ch, cw)
    cdepth = np.where(np.isfinite(cdepth), cdepth, far)
    person = [i for i, n in enumerate(scene.labels) if n in scene.person]
    if focus_m is None:
        pd = depth[np.isin(labels, person)]
        focus_m = float(pd.min()) if pd.size else float(depth.min())
    blurred = np.stack([gaussian_blur(original[:, :, c].astype(np.float64), 4.0) for c in range(3)], axis=-1)
    weight = np.clip((cdepth - focus_m - 0.3) / 0.6, 0.0, 1.0)[:, :, None]
    primary = np.clip(np.round(original * (1 - weight) + blurred * weight), 0, 255).astype(np.uint8)
    # confidence: high on smooth surfaces, low across depth edges (where stereo/segmentation fails)
    gy, gx = np.gradient(depth)
    edge = np.hypot(gx, gy) / depth  # relative depth change per pixel: large across outlines
    conf = np.clip(1.0 - edge / 0.05, 0.15, 1.0)
    conf = gaussian_blur(conf, 1.0)
    confidence_codes = np.clip(np.round(conf * 255), 0, 255).astype(np.uint8)
    camera = CameraInfo(kind="rear", make="depthlab", model="synthetic Pixel-layout camera",
                        lens_model=None, focal_length_mm=4.38, focal_length_35mm=27.0)
    truth = GroundTruth(depth_m=depth.astype(np.float32), labels=labels, label_names=scene.labels, scene=scene.to_dict(),
                        relative_scale_factor=1.0,
                        notes=["true optical-axis depth at each depth pixel's centre (misses and beyond Far clipped to Far)",
                               "primary = original with the background blurred by depth (a portrait rendering)"])
    return DynamicDepthCapture(original=original, primary=primary, depth_m=depth, confidence_codes=confidence_codes,
                               calibration=cal, camera=camera, truth=truth, near=float(near), far=float(far))


# --------------------------------------------------------------------------------------------
# encoding
# --------------------------------------------------------------------------------------------


def ray_norms_at(calibration: Calibration, width: int, height: int) -> np.ndarray:
    """``|ray|`` per pixel centre of a ``width`` x ``height`` grid of the calibration's view."""
    d = pixel_rays(calibration, width, height, distorted=False)
    return np.linalg.norm(d, axis=1).reshape(height, width)


def depth_codes(depth_m: np.ndarray, fmt: str, near: float, far: float, *, units: str = "None",
                bits: int = 8, ray_norm: np.ndarray | None = None) -> np.ndarray:
    """Integer codes of optical-axis ``depth_m`` in Dynamic Depth's encoding (module docstring).

    ``ray_norm`` (per pixel) turns depth into distance along the ray (MeasureType OpticRay).
    ``units`` is accepted for symmetry with the reader and changes nothing: every unit stores the
    same formula (only "Meters" says the numbers are metres).
    """
    q = np.asarray(depth_m, dtype=np.float64)
    if ray_norm is not None:
        q = q * ray_norm
    top = (1 << bits) - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        if fmt == "RangeLinear":
            v = (q - near) / (far - near)
        elif fmt == "RangeInverse":
            v = far * (1.0 - near / q) / (far - near)
        else:
            raise InvalidInputError(f"format must be RangeLinear or RangeInverse, got {fmt!r}")
    codes = np.clip(np.round(np.nan_to_num(v, nan=1.0) * top), 0, top)
    return codes.astype(np.uint16 if bits == 16 else np.uint8)


def _num(v: float) -> str:
    v = float(v)
    return str(int(v)) if v == int(v) else repr(v)


def _attrs(prefix: str, values: dict[str, Any]) -> str:
    return " ".join(f'{prefix}:{k}="{v}"' for k, v in values.items() if v is not None)


def description_xml(items: list[tuple[str, str, int]], *, fmt: str, near: float, far: float, units: str,
                    measure_type: str, semantic: str, imaging: dict[str, Any] | None,
                    image_uri: str | None, depth_uri: str, confidence_uri: str | None,
                    focal_table: list[tuple[float, float]] | None = None) -> str:
    """The ``rdf:Description`` body of a Dynamic Depth description (Device properties).

    ``items`` = [(mime, uri, length)], the primary first with length 0.
    """
    lis = "".join(
        f'<rdf:li><Container:Item {_attrs("Item", {"Mime": m, "Length": n, "DataURI": u})}/></rdf:li>'
        for m, u, n in items)
    dm: dict[str, Any] = {"ItemSemantic": semantic, "Format": fmt, "Units": units, "Near": _num(near),
                          "Far": _num(far), "DepthURI": depth_uri, "MeasureType": measure_type,
                          "ConfidenceURI": confidence_uri}
    if focal_table:
        raw = b"".join(struct.pack("<ff", a, b) for a, b in focal_table)
        dm["FocalTableEntryCount"] = len(focal_table)
        dm["FocalTable"] = base64.b64encode(raw).decode("ascii").rstrip("=")
    camera = ""
    if image_uri:
        camera += f'<Camera:Image {_attrs("Image", {"ItemSemantic": "Original", "ItemURI": image_uri})}/>'
    camera += f'<Camera:DepthMap {_attrs("DepthMap", dm)}/>'
    if imaging:
        camera += f'<Camera:ImagingModel {_attrs("ImagingModel", imaging)}/>'
    return (
        f'<Device:Container rdf:parseType="Resource"><Container:Directory><rdf:Seq>{lis}</rdf:Seq></Container:Directory></Device:Container>'
        '<Device:Profiles><rdf:Seq><rdf:li><Device:Profile Profile:Type="DepthPhoto"><Profile:CameraIndices><rdf:Seq>'
        '<rdf:li>0</rdf:li></rdf:Seq></Profile:CameraIndices></Device:Profile></rdf:li></rdf:Seq></Device:Profiles>'
        f'<Device:Cameras><rdf:Seq><rdf:li><Device:Camera Camera:Trait="Physical">{camera}</Device:Camera></rdf:li></rdf:Seq></Device:Cameras>'
    )


def _packet(namespaces: dict[str, str], attrs: str, body: str) -> bytes:
    decl = " ".join(f'xmlns:{k}="{v}"' for k, v in namespaces.items())
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="depthlab.synth"><rdf:RDF xmlns:rdf="{RDF_NS}">'
            f'<rdf:Description rdf:about="" {decl} {attrs}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>').encode("utf-8")


def _exif(camera: CameraInfo, orientation_tag: int) -> bytes:
    return camera_exif(camera, orientation_tag).tobytes()


def dynamic_depth_jpeg_bytes(cap: DynamicDepthCapture, orientation: Orientation | None = None, *,
                             fmt: str = "RangeLinear", units: str = "None", measure_type: str = "OpticalAxis",
                             bits: int = 8, near: float | None = None, far: float | None = None,
                             normalised: bool = False, in_main_xmp: bool = False, with_original: bool = True,
                             with_confidence: bool = True, semantic: str = "Segmentation", quality: int = 90,
                             guid: str | None = None) -> bytes:
    """The whole Dynamic Depth JPEG of ``cap`` (display orientation) stored with ``orientation``.

    Defaults follow a Pixel portrait: RangeLinear over ``cap.near``..``cap.far`` with Units
    "None", OpticalAxis, 8-bit JPEG depth and confidence, the original image, intrinsics in
    pixels, the description in the extended XMP.  ``bits`` 16 stores the depth as a PNG;
    ``normalised`` writes the specification's normalised intrinsics; ``in_main_xmp`` puts the
    description in the main XMP; ``guid`` overrides the extended XMP's GUID in its segments (a
    test of a reader).  ``near``/``far`` default to ``cap.near``/``cap.far`` whatever the units.
    """
    from ..formats.exif import EXIF_ORIENTATIONS

    orientation = orientation or Orientation()
    if bits not in (8, 16):
        raise InvalidInputError(f"bits must be 8 (JPEG) or 16 (PNG), got {bits}")
    if units not in ("Meters", "Diopters", "None"):
        raise InvalidInputError(f"units must be Meters, Diopters or None, got {units!r}")
    if measure_type not in ("OpticalAxis", "OpticRay"):
        raise InvalidInputError(f"measure_type must be OpticalAxis or OpticRay, got {measure_type!r}")
    if near is None:
        near = cap.near
    if far is None:
        far = cap.far
    inv = inverse_orientation(orientation)
    dh, dw = cap.depth_m.shape
    cal = cap.calibration
    norms = ray_norms_at(cal, dw, dh) if measure_type == "OpticRay" else None
    codes = depth_codes(cap.depth_m, fmt, near, far, units=units, bits=bits, ray_norm=norms)
    stored_codes = np.ascontiguousarray(inv.apply(codes))
    depth_blob = png_bytes(stored_codes) if bits == 16 else encode_jpeg(stored_codes, quality=100)
    depth_mime = "image/png" if bits == 16 else "image/jpeg"
    files: list[tuple[str, str, bytes]] = []  # (mime, uri, bytes)
    if with_original:
        files.append(("image/jpeg", "android/original_image", encode_jpeg(np.ascontiguousarray(inv.apply(cap.original)), quality)))
    files.append((depth_mime, "android/depthmap", depth_blob))
    if with_confidence:
        files.append(("image/jpeg", "android/confidencemap",
                      encode_jpeg(np.ascontiguousarray(inv.apply(cap.confidence_codes)), quality=100)))

    stored_cal = cal.oriented(inv)
    w, h = stored_cal.reference_size
    if normalised:
        imaging = {"FocalLengthX": _num(stored_cal.fx / max(w, h)), "FocalLengthY": _num(stored_cal.fy / max(w, h)),
                   "PrincipalPointX": _num(stored_cal.cx / w), "PrincipalPointY": _num(stored_cal.cy / h)}
    else:
        imaging = {"FocalLengthX": _num(stored_cal.fx), "FocalLengthY": _num(stored_cal.fy),
                   "PrincipalPointX": _num(stored_cal.cx), "PrincipalPointY": _num(stored_cal.cy)}
    imaging |= {"ImageWidth": w, "ImageHeight": h, "Skew": "0", "PixelAspectRatio": "1", "DistortionCount": 0}
    items = [("image/jpeg", "primary_image", 0)] + [(m, u, len(b)) for m, u, b in files]
    body = description_xml(items, fmt=fmt, near=near, far=far, units=units, measure_type=measure_type,
                           semantic=semantic, imaging=imaging,
                           image_uri="android/original_image" if with_original else None,
                           depth_uri="android/depthmap", confidence_uri="android/confidencemap" if with_confidence else None,
                           focal_table=[(float(np.float32(cap.near)), 0.0), (float(np.float32(cap.far)), 12.0)])
    dd_ns = {k: NS[k] for k in NS}
    gcam = ('<GCamera:SpecialTypeID><rdf:Bag><rdf:li>' + PORTRAIT_TYPE + '</rdf:li></rdf:Bag></GCamera:SpecialTypeID>')
    gcam_ns = {"GCamera": "http://ns.google.com/photos/1.0/camera/", "xmpNote": "http://ns.adobe.com/xmp/note/"}
    tag = next((k for k, v in EXIF_ORIENTATIONS.items() if v == orientation), None)
    if tag is None:
        raise InvalidInputError(f"{orientation} has no EXIF orientation tag")
    segments: list[bytes] = [exif_segment(_exif(cap.camera, tag))]
    if in_main_xmp:
        segments.append(xmp_segment(_packet({**gcam_ns, **dd_ns}, "", gcam + body)))
    else:
        ext = _packet(dd_ns, "", body)
        real_guid = extended_xmp_guid(ext)
        main = _packet(gcam_ns, f'xmpNote:HasExtendedXMP="{real_guid}"', gcam)
        segments.append(xmp_segment(main))
        segments += extended_xmp_segments(ext, guid=guid or real_guid)
    primary = insert_segments(encode_jpeg(np.ascontiguousarray(inv.apply(cap.primary)), quality), segments)
    return primary + b"".join(b for _, _, b in files)


def write_dynamic_depth_jpeg(path: str | os.PathLike, cap: DynamicDepthCapture, orientation: Orientation | None = None,
                             overwrite: bool = False, **options: Any) -> None:
    """Write :func:`dynamic_depth_jpeg_bytes` to ``path`` atomically (refuses to replace a file
    unless ``overwrite``)."""
    data = dynamic_depth_jpeg_bytes(cap, orientation, **options)
    with atomic_write(path, overwrite=overwrite) as fh:
        fh.write(data)


# --------------------------------------------------------------------------------------------
# the Pixel 3 layout: typed values, Units Diopters, non-metric depth
# --------------------------------------------------------------------------------------------

#: The range a Pixel 3 portrait writes (RangeInverse, Units Diopters: the file's own, non-metric units)
PIXEL3_NEAR, PIXEL3_FAR = 0.550750, 8.000000
#: The fixture's stored value is not metric: ``1 / value = a / z + b`` for true depth ``z`` (metres),
#: which puts the person at codes near 102 and the wall at about 148 (the band real files span)
PIXEL3_A, PIXEL3_B = 0.46, 0.69
#: The primary is larger than the stored items (3024x4032 vs 2016x2688 on the phone)
PIXEL3_PRIMARY_SCALE = 1.5


def render_pixel3_portrait(scene: Scene | None = None, *, depth_size: tuple[int, int] = (192, 256)) -> DynamicDepthCapture:
    """A portrait as a Pixel 3 stores it (display orientation = stored, EXIF orientation 1).

    ``original`` and the depth codes are at ``depth_size`` (the phone's items are 2016x2688);
    ``primary`` and ``calibration`` at :data:`PIXEL3_PRIMARY_SCALE` times that size; confidence
    all 255 (as in the real files).  The depth is relative: the truth records
    ``relative_scale_factor`` :data:`PIXEL3_A` and ``relative_disparity_offset`` :data:`PIXEL3_B`,
    so depth read from the file = ``1 / (a / z + b)`` in the file's own units.

    >>> cap = render_pixel3_portrait(depth_size=(48, 64))
    >>> cap.primary.shape, cap.original.shape, cap.calibration.reference_size
    ((96, 72, 3), (64, 48, 3), (72, 96))
    """
    from PIL import Image

    from ..camera import FULL_FRAME_DIAGONAL_MM

    base = render_pixel_portrait(scene, depth_size=depth_size, colour_size=depth_size)
    dw, dh = (int(v) for v in depth_size)
    pw, ph = round(dw * PIXEL3_PRIMARY_SCALE), round(dh * PIXEL3_PRIMARY_SCALE)
    primary = np.asarray(Image.fromarray(base.primary).resize((pw, ph), Image.Resampling.BICUBIC))
    k = base.calibration.intrinsic_matrix * np.array([[pw / dw, 1, pw / dw], [1, ph / dh, ph / dh], [1, 1, 1]])
    cal = Calibration(intrinsic_matrix=k, reference_size=(pw, ph), source="synthetic (depthlab.synth.dynamic_depth, Pixel 3 layout)")
    t = base.truth
    truth = GroundTruth(depth_m=t.depth_m, labels=t.labels, label_names=t.label_names, scene=t.scene,
                        relative_scale_factor=PIXEL3_A, relative_disparity_offset=PIXEL3_B,
                        notes=t.notes + ["stored value is non-metric (Units Diopters): 1 / value = a / z + b, "
                                         "a = relative_scale_factor, b = relative_disparity_offset"])
    f35 = round(cal.fx * FULL_FRAME_DIAGONAL_MM / math.hypot(pw, ph), 1)  # EXIF consistent with the intrinsics
    camera = CameraInfo(kind="rear", make="depthlab", model="synthetic Pixel 3 layout", lens_model=None,
                        focal_length_mm=4.44, focal_length_35mm=f35)
    return DynamicDepthCapture(original=base.original, primary=primary, depth_m=base.depth_m,
                               confidence_codes=np.full((dh, dw), 255, np.uint8), calibration=cal, camera=camera,
                               truth=truth, near=PIXEL3_NEAR, far=PIXEL3_FAR, name="pixel3_portrait")


def pixel3_codes(cap: DynamicDepthCapture) -> np.ndarray:
    """uint8 depth codes of the Pixel 3 layout: RangeInverse over Near..Far of ``1 / (a / z + b)``.

    >>> codes = pixel3_codes(render_pixel3_portrait(depth_size=(48, 64)))
    >>> codes.dtype, 90 < int(codes[20, 24]) < 150
    (dtype('uint8'), True)
    """
    value = 1.0 / (PIXEL3_A / np.asarray(cap.depth_m, dtype=np.float64) + PIXEL3_B)
    return depth_codes(value, "RangeInverse", cap.near, cap.far)


def pixel3_focal_table(cap: DynamicDepthCapture, entries: int = 256) -> list[tuple[float, float]]:
    """A blur table like the phone's (distance in the file's units -> blur radius in pixels):
    radius grows with ``|1/focus - 1/d|`` away from the person.  Plausible, not the phone's.

    >>> len(pixel3_focal_table(render_pixel3_portrait(depth_size=(48, 64))))
    256
    """
    person = [i for i, n in enumerate(cap.truth.label_names) if n in ("head", "hair", "torso", "shoulders", "neck")]
    z = np.asarray(cap.depth_m)[np.isin(cap.truth.labels, person)]
    focus = float(1.0 / (PIXEL3_A / np.median(z) + PIXEL3_B)) if z.size else 1.0
    d = np.linspace(cap.near, cap.far, entries)
    radius = np.minimum(64.0, 40.0 * np.abs(1.0 / focus - 1.0 / d) * focus)
    return [(float(np.float32(a)), float(np.float32(b))) for a, b in zip(d, radius)]


def _b64_floats(values) -> str:
    return base64.b64encode(b"".join(struct.pack("<f", float(v)) for v in values)).decode("ascii")


def _typed(cls_ns: str, cls: str, props: str) -> str:
    """RDF's typed-value form, as Pixels write every structure: the properties inside an
    ``rdf:value`` node, the class in an ``rdf:type`` next to it."""
    return (f'<rdf:value rdf:parseType="Resource">{props}</rdf:value>'
            f'<rdf:type rdf:resource="{NS[cls_ns]}:{cls}"/>')


def _elements(prefix: str, values: dict[str, Any]) -> str:
    return "".join(f"<{prefix}:{k}>{v}</{prefix}:{k}>" for k, v in values.items() if v is not None)


def pixel3_description_xml(items: list[tuple[str, str, int]], cap: DynamicDepthCapture,
                           focal_table: list[tuple[float, float]]) -> str:
    """The Device properties of a Pixel 3 description: every entry of ``Container:Directory``,
    ``Device:Profiles`` and ``Device:Cameras``, and every structure of the camera, in typed-value
    form, properties as elements, numbers with six decimals as the phone prints them.  ``items``
    are ``(mime, uri, length)``, or ``(mime, uri, length, padding)`` to write an ``Item:Padding``.

    >>> cap = render_pixel3_portrait(depth_size=(48, 64))
    >>> "<DepthMap:Units>Diopters</DepthMap:Units>" in pixel3_description_xml([], cap, [])
    True
    """
    lis = "".join(f'<rdf:li rdf:parseType="Resource">'
                  f'{_typed("Container", "Item", _elements("Item", {"Mime": it[0], "Length": it[2], "DataURI": it[1], "Padding": (it[3:] or (None,))[0]}))}</rdf:li>'
                  for it in items)
    c = cap.calibration
    w, h = c.reference_size
    dm = {"ItemSemantic": "Depth", "Format": "RangeInverse", "Units": "Diopters", "Near": f"{cap.near:.6f}",
          "Far": f"{cap.far:.6f}", "MeasureType": "OpticalAxis", "DepthURI": "android/depthmap",
          "ConfidenceURI": "android/confidencemap", "FocalTableEntryCount": len(focal_table),
          "FocalTable": _b64_floats(v for pair in focal_table for v in pair)}
    im = {"FocalLengthX": f"{c.fx:.6f}", "FocalLengthY": f"{c.fy:.6f}", "PrincipalPointX": f"{c.cx:.6f}",
          "PrincipalPointY": f"{c.cy:.6f}", "ImageWidth": w, "ImageHeight": h, "Skew": "0.000000",
          "PixelAspectRatio": "1.000000", "DistortionCount": 4, "Distortion": _b64_floats([0.0] * 8)}
    camera = ("<Camera:Trait>Physical</Camera:Trait>"
              f'<Camera:Image rdf:parseType="Resource">{_typed("Camera", "Image", _elements("Image", {"ItemSemantic": "Original", "ItemURI": "android/original_image"}))}</Camera:Image>'
              f'<Camera:DepthMap rdf:parseType="Resource">{_typed("Camera", "DepthMap", _elements("DepthMap", dm))}</Camera:DepthMap>'
              f'<Camera:ImagingModel rdf:parseType="Resource">{_typed("Camera", "ImagingModel", _elements("ImagingModel", im))}</Camera:ImagingModel>')
    profile = _elements("Profile", {"Type": "DepthPhoto"}) + "<Profile:CameraIndices><rdf:Seq><rdf:li>0</rdf:li></rdf:Seq></Profile:CameraIndices>"
    return (f'<Device:Container rdf:parseType="Resource"><Container:Directory><rdf:Seq>{lis}</rdf:Seq></Container:Directory></Device:Container>'
            f'<Device:Profiles><rdf:Seq><rdf:li rdf:parseType="Resource">{_typed("Device", "Profile", profile)}</rdf:li></rdf:Seq></Device:Profiles>'
            f'<Device:Cameras><rdf:Seq><rdf:li rdf:parseType="Resource">{_typed("Device", "Camera", camera)}</rdf:li></rdf:Seq></Device:Cameras>')


def pixel3_portrait_bytes(cap: DynamicDepthCapture | None = None, *, quality: int = 90,
                          item_order: tuple[str, ...] | None = None,
                          edit_description: Callable[[str], str] | None = None,
                          padding: dict[str, int] | None = None) -> bytes:
    """A whole JPEG laid out exactly as a Pixel 3 portrait (HDR+ 1.0) is: EXIF orientation 1, a
    main XMP marking a portrait and naming the extended XMP, the description in the extended XMP
    (typed values, Units Diopters, Near 0.550750, Far 8.000000, a 256-entry FocalTable, pixel
    intrinsics at the primary's size with DistortionCount 4), and four items in this order:
    ``primary_image`` (Length 0), ``android/original_image``, ``android/depthmap``,
    ``android/confidencemap`` (all JPEG).  ``cap`` defaults to :func:`render_pixel3_portrait`.
    For tests of readers (other forms the specification allows): ``item_order`` lists the
    appended items' URIs in another order (directory and bytes alike), ``edit_description`` is
    applied to the description's XML before it is written, ``padding`` maps item URIs (the
    primary's is ``primary_image``) to a number of zero bytes written after that item and declared
    in its ``Item:Padding`` (the specification allows it; Pixel 3 files have none).

    >>> pixel3_portrait_bytes(render_pixel3_portrait(depth_size=(48, 64)))[:3]
    b'\\xff\\xd8\\xff'
    """
    cap = cap or render_pixel3_portrait()
    files = [("image/jpeg", "android/original_image", encode_jpeg(cap.original, quality)),
             ("image/jpeg", "android/depthmap", encode_jpeg(pixel3_codes(cap), quality=100)),
             ("image/jpeg", "android/confidencemap", encode_jpeg(cap.confidence_codes, quality=100))]
    if item_order is not None:
        by_uri = {u: (m, u, b) for m, u, b in files}
        files = [by_uri[u] for u in item_order]
    pad = dict(padding or {})
    if any(not isinstance(v, int) or v < 0 for v in pad.values()) or set(pad) - {"primary_image"} - {u for _, u, _ in files}:
        raise InvalidInputError(f"padding maps item URIs to byte counts >= 0, got {padding!r}")
    items = [("image/jpeg", "primary_image", 0, pad.get("primary_image"))] + [(m, u, len(b), pad.get(u)) for m, u, b in files]
    body = pixel3_description_xml(items, cap, pixel3_focal_table(cap))
    if edit_description is not None:
        body = edit_description(body)
    ext = _packet(dict(NS), "", body)
    guid = extended_xmp_guid(ext)
    gcam = "<GCamera:SpecialTypeID><rdf:Bag><rdf:li>" + PORTRAIT_TYPE + "</rdf:li></rdf:Bag></GCamera:SpecialTypeID>"
    main = _packet({"GCamera": "http://ns.google.com/photos/1.0/camera/", "xmpNote": "http://ns.adobe.com/xmp/note/"},
                   f'xmpNote:HasExtendedXMP="{guid}"', gcam)
    segments = [exif_segment(_exif(cap.camera, 1)), xmp_segment(main)] + extended_xmp_segments(ext, guid=guid)
    appended = b"".join(b + bytes(pad.get(u, 0)) for _, u, b in files)
    return insert_segments(encode_jpeg(cap.primary, quality), segments) + bytes(pad.get("primary_image", 0)) + appended


# --------------------------------------------------------------------------------------------
# the shipped sample
# --------------------------------------------------------------------------------------------

DEPTH_UNIT_M = 1e-4


def sample_contents() -> tuple[dict[str, bytes], dict[str, np.ndarray]]:
    """The shipped sample: ({``pixel_portrait.jpg``: bytes, ``pixel_portrait_truth.json``: bytes},
    the arrays of ``pixel_portrait_truth.npz``), the same on every run (for one Pillow/libjpeg
    version).  :func:`depthlab.synth.samples.sample_files` packs the arrays as the other samples'."""
    cap = render_pixel_portrait()
    jpg = dynamic_depth_jpeg_bytes(cap)
    t = cap.truth
    arrays = {"depth_1e4m": np.round(cap.depth_m / DEPTH_UNIT_M).astype(np.uint16), "labels": t.labels.astype(np.uint8)}
    c = cap.calibration
    doc = {
        "file": f"{SAMPLE_NAME}.jpg",
        "generator": "depthlab.synth.dynamic_depth (python -m depthlab.synth / depthlab samples)",
        "layout": "Google Dynamic Depth 1.0 as Pixel portraits store it: description in the extended XMP, "
                  "original image, 8-bit JPEG depth (RangeLinear, Units None) and confidence appended",
        "camera": cap.camera.to_dict(),
        "accuracy": "relative",
        "stored": {"quantity": "depth", "format": "RangeLinear", "near": cap.near, "far": cap.far, "units": "None",
                   "bits": 8, "depth_size": [int(cap.depth_m.shape[1]), int(cap.depth_m.shape[0])],
                   "colour_size": [int(cap.original.shape[1]), int(cap.original.shape[0])]},
        "calibration": {"fx": c.fx, "fy": c.fy, "cx": c.cx, "cy": c.cy, "reference_size": list(c.reference_size),
                        "convention": "pixels of the colour image, corner origin"},
        "label_names": t.label_names,
        "arrays": {"depth_1e4m": "true depth z per depth pixel, units of 0.1 mm",
                   "labels": "index into label_names of the surface each depth pixel sees"},
        **t.to_dict(),
    }
    js = (json.dumps(doc, indent=1, allow_nan=False) + "\n").encode("utf-8")
    return {f"{SAMPLE_NAME}.jpg": jpg, f"{SAMPLE_NAME}_truth.json": js}, arrays


__all__ = ["DynamicDepthCapture", "render_pixel_portrait", "pixel_calibration", "depth_codes", "description_xml",
           "dynamic_depth_jpeg_bytes", "write_dynamic_depth_jpeg", "sample_contents", "ray_norms_at", "headlight_shading",
           "render_pixel3_portrait", "pixel3_codes", "pixel3_focal_table", "pixel3_description_xml", "pixel3_portrait_bytes",
           "PIXEL3_NEAR", "PIXEL3_FAR", "PIXEL3_A", "PIXEL3_B", "PIXEL3_PRIMARY_SCALE"]
