"""The scene frame: camera frame (x right, y down, z forward) -> three.js (y up, z toward viewer)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from depthlab.errors import InvalidInputError
from depthlab.live.scene import default_point_size, grid_spec, initial_camera, nice_step, to_threejs


def test_to_threejs_flips_y_and_z_only():
    xyz = np.array([[1.0, 2.0, 3.0], [-0.5, -0.25, 0.75]], dtype=np.float64)
    out = to_threejs(xyz)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1.0, -2.0, -3.0], [-0.5, 0.25, -0.75]])


def test_to_threejs_is_a_proper_rotation_and_its_own_inverse():
    rng = np.random.default_rng(0)
    xyz = rng.normal(size=(100, 3)).astype(np.float32)
    back = to_threejs(to_threejs(xyz))
    np.testing.assert_array_equal(back, xyz)
    # handedness kept: x cross y = z in both frames (a rotation, not a mirror)
    ex, ey = to_threejs(np.array([[1.0, 0, 0]]))[0], to_threejs(np.array([[0, 1.0, 0]]))[0]
    np.testing.assert_array_equal(np.cross(ex, ey), to_threejs(np.array([[0, 0, 1.0]]))[0])


def test_to_threejs_fills_out_buffer_in_place():
    xyz = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    buf = np.zeros((1, 3), np.float32)
    assert to_threejs(xyz, out=buf) is buf
    np.testing.assert_array_equal(buf, [[1, -2, -3]])
    assert to_threejs(xyz, out=xyz) is xyz  # in place is allowed
    with pytest.raises(InvalidInputError):
        to_threejs(xyz, out=np.zeros((2, 3), np.float32))
    with pytest.raises(InvalidInputError):
        to_threejs(np.zeros((3, 2)))


def test_initial_camera_sits_at_the_phone_and_looks_down_the_axis():
    # a pinhole-like cloud: background at 2 m spans +-1 m horizontally, +-0.75 m vertically
    cam = initial_camera([-1.0, -0.75, 0.4], [1.0, 0.75, 2.0], aspect=4 / 3)
    assert cam["position"] == (0.0, 0.0, 0.0)
    assert cam["target"] == (0.0, 0.0, -1.2)  # three.js: forward is -z
    assert cam["up"] == (0.0, 1.0, 0.0)
    # vertical half-angle: atan(0.75 / 2) with the 8 % margin; horizontally the same at aspect 4/3
    expected = 2 * math.degrees(math.atan(0.75 / 2 * 1.08))
    assert cam["fov"] == pytest.approx(expected, rel=1e-6)
    assert 0 < cam["near"] < 0.4 and cam["far"] > 2.0


def test_initial_camera_wide_aspect_limits_by_width():
    cam = initial_camera([-1.0, -0.1, 1.0], [1.0, 0.1, 2.0], aspect=1.0)
    assert cam["fov"] == pytest.approx(2 * math.degrees(math.atan(0.5 * 1.08)), rel=1e-6)


def test_initial_camera_steps_back_for_a_cloud_wider_than_deep():
    # the teaching model: a pixel grid 700 x 500 units with z of a few units
    cam = initial_camera([0.0, 0.0, 0.4], [700.0, 500.0, 2.0])
    assert cam["fov"] == 50.0
    x, y, z = cam["position"]
    tx, ty, tz = cam["target"]
    assert (tx, ty) == pytest.approx((350.0, -250.0))
    assert z > 500  # behind the phone, looking toward -z at the cloud
    assert cam["far"] > z - tz


def test_initial_camera_rejects_empty_bounds():
    with pytest.raises(InvalidInputError, match="empty"):
        initial_camera([np.nan] * 3, [np.nan] * 3)
    with pytest.raises(InvalidInputError):
        initial_camera([1, 1, 1], [0, 0, 0])


def test_nice_step_reads_as_round_numbers():
    assert nice_step(1.3) == 0.2
    assert nice_step(0.04) == 0.01
    assert nice_step(740, 4) == 200.0
    assert nice_step(10, 1) == 10.0


def test_grid_lies_under_the_cloud_in_metres():
    g = grid_spec([-1.0, -0.75, 0.4], [1.0, 0.75, 2.0])
    assert g["step"] == 0.2 and g["label"] == "grid 0.2 m"
    assert g["divisions"] % 2 == 0 and g["size"] == pytest.approx(g["divisions"] * g["step"])
    assert g["size"] >= 2.0
    # lowest point of the cloud is camera y = +0.75 -> three.js y = -0.75; centred under the cloud
    assert g["centre"] == pytest.approx((0.0, -0.75, -1.2))
    assert grid_spec([0, 0, 0], [100, 1, 1], units="arbitrary")["label"] == "grid 10 units (arbitrary)"


def test_default_point_size_matches_spacing():
    # 100 x 100 points over 1 m x 1 m: spacing 1 cm -> 1.5 cm points
    assert default_point_size([0, 0, 1], [1, 1, 1], 10_000) == pytest.approx(0.015)


def test_initial_camera_fit_all_shows_the_near_face_of_a_flat_cloud():
    # orthographic teaching cloud: one unit wide at every depth from 1.6 to 3.8
    lo, hi = [-0.5, -0.375, 1.6], [0.5, 0.375, 3.8]
    far = initial_camera(lo, hi, fit="far")
    whole = initial_camera(lo, hi, fit="all")
    assert far["fov"] == pytest.approx(2 * math.degrees(math.atan(0.5 / 3.8 * 1.08)))
    assert whole["fov"] == pytest.approx(2 * math.degrees(math.atan(0.5 / 1.6 * 1.08)))
    assert whole["position"] == (0.0, 0.0, 0.0)
    with pytest.raises(InvalidInputError):
        initial_camera(lo, hi, fit="near")
