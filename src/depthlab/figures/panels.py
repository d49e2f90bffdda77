"""Matplotlib figures of depth photos: one capture, or two side by side, in one call.

>>> import depthlab
>>> from depthlab.figures import capture_figure, comparison_figure, save_figure
>>> rear = depthlab.open("data/sample/rear_dual.heic")
>>> fig = comparison_figure(rear, models=("pinhole", "disparity-as-z"))   # one capture, two models
>>> [sf.get_suptitle() for sf in fig.subfigs][1:]    # the photo once, then one cloud per model
['pinhole model', 'disparity-as-z model']

A row has four panels: the colour photo | the depth (or disparity) map with a colorbar in metres
(or 1/m) | a histogram of the same values | the 3D point cloud drawn from a chosen viewpoint
(points sorted far to near, so near points cover far ones).  Each row's title names the camera
and its accuracy; wherever the scale is only relative (rear dual camera) the labels say
"relative scale".  Default sizes and fonts fit a two-column paper's full width (7 in, 7 pt).

matplotlib is imported inside the functions, so ``import depthlab`` stays light.
"""

from __future__ import annotations

import functools
import io
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..exchange.atomic import atomic_write
from ..capture import Capture, accuracy_label
from ..checks import keyword_options, nothing_left, require_capture
from ..colour import DEFAULT_PERCENTILES, UNKNOWN_GREY, matplotlib_colormap, robust_range
from ..deps import require
from ..errors import DepthlabError, InvalidInputError
from ..projection import point_cloud
from ..settings import DEFAULT_MODEL, ProjectionSettings, default_stride, is_pinhole

__all__ = [
    "capture_figure",
    "comparison_figure",
    "save_figure",
    "colour_mapped",
    "render_view",
    "VIEWS",
    "PAPER_WIDTH_IN",
]

#: Full text width of a two-column paper (inches); one row of four panels fits it.
PAPER_WIDTH_IN = 7.0
_FONT = 7.0
_SMALL = 6.0

#: Named viewpoints of the cloud panel: (azimuth, elevation) in degrees; see :func:`render_view`.
VIEWS: dict[str, tuple[float, float]] = {
    "camera": (0.0, 0.0),    # from the phone, looking along +z
    "oblique": (30.0, 20.0),   # a little right of and above the phone
    "side": (90.0, 0.0),       # from the right: depth runs left to right
    "top": (0.0, 90.0),      # from above: depth runs bottom to top
}

QUANTITIES = ("depth", "disparity")

#: What a journal's checker asks of a figure file: fonts embedded as TrueType (Type 42), not
#: Type 3 bitmaps-in-a-program, in PDF and PostScript; text left as text in SVG.
PAPER_RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none"}


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _length_unit(cap: Capture, model: str | None = None) -> str:
    """The unit of a length drawn from ``cap``: ``m``, ``m, relative scale``, the file's own
    ``units`` (:attr:`Capture.depth_unit`), or ``model units`` for a flat model's cloud
    (``model``: the cloud's projection model; None for depth values themselves)."""
    if model is not None and not is_pinhole(model):
        return "model units"
    unit = cap.depth_unit
    return f"{unit}, relative scale" if cap.accuracy == "relative" else unit


def _quantity_label(quantity: str, cap: Capture) -> str:
    """Axis/colorbar label with unit, e.g. ``depth (m, relative scale)``, ``disparity (1/m)``."""
    unit = _length_unit(cap)
    return f"{quantity} ({unit})" if quantity == "depth" else f"{quantity} (1/{unit.replace('units', 'unit')})"


def _values(cap: Capture, quantity: str) -> np.ndarray:
    if quantity == "depth":
        return cap.depth
    if quantity == "disparity":
        return cap.disparity
    raise InvalidInputError(f"quantity must be 'depth' or 'disparity', got {quantity!r}")


def _cmap(name: str | None, quantity: str = "depth"):
    """The colormap of a depth/disparity panel: depthlab's ramp (:mod:`depthlab.colour`, near is
    bright) by default, else the named matplotlib colormap; unknown values grey in both."""
    if name is None:
        return matplotlib_colormap(quantity)
    matplotlib = require("matplotlib", "figures and colour maps")

    return matplotlib.colormaps[name].with_extremes(bad=tuple(c / 255 for c in UNKNOWN_GREY) + (1.0,))


