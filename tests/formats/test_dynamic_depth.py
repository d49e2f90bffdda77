"""Google Dynamic Depth JPEGs (Pixel portraits): the reader against files the synth writer makes.

Expectations are computed here from the written numbers (codes from the true depth with the
specification's formulas, the writer's intrinsics scaled by hand), not taken from the reader.
"""

from __future__ import annotations

import base64
import io
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA_SAMPLE, data_sample, shared_sample
from depthlab.capture import Orientation
from depthlab.errors import DepthlabError, NoDepthError, UnreadableFileError
from depthlab.formats import dynamic_depth as dd
from depthlab.formats.xmp import parse_xmp_root
from depthlab.reader import open_bytes
from depthlab.synth import dynamic_depth as sdd
from depthlab.synth.jpeg import rewrite_extended_xmp as _rewrite_extended

NEAR, FAR = 0.3, 8.0


@pytest.fixture(scope="module")
def cap():
    return sdd.render_pixel_portrait(depth_size=(256, 192), colour_size=(512, 384))


# Opened anew for each test (function scope): mutation testing runs, for each mutant, only the tests
# during which the mutated reader ran, and a module fixture runs inside the first test that uses it.
@pytest.fixture
def pixel(cap):
    """The Pixel layout: extended XMP, RangeLinear 0.3..8 Units None, JPEG depth and confidence, original."""
    return open_bytes(sdd.dynamic_depth_jpeg_bytes(cap), Path("pixel.jpg"))


def written_codes(depth, fmt, near, far, bits=8, q=None):
    """Codes of the stored quantity ``q`` (default: depth) by the specification's formulas."""
    q = depth if q is None else q
    top = 2 ** bits - 1
    v = (q - near) / (far - near) if fmt == "RangeLinear" else far * (1 - near / q) / (far - near)
    return np.clip(np.round(v * top), 0, top)


def decoded(codes, fmt, near, far, bits=8):
    v = codes / (2 ** bits - 1)
    return near + (far - near) * v if fmt == "RangeLinear" else far * near / (far - (far - near) * v)


# --------------------------------------------------------------------------------------------
# the Pixel layout round trip
# --------------------------------------------------------------------------------------------


def test_pixel_layout_depth_is_within_one_stored_code(cap, pixel):
    codes = written_codes(cap.depth_m, "RangeLinear", NEAR, FAR)
    step = (FAR - NEAR) / 255
    assert pixel.depth.shape == cap.depth_m.shape
    assert np.abs(pixel.depth - decoded(codes, "RangeLinear", NEAR, FAR)).max() <= step * 1.001  # JPEG q100: one code
    assert np.abs(pixel.depth - cap.depth_m).max() <= 1.5 * step  # rounding + one code
    assert pixel.format == "JPEG (Google Dynamic Depth)"
    assert pixel.encoding.format == "RangeLinear" and pixel.encoding.near == NEAR and pixel.encoding.far == FAR
    assert pixel.encoding.bits == 8 and pixel.encoding.units == "None"


def test_units_none_is_relative_with_a_note(pixel):
    assert pixel.accuracy == "relative"
    assert any("Units None" in n for n in pixel.metadata["notes"])
    assert any("Segmentation" in n for n in pixel.metadata["notes"])
    assert pixel.metadata["extended_xmp"]["guid_is_md5"] is True


def test_intrinsics_are_exactly_the_written_ones(cap, pixel):
    c = pixel.calibration
    assert c is not None and not c.estimated
    assert (c.fx, c.fy, c.cx, c.cy) == (cap.calibration.fx, cap.calibration.fy, cap.calibration.cx, cap.calibration.cy)
    assert c.reference_size == (512, 384)
    # at the depth size: scaled by 256/512, pixel centres at integers
    k = c.intrinsics_at(256, 192)
    assert k[0, 0] == pytest.approx(cap.calibration.fx / 2) and k[0, 2] == pytest.approx(cap.calibration.cx / 2 - 0.5)


def test_normalised_intrinsics_are_detected(cap):
    c = open_bytes(sdd.dynamic_depth_jpeg_bytes(cap, normalised=True)).calibration
    want = cap.calibration
    assert c.fx == pytest.approx(want.fx, rel=1e-12) and c.fy == pytest.approx(want.fy, rel=1e-12)
    assert c.cx == pytest.approx(want.cx, rel=1e-12) and c.cy == pytest.approx(want.cy, rel=1e-12)
    assert c.reference_size == (512, 384)


