"""Surfaces: a depth photo as a textured mesh — the grid, the cuts, the files, the solid."""

from __future__ import annotations

import numpy as np
import pytest

import depthlab
from conftest import data_sample, shared_sample
from depthlab.capture import Calibration, CameraInfo, Capture
from depthlab.errors import DepthlabError, InvalidInputError

W, H = 64, 48
K_REF = [[120.0, 0, 64.0], [0, 130.0, 48.0], [0, 0, 1]]  # at 128x96


def make_capture(depth: np.ndarray, rgb: np.ndarray | None = None, accuracy: str = "absolute", **kw) -> Capture:
    h, w = depth.shape
    disparity = np.where(np.isfinite(depth), 1.0 / depth, np.nan).astype(np.float32)
    if rgb is None:
        rgb = np.zeros((h * 2, w * 2, 3), dtype=np.uint8)
        rgb[..., 0] = (np.arange(w * 2) % 256).astype(np.uint8)[None, :]
        rgb[..., 1] = (np.arange(h * 2) % 256).astype(np.uint8)[:, None]
        rgb[..., 2] = 7
    cal = Calibration(intrinsic_matrix=K_REF, reference_size=(2 * w, 2 * h))
    return Capture(disparity=disparity, calibration=cal, accuracy=accuracy, rgb_loader=lambda: rgb,
                   camera=CameraInfo(kind="front TrueDepth"), **kw)


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
    cap = make_capture(slanted_plane())
    photo = cap.rgb
    m = depthlab.mesh(cap)
    for a in (m.vertices, m.faces, m.uv, m.texture, m.pixel_index):
        with pytest.raises(ValueError):
            a.flat[0] = 0
    assert photo.flags.writeable


def test_uv_points_at_each_vertex_pixel_centre_in_the_photo():
    # the photo is 2x the depth map: depth pixel (c, r) covers photo pixels 2c..2c+1, 2r..2r+1,
    # whose red channel is the photo column and green the photo row
    cap = make_capture(slanted_plane())
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
    m = depthlab.mesh(make_capture(slanted_plane(30)))
    v = m.vertices.astype(np.float64)
    a, b, c = (v[m.faces[:, i]] for i in range(3))
    normal = np.cross(b - a, c - a)
    centroid = (a + b + c) / 3
    # camera at the origin: a normal pointing back at it has a negative dot with the centroid
    assert (np.einsum("ij,ij->i", normal, centroid) < 0).all()


def test_texture_is_capped_and_depth_coloured_without_a_photo():
    cap = make_capture(slanted_plane())
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
    m = depthlab.mesh(make_capture(slanted_plane(40)))
    assert len(m) == 2 * (H - 1) * (W - 1)


def test_an_occlusion_is_cut_and_no_face_bridges_it():
    m = depthlab.mesh(make_capture(step_scene()))
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
    m = depthlab.mesh(make_capture(d))
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
        depthlab.mesh(make_capture(np.full((H, W), np.nan, np.float32)))


def test_one_row_map_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="2 x 2"):
        depthlab.mesh(make_capture(np.ones((1, W), np.float32)))
    with pytest.raises(InvalidInputError, match="stride"):
        depthlab.mesh(make_capture(slanted_plane()), stride=H)


def test_near_far_or_mask_that_leave_nothing_are_clear_errors():
    cap = make_capture(slanted_plane(), mattes={"portrait": np.zeros((H, W), np.float32)})
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
        depthlab.mesh(make_capture(d))


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "x"])
def test_bad_max_step(bad):
    with pytest.raises(DepthlabError):
        depthlab.mesh(make_capture(slanted_plane()), max_step=bad)


def test_real_pug_meshes_with_most_of_its_grid():
    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    m = depthlab.mesh(cap)
    h, w = m.grid_shape
    # a real photo: most cells are whole, some are cut (the pug in front of the floor)
    assert 0.8 * 2 * (h - 1) * (w - 1) < len(m) < 2 * (h - 1) * (w - 1)
    assert m.texture.shape == (3024, 4032, 3)
