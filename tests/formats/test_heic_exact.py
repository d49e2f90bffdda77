"""formats/heic.py pinned exactly where mutation testing (benchmarks/mutation.py) found the suite
lenient: how the depth item's integers become values (Apple's apdi: XMP, else the depth
representation SEI that libheif reads, cross-checked), irot/imir collapsed into one orientation,
which metadata item is the depth item's XMP, grey/alpha primaries, matte scaling, and the
messages for files without (readable) depth.

Expectations come from the formats, not from the reader: small HEIC files are built here item by
item (:mod:`depthlab.synth.heif_writer`, HEVC from :func:`depthlab.synth.encode_hevc`, lossless
for the depth codes so they read back exactly) with hand-written XMP in Apple's ``apdi:``
namespace; the values are worked out from ``disparity = FloatMin + (FloatMax - FloatMin) *
(v - IntMin) / (IntMax - IntMin)`` (../shared/samples/README.md); the depth representation SEI's
``representation_type`` is ISO/IEC 23008-2's (0 uniform inverse Z, 1 uniform disparity, 2 uniform
Z, 3 non-uniform disparity); irot turns anti-clockwise and imir axis 0 swaps top and bottom
(ISO/IEC 23008-12).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from depthlab.capture import Orientation
from depthlab.errors import NoDepthError, UnreadableFileError, UnsupportedFormatError
from depthlab.formats import heic
from depthlab.synth import heif_writer as hw
from depthlab.formats import isobmff
from depthlab.formats.xmp import parse_xmp
from depthlab.reader import open_bytes

pytest.importorskip("pillow_heif")

APDI_NS = "http://ns.apple.com/pixeldatainfo/1.0/"
DEPTHDATA_NS = "http://ns.apple.com/depthData/1.0/"
DEPTH_URN = "urn:mpeg:hevc:2015:auxid:2"
PORTRAIT_URN = "urn:com:apple:photo:2018:aux:portraiteffectsmatte"
NO_XMP_NOTE = "value range from libheif's depth representation info (no apdi XMP)"


def apple_xmp(depth_data: dict | None = None, extra: str = "", **apdi) -> bytes:
    """An XMP packet with the given ``apdi:`` (and ``depthData:``) properties, as Apple writes
    them, plus ``extra`` raw properties (namespace ``depthBlurEffect`` declared)."""
    props = "".join(f"<apdi:{k}>{v}</apdi:{k}>" for k, v in apdi.items())
    props += "".join(f"<depthData:{k}>{v}</depthData:{k}>" for k, v in (depth_data or {}).items())
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:apdi="{APDI_NS}" xmlns:depthData="{DEPTHDATA_NS}" '
            f'xmlns:depthBlurEffect="http://ns.apple.com/depthBlurEffect/1.0/">{props}{extra}'
            f'</rdf:Description></rdf:RDF></x:xmpmeta>').encode()


def _coded(pixels: np.ndarray, lossless: bool = True) -> tuple[bytes, bytes]:
    from depthlab.synth import encode_hevc

    return encode_hevc(pixels, lossless=lossless, quality=90)


def ramp(h: int = 64, w: int = 64) -> np.ndarray:
    """Depth codes 0, 1, .., 255, 0, 1, .. in reading order (flat index i holds i % 256)."""
    return (np.arange(h * w).reshape(h, w) % 256).astype(np.uint8)


def heic_file(codes: np.ndarray | None = None, *, xmp: list[tuple[str, bytes]] | bytes | None = None,
              sei: tuple[float, float, int] | None = (0.5, 2.5, 1), primary: np.ndarray | None = None,
              aux: list[tuple[str, np.ndarray]] = (), transforms: list[bytes] = (),
              depth_owner: str = "primary") -> bytes:
    """A small HEIC: an hvc1 primary (96x64 orange unless given; grey is coded lossless), the
    depth ``codes`` as a hidden lossless hvc1 aux item (``auxC`` depth URN + depth representation
    SEI ``(d_min, d_max, type)``), ``xmp`` as mime items with a ``cdsc`` reference to the depth item,
    further aux images ``(urn, pixels)``, and ``transforms`` (irot/imir boxes) on the primary and
    the depth item as iPhones write them."""
    b = hw.HeifBuilder()
    if primary is None:
        primary = np.zeros((64, 96, 3), np.uint8)
        primary[...] = (200, 100, 30)
    cfg, data = _coded(primary, lossless=primary.ndim == 2)
    ph, pw = primary.shape[:2]
    pid = b.add_item("hvc1", data, [(hw.hvcC(cfg), True), (hw.ispe(pw, ph), False), *[(t, True) for t in transforms],
                                    (hw.pixi(*([8] * (1 if primary.ndim == 2 else 3))), False)])
    b.set_primary(pid)
    owner = pid
    if depth_owner == "other":  # an image that is not the primary owns the depth item
        cfg, data = _coded(np.full((64, 64), 9, np.uint8))
        owner = b.add_item("hvc1", data, [(hw.hvcC(cfg), True), (hw.ispe(64, 64), False)])
    if codes is not None:
        cfg, data = _coded(codes)
        subtype = b"" if sei is None else hw.depth_representation_sei(sei[0], sei[1], representation_type=sei[2])
        did = b.add_item("hvc1", data, [(hw.hvcC(cfg), True), (hw.ispe(codes.shape[1], codes.shape[0]), False),
                                        *[(t, True) for t in transforms], (hw.pixi(8), False),
                                        (hw.auxC(DEPTH_URN, subtype), True)], hidden=True)
        b.add_ref("auxl", did, [owner])
        for content_type, payload in ([("application/rdf+xml", xmp)] if isinstance(xmp, bytes) else (xmp or [])):
            x = b.add_item("mime", payload, content_type=content_type, hidden=True)
            b.add_ref("cdsc", x, [did])
    for urn, pixels in aux:
        cfg, data = _coded(pixels, lossless=pixels.ndim == 2)
        a = b.add_item("hvc1", data, [(hw.hvcC(cfg), True), (hw.ispe(pixels.shape[1], pixels.shape[0]), False),
                                      *[(t, True) for t in transforms], (hw.auxC(urn), True)], hidden=True)
        b.add_ref("auxl", a, [pid])
    return b.to_bytes()


def encoding(raw: np.ndarray, xmp: bytes | None, heif_meta: dict) -> tuple:
    """heic._depth_encoding on hand-written inputs: (DepthEncoding, notes)."""
    notes: list[str] = []
    x = None if xmp is None else parse_xmp(xmp, what="t.heic: the depth item's XMP")
    return heic._depth_encoding(raw, x, heif_meta, "t.heic", notes), notes


U8 = np.zeros((2, 2), np.uint8)
U16 = np.zeros((2, 2), np.uint16)


# =============================================================================================
# the value range: Apple's XMP first, libheif's depth representation info second
# =============================================================================================


def test_codes_default_to_the_full_range_of_the_decoded_type():
    """Without IntMin/IntMaxValue the codes span what the decoded type holds: 0..255 for 8-bit,
    0..65535 for images libheif hands over as 16-bit; no AuxiliaryImageType means disparity."""
    x = apple_xmp(FloatMinValue="0.5", FloatMaxValue="2.5")
    e, notes = encoding(U8, x, {})
    assert (e.quantity, e.bits, e.int_min, e.int_max, e.float_min, e.float_max) == ("disparity", 8, 0, 255, 0.5, 2.5)
    assert e.format is None and notes == []
    e, _ = encoding(U16, x, {})
    assert (e.bits, e.int_min, e.int_max) == (16, 0, 65535)


def test_int_min_max_and_formats_come_from_the_xmp():
    x = apple_xmp(FloatMinValue="1.0", FloatMaxValue="3.0", IntMinValue="10", IntMaxValue="200",
                  StoredFormat="1278226488", NativeFormat="1751411059", AuxiliaryImageType="disparity")
    e, notes = encoding(U8, x, {})
    assert (e.quantity, e.bits, e.int_min, e.int_max) == ("disparity", 8, 10, 200)
    assert e.format == "L008 from hdis" and notes == []


def test_int_min_max_from_the_xmp_set_the_values_of_a_file():
    """code 10 -> FloatMin, 200 -> FloatMax, 105 halfway: 1 + 2 * (v - 10) / 190."""
    codes = np.zeros((64, 64), np.uint8)
    codes[:, :16], codes[:, 16:32], codes[:, 32:48], codes[:, 48:] = 10, 105, 200, 0
    x = apple_xmp(FloatMinValue="1.0", FloatMaxValue="3.0", IntMinValue="10", IntMaxValue="200")
    cap = open_bytes(heic_file(codes, xmp=x, sei=(1.0, 3.0, 1)))
    assert (cap.encoding.int_min, cap.encoding.int_max) == (10, 200)
    np.testing.assert_allclose(cap.disparity[0, [0, 16, 32, 48]], [1.0, 2.0, 3.0, 1.0 - 2.0 * 10 / 190], rtol=1e-6)
    assert cap.metadata["notes"] == []


def test_a_depth_item_that_says_it_holds_depth_is_inverted():
    x = apple_xmp(FloatMinValue="0.5", FloatMaxValue="2.5", AuxiliaryImageType="depth")
    e, _ = encoding(U8, x, {})
    assert e.quantity == "depth"
    cap = open_bytes(heic_file(ramp(), xmp=x, sei=(0.5, 2.5, 2)))
    assert cap.encoding.quantity == "depth"
    # code 0 = 0.5 m, code 255 = 2.5 m; disparity is the inverse
    np.testing.assert_allclose(cap.disparity.ravel()[[0, 255]], [2.0, 0.4], rtol=1e-6)


def test_an_aux_type_other_than_disparity_or_depth_is_refused():
    x = apple_xmp(FloatMinValue="0.5", FloatMaxValue="2.5", AuxiliaryImageType="portraiteffectsmatte")
    with pytest.raises(UnreadableFileError) as err:
        encoding(U8, x, {})
    assert str(err.value) == "t.heic: the depth item says it holds 'portraiteffectsmatte', not disparity or depth"


@pytest.mark.parametrize("rep, quantity", [(0, "disparity"), (1, "disparity"), (2, "depth"), (3, "disparity"), (None, "disparity")])
def test_without_xmp_the_representation_type_says_what_the_codes_are(rep, quantity):
    """ISO/IEC 23008-2 depth representation types: 0 uniform inverse Z and 1 uniform disparity
    are disparity, 2 uniform Z is depth; 3 (non-uniform disparity) and a missing type are read
    as disparity."""
    meta = {"d_min": 0.5, "d_max": 2.5}
    if rep is not None:
        meta["representation_type"] = rep
    e, notes = encoding(U8, None, meta)
    assert (e.quantity, e.bits, e.float_min, e.float_max, e.int_min, e.int_max, e.format) == (quantity, 8, 0.5, 2.5, 0, 255, None)
    assert notes == [NO_XMP_NOTE]


def test_a_file_without_xmp_reads_its_range_from_the_sei():
    """No XMP at all: the range is the SEI's (0.5..2.5, uniform Z = metres), no calibration."""
    cap = open_bytes(heic_file(ramp(), sei=(0.5, 2.5, 2)), Path("plain.heic"))
    e = cap.encoding
    assert (e.quantity, e.bits, e.float_min, e.float_max, e.int_min, e.int_max, e.format) == ("depth", 8, 0.5, 2.5, 0, 255, None)
    assert cap.metadata["notes"] == [NO_XMP_NOTE]
    # code v is 0.5 + 2 v / 255 metres
    np.testing.assert_allclose(cap.depth.ravel()[[0, 51, 255]], [0.5, 0.9, 2.5], rtol=1e-6)
    assert cap.calibration is None and cap.accuracy is None
    assert "depth_xmp" not in cap.metadata
    rep = cap.metadata["heif_depth_representation"]
    assert (rep["d_min"], rep["d_max"], rep["representation_type"]) == (0.5, 2.5, 2)


