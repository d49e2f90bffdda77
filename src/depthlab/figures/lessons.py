"""One figure per lesson of the teaching notebooks: notebook 04's drawn from the numbers
:mod:`depthlab.teaching.concepts` and :mod:`depthlab.teaching.truthcheck` compute, notebook 05's
from :func:`depthlab.refocus` and its blur formula.

Each function returns a matplotlib Figure (imported lazily, like every figure in depthlab);
the notebook shows it.  No measurement happens here: the figures plot what those modules
return, so the text, the printed numbers and the picture agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..capture import Capture
from ..errors import InvalidInputError
from ..teaching.concepts import (
    AffineDisparity,
    EdgeStraightness,
    ErrorPropagation,
    StereoShift,
    WeakPerspective,
    weak_perspective_points,
)

__all__ = ["stereo_figure", "error_figure", "affine_figure", "ray_figure", "weak_perspective_figure", "edge_figure",
           "refine_figure", "blur_curves_figure", "refocus_figure", "distortion_figure",
           "blur_map_figure", "comb_figure"]


def _fig(width: float = 6.4, height: float = 3.6):
    """A figure and one axes, made the way every depthlab figure is (outside pyplot: shown once)."""
    from .panels import new_figure

    fig = new_figure(width, height)
    return fig, fig.add_subplot(1, 1, 1)


def stereo_figure(shift: StereoShift, *, near_m: float, far_m: float) -> Any:
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


def error_figure(report: ErrorPropagation, cap: Capture, truth: Any, *, max_points: int = 4000) -> Any:
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


def affine_figure(cap: Capture, truth: Any, fit: AffineDisparity, *, two_points: Any = None,
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


def ray_figure(cap: Capture, truth: Any, *, label: str = "wall", row: int | None = None) -> Any:
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


def weak_perspective_figure(cap: Capture, truth: Any, report: WeakPerspective, *, label: str = "head") -> Any:
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


# --------------------------------------------------------------------------------------------
# Notebook 04: stored vs refined vs truth (numbers from depthlab.teaching.truthcheck)
# --------------------------------------------------------------------------------------------


def refine_figure(stored: Capture, refined: Capture, truth: Any, *, model: str = "auto",
                  width: float = 7.0, title: str | None = None):
    """Stored vs refined vs truth in four panels: a profile across the person's outline, a
    profile along the tilted wall (in codes, so the 8-bit staircase shows), and the error maps
    of both (same colour scale).  Returns a matplotlib Figure (outside pyplot) that a notebook
    shows as a picture."""
    from .panels import new_figure

    from ..teaching.truthcheck import edge_segment, fit_model, fitted_disparity, rmse, true_disparity, wall_segment

    m = fit_model(stored, model)
    fs, _ = fitted_disparity(stored, truth, model=m)
    fr, _ = fitted_disparity(refined, truth, model=m)
    true = true_disparity(stored, truth)
    code = stored.encoding.step if stored.encoding is not None and stored.encoding.step else 1.0
    fig = new_figure(width, width * 0.62)
    axes = fig.subplots(2, 2)
    fit = "as stored" if m == "none" else f"{m} fit"

    row, cols = edge_segment(truth)
    x = np.arange(cols.start, cols.stop)
    ax = axes[0, 0]
    ax.plot(x, true[row, cols], color="0.2", lw=1.6, label="truth")
    ax.plot(x, fs[row, cols], color="tab:orange", lw=1, marker=".", ms=2, label="stored")
    ax.plot(x, fr[row, cols], color="tab:blue", lw=1, label="refined")
    ax.set(title=f"across the outline (row {row})", xlabel="column (depth px)", ylabel=f"disparity 1/m ({fit})")
    ax.legend(fontsize=6)

    ax = axes[0, 1]
    try:
        wrow, wcols = wall_segment(truth)
        x = np.arange(wcols.start, wcols.stop)
        base = true[wrow, wcols][0]
        for arr, colour, lab in ((true, "0.2", "truth"), (fs, "tab:orange", "stored"), (fr, "tab:blue", "refined")):
            ax.plot(x, (arr[wrow, wcols] - base) / code, color=colour, lw=1.6 if lab == "truth" else 1, label=lab)
        ax.set(title=f"along the tilted wall (row {wrow})", xlabel="column (depth px)", ylabel="disparity, codes from start")
    except InvalidInputError as exc:
        ax.text(0.5, 0.5, str(exc), ha="center", va="center", transform=ax.transAxes, fontsize=6)
    es, er = fs - true, fr - true
    vmax = float(np.nanpercentile(np.abs(es), 99)) or 1e-3
    for ax, err, lab in ((axes[1, 0], es, "stored"), (axes[1, 1], er, "refined")):
        im = ax.imshow(np.abs(err), cmap="magma", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set(title=f"|{lab} - truth|, RMSE {rmse(err):.4f} 1/m", xticks=[], yticks=[])
    fig.colorbar(im, ax=axes[1, :], label="|disparity error| 1/m", shrink=0.9)
    for ax in axes.ravel():
        ax.title.set_fontsize(7)
        ax.tick_params(labelsize=6)
        ax.xaxis.label.set_fontsize(6)
        ax.yaxis.label.set_fontsize(6)
    fig.suptitle(title or f"{stored.path.name if stored.path else 'capture'}: stored vs refined vs truth", fontsize=8)
    fig.set_label("depthlab stored vs refined vs truth")
    return fig


# --------------------------------------------------------------------------------------------
# Notebook 05: refocus
# --------------------------------------------------------------------------------------------


def blur_curves_figure(focus_m: float = 1.5, f_numbers: tuple[float, ...] = (1.4, 2.8, 8.0, 16.0),
                       focal_length_35mm: float = 26.0, image_size: tuple[int, int] = (4032, 3024),
                       depth_range_m: tuple[float, float] = (0.4, 20.0)):
    """Blur radius against depth (left) and against disparity (right) for a few f-numbers.

    Against depth the curves bend (blur rises steeply in front of the focus and levels off
    behind it); against disparity they are straight lines through the focus: blur is
    proportional to ``|1/z - 1/z_f|``.  Returns a matplotlib Figure.

    Convention: radius in pixels of an ``image_size`` photo (35 mm-equivalent lens), depth in m,
    disparity in 1/m.

    >>> from depthlab.figures.lessons import blur_curves_figure
    >>> fig = blur_curves_figure(focus_m=1.5, f_numbers=(1.4, 8))
    >>> len(fig.axes)
    2
    """
    from ..imaging._refocus import blur_radius_px
    from .panels import new_figure  # outside pyplot: shown once in a notebook

    z = np.geomspace(depth_range_m[0], depth_range_m[1], 400)
    fig = new_figure(11, 4)
    ax_z, ax_d = fig.subplots(1, 2)
    for n in f_numbers:
        r = np.abs(blur_radius_px(z, focus_m, n, focal_length_35mm, image_size))
        ax_z.plot(z, r, label=f"f/{n:g}")
        ax_d.plot(1.0 / z, r, label=f"f/{n:g}")
    for ax in (ax_z, ax_d):
        ax.set_ylabel(f"blur radius (px of a {image_size[0]}×{image_size[1]} photo)")
        ax.grid(alpha=0.3)
        ax.legend(title=f"{focal_length_35mm:g} mm equiv.")
    ax_z.axvline(focus_m, color="k", lw=0.8, ls="--")
    ax_z.set_xscale("log")
    ax_z.set_xlabel("depth z (m)")
    ax_z.set_title(f"against depth: curves (focus {focus_m:g} m)")
    ax_d.axvline(1.0 / focus_m, color="k", lw=0.8, ls="--")
    ax_d.set_xlabel("disparity 1/z (1/m)")
    ax_d.set_title("against disparity: straight lines")
    return fig


def refocus_figure(cap: Any, *, settings: list[dict[str, Any]] | None = None, size: tuple[int, int] | None = None,
                   original: bool = True):
    """The photo (optional) and refocused versions side by side, each titled with its focus and
    f-number.  ``settings`` are keyword sets for :func:`depthlab.refocus` (default: f/1.4, f/4, f/16 at
    the subject).  ``size`` defaults to at most 640 pixels wide.  Returns a matplotlib Figure.

    >>> import depthlab
    >>> from depthlab.figures.lessons import refocus_figure
    >>> fig = refocus_figure(depthlab.open("data/sample/front_truedepth.heic"), settings=[{"f_number": 1.4}], size=(120, 160))
    >>> len(fig.axes)
    2
    """
    from ..imaging._refocus import Refocuser
    from .panels import new_figure  # outside pyplot: shown once in a notebook

    settings = settings if settings is not None else [{"f_number": 1.4}, {"f_number": 4.0}, {"f_number": 16.0}]
    if size is None:
        w, h = cap.rgb_size or (cap.rgb.shape[1], cap.rgb.shape[0])
        size = (min(w, 640), round(h * min(w, 640) / w))
    prepared = Refocuser(cap, size=size)
    panels = [(cap.rgb_at(*size), "photo as stored")] if original else []
    for kw in settings:
        img = prepared.render(focus=kw.get("focus"), f_number=kw.get("f_number", 2.8))
        unit = "m" if img.info.units == "m" else "units"
        panels.append((img, f"f/{img.info.f_number:g}, focus {img.focus_m:.2f} {unit}"))
    # a notebook shows a figure at most ~900 px wide: titles of 0.9 pt per inch of figure width
    # are >= 11 px there (3 inches a panel keeps them that size without crowding)
    width = 3.0 * len(panels)
    fig = new_figure(width, 3.0 * size[1] / size[0] + 0.5)
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, (img, title) in zip(axes[0], panels):
        ax.imshow(np.asarray(img))
        ax.set_title(title, fontsize=max(10.0, 0.9 * width))
        ax.axis("off")
    return fig


# --------------------------------------------------------------------------------------------
# One photo from the command line
# --------------------------------------------------------------------------------------------


def distortion_figure(cap: Capture, *, grid: int = 15, magnify: float | None = None) -> Any:
    """Apple's radial model as arrows: where each rectilinear (pinhole) position appears in the
    distorted image (``distort_points``), on a grid over the calibration's reference image,
    magnified so the arrows show; axes in the reference image's pixels."""
    from ..camera import distort_points

    cal = cap.calibration
    if cal is None:
        raise InvalidInputError("the distortion figure needs a calibration")
    if not cal.has_distortion:  # an Android or estimated calibration: say so instead of failing
        fig, ax = _fig(6.4, 2.0)
        ax.text(0.5, 0.5, "this photo's calibration stores no (non-zero) lens-distortion model:\nnothing to draw (iPhone rear cameras carry one)",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    rw, rh = cal.reference_size
    gx, gy = np.meshgrid(np.linspace(0.5, rw - 0.5, grid), np.linspace(0.5, rh - 0.5, max(3, round(grid * rh / rw))))
    pts = np.stack([gx, gy], axis=-1)
    moved = distort_points(cal, pts) - pts
    size = np.hypot(moved[..., 0], moved[..., 1])
    big = float(size.max())
    if magnify is None:
        want = 0.0 if big <= 0 else 0.08 * rw / big  # the longest arrow about 8% of the width
        magnify = max([1.0] + [m for m in (2, 5, 10, 20, 50, 100, 200, 500, 1000) if m <= want])
    fig, ax = _fig(6.4, 6.4 * rh / rw + 0.6)
    q = ax.quiver(gx, gy, moved[..., 0] * magnify, moved[..., 1] * magnify, size, angles="xy", scale_units="xy", scale=1,
                  cmap="viridis", width=0.004)
    fig.colorbar(q, ax=ax, label="displacement (px of the reference image)", shrink=0.8)
    cx, cy = cal.distortion_center
    ax.plot([cx], [cy], "+", color="C3", ms=12, label="distortion centre")
    ax.set(xlim=(0, rw), ylim=(rh, 0), aspect="equal", xlabel=f"x (px of the {rw}x{rh} reference image)", ylabel="y (px)")
    ax.set_title(f"Apple's radial model: rectilinear -> distorted, arrows x{magnify:g}; largest {big:.1f} px", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def blur_map_figure(cap: Any, *, f_number: float = 1.4, focus: float | None = None, crop: int = 160) -> Any:
    """What the blur does up close: a crop of the photo around the subject's outline, the same
    crop refocused, and the signed blur-radius map of the whole frame (positive in front of the
    focus, negative behind).  Axes in pixels of the sample's own photo."""
    from ..imaging._refocus import Refocuser, blur_radius_px
    from .panels import new_figure

    w, h = cap.rgb_size or (cap.rgb.shape[1], cap.rgb.shape[0])
    prepared = Refocuser(cap, size=(w, h))
    img = prepared.render(focus=focus, f_number=f_number)
    from PIL import Image
    from matplotlib.patches import Rectangle

    depth = np.asarray(Image.fromarray(cap.depth.astype(np.float32)).resize((w, h), Image.Resampling.NEAREST))
    radius = blur_radius_px(depth, img.focus_m, f_number, img.info.focal_length_35mm, (w, h))
    # the crop: centred where the blur changes fastest near the middle of the frame (the outline)
    grad = np.abs(np.diff(np.nan_to_num(radius), axis=1))
    band = grad[h // 4: 3 * h // 4, w // 8: 7 * w // 8]
    r0, c0 = np.unravel_index(int(np.argmax(band)), band.shape)
    cy, cx = r0 + h // 4, c0 + w // 8
    half = min(crop, w, h) // 2
    y0, x0 = int(np.clip(cy - half, 0, h - 2 * half)), int(np.clip(cx - half, 0, w - 2 * half))
    window = (slice(y0, y0 + 2 * half), slice(x0, x0 + 2 * half))
    extent = (x0 - 0.5, x0 + 2 * half - 0.5, y0 + 2 * half - 0.5, y0 - 0.5)
    fig = new_figure(11, 4)
    axes = fig.subplots(1, 3)
    unit = "m" if img.info.units == "m" else "capture units"
    axes[0].imshow(np.asarray(cap.rgb_at(w, h))[window], extent=extent)
    axes[0].set_title("photo as stored (crop)", fontsize=10)
    axes[1].imshow(np.asarray(img)[window], extent=extent)
    axes[1].set_title(f"f/{f_number:g}, focus {img.focus_m:.2f} {unit} (crop)", fontsize=10)
    lim = float(np.nanmax(np.abs(radius))) or 1.0
    im = axes[2].imshow(radius, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    axes[2].add_patch(Rectangle((x0 - 0.5, y0 - 0.5), 2 * half, 2 * half, fill=False, color="k", lw=1))
    axes[2].set_title(f"blur radius (px), largest {lim:.1f}", fontsize=10)
    fig.colorbar(im, ax=axes[2], label="radius px (+ in front of the focus, - behind)", shrink=0.8)
    for ax in axes:
        ax.set_xlabel(f"x (px of the {w}x{h} photo)")
    axes[0].set_ylabel("y (px)")
    return fig


def comb_figure(cap: Capture, *, bins: int = 64) -> Any:
    """The quantisation lesson in one picture: the same depths in ``bins`` even depth bins (a
    comb: each bin catches a different number of the codes, even in disparity) and in bins on the
    stored codes (each holding whole codes, as depthlab's figures draw them)."""
    from ..colour import robust_range
    from .panels import histogram_edges, new_figure, stored_code_values

    d = cap.depth[np.isfinite(cap.depth)]
    lo, hi = robust_range(cap.depth)
    codes = stored_code_values(cap)
    fig = new_figure(9, 3.2)
    ax_even, ax_codes = fig.subplots(1, 2, sharey=False)
    ax_even.hist(d, bins=bins, range=(lo, hi), color="C0")
    ax_even.set_title(f"{bins} even bins in depth: a comb", fontsize=10)
    edges = histogram_edges(cap, "depth", lo, hi)
    ax_codes.hist(d, bins=edges, range=(lo, hi), color="C2")
    per = "" if isinstance(edges, int) or codes is None else f" ({edges.size - 1} bins)"
    ax_codes.set_title(f"bins on the stored codes{per}", fontsize=10)
    if codes is not None:
        inside = 1.0 / codes[codes > 0]
        inside = inside[(inside >= lo) & (inside <= hi)]
        ax_even.plot(inside, np.zeros_like(inside), "|", color="k", ms=6, label="stored codes")
        ax_even.legend(fontsize=8)
    for ax in (ax_even, ax_codes):
        ax.set_xlabel("depth (m)" if cap.accuracy == "absolute" else "depth (capture units)")
        ax.set_ylabel("pixels")
        ax.set_xlim(lo, hi)
    return fig