def colour_mapped(values: np.ndarray, vmin: float, vmax: float, cmap: str = "viridis_r") -> np.ndarray:
    """A float map as uint8 (H, W, 3) colours through a matplotlib colormap; NaN becomes grey
    (:data:`depthlab.colour.UNKNOWN_GREY`).  depthlab's own ramp is :func:`depthlab.colour.colour_map`.

    Convention: linear map of ``[vmin, vmax]`` onto the colormap, values outside clipped to its
    ends; the array keeps its layout (row = v, column = u).
    """
    from matplotlib.colors import Normalize

    rgba = _cmap(cmap)(Normalize(vmin=vmin, vmax=vmax, clip=True)(np.ma.masked_invalid(values)))
    return np.round(rgba[..., :3] * 255).astype(np.uint8)


@functools.lru_cache(maxsize=None)
def _figure_class():
    """matplotlib's Figure with a PNG ``_repr_png_``, made on first use (keeps imports lazy)."""
    Figure = require("matplotlib.figure", "figures").Figure

    class DepthlabFigure(Figure):
        """A plain matplotlib Figure that Jupyter shows as a PNG even without ``%matplotlib inline``."""

        repr_dpi = 150

        def savefig(self, *args, **kwargs):
            """Figure.savefig with TrueType (Type 42) fonts in PDF/PS and text kept as text in SVG."""
            import matplotlib

            with matplotlib.rc_context(PAPER_RC):
                return super().savefig(*args, **kwargs)

        def _repr_png_(self) -> bytes:
            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=self.repr_dpi)
            return buf.getvalue()

    DepthlabFigure.__module__ = __name__
    return DepthlabFigure


def _new_figure(width: float, height: float):
    """A Figure outside pyplot, drawn by Agg: no GUI window, shown exactly once in a notebook.

    pyplot is not used, so the inline backend does not show the figure a second time at the end
    of the cell; Jupyter displays the returned figure through ``_repr_png_`` (or through
    matplotlib's own formatter when ``%matplotlib inline`` registered one).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure_class()(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


#: the same, under a public name for other modules' figures (refocus)
new_figure = _new_figure


# --------------------------------------------------------------------------------------------
# The cloud panel
# --------------------------------------------------------------------------------------------


def render_view(xyz: np.ndarray, azimuth: float, elevation: float,
                centre: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orthographic view of points: screen coordinates and a far-to-near drawing order.

    Convention: ``xyz`` is (N, 3) in the camera frame (x right, y down, z forward).  The viewer
    starts at the phone looking along +z (azimuth 0, elevation 0) and swings around ``centre``
    (default: the median point): by ``azimuth`` degrees about the vertical axis (positive: the
    viewer moves to the right, +x, and looks back at the centre), then by ``elevation`` degrees
    upwards (positive: the viewer rises and looks down).  So ``(90, 0)`` is a side view in which
    depth runs left to right, ``(0, 90)`` a top view in which depth runs bottom to top.
    Returns ``(sx, sy, order)``: screen x to the right and screen y *up*, in the units of
    ``xyz`` (orthographic: lengths along the screen are true lengths), and the indices sorting the
    points from far to near, so drawing in that order lets near points cover far ones.
    """
    p = np.asarray(xyz, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3:
        raise InvalidInputError(f"xyz must be (N, 3), got {p.shape}")
    c = np.median(p, axis=0) if centre is None else np.asarray(centre, dtype=np.float64)
    q = p - c
    a, e = math.radians(azimuth), math.radians(elevation)
    ca, sa, ce, se = math.cos(a), math.sin(a), math.cos(e), math.sin(e)
    # yaw: screen right r = (cos a, 0, sin a), view direction (-sin a, 0, cos a)
    x1 = ca * q[:, 0] + sa * q[:, 2]
    z1 = -sa * q[:, 0] + ca * q[:, 2]
    y1 = q[:, 1]
    # pitch: view direction tilts down (+y) by e; screen up = (-cos e) * y + (sin e) * z
    up = -ce * y1 + se * z1
    dist = se * y1 + ce * z1
    order = np.argsort(-dist, kind="stable")
    return x1, up, order


def _view_angles(view: str | tuple[float, float]) -> tuple[str, float, float]:
    if isinstance(view, str):
        if view not in VIEWS:
            raise InvalidInputError(f"unknown view {view!r}; use one of {sorted(VIEWS)} or (azimuth, elevation)")
        az, el = VIEWS[view]
        return view, az, el
    try:
        az, el = (float(v) for v in view)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"view must be a name or (azimuth, elevation) degrees, got {view!r}") from exc
    return f"az {az:g}°, el {el:g}°", az, el


@dataclass
class _Cloud:
    xyz: np.ndarray
    rgb: np.ndarray
    units: str
    model: str
    estimated: bool


def _project(cap: Capture, settings: ProjectionSettings) -> _Cloud:
    cloud = point_cloud(cap, settings=settings)
    return _Cloud(cloud.xyz, cloud.rgb, cloud.units, settings.model, cloud.intrinsics_estimated)


