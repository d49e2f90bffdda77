"""JPEG readers: Apple portrait JPEG (MPF) and Google Lens Blur / GDepth.

Real values come from ../shared/samples (skipped where absent); structure cases use small JPEGs
built here, and damaged files are made by mutating bytes of the real samples.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from conftest import decoded_on_first_use, shared_sample
from depthlab.errors import DepthlabError, NoDepthError, UnreadableFileError, UnsupportedFormatError
from depthlab.formats import jpeg as jpeg_module
from depthlab.formats import jpeg_segments as js
from depthlab.formats.exif import EXIF_ORIENTATIONS
from depthlab.formats.jpeg import gdepth_to_metres, read_jpeg

APPLE = "iphone/rear_dual_portrait.jpg"
LENS_BLUR = "android/lens_blur_gdepth.jpg"
FMIN, FMAX = 0.229614, 4.835938
NEAR, FAR = 18.849538803100586, 633.323486328125


def read(rel: str) -> tuple[Path, bytes]:
    p = shared_sample(rel)
    return p, p.read_bytes()


# --------------------------------------------------------------------------------------------
# builders for small synthetic files
# --------------------------------------------------------------------------------------------


def jpeg(arr: np.ndarray, xmp: bytes | None = None, orientation: int | None = None, make: str | None = None) -> bytes:
    kw = {"quality": 100}
    if xmp is not None:
        kw["xmp"] = xmp
    if orientation is not None or make is not None:
        ex = Image.Exif()
        if orientation is not None:
            ex[0x0112] = orientation
        if make is not None:
            ex[0x010F] = make
        kw["exif"] = ex.tobytes()
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", **kw)
    return buf.getvalue()


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def xmp_packet(props: dict[str, str | list[str]], ns: dict[str, str]) -> bytes:
    decl = " ".join(f'xmlns:{p}="{u}"' for p, u in ns.items())
    body = []
    for k, v in props.items():
        if isinstance(v, list):
            lis = "".join(f"<rdf:li>{x}</rdf:li>" for x in v)
            body.append(f"<{k}><rdf:Seq>{lis}</rdf:Seq></{k}>")
        else:
            body.append(f"<{k}>{v}</{k}>")
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" {decl}>' + "".join(body) + "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()


APPLE_NS = {"apdi": "http://ns.apple.com/pixeldatainfo/1.0/", "depthData": "http://ns.apple.com/depthData/1.0/"}


def apple_depth_xmp(w: int, h: int, fmin: float = 0.5, fmax: float = 2.5) -> bytes:
    """Disparity XMP with a calibration at 4x the depth size (fx=fy=100, c=(60, 40) at 4w x 4h)."""
    return xmp_packet({
        "apdi:AuxiliaryImageType": "disparity", "apdi:StoredFormat": "1278226488", "apdi:NativeFormat": "1751411059",
        "apdi:FloatMinValue": str(fmin), "apdi:FloatMaxValue": str(fmax), "apdi:IntMinValue": "0", "apdi:IntMaxValue": "255",
        "depthData:Accuracy": "absolute",
        "depthData:IntrinsicMatrix": ["100", "0", "0", "0", "100", "0", "60", "40", "1"],
        "depthData:IntrinsicMatrixReferenceWidth": str(4 * w), "depthData:IntrinsicMatrixReferenceHeight": str(4 * h),
        "depthData:PixelSize": "0.001",
    }, APPLE_NS)


def aux_xmp(typ: str, sub: str | None = None) -> bytes:
    props = {"apdi:AuxiliaryImageType": typ}
    if sub:
        props["apdi:AuxiliaryImageSubType"] = sub
    return xmp_packet(props, APPLE_NS)


def with_mpf(primary: bytes, aux: list[bytes]) -> bytes:
    """Primary + aux JPEGs joined with an MPF index (APP2) inserted right after the primary's SOI."""
    n = 1 + len(aux)
    ifd = struct.pack(">H", 3)
    entries_at = 8 + 2 + 3 * 12 + 4
    ifd += struct.pack(">HHI4s", 0xB000, 7, 4, b"0100")
    ifd += struct.pack(">HHII", 0xB001, 4, 1, n)
    ifd += struct.pack(">HHII", 0xB002, 7, 16 * n, entries_at)
    ifd += struct.pack(">I", 0)
    tiff_len = 8 + len(ifd) + 16 * n
    seg_len = 2 + 4 + tiff_len
    base = 2 + 4 + 4  # SOI, FF E2 + length, "MPF\0": where the TIFF header starts
    primary_size = len(primary) + 2 + seg_len
    entries = struct.pack(">IIIHH", 0x20030000, primary_size, 0, 0, 0)
    pos = primary_size
    for a in aux:
        entries += struct.pack(">IIIHH", 0, len(a), pos - base, 0, 0)
        pos += len(a)
    tiff = b"MM\x00*" + struct.pack(">I", 8) + ifd + entries
    assert len(tiff) == tiff_len
    seg = b"\xff\xe2" + struct.pack(">H", seg_len) + b"MPF\x00" + tiff
    return primary[:2] + seg + primary[2:] + b"".join(aux)