def test_confidence_is_exposed_at_depth_size(cap, pixel):
    conf = pixel.confidence
    assert conf is not None and conf.dtype == np.float32 and conf.shape == pixel.shape
    assert 0.0 <= conf.min() and conf.max() <= 1.0
    assert np.abs(conf - cap.confidence_codes / 255.0).max() <= 1.5 / 255  # JPEG q100
    # low where the depth jumps (the figure's outline), high on the wall
    labels = cap.truth.labels
    wall = labels == cap.truth.label_names.index("wall")
    assert np.median(conf[wall]) > 0.95 and conf.min() < 0.5
    assert pixel.has_confidence and pixel.confidence is conf  # decoded once


def test_confidence_is_none_for_the_other_formats():
    other = data_sample("rear_dual.heic")
    import depthlab

    c = depthlab.open(other)
    assert c.confidence is None and not c.has_confidence


def test_confidence_is_resampled_when_stored_at_another_size(cap):
    data = sdd.dynamic_depth_jpeg_bytes(cap)
    c = open_bytes(data)
    # replace the confidence JPEG with a half-size one of a constant 128 (lengths follow)
    from PIL import Image

    small = io.BytesIO()
    Image.fromarray(np.full((96, 128), 128, np.uint8)).save(small, "JPEG", quality=100)
    conf_item = next(i for i in c.metadata["container_items"] if i["uri"] == "android/confidencemap")
    swapped = _swap_item(data, conf_item, small.getvalue())
    conf = open_bytes(swapped).confidence
    assert conf.shape == c.shape and np.allclose(conf, 128 / 255, atol=1 / 255)


def test_colour_comes_from_the_original(cap, pixel):
    rgb = pixel.rgb
    assert rgb.shape == cap.original.shape and pixel.rgb_size == (512, 384)
    to_original = np.abs(rgb.astype(int) - cap.original).mean()
    to_primary = np.abs(rgb.astype(int) - cap.primary).mean()
    assert to_original < 2.0 and to_primary > 2 * to_original
    assert "original" in pixel.metadata["colour_source"]


def test_without_an_original_the_primary_is_the_colour(cap):
    c = open_bytes(sdd.dynamic_depth_jpeg_bytes(cap, with_original=False, with_confidence=False))
    assert np.abs(c.rgb.astype(int) - cap.primary).mean() < 2.0
    assert c.confidence is None and c.metadata["colour_source"] == "primary image"
    assert [i["uri"] for i in c.metadata["container_items"]] == ["primary_image", "android/depthmap"]


