"""Capture and Calibration: what a depth photo holds, as plain numbers with units.

Conventions (the whole package keeps them):

* **Orientation.** Every array of a :class:`Capture` (``disparity``, ``depth``, ``rgb``, mattes)
  is in *display orientation*: the way the phone's Photos app shows the picture, after the file's
  ``irot``/``imir`` (HEIC) or EXIF orientation were applied.  The calibration is expressed in that
  same frame, so colour, depth, mattes and intrinsics line up.
* **Pixels.** ``u`` is the column, ``v`` the row.  Apple's reference intrinsics use *corner
  origin*: the top-left corner of the top-left pixel is (0, 0), that pixel's centre is (0.5, 0.5)
  (the front sample's principal point is exactly (w/2, h/2) = (1158, 1544) at 2316x3088).
  :meth:`Calibration.intrinsics_at` returns intrinsics in the *centre-origin* (OpenCV/Open3D)
  convention instead: integer pixel indices are pixel centres, so a pixel (u, v) of a WxH map
  looks along ``((u - cx) / fx, (v - cy) / fy, 1)``.
* **Units.** Disparity in 1/m, depth in metres, pixel size in millimetres, focal lengths in
  pixels of the size they are given at.
* **Camera frame.** x right, y down, z forward (OpenCV), metres.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CalibrationError, InvalidInputError
from .imaging.resample import area_average

# --------------------------------------------------------------------------------------------
# Orientation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Orientation:
    """How stored pixels become display pixels: first rotate, then mirror (HEIF order).

    ``rotation`` is the anti-clockwise rotation in degrees (0, 90, 180, 270), as HEIF's ``irot``;
    ``mirror`` is None, ``"vertical"`` (top and bottom swap, HEIF ``imir`` axis 0) or
    ``"horizontal"`` (left and right swap, ``imir`` axis 1).

    >>> import numpy as np
    >>> from depthlab import Orientation
    >>> o = Orientation(rotation=90)
    >>> o.swaps_axes, o.apply(np.zeros((2, 3))).shape
    (True, (3, 2))
    """

    rotation: int = 0
    mirror: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: ``{"rotation": degrees, "mirror": None | "vertical" | "horizontal"}``."""
        return {"rotation": self.rotation, "mirror": self.mirror}

    @property
    def is_identity(self) -> bool:
        return self.rotation % 360 == 0 and self.mirror is None

    @property
    def swaps_axes(self) -> bool:
        return self.rotation % 180 == 90

    def apply(self, image: np.ndarray) -> np.ndarray:
        """Stored (H, W, ...) array -> display orientation (a view where numpy allows)."""
        out = np.rot90(image, k=(self.rotation // 90) % 4, axes=(0, 1))
        if self.mirror == "vertical":
            out = out[::-1]
        elif self.mirror == "horizontal":
            out = out[:, ::-1]
        return out

    def point_map(self, width: float, height: float) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
        """Affine map of corner-origin coordinates (x, y) of a stored WxH image into display.

        Returns ``(A, b, (W', H'))`` with ``p_display = A @ p_stored + b``.
        """
        a = np.eye(2)
        b = np.zeros(2)
        w, h = float(width), float(height)
        for _ in range((self.rotation // 90) % 4):
            # 90 degrees anti-clockwise: (x, y) -> (y, w - x); size (w, h) -> (h, w)
            r = np.array([[0.0, 1.0], [-1.0, 0.0]])
            a = r @ a
            b = r @ b + np.array([0.0, w])
            w, h = h, w
        if self.mirror == "vertical":
            m = np.array([[1.0, 0.0], [0.0, -1.0]])
            a, b = m @ a, m @ b + np.array([0.0, h])
        elif self.mirror == "horizontal":
            m = np.array([[-1.0, 0.0], [0.0, 1.0]])
            a, b = m @ a, m @ b + np.array([w, 0.0])
        return a, b, (w, h)


# --------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------


def _as_matrix(value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != shape:
        raise InvalidInputError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InvalidInputError(f"{name} holds non-finite values: {arr.ravel().tolist()}")
    return arr


@dataclass(frozen=True)
class Calibration:
    """The camera's geometry, as stored by the phone (AVCameraCalibrationData) or estimated.

    Attributes
    ----------
    intrinsic_matrix : (3, 3) float64
        ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` in pixels of ``reference_size``, corner-origin
        convention (see the module docstring).  Apple stores it column-major in the XMP; here it
        is an ordinary row-major matrix.
    reference_size : (width, height)
        The image size the intrinsics refer to (``IntrinsicMatrixReferenceWidth/Height``).
    lens_distortion, inverse_lens_distortion : (8,) float64 or None
        Apple's ``LensDistortionCoefficients`` and ``InverseLensDistortionCoefficients``.
    distortion_center : (x, y) or None
        ``LensDistortionCenterOffsetX/Y``, reference-size pixels, corner origin.
    pixel_size_mm : float or None
        ``PixelSize``: the size of one reference pixel on the sensor, millimetres.
    distortion_max_radius_px : float or None
        ``DistortionCalibrationValidMaxRadiusInPixels`` (reference pixels from the distortion
        centre) when the file stores it: the radius within which the distortion polynomials
        were fitted (see :mod:`depthlab.camera`).
    extrinsic_matrix : (3, 4) float64 or None
        ``ExtrinsicMatrix`` ``[R | t]`` as stored (row-major after reading Apple's layout).
    estimated : bool
        True when the intrinsics were not stored by the camera but estimated (e.g. from EXIF
        focal length); views and figures say so.
    source : str
        Where the numbers came from, for people: ``"depth item XMP"``, ``"EXIF FocalLengthIn35mmFilm"``.

    >>> import depthlab
    >>> cal = depthlab.open("data/sample/rear_dual.heic").calibration
    >>> cal.reference_size, cal.fx, cal.has_distortion, cal.estimated
    ((1536, 1152), 1153.75, True, False)
    """

    intrinsic_matrix: np.ndarray
    reference_size: tuple[int, int]
    lens_distortion: np.ndarray | None = None
    inverse_lens_distortion: np.ndarray | None = None
    distortion_center: tuple[float, float] | None = None
    pixel_size_mm: float | None = None
    extrinsic_matrix: np.ndarray | None = None
    estimated: bool = False
    source: str = ""
    distortion_max_radius_px: float | None = None

    def __post_init__(self) -> None:
        k = _as_matrix(self.intrinsic_matrix, (3, 3), "intrinsic_matrix")
        if k[0, 0] <= 0 or k[1, 1] <= 0:
            raise InvalidInputError(f"focal lengths must be positive, got fx={k[0, 0]}, fy={k[1, 1]}")
        object.__setattr__(self, "intrinsic_matrix", k)
        w, h = (int(v) for v in self.reference_size)
        if w <= 0 or h <= 0:
            raise InvalidInputError(f"reference_size must be positive, got {self.reference_size}")
        object.__setattr__(self, "reference_size", (w, h))
        for name in ("lens_distortion", "inverse_lens_distortion"):
            v = getattr(self, name)
            if v is not None:
                object.__setattr__(self, name, _as_matrix(v, (8,), name))
        if self.extrinsic_matrix is not None:
            object.__setattr__(self, "extrinsic_matrix", _as_matrix(self.extrinsic_matrix, (3, 4), "extrinsic_matrix"))
        if self.distortion_center is not None:
            c = _as_matrix(self.distortion_center, (2,), "distortion_center")
            object.__setattr__(self, "distortion_center", (float(c[0]), float(c[1])))
        if self.pixel_size_mm is not None:
            p = float(self.pixel_size_mm)
            if not math.isfinite(p) or p <= 0:
                raise InvalidInputError(f"pixel_size_mm must be positive and finite, got {self.pixel_size_mm}")
            object.__setattr__(self, "pixel_size_mm", p)
        if self.distortion_max_radius_px is not None:
            m = float(self.distortion_max_radius_px)
            if not math.isfinite(m) or m <= 0:
                raise InvalidInputError(f"distortion_max_radius_px must be positive and finite, got {self.distortion_max_radius_px}")
            object.__setattr__(self, "distortion_max_radius_px", m)

    # -- derived values -----------------------------------------------------------------------
    @property
    def fx(self) -> float:
        return float(self.intrinsic_matrix[0, 0])

    @property
    def fy(self) -> float:
        return float(self.intrinsic_matrix[1, 1])

    @property
    def cx(self) -> float:
        return float(self.intrinsic_matrix[0, 2])

    @property
    def cy(self) -> float:
        return float(self.intrinsic_matrix[1, 2])

    @property
    def has_distortion(self) -> bool:
        """True when a non-zero lens-distortion model is stored."""
        return bool(
            self.lens_distortion is not None
            and self.inverse_lens_distortion is not None
            and self.distortion_center is not None
            and self.pixel_size_mm is not None
            and (np.any(self.lens_distortion != 0) or np.any(self.inverse_lens_distortion != 0))
        )

    def intrinsics_at(self, width: int, height: int) -> np.ndarray:
        """The 3x3 intrinsics for an image of ``width`` x ``height`` pixels of the same view.

        Convention: the result is centre-origin (OpenCV/Open3D): pixel index (u, v) is the
        pixel's centre.  The reference intrinsics are corner-origin, so
        ``cx' = cx * width / ref_w - 0.5`` and ``fx' = fx * width / ref_w`` (likewise in y).
        The image must show the same field of view as the reference (a pure resize).

        >>> import depthlab
        >>> cal = depthlab.open("data/sample/front_truedepth.heic").calibration
        >>> k = cal.intrinsics_at(480, 640)
        >>> k.round(1)
        array([[554.8,   0. , 239.5],
               [  0. , 554.8, 319.5],
               [  0. ,   0. ,   1. ]])
        """
        w, h = int(width), int(height)
        if w <= 0 or h <= 0:
            raise InvalidInputError(f"size must be positive, got {width}x{height}")
        rw, rh = self.reference_size
        sx, sy = w / rw, h / rh
        if abs(sx - sy) > 0.02 * max(sx, sy):
            raise CalibrationError(
                f"a {w}x{h} image does not have the aspect of the calibration's reference size "
                f"{rw}x{rh}; intrinsics only scale between sizes of the same view"
            )
        k = np.eye(3)
        k[0, 0] = self.fx * sx
        k[1, 1] = self.fy * sy
        k[0, 2] = self.cx * sx - 0.5
        k[1, 2] = self.cy * sy - 0.5
        return k

    def oriented(self, orientation: Orientation) -> "Calibration":
        """This calibration expressed in the display frame reached by ``orientation``.

        The intrinsics, reference size and distortion centre move with the pixels; the
        extrinsic matrix is kept as stored (it describes the camera, not the image grid).
        """
        if orientation.is_identity:
            return self
        a, b, (w, h) = orientation.point_map(*self.reference_size)
        k = self.intrinsic_matrix
        # focal lengths follow the axes: |A| permutes (and possibly flips) x and y
        f = np.abs(a) @ np.array([k[0, 0], k[1, 1]])
        c = a @ np.array([k[0, 2], k[1, 2]]) + b
        k2 = np.array([[f[0], 0.0, c[0]], [0.0, f[1], c[1]], [0.0, 0.0, 1.0]])
        centre = None
        if self.distortion_center is not None:
            centre = tuple(float(v) for v in a @ np.array(self.distortion_center) + b)
        return replace(self, intrinsic_matrix=k2, reference_size=(int(round(w)), int(round(h))), distortion_center=centre)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (lists and floats)."""
        def lst(v: np.ndarray | None) -> list | None:
            return None if v is None else np.asarray(v).tolist()

        return {
            "intrinsic_matrix": lst(self.intrinsic_matrix),
            "reference_size": list(self.reference_size),
            "fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy,
            "lens_distortion": lst(self.lens_distortion),
            "inverse_lens_distortion": lst(self.inverse_lens_distortion),
            "distortion_center": None if self.distortion_center is None else list(self.distortion_center),
            "pixel_size_mm": self.pixel_size_mm,
            "extrinsic_matrix": lst(self.extrinsic_matrix),
            "estimated": self.estimated,
            "source": self.source,
            **({"distortion_max_radius_px": self.distortion_max_radius_px}
               if self.distortion_max_radius_px is not None else {}),
        }


# --------------------------------------------------------------------------------------------
# Camera and encoding facts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CameraInfo:
    """Which camera took the photo, from EXIF and the depth metadata.

    ``kind`` is a short human label: ``"rear dual"``, ``"rear"``, ``"front TrueDepth"``,
    ``"front"``, ``"Lens Blur"``, ``"synthetic rear dual"``..., or ``"unknown"``.

    >>> import depthlab
    >>> cam = depthlab.open("data/sample/rear_dual.heic").camera
    >>> cam.kind, cam.focal_length_35mm
    ('rear dual', 26.0)
    """

    kind: str = "unknown"
    make: str | None = None
    model: str | None = None
    lens_model: str | None = None
    focal_length_mm: float | None = None
    focal_length_35mm: float | None = None

    def __str__(self) -> str:
        who = " ".join(v for v in (self.make, self.model) if v)
        return f"{self.kind} ({who})" if who else self.kind

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "make": self.make, "model": self.model, "lens_model": self.lens_model,
            "focal_length_mm": self.focal_length_mm, "focal_length_35mm": self.focal_length_35mm,
        }


#: metres per unit for the length units files state (GDepth ``Units``; a reader scales the values
#: to metres with these): a ``DepthEncoding.units`` among them, or "1/m", makes a map metric
LENGTH_UNITS = {"m": 1.0, "meter": 1.0, "meters": 1.0, "metre": 1.0, "metres": 1.0,
                "mm": 1e-3, "millimeter": 1e-3, "millimeters": 1e-3, "millimetre": 1e-3, "millimetres": 1e-3,
                "cm": 1e-2}


@dataclass(frozen=True)
class DepthEncoding:
    """How the depth map was stored in the file, so its quantisation can be reasoned about.

    For Apple files: ``quantity="disparity"``, ``bits=8``, values
    ``float_min + (float_max - float_min) * v / int_max`` in 1/m.
    For Google GDepth: ``quantity="depth"`` with ``format`` "RangeInverse"/"RangeLinear" and
    ``near``/``far``.

    >>> import depthlab
    >>> enc = depthlab.open("data/sample/rear_dual.heic").encoding
    >>> enc.quantity, enc.bits, round(enc.step, 4)
    ('disparity', 8, 0.0021)
    """

    quantity: str  # "disparity" (1/m) or "depth" (m) -- what the stored integers encode
    bits: int
    float_min: float | None = None
    float_max: float | None = None
    int_min: int = 0
    int_max: int = 255
    format: str | None = None  # e.g. "L008 from hdis", "RangeInverse"
    near: float | None = None
    far: float | None = None
    units: str | None = None

    @property
    def metric(self) -> bool:
        """True when the values are metres (1/m for disparity): Apple's disparity, a computed
        stereo pair, a file stating Meters.  False for a file's own units: a Near/Far formula
        (GDepth, Dynamic Depth, XDM) without metric ``units``, e.g. Lens Blur, "Diopters", XDM
        ``Metric`` False.

        >>> import depthlab
        >>> depthlab.open("data/sample/rear_dual.heic").encoding.metric
        True
        """
        if self.units is not None:
            return self.units.strip().lower() in LENGTH_UNITS or self.units.strip() == "1/m"
        return self.near is None

    @property
    def step(self) -> float | None:
        """One quantisation step in the stored quantity's unit (1/m for disparity)."""
        if self.float_min is None or self.float_max is None or self.int_max == self.int_min:
            return None
        return (self.float_max - self.float_min) / (self.int_max - self.int_min)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("quantity", "bits", "float_min", "float_max", "int_min",
                                              "int_max", "format", "near", "far", "units")} | {"step": self.step}


# --------------------------------------------------------------------------------------------
# Lazy mattes
# --------------------------------------------------------------------------------------------


class LazyMattes(Mapping):
    """A read-only mapping ``name -> float32 (H, W) in 0..1`` that decodes each matte on first use.

    The names present are known when the file is opened; decoding waits until a value is asked
    for.  Loaders raise :class:`~depthlab.errors.DepthlabError` subclasses only.

    >>> import depthlab
    >>> mattes = depthlab.open("data/sample/front_truedepth.heic").mattes
    >>> list(mattes), mattes["portrait"].dtype
    (['portrait'], dtype('float32'))
    """

    def __init__(self, loaders: Mapping[str, Callable[[], np.ndarray]]):
        self._loaders = dict(loaders)
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> np.ndarray:
        with self._lock:
            if name not in self._cache:
                self._cache[name] = _read_only(np.asarray(self._loaders[name]()))
            return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)

    def __repr__(self) -> str:
        return f"LazyMattes({list(self._loaders)})"


# --------------------------------------------------------------------------------------------
# Capture
# --------------------------------------------------------------------------------------------


#: How a capture's accuracy is written for people: one wording everywhere (titles, captions,
#: figures, the HTML page, ``depthlab info``), and what it means for its metres.
ACCURACY_LABELS = {"relative": "relative scale", "absolute": "absolute scale", None: "scale unknown"}
ACCURACY_MEANINGS = {"relative": "metres not trustworthy", "absolute": "metres trustworthy",
                     None: "the file does not say whether its metres can be trusted"}


def accuracy_label(accuracy: str | None, *, meaning: bool = False) -> str:
    """``"relative scale"``, ``"absolute scale"`` or ``"scale unknown"``; ``meaning=True`` adds
    what it means in brackets, e.g. ``"relative scale (metres not trustworthy)"``."""
    key = accuracy if accuracy in ("relative", "absolute") else None
    return ACCURACY_LABELS[key] + (f" ({ACCURACY_MEANINGS[key]})" if meaning else "")


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a``: a capture's arrays are shared (projections, views, caches),
    so they cannot be changed in place; ``a.copy()`` gives a writable copy."""
    v = a.view()
    v.flags.writeable = False
    return v


def depth_from_disparity(disparity: np.ndarray) -> np.ndarray:
    """Metric depth (m) from disparity (1/m); NaN where disparity is NaN or <= 0.

    Convention: element-wise ``depth = 1 / disparity``; float32 in, float32 out.

    >>> import numpy as np
    >>> from depthlab.capture import depth_from_disparity
    >>> depth_from_disparity(np.array([2.0, 0.5, 0.0, np.nan]))
    array([0.5, 2. , nan, nan], dtype=float32)
    """
    d = np.asarray(disparity, dtype=np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.float32(1.0) / d
        np.copyto(out, np.float32(np.nan), where=d <= 0)  # NaN in stays NaN: 1 / NaN
    return out


def disparity_from_depth(depth: np.ndarray) -> np.ndarray:
    """Disparity (1/m) from metric depth (m); NaN where depth is NaN or <= 0.

    >>> import numpy as np
    >>> from depthlab.capture import disparity_from_depth
    >>> disparity_from_depth(np.array([0.5, 4.0]))
    array([2.  , 0.25], dtype=float32)
    """
    return depth_from_disparity(depth)


@dataclass(eq=False)
class Capture:
    """One depth photo: a depth map with its units and the camera's geometry, colour on demand.

    Build one with :func:`depthlab.open`.  All arrays are in display orientation (see the
    module docstring).

    Attributes
    ----------
    disparity : float32 (H, W), 1/m, NaN where unknown.
    calibration : Calibration or None.
    accuracy : ``"relative"`` (scale not trustworthy, e.g. rear dual camera), ``"absolute"``
        (metres can be trusted, e.g. front TrueDepth) or None (unknown).
    camera : CameraInfo.
    encoding : DepthEncoding, how the map was stored.
    mattes : mapping name -> float32 0..1 at its own size (decoded on first use).
    path : where it came from (None for in-memory captures).
    format : e.g. ``"HEIC (Apple portrait)"``.
    metadata : raw facts for people (XMP keys of the depth item, aux item URNs, ...).
    confidence : float32 (H, W) in 0..1 at the depth map's size (1 = most confident), or None
        when the file stores no confidence map (every format except Dynamic Depth today);
        decoded on first use from ``confidence_loader``.
    views : mapping ``"left"``/``"right"`` -> uint8 (H, W, 3) for a stereo pair (the left view is
        also ``rgb``); empty for single-view photos.

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> cap.shape, cap.size, cap.disparity.dtype
    ((640, 480), (480, 640), dtype('float32'))
    >>> [round(v, 2) for v in cap.depth_range()]
    [0.36, 0.96]
    >>> cap.rgb.shape, sorted(cap.mattes)
    ((1280, 960, 3), ['portrait'])
    """

    disparity: np.ndarray
    calibration: Calibration | None = None
    accuracy: str | None = None
    camera: CameraInfo = field(default_factory=CameraInfo)
    encoding: DepthEncoding | None = None
    mattes: Mapping[str, np.ndarray] = field(default_factory=dict)
    path: Path | None = None
    format: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    rgb_loader: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    rgb_size: tuple[int, int] | None = None  # (w, h) of the colour image, display orientation
    confidence_loader: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    views: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        d = np.asarray(self.disparity)
        if d.ndim != 2 or d.shape[0] == 0 or d.shape[1] == 0:
            raise InvalidInputError(f"disparity must be a non-empty 2-D array, got shape {d.shape}")
        self.disparity = _read_only(np.ascontiguousarray(d, dtype=np.float32))
        if not isinstance(self.mattes, LazyMattes):  # plain arrays come back read-only too
            self.mattes = LazyMattes({name: (lambda m=m: m) for name, m in dict(self.mattes).items()})
        if self.accuracy not in (None, "relative", "absolute"):
            raise InvalidInputError(f"accuracy must be 'relative', 'absolute' or None, got {self.accuracy!r}")
        self._depth: np.ndarray | None = None
        self._rgb: np.ndarray | None = None
        self._rgb_at: dict[tuple[int, int], np.ndarray] = {}
        self._confidence: np.ndarray | None = None
        self._lock = threading.Lock()

    # -- shapes -------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the depth map."""
        return self.disparity.shape  # type: ignore[return-value]

    @property
    def size(self) -> tuple[int, int]:
        """(W, H) of the depth map."""
        h, w = self.disparity.shape
        return (w, h)

    # -- depth --------------------------------------------------------------------------------
    @property
    def depth(self) -> np.ndarray:
        """float32 (H, W) metres = 1 / disparity, NaN where unknown (computed once)."""
        if self._depth is None:
            self._depth = _read_only(depth_from_disparity(self.disparity))
        return self._depth

    @property
    def depth_unit(self) -> str:
        """"m" when the depth is in metres (trustworthy or not: see ``accuracy``), "units" when
        it is in the file's own units (``DepthEncoding.metric``); disparity is in 1/that.  The one
        answer for everything that prints or records a unit.

        >>> import depthlab
        >>> depthlab.open("data/sample/front_truedepth.heic").depth_unit
        'm'
        """
        return "m" if self.encoding is None or self.encoding.metric else "units"

    def depth_range(self) -> tuple[float, float] | None:
        """(nearest, farthest) valid depth in ``depth_unit`` (metres), or None if nothing is valid."""
        d = self.depth
        valid = d[np.isfinite(d)]
        if valid.size == 0:
            return None
        return float(valid.min()), float(valid.max())

    def disparity_range(self) -> tuple[float, float] | None:
        d = self.disparity
        valid = d[np.isfinite(d)]
        if valid.size == 0:
            return None
        return float(valid.min()), float(valid.max())

    # -- confidence ---------------------------------------------------------------------------
    @property
    def has_confidence(self) -> bool:
        """Whether the file stores a confidence map (known without decoding it)."""
        return self._confidence is not None or self.confidence_loader is not None

    @property
    def confidence(self) -> np.ndarray | None:
        """float32 (H, W) in 0..1 at the depth map's size, 1 = most confident; None when the file
        stores no confidence map.  Decoded on first use, then cached."""
        if self.confidence_loader is None and self._confidence is None:
            return None
        with self._lock:
            if self._confidence is None:
                c = np.asarray(self.confidence_loader())  # type: ignore[misc]
                if c.shape != self.shape or c.dtype != np.float32:
                    raise InvalidInputError(
                        f"confidence loader returned {c.dtype} {c.shape}, expected float32 {self.shape} (the depth map's size)")
                self._confidence = _read_only(c)
            return self._confidence

    # -- colour -------------------------------------------------------------------------------
    @property
    def has_rgb(self) -> bool:
        return self._rgb is not None or self.rgb_loader is not None

    @property
    def rgb(self) -> np.ndarray:
        """uint8 (H', W', 3), the photo as the phone shows it; decoded on first use."""
        with self._lock:
            if self._rgb is None:
                if self.rgb_loader is None:
                    raise InvalidInputError("this capture has no colour image")
                img = np.asarray(self.rgb_loader())
                if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
                    raise InvalidInputError(f"colour loader returned {img.dtype} {img.shape}, expected uint8 (H, W, 3)")
                self._rgb = img
                self.rgb_size = (img.shape[1], img.shape[0])
            return self._rgb

    def rgb_at(self, width: int | None = None, height: int | None = None) -> np.ndarray:
        """The colour image resampled to ``width`` x ``height`` (default: the depth map's size).

        Area-averaged (:func:`depthlab.imaging.resample.area_average`: each output pixel is the
        mean of the photo's area it covers, pixels cut by its edges weighted by the overlap, rounded
        once), cached per size: point colours and refine's guide are cheap after the first call.

        >>> import depthlab
        >>> cap = depthlab.open("data/sample/front_truedepth.heic")
        >>> cap.rgb_at(240, 320).shape
        (320, 240, 3)
        """
        if width is None or height is None:
            height, width = self.shape
        key = (int(width), int(height))
        cached = self._rgb_at.get(key)
        if cached is not None:
            return cached
        out = area_average(self.rgb, key[0], key[1])
        self._rgb_at[key] = out
        return out

    def set_rgb(self, rgb: np.ndarray) -> None:
        """Attach an already decoded colour image (used by synthetic scenes and tests)."""
        img = np.asarray(rgb)
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise InvalidInputError(f"rgb must be uint8 (H, W, 3), got {img.dtype} {img.shape}")
        with self._lock:
            self._rgb = img
            self._rgb_at.clear()
            self.rgb_size = (img.shape[1], img.shape[0])

    # -- presentation -------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """A flat, JSON-friendly summary (one level: every value a string, number, bool, None or
        a short list of them -- a row of a table): what ``depthlab info --json`` prints and what
        :func:`depthlab.cli.batch.batch` records per file.  ``to_dict()`` of the calibration,
        camera and encoding hold everything else.

        >>> import depthlab
        >>> info = depthlab.open("data/sample/rear_dual.heic").summary()
        >>> info["accuracy"], info["format"], info["camera_kind"], info["encoding_bits"]
        ('relative', 'HEIC (Apple portrait)', 'rear dual', 8)
        """
        h, w = self.shape
        valid = np.isfinite(self.disparity)
        cam, enc, cal = self.camera, self.encoding, self.calibration
        return {
            "path": None if self.path is None else str(self.path),
            "format": self.format,
            "accuracy": self.accuracy,
            "camera_kind": cam.kind, "camera_make": cam.make, "camera_model": cam.model,
            "camera_lens_model": cam.lens_model,
            "focal_length_mm": cam.focal_length_mm, "focal_length_35mm": cam.focal_length_35mm,
            "depth_size": [w, h],
            "colour_size": None if self.rgb_size is None else list(self.rgb_size),
            "valid_fraction": float(valid.mean()),
            "depth_range_m": self.depth_range(),
            "depth_unit": self.depth_unit,
            "disparity_range_per_m": self.disparity_range(),
            "encoding_quantity": None if enc is None else enc.quantity,
            "encoding_bits": None if enc is None else enc.bits,
            "encoding_format": None if enc is None else enc.format,
            "encoding_step": None if enc is None else enc.step,
            "calibration_source": None if cal is None else cal.source,
            "calibration_estimated": None if cal is None else cal.estimated,
            "calibration_reference_size": None if cal is None else list(cal.reference_size),
            "fx": None if cal is None else cal.fx, "fy": None if cal is None else cal.fy,
            "cx": None if cal is None else cal.cx, "cy": None if cal is None else cal.cy,
            "lens_distortion": None if cal is None else cal.has_distortion,
            "mattes": list(self.mattes),
            "confidence": self.has_confidence,
            "notes": list(self.metadata.get("notes") or []) if isinstance(self.metadata, dict) else [],
        }

    def __repr__(self) -> str:
        h, w = self.shape
        rng = self.depth_range()
        r = "no valid depth" if rng is None else f"{rng[0]:.3g}-{rng[1]:.3g} {self.depth_unit}"
        return (f"<Capture {self.path.name if self.path else 'in-memory'}: {self.camera.kind}, "
                f"depth {w}x{h} ({r}, accuracy {self.accuracy}), "
                f"calibration {'yes' if self.calibration else 'no'}, mattes {list(self.mattes)}>")
