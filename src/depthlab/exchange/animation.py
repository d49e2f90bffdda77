"""A shareable "3D photo": a short camera move around the subject, rendered offline to GIF, WebP or MP4.

:func:`animate` needs no browser: it draws the capture's points -- the measured ones and the
invented background layer behind occlusion edges (:func:`depthlab.surface.layers.projector_layer`),
so a turn shows no black hole -- with a small z-buffered point renderer in numpy
(:func:`render_frame`): each point is a square as wide as its pixel at its depth (the live
view's footprint rule, :func:`depthlab.live.scene.point_footprint`), widened on slanted
surfaces (:func:`depthlab.live.scene.point_stretch`); the nearest point wins each pixel.

The camera starts at the phone and turns about the subject (the live view's orbit centre,
:func:`depthlab.live.scene.orbit_centre`, on the optical axis at the subject's depth), so the
subject stays in the middle of every frame.  Motions (``t`` runs from 0 to 1 over the clip):

* ``"orbit"``: the camera circles, ``yaw = A cos 2 pi t``, ``pitch = A/2 sin 2 pi t``;
* ``"zoom"``: it moves in toward the subject and back, a third of the way at most;
* ``"wiggle"``: it swings left and right, ``yaw = A cos 2 pi c t``, ``c`` one swing per 15 frames.

``A`` is ``amplitude`` degrees (default 8).  GIF and WebP are written by Pillow; MP4 needs the
``imageio-ffmpeg`` package (its wheel ships an ffmpeg), and is refused with its install line
otherwise.  Every file is written atomically and never replaces one without ``overwrite=True``.
"""

from __future__ import annotations

import io
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..capture import Capture
from ..deps import require
from ..errors import InvalidInputError
from ..projection import Projector
from ..settings import PINHOLE
from ..checks import keyword_options, one_of, positive_number, require_capture, whole_number
from .atomic import atomic_write

__all__ = ["animate", "render_frame", "camera_path", "MOTIONS", "FORMATS"]

MOTIONS = ("orbit", "zoom", "wiggle")
FORMATS = {".gif": "GIF", ".webp": "WEBP", ".mp4": "MP4"}
BACKGROUND = (0x1E, 0x1E, 0x24)
#: how much wider than its pixel a point is drawn (the live view's COVERAGE, a little more:
#: frames are small, and a pixel-wide gap reads as a crack)
COVERAGE = 1.5
#: widest splat, in output pixels (a point very close to the moved camera)
MAX_SPLAT = 6


def camera_path(motion: str, frames: int, amplitude: float) -> list[tuple[float, float, float]]:
    """(yaw, pitch, forward) per frame: degrees about the subject's vertical and horizontal
    axes, and the share of the subject's distance the camera moved toward it.

    >>> camera_path("wiggle", 4, 8.0)[2]
    (-8.0, 0.0, 0.0)
    """
    one_of("motion", motion, MOTIONS)
    out = []
    cycles = max(1, frames // 15)   # wiggle: about one swing to each side a second at 15 fps
    for k in range(frames):
        t = k / frames
        if motion == "orbit":
            out.append((amplitude * math.cos(2 * math.pi * t), amplitude / 2 * math.sin(2 * math.pi * t), 0.0))
        elif motion == "zoom":
            out.append((0.0, 0.0, (1 - math.cos(2 * math.pi * t)) / 2 * min(1 / 3, amplitude / 24)))
        else:
            out.append((round(amplitude * math.cos(2 * math.pi * cycles * t), 9) + 0.0, 0.0, 0.0))
    return out


def _rotation(yaw: float, pitch: float) -> np.ndarray:
    """Turning the scene about the subject by -yaw / -pitch is the camera orbiting it (camera
    frame: x right, y down, z forward; yaw about y, pitch about x)."""
    a, b = math.radians(yaw), math.radians(pitch)
    ry = np.array([[math.cos(a), 0, -math.sin(a)], [0, 1, 0], [math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), math.sin(b)], [0, -math.sin(b), math.cos(b)]])
    return rx @ ry


