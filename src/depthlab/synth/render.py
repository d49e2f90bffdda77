"""Render a :class:`~depthlab.synth.scenes.Scene` the way each iPhone camera captures it.

Two cameras, each returning a :class:`SynthCapture` (what the phone would store, in display
orientation, plus the ground truth):

* :func:`render_rear_dual` — 768x576 disparity, ``Accuracy`` relative: the stored disparity is
  *affine* in the true one, ``stored = relative_scale_factor * true + relative_disparity_offset``
  (1/m), the two errors Apple's ``AVDepthData.Accuracy`` documentation names (a focal-length
  error scales depth, a principal-point error offsets disparity); smoothed and soft at depth
  edges; calibration of a 26 mm-equivalent lens *with* lens distortion in Apple's coefficient form;
* :func:`render_front_truedepth` — 480x640 disparity, ``Accuracy`` absolute, sharp.  Structured
  light fails at grazing angles, on dark hair and at a few random pixels (``truth.holes``).  As
  stored by the Camera app (``Filtered`` True, like the real front files, which are 100 % valid)
  those pixels are filled from their neighbours; with ``filtered=False`` (an unfiltered stream,
  e.g. ``AVCaptureDepthDataOutput`` with filtering off) they stay holes.  A 30 mm-equivalent lens
  without distortion (as the real front sample), square pixels.

Stored values follow Apple: 8-bit codes ``v``, disparity ``FloatMin + (FloatMax - FloatMin) * v /
255`` in 1/m.  FloatMin/Max are fitted to each capture's scene as the real files' are (the
smallest and largest stored disparity, :func:`fitted_range`), and are float16 numbers (as Apple's,
from native half floats), so their decimal text, the SEI's d_min/d_max and float32/float64 readings
are all the same number.  An unfiltered front map's hole is code 0 with FloatMin = 0: disparity 0,
infinitely far, i.e. unknown.

Lens distortion, as Apple's code evaluates it (:mod:`depthlab.camera` has the evidence): for a
radius ``r`` in reference pixels from the distortion centre, ``t = (r * PixelSize_mm)**2``,
``P(t) = sum_i c_i t^i`` is a magnification in percent and ``r' = r / (1 + P(t) / 100)``.
``LensDistortionCoefficients`` map a rectilinear (undistorted) radius to the distorted one,
``InverseLensDistortionCoefficients`` map a distorted radius back (Apple's forward/inverse
``GeometricDistortionPolynomial`` and lookup-table directions).  The rear sample's stored pixels
(colour and depth) are *distorted*: pixel ``p_d`` looks along the rectilinear ray of
``p_u = c + (p_d - c) / (1 + P_inverse((|p_d - c| * PixelSize)**2) / 100)``.
The inverse set is fitted to the forward one so that the two invert each other to < 0.01 px.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..capture import Calibration, CameraInfo, Capture, DepthEncoding
from ..errors import InvalidInputError
from .scenes import Scene, cast, portrait_scene, selfie_scene

#: fixed random seed of everything random in the shipped samples
DEFAULT_SEED = 20240608


# --------------------------------------------------------------------------------------------
# ground truth and the capture bundle
# --------------------------------------------------------------------------------------------


@dataclass
class GroundTruth:
    """What the scene really is, at the depth map's pixels (display orientation).

    ``depth_m`` float32 (H, W): true z in metres at each depth pixel's centre (NaN: no surface);
    ``labels`` uint8 (H, W): index into ``label_names`` of the surface seen there;
    ``scene``: the scene's parameters (:meth:`Scene.to_dict`);
    ``relative_scale_factor`` ``a`` and ``relative_disparity_offset`` ``b`` (1/m): stored
    disparity = ``a`` * true disparity + ``b`` (1 and 0 for absolute captures), so depth read from
    the file = ``1 / (a / z + b)``;
    ``holes``: bool (H, W), pixels the sensor could not measure (stored as "unknown" when
    ``filtered`` is False, filled from their neighbours when it is True).
    """

    depth_m: np.ndarray
    labels: np.ndarray
    label_names: list[str]
    scene: dict[str, Any]
    relative_scale_factor: float = 1.0
    holes: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    relative_disparity_offset: float = 0.0
    filtered: bool = True

    def stored_disparity(self, true_disparity: np.ndarray | float) -> np.ndarray | float:
        """What the file stores (1/m) for a true disparity (1/m): ``a * d + b``."""
        return self.relative_scale_factor * true_disparity + self.relative_disparity_offset

    def true_depth(self, depth_read_m: np.ndarray | float) -> np.ndarray | float:
        """The true depth (m) behind a depth read from the file (m): inverts the affine error."""
        return self.relative_scale_factor / (1.0 / np.asarray(depth_read_m, dtype=np.float64) - self.relative_disparity_offset)

    def to_dict(self) -> dict[str, Any]:
        valid = np.isfinite(self.depth_m)
        return {
            "scene": self.scene,
            "relative_scale_factor": self.relative_scale_factor,
            "relative_disparity_offset": self.relative_disparity_offset,
            "relative_scale_meaning": ("stored disparity (1/m) = relative_scale_factor * true disparity + relative_disparity_offset; "
                                       "depth read from the file = 1 / (relative_scale_factor / true depth + relative_disparity_offset)"),
            "filtered": self.filtered,
            "depth_size": [int(self.depth_m.shape[1]), int(self.depth_m.shape[0])],
            "true_depth_range_m": [float(np.nanmin(self.depth_m)), float(np.nanmax(self.depth_m))] if valid.any() else None,
            "hole_fraction": None if self.holes is None else float(self.holes.mean()),
            "holes_stored_as": None if self.holes is None else ("filled from neighbours (Filtered=True)" if self.filtered
                                                                 else "unknown, code 0 (Filtered=False)"),
            "notes": list(self.notes),
        }


@dataclass
class SynthCapture:
    """A rendered capture: what the phone stores (display orientation) and the truth.

    ``rgb`` uint8 (H, W, 3); ``depth_codes`` uint8 (h, w) with ``float_min``/``float_max`` (1/m);
    ``matte_codes`` uint8 (portrait effects matte, 255 = person); ``calibration`` in the display
    frame; ``accuracy`` "relative"|"absolute"; ``camera`` (EXIF facts); ``truth``.
    """

    rgb: np.ndarray
    depth_codes: np.ndarray
    float_min: float
    float_max: float
    matte_codes: np.ndarray
    calibration: Calibration
    accuracy: str
    camera: CameraInfo
    truth: GroundTruth
    name: str = "synthetic"
    filtered: bool = True
    extra_xmp: dict[str, str] = field(default_factory=dict)

    @property
    def relative_scale_factor(self) -> float:
        """``a`` in stored disparity = a * true disparity + b (1.0 for absolute captures)."""
        return self.truth.relative_scale_factor

    @property
    def relative_disparity_offset(self) -> float:
        """``b`` (1/m) in stored disparity = a * true disparity + b (0.0 for absolute captures)."""
        return self.truth.relative_disparity_offset

    @property
    def disparity(self) -> np.ndarray:
        """float32 (h, w) 1/m as a reader decodes it; NaN where the stored disparity is <= 0."""
        scale = np.float32((self.float_max - self.float_min) / 255.0)
        d = self.depth_codes.astype(np.float32) * scale + np.float32(self.float_min)
        d[~(d > 0)] = np.nan
        return d

    @property
    def matte(self) -> np.ndarray:
        return self.matte_codes.astype(np.float32) / np.float32(255.0)

    def to_capture(self) -> Capture:
        """The in-memory :class:`~depthlab.Capture` of what the file holds (no file needed)."""
        cap = Capture(
            disparity=self.disparity,
            calibration=self.calibration,
            accuracy=self.accuracy,
            camera=self.camera,
            encoding=DepthEncoding(quantity="disparity", bits=8, float_min=self.float_min,
                                   float_max=self.float_max, format="L008 from hdis"),
            mattes={"portrait": self.matte},
            format="synthetic (in memory)",
            metadata={"truth": self.truth.to_dict()},
        )
        cap.set_rgb(self.rgb)
        return cap


# --------------------------------------------------------------------------------------------
# lens distortion in Apple's coefficient form
# --------------------------------------------------------------------------------------------


def apply_radial(r: np.ndarray, coeffs: np.ndarray, pixel_size_mm: float) -> np.ndarray:
    """``r' = r / (1 + P((r * pixel_size_mm)**2) / 100)``: Apple's radial model as
    :func:`depthlab.camera.radial_scale` applies it (the one implementation).

    Convention: radii in reference-size pixels from the distortion centre; float64.
    """
    from ..camera import radial_scale

    r = np.asarray(r, dtype=np.float64)
    return r * radial_scale(np.asarray(coeffs, dtype=np.float64), r, pixel_size_mm)


def fit_inverse_coefficients(forward: np.ndarray, pixel_size_mm: float, r_max: float) -> np.ndarray:
    """Eight coefficients (c0 = 0) whose :func:`apply_radial` undoes ``forward`` on [0, r_max].

    Least squares on ``P_inv(t_f) = 100 (r_f / r - 1)`` with ``r_f`` the forward image of ``r``
    and ``t_f = (r_f * pixel_size_mm)**2``; the powers of ``t`` are scaled to [0, 1] for
    conditioning.
    """
    r = np.linspace(r_max * 1e-3, r_max * 1.05, 2000)
    rf = apply_radial(r, forward, pixel_size_mm)
    tf = (rf * pixel_size_mm) ** 2
    t_max = float(tf.max())
    a = np.stack([(tf / t_max) ** i for i in range(1, 8)], axis=1)
    target = 100.0 * (rf / r - 1.0)
    b, *_ = np.linalg.lstsq(a, target, rcond=None)
    return np.concatenate([[0.0], b / t_max ** np.arange(1, 8)])


def _f32(x: Any) -> np.ndarray:
    """Round to float32 and back (Apple stores calibration as float32)."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


