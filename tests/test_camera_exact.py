"""Camera functions pinned exactly where mutation testing (benchmarks/mutation.py) found the
suite lenient: rectify's interpolation, the estimated intrinsics' whole matrix and source, the
EXIF number forms, and the messages that tell a user what to do."""

from __future__ import annotations

import math
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from depthlab.camera import (
    FULL_FRAME_DIAGONAL_MM,
    calibration_from_camera,
    calibration_from_exif,
    check_intrinsics_against_exif,
    distort_points,
    estimate_calibration,
    radial_scale,
    ray_planes,
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


def test_exif_resolution_unit_as_a_whole_number_of_any_type():
    """FocalPlaneResolutionUnit is a SHORT in EXIF, but a tag dict built from JSON or another
    reader may hold 3.0 or Fraction(3): the same centimetres.  A unit that is no whole code (3.5,
    "cm", 9) is not guessed as inches: the focal length cannot be estimated."""
    for unit in (3.0, Fraction(3), np.int16(3), np.float32(3)):
        cal = calibration_from_exif({"FocalLength": 4.0, "FocalPlaneXResolution": 1000.0, "FocalPlaneResolutionUnit": unit}, 4000, 3000)
        assert cal.fx == pytest.approx(4.0 * 1000.0 / 10.0)  # 1000 px per cm, 4 mm -> 400 px
    for unit in (3.5, "cm", 9.0, (3, 1), float("nan")):
        with pytest.raises(CalibrationError, match="FocalLength only"):
            calibration_from_exif({"FocalLength": 4.0, "FocalPlaneXResolution": 1000.0, "FocalPlaneResolutionUnit": unit}, 4000, 3000)


def test_calibration_from_camera_on_an_object_without_focal_lengths():
    """Any reader's camera object will do: one without the attributes has no focal length."""
    with pytest.raises(CalibrationError, match="its EXIF has no focal length"):
        calibration_from_camera(object(), 400, 300)
    cal = calibration_from_camera(SimpleNamespace(focal_length_35mm=28.0), 400, 300)
    assert cal.fx == pytest.approx(28 * 500 / FULL_FRAME_DIAGONAL_MM)


# ------------------------------------------------------------------------------ the radial model


def test_radial_scale_by_hand():
    """P(t) = 100 t (only c1) with 0.1 mm pixels: r = 10 px is rho = 1 mm, t = 1, factor
    1 / (1 + 100 * 1 / 100) = 1/2; r = 20 px: t = 4, factor 1/5."""
    c = np.array([0, 100, 0, 0, 0, 0, 0, 0], np.float64)
    got = radial_scale(c, [0, 10, 20], 0.1)  # integer radii: computed in float64
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, [1.0, 0.5, 0.2], rtol=1e-12)
    got32 = radial_scale(c, np.array([0, 10, 20], np.float32), 0.1)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, [1.0, 0.5, 0.2], rtol=1e-6)
    # beyond the valid radius the factor of that radius is held: at 10 px, 1/2
    np.testing.assert_allclose(radial_scale(c, [0, 10, 20], 0.1, max_radius_px=10), [1.0, 0.5, 0.5], rtol=1e-12)
    # a radius below one pixel is still a radius: 0.5 px is t = 0.05**2
    np.testing.assert_allclose(radial_scale(c, [0, 20], 0.1, max_radius_px=0.5), [1.0, 1 / 1.0025], rtol=1e-12)
    # no usable radius (0, negative, NaN, inf) is no bound at all
    for bad in (0, -5, float("nan"), float("inf")):
        np.testing.assert_allclose(radial_scale(c, [0, 10, 20], 0.1, max_radius_px=bad), [1.0, 0.5, 0.2], rtol=1e-12)


def test_radial_scale_float32_coefficients_in_float64():
    """Coefficients handed over as float32 are evaluated in float64 for float64 radii: c0 = 10
    gives exactly 1 / (1 + 10/100) = 1/1.1 to double precision, not float32's 0.1."""
    c = np.zeros(8, np.float32)
    c[0] = 10
    np.testing.assert_allclose(radial_scale(c, np.array([0.0, 3.0]), 0.1), [1 / 1.1, 1 / 1.1], rtol=1e-14)


