"""Format facts of real iPhone HEIC files (../shared/samples/README.md), then the code agrees."""

from __future__ import annotations

import numpy as np
import pytest

import depthlab
from depthlab.formats import isobmff
from depthlab.formats.heic import _orientation_of
from depthlab.formats.exif import EXIF_ORIENTATIONS, TAG_ORIENTATION, read_exif
from conftest import decoded_on_first_use, shared_sample


def _codes(cap):
    """Recover the stored 8-bit codes from the float disparity."""
    e = cap.encoding
    return (cap.disparity - e.float_min) / (e.float_max - e.float_min) * 255.0


def test_rear_dual_pug_values_and_calibration():
    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    assert cap.shape == (576, 768) and cap.disparity.dtype == np.float32
    assert cap.accuracy == "relative"
    assert cap.camera.kind == "rear dual" and cap.camera.make == "Apple"
    e = cap.encoding
    assert (e.quantity, e.bits, e.float_min, e.float_max) == ("disparity", 8, 1.498047, 4.382812)
    assert e.format == "L008 from hdis"
    # every value is FloatMin + (FloatMax - FloatMin) * v / 255 for an integer code v
    codes = _codes(cap)
    assert np.allclose(codes, np.round(codes), atol=1e-3)
    assert codes.min() >= -1e-3 and codes.max() <= 255 + 1e-3
    # libheif's depth representation carries the same range
    rep = cap.metadata["heif_depth_representation"]
    assert rep["representation_type"] == 1
    assert rep["d_min"] == pytest.approx(1.498047, abs=1e-3) and rep["d_max"] == pytest.approx(4.382812, abs=1e-3)
    # depth is 1/disparity, in metres
    assert np.allclose(cap.depth, 1.0 / cap.disparity, rtol=1e-6)
    # Apple spreads the codes over the whole range: code 255 (FloatMax) is the nearest pixel,
    # code 0 (FloatMin) the farthest, so the depth range is exactly 1/FloatMax .. 1/FloatMin
    c = np.round(codes)
    assert c.min() == 0 and c.max() == 255
    lo, hi = cap.depth_range()
    assert lo == pytest.approx(1 / 4.382812, rel=1e-6)
    assert hi == pytest.approx(1 / 1.498047, rel=1e-6)
    cal = cap.calibration
    assert cal is not None and not cal.estimated
    assert cal.reference_size == (4032, 3024)
    assert (cal.fx, cal.fy) == pytest.approx((3032.594, 3032.594), abs=1e-3)
    assert (cal.cx, cal.cy) == pytest.approx((1988.451, 1512.307), abs=1e-3)
    assert cal.pixel_size_mm == pytest.approx(0.0019)
    assert cal.lens_distortion.shape == (8,) and cal.inverse_lens_distortion.shape == (8,)
    assert cal.lens_distortion[1] == pytest.approx(-0.94312471151351929)
    assert cal.inverse_lens_distortion[1] == pytest.approx(0.92712384462356567)
    assert cal.distortion_center == pytest.approx((1990.331298828125, 1515.205078125))
    assert cal.has_distortion
    assert np.allclose(cal.extrinsic_matrix, np.hstack([np.eye(3), np.zeros((3, 1))]))
    assert dict(cap.mattes) == {}
    assert cap.metadata["other_aux"] == ["HDR gain map"]
    assert cap.rgb_size == (4032, 3024)


def test_open_is_lazy_and_colour_lines_up():
    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    rgb = decoded_on_first_use(cap)  # open() must not decode the 12-megapixel primary
    assert rgb.shape == (3024, 4032, 3) and rgb.dtype == np.uint8
    small = cap.rgb_at()
    assert small.shape == (576, 768, 3)
    assert cap.rgb_at() is small  # cached