# --------------------------------------------------------------------------------------------
# camera rays and image helpers
# --------------------------------------------------------------------------------------------


def pixel_rays(calibration: Calibration, width: int, height: int, distorted: bool) -> np.ndarray:
    """Ray directions (H*W, 3) with d_z = 1 through the centres of a ``width`` x ``height`` grid.

    Convention: pixel (u, v) of the grid covers reference coordinates
    ``((u + 0.5) * ref_w / W, (v + 0.5) * ref_h / H)`` (corner origin) at its centre.  With
    ``distorted`` the stored pixel positions are distorted ones and are moved to rectilinear with
    the calibration's *inverse* coefficients before the pinhole model is applied.
    """
    rw, rh = calibration.reference_size
    x = (np.arange(width) + 0.5) * (rw / width)
    y = (np.arange(height) + 0.5) * (rh / height)
    xx, yy = np.meshgrid(x, y)
    if distorted and calibration.has_distortion:
        cx0, cy0 = calibration.distortion_center
        dx, dy = xx - cx0, yy - cy0
        r = np.hypot(dx, dy)
        ru = apply_radial(r, calibration.inverse_lens_distortion, calibration.pixel_size_mm)
        ratio = np.divide(ru, r, out=np.ones_like(r), where=r > 0)
        xx, yy = cx0 + dx * ratio, cy0 + dy * ratio
    k = calibration.intrinsic_matrix
    dirs = np.stack([(xx - k[0, 2]) / k[0, 0], (yy - k[1, 2]) / k[1, 1], np.ones_like(xx)], axis=-1)
    return dirs.reshape(-1, 3)


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of a float (H, W) array, edges extended, NaN-free input."""
    if sigma <= 0:
        return img.copy()
    radius = int(np.ceil(3 * sigma))
    x = np.arange(-radius, radius + 1)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    k /= k.sum()
    out = img.astype(np.float64)
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (radius, radius)
        p = np.pad(out, pad, mode="edge")
        n = out.shape[axis]
        acc = np.zeros_like(out)
        for i, w in enumerate(k):
            acc += w * (p[i:i + n] if axis == 0 else p[:, i:i + n])
        out = acc
    return out


def fill_holes(values: np.ndarray, holes: np.ndarray) -> np.ndarray:
    """Fill ``holes`` of a float (H, W) map from their measured neighbours, ring by ring: each
    pass gives every hole pixel touching a known one the mean of its known 8-neighbours.

    A stand-in for the hole filling Apple's depth filtering does (``Filtered`` True); no
    claim that Apple fills this way.  Returns a new float64 array; ``values`` at non-holes kept.
    """
    out = np.asarray(values, dtype=np.float64).copy()
    known = ~np.asarray(holes, dtype=bool)
    if not known.any():
        raise InvalidInputError("nothing measured to fill the holes from")
    h, w = out.shape
    while not known.all():
        v = np.pad(np.where(known, out, 0.0), 1)
        k = np.pad(known.astype(np.float64), 1)
        total = np.zeros((h, w))
        count = np.zeros((h, w))
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                if dy == 1 and dx == 1:
                    continue
                total += v[dy:dy + h, dx:dx + w]
                count += k[dy:dy + h, dx:dx + w]
        ring = ~known & (count > 0)
        out[ring] = total[ring] / count[ring]
        known = known | ring
    return out


def shade(scene: Scene, hits, background=(0.55, 0.6, 0.68)) -> np.ndarray:
    light = np.asarray(scene.light, dtype=np.float64)
    light /= np.linalg.norm(light)
    lambert = np.clip(hits.normal @ light, 0.0, 1.0)
    # the rays point away from the camera; surfaces face it, so light comes from the camera side
    shade = 0.38 + 0.62 * lambert
    rgb = hits.albedo * shade[:, None]
    rgb[hits.label == 0] = background
    return np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)


def area_down(img: np.ndarray, f: int) -> np.ndarray:
    h, w = img.shape[:2]
    return img.reshape(h // f, f, w // f, f, *img.shape[2:]).mean(axis=(1, 3))


def fitted_range(disparity: np.ndarray, *, holes: np.ndarray | None = None) -> tuple[float, float]:
    """The stored range (FloatMin, FloatMax, 1/m) an iPhone writes for a disparity map: the map's
    own smallest and largest disparity, each rounded outward to a float16 number.

    The rule, as the real files follow it (``/work/shared/samples``): every Apple depth item seen
    stores the disparity of *its* scene, not a fixed span.  The front TrueDepth selfie (face
    0.27 m, background 1.97 m away) stores FloatMin/Max 0.508301/3.767578 = 1/1.967 m .. 1/0.2654 m
    and uses all 256 codes; the rear dual files store 1.498047/4.382812 (252 codes used),
    0.536621/3.566406 (255) and 0.229614/4.835938 (256).  In each, code 0 is the farthest pixel and
    code 255 the nearest, and both ends are float16 numbers (the native format is half-float
    disparity, ``hdis``).  So FloatMin = the smallest disparity, FloatMax = the largest, both as
    halves; rounding outward keeps every value inside the range.  (The iPhone 12 mini portrait JPEG
    piles 1.1 % of its pixels on code 255, ten times its neighbours' counts: there the nearest
    pixels are clipped at FloatMax.  The front file and the HEICs show no pile-up at either end, and
    the samples follow them: no clipping.)

    ``holes`` (pixels stored as unknown, an unfiltered map): they are left out of the fit, and
    FloatMin is 0 so that their code 0 reads as disparity 0, i.e. unknown.

    >>> fitted_range(1 / np.array([[0.27, 1.97]]))  # a face 0.27 m away, a wall 1.97 m away
    (0.50732421875, 3.705078125)
    >>> fitted_range(np.array([[0.0, 0.8, 1.3]]), holes=np.array([[True, False, False]]))
    (0.0, 1.30078125)
    """
    values = np.asarray(disparity, dtype=np.float64)
    if holes is not None:
        values = values[~np.asarray(holes, dtype=bool)]
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise InvalidInputError("no measured disparity to fit the stored range to")
    lo = 0.0 if holes is not None else float(values.min())
    hi = float(values.max())
    a = np.float16(lo)
    if float(a) > lo:
        a = np.nextafter(a, np.float16(-np.inf))
    b = np.float16(hi)
    if float(b) < hi:
        b = np.nextafter(b, np.float16(np.inf))
    if not float(a) < float(b):  # a flat scene: one code step above it
        b = np.nextafter(b, np.float16(np.inf))
    return float(a), float(b)


def _codes(disparity: np.ndarray, fmin: float, fmax: float) -> np.ndarray:
    v = np.round((disparity - fmin) / (fmax - fmin) * 255.0)
    return np.clip(np.nan_to_num(v, nan=0.0), 0, 255).astype(np.uint8)


def check_size(name: str, size: tuple[int, int]) -> tuple[int, int]:
    w, h = (int(v) for v in size)
    if w < 64 or h < 64 or w % 2 or h % 2:
        raise InvalidInputError(f"{name} must have even sides of at least 64 pixels (what x265 codes without a crop), got {size}")
    return w, h


# --------------------------------------------------------------------------------------------
# the cameras
# --------------------------------------------------------------------------------------------


def rear_calibration(colour_size: tuple[int, int] = (1536, 1152)) -> Calibration:
    """A 26 mm-equivalent rear wide camera at ``colour_size`` (landscape), with lens distortion.

    The sensor is 7.5 mm wide (PixelSize = 7.5 mm / width); the forward coefficients give a
    radial change of about 1.5 % in the corners; the inverse set is fitted to them.

    Convention: reference size = ``colour_size``; intrinsics and distortion centre in reference
    pixels, corner origin (Apple's); every number is a float32 value, as Apple stores them.
    """
    w, h = colour_size
    diag = float(np.hypot(w, h))
    f = float(np.round(26.0 * diag / 43.2666 * 4) / 4)  # 35 mm-equivalent -> pixels, to 1/4 px
    pixel = 7.5 / w
    k = _f32([[f, 0, w / 2 + 3.25 * w / 1536], [0, f, h / 2 - 2.5 * h / 1152], [0, 0, 1]])
    centre = tuple(_f32([w / 2 + 1.75 * w / 1536, h / 2 - 1.25 * h / 1152]).tolist())
    # P(t) = -0.085 t + 0.0009 t**2 in t = rho**2 (mm**2): the lens of the earlier samples
    forward = _f32([0.0, -0.085, 0.0009, 0.0, 0.0, 0.0, 0.0, 0.0])
    r_max = float(np.hypot(w, h)) / 2 + 10
    inverse = _f32(fit_inverse_coefficients(forward, pixel, r_max))
    return Calibration(
        intrinsic_matrix=k, reference_size=(w, h), lens_distortion=forward,
        inverse_lens_distortion=inverse, distortion_center=centre, pixel_size_mm=float(_f32(pixel)),
        extrinsic_matrix=np.hstack([np.eye(3), np.zeros((3, 1))]), source="synthetic (depthlab.synth)",
    )


def front_calibration(colour_size: tuple[int, int] = (960, 1280)) -> Calibration:
    """A 30 mm-equivalent front TrueDepth camera at ``colour_size`` (portrait), square pixels,
    principal point at the image centre, all distortion coefficients zero (as the real file).

    Convention: as :func:`rear_calibration` (reference size = ``colour_size``, corner origin).
    """
    w, h = colour_size
    diag = float(np.hypot(w, h))
    f = float(np.round(30.0 * diag / 43.2666 * 4) / 4)
    pixel = 2.5 / 1024 * 1280 / max(w, h)
    return Calibration(
        intrinsic_matrix=_f32([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]]), reference_size=(w, h),
        lens_distortion=np.zeros(8), inverse_lens_distortion=np.zeros(8), distortion_center=(w / 2, h / 2),
        pixel_size_mm=float(_f32(pixel)), extrinsic_matrix=np.hstack([np.eye(3), np.zeros((3, 1))]),
        source="synthetic (depthlab.synth)",
    )


def _matte(scene: Scene, labels: np.ndarray, sigma: float) -> np.ndarray:
    person_ids = [i for i, n in enumerate(scene.labels) if n in scene.person]
    m = np.isin(labels, person_ids).astype(np.float64)
    m = gaussian_blur(m, sigma) if sigma > 0 else m
    return np.clip(np.round(m * 255.0), 0, 255).astype(np.uint8)


def render_rear_dual(scene: Scene | None = None, *, depth_size: tuple[int, int] = (768, 576),
                     colour_size: tuple[int, int] = (1536, 1152), relative_scale_factor: float = 0.8,
                     relative_disparity_offset: float = 0.1, blur_px: float = 2.0) -> SynthCapture:
    """Render ``scene`` (default :func:`portrait_scene`) as an iPhone rear dual camera stores it.

    The depth is what a stereo pair gives: disparity (1/m), wrong by a scale and an offset as a
    relative-accuracy capture may be (``stored = relative_scale_factor * true +
    relative_disparity_offset``, 1/m), smoothed by a Gaussian of ``blur_px`` depth pixels (soft at
    depth edges), quantised to 8 bits over float16 FloatMin/Max.  Colour and depth
    are rendered through the stored lens distortion (see the module docstring for the direction).
    """
    scene = scene or portrait_scene()
    dw, dh = check_size("depth_size", depth_size)
    cw, ch = check_size("colour_size", colour_size)
    if not (np.isfinite(relative_scale_factor) and relative_scale_factor > 0):
        raise InvalidInputError(f"relative_scale_factor must be positive, got {relative_scale_factor}")
    if not (np.isfinite(relative_disparity_offset) and relative_disparity_offset >= 0):
        raise InvalidInputError(f"relative_disparity_offset must be >= 0 (1/m; negative would push far things past infinity), "
                                f"got {relative_disparity_offset}")
    cal = rear_calibration((cw, ch))
    hits = cast(scene, pixel_rays(cal, dw, dh, distorted=True))
    depth = hits.depth.reshape(dh, dw).astype(np.float32)
    labels = hits.label.reshape(dh, dw)
    far = np.nanmax(depth) if np.isfinite(depth).any() else 1.0
    true_disp = 1.0 / np.where(np.isfinite(depth), depth, far * 4).astype(np.float64)
    stored = gaussian_blur(true_disp * relative_scale_factor + relative_disparity_offset, blur_px)
    fmin, fmax = fitted_range(stored)
    codes = _codes(stored, fmin, fmax)
    colour_hits = cast(scene, pixel_rays(cal, cw, ch, distorted=True))
    rgb = shade(scene, colour_hits).reshape(ch, cw, 3)
    matte = _matte(scene, labels, sigma=1.0)
    f35 = 26.0
    camera = CameraInfo(kind="rear dual", make="depthlab", model="synthetic rear dual camera",
                        lens_model=f"depthlab synthetic back dual wide camera {cal.fx * cal.pixel_size_mm:.2f}mm f/1.6",
                        focal_length_mm=round(cal.fx * cal.pixel_size_mm, 2), focal_length_35mm=f35)
    truth = GroundTruth(depth_m=depth, labels=labels, label_names=scene.labels, scene=scene.to_dict(),
                        relative_scale_factor=float(relative_scale_factor),
                        relative_disparity_offset=float(relative_disparity_offset),
                        notes=[f"stored disparity = {relative_scale_factor} x true disparity + {relative_disparity_offset} 1/m, "
                               f"Gaussian-smoothed (sigma {blur_px} px)",
                               "depth and colour rendered through the stored lens distortion: stored pixels are distorted; "
                               "InverseLensDistortionCoefficients take them to the rectilinear image"])
    return SynthCapture(rgb=rgb, depth_codes=codes, float_min=fmin, float_max=fmax, matte_codes=matte,
                        calibration=cal, accuracy="relative", camera=camera, truth=truth, name="rear_dual")


def render_front_truedepth(scene: Scene | None = None, *, depth_size: tuple[int, int] = (480, 640),
                           colour_size: tuple[int, int] = (960, 1280), grazing_cos: float = 0.3, dropout: float = 0.003,
                           seed: int = DEFAULT_SEED, filtered: bool = True) -> SynthCapture:
    """Render ``scene`` (default :func:`selfie_scene`) as the front TrueDepth camera stores it.

    Absolute disparity, no smoothing.  The projected pattern fails on surfaces seen at grazing
    angles (|cos| < ``grazing_cos``), dark hair, and a fraction ``dropout`` of random pixels
    (``seed``): ``truth.holes``.  ``filtered`` (the Camera app's photos, ``Filtered`` True) fills
    them from their neighbours (:func:`fill_holes`); ``filtered=False`` (an unfiltered stream)
    stores them as code 0 with FloatMin = 0, i.e. disparity 0: unknown.  The stored range is the
    scene's own (:func:`fitted_range`): code 255 is the nearest pixel, and code 0 the farthest
    (filtered) or a hole (unfiltered).
    """
    scene = scene or selfie_scene()
    dw, dh = check_size("depth_size", depth_size)
    cw, ch = check_size("colour_size", colour_size)
    cal = front_calibration((cw, ch))
    rays = pixel_rays(cal, dw, dh, distorted=False)
    hits = cast(scene, rays)
    depth = hits.depth.reshape(dh, dw).astype(np.float32)
    labels = hits.label.reshape(dh, dw)
    view = rays / np.linalg.norm(rays, axis=1, keepdims=True)
    cos = np.abs(np.einsum("ij,ij->i", view, hits.normal)).reshape(dh, dw)
    rng = np.random.default_rng(seed)
    hair = np.isin(labels, [i for i, n in enumerate(scene.labels) if n == "hair"])
    holes = (cos < grazing_cos) | hair | (rng.random((dh, dw)) < dropout) | ~np.isfinite(depth)
    disp = np.where(holes, 0.0, 1.0 / np.where(np.isfinite(depth), depth, 1.0))
    if filtered:
        disp = fill_holes(disp, holes)
    fmin, fmax = fitted_range(disp, holes=None if filtered else holes)
    codes = _codes(disp, fmin, fmax)
    if not filtered:
        codes[holes] = 0
    colour_hits = cast(scene, pixel_rays(cal, cw, ch, distorted=False))
    rgb = shade(scene, colour_hits).reshape(ch, cw, 3)
    matte = _matte(scene, labels, sigma=0.7)
    camera = CameraInfo(kind="front TrueDepth", make="depthlab", model="synthetic TrueDepth camera",
                        lens_model=f"depthlab synthetic front TrueDepth camera {cal.fx * cal.pixel_size_mm:.2f}mm f/1.9",
                        focal_length_mm=round(cal.fx * cal.pixel_size_mm, 2), focal_length_35mm=30.0)
    truth = GroundTruth(depth_m=depth, labels=labels, label_names=scene.labels, scene=scene.to_dict(),
                        relative_scale_factor=1.0, holes=holes, filtered=bool(filtered),
                        notes=["holes: grazing angles, dark hair, random dropouts; "
                               + ("filled from their measured neighbours, as a filtered map (Filtered=True) is"
                                  if filtered else "stored as code 0 = disparity 0 (unknown): an unfiltered map (Filtered=False)")])
    return SynthCapture(rgb=rgb, depth_codes=codes, float_min=fmin, float_max=fmax, matte_codes=matte, calibration=cal, accuracy="absolute", camera=camera, truth=truth,
                        name="front_truedepth", filtered=bool(filtered))
