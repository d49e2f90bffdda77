"""Apple portrait HEIC: depth, calibration, mattes and colour as a :class:`~depthlab.Capture`.

Division of labour: pillow-heif (libheif) decodes HEVC pixels — the depth item, the mattes, the
primary — and applies each item's ``irot``/``imir`` as it does so; our bounded item reader
(:mod:`depthlab.formats.isobmff`) finds what pillow-heif does not expose: the XMP ``mime`` item
whose ``cdsc`` reference points at the depth item (Apple's calibration), the aux items' URNs and
their transforms (needed to turn the calibration into the display frame).

Values: Apple stores disparity as 8-bit integers (``apdi:StoredFormat`` 'L008' from native
half-float 'hdis'), linear in disparity::

    disparity [1/m] = FloatMinValue + (FloatMaxValue - FloatMinValue) * (v - IntMinValue) / (IntMaxValue - IntMinValue)

libheif's depth representation info (``d_min``, ``d_max``, type 1 = uniform disparity) carries
the same two numbers; either is used where the other is missing, and they are cross-checked.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..capture import Capture, DepthEncoding, LazyMattes, Orientation
from ..deps import require
from ..errors import NoDepthError, UnreadableFileError, UnsupportedFormatError
from . import isobmff, spatial
from .exif import camera_from_exif
from .makers import camera_name, no_depth_advice, with_article
from .apple import EDITED_HINT, calibration_for_display, disparity_from_codes, fourcc
from .xmp import APDI, DEPTHDATA, Xmp, parse_xmp

DEPTH_URNS = ("urn:mpeg:hevc:2015:auxid:2", "urn:mpeg:mpegB:cicp:systems:auxiliary:depth")

#: aux URN -> matte name
MATTE_URNS = {
    "urn:com:apple:photo:2018:aux:portraiteffectsmatte": "portrait",
    "urn:com:apple:photo:2019:aux:semanticskinmatte": "skin",
    "urn:com:apple:photo:2019:aux:semantichairmatte": "hair",
    "urn:com:apple:photo:2019:aux:semanticteethmatte": "teeth",
    "urn:com:apple:photo:2020:aux:semanticglassesmatte": "glasses",
    "urn:com:apple:photo:2020:aux:semanticskymatte": "sky",
}

AUX_LABELS = {
    "urn:com:apple:photo:2020:aux:hdrgainmap": "HDR gain map",
    "tag:apple.com,2023:photo:aux:linearthumbnail": "linear thumbnail",
    "tag:apple.com,2023:photo:aux:styledeltamap": "style delta map",
    "urn:mpeg:hevc:2015:auxid:1": "alpha",
    "urn:mpeg:mpegB:cicp:systems:auxiliary:alpha": "alpha",
}

MAX_XMP_ITEM = 4 * 1024 * 1024
#: Declared sizes refused before decoding.  A grid can repeat one small tile up to libheif's
#: 1000 references, so a 1 MB file may declare a 15872x15872 primary (3 GB of RGB).
#: A 48-megapixel photo (8064x6048) fits; portrait-mode photos are 12-24 MP.  Decoding and
#: touching a 50-megapixel primary takes about 1.4 s and 0.8 GB; 8192x8192 took 1.9 s and 1 GB.
#: Apple's depth maps are 768x576, mattes about 2016x1512.
MAX_COLOUR_PIXELS = 50_000_000
MAX_AUX_PIXELS = 4096 * 4096  # a 5600x5600 depth map took 1.8 s CPU to open and touch


def _orientation_of(transforms: list[tuple[str, int]]) -> Orientation:
    """Collapse an ipma-ordered list of irot/imir into rotate-then-mirror form."""
    rotation = 0
    mirror: str | None = None
    for kind, value in transforms:
        if kind == "irot":
            rotation = (rotation + value) % 360
            if mirror is not None and value % 180 == 90:
                # a mirror already applied, then a quarter turn == the turn, then the other mirror
                mirror = "horizontal" if mirror == "vertical" else "vertical"
        else:
            new = "vertical" if value == 0 else "horizontal"
            if mirror is None:
                mirror = new
            elif mirror == new:
                mirror = None
            else:  # both mirrors == a half turn
                mirror = None
                rotation = (rotation + 180) % 360
    return Orientation(rotation, mirror)


def _open_pillow_heif(data: bytes, what: str):
    pillow_heif = require("pillow_heif", "reading HEIC files")

    try:
        return pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
    except Exception as exc:  # libheif raises ValueError/RuntimeError/SystemError
        raise UnreadableFileError(f"{what}: libheif could not read this HEIF file ({exc}); it is damaged or truncated") from exc


def _to_array(img: Any, what: str, max_pixels: int | None = None) -> np.ndarray:
    if max_pixels is not None:
        try:
            w, h = (int(v) for v in img.size)  # known before decoding
        except Exception as exc:
            raise UnreadableFileError(f"{what} has no readable size ({exc})") from exc
        if w <= 0 or h <= 0 or w * h > max_pixels:
            raise UnreadableFileError(f"{what} declares {w}x{h} pixels, which is not a plausible size; the file is damaged")
    try:
        # pillow-heif images expose the decoded buffer through the array interface: reading it
        # directly skips a copy into a PIL image (~100 ms on a 12-megapixel primary)
        arr = np.asarray(img)
        if arr.dtype == object or arr.ndim < 2:
            arr = np.asarray(img.to_pillow())
    except Exception as exc:
        raise UnreadableFileError(f"{what} could not be decoded ({exc})") from exc
    return arr


def _aux_items(hf: isobmff.HeifFile) -> dict[int, str]:
    """aux item id -> URN, for aux images attached to the primary (or any image)."""
    out = {}
    for ref in hf.refs:
        if ref.type == "auxl" and ref.from_id in hf.items:
            urn = hf.aux_type(ref.from_id)
            if urn is not None:
                out[ref.from_id] = urn
    return out


def _item_xmp(hf: isobmff.HeifFile, item_id: int, what: str) -> Xmp | None:
    for mid in hf.refs_to(item_id, "cdsc"):
        item = hf.items.get(mid)
        if item is None or item.type != "mime":
            continue
        if "xml" not in item.content_type and "rdf" not in item.content_type:
            continue
        try:
            data = hf.item_data(mid, max_bytes=MAX_XMP_ITEM)
        except UnreadableFileError as exc:  # name the file and the item in the message
            raise UnreadableFileError(f"{what}: {exc}") from exc
        return parse_xmp(data, what=what, max_bytes=MAX_XMP_ITEM)
    return None


def _describe_contents(hf: isobmff.HeifFile, aux: dict[int, str], size: tuple[int, int] | None, who: str = "") -> str:
    mattes = [MATTE_URNS[u] for u in aux.values() if u in MATTE_URNS]
    others = sorted({AUX_LABELS.get(u, u) for u in aux.values() if u not in MATTE_URNS})
    parts = []
    what = with_article(f"{size[0]}x{size[1]} photo") if size else "a photo"
    parts.append(f"{what}, from {who}" if who else what)
    if mattes:
        parts.append("mattes: " + ", ".join(mattes))
    if others:
        parts.append("other auxiliary images: " + ", ".join(others))
    return "; ".join(parts)


def _no_depth_error(hf: isobmff.HeifFile, aux: dict[int, str], size: tuple[int, int] | None, name: str,
                    make: str | None = None, model: str | None = None) -> NoDepthError:
    """What the file holds instead of depth: it may be a copy that lost its depth.  (A spatial
    photo never gets here: its depth is computed from its views.)"""
    contents = _describe_contents(hf, aux, size, camera_name(make, model))
    return NoDepthError(f"{name} holds no depth map ({contents}). {no_depth_advice(make, model, container='HEIC')}")


def _decode_views(ph: Any, entity_ids: tuple[int, ...], name: str) -> list[np.ndarray]:
    """The two views of a 'ster' group as uint8 RGB, through pillow-heif's list of the group."""
    groups = ph.info.get("entity_groups") or []
    index = next((g.get("images") for g in groups if g.get("type") == "ster"
                  and list(g.get("entities", []))[:2] == list(entity_ids[:2])), None)
    if not index or len(index) < 2 or any(i is None or not 0 <= int(i) < len(ph) for i in index[:2]):
        raise UnreadableFileError(f"{name}: libheif does not list both views of the 'ster' group as images; the file is damaged")
    return [rgb_array(ph[int(i)], f"{name}: the {role} view", MAX_COLOUR_PIXELS)
            for role, i in zip(("left", "right"), index[:2])]


