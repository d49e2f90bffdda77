"""capture.py pinned exactly where mutation testing (benchmarks/mutation.py) found the suite
lenient: the metadata dictionaries users save next to their clouds (``Calibration.to_dict``,
``CameraInfo.to_dict``, ``Capture.summary``) key by key and value by value, the validation
bounds of Calibration and Capture, the normalisation of their inputs to plain Python / float64
numbers, depth <-> disparity, and the messages that tell a user what was wrong.

Every expectation is written by hand (or taken from the samples README), never read back from
the code under test."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_sample
from depthlab.capture import (
    Calibration,
    CameraInfo,
    Capture,
    DepthEncoding,
    LazyMattes,
    Orientation,
    depth_from_disparity,
    disparity_from_depth,
)
from depthlab.errors import CalibrationError, InvalidInputError

NAN = float("nan")

# A rear-camera-like calibration whose every number is exact in binary floating point, so the
# dictionaries below can be compared with ==.  It is built from numpy scalars, float32 arrays
# and integer lists on purpose: Calibration must turn them into plain ints/floats and float64.
K_INT = [[3032, 0, 1988], [0, 3030, 1512], [0, 0, 1]]
LENS = [0.0, 0.25, -0.5, 0.125, 0.0, 0.0, 0.0, -0.0625]
INVERSE = [0.0, -0.25, 0.5, -0.125, 0.0, 0.0, 0.0, 0.0625]
EXTRINSIC_INT = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
PIXEL_MM = 0.001953125  # 2**-9 mm, about the size of an iPhone sensor pixel, exact in float32


def full_calibration() -> Calibration:
    return Calibration(
        intrinsic_matrix=K_INT,
        reference_size=(np.int64(4032), 3024.0),
        lens_distortion=np.array(LENS, dtype=np.float32),
        inverse_lens_distortion=INVERSE,
        distortion_center=np.array([2016.5, 1511.75], dtype=np.float32),
        pixel_size_mm=np.float32(PIXEL_MM),
        extrinsic_matrix=EXTRINSIC_INT,
        estimated=False,
        source="depth item XMP",
        distortion_max_radius_px=np.float32(2520.0),
    )


FULL_DICT = {
    "intrinsic_matrix": [[3032.0, 0.0, 1988.0], [0.0, 3030.0, 1512.0], [0.0, 0.0, 1.0]],
    "reference_size": [4032, 3024],
    "fx": 3032.0, "fy": 3030.0, "cx": 1988.0, "cy": 1512.0,
    "lens_distortion": LENS,
    "inverse_lens_distortion": INVERSE,
    "distortion_center": [2016.5, 1511.75],
    "pixel_size_mm": PIXEL_MM,
    "extrinsic_matrix": [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]],
    "estimated": False,
    "source": "depth item XMP",
    "distortion_max_radius_px": 2520.0,
}

MINIMAL_DICT = {
    "intrinsic_matrix": [[100.0, 0.0, 50.0], [0.0, 100.0, 37.5], [0.0, 0.0, 1.0]],
    "reference_size": [100, 75],
    "fx": 100.0, "fy": 100.0, "cx": 50.0, "cy": 37.5,
    "lens_distortion": None,
    "inverse_lens_distortion": None,
    "distortion_center": None,
    "pixel_size_mm": None,
    "extrinsic_matrix": None,
    "estimated": True,
    "source": "EXIF FocalLengthIn35mmFilm",
}  # no "distortion_max_radius_px" key at all when the file stores none


def minimal_calibration() -> Calibration:
    return Calibration(np.array([[100.0, 0, 50], [0, 100, 37.5], [0, 0, 1]]), (100, 75),
                       estimated=True, source="EXIF FocalLengthIn35mmFilm")


def assert_exact_types(value, path="to_dict()"):
    """Only JSON's own types: no numpy scalars hiding behind == (np.float32(0.5) == 0.5)."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert type(k) is str, path
            assert_exact_types(v, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            assert_exact_types(v, f"{path}[{i}]")
    else:
        assert value is None or type(value) in (bool, int, float, str), f"{path} is {type(value)}"


# --------------------------------------------------------------------------------------------
# Calibration: inputs normalised, to_dict key by key
# --------------------------------------------------------------------------------------------


def test_calibration_normalises_inputs_to_plain_numbers_and_float64():
    cal = full_calibration()
    assert cal.reference_size == (4032, 3024) and all(type(v) is int for v in cal.reference_size)
    assert cal.distortion_center == (2016.5, 1511.75) and isinstance(cal.distortion_center, tuple)
    assert all(type(v) is float for v in cal.distortion_center)
    assert type(cal.pixel_size_mm) is float and cal.pixel_size_mm == PIXEL_MM
    assert type(cal.distortion_max_radius_px) is float and cal.distortion_max_radius_px == 2520.0
    for name, shape in (("intrinsic_matrix", (3, 3)), ("lens_distortion", (8,)),
                        ("inverse_lens_distortion", (8,)), ("extrinsic_matrix", (3, 4))):
        arr = getattr(cal, name)
        assert isinstance(arr, np.ndarray) and arr.dtype == np.float64 and arr.shape == shape, name
    assert (cal.fx, cal.fy, cal.cx, cal.cy) == (3032.0, 3030.0, 1988.0, 1512.0)


def test_calibration_to_dict_full_is_exactly_the_hand_written_metadata():
    d = full_calibration().to_dict()
    assert d == FULL_DICT
    assert list(d) == list(FULL_DICT)  # key order: what a saved JSON file shows
    assert_exact_types(d)
    assert json.loads(json.dumps(d)) == FULL_DICT


def test_calibration_to_dict_minimal_has_nulls_and_no_max_radius_key():
    d = minimal_calibration().to_dict()
    assert d == MINIMAL_DICT and "distortion_max_radius_px" not in d
    assert_exact_types(d)
    assert json.loads(json.dumps(d)) == MINIMAL_DICT


# --------------------------------------------------------------------------------------------
# Calibration: what is refused, what is accepted, and the messages
# --------------------------------------------------------------------------------------------

K = [[3000.0, 0, 2000.0], [0, 3000.0, 1500.0], [0, 0, 1]]


@pytest.mark.parametrize("kwargs, message", [
    (dict(intrinsic_matrix=np.eye(2)), r"intrinsic_matrix must have shape \(3, 3\), got \(2, 2\)"),
    (dict(intrinsic_matrix=[[3000.0, 0, NAN], [0, 3000.0, 1500.0], [0, 0, 1]]),
     r"intrinsic_matrix holds non-finite values: \[3000\.0, 0\.0, nan"),
    (dict(intrinsic_matrix=[[-5.0, 0, 2000], [0, 3000, 1500], [0, 0, 1]]),
     r"focal lengths must be positive, got fx=-5\.0, fy=3000\.0$"),
    (dict(intrinsic_matrix=[[3000.0, 0, 2000], [0, -2.0, 1500], [0, 0, 1]]),
     r"focal lengths must be positive, got fx=3000\.0, fy=-2\.0$"),
    (dict(reference_size=(0, 3000)), r"reference_size must be positive, got \(0, 3000\)"),
    (dict(reference_size=(4000, 0)), r"reference_size must be positive, got \(4000, 0\)"),
    (dict(lens_distortion=np.zeros(7)), r"lens_distortion must have shape \(8,\), got \(7,\)"),
    (dict(inverse_lens_distortion=np.zeros(9)), r"inverse_lens_distortion must have shape \(8,\), got \(9,\)"),
    (dict(extrinsic_matrix=np.eye(3)), r"extrinsic_matrix must have shape \(3, 4\), got \(3, 3\)"),
    (dict(extrinsic_matrix=np.full((3, 4), np.inf)), r"extrinsic_matrix holds non-finite values"),
    (dict(distortion_center=(1.0, 2.0, 3.0)), r"distortion_center must have shape \(2,\), got \(3,\)"),
    (dict(pixel_size_mm=0.0), r"pixel_size_mm must be positive and finite, got 0\.0"),
    (dict(pixel_size_mm=NAN), r"pixel_size_mm must be positive and finite, got nan"),
    (dict(distortion_max_radius_px=0), r"distortion_max_radius_px must be positive and finite, got 0$"),
    (dict(distortion_max_radius_px=-3.0), r"distortion_max_radius_px must be positive and finite, got -3\.0"),
])
def test_calibration_refusals_name_the_field_and_the_value(kwargs, message):
    args = dict(intrinsic_matrix=K, reference_size=(4000, 3000)) | kwargs
    with pytest.raises(InvalidInputError, match=message):
        Calibration(**args)


@pytest.mark.parametrize("fx, fy", [(0.0, 3000.0), (3000.0, 0.0)])
def test_calibration_refuses_a_zero_focal_length(fx, fy):
    with pytest.raises(InvalidInputError, match="focal lengths must be positive"):
        Calibration([[fx, 0, 2000], [0, fy, 1500], [0, 0, 1]], (4000, 3000))


def test_calibration_accepts_sub_pixel_focal_lengths_one_pixel_sizes_and_a_corner_principal_point():
    """Positive means > 0, not >= 1: a 1x1 reference with f = 0.5 px, a principal point on the
    corner (cy = 0, a crop), a fitted radius of half a pixel.  Intrinsics then scale by hand."""
    cal = Calibration([[0.5, 0, 0.5], [0, 0.5, 0.0], [0, 0, 1]], (1, 1), distortion_max_radius_px=0.5)
    assert cal.reference_size == (1, 1) and (cal.fx, cal.fy, cal.cx, cal.cy) == (0.5, 0.5, 0.5, 0.0)
    assert cal.distortion_max_radius_px == 0.5
    # 1x1 -> 1x1: centre origin moves the principal point by half a pixel
    np.testing.assert_array_equal(cal.intrinsics_at(1, 1), [[0.5, 0, 0.0], [0, 0.5, -0.5], [0, 0, 1]])
    # 1x1 -> 4x4: f 2.0, cx 0.5*4 - 0.5 = 1.5, cy 0*4 - 0.5 = -0.5
    np.testing.assert_array_equal(cal.intrinsics_at(4, 4), [[2.0, 0, 1.5], [0, 2.0, -0.5], [0, 0, 1]])
    wide = Calibration([[2.0, 0, 1.0], [0, 2.0, 0.5], [0, 0, 1]], (2, 1))  # one pixel high
    np.testing.assert_array_equal(wide.intrinsics_at(2, 1), [[2.0, 0, 0.5], [0, 2.0, 0.0], [0, 0, 1]])
    tall = Calibration([[2.0, 0, 0.5], [0, 2.0, 1.0], [0, 0, 1]], (1, 2))  # one pixel wide
    np.testing.assert_array_equal(tall.intrinsics_at(1, 2), [[2.0, 0, 0.0], [0, 2.0, 0.5], [0, 0, 1]])


@pytest.mark.parametrize("w, h", [(0, 3), (4, 0), (-4, -3)])
def test_intrinsics_at_refuses_a_non_positive_size_as_invalid_input(w, h):
    """An empty size is a bad argument (InvalidInputError naming it), not an aspect mismatch."""
    cal = Calibration([[4.0, 0, 2.0], [0, 4.0, 1.5], [0, 0, 1]], (4, 3))
    with pytest.raises(InvalidInputError, match=f"size must be positive, got {w}x{h}$"):
        cal.intrinsics_at(w, h)


def test_intrinsics_at_aspect_tolerance_is_two_percent_inclusive():
    """Like formats.apple.same_aspect, exactly 2 % is still the same view.  An 8x8 reference to
    49x50: scales 6.125 and 6.25 differ by 0.125 = 2 % of 6.25 exactly (all exact in binary)."""
    cal = Calibration([[8.0, 0, 4.0], [0, 8.0, 4.0], [0, 0, 1]], (8, 8))
    # fx 8 * 6.125 = 49, fy 8 * 6.25 = 50, cx 4 * 6.125 - 0.5 = 24.0, cy 4 * 6.25 - 0.5 = 24.5
    np.testing.assert_array_equal(cal.intrinsics_at(49, 50), [[49.0, 0, 24.0], [0, 50.0, 24.5], [0, 0, 1]])
    np.testing.assert_array_equal(cal.intrinsics_at(50, 49), [[50.0, 0, 24.5], [0, 49.0, 24.0], [0, 0, 1]])
    with pytest.raises(CalibrationError):
        cal.intrinsics_at(48, 50)  # 4 % apart


def test_intrinsics_at_aspect_message_names_both_sizes_and_what_to_do():
    cal = Calibration([[4.0, 0, 2.0], [0, 4.0, 1.5], [0, 0, 1]], (4, 3))
    with pytest.raises(CalibrationError, match=(
            r"^a 4x4 image does not have the aspect of the calibration's reference size 4x3; "
            r"intrinsics only scale between sizes of the same view$")):
        cal.intrinsics_at(4, 4)


# --------------------------------------------------------------------------------------------
# Orientation and oriented calibrations
# --------------------------------------------------------------------------------------------


def test_oriented_by_90_degrees_is_the_whole_hand_worked_matrix():
    """90 degrees anti-clockwise maps corner-origin (x, y) of a W x H image to (y, W - x):
    fx' = fy, fy' = fx, cx' = cy, cy' = W - cx; the size becomes H x W."""
    cal = Calibration([[3000.0, 0, 1990.0], [0, 3100.0, 1510.0], [0, 0, 1]], (4000, 3000),
                      distortion_center=(2001.0, 1499.0))
    out = cal.oriented(Orientation(rotation=90))
    np.testing.assert_array_equal(out.intrinsic_matrix, [[3100.0, 0, 1510.0], [0, 3000.0, 2010.0], [0, 0, 1]])
    assert out.reference_size == (3000, 4000)
    assert out.distortion_center == (1499.0, 1999.0)


def test_orientation_angles_count_modulo_a_full_turn():
    """-90 (clockwise) is 270, 450 is 90: is_identity already reads rotations modulo 360."""
    a = np.array([[1, 2, 3], [4, 5, 6]])
    clockwise = [[4, 1], [5, 2], [6, 3]]
    anticlockwise = [[3, 6], [2, 5], [1, 4]]
    for rot in (-90, 270):
        np.testing.assert_array_equal(Orientation(rotation=rot).apply(a), clockwise)
        # (x, y) of a stored 4x3 image -> (H - y, x) = (3 - y, x), display size 3x4
        m, b, size = Orientation(rotation=rot).point_map(4, 3)
        np.testing.assert_array_equal(m @ np.array([1.0, 0.5]) + b, [2.5, 1.0])
        assert size == (3.0, 4.0)
    for rot in (90, 450):
        np.testing.assert_array_equal(Orientation(rotation=rot).apply(a), anticlockwise)
        m, b, size = Orientation(rotation=rot).point_map(4, 3)
        np.testing.assert_array_equal(m @ np.array([1.0, 0.5]) + b, [0.5, 3.0])  # (y, W - x)
        assert size == (3.0, 4.0)


# --------------------------------------------------------------------------------------------
# CameraInfo and DepthEncoding
# --------------------------------------------------------------------------------------------


def test_camera_info_str_and_to_dict():
    cam = CameraInfo("rear dual", "Apple", "iPhone 12 mini", "iPhone 12 mini back dual wide camera 4.2mm f/1.6",
                     4.2, 26.0)
    assert str(cam) == "rear dual (Apple iPhone 12 mini)"
    assert str(CameraInfo("front TrueDepth", make="Apple")) == "front TrueDepth (Apple)"
    assert str(CameraInfo("front", make="", model="iPhone 14")) == "front (iPhone 14)"
    assert str(CameraInfo()) == "unknown"
    want = {"kind": "rear dual", "make": "Apple", "model": "iPhone 12 mini",
            "lens_model": "iPhone 12 mini back dual wide camera 4.2mm f/1.6",
            "focal_length_mm": 4.2, "focal_length_35mm": 26.0}
    assert cam.to_dict() == want and list(cam.to_dict()) == list(want)
    assert CameraInfo().to_dict() == {"kind": "unknown", "make": None, "model": None, "lens_model": None,
                                      "focal_length_mm": None, "focal_length_35mm": None}


ENCODING = DepthEncoding("disparity", 8, float_min=0.5, float_max=3.0, int_min=0, int_max=250,
                         format="L008 from hdis")
ENCODING_DICT = {"quantity": "disparity", "bits": 8, "float_min": 0.5, "float_max": 3.0, "int_min": 0,
                 "int_max": 250, "format": "L008 from hdis", "near": None, "far": None, "units": None,
                 "step": pytest.approx(0.01, rel=1e-12)}  # (3.0 - 0.5) / 250 1/m per stored level


def test_depth_encoding_to_dict_has_the_step():
    assert ENCODING.to_dict() == ENCODING_DICT


# --------------------------------------------------------------------------------------------
# depth <-> disparity
# --------------------------------------------------------------------------------------------


def test_depth_from_disparity_is_float32_reciprocal_nan_where_not_positive_and_silent():
    disparity = np.array([[2.0, 0.5, 4.0], [0.0, -1.0, NAN]])  # float64 in
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a zero disparity is ordinary data, not a warning
        depth = depth_from_disparity(disparity)
        back = disparity_from_depth(np.array([[0.25, 4.0], [0.0, NAN]], dtype=np.float32))
    assert depth.dtype == np.float32 and back.dtype == np.float32
    np.testing.assert_array_equal(depth, np.array([[0.5, 2.0, 0.25], [NAN, NAN, NAN]], dtype=np.float32))
    np.testing.assert_array_equal(back, np.array([[4.0, 0.25], [NAN, NAN]], dtype=np.float32))
    ints = depth_from_disparity([[1, 2], [4, 0]])
    assert ints.dtype == np.float32
    np.testing.assert_array_equal(ints, np.array([[1.0, 0.5], [0.25, NAN]], dtype=np.float32))


# --------------------------------------------------------------------------------------------
# Capture
# --------------------------------------------------------------------------------------------


def test_capture_one_column_map_float64_input_and_a_single_valid_pixel():
    cap = Capture(np.array([[2.0], [NAN], [NAN]]))  # float64, one column, one valid pixel
    assert cap.disparity.dtype == np.float32 and cap.disparity.flags.c_contiguous
    assert cap.shape == (3, 1) and cap.size == (1, 3)
    assert cap.depth_range() == (0.5, 0.5)
    assert cap.disparity_range() == (2.0, 2.0)
    assert Capture(np.full((2, 2), NAN)).depth_range() is None
    assert Capture(np.full((2, 2), NAN)).disparity_range() is None


def test_capture_refusals_name_what_was_found():
    with pytest.raises(InvalidInputError, match=r"^disparity must be a non-empty 2-D array, got shape \(0, 3\)$"):
        Capture(np.zeros((0, 3)))
    with pytest.raises(InvalidInputError, match=r"^disparity must be a non-empty 2-D array, got shape \(4,\)$"):
        Capture(np.zeros(4))
    with pytest.raises(InvalidInputError, match=r"^accuracy must be 'relative', 'absolute' or None, got 'approximate'$"):
        Capture(np.ones((2, 2)), accuracy="approximate")


def test_capture_without_confidence_says_so():
    cap = Capture(np.ones((2, 2)))
    assert cap.has_confidence is False and cap.confidence is None


def test_set_rgb_sets_the_colour_size_and_refuses_what_is_not_uint8_rgb():
    cap = Capture(np.ones((1, 2)))
    img = np.zeros((2, 4, 3), np.uint8)  # 4 wide, 2 high
    cap.set_rgb(img)
    assert cap.rgb_size == (4, 2) and cap.has_rgb
    for bad, found in ((np.zeros((2, 4, 3)), r"float64 \(2, 4, 3\)"),
                       (np.zeros((2, 4), np.uint8), r"uint8 \(2, 4\)"),
                       (np.zeros((2, 4, 4), np.uint8), r"uint8 \(2, 4, 4\)")):
        with pytest.raises(InvalidInputError, match=rf"^rgb must be uint8 \(H, W, 3\), got {found}$"):
            cap.set_rgb(bad)
    assert cap.rgb_size == (4, 2)


def test_rgb_at_defaults_to_the_depth_size_and_honours_an_explicit_size():
    cap = Capture(np.ones((1, 2)))  # depth map 2 wide, 1 high
    img = np.zeros((2, 4, 3), np.uint8)
    img[:, :2] = [[10, 20, 30], [30, 40, 50]]  # left 2x2 block: means 20, 30, 40
    img[:, 2:] = [[100, 0, 200], [100, 0, 200]]  # right block is flat
    cap.set_rgb(img)
    want_small = np.array([[[20, 30, 40], [100, 0, 200]]], np.uint8)
    np.testing.assert_array_equal(cap.rgb_at(), want_small)
    np.testing.assert_array_equal(cap.rgb_at(4, None), want_small)  # a size needs both numbers
    np.testing.assert_array_equal(cap.rgb_at(None, 2), want_small)
    np.testing.assert_array_equal(cap.rgb_at(4, 2), img)
    np.testing.assert_array_equal(cap.rgb_at(2, 1), want_small)


def hand_built_capture() -> Capture:
    cap = Capture(
        np.array([[2.0, 0.5], [NAN, 4.0]], dtype=np.float32),
        calibration=full_calibration(),
        accuracy="relative",
        camera=CameraInfo("rear dual", "Apple", "iPhone 12 mini", None, 4.2, 26.0),
        encoding=ENCODING,
        mattes=LazyMattes({"hair": lambda: np.zeros((2, 2), np.float32),
                           "skin": lambda: np.zeros((2, 2), np.float32)}),
        path=Path("/photos/IMG_0001.HEIC"),
        format="HEIC (Apple portrait)",
        metadata={"notes": ["stored intrinsics agree with EXIF"]},
        rgb_size=(4032, 3024),
        confidence_loader=lambda: np.ones((2, 2), np.float32),
    )
    return cap


def test_summary_of_a_hand_built_capture_key_by_key():
    s = hand_built_capture().summary()
    want = {
        "path": str(Path("/photos/IMG_0001.HEIC")),
        "format": "HEIC (Apple portrait)",
        "accuracy": "relative",
        "camera_kind": "rear dual", "camera_make": "Apple", "camera_model": "iPhone 12 mini", "camera_lens_model": None,
        "focal_length_mm": 4.2, "focal_length_35mm": 26.0,
        "depth_size": [2, 2],
        "colour_size": [4032, 3024],
        "valid_fraction": 0.75,
        "depth_range_m": (0.25, 2.0),
        "depth_unit": "m",
        "disparity_range_per_m": (0.5, 4.0),
        "encoding_quantity": ENCODING_DICT["quantity"], "encoding_bits": ENCODING_DICT["bits"],
        "encoding_format": ENCODING_DICT["format"], "encoding_step": ENCODING_DICT["step"],
        "calibration_source": "depth item XMP", "calibration_estimated": False,
        "calibration_reference_size": [4032, 3024],
        "fx": 3032.0, "fy": 3030.0, "cx": 1988.0, "cy": 1512.0, "lens_distortion": True,
        "mattes": ["hair", "skin"],
        "confidence": True,
        "notes": ["stored intrinsics agree with EXIF"],
    }
    assert s == want and list(s) == list(want)
    # flat: one level, a row of a table
    assert not any(isinstance(v, dict) for v in s.values())
    json.dumps(s)  # what `depthlab info --json` prints


def test_summary_of_a_bare_capture_is_all_nulls_and_survives_missing_metadata():
    cap = Capture(np.full((2, 3), NAN), metadata=None)  # type: ignore[arg-type]
    s = cap.summary()
    assert s["camera_kind"] == "unknown" and s["depth_size"] == [3, 2] and s["valid_fraction"] == 0.0
    assert s["mattes"] == [] and s["confidence"] is False and s["notes"] == [] and s["format"] == ""
    assert s["depth_unit"] == "m"  # no encoding says otherwise: a capture built from metres
    assert all(v is None for k, v in s.items() if k not in ("camera_kind", "depth_size", "valid_fraction", "mattes",
                                                               "confidence", "notes", "format", "depth_unit"))


def test_repr_is_a_one_line_human_summary():
    assert repr(hand_built_capture()) == (
        "<Capture IMG_0001.HEIC: rear dual, depth 2x2 (0.25-2 m, accuracy relative), "
        "calibration yes, mattes ['hair', 'skin']>")
    assert repr(Capture(np.full((2, 3), NAN))) == (
        "<Capture in-memory: unknown, depth 3x2 (no valid depth, accuracy None), calibration no, mattes []>")
    assert repr(LazyMattes({"hair": lambda: None, "skin": lambda: None})) == "LazyMattes(['hair', 'skin'])"


def test_summary_of_the_front_truedepth_sample_matches_the_samples_readme():
    """README: iPhone 14 front TrueDepth, depth 480x640 disparity, Accuracy absolute, FloatMin/Max
    0.508301/3.767578, calibration fx=2085.5 fy=2718.4 c=(1158,1544) at 2316x3088, distortion
    coefficients all zero, a 90 degree extrinsic; primary 2316x3088; skin/hair/teeth/glasses mattes."""
    import depthlab

    with pytest.warns(UserWarning, match="stored intrinsics disagree"):  # the README's numbers are the stored ones
        cap = depthlab.open(shared_sample("iphone/front_truedepth_mattes.heic"), calibration="stored")
    s = json.loads(json.dumps(cap.summary()))
    assert s["camera_kind"] == "front TrueDepth" and s["camera_model"] == "iPhone 14"
    assert s["accuracy"] == "absolute" and s["depth_size"] == [480, 640] and s["colour_size"] == [2316, 3088]
    assert (s["encoding_quantity"], s["encoding_bits"]) == ("disparity", 8)
    enc = cap.encoding.to_dict()
    assert (enc["int_min"], enc["int_max"]) == (0, 255)
    assert enc["float_min"] == pytest.approx(0.508301) and enc["float_max"] == pytest.approx(3.767578)
    assert s["encoding_step"] == pytest.approx((3.767578 - 0.508301) / 255)
    assert s["calibration_reference_size"] == [2316, 3088]
    assert (s["fx"], s["fy"]) == (pytest.approx(2085.5, abs=0.1), pytest.approx(2718.4, abs=0.1))
    assert (s["cx"], s["cy"]) == (pytest.approx(1158, abs=0.01), pytest.approx(1544, abs=0.01))
    cal = cap.calibration.to_dict()
    assert cal["intrinsic_matrix"][0][0] == s["fx"] and cal["intrinsic_matrix"][1][2] == s["cy"]
    assert cal["lens_distortion"] == [0.0] * 8 and cal["inverse_lens_distortion"] == [0.0] * 8
    rot = np.array(cal["extrinsic_matrix"])[:, :3]
    assert abs(rot[0, 1]) == 1 and abs(rot[1, 0]) == 1 and rot[2, 2] == 1  # 90 degrees about z
    assert {"skin", "hair", "teeth", "glasses"} <= set(s["mattes"])
    assert s["disparity_range_per_m"][0] >= 0.508301 - 1e-6 and s["disparity_range_per_m"][1] <= 3.767578 + 1e-6
    assert s["depth_range_m"][0] == pytest.approx(1 / s["disparity_range_per_m"][1], rel=1e-6)