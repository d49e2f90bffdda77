"""One self-contained, offline HTML file showing one or two point clouds.

``to_html(cloud, "me.html")`` writes a page that opens anywhere (``file://`` or served) without
a single network request: three.js is read at export time from the installed pythreejs package
(``pythreejs/static/three.js``) and inlined, followed by depthlab's own small viewer
(``depthlab/static/viewer.js``) and the data.

Data layout in the page (see :func:`quantise_positions`):

* positions, in three.js's frame (``depthlab.live.scene.to_threejs``), quantised to 16 bits per axis
  over the cloud's bounding box, little-endian ``uint16`` (N, 3), base64;
* colours ``uint8`` (N, 3), base64;
* where the cloud flags edge points (``PointCloud.edge``: a neighbour jumps in depth, the mesh's
  cut rule), one bit per point (``numpy.packbits``, little bit order), base64: every point is
  embedded, the page hides the flagged ones by default ("Edge points: show (N)");
* a JSON block with the bounding box, the initial camera (``depthlab.live.scene.initial_camera``,
  the phone's own viewpoint, the same as the notebook view), captions, point size and
  background colour.

The GPU undoes the quantisation (a normalised ``uint16`` attribute scaled by the box), so the
page decodes nothing but base64.  440k points take about 5.9 MB (three.js is 0.55 MB of it).
"""

from __future__ import annotations

import base64
import functools
import html as _html
import importlib.metadata
import importlib.util
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write
from ..checks import positive_number
from ..errors import DepthlabError, InvalidInputError
from ..live.scene import (COVERAGE, POINT_FRAGMENT_SHADER, POINT_VERTEX_SHADER, default_point_size, grid_spec, initial_camera,
                    orbit_centre, point_footprint, scattered_stretch, to_threejs, view_transform)
from ..capture import accuracy_label
from ..settings import FLAT_MODELS, check_edges, is_pinhole

#: Largest quantised coordinate: positions use the full unsigned 16-bit range.
QMAX = 65535

_STATIC = Path(__file__).resolve().parent / "static"
_HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
DEFAULT_BACKGROUND = "#15171c"


# --------------------------------------------------------------------------------------------
# Quantisation
# --------------------------------------------------------------------------------------------


