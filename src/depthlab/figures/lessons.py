"""One figure per lesson of notebook 04, drawn from the numbers :mod:`depthlab.teaching.concepts` computes.

Each function returns a matplotlib Figure (imported lazily, like every figure in depthlab);
the notebook shows it.  No measurement happens here: the figures plot what the concepts
functions return, so the text, the printed numbers and the picture agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..capture import Capture
from ..teaching.concepts import (
    AffineDisparity,
    EdgeStraightness,
    ErrorPropagation,
    StereoShift,
    WeakPerspective,
    weak_perspective_points,
)

__all__ = ["stereo_figure", "error_figure", "affine_figure", "ray_figure", "weak_perspective_figure", "edge_figure"]


def _fig(width: float = 6.4, height: float = 3.6):
    """A figure and one axes, made the way every depthlab figure is (outside pyplot: shown once)."""
    from .panels import new_figure

    fig = new_figure(width, height)
    return fig, fig.add_subplot(1, 1, 1)


def stereo_figure(shift: StereoShift, near_m: float, far_m: float) -> Any:
    """Stereo shift ``f * B / Z`` against depth, the file's encodable range shaded, and the 256
    stored codes as the shifts they stand for."""
    fig, ax = _fig()
    z = np.linspace(max(0.05, 0.5 * near_m), 2.0 * far_m, 400)
    ax.plot(z, shift.shift_px(z), color="C0", label="shift d = f·B/Z")
    ax.axvspan(near_m, far_m, color="C1", alpha=0.15, label="depths the file encodes")
    codes = 1.0 / far_m + shift.step_per_m * np.arange(0, 256, 15)
    codes = codes[codes <= 1.0 / near_m + 1e-9]
    ax.scatter(1.0 / codes, codes * shift.focal_px * shift.baseline_m, s=10, color="C3", zorder=3,
               label="every 15th stored code")
    ax.set_xlabel("depth Z (m)")
    ax.set_ylabel(f"shift d (px at {shift.width_px} px wide)")
    ax.set_title(f"stereo: B = {shift.baseline_m * 1000:.0f} mm (assumed), f = {shift.focal_px:.0f} px; "
                 f"one code = {shift.step_shift_px:.3f} px", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def error_figure(report: ErrorPropagation, cap: Capture, truth: Any, max_points: int = 4000) -> Any:
    """|depth read - true depth| of measured pixels against depth, with the predicted
    ``Z² s / sqrt(12)`` curve and the measured standard deviations."""
    fig, ax = _fig()
    true = np.asarray(truth.depth_m, dtype=np.float64)
    ok = np.isfinite(true) & np.isfinite(cap.depth)
    if getattr(truth, "holes", None) is not None:
        ok &= ~np.asarray(truth.holes, dtype=bool)
    err = (cap.depth.astype(np.float64) - true)[ok]
    zt = true[ok]
    pick = np.random.default_rng(0).choice(zt.size, size=min(max_points, zt.size), replace=False)
    ax.scatter(zt[pick], 1000 * np.abs(err[pick]), s=2, alpha=0.3, color="0.5", label="|read − true| per pixel")
    z = np.linspace(zt.min(), zt.max(), 200)
    ax.plot(z, 1000 * report.sigma_depth(z), color="C0", label="predicted σ_Z = Z²·s/√12")
    ax.plot(z, 1000 * z * z * report.step_per_m / 2, color="C0", ls="--", label="largest rounding error Z²·s/2")
    if report.measured:
        m = np.array(report.measured)
        ax.scatter(m[:, 0], 1000 * m[:, 2], color="C3", zorder=3, label="measured σ_Z (truth)")
    ax.set_xlabel("true depth (m)")
    ax.set_ylabel("depth error (mm)")
    ax.set_title("quantisation error grows with the square of distance", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def affine_figure(cap: Capture, truth: Any, fit: AffineDisparity, two_points: Any = None,
                  max_points: int = 4000) -> Any:
    """Stored disparity against true disparity, the fitted line, the identity, and the two
    tape-measured points (``two_points``: ((true z, stored d), (true z, stored d)))."""
    fig, ax = _fig()
    true = np.asarray(truth.depth_m, dtype=np.float64)
    ok = np.isfinite(true) & np.isfinite(cap.disparity)
    x, y = 1.0 / true[ok], cap.disparity[ok].astype(np.float64)
    pick = np.random.default_rng(0).choice(x.size, size=min(max_points, x.size), replace=False)
    ax.scatter(x[pick], y[pick], s=2, alpha=0.3, color="0.5", label="pixels")
    xs = np.linspace(0, x.max() * 1.05, 50)
    ax.plot(xs, xs, color="k", lw=0.8, ls=":", label="stored = true (absolute)")
    ax.plot(xs, fit.scale * xs + fit.offset_per_m, color="C0",
            label=f"fit: {fit.scale:.3f}·true {fit.offset_per_m:+.3f} 1/m")
    if two_points is not None:
        (z1, d1), (z2, d2) = two_points
        ax.scatter([1 / z1, 1 / z2], [d1, d2], color="C3", zorder=3, s=30, label="two measured distances")
    ax.set_xlabel("true disparity 1/Z (1/m)")
    ax.set_ylabel("stored disparity (1/m)")
    ax.set_title("relative accuracy: a scale and an offset in disparity", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def ray_figure(cap: Capture, truth: Any, label: str = "wall", row: int | None = None) -> Any:
    """Top view (x, z) of one row of a part: z read as depth along the axis (right) and
    mistaken for distance along the ray (bent)."""
    from ..camera import pixel_rays

    fig, ax = _fig()
    names = list(truth.label_names)
    w, h = cap.size
    row = h // 4 if row is None else int(row)
    rays = pixel_rays(cap.calibration, w, h).reshape(h, w, 3).astype(np.float64)[row]
    z = np.asarray(truth.depth_m, dtype=np.float64)[row]
    part = (np.asarray(truth.labels)[row] == names.index(label)) & np.isfinite(z)
    p = rays[part] * z[part, None]
    unit = rays[part] / np.linalg.norm(rays[part], axis=1, keepdims=True)
    q = unit * z[part, None]
    ax.plot(p[:, 0], p[:, 2], color="C0", label="z as depth along the axis (right)")
    ax.plot(q[:, 0], q[:, 2], color="C3", label="z mistaken for distance along the ray")
    for i in np.linspace(0, len(p) - 1, 7).astype(int):
        ax.plot([0, p[i, 0]], [0, p[i, 2]], color="0.8", lw=0.6, zorder=0)
    ax.scatter([0], [0], color="k", s=15, label="camera")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("z (m)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(f"top view of the {label}, depth row {row}", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def weak_perspective_figure(cap: Capture, truth: Any, report: WeakPerspective, label: str = "head") -> Any:
    """Top view (x, z) of the depth row through the middle of a part: pinhole (each pixel
    scaled by its own depth) against weak perspective (one scale ``z_ref / f``).  Measured
    pixels only (filled ones left out)."""
    fig, ax = _fig()
    names = list(truth.label_names)
    part = (np.asarray(truth.labels) == names.index(label)) & np.isfinite(cap.depth)
    if getattr(truth, "holes", None) is not None:
        part &= ~np.asarray(truth.holes, dtype=bool)
    rows = np.nonzero(part.any(axis=1))[0]
    row = int(rows[len(rows) // 2])
    h, w = cap.shape
    k = cap.calibration.intrinsics_at(w, h)
    u = np.nonzero(part[row])[0]
    z = cap.depth[row, u].astype(np.float64)
    ax.plot((u - k[0, 2]) * z / k[0, 0], z, ".", ms=3, color="C0", label="pinhole: X = x·Z/f")
    ax.plot((u - k[0, 2]) * report.z_ref / k[0, 0], z, ".", ms=3, color="C3",
            label=f"weak perspective: X = x·z_ref/f, z_ref = {report.z_ref:.3f} m")
    ax.axhline(report.z_ref, color="0.6", lw=0.6, ls=":")
    ax.set_aspect("equal", adjustable="datalim")
    ax.invert_yaxis()
    ax.set_xlabel("x (m)")
    ax.set_ylabel("z (m), camera at the top")
    ax.set_title(f"top view of the {label}, depth row {row}: widths off by up to {report.max_error * 100:.1f}%", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def edge_figure(report: EdgeStraightness) -> Any:
    """Each edge point's distance from the best straight line (faint: the pixel staircase) and
    the parabola fitted to it (bold), with and without the distortion removed (millimetres)."""
    fig, ax = _fig()
    order = np.argsort(report.along_m)
    s = report.along_m[order]
    for dev, sag, colour, name in ((report.raw_m, report.raw_sagitta_m, "C3", "pinhole-raw (distortion ignored)"),
                                   (report.rectified_m, report.rectified_sagitta_m, "C0", "pinhole (distortion removed)")):
        d = 1000 * dev[order]
        ax.plot(s, d, color=colour, lw=0.4, alpha=0.35)
        q = np.polyfit(s, d, 2)
        ax.plot(s, np.polyval(q, s), color=colour, lw=2, label=f"{name}: bow {abs(sag) * 1000:.2f} mm")
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel(f"along the {report.upper}–{report.lower} edge (m; the gap is the person in front)")
    ax.set_ylabel("off the straight line (mm)")
    ax.set_title("a straight edge near the rim, front view", fontsize=9)
    ax.legend(fontsize=8)
    return fig