def render_frame(xyz: np.ndarray, rgb: np.ndarray, width: np.ndarray, stretch: np.ndarray, intrinsics: np.ndarray,
                 size: tuple[int, int], pivot: np.ndarray, yaw: float = 0.0, pitch: float = 0.0,
                 forward: float = 0.0) -> np.ndarray:
    """uint8 (H, W, 3): the points seen from the phone moved about ``pivot``.

    ``xyz`` float (N, 3) camera frame; ``rgb`` uint8 (N, 3); ``width`` float (N,) each point's
    width in scene units; ``stretch`` float (N,) >= 1 (slanted surfaces); ``intrinsics`` 3x3 of
    the output image (``size`` = (W, H)); ``pivot`` the point turned about (camera frame).
    """
    w, h = size
    rot = _rotation(yaw, pitch)
    p = (np.asarray(xyz, np.float64) - pivot) @ rot.T + pivot
    p[:, 2] -= forward * float(pivot[2])
    z = p[:, 2]
    fx, fy, cx, cy = intrinsics[0, 0], intrinsics[1, 1], intrinsics[0, 2], intrinsics[1, 2]
    ok = z > 1e-6
    zs = np.where(ok, z, 1.0)
    u, v = fx * p[:, 0] / zs + cx, fy * p[:, 1] / zs + cy
    r = np.clip(np.ceil(COVERAGE * stretch * width * fx / zs), 1, MAX_SPLAT).astype(np.int64)
    ok &= (u > -MAX_SPLAT) & (u < w + MAX_SPLAT) & (v > -MAX_SPLAT) & (v < h + MAX_SPLAT)
    # z-buffer: one int64 key per splatted pixel, depth (quantised, high bits) then the point's
    # index (low bits): the smallest key per pixel is its nearest point
    zq = np.clip(z / (4.0 * float(pivot[2]) + 1e-9) * (2**30), 0, 2**31 - 1).astype(np.int64) << 32
    zbuf = np.full(h * w, np.iinfo(np.int64).max, dtype=np.int64)
    for k in np.unique(r[ok]):
        sel = np.flatnonzero(ok & (r == k))
        x0 = np.floor(u[sel] - (k - 1) / 2).astype(np.int64)
        y0 = np.floor(v[sel] - (k - 1) / 2).astype(np.int64)
        key = zq[sel] | sel
        for dy in range(k):
            yy = y0 + dy
            for dx in range(k):
                xx = x0 + dx
                inside = (xx >= 0) & (xx < w) & (yy >= 0) & (yy < h)
                np.minimum.at(zbuf, yy[inside] * w + xx[inside], key[inside])
    img = np.empty((h * w, 3), np.uint8)
    img[:] = BACKGROUND
    hit = zbuf != np.iinfo(np.int64).max
    img[hit] = np.asarray(rgb)[(zbuf[hit] & 0xFFFFFFFF).astype(np.int64)]
    return img.reshape(h, w, 3)


def _scene(cap: Capture, size: int, fill: bool) -> dict[str, Any]:
    """The points to draw (measured, then the invented layer), their widths and stretch, the
    output intrinsics and the pivot, at a stride that gives about one point per output pixel."""
    from ..live.scene import (MAX_STRETCH, grid_image_xy, home_pivot, orbit_centre, point_footprint, point_stretch,
                              scattered_stretch)
    from ..surface.triangulate import DEFAULT_MAX_STEP
    from ..surface.layers import projector_layer

    h, w = cap.shape
    stride = max(1, math.ceil(max(h, w) / max(size, 1)))     # about one point per output pixel, or fewer
    proj = Projector(cap, stride=stride)
    if not proj.pinhole_available:
        raise InvalidInputError("animate needs the camera's intrinsics (a calibration or an EXIF focal length) to "
                                "move a camera around the photo; this capture has neither")
    xyz, valid = proj.points(PINHOLE)
    xyz, valid = xyz.copy(), valid.copy()
    if not valid.any():
        raise InvalidInputError("nothing to animate: the depth map has no valid (finite) depth")
    k = proj.calibration.intrinsics_at(w, h)
    fp = point_footprint(PINHOLE, stride, (w, h), intrinsics=k)
    stretch = point_stretch(xyz, proj.depth, valid, proj.grid_shape, fp, DEFAULT_MAX_STEP * stride)
    rgb = proj.colours("rgb" if cap.has_rgb else "depth")
    subject = proj.mask("portrait") if "portrait" in cap.mattes else None
    pivot = orbit_centre(xyz[valid], grid_image_xy(proj.grid_shape)[valid],
                         None if subject is None else subject[valid])
    parts = [(xyz[valid], rgb[valid], stretch[valid].astype(np.float32) / 255 * MAX_STRETCH)]
    invented = 0
    if fill:
        back = projector_layer(proj, PINHOLE)
        invented = int(back["invented"].sum())
        back_stretch = scattered_stretch(back["xyz"], back["depth"], back["cells"], back["grid_shape"], fp,
                                         DEFAULT_MAX_STEP * stride)
        parts.append((back["xyz"], back["rgb"], back_stretch.astype(np.float32) / 255 * MAX_STRETCH))
    pts = np.concatenate([p[0] for p in parts]).astype(np.float64)
    scale = size / max(h, w)
    out_w, out_h = max(2, round(w * scale)) // 2 * 2, max(2, round(h * scale)) // 2 * 2
    kk = np.array(k, dtype=np.float64)
    kk[0] *= out_w / w
    kk[1] *= out_h / h
    return {"xyz": pts, "rgb": np.concatenate([p[1] for p in parts]),
            "stretch": np.maximum(np.concatenate([p[2] for p in parts]), 1.0),
            "width": fp["per_depth"] * np.abs(pts[:, 2]), "intrinsics": kk, "size": (out_w, out_h),
            "pivot": home_pivot(pivot, at_phone=True), "invented": invented, "stride": stride}


