"""Camera geometry: intrinsics at a resolution, Apple's lens-distortion model (distort,
undistort, rectification maps, pixel rays), and intrinsics estimated from EXIF for files that
carry no calibration.

Apple's radial model is ``p' = centre + v / (1 + 0.01 * P(|v|**2 * PixelSize**2))`` with
``LensDistortionCoefficients`` mapping rectilinear -> distorted and the inverse set distorted ->
rectilinear; why that reading, and what was measured on real files, is written up in
``docs/lens_distortion.md``.

Convention (whole module): pixel coordinates are ``(x, y)`` = (column, row); functions taking
``reference`` coordinates use Apple's corner origin at the calibration's reference size (pixel
(0, 0)'s centre is (0.5, 0.5), an interpretation: see the README's "Pixels"); functions taking
an image ``size`` use the centre-origin convention of :meth:`Calibration.intrinsics_at` (pixel
(u, v)'s centre is (u, v)).  Rays are in the camera frame x right, y down, z forward, scaled so
that z = 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .capture import Calibration
from .checks import whole_number
from .errors import CalibrationError, InvalidInputError

__all__ = [
    "radial_scale",
    "undistort_points",
    "distort_points",
    "pixel_rays",
    "ray_planes",
    "ray_blocks",
    "rectification_map",
    "rectify",
    "estimate_calibration",
    "calibration_from_exif",
    "calibration_from_camera",
    "FULL_FRAME_DIAGONAL_MM",
    "ExifIntrinsicsCheck",
    "check_intrinsics_against_exif",
    "checked_calibration",
    "CALIBRATION_CHOICES",
]

#: Diagonal of a 36 x 24 mm frame: the reference of ``FocalLengthIn35mmFilm``.
FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)


# --------------------------------------------------------------------------------------------
# The radial model
# --------------------------------------------------------------------------------------------


def radial_scale(coefficients: np.ndarray, radius_px: np.ndarray, pixel_size_mm: float,
                 max_radius_px: float | None = None) -> np.ndarray:
    """Factor ``r'/r = 1 / (1 + P((r * pixel_size_mm)**2) / 100)`` for radii in reference pixels.

    Apple's evaluation (module docstring): ``P(t) = sum_i c_i * t**i`` in ``t = rho**2``.
    Radii beyond ``max_radius_px`` (``DistortionCalibrationValidMaxRadiusInPixels``, when known)
    get the factor of that radius.

    Convention: ``radius_px`` in reference-size pixels from the distortion centre; the result has
    the dtype of ``radius_px`` when it is float32 or float64 (float64 otherwise).
    """
    r = np.asarray(radius_px)
    dtype = r.dtype if r.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    out = np.empty(r.shape, dtype=dtype)
    r2 = np.array(r, dtype=dtype)
    np.multiply(r2, r2, out=r2)
    _radial_scale_into(coefficients, r2, pixel_size_mm, out, max_radius_px)
    return out


def _radial_scale_into(coefficients: np.ndarray, r2: np.ndarray, pixel_size_mm: float, out: np.ndarray,
                       max_radius_px: float | None = None) -> None:
    """Horner's scheme in place: ``out = 1 / (1 + P(r2 * pixel_size**2) / 100)``.

    ``r2`` is the *squared* radius (reference pixels**2), a scratch array of ``out``'s dtype that
    is overwritten with ``t = rho**2`` (mm**2).  Horner runs in ``t`` (order 1-30 on a phone
    sensor), not in pixels**2, so that float32 neither underflows the folded coefficients nor
    overflows ``r2**7``.
    """
    t = out.dtype.type
    c = np.asarray(coefficients, dtype=np.float64) / 100.0
    c[0] += 1.0
    if max_radius_px is not None and math.isfinite(max_radius_px) and max_radius_px > 0:
        np.minimum(r2, t(float(max_radius_px) ** 2), out=r2)
    np.multiply(r2, t(float(pixel_size_mm) ** 2), out=r2)
    if c.size == 1:
        out.fill(t(c[0]))
    else:  # c_n * r2 + c_(n-1), then Horner: the same float32 operations as from out = c_n
        np.multiply(r2, t(c[-1]), out=out)
        np.add(out, t(c[-2]), out=out)
    for ci in c[-3::-1]:
        np.multiply(out, r2, out=out)
        np.add(out, t(ci), out=out)
    np.reciprocal(out, out=out)


def _require_distortion(cal: Calibration) -> None:
    missing = [name for name, v in (("lens_distortion", cal.lens_distortion),
                                    ("inverse_lens_distortion", cal.inverse_lens_distortion),
                                    ("distortion_center", cal.distortion_center),
                                    ("pixel_size_mm", cal.pixel_size_mm)) if v is None]
    if missing:
        raise CalibrationError(
            f"the calibration has no lens-distortion model (missing {', '.join(missing)}); "
            "use model='pinhole-raw' to project without removing distortion"
        )


def _apply(cal: Calibration, coefficients: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim < 1 or pts.shape[-1] != 2:
        raise InvalidInputError(f"points must have shape (..., 2), got {pts.shape}")
    centre = np.asarray(cal.distortion_center, dtype=np.float64)
    d = pts - centre
    r = np.hypot(d[..., 0], d[..., 1])
    return centre + d * radial_scale(coefficients, r, cal.pixel_size_mm, cal.distortion_max_radius_px)[..., None]


def undistort_points(cal: Calibration, points: np.ndarray) -> np.ndarray:
    """Distorted image positions -> rectilinear (pinhole) positions, with the *inverse* set.

    Convention: ``points`` (..., 2) as (x, y) in reference-size pixels, corner origin (the
    frame of ``cal.intrinsic_matrix``); float64 out, same shape.

    >>> import depthlab
    >>> import numpy as np
    >>> from depthlab.camera import distort_points, undistort_points
    >>> cal = depthlab.open("data/sample/rear_dual.heic").calibration
    >>> p = np.array([[100.0, 80.0]])
    >>> back = distort_points(cal, undistort_points(cal, p))
    >>> bool(np.abs(back - p).max() < 0.5)
    True
    """
    _require_distortion(cal)
    return _apply(cal, cal.inverse_lens_distortion, points)


def distort_points(cal: Calibration, points: np.ndarray) -> np.ndarray:
    """Rectilinear (pinhole) positions -> where they appear in the distorted camera image.

    Uses ``LensDistortionCoefficients``.  Convention as :func:`undistort_points`.
    """
    _require_distortion(cal)
    return _apply(cal, cal.lens_distortion, points)


# --------------------------------------------------------------------------------------------
# Rays
# --------------------------------------------------------------------------------------------


def _grid_reference_coords(cal: Calibration, width: int, height: int, stride: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Corner-origin reference coordinates of the centres of every ``stride``-th pixel."""
    rw, rh = cal.reference_size
    cal.intrinsics_at(width, height)  # checks the aspect
    u = np.arange(0, width, stride, dtype=np.float64)
    v = np.arange(0, height, stride, dtype=np.float64)
    return (u + 0.5) * (rw / width), (v + 0.5) * (rh / height), u.size, v.size


