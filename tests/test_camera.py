"""Camera geometry: Apple's lens-distortion reading, rays, rectification, EXIF estimates."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_sample
from depthlab.camera import (
    FULL_FRAME_DIAGONAL_MM,
    calibration_from_exif,
    distort_points,
    estimate_calibration,
    pixel_rays,
    radial_scale,
    ray_planes,
    rectification_map,
    rectify,
    undistort_points,
)
from depthlab.capture import Calibration
from depthlab.errors import CalibrationError, InvalidInputError

# The calibration stored in ../shared/samples/iphone/rear_dual_pug.heic (depth item XMP), as
# numbers, so the model is tested even where the samples folder is absent.
PUG = Calibration(
    intrinsic_matrix=[[3032.59423828125, 0, 1988.450927734375], [0, 3032.59423828125, 1512.30712890625], [0, 0, 1]],
    reference_size=(4032, 3024),
    lens_distortion=[0.0, -0.94312471151351929, 0.20781543850898743, -0.021483847871422768,
                     0.00097162544261664152, -7.9003630162333138e-06, -6.6110112584283343e-07, 1.4275520321405111e-08],
    inverse_lens_distortion=[0.0, 0.92712384462356567, -0.19650104641914368, 0.019290488213300705,
                             -0.00079344934783875942, 1.9311880805616966e-06, 7.043756795610534e-07, -1.3319315428361733e-08],
    distortion_center=(1990.331298828125, 1515.205078125),
    pixel_size_mm=0.0019,
    source="rear_dual_pug.heic depth XMP",
)
# rear_dual_2x_upright.heic (stored upright: reference 3024x4032)
UPRIGHT_2X = Calibration(
    intrinsic_matrix=[[5761.796875, 0, 1507.4324951171875], [0, 5761.796875, 1999.568359375], [0, 0, 1]],
    reference_size=(3024, 4032),
    lens_distortion=[0.0, -0.25438752770423889, -0.037388626486063004, 0.011071184650063515,
                     -0.0016155279008671641, 0.00019145102123729885, -1.2868872545368504e-05, 3.3066211813093105e-07],
    inverse_lens_distortion=[0.0, 0.25472807884216309, 0.036001481115818024, -0.010867269709706306,
                             0.0015357192605733871, -0.00016413049888797104, 9.8831396826426499e-06, -2.2861178194943932e-07],
    distortion_center=(1510.2911376953125, 1980.986328125),
    pixel_size_mm=0.00122,
)
# front_truedepth_mattes.heic: fx != fy, every distortion coefficient zero
FRONT = Calibration(
    intrinsic_matrix=[[2085.5478515625, 0, 1158], [0, 2718.403564453125, 1543.9998779296875], [0, 0, 1]],
    reference_size=(2316, 3088),
    lens_distortion=[0.0] * 8,
    inverse_lens_distortion=[0.0] * 8,
    distortion_center=(806.0, 1158.0),
    pixel_size_mm=0.001,
)


def frame_points(cal: Calibration, n: int = 41) -> np.ndarray:
    """A grid of pixel centres covering the whole reference frame, corners included."""
    w, h = cal.reference_size
    xs = np.linspace(0.5, w - 0.5, n)
    ys = np.linspace(0.5, h - 0.5, n)
    g = np.stack(np.meshgrid(xs, ys), axis=-1)
    return g.reshape(-1, 2)


# ---------------------------------------------------------------------------------- the reading


def _poly(coef, t):
    """P(t) = sum_i c_i t**i, written out independently of depthlab.camera."""
    return sum(float(ci) * t ** i for i, ci in enumerate(coef))


def _radius_map(cal, coef, r, reading):
    """Apple's division form r' = r / (1 + P/100), P evaluated at rho (reading 'rho') or at
    rho**2 (reading 'rho2', Apple's code), rho = r * PixelSize."""
    rho = r * cal.pixel_size_mm
    return r / (1 + _poly(coef, rho if reading == "rho" else rho * rho) / 100.0)


def _closure(cal, reading, fraction=1.0):
    """Largest |inverse(forward(r)) - r| and |forward(inverse(r)) - r| (reference px) for r from 0
    to ``fraction`` of the centre-to-farthest-corner radius."""
    w, h = cal.reference_size
    c = np.asarray(cal.distortion_center)
    corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], dtype=float)
    r = np.linspace(0, fraction * np.hypot(*(corners - c).T).max(), 2001)
    f, i = cal.lens_distortion, cal.inverse_lens_distortion
    a = np.abs(_radius_map(cal, i, _radius_map(cal, f, r, reading), reading) - r)
    b = np.abs(_radius_map(cal, f, _radius_map(cal, i, r, reading), reading) - r)
    return float(np.maximum(a, b).max())


