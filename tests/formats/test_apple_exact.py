"""formats/apple.py pinned exactly where mutation testing (benchmarks/mutation.py) found the
suite lenient: the four-letter formats, the code -> disparity mapping at its ends, the aspect
test, and every calibration number read back from Apple's XMP text (written here by hand from
the documented layout: IntrinsicMatrix column-major, ExtrinsicMatrix column-major 4x3)."""

from __future__ import annotations

import numpy as np
import pytest

from depthlab.capture import Orientation
from depthlab.errors import UnreadableFileError
from depthlab.formats.apple import calibration_for_display, disparity_from_codes, fourcc, read_calibration, same_aspect
from depthlab.formats.xmp import parse_xmp


def test_fourcc():
    assert fourcc(1278226488) == "L008" and fourcc(1751411059) == "hdis"
    assert fourcc(None) is None
    assert fourcc(1) == "1"  # b"\0\0\0\1" is not printable
    assert fourcc(-5) == "-5" and fourcc(2**40) == str(2**40)  # do not fit four bytes
    assert fourcc(0xFFFFFFFF) == str(0xFFFFFFFF)  # not ASCII


def test_disparity_from_codes_exact_ends_and_offsets():
    codes = np.array([[0, 51, 255]], np.uint8)
    d = disparity_from_codes(codes, 0.5, 3.0, 0, 255)
    assert d.dtype == np.float32 and d.shape == (1, 3)
    np.testing.assert_allclose(d, [[0.5, 0.5 + 2.5 * 51 / 255, 3.0]], rtol=1e-6)
    # IntMin/IntMax other than 0/255: (code - IntMin) / (IntMax - IntMin)
    d = disparity_from_codes(np.array([10, 30, 110], np.uint16), 1.0, 2.0, 10, 110)
    np.testing.assert_allclose(d, [1.0, 1.2, 2.0], rtol=1e-6)
    # zero or negative disparity is unknown
    d = disparity_from_codes(np.array([0, 1, 2], np.uint8), -1.0, 1.0, 0, 2)
    assert np.isnan(d[0]) and np.isnan(d[1]) and d[2] == 1.0
    # a "depth" map holds metres: disparity is its inverse
    d = disparity_from_codes(np.array([0, 255], np.uint8), 0.5, 2.0, 0, 255, kind="depth")
    np.testing.assert_allclose(d, [2.0, 0.5], rtol=1e-6)


def test_same_aspect_tolerance_is_relative_and_inclusive():
    assert same_aspect((4032, 3024), (768, 576)) and same_aspect((3024, 4032), (576, 768))
    assert not same_aspect((4032, 3024), (576, 768))
    assert same_aspect((100, 100), (101.9, 100)) and not same_aspect((100, 100), (102.1, 100))
    # the bound itself counts (numbers exact in binary): 4.5/4 differs from 1 by exactly 0.125
    assert same_aspect((4, 4), (4.5, 4), tol=0.125) and not same_aspect((4, 4), (4.5, 4), tol=0.12)
    assert same_aspect((8, 4), (8.25, 4), tol=0.05)  # 0.0625 apart: within 5 % of the first aspect (2), not of 1


def _seq(values) -> str:
    return "<rdf:Seq>" + "".join(f"<rdf:li>{v!r}</rdf:li>" for v in values) + "</rdf:Seq>"


def depth_xmp(**override) -> bytes:
    keys = {
        "IntrinsicMatrix": _seq([3000.5, 0.0, 0.0, 0.0, 3001.25, 0.0, 2010.75, 1500.5, 1.0]),
        "IntrinsicMatrixReferenceWidth": "4032", "IntrinsicMatrixReferenceHeight": "3024",
        "ExtrinsicMatrix": _seq([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.01, -0.02, 0.03]),
        "LensDistortionCoefficients": _seq([0.0, -1.0, 0.5, -0.1, 0.01, -0.001, 1e-4, -1e-5]),
        "InverseLensDistortionCoefficients": _seq([0.0, 1.0, -0.5, 0.1, -0.01, 0.001, -1e-4, 1e-5]),
        "LensDistortionCenterOffsetX": "2011.5", "LensDistortionCenterOffsetY": "1499.25",
        "PixelSize": "0.0014", "DistortionCalibrationValidMaxRadiusInPixels": "2520.5",
    }
    keys.update(override)
    body = "".join(f"<depthData:{k}>{v}</depthData:{k}>" for k, v in keys.items() if v is not None)
    return ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description xmlns:depthData="http://ns.apple.com/depthData/1.0/">' + body +
            "</rdf:Description></rdf:RDF></x:xmpmeta>").encode()


