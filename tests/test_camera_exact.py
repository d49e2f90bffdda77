"""Camera functions pinned exactly where mutation testing (benchmarks/mutation.py) found the
suite lenient: rectify's interpolation, the estimated intrinsics' whole matrix and source, the
EXIF number forms, and the messages that tell a user what to do."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from depthlab.camera import (
    FULL_FRAME_DIAGONAL_MM,
    calibration_from_camera,
    calibration_from_exif,
    distort_points,
    estimate_calibration,
    rectification_map,
    rectify,
    undistort_points,
)
from depthlab.capture import Calibration, CameraInfo
from depthlab.errors import CalibrationError, InvalidInputError
from test_camera import PUG

W, H = 96, 72  # a 4:3 view of the pug's 4032x3024 calibration


def test_rectify_float_is_bilinear_exactly():
    """Bilinear interpolation of a linear ramp is the ramp itself: every output pixel holds the
    ramp's value where the map says to sample (NaN outside the distorted frame)."""
    mx, my = rectification_map(PUG, W, H)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    ramp = (0.25 * xx + 2.0 * yy + 3.0).astype(np.float32)
    out = rectify(ramp, PUG)
    inside = (mx > -0.5) & (mx < W - 0.5) & (my > -0.5) & (my < H - 0.5)
    # clamped at the border pixels: the ramp extended flat beyond the last centre
    want = 0.25 * np.clip(mx, 0, W - 1) + 2.0 * np.clip(my, 0, H - 1) + 3.0
    np.testing.assert_allclose(out[inside], want[inside], rtol=0, atol=2e-3)
    assert np.isnan(out[~inside]).all() and (~inside).any() and inside.mean() > 0.9
    # three channels, each its own ramp, and a fill value
    rgb = np.stack([ramp, 2 * ramp, -ramp], -1)
    out3 = rectify(rgb, PUG, fill=-7.0)
    assert out3.shape == rgb.shape and out3.dtype == np.float32
    for c, k in enumerate((1, 2, -1)):
        np.testing.assert_allclose(out3[..., c][inside], k * want[inside], rtol=0, atol=5e-3)
        assert (out3[..., c][~inside] == -7.0).all()


def test_rectify_integer_is_nearest_and_exact():
    mx, my = rectification_map(PUG, W, H)
    yy, xx = np.mgrid[0:H, 0:W]
    codes = (xx + 1000 * yy).astype(np.int32)
    out = rectify(codes, PUG)
    inside = (mx > -0.5) & (mx < W - 0.5) & (my > -0.5) & (my < H - 0.5)
    want = np.clip(np.rint(mx), 0, W - 1).astype(int) + 1000 * np.clip(np.rint(my), 0, H - 1).astype(int)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out[inside], want[inside])
    assert (out[~inside] == 0).all()


def test_rectify_refuses_other_shapes():
    with pytest.raises(InvalidInputError, match=r"\(H, W\) or \(H, W, C\)"):
        rectify(np.zeros(5, np.float32), PUG)


def test_rectification_map_is_the_identity_without_distortion():
    flat = Calibration(intrinsic_matrix=PUG.intrinsic_matrix, reference_size=PUG.reference_size)
    mx, my = rectification_map(flat, W, H)
    yy, xx = np.mgrid[0:H, 0:W]
    np.testing.assert_allclose(mx, xx, atol=1e-4)
    np.testing.assert_allclose(my, yy, atol=1e-4)


def test_distortion_functions_name_what_is_missing():
    flat = Calibration(intrinsic_matrix=PUG.intrinsic_matrix, reference_size=PUG.reference_size)
    msg = ("the calibration has no lens-distortion model (missing lens_distortion, inverse_lens_distortion, "
           "distortion_center, pixel_size_mm); use model='pinhole-raw' to project without removing distortion")
    for fn in (distort_points, undistort_points):
        with pytest.raises(CalibrationError) as err:
            fn(flat, np.zeros(2))
        assert str(err.value) == msg
    with pytest.raises(InvalidInputError, match=r"shape \(\.\.\., 2\)"):
        distort_points(PUG, np.zeros(3))


# ------------------------------------------------------------------------------ estimated intrinsics


@pytest.mark.parametrize("kwargs, f, source", [
    ({"focal_length_px": 1000.0}, 1000.0, "focal length in pixels (given)"),
    ({"focal_length_35mm": 26}, 26 * 5000 / FULL_FRAME_DIAGONAL_MM, "35 mm-equivalent focal length"),
    ({"focal_length_mm": 4.0, "sensor_width_mm": 8.0}, 4.0 * 4000 / 8.0, "focal length and sensor width"),
])
def test_estimate_calibration_whole_matrix_and_source(kwargs, f, source):
    cal = estimate_calibration(4000, 3000, **kwargs)
    np.testing.assert_array_equal(cal.intrinsic_matrix, [[f, 0, 2000.0], [0, f, 1500.0], [0, 0, 1]])
    assert cal.reference_size == (4000, 3000) and cal.estimated and cal.source == source
    assert cal.lens_distortion is None