def test_colour_is_not_decoded_to_read_depth(cap, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("colour decoded")

    monkeypatch.setattr(dd, "rgb_loader", lambda blob, o, what: boom)
    c = open_bytes(sdd.dynamic_depth_jpeg_bytes(cap))
    assert c.depth.shape == (192, 256) and c.rgb_size == (512, 384)


# --------------------------------------------------------------------------------------------
# encodings
# --------------------------------------------------------------------------------------------


def test_range_inverse_metres_is_absolute(cap):
    near, far = 0.5, 10.0
    c = open_bytes(sdd.dynamic_depth_jpeg_bytes(cap, fmt="RangeInverse", units="Meters", near=near, far=far))
    codes = written_codes(cap.depth_m, "RangeInverse", near, far)
    exp = decoded(codes, "RangeInverse", near, far)
    lo, hi = decoded(np.clip(codes - 1, 0, 255), "RangeInverse", near, far), decoded(np.clip(codes + 1, 0, 255), "RangeInverse", near, far)
    assert np.all((c.depth >= lo * 0.9999) & (c.depth <= hi * 1.0001))
    assert np.median(np.abs(c.depth - exp)) < 1e-6  # most codes survive JPEG q100 exactly
    assert c.accuracy == "absolute" and c.encoding.format == "RangeInverse"


def test_diopters_are_the_formula_in_the_files_units_and_relative(cap):
    # Units Diopters marks non-metric depth (Pixel portraits): the same formula, not 1/m, and relative
    c = open_bytes(sdd.dynamic_depth_jpeg_bytes(cap, fmt="RangeLinear", units="Diopters", bits=16))
    codes = written_codes(cap.depth_m, "RangeLinear", NEAR, FAR, bits=16)
    exp = decoded(codes, "RangeLinear", NEAR, FAR, bits=16)
    assert np.allclose(c.depth, exp, rtol=1e-5)
    assert c.accuracy == "relative" and c.encoding.quantity == "depth" and c.encoding.units == "Diopters"
    assert any(n.startswith("DepthMap:Units Diopters") for n in c.metadata["notes"])


def test_unknown_units_are_relative_with_a_note(cap):
    data = sdd.dynamic_depth_jpeg_bytes(cap, units="Meters", in_main_xmp=True).replace(b'DepthMap:Units="Meters"',
                                                                                       b'DepthMap:Units="Inches"')
    c = open_bytes(data)
    assert c.accuracy == "relative" and any("Inches" in n for n in c.metadata["notes"])


def test_sixteen_bit_png_depth_is_exact(cap):
    c = open_bytes(sdd.dynamic_depth_jpeg_bytes(cap, bits=16, units="Meters"))
    codes = written_codes(cap.depth_m, "RangeLinear", NEAR, FAR, bits=16)
    assert c.encoding.bits == 16
    assert np.allclose(c.depth, decoded(codes, "RangeLinear", NEAR, FAR, bits=16), rtol=2e-6)
    assert np.abs(c.depth - cap.depth_m).max() < (FAR - NEAR) / 65535


def test_optic_ray_distances_become_optical_axis_depth(cap):
    c = open_bytes(sdd.dynamic_depth_jpeg_bytes(cap, bits=16, units="Meters", measure_type="OpticRay"))
    # independent rays at the depth pixels' centres
    k = cap.calibration.intrinsic_matrix
    h, w = cap.depth_m.shape
    u = (np.arange(w) + 0.5) * (512 / w)
    v = (np.arange(h) + 0.5) * (384 / h)
    norm = np.sqrt(((u[None, :] - k[0, 2]) / k[0, 0]) ** 2 + ((v[:, None] - k[1, 2]) / k[1, 1]) ** 2 + 1)
    assert norm.max() > 1.1  # the corners' rays are long enough for the test to bite
    assert np.abs(c.depth - cap.depth_m).max() < 2 * (FAR - NEAR) / 65535 * norm.max()
    assert any("OpticRay" in n for n in c.metadata["notes"])


def test_description_in_the_main_xmp(cap):
    c = open_bytes(sdd.dynamic_depth_jpeg_bytes(cap, in_main_xmp=True))
    assert c.format == "JPEG (Google Dynamic Depth)" and c.metadata["extended_xmp"] is None
    assert c.calibration.fx == cap.calibration.fx


@pytest.mark.parametrize("orientation,exif", [(Orientation(270), 6), (Orientation(90), 8), (Orientation(180), 3)])
def test_exif_orientation_turns_depth_confidence_colour_and_intrinsics_together(cap, orientation, exif):
    data = sdd.dynamic_depth_jpeg_bytes(cap, orientation)
    c = open_bytes(data)
    assert c.metadata["exif_orientation"] == exif
    assert c.shape == cap.depth_m.shape and c.rgb.shape == cap.original.shape
    assert np.abs(c.depth - cap.depth_m).max() <= 1.5 * (FAR - NEAR) / 255
    assert np.abs(c.confidence - cap.confidence_codes / 255).max() <= 1.5 / 255
    assert np.abs(c.rgb.astype(int) - cap.original).mean() < 2.0
    w = cap.calibration
    assert c.calibration.reference_size == (512, 384)
    assert (c.calibration.fx, c.calibration.cx, c.calibration.cy) == pytest.approx((w.fx, w.cx, w.cy), abs=1e-9)


# --------------------------------------------------------------------------------------------
# projection
# --------------------------------------------------------------------------------------------


def test_projection_lands_on_the_depth_grid_with_its_own_intrinsics(cap, pixel):
    from depthlab.projection import project

    cloud = project(pixel, model="pinhole")
    h, w = pixel.shape
    fx, fy = cap.calibration.fx * w / 512, cap.calibration.fy * h / 384
    cx, cy = cap.calibration.cx * w / 512 - 0.5, cap.calibration.cy * h / 384 - 0.5
    x, y, z = cloud.xyz.astype(np.float64).T
    v, u = np.divmod(cloud.pixel_index, w)
    assert np.abs(fx * x / z + cx - u).max() < 1e-3 and np.abs(fy * y / z + cy - v).max() < 1e-3
    assert np.abs(z - cap.depth_m.ravel()[cloud.pixel_index]).max() <= 1.5 * (FAR - NEAR) / 255
    # the wall is a plane at the scene's angle
    labels = cap.truth.labels.ravel()[cloud.pixel_index]
    wall = cloud.xyz[labels == cap.truth.label_names.index("wall")].astype(np.float64)
    q = wall - wall.mean(axis=0)
    n = np.linalg.svd(q, full_matrices=False)[2][-1]
    truth_n = np.array([0.2126, 0.0, -1.0]) / np.linalg.norm([0.2126, 0.0, -1.0])
    assert np.degrees(np.arccos(abs(n @ truth_n))) < 2.0


# --------------------------------------------------------------------------------------------
# the description as Pixel phones write it (facts of the exifr xmp-gcam-portrait fixture)
# --------------------------------------------------------------------------------------------


def _description(**imaging) -> bytes:
    body = sdd.description_xml(
        [("image/jpeg", "primary_image", 0), ("image/jpeg", "android/original_image", 2420326),
         ("image/jpeg", "android/depthmap", 135047), ("image/jpeg", "android/confidencemap", 96395)],
        fmt="RangeLinear", near=0.3, far=8.0, units="None", measure_type="OpticalAxis", semantic="Segmentation",
        imaging=imaging or None, image_uri="android/original_image", depth_uri="android/depthmap",
        confidence_uri="android/confidencemap", focal_table=[(0.3, 0.0), (8.0, 12.0)])
    return sdd._packet(sdd.NS, "", body)


def test_pixel_description_facts():
    root = parse_xmp_root(_description(FocalLengthX="1812.500000", FocalLengthY="1812.500000", ImageWidth=3264,
                                       ImageHeight=2448, PrincipalPointX="1643.292236", PrincipalPointY="1232.100342",
                                       Skew="0.000000", PixelAspectRatio="1.000000", DistortionCount=4,
                                       Distortion=base64.b64encode(struct.pack("<8f", 1, 0, 0, 0, 0, 0, 0, 0)).decode()))
    d = dd.parse_description([root], "pixel")
    assert [i.uri for i in d.items] == ["primary_image", "android/original_image", "android/depthmap", "android/confidencemap"]
    assert [i.length for i in d.items] == [0, 2420326, 135047, 96395]
    m = d.depth_map
    assert (m.format, m.near, m.far, m.units, m.item_semantic) == ("RangeLinear", 0.3, 8.0, "None", "Segmentation")
    assert m.confidence_uri == "android/confidencemap" and d.image_uri == "android/original_image"
    assert np.allclose(m.focal_table, [(0.3, 0.0), (8.0, 12.0)])
    im = d.imaging_model
    assert not im.focal_normalised and not im.principal_point_normalised and len(im.distortion) == 8
    notes: list[str] = []
    c = dd.calibration_from_model(im, (3264, 2448), notes)
    assert (c.fx, c.cx, c.cy, c.reference_size) == (1812.5, 1643.292236, 1232.100342, (3264, 2448))


def test_element_form_and_missing_principal_point():
    x = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
         b'<rdf:Description rdf:about="" xmlns:Device="http://ns.google.com/photos/dd/1.0/device/" '
         b'xmlns:Container="http://ns.google.com/photos/dd/1.0/container/" xmlns:Item="http://ns.google.com/photos/dd/1.0/item/" '
         b'xmlns:Camera="http://ns.google.com/photos/dd/1.0/camera/" xmlns:DepthMap="http://ns.google.com/photos/dd/1.0/depthmap/" '
         b'xmlns:ImagingModel="http://ns.google.com/photos/dd/1.0/imagingmodel/">'
         b'<Device:Container><rdf:Description><Container:Directory><rdf:Seq>'
         b'<rdf:li rdf:parseType="Resource"><Item:Mime>image/jpeg</Item:Mime></rdf:li>'
         b'<rdf:li rdf:parseType="Resource"><Item:Mime>image/png</Item:Mime><Item:Length>100</Item:Length>'
         b'<Item:DataURI>depth.png</Item:DataURI><Item:Padding>4</Item:Padding></rdf:li>'
         b'</rdf:Seq></Container:Directory></rdf:Description></Device:Container>'
         b'<Device:Cameras><rdf:Seq><rdf:li rdf:parseType="Resource"><Camera:DepthMap rdf:parseType="Resource">'
         b'<DepthMap:Format>RangeInverse</DepthMap:Format><DepthMap:Near>0.25</DepthMap:Near><DepthMap:Far>20</DepthMap:Far>'
         b'<DepthMap:Units>Meters</DepthMap:Units><DepthMap:DepthURI>depth.png</DepthMap:DepthURI></Camera:DepthMap>'
         b'<Camera:ImagingModel rdf:parseType="Resource"><ImagingModel:FocalLengthX>0.8</ImagingModel:FocalLengthX>'
         b'<ImagingModel:FocalLengthY>0.8</ImagingModel:FocalLengthY><ImagingModel:ImageWidth>400</ImagingModel:ImageWidth>'
         b'<ImagingModel:ImageHeight>300</ImagingModel:ImageHeight></Camera:ImagingModel>'
         b'</rdf:li></rdf:Seq></Device:Cameras></rdf:Description></rdf:RDF></x:xmpmeta>')
    d = dd.parse_description([parse_xmp_root(x)], "spec")
    assert [(i.mime, i.length, i.uri, i.padding) for i in d.items] == [("image/jpeg", 0, "primary_image", 0),
                                                                       ("image/png", 100, "depth.png", 4)]
    assert (d.depth_map.format, d.depth_map.near, d.depth_map.far, d.depth_map.units) == ("RangeInverse", 0.25, 20.0, "Meters")
    c = dd.calibration_from_model(d.imaging_model, (400, 300), [])
    assert (c.fx, c.fy, c.cx, c.cy) == (320.0, 320.0, 200.0, 150.0)  # normalised by the larger side; centre