def test_the_xmp_quantity_wins_when_only_the_sei_has_the_range():
    x = apple_xmp(AuxiliaryImageType="depth")
    e, notes = encoding(U8, x, {"d_min": 0.5, "d_max": 2.5, "representation_type": 1})
    assert (e.quantity, e.float_min, e.float_max) == ("depth", 0.5, 2.5) and notes == [NO_XMP_NOTE]


def test_half_an_xmp_range_is_not_used():
    """FloatMinValue without FloatMaxValue: the SEI's range is used, both ends of it."""
    x = apple_xmp(FloatMinValue="0.7")
    e, notes = encoding(U8, x, {"d_min": 0.5, "d_max": 2.5, "representation_type": 1})
    assert (e.float_min, e.float_max) == (0.5, 2.5) and notes == [NO_XMP_NOTE]
    x = apple_xmp(FloatMaxValue="2.7")
    e, _ = encoding(U8, x, {"d_min": 0.5, "d_max": 2.5, "representation_type": 1})
    assert (e.float_min, e.float_max) == (0.5, 2.5)


@pytest.mark.parametrize("meta", [{}, {"d_min": 0.5}, {"d_max": 2.5}, {"representation_type": 1}])
def test_no_range_anywhere_is_refused_with_what_is_missing(meta):
    with pytest.raises(UnreadableFileError) as err:
        encoding(U8, apple_xmp(FloatMinValue="0.5"), meta)
    assert str(err.value) == ("t.heic: the depth image carries neither apdi:FloatMin/MaxValue nor a depth representation "
                              "range, so its values cannot be turned into 1/m")


