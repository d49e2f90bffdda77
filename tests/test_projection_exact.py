"""The projection module's functions pinned exactly where mutation testing (benchmarks/mutation.py)
found the suite lenient: point colours in each mode, near or far alone, the gathering of the
valid points across blocks, the cloud's metadata, the calibration policy and the messages.

Every capture here is written by hand, small, with depths whose reciprocals are exact in float32
(1, 2, 4, 8 m), so positions and colours can be worked out on paper:

* the calibration ``CAL`` is ``fx = fy = 8, cx = 4, cy = 3`` at a reference size of 8 x 6
  (corner-origin, as Apple stores it); on a 4 x 3 depth map (half size) that is ``fx = fy = 4``,
  ``cx = 4 / 2 - 0.5 = 1.5``, ``cy = 3 / 2 - 0.5 = 1.0`` (centre-origin, conventions), so pixel
  ``(u, v)`` at depth ``d`` goes to ``((u - 1.5) d / 4, (v - 1) d / 4, d)``;
* the flat models put pixel ``(u, v)`` of a ``W x H`` map at ``((u - (W-1)/2) / W,
  aspect (v - (H-1)/2) / W, depth)`` (geometry's docstring);
* depth colours: the ramp's near end (its lo) is yellow #fde725, the far end (hi) purple #440154,
  the middle of the range the ramp's middle anchor #21908d, unknown depth grey (96, 96, 96)
  (colour's docstring: nine anchors, depth ``255 - floor(255 x)``; at ``x = 1/2`` that is entry
  128, exactly the fifth anchor);
* matte colours: grey ``255 m`` cut to 0..255.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from depthlab.capture import Calibration, CameraInfo, Capture
from depthlab.errors import CalibrationError, InvalidInputError
from depthlab.projection import (
    grid_colours,
    grid_points,
    matte_on_grid,
    pinhole_available,
    point_cloud,
    project,
    resolve_calibration,
)
from depthlab.settings import ProjectionSettings

YELLOW, MIDDLE, PURPLE, GREY = (253, 231, 37), (33, 144, 141), (68, 1, 84), (96, 96, 96)
CAL = Calibration(intrinsic_matrix=[[8.0, 0, 4.0], [0, 8.0, 3.0], [0, 0, 1]], reference_size=(8, 6),
                  source="hand-written")
# 4 x 3 depth map: rows of 1 m, 2 m, 4 m; one unknown pixel
DEPTH = np.array([[1, 1, 1, 1], [2, 2, np.nan, 2], [4, 4, 4, 4]], dtype=np.float32)


def capture(depth=DEPTH, calibration=None, camera=None, rgb=None, mattes=None, **kw) -> Capture:
    d = np.asarray(depth, dtype=np.float32)
    disparity = np.where(np.isfinite(d), 1.0 / d, np.nan).astype(np.float32)
    cap = Capture(disparity=disparity, calibration=calibration, camera=camera or CameraInfo(),
                  mattes=mattes if mattes is not None else {}, **kw)
    if rgb is not None:
        cap.set_rgb(rgb)
    return cap


def pinhole_xyz(u, v, d):
    """CAL's back-projection on the 4 x 3 map, worked out above."""
    return np.stack([(u - 1.5) * d / 4.0, (v - 1.0) * d / 4.0, d], axis=-1)


def no_focal_length() -> Capture:
    return capture(camera=CameraInfo(kind="rear"))  # no calibration, no EXIF focal length


# ------------------------------------------------------------------------------ calibration policy


def test_resolve_calibration_message_names_the_model_and_the_way_out():
    cap = no_focal_length()
    with pytest.raises(CalibrationError) as err:
        resolve_calibration(cap)
    msg = str(err.value)
    assert msg.startswith("model 'pinhole' needs the camera's intrinsics: ")
    assert msg.endswith("; or use model='orthographic'")
    with pytest.raises(CalibrationError, match=r"^model 'pinhole-raw' needs"):
        resolve_calibration(cap, model="pinhole-raw")


def test_resolve_calibration_order_given_then_stored_then_exif():
    other = Calibration(intrinsic_matrix=[[16.0, 0, 4.0], [0, 16.0, 3.0], [0, 0, 1]], reference_size=(8, 6))
    cap = capture(calibration=CAL, camera=CameraInfo(focal_length_35mm=26))
    assert resolve_calibration(cap, other) is other
    assert resolve_calibration(cap) is CAL
    est = resolve_calibration(capture(camera=CameraInfo(focal_length_35mm=26)))
    assert est.estimated and est.reference_size == (4, 3)