# --------------------------------------------------------------------------------------------
# damaged files
# --------------------------------------------------------------------------------------------


def _swap_item(data: bytes, item: dict, new: bytes) -> bytes:
    """Replace an appended item's bytes and its Item:Length in the (extended) XMP."""
    out = data[:item["offset"]] + new + data[item["offset"] + item["length"]:]
    old = f'Item:Length="{item["length"]}" Item:DataURI="{item["uri"]}"'.encode()
    rep = f'Item:Length="{len(new)}" Item:DataURI="{item["uri"]}"'.encode()
    assert old in out
    return _rewrite_extended(out, lambda p: p.replace(old, rep))


def test_guid_mismatch_is_named(cap):
    data = sdd.dynamic_depth_jpeg_bytes(cap, guid="0" * 32)
    with pytest.raises(UnreadableFileError, match=r"extended XMP with GUID [0-9A-F]{32} .* is missing.*00000000"):
        open_bytes(data, Path("p.jpg"))


def test_truncated_items_and_overrunning_lengths(cap):
    data = sdd.dynamic_depth_jpeg_bytes(cap)
    with pytest.raises(UnreadableFileError, match="truncated or the item lengths are wrong"):
        open_bytes(data[:-1000])
    grown = _rewrite_extended(data, lambda p: re.sub(rb'Item:Length="(\d+)" Item:DataURI="android/depthmap"',
                                                     b'Item:Length="999999999" Item:DataURI="android/depthmap"', p))
    with pytest.raises(UnreadableFileError, match="item lengths"):
        open_bytes(grown)
    shifted = _rewrite_extended(data, lambda p: re.sub(rb'Item:Length="(\d+)" Item:DataURI="android/original_image"',
                                                       lambda m: b'Item:Length="%d" Item:DataURI="android/original_image"' % (int(m.group(1)) - 7), p))
    with pytest.raises(UnreadableFileError, match=r"item 2 \(android/depthmap, image/jpeg\) is not where"):
        open_bytes(shifted)


