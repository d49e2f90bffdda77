"""A live pythreejs view of one or several point clouds, updated in place.

One :class:`CloudView` is one pythreejs ``Renderer`` with a perspective camera that starts at the
phone's position (:func:`depthlab.live.scene.initial_camera`), ``OrbitControls``, a floor grid with
round spacing in metres, and any number of clouds (:class:`CloudLayer`).  Each cloud is a
``Points`` object over a ``BufferGeometry``:

* ``position`` float32 (M, 3): every grid pixel of the projection, in three.js coordinates
  (converted by :func:`depthlab.live.scene.to_threejs`, nowhere else); unknown points are set to 0.
* ``color`` uint8 (M, 3), normalised: one colour per grid pixel.
* ``index`` uint32 (K,): the pixels that are drawn (finite, inside near/far and the mask).

Changing near/far or a mask re-sends only the index; a flat model's stretch (depth scale, aspect)
is the ``Points`` object's scale, three numbers, and a pinhole depth scale the grid's
(:meth:`CloudView.set_ruler_scale`); a new model re-sends the positions; a new colour mode
the colours; a new stride all three (the same attribute objects take arrays of a new length).  The renderer, camera, scene and geometry are created once.

pythreejs and ipywidgets are imported here, never by ``import depthlab``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import numpy as np
import pythreejs as three

from ..checks import positive_number
from ..errors import InvalidInputError
from .scene import (COVERAGE, POINT_FRAGMENT_SHADER, POINT_VERTEX_SHADER, THREEJS_FLIP, grid_spec, initial_camera,
                    quaternion_matrix, to_threejs, view_transform)

BACKGROUND = "#1e1e24"
#: a layer's bounds not computed since its last update
_NOT_YET = object()


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


def _guess_footprint(xyz: np.ndarray, valid: np.ndarray) -> dict[str, float]:
    """A footprint for points that come without a camera (tests, hand-made clouds): the cloud's
    cross-section shared among its points, as a constant width."""
    pts = np.asarray(xyz)[valid]
    if not len(pts):
        return {"per_depth": 0.0, "constant": 0.01}
    from .scene import default_point_size

    return {"per_depth": 0.0, "constant": default_point_size(pts.min(0), pts.max(0), len(pts)) / COVERAGE}


def scale_factors(factors: Sequence[float]) -> tuple[float, float, float]:
    """Three positive, finite stretch factors along x, y, z (a layer's ``scale``), checked."""
    f = tuple(float(v) for v in factors)
    if len(f) != 3 or not all(v > 0 and math.isfinite(v) for v in f):
        raise InvalidInputError(f"scale must be three positive factors, got {factors!r}")
    return f  # type: ignore[return-value]

class _StretchedLayer:
    """What both layers share: ``scale``, a per-axis stretch of the drawn object (``self.points``:
    the ``Points`` of a cloud, the ``Mesh`` of a surface), applied on the GPU."""

    _scale: tuple[float, float, float]
    points: Any

    @property
    def scale(self) -> tuple[float, float, float]:
        """Per-axis stretch, applied on the GPU (``Object3D.scale``); default (1, 1, 1).

        Convention: factors along depthlab's camera axes (x, y, z); positive, so the same
        factors apply in three.js's frame.  Changing it sends three numbers, not the geometry:
        a depth-scale or aspect slider costs nothing to draw.
        """
        return self._scale

    @scale.setter
    def scale(self, factors: Sequence[float]) -> None:
        f = scale_factors(factors)
        if f != self._scale:
            self._scale = f
            self.points.scale = f


class SurfaceLayer(_StretchedLayer):
    """A textured triangle mesh in a :class:`CloudView` (``render="surface"``).

    Convention: ``vertices`` float (N, 3) in depthlab's camera frame (converted to three.js's by
    :func:`depthlab.live.scene.to_threejs`); ``faces`` int (M, 3) vertex indices; ``uv`` float (N, 2)
    texture coordinates in [0, 1], origin at the bottom-left of ``texture`` (OpenGL's, as
    :func:`depthlab.mesh` gives them); ``texture`` uint8 (H, W, 3), row 0 at the top, sent once
    as a JPEG (quality 92) at the resolution given (the photo's, up to depthlab.mesh's cap).
    """

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray, texture: np.ndarray,
                 texture_jpeg: bytes | None = None):
        self.position = three.BufferAttribute(array=to_threejs(np.asarray(vertices, np.float32)), normalized=False)
        self.uv = three.BufferAttribute(array=self._uv(uv), normalized=False)
        self.index = three.BufferAttribute(array=np.ascontiguousarray(np.asarray(faces).reshape(-1), dtype=np.uint32),
                                           normalized=False)
        self.geometry = three.BufferGeometry(attributes={"position": self.position, "uv": self.uv}, index=self.index)
        self.texture = three.ImageTexture(imageUri=_jpeg_uri(texture, texture_jpeg), minFilter="LinearFilter",
                                          magFilter="LinearFilter", generateMipmaps=False)
        self.material = three.MeshBasicMaterial(map=self.texture, side="DoubleSide")
        #: images shown on the surface, by name ("rgb": the photo), each sent once
        self._textures: dict[str, Any] = {"rgb": self.texture}
        self.texture_name = "rgb"
        self.mesh = three.Mesh(geometry=self.geometry, material=self.material, frustumCulled=False)
        self.points = self.mesh  # what the view adds to its scene (same name as CloudLayer)
        self._vertices = np.asarray(vertices, np.float32)
        self._scale = (1.0, 1.0, 1.0)
        self.faces = int(np.asarray(faces).shape[0])
        self._raw_bounds: Any = _NOT_YET

    @staticmethod
    def _uv(uv: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(uv, dtype=np.float32).reshape(-1, 2))

    def set(self, vertices: np.ndarray, faces: np.ndarray | None = None, uv: np.ndarray | None = None) -> None:
        """New geometry (another model, stride or clipping); the texture stays.  Without
        ``faces`` and ``uv`` only the positions are sent (the same vertices, moved)."""
        vertices = np.asarray(vertices, np.float32)
        if (faces is None or uv is None) and not (faces is None and uv is None and len(vertices) == len(self._vertices)):
            raise InvalidInputError(f"moving the {len(self._vertices)} vertices needs as many positions, got "
                                    f"{len(vertices)} (and new vertices need faces and uv too)")
        self._raw_bounds = _NOT_YET
        with self.geometry.hold_sync():
            self.position.array = to_threejs(vertices)
            if uv is not None:
                self.uv.array = self._uv(uv)
            if faces is not None:
                self.index.array = np.ascontiguousarray(np.asarray(faces).reshape(-1), dtype=np.uint32)
        self._vertices = vertices
        if faces is not None:
            self.faces = int(np.asarray(faces).shape[0])
        self.mesh.visible = bool(self.faces)

    def set_texture(self, texture: np.ndarray) -> None:
        """A new texture (uint8 (H, W, 3), row 0 at the top), sent as a JPEG."""
        self.texture.imageUri = _jpeg_uri(texture)

    def has_texture(self, name: str) -> bool:
        """Whether the image ``name`` was sent already (:meth:`show_texture`)."""
        return name in self._textures

    def show_texture(self, name: str, texture: np.ndarray | None = None) -> None:
        """Show another image over the same uv (the photo is ``"rgb"``; e.g. ``"depth"``: the
        depth colours as an image of the grid), sent the first time it is asked for."""
        if name == self.texture_name:
            return
        tex = self._textures.get(name)
        if tex is None:
            if texture is None:
                raise InvalidInputError(f"no texture {name!r} yet: pass its image")
            tex = self._textures[name] = three.ImageTexture(imageUri=_jpeg_uri(texture), minFilter="LinearFilter",
                                                            magFilter="LinearFilter", generateMipmaps=False)
        self.material.map = tex
        self.material.needsUpdate = True
        self.texture_name = name

    @property
    def count(self) -> int:
        return int(self._vertices.shape[0])

    @property
    def size(self) -> int:
        return int(self._vertices.shape[0])

    def bounds(self, max_points: int = 50_000, scaled: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
        if self._raw_bounds is _NOT_YET:
            v = self._vertices
            step = max(1, len(v) // max_points)
            s = v[::step]
            s = s[np.isfinite(s).all(axis=1)]
            self._raw_bounds = (s.min(axis=0).astype(np.float64), s.max(axis=0).astype(np.float64)) if len(s) else None
        return _stretched(self._raw_bounds, self._scale if scaled else None)


def _jpeg_uri(texture: np.ndarray, jpeg: bytes | None = None) -> str:
    import base64

    if jpeg is None:
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(texture, dtype=np.uint8)).save(buf, format="JPEG", quality=92)
        jpeg = buf.getvalue()
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


class CloudLayer(_StretchedLayer):
    """One point cloud in a :class:`CloudView`: a ``Points`` over a ``BufferGeometry``.

    Use :meth:`set` to change points, colours or the drawn subset in place.
    """

    def __init__(self, xyz: np.ndarray, rgb: np.ndarray | None, valid: np.ndarray | None,
                 footprint: dict[str, float] | None = None, size_factor: float = 1.0, viewport_height: int = 480):
        xyz, rgb, valid = _check_cloud(xyz, rgb, valid)
        m = xyz.shape[0]
        self._pos = self._positions(xyz, valid)
        self._rgb = np.ascontiguousarray(rgb) if rgb is not None else np.full((m, 3), 200, np.uint8)
        self._index = np.flatnonzero(valid).astype(np.uint32)
        self._valid = valid.copy()
        self.position = three.BufferAttribute(array=self._pos, normalized=False)
        self.color = three.BufferAttribute(array=self._rgb, normalized=True)
        # how much wider than its pixel each point is drawn (depthlab.live.scene.point_stretch); 0: not at all
        self.stretch = three.BufferAttribute(array=np.zeros(m, np.uint8), normalized=True)
        self.index = three.BufferAttribute(array=self._safe_index(self._index), normalized=False)
        self.geometry = three.BufferGeometry(attributes={"position": self.position, "color": self.color,
                                                         "stretch": self.stretch}, index=self.index)
        self._footprint = dict(footprint) if footprint is not None else _guess_footprint(xyz, valid)
        self._size_factor = float(size_factor)
        self._viewport_height = float(viewport_height)
        # each point as wide as its pixel (depthlab.live.scene.point_footprint), turned into screen
        # pixels with the camera's own projection: the same shader as the HTML page
        self.material = three.ShaderMaterial(vertexShader=POINT_VERTEX_SHADER, fragmentShader=POINT_FRAGMENT_SHADER,
                                             uniforms=self._uniforms(), vertexColors="VertexColors")
        # bounds change with every update; culling against a stale sphere would hide the cloud
        self.points = three.Points(geometry=self.geometry, material=self.material, frustumCulled=False,
                                   visible=bool(self._index.size))
        self._scale = (1.0, 1.0, 1.0)
        self._raw_bounds: Any = _NOT_YET

    def _uniforms(self) -> dict[str, dict[str, Any]]:
        f = self._footprint
        return {
            "footprint": {"value": [float(f["per_depth"]), float(f["constant"])]},
            "sizeScale": {"value": COVERAGE * self._size_factor},
            "viewportHeight": {"value": self._viewport_height},
            "posMin": {"value": [0.0, 0.0, 0.0]},
            "posSpan": {"value": [1.0, 1.0, 1.0]},
        }

    @property
    def footprint(self) -> dict[str, float]:
        """One grid pixel's width in the scene (:func:`depthlab.live.scene.point_footprint`)."""
        return dict(self._footprint)

    @property
    def size_factor(self) -> float:
        """The user's point-size multiplier (1: each point covers its pixel, times ``COVERAGE``)."""
        return self._size_factor

    def set_size(self, footprint: dict[str, float] | None = None, size_factor: float | None = None,
                 viewport_height: float | None = None) -> None:
        """Change the point-size rule's inputs; sends a few numbers, never the points."""
        new_fp = dict(footprint) if footprint is not None else self._footprint
        new_sf = float(size_factor) if size_factor is not None else self._size_factor
        new_vh = float(viewport_height) if viewport_height is not None else self._viewport_height
        if not (new_sf > 0 and math.isfinite(new_sf)):
            raise InvalidInputError(f"point size factor must be positive, got {size_factor}")
        if (new_fp, new_sf, new_vh) == (self._footprint, self._size_factor, self._viewport_height):
            return
        self._footprint, self._size_factor, self._viewport_height = new_fp, new_sf, new_vh
        self.material.uniforms = self._uniforms()
        # three.js keeps the compiled program's uniform objects: ask for a fresh one
        self.material.needsUpdate = True

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

    def set(self, xyz: np.ndarray | None = None, rgb: np.ndarray | None = None, valid: np.ndarray | None = None,
            stretch: np.ndarray | None = None) -> None:
        """Update the cloud in place; only what is passed is sent to the browser.

        Convention: ``xyz`` float (M, 3) in depthlab's camera frame (x right, y down, z
        forward), one row per grid pixel; ``rgb`` uint8 (M, 3); ``valid`` bool (M,).  A new M
        (another stride) needs all three; ``stretch`` uint8 (M,) (:func:`depthlab.live.scene.point_stretch`)
        is sent with new positions (without it, a new M draws every point at its pixel's width).
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
                self._raw_bounds = _NOT_YET
                xyz, _, v = _check_cloud(xyz, None, valid if valid is not None else (self._valid if m == self.size else None))
                # alternate between two buffers so the trait sees a new object (and sends it)
                spare = getattr(self, "_spare", None)
                self._spare = self._pos
                self._pos = self._positions(xyz, v, out=spare)
                self.position.array = self._pos
                if stretch is None and m != self.stretch.array.shape[0]:
                    stretch = np.zeros(m, np.uint8)
            if stretch is not None:
                stretch = np.asarray(stretch, dtype=np.uint8)
                if stretch.shape != (m,):
                    raise InvalidInputError(f"stretch must be uint8 ({m},), got {stretch.shape}")
                self.stretch.array = stretch.copy()
            if rgb is not None:
                rgb = np.asarray(rgb)
                if rgb.shape != (m, 3) or rgb.dtype != np.uint8:
                    raise InvalidInputError(f"colours must be uint8 ({m}, 3), got {rgb.dtype} {rgb.shape}")
                if rgb is self._rgb:
                    rgb = rgb.copy()  # same object would not register as a change
                self._rgb = np.ascontiguousarray(rgb)
                self.color.array = self._rgb
            if valid is not None and not (valid.shape == self._valid.shape and np.array_equal(valid, self._valid)):
                self._raw_bounds = _NOT_YET
                self._valid = valid.copy()
                self._index = np.flatnonzero(valid).astype(np.uint32)
                self.index.array = self._safe_index(self._index)
                self.points.visible = bool(self._index.size)

    def bounds(self, max_points: int = 50_000, scaled: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
        """(min, max) of the drawn points in depthlab's camera frame, or None if none are drawn.

        ``scaled``: include :attr:`scale` (where the points are drawn) or not (the positions sent).

        For framing the view and sizing the grid, so it looks at an even sample of at most
        ``max_points`` drawn points (exact when fewer are drawn), once per :meth:`set`: a
        stretch (depth scale, aspect) only multiplies them.
        """
        if self._raw_bounds is _NOT_YET:
            if not self._index.size:
                self._raw_bounds = None
            else:
                step = max(1, self._index.size // max_points)
                cols = self._pos[self._index[::step]].T.copy()  # (3, n): reductions along rows are fast
                lo, hi = cols.min(axis=1).astype(np.float64), cols.max(axis=1).astype(np.float64)
                # back from three.js: y and z flip, so min and max swap on those axes
                flip = THREEJS_FLIP
                a, b = lo * flip, hi * flip
                self._raw_bounds = (np.minimum(a, b), np.maximum(a, b))
        return _stretched(self._raw_bounds, self._scale if scaled else None)


def _stretched(raw: tuple[np.ndarray, np.ndarray] | None, scale: Sequence[float] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Bounds at stretch 1 times a (positive) per-axis stretch; new arrays."""
    if raw is None:
        return None
    f = np.asarray(scale, dtype=np.float64) if scale is not None else 1.0
    return raw[0] * f, raw[1] * f


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
    :mod:`depthlab.live.widgets`).
    """

    def __init__(self, width: int = 640, height: int = 480, *, camera: Any = None, units: str = "m",
                 background: str = BACKGROUND, grid: bool = True):
        self.width, self.height = int(width), int(height)
        self.units = units
        self.layers: list[CloudLayer] = []
        self.show_grid = bool(grid)
        self.camera = camera or three.PerspectiveCamera(position=[0, 0, 0], up=[0, 1, 0], fov=50,
                                                        aspect=self.width / self.height, near=0.001, far=100)
        # half a turn per view height, as the HTML page
        self.controls = three.OrbitControls(controlling=self.camera, target=[0, 0, -1], rotateSpeed=0.5)
        self.grid = three.GridHelper(1.0, 10, "#8a8a99", "#4a4a55")
        self.grid.visible = self.show_grid
        # everything drawn sits in one group: a linked view moves it so that it orbits its own
        # subject through the shared camera (depthlab.live.scene.view_transform)
        self.content = three.Group(children=[self.grid])
        self.scene = three.Scene(children=[self.content], background=background)  # the camera stays out: views may share it
        #: the subject, camera frame (depthlab.live.scene.orbit_centre), set by the owner before frame()
        self.pivot: np.ndarray | None = None
        self.transform: dict[str, tuple[float, ...]] = {"scale": (1.0, 1.0, 1.0),
                                                        "quaternion": (0.0, 0.0, 0.0, 1.0),
                                                        "position": (0.0, 0.0, 0.0)}
        self.renderer = three.Renderer(camera=self.camera, scene=self.scene, controls=[self.controls],
                                       width=self.width, height=self.height, antialias=False)
        self._home: dict[str, Any] | None = None
        #: the home camera :func:`link_homes` last gave linked views (their shared camera's)
        self._shared_home: dict[str, Any] | None = None
        self.grid_label = ""
        self._grid_spec: dict[str, Any] | None = None
        #: the uniform stretch about the phone the grid reads the scene at: a pinhole depth scale
        #: k (:meth:`set_ruler_scale`); 1 draws the grid in the scene's own units
        self.ruler_scale = 1.0
        #: how the home camera frames the clouds: "far" (pinhole clouds) or "all" (flat models)
        self.fit = "far"

    # -- clouds -------------------------------------------------------------------------------
    def add(self, xyz: np.ndarray, rgb: np.ndarray | None = None, valid: np.ndarray | None = None,
            footprint: dict[str, float] | None = None, size_factor: float = 1.0, frame: bool = True) -> CloudLayer:
        """Add a cloud (camera frame, one row per grid pixel) and, by default, frame the view on it.

        ``footprint``: one grid pixel's width (:func:`depthlab.live.scene.point_footprint`); without
        it the cloud's cross-section shared among its points is used."""
        xyz, rgb, valid = _check_cloud(xyz, rgb, valid)
        layer = CloudLayer(xyz, rgb, valid, footprint, size_factor, viewport_height=self.height)
        self._attach(layer)
        if frame:
            self.frame()
        return layer

    def add_surface(self, vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray, texture: np.ndarray,
                    frame: bool = True) -> SurfaceLayer:
        """Add a textured mesh (camera frame; see :class:`SurfaceLayer`)."""
        layer = SurfaceLayer(vertices, faces, uv, texture)
        self._attach(layer)
        if frame:
            self.frame()
        return layer

    def _attach(self, layer: Any) -> None:
        self.layers.append(layer)
        self.content.children = [*self.content.children, layer.points]

    def remove(self, layer: Any) -> None:
        """Take a cloud or surface out of the view."""
        self.layers = [x for x in self.layers if x is not layer]
        self.content.children = [c for c in self.content.children if c is not layer.points]

    @property
    def point_scale(self) -> float:
        """The point-size factor of the clouds (1: each point covers its pixel)."""
        return float(self.layers[0].size_factor) if self.layers and isinstance(self.layers[0], CloudLayer) else 0.0

    @point_scale.setter
    def point_scale(self, factor: float) -> None:
        if not (factor > 0 and math.isfinite(factor)):
            raise InvalidInputError(f"point_scale (a factor) must be positive, got {factor}")
        for layer in self.layers:
            if isinstance(layer, CloudLayer):
                layer.set_size(size_factor=factor)

    def set_transform(self, transform: dict[str, tuple[float, ...]]) -> None:
        """Place everything drawn with a similarity (:func:`depthlab.live.scene.view_transform`)."""
        self.transform = {k: tuple(float(v) for v in transform[k]) for k in ("scale", "quaternion", "position")}
        with self.content.hold_sync():
            self.content.scale = self.transform["scale"]
            self.content.quaternion = self.transform["quaternion"]
            self.content.position = self.transform["position"]

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold what the view sends (camera, orbit, the drawn objects) until the block ends, then
        send it together: a depth-scale step's stretch and the camera's re-fit leave the kernel
        at once instead of ~6 ms apart (the re-fit's work came between them, and some steps drew
        two pictures).  Not shown to make a step reach the canvas sooner (benchmarks/README.md)."""
        with ExitStack() as stack:
            for w in (self.camera, self.controls, self.content, self.grid, *(layer.points for layer in self.layers)):
                stack.enter_context(w.hold_sync())
            yield

    # -- camera -------------------------------------------------------------------------------
    def bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Bounds of everything drawn, camera frame."""
        # a layer with ``frames_view = False`` (the invented background) never moves the camera or the grid
        bs = [b for b in (layer.bounds() for layer in self.layers if getattr(layer, "frames_view", True)) if b is not None]
        if not bs:
            return None
        return np.min([b[0] for b in bs], axis=0), np.max([b[1] for b in bs], axis=0)

    def frame(self, reset_camera: bool = True, grid: bool = True) -> dict[str, Any] | None:
        """Fit the grid (``grid``) and the home camera to the drawn clouds, and (``reset_camera``)
        put the camera there; returns the home camera dict."""
        b = self.bounds()
        if b is None:
            return None
        if grid:  # round spacing in the units the grid reads: the scene stretched by ruler_scale
            self._set_grid(grid_spec(*(x * self.ruler_scale for x in b), units=self.units))
        home = initial_camera(*b, aspect=self.width / self.height, fit=self.fit, pivot=self.pivot)
        self._home = home
        if reset_camera:
            self.reset_view()
        return home

    def _set_grid(self, g: dict[str, Any]) -> None:
        """Draw the grid ``g`` (:func:`depthlab.live.scene.grid_spec`, in the ruler's units)."""
        self.grid_label = g["label"]
        self._grid_spec = g
        if (self.grid.size, self.grid.divisions) != (g["size"], g["divisions"]):
            # GridHelper's geometry is built from its constructor arguments: swap in a new helper
            new = three.GridHelper(g["size"], g["divisions"], "#8a8a99", "#4a4a55")
            new.visible = self.show_grid
            self.content.children = [new if c is self.grid else c for c in self.content.children]
            self.grid = new
        self._place_grid()

    def _place_grid(self) -> None:
        g, k = self._grid_spec, self.ruler_scale
        if g is None:
            return
        with self.grid.hold_sync():
            self.grid.position = tuple(float(v) / k for v in g["centre"])
            self.grid.scale = (1.0 / k,) * 3

    def set_ruler_scale(self, k: float) -> None:
        """Read the scene as if stretched by ``k`` about the phone (the camera frame's origin):
        the grid keeps its squares (its label) and is drawn ``1/k`` as large about the phone.

        For a uniform stretch about the phone this is the same picture as stretching the clouds
        and carrying the camera with them (every ray from the camera meets the same points), but
        one object moves instead of the clouds, the camera and the orbit target: a pinhole depth
        scale step sends one message (benchmarks/README.md).  Positions, bounds, the home camera
        and the orbit stay in the scene's own units.

        >>> view = CloudView(64, 48)
        >>> _ = view.add(np.array([[0.0, 0.0, 1.0], [0.2, 0.1, 1.5]], np.float32))
        >>> label = view.grid_label
        >>> view.set_ruler_scale(2.0)
        >>> view.grid.scale, view.grid_label == label
        ((0.5, 0.5, 0.5), True)
        """
        k = positive_number("ruler_scale", k)
        if k != self.ruler_scale:
            self.ruler_scale = k
            self._place_grid()

    def refit(self, keep_pose: bool = True, grid: bool = True) -> dict[str, Any] | None:
        """Fit the home camera (and, by default, the grid) to what is drawn now; with
        ``keep_pose`` the camera keeps its pose relative to the subject (:func:`carry_pose`:
        it moves with the home camera, so an orbited view stays orbited), else it goes home."""
        old = self._home
        if self.frame(reset_camera=False, grid=grid) is None:
            return None
        if keep_pose and old is not None:
            carry_pose(self, old, self._home)
        else:
            self.reset_view()
        return self._home

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