def test_pinhole_available_counts_the_given_calibration():
    cap = no_focal_length()
    assert pinhole_available(cap) is False
    assert pinhole_available(cap, CAL) is True
    assert pinhole_available(capture(camera=CameraInfo(focal_length_35mm=26))) is True


# ------------------------------------------------------------------------------ positions


def test_pinhole_positions_by_hand_and_calibration_argument_used():
    cap = no_focal_length()
    cloud = project(cap, calibration=CAL)
    vv, uu = np.mgrid[0:3, 0:4]
    keep = np.isfinite(DEPTH)
    want = pinhole_xyz(uu[keep], vv[keep], DEPTH[keep])
    np.testing.assert_allclose(cloud.xyz, want, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(cloud.pixel_index, np.flatnonzero(keep.reshape(-1)))
    # grid_points takes the same calibration argument (the capture has none and no EXIF)
    xyz, valid = grid_points(cap, settings=ProjectionSettings(), calibration=CAL)
    assert xyz.shape == (3, 4, 3) and valid.shape == (3, 4)
    np.testing.assert_array_equal(valid, keep)
    np.testing.assert_allclose(xyz[keep], want, rtol=0, atol=1e-6)
    assert np.isnan(xyz[~keep]).all()


def test_project_flat_model_default_aspect_is_one():
    cloud = project(capture(), model="orthographic", colour="depth")
    vv, uu = np.mgrid[0:3, 0:4]
    keep = np.isfinite(DEPTH)
    want = np.stack([(uu - 1.5) / 4, (vv - 1.0) / 4, DEPTH], axis=-1)[keep]
    np.testing.assert_allclose(cloud.xyz, want, rtol=0, atol=1e-6)


def test_project_refuses_a_non_capture_and_names_its_type():
    with pytest.raises(InvalidInputError) as err:
        project(np.ones((3, 4), np.float32))
    assert str(err.value) == "project() needs a depthlab Capture (depthlab.open(path)), got ndarray"


# ------------------------------------------------------------------------------ near / far alone


def test_near_alone_and_far_alone_are_inclusive():
    cap = capture()
    near = project(cap, model="orthographic", near=2.0, colour="depth")  # drops the 1 m row
    assert sorted(set(near.xyz[:, 2].tolist())) == [2.0, 4.0]
    np.testing.assert_array_equal(near.pixel_index, [4, 5, 7, 8, 9, 10, 11])
    far = project(cap, model="orthographic", far=2.0, colour="depth")  # drops the 4 m row
    assert sorted(set(far.xyz[:, 2].tolist())) == [1.0, 2.0]
    np.testing.assert_array_equal(far.pixel_index, [0, 1, 2, 3, 4, 5, 7])
    assert near.metadata["depth_range_m"] == [2.0, 4.0] and far.metadata["depth_range_m"] == [1.0, 2.0]


def test_one_point_and_no_point_left():
    cap = capture()
    one = project(cap, model="orthographic", near=1.5, far=2.5, mask=np.eye(3, 4, dtype=bool),
                  colour="depth")  # the diagonal meets the 2 m row at (1, 1) only
    np.testing.assert_array_equal(one.pixel_index, [5])
    np.testing.assert_allclose(one.xyz, [[(1 - 1.5) / 4, 0.0, 2.0]], rtol=0, atol=1e-7)
    assert one.metadata["depth_range_m"] == [2.0, 2.0]
    none = project(cap, model="orthographic", near=5.0, colour="depth")
    assert none.xyz.shape == (0, 3) and none.metadata["depth_range_m"] is None


def test_gathering_across_blocks_keeps_every_valid_point_in_order():
    """More than four of _compact's 2**18-point blocks: the first all unknown, the others with
    different numbers of holes, so each block's points must land right after the last's."""
    h, w = 1025, 1024
    vv, uu = np.mgrid[0:h, 0:w]
    depth = np.exp2(vv % 3).astype(np.float32)  # 1, 2, 4 m by row
    depth[vv < 256] = np.nan  # block 0 (256 rows of 1024) unknown
    depth[(vv >= 256) & ((uu + vv) % 5 == 0)] = np.nan
    depth[(vv >= 600) & (vv < 650)] = np.nan
    depth[1000:, :10] = np.nan
    cloud = project(capture(depth), model="orthographic", colour="depth")
    keep = np.isfinite(depth)
    np.testing.assert_array_equal(cloud.pixel_index, np.flatnonzero(keep.reshape(-1)))
    u, v = uu[keep], vv[keep]
    want = np.stack([(u - (w - 1) / 2) / w, (v - (h - 1) / 2) / w, depth[keep]], axis=-1)
    np.testing.assert_allclose(cloud.xyz, want, rtol=0, atol=1e-6)
    assert cloud.metadata["depth_range_m"] == [1.0, 4.0]
    # colours follow their points: 1 m yellow, 4 m purple
    z = cloud.xyz[:, 2]
    assert (cloud.rgb[z == 1.0] == YELLOW).all() and (cloud.rgb[z == 4.0] == PURPLE).all()


# ------------------------------------------------------------------------------ colours


DEPTH5 = np.array([[1, 2, 3], [4, 8, np.nan]], dtype=np.float32)


def test_depth_colours_over_the_grid_range_by_default():
    cap = capture(DEPTH5)
    # own range 1..8: 1 yellow, 8 purple, 4.5 would be the middle (not on the grid)
    c = grid_colours(cap, "depth", 1)
    assert c.shape == (6, 3) and c.dtype == np.uint8
    assert tuple(c[0]) == YELLOW and tuple(c[4]) == PURPLE and tuple(c[5]) == GREY
    # the same through project: colour="depth" reaches the cloud
    cloud = project(cap, model="orthographic", colour="depth")
    assert tuple(cloud.rgb[0]) == YELLOW and tuple(cloud.rgb[4]) == PURPLE


def test_depth_colours_over_a_given_range():
    cap = capture(DEPTH5)
    c = grid_colours(cap, "depth", 1, depth_range=(2.0, 4.0))
    # 1 below the range and 2 at its near end: yellow; 3 the middle; 4 at the far end and 8 past it: purple
    assert [tuple(x) for x in c] == [YELLOW, YELLOW, MIDDLE, PURPLE, PURPLE, GREY]


def test_depth_colours_of_a_given_grid():
    cap = capture(DEPTH5)
    other = np.array([8, 4.5, np.nan, 1], dtype=np.float32)  # not the capture's depth; 4.5 halfway
    c = grid_colours(cap, "depth", 1, depth_grid=other)
    assert [tuple(x) for x in c] == [PURPLE, MIDDLE, GREY, YELLOW]


MATTES = {
    "first": np.array([[0.0, 0.75, 1.0], [-0.5, 1.5, 0.75]], dtype=np.float32),
    "second": np.array([[1.0, 0.0, 0.75], [0.0, 0.0, 1.0]], dtype=np.float32),
}


def test_matte_colours_grey_levels_default_first_and_named():
    cap = capture(DEPTH5, mattes=MATTES)
    # 0.75 -> 191.25 -> 191; out of 0..1 cut to 0 and 255
    first = grid_colours(cap, "matte", 1)
    np.testing.assert_array_equal(first, np.repeat(np.array([[0], [191], [255], [0], [255], [191]], np.uint8), 3, axis=1))
    second = grid_colours(cap, "matte", 1, matte="second")
    np.testing.assert_array_equal(second[:, 0], [255, 0, 191, 0, 0, 255])
    # the matte reaches the cloud through project, and the cloud says which one
    cloud = project(cap, model="orthographic", colour="matte", matte="second")
    np.testing.assert_array_equal(cloud.rgb[:, 1], [255, 0, 191, 0, 0])  # the unknown pixel dropped
    assert cloud.metadata["parameters"]["matte"] == "second"
    default = project(cap, model="orthographic", colour="matte")
    assert default.metadata["parameters"]["matte"] == "first"
    np.testing.assert_array_equal(default.rgb[:, 2], [0, 191, 255, 0, 255])


def test_rgb_colours_are_the_photo_at_depth_size():
    rgb = np.zeros((4, 6, 3), np.uint8)  # twice the 3 x 2 map: 2 x 2 blocks of one colour each
    for i in range(2):
        for j in range(3):
            rgb[2 * i:2 * i + 2, 2 * j:2 * j + 2] = (10 * j, 100 + 10 * i, 200)
    c = grid_colours(capture(DEPTH5, rgb=rgb), "rgb", 2)
    np.testing.assert_array_equal(c, [[0, 100, 200], [20, 100, 200]])


def test_colour_errors_name_the_problem():
    with pytest.raises(InvalidInputError) as err:
        grid_colours(capture(DEPTH5), "matte", 1)
    assert str(err.value) == "colour='matte' but this capture has no mattes"
    with pytest.raises(InvalidInputError) as err:
        grid_colours(capture(DEPTH5), "bogus", 1)
    assert str(err.value) == "colour must be one of ('rgb', 'depth', 'matte'), got 'bogus'"
    with pytest.raises(InvalidInputError) as err:
        matte_on_grid(capture(DEPTH5), "portrait", 1)
    assert str(err.value) == "no matte named 'portrait' in this capture; it has none"
    with pytest.raises(InvalidInputError) as err:
        matte_on_grid(capture(DEPTH5, mattes=MATTES), "portrait", 1)
    assert str(err.value) == "no matte named 'portrait' in this capture; it has ['first', 'second']"


def test_matte_on_grid_is_flat_row_major_on_the_stride_grid():
    m = matte_on_grid(capture(DEPTH5, mattes=MATTES), "second", 2)
    np.testing.assert_array_equal(m, [1.0, 0.75])
    assert m.dtype == np.float32


# ------------------------------------------------------------------------------ metadata


def test_metadata_source_format_parameters_and_colour():
    cap = capture(DEPTH5, path=Path("/photos/IMG_0001.HEIC"), format="hand-made")
    meta = project(cap, model="orthographic", near=0.5).metadata
    assert meta["source"] == "/photos/IMG_0001.HEIC" and meta["format"] == "hand-made"
    assert meta["colour"] == "depth (no colour image)"  # asked for rgb, no photo
    assert meta["parameters"] == {"model": "orthographic", "near": 0.5, "far": None, "stride": 1, "mask": None,
                                  "colour": "rgb", "matte": None, "depth_scale": 1.0, "aspect": 1.0}
    assert "intrinsics" not in meta and "intrinsics_size" not in meta
    rgb = np.full((2, 3, 3), 5, np.uint8)
    meta = project(capture(DEPTH5, rgb=rgb), model="orthographic").metadata
    assert meta["source"] is None and meta["colour"] == "rgb"


def test_metadata_intrinsics_at_depth_size_and_distortion_flag():
    cap = capture(calibration=CAL)
    meta = project(cap).metadata
    assert meta["intrinsics"] == [[4.0, 0.0, 1.5], [0.0, 4.0, 1.0], [0.0, 0.0, 1.0]]
    assert meta["intrinsics_size"] == [4, 3]
    assert meta["calibration_source"] == "hand-written"
    assert meta["lens_distortion_removed"] is False  # CAL has no distortion model
    assert "intrinsics_warning" not in meta  # no EXIF focal length to compare with
    k = np.zeros(8)
    k[1] = 1e-4
    distorted = Calibration(intrinsic_matrix=CAL.intrinsic_matrix, reference_size=(8, 6), lens_distortion=k,
                            inverse_lens_distortion=-k, distortion_center=(4.0, 3.0), pixel_size_mm=0.001)
    cap = capture(calibration=distorted)
    assert project(cap).metadata["lens_distortion_removed"] is True
    assert project(cap, model="pinhole-raw").metadata["lens_distortion_removed"] is False


def test_metadata_warns_when_stored_intrinsics_disagree_with_exif():
    # 26 mm (35 mm equivalent) on an 8 x 6 reference (diagonal 10 px) means 26 * 10 / 43.27 = 6.01 px;
    # CAL stores 8 px: 33 % above on both axes
    cap = capture(calibration=CAL, camera=CameraInfo(focal_length_35mm=26))
    meta = project(cap).metadata
    assert meta["intrinsics_warning"] == "intrinsics ≠ EXIF (fx 33% above EXIF, fy 33% above EXIF)"
    # 35 mm means 8.09 px: within 10 %, no warning
    meta = project(capture(calibration=CAL, camera=CameraInfo(focal_length_35mm=35))).metadata
    assert "intrinsics_warning" not in meta


def test_point_cloud_takes_settings_and_calibration():
    cap = no_focal_length()
    cloud = point_cloud(cap, settings=ProjectionSettings(far=2.0, colour="depth"), calibration=CAL)
    keep = np.isfinite(DEPTH) & (DEPTH <= 2.0)
    vv, uu = np.mgrid[0:3, 0:4]
    np.testing.assert_allclose(cloud.xyz, pinhole_xyz(uu[keep], vv[keep], DEPTH[keep]), rtol=0, atol=1e-6)
    assert cloud.units == "m" and cloud.metadata["intrinsics_size"] == [4, 3]