def test_items_flush_with_the_end_when_something_sits_between(cap):
    data = sdd.dynamic_depth_jpeg_bytes(cap)
    c0 = open_bytes(data)
    first = c0.metadata["container_items"][1]["offset"]
    padded = data[:first] + b"\x00" * 333 + data[first:]
    c = open_bytes(padded)
    assert np.array_equal(c.depth, c0.depth) and c.metadata["container_items"][1]["offset"] == first + 333


def test_missing_depth_item_and_bad_numbers(cap):
    data = sdd.dynamic_depth_jpeg_bytes(cap)
    bad_uri = _rewrite_extended(data, lambda p: p.replace(b'DepthURI="android/depthmap"', b'DepthURI="android/nothing"'))
    with pytest.raises(UnreadableFileError, match="'android/nothing', which the Dynamic Depth container does not list"):
        open_bytes(bad_uri)
    for key, value, msg in [(b"Near", b"nan", "not a finite number"), (b"Far", b"0.1", "do not describe"),
                            (b"Format", b"RangeBogus", "only RangeInverse and RangeLinear")]:
        edited = _rewrite_extended(data, lambda p: re.sub(rb'DepthMap:' + key + rb'="[^"]*"', b'DepthMap:' + key + b'="' + value + b'"', p))
        with pytest.raises(UnreadableFileError, match=msg):
            open_bytes(edited)


