"""Apple spatial photos: a stereo pair with its calibration opens as a capture with computed depth.

Facts of the shared sample (``iphone/spatial_stereo_pair.heic``, issue 26): two 2560x2560 grid
views, items 26 (left) and 52 (right) in 'ster' group 53; Apple's intrinsics uuid gives
f = 1525.44 px and principal point (1280, 1280) at 2560; the extrinsics uuid puts the right
camera 63,807 µm to the right; the disparity-adjustment uuid holds 293 in both views.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import depthlab
from depthlab import InvalidInputError, UnreadableFileError
from depthlab.formats import isobmff, spatial
from depthlab.reader import open_bytes
from conftest import shared_sample

pytest.importorskip("cv2", reason="spatial photos need opencv-python-headless (a runtime dependency)")

SPATIAL = "iphone/spatial_stereo_pair.heic"


@pytest.fixture(scope="module")
def cap():
    return depthlab.open(shared_sample(SPATIAL))


def test_the_file_states_focal_length_and_baseline():
    hf = isobmff.parse_heif(shared_sample(SPATIAL).read_bytes())
    left, right = (spatial.view_geometry(hf, i, "s.heic") for i in (26, 52))
    assert left.focal_px == pytest.approx(1525.44, abs=0.01) and left.principal_point == (1280.0, 1280.0)
    assert left.position_m == (0.0, 0.0, 0.0) and right.position_m == pytest.approx((0.063807, 0.0, 0.0), abs=1e-9)
    assert left.disparity_adjustment == right.disparity_adjustment == 293
    assert left.intrinsics_source.startswith("Apple uuid 22cc04c7")


def test_a_spatial_photo_opens_with_absolute_depth(cap):
    assert cap.accuracy == "absolute" and cap.format.startswith("HEIC (Apple spatial photo")
    assert cap.calibration.fx == pytest.approx(1525.44, abs=0.01) and cap.calibration.reference_size == (2560, 2560)
    assert cap.metadata["baseline_m"] == pytest.approx(0.063807, abs=1e-9)
    assert cap.metadata["view_items"] == {"left": 26, "right": 52}
    assert cap.metadata["disparity_adjustment"]["value"] == 293
    assert cap.metadata["disparity_adjustment"]["pixels"] == pytest.approx(75.0, abs=0.01)
    assert "Apple uuid" in cap.metadata["intrinsics_source"]
    d = cap.depth
    assert np.isfinite(d).mean() >= 0.60
    lo, hi = np.nanpercentile(d, [2, 98])
    assert 0.3 <= lo and hi <= 12.0
    assert cap.views["left"].shape == cap.views["right"].shape == (2560, 2560, 3)
    assert cap.rgb is cap.views["left"]


def test_a_spatial_photo_projects_to_metres(cap):
    cloud = depthlab.project(cap)
    assert cloud.units == "m" and cloud.accuracy == "absolute" and len(cloud.xyz) > 500_000
    z = cloud.xyz[:, 2]
    assert 0.3 < np.percentile(z, 2) and np.percentile(z, 98) < 12


def test_the_planter_in_front_is_nearer_than_the_door(cap):
    """Plane checks on the real scene: the planter box (bottom centre) ~1 m, the door (top) ~3.3 m."""
    d = cap.depth
    h, w = d.shape  # the working size (the matcher's), so the regions are fractions of the frame

    def region(top, bottom, left, right):
        return np.nanmedian(d[int(top * h):int(bottom * h), int(left * w):int(right * w)])

    planter = region(0.70, 0.86, 0.44, 0.59)
    door = region(0.195, 0.273, 0.328, 0.414)
    assert 0.7 < planter < 1.3 and 2.8 < door < 3.8


def test_info_shows_baseline_and_focal_length(cap):
    from depthlab.cli.info import format_summary

    text = format_summary(cap)
    assert "baseline     63.807 mm" in text and "fx 1525.44" in text


def test_a_given_baseline_overrides_the_file_and_must_be_positive():
    data = shared_sample(SPATIAL).read_bytes()
    for bad in (0, -0.06):
        with pytest.raises(InvalidInputError, match="baseline_m must be a positive"):
            open_bytes(data, Path("pair.heic"), baseline_m=bad)


STER = bytes.fromhex("0000001c737465720000000000000035") + (2).to_bytes(4, "big")


def _with_views(left: int, right: int) -> bytes:
    data = shared_sample(SPATIAL).read_bytes()
    old = STER + (26).to_bytes(4, "big") + (52).to_bytes(4, "big")
    assert data.count(old) == 1
    return data.replace(old, STER + left.to_bytes(4, "big") + right.to_bytes(4, "big"))


@pytest.mark.parametrize("left, right, message", [
    (26, 99, "names item 99 as the right view, but the file holds no such image"),
    (99, 52, "names item 99 as the left view"),
    (26, 27, "the stereo views differ in size: left (item 26) 2560x2560, right (item 27) 512x512"),
    (26, 26, "identical"),
])
def test_broken_pairs_are_refused_by_name(left, right, message):
    with pytest.raises(UnreadableFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_bytes(_with_views(left, right), Path("pair.heic"))


def test_swapped_views_say_the_baseline_is_negative():
    with pytest.raises(UnreadableFileError, match="-63.807 mm to the right of the left one"):
        open_bytes(_with_views(52, 26), Path("pair.heic"))


# --------------------------------------------------------------------------------------------
# a stereo MPO (two views in one JPEG): opens through the same path with a given baseline
# --------------------------------------------------------------------------------------------


def _mpo(sp, focal_35mm: int) -> bytes:
    from PIL import Image

    from depthlab.synth import jpeg as sj

    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = focal_35mm
    tiff = exif.tobytes()
    tiff = tiff[6:] if tiff.startswith(b"Exif\x00\x00") else tiff
    left = sj.insert_segments(sj.encode_jpeg(sp.left, quality=95), [sj.exif_segment(tiff)])
    return sj.with_mpf_images(left, [sj.encode_jpeg(sp.right, quality=95)], attributes=[spatial.MP_DISPARITY])


@pytest.fixture(scope="module")
def mpo_pair():
    from depthlab import synth

    sp = synth.render_spatial(size=(320, 320))
    f35 = round(sp.focal_px * 43.27 / np.hypot(320, 320))
    return _mpo(sp, f35), sp, f35


def test_a_stereo_mpo_opens_with_a_given_baseline(mpo_pair):
    data, sp, f35 = mpo_pair
    cap = open_bytes(data, Path("pair.mpo.jpg"), baseline_m=sp.baseline_m)
    assert cap.format == "JPEG (stereo MPO, depth computed)" and cap.accuracy == "absolute"
    assert "FocalLengthIn35mmFilm" in cap.metadata["intrinsics_source"]
    box = sp.truth.labels == sp.truth.label_names.index("box front")
    f_ratio = cap.calibration.fx / sp.focal_px  # the EXIF estimate's own error carries into depth
    assert np.nanmedian(cap.depth[box]) == pytest.approx(1.3 * f_ratio, rel=0.02)
    assert np.isfinite(cap.depth).mean() > 0.7


def test_a_stereo_mpo_without_a_baseline_asks_for_one(mpo_pair):
    with pytest.raises(depthlab.CalibrationError, match=r"baseline_m=0.075"):
        open_bytes(mpo_pair[0], Path("pair.mpo.jpg"))


# --------------------------------------------------------------------------------------------
# a 3D camera's MPO (CIPA DC-007 multi-frame disparity set): the baseline is in the file
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def camera_mpo():
    from depthlab import synth
    from depthlab.synth.spatial import stereo_mpo_bytes

    sp = synth.render_spatial(size=(320, 320))
    return stereo_mpo_bytes(sp), sp


def test_the_generated_mpo_is_laid_out_as_dc_007_says(camera_mpo):
    """Read back by Pillow, not by depthlab: two frames, both multi-frame disparity, the first
    representative; view 2's own MP Attribute IFD states individual number 2, base viewpoint 1,
    convergence 0 degrees and a 63.807 mm baseline (metres, RATIONAL)."""
    import io

    from PIL import Image

    im = Image.open(io.BytesIO(camera_mpo[0]))
    assert im.format == "MPO" and im.n_frames == 2
    entries = im._getmp()[0xB002]
    assert [e["Attribute"]["MPType"] for e in entries] == ["Multi-Frame Image: (Disparity)"] * 2
    assert [e["Attribute"]["RepresentativeImageFlag"] for e in entries] == [True, False]
    im.seek(1)
    attrs = Image.Exif()
    attrs.load(im.info["mp"])
    assert attrs[0xB000] == b"0100" and attrs[0xB101] == 2 and attrs[0xB204] == 1
    assert attrs[0xB205] == 0 and attrs[0xB206] == pytest.approx(0.063807, abs=1e-9)


def test_a_3d_camera_mpo_opens_with_the_baseline_it_states(camera_mpo):
    data, sp = camera_mpo
    cap = open_bytes(data, Path("DSCF0001.MPO"))
    assert cap.metadata["baseline_m"] == pytest.approx(0.063807, abs=1e-9)
    assert cap.metadata["extrinsics_source"] == "MPF BaselineLength (CIPA DC-007)"
    assert cap.metadata["mp_attributes"]["left"] == {"MPIndividualNum": 1, "BaseViewpointNum": 1,
                                                     "ConvergenceAngle": 0.0, "BaselineLength": 0.0}
    box = sp.truth.labels == sp.truth.label_names.index("box front")
    f_ratio = cap.calibration.fx / sp.focal_px  # the EXIF 35 mm estimate's own error carries into depth
    assert np.nanmedian(cap.depth[box]) == pytest.approx(1.3 * f_ratio, rel=0.02)
    given = open_bytes(data, Path("DSCF0001.MPO"), baseline_m=0.1)  # a given baseline overrides the file's
    assert given.metadata["baseline_m"] == 0.1 and given.metadata["extrinsics_source"] == "given to depthlab.open"
    assert np.nanmedian(given.depth[box]) == pytest.approx(np.nanmedian(cap.depth[box]) * 0.1 / 0.063807, rel=1e-3)


def test_an_mpo_without_baselinelength_asks_for_it():
    from depthlab import synth
    from depthlab.synth.spatial import stereo_mpo_bytes

    data = stereo_mpo_bytes(synth.render_spatial(size=(128, 128)), baseline=False)
    with pytest.raises(depthlab.CalibrationError, match=r"state no BaselineLength.*baseline_m=0.075"):
        open_bytes(data, Path("DSCF0002.MPO"))


def test_mp_attributes_unknown_values_and_disagreeing_baselines():
    from depthlab.formats.jpeg_segments import read_mp_attributes
    from depthlab.synth import jpeg as sj

    unknown = (0xFFFFFFFF, 0xFFFFFFFF)  # DC-007's "unknown"
    seg = sj.mp_attribute_segment([(0xB101, 4, 2), (0xB206, 5, unknown), (0xB205, 10, (-1, -1))])
    jpeg = sj.insert_segments(sj.encode_jpeg(np.zeros((8, 8, 3), np.uint8)), [seg])
    assert read_mp_attributes(jpeg) == {"MPIndividualNum": 2, "BaselineLength": None, "ConvergenceAngle": None}
    assert read_mp_attributes(sj.encode_jpeg(np.zeros((8, 8, 3), np.uint8))) == {}
    assert spatial.mpo_baseline([{"BaselineLength": 0.0}, {"BaselineLength": None}], "x") is None
    # the base viewpoint's own value is its distance from itself; the other view's is the baseline
    both = [{"MPIndividualNum": 1, "BaseViewpointNum": 1, "BaselineLength": 0.075},
            {"MPIndividualNum": 2, "BaseViewpointNum": 1, "BaselineLength": 0.077}]
    assert spatial.mpo_baseline(both, "x") == 0.077
    with pytest.raises(UnreadableFileError, match="state different baselines \\(75 mm, 77 mm\\)"):
        spatial.mpo_baseline([{"BaselineLength": 0.075}, {"BaselineLength": 0.077}], "x")