def test_read_calibration_reads_every_number():
    cal = read_calibration(parse_xmp(depth_xmp(), what="depth XMP"))
    np.testing.assert_array_equal(cal.intrinsic_matrix, [[3000.5, 0, 2010.75], [0, 3001.25, 1500.5], [0, 0, 1]])
    assert cal.reference_size == (4032, 3024)
    np.testing.assert_array_equal(cal.extrinsic_matrix, [[1, 0, 0, 0.01], [0, 1, 0, -0.02], [0, 0, 1, 0.03]])
    np.testing.assert_array_equal(cal.lens_distortion, [0.0, -1.0, 0.5, -0.1, 0.01, -0.001, 1e-4, -1e-5])
    np.testing.assert_array_equal(cal.inverse_lens_distortion, [0.0, 1.0, -0.5, 0.1, -0.01, 0.001, -1e-4, 1e-5])
    assert cal.distortion_center == (2011.5, 1499.25) and cal.pixel_size_mm == 0.0014
    assert cal.distortion_max_radius_px == 2520.5
    assert cal.estimated is False and cal.source == "depth item XMP (AVCameraCalibrationData)"


def test_read_calibration_optional_parts_and_errors():
    assert read_calibration(parse_xmp(depth_xmp(IntrinsicMatrix=None))) is None
    cal = read_calibration(parse_xmp(depth_xmp(ExtrinsicMatrix=None, LensDistortionCenterOffsetY=None,
                                               DistortionCalibrationValidMaxRadiusInPixels=None)))
    assert cal.extrinsic_matrix is None and cal.distortion_center is None and cal.distortion_max_radius_px is None
    cal = read_calibration(parse_xmp(depth_xmp(LensDistortionCenterOffsetX=None)))
    assert cal.distortion_center is None
    for w, h in (("0", "3024"), ("4032", "0"), ("-4032", "3024"), ("4032", "-1"), (None, "3024"), ("4032", None)):
        with pytest.raises(UnreadableFileError, match=r"depth XMP: IntrinsicMatrix has no valid reference size"):
            read_calibration(parse_xmp(depth_xmp(IntrinsicMatrixReferenceWidth=w, IntrinsicMatrixReferenceHeight=h), what="depth XMP"))
    with pytest.raises(UnreadableFileError, match="IntrinsicMatrix"):
        read_calibration(parse_xmp(depth_xmp(IntrinsicMatrix=_seq([1.0] * 8))))
    with pytest.raises(UnreadableFileError, match="InverseLensDistortionCoefficients"):
        read_calibration(parse_xmp(depth_xmp(InverseLensDistortionCoefficients=_seq([1.0] * 7))))
    with pytest.raises(UnreadableFileError, match="LensDistortionCoefficients"):
        read_calibration(parse_xmp(depth_xmp(LensDistortionCoefficients=_seq([1.0] * 9))))
    with pytest.raises(UnreadableFileError, match="ExtrinsicMatrix"):
        read_calibration(parse_xmp(depth_xmp(ExtrinsicMatrix=_seq([1.0] * 11))))
    with pytest.raises(UnreadableFileError, match="^depth XMP: the calibration is invalid"):
        read_calibration(parse_xmp(depth_xmp(IntrinsicMatrix=_seq([-3000.0, 0, 0, 0, 3000.0, 0, 2000, 1500, 1])), what="depth XMP"))


def test_calibration_for_display_turns_a_sensor_frame_calibration():
    xmp = parse_xmp(depth_xmp(), what="depth XMP")
    notes: list[str] = []
    # stored 768x576 (sensor frame), shown rotated 90 degrees: 576x768
    cal = calibration_for_display(xmp, (768, 576), (576, 768), Orientation(90), notes, source="test source")
    assert cal.reference_size == (3024, 4032) and notes == []
    assert (cal.fx, cal.fy) == (3001.25, 3000.5)  # the focal lengths follow the axes
    assert cal.source == "test source"
    # already upright (a re-saved file): kept as it is, source unchanged without one
    up = parse_xmp(depth_xmp(IntrinsicMatrixReferenceWidth="3024", IntrinsicMatrixReferenceHeight="4032"))
    cal = calibration_for_display(up, (576, 768), (576, 768), Orientation(0), notes)
    assert cal.reference_size == (3024, 4032) and cal.fx == 3000.5 and cal.source == "depth item XMP (AVCameraCalibrationData)"
    assert calibration_for_display(parse_xmp(depth_xmp(IntrinsicMatrix=None)), (768, 576), (768, 576), Orientation(0), notes) is None
    assert notes == []