def pixel_rays(cal: Calibration, width: int, height: int, stride: int = 1, undistort: bool = True) -> np.ndarray:
    """Viewing ray of every ``stride``-th pixel of a ``width`` x ``height`` image, z = 1.

    ``undistort=True`` removes Apple's lens distortion first (the inverse coefficient set; a
    calibration without a model, or with all-zero coefficients, gives the plain pinhole rays).
    The radial polynomial is evaluated for every pixel in float32 (within 1e-3 reference pixels
    of :func:`undistort_points`, which works in float64).  Multiply row ``i`` by that pixel's depth (m)
    to get the point in metres.

    Convention: rows in row-major order of the strided grid (``ceil(H/stride) * ceil(W/stride)``
    rows); pixel (u, v) at its centre; intrinsics scaled from the reference size
    (:meth:`Calibration.intrinsics_at`); camera frame x right, y down, z forward; float32 (M, 3).

    >>> import depthlab
    >>> from depthlab.camera import pixel_rays
    >>> cal = depthlab.open("data/sample/rear_dual.heic").calibration
    >>> rays = pixel_rays(cal, 768, 576, stride=4)
    >>> rays.shape, float(rays[..., 2].min())
    ((27648, 3), 1.0)
    """
    rx, ry = ray_planes(cal, width, height, stride, undistort)
    out = np.empty((rx.size, 3), dtype=np.float32)
    out[:, 0] = rx
    out[:, 1] = ry
    out[:, 2] = 1.0
    return out