# ------------------------------------------------------------------------------ rays


def test_ray_planes_default_stride_is_every_pixel_and_a_bad_stride_is_named():
    rx, ry = ray_planes(PUG, 8, 6)
    assert rx.shape == ry.shape == (48,) and rx.dtype == ry.dtype == np.float32
    # row-major: x grows along a row, y down the rows
    assert (np.diff(rx.reshape(6, 8), axis=1) > 0).all() and (np.diff(ry.reshape(6, 8), axis=0) > 0).all()
    for bad in (0, -2, 2.5):  # one stride rule (depthlab.checks): 2.5 is refused, not truncated
        with pytest.raises(InvalidInputError) as err:
            ray_planes(PUG, 8, 6, stride=bad)
        assert str(err.value) == f"stride must be a whole number of at least 1, got {bad}"


def test_rectification_maps_are_float32():
    """cv2.remap takes float32 maps (CV_32FC1), as documented."""
    mx, my = rectification_map(PUG, W, H)
    assert mx.dtype == my.dtype == np.float32 and mx.shape == my.shape == (H, W)


# ------------------------------------------------------------------------------ rectify, by hand
#
# A calibration whose forward polynomial is the constant c0 = 100 * (1/k - 1) magnifies by
# exactly k about its distortion centre: 1 / (1 + c0 / 100) = k.  On a reference of the image's
# own size, output pixel u (centre u + 0.5, corner origin) samples the distorted image at
# corner-origin x' = c + k * (u + 0.5 - c), i.e. centre-origin mx = x' - 0.5.


def zoom(k: float, centre: tuple[float, float], size: tuple[int, int]) -> Calibration:
    w, h = size
    return Calibration(intrinsic_matrix=[[4.0, 0, w / 2], [0, 4.0, h / 2], [0, 0, 1]], reference_size=size,
                       lens_distortion=[100 * (1 / k - 1)] + [0] * 7, inverse_lens_distortion=[100 * (k - 1)] + [0] * 7,
                       distortion_center=centre, pixel_size_mm=1.0)


def ramp(h: int, w: int) -> np.ndarray:
    """src[v, u] = 10 u + 100 v: bilinear interpolation reproduces it exactly."""
    yy, xx = np.mgrid[0:h, 0:w]
    return (10.0 * xx + 100.0 * yy).astype(np.float32)


def test_rectify_clamps_samples_between_the_last_centre_and_the_edge():
    """k = 1.25 about the centre of a 4x4 image: mx = 1.25 u - 0.375 = -0.375, 0.875, 2.125,
    3.375, all inside (-0.5, 3.5).  The first and last fall between the outer pixel centres and
    the frame's edge, where the image is held flat (no extrapolation): x = 0, 0.875, 2.125, 3."""
    out = rectify(ramp(4, 4), zoom(1.25, (2.0, 2.0), (4, 4)))
    along = np.array([0.0, 0.875, 2.125, 3.0])
    np.testing.assert_allclose(out, 100 * along[:, None] + 10 * along[None, :], rtol=0, atol=1e-3)
    # nearest for integer images: rint(-0.375) = 0, 1, 2, 3 -- each pixel's own code
    codes = np.arange(16, dtype=np.uint16).reshape(4, 4)
    np.testing.assert_array_equal(rectify(codes, zoom(1.25, (2.0, 2.0), (4, 4))), codes)


def test_rectify_frame_edge_is_outside_on_both_sides():
    """k = 2 about (1, 1): mx = 2 u - 0.5 = -0.5, 1.5, 3.5, 5.5 (exact in binary).  The source
    covers the open interval (-0.5, w - 0.5): a sample exactly on either edge is outside, the
    same on the low and the high side.  Only (1, 1) is inside: (1.5, 1.5) -> 15 + 150."""
    out = rectify(ramp(4, 4), zoom(2.0, (1.0, 1.0), (4, 4)))
    assert out[1, 1] == pytest.approx(165.0, abs=1e-4)
    out[1, 1] = np.nan
    assert np.isnan(out).all()