def read_heic(path: Path | None, data: bytes, *, baseline_m: float | None = None) -> Capture:
    """Read an Apple portrait HEIC held in ``data`` (``path`` is for messages and the Capture);
    a spatial photo (a 'ster' pair, no depth map) gets depth computed from its views
    (:mod:`depthlab.formats.spatial`; ``baseline_m`` overrides the file's)."""
    name = path.name if path else "HEIC data"
    try:
        hf = isobmff.parse_heif(data)
    except UnreadableFileError as exc:  # name the file in box-level messages
        raise UnreadableFileError(f"{name}: {exc}") from exc
    aux = _aux_items(hf)
    ph = _open_pillow_heif(data, name)
    if spatial.stereo_group(hf) is not None and not any(u in DEPTH_URNS for u in aux.values()):
        camera = replace(camera_from_exif(_exif_of(ph), accuracy="absolute"), kind="spatial (stereo pair)")
        return spatial.read_spatial(path, hf, name, camera=camera, baseline_m=baseline_m,
                                    decode=lambda ids: _decode_views(ph, ids, name))
    try:
        primary_size = tuple(int(v) for v in ph.size)
    except Exception:
        primary_size = None
    depth_id = _depth_item(hf, aux, primary_size, name, _exif_of(ph))
    stored_size = hf.image_size(depth_id)
    orientation = _orientation_of(hf.transforms(depth_id))
    xmp = _item_xmp(hf, depth_id, what=f"{name}: the depth item's XMP")
    dimg = _depth_image(ph, depth_id, name)
    heif_meta = dict(getattr(dimg, "info", {}).get("metadata") or {})
    raw = _to_array(dimg, f"{name}: the depth image", MAX_AUX_PIXELS)
    if raw.ndim != 2 or raw.size == 0:
        raise UnreadableFileError(f"{name}: the depth image decoded to shape {raw.shape}, expected a 2-D map")
    notes: list[str] = []
    encoding = _depth_encoding(raw, xmp, heif_meta, name, notes)
    disparity = disparity_from_codes(raw, encoding.float_min, encoding.float_max, encoding.int_min,
                                     encoding.int_max, encoding.quantity)

    # --- calibration, in the display frame ------------------------------------------------
    calibration = None
    accuracy = None
    if xmp is not None:
        accuracy = xmp.text(DEPTHDATA, "Accuracy")
        if accuracy not in ("relative", "absolute"):
            accuracy = None
        display_size = (disparity.shape[1], disparity.shape[0])
        calibration = calibration_for_display(xmp, stored_size, display_size, orientation, notes)

    meta: dict[str, Any] = {
        "depth_item": depth_id,
        "depth_stored_size": stored_size,
        "depth_orientation": orientation.to_dict(),
        "aux": {str(i): u for i, u in aux.items()},
        "other_aux": sorted({AUX_LABELS.get(u, u) for u in aux.values() if u not in MATTE_URNS and u not in DEPTH_URNS}),
        "heif_depth_representation": heif_meta or None,
        "notes": notes,
    }
    if xmp is not None:
        meta["depth_xmp"] = {k: v for k, v in xmp.to_dict().items() if "RenderingParameters" not in k}
    return Capture(
        disparity=disparity,
        calibration=calibration,
        accuracy=accuracy,
        camera=camera_from_exif(_exif_of(ph), accuracy=accuracy),
        encoding=encoding,
        mattes=LazyMattes(_matte_loaders(ph, aux, name)),
        path=path,
        format="HEIC (Apple portrait)",
        metadata=meta,
        rgb_loader=_rgb_loader(ph, name),
        rgb_size=primary_size,  # type: ignore[arg-type]
    )


