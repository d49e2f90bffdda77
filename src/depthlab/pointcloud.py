"""PointCloud: points with colours and provenance; PCD and PLY files; Open3D hand-off.

Files
-----
* **PCD** (PCL's format, binary): fields ``x y z rgb``, float32, ``rgb`` packed the PCL way
  (``(r << 16) | (g << 8) | b`` as uint32, stored in a float32 field), written with pypcd4.
  Readable by PCL, pypcd4 and Open3D.  depthlab's own facts (model, units, accuracy, camera,
  pixel of each point is *not* stored) go in one ``# depthlab {...}`` comment line.
* **PLY** (binary little-endian): ``x y z`` float32, ``red green blue`` uchar and, when known,
  ``pixel_index`` uint32 (PLY has no 64-bit integers) — written and read with plyfile.  Readable by Open3D, MeshLab,
  CloudCompare.  depthlab's facts go in a ``comment depthlab {...}`` header line.

Every file goes through :func:`depthlab.exchange.atomic.atomic_write`: no overwrite without
``overwrite=True``, written to a temporary file and renamed into place.

Convention: ``xyz`` camera frame x right, y down, z forward (metres for the pinhole models);
``pixel_index`` flat row-major index into the depth map of ``grid_shape`` (H, W).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .exchange import html
from .exchange.atomic import atomic_write
from .deps import require
from .errors import DepthlabError, InvalidInputError, UnreadableFileError

__all__ = ["PointCloud", "pack_rgb", "unpack_rgb"]

_FACT_KEYS = ("model", "units", "accuracy", "intrinsics_estimated", "camera", "grid_shape")


def pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """uint8 (N, 3) -> float32 (N,) holding PCL's packed ``0x00RRGGBB`` bit pattern."""
    c = np.asarray(rgb, dtype=np.uint32)
    packed = (c[:, 0] << 16) | (c[:, 1] << 8) | c[:, 2]
    return packed.astype(np.uint32).view(np.float32)


def unpack_rgb(packed: np.ndarray) -> np.ndarray:
    """PCL packed rgb (float32 or uint32 bit pattern, (N,)) -> uint8 (N, 3)."""
    u = np.ascontiguousarray(packed).view(np.uint32).reshape(-1)
    out = np.empty((u.size, 3), dtype=np.uint8)
    out[:, 0] = (u >> 16) & 0xFF
    out[:, 1] = (u >> 8) & 0xFF
    out[:, 2] = u & 0xFF
    return out


