"""Surfaces: a depth photo as a textured mesh — the grid, the cuts, the files, the solid."""

from __future__ import annotations

import numpy as np
import pytest

import depthlab
from depthlab import synth
from conftest import data_sample, make_capture, shared_sample
from depthlab.capture import Capture
from depthlab.errors import DepthlabError, InvalidInputError

W, H = 64, 48
K_REF = [[120.0, 0, 64.0], [0, 130.0, 48.0], [0, 0, 1]]  # at 128x96


def lens_capture(depth: np.ndarray, rgb: np.ndarray | None = None, accuracy: str = "absolute", **kw) -> Capture:
    """``depth`` seen through K_REF (at twice its size), with a colour gradient at that size
    (decoded on first use) unless ``rgb`` is given."""
    h, w = depth.shape
    if rgb is None:
        rgb = np.zeros((h * 2, w * 2, 3), dtype=np.uint8)
        rgb[..., 0] = (np.arange(w * 2) % 256).astype(np.uint8)[None, :]
        rgb[..., 1] = (np.arange(h * 2) % 256).astype(np.uint8)[:, None]
        rgb[..., 2] = 7
    return make_capture(depth, intrinsics=K_REF, reference_size=(2 * w, 2 * h), rgb=rgb, lazy_rgb=True,
                        accuracy=accuracy, **kw)


def slanted_plane(angle_deg: float = 60.0) -> np.ndarray:
    """Depth of a plane through (0, 0, 1 m) turned ``angle_deg`` about the vertical axis, seen
    through the test camera: z = 1 / (1 - tan(angle) * x/z-ray)."""
    yy, xx = np.mgrid[0:H, 0:W]
    fx, cx = K_REF[0][0] / 2, K_REF[0][2] / 2
    rx = (xx - cx) / fx
    return (1.0 / (1.0 - np.tan(np.radians(angle_deg)) * rx)).astype(np.float32)


def step_scene() -> np.ndarray:
    """A square 1 m away in front of a wall 2 m away."""
    d = np.full((H, W), 2.0, dtype=np.float32)
    d[12:36, 20:44] = 1.0
    return d


def face_depths(m) -> np.ndarray:
    return m.vertices[:, 2][m.faces]


def pixel_rc(m) -> tuple[np.ndarray, np.ndarray]:
    h, w = m.grid_shape
    return m.pixel_index // w, m.pixel_index % w


# ------------------------------------------------------------------------------- the contract


def test_top_level_mesh_is_the_function_and_import_stays_light():
    import subprocess
    import sys

    code = ("import sys, depthlab; assert callable(depthlab.mesh), depthlab.mesh; "
            "import depthlab.surface; assert callable(depthlab.mesh); "
            "assert 'trimesh' not in sys.modules, 'trimesh loaded by import'")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("kw", [{}, {"stride": 3}, {"near": 1.0, "far": 1.9}, {"mask": "portrait"},
                                {"model": "orthographic"}, {"model": "pinhole-raw", "stride": 2}])
def test_vertices_are_the_projections_points_in_its_order(kw):
    cap = depthlab.open(data_sample("rear_dual.heic"))
    m = depthlab.mesh(cap, **kw)
    cloud = depthlab.project(cap, **kw)
    assert m.vertices.dtype == np.float32 and m.vertices.shape == cloud.xyz.shape
    np.testing.assert_array_equal(m.vertices, cloud.xyz)
    np.testing.assert_array_equal(m.pixel_index, cloud.pixel_index)
    assert m.faces.dtype.kind == "i" and m.faces.shape[1] == 3 and m.faces.min() >= 0
    assert m.faces.max() < len(m.vertices)
    assert m.uv.dtype == np.float32 and m.uv.shape == (len(m.vertices), 2)
    assert (m.uv >= 0).all() and (m.uv <= 1).all()
    assert m.texture.dtype == np.uint8 and m.texture.ndim == 3 and m.texture.shape[2] == 3


def test_arrays_are_read_only_and_the_capture_photo_is_untouched():
    cap = lens_capture(slanted_plane())
    photo = cap.rgb
    m = depthlab.mesh(cap)
    for a in (m.vertices, m.faces, m.uv, m.texture, m.pixel_index):
        with pytest.raises(ValueError):
            a.flat[0] = 0
    assert photo.flags.writeable