def ray_blocks(cal: Calibration, width: int, height: int, stride: int = 1, undistort: bool = True,
               grid_rows: tuple[int, int] | None = None) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """The rays of :func:`ray_planes` a block of grid rows at a time: ``(v0, v1, rx, ry)`` with
    ``rx``, ``ry`` float32 (v1 - v0, columns) for grid rows ``v0:v1``, each block ~64k rays.

    The blocks are contiguous scratch arrays reused for the next block (copy them to keep
    them), small enough to stay in cache through Horner's passes; a caller that multiplies
    them by depth straight into its output reads each ray once and never writes the grid.
    Same numbers as :func:`ray_planes` (every ray is computed on its own, whatever the blocks).
    ``grid_rows=(r0, r1)``: those grid rows only.  Convention as :func:`pixel_rays`.
    """
    stride = whole_number("stride", stride)
    xs, ys, nu, nv = _grid_reference_coords(cal, int(width), int(height), stride)
    fx, fy, cx, cy = cal.fx, cal.fy, cal.cx, cal.cy
    rows = max(1, 65536 // max(nu, 1))  # ~64k points: L2-resident, few calls
    r0, nv = (0, nv) if grid_rows is None else (max(0, grid_rows[0]), min(nv, grid_rows[1]))
    if not (undistort and cal.has_distortion):
        rxs = ((xs - cx) / fx).astype(np.float32)
        rys = ((ys - cy) / fy).astype(np.float32)
        for v0 in range(r0, nv, rows):
            v1 = min(nv, v0 + rows)
            yield v0, v1, np.broadcast_to(rxs[None, :], (v1 - v0, nu)), np.broadcast_to(rys[v0:v1, None], (v1 - v0, nu))
        return
    ccx, ccy = cal.distortion_center
    dx = (xs - ccx).astype(np.float32)
    dy = (ys - ccy).astype(np.float32)
    dx2 = dx * dx
    dy2 = dy * dy
    dxf = dx / np.float32(fx)
    dyf = dy / np.float32(fy)
    offx, offy = np.float32((ccx - cx) / fx), np.float32((ccy - cy) / fy)
    r, k, bx, by = (np.empty((rows, nu), dtype=np.float32) for _ in range(4))
    for v0 in range(r0, nv, rows):
        v1 = min(nv, v0 + rows)
        rb, kb, xb, yb = r[: v1 - v0], k[: v1 - v0], bx[: v1 - v0], by[: v1 - v0]
        np.add(dx2[None, :], dy2[v0:v1, None], out=rb)  # squared radius: P is in rho**2
        _radial_scale_into(cal.inverse_lens_distortion, rb, cal.pixel_size_mm, kb, cal.distortion_max_radius_px)
        np.multiply(kb, dxf[None, :], out=xb)
        np.add(xb, offx, out=xb)
        np.multiply(kb, dyf[v0:v1, None], out=yb)
        np.add(yb, offy, out=yb)
        yield v0, v1, xb, yb


def ray_planes(cal: Calibration, width: int, height: int, stride: int = 1, undistort: bool = True,
               out: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The x and y components of :func:`pixel_rays` as two contiguous float32 (M,) arrays.

    ``x = rx * depth``, ``y = ry * depth``, ``z = depth``: the layout the projector multiplies
    fastest.  ``out``: two float32 (M,) arrays (views such as ``xyz[:, 0]`` allowed) to write
    into instead of new ones.  Convention as :func:`pixel_rays`.
    """
    stride = whole_number("stride", stride)
    _, _, nu, nv = _grid_reference_coords(cal, int(width), int(height), stride)
    if out is None:
        rx = np.empty((nv, nu), dtype=np.float32)
        ry = np.empty((nv, nu), dtype=np.float32)
    else:
        rx, ry = (o.reshape(nv, nu) for o in out)
    for v0, v1, bx, by in ray_blocks(cal, width, height, stride, undistort):
        rx[v0:v1] = bx
        ry[v0:v1] = by
    return rx.reshape(-1), ry.reshape(-1)


# --------------------------------------------------------------------------------------------
# Rectification
# --------------------------------------------------------------------------------------------


def rectification_map(cal: Calibration, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel of the rectilinear ``width`` x ``height`` output, where to sample the
    distorted image of the same size.

    Returns ``(map_x, map_y)``, float32 (H, W).  Uses ``LensDistortionCoefficients``
    (rectilinear -> distorted).  Identity where every coefficient is zero.

    Convention: output pixel (u, v) = ``map_x[v, u]``, ``map_y[v, u]`` are centre-origin pixel
    coordinates in the distorted image (the layout ``cv2.remap`` takes); both images are
    ``width`` x ``height`` views of the calibration's frame, display orientation.
    """
    w, h = int(width), int(height)
    xs, ys, nu, nv = _grid_reference_coords(cal, w, h, 1)
    rw, rh = cal.reference_size
    grid = np.empty((nv, nu, 2), dtype=np.float64)
    grid[..., 0] = xs[None, :]
    grid[..., 1] = ys[:, None]
    if cal.has_distortion:
        grid = distort_points(cal, grid)
    map_x = (grid[..., 0] * (w / rw) - 0.5).astype(np.float32)
    map_y = (grid[..., 1] * (h / rh) - 0.5).astype(np.float32)
    return map_x, map_y


def rectify(image: np.ndarray, cal: Calibration, fill: float = np.nan) -> np.ndarray:
    """Resample a distorted image (depth, matte or colour) into the rectilinear pinhole image.

    Bilinear for float images (NaN neighbours give NaN), nearest for integer images (colours
    stay exact values); pixels that fall outside the source get ``fill`` (0 for integer
    images).  Convention: (H, W) or (H, W, C) array in display orientation, at a size of the
    calibration's view; output has the same shape and dtype.

    >>> import depthlab
    >>> from depthlab.camera import rectify
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> rectify(cap.depth, cap.calibration).shape
    (640, 480)
    """
    img = np.asarray(image)
    if img.ndim not in (2, 3):
        raise InvalidInputError(f"image must be (H, W) or (H, W, C), got shape {img.shape}")
    h, w = img.shape[:2]
    mx, my = rectification_map(cal, w, h)
    inside = (mx > -0.5) & (mx < w - 0.5) & (my > -0.5) & (my < h - 0.5)
    if np.issubdtype(img.dtype, np.integer) or img.dtype == bool:
        ui = np.clip(np.rint(mx), 0, w - 1).astype(np.intp)
        vi = np.clip(np.rint(my), 0, h - 1).astype(np.intp)
        out = img[vi, ui]
        out[~inside] = 0
        return out
    src = img.astype(np.float32, copy=False)
    x0 = np.clip(np.floor(mx), 0, w - 2).astype(np.intp) if w > 1 else np.zeros(mx.shape, np.intp)
    y0 = np.clip(np.floor(my), 0, h - 2).astype(np.intp) if h > 1 else np.zeros(my.shape, np.intp)
    fx = np.clip(mx - x0, 0, 1).astype(np.float32)
    fy = np.clip(my - y0, 0, 1).astype(np.float32)
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    if img.ndim == 3:
        fx, fy, inside_b = fx[..., None], fy[..., None], inside[..., None]
    else:
        inside_b = inside
    top = src[y0, x0] * (1 - fx) + src[y0, x1] * fx
    bottom = src[y1, x0] * (1 - fx) + src[y1, x1] * fx
    out = top * (1 - fy) + bottom * fy
    out = np.where(inside_b, out, np.float32(fill))
    return out.astype(img.dtype, copy=False)


# --------------------------------------------------------------------------------------------
# Estimated intrinsics (no calibration stored)
# --------------------------------------------------------------------------------------------

# EXIF tag numbers (Exif IFD) and their names
_EXIF_TAGS = {
    "FocalLengthIn35mmFilm": 0xA405,
    "FocalLength": 0x920A,
    "FocalPlaneXResolution": 0xA20E,
    "FocalPlaneYResolution": 0xA20F,
    "FocalPlaneResolutionUnit": 0xA210,
}
# FocalPlaneResolutionUnit -> millimetres per unit
_UNIT_MM = {2: 25.4, 3: 10.0, 4: 1.0, 5: 0.001}


def _positive(value: Any) -> float | None:
    """A finite positive float from an EXIF value (int, float, Fraction, IFDRational), else None."""
    if value is None:
        return None
    try:
        if isinstance(value, tuple) and len(value) == 2:  # (numerator, denominator)
            value = value[0] / value[1] if value[1] else None
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return f if math.isfinite(f) and f > 0 else None


def _unit_mm(unit: Any) -> float | None:
    """Millimetres per ``FocalPlaneResolutionUnit`` (2 inch, 3 cm, 4 mm, 5 um), as an int or any
    number with a whole value (3.0, Fraction(3)); inch when the tag is absent (the EXIF
    default); None for anything else: a unit is never guessed."""
    if unit is None:
        return _UNIT_MM[2]
    try:
        f = float(unit)
    except (TypeError, ValueError):
        return None
    return _UNIT_MM.get(int(f)) if f.is_integer() else None


def _exif_get(exif: Mapping, name: str) -> Any:
    if name in exif:
        return exif[name]
    return exif.get(_EXIF_TAGS[name])


def estimate_calibration(
    width: int,
    height: int,
    *,
    focal_length_px: float | None = None,
    focal_length_35mm: float | None = None,
    focal_length_mm: float | None = None,
    sensor_width_mm: float | None = None,
) -> Calibration:
    """Pinhole intrinsics for a ``width`` x ``height`` image from what is known about the lens.

    Give one of: ``focal_length_px``; ``focal_length_35mm`` (the 35 mm-equivalent focal
    length, EXIF ``FocalLengthIn35mmFilm``, taken relative to the frame *diagonal*:
    ``f_px = f35 * hypot(W, H) / 43.27``); or ``focal_length_mm`` with ``sensor_width_mm`` (the
    sensor's extent along the image's width).  The principal point is the image centre and
    pixels are square.  The result has ``estimated=True``.  Nothing known: CalibrationError —
    depthlab never invents a focal length.

    Convention: ``width`` x ``height`` in display orientation; the returned calibration is
    corner-origin at that reference size, like a stored one.

    >>> from depthlab.camera import estimate_calibration
    >>> cal = estimate_calibration(4032, 3024, focal_length_35mm=26)
    >>> round(cal.fx), cal.estimated
    (3029, True)
    """
    w, h = int(width), int(height)
    if w <= 0 or h <= 0:
        raise InvalidInputError(f"image size must be positive, got {width}x{height}")
    if focal_length_px is not None:
        f = _positive(focal_length_px)
        source = "focal length in pixels (given)"
    elif focal_length_35mm is not None:
        f35 = _positive(focal_length_35mm)
        f = None if f35 is None else f35 * math.hypot(w, h) / FULL_FRAME_DIAGONAL_MM
        source = "35 mm-equivalent focal length"
    elif focal_length_mm is not None and sensor_width_mm is not None:
        fm, sw = _positive(focal_length_mm), _positive(sensor_width_mm)
        f = None if fm is None or sw is None else fm * w / sw
        source = "focal length and sensor width"
    else:
        raise CalibrationError(
            f"no calibration and no focal length known for this {w}x{h} image; give one, e.g. "
            "estimate_calibration(w, h, focal_length_35mm=26) or focal_length_px=..., "
            "or focal_length_mm=... with sensor_width_mm=..."
        )
    if f is None:
        raise CalibrationError(f"the focal length given for this {w}x{h} image is not a positive finite number")
    k = np.array([[f, 0.0, w / 2.0], [0.0, f, h / 2.0], [0.0, 0.0, 1.0]])
    return Calibration(intrinsic_matrix=k, reference_size=(w, h), estimated=True, source=source)


def calibration_from_exif(exif: Mapping, width: int, height: int) -> Calibration:
    """Estimated intrinsics from a photo's EXIF, for files that store no calibration.

    ``exif`` maps tag names (``"FocalLengthIn35mmFilm"``) or Exif-IFD tag numbers (``0xA405``,
    as Pillow's ``getexif().get_ifd(0x8769)`` gives) to values.  Tried in order:
    ``FocalLengthIn35mmFilm``; ``FocalLength`` with ``FocalPlaneXResolution`` and
    ``FocalPlaneResolutionUnit`` (pixels per unit on the sensor, at the original image width —
    pass the size the EXIF describes).  ``source`` names the tags used, ``estimated=True``.
    Raises CalibrationError naming what is missing: a focal length is never invented.

    Convention as :func:`estimate_calibration` (display-orientation size; focal-plane
    resolution assumed to describe square pixels).
    """
    f35 = _positive(_exif_get(exif, "FocalLengthIn35mmFilm"))
    if f35 is not None:
        cal = estimate_calibration(width, height, focal_length_35mm=f35)
        return _with_source(cal, "EXIF FocalLengthIn35mmFilm")
    fmm = _positive(_exif_get(exif, "FocalLength"))
    res = _positive(_exif_get(exif, "FocalPlaneXResolution"))
    unit_mm = _unit_mm(_exif_get(exif, "FocalPlaneResolutionUnit"))
    if fmm is not None and res is not None and unit_mm is not None:
        cal = estimate_calibration(width, height, focal_length_px=fmm * res / unit_mm)
        return _with_source(cal, "EXIF FocalLength and FocalPlaneXResolution")
    found = "FocalLength only" if fmm is not None else "no focal length"
    raise CalibrationError(
        f"this file stores no calibration and its EXIF has {found} (no FocalLengthIn35mmFilm, no "
        "focal-plane resolution); intrinsics cannot be estimated. Give a focal length: "
        "depthlab.camera.estimate_calibration(w, h, focal_length_35mm=...) and pass it as calibration="
    )


def calibration_from_camera(camera: Any, width: int, height: int) -> Calibration:
    """Estimated intrinsics from the EXIF focal lengths a reader put in a
    :class:`~depthlab.capture.CameraInfo` (``focal_length_35mm``, ``focal_length_mm``).

    For captures without a stored calibration (e.g. Google Lens Blur JPEGs).  The 35 mm
    equivalent is scale-free, so ``width`` x ``height`` may be the depth map's size when it shows
    the photo's field of view.  Raises CalibrationError when no usable focal length is known.
    """
    exif = {"FocalLengthIn35mmFilm": getattr(camera, "focal_length_35mm", None),
            "FocalLength": getattr(camera, "focal_length_mm", None)}
    return calibration_from_exif(exif, width, height)


def _with_source(cal: Calibration, source: str) -> Calibration:
    from dataclasses import replace

    return replace(cal, source=source)


# --------------------------------------------------------------------------------------------
# Stored intrinsics against the EXIF focal length
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExifIntrinsicsCheck:
    """A stored calibration's focal lengths against the one EXIF's 35 mm equivalent implies.

    ``expected_px = FocalLengthIn35mmFilm * hypot(W, H) / 43.27`` at the calibration's reference
    size ``W x H`` (the 35 mm equivalent is relative to the frame diagonal, and EXIF rounds it to
    whole millimetres: about 2-4 % of slack).  ``fx_ratio``/``fy_ratio`` = stored / expected.
    """

    focal_length_35mm: float
    reference_size: tuple[int, int]
    expected_px: float
    fx: float
    fy: float
    tolerance: float = 0.10

    @property
    def fx_ratio(self) -> float:
        return self.fx / self.expected_px

    @property
    def fy_ratio(self) -> float:
        return self.fy / self.expected_px

    @property
    def agrees(self) -> bool:
        return abs(self.fx_ratio - 1) <= self.tolerance and abs(self.fy_ratio - 1) <= self.tolerance

    def _off(self, axis: str) -> str:
        ratio = self.fx_ratio if axis == "x" else self.fy_ratio
        return f"f{axis} {abs(ratio - 1) * 100:.0f}% {'below' if ratio < 1 else 'above'} EXIF"

    @property
    def short(self) -> str:
        """A few words for a view's title ('' when the two agree)."""
        if self.agrees:
            return ""
        bad = [a for a, r in (("x", self.fx_ratio), ("y", self.fy_ratio)) if abs(r - 1) > self.tolerance]
        return "intrinsics ≠ EXIF (" + ", ".join(self._off(a) for a in bad) + ")"

    @property
    def note(self) -> str:
        """The sentence ``info`` and ``Capture.metadata['notes']`` carry ('' when they agree): what
        disagrees, by how much, and what :func:`depthlab.open`'s ``calibration=`` choice does about it
        (or, when neither axis agrees, how to use the EXIF by hand)."""
        if self.agrees:
            return ""
        w, h = self.reference_size
        parts = []
        for axis, f, ratio in (("x", self.fx, self.fx_ratio), ("y", self.fy, self.fy_ratio)):
            state = "disagrees" if abs(ratio - 1) > self.tolerance else "agrees"
            parts.append(f"f{axis} {f:.1f} px {state} ({(ratio - 1) * 100:+.0f}%)")
        effects = []
        for axis, ratio in (("x", self.fx_ratio), ("y", self.fy_ratio)):
            if abs(ratio - 1) > self.tolerance:
                # a focal length too short spreads the points apart: wider (x) or taller (y)
                word = {("x", True): "wide", ("x", False): "narrow", ("y", True): "tall", ("y", False): "flat"}[axis, ratio < 1]
                effects.append(f"the 3D view comes out {abs(1 / ratio - 1) * 100:.0f}% too {word}")
        if len(effects) == 1:  # one axis agrees: what depthlab.open(calibration=...) does with it
            good = "y" if abs(self.fx_ratio - 1) > self.tolerance else "x"
            advice = (f"depthlab.open uses square pixels from f{good}, the axis that agrees (calibration='checked', the "
                      "default); depthlab.open(path, calibration='stored') keeps the stored numbers")
        else:
            advice = ("Neither axis agrees with EXIF, so depthlab.open keeps the stored numbers (there is no agreeing "
                      "axis to take square pixels from); to use the EXIF instead, pass calibration=depthlab.camera."
                      f"estimate_calibration({w}, {h}, focal_length_35mm={self.focal_length_35mm:g}) to depthlab.project")
        return (f"stored intrinsics disagree with the EXIF focal length: {self.focal_length_35mm:g} mm (35 mm "
                f"equivalent) means {self.expected_px:.0f} px at {w}x{h}, but {' and '.join(parts)}; "
                f"{' and '.join(effects)} if the EXIF is right. {advice}")


def check_intrinsics_against_exif(calibration: Calibration | None, camera: Any,
                                  tolerance: float = 0.10) -> ExifIntrinsicsCheck | None:
    """Compare a *stored* calibration's fx, fy with the EXIF 35 mm-equivalent focal length.

    Every reader's capture goes through this (:func:`depthlab.open` adds ``.note`` to
    ``Capture.metadata['notes']`` when they disagree by more than ``tolerance``); the views put
    ``.short`` in their titles.  None when there is nothing to compare (no calibration, an
    estimated one, or no ``focal_length_35mm`` on ``camera``).

    Convention: focal lengths in reference-size pixels; the 35 mm equivalent relative to the
    frame diagonal (as :func:`estimate_calibration`).
    """
    if calibration is None or calibration.estimated:
        return None
    f35 = _positive(getattr(camera, "focal_length_35mm", None))
    if f35 is None:
        return None
    w, h = calibration.reference_size
    expected = f35 * math.hypot(w, h) / FULL_FRAME_DIAGONAL_MM
    return ExifIntrinsicsCheck(f35, (w, h), expected, calibration.fx, calibration.fy, float(tolerance))


#: ``depthlab.open(path, calibration=...)``: "checked" (the default) corrects a stored calibration
#: whose one axis disagrees with EXIF; "stored" keeps what the file says (with a warning if flagged)
CALIBRATION_CHOICES = ("checked", "stored")


def checked_calibration(calibration: Calibration, check: ExifIntrinsicsCheck) -> Calibration | None:
    """The calibration with square pixels from the axis that agrees with EXIF, when exactly one
    of fx, fy disagrees (by more than ``check.tolerance``); None otherwise (both agree: nothing
    to correct; both disagree: nothing to trust).

    The rule: phone cameras have square pixels, so a stored fx that disagrees with the EXIF focal
    length while fy agrees is a stored error, and fx = fy (or fy = fx) restores the camera's
    geometry; the principal point and everything else stay as stored.

    >>> import numpy as np
    >>> from depthlab.capture import Calibration
    >>> cal = Calibration(intrinsic_matrix=np.array([[2085.5, 0, 1158], [0, 2718.4, 1544], [0, 0, 1.0]]),
    ...                   reference_size=(2316, 3088))
    >>> check = ExifIntrinsicsCheck(46.0, (2316, 3088), 2742.0, 2085.5, 2718.4)
    >>> fixed = checked_calibration(cal, check)
    >>> fixed.fx, fixed.fy, fixed.cx
    (2718.4, 2718.4, 1158.0)
    """
    bad_x = abs(check.fx_ratio - 1) > check.tolerance
    bad_y = abs(check.fy_ratio - 1) > check.tolerance
    if bad_x == bad_y:
        return None
    k = np.array(calibration.intrinsic_matrix, dtype=np.float64)
    axis, good = ("x", check.fy) if bad_x else ("y", check.fx)
    k[0 if bad_x else 1, 0 if bad_x else 1] = good
    source = f"{calibration.source or 'stored'}; f{axis} set to {good:.1f} px (square pixels from the axis that agrees with EXIF)"
    return replace(calibration, intrinsic_matrix=k, source=source)
