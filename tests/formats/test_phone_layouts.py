"""Today's phone layouts beyond the classic ones: iOS 17/18 HEIC (aux images referenced from the
primary and a ``tmap`` item, depth with more than 8 bits, depth as lossless JPEG) and Samsung
Live Focus JPEGs (depth in the SEF trailer: detected, not read).

The HEIC files are made with the project's HEIF writer (:mod:`depthlab.synth.heic_layouts`);
expectations come from the capture that was written.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_sample
from depthlab.errors import NoDepthError, UnreadableFileError, UnsupportedFormatError
from depthlab.formats import isobmff
from depthlab.reader import open_bytes
from depthlab.synth import render_front_truedepth
from depthlab.synth.heic_layouts import layout_heic_bytes


@pytest.fixture(scope="module")
def cap():
    return render_front_truedepth(depth_size=(120, 160), colour_size=(240, 320))


def test_tmap_layout_references_aux_items_from_primary_and_tmap(cap):
    data = layout_heic_bytes(cap, tmap=True)
    hf = isobmff.parse_heif(data)
    tmap = [i for i in hf.items.values() if i.type == "tmap"]
    assert len(tmap) == 1
    depth_ref = next(r for r in hf.refs if r.type == "auxl" and hf.aux_type(r.from_id) == "urn:mpeg:hevc:2015:auxid:2")
    assert depth_ref.to_ids == (hf.primary_id, tmap[0].id)  # as the iOS 18 sample does for its mattes
    c = open_bytes(data, Path("ios18.heic"))
    assert np.array_equal(c.disparity, cap.disparity, equal_nan=True)  # lossless 8-bit: exact
    assert c.calibration is not None and c.calibration.fx == pytest.approx(cap.calibration.fx)
    assert "HDR gain map" in c.metadata["other_aux"]


def test_real_ios18_file_lists_its_mattes_through_both_owners():
    p = shared_sample("iphone/ios18_mattes_no_depth.heic")
    with pytest.raises(NoDepthError, match="mattes: .*portrait"):
        open_bytes(p.read_bytes(), p)


def test_sixteen_bit_depth_item_is_decoded(cap):
    data = layout_heic_bytes(cap, tmap=True, depth_bits=16)
    hf = isobmff.parse_heif(data)
    depth_id = next(i for i in hf.items if hf.aux_type(i) == "urn:mpeg:hevc:2015:auxid:2")
    assert hf.property(depth_id, "pixi").payload[-1] == 10  # more than 8 bits stored
    c = open_bytes(data)
    assert c.encoding.bits == 16 and c.encoding.int_max == 65535
    # 10-bit HEVC of codes*257: within one 10-bit step of the written disparity
    step10 = (cap.float_max - cap.float_min) / 1023
    ok = np.isfinite(cap.disparity)
    assert np.nanmax(np.abs(c.disparity[ok] - cap.disparity[ok])) <= step10
    assert c.encoding.format.startswith("L016")


@pytest.mark.parametrize("tmap", [False, True])
def test_lossless_jpeg_depth_is_unsupported_naming_the_compression(cap, tmap):
    data = layout_heic_bytes(cap, tmap=tmap, depth_codec="lossless-jpeg")
    with pytest.raises(UnsupportedFormatError, match=r"compressed as lossless JPEG \(SOF3, 8-bit\), which libheif cannot decode"):
        open_bytes(data, Path("x.heic"))


def test_other_depth_codings_are_named_too(cap):
    from depthlab.formats.heic import refuse_undecodable_depth

    data = layout_heic_bytes(cap, tmap=False)
    hf = isobmff.parse_heif(data)
    depth_id = next(i for i in hf.items if hf.aux_type(i) == "urn:mpeg:hevc:2015:auxid:2")
    refuse_undecodable_depth(hf, depth_id, "x")  # HEVC: fine
    from dataclasses import replace

    hf.items[depth_id] = replace(hf.items[depth_id], type="av01")
    with pytest.raises(UnsupportedFormatError, match="'av01' item"):
        refuse_undecodable_depth(hf, depth_id, "x")


# --------------------------------------------------------------------------------------------
# Samsung Live Focus: the SEF trailer
# --------------------------------------------------------------------------------------------


def sef_trailer(blocks: list[tuple[int, str, bytes]]) -> bytes:
    """A Samsung SEF trailer: data blocks (2 zero bytes, 2-byte type, 4-byte name length, name,
    payload), then the directory ``SEFH`` + version + count + per block (2 zero bytes, type,
    offset back from the directory, length), then the directory size and ``SEFT``."""
    out, entries = b"", []
    for typ, name, payload in blocks:
        block = struct.pack("<HHI", 0, typ, len(name)) + name.encode() + payload
        entries.append((typ, len(out), len(block)))
        out += block
    n = len(out)
    directory = b"SEFH" + struct.pack("<II", 107, len(blocks))
    directory += b"".join(struct.pack("<HHII", 0, t, n - off, ln) for t, off, ln in entries)
    return out + directory + struct.pack("<I", len(directory)) + b"SEFT"


def _plain_jpeg() -> bytes:
    from depthlab.synth.jpeg import encode_jpeg

    return encode_jpeg(np.full((48, 64, 3), 90, np.uint8))


def test_samsung_live_focus_is_detected_and_named_as_not_read():
    data = _plain_jpeg() + sef_trailer([(0x0A01, "DualShot_Meta_Info", b"\x00" * 64),
                                        (0x0A30, "DualShot_DepthMap_1", b"\x80" * 3000),
                                        (0x0A41, "DualShot_Extra_Info", b"\x01" * 16)])
    with pytest.raises(UnsupportedFormatError) as exc:
        open_bytes(data, Path("live_focus.jpg"))
    msg = str(exc.value)
    assert "Samsung Live Focus" in msg and "DualShot_DepthMap_1" in msg and "not read that trailer yet" in msg


def test_samsung_trailer_without_depth_is_no_depth():
    data = _plain_jpeg() + sef_trailer([(0x0001, "Image_UTC_Data", b"1234567890")])
    with pytest.raises(NoDepthError):
        open_bytes(data)


def test_broken_sef_trailers_are_not_mistaken():
    base = _plain_jpeg()
    good = sef_trailer([(0x0A30, "DualShot_DepthMap_1", b"\x80" * 100)])
    for bad in (good[:-8] + struct.pack("<I", 10**9) + b"SEFT",  # directory size past the start
                good.replace(b"SEFH", b"XXXX"),  # no directory header
                b"DualShot_DepthMap_1" + b"SEFT"):  # too short to be a trailer
        with pytest.raises((NoDepthError, UnreadableFileError)) as exc:
            open_bytes(base + bad)
        assert not isinstance(exc.value, UnsupportedFormatError)
