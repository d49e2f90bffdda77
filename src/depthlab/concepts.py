"""Small measurements the teaching notebooks print, as functions (notebooks only call them).

Each returns a small dataclass whose ``str()`` is the sentence a notebook shows, so the numbers
stay inspectable (``report.step_per_m``) and the prose stays in one tested place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .capture import Capture
from .errors import InvalidInputError


@dataclass(frozen=True)
class Quantisation:
    """How coarse the stored depth is.

    Convention: for 8-bit disparity with step ``s`` (1/m), a depth ``z`` (m) changes by
    ``z**2 * s`` metres per code (d(1/d)/dd = -1/d**2): disparity codes are even in 1/m, so depth
    resolution falls with the square of distance.
    """

    levels: int  # distinct disparity values present in the map
    step_per_m: float | None  # one stored code, in 1/m (None when unknown)
    depth_steps_m: tuple[tuple[float, float], ...]  # (depth m, depth change per code m)

    def __str__(self) -> str:
        if self.step_per_m is None:
            return f"{self.levels} distinct disparity values; the stored step is unknown"
        lines = [f"{self.levels} distinct disparity values; one step = {self.step_per_m:.4f} 1/m"]
        lines += [f"  at {z:3.1f} m one step is {100 * dz:6.2f} cm of depth" for z, dz in self.depth_steps_m]
        return "\n".join(lines)


def quantisation(cap: Capture, depths_m: Sequence[float] = (0.3, 0.5, 1.0, 2.0, 4.0)) -> Quantisation:
    """Distinct stored levels and the depth change one code means at several distances."""
    d = cap.disparity[np.isfinite(cap.disparity)]
    levels = int(np.unique(d).size)
    step = None if cap.encoding is None else cap.encoding.step
    if step is not None and cap.encoding is not None and cap.encoding.quantity != "disparity":
        step = None  # a depth-coded map (GDepth) is not even in 1/m
    rows = tuple((float(z), float(z * z * step)) for z in depths_m) if step else ()
    return Quantisation(levels, step, rows)


@dataclass(frozen=True)
class ScaleCheck:
    """The file's depth against the true depth of a synthetic scene."""

    name: str
    accuracy: str | None
    ratio: float  # median of (depth read from the file / true depth) over pixels valid in both

    def __str__(self) -> str:
        return f"{self.name:5s} ({self.accuracy}): depth read from the file / true depth = {self.ratio:.3f}"


def scale_against_truth(cap: Capture, truth: Any, name: str = "") -> ScaleCheck:
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
    ratio = float(np.median(cap.depth[ok] / true[ok]))
    return ScaleCheck(name or (cap.path.stem if cap.path else "capture"), cap.accuracy, ratio)


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
    """
    z1, z2 = float(distance_1_m), float(distance_2_m)
    if not (z1 > 0 and z2 > 0) or abs(1 / z1 - 1 / z2) < 1e-9:
        raise InvalidInputError(f"two different positive distances are needed, got {z1} m and {z2} m")
    scale = (float(disparity_1) - float(disparity_2)) / (1 / z1 - 1 / z2)
    offset = float(disparity_1) - scale / z1
    return AffineDisparity(scale, offset, 0.0, 2)


@dataclass(frozen=True)
class DistortionShift:
    """How far removing the lens distortion moves the points of a capture."""

    max_mm: float
    median_mm: float

    def __str__(self) -> str:
        return (f"removing the lens distortion moves points by up to {self.max_mm:.1f} mm "
                f"(median {self.median_mm:.1f} mm)")


def distortion_shift(cap: Capture, stride: int = 2) -> DistortionShift:
    """Distance (mm) between each point projected with and without distortion removal.

    Convention: camera frame, metres in, millimetres out; points where depth is unknown are left
    out.  Needs a calibration (stored or estimated).
    """
    from .projection import Projector

    proj = Projector(cap, stride=stride)
    rectified, valid = proj.points("pinhole")
    rectified = rectified.copy()
    valid = valid.copy()
    raw, valid_raw = proj.points("pinhole-raw")
    ok = valid & valid_raw
    if not ok.any():
        raise InvalidInputError("no valid depth to compare")
    shift = 1000.0 * np.linalg.norm(rectified[ok] - raw[ok], axis=1)
    return DistortionShift(float(shift.max()), float(np.median(shift)))


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


def depth_span(truth: Any, label: str = "head", percentiles: tuple[float, float] = (2.0, 98.0)) -> DepthSpan:
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
