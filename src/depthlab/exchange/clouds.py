"""Point-cloud files: PCD and PLY, written and read for :class:`depthlab.PointCloud`.

* **PCD** (PCL's format, binary): fields ``x y z rgb``, float32, ``rgb`` packed the PCL way
  (``(r << 16) | (g << 8) | b`` as uint32, stored in a float32 field), and ``edge`` uint8 when the
  cloud knows its edge points, written with pypcd4.
  Readable by PCL, pypcd4 and Open3D.  depthlab's own facts (model, units, accuracy, camera,
  ...; the pixel of each point is *not* stored) go in one ``# depthlab {...}`` comment line.
* **PLY** (binary little-endian): ``x y z`` float32, ``red green blue`` uchar and, when known,
  ``pixel_index`` uint32 (PLY has no 64-bit integers) and ``edge`` uchar — written and read with
  plyfile.

``edge`` is :attr:`depthlab.PointCloud.edge` (1 = a neighbour jumps in depth): edge points are
kept and flagged in the file, never dropped, so another tool can keep or remove them.
  Readable by Open3D, MeshLab, CloudCompare.  depthlab's facts go in a ``comment depthlab {...}``
  header line.

Every file goes through :func:`depthlab.exchange.atomic.atomic_write`: no overwrite without
``overwrite=True``, written to a temporary file and renamed into place.  pypcd4 and plyfile are
imported when a file is written or read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..deps import require
from ..errors import DepthlabError, InvalidInputError, UnreadableFileError
from .atomic import atomic_write

__all__ = ["CloudFile", "pack_rgb", "read_cloud", "save_cloud", "unpack_rgb"]


def pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """uint8 (N, 3) -> float32 (N,) holding PCL's packed ``0x00RRGGBB`` bit pattern.

    >>> import numpy as np
    >>> from depthlab.exchange.clouds import pack_rgb, unpack_rgb
    >>> packed = pack_rgb(np.array([[255, 0, 1]], np.uint8))
    >>> hex(int(packed.view(np.uint32)[0])), unpack_rgb(packed).tolist()
    ('0xff0001', [[255, 0, 1]])
    """
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


@dataclass(frozen=True)
class CloudFile:
    """What a PCD or PLY file holds: ``xyz`` float32 (N, 3), ``rgb`` uint8 (N, 3) or None (no
    colours in the file), ``pixel_index`` int64 (N,) or None, depthlab's ``facts`` from the
    header comment (None for another tool's file) and ``edge`` bool (N,) or None (not in the file)."""

    xyz: np.ndarray
    rgb: np.ndarray | None
    pixel_index: np.ndarray | None
    facts: dict[str, Any] | None
    edge: np.ndarray | None = None


def save_cloud(cloud: Any, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write ``cloud`` (a :class:`depthlab.PointCloud`) as ``.pcd`` or ``.ply`` by suffix;
    see :meth:`depthlab.PointCloud.save`.  Returns the path written.

    >>> import depthlab
    >>> from depthlab.exchange.clouds import read_cloud, save_cloud
    >>> cloud = depthlab.project(depthlab.open("data/sample/front_truedepth.heic"), stride=8)
    >>> save_cloud(cloud, "me.pcd").name
    'me.pcd'
    >>> f = read_cloud("me.pcd")
    >>> f.xyz.shape == cloud.xyz.shape, f.facts["camera"]
    (True, 'front TrueDepth')
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".pcd":
        _save_pcd(cloud, p, overwrite)
    elif suffix == ".ply":
        _save_ply(cloud, p, overwrite)
    else:
        raise InvalidInputError(f"cannot tell the format of {p.name!r}: use a .pcd or .ply suffix")
    return p


def read_cloud(path: str | os.PathLike) -> CloudFile:
    """Read a ``.pcd`` or ``.ply`` file (ours or another tool's); see :meth:`depthlab.PointCloud.load`."""
    p = Path(path)
    if not p.is_file():
        raise UnreadableFileError(f"{p} does not exist or is not a file")
    suffix = p.suffix.lower()
    try:
        if suffix == ".pcd":
            return _load_pcd(p)
        if suffix == ".ply":
            return _load_ply(p)
    except DepthlabError:
        raise
    except Exception as exc:  # a dependency's error on a bad file
        raise UnreadableFileError(f"cannot read {p.name} as {suffix[1:].upper()}: {exc}") from exc
    raise InvalidInputError(f"cannot tell the format of {p.name!r}: use a .pcd or .ply file")


def _facts_json(cloud: Any) -> str:
    return json.dumps(cloud.facts(), ensure_ascii=True, separators=(",", ":"), default=_json_default)


def _save_pcd(cloud: Any, path: Path, overwrite: bool) -> None:
    pypcd4 = require("pypcd4", "writing PCD point clouds")
    Encoding, PcdCloud = pypcd4.Encoding, pypcd4.PointCloud

    n = len(cloud)
    x, y, z = (cloud.xyz[:, i] for i in range(3))
    columns, names, types = [x, y, z, pack_rgb(cloud.rgb)], ["x", "y", "z", "rgb"], [np.float32] * 4
    if cloud.edge is not None:
        columns.append(np.asarray(cloud.edge, dtype=np.uint8))
        names.append("edge")
        types.append(np.uint8)
    pc = PcdCloud.from_points(columns, tuple(names), tuple(types))
    assert pc.metadata.points == n
    with atomic_write(path, overwrite=overwrite) as fh:
        fh.write(b"# .PCD v0.7 - Point Cloud Data file format\n")
        fh.write(b"# depthlab " + _facts_json(cloud).encode("ascii") + b"\n")
        pc.save(fh, encoding=Encoding.BINARY)


def _save_ply(cloud: Any, path: Path, overwrite: bool) -> None:
    plyfile = require("plyfile", "writing PLY point clouds")
    PlyData, PlyElement = plyfile.PlyData, plyfile.PlyElement

    n = len(cloud)
    pixel_index = cloud.pixel_index
    if pixel_index is not None and len(pixel_index) and (pixel_index.min() < 0 or pixel_index.max() >= 2**32):
        raise InvalidInputError("pixel_index does not fit PLY's uint32")
    fields = [("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("red", "u1"), ("green", "u1"), ("blue", "u1")]
    if pixel_index is not None:
        fields.append(("pixel_index", "<u4"))  # PLY has no 64-bit integers
    edge = cloud.edge
    if edge is not None:
        fields.append(("edge", "u1"))
    v = np.empty(n, dtype=fields)
    v["x"], v["y"], v["z"] = cloud.xyz[:, 0], cloud.xyz[:, 1], cloud.xyz[:, 2]
    v["red"], v["green"], v["blue"] = cloud.rgb[:, 0], cloud.rgb[:, 1], cloud.rgb[:, 2]
    if pixel_index is not None:
        v["pixel_index"] = pixel_index
    if edge is not None:
        v["edge"] = edge
    ply = PlyData([PlyElement.describe(v, "vertex")], text=False, byte_order="<",
                  comments=["depthlab " + _facts_json(cloud)])
    with atomic_write(path, overwrite=overwrite) as fh:
        ply.write(fh)


def _load_pcd(path: Path) -> CloudFile:
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
    edge = np.asarray(data["edge"]) != 0 if "edge" in names else None
    return CloudFile(xyz, rgb, None, facts, edge)


def _load_ply(path: Path) -> CloudFile:
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
    edge = np.asarray(v["edge"]) != 0 if "edge" in names else None
    return CloudFile(xyz, rgb, pixel_index, facts, edge)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating, np.integer, np.bool_)):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    return str(o)