def carry_pose(view: CloudView, old_home: dict[str, Any], new_home: dict[str, Any]) -> None:
    """Move ``view``'s camera (and orbit target) as the home camera moved from ``old_home`` to
    ``new_home`` (:func:`depthlab.live.scene.view_transform`: a uniform scale, a turn and a
    shift): a camera at the old home lands on the new one, an orbited camera keeps its pose
    relative to the subject.  The pose is the one the browser last reported (pythreejs syncs the
    camera and the orbit target back at the end of each drag)."""
    t = view_transform(old_home, new_home)
    k = t["scale"][0]
    q = np.asarray(t["quaternion"], dtype=np.float64)
    rot = quaternion_matrix(q)
    pos = np.asarray(t["position"], dtype=np.float64)
    cam = view.camera
    p = pos + k * rot @ np.asarray(cam.position, dtype=np.float64)
    target = pos + k * rot @ np.asarray(view.controls.target, dtype=np.float64)
    quat = _quaternion_product(q, np.asarray(cam.quaternion, dtype=np.float64))
    with cam.hold_sync():
        cam.fov = new_home["fov"]
        cam.near = new_home["near"]
        cam.far = new_home["far"]
        cam.position = tuple(float(v) for v in p)
        cam.quaternion = tuple(float(v) for v in quat)
    for v in (view, *getattr(view, "_linked", ())):
        v.controls.target = tuple(float(x) for x in target)


