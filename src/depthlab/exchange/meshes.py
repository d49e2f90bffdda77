"""Mesh files: GLB, OBJ (+ MTL + texture), PLY and STL, written with trimesh.

What each file holds
--------------------
``.glb``
    Binary glTF 2.0 in glTF's own axes — x right, **y up, looking down -z** (a half turn of
    depthlab's camera frame about x, so faces keep their winding and face the viewer) — metres
    (the mesh's units).  One mesh, its photo embedded as a JPEG ``baseColorTexture`` with
    ``KHR_materials_unlit`` (the photo's own colours, not re-lit by the viewer's lights;
    viewers without the extension fall back to a plain rough, non-metallic material).
    Only the vertices some triangle uses are stored.
``.obj``
    Wavefront OBJ in the same glTF axes, with ``vt`` texture coordinates, ``mtllib NAME.mtl``
    and a ``NAME.jpeg`` texture beside it.  The three files appear together or not at all.
``.ply``
    Binary PLY in the same axes: vertices with ``red green blue`` (the photo at each vertex's
    pixel) and faces.
``.stl``
    Binary STL for slicers: glTF axes (the relief's front faces +z, up on the print bed),
    **millimetres** when the mesh is in metres (slicers read STL numbers as mm), shifted so
    the lowest point sits at z = 0.  No colour (STL has none).  Print a closed
    :meth:`Mesh.solid`, not the open surface.

Every file is written through :func:`depthlab.exchange.atomic.atomic_write`: to a temporary file,
renamed into place, never replacing an existing file without ``overwrite=True``.
trimesh is imported when a file is written, not with ``import depthlab``.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write, atomic_write_bytes
from ..errors import DepthlabError, InvalidInputError, OverwriteError, WriteError

__all__ = ["save_mesh", "to_trimesh", "FORMATS", "GLTF_FROM_CAMERA", "texture_jpeg", "JPEG_QUALITY"]

FORMATS = (".glb", ".obj", ".ply", ".stl")
# camera frame (x right, y down, z forward) -> glTF (x right, y up, z toward the viewer)
GLTF_FROM_CAMERA = np.array([1.0, -1.0, -1.0], dtype=np.float32)
JPEG_QUALITY = 90


def _trimesh():
    try:
        import trimesh
    except ImportError:
        raise DepthlabError(
            "writing mesh files needs the trimesh package: pip install trimesh"
        ) from None
    return trimesh


def texture_jpeg(texture: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    """The texture as JPEG bytes (baseline, 4:2:0, ``quality``)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(texture)).save(buf, format="JPEG", quality=int(quality), optimize=True)
    return buf.getvalue()


def _encoded_jpeg_image(data: bytes):
    """A Pillow image of ``data`` whose ``save`` writes ``data`` itself (trimesh saves a
    texture by calling ``image.save(fp, format=...)``; re-encoding would lose quality)."""
    from PIL import Image
    from PIL.JpegImagePlugin import JpegImageFile

    class _KeptJpeg(JpegImageFile):
        def save(self, fp, format=None, **params):  # noqa: A002 - Pillow's own signature
            if (format or "JPEG").upper() in ("JPEG", "JPG"):
                if isinstance(fp, (str, os.PathLike)):
                    Path(fp).write_bytes(data)
                else:
                    fp.write(data)
                return
            super().save(fp, format=format, **params)

    img = Image.open(io.BytesIO(data))
    img.__class__ = _KeptJpeg
    return img


