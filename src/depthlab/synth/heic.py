"""Write a :class:`~depthlab.synth.render.SynthCapture` as an iPhone lays out a portrait HEIC.

Layout (mirrors ``rear_dual_pug.heic``): the primary is a ``grid`` of 512x512 ``hvc1`` tiles
(hidden), with ``colr``/``ispe``/``irot``/``pixi``; an ``Exif`` item and an XMP ``mime`` item
``cdsc`` the primary; the depth image is a hidden ``hvc1`` item with ``auxl`` -> primary and
``auxC`` ``urn:mpeg:hevc:2015:auxid:2`` + depth representation SEI, and its XMP ``mime`` item
(``cdsc`` -> depth) holds Apple's apdi:/depthData: keys; the portrait effects matte is an ``hvc1``
aux item (``urn:com:apple:photo:2018:aux:portraiteffectsmatte``) with its own XMP.

HEVC coding is pillow-heif's (x265): colour lossy, depth and matte lossless monochrome, so the
8-bit codes read back exactly.  The bitstream and ``hvcC`` are taken out of pillow-heif's output
with :mod:`depthlab.formats.isobmff` and re-assembled with :mod:`depthlab.synth.heif_writer`.

Orientation: ``orientation`` says how the *stored* pixels become the display (``irot`` then
``imir``, HEIF order).  The capture is given in display orientation; the writer stores pixels and
calibration in the un-oriented (sensor) frame and writes the same ``irot``/``imir`` on the primary
and on every aux item, as iPhones do.
"""

from __future__ import annotations

import io
import math
import os
from typing import Any

import numpy as np

from ..exchange.atomic import atomic_write
from ..capture import Calibration, CameraInfo, Orientation
from ..errors import DepthlabError, InvalidInputError
from . import heif_writer as hw
from .render import SynthCapture

TILE = 512
MAX_SIDE = 16384
MIN_SIDE = 64  # x265 (via libheif) pads smaller or odd images and crops them with 'clap'
DEPTH_URN = "urn:mpeg:hevc:2015:auxid:2"
MATTE_URN = "urn:com:apple:photo:2018:aux:portraiteffectsmatte"
L008 = 1278226488  # 'L008'
HDIS = 1751411059  # 'hdis'


# --------------------------------------------------------------------------------------------
# HEVC coding through pillow-heif
# --------------------------------------------------------------------------------------------


def encode_hevc(pixels: np.ndarray, *, lossless: bool, quality: int = 80) -> tuple[bytes, bytes]:
    """Code ``pixels`` (uint8 (H, W) or (H, W, 3)) with x265; returns (hvcC record, item data).

    ``lossless`` codes monochrome 4:0:0 (exact 8-bit values); otherwise RGB becomes lossy 4:2:0.
    """
    import pillow_heif

    from ..formats import isobmff

    a = np.ascontiguousarray(pixels)
    mode = "L" if a.ndim == 2 else "RGB"
    buf = io.BytesIO()
    try:
        pillow_heif.encode(mode, (a.shape[1], a.shape[0]), a.tobytes(), buf,
                           quality=-1 if lossless else int(quality))
    except Exception as exc:  # libheif/x265 errors come as RuntimeError/ValueError
        raise InvalidInputError(f"x265 could not code a {a.shape[1]}x{a.shape[0]} {mode} image: {exc}") from exc
    hf = isobmff.parse_heif(buf.getvalue())
    item = hf.items[hf.primary_id]
    cfg = hf.property(hf.primary_id, "hvcC")
    if item.type != "hvc1" or cfg is None:
        raise DepthlabError(f"pillow-heif wrote a {item.type!r} primary without hvcC; cannot re-use it")
    coded = hf.image_size(hf.primary_id)
    if coded != (a.shape[1], a.shape[0]) or hf.property(hf.primary_id, "clap") is not None:
        raise InvalidInputError(
            f"x265 codes a {a.shape[1]}x{a.shape[0]} image as {coded[0]}x{coded[1]} plus a crop; "
            f"use even sizes of at least {MIN_SIDE} pixels per side"
        )
    return cfg.payload, hf.item_data(hf.primary_id)


# --------------------------------------------------------------------------------------------
# text: XMP and EXIF
# --------------------------------------------------------------------------------------------


def xmp_number(value: float) -> str:
    """A number as Apple's XMP spells it — ``0.0`` for zero, integers bare — but always with
    the shortest digits that read back to the same float64 (``repr``)."""
    v = float(value)
    if not math.isfinite(v):
        raise InvalidInputError(f"cannot write non-finite {value} into the XMP")
    if v == 0:
        return "0.0"
    if v == int(v) and abs(v) < 2**53:
        return str(int(v))
    return repr(v)


