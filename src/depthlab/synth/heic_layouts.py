"""Today's iPhone HEIC layouts (iOS 17/18), made with the project's HEIF writer for the reader's tests.

What changed since the layout :mod:`depthlab.synth.heic` writes (facts from the iOS 18 sample in
``../shared/samples``, ``ios18_mattes_no_depth.heic``):

* a ``tmap`` item (ISO 21496-1 tone-mapped image: the primary plus the HDR gain map, ``dimg`` to
  both) sits beside the primary, and every auxiliary image -- depth, mattes -- is referenced from
  both: one ``auxl`` reference from the aux item to ``(primary, tmap)``;
* depth items may carry more than 8 bits (``pixi`` 10/12 here: x265 codes at most 12 bits; libheif
  hands such images over as 16-bit values);
* some files carry depth coded as lossless JPEG (ITU T.81 process 14, ``SOF3``) in a ``jpeg`` item,
  which libheif cannot decode.

:func:`layout_heic_bytes` writes a small capture in one of these layouts: a single-image primary
(no grid), the depth item with Apple's XMP, optionally the ``tmap`` item with a gain map.
"""

from __future__ import annotations

import struct

import numpy as np

from ..errors import InvalidInputError
from . import heif_writer as hw
from .heic import DEPTH_URN, depth_xmp, encode_hevc, exif_item, primary_xmp
from .render import SynthCapture

GAIN_MAP_URN = "urn:com:apple:photo:2020:aux:hdrgainmap"
#: ``apdi:StoredFormat`` written for 16-bit depth: the fourcc 'L016', by analogy with Apple's
#: 'L008' (what an iPhone writes for 16-bit depth is not known here; readers only show it)
L016 = int.from_bytes(b"L016", "big")


def tone_map_descriptor(headroom: float = 1.0) -> bytes:
    """A ``tmap`` item's payload (ISO 21496-1 gain map metadata, single channel): version 0,
    minimum and writer version 0, flags 0x40 (use the base colour space), then unsigned/signed
    32-bit fractions: base and alternate HDR headroom, gain map min and max, gamma, base and
    alternate offsets."""
    num = int(round(headroom * 1_000_000))
    fr = [(0, 1_000_000), (num, 1_000_000), (0, 1_000_000), (num, 1_000_000), (1, 1), (1, 64), (1, 64)]
    return struct.pack(">BHHB", 0, 0, 0, 0x40) + b"".join(struct.pack(">iI", n, d) for n, d in fr)


def lossless_jpeg_stub(width: int, height: int, bits: int = 16) -> bytes:
    """The header of a lossless JPEG (``SOF3``, one component, ``bits`` precision): enough for a
    reader to recognise the coding before it tries to decode (the entropy-coded data is a token)."""
    sof3 = struct.pack(">BHHB", bits, height, width, 1) + bytes([1, 0x11, 0])
    dht = bytes([0x00]) + bytes([0, 1] + [0] * 14) + bytes([0])  # one code for difference category 0
    sos = bytes([1, 1, 0x00, 1, 0, 0])  # predictor 1, no point transform
    seg = lambda m, p: bytes([0xFF, m]) + struct.pack(">H", len(p) + 2) + p  # noqa: E731
    return b"\xff\xd8" + seg(0xC3, sof3) + seg(0xC4, dht) + seg(0xDA, sos) + b"\x00" * 16 + b"\xff\xd9"


