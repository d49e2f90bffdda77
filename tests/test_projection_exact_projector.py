"""The Projector (the slider engine) on a hand-made 4x3 capture: every number worked out by hand.

Written from the surviving mutants of ``Projector``'s methods (issue 20's mutation run).  The
capture is small enough to write each expected value down from :mod:`depthlab.conventions`:

* depth ``D`` (metres, powers of two so ``1 / (1 / d)`` is exact in float32), one unknown pixel;
* intrinsics fx = fy = 2 px, corner-origin principal point (2, 1.5) at the depth map's own size
  4x3, so centre-origin (1.5, 1.0): pixel ``(u, v)``'s ray is ``((u - 1.5) / 2, (v - 1) / 2, 1)``;
* the flat models: ``x = (u - (W-1)/2) / W = (u - 1.5) / 4``, ``y = aspect * (v - 1) / 4``;
* a colour image at the depth map's size (no resampling): R = 10 u + 1, G = 50 v, B = 200;
* two mattes at the depth map's size: ``portrait`` (first) covers columns 0-1, ``hair`` is 1 on
  row 0, 0.5 on row 1, 0 on row 2.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import depthlab.geometry
import depthlab.projection
from depthlab.capture import Calibration, CameraInfo, Capture
from depthlab.errors import CalibrationError, InvalidInputError
from depthlab.projection import Projector
from depthlab.settings import ProjectionSettings

NAN = float("nan")
D = np.array([[1.0, 2.0, 4.0, 0.5],
              [2.0, NAN, 1.0, 4.0],
              [0.5, 1.0, 2.0, 8.0]], dtype=np.float32)
H, W = D.shape
VALID = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]  # flat row-major indices of the known pixels
RX = (-0.75, -0.25, 0.25, 0.75)  # (u - 1.5) / 2
RY = (-0.5, 0.0, 0.5)  # (v - 1) / 2
FLAT_X = (-0.375, -0.125, 0.125, 0.375)  # (u - 1.5) / 4
FLAT_Y = (-0.25, 0.0, 0.25)  # (v - 1) / 4
# stride 2 keeps pixels (0, 0), (0, 2), (2, 0), (2, 2): flat indices 0, 2, 8, 10, depths 1, 4, 0.5, 2
GRID2 = [0, 2, 8, 10]
YELLOW, PURPLE = [253, 231, 37], [68, 1, 84]  # the depth ramp's ends: nearest, farthest


def calibration(f: float = 2.0, estimated: bool = False) -> Calibration:
    return Calibration(intrinsic_matrix=[[f, 0, 2.0], [0, f, 1.5], [0, 0, 1]], reference_size=(W, H),
                       estimated=estimated, source="hand")


def rgb_image() -> np.ndarray:
    img = np.zeros((H, W, 3), dtype=np.uint8)
    img[..., 0] = 10 * np.arange(W)[None, :] + 1
    img[..., 1] = 50 * np.arange(H)[:, None]
    img[..., 2] = 200
    return img


def mattes() -> dict[str, np.ndarray]:
    portrait = np.zeros((H, W), dtype=np.float32)
    portrait[:, :2] = 1.0
    hair = np.zeros((H, W), dtype=np.float32)
    hair[0], hair[1] = 1.0, 0.5
    return {"portrait": portrait, "hair": hair}


def capture(depth: np.ndarray = D, cal: Calibration | None | str = "default", rgb: bool = True,
            with_mattes: bool = True, **kw) -> Capture:
    disparity = (1.0 / depth).astype(np.float32)
    img = rgb_image()
    return Capture(disparity=disparity, calibration=calibration() if cal == "default" else cal,
                   rgb_loader=(lambda: img) if rgb else None, mattes=mattes() if with_mattes else {}, **kw)


def pinhole(idx: list[int], f: float = 2.0, k: float = 1.0) -> np.ndarray:
    """Expected pinhole positions of flat indices ``idx``: k d ((u - 1.5) / f, (v - 1) / f, 1)."""
    out = []
    for i in idx:
        v, u = divmod(i, W)
        d = k * float(D[v, u])
        out.append([d * (u - 1.5) / f, d * (v - 1) / f, d])
    return np.array(out)


def rgb_of(idx: list[int]) -> list[list[int]]:
    return [[10 * (i % W) + 1, 50 * (i // W), 200] for i in idx]


# ------------------------------------------------------------------------------ construction


def test_refuses_what_is_not_a_capture_and_says_what_it_got():
    with pytest.raises(InvalidInputError, match=r"Projector needs a depthlab Capture.*got ndarray"):
        Projector(D)


def test_calibration_attribute_is_the_override_else_the_captures_own():
    cap = capture()
    assert Projector(cap).calibration is cap.calibration  # read by the mesh and the live view
    other = calibration(4.0)
    assert Projector(cap, calibration=other).calibration is other


def test_depth_range_is_the_grids_nearest_and_farthest_known_depth():
    assert Projector(capture()).depth_range() == (0.5, 8.0)
    assert Projector(capture(), stride=2).depth_range() == (0.5, 4.0)  # 8 m is not on the stride-2 grid


# ----------------------------------------------------------------------------------- rays


def test_ray_grid_default_is_the_pinhole_rays_and_is_cached():
    proj = Projector(capture())
    r = proj.ray_grid()
    assert r.model == "pinhole"
    assert r.x.tolist() == list(RX) * H
    assert r.y.tolist() == [y for y in RY for _ in range(W)]
    assert proj.ray_grid("pinhole") is r  # computed once
    # no lens distortion to remove: the raw model is the same rays, computed once for both
    assert proj.ray_grid("pinhole-raw") is r


def test_pinhole_raw_after_a_flat_model_has_its_own_rays():
    proj = Projector(capture())
    xyz, _ = proj.points("orthographic")
    assert np.allclose(xyz[VALID, 0], [FLAT_X[i % W] for i in VALID])
    xyz, _ = proj.points("pinhole-raw")
    assert np.allclose(xyz[VALID], pinhole(VALID))


def test_calibration_override_is_used_for_the_rays():
    cap = capture()
    xyz, valid = Projector(cap, calibration=calibration(4.0)).points()
    assert np.allclose(xyz[VALID], pinhole(VALID, f=4.0))


@pytest.mark.parametrize("keep_rays", [True, False])
def test_without_stored_intrinsics_the_exif_35mm_focal_length_gives_the_rays(keep_rays):
    # f_px = f35 * hypot(W, H) / full-frame diagonal = 26 * 5 / hypot(36, 24); centre (1.5, 1.0)
    cap = capture(cal=None, camera=CameraInfo(kind="rear", focal_length_35mm=26.0))
    proj = Projector(cap, keep_rays=keep_rays)
    xyz, valid = proj.points()
    f = 26.0 * 5.0 / math.hypot(36.0, 24.0)
    assert np.allclose(xyz[VALID], pinhole(VALID, f=f), rtol=1e-5)
    assert proj.calibration.estimated
    assert proj.cloud().intrinsics_estimated


@pytest.mark.parametrize("keep_rays", [True, False])
def test_no_intrinsics_at_all_names_the_model_asked_for(keep_rays):
    proj = Projector(capture(cal=None), keep_rays=keep_rays)
    with pytest.raises(CalibrationError, match="model 'pinhole-raw' needs the camera's intrinsics"):
        proj.points("pinhole-raw")
    with pytest.raises(CalibrationError, match="model 'pinhole-raw' needs the camera's intrinsics"):
        proj.ray_grid("pinhole-raw")


def test_a_slider_step_reuses_the_rays_and_the_mirrored_disparity(monkeypatch):
    """The slider engine's promise: what depends only on the capture and the stride is
    computed once; a step is a multiply (checked by counting the ray and disparity work)."""
    calls = {"rays": 0, "disparity": 0}

    def counting(key, fn):
        def wrapper(*a, **k):
            calls[key] += 1
            return fn(*a, **k)
        return wrapper

    monkeypatch.setattr(depthlab.geometry, "ray_planes", counting("rays", depthlab.geometry.ray_planes))
    monkeypatch.setattr(depthlab.projection, "disparity_as_z",
                        counting("disparity", depthlab.projection.disparity_as_z))
    proj = Projector(capture())
    for k in (1.0, 2.0, 0.5):
        xyz, _ = proj.points(depth_scale=k)
        assert np.allclose(xyz[VALID], pinhole(VALID, k=k))
    assert calls["rays"] == 1
    for k in (1.0, 3.0):
        proj.points("disparity-as-z", depth_scale=k)
    assert calls["disparity"] == 1


def test_keep_rays_false_writes_rays_into_the_output_without_keeping_a_grid(monkeypatch):
    def no_grid(*a, **k):
        raise AssertionError("keep_rays=False must not build a ray grid to keep")

    monkeypatch.setattr(depthlab.projection, "ray_grid", no_grid)
    proj = Projector(capture(), keep_rays=False)
    for _ in range(2):
        xyz, valid = proj.points()
        assert np.allclose(xyz[VALID], pinhole(VALID))
        assert np.flatnonzero(valid).tolist() == VALID


def test_disparity_as_z_is_unknown_where_depth_is_unknown():
    # disparity 0 (and below) is no depth: 1/0 is not a distance, so the point is NaN and invalid
    disparity = np.array([[1.0, 0.0], [0.5, -1.0]], dtype=np.float32)
    cap = Capture(disparity=disparity)
    xyz, valid = Projector(cap).points("disparity-as-z")
    assert valid.tolist() == [True, False, True, False]
    assert np.isnan(xyz[1, 2]) and np.isnan(xyz[3, 2])
    assert np.all(np.isfinite(xyz[[0, 2]]))


# ------------------------------------------------------------------------------ points()


def test_points_defaults_and_each_slider():
    proj = Projector(capture())
    xyz, _ = proj.points("orthographic")  # aspect 1 by default
    assert np.allclose(xyz[VALID, 1], [FLAT_Y[i // W] for i in VALID])
    xyz, _ = proj.points("orthographic", aspect=3.0, depth_scale=2.0)
    assert np.allclose(xyz[VALID, 1], [3.0 * FLAT_Y[i // W] for i in VALID])
    assert np.allclose(xyz[VALID, 2], [2.0 * D.flat[i] for i in VALID])
    xyz, _ = proj.points(depth_scale=2.0)
    assert np.allclose(xyz[VALID], pinhole(VALID, k=2.0))
    assert np.isnan(xyz[5]).all()  # unknown depth: NaN


@pytest.mark.parametrize("keep_rays", [True, False])
def test_near_and_far_are_inclusive_metres_each_on_its_own(keep_rays):
    proj = Projector(capture(), keep_rays=keep_rays)
    _, valid = proj.points(near=2.0)
    assert np.flatnonzero(valid).tolist() == [1, 2, 4, 7, 10, 11]  # depths 2, 4, 2, 4, 2, 8
    _, valid = Projector(capture(), keep_rays=keep_rays).points(far=1.0)
    assert np.flatnonzero(valid).tolist() == [0, 3, 6, 8, 9]  # depths 1, 0.5, 1, 0.5, 1
    _, valid = proj.points(near=1.0, far=2.0, depth_scale=4.0)  # compared before depth_scale
    assert np.flatnonzero(valid).tolist() == [0, 1, 4, 6, 9, 10]


def test_mask_passed_to_points_clips():
    proj = Projector(capture())
    _, valid = proj.points(mask="portrait")
    assert np.flatnonzero(valid).tolist() == [0, 1, 4, 8, 9]  # columns 0-1, minus the unknown pixel
    _, valid = proj.points()
    assert np.flatnonzero(valid).tolist() == VALID


def test_points_for_another_stride_says_which_stride_it_serves():
    with pytest.raises(InvalidInputError, match="this Projector serves stride 2, not 1"):
        Projector(capture(), stride=2).points_for(ProjectionSettings(stride=1))


# ----------------------------------------------------------------------------------- masks


def test_mask_by_matte_name_is_thresholded_at_half_inclusive_and_cached():
    proj = Projector(capture())
    m = proj.mask("hair")
    assert np.flatnonzero(m).tolist() == list(range(8))  # rows 0 (1.0) and 1 (0.5)
    assert proj.mask("hair") is m
    assert np.flatnonzero(proj.mask("portrait")).tolist() == [0, 1, 4, 5, 8, 9]


def test_mask_arrays_float_threshold_and_bool():
    proj = Projector(capture())
    f = np.array([[0.3, 0.5, 1.0, 0.0], [0.49, 0.7, 2.0, 0.1], [0.0, 0.0, 0.0, 1.0]], dtype=np.float32)
    assert np.flatnonzero(proj.mask(f)).tolist() == [1, 2, 5, 6, 11]
    b = f >= 0.5
    assert proj.mask(b).tolist() == b.reshape(-1).tolist()
    assert np.flatnonzero(proj.mask(f.reshape(-1))).tolist() == [1, 2, 5, 6, 11]


def test_depth_sized_mask_at_stride_2_is_taken_on_the_grid():
    proj = Projector(capture(), stride=2)
    m = np.zeros((H, W), dtype=np.float32)
    m[0, 2], m[2, 0], m[1, 1] = 1.0, 0.7, 1.0  # (1, 1) is not on the grid
    assert proj.mask(m).tolist() == [False, True, True, False]
    cloud = proj.cloud(mask=m)
    assert cloud.pixel_index.tolist() == [2, 8]
    with pytest.raises(InvalidInputError, match=r"\(3, 4\) \(depth\) or \(2, 2\) \(grid\), got \(5,\)"):
        proj.mask(np.ones(5))


# --------------------------------------------------------------------------------- colours


def test_colours_default_is_the_photo():
    proj = Projector(capture())
    assert proj.colours().tolist() == rgb_of(list(range(H * W)))


def test_colours_per_matte_each_its_own_and_the_default_is_the_first():
    proj = Projector(capture())
    hair = proj.colours("matte", matte="hair").reshape(H, W, 3)
    assert hair[0].tolist() == [[255] * 3] * 4 and hair[2].tolist() == [[0] * 3] * 4
    portrait = proj.colours("matte", matte="portrait").reshape(H, W, 3)
    assert portrait[:, :2].tolist() == [[[255] * 3] * 2] * 3 and portrait[:, 2:].tolist() == [[[0] * 3] * 2] * 3
    assert proj.colours("matte", matte="hair").reshape(H, W, 3).tolist() == hair.tolist()
    # the default matte is the first one: one cache entry, not two
    assert proj.colours("matte") is proj.colours("matte", matte="portrait")
    # the matte name does not change the photo's or the depth ramp's colours: one entry each
    assert proj.colours("depth", matte="hair") is proj.colours("depth")
    assert proj.colours("rgb", matte="hair") is proj.colours("rgb")


def test_colours_matte_without_mattes_says_so():
    proj = Projector(capture(with_mattes=False))
    with pytest.raises(InvalidInputError, match="no mattes"):
        proj.colours("matte")


# ----------------------------------------------------------------------------------- cloud()


def test_cloud_of_the_photo_colours_and_metadata():
    cloud = Projector(capture()).cloud()
    assert cloud.pixel_index.tolist() == VALID
    assert np.allclose(cloud.xyz, pinhole(VALID))
    assert cloud.rgb.tolist() == rgb_of(VALID)
    assert cloud.metadata["colour"] == "rgb"
    assert cloud.metadata["parameters"]["matte"] is None  # no matte used for rgb colours
    assert cloud.metadata["depth_range_m"] == [0.5, 8.0]
    nophoto = Projector(capture(rgb=False)).cloud()
    assert nophoto.metadata["colour"] == "depth (no colour image)"
    assert nophoto.rgb[VALID.index(3)].tolist() == YELLOW and nophoto.rgb[VALID.index(11)].tolist() == PURPLE


def test_cloud_matte_colours_follow_matte_then_mask_then_first():
    proj = Projector(capture())
    # grey = matte x 255; hair's row 1 (0.5) is half grey: 127 or 128, whichever way it rounds
    grey = {"portrait": np.array([255, 255, 0, 0] * 3), "hair": np.array([255] * 4 + [127.5] * 4 + [0] * 4)}

    def shows(cloud, name):
        return bool(np.all(np.abs(cloud.rgb[:, 0] - grey[name][cloud.pixel_index]) <= 0.5))

    first = proj.cloud(colour="matte")
    assert first.pixel_index.tolist() == VALID and shows(first, "portrait")
    assert first.metadata["parameters"]["matte"] == "portrait"
    named = proj.cloud(colour="matte", matte="hair")
    assert named.pixel_index.tolist() == VALID and shows(named, "hair")
    assert named.metadata["parameters"]["matte"] == "hair"
    by_mask = proj.cloud(colour="matte", mask="hair")  # the mask names the matte to show
    assert by_mask.pixel_index.tolist() == [0, 1, 2, 3, 4, 6, 7]  # rows 0-1 but the unknown pixel
    assert shows(by_mask, "hair")
    assert by_mask.metadata["parameters"]["matte"] == "hair"


def test_cloud_with_every_grid_point_valid_gives_new_arrays_and_the_depth_range():
    proj = Projector(capture(), stride=2)  # the stride-2 grid has no unknown pixel
    xyz, _ = proj.points()
    cols, pix = proj.colours(), proj.pixel_index()
    cloud = proj.cloud()
    assert cloud.pixel_index.tolist() == GRID2
    assert np.allclose(cloud.xyz, pinhole(GRID2))
    assert cloud.rgb.tolist() == rgb_of(GRID2)
    assert cloud.metadata["depth_range_m"] == [0.5, 4.0]
    # "new arrays": the cloud shares nothing with the Projector's buffers and caches
    assert not np.shares_memory(cloud.xyz, xyz)
    assert not np.shares_memory(cloud.rgb, cols)
    assert not np.shares_memory(cloud.pixel_index, pix)


def test_clipped_cloud_at_stride_2_keeps_full_map_pixel_indices():
    cloud = Projector(capture(), stride=2).cloud(near=1.0)
    assert cloud.pixel_index.tolist() == [0, 2, 10]  # depths 1, 4, 2; 0.5 m at pixel 8 clipped
    assert np.allclose(cloud.xyz, pinhole([0, 2, 10]))
    assert cloud.metadata["depth_range_m"] == [1.0, 4.0]


def test_flat_model_cloud_uses_no_intrinsics_even_when_an_estimate_is_at_hand():
    proj = Projector(capture(), calibration=calibration(estimated=True))
    flat = proj.cloud(model="orthographic")
    assert not flat.intrinsics_estimated and "intrinsics" not in flat.metadata
    assert proj.cloud().intrinsics_estimated  # the pinhole model does use the estimate
