"""Geometry pinned exactly where mutation testing (benchmarks/mutation.py) found the suite
lenient: the pinhole and flat formulas worked out by hand on tiny grids, the defaults of
``points_from_depth`` / ``points_from_calibration``, float32 throughout (also for float64
input), the masking of ``disparity_as_z``, blocks beyond the first 65536 points, lens
distortion removed for ``"pinhole"`` only, and the messages that tell a user what to do.

Pixel centres (:mod:`depthlab.conventions`): the calibration's intrinsics are corner-origin at
its reference size, so grid pixel ``(u, v)`` of a ``W x H`` map sits at reference coordinates
``((u + 0.5) * rw / W, (v + 0.5) * rh / H)`` and its ray is ``((xr - cx) / fx, (yr - cy) / fy, 1)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from depthlab.capture import Calibration
from depthlab.errors import CalibrationError, InvalidInputError
from depthlab.geometry import disparity_as_z, points_from_calibration, points_from_depth, ray_grid

W, H = 4, 3
# reference 8 x 6, fx = fy = 4, principal point at the centre (4, 3), corner origin.  A 4 x 3 map
# is this view at half size: pixel u's centre is reference x = 2u + 1 = 1, 3, 5, 7, so its ray
# x is (2u + 1 - 4) / 4 = -0.75, -0.25, 0.25, 0.75; rows: (2v + 1 - 3) / 4 = -0.5, 0, 0.5.
CAL = Calibration(intrinsic_matrix=[[4.0, 0.0, 4.0], [0.0, 4.0, 3.0], [0.0, 0.0, 1.0]], reference_size=(8, 6))
RX = np.array([-0.75, -0.25, 0.25, 0.75])
RY = np.array([-0.5, 0.0, 0.5])
# depths (m) of the 4 x 3 map, row-major; all exact in float32
DEPTH = np.array([[1.0, 2.0, 0.5, 4.0],
                  [1.5, np.nan, 3.0, 0.25],
                  [2.5, 1.25, 8.0, 0.75]], dtype=np.float32)


def _pinhole_by_hand(depth, k=1.0, stride=1):
    """(x, y, z) = k * d * (rx, ry, 1) on the stride grid, from RX/RY above."""
    d = depth[::stride, ::stride]
    rx, ry = np.meshgrid(RX[::stride], RY[::stride])
    return np.stack([k * d * rx, k * d * ry, k * d], -1).reshape(-1, 3)


def _flat_by_hand(depth, k=1.0, aspect=1.0):
    """x = (u - (W-1)/2) / W, y = aspect * (v - (H-1)/2) / W, z = k * d."""
    u, v = np.meshgrid(np.arange(W), np.arange(H))
    x = (u - (W - 1) / 2) / W          # -0.375, -0.125, 0.125, 0.375
    y = aspect * (v - (H - 1) / 2) / W  # -0.25, 0, 0.25 (times aspect)
    return np.stack([x, y, k * depth], -1).reshape(-1, 3)


@pytest.mark.parametrize("model", ["pinhole", "pinhole-raw"])
def test_pinhole_points_by_hand_with_defaults(model):
    """No stride, depth_scale or out given: every pixel, metres as they are, a new float32
    (M, 3) array; both entry points give the same hand-worked numbers (CAL has no distortion,
    so "pinhole" and "pinhole-raw" agree)."""
    want = _pinhole_by_hand(DEPTH)
    a = points_from_calibration(DEPTH, CAL, (W, H), model)
    b = points_from_depth(DEPTH, ray_grid(CAL, (W, H), model))
    for got in (a, b):
        assert got.dtype == np.float32 and got.shape == (W * H, 3)
        np.testing.assert_array_equal(got, want)  # NaN where the depth is NaN, in all three


def test_pinhole_points_with_stride_scale_and_flat_depth():
    """stride 2 keeps pixels (0, 0), (2, 0), (0, 2), (2, 2); depth_scale scales the whole point;
    the depth may come flat (M,) as well as in the grid's shape."""
    want = _pinhole_by_hand(DEPTH, k=2.0, stride=2)
    grid_depth = DEPTH[::2, ::2]
    assert want.shape == (4, 3)
    for d in (grid_depth, grid_depth.reshape(-1)):
        np.testing.assert_array_equal(points_from_calibration(d, CAL, (W, H), "pinhole-raw", 2, 2.0), want)
        rays = ray_grid(CAL, (W, H), "pinhole-raw", 2)
        np.testing.assert_array_equal(points_from_depth(d, rays, 2.0), want)
    # a caller's buffer is filled and returned
    buf = np.full((4, 3), -1.0, dtype=np.float32)
    assert points_from_calibration(grid_depth, CAL, (W, H), "pinhole", 2, 2.0, out=buf) is buf
    np.testing.assert_array_equal(buf, want)


