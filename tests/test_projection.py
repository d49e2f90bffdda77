"""Projection: the four models, the Projector contract, options, and agreement with Open3D."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import data_sample, make_capture, shared_sample
from depthlab.camera import estimate_calibration, undistort_points
from depthlab.capture import Calibration, CameraInfo, Capture
from depthlab.errors import CalibrationError, InvalidInputError
from depthlab.colour import depth_colours
from depthlab.projection import Projector, project
import depthlab
from depthlab.settings import ProjectionSettings

W, H = 64, 48
K_REF = [[120.0, 0, 64.0], [0, 130.0, 48.0], [0, 0, 1]]  # at 128x96, fx != fy


def plane_capture(depth: np.ndarray | None = None, calibrated: bool = True, **kw) -> Capture:
    """A tilted plane (or ``depth``) seen through K_REF at 128x96, a colour gradient at twice the
    depth map's size (decoded on first use) and a portrait matte over the left half."""
    if depth is None:
        yy, xx = np.mgrid[0:H, 0:W]
        depth = (0.5 + 0.01 * xx + 0.02 * yy).astype(np.float32)
    rgb = np.zeros((H * 2, W * 2, 3), dtype=np.uint8)
    rgb[..., 0] = np.arange(W * 2, dtype=np.uint8)[None, :]
    rgb[..., 1] = np.arange(H * 2, dtype=np.uint8)[:, None]
    rgb[..., 2] = 7
    matte = np.zeros((H // 2, W // 2), dtype=np.float32)
    matte[:, : W // 4] = 1.0  # left half at half resolution
    kw.setdefault("mattes", {"portrait": matte})
    return make_capture(depth, intrinsics=K_REF if calibrated else None, reference_size=(128, 96), rgb=rgb,
                        lazy_rgb=True, **kw)


# ------------------------------------------------------------------------------------ contract


@pytest.mark.parametrize("stride", [1, 2, 5])
def test_points_contract_shapes_dtypes_and_buffer_reuse(stride):
    proj = Projector(plane_capture(), stride=stride)
    m = math.ceil(H / stride) * math.ceil(W / stride)
    xyz, valid = proj.points()
    assert xyz.shape == (m, 3) and xyz.dtype == np.float32
    assert valid.shape == (m,) and valid.dtype == bool and valid.all()
    xyz2, valid2 = proj.points(near=0.8)
    assert xyz2 is xyz and valid2 is valid  # buffers reused between calls
    for mode in ("rgb", "depth", "matte"):
        c = proj.colours(mode)
        assert c.shape == (m, 3) and c.dtype == np.uint8
        assert proj.colours(mode) is c  # cached


def test_pinhole_is_depth_times_the_ray_with_centre_origin_intrinsics():
    cap = plane_capture()
    cloud = project(cap, colour="depth")
    k = cap.calibration.intrinsics_at(W, H)
    v, u = np.divmod(cloud.pixel_index, W)
    z = cap.depth.reshape(-1)[cloud.pixel_index]
    assert np.allclose(cloud.xyz[:, 2], z)
    assert np.allclose(cloud.xyz[:, 0], (u - k[0, 2]) / k[0, 0] * z, atol=1e-6)
    assert np.allclose(cloud.xyz[:, 1], (v - k[1, 2]) / k[1, 1] * z, atol=1e-6)
    assert cloud.units == "m" and cloud.model == "pinhole" and cloud.grid_shape == (H, W)
    assert np.allclose(cloud.metadata["intrinsics"], k)


def test_a_plane_stays_a_plane():
    depth = np.full((H, W), 2.0, dtype=np.float32)
    cloud = project(plane_capture(depth))
    assert np.all(cloud.xyz[:, 2] == 2.0)
    lo, hi = cloud.bounds
    k = plane_capture().calibration.intrinsics_at(W, H)
    assert lo[0] == pytest.approx((0 - k[0, 2]) / k[0, 0] * 2, abs=1e-6)
    assert hi[1] == pytest.approx((H - 1 - k[1, 2]) / k[1, 1] * 2, abs=1e-6)


def test_nan_near_far_and_mask_drop_points_and_pixel_index_remembers():
    depth = plane_capture().depth.copy()
    depth[3, 5] = np.nan
    depth[10, 10:20] = np.nan
    cap = plane_capture(depth)
    cloud = project(cap, near=0.7, far=1.2, mask="portrait")
    d = cap.depth.reshape(-1)
    z = d[cloud.pixel_index]
    assert np.all(np.isfinite(cloud.xyz)) and np.all((z >= 0.7) & (z <= 1.2))
    assert np.allclose(cloud.xyz[:, 2], z)
    v, u = np.divmod(cloud.pixel_index, W)
    assert np.all(u < W // 2)  # the portrait matte covers the left half
    expected = np.isfinite(d) & (d >= 0.7) & (d <= 1.2) & (np.arange(H * W) % W < W // 2)
    assert np.array_equal(np.sort(cloud.pixel_index), np.flatnonzero(expected))
    assert cloud.metadata["depth_range_m"][0] >= np.float32(0.7)


def test_stride_pixel_index_points_into_the_full_depth_map():
    cap = plane_capture()
    cloud = project(cap, stride=3, near=0.9)
    v, u = np.divmod(cloud.pixel_index, W)
    assert np.all(v % 3 == 0) and np.all(u % 3 == 0)
    assert np.allclose(cloud.xyz[:, 2], cap.depth[v, u])


def test_mask_array_and_unknown_matte():
    cap = plane_capture()
    m = np.zeros((H, W), dtype=bool)
    m[:10, :10] = True
    assert len(project(cap, mask=m)) == 100
    with pytest.raises(InvalidInputError, match="portrait"):
        project(cap, mask="sky")
    with pytest.raises(InvalidInputError):
        project(cap, mask=np.ones((3, 3)))


def test_colours_rgb_depth_matte():
    cap = plane_capture()
    proj = Projector(cap, stride=2)
    rgb = proj.colours("rgb")
    expected = cap.rgb_at(W, H)[::2, ::2].reshape(-1, 3)
    assert np.array_equal(rgb, expected)
    dc = proj.colours("depth").reshape(math.ceil(H / 2), math.ceil(W / 2), 3)
    assert dc[0, 0].tolist() == [253, 231, 37]   # nearest: viridis yellow
    assert dc[-1, -1].tolist() == [68, 1, 84]    # farthest: viridis purple
    mc = proj.colours("matte", matte="portrait").reshape(math.ceil(H / 2), math.ceil(W / 2), 3)
    assert mc[5, 2].tolist() == [255, 255, 255] and mc[5, -2].tolist() == [0, 0, 0]
    cloud = proj.cloud(colour="matte", mask="portrait")
    assert np.all(cloud.rgb >= 128)
    with pytest.raises(InvalidInputError):
        proj.colours("rainbow")


def test_depth_colours_grey_for_unknown():
    c = depth_colours(np.array([1.0, np.nan, 2.0], dtype=np.float32))
    assert c.tolist() == [[253, 231, 37], [96, 96, 96], [68, 1, 84]]


def test_rgb_falls_back_to_depth_colours_without_a_colour_image():
    cap = Capture(disparity=np.full((3, 4), 2.0, np.float32),
                  calibration=Calibration(intrinsic_matrix=K_REF, reference_size=(128, 96)))
    cloud = project(cap)
    assert "no colour image" in cloud.metadata["colour"] and len(cloud) == 12


# ------------------------------------------------------------------------------- other models


def test_orthographic_is_the_flat_grid_with_depth_scale_and_aspect():
    cap = plane_capture()
    cloud = project(cap, model="orthographic", depth_scale=3.0, aspect=2.0)
    v, u = np.divmod(cloud.pixel_index, W)
    assert np.allclose(cloud.xyz[:, 0], (u - (W - 1) / 2) / W)
    assert np.allclose(cloud.xyz[:, 1], 2.0 * (v - (H - 1) / 2) / W)
    assert np.allclose(cloud.xyz[:, 2], 3.0 * cap.depth[v, u])
    assert cloud.units == "arbitrary" and cloud.model == "orthographic"
    assert "arbitrary" in cloud.caption()


def test_disparity_as_z_keeps_the_order_but_not_the_shape():
    cap = plane_capture()
    cloud = project(cap, model="disparity-as-z")
    v, u = np.divmod(cloud.pixel_index, W)
    disp = cap.disparity[v, u]
    lo, hi = cap.disparity_range()
    assert np.allclose(cloud.xyz[:, 2], lo + hi - disp)
    # z spans exactly the disparity values, nearer pixels stay nearer
    assert cloud.xyz[:, 2].min() == pytest.approx(lo) and cloud.xyz[:, 2].max() == pytest.approx(hi)
    depth = cap.depth[v, u]
    order = np.argsort(depth)
    assert np.all(np.diff(cloud.xyz[order, 2]) >= -1e-6)
    # ...but equal steps in depth are not equal steps in z: the mistake notebook 04 shows
    near = (depth > 0.6) & (depth < 0.7)
    far = (depth > 1.4) & (depth < 1.5)
    dz_near = np.ptp(cloud.xyz[near, 2])
    dz_far = np.ptp(cloud.xyz[far, 2])
    assert dz_near > 3 * dz_far


def test_pinhole_depth_scale_scales_the_whole_cloud():
    cap = plane_capture()
    a = project(cap)
    b = project(cap, depth_scale=2.0)
    assert np.allclose(b.xyz, 2 * a.xyz)
    assert b.units == "arbitrary"


def test_without_calibration_pinhole_asks_and_orthographic_works():
    cap = plane_capture(calibrated=False)
    with pytest.raises(CalibrationError, match="focal_length_35mm"):
        project(cap)
    assert len(project(cap, model="orthographic")) == H * W
    est = estimate_calibration(W, H, focal_length_35mm=26)
    cloud = project(cap, calibration=est)
    assert cloud.intrinsics_estimated and "estimated" in cloud.caption()


def test_flags_travel_with_the_cloud():
    rel = project(plane_capture(accuracy="relative", camera=CameraInfo(kind="rear dual")))
    assert rel.accuracy == "relative" and rel.camera == "rear dual"
    cap_line = rel.caption()
    assert cap_line.startswith("rear dual · relative scale · ") and cap_line.endswith(f"{H * W:,} points")
    assert not rel.intrinsics_estimated


def test_bad_arguments():
    cap = plane_capture()
    with pytest.raises(InvalidInputError):
        project(cap, model="fisheye")
    with pytest.raises(InvalidInputError):
        project(cap, stride=0)
    with pytest.raises(InvalidInputError):
        project(cap, depth_scale=-1)
    with pytest.raises(InvalidInputError):
        Projector("not a capture")


def test_projector_buffers_do_not_leak_into_earlier_clouds():
    proj = Projector(plane_capture())
    a = proj.cloud(near=0.6)
    saved = a.xyz.copy()
    proj.cloud(model="orthographic")
    proj.points(model="pinhole-raw", depth_scale=5.0)
    assert np.array_equal(a.xyz, saved)


# ------------------------------------------------------------------------------ real samples


def test_real_rear_sample_distortion_moves_corner_points():
    import depthlab

    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    proj = Projector(cap)
    rect, _ = proj.points("pinhole")
    rect = rect.copy()
    raw, _ = proj.points("pinhole-raw")
    h, w = cap.shape
    assert (h, w) == (576, 768) and len(rect) == 442_368
    # same z, x/y differ by the lens correction: ~1.4 % at the corners, ~0 at the centre
    assert np.array_equal(rect[:, 2], raw[:, 2])
    r_rect = np.hypot(rect[:, 0], rect[:, 1]).reshape(h, w)
    r_raw = np.hypot(raw[:, 0], raw[:, 1]).reshape(h, w)
    assert 0.012 < 1 - r_rect[0, 0] / r_raw[0, 0] < 0.02
    # one pixel checked against undistort_points directly
    cal = cap.calibration
    rw, rh = cal.reference_size
    u, v = 700, 40
    x, y = undistort_points(cal, np.array([(u + 0.5) * rw / w, (v + 0.5) * rh / h]))
    z = cap.depth[v, u]
    assert rect[v * w + u, 0] == pytest.approx((x - cal.cx) / cal.fx * z, abs=1e-6)
    cloud = depthlab.project(cap)
    assert cloud.accuracy == "relative" and cloud.metadata["lens_distortion_removed"] is True


def test_real_front_sample_zero_distortion_and_fx_ne_fy():
    import depthlab

    with pytest.warns(UserWarning, match="stored intrinsics disagree"):  # the file's own fx != fy
        cap = depthlab.open(shared_sample("iphone/front_truedepth_mattes.heic"), calibration="stored")
    proj = Projector(cap)
    a = proj.points("pinhole")[0].copy()
    b = proj.points("pinhole-raw")[0]
    assert np.array_equal(a, b, equal_nan=True)
    k = cap.calibration.intrinsics_at(*cap.size)
    assert k[0, 0] != pytest.approx(k[1, 1], rel=0.01)
    cloud = depthlab.project(cap, mask="portrait", near=0.2, far=1.0)
    assert cloud.accuracy == "absolute" and 0.25 < np.median(cloud.xyz[:, 2]) < 0.5  # the face, ~0.36 m


# ---------------------------------------------------------------------------------- Open3D


def _open3d():
    return pytest.importorskip("open3d", reason="open3d not installed (optional test dependency: pip install open3d)")


def _open3d_points(o3d, depth: np.ndarray, k: np.ndarray) -> np.ndarray:
    h, w = depth.shape
    color = o3d.geometry.Image(np.zeros((h, w, 3), dtype=np.uint8))
    dimg = o3d.geometry.Image(np.ascontiguousarray(np.nan_to_num(depth, nan=0.0), dtype=np.float32))
    # depth already in metres: depth_scale=1; Open3D drops depth beyond depth_trunc (3 m by
    # default), so lift it well above any depth here
    rgbd = o3d.geometry.RGBDImage.create_from_color_and_depth(
        color, dimg, depth_scale=1.0, depth_trunc=1e6, convert_rgb_to_intensity=False)
    intr = o3d.camera.PinholeCameraIntrinsic(w, h, k[0, 0], k[1, 1], k[0, 2], k[1, 2])
    pc = o3d.geometry.PointCloud.create_from_rgbd_image(rgbd, intr)
    return np.asarray(pc.points)


def test_agrees_with_open3d_on_synthetic_depth_beyond_3m():
    o3d = _open3d()
    yy, xx = np.mgrid[0:H, 0:W]
    depth = (1.0 + 0.05 * xx + 0.03 * yy).astype(np.float32)  # up to 5.6 m: past the 3 m default
    depth[4, 4] = np.nan
    cap = plane_capture(depth)
    ours = project(cap, model="pinhole-raw")
    theirs = _open3d_points(o3d, cap.depth, cap.calibration.intrinsics_at(W, H))
    assert ours.xyz.shape == theirs.shape == (H * W - 1, 3)
    assert np.abs(ours.xyz - theirs).max() <= 1e-6


@pytest.mark.parametrize("sample", ["iphone/rear_dual_pug.heic", "iphone/front_truedepth_mattes.heic"])
def test_agrees_with_open3d_on_real_depth(sample):
    o3d = _open3d()
    import depthlab

    cap = depthlab.open(shared_sample(sample))
    k = cap.calibration.intrinsics_at(*cap.size)
    ours = project(cap, model="pinhole-raw")
    theirs = _open3d_points(o3d, cap.depth, k)
    assert ours.xyz.shape == theirs.shape
    assert np.abs(ours.xyz - theirs).max() <= 1e-6


def test_without_calibration_the_exif_focal_length_is_used_and_flagged():
    cap = plane_capture(calibrated=False, camera=CameraInfo(kind="Lens Blur", focal_length_35mm=26.0))
    assert Projector(cap).pinhole_available
    assert not Projector(plane_capture(calibrated=False)).pinhole_available
    cloud = project(cap)
    assert cloud.intrinsics_estimated and cloud.metadata["calibration_source"] == "EXIF FocalLengthIn35mmFilm"
    f = 26.0 * math.hypot(W, H) / math.hypot(36, 24)
    assert np.allclose(cloud.metadata["intrinsics"], [[f, 0, W / 2 - 0.5], [0, f, H / 2 - 0.5], [0, 0, 1]])
    # a focal length in mm alone (no sensor size) is not enough: asked for, never invented
    cap = plane_capture(calibrated=False, camera=CameraInfo(kind="phone", focal_length_mm=4.6))
    with pytest.raises(CalibrationError, match="FocalLength only"):
        project(cap)


def test_real_lens_blur_jpeg_gets_estimated_intrinsics():
    import depthlab

    cap = depthlab.open(shared_sample("android/lens_blur_gdepth.jpg"))
    assert cap.calibration is None
    cloud = depthlab.project(cap, stride=8)
    assert cloud.intrinsics_estimated and "estimated intrinsics" in cloud.caption()
    k = np.asarray(cloud.metadata["intrinsics"])
    assert k[0, 0] == pytest.approx(34 * math.hypot(1536, 2048) / math.hypot(36, 24))


@pytest.mark.parametrize("sample", ["iphone/rear_dual_2x_upright.heic", "iphone/rear_dual_portrait.jpg"])
def test_other_real_samples_project_in_front_of_the_camera(sample):
    import depthlab

    cap = depthlab.open(shared_sample(sample))
    cloud = depthlab.project(cap, stride=2, colour="depth")
    h, w = cap.shape
    assert len(cloud) == np.count_nonzero(np.isfinite(cap.depth[::2, ::2]))
    assert np.all(np.isfinite(cloud.xyz)) and np.all(cloud.xyz[:, 2] > 0)
    # the field of view matches the calibration: the widest ray is about half the frame over f
    k = cap.calibration.intrinsics_at(w, h)
    x_over_z = np.abs(cloud.xyz[:, 0] / cloud.xyz[:, 2]).max()
    assert x_over_z == pytest.approx(max(k[0, 2], w - 1 - k[0, 2]) / k[0, 0], rel=0.03)


# ------------------------------------------------------------------ plain functions and settings


def test_grid_points_are_projects_points_on_the_grid():
    from depthlab.projection import grid_points
    from depthlab.settings import ProjectionSettings

    depth = plane_capture().depth.copy()
    depth[7, 9] = np.nan
    cap = plane_capture(depth)
    for st in (ProjectionSettings(), ProjectionSettings(stride=3, near=0.7, far=1.2, mask="portrait"),
               ProjectionSettings(model="orthographic", depth_scale=2.0, aspect=1.5)):
        xyz, valid = grid_points(cap, settings=st)
        gh, gw = math.ceil(H / st.stride), math.ceil(W / st.stride)
        assert xyz.shape == (gh, gw, 3) and xyz.dtype == np.float32 and valid.shape == (gh, gw)
        cloud = project(cap, model=st.model, near=st.near, far=st.far, stride=st.stride, mask=st.mask,
                        depth_scale=st.depth_scale, aspect=st.aspect)
        assert np.array_equal(xyz[valid], cloud.xyz)
        # grid pixel (i, j) is depth pixel (i * stride, j * stride)
        v, u = np.divmod(cloud.pixel_index, W)
        assert np.array_equal(np.flatnonzero(valid.reshape(-1)), (v // st.stride) * gw + u // st.stride)
    xyz, valid = grid_points(cap)
    assert np.isnan(xyz[7, 9]).all() and not valid[7, 9]
    assert xyz[0, 0, 2] == depth[0, 0]


def test_points_from_depth_is_depth_times_the_ray():
    from depthlab.geometry import points_from_depth, ray_grid

    cap = plane_capture()
    k = cap.calibration.intrinsics_at(W, H)
    rays = ray_grid(cap.calibration, (W, H), "pinhole-raw", stride=2)
    d = cap.depth[::2, ::2]
    xyz = points_from_depth(d, rays).reshape(H // 2, W // 2, 3)
    v, u = np.mgrid[0:H:2, 0:W:2]
    assert np.allclose(xyz[..., 0], (u - k[0, 2]) / k[0, 0] * d, atol=1e-6)
    assert np.allclose(xyz[..., 1], (v - k[1, 2]) / k[1, 1] * d, atol=1e-6)
    assert np.array_equal(xyz[..., 2], d)
    with pytest.raises(CalibrationError):
        ray_grid(None, (W, H), "pinhole")
    with pytest.raises(InvalidInputError):
        points_from_depth(d[:2], rays)


def test_points_from_depth_agrees_with_open3d():
    o3d = _open3d()
    from depthlab.geometry import points_from_depth, ray_grid

    yy, xx = np.mgrid[0:H, 0:W]
    depth = (0.4 + 0.03 * xx + 0.01 * yy).astype(np.float32)
    cal = plane_capture().calibration
    ours = points_from_depth(depth, ray_grid(cal, (W, H), "pinhole-raw"))
    theirs = _open3d_points(o3d, depth, cal.intrinsics_at(W, H))
    assert np.abs(ours - theirs).max() <= 1e-6


def test_settings_own_the_derived_facts():
    from depthlab.settings import MODELS, PINHOLE_MODELS, ProjectionSettings, default_stride

    assert ProjectionSettings().pinhole and ProjectionSettings().units == "m"
    assert ProjectionSettings(depth_scale=2).units == "arbitrary"
    assert not ProjectionSettings(model="orthographic").pinhole
    assert set(PINHOLE_MODELS) == {"pinhole", "pinhole-raw"} and len(MODELS) == 4
    assert ProjectionSettings().colour_for(has_rgb=False) == "depth"
    assert ProjectionSettings(colour="matte").colour_for(True, has_mattes=False) == "depth"
    assert ProjectionSettings(colour="matte", mask="hair").matte_for(["portrait"]) == "hair"
    # the smallest stride keeping at most max_points: 768x576 -> 4 for 30k points (3 keeps 49,152)
    assert default_stride((576, 768), 30_000) == 4 and default_stride((576, 768), 442_368) == 1
    assert default_stride((576, 768), 442_367) == 2
    with pytest.raises(InvalidInputError, match="unknown"):
        ProjectionSettings.from_options({"strid": 2})
    for bad in ({"model": "fisheye"}, {"stride": 0}, {"stride": 1.5}, {"colour": "rainbow"}, {"depth_scale": 0}):
        with pytest.raises(InvalidInputError):
            ProjectionSettings(**bad)
    assert ProjectionSettings(stride=np.int64(3)).stride == 3


def test_one_depth_ramp_near_bright_for_depth_and_disparity():
    from depthlab.colour import colour_map, depth_image, robust_range

    d = np.array([1.0, 2.0, np.nan], dtype=np.float32)
    assert colour_map(d, 1.0, 2.0).tolist() == [[253, 231, 37], [68, 1, 84], [96, 96, 96]]
    # disparity: large (near) is the bright end too
    assert colour_map(1 / d, 0.5, 1.0, near_is_low=False).tolist() == [[253, 231, 37], [68, 1, 84], [96, 96, 96]]
    vals = np.concatenate([np.linspace(1, 2, 1000), [50.0]]).astype(np.float32)  # one outlier
    lo, hi = robust_range(vals)
    assert hi < 3  # the outlier does not stretch the range
    img, rng = depth_image(vals.reshape(1, -1))
    assert rng == (lo, hi) and img[0, -1].tolist() == [68, 1, 84]


@pytest.mark.parametrize("model", ["pinhole", "pinhole-raw", "orthographic", "disparity-as-z"])
def test_one_shot_projection_gives_the_slider_cache_numbers(model):
    """project()/grid_points write rays straight into the output; the Projector keeps a ray
    grid: both give the same float32 numbers."""
    from depthlab.projection import grid_points
    from depthlab.settings import ProjectionSettings

    depth = plane_capture().depth.copy()
    depth[2, 3] = np.nan
    cap = plane_capture(depth)
    for kw in ({}, {"depth_scale": 1.7, "aspect": 0.8, "stride": 3}):
        st = ProjectionSettings(model=model, **kw)
        kept, ok = Projector(cap, stride=st.stride).points_for(st)
        xyz, valid = grid_points(cap, settings=st)
        assert np.array_equal(xyz.reshape(-1, 3), kept, equal_nan=True) and np.array_equal(valid.reshape(-1), ok)


# ------------------------------------------------------------------ one owner per rule, regions


def _region_capture():
    d = np.full((12, 16), 1.0, np.float32)
    cap = Capture(disparity=d, camera=CameraInfo(focal_length_35mm=26.0))
    cap.set_rgb(np.zeros((48, 64, 3), np.uint8))  # the photo is 4x the depth map
    return cap


@pytest.mark.parametrize("call", [lambda c, **k: project(c, **k), lambda c, **k: depthlab.mesh(c, **k)])
def test_near_at_or_beyond_far_is_refused_by_project_as_by_mesh(call):
    cap = _region_capture()
    for near, far in ((2.0, 1.0), (1.0, 1.0)):
        with pytest.raises(InvalidInputError, match=r"near \(\d m\) must be below far \(1 m\)"):
            call(cap, near=near, far=far)


@pytest.mark.parametrize("stride", [2.5, 0, -1, True, "2"])
def test_one_stride_rule_everywhere(stride):
    cap = _region_capture()
    for call in (lambda: project(cap, stride=stride), lambda: depthlab.mesh(cap, stride=stride),
                 lambda: ProjectionSettings(stride=stride)):
        with pytest.raises(InvalidInputError, match="stride must be a whole number of at least 1"):
            call()
    assert ProjectionSettings(stride=2.0).stride == 2 and len(project(cap, stride=16)) == 1


def test_a_box_in_photo_pixels_keeps_the_depth_pixels_whose_centres_it_holds():
    cap = _region_capture()
    # photo pixels 8..23 x 4..15 are depth pixels 2..5 x 1..3 (4 photo pixels per depth pixel)
    cloud = project(cap, model="orthographic", mask=(8, 4, 24, 16))
    rows, cols = np.divmod(cloud.pixel_index, 16)
    assert set(rows) == {1, 2, 3} and set(cols) == {2, 3, 4, 5} and len(cloud) == 12
    assert cloud.metadata["parameters"]["mask"] == [8.0, 4.0, 24.0, 16.0]
    surf = depthlab.mesh(cap, model="orthographic", mask=[8, 4, 24, 16], simplify=0)
    assert surf.vertices.shape[0] == 12


def test_a_photo_size_array_is_the_same_region_as_the_box():
    cap = _region_capture()
    region = np.zeros((48, 64), bool)
    region[4:16, 8:24] = True
    a = project(cap, model="orthographic", mask=region)
    b = project(cap, model="orthographic", mask=(8, 4, 24, 16))
    assert np.array_equal(a.pixel_index, b.pixel_index)


@pytest.mark.parametrize("bad, match", [((5, 5, 1, 1), "x0 < x1"), ((0, 0, 1), "a mask box is"),
                                        (np.zeros((5, 5), bool), "photo's"), (3.5, "mask must be None")])
def test_bad_masks_say_what_a_mask_can_be(bad, match):
    with pytest.raises(InvalidInputError, match=match):
        project(_region_capture(), model="orthographic", mask=bad)


# ------------------------------------------------------------------ pixels -> points


def test_points_at_depth_pixel_centres_are_projects_points():
    cap = depthlab.open(data_sample("front_truedepth.heic"))
    cloud = project(cap)
    h, w = cap.shape
    pick = cloud.pixel_index[:: max(1, len(cloud) // 50)]
    v, u = np.divmod(pick, w)
    got = depthlab.points_at(cap, np.stack([u, v], 1), image="depth", window=1)
    want = cloud.xyz[np.searchsorted(cloud.pixel_index, pick)]
    np.testing.assert_allclose(got, want, atol=2e-4)  # float32 rays vs float64 undistortion


def test_points_at_colour_pixels_go_through_the_half_pixel_shift():
    cap = depthlab.open(data_sample("front_truedepth.heic"))  # photo 960x1280, depth 480x640
    # colour pixel (2u + 0.5, 2v + 0.5) is the centre of depth pixel (u, v)
    a = depthlab.points_at(cap, [(2 * 100 + 0.5, 2 * 200 + 0.5)], window=1)
    b = depthlab.points_at(cap, (100, 200), image="depth", window=1)
    np.testing.assert_allclose(a[0], b, rtol=1e-9)
    assert b.shape == (3,)


def test_points_at_is_nan_where_unknown_and_the_window_fills_in():
    d = np.full((12, 16), 0.5, np.float32)
    d[5, 7] = np.nan
    cal = Calibration(intrinsic_matrix=[[20.0, 0, 8], [0, 20.0, 6], [0, 0, 1]], reference_size=(16, 12))
    cap = Capture(disparity=d, calibration=cal)
    p = depthlab.points_at(cap, [(7, 5), (7, 5), (-3, 0), (7.5, 5.5)], image="depth", window=1)
    assert np.isnan(p[0]).all() and np.isnan(p[2]).all()
    # pixel (7, 5) is unknown: its 3x3 window's median fills in; the ray is (7, 5)'s own
    np.testing.assert_allclose(depthlab.points_at(cap, (7, 5), image="depth"), [-0.05, -0.05, 2.0], atol=1e-12)
    # (7.5, 5.5) rounds to pixel (8, 6): known; its ray passes through the principal point's
    # corner-origin position (8, 6) -> x = y = 0
    np.testing.assert_allclose(p[3], [0.0, 0.0, 2.0], atol=1e-12)
    for bad, match in (((1, 2, 3), "uv must have shape"), ({"window": 2}, "odd"), ({"image": "ir"}, "image must be")):
        with pytest.raises(InvalidInputError, match=match):
            if isinstance(bad, dict):
                depthlab.points_at(cap, (1, 1), **bad)
            else:
                depthlab.points_at(cap, bad)
