"""A live pythreejs view of one or several point clouds, updated in place.

One :class:`CloudView` is one pythreejs ``Renderer`` with a perspective camera that starts at the
phone's position (:func:`depthlab.scene.initial_camera`), ``OrbitControls``, a floor grid with
round spacing in metres, and any number of clouds (:class:`CloudLayer`).  Each cloud is a
``Points`` object over a ``BufferGeometry``:

* ``position`` float32 (M, 3): every grid pixel of the projection, in three.js coordinates
  (converted by :func:`depthlab.scene.to_threejs`, nowhere else); unknown points are set to 0.
* ``color`` uint8 (M, 3), normalised: one colour per grid pixel.
* ``index`` uint32 (K,): the pixels that are drawn (finite, inside near/far and the mask).

Changing near/far or a mask re-sends only the index; a stretch (depth scale, aspect) is the
``Points`` object's scale, three numbers; a new model re-sends the positions; a new colour mode
the colours; a new stride all three (the same attribute objects take arrays of a new length).  The renderer, camera, scene and geometry are created once.

pythreejs and ipywidgets are imported here, never by ``import depthlab``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pythreejs as three

from .errors import InvalidInputError
from .scene import default_point_size, grid_spec, initial_camera, to_threejs

BACKGROUND = "#1e1e24"


def _look_quaternion(position: Sequence[float], target: Sequence[float], up: Sequence[float]) -> tuple[float, ...]:
    """Quaternion (x, y, z, w) turning a three.js camera at ``position`` to look at ``target``.

    Convention: three.js coordinates; a camera looks down its own -z with +y up, so the
    rotation's columns are (right, up, back) with back = normalise(position - target).
    """
    p, t, u = (np.asarray(v, dtype=np.float64) for v in (position, target, up))
    back = p - t
    n = np.linalg.norm(back)
    if n < 1e-12:
        return (0.0, 0.0, 0.0, 1.0)
    back /= n
    right = np.cross(u, back)
    if np.linalg.norm(right) < 1e-9:
        right = np.array([1.0, 0.0, 0.0])
    right /= np.linalg.norm(right)
    upv = np.cross(back, right)
    m = np.column_stack([right, upv, back])
    # rotation matrix -> quaternion (Shepperd's method)
    tr = np.trace(m)
    if tr > 0:
        s = math.sqrt(tr + 1.0) * 2
        w, x, y, z = 0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        w, x, y, z = (m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        w, x, y, z = (m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        w, x, y, z = (m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s
    return (float(x), float(y), float(z), float(w))


def _check_cloud(xyz: np.ndarray, rgb: np.ndarray | None, valid: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    xyz = np.asarray(xyz)
    if xyz.ndim != 2 or xyz.shape[1] != 3:
        raise InvalidInputError(f"points must be (M, 3), got {xyz.shape}")
    m = xyz.shape[0]
    if rgb is not None:
        rgb = np.asarray(rgb)
        if rgb.shape != (m, 3) or rgb.dtype != np.uint8:
            raise InvalidInputError(f"colours must be uint8 ({m}, 3) to match the points, got {rgb.dtype} {rgb.shape}")
    if valid is None:
        valid = np.isfinite(xyz).all(axis=1)
    else:
        valid = np.asarray(valid, dtype=bool)
        if valid.shape != (m,):
            raise InvalidInputError(f"valid must be bool ({m},), got {valid.shape}")
    return xyz, rgb, valid


class CloudLayer:
    """One point cloud in a :class:`CloudView`: a ``Points`` over a ``BufferGeometry``.

    Use :meth:`set` to change points, colours or the drawn subset in place.
    """

    def __init__(self, xyz: np.ndarray, rgb: np.ndarray | None, valid: np.ndarray | None, point_size: float):
        xyz, rgb, valid = _check_cloud(xyz, rgb, valid)
        m = xyz.shape[0]
        self._pos = self._positions(xyz, valid)
        self._rgb = np.ascontiguousarray(rgb) if rgb is not None else np.full((m, 3), 200, np.uint8)
        self._index = np.flatnonzero(valid).astype(np.uint32)
        self._valid = valid.copy()
        self.position = three.BufferAttribute(array=self._pos, normalized=False)
        self.color = three.BufferAttribute(array=self._rgb, normalized=True)
        self.index = three.BufferAttribute(array=self._safe_index(self._index), normalized=False)
        self.geometry = three.BufferGeometry(attributes={"position": self.position, "color": self.color}, index=self.index)
        self.material = three.PointsMaterial(size=float(point_size), sizeAttenuation=True, vertexColors="VertexColors")
        # bounds change with every update; culling against a stale sphere would hide the cloud
        self.points = three.Points(geometry=self.geometry, material=self.material, frustumCulled=False,
                                   visible=bool(self._index.size))
        self._scale = (1.0, 1.0, 1.0)

    @staticmethod
    def _positions(xyz: np.ndarray, valid: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        if out is None or out.shape != xyz.shape:
            out = np.empty(xyz.shape, dtype=np.float32)
        to_threejs(xyz, out=out)
        if not valid.all():
            out[~valid] = 0.0  # never drawn (not in the index); no NaN reaches WebGL
        return out

    @staticmethod
    def _safe_index(index: np.ndarray) -> np.ndarray:
        # an empty typed array is awkward to ship; the points are hidden then anyway
        return index if index.size else np.zeros(1, np.uint32)

    @property
    def count(self) -> int:
        """Number of points drawn."""
        return int(self._index.size)

    @property
    def size(self) -> int:
        """Number of grid points held (drawn or not)."""
        return int(self._pos.shape[0])

    def set(self, xyz: np.ndarray | None = None, rgb: np.ndarray | None = None, valid: np.ndarray | None = None) -> None:
        """Update the cloud in place; only what is passed is sent to the browser.

        Convention: ``xyz`` float (M, 3) in depthlab's camera frame (x right, y down, z
        forward), one row per grid pixel; ``rgb`` uint8 (M, 3); ``valid`` bool (M,).  A new M
        (another stride) needs all three.
        """
        m = self.size if xyz is None else np.asarray(xyz).shape[0]
        if xyz is not None and m != self.size and (rgb is None or valid is None):
            raise InvalidInputError(f"a cloud of {m} points replaces one of {self.size}: pass xyz, rgb and valid together")
        if valid is not None:
            valid = np.asarray(valid, dtype=bool)
            if valid.shape != (m,):
                raise InvalidInputError(f"valid must be bool ({m},), got {valid.shape}")
        with self.geometry.hold_sync():
            if xyz is not None:
                xyz, _, v = _check_cloud(xyz, None, valid if valid is not None else (self._valid if m == self.size else None))
                # alternate between two buffers so the trait sees a new object (and sends it)
                spare = getattr(self, "_spare", None)
                self._spare = self._pos
                self._pos = self._positions(xyz, v, out=spare)
                self.position.array = self._pos
            if rgb is not None:
                rgb = np.asarray(rgb)
                if rgb.shape != (m, 3) or rgb.dtype != np.uint8:
                    raise InvalidInputError(f"colours must be uint8 ({m}, 3), got {rgb.dtype} {rgb.shape}")
                if rgb is self._rgb:
                    rgb = rgb.copy()  # same object would not register as a change
                self._rgb = np.ascontiguousarray(rgb)
                self.color.array = self._rgb
            if valid is not None and not (valid.shape == self._valid.shape and np.array_equal(valid, self._valid)):
                self._valid = valid.copy()
                self._index = np.flatnonzero(valid).astype(np.uint32)
                self.index.array = self._safe_index(self._index)
                self.points.visible = bool(self._index.size)

    @property
    def scale(self) -> tuple[float, float, float]:
        """Per-axis stretch of the cloud, applied on the GPU (``Points.scale``); default (1, 1, 1).

        Convention: factors along depthlab's camera axes (x, y, z); positive, so the same
        factors apply in three.js's frame.  Changing it sends three numbers, not the points:
        a depth-scale or aspect slider costs nothing to draw.
        """
        return self._scale

    @scale.setter
    def scale(self, factors: Sequence[float]) -> None:
        f = tuple(float(v) for v in factors)
        if len(f) != 3 or not all(v > 0 and math.isfinite(v) for v in f):
            raise InvalidInputError(f"scale must be three positive factors, got {factors!r}")
        if f != self._scale:
            self._scale = f
            self.points.scale = f

    def bounds(self, max_points: int = 50_000, scaled: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
        """(min, max) of the drawn points in depthlab's camera frame, or None if none are drawn.

        ``scaled``: include :attr:`scale` (where the points are drawn) or not (the positions sent).

        For framing the view and sizing the grid, so it looks at an even sample of at most
        ``max_points`` drawn points (exact when fewer are drawn): cheap enough for every update.
        """
        if not self._index.size:
            return None
        step = max(1, self._index.size // max_points)
        cols = self._pos[self._index[::step]].T.copy()  # (3, n): reductions along rows are fast
        lo, hi = cols.min(axis=1).astype(np.float64), cols.max(axis=1).astype(np.float64)
        # back from three.js: y and z flip, so min and max swap on those axes
        flip = np.array([1.0, -1.0, -1.0]) * (np.array(self._scale) if scaled else 1.0)
        a, b = lo * flip, hi * flip
        return np.minimum(a, b), np.maximum(a, b)


class CloudView:
    """A pythreejs renderer showing point clouds from the phone's point of view.

    Parameters
    ----------
    width, height : pixels of the canvas.
    camera : share a ``PerspectiveCamera`` with another view to link them (see
        :func:`linked_pair`); by default the view makes its own.
    units : ``"m"`` or another unit name, for the grid label.

    Attributes ``renderer``, ``camera``, ``controls``, ``scene`` are the pythreejs objects;
    ``layers`` the clouds.  Show it with ``display(view.renderer)`` (or use
    :mod:`depthlab.widgets`).
    """

    def __init__(self, width: int = 640, height: int = 480, *, camera: Any = None, units: str = "m",
                 background: str = BACKGROUND, grid: bool = True):
        self.width, self.height = int(width), int(height)
        self.units = units
        self.layers: list[CloudLayer] = []
        self.show_grid = bool(grid)
        self.camera = camera or three.PerspectiveCamera(position=[0, 0, 0], up=[0, 1, 0], fov=50,
                                                        aspect=self.width / self.height, near=0.001, far=100)
        self.controls = three.OrbitControls(controlling=self.camera, target=[0, 0, -1])
        self.grid = three.GridHelper(1.0, 10, "#8a8a99", "#4a4a55")
        self.grid.visible = self.show_grid
        self.scene = three.Scene(children=[self.grid], background=background)  # the camera stays out: views may share it
        self.renderer = three.Renderer(camera=self.camera, scene=self.scene, controls=[self.controls],
                                       width=self.width, height=self.height, antialias=False)
        self._home: dict[str, Any] | None = None
        self.grid_label = ""
        #: how the home camera frames the clouds: "far" (pinhole clouds) or "all" (flat models)
        self.fit = "far"

    # -- clouds -------------------------------------------------------------------------------
    def add(self, xyz: np.ndarray, rgb: np.ndarray | None = None, valid: np.ndarray | None = None,
            point_size: float | None = None, frame: bool = True) -> CloudLayer:
        """Add a cloud (camera frame, one row per grid pixel) and, by default, frame the view on it."""
        xyz, rgb, valid = _check_cloud(xyz, rgb, valid)
        if point_size is None:
            pts = np.asarray(xyz)[valid]
            point_size = (default_point_size(pts.min(0), pts.max(0), len(pts)) if len(pts) else 0.01)
        layer = CloudLayer(xyz, rgb, valid, point_size)
        self.layers.append(layer)
        self.scene.children = [*self.scene.children, layer.points]
        if frame:
            self.frame()
        return layer

    @property
    def point_size(self) -> float:
        return float(self.layers[0].material.size) if self.layers else 0.0

    @point_size.setter
    def point_size(self, size: float) -> None:
        if not (size > 0 and math.isfinite(size)):
            raise InvalidInputError(f"point size must be positive (world units), got {size}")
        for layer in self.layers:
            layer.material.size = float(size)

    # -- camera -------------------------------------------------------------------------------
    def bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Bounds of everything drawn, camera frame."""
        bs = [b for b in (layer.bounds() for layer in self.layers) if b is not None]
        if not bs:
            return None
        return np.min([b[0] for b in bs], axis=0), np.max([b[1] for b in bs], axis=0)

    def frame(self, reset_camera: bool = True) -> dict[str, Any] | None:
        """Fit the grid (and, by default, the camera) to the drawn clouds; returns the camera dict."""
        b = self.bounds()
        if b is None:
            return None
        g = grid_spec(*b, units=self.units)
        self._set_grid(g)
        home = initial_camera(*b, aspect=self.width / self.height, fit=self.fit)
        self._home = home
        if reset_camera:
            self.reset_view()
        return home

    def _set_grid(self, g: dict[str, Any]) -> None:
        self.grid_label = g["label"]
        if (self.grid.size, self.grid.divisions) != (g["size"], g["divisions"]):
            # GridHelper's geometry is built from its constructor arguments: swap in a new helper
            new = three.GridHelper(g["size"], g["divisions"], "#8a8a99", "#4a4a55")
            new.position = g["centre"]
            new.visible = self.show_grid
            self.scene.children = [new if c is self.grid else c for c in self.scene.children]
            self.grid = new
        else:
            self.grid.position = g["centre"]

    def reset_view(self) -> None:
        """Put the camera back at the phone's position, looking at the cloud."""
        home = self._home
        if home is None:
            return
        with self.camera.hold_sync():
            self.camera.fov = home["fov"]
            self.camera.near = home["near"]
            self.camera.far = home["far"]
            self.camera.up = home["up"]
            self.camera.position = home["position"]
            self.camera.quaternion = _look_quaternion(home["position"], home["target"], home["up"])
        self.controls.target = home["target"]
        # a shared camera is driven by every view's controls: keep their targets together
        for other in getattr(self, "_linked", ()):
            other.controls.target = home["target"]


def linked_pair(width: int = 480, height: int = 400, units: tuple[str, str] = ("m", "m")) -> tuple[CloudView, CloudView]:
    """Two views that share one camera: orbiting either moves both.

    Both renderers draw through the same ``PerspectiveCamera``; each has its own
    ``OrbitControls`` on it, and the controls' targets are linked in the browser (``jslink``),
    so panning one moves the other's pivot too.
    """
    import ipywidgets as widgets

    a = CloudView(width, height, units=units[0])
    b = CloudView(width, height, camera=a.camera, units=units[1])
    a._linked, b._linked = [b], [a]  # type: ignore[attr-defined]
    a._target_link = widgets.jslink((a.controls, "target"), (b.controls, "target"))  # type: ignore[attr-defined]
    return a, b


__all__ = ["CloudView", "CloudLayer", "linked_pair"]