def _mesh_in(mesh, frame: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(vertices, faces, uv, pixel_index) of the used vertices, in ``frame``."""
    if frame not in ("camera", "gltf"):
        raise InvalidInputError(f"frame must be 'camera' or 'gltf', got {frame!r}")
    kept, faces = mesh.used_vertices()
    v = mesh.vertices[kept]
    if frame == "gltf":
        v = v * GLTF_FROM_CAMERA
    return np.ascontiguousarray(v, dtype=np.float32), faces, mesh.uv[kept], mesh.pixel_index[kept]


def to_trimesh(mesh, frame: str = "camera", texture: bytes | None = None):
    """A ``trimesh.Trimesh`` of the mesh (used vertices only) with its photo as texture.

    ``frame``: ``"camera"`` (x right, y down, z forward) or ``"gltf"`` (x right, y up, z toward
    the viewer).  ``texture``: JPEG bytes to use (default: the texture encoded at quality 90).
    """
    trimesh = _trimesh()
    v, f, uv, _ = _mesh_in(mesh, frame)
    img = _encoded_jpeg_image(texture if texture is not None else texture_jpeg(mesh.texture))
    material = trimesh.visual.material.PBRMaterial(
        name="photo", baseColorTexture=img, metallicFactor=0.0, roughnessFactor=1.0, doubleSided=True,
    )
    visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    return trimesh.Trimesh(vertices=v, faces=f, visual=visual, process=False, validate=False)


def vertex_colours(mesh, kept: np.ndarray | None = None) -> np.ndarray:
    """uint8 (N, 3): the texel under each vertex's pixel centre (exact integer arithmetic on
    ``pixel_index``, the same point its uv names)."""
    px = mesh.pixel_index if kept is None else mesh.pixel_index[kept]
    h, w = mesh.grid_shape
    th, tw = mesh.texture.shape[:2]
    col = ((2 * (px % w) + 1) * tw) // (2 * w)
    row = ((2 * (px // w) + 1) * th) // (2 * h)
    return mesh.texture[row, col]


def save_mesh(mesh, path: str | os.PathLike, overwrite: bool = False, jpeg_quality: int = JPEG_QUALITY) -> Path:
    """Write ``mesh`` to ``path``; the extension picks the format (see the module docstring).

    Raises :class:`~depthlab.errors.OverwriteError` when a file would be replaced without
    ``overwrite=True`` (for OBJ: any of the three), :class:`~depthlab.errors.InvalidInputError`
    for an unknown extension or a mesh without triangles.

    >>> import depthlab
    >>> from depthlab.exchange.meshes import save_mesh
    >>> surf = depthlab.mesh(depthlab.open("data/sample/front_truedepth.heic"), stride=8)
    >>> save_mesh(surf, "me.obj").name
    'me.obj'
    >>> import os
    >>> sorted(os.listdir("."))[-3:]
    ['me.jpeg', 'me.mtl', 'me.obj']
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in FORMATS:
        raise InvalidInputError(f"cannot write {p.name}: mesh files are {', '.join(FORMATS)} (by extension)")
    if len(mesh) == 0:
        raise InvalidInputError("this mesh has no triangles; nothing to write")
    if not overwrite and p.exists():
        raise OverwriteError(f"{p} already exists; pass overwrite=True (or --force on the command line) to replace it")
    if ext == ".glb":
        data = glb_bytes(mesh, jpeg_quality=jpeg_quality)
        return atomic_write_bytes(p, data, overwrite=overwrite)
    if ext == ".obj":
        return _save_obj(mesh, p, overwrite, jpeg_quality)
    if ext == ".ply":
        return atomic_write_bytes(p, ply_bytes(mesh), overwrite=overwrite)
    return atomic_write_bytes(p, stl_bytes(mesh), overwrite=overwrite)


def _facts(mesh) -> dict[str, Any]:
    return {
        "generator": "depthlab", "frame": "glTF: x right, y up, z toward the viewer",
        "units": "m" if mesh.units == "m" else "arbitrary", "accuracy": mesh.accuracy,
        "camera": mesh.camera, "model": mesh.model,
        "source": mesh.metadata.get("source"), "parameters": mesh.metadata.get("parameters"),
    }


def glb_bytes(mesh, jpeg_quality: int = JPEG_QUALITY) -> bytes:
    """The GLB file's bytes (see the module docstring)."""
    trimesh = _trimesh()
    tm = to_trimesh(mesh, frame="gltf", texture=texture_jpeg(mesh.texture, jpeg_quality))
    facts = _facts(mesh)

    def unlit(tree: dict) -> None:
        for mat in tree.get("materials", []):
            mat.setdefault("extensions", {})["KHR_materials_unlit"] = {}
        used = set(tree.get("extensionsUsed", []))
        used.add("KHR_materials_unlit")
        tree["extensionsUsed"] = sorted(used)
        tree.setdefault("asset", {})["extras"] = facts
        tree["asset"]["generator"] = "depthlab (trimesh)"

    scene = trimesh.Scene()
    scene.add_geometry(tm, geom_name="depth photo")
    from trimesh.exchange.gltf import export_glb

    return export_glb(scene, include_normals=False, tree_postprocessor=unlit)