def _check(cap: Any, path: Any, motion: str, seconds: Any, size: Any, fps: Any, amplitude: Any) -> tuple[Path, str]:
    require_capture(cap, "animate()")
    dest = Path(path)
    fmt = FORMATS.get(dest.suffix.lower())
    if fmt is None:
        raise InvalidInputError(f"{dest.name}: unknown animation format {dest.suffix or '(no extension)'!r}; "
                                f"use {', '.join(FORMATS)}")
    one_of("motion", motion, MOTIONS)
    positive_number("seconds", seconds)
    positive_number("fps", fps)
    positive_number("amplitude", amplitude)
    whole_number("size (the longest side in pixels)", size, 16, 4096)
    if fmt == "MP4":
        require("imageio_ffmpeg", "writing MP4 video (GIF and WebP need nothing more)")
    return dest, fmt


@keyword_options
def animate(cap: Capture, path: str | os.PathLike, *, motion: str = "orbit", seconds: float = 3.0, size: int = 480,
            fps: float | None = None, amplitude: float = 8.0, fill: bool = True, overwrite: bool = False,
            progress: bool = True) -> Path:
    """Render a short camera move around the subject to ``path`` (``.gif``, ``.webp`` or ``.mp4``).

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/rear_dual.heic")
    >>> depthlab.animate(cap, "/tmp/depthlab_doctest.gif", seconds=0.4, size=96, overwrite=True, progress=False).name
    'depthlab_doctest.gif'

    Parameters
    ----------
    motion : ``"orbit"`` (a small circle), ``"zoom"`` (in and back out) or ``"wiggle"`` (left and
        right); see :mod:`depthlab.exchange.animation`.
    seconds, size : the clip's length and its longest side in pixels (the photo's aspect).
    fps : frames per second (default 15 for GIF, 24 otherwise).
    amplitude : the turn in degrees (default 8).
    fill : draw the invented background behind occlusion edges (default True; it is marked as
        invented in the live views and in :func:`depthlab.layers`, and only looked at here).
    overwrite : replace an existing file (never without it); the file is written atomically.
    progress : a progress bar (tqdm) on stderr.

    Returns the path written.  A 3 s, 480 px orbit GIF of a phone photo is a few megabytes.
    """
    fps = (15.0 if Path(path).suffix.lower() == ".gif" else 24.0) if fps is None else fps
    dest, fmt = _check(cap, path, motion, seconds, size, fps, amplitude)
    with atomic_write(dest, overwrite=overwrite) as fh:     # refuses an existing file before any work
        scene = _scene(cap, size, bool(fill))
        n = max(2, int(round(float(seconds) * float(fps))))
        from tqdm.auto import tqdm

        frames = []
        for yaw, pitch, fwd in tqdm(camera_path(motion, n, float(amplitude)), desc=f"animate {dest.name}",
                                    unit="frame", disable=not progress, leave=False):
            frames.append(render_frame(scene["xyz"], scene["rgb"], scene["width"], scene["stretch"],
                                       scene["intrinsics"], scene["size"], scene["pivot"], yaw, pitch, fwd))
        fh.write(_encode(frames, fmt, float(fps)))
    return dest


def _encode(frames: list[np.ndarray], fmt: str, fps: float) -> bytes:
    """The file's bytes: an endlessly looping GIF/WebP (Pillow) or an H.264 MP4 (imageio-ffmpeg)."""
    if fmt == "MP4":
        return _mp4(frames, fps)
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    buf = io.BytesIO()
    duration = int(round(1000 / fps))
    if fmt == "GIF":
        # one palette for the whole clip: smaller, and no colour flicker between frames
        palette = images[len(images) // 2].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
        images = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in images]
        images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0,
                       optimize=False, disposal=1)
    else:
        images[0].save(buf, format="WEBP", save_all=True, append_images=images[1:], duration=duration, loop=0,
                       quality=80, method=4)
    return buf.getvalue()


def _mp4(frames: list[np.ndarray], fps: float) -> bytes:
    import tempfile

    ffmpeg = require("imageio_ffmpeg", "writing MP4 video (GIF and WebP need nothing more)")
    h, w = frames[0].shape[:2]
    with tempfile.TemporaryDirectory(prefix="depthlab-mp4-") as tmp:
        out = Path(tmp) / f"clip-{time.monotonic_ns()}.mp4"
        writer = ffmpeg.write_frames(str(out), (w, h), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                     macro_block_size=2)
        writer.send(None)
        for f in frames:
            writer.send(np.ascontiguousarray(f))
        writer.close()
        return out.read_bytes()