def test_uv_points_at_each_vertex_pixel_centre_in_the_photo():
    # the photo is 2x the depth map: depth pixel (c, r) covers photo pixels 2c..2c+1, 2r..2r+1,
    # whose red channel is the photo column and green the photo row
    cap = lens_capture(slanted_plane())
    m = depthlab.mesh(cap)
    th, tw = m.texture.shape[:2]
    rows, cols = pixel_rc(m)
    px = m.uv[:, 0] * tw                 # texture x from uv (origin bottom-left, v up)
    py = (1.0 - m.uv[:, 1]) * th         # texture row from the top
    np.testing.assert_allclose(px, 2 * cols + 1.0, atol=1e-3)
    np.testing.assert_allclose(py, 2 * rows + 1.0, atol=1e-3)
    # the texel just right/below that point is the photo pixel (2c+1, 2r+1)
    tex = m.texture[np.floor(py + 0.25).astype(int), np.floor(px + 0.25).astype(int)]
    np.testing.assert_array_equal(tex[:, 0], (2 * cols + 1) % 256)
    np.testing.assert_array_equal(tex[:, 1], (2 * rows + 1) % 256)


def test_triangles_face_the_camera():
    m = depthlab.mesh(lens_capture(slanted_plane(30)))
    v = m.vertices.astype(np.float64)
    a, b, c = (v[m.faces[:, i]] for i in range(3))
    normal = np.cross(b - a, c - a)
    centroid = (a + b + c) / 3
    # camera at the origin: a normal pointing back at it has a negative dot with the centroid
    assert (np.einsum("ij,ij->i", normal, centroid) < 0).all()


def test_texture_is_capped_and_depth_coloured_without_a_photo():
    cap = lens_capture(slanted_plane())
    assert depthlab.mesh(cap, max_texture=32).texture.shape == (24, 32, 3)
    assert depthlab.mesh(cap, max_texture=None).texture.shape == (2 * H, 2 * W, 3)
    bare = Capture(disparity=cap.disparity, calibration=cap.calibration)
    m = depthlab.mesh(bare)
    assert m.texture.shape == (H, W, 3) and "depth" in m.metadata["colour"]
    assert len(np.unique(m.texture.reshape(-1, 3), axis=0)) > 10  # a ramp, not one colour


# ------------------------------------------------------------------------ cuts, wholes, holes


def test_a_smooth_slanted_surface_stays_whole():
    # the test camera has a short focal length (60 px): 40 degrees is a steep wall here, seen
    # at up to ~60 degrees from the ray at the far edge
    m = depthlab.mesh(lens_capture(slanted_plane(40)), simplify=0)
    assert len(m) == 2 * (H - 1) * (W - 1)


def test_an_occlusion_is_cut_and_no_face_bridges_it():
    m = depthlab.mesh(lens_capture(step_scene()), simplify=0)
    z = face_depths(m)
    assert not ((z.min(axis=1) < 1.5) & (z.max(axis=1) > 1.5)).any()
    # everything else stays: the square (23x23 cells) and the wall around it
    square_cells = 23 * 23
    assert (z.max(axis=1) < 1.5).sum() == 2 * square_cells
    # wall cells: all cells minus those touching the square (25x25 window of cells)
    wall_cells = (H - 1) * (W - 1) - 25 * 25
    assert (z.min(axis=1) > 1.5).sum() >= 2 * wall_cells


def test_holes_stay_holes():
    d = slanted_plane(20)
    d[10:20, 30:40] = np.nan
    m = depthlab.mesh(lens_capture(d), simplify=0)
    rows, cols = pixel_rc(m)
    assert not ((rows >= 10) & (rows < 20) & (cols >= 30) & (cols < 40)).any()
    # the 11 x 11 cells touching the hole lose their triangles, except that each of the four
    # corner cells still has three points: one triangle
    assert len(m) == 2 * ((H - 1) * (W - 1) - 11 * 11) + 4


def test_generated_rear_sample_cut_at_occlusions_against_the_truth():
    """<= 0.5 % of faces span > 5 % in depth; kept area 80-110 % of the full grid's area once
    the faces that bridge surfaces in the ground truth are removed (areas measured on the true
    surface, so a bridging face counts with its true, huge area)."""
    cap = depthlab.open(data_sample("rear_dual.heic"))
    truth = np.load(data_sample("rear_dual_truth.npz"))
    true_z = truth["depth_1e4m"].astype(np.float64).reshape(-1) / 1e4
    assert (true_z > 0).all()
    m = depthlab.mesh(cap)
    h, w = m.grid_shape
    # the true surface: the camera's pixel rays (from the projection with depth 1) x true depth
    ones = Capture(disparity=np.ones((h, w), np.float32), calibration=cap.calibration)
    rays = depthlab.project(ones).xyz.astype(np.float64)
    true_xyz = rays * true_z[:, None]

    def area(faces_px):
        a, b, c = (true_xyz[faces_px[:, i]] for i in range(3))
        return 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1).sum()

    def span(faces_px):
        z = true_z[faces_px]
        return (z.max(axis=1) - z.min(axis=1)) / z.min(axis=1)

    faces_px = m.pixel_index[m.faces]
    assert (span(faces_px) > 0.05).mean() <= 0.005
    own = m.vertices[:, 2][m.faces]
    assert ((own.max(axis=1) - own.min(axis=1)) / own.min(axis=1) > 0.05).mean() <= 0.005
    # the full grid: two triangles per cell, either diagonal (areas differ by < 1e-3 here)
    base = (np.arange(h - 1)[:, None] * w + np.arange(w - 1)[None, :]).reshape(-1)
    full = np.concatenate([np.stack([base, base + w, base + 1], 1), np.stack([base + 1, base + w, base + w + 1], 1)])
    full = full[span(full) <= 0.05]
    ratio = area(faces_px) / area(full)
    assert 0.80 <= ratio <= 1.10, ratio