def _depth_item(hf: isobmff.HeifFile, aux: dict[int, str], primary_size: tuple[int, ...] | None, name: str,
                exif: Any = None) -> int:
    """The id of the (first) depth item; :class:`NoDepthError` naming what the file holds
    instead, :class:`UnsupportedFormatError` when libheif cannot decode it."""
    depth_ids = [i for i, u in aux.items() if u in DEPTH_URNS]
    if not depth_ids:
        cam = camera_from_exif(exif)
        raise _no_depth_error(hf, aux, primary_size, name, cam.make, cam.model)
    refuse_undecodable_depth(hf, depth_ids[0], name)
    return depth_ids[0]


def _depth_image(ph: Any, depth_id: int, name: str) -> Any:
    """libheif's depth image (pillow-heif), or :class:`UnreadableFileError` when it cannot decode it."""
    try:
        depth_images = list(ph.info.get("depth_images", []))
    except Exception:
        depth_images = []
    if not depth_images:
        raise UnreadableFileError(
            f"{name}: the file lists a depth image (item {depth_id}) but libheif cannot decode it; the file is damaged"
        )
    return depth_images[0]


def _depth_encoding(raw: np.ndarray, xmp: Xmp | None, heif_meta: dict[str, Any], name: str,
                    notes: list[str]) -> DepthEncoding:
    """How the stored integers map to values: Apple's apdi XMP, else libheif's depth
    representation range (cross-checked when both exist; differences go to ``notes``)."""
    bits = 8 if raw.dtype == np.uint8 else 16
    int_min = 0
    int_max = (1 << bits) - 1
    fmin = fmax = None
    fmt = None
    kind = None
    if xmp is not None:
        fmin = xmp.float(APDI, "FloatMinValue")
        fmax = xmp.float(APDI, "FloatMaxValue")
        imin = xmp.int(APDI, "IntMinValue")
        imax = xmp.int(APDI, "IntMaxValue")
        int_min = int_min if imin is None else imin
        int_max = int_max if imax is None else imax
        stored = xmp.int(APDI, "StoredFormat")
        native = xmp.int(APDI, "NativeFormat")
        fmt = " from ".join(f for f in (fourcc(stored), fourcc(native)) if f) or None
        kind = xmp.text(APDI, "AuxiliaryImageType")
        if kind is not None and kind not in ("disparity", "depth"):
            raise UnreadableFileError(f"{name}: the depth item says it holds {kind!r}, not disparity or depth")
    d_min, d_max = heif_meta.get("d_min"), heif_meta.get("d_max")
    rep = heif_meta.get("representation_type")
    if fmin is None or fmax is None:
        if d_min is None or d_max is None:
            raise UnreadableFileError(
                f"{name}: the depth image carries neither apdi:FloatMin/MaxValue nor a depth representation range, "
                "so its values cannot be turned into 1/m"
            )
        fmin, fmax = float(d_min), float(d_max)
        notes.append("value range from libheif's depth representation info (no apdi XMP)")
        if kind is None:
            kind = {0: "disparity", 1: "disparity", 2: "depth"}.get(rep, "disparity")
    elif d_min is not None and d_max is not None:
        if abs(float(d_min) - fmin) > 1e-3 * max(1.0, abs(fmin)) or abs(float(d_max) - fmax) > 1e-3 * max(1.0, abs(fmax)):
            notes.append(f"XMP range {fmin}..{fmax} differs from libheif's d_min/d_max {d_min}..{d_max}; using the XMP")
    kind = kind or "disparity"
    if not (np.isfinite(fmin) and np.isfinite(fmax)) or int_max == int_min:
        raise UnreadableFileError(f"{name}: the depth value range {fmin}..{fmax} over codes {int_min}..{int_max} is unusable")
    return DepthEncoding(quantity=kind, bits=bits, float_min=fmin, float_max=fmax,
                         int_min=int_min, int_max=int_max, format=fmt)


