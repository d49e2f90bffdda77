"""Exact behaviour of the JPEG dispatcher and the Google GDepth (Lens Blur) reader, written from
the survivors of a mutation run (benchmarks/MUTATION.md): which reader a file goes to and what
the messages name; GDepth's Near/Far checks, units, notes and metadata; the extended-XMP merge;
base64 handling and its size limit; GDepth codes above the bit depth.

Expectations come from the GDepth / XMP specs (RangeLinear ``d = near + n (far - near)``,
``n = v / (2**bits - 1)``; extended XMP: 32-digit GUID = MD5 of the packet, chunks with total
length and offset), EXIF (orientation 6 = 270 degrees anticlockwise), RFC 4648 base64, and
files built here by hand.  The Apple reader's own survivors are in test_jpeg_exact_apple.py.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import shared_sample
from depthlab.errors import NoDepthError, UnreadableFileError, UnsupportedFormatError
from depthlab.formats import jpeg_segments as js
from depthlab.formats.jpeg import _b64, gdepth_to_metres, read_jpeg
from depthlab.synth import jpeg as sj

LENS_BLUR = "android/lens_blur_gdepth.jpg"
NS = {"GDepth": "http://ns.google.com/photos/1.0/depthmap/", "xmpNote": "http://ns.adobe.com/xmp/note/",
      "GImage": "http://ns.google.com/photos/1.0/image/", "GFocus": "http://ns.google.com/photos/1.0/focus/",
      "apdi": "http://ns.apple.com/pixeldatainfo/1.0/"}


# --------------------------------------------------------------------------------------------
# hand-made files
# --------------------------------------------------------------------------------------------


def packet(props: dict[str, str]) -> bytes:
    decl = " ".join(f'xmlns:{p}="{u}"' for p, u in NS.items())
    body = "".join(f"<{k}>{v}</{k}>" for k, v in props.items())
    return ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" {decl}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>').encode()


def colour_jpeg(h: int = 12, w: int = 16, value: int = 90, orientation: int | None = None) -> bytes:
    buf = io.BytesIO()
    kw = {"quality": 100}
    if orientation is not None:
        ex = Image.Exif()
        ex[0x0112] = orientation
        kw["exif"] = ex.tobytes()
    Image.fromarray(np.full((h, w, 3), value, np.uint8)).save(buf, "JPEG", **kw)
    return buf.getvalue()


def grey_jpeg(arr: np.ndarray, xmp: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    kw = {"quality": 100}
    if xmp is not None:
        kw["xmp"] = xmp
    Image.fromarray(arr).save(buf, "JPEG", **kw)
    return buf.getvalue()


def with_xmp(primary: bytes, main: bytes, ext: bytes | None = None, guid: str | None = None) -> bytes:
    """``primary`` with a main XMP packet and, when given, an extended packet in chunks under ``guid``."""
    segs = [sj.xmp_segment(main)] + ([] if ext is None else sj.extended_xmp_segments(ext, guid))
    return sj.insert_segments(primary, segs)


def gdepth(depth_img: bytes | None, fmt: str = "RangeLinear", near: str = "1", far: str = "3.55", units: str | None = "m",
           extended: bool = True, main_extra: dict | None = None, ext_extra: dict | None = None,
           guid: str | None = None, primary: bytes | None = None, drop: tuple[str, ...] = (),
           data_text: str | None = None) -> bytes:
    """A GDepth JPEG: Format/Near/Far/Mime (+Units) in the main XMP, GDepth:Data in the extended one
    (``drop`` leaves main properties out; ``data_text`` replaces the base64 of ``depth_img``)."""
    main = {"GDepth:Format": fmt, "GDepth:Near": near, "GDepth:Far": far, "GDepth:Mime": "image/png"}
    if units is not None:
        main["GDepth:Units"] = units
    main.update(main_extra or {})
    main = {k: v for k, v in main.items() if k not in drop}
    data = {} if depth_img is None else {"GDepth:Data": data_text or base64.b64encode(depth_img).decode()}
    data.update(ext_extra or {})
    prim = primary if primary is not None else colour_jpeg()
    if not extended:
        return with_xmp(prim, packet({**main, **data}))
    ext = packet(data)
    main["xmpNote:HasExtendedXMP"] = guid or sj.extended_xmp_guid(ext)
    return with_xmp(prim, packet(main), ext, guid=main["xmpNote:HasExtendedXMP"])


CODES = np.array([[0, 100, 255, 51]], np.uint8).repeat(2, axis=0)  # RangeLinear 1..3.55 m: 1, 2, 3.55, 1.51 m


# --------------------------------------------------------------------------------------------
# read_jpeg: which reader, and what the messages name
# --------------------------------------------------------------------------------------------


def test_data_without_a_path_is_called_the_jpeg_data():
    with pytest.raises(NoDepthError, match=r"^the JPEG data holds no depth map \(a 16x12 JPEG\)"):
        read_jpeg(None, colour_jpeg())


def test_a_truncated_file_is_named_in_the_message():
    data = colour_jpeg()
    with pytest.raises(UnreadableFileError, match=r"cut\.jpg"):
        read_jpeg(Path("cut.jpg"), data[:25])


# GDepth, Dynamic Depth 1.0, and a Dynamic Depth version this reader does not know (still Google depth)
@pytest.mark.parametrize("mark", ["http://ns.google.com/photos/1.0/depthmap/", "http://ns.google.com/photos/dd/1.0/",
                                  "http://ns.google.com/photos/dd/2.0/"])
def test_a_damaged_xmp_announcing_google_depth_is_an_error_naming_the_file(mark):
    broken = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:a="{mark}"><unclosed></x:xmpmeta>'.encode()
    with pytest.raises(UnreadableFileError, match=r"^g\.jpg: the XMP is not well-formed XML"):
        read_jpeg(Path("g.jpg"), with_xmp(colour_jpeg(), broken))


def test_a_damaged_xmp_announcing_nothing_is_ignored():
    broken = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:a="http://example.com/"><unclosed></x:xmpmeta>'
    with pytest.raises(NoDepthError, match=r"^plain\.jpg holds no depth map \(a 16x12 JPEG\)"):
        read_jpeg(Path("plain.jpg"), with_xmp(colour_jpeg(), broken))


def test_the_path_is_kept_and_gdepth_messages_name_the_file():
    p = Path("dir/lens.jpg")
    assert read_jpeg(p, gdepth(sj.png_bytes(CODES))).path == p
    with pytest.raises(UnreadableFileError, match=r"^lens\.jpg: the GDepth XMP: GDepth:Format is 'RangeLog'"):
        read_jpeg(p, gdepth(sj.png_bytes(CODES), fmt="RangeLog"))


def test_dynamic_depth_goes_to_its_reader_with_the_path_and_the_name():
    from depthlab.synth import dynamic_depth as sdd

    cap = sdd.render_pixel_portrait(depth_size=(32, 24), colour_size=(64, 48))
    data = sdd.dynamic_depth_jpeg_bytes(cap)
    p = Path("dir/pix.jpg")
    c = read_jpeg(p, data)
    assert c.format == "JPEG (Google Dynamic Depth)" and c.path == p
    with pytest.raises(UnreadableFileError, match=r"^pix\.jpg: the Dynamic Depth container lists .* the file is truncated"):
        read_jpeg(p, data[:-1000])  # read_dynamic_depth names the file
    with pytest.raises(UnreadableFileError, match=r"^pix\.jpg: the extended XMP with GUID [0-9A-F]{32} .* is missing"):
        read_jpeg(p, sdd.dynamic_depth_jpeg_bytes(cap, guid="0" * 32))  # so does finding the description


def test_mpf_damage_names_the_file():
    prim = colour_jpeg()
    aux = grey_jpeg(np.zeros((4, 4), np.uint8))
    data = sj.with_mpf_images(prim, [aux])
    with pytest.raises(UnreadableFileError, match=r"p\.jpg"):
        read_jpeg(Path("p.jpg"), data[:-10])  # the MPF image runs past the end
    bad_xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><unclosed></x:xmpmeta>'
    with pytest.raises(UnreadableFileError, match=r"^p\.jpg: MPF image 1's XMP"):
        read_jpeg(Path("p.jpg"), sj.with_mpf_images(prim, [grey_jpeg(np.zeros((4, 4), np.uint8), bad_xmp)]))


def test_an_apple_depth_map_typed_depth_is_read_as_depth_in_metres():
    # AuxiliaryImageType "depth" (no SubType): values linear in metres, 1 + 2.55 * v / 255
    x = packet({"apdi:AuxiliaryImageType": "depth", "apdi:FloatMinValue": "1", "apdi:FloatMaxValue": "3.55"})
    aux = grey_jpeg(np.full((8, 8), 100, np.uint8), x)
    cap = read_jpeg(Path("d.jpg"), sj.with_mpf_images(colour_jpeg(), [aux]))
    assert cap.format == "JPEG (Apple portrait, MPF)" and cap.encoding.quantity == "depth"
    np.testing.assert_allclose(cap.depth, 2.0, atol=0.011)  # within one code


def test_an_apple_portrait_with_an_oversized_primary_names_the_primary():
    x = packet({"apdi:AuxiliaryImageType": "disparity", "apdi:FloatMinValue": "0.5", "apdi:FloatMaxValue": "2.5"})
    aux = grey_jpeg(np.full((8, 8), 100, np.uint8), x)
    with pytest.raises(UnreadableFileError, match=r"^big\.jpg: the primary image (declares 0x0|cannot be opened)"):
        read_jpeg(Path("big.jpg"), sj.with_mpf_images(_sof_size(colour_jpeg(), 0, 0), [aux]))
    cap = read_jpeg(Path("big.jpg"), sj.with_mpf_images(_sof_size(colour_jpeg(), 65000, 65000), [aux]))
    with pytest.raises(UnreadableFileError, match=r"^big\.jpg: the primary image declares 65000x65000 pixels"):
        cap.rgb  # refused when the colour is first decoded


def _sof_size(jpeg: bytes, w: int, h: int) -> bytes:
    """The JPEG with its SOF0 frame header claiming ``w`` x ``h`` pixels (same length: offsets stay)."""
    at = jpeg.index(b"\xff\xc0")
    return jpeg[:at + 5] + struct.pack(">HH", h, w) + jpeg[at + 9:]


def test_samsung_live_focus_message_lists_the_blocks_and_the_supported_formats():
    body = b"".join(b"\x00\x00" + n.encode() + b"\x00" * 20 for n in ("DualShot_Meta_Info", "DualShot_DepthMap_1"))
    directory = b"SEFH" + struct.pack("<II", 106, 2) + b"\x00" * 24
    data = colour_jpeg() + body + directory + struct.pack("<I", len(directory)) + b"SEFT"
    with pytest.raises(UnsupportedFormatError) as exc:
        read_jpeg(Path("s.jpg"), data)
    msg = str(exc.value)
    assert msg.startswith("s.jpg is a Samsung Live Focus photo")
    assert "(DualShot_Meta_Info, DualShot_DepthMap_1)" in msg
    assert msg.endswith("Apple portrait HEIC/JPEG, Google Dynamic Depth and Lens Blur (GDepth) JPEGs are supported")


def test_google_container_message_says_what_is_supported():
    x = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
         b'<rdf:Description rdf:about="" xmlns:Container="http://ns.google.com/photos/1.0/container/" '
         b'xmlns:Item="http://ns.google.com/photos/1.0/container/item/"><Container:Directory><rdf:Seq>'
         b'<rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="Depth" Item:Mime="image/png" Item:Length="9"/>'
         b'</rdf:li></rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>')
    with pytest.raises(UnsupportedFormatError) as exc:
        read_jpeg(None, with_xmp(colour_jpeg(), x))
    msg = str(exc.value)
    assert "(GContainer item with Semantic 'Depth'); depthlab does not read that container yet. " in msg
    assert msg.endswith("Apple portrait HEIC/JPEG and Lens Blur (GDepth) JPEGs are supported")


# --------------------------------------------------------------------------------------------
# _b64 and gdepth_to_metres
# --------------------------------------------------------------------------------------------


def test_b64_size_limit_is_four_thirds_of_the_bytes_plus_1024():
    # max_bytes 3 -> at most 3 * 4 // 3 + 1024 = 1028 characters
    assert _b64("A" * 1028, "x", 3) == bytes(771)  # 1028 / 4 * 3 zero bytes
    with pytest.raises(UnreadableFileError, match=r"^x is 1,029 characters of base64, more than allowed; the file is damaged"):
        _b64("A" * 1029, "x", 3)
    assert _b64(None, "x", 3) is None


def test_b64_strict_alphabet_and_wrapped_lines():
    assert _b64("QUJD\nREVG", "x", 100) == b"ABCDEF"  # XMP wraps long values: whitespace is dropped
    assert _b64(" QUJD\r\n\tREVG ", "x", 100) == b"ABCDEF"
    for bad in ("QUJD*REVG", "QUJD REVG*"):  # a character outside the alphabet is damage, not skipped
        with pytest.raises(UnreadableFileError, match=r"^x is not valid base64 .*; the file is damaged"):
            _b64(bad, "x", 100)


def test_gdepth_codes_above_the_bit_depth_are_refused():
    with pytest.raises(UnreadableFileError, match=r"^GDepth codes reach 256, above the 8-bit maximum 255$"):
        gdepth_to_metres(np.array([0, 256], np.uint16), 8, "RangeLinear", 1.0, 2.0)
    assert gdepth_to_metres(np.array([255], np.uint16), 8, "RangeLinear", 1.0, 2.0).tolist() == [2.0]
    with pytest.raises(UnreadableFileError, match=r"'RangeLog'; only RangeLinear and RangeInverse exist"):
        gdepth_to_metres(np.array([0], np.uint8), 8, "RangeLog", 1.0, 2.0)


# --------------------------------------------------------------------------------------------
# _read_gdepth: the range checks, units, notes, metadata
# --------------------------------------------------------------------------------------------


def test_range_linear_metres_values_and_metadata():
    data = gdepth(sj.png_bytes(CODES), primary=colour_jpeg(orientation=6))
    cap = read_jpeg(Path("lin.jpg"), data)
    # orientation 6: stored 4x2 -> displayed 2x4; column j of the stored map becomes row j
    np.testing.assert_allclose(cap.depth[:, 0], [1.0, 2.0, 3.55, 1.51], rtol=1e-6)
    assert cap.disparity.dtype == np.float32
    assert cap.format == "JPEG (Google GDepth)" and cap.camera.kind == "GDepth" and cap.accuracy == "absolute"
    enc = cap.encoding
    assert (enc.quantity, enc.bits, enc.int_min, enc.int_max, enc.format, enc.near, enc.far, enc.units) == \
        ("depth", 8, 0, 255, "RangeLinear", 1.0, 3.55, "m")
    m = cap.metadata
    assert m["container"] == "JPEG + GDepth XMP"
    assert m["gdepth"] == {"format": "RangeLinear", "near": 1.0, "far": 3.55, "units": "m", "mime": "image/png",
                           "measure_type": None, "depth_stored_size": (4, 2), "bits": 8}
    assert m["depth_orientation"] == {"rotation": 270, "mirror": None}
    assert m["exif_orientation"] == 6
    assert m["gfocus"] is None and m["colour_source"] == "primary image"
    assert m["notes"] == []  # metric units, no MeasureType, GUID = MD5 of the packet
    ext = m["extended_xmp"]
    assert ext["guid_is_md5"] is True and ext["chunks"] == 1


def test_near_zero_is_allowed_for_range_linear_only():
    cap = read_jpeg(None, gdepth(sj.png_bytes(CODES), near="0", far="5.1"))
    d = cap.depth[0]
    assert np.isnan(d[0])  # code 0 is 0 m: no distance
    np.testing.assert_allclose(d[1:], [2.0, 5.1, 1.02], rtol=1e-6)  # 5.1 * v / 255
    with pytest.raises(UnreadableFileError, match=r"Near 0\.0 and Far 5\.1 do not describe a depth range"):
        read_jpeg(None, gdepth(sj.png_bytes(CODES), fmt="RangeInverse", near="0", far="5.1"))


def test_near_equal_to_far_and_a_missing_far_are_refused():
    with pytest.raises(UnreadableFileError, match=r"Near 2\.0 and Far 2\.0 do not describe a depth range"):
        read_jpeg(None, gdepth(sj.png_bytes(CODES), near="2", far="2"))
    data = gdepth(sj.png_bytes(CODES), drop=("GDepth:Far",))
    with pytest.raises(UnreadableFileError, match=r"^the JPEG data: the GDepth XMP lacks GDepth:Near or GDepth:Far"):
        read_jpeg(None, data)


def test_a_bad_number_in_a_file_with_extended_xmp_names_the_gdepth_xmp():
    with pytest.raises(UnreadableFileError, match=r"^n\.jpg: the GDepth XMP: Near should be a number, found 'near'"):
        read_jpeg(Path("n.jpg"), gdepth(sj.png_bytes(CODES), near="near"))


def test_unknown_and_missing_units():
    cap = read_jpeg(None, gdepth(sj.png_bytes(CODES), units="furlong"))
    np.testing.assert_allclose(cap.depth[0], [1.0, 2.0, 3.55, 1.51], rtol=1e-6)  # kept as they are
    assert cap.accuracy == "relative"
    assert cap.metadata["notes"] == ["unknown GDepth:Units 'furlong': values kept as they are; the scale is arbitrary"]
    cap = read_jpeg(None, gdepth(sj.png_bytes(CODES), units=None))
    assert cap.accuracy == "relative"
    [note] = cap.metadata["notes"]
    assert note.startswith("no GDepth:Units: Near/Far kept as they are") and note.endswith("the scale is arbitrary")
    cap = read_jpeg(None, gdepth(sj.png_bytes(CODES), units="MM"))  # case does not matter
    np.testing.assert_allclose(cap.depth[0], [1e-3, 2e-3, 3.55e-3, 1.51e-3], rtol=1e-6)
    assert cap.accuracy == "absolute"


def test_measure_type_optic_ray_is_noted():
    cap = read_jpeg(None, gdepth(sj.png_bytes(CODES), main_extra={"GDepth:MeasureType": "OpticRay"}))
    assert cap.metadata["gdepth"]["measure_type"] == "OpticRay"
    assert cap.metadata["notes"] == [
        "GDepth:MeasureType OpticRay: distances are along each pixel's ray, not along the optical axis"]
    cap = read_jpeg(None, gdepth(sj.png_bytes(CODES), main_extra={"GDepth:MeasureType": "OpticalAxis"}))
    assert cap.metadata["gdepth"]["measure_type"] == "OpticalAxis" and cap.metadata["notes"] == []


def test_a_guid_that_is_not_the_md5_is_noted():
    cap = read_jpeg(None, gdepth(sj.png_bytes(CODES), guid="0123456789ABCDEF0123456789ABCDEF"))
    assert cap.metadata["extended_xmp"]["guid_is_md5"] is False
    assert cap.metadata["notes"] == ["the extended XMP's GUID is not its MD5 digest "
                                     "(the file was edited, or its writer deviates from the XMP spec)"]


def test_no_depth_data_says_whether_the_extended_xmp_is_missing():
    with pytest.raises(NoDepthError, match=r"^e\.jpg has GDepth metadata but no depth image \(GDepth:Data, and the "
                                           r"extended XMP it needs is absent\)\. "):
        read_jpeg(Path("e.jpg"), gdepth(None, extended=False))
    with pytest.raises(NoDepthError, match=r"^e\.jpg has GDepth metadata but no depth image \(GDepth:Data\)\. "):
        read_jpeg(Path("e.jpg"), gdepth(None, ext_extra={"GImage:Mime": "image/jpeg"}))


def test_depth_image_messages_name_the_file_and_the_mime():
    with pytest.raises(UnreadableFileError, match=r"^b\.jpg: the GDepth depth image \(image/png\) cannot be opened"):
        read_jpeg(Path("b.jpg"), gdepth(b"\x89PNG\r\n\x1a\n" + bytes(40)))
    data = gdepth(b"\x89PNG\r\n\x1a\n" + bytes(40), drop=("GDepth:Mime",))
    with pytest.raises(UnreadableFileError, match=r"^b\.jpg: the GDepth depth image \(no GDepth:Mime\) cannot be opened"):
        read_jpeg(Path("b.jpg"), data)
    cut = sj.png_bytes(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) % 251)
    with pytest.raises(UnreadableFileError, match=r"^b\.jpg: the GDepth depth image \(image/png\) cannot be decoded"):
        read_jpeg(Path("b.jpg"), gdepth(cut[:len(cut) // 2]))  # the header opens, the pixels are cut


def test_a_depth_png_declaring_too_many_pixels_is_refused_before_decoding():
    big = _png_header_claiming(5000, 5000)  # 25 Mpx: more than an aux image may have (4096 x 4096)
    with pytest.raises(UnreadableFileError, match=r"^h\.jpg: the GDepth depth image \(image/png\) declares 5000x5000 pixels"):
        read_jpeg(Path("h.jpg"), gdepth(big))


def _png_header_claiming(w: int, h: int) -> bytes:
    """A 1x1 grey PNG whose IHDR (CRC recomputed) claims ``w`` x ``h``."""
    p = sj.png_bytes(np.zeros((1, 1), np.uint8))
    ihdr = b"IHDR" + struct.pack(">II", w, h) + p[24:29]
    return p[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + p[33:]


def test_colour_messages_name_the_original_and_the_primary():
    bad = base64.b64encode(b"not an image").decode()
    with pytest.raises(UnreadableFileError, match=r"^c\.jpg: the original image \(GImage:Data\) cannot be opened"):
        read_jpeg(Path("c.jpg"), gdepth(sj.png_bytes(CODES), ext_extra={"GImage:Data": bad}))
    with pytest.raises(UnreadableFileError, match=r"^c\.jpg: GImage:Data is not valid base64"):
        read_jpeg(Path("c.jpg"), gdepth(sj.png_bytes(CODES), ext_extra={"GImage:Data": "QUJD*REVG"}))
    with pytest.raises(UnreadableFileError, match=r"^c\.jpg: GDepth:Data is not valid base64"):
        read_jpeg(Path("c.jpg"), gdepth(sj.png_bytes(CODES), data_text="QUJD*REVG"))
    with pytest.raises(UnreadableFileError, match=r"^c\.jpg: the primary image (declares 0x0|cannot be opened)"):
        read_jpeg(Path("c.jpg"), gdepth(sj.png_bytes(CODES), primary=_sof_size(colour_jpeg(), 0, 0)))
    noisy = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(noisy, "JPEG")
    truncated = noisy.getvalue()[:len(noisy.getvalue()) // 2]  # the header opens, the scan is cut
    cap = read_jpeg(Path("c.jpg"), gdepth(sj.png_bytes(CODES), ext_extra={"GImage:Data": base64.b64encode(truncated).decode()}))
    assert cap.metadata["colour_source"] == "GImage:Data (original, unblurred)"
    with pytest.raises(UnreadableFileError, match=r"^c\.jpg: the original image \(GImage:Data\) cannot be decoded"):
        cap.rgb


# --------------------------------------------------------------------------------------------
# _with_extended_xmp: messages and a packet larger than a main XMP may be
# --------------------------------------------------------------------------------------------


def test_extended_xmp_damage_names_the_file():
    data = gdepth(sj.png_bytes(CODES))
    spans = [(s.offset, s.end) for s in js.iter_segments(data) if s.marker == js.APP1 and s.startswith(data, js.XMP_EXT_PREFIX)]
    a, b = spans[0]
    with pytest.raises(UnreadableFileError, match=r"^x\.jpg"):
        read_jpeg(Path("x.jpg"), data[:a] + data[b:])
    ext = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><unclosed></x:xmpmeta>'
    main = packet({"GDepth:Format": "RangeLinear", "GDepth:Near": "1", "GDepth:Far": "2",
                   "xmpNote:HasExtendedXMP": sj.extended_xmp_guid(ext)})
    with pytest.raises(UnreadableFileError, match=r"^x\.jpg: the extended XMP is not well-formed XML"):
        read_jpeg(Path("x.jpg"), with_xmp(colour_jpeg(), main, ext))


def test_an_extended_xmp_over_4_mb_is_read():
    # the extended XMP may hold up to 64 MB (a full-size GImage:Data); a main XMP packet only 64 KB
    cap = read_jpeg(None, gdepth(sj.png_bytes(CODES), ext_extra={"GImage:Mime": "A" * (4 * 1024 * 1024 + 1000)}))
    assert cap.metadata["extended_xmp"]["bytes"] > 4 * 1024 * 1024
    np.testing.assert_allclose(cap.depth[0], [1.0, 2.0, 3.55, 1.51], rtol=1e-6)


def test_lens_blur_sample_metadata_and_path():
    p = shared_sample(LENS_BLUR)
    cap = read_jpeg(p, p.read_bytes())
    assert cap.path == p
    m = cap.metadata
    # README: GDepth Format RangeInverse, Near 18.8495, Far 633.323, depth PNG 1536x2048; Lens Blur writes no units
    g = m["gdepth"]
    assert (g["format"], g["units"], g["mime"], g["depth_stored_size"], g["bits"]) == \
        ("RangeInverse", None, "image/png", (1536, 2048), 8)
    assert g["near"] == pytest.approx(18.8495, abs=1e-4) and g["far"] == pytest.approx(633.323, abs=1e-3)
    assert cap.encoding.int_min == 0 and cap.encoding.int_max == 255
    [note] = m["notes"]
    assert note.startswith("no GDepth:Units")
    assert set(m["gfocus"]) >= {"FocalDistance", "FocalPointX", "FocalPointY"}