@pytest.mark.parametrize("w, h", [(0, 10), (10, 0), (-1, 10), (10, -1)])
def test_estimate_calibration_refuses_empty_sizes(w, h):
    with pytest.raises(InvalidInputError, match=f"image size must be positive, got {w}x{h}"):
        estimate_calibration(w, h, focal_length_px=100)


def test_estimate_calibration_on_a_one_pixel_side_works():
    assert estimate_calibration(1, 1, focal_length_px=0.5).fx == 0.5


def test_estimate_calibration_needs_a_usable_focal_length():
    with pytest.raises(CalibrationError) as err:
        estimate_calibration(40, 30)
    assert str(err.value) == (
        "no calibration and no focal length known for this 40x30 image; give one, e.g. "
        "estimate_calibration(w, h, focal_length_35mm=26) or focal_length_px=..., "
        "or focal_length_mm=... with sensor_width_mm=...")
    for bad in ({"focal_length_px": 0}, {"focal_length_px": -3}, {"focal_length_35mm": float("nan")},
                {"focal_length_mm": 4.0, "sensor_width_mm": 0}, {"focal_length_mm": "x", "sensor_width_mm": 5}):
        with pytest.raises(CalibrationError, match="^the focal length given for this 40x30 image is not a positive finite number$"):
            estimate_calibration(40, 30, **bad)
    with pytest.raises(CalibrationError, match="no focal length known"):
        estimate_calibration(40, 30, focal_length_mm=4.0)  # no sensor width: not enough


@pytest.mark.parametrize("value, f35", [(26, 26.0), (26.0, 26.0), (Fraction(52, 2), 26.0), ((52, 2), 26.0), ((26, 1), 26.0)])
def test_exif_number_forms(value, f35):
    cal = calibration_from_exif({"FocalLengthIn35mmFilm": value}, 4000, 3000)
    assert cal.fx == pytest.approx(f35 * 5000 / FULL_FRAME_DIAGONAL_MM)


@pytest.mark.parametrize("value", [(26, 0), (1, 2, 3), 0, -5, "abc", float("inf"), 0.5 - 0.5])
def test_exif_unusable_numbers_are_no_focal_length(value):
    with pytest.raises(CalibrationError, match="no focal length"):
        calibration_from_exif({"FocalLengthIn35mmFilm": value}, 4000, 3000)


def test_exif_focal_plane_resolution_units():
    # FocalLength 4 mm, 1000 pixels per unit: inch (2, also assumed when absent), cm (3), mm (4), um (5)
    for unit, mm in ((2, 25.4), (3, 10.0), (4, 1.0), (5, 0.001), (None, 25.4)):
        exif = {"FocalLength": 4.0, "FocalPlaneXResolution": 1000.0}
        if unit is not None:
            exif["FocalPlaneResolutionUnit"] = unit
        cal = calibration_from_exif(exif, 4000, 3000)
        assert cal.fx == pytest.approx(4.0 * 1000.0 / mm)
        assert cal.source == "EXIF FocalLength and FocalPlaneXResolution"
    with pytest.raises(CalibrationError) as err:
        calibration_from_exif({"FocalLength": 4.0, "FocalPlaneXResolution": 1000.0, "FocalPlaneResolutionUnit": 9}, 40, 30)
    assert "its EXIF has FocalLength only" in str(err.value)
    with pytest.raises(CalibrationError) as err:
        calibration_from_exif({"FocalPlaneXResolution": 1000.0, "FocalPlaneResolutionUnit": 3}, 40, 30)
    assert str(err.value) == (
        "this file stores no calibration and its EXIF has no focal length (no FocalLengthIn35mmFilm, no "
        "focal-plane resolution); intrinsics cannot be estimated. Give a focal length: "
        "depthlab.camera.estimate_calibration(w, h, focal_length_35mm=...) and pass it as calibration=")
    with pytest.raises(CalibrationError, match="FocalLength only"):
        calibration_from_exif({"FocalLength": 4.0}, 40, 30)


def test_calibration_from_camera_uses_the_35mm_equivalent():
    cal = calibration_from_camera(CameraInfo(kind="GDepth", focal_length_35mm=28.0, focal_length_mm=4.0), 400, 300)
    assert cal.fx == pytest.approx(28 * 500 / FULL_FRAME_DIAGONAL_MM) and cal.source == "EXIF FocalLengthIn35mmFilm"
    with pytest.raises(CalibrationError, match="FocalLength only"):
        calibration_from_camera(CameraInfo(kind="GDepth", focal_length_mm=4.0), 400, 300)
