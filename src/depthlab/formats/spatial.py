"""Apple spatial photos (and any HEIF stereo pair): two views, their calibration -> computed depth.

A spatial photo (Vision Pro, iPhone 15 Pro and later; ``xmp:CreatorTool`` SpatialCapture) holds
no depth map: it holds a rectified left/right pair in an ISO/IEC 23008-12 ``ster`` entity group
(first entity left, second right) and, per view, the cameras' geometry.  Apple writes it as three
``uuid`` item properties; newer files may carry the standard boxes instead.  Both are read:

* intrinsics — ``cmin`` or Apple's uuid ``22cc04c7-d6d9-4e07-9d90-4eb6ecbaf3a3`` (same layout):
  version/flags, flags bits 8-12 = denominator shift ``s``; int32 focal length x, principal point
  x, y; with flag bit 0 also int32 focal length y and skew.  Each is ``value / 2^s`` times the
  image width (height for the y terms).  The shared sample: shift 30, f = 1525.44 px at 2560,
  principal point (1280, 1280).
* extrinsics — ``cmex`` or Apple's uuid ``4363e914-5b7d-4aab-97ae-bea69803b434``: version/flags,
  then int32 position x, y, z in micrometres when flag bits 0, 1, 2 say so (then a rotation with
  bit 3).  The left view is the origin (flags 0); the right view's x is the baseline: 63,807 µm.
* Apple's uuid ``de225085-36cb-4365-8743-2f8705e7c78a``: one int32 (no version/flags), 293 in both views of the
  sample.  It reads as the horizontal disparity adjustment in 1/10,000 of the image width that
  Apple's ImageIO writes for display (a convergence hint: 293 -> 75 px at 2560).  Checked on the
  sample: the pixels were *not* shifted by it (see :data:`DISPARITY_ADJUSTMENT_NOTE`), so it is
  kept in the metadata and never added to measured disparity.

Depth is then :func:`depthlab.stereo` of the two views (decoded once; ``cap.views`` holds both).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..capture import Capture, CameraInfo
from ..errors import InvalidInputError, UnreadableFileError
from ..settings import positive_number
from . import isobmff

UUID_INTRINSICS = bytes.fromhex("22cc04c7d6d94e079d904eb6ecbaf3a3")
UUID_EXTRINSICS = bytes.fromhex("4363e9145b7d4aab97aebea69803b434")
UUID_DISPARITY_ADJUSTMENT = bytes.fromhex("de22508536cb436587432f8705e7c78a")

DISPARITY_ADJUSTMENT_NOTE = (
    "Apple's disparity adjustment (uuid de225085...) is a display hint in 1/10,000 of the width, not a "
    "shift of the pixels: on the shared sample, matching the views with the right one moved by it measures "
    "fewer pixels (74.3 % vs 75.3 %), and adding it to the measured disparity would make the 0.59 m wide "
    "door 0.16 m wide")

#: views larger than this are refused before decoding (two 2560x2560 views are 13 MP)
MAX_VIEW_PIXELS = 50_000_000


@dataclass(frozen=True)
class ViewGeometry:
    """One view's camera, as the file states it (pixels of the view's own size, metres)."""

    item_id: int
    size: tuple[int, int]
    focal_px: float | None
    focal_y_px: float | None
    principal_point: tuple[float, float] | None
    intrinsics_source: str | None
    position_m: tuple[float, float, float] | None
    extrinsics_source: str | None
    disparity_adjustment: int | None


def _box_payload(hf: isobmff.HeifFile, item_id: int, box: str | None, uuid: bytes) -> tuple[bytes, str] | None:
    """(version/flags + body, source name) of the standard box, else of Apple's uuid property."""
    p = hf.property(item_id, box) if box else None
    if p is not None:
        return p.payload, f"'{box}' box"
    for p in hf.properties(item_id):
        if p.type == "uuid" and p.payload[:16] == uuid:
            return p.payload[16:], f"Apple uuid {uuid[:4].hex()}..." + (f" ({box} layout)" if box else "")
    return None