def test_the_model_is_apples_evaluation_in_rho_squared():
    """depthlab.camera evaluates P at (r * PixelSize)**2 and divides, as Apple's frameworks do
    (docs/lens_distortion.md): checked against the formula written out here."""
    r = np.array([0.0, 300.0, 1200.0, 2500.0])
    for cal, coef in ((PUG, PUG.lens_distortion), (PUG, PUG.inverse_lens_distortion), (UPRIGHT_2X, UPRIGHT_2X.inverse_lens_distortion)):
        expected = 1 / (1 + _poly(coef, (r * cal.pixel_size_mm) ** 2) / 100)
        assert np.allclose(radial_scale(coef, r, cal.pixel_size_mm), expected, rtol=0, atol=1e-12)
        # float32 radii (the ray grid's path) stay within 1e-6 of the float64 evaluation
        assert np.allclose(radial_scale(coef, r.astype(np.float32), cal.pixel_size_mm), expected, rtol=0, atol=1e-6)
    # even in r: near the centre the change grows as r**2 (a P in rho would grow as r: a kink)
    k = radial_scale(PUG.inverse_lens_distortion, np.array([0.0, 1.0, 2.0]), PUG.pixel_size_mm)
    assert k[0] == 1 and (1 - k[2]) / (1 - k[1]) == pytest.approx(4.0, rel=1e-3)


# The evidence table of docs/lens_distortion.md: closure (reference px) per file and reading, over
# the whole radius and within 80 % of it, and how far the two readings' rectified positions differ.
CLOSURE_TABLE = {
    # file: (rho all, rho 80 %, rho2 all, rho2 80 %, differ px)
    "rear_dual_pug.heic": (0.095, 0.095, 0.350, 0.043, 6.3),
    "rear_dual_2x_upright.heic": (0.214, 0.114, 0.071, 0.012, 22.6),
    "rear_dual_portrait.jpg": (0.227, 0.158, 0.528, 0.033, 16.4),
    "front_truedepth_mattes.heic": (0.0, 0.0, 0.0, 0.0, 0.0),
}


@pytest.mark.parametrize("name", sorted(CLOSURE_TABLE))
def test_closure_table_of_the_docstring(name):
    import depthlab

    cal = depthlab.open(shared_sample(f"iphone/{name}")).calibration
    want = CLOSURE_TABLE[name]
    got = (_closure(cal, "rho"), _closure(cal, "rho", 0.8), _closure(cal, "rho2"), _closure(cal, "rho2", 0.8))
    assert got == pytest.approx(want[:4], abs=0.0015)
    w, h = cal.reference_size
    c = np.asarray(cal.distortion_center)
    r = np.linspace(0, np.hypot(w, h), 1001)
    differ = np.abs(_radius_map(cal, cal.inverse_lens_distortion, r, "rho")
                    - _radius_map(cal, cal.inverse_lens_distortion, r, "rho2"))
    corners = np.hypot(*(np.array([[0, 0], [w, 0], [0, h], [w, h]]) - c).T).max()
    assert differ[r <= corners].max() == pytest.approx(want[4], abs=0.15)
    if name != "front_truedepth_mattes.heic":
        # inside 80 % of the radius Apple's reading closes better on every file
        assert got[3] < got[1] / 2
        # and depthlab's functions close as the rho**2 column says, across the whole frame
        p = frame_points(cal)
        err = np.hypot(*(undistort_points(cal, distort_points(cal, p)) - p).T).max()
        assert err <= want[2] + 0.01


@pytest.mark.parametrize("cal, bound", [(PUG, 0.36), (UPRIGHT_2X, 0.08)])
def test_distortion_sets_invert_each_other_across_the_frame(cal, bound):
    p = frame_points(cal)
    there_and_back = undistort_points(cal, distort_points(cal, p))
    back_and_there = distort_points(cal, undistort_points(cal, p))
    err1 = np.hypot(*(there_and_back - p).T).max()
    err2 = np.hypot(*(back_and_there - p).T).max()
    assert err1 <= 0.5 and err2 <= 0.5          # a sub-pixel round trip everywhere
    assert err1 <= bound and err2 <= bound      # what Apple's reading achieves (docstring table)