def test_calibration_for_display_drops_what_does_not_fit_with_a_note():
    notes: list[str] = []
    square = parse_xmp(depth_xmp(IntrinsicMatrixReferenceWidth="1000", IntrinsicMatrixReferenceHeight="1000"))
    assert calibration_for_display(square, (768, 576), (768, 576), Orientation(0), notes) is None
    assert notes == ["calibration reference size 1000x1000 does not match the depth map's 768x576 aspect; calibration ignored"]
    notes.clear()
    broken = parse_xmp(depth_xmp(PixelSize="abc"), what="depth XMP")
    assert calibration_for_display(broken, (768, 576), (768, 576), Orientation(0), notes) is None
    assert len(notes) == 1 and notes[0].startswith("calibration ignored: depth XMP") and "PixelSize" in notes[0]


def test_disparity_from_codes_of_other_integer_and_float_types():
    """Codes that are not uint8/uint16 (a list, int64, float64, float16 from a half-float map)
    take the general path: the same linear mapping, float32 out, non-positive disparity NaN."""
    for codes in ([0, 51, 255], np.array([0, 51, 255], np.int64), np.array([0.0, 51.0, 255.0]), np.array([0, 51, 255], np.float16)):
        d = disparity_from_codes(codes, 0.5, 3.0, 0, 255)
        assert d.dtype == np.float32 and d.shape == (3,)
        np.testing.assert_allclose(d, [0.5, 0.5 + 2.5 * 51 / 255, 3.0], rtol=1e-6)
    d = disparity_from_codes(np.array([[10, 30, 110]], np.int64), 1.0, 2.0, 10, 110)
    np.testing.assert_allclose(d, [[1.0, 1.2, 2.0]], rtol=1e-6)
    # -1, 0 are unknown; 1 (and up) is kept
    d = disparity_from_codes(np.array([0, 1, 2, 3]), -1.0, 2.0, 0, 3)
    assert np.isnan(d[:2]).all() and d[2] == 1.0 and d[3] == 2.0
    d = disparity_from_codes(np.array([0.0, 255.0]), 0.5, 2.0, 0, 255, kind="depth")
    assert d.dtype == np.float32
    np.testing.assert_allclose(d, [2.0, 0.5], rtol=1e-6)


def test_read_calibration_accepts_a_one_pixel_reference_size():
    """Only a non-positive reference size is refused: 1 x 1 is tiny but still a size (the
    intrinsics scale to any view of that aspect)."""
    xmp = depth_xmp(IntrinsicMatrix=_seq([0.75, 0.0, 0.0, 0.0, 0.75, 0.0, 0.5, 0.5, 1.0]),
                    IntrinsicMatrixReferenceWidth="1", IntrinsicMatrixReferenceHeight="1")
    cal = read_calibration(parse_xmp(xmp))
    assert cal.reference_size == (1, 1) and (cal.fx, cal.cx) == (0.75, 0.5)
    for w, h in (("1", "3024"), ("4032", "1")):
        assert read_calibration(parse_xmp(depth_xmp(IntrinsicMatrixReferenceWidth=w, IntrinsicMatrixReferenceHeight=h))).reference_size == (int(w), int(h))


def test_calibration_for_display_keeps_an_upright_calibration_of_sensor_frame_pixels():
    """Pixels stored in the sensor frame (768x576, shown turned: 576x768) with a calibration
    already upright (3024x4032): only a calibration of the stored aspect is turned, so this one
    is kept as it is.  Without a stored size nothing is turned either."""
    up = parse_xmp(depth_xmp(IntrinsicMatrixReferenceWidth="3024", IntrinsicMatrixReferenceHeight="4032"))
    notes: list[str] = []
    cal = calibration_for_display(up, (768, 576), (576, 768), Orientation(90), notes)
    assert cal.reference_size == (3024, 4032) and cal.fx == 3000.5 and notes == []
    cal = calibration_for_display(up, None, (576, 768), Orientation(90), notes)
    assert cal.reference_size == (3024, 4032) and notes == []


def test_calibration_for_display_note_names_width_then_height():
    notes: list[str] = []
    wide = parse_xmp(depth_xmp(IntrinsicMatrixReferenceWidth="2000", IntrinsicMatrixReferenceHeight="1000"))
    assert calibration_for_display(wide, (768, 576), (768, 576), Orientation(0), notes) is None
    assert notes == ["calibration reference size 2000x1000 does not match the depth map's 768x576 aspect; calibration ignored"]