def test_a_file_with_no_range_anywhere_is_refused():
    with pytest.raises(UnreadableFileError, match="neither apdi:FloatMin/MaxValue nor a depth representation range"):
        open_bytes(heic_file(ramp(), sei=None), Path("bare.heic"))


XMP_RANGE = apple_xmp(FloatMinValue="0.5", FloatMaxValue="2.5")


@pytest.mark.parametrize("d_min, d_max, differs", [
    (0.5, 2.5, False),
    (0.5005, 2.5, False),      # 0.0005 apart: within 1e-3
    (0.5015, 2.5, True),       # 0.0015 apart: beyond 1e-3 (the bound is max(1, |value|) * 1e-3)
    (0.5, 2.502, False),       # 0.002 apart at 2.5: within 1e-3 * 2.5
    (0.5, 2.503, True),        # 0.003 apart at 2.5: beyond 1e-3 * 2.5
    (0.6, 2.5, True), (0.5, 2.0, True),
])
def test_xmp_and_sei_ranges_are_cross_checked_relatively(d_min, d_max, differs):
    e, notes = encoding(U8, XMP_RANGE, {"d_min": d_min, "d_max": d_max, "representation_type": 1})
    assert (e.float_min, e.float_max) == (0.5, 2.5)  # the XMP is used either way
    if differs:
        assert notes == [f"XMP range 0.5..2.5 differs from libheif's d_min/d_max {d_min}..{d_max}; using the XMP"]
    else:
        assert notes == []


def test_cross_check_tolerance_grows_with_the_value():
    x = apple_xmp(FloatMinValue="4.0", FloatMaxValue="8.0")
    _, notes = encoding(U8, x, {"d_min": 4.003, "d_max": 8.006, "representation_type": 1})
    assert notes == []  # 0.075 % apart
    _, notes = encoding(U8, x, {"d_min": 4.005, "d_max": 8.0, "representation_type": 1})
    assert len(notes) == 1  # 0.125 % apart
    _, notes = encoding(U8, x, {"d_min": 4.0, "d_max": 8.009, "representation_type": 1})
    assert len(notes) == 1
    # below 1 the bound stays 1e-3 (not less)
    x1 = apple_xmp(FloatMinValue="0.25", FloatMaxValue="1.0")
    _, notes = encoding(U8, x1, {"d_min": 0.25, "d_max": 1.0015, "representation_type": 1})
    assert len(notes) == 1
    _, notes = encoding(U8, x1, {"d_min": 0.2509, "d_max": 1.0009, "representation_type": 1})
    assert notes == []
    # the bound itself counts as agreeing (exact in binary at 0: |0.001 - 0| == 1e-3 * 1)
    x0 = apple_xmp(FloatMinValue="0.0", FloatMaxValue="2.5")
    _, notes = encoding(U8, x0, {"d_min": 0.001, "d_max": 2.5, "representation_type": 1})
    assert notes == []


@pytest.mark.parametrize("meta", [{"d_min": 9.0}, {"d_max": 9.0}])
def test_half_a_sei_range_is_not_cross_checked(meta):
    e, notes = encoding(U8, XMP_RANGE, meta)
    assert (e.float_min, e.float_max) == (0.5, 2.5) and notes == []


def test_unusable_ranges_are_refused():
    x = apple_xmp(FloatMinValue="0.5", FloatMaxValue="2.5", IntMinValue="7", IntMaxValue="7")
    with pytest.raises(UnreadableFileError) as err:
        encoding(U8, x, {})
    assert str(err.value) == "t.heic: the depth value range 0.5..2.5 over codes 7..7 is unusable"
    for meta in ({"d_min": 0.5, "d_max": float("inf")}, {"d_min": float("nan"), "d_max": 2.5}):
        with pytest.raises(UnreadableFileError, match="the depth value range .* over codes 0..255 is unusable"):
            encoding(U8, None, meta)


# =============================================================================================
# irot / imir: ipma order collapsed into rotate-then-mirror
# =============================================================================================