def layout_heic_bytes(cap: SynthCapture, *, tmap: bool = True, depth_bits: int = 8,
                      depth_codec: str = "hevc", quality: int = 60) -> bytes:
    """``cap`` (upright) as an iOS 17/18-style HEIC (see the module docstring).

    ``depth_bits`` 8 stores ``cap.depth_codes`` exactly (lossless 4:0:0); 16 stores them scaled to
    0..65535 (``v * 257``) through a 10-bit HEVC item and writes ``apdi:IntMaxValue`` 65535;
    ``depth_codec`` "lossless-jpeg" stores the depth as a ``jpeg`` item holding a lossless-JPEG
    header instead.
    """
    if depth_bits not in (8, 16):
        raise InvalidInputError(f"depth_bits must be 8 or 16, got {depth_bits}")
    if depth_codec not in ("hevc", "lossless-jpeg"):
        raise InvalidInputError(f"depth_codec must be 'hevc' or 'lossless-jpeg', got {depth_codec!r}")
    if cap.depth_codes.dtype != np.uint8 or cap.depth_codes.ndim != 2:
        raise InvalidInputError(f"depth_codes must be uint8 (H, W), got {cap.depth_codes.dtype} {cap.depth_codes.shape}")
    b = hw.HeifBuilder(compatible_brands=("mif1", "heic", "heix", "miaf") + (("tmap",) if tmap else ()))
    colr = hw.colr_nclx()
    rgb = cap.rgb
    h, w = rgb.shape[:2]
    cfg, data = encode_hevc(rgb, lossless=False, quality=quality)
    primary = b.add_item("hvc1", data, [(hw.hvcC(cfg), True), (colr, True), (hw.ispe(w, h), False), (hw.pixi(8, 8, 8), False)])
    b.set_primary(primary)
    owners = [primary]
    if tmap:
        gain = np.ascontiguousarray(cap.matte_codes[::2, ::2]) if min(cap.matte_codes.shape) >= 128 else cap.matte_codes
        gcfg, gdata = encode_hevc(gain, lossless=True)
        gid = b.add_item("hvc1", gdata, [(hw.hvcC(gcfg), True), (hw.ispe(gain.shape[1], gain.shape[0]), False),
                                         (hw.pixi(8), False), (hw.auxC(GAIN_MAP_URN), True)], hidden=True)
        b.add_ref("auxl", gid, [primary])
        tid = b.add_item("tmap", tone_map_descriptor(), [(colr, True), (hw.ispe(w, h), False), (hw.pixi(8, 8, 8), False)])
        b.add_ref("dimg", tid, [primary, gid])
        owners.append(tid)
    exif = b.add_item("Exif", exif_item(cap, _upright(), (w, h)), hidden=True)
    b.add_ref("cdsc", exif, owners)
    pxmp = b.add_item("mime", primary_xmp(cap), content_type="application/rdf+xml", hidden=True)
    b.add_ref("cdsc", pxmp, owners)

    codes = cap.depth_codes
    dh, dw = codes.shape
    xmp = depth_xmp(cap, cap.calibration)
    sei = hw.depth_representation_sei(cap.float_min, cap.float_max, representation_type=1)
    if depth_codec == "lossless-jpeg":
        did = b.add_item("jpeg", lossless_jpeg_stub(dw, dh, depth_bits),
                         [(hw.ispe(dw, dh), False), (hw.pixi(depth_bits), False), (hw.auxC(DEPTH_URN, sei), True)], hidden=True)
    elif depth_bits == 16:
        import pillow_heif

        wide = codes.astype(np.uint16) * np.uint16(257)
        old = pillow_heif.options.SAVE_HDR_TO_12_BIT
        try:
            pillow_heif.options.SAVE_HDR_TO_12_BIT = False  # 10 bits: 4x the 8-bit resolution
            dcfg, ddata = _encode_wide(wide)
        finally:
            pillow_heif.options.SAVE_HDR_TO_12_BIT = old
        did = b.add_item("hvc1", ddata, [(hw.hvcC(dcfg), True), (hw.ispe(dw, dh), False), (hw.pixi(10), False),
                                         (hw.auxC(DEPTH_URN, sei), True)], hidden=True)
        xmp = xmp.replace(b"<apdi:IntMaxValue>255</apdi:IntMaxValue>", b"<apdi:IntMaxValue>65535</apdi:IntMaxValue>")
        xmp = xmp.replace(b"<apdi:StoredFormat>1278226488</apdi:StoredFormat>", b"<apdi:StoredFormat>%d</apdi:StoredFormat>" % L016)
    else:
        dcfg, ddata = encode_hevc(codes, lossless=True)
        did = b.add_item("hvc1", ddata, [(hw.hvcC(dcfg), True), (hw.ispe(dw, dh), False), (hw.pixi(8), False),
                                         (hw.auxC(DEPTH_URN, sei), True)], hidden=True)
    b.add_ref("auxl", did, owners)
    dx = b.add_item("mime", xmp, content_type="application/rdf+xml", hidden=True)
    b.add_ref("cdsc", dx, [did])
    return b.to_bytes()


def _upright():
    from ..capture import Orientation

    return Orientation()


def _encode_wide(pixels: np.ndarray) -> tuple[bytes, bytes]:
    """HEVC-code uint16 grey ``pixels`` (values over the full 16-bit range) through pillow-heif
    (x265 keeps the top 10 or 12 bits); returns (hvcC record, item data)."""
    import io

    import pillow_heif

    from ..formats import isobmff

    buf = io.BytesIO()
    a = np.ascontiguousarray(pixels, dtype=np.uint16)
    pillow_heif.encode("I;16", (a.shape[1], a.shape[0]), a.tobytes(), buf, quality=-1)
    hf = isobmff.parse_heif(buf.getvalue())
    cfg = hf.property(hf.primary_id, "hvcC")
    return cfg.payload, hf.item_data(hf.primary_id)


__all__ = ["layout_heic_bytes", "tone_map_descriptor", "lossless_jpeg_stub"]
