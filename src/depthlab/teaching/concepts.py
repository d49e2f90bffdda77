"""Small measurements the teaching notebooks print, as functions (notebooks only call them).

Each returns a small dataclass whose ``str()`` is the sentence a notebook shows, so the numbers
stay inspectable (``report.step_per_m``) and the prose stays in one tested place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..capture import Capture
from ..errors import InvalidInputError
from ..settings import PINHOLE, PINHOLE_RAW


@dataclass(frozen=True)
class Quantisation:
    """How coarse the stored depth is.

    Convention: for codes even in disparity with step ``s`` (1/m) -- Apple's 8-bit disparity and
    GDepth ``RangeInverse`` -- one code at depth ``z`` (m) is ``z**2 * s`` to first order
    (d(1/D)/dD = -1/D**2) and exactly ``1 / (1/z - s) - z`` to the next code farther away; for
    GDepth ``RangeLinear`` one code is ``(far - near) / codes`` of depth everywhere.  Rows are
    only given at depths the map can encode: ``near_m`` .. ``far_m`` (1/FloatMax .. 1/FloatMin).
    """

    levels: int  # distinct values present in the map
    step_per_m: float | None  # one stored code, in 1/m, for codes even in disparity
    depth_steps_m: tuple[tuple[float, float, float], ...]  # (depth m, first-order step m, exact step m)
    near_m: float | None = None
    far_m: float | None = None  # math.inf when FloatMin is 0 (disparity 0 = infinitely far)
    linear_step_m: float | None = None  # one code in depth, for codes even in depth (RangeLinear)
    unit: str = "m"
    bits: int | None = None  # bits per stored code

    def _len(self, v: float) -> str:
        if self.unit != "m":
            return f"{v:.3g} {self.unit}"
        return f"{100 * v:6.2f} cm" if v >= 0.01 else f"{1000 * v:6.2f} mm"  # under a centimetre in mm

    def __str__(self) -> str:
        u = self.unit
        rng = ""
        if self.near_m is not None and self.far_m is not None:
            far = "∞" if not np.isfinite(self.far_m) else f"{self.far_m:.3g}"
            rng = f"; the map encodes {self.near_m:.3g}–{far} {u}"
        used = (f"{self.levels} of the {2 ** self.bits} possible {self.bits}-bit codes are used" if self.bits
                else f"{self.levels} distinct values")
        if self.linear_step_m is not None:
            return (f"{used}; codes are even in depth: one step = "
                    f"{self._len(self.linear_step_m).strip()} at every distance{rng}")
        if self.step_per_m is None:
            return f"{used}; the stored step is unknown{rng}"
        lines = [f"{used}; codes are even in disparity: one step = {self.step_per_m:.4g} 1/{u}{rng}"]
        lines += [f"  at {z:4.3g} {u} one step is {self._len(dz)} of depth (first order z²·s; exactly {self._len(ex)} to the next code farther)"
                  for z, dz, ex in self.depth_steps_m]
        return "\n".join(lines)


def _depth_steps(step: float, near: float, far: float, depths_m: Sequence[float] | None) -> tuple:
    if depths_m is None:
        depths_m = (0.3, 0.5, 1.0, 2.0, 4.0)
    zs = [float(z) for z in depths_m if near <= float(z) <= far]
    if len(zs) < 2:  # too few of the usual distances to show the growth: nearest, middle and farthest encodable
        top = far if np.isfinite(far) else 4 * near
        zs = [near, float(np.sqrt(near * top)), top]
    rows = []
    for z in zs:
        inv = 1.0 / z - step
        rows.append((z, z * z * step, (1.0 / inv - z) if inv > 0 else float("inf")))
    return tuple(rows)


def quantisation(cap: Capture, *, depths_m: Sequence[float] | None = None) -> Quantisation:
    """Distinct stored levels and the depth change one code means at several distances.

    ``depths_m`` (default 0.3, 0.5, 1, 2, 4 m) are kept only where the map can encode them; when
    fewer than two are, the rows are at the nearest, the middle (geometric mean) and the farthest
    depth the map encodes.
    Apple disparity: step ``(FloatMax - FloatMin) / 255`` in 1/m.  GDepth ``RangeInverse``
    (codes even in 1/depth): step ``(1/near - 1/far) / codes``; ``RangeLinear``: ``(far - near)
    / codes`` of depth.  GDepth without ``Units`` is in its own unit ("units", not metres).

    >>> import depthlab
    >>> from depthlab.teaching.concepts import quantisation
    >>> q = quantisation(depthlab.open("data/sample/rear_dual.heic"))
    >>> round(q.step_per_m, 4)
    0.0021
    """
    d = cap.disparity[np.isfinite(cap.disparity)]
    levels = int(np.unique(d).size)
    enc = cap.encoding
    if enc is None:
        return Quantisation(levels, None, ())
    codes = enc.int_max - enc.int_min
    if enc.quantity == "disparity" and enc.step:
        lo, hi = enc.float_min, enc.float_max
        near = 1.0 / hi
        far = float("inf") if lo <= 0 else 1.0 / lo
        return Quantisation(levels, enc.step, _depth_steps(enc.step, near, far, depths_m), near, far, bits=enc.bits)
    if enc.near is not None and enc.far is not None and codes > 0:
        unit = cap.depth_unit
        if enc.format == "RangeInverse":
            step = (1.0 / enc.near - 1.0 / enc.far) / codes
            if depths_m is None:
                depths_m = [enc.near * (enc.far / enc.near) ** t for t in (0.0, 0.25, 0.5, 0.75, 1.0)]
            return Quantisation(levels, step, _depth_steps(step, enc.near, enc.far, depths_m), enc.near, enc.far,
                                unit=unit, bits=enc.bits)
        if enc.format == "RangeLinear":
            return Quantisation(levels, None, (), enc.near, enc.far, linear_step_m=(enc.far - enc.near) / codes,
                                unit=unit, bits=enc.bits)
    return Quantisation(levels, None, ())


@dataclass(frozen=True)
class ScaleCheck:
    """The file's depth against the true depth of a synthetic scene."""

    name: str
    accuracy: str | None
    ratio: float  # median of (depth read from the file / true depth) over pixels valid in both
    by_depth: tuple[tuple[float, float], ...] = ()  # (true depth m, median ratio of the pixels near it)

    def __str__(self) -> str:
        line = f"{self.name:5s} ({self.accuracy}): depth read from the file / true depth = {self.ratio:.3f} (median)"
        if self.by_depth:
            line += "; by true depth: " + ", ".join(f"{r:.3f} at {z:.1f} m" for z, r in self.by_depth)
        return line