@pytest.mark.parametrize("model", ["orthographic", "disparity-as-z"])
def test_flat_points_by_hand_with_defaults(model):
    """Flat models: the grid spans one unit across, y is not stretched unless asked (aspect 1),
    z is the depth unscaled."""
    want = _flat_by_hand(DEPTH)
    a = points_from_calibration(DEPTH, None, (W, H), model)
    b = points_from_depth(DEPTH, ray_grid(None, (W, H), model))
    for got in (a, b):
        assert got.dtype == np.float32 and got.shape == (W * H, 3)
        np.testing.assert_array_equal(got, want)
    want2 = _flat_by_hand(DEPTH, k=0.5, aspect=1.5)
    np.testing.assert_array_equal(points_from_calibration(DEPTH, None, (W, H), model, 1, 0.5, 1.5), want2)
    np.testing.assert_array_equal(points_from_depth(DEPTH, ray_grid(None, (W, H), model), 0.5, 1.5), want2)


def test_flat_ray_grid_fields():
    """The cacheable grid records what it was made for and is float32 (M,), as documented."""
    g = ray_grid(CAL, (W, H), "orthographic", 2)  # the calibration is ignored by flat models
    assert g.model == "orthographic" and not g.pinhole
    assert g.size == (W, H) and g.stride == 2
    assert g.shape == (2, 2) and len(g) == 4
    for a, want in ((g.x, [-0.375, 0.125, -0.375, 0.125]), (g.y, [-0.25, -0.25, 0.25, 0.25])):
        assert a.dtype == np.float32 and a.shape == (4,)
        np.testing.assert_array_equal(a, want)


@pytest.mark.parametrize("model", ["pinhole-raw", "orthographic"])
def test_float64_depth_is_rounded_to_float32_once(model):
    """float32 throughout: a float64 depth is rounded to float32 first, so each point is the
    float32 product of that depth and its ray (x / z is the pixel's ray exactly), and z is
    the float32 depth."""
    rng = np.random.default_rng(7)
    d64 = rng.uniform(0.2, 5.0, size=(H, W))  # not representable in float32
    d32 = d64.astype(np.float32)
    if model == "pinhole-raw":
        rx, ry = (a.astype(np.float32) for a in np.meshgrid(RX, RY))
        want = np.stack([rx * d32, ry * d32, d32], -1).reshape(-1, 3)
        want3 = np.stack([rx * (d32 * np.float32(3)), ry * (d32 * np.float32(3)), d32 * np.float32(3)], -1)
    else:
        want = _flat_by_hand(d32).astype(np.float32)
        want3 = _flat_by_hand(d32 * np.float32(3)).astype(np.float32)
    cal = CAL if model == "pinhole-raw" else None
    for k, w in ((1.0, want), (3.0, want3.reshape(-1, 3))):
        a = points_from_calibration(d64, cal, (W, H), model, depth_scale=k)
        b = points_from_depth(d64, ray_grid(cal, (W, H), model), depth_scale=k)
        for got in (a, b):
            assert got.dtype == np.float32
            np.testing.assert_array_equal(got, w)


def test_more_than_one_block_of_points():
    """65700 points are worked in blocks of 65536; the last, short block is scaled like the
    first (depth_scale 2 exactly doubles z)."""
    w, h = 300, 219
    depth = (np.arange(w * h, dtype=np.float32) % 1000 + 1).reshape(h, w) / np.float32(64)
    u, v = np.meshgrid(np.arange(w), np.arange(h))
    want = np.stack([(u - (w - 1) / 2) / w, (v - (h - 1) / 2) / w, 2 * depth], -1).reshape(-1, 3)
    a = points_from_calibration(depth, None, (w, h), "orthographic", depth_scale=2.0)
    b = points_from_depth(depth, ray_grid(None, (w, h), "orthographic"), depth_scale=2.0)
    for got in (a, b):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-7)
        np.testing.assert_array_equal(got[:, 2], 2 * depth.reshape(-1))