def app1(payload: bytes) -> bytes:
    assert len(payload) + 2 <= 0xFFFF
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def ext_segments(packet: bytes, guid: str, chunk: int = 60000) -> list[bytes]:
    return [app1(js.XMP_EXT_PREFIX + guid.encode() + struct.pack(">II", len(packet), off) + packet[off:off + chunk])
            for off in range(0, len(packet), chunk)]


GD_NS = {"GDepth": "http://ns.google.com/photos/1.0/depthmap/", "xmpNote": "http://ns.adobe.com/xmp/note/",
         "GImage": "http://ns.google.com/photos/1.0/image/"}


def gdepth_file(depth_img: bytes, fmt: str = "RangeLinear", near: float = 500.0, far: float = 4500.0,
                units: str | None = "mm", extended: bool = True, chunk: int = 1000, shuffle: bool = False,
                primary: np.ndarray | None = None, extra: dict | None = None) -> bytes:
    base = primary if primary is not None else np.full((12, 16, 3), 90, np.uint8)
    main = {"GDepth:Format": fmt, "GDepth:Near": str(near), "GDepth:Far": str(far), "GDepth:Mime": "image/png"}
    if units:
        main["GDepth:Units"] = units
    main.update(extra or {})
    data_b64 = base64.b64encode(depth_img).decode()
    segs = []
    if extended:
        ext = xmp_packet({"GDepth:Data": data_b64}, GD_NS)
        guid = hashlib.md5(ext).hexdigest().upper()
        main["xmpNote:HasExtendedXMP"] = guid
        segs = ext_segments(ext, guid, chunk)
        if shuffle:
            segs = segs[::-1]
    else:
        main["GDepth:Data"] = data_b64
    std = app1(js.XMP_PREFIX + xmp_packet(main, GD_NS))
    prim = jpeg(base)
    return prim[:2] + std + b"".join(segs) + prim[2:]