def _ints(body: bytes, count: int, what: str) -> tuple[int, ...]:
    if len(body) < 4 * count:
        raise UnreadableFileError(f"{what} holds {len(body)} bytes, {4 * count} needed; the file is damaged")
    return struct.unpack_from(f">{count}i", body)


def _intrinsics(hf: isobmff.HeifFile, item_id: int, size: tuple[int, int]) -> tuple[Any, ...]:
    found = _box_payload(hf, item_id, "cmin", UUID_INTRINSICS)
    if found is None:
        return None, None, None, None
    payload, source = found
    what = f"the intrinsics of item {item_id} ({source})"
    if len(payload) < 4:
        raise UnreadableFileError(f"{what} are {len(payload)} bytes long; the file is damaged")
    flags = int.from_bytes(payload[1:4], "big")
    shift = (flags >> 8) & 0x1F
    scale = float(1 << shift)
    f, px, py = _ints(payload[4:], 3, what)
    w, h = size
    fy = _ints(payload[16:], 1, what)[0] / scale * h if flags & 1 else None
    return f / scale * w, fy, (px / scale * w, py / scale * h), source


def _position(hf: isobmff.HeifFile, item_id: int) -> tuple[tuple[float, float, float] | None, str | None]:
    found = _box_payload(hf, item_id, "cmex", UUID_EXTRINSICS)
    if found is None:
        return None, None
    payload, source = found
    what = f"the extrinsics of item {item_id} ({source})"
    if len(payload) < 4:
        raise UnreadableFileError(f"{what} are {len(payload)} bytes long; the file is damaged")
    flags = int.from_bytes(payload[1:4], "big")
    body, pos = payload[4:], []
    for bit in (1, 2, 4):
        if flags & bit:
            pos.append(_ints(body, 1, what)[0] * 1e-6)
            body = body[4:]
        else:
            pos.append(0.0)
    return (pos[0], pos[1], pos[2]), source


def view_geometry(hf: isobmff.HeifFile, item_id: int, name: str) -> ViewGeometry:
    """What the file says about one view's camera (``None`` for what it does not say)."""
    size = hf.image_size(item_id)
    if size is None or size[0] <= 0 or size[1] <= 0 or size[0] * size[1] > MAX_VIEW_PIXELS:
        raise UnreadableFileError(f"{name}: the stereo view (item {item_id}) declares size {size}, which is not a usable image size; the file is damaged")
    f, fy, pp, isource = _intrinsics(hf, item_id, size)
    pos, esource = _position(hf, item_id)
    adj = _box_payload(hf, item_id, None, UUID_DISPARITY_ADJUSTMENT)
    adjustment = _ints(adj[0], 1, f"the disparity adjustment of item {item_id}")[0] if adj else None
    return ViewGeometry(item_id, size, f, fy, pp, isource, pos, esource, adjustment)


def stereo_group(hf: isobmff.HeifFile) -> isobmff.EntityGroup | None:
    """The file's first ``ster`` entity group, or None."""
    return next((g for g in hf.groups if g.type == "ster"), None)


def _views(hf: isobmff.HeifFile, group: isobmff.EntityGroup, name: str) -> tuple[ViewGeometry, ViewGeometry]:
    """Both views' geometry, checked: two images of one size, a positive baseline along x."""
    ids = group.entity_ids
    if len(ids) < 2:
        raise UnreadableFileError(f"{name}: the 'ster' group lists {len(ids)} view(s); a stereo pair needs a left and a right one")
    if ids[0] == ids[1]:
        raise UnreadableFileError(f"{name}: the 'ster' group names item {ids[0]} as both views: the two views are identical, "
                                  "so there is no parallax to measure depth from")
    for role, i in zip(("left", "right"), ids[:2]):
        if i not in hf.items or hf.items[i].type not in ("hvc1", "grid", "iden", "av01"):
            raise UnreadableFileError(
                f"{name}: the 'ster' group names item {i} as the {role} view, but the file holds no such image; "
                "the stereo pair is incomplete")
    left, right = (view_geometry(hf, i, name) for i in ids[:2])
    if left.size != right.size:
        raise UnreadableFileError(
            f"{name}: the stereo views differ in size: left (item {left.item_id}) {left.size[0]}x{left.size[1]}, "
            f"right (item {right.item_id}) {right.size[0]}x{right.size[1]}; a rectified pair has two views of one size")
    return left, right