def _seq(values: Any) -> str:
    lis = "".join(f"\n               <rdf:li>{xmp_number(v)}</rdf:li>" for v in values)
    return f"\n            <rdf:Seq>{lis}\n            </rdf:Seq>\n         "


def xmp_packet(namespaces: dict[str, str], body: list[tuple[str, str]]) -> bytes:
    ns = "".join(f'\n            xmlns:{k}="{v}"' for k, v in namespaces.items())
    props = "".join(f"\n         <{k}>{v}</{k}>" for k, v in body)
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 6.0.0">\n'
        '   <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'      <rdf:Description rdf:about=""{ns}>{props}\n'
        "      </rdf:Description>\n   </rdf:RDF>\n</x:xmpmeta>\n"
    ).encode("utf-8")


def depth_xmp(cap: SynthCapture, calibration: Calibration) -> bytes:
    """The depth item's XMP with Apple's apdi:/depthData: keys (calibration as given)."""
    c = calibration
    body = [
        ("apdi:IntMaxValue", "255"),
        ("apdi:StoredFormat", str(L008)),
        ("apdi:NativeFormat", str(HDIS)),
        ("apdi:IntMinValue", "0"),
        ("apdi:FloatMaxValue", xmp_number(cap.float_max)),
        ("apdi:FloatMinValue", xmp_number(cap.float_min)),
        ("apdi:AuxiliaryImageType", "disparity"),
        ("depthData:IntrinsicMatrixReferenceWidth", str(c.reference_size[0])),
        ("depthData:DepthDataVersion", "65541"),
        ("depthData:Quality", "high"),
        ("depthData:IntrinsicMatrix", _seq(c.intrinsic_matrix.T.ravel())),  # column-major
        ("depthData:IntrinsicMatrixReferenceHeight", str(c.reference_size[1])),
        ("depthData:InverseLensDistortionCoefficients", _seq(c.inverse_lens_distortion)),
        ("depthData:LensDistortionCenterOffsetX", xmp_number(c.distortion_center[0])),
        ("depthData:LensDistortionCoefficients", _seq(c.lens_distortion)),
        ("depthData:Accuracy", cap.accuracy),
        ("depthData:PixelSize", xmp_number(c.pixel_size_mm)),
        ("depthData:Filtered", "True" if cap.filtered else "False"),
        ("depthData:ExtrinsicMatrix", _seq(c.extrinsic_matrix.T.ravel())),  # column-major 4x3
        ("depthData:LensDistortionCenterOffsetY", xmp_number(c.distortion_center[1])),
    ]
    if c.distortion_max_radius_px is not None:  # only when the calibration has one (our real files do not)
        body.append(("depthData:DistortionCalibrationValidMaxRadiusInPixels", str(int(round(c.distortion_max_radius_px)))))
    return xmp_packet({"apdi": "http://ns.apple.com/pixeldatainfo/1.0/", "depthData": "http://ns.apple.com/depthData/1.0/"}, body)


def matte_xmp() -> bytes:
    return xmp_packet(
        {"apdi": "http://ns.apple.com/pixeldatainfo/1.0/", "portraitEffectsMatte": "http://ns.apple.com/portraitEffectsMatte/1.0/"},
        [("apdi:AuxiliaryImageSubType", "portraiteffectsmatte"), ("apdi:NativeFormat", str(L008)),
         ("apdi:AuxiliaryImageType", "depth"), ("apdi:StoredFormat", str(L008)),
         ("portraitEffectsMatte:PortraitEffectsMatteVersion", "65537")],
    )


def primary_xmp(cap: SynthCapture) -> bytes:
    return xmp_packet({"xmp": "http://ns.adobe.com/xap/1.0/"},
                [("xmp:CreatorTool", "depthlab.synth"), ("xmp:Label", f"synthetic {cap.camera.kind} capture")])


def exif_orientation(o: Orientation) -> int:
    """The EXIF Orientation tag equivalent to HEIF rotate-then-mirror ``o``."""
    probe = np.arange(6).reshape(2, 3)
    want = o.apply(probe)
    cands = {1: probe, 2: probe[:, ::-1], 3: probe[::-1, ::-1], 4: probe[::-1], 5: probe.T,
             6: np.rot90(probe, -1), 7: np.rot90(probe, 2).T, 8: np.rot90(probe, 1)}
    for code, arr in cands.items():
        if arr.shape == want.shape and np.array_equal(arr, want):
            return code
    raise AssertionError(o)  # pragma: no cover