# --------------------------------------------------------------------------------------------
# One row
# --------------------------------------------------------------------------------------------


@dataclass
class _RowSpec:
    cap: Capture
    label: str | None
    model: str
    cloud: _Cloud | None
    cloud_error: str | None
    values: np.ndarray
    vrange: tuple[float, float] | None
    matte: tuple[str, np.ndarray] | None = None  # (name, bool at the depth map's size) for the histogram


def _row_title(spec: _RowSpec, show_model: bool) -> str:
    cap = spec.cap
    parts = []
    camera = str(cap.camera)
    if spec.label and spec.label.lower() not in camera.lower():
        parts.append(spec.label)
    parts.append(camera)
    parts.append(accuracy_label(cap.accuracy))
    if show_model:
        parts.append(f"{spec.model} model")
    from ..camera import check_intrinsics_against_exif

    check = check_intrinsics_against_exif(cap.calibration, cap.camera)
    if check is not None and check.short:
        parts.append(check.short)
    return " · ".join(parts)


def _style(ax) -> None:
    ax.tick_params(labelsize=_SMALL, length=2, pad=1.5)


def _draw_row(subfig, spec: _RowSpec, *, quantity: str, cmap: str, view, bins: int,
              cloud_limits: tuple[float, np.ndarray] | None, marker_size: float,
              show_model: bool, grid: bool = False) -> dict[str, Any]:
    cap = spec.cap
    if grid:  # 2 x 2 for a single paper column
        axes = subfig.subplots(2, 2, gridspec_kw={"width_ratios": [1, 1.18]}).ravel()
    else:
        axes = subfig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1.18, 1, 1]})
    ax_rgb, ax_map, ax_hist, ax_cloud = axes
    for ax, name in zip(axes, ("colour", quantity, "histogram", "cloud")):
        ax.set_label(name)
        _style(ax)
    subfig.suptitle(_row_title(spec, show_model), fontsize=_FONT + 1)

    _draw_colour(ax_rgb, cap)
    im, cbar = _draw_map_and_histogram(subfig, ax_map, ax_hist, spec, quantity, cmap, bins)
    _draw_cloud(ax_cloud, spec, view, cloud_limits, marker_size)
    return {"colour": ax_rgb, "map": ax_map, "colorbar": cbar, "histogram": ax_hist, "cloud": ax_cloud, "image": im}


def _draw_colour(ax_rgb, cap: Capture) -> None:
    h, w = cap.shape
    if cap.has_rgb:
        rgb = cap.rgb
        rh, rw = rgb.shape[:2]
        scale = min(1.0, 800.0 / max(rh, rw))
        img = cap.rgb_at(max(1, round(rw * scale)), max(1, round(rh * scale))) if scale < 1 else rgb
        ax_rgb.imshow(img, interpolation="nearest", extent=(0, w, h, 0))
        ax_rgb.set_title("colour", fontsize=_FONT)
    else:
        ax_rgb.text(0.5, 0.5, "no colour image", ha="center", va="center", transform=ax_rgb.transAxes,
                    fontsize=_SMALL)
        ax_rgb.set_title("colour", fontsize=_FONT)
    ax_rgb.set_xticks([])
    ax_rgb.set_yticks([])



def stored_code_values(cap: Capture) -> np.ndarray | None:
    """The value (in the capture's ``disparity`` unit, 1/m) each stored integer code decodes to,
    ascending; None when the file's encoding is unknown."""
    enc = cap.encoding
    if enc is None:
        return None
    codes = np.arange(enc.int_max - enc.int_min + 1, dtype=np.float64)
    if enc.quantity == "disparity" and enc.step:
        return enc.float_min + codes * enc.step
    if enc.near is not None and enc.far is not None and enc.far > enc.near > 0 and codes.size > 1:
        n = codes / codes[-1]
        if enc.format == "RangeInverse":
            depth = enc.far * enc.near / (enc.far - n * (enc.far - enc.near))
        elif enc.format == "RangeLinear":
            depth = enc.near + n * (enc.far - enc.near)
        else:
            return None
        return np.sort(1.0 / depth)
    return None