def ext_segment_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each extended-XMP APP1 segment, marker included."""
    return [(s.offset, s.end) for s in js.iter_segments(data)
            if s.marker == js.APP1 and s.startswith(data, js.XMP_EXT_PREFIX)]


# --------------------------------------------------------------------------------------------
# Apple portrait JPEG: the real sample
# --------------------------------------------------------------------------------------------


def test_apple_sample_depth_encoding_and_camera():
    p, data = read(APPLE)
    cap = read_jpeg(p, data)
    assert cap.format == "JPEG (Apple portrait, MPF)"
    assert cap.shape == (576, 768) and cap.disparity.dtype == np.float32
    assert cap.rgb_size == (4032, 3024)
    assert cap.accuracy == "relative"
    enc = cap.encoding
    assert (enc.quantity, enc.bits, enc.int_min, enc.int_max, enc.format) == ("disparity", 8, 0, 255, "L008 from hdis")
    assert (enc.float_min, enc.float_max) == (FMIN, FMAX)
    cam = cap.camera
    assert (cam.kind, cam.make, cam.model) == ("rear dual", "Apple", "iPhone 12 mini")
    assert cam.lens_model == "iPhone 12 mini back dual wide camera 4.2mm f/1.6"
    assert cam.focal_length_mm == pytest.approx(4.2) and cam.focal_length_35mm == 26
    assert cap.metadata["mpf_contents"] == {"1": "HDR gain map", "2": "disparity map"}
    assert cap.metadata["depth_mpf_image"] == 2
    assert dict(cap.mattes) == {}
    assert cap.path == p


def test_apple_sample_calibration():
    p, data = read(APPLE)
    cal = read_jpeg(p, data).calibration
    assert cal is not None and not cal.estimated
    assert cal.reference_size == (4032, 3024)
    assert cal.fx == pytest.approx(3077.546, abs=1e-3) and cal.fy == pytest.approx(3077.546, abs=1e-3)
    assert (cal.cx, cal.cy) == pytest.approx((2025.2827, 1497.3904), abs=1e-3)
    assert cal.pixel_size_mm == pytest.approx(0.0014)
    np.testing.assert_array_equal(cal.extrinsic_matrix, np.hstack([np.eye(3), np.zeros((3, 1))]))
    assert cal.lens_distortion[1] == pytest.approx(-1.0532932281494141)
    assert cal.inverse_lens_distortion[1] == pytest.approx(1.0404981374740601)
    assert cal.distortion_center == pytest.approx((2028.1439, 1489.5574), abs=1e-3)
    k = cal.intrinsics_at(768, 576)  # the depth map's own size, centre-origin
    assert k[0, 0] == pytest.approx(3077.546 * 768 / 4032, abs=1e-3)
    assert k[0, 2] == pytest.approx(2025.2827 * 768 / 4032 - 0.5, abs=1e-3)


def test_apple_sample_floats_lie_on_the_xmp_grid():
    p, data = read(APPLE)
    cap = read_jpeg(p, data)
    d = cap.disparity.astype(np.float64)
    step = (FMAX - FMIN) / 255
    assert np.isfinite(d).all()
    assert FMIN - step / 2 <= d.min() and d.max() <= FMAX + step / 2
    k = (d - FMIN) / step
    assert np.abs(k - np.round(k)).max() < 0.5 * 1e-3  # each value is a grid point (float32 rounding only)
    # and equals the grid point of the stored 8-bit code, decoded independently by Pillow's MPO reader
    im = Image.open(p)
    im.seek(2)
    codes = np.asarray(im).astype(np.float64)
    np.testing.assert_allclose(d, FMIN + (FMAX - FMIN) * codes / 255, atol=step * 1e-3)
    assert cap.depth_range() == pytest.approx((1 / d.max(), 1 / d.min()), rel=1e-6)


def test_apple_sample_colour_is_lazy_and_is_the_primary():
    p, data = read(APPLE)
    cap = read_jpeg(p, data)
    assert cap.has_rgb
    rgb = decoded_on_first_use(cap)  # nothing decoded at open
    assert rgb.shape == (3024, 4032, 3) and rgb.dtype == np.uint8
    im = Image.open(p)
    im.seek(0)
    np.testing.assert_array_equal(rgb, np.asarray(im.convert("RGB")))


def _patch_orientation(data: bytes, value: int) -> bytes:
    entry = b"\x01\x12\x00\x03\x00\x00\x00\x01\x00"  # big-endian IFD0 entry: Orientation, SHORT, 1
    at = data.find(entry, 0, 4000)
    assert at > 0, "the sample's EXIF orientation entry was not found"
    return data[:at + len(entry)] + bytes([value]) + data[at + len(entry) + 1:]


def test_apple_sample_exif_orientation_turns_depth_and_calibration_together():
    p, data = read(APPLE)
    upright = read_jpeg(p, data)
    cap = read_jpeg(p, _patch_orientation(data, 6))  # stored landscape, shown rotated 90 degrees clockwise
    assert cap.shape == (768, 576) and cap.rgb_size == (3024, 4032)
    np.testing.assert_array_equal(cap.disparity, np.rot90(upright.disparity, k=-1))
    cal = cap.calibration
    assert cal.reference_size == (3024, 4032)
    # a stored point (x, y) of a W x H image shows at (H - y, x)
    assert (cal.cx, cal.cy) == pytest.approx((3024 - 1497.3904, 2025.2827), abs=1e-3)
    assert (cal.fx, cal.fy) == pytest.approx((3077.546, 3077.546), abs=1e-3)
    assert cal.distortion_center == pytest.approx((3024 - 1489.5574, 2028.1439), abs=1e-3)
    for v in (2, 3, 4, 5, 7, 8):
        o = EXIF_ORIENTATIONS[v]
        c = read_jpeg(p, _patch_orientation(data, v))
        np.testing.assert_array_equal(c.disparity, o.apply(upright.disparity))
        np.testing.assert_allclose(c.calibration.intrinsic_matrix, upright.calibration.oriented(o).intrinsic_matrix)


# --------------------------------------------------------------------------------------------
# Apple portrait JPEG: synthetic files (mattes, orientation of colour and mattes)
# --------------------------------------------------------------------------------------------


def _apple_synthetic(orientation: int | None = None, with_depth: bool = True) -> tuple[bytes, dict]:
    rng = np.random.default_rng(1)
    primary = (rng.integers(0, 256, (48, 64, 3))).astype(np.uint8)
    primary[:8, :8] = (255, 0, 0)  # a red corner to follow through rotations
    codes = np.tile(np.arange(16, dtype=np.uint8)[None, :] * 16, (12, 1))  # 16x12, columns 0, 16, ..., 240
    portrait = np.full((24, 32), 200, np.uint8)
    skin = np.full((24, 32), 51, np.uint8)
    aux = [
        jpeg(np.full((24, 32), 128, np.uint8), aux_xmp("urn:com:apple:photo:2020:aux:hdrgainmap")),
        # a portrait matte says "depth" with a SubType; it comes before the real depth map on purpose
        jpeg(portrait, aux_xmp("depth", "portraiteffectsmatte")),
        jpeg(skin, aux_xmp("urn:com:apple:photo:2019:aux:semanticskinmatte")),
    ]
    if with_depth:
        aux.append(jpeg(codes, apple_depth_xmp(16, 12)))
    data = with_mpf(jpeg(primary, orientation=orientation, make="Apple"), aux)
    return data, {"primary": primary, "codes": codes, "portrait": portrait, "skin": skin}


def test_apple_synthetic_classifies_by_subtype_and_decodes_mattes_lazily(monkeypatch):
    data, src = _apple_synthetic()
    decodes = []
    grey_codes = jpeg_module.grey_codes
    monkeypatch.setattr(jpeg_module, "grey_codes", lambda *a: decodes.append(a[-1]) or grey_codes(*a))
    cap = read_jpeg(Path("synthetic.jpg"), data)
    at_open = len(decodes)  # the depth map
    expected = 0.5 + 2.0 * src["codes"].astype(np.float64) / 255
    np.testing.assert_allclose(cap.disparity, expected, atol=2.0 / 255 * 1.01)  # JPEG: within one code
    assert cap.accuracy == "absolute"
    assert set(cap.mattes) == {"portrait", "skin"}
    assert len(decodes) == at_open  # known at open, decoded on first use
    assert cap.mattes["portrait"].dtype == np.float32 and cap.mattes["portrait"].shape == (24, 32)
    assert len(decodes) == at_open + 1 and "portrait" in decodes[-1]
    assert cap.mattes["portrait"].mean() == pytest.approx(200 / 255, abs=1.5 / 255)
    assert cap.mattes["skin"].mean() == pytest.approx(51 / 255, abs=1.5 / 255)
    assert cap.metadata["other_aux"] == ["HDR gain map"]
    assert cap.calibration.reference_size == (64, 48) and cap.calibration.cx == 60
    assert cap.camera.make == "Apple"


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5, 6, 7, 8])
def test_apple_synthetic_orientation_applies_to_colour_depth_mattes(value):
    data, src = _apple_synthetic(orientation=value)
    cap = read_jpeg(None, data)
    o = EXIF_ORIENTATIONS[value]
    ref = Image.open(io.BytesIO(jpeg(src["primary"], orientation=value)))
    shown = np.asarray(ImageOps.exif_transpose(ref).convert("RGB"))  # Pillow's idea of upright
    assert cap.rgb_size == (shown.shape[1], shown.shape[0])
    np.testing.assert_array_equal(cap.rgb, shown)
    upright = read_jpeg(None, _apple_synthetic()[0])
    np.testing.assert_array_equal(cap.disparity, o.apply(upright.disparity))
    np.testing.assert_array_equal(cap.mattes["portrait"], o.apply(upright.mattes["portrait"]))
    assert cap.calibration.reference_size == ((48, 64) if o.swaps_axes else (64, 48))


def test_apple_mattes_without_depth_is_no_depth_naming_contents():
    data, _ = _apple_synthetic(with_depth=False)
    with pytest.raises(NoDepthError) as e:
        read_jpeg(Path("edited.jpg"), data)
    msg = str(e.value)
    assert "edited.jpg holds no depth map" in msg and "HDR gain map" in msg and "portrait matte" in msg
    assert "skin matte" in msg and "64x48" in msg


def test_ordinary_jpeg_is_no_depth():
    data = jpeg(np.zeros((30, 40, 3), np.uint8), make="Canon")
    with pytest.raises(NoDepthError, match=r"40x30 JPEG, from Canon"):
        read_jpeg(Path("holiday.jpg"), data)


def test_dynamic_depth_without_a_container_is_damaged():
    # Dynamic Depth is read (tests/formats/test_dynamic_depth.py); a description without Device:Container
    # cannot locate its depth map
    x = xmp_packet({"Device:Profiles": "x"}, {"Device": "http://ns.google.com/photos/dd/1.0/device/"})
    data = jpeg(np.zeros((8, 8, 3), np.uint8), xmp=x)
    with pytest.raises(UnreadableFileError, match="Dynamic Depth description has no Device:Container"):
        read_jpeg(None, data)


# --------------------------------------------------------------------------------------------
# Apple portrait JPEG: damaged files
# --------------------------------------------------------------------------------------------


def _mpf_entries_at(data: bytes) -> tuple[int, int]:
    """(absolute position of the MP entries, TIFF base) in the sample (big-endian)."""
    segs = list(js.iter_segments(data))
    seg = next(s for s in segs if s.marker == js.APP2 and s.startswith(data, js.MPF_PREFIX))
    base = seg.start + 4
    assert data[base:base + 2] == b"MM"
    ifd = struct.unpack_from(">I", data, base + 4)[0]
    for i in range(struct.unpack_from(">H", data, base + ifd)[0]):
        e = base + ifd + 2 + 12 * i
        if struct.unpack_from(">H", data, e)[0] == 0xB002:
            return base + struct.unpack_from(">I", data, e + 8)[0], base
    raise AssertionError("no MP entries")


def _set_u32(data: bytes, at: int, value: int) -> bytes:
    return data[:at] + struct.pack(">I", value) + data[at + 4:]


def test_mpf_offset_past_the_end():
    p, data = read(APPLE)
    entries, _ = _mpf_entries_at(data)
    bad = _set_u32(data, entries + 32 + 8, len(data) + 100)  # image 2's offset
    with pytest.raises(UnreadableFileError, match=r"image 2 claims bytes .* but the file has"):
        read_jpeg(p, bad)


def test_mpf_size_past_the_end_and_truncated_file():
    p, data = read(APPLE)
    entries, _ = _mpf_entries_at(data)
    with pytest.raises(UnreadableFileError, match="image 2 claims"):
        read_jpeg(p, _set_u32(data, entries + 32 + 4, 0xFFFFFFF0))  # image 2's size
    with pytest.raises(UnreadableFileError, match="truncated"):
        read_jpeg(p, data[:-1000])


def test_mpf_absurd_count_and_wrong_target():
    p, data = read(APPLE)
    entries, base = _mpf_entries_at(data)
    ifd = struct.unpack_from(">I", data, base + 4)[0]
    count_at = next(base + ifd + 2 + 12 * i + 8 for i in range(3)
                    if struct.unpack_from(">H", data, base + ifd + 2 + 12 * i)[0] == 0xB001)
    with pytest.raises(UnreadableFileError, match="claims 100,000 images"):
        read_jpeg(p, _set_u32(data, count_at, 100_000))
    off = struct.unpack_from(">I", data, entries + 32 + 8)[0]
    with pytest.raises(UnreadableFileError, match="does not start with a JPEG SOI"):
        read_jpeg(p, _set_u32(data, entries + 32 + 8, off - 1))


def test_truncated_metadata_and_junk():
    p, data = read(APPLE)
    for cut in (3, 100, 1000, 2300):
        with pytest.raises(UnreadableFileError):
            read_jpeg(p, data[:cut])
    with pytest.raises(UnreadableFileError, match="expected a marker"):
        read_jpeg(p, b"\xff\xd8\xff\xe0\x00\x04ab" + b"junk" * 10)
    with pytest.raises(UnreadableFileError, match="SOI"):
        read_jpeg(p, b"GIF89a" + bytes(100))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzzed_apple_sample_raises_only_depthlab_errors(samples_dir, fuzz):
    data = (samples_dir / APPLE).read_bytes()
    buf = bytearray(data)
    regions = [(0, 2400), (1_596_598, 1_596_598 + 1200), (1_738_263, 1_738_263 + 6000)]
    for _ in range(fuzz.draw(st.integers(1, 8))):
        lo, hi = fuzz.draw(st.sampled_from(regions))
        buf[fuzz.draw(st.integers(lo, hi - 1))] = fuzz.draw(st.integers(0, 255))
    if fuzz.draw(st.booleans()):
        del buf[fuzz.draw(st.integers(2, len(buf) - 1)):]
    try:
        cap = read_jpeg(None, bytes(buf))
    except DepthlabError:
        return
    assert cap.disparity.dtype == np.float32 and cap.disparity.ndim == 2


# --------------------------------------------------------------------------------------------
# Google Lens Blur / GDepth: the real sample
# --------------------------------------------------------------------------------------------


def test_lens_blur_sample_values():
    p, data = read(LENS_BLUR)
    cap = read_jpeg(p, data)
    assert cap.format == "JPEG (Google Lens Blur, GDepth)"
    assert cap.shape == (2048, 1536)
    enc = cap.encoding
    assert (enc.quantity, enc.format, enc.bits, enc.units) == ("depth", "RangeInverse", 8, None)
    assert (enc.near, enc.far) == (NEAR, FAR)
    assert cap.accuracy == "relative" and cap.calibration is None
    cam = cap.camera
    assert (cam.kind, cam.make, cam.model) == ("Lens Blur", "Motorola", "XT912")
    assert cam.focal_length_mm == pytest.approx(4.6) and cam.focal_length_35mm == 34
    ext = cap.metadata["extended_xmp"]
    assert ext == {"guid": "07DA5AE24ECC10FD761F51CF86046830", "bytes": 1_359_701, "chunks": 21, "guid_is_md5": True}
    d = cap.depth
    assert np.isfinite(d).all() and NEAR <= d.min() and d.max() <= FAR
    np.testing.assert_allclose(cap.disparity, 1 / d, rtol=1e-6)


def test_lens_blur_sample_depth_matches_the_focus_distance_and_code_grid():
    p, data = read(LENS_BLUR)
    cap = read_jpeg(p, data)
    focus = cap.metadata["gfocus"]
    h, w = cap.shape
    at = cap.depth[int(focus["FocalPointY"] * h), int(focus["FocalPointX"] * w)]
    assert at == pytest.approx(focus["FocalDistance"], rel=1e-5)  # 26.5176: Lens Blur's own focus distance
    # RangeInverse is uniform in 1/depth: every value sits on a grid of 255 steps from 1/Near to 1/Far
    n = (1 / NEAR - cap.disparity.astype(np.float64)) / (1 / NEAR - 1 / FAR) * 255
    assert np.abs(n - np.round(n)).max() < 1e-3
    assert int(np.round(n).min()) == 63 and int(np.round(n).max()) == 248


def test_lens_blur_colour_comes_from_the_unblurred_original():
    p, data = read(LENS_BLUR)
    cap = read_jpeg(p, data)
    assert cap.metadata["colour_source"].startswith("GImage:Data")
    assert cap.rgb_size == (1536, 2048)
    rgb = decoded_on_first_use(cap)
    assert rgb.shape == (2048, 1536, 3)
    primary = np.asarray(Image.open(p).convert("RGB"))
    assert not np.array_equal(rgb, primary)  # the primary is Lens Blur's blurred rendering


def test_summary_through_depthlab_open():
    import depthlab

    for rel in (APPLE, LENS_BLUR):
        p, data = read(rel)
        cap = depthlab.open(p)
        s = cap.summary()
        assert s["format"].startswith("JPEG") and s["depth_size"] == list(cap.size)
        assert s["colour_size"] is not None and s["accuracy"] == "relative"


# --------------------------------------------------------------------------------------------
# GDepth: extended XMP damage, on the real sample
# --------------------------------------------------------------------------------------------


def test_missing_extension_segment():
    p, data = read(LENS_BLUR)
    a, b = ext_segment_spans(data)[4]
    with pytest.raises(UnreadableFileError, match=r"bytes 261,[0-9]+\.\.326,[0-9]+ of 1,359,701 are missing"):
        read_jpeg(p, data[:a] + data[b:])
    spans = ext_segment_spans(data)
    last_a, last_b = spans[-1]
    with pytest.raises(UnreadableFileError, match="are missing"):
        read_jpeg(p, data[:last_a] + data[last_b:])
    with pytest.raises(UnreadableFileError, match="no extension segments at all"):
        read_jpeg(p, data[:spans[0][0]] + data[spans[-1][1]:])


def test_duplicated_and_overlapping_extension_segments():
    p, data = read(LENS_BLUR)
    a, b = ext_segment_spans(data)[3]
    with pytest.raises(UnreadableFileError, match="duplicated"):
        read_jpeg(p, data[:b] + data[a:b] + data[b:])
    off_at = a + 4 + len(js.XMP_EXT_PREFIX) + 32 + 4
    off = struct.unpack_from(">I", data, off_at)[0]
    with pytest.raises(UnreadableFileError, match="overlapping"):
        read_jpeg(p, _set_u32(data, off_at, off - 10))


def test_wrong_guid():
    p, data = read(LENS_BLUR)
    bad = data.replace(b'xmpNote:HasExtendedXMP="07DA5AE24ECC10FD761F51CF86046830"',
                       b'xmpNote:HasExtendedXMP="00000000000000000000000000000000"', 1)
    assert bad != data
    with pytest.raises(UnreadableFileError, match=r"GUID 0{32} .* missing; the file has extension segments for 07DA5AE2"):
        read_jpeg(p, bad)
    bad = data.replace(b'HasExtendedXMP="07DA5AE24ECC10FD761F51CF86046830"',
                       b'HasExtendedXMP="not-a-guid-not-a-guid-not-a-guid"', 1)
    with pytest.raises(UnreadableFileError, match="not a 32-digit GUID"):
        read_jpeg(p, bad)


def test_absurd_and_disagreeing_totals():
    p, data = read(LENS_BLUR)
    spans = ext_segment_spans(data)
    tot_at = [a + 4 + len(js.XMP_EXT_PREFIX) + 32 for a, _ in spans]
    bad = data
    for t in tot_at:
        bad = _set_u32(bad, t, 0xFFFFFFF0)
    with pytest.raises(UnreadableFileError, match=r"declares 4,294,967,280 bytes"):
        read_jpeg(p, bad)
    with pytest.raises(UnreadableFileError, match="disagree on the total"):
        read_jpeg(p, _set_u32(data, tot_at[5], 1_359_702))


def test_corrupt_base64_and_damaged_depth_png():
    p, data = read(LENS_BLUR)
    a, b = ext_segment_spans(data)[12]
    mid = (a + b) // 2
    with pytest.raises(UnreadableFileError, match="not valid base64"):
        read_jpeg(p, data[:mid] + b"*" + data[mid + 1:])


def test_gdepth_without_any_data_is_no_depth():
    x = xmp_packet({"GDepth:Format": "RangeInverse", "GDepth:Near": "1", "GDepth:Far": "2"}, GD_NS)
    with pytest.raises(NoDepthError, match="no depth image"):
        read_jpeg(None, jpeg(np.zeros((8, 8, 3), np.uint8), xmp=x))


# --------------------------------------------------------------------------------------------
# GDepth: synthetic files (formats, units, bit depths, chunking)
# --------------------------------------------------------------------------------------------


def test_gdepth_range_linear_16bit_millimetres_reassembled_out_of_order():
    codes = (np.arange(12 * 16, dtype=np.uint16).reshape(12, 16) * 300)  # 0 .. 57300
    data = gdepth_file(png(codes), "RangeLinear", 500.0, 4500.0, units="mm", chunk=100, shuffle=True)
    cap = read_jpeg(None, data)
    expected = (500 + codes.astype(np.float64) / 65535 * 4000) / 1000  # metres
    np.testing.assert_allclose(cap.depth, expected, rtol=1e-6)
    assert cap.encoding.bits == 16 and cap.encoding.int_max == 65535 and cap.encoding.units == "mm"
    assert cap.accuracy == "absolute"  # the file states metric units
    # the reader scaled millimetres to metres: the capture's depth is in metres, and says so
    assert cap.encoding.metric and cap.depth_unit == "m"
    assert cap.camera.kind == "GDepth" and cap.metadata["extended_xmp"]["chunks"] > 3
    assert cap.metadata["colour_source"] == "primary image"


def test_gdepth_range_inverse_in_the_main_xmp_metres():
    codes = np.array([[0, 64, 128, 255]], np.uint8).repeat(3, axis=0)
    cap = read_jpeg(None, gdepth_file(png(codes), "RangeInverse", 0.5, 8.0, units="m", extended=False))
    n = codes / 255
    np.testing.assert_allclose(cap.depth, 8 * 0.5 / (8 - n * 7.5), rtol=1e-6)
    assert cap.depth[0, 0] == pytest.approx(0.5) and cap.depth[0, 3] == pytest.approx(8.0)
    assert cap.metadata["extended_xmp"] is None


def test_gdepth_bad_format_and_range():
    codes = np.zeros((4, 4), np.uint8)
    with pytest.raises(UnreadableFileError, match="RangeLog"):
        read_jpeg(None, gdepth_file(png(codes), "RangeLog"))
    with pytest.raises(UnreadableFileError, match="Near 5.0 and Far 2.0"):
        read_jpeg(None, gdepth_file(png(codes), "RangeLinear", 5.0, 2.0))
    with pytest.raises(UnreadableFileError, match="cannot be opened"):
        read_jpeg(None, gdepth_file(b"\x89PNG\r\n\x1a\n" + bytes(40)))


def test_gdepth_to_metres_end_points():
    codes = np.array([0, 255], np.uint8)
    assert gdepth_to_metres(codes, 8, "RangeLinear", 2.0, 10.0).tolist() == [2.0, 10.0]
    assert gdepth_to_metres(codes, 8, "RangeInverse", 2.0, 10.0).tolist() == pytest.approx([2.0, 10.0])
    assert gdepth_to_metres(np.array([65535], np.uint16), 16, "RangeLinear", 0, 1000, 1e-3).tolist() == [1.0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzzed_lens_blur_header_raises_only_depthlab_errors(samples_dir, fuzz):
    data = bytearray((samples_dir / LENS_BLUR).read_bytes())
    for _ in range(fuzz.draw(st.integers(1, 6))):
        i = fuzz.draw(st.integers(0, 1800 + 40 * 22))
        i = i if i < 1800 else 1786 + 65462 * ((i - 1800) // 40) + (i - 1800) % 40  # extension headers
        data[min(i, len(data) - 1)] = fuzz.draw(st.integers(0, 255))
    try:
        read_jpeg(None, bytes(data))
    except DepthlabError:
        pass


def test_ultra_hdr_gain_map_is_no_depth():
    hdr = {"hdrgm": "http://ns.adobe.com/hdr-gain-map/1.0/"}
    primary = jpeg(np.zeros((30, 40, 3), np.uint8), xmp=xmp_packet({"hdrgm:Version": "1.0"}, hdr), make="Google")
    gain = jpeg(np.zeros((15, 20), np.uint8), xmp=xmp_packet({"hdrgm:GainMapMax": "2.0"}, hdr))
    with pytest.raises(NoDepthError, match=r"40x30 JPEG, from Google, MPF images: HDR gain map \(Ultra HDR\), an Ultra HDR photo"):
        read_jpeg(Path("pixel.jpg"), with_mpf(primary, [gain]))


def test_google_container_depth_item_is_named_as_unsupported():
    x = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
         b'<rdf:Description rdf:about="" xmlns:Container="http://ns.google.com/photos/1.0/container/" '
         b'xmlns:Item="http://ns.google.com/photos/1.0/container/item/"><Container:Directory><rdf:Seq>'
         b'<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="Primary" Item:Mime="image/jpeg"/></rdf:li>'
         b'<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="Depth" Item:Mime="image/png" Item:Length="100"/></rdf:li>'
         b'</rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>')
    with pytest.raises(UnsupportedFormatError, match="Semantic 'Depth'"):
        read_jpeg(None, jpeg(np.zeros((8, 8, 3), np.uint8), xmp=x))
