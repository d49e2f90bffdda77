"""PointCloud: points with colours and provenance, one line to describe them, hand-offs to
files (PCD and PLY: :mod:`depthlab.exchange.clouds`), Open3D and the offline HTML page.

Convention: ``xyz`` camera frame x right, y down, z forward (metres for the pinhole models);
``pixel_index`` flat row-major index into the depth map of ``grid_shape`` (H, W).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .deps import require
from .errors import InvalidInputError
from .capture import accuracy_label
from .settings import DEFAULT_MODEL

__all__ = ["PointCloud"]

_FACT_KEYS = ("model", "units", "accuracy", "intrinsics_estimated", "camera", "grid_shape")


class _MadeOnRead:
    """A field kept in a cheap form until first read: ``pixel_index`` given as a ``range`` (a
    cloud of every pixel of a map has ``range(N)``: 8 bytes a point nobody may look at) and
    ``edge`` given as a function (the edge test of a whole map, run only if someone asks)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, "_" + name

    def __get__(self, obj: Any, objtype: type | None = None) -> np.ndarray | None:
        if obj is None:
            return None  # the field's default
        v = obj.__dict__.get(self.slot)
        if isinstance(v, range):
            v = obj.__dict__[self.slot] = np.arange(v.start, v.stop, v.step, dtype=np.int64)
        elif callable(v):
            made = np.asarray(v())
            n = len(obj.xyz)
            if made.shape != (n,):
                raise InvalidInputError(f"{self.name} must have shape ({n},) like xyz, got {made.shape}")
            v = obj.__dict__[self.slot] = made.astype(bool, copy=False)
        return v

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value