def histogram_edges(cap: Capture, quantity: str, vmin: float, vmax: float, bins: int | str = "codes",
                    max_bins: int = 128) -> np.ndarray | int:
    """Histogram bin edges on the stored codes: each bin holds whole codes (groups of codes when
    there are more than ``max_bins`` in range), edges half-way between neighbouring codes, in the
    quantity shown.  Even bins in depth over codes even in disparity catch 0, 1 or 2 codes each: a
    comb that is the quantisation, not the scene.  ``bins`` an int: that many even bins."""
    if isinstance(bins, np.ndarray):  # edges chosen already (a comparison's shared bins)
        return bins
    if not isinstance(bins, str):
        return int(bins)
    if bins != "codes":
        raise InvalidInputError(f"bins must be a number or 'codes', got {bins!r}")
    values = stored_code_values(cap)
    if values is None:
        return 64
    shown = values if quantity == "disparity" else np.sort(1.0 / values[values > 0])
    inside = shown[(shown >= vmin) & (shown <= vmax)]
    if inside.size < 2:
        return 64
    mids = 0.5 * (inside[:-1] + inside[1:])
    edges = np.concatenate([[inside[0] - (mids[0] - inside[0])], mids, [inside[-1] + (inside[-1] - mids[-1])]])
    group = int(np.ceil(inside.size / max_bins))
    edges = edges[::group] if (edges.size - 1) % group == 0 else np.append(edges[::group], edges[-1])
    edges[0], edges[-1] = min(vmin, edges[0]), max(vmax, edges[-1])
    return edges


def _matte_histogram(ax, spec: _RowSpec, bins, vmin: float, vmax: float) -> None:
    """Outlines of the pixels inside and outside the matte over the histogram, with a legend."""
    name, inside = spec.matte
    ok = np.isfinite(spec.values)
    for sel, style, word in ((inside & ok, "-", "inside"), (~inside & ok, "--", "outside")):
        ax.hist(spec.values[sel], bins=bins, range=(vmin, vmax), histtype="step", color="k", linestyle=style,
                linewidth=0.8, label=f"{word} {name} matte ({int(sel.sum())} px)")
    ax.legend(fontsize=_SMALL - 1, frameon=False)


def _draw_map_and_histogram(subfig, ax_map, ax_hist, spec: _RowSpec, quantity: str, cmap: str | None, bins: int):
    cap = spec.cap
    h, w = cap.shape
    label = _quantity_label(quantity, cap)
    cm = _cmap(cmap, quantity)
    vmin, vmax = spec.vrange if spec.vrange is not None else (0.0, 1.0)
    im = ax_map.imshow(spec.values, cmap=cm, vmin=vmin, vmax=vmax, interpolation="nearest",
                       extent=(0, w, h, 0))
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    ax_map.set_title(f"{quantity} map ({w}×{h})", fontsize=_FONT)
    finite = spec.values[np.isfinite(spec.values)]
    extend = "neither"
    if finite.size:
        lo, hi = finite.min() < vmin, finite.max() > vmax
        extend = {(False, False): "neither", (True, False): "min", (False, True): "max", (True, True): "both"}[(bool(lo), bool(hi))]
    cbar = subfig.colorbar(im, ax=ax_map, fraction=0.08, pad=0.02, extend=extend)
    cbar.set_label(label, fontsize=_SMALL)
    cbar.ax.tick_params(labelsize=_SMALL, length=2, pad=1)
    cbar.ax.set_label("colorbar")

    # -- histogram ------------------------------------------------------------------------------
    if finite.size:
        bins = histogram_edges(cap, quantity, vmin, vmax, bins)
        counts, edges, patches = ax_hist.hist(finite, bins=bins, range=(vmin, vmax))
        centres = 0.5 * (edges[:-1] + edges[1:])
        from matplotlib.colors import Normalize

        colours = cm(Normalize(vmin, vmax)(centres))
        for patch, colour in zip(patches, colours):
            patch.set_facecolor(colour)
            patch.set_edgecolor("none")
        ax_hist.hist(finite, bins=bins, range=(vmin, vmax), histtype="step", color="0.3", linewidth=0.4)
        ax_hist.set_xlim(vmin, vmax)
        if spec.matte is not None:
            _matte_histogram(ax_hist, spec, bins, vmin, vmax)
    else:
        ax_hist.text(0.5, 0.5, "no valid depth", ha="center", va="center", transform=ax_hist.transAxes,
                     fontsize=_SMALL)
    ax_hist.set_xlabel(label, fontsize=_SMALL)
    ax_hist.set_ylabel("pixels", fontsize=_SMALL)
    valid_pct = 100.0 * finite.size / spec.values.size
    ax_hist.set_title(f"histogram · {valid_pct:.3g}% valid", fontsize=_FONT)
    ax_hist.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3))
    ax_hist.yaxis.get_offset_text().set_fontsize(_SMALL)
    return im, cbar


