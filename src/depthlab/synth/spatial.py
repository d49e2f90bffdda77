"""A generated spatial photo with known depth: textured planes seen by two cameras ``B`` apart.

The left camera sits at the origin, the right one at ``(B, 0, 0)``, both looking along +z with the
same intrinsics (a rectified pair, as Apple's spatial photos are stored).  The scene
(:func:`stereo_scene`) is a back wall, a box front, a panel, a wall turned 35 degrees and a floor,
each with a random pattern fixed on its surface (:func:`~depthlab.synth.scenes.value_noise`), so
the two views see the same surfaces from two places.  Each view is rendered at 2x and
area-averaged (edges anti-aliased like a lens's).

:func:`spatial_heic_bytes` writes the pair as Apple lays a spatial photo out: two grid images
(left primary) in a ``ster`` entity group, each with Apple's three ``uuid`` properties after
``colr``/``ispe``/``pixi``: extrinsics (cmex layout: the right camera's x in micrometres),
intrinsics (cmin layout, denominator shift 30) and the disparity adjustment (one int32 in
1/10,000 of the width: written here as the median disparity of the scene, a display hint).

>>> from depthlab import synth
>>> sp = synth.render_spatial(size=(256, 256))
>>> sp.left.shape, round(sp.baseline_m * 1000, 3), sp.truth.label_names[1]
((256, 256, 3), 63.807, 'back wall')
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, replace

import numpy as np

from ..errors import InvalidInputError
from ..exchange.atomic import atomic_write
from . import heif_writer as hw
from .heic import add_grid
from .render import GroundTruth, area_down, check_size, shade
from .scenes import Hits, Plane, Scene, cast

UUID_EXTRINSICS = bytes.fromhex("4363e9145b7d4aab97aebea69803b434")
UUID_INTRINSICS = bytes.fromhex("22cc04c7d6d94e079d904eb6ecbaf3a3")
UUID_DISPARITY_ADJUSTMENT = bytes.fromhex("de22508536cb436587432f8705e7c78a")
#: Apple's spatial photos: 63.807 mm between the cameras, f = 0.5959 x width
BASELINE_M = 0.063807
FOCAL_PER_WIDTH = 1525.444598 / 2560
SUPERSAMPLE = 2
#: the name of the shipped sample in data/sample
SPATIAL_SAMPLE = "spatial"


@dataclass
class SpatialCapture:
    """A rendered stereo pair with its truth: ``truth.depth_m`` is the left view's z (m)."""

    left: np.ndarray
    right: np.ndarray
    focal_px: float
    baseline_m: float
    truth: GroundTruth
    name: str = "spatial"

    @property
    def size(self) -> tuple[int, int]:
        return (self.left.shape[1], self.left.shape[0])

    @property
    def disparity_px(self) -> np.ndarray:
        """True disparity in pixels of the left view: f B / z."""
        return self.focal_px * self.baseline_m / self.truth.depth_m


def stereo_scene() -> Scene:
    """Five textured planes between 1.2 and 4.5 m (the pattern's cells: ``tile_m``)."""
    a = np.radians(35.0)
    planes = (
        Plane("back wall", (0.0, 0.0, 4.5), (0.0, 0.0, -1.0), (0.8, 0.75, 0.7), "noise", 0.30),
        Plane("floor", (0.0, 0.9, 0.0), (0.0, -1.0, 0.0), (0.6, 0.5, 0.4), "noise", 0.25),
        Plane("turned wall", (-0.9, 0.0, 3.0), (float(np.sin(a)), 0.0, float(-np.cos(a))), (0.7, 0.8, 0.7), "noise", 0.20),
        Plane("panel", (0.45, -0.2, 2.2), (0.0, 0.0, -1.0), (0.6, 0.65, 0.85), "noise", 0.12),
        Plane("box front", (-0.1, 0.35, 1.3), (0.0, 0.0, -1.0), (0.85, 0.55, 0.45), "noise", 0.08),
    )
    return Scene("stereo planes", planes, light=(-0.3, -0.5, -0.8),
                 description="textured planes for stereo matching: back wall 4.5 m, floor, a wall turned 35 degrees, "
                             "a panel at 2.2 m and a box front at 1.3 m (the last two bounded)")