def test_valid_max_radius_holds_the_factor_beyond_it():
    """DistortionCalibrationValidMaxRadiusInPixels, when stored: radii beyond it get the factor
    of the radius itself; inside it nothing changes."""
    from dataclasses import replace

    cal = replace(PUG, distortion_max_radius_px=2000.0)
    c = np.asarray(PUG.distortion_center)
    inside = c + [[1500.0, 0.0], [0.0, -1000.0]]
    assert np.allclose(undistort_points(cal, inside), undistort_points(PUG, inside))
    far = c + np.array([[2400.0, 0.0]])
    at_max = c + np.array([[2000.0, 0.0]])
    k_far = (undistort_points(cal, far) - c)[0, 0] / 2400.0
    k_max = (undistort_points(PUG, at_max) - c)[0, 0] / 2000.0
    assert k_far == pytest.approx(k_max, abs=1e-12)
    assert k_far != pytest.approx((undistort_points(PUG, far) - c)[0, 0] / 2400.0, abs=1e-6)
    # the ray grid follows the same rule
    rays = pixel_rays(cal, 768, 576).reshape(576, 768, 3)
    ref = np.array([0.5 * 4032 / 768, 0.5 * 3024 / 576])
    x, y = undistort_points(cal, ref)
    assert rays[0, 0, 0] == pytest.approx((x - PUG.cx) / PUG.fx, abs=2e-6)
    with pytest.raises(InvalidInputError):
        replace(PUG, distortion_max_radius_px=-1.0)


def test_correction_size_and_direction_on_pug():
    """About 1.4 % of the radius at the corners; the inverse set (distorted -> rectilinear)
    pulls corner points inward for this lens."""
    c = np.asarray(PUG.distortion_center)
    corners = np.array([[0.0, 0.0], [4032.0, 0.0], [0.0, 3024.0], [4032.0, 3024.0]])
    r = np.hypot(*(corners - c).T)
    rect = undistort_points(PUG, corners)
    r_rect = np.hypot(*(rect - c).T)
    rel = (r - r_rect) / r
    assert np.all((rel > 0.013) & (rel < 0.015))
    # points move along their radius only
    cross = (corners - c)[:, 0] * (rect - c)[:, 1] - (corners - c)[:, 1] * (rect - c)[:, 0]
    assert np.allclose(cross, 0, atol=1e-6)
    # the centre itself does not move
    assert np.allclose(undistort_points(PUG, c), c)


def test_all_zero_coefficients_are_the_identity():
    p = frame_points(FRONT)
    assert np.allclose(undistort_points(FRONT, p), p, rtol=0, atol=1e-9)
    assert np.allclose(distort_points(FRONT, p), p, rtol=0, atol=1e-9)
    assert not FRONT.has_distortion
    a = pixel_rays(FRONT, 480, 640, undistort=True)
    b = pixel_rays(FRONT, 480, 640, undistort=False)
    assert np.array_equal(a, b)
    mx, my = rectification_map(FRONT, 48, 64)
    assert np.allclose(mx, np.arange(48)[None, :], atol=1e-4)
    assert np.allclose(my, np.arange(64)[:, None], atol=1e-4)


def test_radial_scale_is_one_for_zero_coefficients_and_keeps_float32():
    r = np.linspace(0, 3000, 7, dtype=np.float32)
    k = radial_scale(np.zeros(8), r, 0.002)
    assert k.dtype == np.float32 and np.all(k == 1)
    # a pure 1 % magnification (c0 = 1): every radius scaled by 1/1.01
    k = radial_scale([1.0] + [0.0] * 7, r.astype(np.float64), 0.002)
    assert np.allclose(k, 1 / 1.01)


def test_missing_model_is_a_calibration_error():
    cal = Calibration(intrinsic_matrix=[[100, 0, 50], [0, 100, 40], [0, 0, 1]], reference_size=(100, 80))
    with pytest.raises(CalibrationError, match="pinhole-raw"):
        undistort_points(cal, np.zeros((1, 2)))
    # rays without a model are the plain pinhole rays
    assert np.array_equal(pixel_rays(cal, 100, 80), pixel_rays(cal, 100, 80, undistort=False))