def _draw_cloud(ax_cloud, spec: _RowSpec, view, cloud_limits: tuple[float, np.ndarray] | None,
                marker_size: float) -> None:
    cap = spec.cap
    view_name, az, el = _view_angles(view)
    if spec.cloud is not None and len(spec.cloud.xyz):
        cl = spec.cloud
        centre = None if cloud_limits is None else cloud_limits[1]
        sx, sy, order = render_view(cl.xyz, az, el, centre=centre)
        ax_cloud.scatter(sx[order], sy[order], c=cl.rgb[order] / 255.0, s=marker_size, marker=".",
                         linewidths=0, rasterized=True)
        # equal scales, and the panel keeps its whole box: the view's limits grow to fill it
        ax_cloud.set_aspect("equal", adjustable="datalim")
        if cloud_limits is not None:  # the square +-half is the least the view shows (limits left to autoscale,
            half = cloud_limits[0]      # so the equal aspect can widen them to the box without a warning)
            ax_cloud.dataLim.set_points(np.array([[-half, -half], [half, half]]))
            ax_cloud.margins(0)
            ax_cloud.autoscale_view()
        ax_cloud.set_xlabel(f"({_length_unit(cap, cl.model)})", fontsize=_SMALL)
        note = "\nintrinsics estimated" if cl.estimated else ""
        ax_cloud.set_title(f"3D · {cl.model} · {view_name}{note}", fontsize=_FONT)
        ax_cloud.set_facecolor((0.97, 0.97, 0.97))
    else:
        msg = spec.cloud_error or "no valid points"
        ax_cloud.text(0.5, 0.5, "no 3D view:\n" + msg, ha="center", va="center", wrap=True,
                      transform=ax_cloud.transAxes, fontsize=_SMALL)
        ax_cloud.set_xticks([])
        ax_cloud.set_yticks([])
        ax_cloud.set_title(f"3D · {spec.model}", fontsize=_FONT)


#: axis names of the screen for the named views, with the camera at the origin
_VIEW_AXES = {"side": ("depth z", "height −y"), "top": ("x (right)", "depth z"), "camera": ("x (right)", "height −y")}


def _draw_camera(ax, az: float, el: float, size: float) -> None:
    """The camera at the origin, as its optical centre and a small frustum along +z."""
    corners = np.array([[0, 0, 0], [-0.5, -0.375, 1], [0.5, -0.375, 1], [0.5, 0.375, 1], [-0.5, 0.375, 1]]) * size
    sx, sy, _ = render_view(corners, az, el, centre=np.zeros(3))
    for i in range(1, 5):
        ax.plot([sx[0], sx[i]], [sy[0], sy[i]], color="C3", lw=0.8)
    ring = [1, 2, 3, 4, 1]
    ax.plot(sx[ring], sy[ring], color="C3", lw=0.8)
    ax.plot([sx[0]], [sy[0]], marker="o", ms=3, color="C3", label="camera")


def _draw_model_cloud(ax, spec: _RowSpec, view, marker_size: float) -> None:
    """One model's cloud with the camera at the origin: axes in the model's units, named."""
    view_name, az, el = _view_angles(view)
    cl = spec.cloud
    if cl is None or not len(cl.xyz):
        ax.text(0.5, 0.5, "no 3D view:\n" + (spec.cloud_error or "no valid points"), ha="center", va="center",
                transform=ax.transAxes, fontsize=_SMALL)
        return
    sx, sy, order = render_view(cl.xyz, az, el, centre=np.zeros(3))
    ax.scatter(sx[order], sy[order], c=cl.rgb[order] / 255.0, s=marker_size, marker=".", linewidths=0, rasterized=True)
    unit = _length_unit(spec.cap, cl.model)
    if is_pinhole(cl.model):  # a pinhole cloud (metres, or the file's own units): the camera is at its origin
        _draw_camera(ax, az, el, 0.15 * float(np.median(cl.xyz[:, 2])))
        ax.legend(fontsize=_SMALL, loc="best", frameon=False)
    names = _VIEW_AXES.get(view_name, ("screen x", "screen y"))
    ax.set_xlabel(f"{names[0]} ({unit})", fontsize=_SMALL)
    ax.set_ylabel(f"{names[1]} ({unit})", fontsize=_SMALL)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_title(f"3D · {cl.model} · {view_name}", fontsize=_FONT)
    ax.set_facecolor((0.97, 0.97, 0.97))


def _models_figure(specs: list[_RowSpec], *, view, width: float, marker_size: float):
    """Several models of one capture: what differs, the clouds, side by side (the photo, the
    map and its histogram are the same for every model, so they are drawn once: the photo)."""
    cap = specs[0].cap
    h, w = cap.shape
    panel = width / (len(specs) + 1)
    fig = _new_figure(width, max(2.2, panel * 1.15 + 0.6))
    subfigs = fig.subfigures(1, len(specs) + 1, width_ratios=[0.8] + [1.0] * len(specs), squeeze=False)[0]
    ax = subfigs[0].subplots(1, 1)
    ax.set_label("colour")
    _style(ax)
    _draw_colour(ax, cap)
    subfigs[0].suptitle(_row_title(specs[0], False), fontsize=_FONT, wrap=True)
    for sf, spec in zip(subfigs[1:], specs):
        ax = sf.subplots(1, 1)
        ax.set_label("cloud")
        _style(ax)
        _draw_model_cloud(ax, spec, view, marker_size)
        sf.suptitle(f"{spec.model} model", fontsize=_FONT + 1)
    fig.supxlabel("one photo, several camera models: only the 3D points differ; the camera sits at the origin",
                  fontsize=_SMALL, color="0.3")
    fig.set_label("depthlab comparison")
    return fig