# ------------------------------------------------------------------------------------ bad input


def test_all_nan_map_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="no valid"):
        depthlab.mesh(lens_capture(np.full((H, W), np.nan, np.float32)))


def test_one_row_map_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="2 x 2"):
        depthlab.mesh(lens_capture(np.ones((1, W), np.float32)))
    with pytest.raises(InvalidInputError, match="stride"):
        depthlab.mesh(lens_capture(slanted_plane()), stride=H)


def test_near_far_or_mask_that_leave_nothing_are_clear_errors():
    cap = lens_capture(slanted_plane(), mattes={"portrait": np.zeros((H, W), np.float32)})
    with pytest.raises(InvalidInputError, match="near/far/mask"):
        depthlab.mesh(cap, near=10, far=20)
    with pytest.raises(InvalidInputError, match="near/far/mask"):
        depthlab.mesh(cap, mask="portrait")
    with pytest.raises(InvalidInputError, match="near/far/mask"):
        depthlab.mesh(cap, mask=np.zeros((H, W), bool))


def test_isolated_points_give_no_triangle_and_say_so():
    d = np.full((H, W), np.nan, np.float32)
    d[::2, ::2] = 1.0  # no two neighbours
    with pytest.raises(InvalidInputError, match="neighbour"):
        depthlab.mesh(lens_capture(d))


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "x"])
def test_bad_max_step(bad):
    with pytest.raises(DepthlabError):
        depthlab.mesh(lens_capture(slanted_plane()), max_step=bad)


def test_real_pug_meshes_with_most_of_its_grid():
    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    m = depthlab.mesh(cap, simplify=0)
    h, w = m.grid_shape
    # a real photo: most cells are whole, some are cut (the pug in front of the floor)
    assert 0.8 * 2 * (h - 1) * (w - 1) < len(m) < 2 * (h - 1) * (w - 1)
    assert m.texture.shape == (3024, 4032, 3)


# ------------------------------------------------------------------------------- simplification


def boundary_edges(faces_px: np.ndarray) -> set[tuple[int, int]]:
    """Edges used by exactly one triangle, as sorted pixel-index pairs."""
    e = np.sort(np.concatenate([faces_px[:, [0, 1]], faces_px[:, [1, 2]], faces_px[:, [2, 0]]]), axis=1)
    uniq, counts = np.unique(e, axis=0, return_counts=True)
    return set(map(tuple, uniq[counts == 1].tolist()))


@pytest.mark.parametrize("sample", ["rear_dual.heic", "front_truedepth.heic"])
def test_simplified_mesh_has_no_cracks_and_the_same_outline(sample):
    # a T-junction would leave edges used once inside the surface: the open edges of the
    # simplified mesh must be exactly those of the full grid mesh (its cuts and its border)
    cap = depthlab.open(data_sample(sample))
    full = depthlab.mesh(cap, simplify=0)
    simple = depthlab.mesh(cap)
    assert len(simple) < 0.5 * len(full)
    np.testing.assert_array_equal(simple.vertices, full.vertices)
    assert boundary_edges(simple.pixel_index[simple.faces]) == boundary_edges(full.pixel_index[full.faces])
    # every edge is shared by at most two triangles, and the area is the same surface
    f = simple.faces
    e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    assert np.unique(e, axis=0, return_counts=True)[1].max() == 2
    # the same surface: the big triangles skip the stair-steps of the 8-bit disparity, which add
    # area to the full grid (15% on the rear sample, 16% on the front one, against the grid mesh of
    # the true disparity); the simplified surface keeps all of the true surface's area and sheds
    # part of that surplus (rear 8.36 of 8.62 m², truth 7.51; front 0.561 of 0.606 m², truth 0.521)
    truth = synth.load_truth(data_sample(sample))
    true_cap = Capture(disparity=truth.stored_disparity(1 / truth.depth_m).astype(np.float32),
                       calibration=cap.calibration, accuracy=cap.accuracy, camera=cap.camera)
    true_area = depthlab.mesh(true_cap, simplify=0).area()
    assert true_area <= simple.area() <= full.area()
    assert simple.area() - true_area < full.area() - true_area


