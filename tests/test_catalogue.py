"""A catalogue of named bad inputs, each with the exact message a user gets.

Each entry builds its bad file from a real sample (../shared/samples) the way it happens in
life -- an edited copy, a file from a newer iOS, a damaged number -- and pins the message.  The
messages are part of the interface: when one changes, change it here on purpose.

Where a message embeds libheif's own words (pillow-heif 1.8.1 / libheif 1.23.6 here), the
test pins depthlab's frame around them and checks the gist of libheif's part.

Part 4 of issue 7 is at the end: ``depthlab info`` and ``depthlab export`` on a folder of good
and bad files.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import depthlab
from depthlab.synth import heif_writer as hw
from depthlab.formats import isobmff
from depthlab.formats.heic import EDITED_HINT
from depthlab.formats.makers import ANY_ADVICE
from conftest import shared_sample

PUG = "iphone/rear_dual_pug.heic"
FRONT = "iphone/front_truedepth_mattes.heic"
IOS18 = "iphone/ios18_mattes_no_depth.heic"
PORTRAIT_JPG = "iphone/rear_dual_portrait.jpg"
KNOWS = ("depthlab reads depth photos: Apple portrait HEIC (rear dual and front TrueDepth), Apple spatial (stereo) HEIC, "
         "Apple portrait JPEG (MPF), Android Dynamic Depth JPEG (Pixel portraits), Google Lens Blur (GDepth) JPEG and "
         "Intel RealSense XDM 1.0 JPEG")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _message(path: Path, error=depthlab.DepthlabError) -> str:
    with pytest.raises(error) as err:
        depthlab.open(path)
    return str(err.value)


def _same_length_replace(data: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    """Replace ``old`` by ``new`` (padded to the same length) so no offset moves."""
    assert data.count(old) == count, (old, data.count(old))
    assert len(new) <= len(old)
    return data.replace(old, new.ljust(len(old)))


# --- HEIF surgery: rebuild a file item by item (depthlab's own bounded writer) ---------------


def relayout(data: bytes, drop=(), extra=None) -> bytes:
    """The same HEIF laid out again by :class:`HeifBuilder`: every item, property and reference
    except the items in ``drop``; ``extra(builder, idmap, heif)`` may add items."""
    hf = isobmff.parse_heif(data)
    b = hw.HeifBuilder()
    idmap = {}
    for iid in sorted(hf.items):
        if iid in drop:
            continue
        it = hf.items[iid]
        props = [(p.raw, p.essential) for p in hf.properties(iid)]
        idmap[iid] = b.add_item(it.type, hf.item_data(iid), props, name=it.name, content_type=it.content_type,
                                hidden=it.hidden, in_idat=hf.locations[iid][0] == 1)
    for r in hf.refs:
        if r.from_id in idmap and all(t in idmap for t in r.to_ids):
            b.add_ref(r.type, idmap[r.from_id], [idmap[t] for t in r.to_ids])
    b.set_primary(idmap[hf.primary_id])
    if extra is not None:
        extra(b, idmap, hf)
    return b.to_bytes()


def transplant(data: bytes, item_id: int, urn: str | None = None) -> tuple[bytes, list]:
    """An image item's coded data and properties from another file, its auxC URN replaced."""
    hf = isobmff.parse_heif(data)
    props = []
    for p in hf.properties(item_id):
        raw = hw.auxC(urn, hf.aux_subtype(item_id)) if p.type == "auxC" and urn is not None else p.raw
        props.append((raw, p.essential))
    return hf.item_data(item_id), props


def aux_ids(data: bytes) -> dict[str, int]:
    hf = isobmff.parse_heif(data)
    return {hf.aux_type(i): i for i in hf.items if hf.aux_type(i)}


def add_aux(b, idmap, hf, data: bytes, props: list) -> int:
    new = b.add_item("hvc1", data, props, hidden=True)
    b.add_ref("auxl", new, [idmap[hf.primary_id]])
    return new


LINEAR_THUMBNAIL_10BIT = 63  # item id in the iOS 18 sample: 1024x768, 10-bit, irot 270


# =============================================================================================
# not an image
# =============================================================================================