def test_no_camera_with_a_depth_map_is_no_depth(cap):
    data = sdd.dynamic_depth_jpeg_bytes(cap)
    edited = _rewrite_extended(data, lambda p: re.sub(rb"<Camera:DepthMap [^>]*/>", b"", p))
    with pytest.raises(NoDepthError, match="lists no camera with a depth map"):
        open_bytes(edited)


def test_portrait_without_its_extended_xmp_says_so(cap):
    data = sdd.dynamic_depth_jpeg_bytes(cap)
    from depthlab.formats import jpeg_segments as js

    segs = [s for s in js.iter_segments(data) if s.marker == 0xE1 and s.startswith(data, js.XMP_EXT_PREFIX)]
    stripped = data[:segs[0].offset] + data[segs[-1].end:]
    with pytest.raises(UnreadableFileError, match="probably re-saved by a program that dropped it"):
        open_bytes(stripped)


def test_huge_description_is_refused_quickly(cap):
    import time

    data = sdd.dynamic_depth_jpeg_bytes(cap)
    big = _rewrite_extended(data, lambda p: p.replace(b"</x:xmpmeta>", b"<!-- " + b"x" * (20 * 2**20) + b" --></x:xmpmeta>"))
    t = time.process_time()
    with pytest.raises(UnreadableFileError, match="more than the"):
        open_bytes(big)
    assert time.process_time() - t < 2.0


def test_ordinary_photo_with_a_broken_extension_is_still_no_depth():
    from depthlab.synth.jpeg import encode_jpeg, insert_segments, xmp_segment

    main = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b'<rdf:Description rdf:about="" xmlns:xmpNote="http://ns.adobe.com/xmp/note/" '
            b'xmpNote:HasExtendedXMP="0123456789ABCDEF0123456789ABCDEF"/></rdf:RDF></x:xmpmeta>')
    data = insert_segments(encode_jpeg(np.zeros((16, 16, 3), np.uint8)), [xmp_segment(main)])
    with pytest.raises(NoDepthError):
        open_bytes(data)


# --------------------------------------------------------------------------------------------
# info and the shipped sample
# --------------------------------------------------------------------------------------------


def test_info_lists_the_container_items(cap, tmp_path):
    p = tmp_path / "pixel.jpg"
    sdd.write_dynamic_depth_jpeg(p, cap)
    out = subprocess.run([sys.executable, "-c", "import sys; from depthlab.cli import main; sys.exit(main(sys.argv[1:]))",
                          "info", str(p)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "JPEG (Google Dynamic Depth)" in text
    for uri in ("primary_image", "android/original_image", "android/depthmap", "android/confidencemap"):
        assert uri in text
    assert re.search(r"confidence\s+yes, 256x192", text)


def test_shipped_sample_matches_its_truth():
    import depthlab

    path = data_sample("pixel_portrait.jpg")
    doc = json.loads((DATA_SAMPLE / "pixel_portrait_truth.json").read_text())
    from depthlab.synth import load_truth

    truth = load_truth(path)
    c = depthlab.open(path)
    step = (doc["stored"]["far"] - doc["stored"]["near"]) / 255
    assert c.shape == truth.depth_m.shape
    assert np.abs(c.depth - truth.depth_m).max() <= 1.5 * step + 1e-4
    assert c.calibration.fx == doc["calibration"]["fx"] and c.confidence is not None


def test_real_lens_blur_is_still_gdepth():
    import depthlab

    c = depthlab.open(shared_sample("android/lens_blur_gdepth.jpg"))
    assert "GDepth" in c.format and c.confidence is None


def test_fuzzed_headers_raise_only_depthlab_errors(cap):
    rng = np.random.default_rng(18)
    data = bytearray(sdd.dynamic_depth_jpeg_bytes(cap))
    for _ in range(40):
        d = bytearray(data)
        for _ in range(4):
            d[int(rng.integers(0, 6000))] = int(rng.integers(0, 256))
        try:
            c = open_bytes(bytes(d))
            c.depth, c.confidence
        except DepthlabError:
            pass