def test_a_plane_simplifies_to_fans_that_face_the_camera_and_a_curve_does_not():
    plane = depthlab.mesh(lens_capture(slanted_plane(30)))
    full = 2 * (H - 1) * (W - 1)
    assert len(plane) < 0.25 * full
    v = plane.vertices.astype(np.float64)
    a, b, c = (v[plane.faces[:, i]] for i in range(3))
    assert (np.einsum("ij,ij->i", np.cross(b - a, c - a), (a + b + c) / 3) < 0).all()
    yy, xx = np.mgrid[0:H, 0:W]
    # ripples 2 cm deep at 2 m, 8 pixels apart: nowhere flat over a 4-pixel block
    ripple = (1.0 / (0.5 + 0.0025 * np.sin(2 * np.pi * (xx + yy) / 8))).astype(np.float32)
    assert len(depthlab.mesh(lens_capture(ripple))) == full


# ------------------------------------------------------------------------------------- files

import json  # noqa: E402
import struct  # noqa: E402

trimesh = pytest.importorskip("trimesh", reason="trimesh reads the mesh files back")

COMPONENT_DTYPE = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
TYPE_SIZE = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


def parse_glb(data: bytes) -> tuple[dict, bytes]:
    """The JSON and BIN chunks of a GLB, checking the container as the glTF 2.0 spec states
    it (12-byte header 'glTF', version 2, total length; chunks padded to 4 bytes)."""
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    assert magic == b"glTF" and version == 2 and length == len(data)
    off, chunks = 12, {}
    while off < length:
        clen, ctype = struct.unpack_from("<I4s", data, off)
        assert clen % 4 == 0, f"chunk {ctype} of {clen} bytes is not 4-byte aligned"
        chunks[ctype] = data[off + 8: off + 8 + clen]
        off += 8 + clen
    assert off == length
    return json.loads(chunks[b"JSON"]), chunks.get(b"BIN\x00", b"")


def accessor_array(gltf: dict, binary: bytes, index: int) -> np.ndarray:
    acc = gltf["accessors"][index]
    view = gltf["bufferViews"][acc["bufferView"]]
    dtype = np.dtype(COMPONENT_DTYPE[acc["componentType"]])
    n = TYPE_SIZE[acc["type"]]
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    assert start % dtype.itemsize == 0 and view.get("byteOffset", 0) % 4 == 0
    assert view.get("byteStride", dtype.itemsize * n) == dtype.itemsize * n  # tightly packed here
    return np.frombuffer(binary, dtype=dtype, count=acc["count"] * n, offset=start).reshape(acc["count"], n)


@pytest.fixture(scope="module")
def rear_mesh():
    return depthlab.mesh(depthlab.open(data_sample("rear_dual.heic")))


def test_glb_is_valid_gltf_upright_textured_and_unlit(rear_mesh, tmp_path):
    from PIL import Image

    m = rear_mesh
    path = m.save(tmp_path / "rear.glb")
    gltf, binary = parse_glb(path.read_bytes())
    assert gltf["asset"]["version"] == "2.0"
    prim = gltf["meshes"][0]["primitives"][0]
    pos = accessor_array(gltf, binary, prim["attributes"]["POSITION"]).astype(np.float64)
    acc = gltf["accessors"][prim["attributes"]["POSITION"]]
    # the spec requires min/max on POSITION, and they must be the data's
    np.testing.assert_allclose(acc["min"], pos.min(axis=0), rtol=1e-6)
    np.testing.assert_allclose(acc["max"], pos.max(axis=0), rtol=1e-6)
    idx = accessor_array(gltf, binary, prim["indices"]).reshape(-1, 3)
    assert idx.max() < len(pos) and len(idx) == len(m)
    uv = accessor_array(gltf, binary, prim["attributes"]["TEXCOORD_0"])
    assert (uv >= 0).all() and (uv <= 1).all()
    # glTF axes: looking down -z, so everything is at negative z; y up, so the photo's top
    # rows are higher than its bottom rows; same distances as the camera frame
    kept, faces = m.used_vertices()
    assert (pos[:, 2] < 0).all()
    np.testing.assert_allclose(np.sort(-pos[:, 2]), np.sort(m.vertices[kept, 2]), rtol=1e-6)
    rows = m.pixel_index[kept] // m.grid_shape[1]
    top, bottom = rows < 50, rows > m.grid_shape[0] - 50
    assert pos[top, 1].mean() > 0 > pos[bottom, 1].mean()
    # glTF uv: origin at the image's top-left; a vertex in the photo's top rows has small v
    assert uv[top, 1].max() < 0.1 and uv[bottom, 1].min() > 0.9
    # triangles face the viewer at the origin looking down -z: counter-clockwise seen from it
    a, b, c = (pos[idx[:, i]] for i in range(3))
    facing = np.einsum("ij,ij->i", np.cross(b - a, c - a), (a + b + c) / 3)
    assert (facing < 0).mean() > 0.99
    # the photo is embedded as a JPEG, the material's base colour texture, unlit
    image = gltf["images"][gltf["textures"][0]["source"]]
    view = gltf["bufferViews"][image["bufferView"]]
    jpeg = binary[view.get("byteOffset", 0): view.get("byteOffset", 0) + view["byteLength"]]
    assert image["mimeType"] == "image/jpeg" and jpeg[:2] == b"\xff\xd8"
    import io

    assert Image.open(io.BytesIO(jpeg)).size == (m.texture.shape[1], m.texture.shape[0])
    mat = gltf["materials"][prim["material"]]
    assert mat["pbrMetallicRoughness"]["baseColorTexture"]["index"] == 0
    assert "KHR_materials_unlit" in mat["extensions"] and "KHR_materials_unlit" in gltf["extensionsUsed"]