def _exif_of(ph: Any) -> Any:
    try:
        return ph.info.get("exif")
    except Exception:
        return None


def rgb_array(img: Any, what: str, max_pixels: int) -> np.ndarray:
    """A pillow-heif image decoded as uint8 (H, W, 3)."""
    arr = _to_array(img, what, max_pixels)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.dtype != np.uint8:
        arr = (arr >> 8).astype(np.uint8) if arr.dtype == np.uint16 else arr.astype(np.uint8)
    return np.ascontiguousarray(arr[:, :, :3])


def _rgb_loader(ph: Any, name: str) -> Callable[[], np.ndarray]:
    """Decodes the primary image on first use: uint8 (H, W, 3)."""
    def load_rgb() -> np.ndarray:
        return rgb_array(ph, f"{name}: the primary image", MAX_COLOUR_PIXELS)

    return load_rgb


def _matte_loaders(ph: Any, aux: dict[int, str], name: str) -> dict[str, Callable[[], np.ndarray]]:
    """matte name -> loader, for each matte aux image (the first of each name)."""
    loaders: dict[str, Callable[[], np.ndarray]] = {}
    for aid, urn in aux.items():
        mname = MATTE_URNS.get(urn)
        if mname and mname not in loaders:
            loaders[mname] = _matte_loader(ph, aid, f"{name}: the {mname} matte")
    return loaders