@pytest.mark.parametrize("name, content, what", [
    ("notes.heic", b"shopping list: milk, eggs\n", "not an image depthlab knows"),
    ("scan.jpg", b"GIF89a" + b"\x00" * 64, "a GIF image"),
    ("page.heic", b"II*\x00" + b"\x00" * 64, "a TIFF image"),
    ("sticker.jpg", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 64, "a WebP image"),
    ("clip.heic", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64,
     "an ISO media file (video?) that is not HEIF"),
    ("icon.heic", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "a PNG image"),
])
def test_not_an_image(tmp_path, name, content, what):
    msg = _message(_write(tmp_path, name, content), depthlab.UnreadableFileError)
    assert msg == f"{name} is {what}; {KNOWS}"


def _open_in_subprocess(path: Path) -> str:
    """The message depthlab.open gives for ``path``, in a subprocess with a timeout (a pipe used
    to block open() forever; a regression must fail the test, not hang the suite)."""
    code = ("import depthlab, sys\n"
            "try:\n    depthlab.open(sys.argv[1])\nexcept depthlab.DepthlabError as e:\n    print(type(e).__name__ + ': ' + str(e))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    return proc.stdout.strip()


def test_pipes_and_devices_are_refused_without_reading(tmp_path):
    import os

    fifo = tmp_path / "photo.heic"
    os.mkfifo(fifo)
    assert _open_in_subprocess(fifo) == (
        f"UnreadableFileError: {fifo} is not a regular file (a pipe, socket or device); give a photo file")
    if Path("/dev/zero").exists():
        assert _open_in_subprocess(Path("/dev/zero")) == (
            "UnreadableFileError: /dev/zero is not a regular file (a pipe, socket or device); give a photo file")


def test_empty_and_one_byte_files(tmp_path):
    assert _message(_write(tmp_path, "empty.heic", b"")) == "empty.heic is empty"
    assert _message(_write(tmp_path, "one.jpg", b"\xff")) == f"one.jpg is not an image depthlab knows; {KNOWS}"


# =============================================================================================
# a photo without depth
# =============================================================================================


def _edited_copy(fmt: str) -> bytes:
    """What a photo editor's export does: decode, resize, encode again (depth and aux are lost)."""
    import pillow_heif

    heif = pillow_heif.open_heif(shared_sample(PUG))
    img = heif.to_pillow().resize((1008, 756))
    buf = io.BytesIO()
    if fmt == "HEIF":
        pillow_heif.from_pillow(img).save(buf, quality=50, exif=heif.info.get("exif"))
    else:
        img.save(buf, format="JPEG", quality=70)
    return buf.getvalue()


@pytest.mark.parametrize("fmt, name, kind", [("HEIF", "pug edited.heic", "photo, from Apple iPhone 13 Pro"),
                                             ("JPEG", "pug edited.jpg", "JPEG")])
def test_edited_copy_says_depth_survives_only_in_originals(tmp_path, fmt, name, kind):
    # the HEIF copy kept the EXIF (make and model named, the iPhone's advice); the JPEG copy lost
    # it, so it is told what each kind of phone needs
    msg = _message(_write(tmp_path, name, _edited_copy(fmt)), depthlab.NoDepthError)
    assert msg == f"{name} holds no depth map (a 1008x756 {kind}). {EDITED_HINT if fmt == 'HEIF' else ANY_ADVICE}"
    assert "Depth survives only in unmodified originals" in EDITED_HINT and "Pixel" in ANY_ADVICE


def test_ios18_photo_without_depth_names_its_new_aux_types():
    """iOS 18 writes tag:apple.com,2023:photo:aux:* items; the message names them in words."""
    msg = _message(shared_sample(IOS18), depthlab.NoDepthError)
    assert msg == ("ios18_mattes_no_depth.heic holds no depth map (a 4284x5712 photo, from Apple iPhone 16 Pro; mattes: skin, sky, portrait; "
                   f"other auxiliary images: HDR gain map, linear thumbnail, style delta map). {EDITED_HINT}")


def test_portrait_jpeg_whose_depth_image_was_dropped(tmp_path):
    """An Apple portrait JPEG re-saved by a tool that kept the MPF gain map but not the depth."""
    import struct

    data = bytearray(shared_sample(PORTRAIT_JPG).read_bytes())
    mpf = data.find(b"MPF\x00") + 4  # TIFF header of the MPF index (big-endian in this file)
    assert data[mpf:mpf + 2] == b"MM"
    ifd = mpf + struct.unpack_from(">I", data, mpf + 4)[0]
    for k in range(struct.unpack_from(">H", data, ifd)[0]):
        entry = ifd + 2 + 12 * k
        tag = struct.unpack_from(">H", data, entry)[0]
        if tag == 0xB001:  # NumberOfImages 3 -> 2
            struct.pack_into(">I", data, entry + 8, 2)
        elif tag == 0xB002:  # MPEntry: 3 x 16 bytes -> 2 x 16
            struct.pack_into(">I", data, entry + 4, 32)
    depth_start = 1_738_263  # MPF image 2, the disparity map (README facts)
    assert data[depth_start:depth_start + 3] == b"\xff\xd8\xff"
    msg = _message(_write(tmp_path, "kept gain map.jpg", bytes(data[:depth_start])), depthlab.NoDepthError)
    assert msg == ("kept gain map.jpg holds no depth map (a 4032x3024 JPEG, from Apple iPhone 12 mini, MPF images: "
                   f"HDR gain map). {EDITED_HINT}")


@pytest.mark.parametrize("sample, cut, message", [
    (PUG, 650_000, "cut.heic: box 'mdat' at offset 3934 claims 1,295,147 bytes but only 646,066 remain; the file is truncated or damaged"),
    (PUG, 2_000, "cut.heic: box 'meta' at offset 36 claims 3,898 bytes but only 1,964 remain; the file is truncated or damaged"),
    (PORTRAIT_JPG, 900_000, "cut.jpg: the MPF index: image 0 claims bytes 0..1,596,598 but the file has 900,000 bytes; "
                            "it is truncated or the index is damaged"),
    (PORTRAIT_JPG, 1_760_000, "cut.jpg: the MPF index: image 2 claims bytes 1,738,263..1,776,333 but the file has "
                              "1,760,000 bytes; it is truncated or the index is damaged"),
])
def test_truncated_download(tmp_path, sample, cut, message):
    """A download cut short: the message names the file and where it ends."""
    name = "cut" + Path(sample).suffix
    data = shared_sample(sample).read_bytes()[:cut]
    assert _message(_write(tmp_path, name, data), depthlab.UnreadableFileError) == message


# =============================================================================================
# unknown and undecodable auxiliary images must not stop the rest from loading
# =============================================================================================


def test_unknown_aux_types_do_not_stop_depth_mattes_and_colour(tmp_path):
    front = shared_sample(FRONT).read_bytes()
    ios18 = shared_sample(IOS18).read_bytes()
    portrait = aux_ids(front)["urn:com:apple:photo:2018:aux:portraiteffectsmatte"]

    def extra(b, idmap, hf):
        # iOS 18's 10-bit linear thumbnail (pillow-heif refuses 10-bit aux images) ...
        add_aux(b, idmap, hf, *transplant(ios18, LINEAR_THUMBNAIL_10BIT))
        # ... and an aux type nobody knows yet, 8-bit
        add_aux(b, idmap, hf, *transplant(front, portrait, "tag:apple.com,2026:photo:aux:futuremap"))

    p = _write(tmp_path, "future.heic", relayout(front, extra=extra))
    cap = depthlab.open(p)
    ref = depthlab.open(shared_sample(FRONT))
    assert np.array_equal(cap.disparity, ref.disparity, equal_nan=True)
    assert cap.calibration.fx == ref.calibration.fx and cap.accuracy == "absolute"
    assert cap.metadata["other_aux"] == ["HDR gain map", "linear thumbnail", "tag:apple.com,2026:photo:aux:futuremap"]
    assert sorted(cap.mattes) == ["glasses", "hair", "portrait", "skin", "teeth"]
    for name in cap.mattes:
        assert np.array_equal(cap.mattes[name], ref.mattes[name]), name
    assert cap.rgb.shape == (3088, 2316, 3)


def test_a_10bit_matte_fails_alone_with_a_clear_message(tmp_path):
    """A matte pillow-heif cannot decode (10-bit) raises when asked for; the others still load."""
    front = shared_sample(FRONT).read_bytes()
    ios18 = shared_sample(IOS18).read_bytes()
    skin = aux_ids(front)["urn:com:apple:photo:2019:aux:semanticskinmatte"]

    def extra(b, idmap, hf):
        add_aux(b, idmap, hf, *transplant(ios18, LINEAR_THUMBNAIL_10BIT, "urn:com:apple:photo:2019:aux:semanticskinmatte"))

    p = _write(tmp_path, "tenbit.heic", relayout(front, drop=(skin,), extra=extra))
    cap = depthlab.open(p)
    assert cap.shape == (640, 480) and cap.calibration is not None
    assert sorted(cap.mattes) == ["glasses", "hair", "portrait", "skin", "teeth"]
    with pytest.raises(depthlab.UnreadableFileError) as err:
        cap.mattes["skin"]
    assert str(err.value) == ("tenbit.heic: the skin matte could not be decoded by libheif "
                              "(Only 8-bit AUX images are currently supported. Got 10-bit image.)")
    for name in ("portrait", "hair", "teeth", "glasses"):
        m = cap.mattes[name]
        assert m.dtype == np.float32 and m.shape == (1544, 1158)
    assert cap.rgb.shape == (3088, 2316, 3)


# =============================================================================================
# depth without calibration
# =============================================================================================


def _pug_without_intrinsics() -> bytes:
    data = shared_sample(PUG).read_bytes()
    return _same_length_replace(data, b"depthData:IntrinsicMatrix>", b"depthData:IntrinsicMatriz>", count=2)


def test_depth_without_calibration_loads_and_estimates_from_exif(tmp_path):
    cap = depthlab.open(_write(tmp_path, "nocal.heic", _pug_without_intrinsics()))
    assert cap.calibration is None and cap.accuracy == "relative"
    assert cap.shape == (576, 768)
    cloud = depthlab.project(cap, stride=8)
    assert cloud.intrinsics_estimated  # from EXIF FocalLengthIn35mmFilm (26 mm), and it says so
    assert "estimated intrinsics" in cloud.caption()


def test_depth_without_calibration_or_exif_says_what_to_do(tmp_path):
    data = _pug_without_intrinsics()
    hf = isobmff.parse_heif(data)
    exif = tuple(i for i, it in hf.items.items() if it.type == "Exif")
    cap = depthlab.open(_write(tmp_path, "bare.heic", relayout(data, drop=exif)))
    assert cap.calibration is None and cap.camera.kind == "unknown"
    with pytest.raises(depthlab.CalibrationError) as err:
        depthlab.project(cap, stride=8)
    assert str(err.value) == (
        "model 'pinhole' needs the camera's intrinsics: this file stores no "
        "calibration and its EXIF has no focal length (no FocalLengthIn35mmFilm, no focal-plane resolution); "
        "intrinsics cannot be estimated. Give a focal length: depthlab.camera.estimate_calibration(w, h, "
        "focal_length_35mm=...) and pass it as calibration=; or use model='orthographic'")
    # the teaching model needs no intrinsics
    assert len(depthlab.project(cap, model="orthographic", stride=8).xyz) > 0


# =============================================================================================
# zero-size depth
# =============================================================================================


def test_zero_size_depth(tmp_path):
    data = shared_sample(PUG).read_bytes()
    hf = isobmff.parse_heif(data)
    depth = aux_ids(data)["urn:mpeg:hevc:2015:auxid:2"]
    ispe = hf.property(depth, "ispe").raw
    assert data.count(ispe) == 1
    bad = data.replace(ispe, ispe[:12] + b"\x00" * 8)
    msg = _message(_write(tmp_path, "flat.heic", bad), depthlab.UnreadableFileError)
    m = re.fullmatch(r"flat\.heic: libheif could not read this HEIF file \((.*)\); it is damaged or truncated", msg)
    assert m, msg
    assert "Zero image width or height" in m.group(1)


# =============================================================================================
# decompression bombs: small files declaring huge images
# =============================================================================================


def test_grid_repeating_one_tile_is_refused_before_decoding(tmp_path):
    """A 1.3 MB HEIC whose primary grid lists one 512x512 tile 31x31 times (libheif allows up to
    1000 references) declares 15872x15872 pixels: 3 GB of RGB.  Depth still opens; the colour
    image is refused before anything is decoded."""
    data = shared_sample(PUG).read_bytes()
    hf = isobmff.parse_heif(data)
    tile = hf.refs_from(hf.primary_id, "dimg")[0]
    n, side = 31, 31 * 512

    b = hw.HeifBuilder()
    idmap = {}
    for iid in sorted(hf.items):
        it = hf.items[iid]
        props = [((hw.ispe(side, side) if iid == hf.primary_id and p.type == "ispe" else p.raw), p.essential)
                 for p in hf.properties(iid)]
        payload = hw.grid_descriptor(n, n, side, side) if iid == hf.primary_id else hf.item_data(iid)
        idmap[iid] = b.add_item(it.type, payload, props, name=it.name, content_type=it.content_type,
                                hidden=it.hidden, in_idat=hf.locations[iid][0] == 1)
    for r in hf.refs:
        to = (tile,) * (n * n) if (r.from_id, r.type) == (hf.primary_id, "dimg") else r.to_ids
        b.add_ref(r.type, idmap[r.from_id], [idmap[t] for t in to])
    b.set_primary(idmap[hf.primary_id])
    bomb = b.to_bytes()
    assert len(bomb) < 1.5e6
    cap = depthlab.open(_write(tmp_path, "bomb.heic", bomb))
    assert cap.shape == (576, 768) and cap.calibration is not None
    with pytest.raises(depthlab.UnreadableFileError) as err:
        cap.rgb
    assert str(err.value) == "bomb.heic: the primary image declares 15872x15872 pixels, which is not a plausible size; the file is damaged"


def test_jpeg_frame_header_claiming_a_huge_image(tmp_path):
    data = bytearray(shared_sample(PORTRAIT_JPG).read_bytes())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = (20000).to_bytes(2, "big") * 2
    cap = depthlab.open(_write(tmp_path, "bomb.jpg", bytes(data)))
    with pytest.raises(depthlab.UnreadableFileError) as err:
        cap.rgb
    assert str(err.value) == "bomb.jpg: the primary image declares 20000x20000 pixels, which is not a plausible size; the file is damaged"


# =============================================================================================
# NaN and infinity in XMP numbers
# =============================================================================================


@pytest.mark.parametrize("old, new, message", [
    (b"<apdi:FloatMinValue>1.498047<", b"<apdi:FloatMinValue>nan<",
     "nan.heic: the depth item's XMP: FloatMinValue is 'nan', not a finite number; the file is damaged"),
    (b"<apdi:FloatMaxValue>4.382812<", b"<apdi:FloatMaxValue>inf<",
     "nan.heic: the depth item's XMP: FloatMaxValue is 'inf', not a finite number; the file is damaged"),
    (b"<apdi:FloatMinValue>1.498047<", b"<apdi:FloatMinValue>1e999<",
     "nan.heic: the depth item's XMP: FloatMinValue is '1e999', not a finite number; the file is damaged"),
])
def test_non_finite_xmp_numbers_heic(tmp_path, old, new, message):
    """A broken value range makes the depth values unknowable: the file is refused."""
    data = shared_sample(PUG).read_bytes()
    count = data.count(old)
    assert count >= 1
    bad = data.replace(old, new[:-1].ljust(len(old) - 1) + b"<", 1)
    assert len(bad) == len(data)
    assert _message(_write(tmp_path, "nan.heic", bad), depthlab.UnreadableFileError) == message


@pytest.mark.parametrize("old, new, note", [
    (b"<depthData:PixelSize>0.001900<", b"<depthData:PixelSize>-inf<",
     "calibration ignored: nan.heic: the depth item's XMP: PixelSize is '-inf', not a finite number; the file is damaged"),
    (b"<rdf:li>3032.59423828125<", b"<rdf:li>NaN<",
     "calibration ignored: nan.heic: the depth item's XMP: IntrinsicMatrix is 'NaN', not a finite number; the file is damaged"),
    (b"<depthData:IntrinsicMatrixReferenceWidth>4032<", b"<depthData:IntrinsicMatrixReferenceWidth>nan<",
     "calibration ignored: nan.heic: the depth item's XMP: IntrinsicMatrixReferenceWidth is 'nan', not a finite number; the file is damaged"),
])
def test_non_finite_calibration_keeps_depth_and_says_why(tmp_path, old, new, note):
    """The depth values do not depend on the calibration: a broken calibration number drops the
    calibration (projection then falls back to EXIF, flagged as estimated) with a note."""
    data = shared_sample(PUG).read_bytes()
    bad = data.replace(old, new[:-1].ljust(len(old) - 1) + b"<", 1)
    assert len(bad) == len(data) and bad != data
    cap = depthlab.open(_write(tmp_path, "nan.heic", bad))
    assert cap.calibration is None
    assert note in cap.metadata["notes"]
    assert cap.shape == (576, 768) and np.isfinite(cap.disparity).all()


def test_non_finite_xmp_number_jpeg(tmp_path):
    data = shared_sample(PORTRAIT_JPG).read_bytes()
    bad = _same_length_replace(data, b"<apdi:FloatMaxValue>4.835938<", b"<apdi:FloatMaxValue>inf     <")
    msg = _message(_write(tmp_path, "nan.jpg", bad), depthlab.UnreadableFileError)
    assert "FloatMaxValue is 'inf', not a finite number; the file is damaged" in msg
    assert msg.startswith("nan.jpg: ")


# =============================================================================================
# calibration whose reference size does not match the image
# =============================================================================================


def test_reference_size_of_another_aspect_drops_the_calibration_with_a_note(tmp_path):
    data = shared_sample(PUG).read_bytes()
    bad = _same_length_replace(data, b"<depthData:IntrinsicMatrixReferenceHeight>3024<",
                               b"<depthData:IntrinsicMatrixReferenceHeight>4032<")
    cap = depthlab.open(_write(tmp_path, "square.heic", bad))
    assert cap.calibration is None
    assert cap.metadata["notes"] == [
        "calibration reference size 4032x4032 does not match the depth map's 768x576 aspect; calibration ignored"]
    # and projection then estimates (flagged) rather than using a wrong matrix
    assert depthlab.project(cap, stride=8).intrinsics_estimated


def test_reference_size_of_the_same_aspect_scales(tmp_path):
    """A reference size of the same aspect is a resize: the intrinsics scale with it."""
    data = shared_sample(PUG).read_bytes()
    bad = _same_length_replace(data, b"<depthData:IntrinsicMatrixReferenceWidth>4032<",
                               b"<depthData:IntrinsicMatrixReferenceWidth>2016<")
    bad = _same_length_replace(bad, b"<depthData:IntrinsicMatrixReferenceHeight>3024<",
                               b"<depthData:IntrinsicMatrixReferenceHeight>1512<")
    cap = depthlab.open(_write(tmp_path, "half.heic", bad))
    # the only note: fx, left at 3032.6 px, is now twice what the EXIF 26 mm means at 2016x1512
    assert cap.calibration.reference_size == (2016, 1512)
    assert len(cap.metadata["notes"]) == 1 and "fx 3032.6 px disagrees (+100%)" in cap.metadata["notes"][0]
    k = cap.calibration.intrinsics_at(768, 576)
    assert k[0, 0] == pytest.approx(3032.594 * 768 / 2016, rel=1e-6)


def test_reference_size_mismatch_in_a_jpeg(tmp_path):
    data = shared_sample(PORTRAIT_JPG).read_bytes()
    old = b"IntrinsicMatrixReferenceHeight>3024"
    bad = _same_length_replace(data, old, b"IntrinsicMatrixReferenceHeight>4032")
    cap = depthlab.open(_write(tmp_path, "square.jpg", bad))
    assert cap.calibration is None
    assert any("does not match" in n and "4032x4032" in n for n in cap.metadata.get("notes", [])), cap.metadata.get("notes")


# =============================================================================================
# part 4: the command line over a folder of good and bad files
# =============================================================================================


def _depthlab_command() -> list[str]:
    exe = Path(sys.executable).with_name("depthlab")
    if exe.is_file():
        return [str(exe)]
    return [sys.executable, "-c", "import sys; from depthlab.cli import main; sys.exit(main())"]


@pytest.fixture
def mixed_folder(tmp_path) -> tuple[Path, list[str], list[str]]:
    """Two good photos and four bad ones (text, truncated, no depth, edited copy)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copyfile(shared_sample(PUG), folder / "a_good.heic")
    shutil.copyfile(shared_sample(PORTRAIT_JPG), folder / "b_good.jpg")
    (folder / "c_notes.jpg").write_text("not a photo\n")
    (folder / "d_cut.heic").write_bytes(shared_sample(FRONT).read_bytes()[:50_000])
    shutil.copyfile(shared_sample(IOS18), folder / "e_nodepth.heic")
    (folder / "f_edited.heic").write_bytes(_edited_copy("HEIF"))
    return folder, ["a_good.heic", "b_good.jpg"], ["c_notes.jpg", "d_cut.heic", "e_nodepth.heic", "f_edited.heic"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    cmd = _depthlab_command()
    proc = subprocess.run(cmd + args, cwd=cwd, capture_output=True, text=True, timeout=300)
    # a usage error here is a regression of the command (every command used below exists)
    assert proc.returncode != 2, f"`depthlab {' '.join(args)}` is a usage error: {proc.stderr.strip()[-400:]}"
    return proc


def _summary_line(text: str, done: int, total: int, failed: int) -> str | None:
    for line in text.splitlines():
        if re.search(rf"\b{done} of {total}\b", line) and re.search(rf"\b{failed} failed\b", line):
            return line
    return None


def test_cli_info_goes_past_bad_files(mixed_folder, tmp_path):
    folder, good, bad = mixed_folder
    proc = _run(["info", str(folder)], tmp_path)
    assert proc.returncode == 1, proc.stderr
    for name in good:
        assert name in proc.stdout
    for name in bad:
        lines = [ln for ln in proc.stderr.splitlines() if name in ln]
        assert len(lines) == 1, (name, proc.stderr)
    assert "holds no depth map" in proc.stderr and "not an image" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _summary_line(proc.stdout + proc.stderr, 2, 6, 4), proc.stderr


def test_cli_export_goes_past_bad_files(mixed_folder, tmp_path):
    folder, good, bad = mixed_folder
    out = tmp_path / "clouds"
    proc = _run(["export", str(folder), "-o", str(out), "--stride", "8", "--jobs", "2"], tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a_good.pcd", "b_good.pcd"]
    for name in bad:
        lines = [ln for ln in proc.stderr.splitlines() if name in ln]
        assert len(lines) == 1, (name, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert _summary_line(proc.stderr + proc.stdout, 2, 6, 4), proc.stderr
    # a second run without --force refuses to replace the clouds and says so, per file
    again = _run(["export", str(folder), "-o", str(out), "--stride", "8", "--jobs", "1"], tmp_path)
    assert again.returncode == 1
    assert _summary_line(again.stderr + again.stdout, 0, 6, 6), again.stderr


def test_non_finite_calibration_in_portrait_jpeg_keeps_depth(tmp_path):
    """The JPEG reader shares the HEIC rule: a broken calibration number drops the calibration
    with a note, the depth is kept."""
    data = shared_sample(PORTRAIT_JPG).read_bytes()
    bad = _same_length_replace(data, b"<depthData:PixelSize>0.001400<", b"<depthData:PixelSize>nan     <")
    cap = depthlab.open(_write(tmp_path, "nan.jpg", bad))
    assert cap.calibration is None
    assert any(n.startswith("calibration ignored: ") and "PixelSize is 'nan'" in n for n in cap.metadata["notes"])
    assert cap.shape == (576, 768) and np.isfinite(cap.disparity).all()