def baseline_of(left: ViewGeometry, right: ViewGeometry, name: str, given: float | None) -> float:
    """The baseline in metres: ``given``, else the right camera's x minus the left one's."""
    if given is not None:
        return positive_number("baseline_m", given, " (metres between the two cameras)")
    if left.position_m is None and right.position_m is None:
        raise UnreadableFileError(
            f"{name}: the stereo views carry no camera positions (cmex), so the baseline is unknown; "
            "pass it: depthlab.open(path, baseline_m=0.064)")
    b = (right.position_m or (0.0, 0.0, 0.0))[0] - (left.position_m or (0.0, 0.0, 0.0))[0]
    if not b > 0:
        raise UnreadableFileError(
            f"{name}: the right view's camera is {b * 1000:.3f} mm to the right of the left one; a stereo pair needs a "
            "positive baseline (are the views swapped?)")
    return b


def read_spatial(path: Path | None, hf: isobmff.HeifFile, name: str, *, camera: CameraInfo,
                 decode: Callable[[tuple[int, ...]], list[np.ndarray]], baseline_m: float | None = None) -> Capture:
    """The capture of a HEIF stereo pair: depth computed by :func:`depthlab.stereo`.

    ``decode(entity_ids)`` returns the two views as uint8 RGB (called once, after the checks).
    """
    from ..imaging.stereo import stereo

    group = stereo_group(hf)
    left, right = _views(hf, group, name)
    if left.focal_px is None:
        raise UnreadableFileError(f"{name}: the left view carries no intrinsics (cmin), so its focal length is unknown")
    baseline = baseline_of(left, right, name, baseline_m)
    images = decode(group.entity_ids[:2])
    adj = left.disparity_adjustment
    meta = {
        "baseline_m": baseline,
        "intrinsics_source": left.intrinsics_source,
        "extrinsics_source": "given to depthlab.open" if baseline_m is not None else (left.extrinsics_source or right.extrinsics_source),
        "view_items": {"left": left.item_id, "right": right.item_id},
        "ster_group": group.group_id,
        "disparity_adjustment": None if adj is None else {
            "value": adj, "units": "1/10000 of the image width", "pixels": adj / 10000 * left.size[0],
            "right_view": right.disparity_adjustment, "note": DISPARITY_ADJUSTMENT_NOTE},
        "notes": [],
    }
    pp = left.principal_point or (None, None)
    try:
        return stereo(images[0], images[1], focal_px=left.focal_px, baseline_m=baseline, cx=pp[0], cy=pp[1],
                      metadata=meta, path=path, format="HEIC (Apple spatial photo, depth computed)", camera=camera)
    except InvalidInputError as exc:  # the file's pair, not the caller's arguments
        raise UnreadableFileError(f"{name}: {exc}") from exc


# --------------------------------------------------------------------------------------------
# Stereo JPEG (MPO): two views in one file, as 3D cameras and stereo apps write them
# --------------------------------------------------------------------------------------------

#: MP type code of a multi-frame "disparity" image (CIPA DC-007): one view of a stereo set
MP_DISPARITY = 0x020002


#: MP type code of a baseline MP primary image (some writers mark the first view so)
MP_PRIMARY = 0x030000
#: MP entry flag (bit 29) of the representative image of a set (3D cameras: the first view)
MP_REPRESENTATIVE = 1 << 29


def is_stereo_mpo(mpf: list | None) -> bool:
    """Whether an MPF index lists a stereo pair: its second image is a disparity view and its
    first one a disparity view or the baseline primary."""
    return (bool(mpf) and len(mpf) >= 2 and (mpf[1].type & 0xFFFFFF) == MP_DISPARITY
            and (mpf[0].type & 0xFFFFFF) in (MP_DISPARITY, MP_PRIMARY))