def _make_spec(cap: Capture, label: str | None, model: str, quantity: str, stride: int | None,
               max_points: int, near, far, mask, percentiles) -> _RowSpec:
    require_capture(cap, "a figure")
    values = _values(cap, quantity)
    s = stride if stride is not None else default_stride(cap.shape, max_points)
    cloud, err = None, None
    try:
        cloud = _project(cap, ProjectionSettings(model=model, stride=s, near=near, far=far, mask=mask))
    except DepthlabError as exc:
        err = str(exc)
        warnings.warn(f"3D panel left empty: {exc}", stacklevel=3)
    if err is None and cloud is not None and not len(cloud.xyz) and (near, far, mask) != (None, None, None):
        err = str(nothing_left(cap, what="no point", near=near, far=far, mask=mask))
    return _RowSpec(cap, label, model, cloud, err, values, robust_range(values, percentiles))


def _row_height(cap: Capture, width: float, grid: bool) -> float:
    h, w = cap.shape
    if grid:
        panel = width / 2.3
        return 2 * max(1.2, panel * h / w + 0.55) + 0.2
    panel = width / 4.4
    return max(1.35, panel * h / w + 0.75)


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@keyword_options
def capture_figure(cap: Capture, *, model: str = DEFAULT_MODEL, quantity: str = "depth",
                   view: str | tuple[float, float] = "oblique", stride: int | None = None,
                   max_points: int = 30_000, near: float | None = None, far: float | None = None,
                   mask: str | None = None, cmap: str | None = None, bins: int | str = "codes",
                   percentiles: tuple[float, float] = DEFAULT_PERCENTILES, marker_size: float = 1.0,
                   width: float = PAPER_WIDTH_IN, layout: str = "auto", label: str | None = None,
                   histogram_matte: str | None = None):
    """One capture in four panels: colour | depth map + colorbar | histogram | 3D view.

    Parameters
    ----------
    cap : Capture
    model : projection model of the 3D panel (``"pinhole"``, ``"pinhole-raw"``,
        ``"orthographic"``, ``"disparity-as-z"``; see :mod:`depthlab.projection`).
    quantity : ``"depth"`` (metres, the default) or ``"disparity"`` (1/m, what the phone stored).
    view : a name in :data:`VIEWS` (``"oblique"``, ``"camera"``, ``"side"``, ``"top"``) or
        ``(azimuth, elevation)`` in degrees (see :func:`render_view`).
    stride, max_points : the 3D panel uses every ``stride``-th pixel; by default the stride that
        keeps about ``max_points`` points.
    near, far, mask : passed to the projection (metres; a matte name).
    cmap : a matplotlib colormap name; default depthlab's depth ramp (:mod:`depthlab.colour`,
        near is bright for depth and disparity alike, as in the live view and the CLI preview).
        Unknown pixels are grey.
    percentiles : the colour scale (and histogram range) spans these percentiles of the valid
        values; the colorbar shows an arrow where values lie beyond it.
    bins : ``"codes"`` (the default): histogram bins on the stored codes, each holding whole
        codes (:func:`histogram_edges`), so no comb appears; a number: that many even bins.
    histogram_matte : a matte name (e.g. ``"portrait"``): the histogram also shows the pixels
        inside and outside that matte as two outlines.
    width : figure width in inches: 7 in (the default) spans a two-column paper's text width,
        3.5 in fits one column.  Fonts are 6-8 pt at any width.
    layout : ``"row"`` (four panels side by side), ``"grid"`` (2 x 2) or ``"auto"``: a row from
        5 in wide, a grid below (a single paper column).
    label : optional prefix of the row title.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.subfigs[0]`` holds the row; its axes carry the labels ``"colour"``, ``"depth"`` (or
        ``"disparity"``), ``"histogram"``, ``"cloud"`` and ``"colorbar"``.  Save with
        :func:`save_figure`.

    >>> import depthlab
    >>> from depthlab.figures import capture_figure
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> fig = capture_figure(cap, quantity="disparity", view="top", marker_size=0.5)
    >>> len(fig.axes) >= 4
    True
    """
    return _figure([cap], labels=[label], models=[model], quantity=quantity, view=view, stride=stride,
                   max_points=max_points, near=near, far=far, mask=mask, cmap=cmap, bins=bins,
                   percentiles=percentiles, marker_size=marker_size, width=width, layout=layout, shared=False,
                   histogram_matte=histogram_matte)