def _quaternion_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a * b for quaternions (x, y, z, w): first b's turn, then a's; normalised."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    out = np.array([aw * bx + ax * bw + ay * bz - az * by,
                    aw * by - ax * bz + ay * bw + az * bx,
                    aw * bz + ax * by - ay * bx + az * bw,
                    aw * bw - ax * bx - ay * by - az * bz])
    return out / (np.linalg.norm(out) or 1.0)


def link_homes(views: Sequence[CloudView], keep_pose: bool = False) -> dict[str, Any] | None:
    """Make linked views (one shared camera) each orbit its own subject.

    The first view's home camera becomes the shared one; every other view's contents are moved
    (:func:`depthlab.live.scene.view_transform`: a uniform scale about its phone, a turn and a shift)
    so that the shared camera sees them exactly as that view's own home camera would: each
    first picture is its own phone's, and the one orbit pivot sits on each view's subject.
    The field of view is the widest any view needs.  ``keep_pose``: the shared camera keeps its
    pose relative to the subjects (:func:`carry_pose`) instead of going home.
    """
    old = views[0]._shared_home
    homes = [v._home for v in views]
    if any(h is None for h in homes):
        return None
    shared = dict(homes[0])
    shared["fov"] = max(h["fov"] for h in homes)
    for v, h in zip(views, homes):
        v.set_transform(view_transform(h, shared))
        v._home = shared
        v._shared_home = shared
    if keep_pose and old is not None:
        carry_pose(views[0], old, shared)
    else:
        views[0].reset_view()
    return shared


def linked_pair(width: int = 480, height: int = 400, units: tuple[str, str] = ("m", "m")) -> tuple[CloudView, CloudView]:
    """Two views that share one camera: orbiting either moves both.

    Both renderers draw through the same ``PerspectiveCamera``; each has its own
    ``OrbitControls`` on it, and the controls' targets are linked in the browser (``jslink``),
    so panning one moves the other's pivot too.  :func:`link_homes` makes each orbit its own
    subject.
    """
    import ipywidgets as widgets

    a = CloudView(width, height, units=units[0])
    b = CloudView(width, height, camera=a.camera, units=units[1])
    a._linked, b._linked = [b], [a]  # type: ignore[attr-defined]
    a._target_link = widgets.jslink((a.controls, "target"), (b.controls, "target"))  # type: ignore[attr-defined]
    return a, b


__all__ = ["CloudView", "CloudLayer", "SurfaceLayer", "linked_pair", "link_homes", "carry_pose"]