def mpo_baseline(attributes: list[dict], name: str) -> float | None:
    """The baseline (m) the two views' MP Attribute IFDs state, or None.

    DC-007's BaselineLength is each image's distance from the base viewpoint (BaseViewpointNum,
    an MPIndividualNum), so the pair's baseline is the value of the view that is not the base;
    without a base named, the views' positive values (which must agree)."""
    base = next((a.get("BaseViewpointNum") for a in attributes if a.get("BaseViewpointNum")), None)
    values = [a.get("BaselineLength") for a in attributes
              if base is None or a.get("MPIndividualNum") is None or a.get("MPIndividualNum") != base]
    found = sorted({float(v) for v in values if v is not None and v > 0})
    if not found:
        return None
    if found[-1] - found[0] > 1e-6:
        raise UnreadableFileError(f"{name}: the two views state different baselines ({', '.join(f'{v * 1000:g} mm' for v in found)}) "
                                  "and neither is named the base viewpoint; pass the right one: depthlab.open(path, baseline_m=...)")
    return found[0]


def read_stereo_mpo(path: Path | None, name: str, data: bytes, mpf: list, exif: bytes | None, *,
                    baseline_m: float | None = None) -> Capture:
    """The capture of a stereo MPO: depth from its two views (first = left).

    The baseline is the MP Attribute IFDs' BaselineLength (CIPA DC-007, metres; 3D cameras such as
    Fujifilm's FinePix REAL 3D write it), or ``baseline_m`` (``depthlab.open(path, baseline_m=0.075)``),
    which overrides it.  The focal length is estimated from the EXIF 35 mm-equivalent focal
    length (recorded as such in the metadata)."""
    from ..camera import estimate_calibration
    from ..errors import CalibrationError
    from ..imaging.stereo import stereo
    from .exif import camera_from_exif
    from .jpeg_images import decode_pixels, open_image
    from .jpeg_segments import read_mp_attributes

    roles = ("left", "right")
    attributes = [read_mp_attributes(data, img.offset, f"{name}: the {role} view (MPF image {img.index})")
                  for img, role in zip(mpf[:2], roles)]
    stated = mpo_baseline(attributes, name)
    if baseline_m is None and stated is None:
        raise CalibrationError(
            f"{name} is a stereo pair (MPO, two views) whose MPF attributes state no BaselineLength; give the distance "
            "between the two cameras: depthlab.open(path, baseline_m=0.075)")
    baseline = positive_number("baseline_m", stated if baseline_m is None else baseline_m, " (metres between the two cameras)")
    views = []
    for img, role in zip(mpf[:2], roles):
        im = open_image(data[img.offset:img.end], f"{name}: the {role} view (MPF image {img.index})", MAX_VIEW_PIXELS)
        views.append(np.ascontiguousarray(np.asarray(decode_pixels(im, f"{name}: the {role} view"))[..., :3]))
    camera = camera_from_exif(exif, accuracy="absolute")
    if not camera.focal_length_35mm:
        raise CalibrationError(f"{name}: a stereo pair, but its EXIF gives no 35 mm-equivalent focal length, so the "
                               "focal length in pixels is unknown")
    h, w = views[0].shape[:2]
    cal = estimate_calibration(w, h, focal_length_35mm=camera.focal_length_35mm)
    meta = {"intrinsics_source": f"estimated from EXIF FocalLengthIn35mmFilm ({camera.focal_length_35mm:g} mm)",
            "extrinsics_source": "given to depthlab.open" if baseline_m is not None else "MPF BaselineLength (CIPA DC-007)",
            "baseline_m": baseline, "mp_attributes": {role: a for role, a in zip(roles, attributes)},
            "view_items": {"left": mpf[0].index, "right": mpf[1].index},
            "notes": ["the focal length is an estimate from EXIF, so metres are only as good as that estimate"]}
    try:
        return stereo(views[0], views[1], focal_px=cal.fx, baseline_m=baseline, metadata=meta, path=path,
                      format="JPEG (stereo MPO, depth computed)", camera=replace(camera, kind="stereo pair (MPO)"))
    except InvalidInputError as exc:  # the file's pair, not the caller's arguments
        raise UnreadableFileError(f"{name}: {exc}") from exc
