"""Generated JPEG depth photos (depthlab.synth.jpeg): the primitives, and round trips through
depthlab.open against what the synthetic capture stores (its own codes, calibration, matte)."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import struct

import numpy as np
import pytest
from PIL import Image

import depthlab
from depthlab.capture import Orientation
from depthlab.errors import InvalidInputError, OverwriteError
from depthlab.synth import jpeg as sj
from depthlab.synth import render_front_truedepth, render_rear_dual


@pytest.fixture(scope="module")
def rear():
    return render_rear_dual(depth_size=(384, 288), colour_size=(768, 576))


@pytest.fixture(scope="module")
def front():
    return render_front_truedepth(depth_size=(240, 320), colour_size=(480, 640))


def segments_of(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of each segment up to SOS, walked here independently of the reader."""
    out, pos = [], 2
    while data[pos] == 0xFF and data[pos + 1] != 0xDA:
        (n,) = struct.unpack_from(">H", data, pos + 2)
        out.append((data[pos + 1], data[pos + 4:pos + 2 + n]))
        pos += 2 + n
    return out


# --------------------------------------------------------------------------------------------
# primitives
# --------------------------------------------------------------------------------------------


def test_marker_segment_length_counts_itself_and_refuses_oversize():
    assert sj.marker_segment(0xE1, b"abc") == b"\xff\xe1\x00\x05abc"
    assert len(sj.marker_segment(0xE1, b"x" * 65533)) == 65537
    with pytest.raises(InvalidInputError):
        sj.marker_segment(0xE1, b"x" * 65534)
    with pytest.raises(InvalidInputError):
        sj.marker_segment(0xD8, b"")


def test_extended_xmp_segments_split_with_md5_guid_total_and_offsets():
    packet = bytes(range(256)) * 1000  # 256,000 bytes: four 65,400-byte chunks
    segs = sj.extended_xmp_segments(packet)
    guid = hashlib.md5(packet).hexdigest().upper().encode()
    assert len(segs) == 4
    rebuilt = bytearray(len(packet))
    for k, s in enumerate(segs):
        assert s[:2] == b"\xff\xe1" and struct.unpack(">H", s[2:4])[0] == len(s) - 2
        body = s[4:]
        assert body.startswith(b"http://ns.adobe.com/xmp/extension/\x00" + guid)
        total, off = struct.unpack_from(">II", body, 35 + 32)
        assert total == 256_000 and off == 65400 * k
        chunk = body[35 + 40:]
        rebuilt[off:off + len(chunk)] = chunk
    assert bytes(rebuilt) == packet
    with pytest.raises(InvalidInputError):
        sj.extended_xmp_segments(packet, guid="short")


def test_insert_segments_keeps_jfif_first():
    jpg = sj.encode_jpeg(np.zeros((16, 16), np.uint8))
    out = sj.insert_segments(jpg, [sj.xmp_segment(b"<x/>")])
    markers = [m for m, _ in segments_of(out)]
    assert markers[:2] == [0xE0, 0xE1] and segments_of(out)[1][1] == b"http://ns.adobe.com/xap/1.0/\x00<x/>"
    assert Image.open(io.BytesIO(out)).size == (16, 16)


def test_mpf_index_is_what_pillow_reads():
    """Pillow's own MPO reader (independent of depthlab) finds every image at its offset."""
    imgs = [sj.encode_jpeg(np.full((8 * (k + 1), 8, 3), 40 * k, np.uint8)) for k in range(3)]
    primary = sj.insert_segments(sj.encode_jpeg(np.zeros((32, 48, 3), np.uint8)), [sj.exif_segment(Image.Exif().tobytes())])
    data = sj.with_mpf_images(primary, imgs)
    im = Image.open(io.BytesIO(data))
    assert im.format == "MPO" and im.n_frames == 4
    sizes = []
    for k in range(4):
        im.seek(k)
        sizes.append(im.size)
    assert sizes == [(48, 32), (8, 8), (8, 16), (8, 24)]
    # every offset lands on an SOI, the images sit back to back after the primary
    entries = im.mpinfo[0xB002]
    assert entries[0]["DataOffset"] == 0 and entries[0]["Attribute"]["MPType"] == "Baseline MP Primary Image"
    assert sum(e["Size"] for e in entries) == len(data)


