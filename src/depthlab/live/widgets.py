"""Notebook controls around the live view: ``show``, ``explore``, ``compare``.

In a notebook the last line of a cell shows the view (here it is built and inspected);
:func:`explore` and :func:`compare` show theirs the same way:

>>> import depthlab
>>> panel = depthlab.show(depthlab.open("data/sample/front_truedepth.heic"))   # colour | depth | live 3D
>>> [type(w).__name__ for w in panel.children]
['HTML', 'HBox', 'HTML']

Every control change goes through one path: the new value is stored, and an update is
*throttled* (the first change is drawn at once, changes arriving within ``THROTTLE_S`` of the
last update are folded into one trailing update), so dragging a slider never queues more
geometry than the browser can draw.  An update asks the :class:`~depthlab.projection.Projector`
for positions (a multiply into a reused buffer) and hands them to
:meth:`depthlab.live.viewer.CloudLayer.set`, which changes the existing ``BufferGeometry``'s
attributes in place: the renderer, scene and camera are never rebuilt.

The export button writes next to the notebook (the kernel's working folder, or ``export_dir``)
through :func:`depthlab.exchange.atomic.atomic_write` and never overwrites: it picks a fresh name.
"""

from __future__ import annotations

import asyncio
import io
import math
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np

from .. import colour
from ..capture import Capture, accuracy_label
from ..checks import keyword_options, require_capture
from ..errors import DepthlabError, InvalidInputError, OverwriteError
from ..figures.panels import capture_figure, save_figure
from ..exchange.html import to_html
from ..projection import Projector, matte_on_grid, pinhole_available, region_mask

from ..settings import (COLOURS, DEFAULT_MODEL, EDGE_OPTIONS, FLAT_MODELS, MAX_LIVE_STRIDE, MODEL_LABELS, ORTHOGRAPHIC,
                        PINHOLE_MODELS, ProjectionSettings, check_edges, default_stride, is_pinhole,
                        length_units)
from .behind import Behind
from .memo import SideMemo
from .scene import stretch_drawing
from .viewer import CloudView, linked_pair

#: seconds between two geometry updates while a control is being dragged
THROTTLE_S = 0.12

MODEL_OPTIONS = [(label, model) for model, label in MODEL_LABELS.items()]
COLOUR_OPTIONS = list(zip(("photo colours", "depth colormap", "matte"), COLOURS))
RENDER_OPTIONS = [("points", "points"), ("surface", "surface")]
#: the matte whose centre the view orbits when a capture has one
SUBJECT_MATTE = "portrait"
EXPORT_FORMATS = [("point cloud .pcd", "pcd"), ("point cloud .ply", "ply"), ("figure .png", "png"),
                  ("offline 3D page .html", "html")]

_LABEL_WIDTH = "110px"
#: "not computed yet" (None is a valid answer: no subject found)
_UNSET = object()
#: a comparison's shared dropdown standing for "each side keeps its own value"
OWN = "each side its own"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


class Throttle:
    """Call ``fn`` at most once per ``interval`` seconds, always ending with the latest request.

    Inside a running event loop (a Jupyter kernel) the trailing call is scheduled with
    ``loop.call_later``; without one (scripts, tests) every request is applied at once.
    Exceptions from ``fn`` go to ``on_error`` (the widgets show them in their status line).
    """

    def __init__(self, fn: Callable[[], None], interval: float = THROTTLE_S,
                 on_error: Callable[[BaseException], None] | None = None):
        self.fn = fn
        self.interval = float(interval)
        self.on_error = on_error
        self._last = -math.inf
        self._handle: asyncio.TimerHandle | None = None

    def _run(self) -> None:
        self._handle = None
        self._last = time.monotonic()
        try:
            self.fn()
        except Exception as exc:  # shown to the user, never lost in the kernel log
            if self.on_error is None:
                raise
            self.on_error(exc)

    def __call__(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            self._run()
            return
        if self._handle is not None:
            return  # a trailing update is already scheduled; it will read the latest values
        wait = self._last + self.interval - time.monotonic()
        if wait <= 0:
            self._run()
        else:
            self._handle = loop.call_later(wait, self._run)

    def flush(self) -> None:
        """Apply a scheduled update now (used by tests and before export)."""
        if self._handle is not None:
            self._handle.cancel()
            self._run()


def _png(rgb: np.ndarray, max_side: int = 360) -> bytes:
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(rgb))
    scale = max_side / max(img.size)
    if scale < 1:
        img = img.resize((max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale))),
                         Image.Resampling.BOX)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def depth_image(cap: Capture) -> np.ndarray:
    """uint8 (H, W, 3) of the depth map as the figures and the CLI preview draw it
    (:func:`depthlab.colour.depth_image`: near yellow, far purple, unknown grey)."""
    return colour.depth_image(cap.depth)[0]


def describe(cap: Capture) -> str:
    """One line for a title: camera kind, accuracy, depth range, depth map size."""
    acc = accuracy_label(cap.accuracy, meaning=True)
    rng = cap.depth_range()
    r = "no valid depth" if rng is None else f"{rng[0]:.2f}–{rng[1]:.2f} {cap.depth_unit}"
    w, h = cap.size
    cal = cap.calibration
    if cal is None and pinhole_available(cap):
        est, nocal = ", intrinsics estimated from EXIF", ""
    else:
        est = ", estimated intrinsics" if cal is not None and cal.estimated else ""
        nocal = ", no calibration" if cal is None else ""
    from ..camera import check_intrinsics_against_exif

    check = check_intrinsics_against_exif(cal, cap.camera)
    warn = f" · {check.short}" if check is not None and check.short else ""
    return f"{cap.camera.kind} · {acc} · {r} · depth {w}×{h}{est}{nocal}{warn}"


