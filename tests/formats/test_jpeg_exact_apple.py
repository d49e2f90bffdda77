"""formats/jpeg.py's Apple side pinned where mutation testing (benchmarks/mutation.py) found the
suite lenient: the code -> 1/m mapping of an MPF depth image with and without IntMin/IntMax, a
"depth" (metres) map, matte values, what each MPF image is called, the metadata of a portrait
JPEG, the messages naming the MPF image at fault, and Samsung SEF trailer detection.

Every file here is built by hand from the CIPA DC-007 MPF layout (``depthlab.synth.jpeg``) with
8x8-block-uniform grey images: a uniform JPEG block keeps only its DC term, so at quality 100
its code decodes exactly and the expected numbers are worked out from the codes written.
Samsung trailers follow the SEF layout described in ``samsung_sef_names``'s docstring: data
blocks, then a directory starting ``SEFH``, then its 4-byte little-endian size and ``SEFT``.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from depthlab.errors import NoDepthError, UnreadableFileError
from depthlab.formats import jpeg_segments as js
from depthlab.formats.jpeg import read_jpeg, samsung_sef_names
from depthlab.synth.heic import xmp_packet
from depthlab.synth.jpeg import encode_jpeg, exif_segment, insert_segments, with_mpf_images, xmp_segment

NS = {"apdi": "http://ns.apple.com/pixeldatainfo/1.0/", "depthData": "http://ns.apple.com/depthData/1.0/",
      "hdrgm": "http://ns.adobe.com/hdr-gain-map/1.0/", "GFocus": "http://ns.google.com/photos/1.0/focus/"}
APDI = "{http://ns.apple.com/pixeldatainfo/1.0/}"
SOURCE = "depth image XMP in the JPEG's MPF (AVCameraCalibrationData)"


def blocks(codes) -> np.ndarray:
    """Each code becomes an 8x8 block (exact through JPEG at quality 100)."""
    return np.kron(np.asarray(codes, np.uint8), np.ones((8, 8), np.uint8))


def seq(values) -> str:
    return "<rdf:Seq>" + "".join(f"<rdf:li>{v}</rdf:li>" for v in values) + "</rdf:Seq>"


def image(pixels: np.ndarray, props: list[tuple[str, str]] | None) -> bytes:
    """A grey JPEG with its own XMP (``props``), or none when ``props`` is None."""
    jp = encode_jpeg(pixels, 100)
    return jp if props is None else insert_segments(jp, [xmp_segment(xmp_packet(NS, props))])


def depth_props(fmin="0.5", fmax="3.0", imin=None, imax=None, typ="disparity", accuracy="absolute",
                ref=(96, 64), extra=()) -> list[tuple[str, str]]:
    """An Apple depth XMP: calibration fx=fy=100, c=(48, 32) at ``ref`` (4x a 24x16 map)."""
    p = [("apdi:AuxiliaryImageType", typ), ("apdi:StoredFormat", "1278226488"), ("apdi:NativeFormat", "1751411059")]
    for k, v in (("FloatMinValue", fmin), ("FloatMaxValue", fmax), ("IntMinValue", imin), ("IntMaxValue", imax)):
        if v is not None:
            p.append((f"apdi:{k}", v))
    if accuracy is not None:
        p.append(("depthData:Accuracy", accuracy))
    p += [("depthData:IntrinsicMatrix", seq([100, 0, 0, 0, 100, 0, 48, 32, 1])),
          ("depthData:IntrinsicMatrixReferenceWidth", str(ref[0])),
          ("depthData:IntrinsicMatrixReferenceHeight", str(ref[1]))]
    return p + list(extra)


def primary(exif: dict[int, object] | None = None, xmp: list[tuple[str, str]] | None = None,
            shape=(24, 32)) -> bytes:
    jp = encode_jpeg(np.full((*shape, 3), 120, np.uint8), 90)
    segs = []
    if exif:
        ex = Image.Exif()
        for k, v in exif.items():
            ex[k] = v
        segs.append(exif_segment(ex.tobytes()))
    if xmp:
        segs.append(xmp_segment(xmp_packet(NS, xmp)))
    return insert_segments(jp, segs) if segs else jp


DEPTH_CODES = [[0, 51, 255], [102, 204, 153]]  # 24x16 depth map


def read(images: list[bytes], prim: bytes | None = None, name: str = "x.jpg"):
    return read_jpeg(Path(name), with_mpf_images(prim or primary(), images))


def set_size(jp: bytes, w: int, h: int) -> bytes:
    """The same JPEG with its SOF0 header declaring ``w`` x ``h`` pixels."""
    sof = next(s for s in js.iter_segments(jp) if s.marker == 0xC0)
    at = sof.start + 1  # precision byte, then height and width (big-endian)
    return jp[:at] + struct.pack(">HH", h, w) + jp[at + 4:]


# --------------------------------------------------------------------------------------------
# depth values
# --------------------------------------------------------------------------------------------


def test_explicit_int_range_maps_codes_linearly_in_disparity():
    # disparity = FloatMin + (FloatMax - FloatMin) (v - IntMin) / (IntMax - IntMin): 1 + (v - 10) / 100
    codes = [[10, 35, 60], [110, 85, 0]]
    cap = read([image(blocks(codes), depth_props("1.0", "2.0", "10", "110"))])
    expected = 1.0 + (np.asarray(codes, np.float64) - 10) / 100
    np.testing.assert_allclose(cap.disparity[::8, ::8], expected, rtol=1e-6)
    e = cap.encoding
    assert (e.quantity, e.bits, e.int_min, e.int_max, e.float_min, e.float_max) == ("disparity", 8, 10, 110, 1.0, 2.0)
    assert e.format == "L008 from hdis"


def test_missing_int_range_is_the_full_8_bit_range():
    cap = read([image(blocks(DEPTH_CODES), depth_props("0.5", "3.0"))])
    expected = 0.5 + 2.5 * np.asarray(DEPTH_CODES, np.float64) / 255  # 0 -> 0.5, 255 -> 3.0
    np.testing.assert_allclose(cap.disparity[::8, ::8], expected, rtol=1e-6)
    assert (cap.encoding.int_min, cap.encoding.int_max) == (0, 255)


def test_a_depth_map_holds_metres_and_disparity_is_their_inverse():
    # AuxiliaryImageType "depth" without a SubType: FloatMin/Max in metres, 0 -> 0.5 m, 255 -> 2 m
    cap = read([image(blocks([[0, 85, 255]]), depth_props("0.5", "2.0", typ="depth"))])
    np.testing.assert_allclose(cap.disparity[::8, ::8], [[1 / 0.5, 1 / 1.0, 1 / 2.0]], rtol=1e-6)
    assert cap.encoding.quantity == "depth"
    assert cap.metadata["mpf_contents"] == {"1": "depth map"}


@pytest.mark.parametrize("drop", ["FloatMinValue", "FloatMaxValue"])
def test_a_missing_float_bound_names_the_mpf_image(drop):
    props = [p for p in depth_props() if p[0] != f"apdi:{drop}"]
    with pytest.raises(UnreadableFileError) as e:
        read([image(blocks(DEPTH_CODES), props)])
    assert str(e.value).startswith("x.jpg: MPF image 1 (the disparity map): its XMP lacks apdi:FloatMinValue/FloatMaxValue")


def test_equal_int_bounds_are_refused_with_their_value():
    with pytest.raises(UnreadableFileError) as e:
        read([image(blocks(DEPTH_CODES), depth_props(imin="7", imax="7"))])
    assert str(e.value).startswith("x.jpg: MPF image 1 (the disparity map): IntMinValue and IntMaxValue are both 7")


def test_accuracy_other_than_relative_or_absolute_is_none():
    assert read([image(blocks(DEPTH_CODES), depth_props(accuracy=None))]).accuracy is None
    assert read([image(blocks(DEPTH_CODES), depth_props(accuracy="metric"))]).accuracy is None
    assert read([image(blocks(DEPTH_CODES), depth_props(accuracy="relative"))]).accuracy == "relative"


def test_calibration_source_and_a_mismatched_reference_is_noted():
    cap = read([image(blocks(DEPTH_CODES), depth_props())])
    assert cap.calibration.source == SOURCE and cap.calibration.reference_size == (96, 64)
    assert cap.metadata["notes"] == []
    cap = read([image(blocks(DEPTH_CODES), depth_props(ref=(100, 100)))])
    assert cap.calibration is None
    assert cap.metadata["notes"] == ["calibration reference size 100x100 does not match the depth map's 24x16 aspect; "
                                     "calibration ignored"]


# --------------------------------------------------------------------------------------------
# mattes
# --------------------------------------------------------------------------------------------

MATTE = [("apdi:AuxiliaryImageType", "depth"), ("apdi:AuxiliaryImageSubType", "portraiteffectsmatte")]


def test_matte_values_are_codes_over_255():
    codes = [[0, 127, 200], [255, 1, 254]]
    cap = read([image(blocks(DEPTH_CODES), depth_props()), image(blocks(codes), MATTE)])
    m = cap.mattes["portrait"]
    assert m.dtype == np.float32 and m.shape == (16, 24)
    np.testing.assert_array_equal(m[::8, ::8], np.asarray(codes, np.float32) / np.float32(255))


def _truncated(jp: bytes) -> bytes:
    sos = next(s for s in js.iter_segments(jp) if s.marker == js.SOS)
    return jp[:sos.end + (len(jp) - sos.end) // 3]


def _noise(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (64, 64), dtype=np.uint8)


def test_an_absurd_or_truncated_depth_image_is_named():
    huge = set_size(image(blocks(DEPTH_CODES), depth_props()), 5000, 5000)
    with pytest.raises(UnreadableFileError) as e:
        read([huge])
    assert str(e.value).startswith("x.jpg: MPF image 1 (the disparity map) declares 5000x5000 pixels")
    cut = _truncated(image(_noise(1), depth_props(ref=(256, 256))))
    with pytest.raises(UnreadableFileError) as e:
        read([cut])
    assert str(e.value).startswith("x.jpg: MPF image 1 (the disparity map) cannot be decoded")


def test_an_absurd_or_truncated_matte_is_named_when_it_is_used():
    depth = image(blocks(DEPTH_CODES), depth_props())
    cap = read([depth, set_size(image(blocks([[9]]), MATTE), 5000, 5000)])
    with pytest.raises(UnreadableFileError) as e:
        cap.mattes["portrait"]
    assert str(e.value).startswith("x.jpg: MPF image 2 (the portrait matte) declares 5000x5000 pixels")
    cap = read([depth, _truncated(image(_noise(2), MATTE))])
    with pytest.raises(UnreadableFileError) as e:
        cap.mattes["portrait"]
    assert str(e.value).startswith("x.jpg: MPF image 2 (the portrait matte) cannot be decoded")


def test_an_absurd_primary_is_named():
    big = set_size(primary(), 10000, 6000)  # 60 MP, above the 50 MP colour limit: refused when decoded
    cap = read([image(blocks(DEPTH_CODES), depth_props())], prim=big)
    assert cap.rgb_size == (10000, 6000)
    with pytest.raises(UnreadableFileError) as e:
        cap.rgb
    assert str(e.value).startswith("x.jpg: the primary image declares 10000x6000 pixels")
    with pytest.raises(UnreadableFileError) as e:
        read([image(blocks(DEPTH_CODES), depth_props())], prim=set_size(primary(), 0, 24))
    assert str(e.value).startswith("x.jpg: the primary image cannot be opened")  # a zero width


# --------------------------------------------------------------------------------------------
# what each MPF image is called
# --------------------------------------------------------------------------------------------

OTHERS = [  # (XMP properties or None, label expected)
    (None, "an image without XMP"),
    ([("apdi:AuxiliaryImageSubType", "foo")], "auxiliary image ?/foo"),
    ([("apdi:AuxiliaryImageType", "urn:x:bar"), ("apdi:AuxiliaryImageSubType", "baz")], "auxiliary image urn:x:bar/baz"),
    ([("hdrgm:GainMapMax", "2.0")], "HDR gain map (Ultra HDR)"),
    ([("apdi:AuxiliaryImageType", "thing")], "auxiliary image thing"),
    ([("apdi:StoredFormat", "1278226488")], "an image without an auxiliary type"),
    ([("apdi:AuxiliaryImageType", "urn:com:apple:photo:2020:aux:hdrgainmap")], "HDR gain map"),
]


def _others() -> list[bytes]:
    return [image(blocks([[40 + i]]), props) for i, (props, _) in enumerate(OTHERS)]


def test_images_without_depth_are_labelled_and_listed_as_other():
    cap = read(_others() + [image(blocks(DEPTH_CODES), depth_props())])
    assert cap.metadata["other_aux"] == sorted(label for _, label in OTHERS)
    assert cap.metadata["mpf_contents"] == {**{str(i + 1): label for i, (_, label) in enumerate(OTHERS)}, "8": "disparity map"}
    assert cap.metadata["depth_mpf_image"] == 8


def test_no_depth_message_lists_the_file_its_maker_and_its_mpf_images_in_order():
    prim = primary({0x010F: "Apple", 0x0110: "iPhone 12 mini"}, [("hdrgm:Version", "1.0"), ("GFocus:FocalDistance", "0.5")])
    with pytest.raises(NoDepthError) as e:
        read(_others(), prim=prim, name="edited.jpg")
    labels = ", ".join(label for _, label in OTHERS)
    assert str(e.value).startswith(f"edited.jpg holds no depth map (a 32x24 JPEG, from Apple iPhone 12 mini, MPF images: "
                                   f"{labels}, an Ultra HDR photo, Lens Blur focus settings but no GDepth map). ")


def test_a_primary_that_cannot_be_opened_is_just_a_jpeg():
    with pytest.raises(NoDepthError) as e:
        read_jpeg(Path("odd.jpg"), set_size(primary(), 0, 24))
    assert str(e.value).startswith("odd.jpg holds no depth map (a JPEG). ")


def test_damaged_mpf_image_segments_or_xmp_are_named():
    bad_segments = b"\xff\xd8\xff\xe1\x10\x00" + b"\x00" * 16  # APP1 declaring 4,094 bytes
    with pytest.raises(UnreadableFileError) as e:
        read([bad_segments])
    assert str(e.value).startswith("x.jpg: MPF image 1: segment 0xFFE1 at byte 2 declares")
    bad_xmp = insert_segments(encode_jpeg(blocks([[1]]), 100), [xmp_segment(b"<x:xmpmeta><unclosed")])
    with pytest.raises(UnreadableFileError) as e:
        read([bad_xmp])
    assert str(e.value).startswith("x.jpg: MPF image 1's XMP is not well-formed XML")


# --------------------------------------------------------------------------------------------
# metadata
# --------------------------------------------------------------------------------------------


def test_metadata_of_a_rotated_portrait_jpeg():
    depth = image(blocks(DEPTH_CODES), depth_props(extra=[("depthData:RenderingParameters", "AAAA"),
                                                          ("depthData:DepthDataVersion", "65541")]))
    matte = image(blocks([[200]]), MATTE)
    gain = image(blocks([[30]]), OTHERS[-1][0])
    prim = primary({0x0112: 6, 0x010F: "Apple"})
    data = with_mpf_images(prim, [gain, depth, matte])
    size0 = len(data) - len(gain) - len(depth) - len(matte)  # the primary with its MPF index
    cap = read_jpeg(Path("x.jpg"), data)
    m = cap.metadata
    assert m["container"] == "JPEG + MPF"
    assert m["mpf_images"] == [{"index": 0, "offset": 0, "size": size0},
                               {"index": 1, "offset": size0, "size": len(gain)},
                               {"index": 2, "offset": size0 + len(gain), "size": len(depth)},
                               {"index": 3, "offset": size0 + len(gain) + len(depth), "size": len(matte)}]
    assert m["mpf_contents"] == {"1": "HDR gain map", "2": "disparity map", "3": "portrait matte"}
    assert m["depth_mpf_image"] == 2
    assert m["depth_stored_size"] == (24, 16)
    assert m["exif_orientation"] == 6
    # EXIF 6 (stored 90 degrees clockwise of upright) is depthlab's Orientation(270, None)
    assert m["depth_orientation"] == {"rotation": 270, "mirror": None}
    assert cap.disparity.shape == (24, 16) and cap.rgb_size == (24, 32)
    assert m["other_aux"] == ["HDR gain map"] and m["notes"] == []
    assert m["depth_xmp"][APDI + "FloatMinValue"] == "0.5"
    assert m["depth_xmp"]["{http://ns.apple.com/depthData/1.0/}DepthDataVersion"] == "65541"
    assert not any("RenderingParameters" in k for k in m["depth_xmp"])
    assert cap.format == "JPEG (Apple portrait, MPF)"


# --------------------------------------------------------------------------------------------
# Samsung SEF trailer
# --------------------------------------------------------------------------------------------


def sef(blocks_: list[tuple[int, str, bytes]], size_field: int | None = None, magic=b"SEFH", end=b"SEFT") -> bytes:
    """Data blocks (2 zero bytes, 2-byte type, 4-byte name length, name, payload), the directory
    (``SEFH``, version, count, one 12-byte entry per block), its size (LE) and ``SEFT``."""
    out, entries = b"", []
    for typ, name, payload in blocks_:
        block = struct.pack("<HHI", 0, typ, len(name)) + name.encode() + payload
        entries.append((typ, len(out), len(block)))
        out += block
    directory = magic + struct.pack("<II", 107, len(blocks_))
    directory += b"".join(struct.pack("<HHII", 0, t, len(out) - off, ln) for t, off, ln in entries)
    size = len(directory) if size_field is None else size_field
    return out + directory + struct.pack("<I", size) + end


def plain() -> bytes:
    return encode_jpeg(np.full((16, 16, 3), 90, np.uint8), 90)


def names(data: bytes) -> list[str]:
    return samsung_sef_names(data, list(js.iter_segments(data)))


LIVE_FOCUS = [(0x0A01, "DualShot_Meta_Info", b"\x00" * 64), (0x0A30, "DualShot_DepthMap_1", b"\x80" * 3000),
              (0x0A41, "DualShot_Extra_Info", b"\x01" * 16)]


def test_sef_names_in_order_after_the_primary():
    assert names(plain() + sef(LIVE_FOCUS)) == ["DualShot_Meta_Info", "DualShot_DepthMap_1", "DualShot_Extra_Info"]
    # a name repeated is listed once; a name inside the primary image is not looked at
    prim = insert_segments(plain(), [xmp_segment(b"<x>Image_UTC_Data</x>")])
    assert names(prim + sef([(1, "Image_UTC_Data", b"\x00"), (2, "Image_UTC_Data", b"\x00")])) == ["Image_UTC_Data"]
    assert names(prim + sef([(1, "Camera_Info", b"\x00")])) == ["Camera_Info"]


def test_sef_needs_its_end_magic_directory_header_and_a_plausible_size():
    good = plain() + sef(LIVE_FOCUS)
    assert names(good[:-4] + b"SEFX") == []
    assert names(plain() + sef(LIVE_FOCUS, magic=b"SEFX")) == []
    assert names(plain() + sef(LIVE_FOCUS, magic=b"sefh")) == []
    # a size whose high byte is set reaches before the file start: not a trailer
    n = 12 + 12 * len(LIVE_FOCUS)  # the directory's true size
    assert names(plain() + sef(LIVE_FOCUS, size_field=n + (1 << 24))) == []
    assert names(plain() + sef(LIVE_FOCUS, size_field=n - 1)) == []  # one byte short of SEFH
    assert names(plain() + sef(LIVE_FOCUS, size_field=n + 1)) == []  # one byte past it


def test_sef_directory_of_exactly_12_bytes_counts_and_8_does_not():
    # the shortest directory: SEFH, version, count (no entries); a name before it is found
    block = struct.pack("<HHI", 0, 1, 19) + b"DualShot_DepthMap_1" + b"\x00" * 4
    tail12 = block + b"SEFH" + struct.pack("<II", 107, 0) + struct.pack("<I", 12) + b"SEFT"
    assert names(plain() + tail12) == ["DualShot_DepthMap_1"]
    tail8 = block + b"SEFH" + struct.pack("<I", 107) + struct.pack("<I", 8) + b"SEFT"
    assert names(plain() + tail8) == []


def test_sef_without_a_readable_primary_scans_from_the_first_byte():
    # no SOS (segments cannot say where the primary ends): the scan starts at byte 0
    data = b"DualShot_DepthMap_1" + bytes(8) + b"SEFH" + struct.pack("<II", 107, 0) + struct.pack("<I", 12) + b"SEFT"
    assert samsung_sef_names(data, []) == ["DualShot_DepthMap_1"]


def test_sef_lists_at_most_32_names():
    blocks_ = [(i, f"Shot_{i:02d}", b"\x00" * 4) for i in range(40)]
    assert names(plain() + sef(blocks_)) == [f"Shot_{i:02d}" for i in range(32)]


def test_sef_scan_is_bounded_to_64_mib_before_the_directory():
    pad = 64 * 2**20
    block = struct.pack("<HHI", 0, 1, 19) + b"DualShot_DepthMap_1" + b"\x00"
    directory = b"SEFH" + struct.pack("<II", 107, 0)
    far = plain() + block + bytes(pad) + directory + struct.pack("<I", 12) + b"SEFT"
    assert names(far) == []  # the name starts more than 64 MiB before the directory
    near = plain() + block + bytes(pad - len(block)) + directory + struct.pack("<I", 12) + b"SEFT"
    assert names(near) == ["DualShot_DepthMap_1"]  # exactly 64 MiB: inside
