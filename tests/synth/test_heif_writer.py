"""The bounded HEIF writer: boxes, the depth representation SEI, item layout read back by our
reader and by libheif (pillow-heif)."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from depthlab.errors import InvalidInputError
from depthlab.synth import heif_writer as hw
from depthlab.formats import isobmff

pillow_heif = pytest.importorskip("pillow_heif")

# Apple's own bytes after "urn:mpeg:hevc:2015:auxid:2\0" in rear_dual_pug.heic
APPLE_PUG_SEI = bytes.fromhex("000000110000000d4e01b109351f7bfc010bc62020")


def test_boxes_have_exact_sizes():
    assert hw.box("free", b"abc") == b"\x00\x00\x00\x0bfreeabc"
    assert hw.full_box("pitm", 0, 0, b"\x00\x07") == b"\x00\x00\x00\x0epitm\x00\x00\x00\x00\x00\x07"
    assert hw.ispe(768, 576)[12:] == struct.pack(">II", 768, 576)
    assert hw.irot(270) == b"\x00\x00\x00\x09irot\x03"
    assert hw.imir(1)[-1] == 1
    assert hw.pixi(8, 8, 8)[12:] == bytes([3, 8, 8, 8])
    assert hw.auxC("urn:x", b"\x01")[12:] == b"urn:x\x00\x01"


@pytest.mark.parametrize("bad", [lambda: hw.irot(45), lambda: hw.imir(2), lambda: hw.ispe(0, 5),
                                 lambda: hw.box("toolong", b""), lambda: hw.pixi(), lambda: hw.auxC("a\x00b"),
                                 lambda: hw.hvcC(b"\x00" * 30), lambda: hw.grid_descriptor(0, 1, 10, 10)])
def test_property_helpers_refuse_what_they_cannot_store(bad):
    with pytest.raises(InvalidInputError):
        bad()


def test_apple_sei_parses_to_the_documented_range():
    got = hw.parse_depth_representation_sei(APPLE_PUG_SEI)
    assert got == {"representation_type": 1, "disparity_reference_view": 0, "d_min": 1.498046875, "d_max": 4.3828125}


@pytest.mark.parametrize("lo,hi", [(0.0, 3.0), (1.498046875, 4.3828125), (0.264892578125, 0.61328125),
                                   (float(np.float32(0.1)), float(np.float32(2.7182817)))])
def test_sei_round_trips_float32_values_exactly(lo, hi):
    sei = hw.depth_representation_sei(lo, hi)
    got = hw.parse_depth_representation_sei(sei)
    assert got["d_min"] == lo and got["d_max"] == hi and got["representation_type"] == 1
    # libheif reads it without emulation-prevention handling: no start-code-like byte runs
    nal = sei[8:]
    assert not any(nal[i] == 0 and nal[i + 1] == 0 and nal[i + 2] <= 3 for i in range(len(nal) - 2))


def test_sei_refuses_values_it_cannot_store():
    with pytest.raises(InvalidInputError):
        hw.depth_representation_sei(float("nan"), 1.0)
    with pytest.raises(InvalidInputError):
        hw.depth_representation_sei(0.1, 1.0 + 2.0**-40)  # needs more than 32 mantissa bits
    with pytest.raises(InvalidInputError):
        hw.depth_representation_sei(0.1, 1.0, representation_type=7)


def _coded(a: np.ndarray) -> tuple[bytes, bytes]:
    from depthlab.synth import encode_hevc

    return encode_hevc(a, lossless=True)


@pytest.fixture(scope="module")
def small_file() -> tuple[bytes, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    img = (np.arange(64 * 96).reshape(64, 96) % 256).astype(np.uint8)
    aux = rng.integers(0, 256, (64, 80), dtype=np.uint8)
    b = hw.HeifBuilder()
    cfg, data = _coded(img)
    pid = b.add_item("hvc1", data, [(hw.hvcC(cfg), True), (hw.ispe(96, 64), False), (hw.irot(0), True), (hw.pixi(8), False)])
    cfg2, data2 = _coded(aux)
    sei = hw.depth_representation_sei(0.5, 2.25)
    aid = b.add_item("hvc1", data2, [(hw.hvcC(cfg2), True), (hw.ispe(80, 64), False), (hw.irot(0), True),
                                     (hw.pixi(8), False), (hw.auxC("urn:mpeg:hevc:2015:auxid:2", sei), True)], hidden=True)
    b.add_ref("auxl", aid, [pid])
    xid = b.add_item("mime", b"<x:xmpmeta/>", content_type="application/rdf+xml", hidden=True)
    b.add_ref("cdsc", xid, [aid])
    gid = b.add_item("Exif", b"\x00\x00\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00", hidden=True, in_idat=True)
    b.add_ref("cdsc", gid, [pid])
    b.set_primary(pid)
    return b.to_bytes(), img, aux


def test_layout_reads_back_with_our_reader(small_file):
    data, _, _ = small_file
    assert [bx.type for bx in isobmff.iter_boxes(data)] == ["ftyp", "meta", "mdat"]
    hf = isobmff.parse_heif(data)
    assert hf.primary_id == 1
    assert {i: it.type for i, it in hf.items.items()} == {1: "hvc1", 2: "hvc1", 3: "mime", 4: "Exif"}
    assert hf.items[2].hidden and not hf.items[1].hidden
    assert hf.items[3].content_type == "application/rdf+xml"
    assert sorted((r.type, r.from_id, r.to_ids) for r in hf.refs) == [("auxl", 2, (1,)), ("cdsc", 3, (2,)), ("cdsc", 4, (1,))]
    assert hf.item_data(3) == b"<x:xmpmeta/>"
    assert hf.item_data(4).startswith(b"\x00\x00\x00\x00MM")
    assert hf.image_size(2) == (80, 64)
    assert hf.aux_type(2) == "urn:mpeg:hevc:2015:auxid:2"
    # identical properties (irot, pixi) are stored once and shared
    assert [p.type for p in hf.property_boxes].count("irot") == 1
    assert [p.type for p in hf.property_boxes].count("pixi") == 1
    assert [(p.type, p.essential) for p in hf.properties(1)] == [("hvcC", True), ("ispe", False), ("irot", True), ("pixi", False)]


def test_layout_decodes_in_libheif(small_file):
    data, img, aux = small_file
    f = pillow_heif.open_heif(io.BytesIO(data))
    assert f.size == (96, 64)
    assert np.array_equal(np.asarray(f), img)
    depth = f.info["depth_images"][0]
    assert np.array_equal(np.asarray(depth), aux)
    meta = depth.info["metadata"]
    assert (meta["d_min"], meta["d_max"], meta["representation_type"]) == (0.5, 2.25, 1)


def test_grid_primary_is_cropped_to_its_output_size():
    tile = (np.arange(64 * 64).reshape(64, 64) % 199).astype(np.uint8)
    b = hw.HeifBuilder()
    cfg, data = _coded(tile)
    tiles = [b.add_item("hvc1", data, [(hw.hvcC(cfg), True), (hw.ispe(64, 64), False)], hidden=True) for _ in range(4)]
    g = b.add_item("grid", hw.grid_descriptor(2, 2, 100, 90), [(hw.ispe(100, 90), False)], in_idat=True)
    b.add_ref("dimg", g, tiles)
    b.set_primary(g)
    f = pillow_heif.open_heif(io.BytesIO(b.to_bytes()))
    arr = np.asarray(f)
    assert f.size == (100, 90)
    assert np.array_equal(arr[:64, :64], tile) and np.array_equal(arr[64:, 64:], tile[:26, :36])


def test_builder_refuses_inconsistent_structure():
    b = hw.HeifBuilder()
    with pytest.raises(InvalidInputError):
        b.to_bytes()  # no primary
    i = b.add_item("mime", b"x", content_type="text/plain")
    with pytest.raises(InvalidInputError):
        b.add_ref("cdsc", i, [99])
    with pytest.raises(InvalidInputError):
        b.set_primary(42)
    with pytest.raises(InvalidInputError):
        b.add_item("mime", b"x")  # mime without content type
    with pytest.raises(InvalidInputError):
        b.add_property(b"\x00\x00\x00\x20abcd")  # size does not match
    e = b.add_item("Exif", b"")
    b.set_primary(e)
    with pytest.raises(InvalidInputError):
        b.to_bytes()  # empty item