def test_real_sample_calibration_matches_and_inverts():
    path = shared_sample("iphone/rear_dual_pug.heic")
    import depthlab

    cal = depthlab.open(path).calibration
    assert cal is not None and cal.has_distortion
    assert np.allclose(cal.lens_distortion, PUG.lens_distortion)
    assert np.allclose(cal.inverse_lens_distortion, PUG.inverse_lens_distortion)
    p = frame_points(cal)
    err = np.hypot(*(undistort_points(cal, distort_points(cal, p)) - p).T).max()
    assert err <= 0.5


# ------------------------------------------------------------------------------------------ rays


def test_pinhole_rays_follow_the_centre_origin_convention_with_fx_ne_fy():
    w, h = 480, 640
    k = FRONT.intrinsics_at(w, h)
    rays = pixel_rays(FRONT, w, h).reshape(h, w, 3)
    assert rays.dtype == np.float32
    u, v = 17, 301
    assert rays[v, u, 0] == pytest.approx((u - k[0, 2]) / k[0, 0], abs=1e-7)
    assert rays[v, u, 1] == pytest.approx((v - k[1, 2]) / k[1, 1], abs=1e-7)
    assert np.all(rays[..., 2] == 1)
    # the principal point (1158, 1544) at 2316x3088 is the corner between the four centre pixels
    assert rays[h // 2 - 1, w // 2 - 1, 0] == pytest.approx(-rays[h // 2, w // 2, 0], abs=1e-6)
    # fx != fy used as stored: one pixel step is 1/fx across and 1/fy down
    assert rays[0, 1, 0] - rays[0, 0, 0] == pytest.approx(1 / k[0, 0], rel=1e-4)
    assert rays[1, 0, 1] - rays[0, 0, 1] == pytest.approx(1 / k[1, 1], rel=1e-4)


def test_undistorted_rays_match_undistort_points():
    w, h = 768, 576
    rays = pixel_rays(PUG, w, h).reshape(h, w, 3)
    rw, rh = PUG.reference_size
    for u, v in [(0, 0), (767, 575), (400, 10), (383, 287)]:
        ref = np.array([(u + 0.5) * rw / w, (v + 0.5) * rh / h])
        x, y = undistort_points(PUG, ref)
        assert rays[v, u, 0] == pytest.approx((x - PUG.cx) / PUG.fx, abs=2e-6)
        assert rays[v, u, 1] == pytest.approx((y - PUG.cy) / PUG.fy, abs=2e-6)
    raw = pixel_rays(PUG, w, h, undistort=False).reshape(h, w, 3)
    # at the corner the correction moves the ray by ~1.4 % of its length in the image plane
    corner_shift = np.hypot(*(raw[0, 0, :2] - rays[0, 0, :2])) / np.hypot(*raw[0, 0, :2])
    assert 0.012 < corner_shift < 0.016


def test_strided_rays_are_the_subsampled_full_grid():
    full = pixel_rays(PUG, 77, 58).reshape(58, 77, 3)
    s3 = pixel_rays(PUG, 77, 58, stride=3)
    assert s3.shape == (math.ceil(58 / 3) * math.ceil(77 / 3), 3)
    assert np.array_equal(s3, full[::3, ::3].reshape(-1, 3))
    rx, ry = ray_planes(PUG, 77, 58, stride=3)
    assert np.array_equal(rx, s3[:, 0]) and np.array_equal(ry, s3[:, 1])


def test_rays_refuse_a_size_of_another_aspect():
    with pytest.raises(CalibrationError):
        pixel_rays(PUG, 640, 640)
    with pytest.raises(InvalidInputError):
        pixel_rays(PUG, 768, 576, stride=0)


# -------------------------------------------------------------------------------- rectification


def test_rectification_map_samples_where_the_forward_set_sends_each_pixel():
    w, h = 768, 576
    mx, my = rectification_map(PUG, w, h)
    assert mx.shape == (h, w) and mx.dtype == np.float32
    rw, rh = PUG.reference_size
    for u, v in [(0, 0), (700, 500), (384, 288)]:
        ref = np.array([(u + 0.5) * rw / w, (v + 0.5) * rh / h])
        dx, dy = distort_points(PUG, ref)
        assert mx[v, u] == pytest.approx(dx * w / rw - 0.5, abs=1e-3)
        assert my[v, u] == pytest.approx(dy * h / rh - 0.5, abs=1e-3)
    # rectilinear corners sample further out in the distorted image (the inverse of the pull-in)
    assert mx[0, 0] < 0 and my[0, 0] < 0


def test_rectify_undoes_the_distortion_of_a_point():
    """A bright dot drawn where the lens puts a point lands back at the point's rectilinear
    position after rectify()."""
    w, h = 768, 576
    rw, rh = PUG.reference_size
    target = np.array([60.0, 50.0])  # rectilinear pixel (centre origin, depth size)
    ref = (target + 0.5) * [rw / w, rh / h]
    dist = distort_points(PUG, ref) * [w / rw, h / rh] - 0.5
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.exp(-((xx - dist[0]) ** 2 + (yy - dist[1]) ** 2) / (2 * 2.0 ** 2)).astype(np.float32)
    out = rectify(img, PUG, fill=0.0)
    wsum = out.sum()
    centroid = np.array([(out * xx).sum() / wsum, (out * yy).sum() / wsum])
    assert np.hypot(*(centroid - target)) < 0.2
    assert np.hypot(*(dist - target)) > 3  # the distortion really moved it


def test_rectify_keeps_dtype_and_fills_outside():
    rgb = np.full((576, 768, 3), 200, dtype=np.uint8)
    out = rectify(rgb, PUG)
    assert out.dtype == np.uint8 and out.shape == rgb.shape
    assert out[288, 384].tolist() == [200, 200, 200]
    assert out[0, 0].tolist() == [0, 0, 0]  # samples outside the distorted frame
    depth = np.full((576, 768), 1.5, dtype=np.float32)
    d = rectify(depth, PUG)
    assert d.dtype == np.float32 and np.isnan(d[0, 0]) and d[288, 384] == pytest.approx(1.5)


# ------------------------------------------------------------------------------ estimated (EXIF)


def test_35mm_equivalent_uses_the_frame_diagonal():
    cal = estimate_calibration(4032, 3024, focal_length_35mm=26)
    assert cal.estimated
    assert cal.fx == cal.fy == pytest.approx(26 * 5040 / FULL_FRAME_DIAGONAL_MM)
    assert (cal.cx, cal.cy) == (2016.0, 1512.0)
    # the phone's own calibration of the same lens (26 mm equivalent): within 0.2 %
    assert cal.fx == pytest.approx(PUG.fx, rel=0.002)


def test_calibration_from_exif_names_its_source():
    cal = calibration_from_exif({"FocalLengthIn35mmFilm": 26}, 4032, 3024)
    assert cal.estimated and cal.source == "EXIF FocalLengthIn35mmFilm"
    cal = calibration_from_exif({0xA405: 26}, 3024, 4032)
    assert cal.fx == pytest.approx(26 * 5040 / FULL_FRAME_DIAGONAL_MM)
    # focal length and focal-plane resolution (pixels per cm)
    cal = calibration_from_exif({"FocalLength": 4.0, "FocalPlaneXResolution": 5000.0, "FocalPlaneResolutionUnit": 3}, 1000, 750)
    assert cal.fx == pytest.approx(4.0 * 5000 / 10) and "FocalPlaneXResolution" in cal.source
    cal = estimate_calibration(1000, 750, focal_length_mm=4.0, sensor_width_mm=5.0)
    assert cal.fx == pytest.approx(800.0) and cal.estimated


@pytest.mark.parametrize("exif", [{}, {"FocalLength": 4.2}, {"FocalLengthIn35mmFilm": 0}, {"FocalLengthIn35mmFilm": float("nan")}])
def test_never_invents_a_focal_length(exif):
    with pytest.raises(CalibrationError, match="focal length"):
        calibration_from_exif(exif, 1536, 2048)


def test_estimate_without_anything_asks_for_a_focal_length():
    with pytest.raises(CalibrationError, match="focal_length_35mm"):
        estimate_calibration(1536, 2048)


def test_exif_of_the_real_sample_estimates_its_calibration():
    path = shared_sample("iphone/rear_dual_pug.heic")
    from PIL import Image
    import pillow_heif

    pillow_heif.register_heif_opener()
    with Image.open(path) as im:
        exif = dict(im.getexif().get_ifd(0x8769))
        size = im.size
    cal = calibration_from_exif(exif, *size)
    assert cal.estimated and cal.source == "EXIF FocalLengthIn35mmFilm"
    assert cal.fx == pytest.approx(PUG.fx, rel=0.002)


def _door_edge_points(rgb: np.ndarray) -> np.ndarray:
    """Sub-pixel positions (corner origin) of the dark door-edge line near the pug photo's left
    border, one per 4th row, found as the darkest point of each row near its expected place."""
    g = rgb[..., 1].astype(np.float32)
    x0, y0, x1, y1 = 660, 360, 390, 2600  # rough ends of the line at 4032x3024
    pts = []
    for y in range(y0 + 40, y1 - 40, 4):
        xp = x0 + (x1 - x0) * (y - y0) / (y1 - y0)
        lo = int(xp - 40)
        row = np.convolve(g[y - 1:y + 2, lo:lo + 80].mean(axis=0), np.ones(5) / 5, mode="same")
        i = int(np.argmin(row[3:-3])) + 3
        a, b, c = row[i - 1], row[i], row[i + 1]
        off = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c else 0.0
        pts.append((lo + i + off + 0.5, y + 0.5))
    return np.array(pts)


def _sagitta(p: np.ndarray) -> float:
    """Bow of a near-vertical polyline: the quadratic term of x(y) over its half-length."""
    y = p[:, 1]
    c = np.polyfit(y - y.mean(), p[:, 0], 2)
    return abs(c[0]) * (np.ptp(y) / 2) ** 2


def test_the_chosen_direction_straightens_a_straight_edge_in_the_photo():
    """Evidence for which set is distorted -> rectilinear, from the photo itself: the door edge
    is a straight line in the world; undistort_points (inverse set) makes it straighter, the
    forward set used the same way makes it more bowed."""
    import depthlab

    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    assert cap.rgb_size == cap.calibration.reference_size == (4032, 3024)
    pts = _door_edge_points(cap.rgb)
    raw = _sagitta(pts)
    ours = _sagitta(undistort_points(cap.calibration, pts))
    other = _sagitta(distort_points(cap.calibration, pts))
    assert ours < raw - 1.0 < other - 2.0


@pytest.mark.parametrize("size", [(768, 576), (4032, 3024), (101, 76)])
def test_float32_rays_stay_within_0001_reference_pixels_of_the_polynomial(size):
    w, h = size
    rays = pixel_rays(PUG, w, h).reshape(h, w, 3)
    rw, rh = PUG.reference_size
    uu, vv = np.meshgrid(np.arange(0, w, max(1, w // 97)), np.arange(0, h, max(1, h // 89)))
    exact = undistort_points(PUG, np.stack([(uu + 0.5) * rw / w, (vv + 0.5) * rh / h], axis=-1))
    ex = (exact[..., 0] - PUG.cx) / PUG.fx
    ey = (exact[..., 1] - PUG.cy) / PUG.fy
    err_px = np.hypot(rays[vv, uu, 0] - ex, rays[vv, uu, 1] - ey) * PUG.fx
    assert err_px.max() <= 0.001


def _step_edge_points(rgb: np.ndarray, x0: float, y0: int, x1: float, y1: int, half: int, step: int = 8) -> np.ndarray:
    """Sub-pixel positions (corner origin) where a near-vertical dark-to-light step crosses the
    level halfway between its two sides, one per ``step`` rows."""
    g = rgb[..., 1].astype(np.float32)
    pts = []
    for y in range(y0, y1, step):
        lo = int(x0 + (x1 - x0) * (y - y0) / (y1 - y0) - half)
        row = g[max(0, y - 2):y + 3, lo:lo + 2 * half].mean(axis=0)
        mid = (np.median(row[:30]) + np.median(row[-30:])) / 2
        k = np.nonzero(np.diff(np.sign(row - mid)))[0]
        if k.size:
            i = k[np.argmin(np.abs(k - half))]
            pts.append((lo + i + (mid - row[i]) / (row[i + 1] - row[i]) + 0.5, y + 0.5))
    return np.array(pts)


def _apply_reading(cal, coef, pts, reading):
    c = np.asarray(cal.distortion_center)
    d = pts - c
    r = np.hypot(*d.T)
    return c + d * (_radius_map(cal, coef, r, reading) / np.where(r > 0, r, 1))[:, None]


# docs/lens_distortion.md's rim table: sagitta (px) of straight edges near the rim, as stored, rectified with a
# P in rho, with Apple's P in rho**2, and with the other coefficient set (rho**2)
RIM_TABLE = {
    "pug door edge": ("rear_dual_pug.heic", (-6.29, -4.46, -4.36, -8.40)),
    "jpeg dark/grey edge": ("rear_dual_portrait.jpg", (-3.69, -7.04, -8.62, 1.10)),
    "jpeg grey/cream edge": ("rear_dual_portrait.jpg", (-1.16, -4.17, -1.62, -1.61)),
}


@pytest.mark.parametrize("edge", sorted(RIM_TABLE))
def test_rim_straightness_table_of_the_docstring(edge):
    """Straight edges near the rim do not decide between the readings: the docstring's numbers,
    measured again."""
    import depthlab

    name, want = RIM_TABLE[edge]
    cap = depthlab.open(shared_sample(f"iphone/{name}"))
    cal = cap.calibration
    if edge == "pug door edge":
        pts = _door_edge_points(cap.rgb)
    elif edge == "jpeg dark/grey edge":
        pts = _step_edge_points(cap.rgb, 3232, 8, 3178, 3016, half=120)
    else:
        pts = _step_edge_points(cap.rgb, 3555, 8, 3540, 3016, half=80)

    def signed_sagitta(p):
        y = p[:, 1]
        return np.polyfit(y - y.mean(), p[:, 0], 2)[0] * (np.ptp(y) / 2) ** 2

    got = (signed_sagitta(pts),
           signed_sagitta(_apply_reading(cal, cal.inverse_lens_distortion, pts, "rho")),
           signed_sagitta(_apply_reading(cal, cal.inverse_lens_distortion, pts, "rho2")),
           signed_sagitta(_apply_reading(cal, cal.lens_distortion, pts, "rho2")))
    assert got == pytest.approx(want, abs=0.02)
    # depthlab's own rectification is the rho**2 column
    assert signed_sagitta(undistort_points(cal, pts)) == pytest.approx(got[2], abs=1e-6)


# ------------------------------------------------------------------- stored intrinsics vs EXIF


def test_exif_check_flags_the_real_front_files_fx():
    """The real front sample stores fx = 2085.5 but fy = 2718.4 at 2316x3088; its EXIF 30 mm
    (35 mm equivalent) means 30 * hypot(2316, 3088) / 43.27 = 2676 px."""
    from depthlab.camera import check_intrinsics_against_exif
    from depthlab.capture import CameraInfo

    check = check_intrinsics_against_exif(FRONT, CameraInfo(kind="front TrueDepth", focal_length_35mm=30.0))
    expected = 30 * math.hypot(2316, 3088) / math.hypot(36, 24)
    assert check.expected_px == pytest.approx(expected) and 2670 < expected < 2680
    assert not check.agrees
    assert check.fx_ratio == pytest.approx(2085.5478515625 / expected) and abs(check.fy_ratio - 1) < 0.03
    assert check.short == "intrinsics ≠ EXIF (fx 22% below EXIF)"
    assert check.note == (
        f"stored intrinsics disagree with the EXIF focal length: 30 mm (35 mm equivalent) means {expected:.0f} px at "
        "2316x3088, but fx 2085.5 px disagrees (-22%) and fy 2718.4 px agrees (+2%); the 3D view comes out 28% too wide "
        "if the EXIF is right. depthlab.open uses square pixels from fy, the axis that agrees (calibration='checked', "
        "the default); depthlab.open(path, calibration='stored') keeps the stored numbers")
    # the rear files agree (pug 26 mm: 0.1 %); nothing to compare without a focal length or calibration
    assert check_intrinsics_against_exif(PUG, CameraInfo(focal_length_35mm=26.0)).agrees
    assert check_intrinsics_against_exif(PUG, CameraInfo(focal_length_35mm=26.0)).short == ""
    assert check_intrinsics_against_exif(PUG, CameraInfo()) is None
    assert check_intrinsics_against_exif(None, CameraInfo(focal_length_35mm=26.0)) is None
    est = estimate_calibration(4032, 3024, focal_length_35mm=20)
    assert check_intrinsics_against_exif(est, CameraInfo(focal_length_35mm=26.0)) is None
    # both axes off alike: the EXIF, or the whole calibration, is the odd one out; open cannot correct from either
    both = check_intrinsics_against_exif(PUG, CameraInfo(focal_length_35mm=20.0))
    assert both.note.endswith(
        "if the EXIF is right. Neither axis agrees with EXIF, so depthlab.open keeps the stored numbers (there is no "
        "agreeing axis to take square pixels from); to use the EXIF instead, pass "
        f"calibration=depthlab.camera.estimate_calibration({PUG.reference_size[0]}, {PUG.reference_size[1]}, "
        "focal_length_35mm=20) to depthlab.project")
    assert "the 3D view comes out" in both.note and " and the 3D view comes out " in both.note
    # 10 % is the line: 9 % passes, 11 % does not
    assert check_intrinsics_against_exif(PUG, CameraInfo(focal_length_35mm=26.0 / 1.09)).agrees
    assert not check_intrinsics_against_exif(PUG, CameraInfo(focal_length_35mm=26.0 / 1.11)).agrees


@pytest.mark.parametrize("name, warned", [("iphone/front_truedepth_mattes.heic", True), ("iphone/rear_dual_pug.heic", False),
                                          ("iphone/rear_dual_2x_upright.heic", False), ("iphone/rear_dual_portrait.jpg", False)])
def test_every_reader_notes_intrinsics_that_disagree_with_exif(name, warned):
    import depthlab
    from depthlab.cli import info
    from depthlab.live import widgets

    with warnings.catch_warnings():  # the stored calibration, as the file has it (warned about)
        warnings.simplefilter("ignore")
        cap = depthlab.open(shared_sample(name), calibration="stored")
    notes = [n for n in cap.metadata.get("notes", []) if "EXIF focal length" in n]
    assert bool(notes) == warned
    assert ("stored intrinsics disagree" in info.format_summary(cap)) == warned
    assert cap.summary()["notes"] == cap.metadata.get("notes", [])
    assert ("intrinsics ≠ EXIF" in widgets.describe(cap)) == warned
    if warned:
        assert "fx 2085.5 px disagrees (-22%)" in notes[0] and "fy 2718.4 px agrees (+2%)" in notes[0]
        from depthlab import figures

        fig = figures.capture_figure(cap)
        titles = [sf.get_suptitle() for sf in getattr(fig, "subfigs", [])] + [fig.get_suptitle()]
        assert any("intrinsics ≠ EXIF (fx 22% below EXIF)" in t for t in titles)


def test_the_samples_intrinsics_agree_with_their_exif():
    import depthlab
    from conftest import data_sample

    for name in ("rear_dual.heic", "front_truedepth.heic"):
        cap = depthlab.open(data_sample(name))
        assert not any("EXIF focal length" in n for n in cap.metadata.get("notes", []))


def test_the_front_files_principal_point_is_the_exact_image_centre():
    """README "Pixels": the evidence for the corner-origin reading of Apple's reference frame."""
    import depthlab

    cal = depthlab.open(shared_sample("iphone/front_truedepth_mattes.heic")).calibration
    w, h = cal.reference_size
    assert (w, h) == (2316, 3088)
    assert cal.cx == pytest.approx(w / 2, abs=1e-3) and cal.cy == pytest.approx(h / 2, abs=1e-3)
    assert abs(cal.cx - (w - 1) / 2) == pytest.approx(0.5, abs=1e-3)


def test_the_html_export_carries_the_exif_warning(tmp_path):
    import depthlab

    with pytest.warns(UserWarning, match="stored intrinsics disagree"):
        cap = depthlab.open(shared_sample("iphone/front_truedepth_mattes.heic"), calibration="stored")
    cloud = depthlab.project(cap, stride=8)
    assert cloud.metadata["intrinsics_warning"] == "intrinsics ≠ EXIF (fx 22% below EXIF)"
    # by default the checked calibration is used, and nothing needs a warning
    assert "intrinsics_warning" not in depthlab.project(depthlab.open(shared_sample("iphone/front_truedepth_mattes.heic")), stride=8).metadata
    page = depthlab.to_html(cap, tmp_path / "front.html", stride=8)
    text = Path(page).read_text(encoding="utf-8")
    assert "intrinsics ≠ EXIF (fx 22% below EXIF)" in text or "intrinsics \\u2260 EXIF" in text
    pug = depthlab.project(depthlab.open(shared_sample("iphone/rear_dual_pug.heic")), stride=8)
    assert "intrinsics_warning" not in pug.metadata