@dataclass(eq=False)
class PointCloud:
    """A coloured point cloud from one capture, with what a reader needs to trust it.

    Attributes
    ----------
    xyz : float32 (N, 3), camera frame x right, y down, z forward; metres when ``units == "m"``.
    rgb : uint8 (N, 3).
    pixel_index : int64 (N,) flat row-major index into the depth map (None when unknown).
    grid_shape : (H, W) of that depth map (None when unknown).
    model : the projection model (``"pinhole"``, ``"pinhole-raw"``, ``"orthographic"``,
        ``"disparity-as-z"``, or ``"file"`` for clouds read from elsewhere).
    units : ``"m"`` or ``"arbitrary"``.
    accuracy : ``"relative"`` (metres not trustworthy), ``"absolute"`` or None.
    intrinsics_estimated : True when the intrinsics were estimated (EXIF), not stored.
    camera : e.g. ``"rear dual"``.
    metadata : source path, depth range, projection parameters, intrinsics used.
    """

    xyz: np.ndarray
    rgb: np.ndarray
    pixel_index: np.ndarray | None = None
    grid_shape: tuple[int, int] | None = None
    model: str = "pinhole"
    units: str = "m"
    accuracy: str | None = None
    intrinsics_estimated: bool = False
    camera: str = "unknown"
    metadata: dict[str, Any] = field(default_factory=dict)

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
        if self.pixel_index is not None:
            idx = np.asarray(self.pixel_index)
            if idx.shape != (n,):
                raise InvalidInputError(f"pixel_index must have shape ({n},), got {idx.shape}")
            self.pixel_index = idx.astype(np.int64, copy=False)
        if self.grid_shape is not None:
            self.grid_shape = (int(self.grid_shape[0]), int(self.grid_shape[1]))
        if self.units not in ("m", "arbitrary"):
            raise InvalidInputError(f"units must be 'm' or 'arbitrary', got {self.units!r}")
        if self.accuracy not in (None, "relative", "absolute"):
            raise InvalidInputError(f"accuracy must be 'relative', 'absolute' or None, got {self.accuracy!r}")

    # -- looking at it ------------------------------------------------------------------------
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
            parts.append({"relative": "relative scale", "absolute": "absolute scale"}.get(self.accuracy or "", "scale unknown"))
        else:
            parts.append(f"{self.model} (arbitrary units)")
        if self.intrinsics_estimated:
            parts.append("estimated intrinsics")
        rng = self.metadata.get("depth_range_m")
        if rng is None and len(self) and self.units == "m":
            z = self.xyz[:, 2]
            rng = [float(z.min()), float(z.max())]
        if rng:
            parts.append(f"{_fmt_m(rng[0])}–{_fmt_m(rng[1])} m")
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
        """Write ``.pcd`` (binary, PCL packed rgb) or ``.ply`` (binary little-endian) by suffix.

        Refuses to replace an existing file unless ``overwrite=True``; writes a temporary file
        and renames it into place.  Returns the path written.
        """
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix == ".pcd":
            self._save_pcd(p, overwrite)
        elif suffix == ".ply":
            self._save_ply(p, overwrite)
        else:
            raise InvalidInputError(f"cannot tell the format of {p.name!r}: use a .pcd or .ply suffix")
        return p

    def _facts_json(self) -> str:
        return json.dumps(self.facts(), ensure_ascii=True, separators=(",", ":"), default=_json_default)

    def _save_pcd(self, path: Path, overwrite: bool) -> None:
        pypcd4 = require("pypcd4", "writing PCD point clouds")
        Encoding, PcdCloud = pypcd4.Encoding, pypcd4.PointCloud

        n = len(self)
        x, y, z = (self.xyz[:, i] for i in range(3))
        pc = PcdCloud.from_points([x, y, z, pack_rgb(self.rgb)], ("x", "y", "z", "rgb"),
                                  (np.float32, np.float32, np.float32, np.float32))
        assert pc.metadata.points == n
        with atomic_write(path, overwrite=overwrite) as fh:
            fh.write(b"# .PCD v0.7 - Point Cloud Data file format\n")
            fh.write(b"# depthlab " + self._facts_json().encode("ascii") + b"\n")
            pc.save(fh, encoding=Encoding.BINARY)

    def _save_ply(self, path: Path, overwrite: bool) -> None:
        plyfile = require("plyfile", "writing PLY point clouds")
        PlyData, PlyElement = plyfile.PlyData, plyfile.PlyElement

        n = len(self)
        if self.pixel_index is not None and len(self.pixel_index) and (self.pixel_index.min() < 0 or self.pixel_index.max() >= 2**32):
            raise InvalidInputError("pixel_index does not fit PLY's uint32")
        fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("red", "u1"), ("green", "u1"), ("blue", "u1")]
        if self.pixel_index is not None:
            fields.append(("pixel_index", "<u4"))  # PLY has no 64-bit integers
        v = np.empty(n, dtype=fields)
        v["x"], v["y"], v["z"] = self.xyz[:, 0], self.xyz[:, 1], self.xyz[:, 2]
        v["red"], v["green"], v["blue"] = self.rgb[:, 0], self.rgb[:, 1], self.rgb[:, 2]
        if self.pixel_index is not None:
            v["pixel_index"] = self.pixel_index
        ply = PlyData([PlyElement.describe(v, "vertex")], text=False, byte_order="<",
                      comments=["depthlab " + self._facts_json()])
        with atomic_write(path, overwrite=overwrite) as fh:
            ply.write(fh)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PointCloud":
        """Read a ``.pcd`` or ``.ply`` file (ours or another tool's) back into a PointCloud.

        depthlab's facts are restored from its header comment when present; a file from
        elsewhere gets ``model="file"``, ``units="arbitrary"`` and grey points if it has no
        colours.
        """
        p = Path(path)
        if not p.is_file():
            raise UnreadableFileError(f"{p} does not exist or is not a file")
        suffix = p.suffix.lower()
        try:
            if suffix == ".pcd":
                return cls._load_pcd(p)
            if suffix == ".ply":
                return cls._load_ply(p)
        except DepthlabError:
            raise
        except Exception as exc:  # a dependency's error on a bad file
            raise UnreadableFileError(f"cannot read {p.name} as {suffix[1:].upper()}: {exc}") from exc
        raise InvalidInputError(f"cannot tell the format of {p.name!r}: use a .pcd or .ply file")

    @classmethod
    def _from_parts(cls, xyz: np.ndarray, rgb: np.ndarray | None, pixel_index: np.ndarray | None,
                    facts: dict[str, Any] | None, path: Path) -> "PointCloud":
        n = xyz.shape[0]
        if rgb is None:
            rgb = np.full((n, 3), 200, dtype=np.uint8)
        kw: dict[str, Any] = {"model": "file", "units": "arbitrary", "metadata": {"source": str(path)}}
        if facts:
            for k in _FACT_KEYS:
                if k in facts:
                    kw[k] = facts[k]
            kw["metadata"] = dict(facts.get("metadata") or {}) | {"loaded_from": str(path)}
        return cls(xyz=xyz, rgb=rgb, pixel_index=pixel_index, **kw)

    @classmethod
    def _load_pcd(cls, path: Path) -> "PointCloud":
        PcdCloud = require("pypcd4", "reading PCD point clouds").PointCloud

        facts = None
        with open(path, "rb") as fh:
            for _ in range(32):
                line = fh.readline()
                if line.startswith(b"# depthlab "):
                    facts = json.loads(line[len(b"# depthlab "):].decode("ascii"))
                if not line or line.startswith(b"DATA"):
                    break
        pc = PcdCloud.from_path(path)
        names = pc.fields
        missing = [f for f in ("x", "y", "z") if f not in names]
        if missing:
            raise UnreadableFileError(f"{path.name} has no {'/'.join(missing)} field (fields: {names})")
        data = pc.pc_data
        xyz = np.stack([np.asarray(data[f], dtype=np.float32) for f in ("x", "y", "z")], axis=1)
        rgb = None
        for f in ("rgb", "rgba"):
            if f in names:
                rgb = unpack_rgb(np.asarray(data[f]).astype(np.float32) if data[f].dtype != np.uint32 else data[f])
                break
        pixel_index = None
        return cls._from_parts(xyz, rgb, pixel_index, facts, path)

    @classmethod
    def _load_ply(cls, path: Path) -> "PointCloud":
        PlyData = require("plyfile", "reading PLY point clouds").PlyData

        ply = PlyData.read(str(path))
        if "vertex" not in ply:
            raise UnreadableFileError(f"{path.name} has no vertex element")
        v = ply["vertex"].data
        names = v.dtype.names or ()
        missing = [f for f in ("x", "y", "z") if f not in names]
        if missing:
            raise UnreadableFileError(f"{path.name} vertices have no {'/'.join(missing)} (properties: {names})")
        xyz = np.stack([np.asarray(v[f], dtype=np.float32) for f in ("x", "y", "z")], axis=1)
        rgb = None
        if all(f in names for f in ("red", "green", "blue")):
            rgb = np.stack([np.asarray(v[f]) for f in ("red", "green", "blue")], axis=1)
            if rgb.dtype != np.uint8:
                rgb = np.clip(rgb, 0, 255).astype(np.uint8)
        pixel_index = np.asarray(v["pixel_index"], dtype=np.int64) if "pixel_index" in names else None
        facts = None
        for c in ply.comments:
            if c.startswith("depthlab "):
                facts = json.loads(c[len("depthlab "):])
        return cls._from_parts(xyz, rgb, pixel_index, facts, path)

    # -- other tools --------------------------------------------------------------------------
    def to_open3d(self):
        """An ``open3d.geometry.PointCloud`` (positions float64, colours 0..1).  Needs open3d."""
        o3d = require("open3d", "PointCloud.to_open3d() (an optional companion, not installed with depthlab)")
        pc = o3d.geometry.PointCloud()
        pc.points = o3d.utility.Vector3dVector(self.xyz.astype(np.float64))
        pc.colors = o3d.utility.Vector3dVector(self.rgb.astype(np.float64) / 255.0)
        return pc

    def to_html(self, path: str | os.PathLike, overwrite: bool = False, **kw: Any) -> Path:
        """One self-contained offline HTML page of this cloud (see :func:`depthlab.exchange.html.to_html`)."""
        return html.to_html(self, path, overwrite=overwrite, **kw)


def _fmt_m(v: float) -> str:
    """Two significant digits below 10 m (0.42, 1.8), whole metres above (25, 334)."""
    return f"{v:.2g}" if abs(v) < 10 else f"{v:.0f}"


def _json_default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating, np.integer, np.bool_)):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    return str(o)