@keyword_options
def comparison_figure(a: Capture, b: Capture | str | None = None, *, labels: Sequence[str | None] | None = None,
                      models: Sequence[str] | None = None, model: str = DEFAULT_MODEL, quantity: str = "depth",
                      shared: bool | str = "auto", view: str | tuple[float, float] = "oblique",
                      stride: int | None = None, max_points: int = 30_000, near: float | None = None,
                      far: float | None = None, mask: str | None = None, cmap: str | None = None,
                      bins: int | str = "codes", percentiles: tuple[float, float] = DEFAULT_PERCENTILES,
                      marker_size: float = 1.0, width: float = PAPER_WIDTH_IN, layout: str = "auto",
                      histogram_matte: str | None = None):
    """Two rows of the :func:`capture_figure` panels, aligned: two captures or two models of one.

    ``comparison_figure(rear, front)`` compares two photos; ``comparison_figure(cap,
    models=("pinhole", "disparity-as-z"))`` compares two projection models of one capture
    (``b`` defaults to ``a``); ``comparison_figure(cap, "refined")`` compares the stored map
    with :func:`depthlab.refine`'s (any refined capture can also be passed as ``b``).

    ``shared="auto"`` gives both rows one colour scale, one histogram range and one 3D scale when
    that comparison means something: the same capture twice, or two captures whose depth is
    ``"absolute"`` (metres you can trust).  With a relative-scale capture in the pair each row
    keeps its own scale (their metres are not comparable) and the figure says so.  Pass
    ``shared=True`` or ``False`` to decide yourself.  Other parameters as in :func:`capture_figure`.

    >>> import depthlab
    >>> from depthlab.figures import comparison_figure
    >>> rear = depthlab.open("data/sample/rear_dual.heic")
    >>> front = depthlab.open("data/sample/front_truedepth.heic")
    >>> fig = comparison_figure(rear, front, labels=("rear", "front"))
    >>> len(fig.axes) >= 8
    True
    """
    refined_pair = isinstance(b, str) and b == "refined"
    if refined_pair:  # the stored map against depthlab.refine's (same capture, same scales)
        from ..imaging._refine import refine

        b = refine(a)
        labels = ("stored", "refined") if labels is None else labels
    elif isinstance(b, str):
        raise InvalidInputError(f"b must be a Capture, None or 'refined', got {b!r}")
    b = a if b is None else b
    if models is None:
        models = (model, model)
    models = list(models)
    if len(models) != 2:
        raise InvalidInputError(f"models must name two projection models, got {models!r}")
    if labels is None:
        labels = (None, None)
    labels = list(labels)
    if len(labels) != 2:
        raise InvalidInputError(f"labels must be two strings, got {labels!r}")
    if shared == "auto":
        shared = (a is b) or refined_pair or (a.accuracy == "absolute" and b.accuracy == "absolute")
    elif not isinstance(shared, bool):
        raise InvalidInputError(f"shared must be True, False or 'auto', got {shared!r}")
    return _figure([a, b], labels=labels, models=models, quantity=quantity, view=view, stride=stride,
                   max_points=max_points, near=near, far=far, mask=mask, cmap=cmap, bins=bins,
                   percentiles=percentiles, marker_size=marker_size, width=width, layout=layout, shared=shared,
                   histogram_matte=histogram_matte)