def camera_exif(cam: CameraInfo, orientation_tag: int) -> Any:
    """A Pillow ``Image.Exif`` with the tags every generated sample carries: make, model,
    orientation, software, and (Exif IFD) focal length and its 35 mm equivalent."""
    from PIL import Image

    e = Image.Exif()
    e[0x010F] = cam.make or "depthlab"
    e[0x0110] = cam.model or "synthetic"
    e[0x0112] = orientation_tag
    e[0x0131] = "depthlab.synth"
    ifd = e.get_ifd(0x8769)
    if cam.focal_length_mm:
        ifd[0x920A] = float(cam.focal_length_mm)
    if cam.focal_length_35mm:
        ifd[0xA405] = int(round(cam.focal_length_35mm))
    return e


def exif_item(cap: SynthCapture, orientation: Orientation, size: tuple[int, int]) -> bytes:
    """A HEIF Exif item: 4-byte offset to the TIFF header, then ``Exif\\0\\0`` + big-endian TIFF."""
    cam = cap.camera
    e = camera_exif(cam, exif_orientation(orientation))
    ifd = e.get_ifd(0x8769)
    if cam.lens_model:
        ifd[0xA434] = cam.lens_model
    ifd[0xA433] = cam.make or "depthlab"
    ifd[0xA002], ifd[0xA003] = int(size[0]), int(size[1])
    data = e.tobytes()
    if not data.startswith(b"Exif\x00\x00"):
        data = b"Exif\x00\x00" + data
    return (6).to_bytes(4, "big") + data


# --------------------------------------------------------------------------------------------
# validation and orientation
# --------------------------------------------------------------------------------------------


def inverse_orientation(o: Orientation) -> Orientation:
    """The orientation taking display pixels back to stored ones (a mirror is its own inverse)."""
    if o.mirror is not None:
        return o
    return Orientation((360 - o.rotation) % 360, None)


def _check_image(name: str, a: Any, channels: int | None) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype != np.uint8:
        raise InvalidInputError(f"{name} must be uint8, got {arr.dtype}")
    want = 2 if channels is None else 3
    if arr.ndim != want or (channels is not None and arr.shape[2] != channels):
        raise InvalidInputError(f"{name} must have shape {'(H, W)' if channels is None else '(H, W, 3)'}, got {arr.shape}")
    h, w = arr.shape[:2]
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE) or w % 2 or h % 2:
        raise InvalidInputError(
            f"{name} is {w}x{h}; HEVC images here must have even sides between {MIN_SIDE} and {MAX_SIDE} pixels"
        )
    return arr


def validate_capture(cap: SynthCapture) -> None:
    _check_image("rgb", cap.rgb, 3)
    _check_image("depth_codes", cap.depth_codes, None)
    _check_image("matte_codes", cap.matte_codes, None)
    for name in ("float_min", "float_max"):
        v = getattr(cap, name)
        if not isinstance(v, (int, float, np.floating)) or not math.isfinite(float(v)):
            raise InvalidInputError(f"{name} must be a finite number, got {v!r}")
        if float(np.float32(v)) != float(v):
            raise InvalidInputError(f"{name}={v!r} is not a float32 number; round it (np.float32) so it round-trips")
    if not float(cap.float_min) < float(cap.float_max):
        raise InvalidInputError(f"float_min {cap.float_min} must be below float_max {cap.float_max}")
    if cap.accuracy not in ("relative", "absolute"):
        raise InvalidInputError(f"accuracy must be 'relative' or 'absolute', got {cap.accuracy!r}")
    c = cap.calibration
    if not isinstance(c, Calibration):
        raise InvalidInputError(f"calibration must be a Calibration, got {type(c).__name__}")
    missing = [n for n in ("lens_distortion", "inverse_lens_distortion", "distortion_center", "pixel_size_mm", "extrinsic_matrix")
               if getattr(c, n) is None]
    if missing:
        raise InvalidInputError(f"the calibration lacks {', '.join(missing)}, which Apple's XMP always carries")
    values = [*c.intrinsic_matrix.ravel(), *c.lens_distortion, *c.inverse_lens_distortion, *c.distortion_center,
              c.pixel_size_mm, *c.extrinsic_matrix.ravel()]
    if not all(math.isfinite(float(v)) for v in values):
        raise InvalidInputError("the calibration holds non-finite numbers")
    rw, rh = c.reference_size
    dh, dw = cap.depth_codes.shape
    if abs(rw / rh - dw / dh) > 0.02 * (rw / rh):
        raise InvalidInputError(f"calibration reference {rw}x{rh} and depth {dw}x{dh} do not share an aspect ratio")


# --------------------------------------------------------------------------------------------
# assembling and writing
# --------------------------------------------------------------------------------------------