#: JPEG frame markers of the lossless processes (ITU T.81: SOF3, and SOF7/11/15 with
#: differential or arithmetic coding): libheif's JPEG plugin (libjpeg) decodes none of them
LOSSLESS_JPEG_SOF = {0xC3: "SOF3", 0xC7: "SOF7", 0xCB: "SOF11", 0xCF: "SOF15"}
#: item types whose pixels libheif decodes with the decoders pillow-heif ships (libde265)
DECODABLE_ITEM_TYPES = {"hvc1", "grid", "iden", "iovl"}


def refuse_undecodable_depth(hf: isobmff.HeifFile, depth_id: int, name: str) -> None:
    """Raise :class:`UnsupportedFormatError` naming the compression when the depth item is coded
    in a way libheif (as pillow-heif ships it) cannot decode: lossless JPEG (recent iPhones store
    some depth maps so), or any item type other than HEVC.  Called before decoding so the user
    learns what the file holds instead of a decoder's plugin error."""
    item = hf.items[depth_id]
    if item.type in DECODABLE_ITEM_TYPES:
        return
    if item.type == "jpeg":
        from . import jpeg_segments as js

        try:
            blob = hf.item_data(depth_id, max_bytes=64 * 2**20)
        except UnreadableFileError as exc:  # name the file in the message
            raise UnreadableFileError(f"{name}: the depth map: {exc}") from exc
        try:
            sof = next((s for s in js.iter_segments(blob, what="the depth item") if 0xC0 <= s.marker <= 0xCF
                        and s.marker not in (0xC4, 0xC8, 0xCC)), None)
        except UnreadableFileError:
            sof = None
        if sof is not None and sof.marker in LOSSLESS_JPEG_SOF:
            bits = blob[sof.start] if sof.end > sof.start else "?"
            raise UnsupportedFormatError(
                f"{name}: the depth map (item {depth_id}) is compressed as lossless JPEG ({LOSSLESS_JPEG_SOF[sof.marker]}, "
                f"{bits}-bit), which libheif cannot decode; depthlab cannot read this photo's depth yet")
        raise UnsupportedFormatError(
            f"{name}: the depth map (item {depth_id}) is compressed as JPEG inside the HEIF file, which the libheif "
            "that pillow-heif ships cannot decode (it has no JPEG plugin); depthlab cannot read this photo's depth yet")
    raise UnsupportedFormatError(
        f"{name}: the depth map (item {depth_id}) is a {item.type!r} item, a compression libheif as shipped with "
        "pillow-heif cannot decode (it decodes HEVC); depthlab cannot read this photo's depth yet")


def _matte_loader(ph: Any, aux_id: int, what: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        try:
            img = ph.get_aux_image(aux_id)
        except Exception as exc:
            raise UnreadableFileError(f"{what} could not be decoded by libheif ({exc})") from exc
        arr = _to_array(img, what, MAX_AUX_PIXELS)
        if arr.ndim == 3:
            arr = arr[:, :, 0]
        top = 255.0 if arr.dtype == np.uint8 else float(np.iinfo(arr.dtype).max) if arr.dtype.kind in "ui" else 1.0
        return (arr.astype(np.float32) / np.float32(top)).clip(0, 1)

    return load