def ply_bytes(mesh) -> bytes:
    """Binary PLY: glTF axes, vertex colours from the photo, faces."""
    trimesh = _trimesh()
    kept, faces = mesh.used_vertices()
    v = mesh.vertices[kept] * GLTF_FROM_CAMERA
    rgba = np.empty((kept.size, 4), dtype=np.uint8)
    rgba[:, :3] = vertex_colours(mesh, kept)
    rgba[:, 3] = 255
    tm = trimesh.Trimesh(vertices=v, faces=faces, vertex_colors=rgba, process=False, validate=False)
    from trimesh.exchange.ply import export_ply

    data = export_ply(tm, encoding="binary", vertex_normal=False, include_attributes=False)
    # depthlab's facts as a header comment (after the "format" line, where comments belong)
    head, sep, rest = data.partition(b"\n")
    comment = b"comment depthlab " + json.dumps(_facts(mesh), default=str).encode("ascii", "replace") + b"\n"
    return head + sep + comment + rest


def stl_bytes(mesh) -> bytes:
    """Binary STL for slicers: glTF axes, millimetres for metric meshes, lowest z at 0."""
    trimesh = _trimesh()
    kept, faces = mesh.used_vertices()
    v = (mesh.vertices[kept] * GLTF_FROM_CAMERA).astype(np.float64)
    if mesh.units == "m":
        v *= 1000.0
    v[:, 2] -= v[:, 2].min()
    tm = trimesh.Trimesh(vertices=v, faces=faces, process=False, validate=False)
    from trimesh.exchange.stl import export_stl

    return export_stl(tm)


def _save_obj(mesh, p: Path, overwrite: bool, jpeg_quality: int) -> Path:
    """OBJ + MTL + JPEG, as a set: each atomically, the OBJ last (a reader that finds it finds
    the other two), and the earlier ones removed again if a later one fails."""
    trimesh = _trimesh()
    stem = p.stem
    mtl_path = p.with_suffix(".mtl")
    tex_path = p.with_name(f"{stem}.jpeg")
    if not overwrite:
        for q in (mtl_path, tex_path):
            if q.exists():
                raise OverwriteError(f"{q} already exists (written beside {p.name}); pass overwrite=True to replace it")
    tm = to_trimesh(mesh, frame="gltf", texture=texture_jpeg(mesh.texture, jpeg_quality))
    tm.visual.material.name = stem
    from trimesh.exchange.obj import export_obj

    text, files = export_obj(tm, include_normals=False, include_texture=True, return_texture=True,
                             mtl_name=mtl_path.name, header=f"depthlab {json.dumps(_facts(mesh), default=str)}")
    expected = {mtl_path.name, tex_path.name}
    if set(files) != expected:  # trimesh names the texture after the material
        raise WriteError(f"trimesh wrote OBJ side files {sorted(files)}, expected {sorted(expected)}; nothing written")
    # the material of a photo: white (the texture's own colours), no highlight, no lighting
    files[mtl_path.name] = (
        f"# depthlab: the photo as texture, unlit\nnewmtl {stem}\nKa 1.0 1.0 1.0\nKd 1.0 1.0 1.0\n"
        f"Ks 0.0 0.0 0.0\nd 1.0\nillum 0\nmap_Kd {tex_path.name}\n"
    ).encode("utf-8")
    written: list[Path] = []
    try:
        for q in (tex_path, mtl_path):
            existed = q.exists()
            atomic_write_bytes(q, files[q.name], overwrite=overwrite)
            if not existed:
                written.append(q)
        with atomic_write(p, overwrite=overwrite) as fh:
            fh.write(text.encode("utf-8"))
    except BaseException:
        for q in written:
            try:
                q.unlink()
            except OSError:
                pass
        raise
    return p