def _apply_heif(transforms, a: np.ndarray) -> np.ndarray:
    """ISO/IEC 23008-12 in ipma order: irot turns anti-clockwise by its angle; imir axis 0 swaps
    top and bottom, axis 1 left and right."""
    for kind, value in transforms:
        a = np.rot90(a, value // 90) if kind == "irot" else (a[::-1] if value == 0 else a[:, ::-1])
    return a


STEPS = [("irot", 0), ("irot", 90), ("irot", 180), ("irot", 270), ("imir", 0), ("imir", 1)]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_every_sequence_of_transforms_collapses_to_the_same_pixels(n):
    probe = np.arange(12).reshape(3, 4)
    for seq in itertools.product(STEPS, repeat=n):
        o = heic._orientation_of(list(seq))
        assert o.rotation in (0, 90, 180, 270) and o.mirror in (None, "vertical", "horizontal")
        assert np.array_equal(o.apply(probe), _apply_heif(seq, probe)), seq


def test_orientation_names():
    assert heic._orientation_of([]) == Orientation(0, None)
    assert heic._orientation_of([("irot", 90), ("irot", 180)]) == Orientation(270, None)
    assert heic._orientation_of([("imir", 0)]) == Orientation(0, "vertical")
    assert heic._orientation_of([("imir", 1)]) == Orientation(0, "horizontal")
    assert heic._orientation_of([("imir", 1), ("imir", 1)]) == Orientation(0, None)
    assert heic._orientation_of([("imir", 0), ("imir", 1)]) == Orientation(180, None)
    assert heic._orientation_of([("imir", 1), ("irot", 90)]) == Orientation(90, "vertical")
    assert heic._orientation_of([("imir", 0), ("irot", 270)]) == Orientation(270, "horizontal")
    assert heic._orientation_of([("imir", 0), ("irot", 180)]) == Orientation(180, "vertical")


# =============================================================================================
# which item is the depth item's XMP: a 'mime' XML item with a 'cdsc' reference to it
# =============================================================================================

XMP_A = apple_xmp(FloatMinValue="0.75", FloatMaxValue="2.25")  # the one to be found
XMP_WRONG = apple_xmp(FloatMinValue="9.0", FloatMaxValue="10.0")


def _range(data: bytes) -> tuple[float, float]:
    e = open_bytes(data).encoding
    return e.float_min, e.float_max


def test_xml_metadata_items_are_found_past_other_descriptions():
    """Only 'mime' items whose content type is XML or RDF are read; the others are passed over."""
    junk = b"\x00\x01 not xml \xff"
    assert _range(heic_file(ramp(), xmp=[("text/plain", junk), ("application/rdf+xml", XMP_A)])) == (0.75, 2.25)
    assert _range(heic_file(ramp(), xmp=[("application/xml", XMP_A)])) == (0.75, 2.25)
    assert _range(heic_file(ramp(), xmp=[("application/rdf", XMP_A)])) == (0.75, 2.25)
    # the only description is not XML: no XMP, the SEI's range (0.5..2.5) with its note
    cap = open_bytes(heic_file(ramp(), xmp=[("text/plain", XMP_A)]))
    assert (cap.encoding.float_min, cap.encoding.float_max) == (0.5, 2.5) and cap.metadata["notes"] == [NO_XMP_NOTE]


def _grey_primary(b: "hw.HeifBuilder", w: int = 64, h: int = 64) -> int:
    """Add a lossy grey (90) ``w`` x ``h`` hvc1 primary to ``b``; its item id."""
    from depthlab.synth import encode_hevc

    cfg, data = encode_hevc(np.full((h, w, 3), 90, np.uint8), lossless=False)
    pid = b.add_item("hvc1", data, [(hw.hvcC(cfg), True), (hw.ispe(w, h), False)])
    b.set_primary(pid)
    return pid


def _ramp_depth(b: "hw.HeifBuilder", owner: int, ref: str = "auxl") -> int:
    """Add :func:`ramp` as a hidden lossless hvc1 depth item (auxC depth URN, SEI range 0.5..2.5)
    linked to ``owner`` by ``ref``; its item id."""
    from depthlab.synth import encode_hevc

    cfg, data = encode_hevc(ramp(), lossless=True)
    did = b.add_item("hvc1", data, [(hw.hvcC(cfg), True), (hw.ispe(64, 64), False),
                                    (hw.auxC(DEPTH_URN, hw.depth_representation_sei(0.5, 2.5)), True)], hidden=True)
    b.add_ref(ref, did, [owner])
    return did


def _with_extra_ref(ref_type: str, from_type: str) -> bytes:
    """The depth item described first by an item of ``from_type`` linked with ``ref_type``
    (holding XMP_WRONG when it is a mime item), then by its real XMP (cdsc)."""
    b = hw.HeifBuilder()
    did = _ramp_depth(b, _grey_primary(b))
    if from_type == "mime":
        other = b.add_item("mime", XMP_WRONG, content_type="application/rdf+xml", hidden=True)
    else:
        other = b.add_item(from_type, b"\x00\x00\x00\x06Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00", hidden=True)
    b.add_ref(ref_type, other, [did])
    x = b.add_item("mime", XMP_A, content_type="application/rdf+xml", hidden=True)
    b.add_ref("cdsc", x, [did])
    return b.to_bytes()


def test_only_content_describing_references_link_the_xmp():
    """ISO/IEC 23008-12: metadata describes an item through a 'cdsc' reference.  An XMP item
    linked otherwise, or a non-mime item described first, does not hide the real XMP."""
    assert _range(_with_extra_ref("xxxx", "mime")) == (0.75, 2.25)
    assert _range(_with_extra_ref("cdsc", "Exif")) == (0.75, 2.25)


def test_a_reference_from_a_missing_item_is_passed_over():
    """A damaged 'iref' whose cdsc names an item that 'iinf' does not list."""
    import struct

    b = hw.HeifBuilder()
    did = _ramp_depth(b, _grey_primary(b))
    ghost = b.add_item("mime", XMP_WRONG, content_type="application/rdf+xml", hidden=True)
    b.add_ref("cdsc", ghost, [did])
    x = b.add_item("mime", XMP_A, content_type="application/rdf+xml", hidden=True)
    b.add_ref("cdsc", x, [did])
    data = b.to_bytes()
    entry = b"cdsc" + struct.pack(">HHH", ghost, 1, did)  # iref version 0: 16-bit ids
    assert data.count(entry) == 1
    data = data.replace(entry, b"cdsc" + struct.pack(">HHH", 77, 1, did))
    assert 77 not in isobmff.parse_heif(data).items
    assert _range(data) == (0.75, 2.25)


def test_an_oversized_xmp_item_is_refused_naming_the_file():
    big = b"<x:xmpmeta>" + b" " * (4 * 2**20) + b"</x:xmpmeta>"
    data = heic_file(ramp(), xmp=big)
    xmp_id = next(i for i, it in isobmff.parse_heif(data).items.items() if it.type == "mime")
    with pytest.raises(UnreadableFileError) as err:
        open_bytes(data, Path("big.heic"))
    assert str(err.value) == f"big.heic: the depth item's XMP: item {xmp_id} is larger than the 4,194,304 bytes allowed for it"


# =============================================================================================
# the primary: grey and alpha primaries still give uint8 (H, W, 3)
# =============================================================================================


def test_a_grey_primary_becomes_three_equal_channels():
    grey = (np.arange(64 * 96).reshape(64, 96) % 251).astype(np.uint8)
    cap = open_bytes(heic_file(ramp(), xmp=XMP_A, primary=grey))
    rgb = cap.rgb
    assert rgb.shape == (64, 96, 3) and rgb.dtype == np.uint8
    for c in range(3):
        assert np.array_equal(rgb[..., c], grey)  # lossless grey: exact


def test_an_alpha_channel_is_dropped_from_the_colour():
    """A primary with an alpha aux image (urn:mpeg:hevc:2015:auxid:1) decodes as RGBA; the
    capture's colour is RGB."""
    cap = open_bytes(heic_file(ramp(), xmp=XMP_A, aux=[("urn:mpeg:hevc:2015:auxid:1", np.full((64, 96), 128, np.uint8))]))
    rgb = cap.rgb
    assert rgb.shape == (64, 96, 3) and rgb.dtype == np.uint8
    assert np.abs(rgb[32, 48].astype(int) - (200, 100, 30)).max() <= 3  # lossy orange
    assert cap.metadata["other_aux"] == ["alpha"]


# =============================================================================================
# decoded images: stand-ins for pillow-heif images where libheif never hands over the case
# =============================================================================================


class FakeImage:
    """A pillow-heif image as _to_array sees it: a declared ``size`` and decoded pixels, through
    the array interface or (when ``array`` is False) only through ``to_pillow()``."""

    def __init__(self, pixels, size=None, array: bool = True):
        self.pixels = np.asarray(pixels)
        self.size = (self.pixels.shape[1], self.pixels.shape[0]) if size is None else size
        if array:
            self.__array_interface__ = self.pixels.__array_interface__

    def to_pillow(self):
        from PIL import Image

        return Image.fromarray(self.pixels)


class BrokenArray(FakeImage):
    @property
    def __array_interface__(self):
        raise RuntimeError("no plugin")

    @__array_interface__.setter
    def __array_interface__(self, value):
        pass


def test_declared_sizes_are_checked_before_decoding():
    px = np.zeros((3, 4), np.uint8)
    assert heic._to_array(FakeImage(px), "x", max_pixels=12).shape == (3, 4)  # exactly the limit
    assert heic._to_array(FakeImage(px, size=(1, 1)), "x", max_pixels=12).shape == (3, 4)
    for size in [(13, 1), (4, 4), (0, 5), (5, 0), (-1, -1)]:
        with pytest.raises(UnreadableFileError) as err:
            heic._to_array(FakeImage(px, size=size), "x.heic: the pic", max_pixels=12)
        assert str(err.value) == (f"x.heic: the pic declares {size[0]}x{size[1]} pixels, which is not a plausible size; "
                                  "the file is damaged")
    with pytest.raises(UnreadableFileError) as err:
        heic._to_array(FakeImage(px, size=("a", "b")), "x.heic: the pic", max_pixels=12)
    assert str(err.value).startswith("x.heic: the pic has no readable size (")
    assert heic._to_array(FakeImage(px, size=(99, 99)), "x").shape == (3, 4)  # no limit asked for


def test_images_without_an_array_interface_go_through_pillow():
    px = (np.arange(12).reshape(3, 4) * 20).astype(np.uint8)
    assert np.array_equal(heic._to_array(FakeImage(px, array=False), "x"), px)
    flat = FakeImage(px)
    flat.__array_interface__ = px.ravel().__array_interface__  # not an image: at least 2-D is required
    assert np.array_equal(heic._to_array(flat, "x"), px)


def test_decoding_errors_name_the_image():
    with pytest.raises(UnreadableFileError) as err:
        heic._to_array(BrokenArray(np.zeros((2, 2), np.uint8)), "x.heic: the pic")
    assert str(err.value) == "x.heic: the pic could not be decoded (no plugin)"


def test_colour_deeper_than_8_bits_keeps_its_top_byte():
    px = np.zeros((2, 3, 3), np.uint16)
    px[..., 0], px[..., 1], px[..., 2] = 0x1234, 0xFF00, 0x00FF
    rgb = heic._rgb_loader(FakeImage(px), "x")()
    assert rgb.dtype == np.uint8 and rgb.shape == (2, 3, 3)
    assert tuple(rgb[0, 0]) == (0x12, 0xFF, 0x00)
    f = np.full((2, 3, 3), 7.9, np.float32)
    rgb = heic._rgb_loader(FakeImage(f, array=True), "x")()
    assert rgb.dtype == np.uint8 and rgb.max() == 7


class FakeHeif:
    def __init__(self, aux):
        self.aux = aux

    def get_aux_image(self, aux_id):
        if aux_id not in self.aux:
            raise ValueError(f"no aux image {aux_id}")
        return self.aux[aux_id]


def test_mattes_are_scaled_by_their_type():
    """A matte's value is its code over the full scale of its type (255, 65535, 32767); float
    mattes are taken as they are, clipped to 0..1; a colour matte's first channel is used."""
    u16 = np.array([[0, 32768, 65535]], np.uint16)
    i16 = np.array([[-5, 0, 32767]], np.int16)
    f32 = np.array([[-0.5, 0.25, 1.5]], np.float32)
    rgb = np.zeros((1, 3, 3), np.uint8)
    rgb[..., 0], rgb[..., 1] = (0, 51, 255), 255
    ph = FakeHeif({1: FakeImage(u16), 2: FakeImage(i16), 3: FakeImage(f32), 4: FakeImage(rgb)})
    load = lambda i: heic._matte_loader(ph, i, "m")()  # noqa: E731
    np.testing.assert_allclose(load(1), [[0.0, 32768 / 65535, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(load(2), [[0.0, 0.0, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(load(3), [[0.0, 0.25, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(load(4), [[0.0, 0.2, 1.0]], rtol=1e-6)
    assert all(load(i).dtype == np.float32 for i in (1, 2, 3, 4))
    with pytest.raises(UnreadableFileError) as err:
        load(9)
    assert str(err.value) == "m could not be decoded by libheif (no aux image 9)"


def test_a_matte_declaring_a_huge_size_is_refused_before_decoding():
    ph = FakeHeif({1: FakeImage(np.zeros((2, 2), np.uint8), size=(4097, 4096))})
    with pytest.raises(UnreadableFileError) as err:
        heic._matte_loader(ph, 1, "x.heic: the skin matte")()
    assert str(err.value) == "x.heic: the skin matte declares 4097x4096 pixels, which is not a plausible size; the file is damaged"
    ok = FakeHeif({1: FakeImage(np.zeros((2, 2), np.uint8), size=(4096, 4096))})
    assert heic._matte_loader(ok, 1, "m")().shape == (2, 2)


def test_a_colour_coded_matte_in_a_file_reads_its_first_channel():
    matte = np.zeros((64, 64, 3), np.uint8)
    matte[...] = (200, 50, 10)
    cap = open_bytes(heic_file(ramp(), xmp=XMP_A, aux=[(PORTRAIT_URN, matte)]))
    m = cap.mattes["portrait"]
    assert m.shape == (64, 64) and m.dtype == np.float32
    assert abs(float(m[32, 32]) - 200 / 255) < 0.02  # lossy 4:2:0 coding: within a few codes


# =============================================================================================
# files without (readable) depth: what the message says
# =============================================================================================

SPATIAL = "iphone/spatial_stereo_pair.heic"
STER = bytes.fromhex("0000001c737465720000000000000035") + (2).to_bytes(4, "big")  # 'ster' group 53, 2 entities


def _spatial_with_views(left: int, right: int) -> bytes:
    """The spatial sample (views: grids 26 and 52, 2560x2560) with its 'ster' group pointing
    at other entities (same length: no offset moves)."""
    from conftest import shared_sample

    data = shared_sample(SPATIAL).read_bytes()
    old = STER + (26).to_bytes(4, "big") + (52).to_bytes(4, "big")
    assert data.count(old) == 1
    return data.replace(old, STER + left.to_bytes(4, "big") + right.to_bytes(4, "big"))


@pytest.mark.parametrize("left, right, message", [
    (26, 27, "pair.heic: the stereo views differ in size: left (item 26) 2560x2560, right (item 27) 512x512; "
             "a rectified pair has two views of one size"),
    (99, 27, "pair.heic: the 'ster' group names item 99 as the left view, but the file holds no such image; "
             "the stereo pair is incomplete"),
    (26, 98, "pair.heic: the 'ster' group names item 98 as the right view, but the file holds no such image; "
             "the stereo pair is incomplete"),
])
def test_a_spatial_photo_with_a_broken_pair_says_which_view(left, right, message):
    with pytest.raises(UnreadableFileError) as err:
        open_bytes(_spatial_with_views(left, right), Path("pair.heic"))
    assert str(err.value) == message


def test_a_spatial_photo_whose_views_declare_no_size():
    # the ispe of both grids patched to 2560x0
    data = _spatial_with_views(26, 52)
    ispe = hw.ispe(2560, 2560)
    assert data.count(ispe) == 2
    with pytest.raises(UnreadableFileError) as err:
        open_bytes(data.replace(ispe, ispe[:-4] + b"\x00" * 4), Path("pair.heic"))
    assert str(err.value).startswith("pair.heic: ") and "damaged" in str(err.value)  # libheif refuses it first


def test_without_depth_unknown_aux_types_are_named_by_their_urn():
    data = heic_file(None, aux=[("tag:example.com,2030:photo:aux:newmap", np.zeros((64, 64), np.uint8)),
                                ("urn:com:apple:photo:2020:aux:hdrgainmap", np.zeros((64, 64), np.uint8)),
                                (PORTRAIT_URN, np.zeros((64, 64), np.uint8))])
    with pytest.raises(NoDepthError) as err:
        open_bytes(data, Path("new.heic"))
    assert str(err.value) == ("new.heic holds no depth map (a 96x64 photo; mattes: portrait; other auxiliary images: "
                              f"HDR gain map, tag:example.com,2030:photo:aux:newmap). {heic.EDITED_HINT}")


def test_contents_without_a_known_size():
    hf = isobmff.parse_heif(heic_file(None))
    assert heic._describe_contents(hf, {}, None) == "a photo"
    assert heic._describe_contents(hf, {5: PORTRAIT_URN, 6: "urn:x"}, (4, 3)) == "a 4x3 photo; mattes: portrait; other auxiliary images: urn:x"


def test_a_depth_item_libheif_does_not_attach_to_the_primary():
    """The depth item's 'auxl' points at another image than the primary: libheif lists no depth
    image for the primary, and the message says which item could not be had."""
    data = heic_file(ramp(), xmp=XMP_A, depth_owner="other")
    hf = isobmff.parse_heif(data)
    depth_id = next(i for i in hf.items if hf.aux_type(i) == DEPTH_URN)
    with pytest.raises(UnreadableFileError) as err:
        open_bytes(data, Path("odd.heic"))
    assert str(err.value) == f"odd.heic: the file lists a depth image (item {depth_id}) but libheif cannot decode it; the file is damaged"


# =============================================================================================
# the capture read_heic assembles: metadata, accuracy, calibration in the display frame
# =============================================================================================


def _seq(values) -> str:
    return "<rdf:Seq>" + "".join(f"<rdf:li>{v!r}</rdf:li>" for v in values) + "</rdf:Seq>"


CALIBRATION = {  # Apple's depthData: keys; IntrinsicMatrix and ExtrinsicMatrix column-major
    "IntrinsicMatrix": _seq([3000.5, 0.0, 0.0, 0.0, 3001.25, 0.0, 2010.75, 1500.5, 1.0]),
    "IntrinsicMatrixReferenceWidth": "4032", "IntrinsicMatrixReferenceHeight": "3024",
    "ExtrinsicMatrix": _seq([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]),
    "LensDistortionCoefficients": _seq([0.0] * 8), "InverseLensDistortionCoefficients": _seq([0.0] * 8),
    "LensDistortionCenterOffsetX": "2016.0", "LensDistortionCenterOffsetY": "1512.0", "PixelSize": "0.0014",
}


def _calibrated_xmp(accuracy: str) -> bytes:
    # Apple's depth XMP also carries an opaque base64 blob of rendering parameters
    extra = ("<depthBlurEffect:RenderingParameters>UkVORAYAAAC4BAAA</depthBlurEffect:RenderingParameters>"
             "<depthBlurEffect:SimulatedAperture>4.5</depthBlurEffect:SimulatedAperture>")
    return apple_xmp(dict(CALIBRATION, Accuracy=accuracy), extra, FloatMinValue="0.5", FloatMaxValue="2.5",
                     IntMinValue="0", IntMaxValue="255", AuxiliaryImageType="disparity")


def test_metadata_of_a_rotated_calibrated_file():
    """Depth stored 128x96 with irot 90 (anti-clockwise) on the primary and the depth item: the
    map reads 96 wide and 128 high, the calibration turns with it ((x, y) -> (y, 4032 - x) at
    the 4032x3024 reference), and the metadata says what was stored."""
    codes = ramp(96, 128)
    x = _calibrated_xmp("absolute")
    data = heic_file(codes, xmp=x, transforms=[hw.irot(90)],
                     aux=[(PORTRAIT_URN, np.full((64, 96), 255, np.uint8)),
                          ("urn:com:apple:photo:2020:aux:hdrgainmap", np.zeros((64, 96), np.uint8))])
    hf = isobmff.parse_heif(data)
    ids = {hf.aux_type(i): i for i in hf.items if hf.aux_type(i)}
    cap = open_bytes(data, Path("turned.heic"))
    assert cap.shape == (128, 96)
    np.testing.assert_allclose(cap.disparity, np.rot90(0.5 + 2.0 * codes / 255), rtol=1e-6)
    assert cap.rgb_size == (64, 96) and cap.rgb.shape == (96, 64, 3)
    assert cap.format == "HEIC (Apple portrait)" and cap.path == Path("turned.heic")
    assert cap.accuracy == "absolute"
    m = cap.metadata
    assert m["depth_item"] == ids[DEPTH_URN]
    assert m["depth_stored_size"] == (128, 96)
    assert m["depth_orientation"] == {"rotation": 90, "mirror": None}
    assert m["aux"] == {str(i): u for u, i in sorted(ids.items(), key=lambda kv: kv[1])}
    assert m["other_aux"] == ["HDR gain map"]  # neither the depth item nor the matte
    assert m["heif_depth_representation"]["d_min"] == 0.5 and m["heif_depth_representation"]["d_max"] == 2.5
    assert m["notes"] == []
    xmp_keys = {k.split("}")[-1] for k in m["depth_xmp"]}
    assert {"FloatMinValue", "Accuracy", "IntrinsicMatrix", "SimulatedAperture"} <= xmp_keys
    assert "RenderingParameters" not in xmp_keys
    cal = cap.calibration
    assert cal.reference_size == (3024, 4032)
    assert (cal.fx, cal.fy) == pytest.approx((3001.25, 3000.5))
    assert (cal.cx, cal.cy) == pytest.approx((1500.5, 4032 - 2010.75))
    assert cap.mattes["portrait"].shape == (96, 64)


@pytest.mark.parametrize("word, accuracy", [("relative", "relative"), ("absolute", "absolute"), ("approximate", None)])
def test_only_apples_two_accuracy_words_are_kept(word, accuracy):
    cap = open_bytes(heic_file(ramp(96, 128), xmp=_calibrated_xmp(word)))
    assert cap.accuracy == accuracy
    assert cap.calibration is not None and cap.calibration.reference_size == (4032, 3024)


def test_without_xmp_or_sei_metadata_is_none():
    cap = open_bytes(heic_file(ramp(), xmp=XMP_A, sei=None))
    assert cap.metadata["heif_depth_representation"] is None
    assert (cap.encoding.float_min, cap.encoding.float_max) == (0.75, 2.25)
    assert cap.calibration is None and cap.accuracy is None


def test_messages_without_a_path_say_heic_data():
    with pytest.raises(UnreadableFileError) as err:
        open_bytes(heic_file(ramp(), sei=None))
    assert str(err.value).startswith("HEIC data: the depth image carries neither")


def test_pug_metadata_matches_the_samples_readme():
    """rear_dual_pug.heic: depth item 54 (768x576, no rotation), the HDR gain map item 52."""
    from conftest import shared_sample

    cap = open_bytes(shared_sample("iphone/rear_dual_pug.heic").read_bytes(), Path("pug.heic"))
    m = cap.metadata
    assert m["depth_item"] == 54 and m["depth_stored_size"] == (768, 576)
    assert m["depth_orientation"] == {"rotation": 0, "mirror": None}
    assert m["aux"] == {"52": "urn:com:apple:photo:2020:aux:hdrgainmap", "54": DEPTH_URN}
    assert m["notes"] == []
    assert m["depth_xmp"]["{%s}FloatMinValue" % APDI_NS] == "1.498047"


# =============================================================================================
# depth coded as JPEG: named by its frame marker (ITU T.81) before anything is decoded
# =============================================================================================


def _seg(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def _sof(marker: int, bits: int = 16) -> bytes:
    return _seg(marker, bytes([bits]) + (48).to_bytes(2, "big") + (64).to_bytes(2, "big") + b"\x01\x01\x11\x00")


SOS_EOI = _seg(0xDA, b"\x01\x01\x00\x01\x00\x00") + b"\x00" * 8 + b"\xff\xd9"


def _jpeg_depth_file(blob: bytes, item_type: str = "jpeg") -> bytes:
    b = hw.HeifBuilder()
    pid = _grey_primary(b)
    did = b.add_item(item_type, blob, [(hw.ispe(64, 48), False), (hw.auxC(DEPTH_URN, hw.depth_representation_sei(0.5, 2.5)), True)],
                     hidden=True)
    b.add_ref("auxl", did, [pid])
    return b.to_bytes()


def _refusal(blob: bytes, item_type: str = "jpeg") -> str:
    data = _jpeg_depth_file(blob, item_type)
    depth_id = next(i for i in isobmff.parse_heif(data).items if isobmff.parse_heif(data).aux_type(i) == DEPTH_URN)
    with pytest.raises(UnsupportedFormatError) as err:
        open_bytes(data, Path("new.heic"))
    return str(err.value).replace(f"(item {depth_id})", "(item N)")


LOSSLESS = "new.heic: the depth map (item N) is compressed as lossless JPEG ({}), which libheif cannot decode; depthlab cannot read this photo's depth yet"
PLAIN_JPEG = ("new.heic: the depth map (item N) is compressed as JPEG inside the HEIF file, which the libheif that pillow-heif "
              "ships cannot decode (it has no JPEG plugin); depthlab cannot read this photo's depth yet")


@pytest.mark.parametrize("marker, name", [(0xC3, "SOF3"), (0xC7, "SOF7"), (0xCB, "SOF11"), (0xCF, "SOF15")])
def test_lossless_jpeg_processes_are_named_with_their_precision(marker, name):
    blob = b"\xff\xd8" + _sof(marker, bits=12) + SOS_EOI
    assert _refusal(blob) == LOSSLESS.format(f"{name}, 12-bit")


def test_tables_before_the_frame_header_are_not_the_frame():
    """DHT (C4), JPG (C8) and DAC (CC) share the C0..CF range with the SOF markers but are no frame."""
    blob = b"\xff\xd8" + _seg(0xC4, b"\x00" + b"\x00" * 16) + _seg(0xC8, b"\x00") + _seg(0xCC, b"\x00\x11") + _sof(0xC3) + SOS_EOI
    assert _refusal(blob) == LOSSLESS.format("SOF3, 16-bit")


def test_other_jpeg_depth_is_named_as_jpeg():
    assert _refusal(b"\xff\xd8" + _sof(0xC0, bits=8) + SOS_EOI) == PLAIN_JPEG  # baseline
    assert _refusal(b"\xff\xd8" + _sof(0xC1, bits=12) + SOS_EOI) == PLAIN_JPEG  # extended, Huffman
    assert _refusal(b"not a jpeg at all") == PLAIN_JPEG  # unreadable segments: still JPEG by item type
    assert _refusal(b"\xff\xd8" + _seg(0xC3, b"") + SOS_EOI) == LOSSLESS.format("SOF3, ?-bit")  # empty frame header


def test_markers_outside_the_frame_range_are_not_the_frame():
    # no frame header at all before the scan: JPEG, coding unknown
    assert _refusal(b"\xff\xd8" + SOS_EOI) == PLAIN_JPEG
    # a stray restart marker (D0, standalone) before the frame header is not a frame
    assert _refusal(b"\xff\xd8\xff\xd0" + _sof(0xC3, bits=8) + SOS_EOI) == LOSSLESS.format("SOF3, 8-bit")


def test_other_item_types_are_named():
    assert _refusal(b"\x00" * 32, "av01") == ("new.heic: the depth map (item N) is a 'av01' item, a compression libheif as "
                                                "shipped with pillow-heif cannot decode (it decodes HEVC); depthlab cannot "
                                                "read this photo's depth yet")


# =============================================================================================
# odds and ends of read_heic
# =============================================================================================


def test_a_missing_pillow_heif_is_named_for_reading_heic(monkeypatch):
    import sys

    from depthlab.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "pillow_heif", None)  # import pillow_heif raises ImportError
    with pytest.raises(MissingDependencyError) as err:
        heic._open_pillow_heif(b"", "x.heic")
    assert "for reading HEIC files" in str(err.value) and "pillow-heif" in str(err.value)


def test_a_depth_image_declaring_a_huge_size_is_refused_before_decoding():
    data = heic_file(ramp(), xmp=XMP_A)
    ispe = hw.ispe(64, 64)
    assert data.count(ispe) == 1  # the depth item's alone (the primary is 96x64)
    with pytest.raises(UnreadableFileError) as err:
        open_bytes(data.replace(ispe, hw.ispe(5000, 4000)), Path("huge.heic"))
    assert str(err.value) == "huge.heic: the depth image declares 5000x4000 pixels, which is not a plausible size; the file is damaged"


def test_only_auxl_references_make_auxiliary_images():
    """An item carrying the depth auxC but linked to the primary as a thumbnail ('thmb') is no
    auxiliary image of it: the photo holds no depth map."""
    b = hw.HeifBuilder()
    _ramp_depth(b, _grey_primary(b, 96, 64), ref="thmb")
    with pytest.raises(NoDepthError) as err:
        open_bytes(b.to_bytes(), Path("thumb.heic"))
    assert str(err.value) == f"thumb.heic holds no depth map (a 96x64 photo). {heic.EDITED_HINT}"


def test_a_depth_image_must_decode_to_a_2d_map(monkeypatch):
    """libheif refuses colour-coded depth items itself ("Unsupported color conversion"); should a
    decoder hand one over, the reader refuses a map that is not 2-D, and reads a 1x1 one."""
    data = heic_file(ramp(), xmp=XMP_A)
    monkeypatch.setattr(heic, "_depth_image", lambda ph, depth_id, name: FakeImage(np.zeros((2, 3, 3), np.uint8)))
    with pytest.raises(UnreadableFileError) as err:
        open_bytes(data, Path("colour.heic"))
    assert str(err.value) == "colour.heic: the depth image decoded to shape (2, 3, 3), expected a 2-D map"
    monkeypatch.setattr(heic, "_depth_image", lambda ph, depth_id, name: FakeImage(np.full((1, 1), 255, np.uint8)))
    cap = open_bytes(data, Path("dot.heic"))
    assert cap.shape == (1, 1) and cap.disparity[0, 0] == pytest.approx(2.25)


def test_a_jpeg_depth_item_is_read_up_to_64_mib():
    """A real lossless-JPEG depth map is some hundred kilobytes: it is named by its coding; a
    depth item past 64 MiB is refused as damaged, naming the file."""
    blob = b"\xff\xd8" + _sof(0xC3) + SOS_EOI
    assert _refusal(blob + b"\x00" * 300_000) == LOSSLESS.format("SOF3, 16-bit")
    data = _jpeg_depth_file(blob + b"\x00" * (64 * 2**20 + 1 - len(blob)))
    depth_id = next(i for i, it in isobmff.parse_heif(data).items.items() if it.type == "jpeg")
    with pytest.raises(UnreadableFileError) as err:
        open_bytes(data, Path("big.heic"))
    assert str(err.value) == f"big.heic: the depth map: item {depth_id} is larger than the 67,108,864 bytes allowed for it"


class _NoSize:
    """A pillow-heif file whose primary's size cannot be read (everything else passes through)."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    @property
    def size(self):
        raise RuntimeError("no size")


def test_a_primary_of_unknown_size_leaves_the_depth_readable(monkeypatch):
    real_open = heic._open_pillow_heif
    monkeypatch.setattr(heic, "_open_pillow_heif", lambda data, what: _NoSize(real_open(data, what)))
    cap = open_bytes(heic_file(ramp(), xmp=XMP_A))
    assert cap.rgb_size is None and cap.shape == (64, 64)
    with pytest.raises(NoDepthError) as err:
        open_bytes(heic_file(None), Path("plain.heic"))
    assert str(err.value) == f"plain.heic holds no depth map (a photo). {heic.EDITED_HINT}"