def test_pinhole_removes_lens_distortion_and_pinhole_raw_does_not():
    """Apple's inverse polynomial P(t) = t (t = rho**2, mm**2, pixel size 1 mm), centre at the
    principal point (4, 3): the reference point (7.5, 3.5) of pixel (7, 3) of an 8 x 6 map has
    v = (3.5, 0.5), t = 12.5, so it moves to centre + v / (1 + 0.01 * 12.5) = centre + v / 1.125;
    its ray is (3.5 / 4.5, 0.5 / 4.5) = (7/9, 1/9) instead of the raw (0.875, 0.125)."""
    inverse = np.zeros(8)
    inverse[1] = 1.0
    cal = Calibration(intrinsic_matrix=[[4.0, 0.0, 4.0], [0.0, 4.0, 3.0], [0.0, 0.0, 1.0]], reference_size=(8, 6),
                      lens_distortion=np.zeros(8), inverse_lens_distortion=inverse, distortion_center=(4.0, 3.0),
                      pixel_size_mm=1.0)
    depth = np.full((6, 8), 2.0, dtype=np.float32)
    i = 3 * 8 + 7
    und = points_from_calibration(depth, cal, (8, 6), "pinhole")
    raw = points_from_calibration(depth, cal, (8, 6), "pinhole-raw")
    np.testing.assert_allclose(und[i], [2 * 7 / 9, 2 / 9, 2.0], rtol=1e-6)
    np.testing.assert_allclose(raw[i], [2 * 0.875, 2 * 0.125, 2.0], rtol=1e-6)
    np.testing.assert_allclose(points_from_depth(depth, ray_grid(cal, (8, 6), "pinhole"))[i], und[i], rtol=1e-6)


# -- disparity_as_z -----------------------------------------------------------------------------

DISP = [[1.0, 2.0], [np.nan, 4.0]]  # finite range 1..4: z = 5 - disparity


def test_disparity_as_z_mirrors_within_the_finite_range():
    z = disparity_as_z(np.array(DISP))  # float64 in, float32 out
    assert z.dtype == np.float32 and z.shape == (2, 2)
    np.testing.assert_array_equal(z, [[4.0, 3.0], [np.nan, 1.0]])


@pytest.mark.parametrize("valid", [
    np.array([[True, False], [True, True]]),
    np.array([1, 0, 1, 1], dtype=np.uint8),  # a 0/1 mask, flat: same pixels in row-major order
])
def test_disparity_as_z_masks_invalid_pixels(valid):
    """Invalid pixels are NaN; the range still comes from every finite disparity."""
    z = disparity_as_z(np.array(DISP, dtype=np.float32), valid)
    assert z.dtype == np.float32 and z.shape == (2, 2)
    np.testing.assert_array_equal(z, [[4.0, np.nan], [np.nan, 1.0]])


def test_disparity_as_z_range_ignores_invalid_pixels():
    """Unknown depth stored as disparity 0 or below (depth_from_disparity makes it NaN) must not
    widen the mirror's range: the valid disparities 0.5 and 1 mirror to z = 1.5 - d, in front of
    the camera, not 0 - d behind it."""
    d = np.array([1.0, 0.0, 0.5, -1.0], dtype=np.float32)
    z = disparity_as_z(d, d > 0)
    np.testing.assert_array_equal(z, [0.5, np.nan, 1.0, np.nan])


# -- errors that tell the user what happened and what to do ---------------------------------------

@pytest.mark.parametrize("model", ["pinhole-raw", "orthographic"])
@pytest.mark.parametrize("stride", [0, -1, 2.5])
def test_a_stride_below_one_is_refused_by_both_entry_points(model, stride):
    """Not a ZeroDivisionError from the grid's size (stride 0), nor a grid of negative size
    whose count happens to match (stride -1): the library's own error, naming the stride."""
    with pytest.raises(InvalidInputError, match=rf"stride must be a whole number of at least 1, got {stride}$"):
        ray_grid(CAL, (W, H), model, stride)
    with pytest.raises(InvalidInputError, match=rf"stride must be a whole number of at least 1, got {stride}$"):
        points_from_calibration(DEPTH, CAL, (W, H), model, stride)


def test_errors_name_what_was_found_and_what_to_do():
    for call in (lambda: ray_grid(None, (W, H), "pinhole"),
                 lambda: points_from_calibration(DEPTH, None, (W, H), "pinhole-raw")):
        with pytest.raises(CalibrationError, match=r"needs the camera's intrinsics; or use model='orthographic'"):
            call()
    with pytest.raises(InvalidInputError, match=r"depth has 5 values but the ray grid \(3, 4\) has 12"):
        points_from_depth(np.ones(5), ray_grid(None, (W, H), "orthographic"))
    with pytest.raises(InvalidInputError, match=r"depth has 5 values but the grid \(3, 4\) has 12"):
        points_from_calibration(np.ones(5), None, (W, H), "orthographic")