def test_glb_reads_back_with_trimesh(rear_mesh, tmp_path):
    m = rear_mesh
    path = m.save(tmp_path / "rear.glb")
    scene = trimesh.load(path, process=False)
    (g,) = scene.geometry.values()
    kept, faces = m.used_vertices()
    assert len(g.faces) == len(m) and len(g.vertices) == len(kept)
    np.testing.assert_allclose(np.sort(g.vertices[:, 0]), np.sort(m.vertices[kept, 0]), atol=1e-6)
    assert g.visual.uv.shape == (len(kept), 2)
    assert g.visual.material.baseColorTexture.size == (m.texture.shape[1], m.texture.shape[0])


def test_real_pug_glb_is_shareable_and_faithful(tmp_path):
    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    m = depthlab.mesh(cap)
    path = m.save(tmp_path / "pug.glb")
    assert path.stat().st_size <= 12_000_000
    # faithful: the stored surface passes within one stored disparity step of every point of
    # the full grid (the simplified triangles are planar fits of flat 4x4 blocks)
    full = depthlab.mesh(cap, simplify=0)
    step = cap.encoding.step
    gltf, binary = parse_glb(path.read_bytes())
    prim = gltf["meshes"][0]["primitives"][0]
    pos = accessor_array(gltf, binary, prim["attributes"]["POSITION"]).astype(np.float64)
    idx = accessor_array(gltf, binary, prim["indices"]).reshape(-1, 3)
    # every point of the full grid lies in some stored triangle's image-space footprint; its
    # depth there, interpolated linearly in disparity over the triangle, matches within a step
    z_full = full.vertices[:, 2].astype(np.float64)
    assert len(idx) < 0.5 * len(full)
    assert (1.0 / z_full).max() - (1.0 / z_full).min() > 20 * step  # the check below is not vacuous
    kept, _ = m.used_vertices()
    h, w = m.grid_shape
    px = m.pixel_index[kept]
    r, c = px // w, px % w
    # for every stored triangle, barycentric interpolation of disparity at the grid points inside it
    worst = 0.0
    zgrid = np.full(h * w, np.nan)
    zgrid[full.pixel_index] = z_full
    big = np.flatnonzero(np.ptp(r[idx], axis=1) > 1)
    for t in big[:: max(1, len(big) // 2000)]:
        tr, tc = r[idx[t]].astype(float), c[idx[t]].astype(float)
        d = 1.0 / -pos[idx[t], 2]
        rr, cc = np.mgrid[int(tr.min()): int(tr.max()) + 1, int(tc.min()): int(tc.max()) + 1]
        m_ = np.array([[tc[0], tc[1], tc[2]], [tr[0], tr[1], tr[2]], [1, 1, 1]])
        lam = np.linalg.solve(m_, np.stack([cc.ravel(), rr.ravel(), np.ones(cc.size)]))
        inside = (lam >= -1e-9).all(axis=0)
        pred = d @ lam[:, inside]
        actual = 1.0 / zgrid[(rr.ravel() * w + cc.ravel())[inside]]
        worst = max(worst, float(np.abs(pred - actual).max()))
    assert worst <= 2 * step


def test_obj_comes_with_its_material_and_texture(rear_mesh, tmp_path):
    m = rear_mesh
    path = m.save(tmp_path / "rear.obj")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rear.jpeg", "rear.mtl", "rear.obj"]
    text = path.read_text()
    assert "mtllib rear.mtl" in text and "usemtl rear" in text
    mtl = (tmp_path / "rear.mtl").read_text()
    assert "map_Kd rear.jpeg" in mtl and "Kd 1.0 1.0 1.0" in mtl
    back = trimesh.load(path, process=False)
    kept, _ = m.used_vertices()
    assert len(back.faces) == len(m) and len(back.vertices) == len(kept)
    assert back.visual.material.image.size == (m.texture.shape[1], m.texture.shape[0])
    assert back.visual.uv.shape == (len(kept), 2)


def test_obj_set_is_never_half_written(rear_mesh, tmp_path, monkeypatch):
    m = rear_mesh
    (tmp_path / "a.mtl").write_text("mine")
    with pytest.raises(depthlab.OverwriteError, match="a.mtl"):
        m.save(tmp_path / "a.obj")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mtl"]
    assert (tmp_path / "a.mtl").read_text() == "mine"
    # a failure while writing the OBJ itself removes the texture and material written before it
    import depthlab.exchange.meshes as mf

    real = mf.atomic_write

    def failing(path, overwrite=False):
        if str(path).endswith(".obj"):
            raise depthlab.WriteError("disk full (simulated)")
        return real(path, overwrite=overwrite)

    monkeypatch.setattr(mf, "atomic_write", failing)
    with pytest.raises(depthlab.WriteError):
        m.save(tmp_path / "b.obj")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mtl"]


def test_ply_has_faces_and_the_photo_colours(rear_mesh, tmp_path):
    m = rear_mesh
    path = m.save(tmp_path / "rear.ply")
    back = trimesh.load(path, process=False)
    kept, faces = m.used_vertices()
    assert len(back.faces) == len(m)
    np.testing.assert_array_equal(back.faces, faces)
    np.testing.assert_allclose(back.vertices, m.vertices[kept] * [1, -1, -1], atol=1e-6)
    # colour of each vertex = the photo at its pixel (photo at 2x: the top-left texel of the 2x2)
    h, w = m.grid_shape
    th, tw = m.texture.shape[:2]
    px = m.pixel_index[kept]
    expect = m.texture[(px // w) * th // h + th // (2 * h), (px % w) * tw // w + tw // (2 * w)]
    np.testing.assert_array_equal(back.visual.vertex_colors[:, :3], expect)
    assert b"comment depthlab" in path.read_bytes()[:2000]


def test_stl_of_the_surface_in_millimetres_on_the_bed(rear_mesh, tmp_path):
    m = rear_mesh
    path = m.save(tmp_path / "rear.stl")
    back = trimesh.load(path, process=False)
    assert len(back.faces) == len(m)
    kept, _ = m.used_vertices()
    span = np.ptp(m.vertices[kept].astype(np.float64), axis=0) * 1000
    np.testing.assert_allclose(back.extents, span, rtol=1e-5)
    assert back.bounds[0][2] == pytest.approx(0.0, abs=1e-3)


def test_files_are_not_overwritten_and_bad_names_are_refused(rear_mesh, tmp_path):
    p = tmp_path / "x.glb"
    p.write_bytes(b"mine")
    with pytest.raises(depthlab.OverwriteError):
        rear_mesh.save(p)
    assert p.read_bytes() == b"mine"
    rear_mesh.save(p, overwrite=True)
    assert p.read_bytes()[:4] == b"glTF"
    with pytest.raises(InvalidInputError, match=".glb"):
        rear_mesh.save(tmp_path / "x.fbx")
    assert not (tmp_path / "x.fbx").exists()


def test_missing_trimesh_is_named(rear_mesh, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "trimesh", None)
    with pytest.raises(DepthlabError, match="pip install trimesh"):
        rear_mesh.save(tmp_path / "x.glb")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------ solid


def edge_use_counts(faces: np.ndarray) -> np.ndarray:
    e = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    return np.unique(e, axis=0, return_counts=True)[1]


def signed_volume(v: np.ndarray, f: np.ndarray) -> float:
    a, b, c = (v[f[:, i]].astype(np.float64) for i in range(3))
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


@pytest.mark.parametrize("kw", [{}, {"far": 1.8}, {"stride": 3, "simplify": 0}, {"model": "orthographic"}])
def test_solid_is_closed_with_positive_volume_and_its_stl_is_watertight(kw, tmp_path):
    cap = depthlab.open(data_sample("rear_dual.heic"))
    m = depthlab.mesh(cap, **kw)
    sol = m.solid()
    # every edge shared by exactly two triangles; volume positive (faces point outwards)
    assert (edge_use_counts(sol.faces) == 2).all()
    vol = signed_volume(sol.vertices, sol.faces)
    assert vol > 0
    # the flat back: a plane behind the farthest point, perpendicular to the camera axis
    zmax = m.vertices[np.unique(m.faces), 2].max()
    back_z = sol.vertices[:, 2].max()
    assert back_z > zmax and (np.isclose(sol.vertices[:, 2], back_z)).sum() >= len(sol.vertices) // 2
    path = sol.save(tmp_path / "relief.stl")
    stl = trimesh.load(path)
    assert stl.is_watertight and stl.is_winding_consistent and stl.volume > 0
    # millimetres: the STL's volume is the solid's in m^3 x 1e9 (the y/z flips keep handedness)
    if m.units == "m":
        assert stl.volume == pytest.approx(vol * 1e9, rel=1e-3)


def test_solid_closes_occlusions_as_walls_but_keeps_holes():
    d = step_scene()
    d[40:44, 2:6] = np.nan
    m = depthlab.mesh(lens_capture(d), simplify=0)
    sol = m.solid(thickness=0.1)
    front = sol.metadata["solid"]["front_triangles"]
    # every cell that has its points is triangulated again, the occlusion's cells included;
    # the 5x5 cells touching the hole are not (its four corner cells keep one triangle each)
    assert front == 2 * ((H - 1) * (W - 1) - 5 * 5) + 4
    assert (edge_use_counts(sol.faces) == 2).all()
    assert sol.vertices[:, 2].max() == pytest.approx(2.1)


def test_metric_solid_of_a_relative_capture_is_refused():
    cap = depthlab.open(data_sample("rear_dual.heic"))
    assert cap.accuracy == "relative"
    m = depthlab.mesh(cap, stride=4)
    with pytest.raises(InvalidInputError, match="relative"):
        m.solid(metric=True)
    with pytest.raises(InvalidInputError, match="arbitrary"):
        depthlab.mesh(cap, stride=4, model="orthographic", depth_scale=2).solid(metric=True)
    front = depthlab.mesh(lens_capture(slanted_plane()), simplify=0)  # absolute, metres
    assert (edge_use_counts(front.solid(metric=True).faces) == 2).all()
    with pytest.raises(InvalidInputError, match="thickness"):
        front.solid(thickness=-1)


# ---------------------------------------------------------------------------------------- CLI


def test_cli_exports_meshes_with_the_projection_options(tmp_path, capsys):
    from depthlab.cli import main

    src = data_sample("rear_dual.heic")
    for fmt in ("glb", "obj", "stl"):
        code = main(["export", str(src), "-o", str(tmp_path / fmt), "--format", fmt, "--stride", "2",
                     "--far", "2.0", "--jobs", "1", "--no-progress"])
        assert code == 0, capsys.readouterr().err
    assert (tmp_path / "glb" / "rear_dual.glb").read_bytes()[:4] == b"glTF"
    assert sorted(p.name for p in (tmp_path / "obj").iterdir()) == ["rear_dual.jpeg", "rear_dual.mtl", "rear_dual.obj"]
    # the same mesh as the API gives with those options: far=2.0 drops the wall
    api = depthlab.mesh(depthlab.open(src), stride=2, far=2.0)
    (g,) = trimesh.load(tmp_path / "glb" / "rear_dual.glb").geometry.values()
    assert len(g.faces) == len(api)
    # STL from the command line is the closed relief, ready for a slicer
    stl = trimesh.load(tmp_path / "stl" / "rear_dual.stl")
    assert stl.is_watertight and stl.volume > 0
    # nothing is overwritten without --force: the run fails for that photo, the file stays
    before = (tmp_path / "glb" / "rear_dual.glb").read_bytes()
    code = main(["export", str(src), "-o", str(tmp_path / "glb"), "--format", "glb", "--jobs", "1", "--no-progress"])
    assert code == 1 and "--force" in capsys.readouterr().err
    assert (tmp_path / "glb" / "rear_dual.glb").read_bytes() == before


def test_cli_mesh_export_of_nothing_is_one_clear_line(tmp_path, capsys):
    from depthlab.cli import main

    code = main(["export", str(data_sample("rear_dual.heic")), "-o", str(tmp_path), "--format", "glb",
                 "--near", "50", "--jobs", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "nothing to mesh" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------- HTML page


def page_config(html: str) -> tuple[dict, dict]:
    import re

    config = json.loads(re.search(r'<script type="application/json" id="depthlab-config">(.*?)</script>', html, re.S)
                        .group(1).replace("<\\/", "</"))
    blocks = dict(re.findall(r'<script type="application/octet-stream" id="([^"]+)">(.*?)</script>', html, re.S))
    return config, blocks


def test_html_page_of_a_surface_holds_the_mesh_and_the_photo(rear_mesh, tmp_path):
    import base64
    import io

    from PIL import Image

    m = rear_mesh
    path = m.to_html(tmp_path / "surface.html")
    html = path.read_text(encoding="utf-8")
    assert "<script src" not in html and "http://" not in html.split("<script>")[0]
    config, blocks = page_config(html)
    (desc,) = config["clouds"]
    assert desc["kind"] == "mesh" and desc["triangles"] == len(m)
    kept, faces = m.used_vertices()
    idx = np.frombuffer(base64.b64decode(blocks[desc["indices"]["element"]]), dtype="<u4").reshape(-1, 3)
    np.testing.assert_array_equal(idx, faces)
    q = np.frombuffer(base64.b64decode(blocks[desc["positions"]["element"]]), dtype="<u2").reshape(-1, 3)
    pos = np.asarray(desc["positions"]["min"]) + q / 65535.0 * np.asarray(desc["positions"]["span"])
    # three.js frame: x right, y up, z toward the viewer; within the stated storage error
    np.testing.assert_allclose(pos, m.vertices[kept] * [1, -1, -1], atol=max(desc["positions"]["max_error"]) * 1.01)
    uv = np.frombuffer(base64.b64decode(blocks[desc["uv"]["element"]]), dtype="<u2").reshape(-1, 2) / 65535.0
    np.testing.assert_allclose(uv, m.uv[kept], atol=1e-5)
    jpeg = base64.b64decode(blocks[desc["texture"]["element"]])
    assert Image.open(io.BytesIO(jpeg)).size == (m.texture.shape[1], m.texture.shape[0])
    assert "triangles" in desc["caption"]["line"]
    with pytest.raises(depthlab.OverwriteError):
        m.to_html(path)


@pytest.mark.browser
def test_html_surface_draws_the_photo_and_orbits(rear_mesh, tmp_path):
    tb = pytest.importorskip("test_html_browser")
    if not tb.CHROMIUM.is_file():
        tb.unavailable(f"browser test needs Chromium at {tb.CHROMIUM}")
    from playwright.sync_api import sync_playwright

    path = rear_mesh.to_html(tmp_path / "surface.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(tb.CHROMIUM), headless=True, args=tb.ARGS)
        try:
            s = tb.Session(browser, path.as_uri())
            s.page.wait_for_selector("html[data-depthlab-texture]", state="attached", timeout=60_000)
            first = s.picture()
            assert s.errors() == [] and s.blocked == []
            body = first[60:540].astype(int)              # between the panel and the caption
            background = (np.abs(body - np.array(tb.BACKGROUND)).sum(axis=2) < 12).mean()
            # the photo fills the view from the phone's position: little background, and the
            # photo's own colours (the generated scene's red ball, blue jumper, wooden floor)
            assert background < 0.15
            red = (body[..., 0] > 170) & (body[..., 1] < 90) & (body[..., 2] < 90)
            blue = (body[..., 2] > 140) & (body[..., 0] < 110)
            assert red.mean() > 0.002 and blue.mean() > 0.02
            assert body.std(axis=(0, 1)).min() > 25   # textured, not the grey drawn before the photo loads
            s.page.mouse.move(400, 300)
            s.page.mouse.down()
            s.page.mouse.move(480, 300, steps=8)
            s.page.mouse.up()
            turned = s.picture()
            assert tb.changed_fraction(first, turned) > 0.2
            s.page.keyboard.press("r")
            back = s.picture()
            assert tb.changed_fraction(first, back) < 0.01
            s.close()
        finally:
            browser.close()


def test_to_html_of_a_capture_offers_the_surface(tmp_path):
    """depthlab.to_html(cap, render="surface"): the page holds the capture's mesh, the same
    triangles depthlab.mesh makes with those options; the explore export in surface mode too."""
    cap = depthlab.open(data_sample("rear_dual.heic"))
    expected = depthlab.mesh(cap, stride=2, far=3.0)
    path = depthlab.to_html(cap, tmp_path / "s.html", render="surface", stride=2, far=3.0)
    config, _ = page_config(path.read_text(encoding="utf-8"))
    (desc,) = config["clouds"]
    # the measured triangles first (then, fill behind edges on by default, the invented layer's)
    assert desc["kind"] == "mesh" and desc["second_layer_faces_from"] == len(expected) < desc["triangles"]
    with pytest.raises(depthlab.InvalidInputError, match="render must be one of"):
        depthlab.to_html(cap, tmp_path / "x.html", render="mesh")
    assert not (tmp_path / "x.html").exists()
    ex = depthlab.explore(cap, render="surface", stride=2)
    out = ex.export("html", folder=tmp_path)
    config, _ = page_config(out.read_text(encoding="utf-8"))
    assert [d["kind"] for d in config["clouds"]] == ["mesh"]
    # the measured triangles first, then (fill behind edges, on by default) the invented layer's
    assert config["clouds"][0]["second_layer_faces_from"] == len(depthlab.mesh(cap, stride=2))
    assert config["clouds"][0]["triangles"] > len(depthlab.mesh(cap, stride=2))
    ex.set(render="points")
    config, _ = page_config(ex.export("html", folder=tmp_path).read_text(encoding="utf-8"))
    assert [d.get("kind", "points") for d in config["clouds"]] == ["points"]