def test_rectify_samples_far_outside_the_frame_are_filled():
    """k = 4 about (4.1, 4.1) on 4x4: mx = 4 u - 10.8 = -10.8, -6.8, -2.8, 1.2.  Samples more
    than a frame width outside (on the negative side, where an index would wrap) get the fill;
    only (3, 3) is inside: (1.2, 1.2) -> 12 + 120 bilinear, source pixel (1, 1) nearest."""
    cal = zoom(4.0, (4.1, 4.1), (4, 4))
    out = rectify(ramp(4, 4), cal, fill=-1.0)
    want = np.full((4, 4), -1.0)
    want[3, 3] = 132.0
    np.testing.assert_allclose(out, want, rtol=0, atol=1e-3)
    codes = np.arange(1, 17, dtype=np.uint8).reshape(4, 4)
    want_codes = np.zeros((4, 4), np.uint8)
    want_codes[3, 3] = codes[1, 1]
    np.testing.assert_array_equal(rectify(codes, cal), want_codes)


def test_rectify_one_pixel_wide_or_high():
    """A one-pixel column or row is interpolated along its length only: k = 1.25 about the
    centre gives the clamped positions 0, 0.875, 2.125, 3 as above (x 100 down a column, x 10
    along a row); a single pixel stays itself."""
    along = np.array([0.0, 0.875, 2.125, 3.0])
    col = rectify(ramp(4, 1), zoom(1.25, (0.5, 2.0), (1, 4)))
    assert col.shape == (4, 1) and col.dtype == np.float32
    np.testing.assert_allclose(col[:, 0], 100 * along, rtol=0, atol=1e-3)
    row = rectify(ramp(1, 4), zoom(1.25, (2.0, 0.5), (4, 1)))
    np.testing.assert_allclose(row[0], 10 * along, rtol=0, atol=1e-3)
    one = rectify(np.full((1, 1, 3), 7.0, np.float32), zoom(1.25, (0.5, 0.5), (1, 1)))
    np.testing.assert_array_equal(one, np.full((1, 1, 3), 7.0, np.float32))


# ------------------------------------------------------------------------------ stored vs EXIF


def test_intrinsics_against_exif_words_by_hand():
    """26 mm (35 mm equivalent) on a 4000x3000 reference is 26 * 5000 / 43.27 px; fx at 0.3 of
    that is 70 % below, fy at 1.2 is 20 % above."""
    expected = 26 * 5000 / math.hypot(36, 24)
    cal = Calibration(intrinsic_matrix=[[0.3 * expected, 0, 2000], [0, 1.2 * expected, 1500], [0, 0, 1]], reference_size=(4000, 3000))
    check = check_intrinsics_against_exif(cal, SimpleNamespace(focal_length_35mm=26))
    assert check.expected_px == pytest.approx(expected) and not check.agrees
    assert check.short == "intrinsics ≠ EXIF (fx 70% below EXIF, fy 20% above EXIF)"
    only_y = Calibration(intrinsic_matrix=[[expected, 0, 2000], [0, 1.2 * expected, 1500], [0, 0, 1]], reference_size=(4000, 3000))
    assert check_intrinsics_against_exif(only_y, SimpleNamespace(focal_length_35mm=26)).short == "intrinsics ≠ EXIF (fy 20% above EXIF)"
    # a wider tolerance is kept and used
    loose = check_intrinsics_against_exif(cal, SimpleNamespace(focal_length_35mm=26), tolerance=0.8)
    assert loose.tolerance == 0.8 and loose.agrees and loose.short == "" and loose.note == ""
    # nothing to compare: no camera info, or one without the attribute
    assert check_intrinsics_against_exif(cal, None) is None
    assert check_intrinsics_against_exif(cal, object()) is None