def quantise_positions(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quantise positions to 16 bits per axis over their bounding box.

    Convention: ``xyz`` is float (N, 3) in any frame and unit; the box is per axis
    ``[lo, lo + span]``.  ``q = round((p - lo) / span * 65535)`` as ``uint16`` (N, 3), so
    ``p ~= lo + q / 65535 * span`` (:func:`dequantise_positions`, and what the page's GPU does
    with a normalised attribute).  An axis with zero extent gets ``span = 1`` and ``q = 0``.

    Error: at most half a step, ``span / (2 * 65535)`` per axis, i.e. 7.6e-6 of that axis's
    extent (0.00076 %), e.g. 0.011 mm over a 1.5 m deep scene -- far below 0.1 % of the extent.

    Returns ``(q, lo, span)`` with ``lo`` and ``span`` float64 (3,).

    >>> import numpy as np
    >>> from depthlab.exchange.html import dequantise_positions, quantise_positions
    >>> xyz = np.array([[0.0, 0.0, 1.0], [0.5, -0.2, 2.0]], np.float32)
    >>> q, lo, span = quantise_positions(xyz)
    >>> q.dtype, bool(np.abs(dequantise_positions(q, lo, span) - xyz).max() < 1e-4)
    (dtype('uint16'), True)
    """
    p = np.asarray(xyz)
    if p.ndim != 2 or p.shape[1] != 3:
        raise InvalidInputError(f"positions must have shape (N, 3), got {p.shape}")
    if p.shape[0] == 0:
        raise InvalidInputError("the cloud has no points; nothing to show (check near/far and the mask)")
    p64 = p.astype(np.float64, copy=False)
    if not np.all(np.isfinite(p64)):
        raise InvalidInputError("positions hold NaN or infinite values; keep only valid points before export")
    lo = p64.min(axis=0)
    span = p64.max(axis=0) - lo
    span = np.where(span > 0, span, 1.0)
    q = np.rint((p64 - lo) / span * QMAX)
    np.clip(q, 0, QMAX, out=q)
    return q.astype("<u2"), lo, span


def dequantise_positions(q: np.ndarray, lo: np.ndarray, span: np.ndarray) -> np.ndarray:
    """Undo :func:`quantise_positions`: float64 (N, 3) ``lo + q / 65535 * span``.

    Convention: the same frame and units as the positions that were quantised.
    """
    return np.asarray(lo, np.float64) + np.asarray(q, np.float64) / QMAX * np.asarray(span, np.float64)


# --------------------------------------------------------------------------------------------
# Assets
# --------------------------------------------------------------------------------------------


def find_three_js() -> Path:
    """Path of ``three.js`` shipped inside the installed pythreejs package (not imported).

    Raises :class:`~depthlab.errors.DepthlabError` when pythreejs or its static file is missing.
    """
    candidates: list[Path] = []
    try:
        spec = importlib.util.find_spec("pythreejs")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(loc) / "static" / "three.js" for loc in spec.submodule_search_locations]
    try:
        for f in importlib.metadata.files("pythreejs") or ():
            if f.as_posix().endswith("pythreejs/static/three.js"):
                candidates.append(Path(f.locate()))
    except importlib.metadata.PackageNotFoundError:
        pass
    for c in candidates:
        if c.is_file():
            return c
    where = ", ".join(str(c) for c in candidates) or "pythreejs is not installed"
    raise DepthlabError(
        "the HTML export inlines three.js from the pythreejs package, but its static three.js was not "
        f"found ({where}); install it with `pip install pythreejs==2.4.2` and try again"
    )


def _read_viewer_js() -> str:
    path = _STATIC / "viewer.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DepthlabError(
            f"depthlab's viewer script {path} is missing from the installation ({exc.strerror or exc}); "
            "reinstall depthlab"
        ) from exc


def _script_safe(text: str) -> str:
    """Make JavaScript source safe inside an inline ``<script>`` element."""
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE).replace("<!--", "<\\!--")


def _json_for_script(obj: Any) -> str:
    # '<' never appears raw, so no caption can close the element or open a comment
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")).replace("<", "\\u003c")


# --------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------


def _background_hex(background: Any) -> str:
    if isinstance(background, str) and _HEX_COLOUR.match(background):
        b = background.lower()
        if len(b) == 4:
            b = "#" + "".join(ch * 2 for ch in b[1:])
        return b
    if isinstance(background, (tuple, list)) and len(background) == 3:
        vals = [float(v) for v in background]
        if all(math.isfinite(v) and 0 <= v <= 255 for v in vals):
            return "#" + "".join(f"{int(round(v)):02x}" for v in vals)
    raise InvalidInputError(
        f"background must be a colour like '#15171c', '#fff' or (r, g, b) in 0..255, got {background!r}"
    )


def as_clouds(clouds: Any) -> list[Any]:
    """One cloud or a list/tuple of two, checked: what the page shows (clouds only; a Capture is
    projected one level up, by :func:`depthlab.exchange.export.to_html`)."""
    items = list(clouds) if isinstance(clouds, (list, tuple)) else [clouds]
    if not 1 <= len(items) <= 2:
        raise InvalidInputError(f"to_html shows one cloud or two side by side, got {len(items)}")
    items = [_surface_view(item) if _is_mesh(item) else item for item in items]
    for item in items:
        if not (hasattr(item, "xyz") and hasattr(item, "rgb")):
            hint = " (project it first, or use depthlab.to_html, which does)" if hasattr(item, "disparity") else ""
            raise InvalidInputError(
                f"to_html takes a PointCloud or a Mesh (depthlab.to_html also a Capture), or a list of two; "
                f"got {type(item).__name__}{hint}"
            )
    return items


def _is_mesh(item: Any) -> bool:
    return all(hasattr(item, a) for a in ("vertices", "faces", "uv", "texture"))


def _surface_view(mesh: Any) -> Any:
    """A :class:`~depthlab.surface.Mesh` seen as the page sees a cloud (``xyz``: the vertices its
    triangles use, with their pixels, caption and provenance), carrying the mesh itself."""
    from types import SimpleNamespace

    if len(mesh) == 0:
        raise InvalidInputError("this mesh has no triangles; nothing to show")
    kept, faces = mesh.used_vertices()
    return SimpleNamespace(
        mesh=mesh, faces=faces, uv=mesh.uv[kept], xyz=mesh.vertices[kept], rgb=None,
        pixel_index=mesh.pixel_index[kept], grid_shape=mesh.grid_shape, metadata=mesh.metadata,
        model=mesh.model, units=mesh.units, accuracy=mesh.accuracy, camera=mesh.camera,
        caption=mesh.caption, intrinsics_estimated=bool(mesh.metadata.get("intrinsics_estimated", False)),
    )


def _encode_surface(view: Any, index: int) -> tuple[dict[str, Any], dict[str, str]]:
    """JSON description of one textured surface and its binary blocks: positions quantised as a
    cloud's, uint32 triangle indices, uint16 uv (``round(uv * 65535)``), the photo as JPEG."""
    from .meshes import texture_jpeg

    xyz = np.asarray(view.xyz, dtype=np.float32)
    three = np.asarray(to_threejs(xyz), dtype=np.float32)
    q, lo, span = quantise_positions(three)
    true_span = three.max(axis=0).astype(np.float64) - three.min(axis=0)
    ids = {k: f"depthlab-{k}-{index}" for k in ("positions", "indices", "uv", "texture")}
    uv = np.clip(np.rint(np.asarray(view.uv, dtype=np.float64) * QMAX), 0, QMAX).astype("<u2")
    blocks = {
        ids["positions"]: base64.b64encode(q.tobytes()).decode("ascii"),
        ids["indices"]: base64.b64encode(np.ascontiguousarray(view.faces, dtype="<u4").tobytes()).decode("ascii"),
        ids["uv"]: base64.b64encode(uv.tobytes()).decode("ascii"),
        ids["texture"]: base64.b64encode(texture_jpeg(view.mesh.texture)).decode("ascii"),
    }
    desc = {
        "kind": "mesh",
        "count": int(xyz.shape[0]),
        "triangles": int(len(view.faces)),
        "positions": {"encoding": "uint16-base64", "element": ids["positions"], "min": lo.tolist(),
                      "span": span.tolist(), "max_error": (span / (2 * QMAX)).tolist()},
        "indices": {"encoding": "uint32-base64", "element": ids["indices"]},
        "uv": {"encoding": "uint16-base64", "element": ids["uv"]},
        "texture": {"mime": "image/jpeg", "element": ids["texture"],
                    "size": [int(view.mesh.texture.shape[1]), int(view.mesh.texture.shape[0])]},
        "caption": _caption(view, true_span),
        "footprint": [0.0, 0.0],
    }
    first = (getattr(view, "metadata", None) or {}).get("second_layer_faces_from")
    if first is not None:  # the invented layer's triangles follow the measured ones: a toggle hides them
        desc["second_layer_faces_from"] = int(first)
    return desc, blocks


def _caption(cloud: Any, span_true: np.ndarray) -> dict[str, Any]:
    """What the page says under a cloud: PointCloud.caption() and the box size with its unit."""
    units = getattr(cloud, "units", None)
    accuracy = getattr(cloud, "accuracy", None)
    camera = getattr(cloud, "camera", None) or "unknown camera"
    line = str(cloud.caption()) if callable(getattr(cloud, "caption", None)) else ""
    if not line:
        parts = [str(camera)]
        parts.append(accuracy_label(accuracy, meaning=True))
        parts.append(f"{len(cloud.xyz):,} points")
        line = " · ".join(parts)
    own_units = (getattr(cloud, "metadata", None) or {}).get("depth_unit") == "units"
    flat = units != "m" and not (own_units and is_pinhole(getattr(cloud, "model", "")))
    unit = "m" if units == "m" else "model units" if flat else "units"
    size = " × ".join(f"{v:.3g}" for v in span_true)
    scale = f"box {size} {unit} (x × y × z)"
    if units == "m" and accuracy == "relative":
        scale += " — relative accuracy: the metres are not trustworthy"
    elif flat:
        scale += " — not metres (teaching model)"
    else:
        scale += " — the file's own depth units, not metres"
    if getattr(cloud, "intrinsics_estimated", False) and "estimated" not in line:
        scale += " · intrinsics estimated"
    warning = (getattr(cloud, "metadata", None) or {}).get("intrinsics_warning")
    if warning:
        scale += f" · {warning}"
    model = getattr(cloud, "model", None)
    return {"line": line, "scale": scale, "model": model, "camera": str(camera), "accuracy": accuracy,
            "units": units}


# --------------------------------------------------------------------------------------------
# Page
# --------------------------------------------------------------------------------------------


def _encode_cloud(cloud: Any, index: int, positions: str) -> tuple[dict[str, Any], dict[str, str]]:
    """JSON description of one cloud and its binary blocks (element id -> text)."""
    xyz = np.asarray(cloud.xyz, dtype=np.float32)
    rgb = np.asarray(cloud.rgb)
    if xyz.ndim != 2 or xyz.shape[1] != 3:
        raise InvalidInputError(f"cloud {index}: xyz must be (N, 3), got {xyz.shape}")
    if rgb.shape != xyz.shape:
        raise InvalidInputError(f"cloud {index}: rgb must be (N, 3) like xyz {xyz.shape}, got {rgb.shape}")
    if rgb.dtype != np.uint8:
        raise InvalidInputError(f"cloud {index}: rgb must be uint8, got {rgb.dtype}")
    three = np.asarray(to_threejs(xyz), dtype=np.float32)
    q, lo, span = quantise_positions(three)
    true_span = three.max(axis=0).astype(np.float64) - three.min(axis=0)
    pos_id, rgb_id = f"depthlab-positions-{index}", f"depthlab-colours-{index}"
    blocks = {rgb_id: base64.b64encode(np.ascontiguousarray(rgb).tobytes()).decode("ascii")}
    if positions == "uint16":
        pos = {"encoding": "uint16-base64", "element": pos_id, "min": lo.tolist(), "span": span.tolist(),
               "max_error": (span / (2 * QMAX)).tolist()}
        blocks[pos_id] = base64.b64encode(q.tobytes()).decode("ascii")
    elif positions == "json":  # baseline for benchmarks: plain JSON floats, no quantisation
        pos = {"encoding": "float-json", "element": pos_id}
        blocks[pos_id] = json.dumps(np.round(three.astype(np.float64), 6).ravel().tolist(), separators=(",", ":"))
    else:
        raise InvalidInputError(f"positions encoding must be 'uint16' (or 'json' for benchmarks), got {positions!r}")
    desc = {
        "count": int(xyz.shape[0]),
        "positions": pos,
        "colours": {"encoding": "uint8-base64", "element": rgb_id},
        "caption": _caption(cloud, true_span),
        # each point as wide as its pixel: the notebook view's rule (depthlab.live.scene.point_footprint)
        "footprint": _footprint(cloud, xyz),
    }
    stretch = _stretch(cloud, xyz, desc["footprint"])
    if stretch is not None:  # wider points on slanted surfaces, as in the notebook view
        blocks[f"depthlab-stretch-{index}"] = base64.b64encode(stretch.tobytes()).decode("ascii")
        desc["stretch"] = {"encoding": "uint8-base64", "element": f"depthlab-stretch-{index}"}
    first = (getattr(cloud, "metadata", None) or {}).get("second_layer_from")
    if first is not None:  # the invented layer's points follow the measured ones: a toggle hides them
        desc["second_layer_from"] = int(first)
    edge = _edge_flags(cloud, len(xyz))
    if edge is not None:  # flagged, never dropped: the page hides them until asked
        blocks[f"depthlab-edges-{index}"] = base64.b64encode(np.packbits(edge, bitorder="little").tobytes()).decode("ascii")
        desc["edges"] = {"encoding": "bits-base64", "element": f"depthlab-edges-{index}", "count": int(edge.sum())}
    return desc, blocks


def _edge_flags(cloud: Any, n: int) -> np.ndarray | None:
    """bool (N,): the cloud's edge points (``PointCloud.edge``, from
    :func:`depthlab.surface.triangulate.occlusion_edges`), or None when it flags none."""
    edge = getattr(cloud, "edge", None)
    if edge is None:
        return None
    edge = np.asarray(edge, dtype=bool)
    return edge if edge.shape == (n,) and edge.any() else None


def _stretch(cloud: Any, xyz: np.ndarray, footprint: list[float]) -> np.ndarray | None:
    """:func:`depthlab.live.scene.point_stretch` of a projected cloud's points (its grid rebuilt from
    ``pixel_index``, stride and grid shape; the points of a second layer are not stretched), or
    None for a cloud that does not come from a depth grid."""
    from ..surface.triangulate import DEFAULT_MAX_STEP

    meta = getattr(cloud, "metadata", None) or {}
    idx, grid = getattr(cloud, "pixel_index", None), getattr(cloud, "grid_shape", None)
    try:
        stride = int((meta.get("parameters") or {}).get("stride") or 1)
    except (TypeError, ValueError):
        return None
    if idx is None or grid is None or len(idx) != len(xyz) or stride < 1:
        return None
    n = int(meta.get("second_layer_from", len(xyz)))
    h, w = int(grid[0]), int(grid[1])
    gh, gw = -(-h // stride), -(-w // stride)
    r, c = np.divmod(np.asarray(idx[:n], dtype=np.int64), w)
    cell = (r // stride) * gw + c // stride
    if cell.size and (cell.max() >= gh * gw or np.unique(cell).size != cell.size):
        return None
    st = scattered_stretch(xyz[:n], xyz[:n, 2], cell, (gh, gw), {"per_depth": footprint[0], "constant": footprint[1]},
                           DEFAULT_MAX_STEP * stride)
    out = np.zeros(len(xyz), dtype=np.uint8)
    out[:n] = st
    return out


def _footprint(cloud: Any, xyz: np.ndarray) -> list[float]:
    """[per_depth, constant] of :func:`depthlab.live.scene.point_footprint` for a projected cloud (from
    its metadata: model, stride, intrinsics); a cloud without them gets its cross-section shared
    among its points as a constant width."""
    meta = getattr(cloud, "metadata", None) or {}
    params = meta.get("parameters") or {}
    model = getattr(cloud, "model", None)
    grid = getattr(cloud, "grid_shape", None)
    try:
        stride = int(params.get("stride") or 1)
        if is_pinhole(model) and meta.get("intrinsics") is not None:
            fp = point_footprint(model, stride, tuple(meta["intrinsics_size"]), intrinsics=meta["intrinsics"])
            return [fp["per_depth"], fp["constant"]]
        if model in FLAT_MODELS and grid is not None:
            fp = point_footprint(model, stride, (int(grid[1]), int(grid[0])), aspect=float(params.get("aspect") or 1.0))
            return [fp["per_depth"], fp["constant"]]
    except (DepthlabError, TypeError, ValueError, KeyError):
        pass
    return [0.0, default_point_size(xyz.min(axis=0), xyz.max(axis=0), xyz.shape[0]) / COVERAGE]


def _pivot(cloud: Any) -> np.ndarray | None:
    """The subject of a cloud (:func:`depthlab.live.scene.orbit_centre`), camera frame: its portrait
    matte where the cloud carries one (``metadata["subject"]``, bool per point), else the nearest
    large surface near the image centre (image positions from ``pixel_index``)."""
    xyz = np.asarray(cloud.xyz)
    idx = getattr(cloud, "pixel_index", None)
    grid = getattr(cloud, "grid_shape", None)
    if idx is None or grid is None or len(idx) != len(xyz):
        return None
    h, w = int(grid[0]), int(grid[1])
    idx = np.asarray(idx, dtype=np.int64)
    image_xy = np.stack([(idx % w + 0.5) / w, (idx // w + 0.5) / h], axis=1)
    meta = getattr(cloud, "metadata", None) or {}
    subject = meta.get("subject")
    if subject is not None and np.shape(subject) != (len(xyz),):
        subject = None
    return orbit_centre(xyz, image_xy, subject)


def _views(items: list[Any], bounds: list[tuple[np.ndarray, np.ndarray]], fit: str) -> tuple[dict, list[dict]]:
    """The page's camera and each cloud's placement: every cloud framed from its own phone around
    its own subject (as the notebook's compare()), then moved onto the first one's home with
    :func:`depthlab.live.scene.view_transform` so one camera orbits each around its subject."""
    cams = [_page_camera(functools.partial(initial_camera, fit=fit, pivot=_pivot(c)), [b]) for c, b in zip(items, bounds)]
    shared = dict(cams[0])
    shared["fit"] = {"tan_x": max(c["fit"]["tan_x"] for c in cams), "tan_y": max(c["fit"]["tan_y"] for c in cams)}
    shared["fov"] = max(c["fov"] for c in cams)
    shared["far"] = max(c["far"] for c in cams)
    return shared, [view_transform(c, shared) for c in cams]


def _page_camera(initial_camera: Any, bounds: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    """``initial_camera`` for views whose aspect is only known in the browser.

    ``bounds`` holds each cloud's (min, max) in the camera frame.  The camera is placed for a
    square view of their union; ``fit`` gives the tangents of the half field of view needed
    horizontally (``tan_x``) and vertically (``tan_y``), so the page uses
    ``max(tan_y, tan_x / aspect)`` for its actual aspect -- what ``initial_camera`` returns for
    that aspect.  With two clouds seen from the phone along the same axis, each cloud's own
    fit counts too, so a near, wide cloud is not cropped by framing the union's far face.
    When the camera had to step back from the phone, both are the square view's.
    """
    def plain(cam: dict[str, Any]) -> dict[str, Any]:
        return {k: (np.asarray(v, np.float64).tolist() if isinstance(v, (tuple, list, np.ndarray)) else float(v))
                for k, v in dict(cam).items()}

    def direction(cam: dict[str, Any]) -> np.ndarray:
        d = np.subtract(cam["target"], cam["position"])
        return d / (np.linalg.norm(d) or 1.0)

    def tangents(lo: np.ndarray, hi: np.ndarray) -> tuple[dict[str, Any], float, float] | None:
        square = plain(initial_camera(lo, hi, aspect=1.0))
        wide = plain(initial_camera(lo, hi, aspect=1e3))  # only the vertical extent constrains
        if square["position"] != [0.0, 0.0, 0.0] or wide["position"] != square["position"]:
            return None  # stepped back from the phone
        tan_x = math.tan(math.radians(square["fov"]) / 2)
        return square, tan_x, min(tan_x, math.tan(math.radians(wide["fov"]) / 2))

    lows = np.min([lo for lo, _ in bounds], axis=0)
    highs = np.max([hi for _, hi in bounds], axis=0)
    union = tangents(lows, highs)
    if union is None:
        camera = plain(initial_camera(lows, highs, aspect=1.0))
        t = math.tan(math.radians(camera["fov"]) / 2)
        camera["fit"] = {"tan_x": t, "tan_y": t}
        return camera
    camera, tan_x, tan_y = union
    if len(bounds) > 1:
        for lo, hi in bounds:
            own = tangents(lo, hi)
            if own is not None and np.allclose(direction(own[0]), direction(camera), atol=1e-9):
                tan_x, tan_y = max(tan_x, own[1]), max(tan_y, own[2])
    camera["fov"] = math.degrees(2 * math.atan(max(tan_x, tan_y)))
    camera["fit"] = {"tan_x": tan_x, "tan_y": tan_y}
    return camera


def html_document(
    clouds: Any,
    *,
    point_size_m: float | None = None,
    background: Any = DEFAULT_BACKGROUND,
    title: str | None = None,
    edges: str = "hide",
    _positions: str = "uint16",
) -> str:
    """The page :func:`to_html` writes, as a string (same arguments, no path)."""
    items = as_clouds(clouds)
    bg = _background_hex(background)
    check_edges(edges)
    if point_size_m is not None:
        point_size_m = positive_number("point_size_m", point_size_m, " (metres; scene units for the flat models)")
    three_js = find_three_js().read_text(encoding="utf-8")
    viewer_js = _read_viewer_js()

    descs, blocks = [], {}
    for i, cloud in enumerate(items):
        d, b = _encode_surface(cloud, i) if hasattr(cloud, "mesh") else _encode_cloud(cloud, i, _positions)
        descs.append(d)
        blocks.update(b)

    # the same first view as the notebook: the phone's own position, framing every cloud shown
    bounds = [(np.asarray(c.xyz, np.float64).min(axis=0), np.asarray(c.xyz, np.float64).max(axis=0)) for c in items]
    lows = np.min([lo for lo, _ in bounds], axis=0)
    highs = np.max([hi for _, hi in bounds], axis=0)
    # as the notebook: pinhole clouds are framed by their far face, flat teaching models whole
    fit = "far" if all(is_pinhole(getattr(c, "model", "")) for c in items) else "all"
    units0 = getattr(items[0], "units", None)
    camera, transforms = _views(items, bounds, fit)
    for d, t, b in zip(descs, transforms, bounds):
        d["transform"] = {k: list(v) for k, v in t.items()}
        d["grid"] = grid_spec(*b, units="m" if units0 == "m" else (units0 or "arbitrary"))

    if title is None:
        names = []
        for item in items:
            meta = getattr(item, "metadata", None)
            src = meta.get("source") if isinstance(meta, dict) else None
            names.append(Path(str(src)).name if src else None)
        if all(names):
            title = " vs ".join(names) + " — depthlab"
        else:
            title = "depthlab point clouds" if len(items) > 1 else "depthlab point cloud"
            if any(hasattr(item, "mesh") for item in items):
                title = "depthlab surface"
    if point_size_m is not None:
        for d in descs:
            d["footprint"] = [0.0, point_size_m / COVERAGE]
    units = getattr(items[0], "units", None)
    config = {
        "format": "depthlab-html/1",
        "title": str(title),
        "background": bg,
        "camera": camera,
        "grid": grid_spec(*bounds[0], units="m" if units == "m" else (units or "arbitrary")),
        # one point-size rule with the notebook view (depthlab.live.scene)
        "pointShader": {"vertex": POINT_VERTEX_SHADER, "fragment": POINT_FRAGMENT_SHADER, "coverage": COVERAGE},
        "clouds": descs,
        "linked": len(descs) > 1,
        "edgesShown": edges == "show",
    }

    return _page(str(title), bg, config, blocks, three_js, viewer_js)


def _page(title: str, bg: str, config: dict[str, Any], blocks: dict[str, str], three_js: str, viewer_js: str) -> str:
    """The HTML text: styles, the config and data blocks, three.js and the viewer, inlined."""
    data_blocks = "\n".join(
        f'<script type="application/octet-stream" id="{key}">{value}</script>' for key, value in blocks.items()
    )
    esc_title = _html.escape(str(title))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="depthlab">
<title>{esc_title}</title>
<style>
html, body {{ margin: 0; height: 100%; overflow: hidden; background: {bg};
  font: 13px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: #eee; }}
#depthlab-root {{ position: fixed; inset: 0; }}
#depthlab-root canvas {{ display: block; width: 100%; height: 100%; touch-action: none; cursor: grab; }}
.dl-panel {{ position: absolute; left: 8px; top: 8px; display: flex; flex-wrap: wrap; gap: 8px;
  align-items: center; padding: 6px 8px; border-radius: 6px; background: rgba(0,0,0,.55); }}
.dl-panel label {{ display: flex; gap: 4px; align-items: center; }}
.dl-panel button {{ font: inherit; }}
.dl-caption {{ position: absolute; padding: 4px 8px; border-radius: 6px; background: rgba(0,0,0,.55);
  max-width: calc(50% - 24px); pointer-events: none; }}
.dl-caption .dl-scale {{ opacity: .8; font-size: 12px; }}
.dl-message {{ position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  padding: 2em; text-align: center; }}
</style>
</head>
<body>
<div id="depthlab-root"></div>
<script type="application/json" id="depthlab-config">{_json_for_script(config)}</script>
{data_blocks}
<script>
{_script_safe(three_js)}
</script>
<script>
{_script_safe(viewer_js)}
</script>
</body>
</html>
"""


def to_html(
    clouds: Any,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    point_size_m: float | None = None,
    background: Any = DEFAULT_BACKGROUND,
    title: str | None = None,
    edges: str = "hide",
) -> Path:
    """Write one self-contained offline HTML page showing a point cloud (or two, linked).

    Parameters
    ----------
    clouds : PointCloud or :class:`~depthlab.surface.Mesh` (a textured surface), or a
        list/tuple of two; two are shown side by side with one shared (linked) camera, like
        ``compare()``.
        (:func:`depthlab.to_html` also takes Captures and projects them first.)
    path : where to write; an existing file is never replaced unless ``overwrite=True``.
    point_size_m : point diameter in scene units (metres for the pinhole models); default
        ``depthlab.live.scene.default_point_size`` (as the notebook view).  The page has a slider.
    background : ``"#rrggbb"``, ``"#rgb"`` or (r, g, b) in 0..255.
    title : the page title; default from the source file name.
    edges : ``"hide"`` (default) or ``"show"``: whether the page first draws the cloud's edge
        points (``PointCloud.edge``: a neighbour jumps in depth -- occlusions and the "flying
        pixels" between them).  They are always embedded; the page's "Edge points: show (N)"
        checkbox toggles them.

    Convention: positions are shown in three.js's frame (x right, y up, z toward the viewer) via
    ``depthlab.live.scene.to_threejs``; the first view is ``depthlab.live.scene.initial_camera`` (the
    phone's own viewpoint).  Positions are stored with 16 bits per axis over the bounding box:
    error at most 1/131070 of the box's extent per axis (see :func:`quantise_positions`).

    The page makes no network request: three.js (from the installed pythreejs package) and the
    viewer are inlined.  Returns the path written.

    >>> import depthlab
    >>> from depthlab.exchange.html import to_html
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> cloud = depthlab.project(cap, stride=8)
    >>> page = to_html(cloud, "me.html", point_size_m=0.004)
    >>> page.read_text(encoding="utf-8").lstrip()[:15]
    '<!DOCTYPE html>'
    """
    # atomic_write refuses an existing file before any projection or encoding work is done
    with atomic_write(path, overwrite=overwrite) as fh:
        page = html_document(clouds, point_size_m=point_size_m, background=background, title=title, edges=edges)
        fh.write(page.encode("utf-8"))
    return Path(path)


__all__ = ["to_html", "html_document", "quantise_positions", "dequantise_positions", "find_three_js", "QMAX"]