def scale_against_truth(cap: Capture, truth: Any, *, name: str = "") -> ScaleCheck:
    """Median ratio of the capture's depth to ground truth (``truth.depth_m``, same grid).

    Convention: both maps in metres on the same pixel grid (display orientation); pixels where
    either is unknown are left out.  An absolute capture gives ~1; a relative one the inverse of
    its stored scale factor.
    """
    true = np.asarray(truth.depth_m, dtype=np.float32)
    if true.shape != cap.shape:
        raise InvalidInputError(f"ground truth is {true.shape[1]}x{true.shape[0]}, the capture {cap.size[0]}x{cap.size[1]}")
    ok = np.isfinite(cap.depth) & np.isfinite(true) & (true > 0)
    if not ok.any():
        raise InvalidInputError("no pixel has both a measured and a true depth")
    r = cap.depth[ok] / true[ok]
    by_depth = []
    for z in sorted({round(float(q), 1) for q in np.percentile(true[ok], (5, 50, 95))}):
        near = np.abs(true[ok] - z) <= 0.05
        if near.sum() >= 50:
            by_depth.append((z, float(np.median(r[near]))))
    return ScaleCheck(name or (cap.path.stem if cap.path else "capture"), cap.accuracy, float(np.median(r)),
                      tuple(by_depth))


@dataclass(frozen=True)
class AffineDisparity:
    """A relative capture's error as Apple's ``AVDepthData.Accuracy`` documentation describes it:
    a focal-length error scales depth, a principal-point error offsets disparity, so

        stored disparity = scale * true disparity + offset_per_m        (1/m)

    Convention: disparity in 1/m, depth in m; ``rms_per_m`` is the fit's residual (1/m) over the
    ``n`` pixels (or points) it used.
    """

    scale: float
    offset_per_m: float
    rms_per_m: float = 0.0
    n: int = 0

    def true_depth(self, depth_read_m: Any) -> Any:
        """Correct a depth read from the file (m) into metres: ``scale / (1/read - offset)``."""
        read = np.asarray(depth_read_m, dtype=np.float64)
        return self.scale / (1.0 / read - self.offset_per_m)

    def __str__(self) -> str:
        fit = f" (rms {self.rms_per_m:.4f} 1/m over {self.n} pixels)" if self.n > 2 else ""
        return f"stored disparity = {self.scale:.3f} x true disparity {self.offset_per_m:+.3f} 1/m{fit}"


def fit_affine_disparity(cap: Capture, truth: Any) -> AffineDisparity:
    """Least-squares ``scale`` and ``offset`` of the stored disparity against the true one.

    Convention: both maps on the same pixel grid (display orientation), true depth in metres;
    pixels unknown in either are left out, then pixels whose residual exceeds 3x the median
    absolute residual (depth edges, where the stored map is smoothed) and the fit is repeated.
    """
    true = np.asarray(truth.depth_m, dtype=np.float64)
    if true.shape != cap.shape:
        raise InvalidInputError(f"ground truth is {true.shape[1]}x{true.shape[0]}, the capture {cap.size[0]}x{cap.size[1]}")
    d = np.asarray(cap.disparity, dtype=np.float64)
    ok = np.isfinite(d) & np.isfinite(true) & (true > 0)
    if ok.sum() < 3:
        raise InvalidInputError("fewer than three pixels have both a stored and a true depth")
    x, y = 1.0 / true[ok], d[ok]
    keep = np.ones(x.size, dtype=bool)
    for _ in range(2):
        a, b = np.polyfit(x[keep], y[keep], 1)
        res = y - (a * x + b)
        mad = float(np.median(np.abs(res[keep])))
        keep = np.abs(res) <= max(3 * mad, 1e-9)
    a, b = np.polyfit(x[keep], y[keep], 1)
    rms = float(np.sqrt(np.mean((y[keep] - (a * x[keep] + b)) ** 2)))
    return AffineDisparity(float(a), float(b), rms, int(keep.sum()))


def affine_from_two_distances(disparity_1: float, distance_1_m: float,
                              disparity_2: float, distance_2_m: float) -> AffineDisparity:
    """The scale and offset from two points whose true distance was measured (a tape measure).

    Solves ``d_i = scale / z_i + offset`` for the stored disparities ``d_i`` (1/m) at true depths
    ``z_i`` (m, along the optical axis).  The two depths must differ.

    >>> from depthlab.teaching.concepts import affine_from_two_distances
    >>> fit = affine_from_two_distances(1.35, 1.0, 0.6, 2.5)
    >>> round(fit.scale, 3), round(fit.offset_per_m, 3)
    (1.25, 0.1)
    """
    z1, z2 = float(distance_1_m), float(distance_2_m)
    if not (z1 > 0 and z2 > 0) or abs(1 / z1 - 1 / z2) < 1e-9:
        raise InvalidInputError(f"two different positive distances are needed, got {z1} m and {z2} m")
    scale = (float(disparity_1) - float(disparity_2)) / (1 / z1 - 1 / z2)
    offset = float(disparity_1) - scale / z1
    return AffineDisparity(scale, offset, 0.0, 2)