@dataclass(eq=False)
class PointCloud:
    """A coloured point cloud from one capture, with what a reader needs to trust it.

    Attributes
    ----------
    xyz : float32 (N, 3), camera frame x right, y down, z forward; metres when ``units == "m"``.
    rgb : uint8 (N, 3).
    pixel_index : int64 (N,) flat row-major index into the depth map (None when unknown); given
        as a ``range`` it is made into the array when first read.
    grid_shape : (H, W) of that depth map (None when unknown).
    model : the projection model (``"pinhole"``, ``"pinhole-raw"``, ``"orthographic"``,
        ``"disparity-as-z"``, or ``"file"`` for clouds read from elsewhere).
    units : ``"m"`` or ``"arbitrary"``.
    accuracy : ``"relative"`` (metres not trustworthy), ``"absolute"`` or None.
    intrinsics_estimated : True when the intrinsics were estimated (EXIF), not stored.
    camera : e.g. ``"rear dual"``.
    metadata : source path, depth range, projection parameters, intrinsics used.
    edge : bool (N,): the point is an edge point (a neighbour jumps in depth: an occlusion's
        sides and the "flying pixels" between them; :meth:`depthlab.projection.Projector.edges`);
        None when unknown (clouds read from files).

    >>> import numpy as np
    >>> from depthlab import PointCloud
    >>> cloud = PointCloud(xyz=np.array([[0, 0, 0.5], [0.1, 0, 2.0]]), rgb=np.full((2, 3), 255, np.uint8), camera="test")
    >>> len(cloud), cloud.caption()
    (2, 'test · scale unknown · 0.5–2 m · 2 points')
    """

    xyz: np.ndarray
    rgb: np.ndarray
    pixel_index: np.ndarray | None = _MadeOnRead()  # type: ignore[assignment]
    grid_shape: tuple[int, int] | None = None
    model: str = DEFAULT_MODEL
    units: str = "m"
    accuracy: str | None = None
    intrinsics_estimated: bool = False
    camera: str = "unknown"
    metadata: dict[str, Any] = field(default_factory=dict)
    edge: np.ndarray | None = _MadeOnRead()  # type: ignore[assignment]

    def __post_init__(self) -> None:
        xyz = np.asarray(self.xyz)
        if xyz.ndim != 2 or xyz.shape[1] != 3:
            raise InvalidInputError(f"xyz must have shape (N, 3), got {xyz.shape}")
        self.xyz = np.ascontiguousarray(xyz, dtype=np.float32)
        n = self.xyz.shape[0]
        rgb = np.asarray(self.rgb)
        if rgb.shape != (n, 3):
            raise InvalidInputError(f"rgb must have shape ({n}, 3) like xyz, got {rgb.shape}")
        if rgb.dtype != np.uint8:
            raise InvalidInputError(f"rgb must be uint8, got {rgb.dtype}")
        self.rgb = np.ascontiguousarray(rgb)
        idx = self.__dict__.get("_pixel_index")
        if isinstance(idx, range):
            if len(idx) != n:
                raise InvalidInputError(f"pixel_index must have shape ({n},), got ({len(idx)},)")
        elif idx is not None:
            idx = np.asarray(idx)
            if idx.shape != (n,):
                raise InvalidInputError(f"pixel_index must have shape ({n},), got {idx.shape}")
            self.pixel_index = idx.astype(np.int64, copy=False)
        if self.__dict__.get("_edge") is not None and not callable(self.__dict__["_edge"]):
            edge = np.asarray(self.edge)
            if edge.shape != (n,):
                raise InvalidInputError(f"edge must have shape ({n},) like xyz, got {edge.shape}")
            self.edge = edge.astype(bool, copy=False)
        if self.grid_shape is not None:
            self.grid_shape = (int(self.grid_shape[0]), int(self.grid_shape[1]))
        if self.units not in ("m", "arbitrary"):
            raise InvalidInputError(f"units must be 'm' or 'arbitrary', got {self.units!r}")
        if self.accuracy not in (None, "relative", "absolute"):
            raise InvalidInputError(f"accuracy must be 'relative', 'absolute' or None, got {self.accuracy!r}")

    # -- looking at it ------------------------------------------------------------------------
    def without_edges(self) -> "PointCloud":
        """A copy without the edge points (``edge``); the same cloud when none are flagged.

        >>> import depthlab
        >>> cloud = depthlab.project(depthlab.open("data/sample/rear_dual.heic"))
        >>> len(cloud.without_edges()) < len(cloud) == int((~cloud.edge).sum()) + int(cloud.edge.sum())
        True
        """
        if self.edge is None or not self.edge.any():
            return self
        keep = ~self.edge
        from dataclasses import replace

        return replace(self, xyz=self.xyz[keep], rgb=self.rgb[keep],
                       pixel_index=None if self.pixel_index is None else self.pixel_index[keep],
                       edge=np.zeros(int(keep.sum()), bool), metadata={**self.metadata, "edge_points": "dropped"})

    def __len__(self) -> int:
        return int(self.xyz.shape[0])

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(min xyz, max xyz), float32 (3,) each; zeros for an empty cloud."""
        if len(self) == 0:
            z = np.zeros(3, dtype=np.float32)
            return z, z.copy()
        return self.xyz.min(axis=0), self.xyz.max(axis=0)

    def caption(self) -> str:
        """One line for people: ``"rear dual · relative scale · 0.42–1.8 m · 442,368 points"``."""
        parts = [self.camera or "unknown camera"]
        if self.units == "m":
            parts.append(accuracy_label(self.accuracy))
        else:
            parts.append(f"{self.model} (arbitrary units)")
        if self.intrinsics_estimated:
            parts.append("estimated intrinsics")
        rng = self.metadata.get("depth_range_m")
        if rng is None and len(self) and self.units == "m":
            z = self.xyz[:, 2]
            rng = [float(z.min()), float(z.max())]
        if rng:
            parts.append(f"{_fmt_m(rng[0])}–{_fmt_m(rng[1])} {self.metadata.get('depth_unit', 'm')}")
        parts.append(f"{len(self):,} points")
        return " · ".join(parts)

    def __repr__(self) -> str:
        return f"<PointCloud {self.caption()} · model {self.model}>"

    def facts(self) -> dict[str, Any]:
        """The JSON-friendly facts stored in file headers (and restored by :meth:`load`)."""
        out = {k: getattr(self, k) for k in _FACT_KEYS}
        out["grid_shape"] = None if self.grid_shape is None else list(self.grid_shape)
        out["metadata"] = self.metadata
        return out

    # -- files --------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Write ``.pcd`` (binary, PCL packed rgb) or ``.ply`` (binary little-endian) by suffix
        (:mod:`depthlab.exchange.clouds` says what each file holds).

        Refuses to replace an existing file unless ``overwrite=True``; writes a temporary file
        and renames it into place.  Returns the path written.

        >>> import depthlab
        >>> cloud = depthlab.project(depthlab.open("data/sample/front_truedepth.heic"), stride=8)
        >>> cloud.save("me.ply").name
        'me.ply'
        >>> back = depthlab.PointCloud.load("me.ply")
        >>> len(back) == len(cloud), back.camera
        (True, 'front TrueDepth')
        """
        from .exchange.clouds import save_cloud

        return save_cloud(self, path, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PointCloud":
        """Read a ``.pcd`` or ``.ply`` file (ours or another tool's) back into a PointCloud.

        depthlab's facts are restored from its header comment when present; a file from
        elsewhere gets ``model="file"``, ``units="arbitrary"`` and grey points if it has no
        colours.
        """
        from .exchange.clouds import read_cloud

        f = read_cloud(path)
        return cls._from_parts(f.xyz, f.rgb, f.pixel_index, f.facts, Path(path), edge=f.edge)

    @classmethod
    def _from_parts(cls, xyz: np.ndarray, rgb: np.ndarray | None, pixel_index: np.ndarray | None,
                    facts: dict[str, Any] | None, path: Path, *, edge: np.ndarray | None = None) -> "PointCloud":
        n = xyz.shape[0]
        if rgb is None:
            rgb = np.full((n, 3), 200, dtype=np.uint8)
        kw: dict[str, Any] = {"model": "file", "units": "arbitrary", "metadata": {"source": str(path)}}
        if facts:
            for k in _FACT_KEYS:
                if k in facts:
                    kw[k] = facts[k]
            kw["metadata"] = dict(facts.get("metadata") or {}) | {"loaded_from": str(path)}
        return cls(xyz=xyz, rgb=rgb, pixel_index=pixel_index, edge=edge, **kw)

    # -- other tools --------------------------------------------------------------------------
    def to_open3d(self):
        """An ``open3d.geometry.PointCloud`` (positions float64, colours 0..1).  Needs open3d."""
        o3d = require("open3d", "PointCloud.to_open3d() (an optional companion, not installed with depthlab)")
        pc = o3d.geometry.PointCloud()
        pc.points = o3d.utility.Vector3dVector(self.xyz.astype(np.float64))
        pc.colors = o3d.utility.Vector3dVector(self.rgb.astype(np.float64) / 255.0)
        return pc

    def to_html(self, path: str | os.PathLike, *, overwrite: bool = False, **kw: Any) -> Path:
        """One self-contained offline HTML page of this cloud (see :func:`depthlab.exchange.html.to_html`)."""
        from .exchange.html import to_html

        return to_html(self, path, overwrite=overwrite, **kw)


def _fmt_m(v: float) -> str:
    """Two significant digits below 10 m (0.42, 1.8), whole metres above (25, 334)."""
    return f"{v:.2g}" if abs(v) < 10 else f"{v:.0f}"

