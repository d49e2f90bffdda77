"""Notebook 06, "Stereo, by hand": the small steps of stereo, each one call.

Find a point in both views by eye (:func:`eye_figure`), match one row's blocks
(:func:`row_strips`, :func:`match_block`), turn pixels into metres with the file's own f and B
(:func:`depth_from_shift`), then compare with the full matcher and measure how its error grows
with distance (:func:`error_by_depth`, :func:`error_figure`), and why a 1 cm baseline gives the
phone only relative depth (:func:`baseline_table`).

>>> import depthlab
>>> from depthlab.teaching import stereo_lesson as sl
>>> cap = depthlab.open("data/sample/spatial.heic")
>>> left, right = sl.row_strips(cap, row=420, x0=200, width=160)
>>> left.shape, right.shape
((7, 160), (7, 160))
>>> d = sl.match_block(left, right, 80, 40)    # the box front, 1.3 m away
>>> d, round(sl.depth_from_shift(d, focal_px=sl.focal_px(cap), baseline_m=cap.metadata["baseline_m"]), 2)
(19.0, 1.28)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..capture import Capture
from ..errors import InvalidInputError

__all__ = ["focal_px", "row_strips", "match_block", "depth_from_shift", "eye_figure", "error_by_depth",
           "error_figure", "baseline_table"]

HALF = 3  # block half-size: 7x7 blocks


def _views(cap: Capture) -> tuple[np.ndarray, np.ndarray]:
    if "left" not in cap.views or "right" not in cap.views:
        raise InvalidInputError("this capture is not a stereo pair (cap.views has no left and right view); "
                                "open a spatial photo, e.g. data/sample/spatial.heic")
    return cap.views["left"], cap.views["right"]


def focal_px(cap: Capture) -> float:
    """The focal length in pixels of the views (the file's own calibration)."""
    k = cap.calibration.intrinsics_at(*cap.rgb_size) if cap.rgb_size else cap.calibration.intrinsic_matrix
    return float(k[0, 0])


def row_strips(cap: Capture, *, row: int, x0: int, width: int, half: int = HALF) -> tuple[np.ndarray, np.ndarray]:
    """Grey strips (2·half+1 rows, ``width`` columns, float 0..255) around ``row`` of both views,
    from column ``x0``: what the block-matching exercise works on."""
    left, right = _views(cap)
    h, w = left.shape[:2]
    if not (half <= row < h - half and 0 <= x0 and x0 + width <= w and width > 2 * half):
        raise InvalidInputError(f"row {row}, columns {x0}..{x0 + width} do not fit the {w}x{h} views")

    def grey(img: np.ndarray) -> np.ndarray:
        return img[row - half:row + half + 1, x0:x0 + width].astype(np.float64) @ np.array([0.299, 0.587, 0.114])

    return grey(left), grey(right)


def match_block(left: np.ndarray, right: np.ndarray, x: int, max_shift: int) -> float:
    """The shift d (pixels) at which the block around column ``x`` of the left strip best matches
    the right strip at column ``x - d`` (smallest sum of squared differences), d = 0..max_shift."""
    half = left.shape[0] // 2
    block = left[:, x - half:x + half + 1]
    costs = [np.sum((block - right[:, x - d - half:x - d + half + 1]) ** 2) if x - d - half >= 0 else np.inf
             for d in range(int(max_shift) + 1)]
    return float(np.argmin(costs))


def depth_from_shift(d: Any, *, focal_px: float, baseline_m: float) -> Any:
    """Depth Z = f·B / d (metres) of a shift d (pixels)."""
    return focal_px * baseline_m / np.asarray(d, dtype=np.float64) if np.ndim(d) else focal_px * baseline_m / float(d)


def eye_figure(cap: Capture, *, row: int, columns: tuple[int, int] | None = None, half_height: int = 60):
    """Both views around ``row``, one above the other, with a line along the row (rectified: a
    point lies on the same row in both) and, if given, marks at ``columns`` = (x_left, x_right)."""
    from ..figures.panels import new_figure

    left, right = _views(cap)
    top, bottom = max(0, row - half_height), min(left.shape[0], row + half_height)
    fig = new_figure(8.0, 4.2)
    axes = fig.subplots(2, 1)
    for ax, img, name, i in zip(axes, (left, right), ("left view", "right view"), (0, 1)):
        ax.imshow(img[top:bottom], extent=(0, img.shape[1], bottom, top))
        ax.axhline(row, color="white", lw=0.8)
        if columns is not None:
            ax.axvline(columns[i], color="red", lw=1.0)
        ax.set_title(f"{name}, rows {top}..{bottom}" + (f", x = {columns[i]}" if columns else ""), fontsize=9)
        ax.set_yticks([row])
    return fig


def error_by_depth(cap: Capture, truth: Any, *, bins: int = 6) -> dict[str, np.ndarray]:
    """Measured against the truth, in depth bins: median true depth Z (m), the spread of the
    disparity error (pixels of the matched size, 1.4826·MAD) and of the depth error (m), and the
    Z² prediction σ_Z = Z²·σ_d/(f·B) with one σ_d for all bins."""
    ok = np.isfinite(cap.depth) & np.isfinite(truth.depth_m) & ~np.asarray(truth.holes, bool)
    z_true, z = truth.depth_m[ok].astype(np.float64), cap.depth[ok].astype(np.float64)
    fb = focal_px(cap) * cap.size[0] / cap.rgb_size[0] * cap.metadata["baseline_m"]
    d_err = fb / z - fb / z_true
    edges = np.linspace(z_true.min(), z_true.max(), bins + 1)
    which = np.clip(np.searchsorted(edges, z_true, side="right") - 1, 0, bins - 1)
    used = [b for b in range(bins) if (which == b).sum() >= 100]

    def spread(v: np.ndarray) -> float:
        return float(1.4826 * np.median(np.abs(v - np.median(v))))

    zs = np.array([np.median(z_true[which == b]) for b in used])
    sd = np.array([spread(d_err[which == b]) for b in used])
    sz = np.array([spread((z - z_true)[which == b]) for b in used])
    sigma_d = spread(d_err)
    return {"depth_m": zs, "sigma_d_px": sd, "sigma_z_m": sz, "sigma_d_all_px": np.float64(sigma_d),
            "predicted_sigma_z_m": zs ** 2 * sigma_d / fb}


def error_figure(table: dict[str, np.ndarray]):
    """σ_Z measured per depth bin against the Z² prediction."""
    from ..figures.panels import new_figure

    fig = new_figure(5.0, 3.2)
    ax = fig.subplots()
    ax.plot(table["depth_m"], 1000 * table["sigma_z_m"], "o", label="measured σ_Z")
    z = np.linspace(table["depth_m"].min(), table["depth_m"].max(), 50)
    ax.plot(z, 1000 * table["predicted_sigma_z_m"][0] * (z / table["depth_m"][0]) ** 2, "-",
            label=f"Z²·σ_d/(f·B), σ_d = {float(table['sigma_d_all_px']):.3f} px")
    ax.set_xlabel("true depth Z (m)")
    ax.set_ylabel("depth error spread (mm)")
    ax.legend(fontsize=8)
    return fig


def baseline_table(*, sigma_d_px: float, depth_m: float = 2.0) -> list[dict[str, float | str]]:
    """Disparity and depth error at ``depth_m`` for a spatial photo's pair and a phone's rear dual
    camera, with the same matching error ``sigma_d_px`` (pixels of the map each is matched at)."""
    pairs = [("spatial photo (Vision Pro / iPhone 15 Pro)", 1525.44 / 2, 0.0638),
             ("rear dual camera, depth map 768 px wide", 3032.59 * 768 / 4032, 0.010)]
    rows = []
    for name, f, b in pairs:
        d = f * b / depth_m
        rows.append({"camera": name, "focal_px": round(f, 1), "baseline_m": b, "disparity_px": round(d, 2),
                     "sigma_z_m": round(depth_m ** 2 * sigma_d_px / (f * b), 4)})
    return rows