def test_append_files_reports_offsets():
    data, offs = sj.append_files(b"\xff\xd8primary", [b"one", b"three"])
    assert data == b"\xff\xd8primaryonethree" and offs == [9, 12]


def test_gdepth_codes_invert_the_documented_formulas():
    near, far = 0.5, 4.0
    d = np.array([0.5, 1.0, 2.0, 4.0, np.nan])
    inv = sj.gdepth_codes(d, "RangeInverse", near, far)
    # RangeInverse is uniform in 1/d: 1/d = 1/near - n (1/near - 1/far)
    n = (1 / near - 1 / d[:4]) / (1 / near - 1 / far)
    assert inv.tolist() == [*np.round(n * 255).astype(int).tolist(), 255]
    lin = sj.gdepth_codes(d, "RangeLinear", near, far, bits=16)
    assert lin.dtype == np.uint16 and lin.tolist() == [0, round(0.5 / 3.5 * 65535), round(1.5 / 3.5 * 65535), 65535, 65535]


# --------------------------------------------------------------------------------------------
# Apple portrait JPEG
# --------------------------------------------------------------------------------------------


def _step(cap) -> float:
    return (cap.float_max - cap.float_min) / 255


@pytest.mark.parametrize("orientation", [None, Orientation(90), Orientation(270), Orientation(90, "horizontal")],
                         ids=["upright", "rot90", "rot270", "rot90-mirror"])
def test_apple_portrait_round_trip(tmp_path, rear, orientation):
    path = tmp_path / "portrait.jpg"
    sj.write_apple_portrait_jpeg(path, rear, orientation)
    cap = depthlab.open(path)
    assert cap.format == "JPEG (Apple portrait, MPF)"
    assert cap.accuracy == "relative" and cap.camera.kind == "rear dual"
    assert cap.metadata["mpf_contents"] == {"1": "HDR gain map", "2": "disparity map", "3": "portrait matte"}
    # display orientation, values within one code of what the capture stores (JPEG at quality 100)
    want = rear.disparity
    assert cap.disparity.shape == want.shape
    err = np.abs(cap.disparity - want)
    assert float(np.nanmax(err)) <= 1.01 * _step(rear)
    assert float(np.nanmean(err)) < 0.2 * _step(rear)
    assert cap.encoding.float_min == rear.float_min and cap.encoding.float_max == rear.float_max
    # calibration back in the display frame, the numbers the capture was made with
    k = cap.calibration
    assert k.reference_size == rear.calibration.reference_size
    np.testing.assert_allclose(k.intrinsic_matrix, rear.calibration.intrinsic_matrix, rtol=0, atol=1e-9)
    np.testing.assert_allclose(k.lens_distortion, rear.calibration.lens_distortion, rtol=0, atol=0)
    assert k.pixel_size_mm == rear.calibration.pixel_size_mm
    # colour and matte, oriented like the depth
    assert cap.rgb.shape == rear.rgb.shape
    assert float(np.abs(cap.rgb.astype(int) - rear.rgb).mean()) < 3
    matte = cap.mattes["portrait"]
    assert matte.shape == rear.matte.shape and float(np.abs(matte - rear.matte).max()) <= 3 / 255


def test_apple_portrait_without_optional_images_and_overwrite_refused(tmp_path, front):
    path = tmp_path / "selfie.jpg"
    sj.write_apple_portrait_jpeg(path, front, gain_map=False, matte=False)
    cap = depthlab.open(path)
    assert cap.metadata["mpf_contents"] == {"1": "disparity map"} and list(cap.mattes) == []
    assert cap.accuracy == "absolute" and cap.camera.kind == "front TrueDepth"
    holes = front.truth.holes
    if front.truth.filtered:  # the Camera app's photos: holes filled from neighbours (synth.render on main)
        assert np.isfinite(cap.disparity[holes]).mean() > 0.95
    else:
        assert np.isnan(cap.disparity[holes]).mean() > 0.95  # code 0 over FloatMin 0 is unknown
    before = path.read_bytes()
    with pytest.raises(OverwriteError):
        sj.write_apple_portrait_jpeg(path, front)
    assert path.read_bytes() == before