def _figure(caps, *, labels, models, quantity, view, stride, max_points, near, far, mask, cmap, bins,
            percentiles, marker_size, width, layout, shared, histogram_matte=None):
    if layout not in ("auto", "row", "grid"):
        raise InvalidInputError(f"layout must be 'auto', 'row' or 'grid', got {layout!r}")
    if not (isinstance(width, (int, float)) and math.isfinite(width) and width > 0):
        raise InvalidInputError(f"width must be a positive number of inches, got {width!r}")
    grid = layout == "grid" or (layout == "auto" and width < 5.0)
    if quantity not in QUANTITIES:
        raise InvalidInputError(f"quantity must be 'depth' or 'disparity', got {quantity!r}")
    _view_angles(view)  # validate early
    specs = [_make_spec(c, lab, m, quantity, stride, max_points, near, far, mask, percentiles)
             for c, lab, m in zip(caps, labels, models)]
    if histogram_matte is not None:
        from ..projection import matte_on_grid

        for s in specs:
            s.matte = histogram_matte, matte_on_grid(s.cap, histogram_matte, 1).reshape(s.cap.shape) >= 0.5

    if shared:
        ranges = [s.vrange for s in specs if s.vrange is not None]
        if ranges:
            common = (min(r[0] for r in ranges), max(r[1] for r in ranges))
            for s in specs:
                s.vrange = common

    # 3D scale: rows share a half-width when shared and in the same units; each row is centred
    # on its own median point.
    limits: list[tuple[float, np.ndarray] | None] = [None] * len(specs)
    _, az, el = _view_angles(view)
    halves = []
    for i, s in enumerate(specs):
        if s.cloud is not None and len(s.cloud.xyz):
            centre = np.median(s.cloud.xyz.astype(np.float64), axis=0)
            sx, sy, _ = render_view(s.cloud.xyz, az, el, centre=centre)
            half = float(max(np.percentile(np.abs(sx), 99.5), np.percentile(np.abs(sy), 99.5))) * 1.05 or 1.0
            limits[i] = (half, centre)
            halves.append(half)
    cloud_shared = False
    if shared and len(specs) > 1:
        units = {s.cloud.units for s in specs if s.cloud is not None}
        if len(units) == 1 and len(halves) == len(specs):
            h = max(halves)
            limits = [None if lim is None else (h, lim[1]) for lim in limits]
            cloud_shared = True

    if len(specs) > 1 and len({id(c) for c in caps}) == 1 and len(set(models)) == len(models):
        return _models_figure(specs, view=view, width=width, marker_size=marker_size)
    show_model = len(specs) > 1 and len(set(models)) > 1
    heights = [_row_height(s.cap, width, grid) for s in specs]
    fig = _new_figure(width, sum(heights) + (0.18 if len(specs) > 1 else 0))
    subfigs = fig.subfigures(len(specs), 1, height_ratios=heights, squeeze=False)[:, 0]
    for sf, spec, lim, row_bins in zip(subfigs, specs, limits, _shared_bins(specs, quantity, bins, shared)):
        _draw_row(sf, spec, quantity=quantity, cmap=cmap, view=view, bins=row_bins, cloud_limits=lim,
                  marker_size=marker_size, show_model=show_model, grid=grid)
    if len(specs) > 1:
        if shared:
            note = "shared colour and 3D scales" if cloud_shared else "shared colour scale; 3D views on their own scales"
        else:
            note = "each row on its own scale"
            if any(s.cap.accuracy != "absolute" for s in specs):
                note += ("\n" if grid else " ") + "(relative-scale depth is not comparable between photos)"
        fig.supxlabel(note, fontsize=_SMALL, color="0.3")
    fig.set_label("depthlab comparison" if len(specs) > 1 else "depthlab capture")
    return fig


def _shared_bins(specs: list[_RowSpec], quantity: str, bins: Any, shared: bool) -> list[Any]:
    """Each row's histogram bins: on a shared scale, a row whose map has no stored codes (a refined
    or computed map) takes the first coded row's code edges, so bar heights compare."""
    if not shared or len(specs) < 2 or not isinstance(bins, str) or any(s.vrange is None for s in specs):
        return [bins] * len(specs)
    edges = [histogram_edges(s.cap, quantity, *s.vrange, bins) for s in specs]
    coded = next((e for e in edges if isinstance(e, np.ndarray)), None)
    return [e if isinstance(e, np.ndarray) or coded is None else coded for e in edges]


def save_figure(fig, path: str | os.PathLike, *, dpi: float = 300, overwrite: bool = False) -> Path:
    """Write ``fig`` as PNG (at ``dpi``), SVG or PDF, chosen by the file suffix, atomically.

    Refuses to replace an existing file unless ``overwrite=True``
    (:class:`~depthlab.errors.OverwriteError`); an interrupted save leaves no partial file.
    The 3D scatter is rasterised at ``dpi`` inside SVG/PDF so vector files stay small.

    >>> import depthlab
    >>> from depthlab.figures import capture_figure, save_figure
    >>> fig = capture_figure(depthlab.open("data/sample/front_truedepth.heic"), width=3.5)
    >>> save_figure(fig, "front.png", dpi=50).name
    'front.png'
    """
    dest = Path(path)
    fmt = dest.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise InvalidInputError(f"cannot tell the figure format from {dest.name!r}; use a .png, .svg or .pdf name")
    if not (isinstance(dpi, (int, float)) and dpi > 0):
        raise InvalidInputError(f"dpi must be a positive number, got {dpi!r}")
    metadata = {"png": {"Software": "depthlab"}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]
    with atomic_write(dest, overwrite=overwrite) as fh:
        fig.savefig(fh, format=fmt, dpi=dpi, metadata=metadata)
    return dest
