"""The invented layer behind occlusion edges in a live view ("fill behind edges").

One :class:`Behind` per side of a view: it draws :func:`depthlab.surface.layers.projector_layer`
behind the measured points (a second :class:`~depthlab.live.viewer.CloudLayer`) or behind the
surface (a second :class:`~depthlab.live.viewer.SurfaceLayer`, textured with the inpainted
photo), so turning the view shows background instead of black where the phone saw nothing.

The layer is invented (depth extrapolated, colour inpainted): it is drawn only while the
"fill behind edges" control is on, only with photo colours (a depth or matte colouring would
be measured-looking), never with a matte mask, a region or a confidence threshold (they select
measured points), and never enters an export of points (PCD/PLY) or a figure.  It is computed once per
capture and stride (:func:`~depthlab.surface.layers.projector_layer` keeps it with the projector;
each model only re-projects it, and is kept too); near/far clip it by its own depth (a cheap
index update).  Only what changed is sent: a new model sends positions (and their stretch), the
surface is sent only when it is drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..settings import is_pinhole
from ..surface.layers import projector_layer, with_second_layer


class Behind:
    """The filled layer of one side (``side``: a :class:`depthlab.live.widgets._Side`-like object
    with ``settings``, ``projector``, ``cap``, ``view``, ``layer`` and ``_scale()``)."""

    def __init__(self, view: Any):
        self.view = view
        self._key: tuple | None = None
        #: the current projector's layer per model: (projector_layer's dict, the points' stretch)
        self._models: dict[str, tuple[dict[str, Any], np.ndarray]] = {}
        self._points_sent: dict[str, Any] | None = None
        #: what the surface drawing holds: (layer dict, faces, texture)
        self._surface_sent: tuple[Any, Any, Any] = (None, None, None)
        self._clip = np.zeros(0, dtype=bool)
        self._clip_key: tuple | None = None
        self._sub = np.zeros(0, dtype=bool)
        self._count = 0
        self._any_point = False
        self._faces: np.ndarray | None = None   # the drawn triangles (near/far cut), made when the surface is drawn
        self._data: dict[str, Any] | None = None
        self.points: Any = None
        self.surface: Any = None

    @staticmethod
    def wanted(settings: dict[str, Any], has_rgb: bool) -> bool:
        """Whether these settings draw the filled layer (see the module docstring)."""
        return bool(settings.get("fill")) and is_pinhole(settings["model"]) and settings["colour"] == "rgb" \
            and has_rgb and not settings["mask"] and settings.get("region") is None and settings["min_confidence"] is None

    @property
    def count(self) -> int:
        """Invented points drawn now."""
        if self._data is None:
            return 0
        drawn = self.points is not None and self.points.points.visible
        drawn = drawn or (self.surface is not None and self.surface.mesh.visible)
        return self._count if drawn else 0

    def cloud(self, front: Any) -> Any:
        """``front`` (the side's measured PointCloud) with the layer's drawn points behind it,
        flagged (:func:`depthlab.surface.layers.with_second_layer`); ``front`` when none is drawn."""
        d = self._data
        if d is None or not self.count:
            return front
        k = self._clip
        return with_second_layer(front, d["xyz"][k], d["rgb"][k], d["pixel_index"][k], d["invented"][k], d["facts"])

    def update(self, side: Any) -> None:
        """Show, hide or recompute the layer for the side's current settings."""
        s = side.settings
        if not self.wanted(s, side.cap.has_rgb):
            self._hide()
            return
        key = (side.projector, s["model"])
        if self._key is None or key[0] is not self._key[0]:
            self._models = {}   # another projector (stride, refined depth): nothing carries over
        if self._key is None or key[0] is not self._key[0] or key[1] != self._key[1]:
            if s["model"] not in self._models:
                d = projector_layer(side.projector, s["model"])
                self._models[s["model"]] = (d, self._point_stretch(side, d))
            self._data = self._models[s["model"]][0]
            self._key = key
            self._send(side)
        d = self._data
        clip_key = (id(d), s["near"], s["far"])
        if clip_key != self._clip_key:      # near/far clip the layer by its own depth (a depth-scale drag does not)
            depth = d["depth"]
            clip = np.ones(depth.shape, dtype=bool)
            if s["near"] is not None:
                clip &= depth >= s["near"]
            if s["far"] is not None:
                clip &= depth <= s["far"]
            self._clip, self._clip_key = clip, clip_key
            self._count = int(np.count_nonzero(d["invented"] & clip))
            self._any_point = bool(self._sub.any() and clip[self._sub].any())
            if self.points is not None and self._sub.any():
                self.points.set(valid=clip[self._sub])
            self._faces = None   # the surface's triangles are cut when it is drawn
        surface = s["render"] == "surface"
        if surface:
            self._send_surface()
        scale = side._scale()
        if self.points is not None:
            self.points.scale = scale
            self.points.set_size(footprint=_wider(side.layer.footprint), size_factor=s["point_scale"])
            self.points.points.visible = not surface and self._any_point
        if self.surface is not None:
            self.surface.scale = scale
            self.surface.mesh.visible = bool(surface and self._faces is not None and self._faces.shape[0])

    def _send(self, side: Any) -> None:
        """The layer's points for the current model (created on first use).  The points are every
        other row and column of the layer, each twice as wide (:data:`POINT_STEP`): the layer is
        smooth and invented, and hidden behind the measured points until the view turns, so a
        quarter of them is drawn (the renderer's cost grows with every point).  A model change
        on the same projector keeps the layer's pixels, colours and triangles (only the
        positions move): then only positions and their stretch are sent."""
        d = self._data
        assert d is not None and self._key is not None
        stretch = self._models[self._key[1]][1]
        prev = self._points_sent
        same_layer = prev is not None and prev["texture"] is d["texture"] and len(prev["cells"]) == len(d["cells"])
        if not same_layer:
            self._sub = _drawn_points(d)
        sub = self._sub
        xyz, rgb = d["xyz"][sub], d["rgb"][sub]
        valid = np.ones(len(xyz), dtype=bool)
        if not len(xyz):  # nothing behind (a flat wall): keep one hidden point
            xyz, rgb, valid = np.zeros((1, 3), np.float32), np.zeros((1, 3), np.uint8), np.zeros(1, bool)
        if self.points is None:
            self.points = self.view.add(xyz, rgb, valid, footprint=_wider(side.layer.footprint),
                                        size_factor=side.settings["point_scale"], frame=False)
            self.points.frames_view = False   # what is invented never frames the view
            self.points.set(stretch=stretch)
        elif same_layer:
            self.points.set(xyz=xyz, stretch=stretch)   # the colours and the drawn index stay
        else:
            self.points.set(xyz=xyz, rgb=rgb, valid=valid, stretch=stretch)
        self._points_sent = d

    @staticmethod
    def _point_stretch(side: Any, d: dict[str, Any]) -> np.ndarray:
        """uint8: the stretch of the layer's drawn points (a turned background spreads like any
        slanted surface; :func:`depthlab.live.scene.scattered_stretch`)."""
        if not len(d["xyz"]):
            return np.zeros(1, np.uint8)
        from ..surface.triangulate import DEFAULT_MAX_STEP
        from .scene import scattered_stretch

        return scattered_stretch(d["xyz"], d["depth"], d["cells"], d["grid_shape"], side.layer.footprint,
                                 DEFAULT_MAX_STEP * side.projector.stride)[_drawn_points(d)]

    def _send_surface(self) -> None:
        """The layer as a textured surface, sent when it is drawn, and then only what changed: the
        positions (another model), the triangles (another near/far), the inpainted texture
        (another projector)."""
        d = self._data
        assert d is not None
        if self._faces is None:   # near/far clip the triangles with their points
            clip = self._clip
            self._faces = d["faces"][clip[d["faces"]].all(axis=1)] if not clip.all() else d["faces"]
        full = d["xyz"] if len(d["xyz"]) else np.zeros((1, 3), np.float32)
        sent_d, sent_faces, sent_texture = self._surface_sent
        if self.surface is None:
            self.surface = self.view.add_surface(full, self._faces, _uv(d, full), d["texture"], frame=False)
            self.surface.frames_view = False
        else:
            if sent_d is not d or sent_faces is not self._faces:
                if sent_texture is d["texture"] and sent_faces is self._faces:
                    self.surface.set(full)   # the same pixels and triangles, moved by another model
                else:
                    self.surface.set(full, self._faces, _uv(d, full))
            if sent_texture is not d["texture"]:
                self.surface.set_texture(d["texture"])
        self._surface_sent = (d, self._faces, d["texture"])

    def _hide(self) -> None:
        if self.points is not None:
            self.points.points.visible = False
        if self.surface is not None:
            self.surface.mesh.visible = False


#: the invented layer's points are drawn every POINT_STEP rows and columns, POINT_STEP times as wide
POINT_STEP = 2


def _drawn_points(d: dict[str, Any]) -> np.ndarray:
    """bool (K,): the layer's points drawn as points, every POINT_STEP-th row and column."""
    gw = d["grid_shape"][1]
    return ((d["cells"] // gw) % POINT_STEP == 0) & ((d["cells"] % gw) % POINT_STEP == 0)


def _wider(footprint: dict[str, float]) -> dict[str, float]:
    return {k: POINT_STEP * v for k, v in footprint.items()}


def _uv(d: dict[str, Any], xyz: np.ndarray) -> np.ndarray:
    return d["uv"] if len(d["uv"]) == len(xyz) else np.zeros((len(xyz), 2), np.float32)


__all__ = ["Behind"]