def test_apple_portrait_bytes_are_deterministic(rear):
    assert sj.apple_portrait_jpeg_bytes(rear) == sj.apple_portrait_jpeg_bytes(rear)


# --------------------------------------------------------------------------------------------
# GDepth / Lens Blur
# --------------------------------------------------------------------------------------------


def test_gdepth_round_trip_like_lens_blur(tmp_path, rear):
    path = tmp_path / "lens_blur.jpg"
    sj.write_gdepth_jpeg(path, rear)
    data = path.read_bytes()
    cap = depthlab.open(path)
    assert cap.format == "JPEG (Google Lens Blur, GDepth)" and cap.accuracy == "relative"
    assert cap.calibration is None and cap.camera.kind == "rear dual"
    ext = cap.metadata["extended_xmp"]
    assert ext["guid_is_md5"] and ext["chunks"] == sum(1 for m, p in segments_of(data)
                                                         if m == 0xE1 and p.startswith(b"http://ns.adobe.com/xmp/extension/"))
    assert ext["chunks"] >= 2  # the depth PNG and the original do not fit one segment
    # depth: what the capture stores (1 / its disparity), to 8-bit RangeInverse precision
    want = 1.0 / rear.disparity
    rel = np.abs(cap.depth - want) / want
    assert float(np.nanmax(rel)) < 0.02
    near, far = cap.encoding.near, cap.encoding.far
    assert near == pytest.approx(float(np.nanmin(want)), rel=1e-6) and far == pytest.approx(float(np.nanmax(want)), rel=1e-6)
    # colour comes from GImage:Data, a JPEG of the capture's colour
    assert cap.metadata["colour_source"].startswith("GImage:Data")
    assert float(np.abs(cap.rgb.astype(int) - rear.rgb).mean()) < 3
    # the main XMP names the GUID that the extension segments carry, in attribute form
    main = next(p for m, p in segments_of(data) if m == 0xE1 and p.startswith(b"http://ns.adobe.com/xap/1.0/"))
    assert re.search(rb'xmpNote:HasExtendedXMP="' + ext["guid"].encode() + b'"', main)
    assert b'GDepth:Format="RangeInverse"' in main and b"GDepth:Units" not in main


def test_gdepth_16bit_linear_millimetres_rotated(tmp_path, front):
    path = tmp_path / "gdepth.jpg"
    sj.write_gdepth_jpeg(path, front, Orientation(90), fmt="RangeLinear", units="mm", bits=16, original=False)
    cap = depthlab.open(path)
    assert cap.accuracy == "absolute" and cap.encoding.bits == 16 and cap.encoding.units == "mm"
    assert cap.metadata["colour_source"] == "primary image"
    want = 1.0 / front.disparity
    ok = np.isfinite(want)
    assert cap.depth.shape == want.shape
    np.testing.assert_allclose(cap.depth[ok], want[ok], rtol=1e-4)
    # GDepth has no "unknown": the capture's holes are stored at Far
    assert np.allclose(cap.depth[~ok], np.nanmax(want), rtol=1e-4)


def test_gdepth_everything_in_the_main_xmp():
    small = render_rear_dual(depth_size=(96, 72), colour_size=(96, 72))
    data = sj.gdepth_jpeg_bytes(small, extended=False, original=False)
    from depthlab.reader import open_bytes

    cap = open_bytes(data)
    assert cap.metadata["extended_xmp"] is None
    b64 = re.search(rb'GDepth:Data="([^"]+)"', data).group(1)
    png = Image.open(io.BytesIO(base64.b64decode(b64)))
    assert png.format == "PNG" and png.size == (96, 72)