#: the bounded planes' extents in the camera frame, x and y (metres): the rest of the plane is not there
EXTENTS = {"turned wall": ((-2.0, -0.55), (-1.5, 0.9)), "panel": ((0.15, 0.9), (-0.7, 0.3)),
           "box front": ((-0.45, 0.25), (0.1, 0.9))}


def _hits(scene: Scene, camera_x: float, d: np.ndarray) -> tuple[np.ndarray, ...]:
    """(z, label, normal, albedo) of rays ``d`` from (camera_x, 0, 0): the nearest plane, the
    bounded ones (:data:`EXTENTS`) only within their extents.  The intersections are solved here
    (a plane is one dot product); :func:`cast` shades each plane's winning rays only."""
    best = np.full(len(d), np.inf)
    label = np.zeros(len(d), np.uint8)
    origin = np.array([camera_x, 0.0, 0.0])
    for k, p in enumerate(scene.primitives, start=1):
        n = np.asarray(p.normal, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = ((np.asarray(p.point) - origin) @ n) / (d @ n)
        z[~(z > 0)] = np.inf
        if p.label in EXTENTS:
            (x0, x1), (y0, y1) = EXTENTS[p.label]
            x, y = camera_x + d[:, 0] * z, d[:, 1] * z
            z[~((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))] = np.inf
        near = z < best
        best[near], label[near] = z[near], k
    normal = np.zeros_like(d)
    albedo = np.zeros_like(d)
    for k, p in enumerate(scene.primitives, start=1):
        sel = label == k
        if sel.any():
            moved = replace(p, point=(p.point[0] - camera_x, p.point[1], p.point[2]))
            h = cast(Scene(scene.name, (moved,), light=scene.light), d[sel])
            normal[sel], albedo[sel] = h.normal, h.albedo
    return np.where(np.isfinite(best), best, np.nan), label, normal, albedo


def _view(scene: Scene, camera_x: float, focal: float, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(uint8 RGB, z, label) seen by the camera at (camera_x, 0, 0); z and labels at pixel centres,
    colour rendered at :data:`SUPERSAMPLE` x and area-averaged."""
    w, h = size
    out = []
    for n in (SUPERSAMPLE, 1):
        u, v = np.meshgrid((np.arange(w * n) + 0.5) / n, (np.arange(h * n) + 0.5) / n)
        d = np.stack([(u - w / 2) / focal, (v - h / 2) / focal, np.ones_like(u)], -1).reshape(-1, 3)
        out.append(_hits(scene, camera_x, d))
    z, label, normal, albedo = out[0]
    hits = Hits(depth=z, label=label, normal=normal, albedo=albedo, points=np.zeros_like(normal))
    fine = shade(scene, hits).reshape(h * SUPERSAMPLE, w * SUPERSAMPLE, 3).astype(np.float64)
    rgb = np.clip(np.round(area_down(fine, SUPERSAMPLE)), 0, 255).astype(np.uint8)
    return rgb, out[1][0].reshape(h, w).astype(np.float32), out[1][1].reshape(h, w)


def render_spatial(scene: Scene | None = None, *, size: tuple[int, int] = (640, 640), baseline_m: float = BASELINE_M,
                   focal_px: float | None = None) -> SpatialCapture:
    """Render ``scene`` (default :func:`stereo_scene`) as a rectified pair ``baseline_m`` apart.

    ``focal_px`` defaults to Apple's spatial-photo focal length scaled to ``size`` (0.596 x width).
    """
    scene = scene or stereo_scene()
    w, h = check_size("size", size)
    focal = float(focal_px) if focal_px is not None else FOCAL_PER_WIDTH * w
    if not (np.isfinite(baseline_m) and baseline_m > 0 and np.isfinite(focal) and focal > 0):
        raise InvalidInputError(f"baseline_m and focal_px must be positive, got {baseline_m!r} and {focal_px!r}")
    left, depth, labels = _view(scene, 0.0, focal, (w, h))
    right, rdepth, rlabels = _view(scene, float(baseline_m), focal, (w, h))
    truth = GroundTruth(depth_m=depth, labels=labels, label_names=scene.labels, scene=scene.to_dict(),
                        holes=~_seen_by_right(depth, labels, rdepth, rlabels, focal * float(baseline_m)), filtered=False,
                        notes=["depth of the left view; the right camera sits baseline_m to the right, same intrinsics "
                               "(a rectified pair): true disparity = focal_px * baseline_m / z pixels",
                               "holes: left-view pixels whose surface point the right camera does not see (occluded or "
                               "outside its frame); no stereo matcher can measure them"])
    return SpatialCapture(left=left, right=right, focal_px=focal, baseline_m=float(baseline_m), truth=truth)


def _seen_by_right(depth: np.ndarray, labels: np.ndarray, rdepth: np.ndarray, rlabels: np.ndarray,
                   fb: float) -> np.ndarray:
    """Left pixels whose point the right camera sees: at ``u - f B / z`` on the same surface, same z."""
    h, w = depth.shape
    ur = np.rint(np.arange(w)[None, :] - fb / np.where(np.isfinite(depth), depth, np.inf)).astype(np.int64)
    inside = np.isfinite(depth) & (ur >= 0) & (ur < w)
    rows = np.broadcast_to(np.arange(h)[:, None], (h, w))
    seen = np.zeros((h, w), bool)
    r, c = rows[inside], ur[inside]
    seen[inside] = (rlabels[r, c] == labels[inside]) & (np.abs(rdepth[r, c] - depth[inside]) < 0.02 * depth[inside])
    return seen


def _camera_properties(sp: SpatialCapture, right: bool) -> list[tuple[bytes, bool]]:
    """Apple's three uuid properties of one view (extrinsics, intrinsics, disparity adjustment)."""
    w, h = sp.size
    shift = 30
    extr = (struct.pack(">I", 1) + struct.pack(">i", int(round(sp.baseline_m * 1e6)))) if right else struct.pack(">I", 0)
    intr = struct.pack(">I", shift << 8) + struct.pack(">iii", int(round(sp.focal_px / w * 2 ** shift)),
                                                        int(round(0.5 * 2 ** shift)), int(round(0.5 * 2 ** shift)))
    median_d = float(np.nanmedian(sp.disparity_px))
    adj = struct.pack(">i", int(round(median_d / w * 10000)))
    return [(hw.box("uuid", UUID_EXTRINSICS + extr), False), (hw.box("uuid", UUID_INTRINSICS + intr), False),
            (hw.box("uuid", UUID_DISPARITY_ADJUSTMENT + adj), False)]


def spatial_truth_doc(sp: SpatialCapture, heic_name: str) -> dict:
    """What the truth JSON says beside the truth's own summary: the pair's geometry and arrays."""
    return {
        "file": heic_name,
        "generator": "depthlab.synth.generate_samples (python -m depthlab.synth / depthlab samples)",
        "kind": "spatial photo: a rectified stereo pair, no depth map",
        "focal_px": sp.focal_px, "baseline_m": sp.baseline_m, "size": list(sp.size),
        "principal_point": [sp.size[0] / 2, sp.size[1] / 2],
        "label_names": sp.truth.label_names,
        "arrays": {"depth_1e4m": "true depth z of the left view per pixel, units of 0.1 mm, 0 = no surface",
                   "labels": "index into label_names of the surface each left-view pixel sees",
                   "holes": "left-view pixels the right camera does not see (occluded or outside its frame)"},
    }


def spatial_heic_bytes(sp: SpatialCapture, *, quality: int = 92) -> bytes:
    """The pair as an Apple-layout spatial HEIC: two grids in a ``ster`` group, left primary."""
    b = hw.HeifBuilder()
    w, h = sp.size
    common = [(hw.colr_nclx(), True), (hw.ispe(w, h), False), (hw.pixi(8, 8, 8), False)]
    left = add_grid(b, sp.left, common + _camera_properties(sp, right=False), quality=quality)
    right = add_grid(b, sp.right, common + _camera_properties(sp, right=True), quality=quality)
    b.set_primary(left)
    b.add_group("ster", (left, right))
    return b.to_bytes()


def stereo_mpo_bytes(sp: SpatialCapture, *, baseline: bool = True, quality: int = 95) -> bytes:
    """The pair as a 3D camera's MPO (CIPA DC-007 multi-frame disparity set), left view first.

    Layout: view 1 = SOI, APP1 EXIF (FocalLengthIn35mmFilm from ``sp.focal_px``, rounded as EXIF
    stores it), APP2 MPF = MP Index IFD (MPFVersion, NumberOfImages 2, two MP entries: type
    disparity, the first flagged representative) whose next IFD is view 1's MP Attribute IFD;
    view 2 = SOI, APP1 EXIF, APP2 MPF with its own MP Attribute IFD.  Attribute IFDs: MPFVersion,
    MPIndividualNum (1 = left, 2 = right), BaseViewpointNum 1, ConvergenceAngle 0 degrees (parallel
    cameras) and, with ``baseline``, BaselineLength (metres from the base viewpoint: 0 for view 1,
    ``sp.baseline_m`` for view 2, in micrometres over 10^6).

    >>> from depthlab import synth
    >>> from depthlab.formats.jpeg_segments import read_mp_attributes, read_mpf, iter_segments
    >>> data = synth.spatial.stereo_mpo_bytes(synth.render_spatial(size=(64, 64)))
    >>> right = read_mpf(data, list(iter_segments(data)))[1]
    >>> read_mp_attributes(data, right.offset)
    {'MPIndividualNum': 2, 'BaseViewpointNum': 1, 'ConvergenceAngle': 0.0, 'BaselineLength': 0.063807}
    """
    from ..capture import CameraInfo
    from ..formats.spatial import MP_DISPARITY, MP_REPRESENTATIVE
    from .heic import camera_exif
    from .jpeg import TIFF_LONG, TIFF_RATIONAL, TIFF_SRATIONAL, encode_jpeg, exif_segment, insert_segments, with_mpf_images

    w, h = sp.size
    f35 = round(sp.focal_px * 43.27 / float(np.hypot(w, h)))  # 35 mm film's diagonal over the image's
    tiff = camera_exif(CameraInfo(make="depthlab", model="synthetic stereo camera", focal_length_35mm=f35), 1).tobytes()
    tiff = tiff[6:] if tiff.startswith(b"Exif\x00\x00") else tiff
    views = [insert_segments(encode_jpeg(v, quality), [exif_segment(tiff)]) for v in (sp.left, sp.right)]

    def attributes(number: int, distance_m: float) -> list:
        a = [(0xB101, TIFF_LONG, number), (0xB204, TIFF_LONG, 1), (0xB205, TIFF_SRATIONAL, (0, 1))]
        return a + ([(0xB206, TIFF_RATIONAL, (round(distance_m * 1e6), 1_000_000))] if baseline else [])

    return with_mpf_images(views[0], views[1:], [MP_REPRESENTATIVE | MP_DISPARITY, MP_DISPARITY],
                           mp_attributes=[attributes(1, 0.0), attributes(2, sp.baseline_m)])


def write_spatial_heic(path: str | os.PathLike, sp: SpatialCapture, *, overwrite: bool = False, quality: int = 92) -> None:
    """Write :func:`spatial_heic_bytes` to ``path`` atomically; refuses to replace a file unless ``overwrite``."""
    data = spatial_heic_bytes(sp, quality=quality)
    with atomic_write(path, overwrite=overwrite) as fh:
        fh.write(data)
