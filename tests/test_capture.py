"""Conventions of Capture, Calibration and Orientation, stated once and tested here."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageOps

from depthlab import Calibration, Capture, InvalidInputError, Orientation
from depthlab.capture import depth_from_disparity
from depthlab.formats.exif import EXIF_ORIENTATIONS


def test_import_is_light():
    heavy = ["pythreejs", "ipywidgets", "matplotlib", "pypcd4", "open3d", "pillow_heif", "defusedxml"]
    code = "import sys, depthlab; print(','.join(m for m in %r if m in sys.modules))" % heavy
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_open_and_project_stay_free_of_view_libraries():
    heavy = ["pythreejs", "ipywidgets", "matplotlib", "pypcd4", "open3d"]
    code = ("import sys, depthlab; depthlab.open; "
            "print(','.join(m for m in %r if m in sys.modules))" % heavy)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_depth_is_inverse_disparity_with_nan_for_unknown():
    d = np.array([[2.0, 0.5], [0.0, np.nan]], dtype=np.float32)
    z = depth_from_disparity(d)
    assert z.dtype == np.float32
    assert z[0, 0] == pytest.approx(0.5) and z[0, 1] == pytest.approx(2.0)
    assert np.isnan(z[1, 0]) and np.isnan(z[1, 1])


def _cal(**kw):
    base = dict(intrinsic_matrix=[[1000, 0, 2000], [0, 1000, 1500], [0, 0, 1]], reference_size=(4000, 3000))
    base.update(kw)
    return Calibration(**base)


def test_intrinsics_at_uses_pixel_centres_at_integers():
    cal = _cal()
    k = cal.intrinsics_at(400, 300)
    # corner-origin principal point at the image centre (2000, 1500) of 4000x3000 becomes the
    # centre of a 400x300 grid of pixel centres: (399/2, 299/2)
    assert k[0, 2] == pytest.approx(199.5) and k[1, 2] == pytest.approx(149.5)
    assert k[0, 0] == pytest.approx(100) and k[1, 1] == pytest.approx(100)
    # identity at the reference size, up to the half-pixel shift
    k_ref = cal.intrinsics_at(4000, 3000)
    assert k_ref[0, 2] == pytest.approx(1999.5)


def test_intrinsics_refuse_a_different_view():
    from depthlab import CalibrationError
    with pytest.raises(CalibrationError):
        _cal().intrinsics_at(300, 400)


@pytest.mark.parametrize("bad", [
    dict(intrinsic_matrix=[[np.nan, 0, 1], [0, 1, 1], [0, 0, 1]]),
    dict(intrinsic_matrix=[[-5, 0, 1], [0, 1, 1], [0, 0, 1]]),
    dict(reference_size=(0, 10)),
    dict(lens_distortion=[0.0] * 7),
    dict(pixel_size_mm=float("inf")),
])
def test_calibration_refuses_nonsense(bad):
    with pytest.raises(InvalidInputError):
        _cal(**bad)


@pytest.mark.parametrize("exif_value", range(1, 9))
def test_orientation_matches_exif_meaning(exif_value):
    """Orientation.apply does what Pillow's exif_transpose does for each EXIF orientation."""
    rng = np.random.default_rng(exif_value)
    stored = rng.integers(0, 255, size=(5, 7, 3), dtype=np.uint8)
    img = Image.fromarray(stored)
    exif = img.getexif()
    exif[0x0112] = exif_value
    img.info["exif"] = exif.tobytes()
    expected = np.asarray(ImageOps.exif_transpose(img))
    got = EXIF_ORIENTATIONS[exif_value].apply(stored)
    assert got.shape == expected.shape and np.array_equal(got, expected)