def add_grid(b: hw.HeifBuilder, rgb: np.ndarray, properties: list[tuple[bytes, bool]], *, quality: int) -> int:
    """Add ``rgb`` as a grid of 512x512 lossy tiles (edge tiles padded by repeating the last
    row/column), the grid carrying ``properties``; returns the grid's item id."""
    h, w = rgb.shape[:2]
    colr = hw.colr_nclx()
    rows, cols = -(-h // TILE), -(-w // TILE)
    padded = np.pad(rgb, ((0, rows * TILE - h), (0, cols * TILE - w), (0, 0)), mode="edge")
    tiles = []
    for r in range(rows):
        for c in range(cols):
            cfg, data = encode_hevc(padded[r * TILE:(r + 1) * TILE, c * TILE:(c + 1) * TILE], lossless=False, quality=quality)
            tiles.append(b.add_item("hvc1", data, [(hw.ispe(TILE, TILE), False), (colr, True), (hw.hvcC(cfg), True)], hidden=True))
    grid = b.add_item("grid", hw.grid_descriptor(rows, cols, w, h), properties, in_idat=True)
    b.add_ref("dimg", grid, tiles)
    return grid


def heic_bytes(cap: SynthCapture, orientation: Orientation | None = None, *, quality: int = 80) -> bytes:
    """The whole HEIC file for ``cap`` (display orientation) stored with ``orientation``."""
    orientation = orientation or Orientation()
    if orientation.rotation not in (0, 90, 180, 270) or orientation.mirror not in (None, "vertical", "horizontal"):
        raise InvalidInputError(f"unsupported orientation {orientation}")
    validate_capture(cap)
    inv = inverse_orientation(orientation)
    rgb = np.ascontiguousarray(inv.apply(cap.rgb))
    depth = np.ascontiguousarray(inv.apply(cap.depth_codes))
    matte = np.ascontiguousarray(inv.apply(cap.matte_codes))
    calibration = cap.calibration.oriented(inv)

    transforms: list[tuple[bytes, bool]] = [(hw.irot(orientation.rotation), True)]
    if orientation.mirror is not None:
        transforms.append((hw.imir(0 if orientation.mirror == "vertical" else 1), True))
    colr = hw.colr_nclx()
    b = hw.HeifBuilder()

    h, w = rgb.shape[:2]
    grid = add_grid(b, rgb, [(colr, True), (hw.ispe(w, h), False), *transforms, (hw.pixi(8, 8, 8), False)], quality=quality)
    b.set_primary(grid)
    exif = b.add_item("Exif", exif_item(cap, orientation, (w, h)), hidden=True)
    b.add_ref("cdsc", exif, [grid])
    pxmp = b.add_item("mime", primary_xmp(cap), content_type="application/rdf+xml", hidden=True)
    b.add_ref("cdsc", pxmp, [grid])

    # depth: lossless 8-bit disparity codes
    cfg, data = encode_hevc(depth, lossless=True)
    sei = hw.depth_representation_sei(cap.float_min, cap.float_max, representation_type=1)
    did = b.add_item("hvc1", data, [(hw.hvcC(cfg), True), (hw.ispe(depth.shape[1], depth.shape[0]), False),
                                    *transforms, (hw.pixi(8), False), (hw.auxC(DEPTH_URN, sei), True)], hidden=True)
    b.add_ref("auxl", did, [grid])
    dx = b.add_item("mime", depth_xmp(cap, calibration), content_type="application/rdf+xml", hidden=True)
    b.add_ref("cdsc", dx, [did])

    # portrait effects matte
    cfg, data = encode_hevc(matte, lossless=True)
    mid = b.add_item("hvc1", data, [(hw.hvcC(cfg), True), (hw.ispe(matte.shape[1], matte.shape[0]), False),
                                    *transforms, (hw.pixi(8), False), (hw.auxC(MATTE_URN), True)], hidden=True)
    b.add_ref("auxl", mid, [grid])
    mx = b.add_item("mime", matte_xmp(), content_type="application/rdf+xml", hidden=True)
    b.add_ref("cdsc", mx, [mid])
    return b.to_bytes()


def write_heic(path: str | os.PathLike, cap: SynthCapture, orientation: Orientation | None = None,
               overwrite: bool = False, *, quality: int = 80) -> None:
    """Write ``cap`` to ``path`` as an Apple-layout portrait HEIC (atomically; see module doc).

    ``orientation`` (default upright) is how the stored pixels become the display: e.g.
    ``Orientation(270)`` stores a portrait capture in landscape sensor orientation with ``irot``
    270, ``Orientation(90, "horizontal")`` a mirrored selfie.  Everything is validated and
    coded before the destination is touched; refuses to replace a file unless ``overwrite``.
    """
    data = heic_bytes(cap, orientation, quality=quality)
    with atomic_write(path, overwrite=overwrite) as fh:
        fh.write(data)