def fresh_path(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem.suffix``, or ``stem_2.suffix``, ``stem_3.suffix``... whichever is free."""
    p = folder / f"{stem}{suffix}"
    n = 2
    while p.exists():
        p = folder / f"{stem}_{n}{suffix}"
        n += 1
    return p


def _safe_stem(text: str) -> str:
    keep = "".join(c if (c.isalnum() or c in "-_") else "_" for c in text)
    return keep.strip("_") or "capture"


# --------------------------------------------------------------------------------------------
# one capture in one view
# --------------------------------------------------------------------------------------------


#: below this stored confidence (0..1) a file's own map calls its depth unreliable
LOW_CONFIDENCE = 0.5


def unreliable_note(cap: Capture) -> str:
    """Where the file gives a confidence map: " · depth unreliable (confidence < 0.5) on 12 % of
    the map, mostly top left -- the confidence slider hides it"; else "" (nothing is claimed)."""
    conf = cap.confidence if cap.has_confidence else None
    if conf is None:
        return ""
    low = conf < LOW_CONFIDENCE
    share = float(low.mean())
    if not share:
        return " · the file's confidence map rates every depth pixel ≥ 0.5"
    ys, xs = np.nonzero(low)
    h, w = low.shape
    where = (("top" if ys.mean() < h / 3 else "bottom" if ys.mean() > 2 * h / 3 else "middle") + " " +
             ("left" if xs.mean() < w / 3 else "right" if xs.mean() > 2 * w / 3 else "centre"))
    return (f" · <span style='color:#d35400'>depth unreliable (file's confidence &lt; {LOW_CONFIDENCE:g}) on "
            f"{share:.0%} of the map, mostly {where}</span>: the confidence slider hides it")


def subject_centre(projector: Projector, xyz: np.ndarray, valid: np.ndarray) -> np.ndarray | None:
    """:func:`depthlab.live.scene.orbit_centre` of the drawn points of a projector's grid (an even
    sample of at most ~60k), with the portrait matte as the subject where the capture has one."""
    from .scene import orbit_centre

    m = xyz.shape[0]
    idx = np.arange(0, m, max(1, m // 60_000))
    idx = idx[valid[idx]]
    if not idx.size:
        return None
    gh, gw = projector.grid_shape
    image_xy = np.stack([(idx % gw + 0.5) / gw, (idx // gw + 0.5) / gh], axis=1)
    subject = None
    if SUBJECT_MATTE in projector.capture.mattes:
        subject = projector.mask(SUBJECT_MATTE)[idx]
    return orbit_centre(xyz[idx], image_xy, subject)


def _drawn_mask(cap: Capture, settings: dict[str, Any]) -> str | np.ndarray | None:
    """The matte ``cap`` has (by name), or -- with a region in the photo's pixels, or a
    confidence threshold and a capture that stores confidence (Dynamic Depth) -- a bool (H, W)
    mask: inside the region, confidence >= threshold, and inside the matte when one is chosen."""
    m = settings["mask"]
    name = m if m and m in cap.mattes else None
    t = settings["min_confidence"]
    conf = cap.confidence if t is not None else None
    region = settings.get("region")
    if region is not None:  # a region in the photo's pixels, with the matte and confidence on top
        keep = region_mask(cap, region).copy()
        if conf is not None and conf.shape == cap.shape:
            keep &= conf >= t
    elif conf is None or conf.shape != cap.shape:
        return name
    else:
        keep = conf >= t
    if name is not None:
        keep &= matte_on_grid(cap, name, 1).reshape(cap.shape) >= 0.5
    return keep


class _Side:
    """A capture, its Projector, its layer in a view, and the settings it is drawn with."""

    def __init__(self, cap: Capture, view: CloudView, settings: dict[str, Any], linked: bool = False):
        self.source = cap  # as stored; ``cap`` is what is drawn: it or its refined copy
        self._refined: Capture | None = None
        self.cap = self._capture(settings["refined"])
        self.view = view
        # a linked view (compare) never moves the shared camera itself: the comparison frames
        # both at once, so the browser never sees an intermediate orbit target
        self.linked = linked
        self._projector_cls = Projector
        self.settings = dict(settings)
        #: the last few projectors and, per drawn geometry, the points' stretch and the subject
        self._memo = SideMemo()
        self.projector = self._memo.projector(self.cap, self.settings["stride"], self.settings["refined"],
                                              self._projector_cls)
        self.description = describe(cap)  # depth range scans the whole map: once
        #: the stored map's (nearest, farthest) depth: a comparison's shared near–far slider is in
        #: fractions of it, so each side is clipped in its own terms
        self.depth_range = cap.depth_range()
        self._pivot1: Any = _UNSET
        self._edge_cache: tuple[Projector, np.ndarray, int] | None = None
        self._unreliable = unreliable_note(cap)
        view.fit = self.fit
        view.units = self.units  # the grid's label: metres, or the flat models' arbitrary units
        # a view that starts as a surface sends its points only when they are first asked for
        # (the first picture waits for one geometry, not two)
        self._points_sent = self.settings["render"] == "points"
        if self._points_sent:
            xyz, valid, rgb = self._compute()
        else:
            xyz, valid, rgb = np.zeros((1, 3), np.float32), np.zeros(1, bool), np.zeros((1, 3), np.uint8)
        self.layer = view.add(xyz, rgb, valid, footprint=self._footprint(), size_factor=self.settings["point_scale"],
                              frame=False)
        if self._points_sent:
            self.layer.set(stretch=self._stretch(xyz, valid))
        self.layer.scale = self._scale()
        view.set_ruler_scale(_stretches(self.settings)[1])
        self.surface = None
        if self.settings["render"] == "surface":
            self._show_surface()
        # the invented layer behind occlusion edges ("fill behind edges"), drawn behind the first
        self.behind = Behind(view)
        self.behind.update(self)
        view.pivot = self.pivot()
        view.frame(reset_camera=not linked)
        self._drawn = dict(self.settings)
        self.title = W.HTML(self._title_html())
        self.last_update_s = 0.0

    def _capture(self, refined: bool) -> Capture:
        """The stored capture, or its refinement at depth size (made once, on first use)."""
        if not refined:
            return self.source
        if self._refined is None:
            from ..imaging._refine import refine

            self._refined = refine(self.source)
        return self._refined

    def _mask(self) -> str | np.ndarray | None:
        return _drawn_mask(self.cap, self.settings)

    def projection(self) -> ProjectionSettings:
        """The projection these settings describe (mask: only a matte this capture has)."""
        s = self.settings
        return ProjectionSettings(model=s["model"], near=s["near"], far=s["far"], stride=s["stride"],
                                  mask=self._mask(), colour=s["colour"], depth_scale=s["depth_scale"],
                                  aspect=s["aspect"])

    def _colours(self) -> np.ndarray:
        p = self.projection()
        mode = p.colour_for(self.cap.has_rgb, bool(self.cap.mattes))
        return self.projector.colours(mode, matte=p.matte_for(self.cap.mattes) if mode == "matte" else None)

    def _points(self) -> tuple[np.ndarray, np.ndarray]:
        # depth scale and aspect: a GPU stretch or the grid's ruler (_stretches): positions at 1 and 1
        s = self.settings
        xyz, valid = self.projector.points(model=s["model"], depth_scale=1.0, aspect=1.0,
                                           near=s["near"], far=s["far"], mask=self._mask())
        return xyz, self._hide_edges(valid)

    def _selected(self) -> np.ndarray:
        """The drawn points' ``valid`` of :meth:`_points` without the positions (the same for every model)."""
        s = self.settings
        return self._hide_edges(self.projector.selected(near=s["near"], far=s["far"], mask=self._mask()))

    def _hide_edges(self, valid: np.ndarray) -> np.ndarray:
        if self.settings["edges"] == "hide":  # flagged by the mesh's cut rule; hidden, never dropped
            np.logical_and(valid, self._kept(), out=valid)
        return valid

    def _kept(self) -> np.ndarray:
        """bool (M,): not an edge point (cached with the projector)."""
        p = self.projector
        if self._edge_cache is None or self._edge_cache[0] is not p:
            self._edge_cache = (p, ~p.edges(), int(p.edges().sum()))
        return self._edge_cache[1]

    def _footprint(self) -> dict[str, float]:
        """One grid pixel's width at these settings (the one point-size rule, depthlab.live.scene)."""
        from .scene import point_footprint

        s = self.settings
        h, w = self.projector.depth_shape
        k = None
        if is_pinhole(s["model"]):
            self.projector.ray_grid(s["model"])  # resolves the calibration (stored or from EXIF)
            k = self.projector.calibration.intrinsics_at(w, h)
        # depth scale and aspect: a GPU stretch or the grid's ruler (_stretches): the footprint is at 1 and 1
        return point_footprint(s["model"], s["stride"], (w, h), intrinsics=k, aspect=1.0)

    def pivot(self) -> np.ndarray | None:
        """The subject in the camera frame (:func:`depthlab.live.scene.orbit_centre`) at these
        settings: the portrait matte's centre at its depth where the capture has a portrait
        matte, else the nearest large surface near the image centre.  Found at depth scale and
        aspect 1 once per drawn geometry (a stretch only scales it)."""
        if self._pivot1 is _UNSET:
            memo = self._memo.geometry(self.projector, self.settings)
            if "pivot" not in memo:
                memo["pivot"] = subject_centre(self.projector, *self._points())
            self._pivot1 = memo["pivot"]
        c = self._pivot1
        return None if c is None else c * np.asarray(self._scale())


    def _mesh(self):
        from ..surface._mesh import mesh

        s = self.settings
        return mesh(self.cap, model=s["model"], stride=s["stride"], near=s["near"], far=s["far"], mask=self._mask())

    def _show_surface(self) -> None:
        """Draw the textured mesh (depthlab.mesh) instead of the points."""
        m = self._mesh()
        if self.surface is None:
            self.surface = self.view.add_surface(m.vertices, m.faces, m.uv, m.texture, frame=False)
        else:
            self.surface.set(m.vertices, m.faces, m.uv)
        self.surface.scale = self._scale()
        self._surface_colours()
        self.surface.mesh.visible = True
        self.layer.points.visible = False

    def _surface_colours(self) -> None:
        """The surface in the colour mode chosen: the photo, or the points' colours (depth
        colormap, matte) as an image of the grid over the same uv."""
        mode = self.projection().colour_for(self.cap.has_rgb, bool(self.cap.mattes))
        key = mode if mode != "matte" else f"matte:{self.projection().matte_for(self.cap.mattes)}"
        if key == "rgb" or self.surface is None:
            if self.surface is not None:
                self.surface.show_texture("rgb")
            return
        key = f"{key}@{self.settings['stride']}"
        gh, gw = self.projector.grid_shape
        image = None if self.surface.has_texture(key) else self._colours().reshape(gh, gw, 3)
        self.surface.show_texture(key, image)

    def _show_points(self) -> None:
        if self.surface is not None:
            self.surface.mesh.visible = False
        self.layer.points.visible = bool(self.layer.count)

    def _scale(self) -> tuple[float, float, float]:
        """The drawn layers' GPU stretch (:func:`depthlab.live.scene.stretch_drawing`)."""
        return _stretches(self.settings)[0]

    def _stretch(self, xyz: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """How much wider than its pixel each point is drawn on slanted surfaces
        (:func:`depthlab.live.scene.point_stretch`; the mesh's cut rule decides what is a surface)."""
        from ..surface.triangulate import DEFAULT_MAX_STEP
        from .scene import point_stretch

        memo = self._memo.geometry(self.projector, self.settings)
        if "stretch" not in memo:
            memo["stretch"] = point_stretch(xyz, self.projector.depth, valid, self.projector.grid_shape,
                                            self.layer.footprint, DEFAULT_MAX_STEP * self.projector.stride)
        return memo["stretch"]

    def drawn(self) -> Any:
        """What the view draws, for a page: the textured surface or the points, with the invented
        layer behind them (flagged ``metadata["invented"]``) while "fill behind edges" draws it."""
        s = self.settings
        if s["render"] == "surface":
            if self.behind.count:
                from ..surface.layers import layers

                return layers(self.cap, model=s["model"], stride=s["stride"], near=s["near"], far=s["far"]).mesh()
            return self._mesh()
        return self.behind.cloud(self.cloud())

    def _compute(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xyz, valid = self._points()
        return xyz, valid, self._colours()

    @property
    def fit(self) -> str:
        """How the home camera frames this side: pinhole clouds by their far face, flat ones whole."""
        return "far" if is_pinhole(self.settings["model"]) else "all"

    @property
    def units(self) -> str:
        """The scene's length units, the grid's label: ``"m"`` for a pinhole model of a capture in
        metres at any depth scale (the grid reads the stretched scene in metres, :func:`_stretches`),
        else ``"arbitrary"`` (the flat models, a file's own units)."""
        return length_units(self.settings["model"], depth_unit=self.cap.depth_unit)

    def _title_html(self) -> str:
        s = self.settings
        grid = self.view.grid_label
        if s["render"] == "surface" and self.surface is not None:
            drawn = f"surface: {self.surface.faces:,} triangles on {self.surface.size:,} points, cut at occlusions"
        else:
            drawn = f"{self.layer.count:,} of {self.layer.size:,} points"
            self._kept()
            n_edges = self._edge_cache[2]
            drawn += f" ({n_edges:,} edge points {'hidden' if s['edges'] == 'hide' else 'shown'})"
            if not self.layer.count and self._points_sent:  # never an empty view without a word
                drawn = ("<b style='color:#c0392b'>nothing drawn: no point passes near–far, the mask or the "
                         f"confidence threshold</b> (0 of {self.layer.size:,} points)")
        behind = getattr(self, "behind", None)
        if behind is not None and behind.count:
            drawn += f" + {behind.count:,} invented behind edges"
        return (f"<b>{self.description}</b><br><span style='opacity:0.8'>model {s['model']} · "
                f"{drawn} · {grid}"
                f"{'' if self.units == 'm' else ' (arbitrary units, not metres)'} · "
                f"point size ×{s['point_scale']:.3g} of a pixel's footprint · {s['render']}"
                f"{' · refined depth' if s['refined'] else ''}"
                f"{f' · confidence ≥ {t:.2f}' if (t := s['min_confidence']) is not None and self.cap.confidence is not None else ''}"
                f"{self._unreliable}</span>")

    def update(self, **changes: Any) -> float:
        """Apply new settings; send only what changed.  Returns the Python-side seconds spent."""
        t0 = time.perf_counter()
        self.settings.update(changes)
        s, d = self.settings, self._drawn
        if s["refined"] != d["refined"]:
            self.cap = self._capture(s["refined"])
        if s["stride"] != d["stride"] or s["refined"] != d["refined"]:
            self.projector = self._memo.projector(self.cap, s["stride"], s["refined"], self._projector_cls)
        new_xyz = any(s[k] != d[k] for k in ("model", "stride", "refined"))
        new_valid = new_xyz or any(s[k] != d[k] for k in ("near", "far", "mask", "min_confidence", "edges"))
        new_rgb = s["stride"] != d["stride"] or s["colour"] != d["colour"] or (
            s["colour"] == "matte" and s["mask"] != d["mask"]) or (s["refined"] != d["refined"] and s["colour"] == "depth")
        scale, ruler = _stretches(s)
        if s["render"] == "points" and not self._points_sent:
            new_xyz = new_valid = new_rgb = True  # the first time the points are shown: all of them
            self._points_sent = True
        if self._points_sent and (new_xyz or new_valid or new_rgb):
            # positions only when they moved: near/far, the mask or edge points only redraw the index
            xyz, valid = self._points() if new_xyz else (None, self._selected() if new_valid else None)
            self.layer.set(xyz=xyz, rgb=self._colours() if new_rgb else None, valid=valid,
                           stretch=self._stretch(xyz, valid) if xyz is not None else None)
        self.layer.scale = scale
        surface_geometry = new_xyz or new_valid
        if s["render"] == "surface" and (surface_geometry or d["render"] != "surface" or self.surface is None):
            self._show_surface()
        elif s["render"] != "surface" and d["render"] == "surface":
            self._show_points()
        if s["render"] == "surface" and new_rgb:
            self._surface_colours()
        if self.surface is not None:
            self.surface.scale = scale
        # each point covers its pixel (the footprint scales with the GPU stretch in the shader)
        self.layer.set_size(footprint=self._footprint(), size_factor=s["point_scale"])
        if new_xyz or new_valid:
            self._pivot1 = _UNSET
        self.view.set_ruler_scale(ruler)
        if self.moves_subject(d):
            # the subject moved (another model, refined depth, a flat model's stretch): the view
            # re-fits around it and the camera keeps its pose relative to it (an orbit stays an
            # orbit); a new model has other units and extent, so it gets a new grid too.  Other
            # changes (a pinhole depth scale too: the ruler above) leave the camera where it is.
            self.view.units = self.units
            self.view.fit = self.fit
            self.view.pivot = self.pivot()
            if not self.linked:  # a comparison re-fits both views at once
                self.view.refit(keep_pose=True, grid=s["model"] != d["model"])
        # other changes keep the grid's squares: a fixed metre ruler to judge the cloud against
        # (depth scale 2 shows the cloud twice as large against it); "reset view" refits it
        self.behind.update(self)
        self._drawn = dict(s)
        self.title.value = self._title_html()
        self.last_update_s = time.perf_counter() - t0
        return self.last_update_s

    def moves_subject(self, before: dict[str, Any]) -> bool:
        """Whether the settings changed since ``before`` move the subject in the scene: another
        model, refined depth or a stretch of the drawn layers (a pinhole depth scale only
        rescales the grid, :func:`depthlab.live.scene.stretch_drawing`)."""
        s = self.settings
        return any(s[k] != before[k] for k in ("model", "refined")) or _stretches(s)[0] != _stretches(before)[0]

    def cloud(self):
        p = self.projection()
        return self.projector.cloud(p.replace(colour=p.colour_for(self.cap.has_rgb, bool(self.cap.mattes))))


def _stretches(settings: dict[str, Any]) -> tuple[tuple[float, float, float], float]:
    """A side's settings drawn: the layers' GPU stretch and the grid's ruler scale
    (:func:`depthlab.live.scene.stretch_drawing`: a pinhole depth scale is drawn by the grid)."""
    return stretch_drawing(settings["model"], depth_scale=settings["depth_scale"], aspect=settings["aspect"])


def _initial_settings(caps: list[Capture], model: str | None, stride: int | None, *, render: str = "points",
                      near: float | None = None, far: float | None = None, point_scale: float = 1.0,
                      colour: str | None = None, mask: Any = None, refined: bool = False,
                      min_confidence: float | None = None, fill: bool = True,
                      edges: str = "hide") -> dict[str, Any]:
    """The settings a view starts with, from the start values a caller gave (checked here, so a
    wrong one fails at once with a message, not later in a slider)."""
    has_cal = all(pinhole_available(c) for c in caps)
    if model is None:
        model = DEFAULT_MODEL if has_cal else ORTHOGRAPHIC
    # model, near < far, stride and the mask's form: ProjectionSettings' rules, as for project()
    checked = ProjectionSettings(model=model, near=near, far=far, stride=1 if stride is None else stride, mask=mask)
    if is_pinhole(model) and not has_cal:
        raise InvalidInputError(f"model {model!r} needs the camera's intrinsics and a capture has neither a "
                                f"calibration nor an EXIF focal length; use model={ORTHOGRAPHIC!r}")
    renders = [r for _, r in RENDER_OPTIONS]
    if render not in renders:
        raise InvalidInputError(f"render must be one of {renders}, got {render!r}")
    if checked.stride > MAX_LIVE_STRIDE:
        raise InvalidInputError(f"stride must be a whole number from 1 to {MAX_LIVE_STRIDE} in the live views "
                                f"(the slider's range), got {stride!r}")
    if not (isinstance(point_scale, (int, float)) and math.isfinite(point_scale) and 0.125 <= point_scale <= 8):
        raise InvalidInputError(f"point_scale is a factor of each point's pixel footprint, 0.125 to 8; got {point_scale!r}")
    mattes = sorted(set().union(*[set(c.mattes) for c in caps]))
    if colour is None:
        colour = "rgb" if all(c.has_rgb for c in caps) else "depth"
    colours = [c for _, c in COLOUR_OPTIONS] if mattes else ["rgb", "depth"]
    if colour not in colours:
        raise InvalidInputError(f"colour must be one of {colours} for {'these captures' if len(caps) > 1 else 'this capture'}, got {colour!r}")
    if colour == "rgb" and not all(c.has_rgb for c in caps):
        raise InvalidInputError("colour='rgb' but a capture has no colour image; use colour='depth'")
    check_edges(edges)
    if isinstance(mask, str) and mask not in mattes:
        raise InvalidInputError(f"mask must be one of the mattes {mattes or '(none in this capture)'}, a box "
                                f"(x0, y0, x1, y1) in the photo's pixels, an array or None, got {mask!r}")
    return {
        "model": model, "depth_scale": 1.0, "aspect": 1.0, "near": checked.near, "far": checked.far,
        "stride": checked.stride if stride is not None else max(default_stride(c.shape) for c in caps),
        "point_scale": float(point_scale), "colour": colour, "render": render,
        # a matte (the "matte mask" control) and a region in the photo's pixels (a box or an array)
        "mask": mask if isinstance(mask, str) else None, "region": None if isinstance(mask, str) else checked.mask,
        "refined": _refined_setting(caps, refined),
        "min_confidence": _confidence_setting(caps, min_confidence),
        "fill": _fill_setting(fill),
        "edges": edges,
    }


def _fill_setting(fill: Any) -> bool:
    if not isinstance(fill, bool):
        raise InvalidInputError(f"fill must be True or False (draw the invented layer behind edges), got {fill!r}")
    return fill


def _confidence_setting(caps: list[Capture], threshold: Any) -> float | None:
    """A start value for the confidence threshold: None, or 0..1 for captures that store confidence."""
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise InvalidInputError(f"min_confidence must be a number from 0 to 1 or None, got {threshold!r}")
    if not any(c.confidence is not None for c in caps):
        raise InvalidInputError("min_confidence needs a capture with a confidence map (Android Dynamic Depth, or "
                                "a spatial photo's computed depth); this one stores none")
    return float(threshold)


def _refined_setting(caps: list[Capture], refined: Any) -> bool:
    if not isinstance(refined, bool):
        raise InvalidInputError(f"refined must be True or False, got {refined!r}")
    if refined and not all(c.has_rgb for c in caps):
        raise InvalidInputError("refined=True needs the colour photo as the guide and a capture has none")
    return refined


def _same_value(a: Any, b: Any) -> bool:
    """Whether a control already shows ``b``: equal, or floats (or pairs of them) within rounding."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _clip_label(caps: list[Capture]) -> str:
    """The near–far slider's label with the depth's unit (``Capture.depth_unit``: metres, or a
    file's own units)."""
    units = {c.depth_unit for c in caps}
    return f"near–far ({units.pop() if len(units) == 1 else 'm | units'})"


class _Controls:
    """The control panel; calls ``on_change(changes)`` with the settings a control changed."""

    def __init__(self, caps: list[Capture], settings: dict[str, Any], on_change: Callable[[dict], None]):
        self.on_change = on_change
        has_cal = all(pinhole_available(c) for c in caps)
        opts = MODEL_OPTIONS if has_cal else [o for o in MODEL_OPTIONS if o[1] not in PINHOLE_MODELS]
        style = {"description_width": _LABEL_WIDTH}
        lay = W.Layout(width="380px")
        ranges = [r for r in (c.depth_range() for c in caps) if r is not None]
        lo = min((r[0] for r in ranges), default=0.1)
        hi = max((r[1] for r in ranges), default=10.0)
        step = max((hi - lo) / 200, 1e-3)
        mattes = sorted(set().union(*[set(c.mattes) for c in caps]))
        self.w: dict[str, W.Widget] = {
            "model": W.Dropdown(options=opts, value=settings["model"], description="projection", style=style, layout=lay),
            "depth_scale": W.FloatLogSlider(value=1.0, base=10, min=-1, max=1, step=0.02, description="depth scale",
                                            style=style, layout=lay, continuous_update=True),
            "aspect": W.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.05, description="aspect (flat)",
                                    style=style, layout=lay, continuous_update=True),
            "clip": W.FloatRangeSlider(value=(max(lo, settings["near"]) if settings["near"] is not None else lo,
                                              min(hi + step, settings["far"]) if settings["far"] is not None else hi + step),
                                       min=lo, max=hi + step, step=step, description=_clip_label(caps),
                                       readout_format=".2f", style=style, layout=lay, continuous_update=True),
            "stride": W.IntSlider(value=settings["stride"], min=1, max=MAX_LIVE_STRIDE, description="stride", style=style,
                                  layout=lay, continuous_update=False),
            "point_scale": W.FloatLogSlider(value=settings["point_scale"], base=2, min=-3, max=3, step=0.1, description="point size ×",
                                            style=style, layout=lay, continuous_update=True),
            "colour": W.Dropdown(options=COLOUR_OPTIONS if mattes else COLOUR_OPTIONS[:2], value=settings["colour"],
                                 description="colour", style=style, layout=lay),
            "mask": W.Dropdown(options=[("none", "")] + [(m, m) for m in mattes], value=settings["mask"] or "",
                               description="matte mask", style=style, layout=lay, disabled=not mattes),
            "min_confidence": W.FloatSlider(value=settings["min_confidence"] or 0.0, min=0.0, max=1.0, step=0.05,
                                            description="confidence ≥", readout_format=".2f", style=style, layout=lay,
                                            continuous_update=True,
                                            disabled=not any(c.confidence is not None for c in caps)),
            "fill": W.Checkbox(value=settings["fill"], description="fill behind edges (invented)", indent=False,
                               layout=W.Layout(width="380px"),
                               tooltip="draw a background layer, inpainted, behind occlusion edges so a turn shows "
                                       "no hole; invented, so never exported as points nor measured"),
            "refined": W.Checkbox(value=settings["refined"], description="refined depth (depthlab.refine)",
                                  indent=False, disabled=not all(c.has_rgb for c in caps),
                                  layout=W.Layout(width="380px")),
            "edges": W.ToggleButtons(options=list(EDGE_OPTIONS), value=settings["edges"], description="edge points",
                                     style={"description_width": _LABEL_WIDTH, "button_width": "60px"},
                                     tooltips=["hide the points beside a depth jump (occlusions, flying pixels)",
                                               "draw every point"]),
            "render": W.ToggleButtons(options=RENDER_OPTIONS, value=settings["render"], description="draw as",
                                      style={"description_width": _LABEL_WIDTH, "button_width": "80px"},
                                      tooltips=["one point per depth pixel, as wide as its pixel",
                                                "the textured surface (depthlab.mesh), cut at occlusions"]),
        }
        #: the near–far slider is in fractions of each side's depth range (a comparison's sides)
        self.clip_share = False
        self._quiet = False
        self.notes = {name: W.HTML("", layout=W.Layout(display="none", margin="-4px 0 4px 114px"))
                      for name in self.w}
        #: what the sides of a comparison hold when they differ ("left 1 | right 2")
        self.sides_note = W.HTML("")
        if not mattes:
            self.explain("mask", "this photo has no mattes" if len(caps) == 1 else "neither photo has mattes")
        if not all(c.has_rgb for c in caps):
            self.explain("refined", "refined depth follows the colour photo's edges; "
                                    f"{'this capture has' if len(caps) == 1 else 'a capture has'} no colour photo")
        self.reset = W.Button(description="reset view", icon="home", layout=W.Layout(width="120px"))
        self.export_format = W.Dropdown(options=EXPORT_FORMATS, value="ply", layout=W.Layout(width="160px"))
        self.export = W.Button(description="export", icon="download", layout=W.Layout(width="100px"),
                               tooltip="writes next to the notebook; never overwrites")
        self.status = W.HTML("")
        for name, widget in self.w.items():
            widget.observe(self._changed(name), names="value")

    def _changed(self, name: str) -> Callable[[dict], None]:
        def handler(change: dict) -> None:
            if self._quiet:
                return  # the session is showing another side's values, not the user moving it
            v = change["new"]
            self.on_change({name: (v or None) if name == "mask" and v is not OWN else v})
        return handler

    def set_quietly(self, name: str, **traits: Any) -> None:
        """Change a control's traits (value, options, range) without it counting as a user's change."""
        w = self.w[name]
        self._quiet = True
        try:
            if "options" in traits and tuple(w.options) != tuple(traits["options"]):
                w.options = traits["options"]
            if "min" in traits and traits["min"] > w.max:
                w.max = traits["max"]  # widen first: min may never pass max
            for k in ("min", "max", "step", "readout_format", "description"):
                if k in traits and getattr(w, k) != traits[k]:
                    setattr(w, k, traits[k])
            if "value" in traits and not _same_value(w.value, traits["value"]):
                # a value worked back from the sides' settings (a comparison's near–far in
                # fractions of each side's range) can differ in its last bit from the one the
                # user set: sending that back would move the handle under a drag still going on
                w.value = traits["value"]
        finally:
            self._quiet = False

    def clip_for(self, depth_range: tuple[float, float] | None, value: tuple[float, float]) -> dict[str, float | None]:
        """near and far (metres) of one side for a position of the near–far slider: in metres
        (its own range, or one view's), or -- the slider of a comparison's two sides -- in
        fractions of ``depth_range``, each side's own (a relative rear capture and an absolute
        front one share no metres).  A handle at its end means "no limit" (None)."""
        lo, hi = (float(v) for v in value)
        w = self.w["clip"]
        at_lo, at_hi = lo <= w.min + 1e-9, hi >= w.max - 1e-9
        if self.clip_share and depth_range is not None:
            d0, d1 = depth_range
            lo, hi = d0 + lo * (d1 - d0), d0 + hi * (d1 - d0)
        return {"near": None if at_lo else lo, "far": None if at_hi else hi}

    def explain(self, name: str, reason: str) -> None:
        """Grey a control out with the reason shown under it ("" enables it again)."""
        w, note = self.w[name], self.notes[name]
        w.disabled = bool(reason)
        note.value = f"<span style='opacity:0.75;font-size:90%'>{reason}</span>" if reason else ""
        note.layout.display = "" if reason else "none"

    def box(self, extra: list[W.Widget] | None = None) -> W.Widget:
        w, n = self.w, self.notes
        left = W.VBox([x for k in ("model", "render", "depth_scale", "aspect", "clip", "fill") for x in (w[k], n[k])])
        right_names = ["stride", "point_scale", "colour", "edges", "mask",
                       *(["min_confidence"] if not w["min_confidence"].disabled else []), "refined"]
        right = W.VBox([x for k in right_names for x in (w[k], n[k])])
        buttons = W.HBox([*(extra or []), self.reset, self.export_format, self.export])
        return W.VBox([W.HBox([left, right]), buttons, self.sides_note, self.status])


class _Session:
    """Shared logic of Explorer and Comparison: throttled updates, status line, export."""

    sides: list[_Side]
    controls: _Controls

    def _setup(self, export_dir: str | Path | None) -> None:
        self.export_dir = Path(export_dir) if export_dir is not None else None
        self._pending: dict[str, Any] = {}
        self.throttle = Throttle(self._apply, on_error=self._show_error)
        self.controls.reset.on_click(lambda _b: self.reset_view())
        self.controls.export.on_click(lambda _b: self._export_clicked())
        self.last_update_s = 0.0

    def _targets(self) -> list[_Side]:
        return self.sides

    def _queue(self, changes: dict[str, Any]) -> None:
        for side in self._targets():
            self._pending.setdefault(id(side), {}).update(self._side_changes(side, changes))
        self.throttle()

    def _side_changes(self, side: _Side, changes: dict[str, Any]) -> dict[str, Any]:
        """The settings a control's change means for one side (the near–far slider's position
        becomes that side's near and far)."""
        ch = dict(changes)
        if "clip" in ch:
            ch.update(self.controls.clip_for(side.depth_range, ch.pop("clip")))
        return ch

    def _apply(self) -> None:
        pending, self._pending = self._pending, {}
        spent = 0.0
        with ExitStack() as stack:  # each view's messages go out together, at the end
            for side in self.sides:
                stack.enter_context(side.view.held())
            for side in self.sides:
                ch = pending.get(id(side))
                if ch:
                    spent += side.update(**ch)
        self.last_update_s = spent
        self.controls.status.value = ""
        self._explain_modes()

    def _explain_modes(self) -> None:
        """Grey out, with the reason, the controls that do nothing for the sides they change."""
        sides = self._targets()
        c = self.controls
        c.explain("aspect", "" if any(not is_pinhole(x.settings["model"]) for x in sides) else
                  f"aspect stretches the flat models only ({', '.join(FLAT_MODELS)})")
        points = any(x.settings["render"] == "points" for x in sides)
        c.explain("point_scale", "" if points else "point size is for points (draw as: points)")
        c.explain("edges", "" if points else "the surface leaves depth jumps open itself (draw as: points)")

    def _show_error(self, exc: BaseException) -> None:
        kind = "" if isinstance(exc, DepthlabError) else f"{type(exc).__name__}: "
        self.controls.status.value = f"<span style='color:#c0392b'>could not update: {kind}{exc}</span>"

    def set(self, **changes: Any) -> None:
        """Change settings from code (same names as the controls' settings) and update now."""
        self._queue(changes)
        self.throttle.flush()

    def reset_view(self) -> None:
        """Grid refitted to the cloud, camera back at the phone's position looking at it."""
        self.throttle.flush()
        for side in self.sides:
            side.view.units = side.units
            side.view.fit = side.fit
            side.view.pivot = side.pivot()
            side.view.frame(reset_camera=True)
            side.title.value = side._title_html()

    def export(self, fmt: str = "ply", side: int | None = 0, folder: str | Path | None = None) -> Path:
        """Write the current cloud (``"pcd"``, ``"ply"``), a figure (``"png"``) or an offline 3D
        page (``"html"``, of what each view draws: points, or the textured surface in surface
        mode; ``side=None`` puts every side of a comparison in one page, cameras linked) under
        a fresh name.

        The file goes to ``folder`` (default: ``export_dir``, else the kernel's working folder,
        which in Jupyter is the notebook's folder); an existing file is never replaced.
        """
        if fmt not in ("pcd", "ply", "png", "html"):
            raise InvalidInputError(f"export format must be 'pcd', 'ply', 'png' or 'html', got {fmt!r}")
        if side is None and fmt != "html":
            raise InvalidInputError("side=None (all sides in one file) is for html only")
        self.throttle.flush()
        sides = self.sides if side is None else [self.sides[side]]
        s = sides[0]
        dest_dir = Path(folder) if folder is not None else (self.export_dir or Path.cwd())
        stem = "_vs_".join(_safe_stem(f"{x.cap.path.stem if x.cap.path else 'capture'}_{x.settings['model']}") for x in sides)
        for _attempt in range(20):
            path = fresh_path(dest_dir, stem, f".{fmt}")
            try:
                if fmt == "html":  # what each view draws: its points, or its textured surface
                    drawn = [x.drawn() for x in sides]
                    # edge points: in the page, shown first only if every view shows them
                    edges = "show" if all(x.settings["edges"] == "show" for x in sides) else "hide"
                    return to_html(drawn if len(drawn) > 1 else drawn[0], path, edges=edges)
                if fmt == "png":
                    fig = capture_figure(s.cap, model=s.settings["model"], near=s.settings["near"],
                                         far=s.settings["far"], mask=s._mask())
                    try:
                        return save_figure(fig, path)
                    finally:
                        import matplotlib.pyplot as plt

                        plt.close(fig)
                return s.cloud().save(path)
            except OverwriteError:
                continue  # someone took the name meanwhile: pick the next one
        raise OverwriteError(f"could not find a free name for {stem}.{fmt} in {dest_dir}")

    def _export_clicked(self) -> None:
        try:
            fmt = self.controls.export_format.value
            if fmt == "html":  # one page; a comparison keeps its two views side by side
                paths = [self.export(fmt, side=None)]
            else:
                paths = [self.export(fmt, side=i) for i in range(len(self.sides))]
        except Exception as exc:
            self._show_error(exc)
            return
        names = ", ".join(p.name for p in paths)
        self.controls.status.value = f"wrote {names} in {paths[0].parent}"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


class Explorer(_Session):
    """A live 3D view of one capture with its controls.  ``explorer.widget`` is the whole panel.

    ``explorer.set(far=1.2, model="orthographic")`` changes settings from code; ``side`` holds the
    capture, its projector and its layer.
    """

    @keyword_options(name="explore")
    def __init__(self, cap: Capture, *, model: str | None = None, render: str = "points", near: float | None = None,
                 far: float | None = None, stride: int | None = None, point_scale: float = 1.0,
                 colour: str | None = None, mask: Any = None, refined: bool = False,
                 min_confidence: float | None = None, fill: bool = True, edges: str = "hide",
                 width: int = 720, height: int = 480, export_dir: str | Path | None = None):
        require_capture(cap, "explore()")
        settings = _initial_settings([cap], model, stride, render=render, near=near, far=far, point_scale=point_scale,
                                     colour=colour, mask=mask, refined=refined, min_confidence=min_confidence, fill=fill,
                                     edges=edges)
        self.view = CloudView(width, height)
        self.side = _Side(cap, self.view, settings)
        self.sides = [self.side]
        self.controls = _Controls([cap], settings, self._queue)
        self._setup(export_dir)
        self._explain_modes()
        self.widget = W.VBox([self.side.title, self.view.renderer, self.controls.box()])


class Comparison(_Session):
    """Two captures (or one capture twice) side by side, one camera: orbit either view and the
    other follows.

    ``models=("pinhole", "pinhole-raw")`` starts each side with its own projection model.  Each
    side keeps its own settings; the controls change both views, or the left or right one only
    ("apply to").  With "both", a dropdown whose sides differ shows "left … | right …" and
    keeps offering that split after a change (choose it again to give each side back its own
    value), and the near–far slider is in fractions of each side's own depth range.
    """

    #: dropdowns that can show (and give back) each side's own value
    SPLITTABLE = ("model", "colour", "mask", "render")

    @keyword_options(name="compare")
    def __init__(self, a: Capture, b: Capture, *, model: str | None = None, models: tuple[str, str] | None = None,
                 render: str = "points", stride: int | None = None, fill: bool = True, edges: str = "hide",
                 width: int = 460,
                 height: int = 420, export_dir: str | Path | None = None):
        for c in (a, b):
            require_capture(c, "compare()")
        if models is not None and (len(models) != 2 or model is not None):
            raise InvalidInputError(f"pass either model= or models=(left, right), got model={model!r}, models={models!r}")
        settings = _initial_settings([a, b], model if models is None else models[0], stride, render=render, fill=fill, edges=edges)
        right = settings if models is None else _initial_settings([a, b], models[1], stride, render=render, fill=fill, edges=edges)
        self.views = linked_pair(width, height)
        self.sides = [_Side(a, self.views[0], settings, linked=True), _Side(b, self.views[1], right, linked=True)]
        # one camera for both: frame it on the union of the two clouds
        self._frame_both()
        self.controls = _Controls([a, b], settings, self._queue)
        self.apply_to = W.ToggleButtons(options=[("both", "both"), ("left", 0), ("right", 1)], value="both",
                                        description="apply to", style={"button_width": "60px"})
        #: each side's own value of a dropdown, remembered while "both" has made them equal
        self._own: dict[str, tuple[Any, Any]] = {}
        self._setup(export_dir)
        self.apply_to.observe(lambda _c: self._show_sides(), names="value")
        self._show_sides()
        cols = [W.VBox([s.title, v.renderer], layout=W.Layout(width=f"{width + 10}px"))
                for s, v in zip(self.sides, self.views)]
        self.widget = W.VBox([W.HBox(cols), self.controls.box(extra=[self.apply_to])])

    def _frame_both(self, keep_pose: bool = False) -> None:
        """One camera for both, each view orbiting its own subject: every view is framed on its
        own cloud and pivot, then :func:`depthlab.live.viewer.link_homes` moves the right view's
        contents so the shared camera sees each as its own phone did.  ``keep_pose``: the
        camera keeps its pose relative to the subjects instead of going home."""
        from .viewer import link_homes

        for side in self.sides:
            side.view.fit = side.fit
            side.view.pivot = side.pivot()
            side.view.frame(reset_camera=False)
        link_homes(self.views, keep_pose=keep_pose)

    def _targets(self) -> list[_Side]:
        sel = self.apply_to.value
        return self.sides if sel == "both" else [self.sides[int(sel)]]

    def _side_changes(self, side: _Side, changes: dict[str, Any]) -> dict[str, Any]:
        ch = super()._side_changes(side, changes)
        i = self.sides.index(side)
        for name, v in list(ch.items()):
            if v is OWN or v == OWN:
                ch[name] = self._own[name][i]
            elif name in self.SPLITTABLE and len(self._targets()) == 2:
                own = tuple(x.settings[name] for x in self.sides)
                if own[0] != own[1]:
                    self._own[name] = own  # "both" overrides a split: keep it to give back
        return ch

    def reset_view(self) -> None:
        """Both views back to their phones' pictures, the one camera orbiting each subject."""
        self.throttle.flush()
        for side in self.sides:
            side.view.units = side.units
            side.title.value = side._title_html()
        self._frame_both()

    def _apply(self) -> None:
        before = [dict(x.settings) for x in self.sides]
        super()._apply()
        if any(x.moves_subject(b) for x, b in zip(self.sides, before)):
            self._frame_both(keep_pose=True)
            for side in self.sides:  # the titles name the grid just fitted, not the one before
                side.title.value = side._title_html()
        self._show_sides()

    def _show_sides(self) -> None:
        """Show in the controls what the sides they change hold now."""
        c = self.controls
        sides = self._targets()
        s0 = sides[0].settings
        both = len(sides) == 2
        for name in self.SPLITTABLE:
            own = tuple(x.settings[name] for x in self.sides)
            if both and own[0] != own[1]:
                self._own[name] = own
            base = [o for o in c.w[name].options if o[1] != OWN]
            label = lambda v: "none" if v is None else str(v)  # noqa: E731
            split = ([(f"left {label(self._own[name][0])} | right {label(self._own[name][1])}", OWN)]
                     if both and name in self._own else [])
            value = OWN if both and own[0] != own[1] else (s0[name] or "") if name == "mask" else s0[name]
            c.set_quietly(name, options=split + base, value=value)
        for name in ("depth_scale", "aspect", "stride", "point_scale", "refined", "edges"):
            c.set_quietly(name, value=s0[name])
        c.clip_share = both
        if both:  # each side's own depth range: the slider is in fractions of it
            fr = self._fractions(sides[0])
            c.set_quietly("clip", min=0.0, max=1.0, step=0.005, readout_format=".0%", description="near–far (%)",
                          value=fr)
        else:
            lo, hi = sides[0].depth_range or (0.1, 10.0)
            step = max((hi - lo) / 200, 1e-3)
            near, far = s0["near"], s0["far"]
            c.set_quietly("clip", min=lo, max=hi + step, step=step, readout_format=".2f",
                          description=_clip_label([s.cap for s in sides]),
                          value=(lo if near is None else max(lo, near), hi + step if far is None else min(hi + step, far)))
        c.sides_note.value = self._sides_html()
        self._explain_modes()

    def _fractions(self, side: _Side) -> tuple[float, float]:
        r = side.depth_range
        if r is None or r[1] <= r[0]:
            return (0.0, 1.0)
        near, far = side.settings["near"], side.settings["far"]
        f = lambda v, d: d if v is None else min(max((v - r[0]) / (r[1] - r[0]), 0.0), 1.0)  # noqa: E731
        return (f(near, 0.0), f(far, 1.0))

    def _sides_html(self) -> str:
        """"near–far: left 0.31–0.67 m | right 0.95–1.97 m" and every setting the sides differ in."""
        a, b = (x.settings for x in self.sides)

        def rng(x: _Side) -> str:
            s, r = x.settings, x.depth_range or (float("nan"), float("nan"))
            near = r[0] if s["near"] is None else s["near"]
            far = r[1] if s["far"] is None else s["far"]
            return f"{near:.2f}–{far:.2f} {'m' if x.cap.accuracy == 'absolute' else '(relative)'}"

        parts = [f"near–far: left {rng(self.sides[0])} | right {rng(self.sides[1])}"]
        for name in ("depth_scale", "aspect", "stride", "point_scale", "refined", "edges"):
            if a[name] != b[name]:
                parts.append(f"{name.replace('_', ' ')}: left {a[name]:.3g} | right {b[name]:.3g}"
                             if isinstance(a[name], float) else f"{name.replace('_', ' ')}: left {a[name]} | right {b[name]}")
        return f"<span style='opacity:0.8'>{' · '.join(parts)}</span>"


@keyword_options
def show(cap: Capture, *, model: str | None = None, render: str = "points", stride: int | None = None,
         fill: bool = True, size: int = 320) -> W.Widget:
    """Colour | depth | live 3D of one capture, in one output (no controls; see :func:`explore`).

    ``model`` (default: calibrated pinhole where the capture allows) and ``render``
    (``"points"`` or ``"surface"``) choose how the 3D panel draws it; ``fill`` draws the invented
    background behind occlusion edges (:func:`depthlab.layers`).

    >>> import depthlab
    >>> panel = depthlab.show(depthlab.open("data/sample/front_truedepth.heic"), model="orthographic")
    >>> panel.children[-1].value.split(" · ")[0].split(">")[-1]
    'model orthographic'
    """
    require_capture(cap, "show()")
    h, w = cap.shape
    box_h = int(round(size * h / w)) if w >= h else size
    box_w = size if w >= h else int(round(size * w / h))
    lay = W.Layout(width=f"{box_w}px", height=f"{box_h}px", object_fit="contain")
    panels = []
    if cap.has_rgb:
        panels.append(W.VBox([W.HTML("<b>colour</b>"), W.Image(value=_png(cap.rgb, 2 * size), format="png", layout=lay)]))
    panels.append(W.VBox([W.HTML("<b>depth</b> (near yellow, far purple, unknown grey)"),
                          W.Image(value=_png(depth_image(cap), 2 * size), format="png", layout=lay)]))
    settings = _initial_settings([cap], model, stride, render=render, fill=fill)
    view = CloudView(max(box_w, 320), max(box_h, 240))
    side = _Side(cap, view, settings)
    panels.append(W.VBox([W.HTML("<b>3D</b> (drag to orbit, scroll to zoom)"), view.renderer]))
    out = W.VBox([W.HTML(f"<b>{describe(cap)}</b>"), W.HBox(panels), W.HTML(side._title_html().split("<br>")[1])])
    out._depthlab_side = side  # keeps the projector alive as long as the widget
    return out


@keyword_options
def explore(cap: Capture, **kwargs: Any) -> Explorer:
    """A live 3D view of ``cap`` with controls (projection model, points or surface, depth scale,
    aspect, near/far, stride, point size, colour, matte mask, reset view, export).

    Each control can start elsewhere: ``model``, ``render`` (``"points"`` | ``"surface"``),
    ``near``/``far`` (metres), ``stride``, ``point_scale`` (a factor of each point's pixel
    footprint), ``colour`` (``"rgb"`` | ``"depth"`` | ``"matte"``), ``mask`` (a matte name, or a
    region in the photo's pixels: a box ``(x0, y0, x1, y1)`` or a bool array, as for :func:`depthlab.project`),
    ``refined`` (draw :func:`depthlab.refine`'s map instead of the stored one; a checkbox too),
    ``fill`` (default True: draw the invented background layer of :func:`depthlab.layers` behind
    occlusion edges, so a turn shows no black hole; a checkbox "fill behind edges" too),
    ``edges`` (``"hide"``, the default: points beside a depth jump -- occlusions, flying pixels,
    the mesh's cut rule -- are not drawn; ``"show"``: every point).  See :class:`Explorer`.

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> view = depthlab.explore(cap, stride=2, far=0.6, point_scale=1.5, colour="depth")
    >>> view.controls.w["stride"].value, view.controls.w["colour"].value
    (2, 'depth')
    """
    return Explorer(cap, **kwargs)


@keyword_options
def compare(a: Capture, b: Capture, **kwargs: Any) -> Comparison:
    """Two live views side by side with linked cameras, titled with camera, accuracy and depth
    range; the controls apply to both or to one side.  See :class:`Comparison`.

    >>> import depthlab
    >>> rear = depthlab.open("data/sample/rear_dual.heic")
    >>> front = depthlab.open("data/sample/front_truedepth.heic")
    >>> pair = depthlab.compare(rear, front, stride=4)
    >>> pair.views[0].camera is pair.views[1].camera
    True
    """
    return Comparison(a, b, **kwargs)


__all__ = ["show", "explore", "compare", "Explorer", "Comparison", "Throttle", "fresh_path", "describe"]