@pytest.mark.parametrize("orientation", [Orientation(r, m) for r in (0, 90, 180, 270) for m in (None, "vertical", "horizontal")])
def test_point_map_follows_pixels(orientation):
    """A marked pixel's centre moves exactly where point_map says (corner-origin coordinates)."""
    h, w = 6, 9
    img = np.zeros((h, w), dtype=np.uint8)
    v, u = 1, 2
    img[v, u] = 1
    out = orientation.apply(img)
    vv, uu = np.argwhere(out == 1)[0]
    a, b, (w2, h2) = orientation.point_map(w, h)
    p = a @ np.array([u + 0.5, v + 0.5]) + b
    assert (w2, h2) == (out.shape[1], out.shape[0])
    assert p == pytest.approx([uu + 0.5, vv + 0.5])


def test_calibration_oriented_moves_principal_point_with_pixels():
    cal = _cal(intrinsic_matrix=[[1000, 0, 1200], [0, 900, 700], [0, 0, 1]], distortion_center=(1210.0, 690.0),
               lens_distortion=[0, 1, 0, 0, 0, 0, 0, 0], inverse_lens_distortion=[0, -1, 0, 0, 0, 0, 0, 0], pixel_size_mm=0.001)
    o = Orientation(90, None)
    rot = cal.oriented(o)
    assert rot.reference_size == (3000, 4000)
    assert (rot.fx, rot.fy) == (900, 1000)
    a, b, _ = o.point_map(4000, 3000)
    assert (rot.cx, rot.cy) == pytest.approx(tuple(a @ np.array([1200, 700]) + b))
    assert rot.distortion_center == pytest.approx(tuple(a @ np.array([1210.0, 690.0]) + b))
    assert cal.oriented(Orientation()) is cal


def test_capture_validates_and_caches():
    with pytest.raises(InvalidInputError):
        Capture(disparity=np.zeros((0, 3)))
    with pytest.raises(InvalidInputError):
        Capture(disparity=np.ones((2, 2)), accuracy="roughly")
    cap = Capture(disparity=np.full((4, 6), 2.0))
    assert cap.depth is cap.depth and cap.depth[0, 0] == pytest.approx(0.5)
    assert cap.size == (6, 4) and cap.shape == (4, 6)
    with pytest.raises(InvalidInputError):
        cap.rgb
    cap.set_rgb(np.zeros((8, 12, 3), np.uint8))
    assert cap.rgb_at().shape == (4, 6, 3)
    s = cap.summary()
    assert s["depth_range_m"] == pytest.approx((0.5, 0.5)) and s["depth_size"] == [6, 4]


def test_depth_disparity_confidence_and_mattes_come_back_read_only():
    import depthlab

    d = np.full((6, 8), 0.5, np.float32)
    cap = Capture(disparity=d, mattes={"portrait": np.ones((6, 8), np.float32)},
                  confidence_loader=lambda: np.ones((6, 8), np.float32))
    for arr in (cap.depth, cap.disparity, cap.confidence, cap.mattes["portrait"]):
        with pytest.raises(ValueError, match="read-only"):
            arr[:] = 1
    # nothing changed behind the capture's back: depth and disparity still agree, projections too
    assert np.all(cap.depth == 2.0) and np.all(cap.disparity == 0.5)
    assert np.allclose(depthlab.project(cap, model="orthographic").xyz[:, 2], 2.0)
    work = cap.depth.copy()
    work[:] = 1  # a copy is the caller's to change
    assert d.flags.writeable  # the caller's own array is untouched


def test_a_refined_capture_reports_its_real_encoding():
    import depthlab
    from depthlab.capture import DepthEncoding

    d = np.linspace(0.5, 1.0, 48, dtype=np.float32).reshape(6, 8)
    cap = Capture(disparity=d, encoding=DepthEncoding(quantity="disparity", bits=8, float_min=0.5, float_max=1.0,
                                                      format="L008 from hdis"))
    fine = depthlab.refine(cap, guide=None)
    assert (fine.encoding.bits, fine.encoding.quantity, fine.encoding.step) == (32, "disparity", None)
    assert fine.encoding.format == "float32, refined from 8-bit disparity (L008 from hdis)"
    assert cap.encoding.bits == 8