def two_measurements(cap: Capture, truth: Any, *, labels: tuple[str, str] = ("head", "wall"),
                     margin: int = 6) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two "tape-measured" points: for each part, the pixel nearest the middle of its interior
    (at least ``margin`` pixels from any other part, so the stored map is not smoothed there)
    gives ``(true depth m, stored disparity 1/m)``."""
    names = list(truth.label_names)
    lab = np.asarray(truth.labels)
    out = []
    for name in labels:
        if name not in names:
            raise InvalidInputError(f"no part called {name!r}; the scene has {', '.join(names)}")
        inner = lab == names.index(name)
        for axis in (0, 1):
            for shift in range(-margin, margin + 1):
                inner = inner & np.roll(lab == names.index(name), shift, axis=axis)
        inner &= np.isfinite(cap.disparity) & np.isfinite(truth.depth_m)
        v, u = np.nonzero(inner)
        if v.size == 0:
            raise InvalidInputError(f"the {name} has no interior pixel")
        i = int(np.argmin((v - np.median(v)) ** 2 + (u - np.median(u)) ** 2))
        out.append((float(truth.depth_m[v[i], u[i]]), float(cap.disparity[v[i], u[i]])))
    return out[0], out[1]


@dataclass(frozen=True)
class DistortionShift:
    """How far removing the lens distortion moves the points of a capture."""

    max_mm: float
    median_mm: float
    relative: bool = False  # the capture's scale is relative: "mm" are thousandths of its own unit

    def __str__(self) -> str:
        unit = "thousandths of the capture's unit" if self.relative else "mm"
        note = " (relative depth: its unit is not a metre)" if self.relative else ""
        return (f"removing the lens distortion moves points by up to {self.max_mm:.1f} {unit} "
                f"(median {self.median_mm:.1f}){note}")


def distortion_shift(cap: Capture, *, stride: int = 2) -> DistortionShift:
    """Distance (mm) between each point projected with and without distortion removal.

    Convention: camera frame, metres in, millimetres out; points where depth is unknown are left
    out.  Needs a calibration that stores a lens-distortion model (an Apple portrait file; all
    zero is a stored model); any other photo is refused, since there is nothing to remove.
    """
    from ..projection import Projector

    cal = cap.calibration
    if cal is None or cal.lens_distortion is None:
        found = "no calibration (intrinsics estimated from EXIF)" if cal is None else f"a calibration from {cal.source}"
        raise InvalidInputError(f"this photo stores no lens distortion model (found {found}), so removing it moves "
                                "nothing; the comparison needs an Apple portrait file, which stores one")
    proj = Projector(cap, stride=stride)
    rectified, valid = proj.points(PINHOLE)
    rectified = rectified.copy()
    valid = valid.copy()
    raw, valid_raw = proj.points(PINHOLE_RAW)
    ok = valid & valid_raw
    if not ok.any():
        raise InvalidInputError("no valid depth to compare")
    shift = 1000.0 * np.linalg.norm(rectified[ok] - raw[ok], axis=1)
    return DistortionShift(float(shift.max()), float(np.median(shift)), cap.accuracy == "relative")


@dataclass(frozen=True)
class DepthSpan:
    """The near and far depth of one labelled part of a synthetic scene."""

    label: str
    near_m: float
    far_m: float

    @property
    def ratio(self) -> float:
        return self.far_m / self.near_m

    def __str__(self) -> str:
        return (f"the {self.label} spans {self.near_m:.3f}-{self.far_m:.3f} m: perspective scales it by "
                f"{self.ratio:.2f}x from front to back")


def depth_span(truth: Any, *, label: str = "head", percentiles: tuple[float, float] = (2.0, 98.0)) -> DepthSpan:
    """Robust near/far true depth (m) of the pixels labelled ``label`` in a ground truth."""
    names = list(truth.label_names)
    if label not in names:
        raise InvalidInputError(f"no part called {label!r}; the scene has {', '.join(names)}")
    part = np.asarray(truth.labels) == names.index(label)
    depth = np.asarray(truth.depth_m)[part]
    depth = depth[np.isfinite(depth)]
    if depth.size == 0:
        raise InvalidInputError(f"the {label} has no valid true depth")
    near, far = np.percentile(depth, percentiles)
    return DepthSpan(label, float(near), float(far))


# --------------------------------------------------------------------------------------------
# Lesson: stereo geometry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StereoShift:
    """Two cameras ``baseline_m`` apart see a point at depth ``Z`` shifted by ``d = f * B / Z``
    pixels (``f`` in pixels).  Apple stores disparity in 1/m, ``D = d / (f * B) = 1 / Z``
    (AVDepthData: "pixelShift / (pixelFocalLength * baselineInMeters)"), so one stored code
    step ``s`` (1/m) is a pixel shift of ``s * f * B``.

    Convention: ``focal_px`` at an image ``width_px`` wide (the calibration's reference size);
    ``depth_width_px`` the depth map's width, where the shift is ``width ratio`` smaller.
    """

    focal_px: float
    width_px: int
    depth_width_px: int
    baseline_m: float
    step_per_m: float
    disparity_range_per_m: tuple[float, float] | None = None  # FloatMin, FloatMax

    @property
    def step_shift_px(self) -> float:
        """One stored code as stereo shift, in pixels of the ``width_px`` image."""
        return self.step_per_m * self.focal_px * self.baseline_m

    @property
    def step_shift_depth_px(self) -> float:
        """The same in pixels of the depth map."""
        return self.step_shift_px * self.depth_width_px / self.width_px

    def shift_px(self, depth_m: Any) -> Any:
        """Stereo shift ``f * B / Z`` (pixels of the ``width_px`` image) of a point at depth ``Z``."""
        return self.focal_px * self.baseline_m / np.asarray(depth_m, dtype=np.float64)

    def depth_m(self, shift_px: Any) -> Any:
        """``Z = f * B / d``: depth (m) of a point shifted by ``d`` pixels."""
        return self.focal_px * self.baseline_m / np.asarray(shift_px, dtype=np.float64)

    @property
    def depth_range_m(self) -> tuple[float, float] | None:
        """(near, far) metres the stored range encodes (far is inf when FloatMin is 0)."""
        if self.disparity_range_per_m is None:
            return None
        lo, hi = self.disparity_range_per_m
        return 1.0 / hi, (1.0 / lo if lo > 0 else float("inf"))

    def shift_of_disparity(self, disparity_per_m: Any) -> Any:
        """Apple's disparity ``D`` (1/m) as the pixel shift it stands for: ``D * f * B``."""
        return np.asarray(disparity_per_m, dtype=np.float64) * self.focal_px * self.baseline_m

    def __str__(self) -> str:
        lines = [f"f = {self.focal_px:.1f} px at {self.width_px} px wide, baseline B = {self.baseline_m * 1000:.0f} mm (assumed)"]
        if self.disparity_range_per_m is not None:
            lo, hi = self.disparity_range_per_m
            far = f"{1 / lo:.3f}" if lo > 0 else "∞"
            lines.append(f"stored disparity {lo:.4g}–{hi:.4g} 1/m = depth {1 / hi:.3f}–{far} m = "
                         f"stereo shift {float(self.shift_of_disparity(lo)):.1f}–{float(self.shift_of_disparity(hi)):.1f} px")
        lines.append(f"one stored code ({self.step_per_m:.4g} 1/m) is a stereo shift of {self.step_shift_px:.3f} px "
                     f"({self.step_shift_depth_px:.3f} px of the {self.depth_width_px} px wide depth map)")
        return "\n".join(lines)


#: rear_dual_pug.heic's numbers (../shared/samples/iphone, its depth item's XMP), so the stereo
#: lesson can use a real file's calibration where that folder is absent; a test checks them.
PUG = {"focal_px": 3032.594, "width_px": 4032, "depth_width_px": 768, "float_min": 1.498047, "float_max": 4.382812}


def stereo_shift(*, focal_px: float, width_px: int, depth_width_px: int, float_min: float, float_max: float,
                 baseline_m: float = 0.01, codes: int = 255) -> StereoShift:
    """:class:`StereoShift` from a calibration's numbers and the stored range (1/m) of 8-bit
    codes; ``baseline_m`` is *assumed* (Apple's files do not store it; 1 cm is the order of the
    distance between an iPhone's rear lenses)."""
    step = (float(float_max) - float(float_min)) / codes
    if not (focal_px > 0 and width_px > 0 and depth_width_px > 0 and step > 0 and baseline_m > 0):
        raise InvalidInputError("focal length, widths, stored range and baseline must all be positive")
    return StereoShift(float(focal_px), int(width_px), int(depth_width_px), float(baseline_m), step,
                       (float(float_min), float(float_max)))


def stereo_shift_of(cap: Capture, *, baseline_m: float = 0.01) -> StereoShift:
    """:func:`stereo_shift` with a capture's stored calibration and disparity step."""
    cal, enc = cap.calibration, cap.encoding
    if cal is None or enc is None or enc.quantity != "disparity" or not enc.step:
        raise InvalidInputError("needs a calibration and 8-bit disparity codes (an Apple portrait file)")
    return stereo_shift(focal_px=cal.fx, width_px=cal.reference_size[0], depth_width_px=cap.size[0],
                        float_min=enc.float_min, float_max=enc.float_max, baseline_m=baseline_m,
                        codes=enc.int_max - enc.int_min)


# --------------------------------------------------------------------------------------------
# Lesson: error propagation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorPropagation:
    """``Z = 1 / D``, so an error ``sigma_D`` in disparity (1/m) is ``sigma_Z ~ Z**2 * sigma_D``
    in depth; rounding to codes of step ``s`` is a uniform error of width ``s``: ``sigma_D =
    s / sqrt(12)``.  Laterally ``X = x_n * Z`` (``x_n`` the ray's slope), so ``sigma_X = |x_n| *
    sigma_Z``: smaller than ``sigma_Z`` only where ``|x_n| < 1``, i.e. within 45° of the axis
    (a frame whose half-field is under 45°).  ``measured`` holds (depth m, predicted sigma_Z m,
    measured sigma_Z m, pixels) from a ground truth.
    """

    step_per_m: float
    edge_slope: float  # |x_n| at the image's left/right edge
    measured: tuple[tuple[float, float, float, int], ...] = ()
    top_slope: float = 0.0  # |y_n| at the top/bottom edge
    corner_slope: float = 0.0  # the ray's slope sqrt(x_n² + y_n²) in the farthest corner
    width_is_short: bool = True  # the left/right edges are the short ones (a portrait frame)

    @property
    def sigma_disparity(self) -> float:
        return self.step_per_m / float(np.sqrt(12.0))

    def sigma_depth(self, depth_m: Any) -> Any:
        return np.asarray(depth_m, dtype=np.float64) ** 2 * self.sigma_disparity

    def sigma_lateral(self, depth_m: Any) -> Any:
        return self.edge_slope * self.sigma_depth(depth_m)

    def __str__(self) -> str:
        lines = [f"quantisation: s = {self.step_per_m:.4g} 1/m, sigma_D = s/sqrt(12) = {self.sigma_disparity:.5f} 1/m"]
        for z, pred, meas, n in self.measured:
            lines.append(f"  at {z:.2f} m: predicted sigma_Z = Z²·sigma_D = {pred * 1000:.2f} mm, "
                         f"measured against the truth {meas * 1000:.2f} mm ({n} pixels)")
        if self.measured:
            z = self.measured[-1][0]
            short, long_ = ("left/right", "top/bottom") if self.width_is_short else ("top/bottom", "left/right")
            s_short, s_long = ((self.edge_slope, self.top_slope) if self.width_is_short
                               else (self.top_slope, self.edge_slope))
            lines.append(f"  laterally sigma_X = |x/z|·sigma_Z: |x/z| = {s_short:.2f} at the short ({short}) edges, "
                         f"{s_long:.2f} at the long ({long_}) edges, {self.corner_slope:.2f} in the corners")
            inside = "under" if self.corner_slope < 1 else "over"
            lines.append(f"  the corner ray is {np.degrees(np.arctan(self.corner_slope)):.1f}° off the axis, {inside} 45°: "
                         f"at {z:.2f} m sigma_X reaches {self.corner_slope * self.sigma_depth(z) * 1000:.2f} mm in a corner, "
                         f"{'below' if self.corner_slope < 1 else 'above'} sigma_Z = {self.sigma_depth(z) * 1000:.2f} mm")
        return "\n".join(lines)


def error_propagation(cap: Capture, truth: Any = None, *, depths_m: Sequence[float] = (0.4, 0.6, 0.9),
                      bin_m: float = 0.05) -> ErrorPropagation:
    """The quantisation error budget of an absolute capture, checked against ``truth``.

    For each depth, the pixels whose true depth lies within ``bin_m / 2`` of it (measured pixels
    only: ``truth.holes`` left out) give the measured standard deviation of (depth read - true).
    Convention: metres, 1/m; ``cap`` and ``truth`` on the same grid.
    """
    enc, cal = cap.encoding, cap.calibration
    if enc is None or enc.quantity != "disparity" or not enc.step:
        raise InvalidInputError("needs disparity codes with a known step (an Apple portrait file)")
    edge = top = 0.0
    if cal is not None:
        k = cal.intrinsics_at(*cap.size)
        edge = float(max(k[0, 2] + 0.5, cap.size[0] - 0.5 - k[0, 2]) / k[0, 0])
        top = float(max(k[1, 2] + 0.5, cap.size[1] - 0.5 - k[1, 2]) / k[1, 1])
    rows = []
    if truth is not None:
        true = np.asarray(truth.depth_m, dtype=np.float64)
        ok = np.isfinite(true) & np.isfinite(cap.depth)
        if getattr(truth, "holes", None) is not None:
            ok &= ~np.asarray(truth.holes, dtype=bool)
        err = cap.depth.astype(np.float64) - true
        sd = enc.step / np.sqrt(12.0)
        for z in depths_m:
            sel = ok & (np.abs(true - z) <= bin_m / 2)
            if sel.sum() >= 50:
                rows.append((float(z), float(z * z * sd), float(np.std(err[sel])), int(sel.sum())))
    return ErrorPropagation(float(enc.step), edge, tuple(rows), top, float(np.hypot(edge, top)),
                            cap.size[0] <= cap.size[1])


@dataclass(frozen=True)
class FilledHoles:
    """Pixels the sensor did not measure but the stored (filtered) map fills in, against the truth."""

    share: float  # of the map's valid pixels
    median_error_m: float
    max_error_m: float

    def __str__(self) -> str:
        return (f"{self.share * 100:.1f}% of the stored pixels are filled holes (the sensor measured nothing there): "
                f"they are off the true depth by {self.median_error_m * 100:.0f} cm (median), up to "
                f"{self.max_error_m * 100:.0f} cm; the error budget above leaves them out")


def filled_holes(cap: Capture, truth: Any) -> FilledHoles:
    """How many of ``cap``'s valid pixels are holes filled by the phone's filtering
    (``truth.holes``), and how far off the truth they are.  Convention: metres, same grid."""
    holes = getattr(truth, "holes", None)
    if holes is None:
        raise InvalidInputError("this ground truth does not say where the sensor measured nothing")
    true = np.asarray(truth.depth_m, dtype=np.float64)
    valid = np.isfinite(cap.depth)
    filled = valid & np.asarray(holes, dtype=bool) & np.isfinite(true)
    if not filled.any():
        return FilledHoles(0.0, 0.0, 0.0)
    err = np.abs(cap.depth[filled] - true[filled])
    return FilledHoles(float(filled.sum() / valid.sum()), float(np.median(err)), float(err.max()))


# --------------------------------------------------------------------------------------------
# Lesson: depth along the axis vs distance along the ray
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RayConfusion:
    """A map stores ``z`` (depth along the optical axis: Apple; GDepth ``OpticalAxis``).  Read as
    the distance along each pixel's ray, a point at angle ``theta`` off the axis, really
    ``z / cos(theta)`` away along its ray, is put ``z`` away instead: it moves toward the camera
    along its ray by ``z / cos(theta) - z`` (``max_along_ray_m``), and its depth becomes
    ``z * cos(theta)``, a change of ``z - z * cos(theta)`` (``max_bend_m``): a flat wall bends
    toward the camera at the edges.
    """

    label: str
    max_angle_deg: float
    max_bend_m: float  # largest change of z, z - z * cos(theta), over the part
    median_depth_m: float
    max_along_ray_m: float = 0.0  # largest move along the ray, z / cos(theta) - z
    unit: str = "m"  # the capture's depth_unit: "units" when the file's depth is not in metres

    def __str__(self) -> str:
        if self.unit == "m":
            median, along, bend = f"{self.median_depth_m:.2f} m", f"{self.max_along_ray_m * 100:.1f} cm", f"{self.max_bend_m * 100:.1f} cm"
        else:
            median, along, bend = (f"{v:.3g} {self.unit}" for v in (self.median_depth_m, self.max_along_ray_m, self.max_bend_m))
        return (f"the {self.label} (median depth {median}) reaches {self.max_angle_deg:.1f}° off the axis; "
                f"read as distance along the ray, a point moves toward the camera along its ray by up to "
                f"{along}, and its depth z changes by up to {bend}")


def ray_bend_m(depth_m: float, angle_deg: float) -> float:
    """How much the depth ``z`` of a point ``angle_deg`` off the axis changes when ``z`` is
    mistaken for the distance along its ray: ``z * (1 - cos(angle))``.

    >>> from depthlab.teaching.concepts import ray_bend_m
    >>> round(ray_bend_m(2.0, 30.0), 3)
    0.268
    """
    return float(depth_m) * (1.0 - float(np.cos(np.radians(float(angle_deg)))))


def ray_shift_m(depth_m: float, angle_deg: float) -> float:
    """How far along its ray a point at depth ``z`` and ``angle_deg`` off the axis moves toward
    the camera when ``z`` is mistaken for the distance along the ray: ``z / cos(angle) - z``."""
    return float(depth_m) * (1.0 / float(np.cos(np.radians(float(angle_deg)))) - 1.0)


def ray_confusion(cap: Capture, truth: Any = None, *, label: str = "wall") -> RayConfusion:
    """How much a part of the scene bends when ``z`` is mistaken for the distance along the ray.

    Convention: pinhole rays of the capture's calibration (distortion removed); the true ``z``
    of ``truth`` (so the relative sample's scale error does not enter).  Without a truth (your
    own photo): the capture's own depth over the whole frame (``label`` becomes "scene").
    """
    from ..camera import pixel_rays

    if cap.calibration is None:
        raise InvalidInputError("needs a calibration for the pixels' rays")
    w, h = cap.size
    rays = pixel_rays(cap.calibration, w, h).astype(np.float64)
    cos = 1.0 / np.linalg.norm(rays, axis=1)
    if truth is None:
        true = np.asarray(cap.depth, dtype=np.float64).ravel()
        part, label = np.isfinite(true), "scene"
    else:
        names = list(truth.label_names)
        if label not in names:
            raise InvalidInputError(f"no part called {label!r}; the scene has {', '.join(names)}")
        true = np.asarray(truth.depth_m, dtype=np.float64).ravel()
        part = (np.asarray(truth.labels).ravel() == names.index(label)) & np.isfinite(true)
    if not part.any():
        raise InvalidInputError(f"the {label} has no valid depth")
    z = true[part]
    bend = z * (1.0 - cos[part])
    along = z / cos[part] - z
    return RayConfusion(label, float(np.degrees(np.arccos(cos[part].min()))), float(bend.max()), float(np.median(z)),
                        float(along.max()), unit="m" if truth is not None else cap.depth_unit)


# --------------------------------------------------------------------------------------------
# Lesson: weak perspective
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeakPerspective:
    """Weak perspective scales every pixel by one depth ``z_ref``: ``X = (u - cx) * z_ref / f``
    instead of ``X = (u - cx) * Z / f``.  A point at depth ``Z`` comes out ``z_ref / Z`` times
    its true size: too large in front of ``z_ref``, too small behind.  With ``z_ref`` in the
    middle of a part spanning ``near``..``far`` (``dz = far - near``) the worst point is the
    nearest, off by exactly ``z_ref / near - 1 = (dz/2) / near`` (``max_error``); to first order
    ``(dz/2) / z_ref`` (``first_order_error``).  Keeping the exact error below ``tolerance`` needs
    ``z_ref >= (dz/2) * (1 + tolerance) / tolerance`` (first order: ``dz / (2 * tolerance)``).
    """

    label: str
    near_m: float
    far_m: float
    tolerance: float = 0.05

    @property
    def z_ref(self) -> float:
        return 0.5 * (self.near_m + self.far_m)

    @property
    def scale_m_per_px_at(self) -> str:
        return "z_ref / f"

    @property
    def max_error(self) -> float:
        """Exact worst size error: the nearest point, enlarged by ``z_ref / near``."""
        return self.z_ref / self.near_m - 1.0

    @property
    def first_order_error(self) -> float:
        """``(dz/2) / z_ref``: the first-order estimate of :attr:`max_error`."""
        return 0.5 * (self.far_m - self.near_m) / self.z_ref

    @property
    def distance_for_tolerance_m(self) -> float:
        """The middle distance from which no point's size is off by more than ``tolerance`` (exact)."""
        return 0.5 * (self.far_m - self.near_m) * (1.0 + self.tolerance) / self.tolerance

    def __str__(self) -> str:
        return (f"the {self.label} spans {self.near_m:.3f}–{self.far_m:.3f} m: with one scale z_ref/f at z_ref = "
                f"{self.z_ref:.3f} m sizes are off by up to {self.max_error * 100:.2f}% (the nearest point; first order "
                f"(Δz/2)/z_ref gives {self.first_order_error * 100:.2f}%); within {self.tolerance * 100:.0f}% from "
                f"{self.distance_for_tolerance_m:.2f} m away")


def weak_perspective(span: "DepthSpan", *, tolerance: float = 0.05) -> WeakPerspective:
    """:class:`WeakPerspective` for a part's depth span (:func:`depth_span`)."""
    if not 0 < tolerance < 1:
        raise InvalidInputError(f"tolerance must be between 0 and 1, got {tolerance}")
    return WeakPerspective(span.label, span.near_m, span.far_m, float(tolerance))


def weak_perspective_points(cap: Capture, z_ref: float) -> np.ndarray:
    """Weak-perspective points (N, 3) of every valid pixel: ``x, y`` scaled by ``z_ref / f``,
    ``z`` the pixel's depth.  Convention: camera frame, metres, pinhole intrinsics at the depth
    map's size (distortion not removed), rows of the valid pixels in row-major order."""
    cal = cap.calibration
    if cal is None:
        raise InvalidInputError("weak perspective needs the focal length: a calibration")
    h, w = cap.shape
    k = cal.intrinsics_at(w, h)
    v, u = np.nonzero(np.isfinite(cap.depth))
    z = cap.depth[v, u].astype(np.float64)
    return np.stack([(u - k[0, 2]) * z_ref / k[0, 0], (v - k[1, 2]) * z_ref / k[1, 1], z], axis=1)


@dataclass(frozen=True)
class OrthographicRelief:
    """The orthographic teaching grid spans one unit across the frame and keeps z in metres, so a
    part's depth relief against its width is ``true width / grid width`` times the truth (above
    1: exaggerated, below 1: flattened) at depth scale 1."""

    label: str
    true_width_m: float
    grid_width: float

    @property
    def factor(self) -> float:
        return self.true_width_m / self.grid_width

    def __str__(self) -> str:
        word = "exaggerated" if self.factor > 1 else "flattened"
        how = self.factor if self.factor > 1 else 1 / self.factor
        return (f"the {self.label} is {self.true_width_m * 100:.1f} cm wide but {self.grid_width:.2f} grid units: at depth "
                f"scale 1 the orthographic view shows its relief {word} {how:.1f}x")


def orthographic_relief(cap: Capture, truth: Any, *, label: str = "head") -> OrthographicRelief:
    """Width of a part in metres (pinhole) and in orthographic grid units (frame = 1 unit)."""
    from ..projection import project

    names = list(truth.label_names)
    if label not in names:
        raise InvalidInputError(f"no part called {label!r}; the scene has {', '.join(names)}")
    part = (np.asarray(truth.labels) == names.index(label)) & np.isfinite(cap.depth)
    if getattr(truth, "holes", None) is not None:
        part &= ~np.asarray(truth.holes, dtype=bool)
    if not part.any():
        raise InvalidInputError(f"the {label} has no valid depth")
    cloud = project(cap, model=PINHOLE)
    sel = part.ravel()[cloud.pixel_index]
    x = np.asarray(cloud.xyz)[sel, 0]
    true_w = float(np.percentile(x, 99) - np.percentile(x, 1))
    cols = np.nonzero(part)[1]
    grid_w = float((np.percentile(cols, 99) - np.percentile(cols, 1)) / cap.size[0])
    return OrthographicRelief(label, true_w, grid_w)


# --------------------------------------------------------------------------------------------
# Lens distortion: a straight edge near the rim
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EdgeStraightness:
    """A straight edge of the scene (where ``upper`` meets ``lower``, near the bottom rim),
    projected with the lens distortion removed (``pinhole``) and ignored (``pinhole-raw``).

    ``along_m`` is the position along the edge; ``rectified_m``/``raw_m`` each point's
    distance (m) from the best straight line through that model's points, in the plane of the
    wall (front view); ``*_sagitta_m`` the bow of a parabola fitted to them.  True depth is used,
    so only the rays differ.
    """

    upper: str
    lower: str
    along_m: np.ndarray
    rectified_m: np.ndarray
    raw_m: np.ndarray
    rectified_sagitta_m: float
    raw_sagitta_m: float
    rectified_scatter_m: float = 0.0  # standard deviation of the points about their fitted parabola
    raw_scatter_m: float = 0.0

    def __str__(self) -> str:
        return (f"the {self.upper}–{self.lower} edge ({np.ptp(self.along_m):.2f} m long, near the bottom of the frame): "
                f"a parabola fitted to its points bows (sagitta) by {abs(self.raw_sagitta_m) * 1000:.1f} mm with the distortion "
                f"ignored and {abs(self.rectified_sagitta_m) * 1000:.2f} mm with it removed; the points themselves scatter "
                f"±{self.rectified_scatter_m * 1000:.1f} mm (standard deviation) about it, the edge's one-pixel steps")


def edge_straightness(cap: Capture, truth: Any, *, upper: str = "wall", lower: str = "floor") -> EdgeStraightness:
    """Measure how straight the ``upper``/``lower`` boundary comes out in 3D with each model.

    Convention: in every column the last ``upper`` pixel above a ``lower`` one is an edge point;
    points are ``ray * true depth`` in the camera frame (metres); the line is fitted in 3D and
    the deviation is measured in the camera's y direction, perpendicular to the edge.
    """
    from ..camera import pixel_rays

    if cap.calibration is None:
        raise InvalidInputError("needs a calibration")
    names = list(truth.label_names)
    for n in (upper, lower):
        if n not in names:
            raise InvalidInputError(f"no part called {n!r}; the scene has {', '.join(names)}")
    labels = np.asarray(truth.labels)
    a, b = names.index(upper), names.index(lower)
    h, w = labels.shape
    cols, rows = [], []
    for u in range(w):
        hit = np.nonzero((labels[:-1, u] == a) & (labels[1:, u] == b))[0]
        if hit.size:
            cols.append(u)
            rows.append(hit[-1])
    if len(cols) < 10:
        raise InvalidInputError(f"the {upper}–{lower} edge is not visible")
    u, v = np.array(cols), np.array(rows)
    z = np.asarray(truth.depth_m, dtype=np.float64)[v, u]

    def fit(undistort: bool) -> tuple[np.ndarray, np.ndarray, float]:
        r = pixel_rays(cap.calibration, w, h, undistort=undistort).reshape(h, w, 3).astype(np.float64)
        p = r[v, u] * z[:, None]
        c = p.mean(axis=0)
        direction = np.linalg.svd(p - c)[2][0]
        along = (p - c) @ direction
        dev = (p - c) - np.outer(along, direction)
        q = np.polyfit(along, dev[:, 1], 2)
        return along, dev[:, 1], float(q[0] * (np.ptp(along) / 2) ** 2), float(np.std(dev[:, 1] - np.polyval(q, along)))

    along, rect, rect_sag, rect_sd = fit(True)
    _, raw, raw_sag, raw_sd = fit(False)
    return EdgeStraightness(upper, lower, along, rect, raw, rect_sag, raw_sag, rect_sd, raw_sd)


def affine_from_measurements(points: Any) -> AffineDisparity:
    """:func:`affine_from_two_distances` for the ``((depth m, disparity 1/m), (depth m, disparity
    1/m))`` pair :func:`two_measurements` returns."""
    (z1, d1), (z2, d2) = points
    return affine_from_two_distances(d1, z1, d2, z2)


# --------------------------------------------------------------------------------------------
# The camera model, written out
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BackprojectionCheck:
    """The pinhole back-projection ``X = (u - cx)·Z/fx, Y = (v - cy)·Z/fy`` computed from ``K``
    by the formula, against the library's ``project(cap, model="pinhole-raw")``."""

    intrinsics: np.ndarray  # K at the depth map's size (pixel (u, v)'s centre is (u, v))
    size: tuple[int, int]
    points: int
    max_difference_m: float

    def __str__(self) -> str:
        k = self.intrinsics
        return (f"K at the depth map's {self.size[0]}x{self.size[1]} pixels: fx = {k[0, 0]:.3f}, fy = {k[1, 1]:.3f}, "
                f"cx = {k[0, 2]:.3f}, cy = {k[1, 2]:.3f} px\n"
                f"the formula and depthlab.project(cap, model=\"pinhole-raw\") agree on all {self.points} points "
                f"to {self.max_difference_m:.1e} m (float32 rounding)")


def backprojection_check(cap: Capture) -> BackprojectionCheck:
    """Back-project every valid pixel by the written-out formula and compare with the library.

    Convention: ``K = cap.calibration.intrinsics_at(width, height)`` of the depth map; camera
    frame x right, y down, z forward, metres (the capture's units); distortion not removed.
    """
    from ..projection import project

    if cap.calibration is None:
        raise InvalidInputError("back-projection needs the focal length and principal point: a calibration")
    h, w = cap.shape
    k = cap.calibration.intrinsics_at(w, h)
    cloud = project(cap, model=PINHOLE_RAW)
    v, u = np.divmod(np.asarray(cloud.pixel_index), w)
    z = cap.depth[v, u].astype(np.float64)
    by_hand = np.stack([(u - k[0, 2]) * z / k[0, 0], (v - k[1, 2]) * z / k[1, 1], z], axis=1)
    diff = float(np.abs(by_hand - np.asarray(cloud.xyz, dtype=np.float64)).max()) if z.size else 0.0
    return BackprojectionCheck(np.asarray(k, dtype=np.float64), (w, h), int(z.size), diff)


@dataclass(frozen=True)
class CalibrationDistance:
    """The distance between two points of a photo with the calibration in use and with the one
    the file stored (they differ only for a calibration :func:`depthlab.open` corrected)."""

    label: str
    checked_m: float
    stored_m: float
    corrected: bool

    def __str__(self) -> str:
        if not self.corrected:
            return f"{self.label}: {self.checked_m * 100:.1f} cm apart (the stored calibration agrees with EXIF)"
        return (f"{self.label}: {self.checked_m * 100:.1f} cm apart with the checked calibration (square pixels), "
                f"{self.stored_m * 100:.1f} cm with the stored one")


def _point_at(cap: Capture, k: np.ndarray, xy: tuple[float, float], window: int) -> np.ndarray:
    """Camera-frame point (pinhole, no distortion) at colour pixel ``xy``: the median depth of a
    ``2*window+1`` square of depth pixels around it."""
    h, w = cap.shape
    cw, ch = cap.rgb_size or (w, h)
    u, v = xy[0] * w / cw - 0.5, xy[1] * h / ch - 0.5
    iu, iv = int(round(u)), int(round(v))
    if not (0 <= iu < w and 0 <= iv < h):
        raise InvalidInputError(f"point {xy} lies outside the {cw}x{ch} photo")
    z = float(np.nanmedian(cap.depth[max(iv - window, 0):iv + window + 1, max(iu - window, 0):iu + window + 1]))
    return np.array([(u - k[0, 2]) * z / k[0, 0], (v - k[1, 2]) * z / k[1, 1], z])


def calibration_distance(cap: Capture, *, points: Sequence[tuple[float, float]], label: str = "the two points",
                         window: int = 2) -> CalibrationDistance:
    """How far apart two points of the photo are (metres), with ``cap``'s calibration and with
    the stored one ``depthlab.open`` replaced (``cap.metadata['stored_calibration']``), if any.

    ``points``: two (x, y) pixels of the colour image (e.g. the eye centres: adults' are about
    5.5 to 7.5 cm apart, a check of a calibration on a selfie).

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> d = calibration_distance(cap, points=[(200, 300), (280, 300)])
    >>> d.corrected, d.checked_m == d.stored_m
    (False, True)
    """
    if cap.calibration is None:
        raise InvalidInputError("the capture has no calibration, so distances in metres cannot be measured")
    if len(points) != 2:
        raise InvalidInputError(f"points must be two (x, y) pixels, got {len(points)}")
    h, w = cap.shape
    k = cap.calibration.intrinsics_at(w, h)
    checked = float(np.linalg.norm(_point_at(cap, k, points[0], window) - _point_at(cap, k, points[1], window)))
    stored = (cap.metadata or {}).get("stored_calibration")
    if not stored:
        return CalibrationDistance(label, checked, checked, False)
    ks = k.copy()
    rw, rh = stored["reference_size"]
    ks[0, 0], ks[1, 1] = stored["fx"] * w / rw, stored["fy"] * h / rh
    far = float(np.linalg.norm(_point_at(cap, ks, points[0], window) - _point_at(cap, ks, points[1], window)))
    return CalibrationDistance(label, checked, far, True)


def scale_caveat(cap: Capture) -> str:
    """The sentence to print beside any distance measured on ``cap``: absolute, relative or unknown."""
    if cap.accuracy == "absolute":
        return "absolute depth: distances are in metres"
    if cap.accuracy == "relative":
        return ("relative depth: stored disparity = a·(true disparity) + b with a and b unknown, so 'metres' below "
                "are the capture's own units; distances, ratios and blur are off by an unknown scale and offset")
    return "the file does not say how accurate its depth is: treat distances as relative"


def on_photo(measure: Any, cap: Capture, **options: Any) -> str:
    """``str(measure(cap, **options))``, or why it does not apply to this photo (an Android
    depth map has no disparity codes, a file without a calibration has no rays): what a
    notebook prints for *your own photo*, which may be any kind.

    >>> import depthlab
    >>> from depthlab import concepts
    >>> android = depthlab.open("data/sample/pixel_portrait.jpg")
    >>> concepts.on_photo(concepts.error_propagation, android)[:28]
    'not for this photo: needs di'
    """
    from ..errors import DepthlabError

    try:
        return str(measure(cap, **options))
    except DepthlabError as exc:
        return f"not for this photo: {exc}"