def test_front_truedepth_absolute_with_mattes():
    with pytest.warns(UserWarning, match="stored intrinsics disagree"):  # the file's own numbers
        cap = depthlab.open(shared_sample("iphone/front_truedepth_mattes.heic"), calibration="stored")
    assert cap.shape == (640, 480)
    assert cap.accuracy == "absolute"
    assert cap.camera.kind == "front TrueDepth"
    assert (cap.encoding.float_min, cap.encoding.float_max) == (0.508301, 3.767578)
    cal = cap.calibration
    assert cal.reference_size == (2316, 3088)
    assert (cal.fx, cal.fy) == pytest.approx((2085.548, 2718.404), abs=1e-3)
    assert (cal.cx, cal.cy) == pytest.approx((1158, 1544), abs=1e-3)
    assert not cal.has_distortion and np.all(cal.lens_distortion == 0)
    r = cal.extrinsic_matrix[:, :3]
    assert np.allclose(r @ r.T, np.eye(3)) and np.allclose(np.abs(r[:2, :2]), [[0, 1], [1, 0]])  # 90 degrees
    assert set(cap.mattes) == {"portrait", "skin", "hair", "teeth", "glasses"}
    matte = cap.mattes["portrait"]
    assert matte.shape == (1544, 1158) and matte.dtype == np.float32
    assert 0.0 <= matte.min() and matte.max() <= 1.0 and matte.max() > 0.9
    # README fact: the face at the centre is about 0.36 m away.  (The README also says "background
    # about 0.66 m"; the decoded map puts the wall behind the head at 1.6-1.9 m and only the
    # shoulders near 0.6 m, so we assert the geometry we can see instead.)
    h, w = cap.shape
    face = np.nanmedian(cap.depth[h // 2 - 20:h // 2 + 20, w // 2 - 20:w // 2 + 20])
    assert face == pytest.approx(0.36, abs=0.05)
    person = np.asarray(__import__("PIL.Image", fromlist=["Image"]).fromarray((matte * 255).astype(np.uint8)).resize((w, h))) > 128
    background = np.nanmedian(cap.depth[~person])
    assert background > 2 * face
    # the matte lines up with the depth: the person is nearer than what is around them
    assert np.nanmedian(cap.depth[person]) < background


def test_rear_dual_2x_upright_keeps_calibration_upright():
    cap = depthlab.open(shared_sample("iphone/rear_dual_2x_upright.heic"))
    assert cap.shape == (768, 576)  # portrait
    assert cap.accuracy == "relative"
    assert (cap.encoding.float_min, cap.encoding.float_max) == (0.536621, 3.566406)
    cal = cap.calibration
    assert cal.reference_size == (3024, 4032)
    assert cal.fx == pytest.approx(5761.797, abs=1e-3)
    assert np.allclose(cal.extrinsic_matrix[:, :3], [[0, 1, 0], [-1, 0, 0], [0, 0, 1]])
    assert cal.has_distortion
    assert cap.rgb_size == (3024, 4032)
    k = cal.intrinsics_at(576, 768)
    assert k[0, 0] == pytest.approx(5761.797 * 576 / 3024)


@pytest.mark.parametrize("name, mattes", [
    ("iphone/ios18_mattes_no_depth.heic", ["portrait", "skin", "sky"]),
    ("iphone/front_rotated_mirrored_no_depth.heic", []),
])
def test_no_depth_names_what_is_there(name, mattes):
    with pytest.raises(depthlab.NoDepthError) as err:
        depthlab.open(shared_sample(name))
    msg = str(err.value)
    assert "no depth map" in msg and "unmodified originals" in msg
    for m in mattes:
        assert m in msg
    assert isinstance(err.value, depthlab.DepthlabError)


@pytest.mark.parametrize("name, exif_value", [
    ("iphone/front_rotated_mirrored_no_depth.heic", 5),
    ("iphone/ios18_mattes_no_depth.heic", 6),
])
def test_irot_imir_agree_with_exif_orientation(name, exif_value):
    """Apple writes both; our reading of irot/imir must equal the EXIF orientation's meaning."""
    data = shared_sample(name).read_bytes()
    hf = isobmff.parse_heif(data)
    ours = _orientation_of(hf.transforms(hf.primary_id))
    import pillow_heif
    exif = read_exif(pillow_heif.open_heif(shared_sample(name)).info["exif"])
    assert exif[TAG_ORIENTATION] == exif_value
    assert ours == EXIF_ORIENTATIONS[exif_value]


@pytest.mark.parametrize("name", ["iphone/rear_dual_pug.heic", "iphone/front_truedepth_mattes.heic",
                                  "iphone/ios18_mattes_no_depth.heic", "iphone/spatial_stereo_pair.heic"])
def test_the_camera_tags_alone_read_as_in_the_whole_exif(name):
    """camera_from_exif decodes only its tags; they must be those of the whole EXIF, value and type."""
    import pillow_heif

    from depthlab.formats.exif import CAMERA_TAGS

    raw = pillow_heif.open_heif(shared_sample(name)).info["exif"]
    whole, few = read_exif(raw), read_exif(raw, CAMERA_TAGS)
    assert few == {t: whole[t] for t in CAMERA_TAGS if t in whole} and len(few) >= 4
    assert all(type(few[t]) is type(whole[t]) for t in few)
    assert read_exif(raw[:40], CAMERA_TAGS) in ({}, {t: whole[t] for t in CAMERA_TAGS[:2] if t in whole})  # cut short


def test_item_structure_of_pug():
    hf = isobmff.parse_heif(shared_sample("iphone/rear_dual_pug.heic").read_bytes())
    assert hf.primary_id == 49 and hf.items[49].type == "grid"
    assert hf.aux_type(52) == "urn:com:apple:photo:2020:aux:hdrgainmap"
    assert hf.aux_type(54) == "urn:mpeg:hevc:2015:auxid:2"
    assert hf.image_size(54) == (768, 576)
    assert hf.refs_to(54, "cdsc") == [55] and hf.items[55].content_type == "application/rdf+xml"
    assert hf.refs_from(49, "dimg") == list(range(1, 49))
    assert b"depthData:IntrinsicMatrix" in hf.item_data(55)


def test_rotated_depth_item_brings_calibration_along():
    """Turn the shared irot property of pug (primary and depth item) to 90 degrees: libheif rotates
    the depth map on decode, and our calibration must rotate with it (principal point included)."""
    from depthlab.reader import open_bytes

    data = bytearray(shared_sample("iphone/rear_dual_pug.heic").read_bytes())
    assert data[2280:2288] == b"\x00\x00\x00\x09irot" and data[2288] == 0
    base = open_bytes(bytes(data))
    data[2288] = 1  # 90 degrees anti-clockwise
    rot = open_bytes(bytes(data))
    assert rot.shape == (768, 576)
    assert np.array_equal(rot.disparity, np.rot90(base.disparity))
    cal, cal0 = rot.calibration, base.calibration
    assert cal.reference_size == (3024, 4032)
    assert (cal.cx, cal.cy) == pytest.approx((cal0.cy, 4032 - cal0.cx))
    assert cal.distortion_center == pytest.approx((cal0.distortion_center[1], 4032 - cal0.distortion_center[0]))
    # a pixel's ray is the same physical ray: the pinhole direction of a depth pixel and of the
    # pixel it moved to agree after rotating the direction by the same quarter turn
    k0, k1 = cal0.intrinsics_at(768, 576), cal.intrinsics_at(576, 768)
    u, v = 100, 40                      # stored pixel
    u1, v1 = v, 768 - 1 - u             # where np.rot90 puts it
    d0 = np.array([(u - k0[0, 2]) / k0[0, 0], (v - k0[1, 2]) / k0[1, 1]])
    d1 = np.array([(u1 - k1[0, 2]) / k1[0, 0], (v1 - k1[1, 2]) / k1[1, 1]])
    assert d1 == pytest.approx([d0[1], -d0[0]], abs=1e-9)


def test_spatial_photo_opens_as_a_stereo_pair():
    """A 'ster' entity group (left, right) and no depth item: depth is computed from the views
    (tests/formats/test_spatial.py checks the numbers)."""
    pytest.importorskip("cv2")
    cap = depthlab.open(shared_sample("iphone/spatial_stereo_pair.heic"))
    assert cap.camera.kind == "spatial (stereo pair)" and cap.accuracy == "absolute"


def test_entity_groups_are_read():
    from depthlab.formats import isobmff

    hf = isobmff.parse_heif(shared_sample("iphone/spatial_stereo_pair.heic").read_bytes())
    assert [(g.type, g.entity_ids) for g in hf.groups] == [("ster", (26, 52))]
    pug = isobmff.parse_heif(shared_sample("iphone/rear_dual_pug.heic").read_bytes())
    assert pug.groups == ()
