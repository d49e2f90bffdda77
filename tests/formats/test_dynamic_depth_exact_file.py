"""Whole Dynamic Depth files read exactly: where each appended item is found (with the padding the
specification allows), what the capture says about itself, and each refusal's whole message.

Files come from the Pixel 3 layout writer (:func:`depthlab.synth.dynamic_depth.pixel3_portrait_bytes`,
small) and the older Pixel layout writer; expected offsets and values are computed here from the
bytes the writer appends and the specification's rules, not read back from the reader.
"""

from __future__ import annotations

import dataclasses
import io
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from depthlab.capture import CameraInfo, DepthEncoding, Orientation
from depthlab.errors import NoDepthError, UnreadableFileError
from depthlab.formats import dynamic_depth as dd
from depthlab.formats.makers import ANDROID_ADVICE, PIXEL_ADVICE, SAMSUNG_ADVICE
from depthlab.reader import open_bytes
from depthlab.synth import dynamic_depth as sdd
from depthlab.synth.jpeg import encode_jpeg, png_bytes, rewrite_extended_xmp

NAME = Path("p.jpg")
UNITS_DIOPTERS = ("DepthMap:Units Diopters: Dynamic Depth's mark for non-metric depth (Pixel portraits); depth is the "
                  "format's formula in the file's own units, relative: nearer and farther are right, metres are not")
URIS = ("android/original_image", "android/depthmap", "android/confidencemap")


@pytest.fixture(scope="module")
def cap():
    return sdd.render_pixel3_portrait(depth_size=(48, 64))


@pytest.fixture(scope="module")
def plain(cap):
    return sdd.pixel3_portrait_bytes(cap)


# Opened anew for each test (function scope): mutation testing runs, for each mutant, only the tests
# during which the mutated reader ran, and a module fixture runs inside the first test that uses it.
@pytest.fixture
def opened(plain):
    return open_bytes(plain, NAME)


def blobs(cap) -> dict[str, bytes]:
    """The three items the Pixel 3 writer appends, encoded here the same way."""
    return {"android/original_image": encode_jpeg(cap.original, 90),
            "android/depthmap": encode_jpeg(sdd.pixel3_codes(cap), quality=100),
            "android/confidencemap": encode_jpeg(cap.confidence_codes, quality=100)}


def expected_items(cap, data: bytes, padding: dict[str, int], trailing: int | None = None) -> list[dict]:
    """Container items as the specification places them: appended in order after the primary's
    padding, each followed by its own; the last ends the file (less ``trailing`` missing bytes)."""
    b = blobs(cap)
    tail = sum(len(b[u]) + padding.get(u, 0) for u in URIS) + padding.get("primary_image", 0)
    pos = len(data) + (trailing or 0) - tail + padding.get("primary_image", 0)
    out = [{"index": 0, "uri": "primary_image", "mime": "image/jpeg", "length": 0,
            "padding": padding.get("primary_image", 0), "offset": 0}]
    for i, u in enumerate(URIS, 1):
        out.append({"index": i, "uri": u, "mime": "image/jpeg", "length": len(b[u]), "padding": padding.get(u, 0),
                    "offset": pos})
        pos += len(b[u]) + padding.get(u, 0)
    return out


def refused(data: bytes, error=UnreadableFileError) -> str:
    with pytest.raises(error) as e:
        open_bytes(data, NAME)
    return str(e.value)


def _edit_item(uri: str, **fields):
    """An ``edit_description`` that changes an item's Mime/Length in the Pixel 3 XML."""
    def edit(x: str) -> str:
        m = re.search(rf"<Item:Mime>([^<]*)</Item:Mime><Item:Length>(\d+)</Item:Length><Item:DataURI>{re.escape(uri)}<", x)
        mime = fields.get("Mime", m.group(1))
        length = fields.get("Length", lambda n: n)(int(m.group(2)))
        new = f"<Item:Mime>{mime}</Item:Mime><Item:Length>{length}</Item:Length><Item:DataURI>{uri}<"
        return x[:m.start()] + new + x[m.end():]
    return edit


def _set(tag: str, value: str):
    return lambda x: re.sub(rf"<{tag}>[^<]*</{tag}>", f"<{tag}>{value}</{tag}>", x)


# --------------------------------------------------------------------------------------------
# where the items are
# --------------------------------------------------------------------------------------------

PADDING = {"primary_image": 3, "android/original_image": 5, "android/depthmap": 7, "android/confidencemap": 2}


def test_items_follow_their_padding(cap, opened):
    data = sdd.pixel3_portrait_bytes(cap, padding=PADDING)
    c = open_bytes(data, NAME)
    assert c.metadata["container_items"] == expected_items(cap, data, PADDING)
    assert np.array_equal(c.depth, opened.depth) and np.array_equal(c.rgb, opened.rgb)
    assert np.array_equal(c.confidence, opened.confidence)


def test_only_the_primary_padded(cap, opened):
    pad = {"primary_image": 9}
    data = sdd.pixel3_portrait_bytes(cap, padding=pad)
    c = open_bytes(data, NAME)
    assert c.metadata["container_items"] == expected_items(cap, data, pad)
    assert np.array_equal(c.depth, opened.depth)


def test_only_the_last_items_padding_left_off(cap, opened):
    pad = {"android/confidencemap": 4}
    data = sdd.pixel3_portrait_bytes(cap, padding=pad)[:-4]
    c = open_bytes(data, NAME)
    assert c.metadata["container_items"] == expected_items(cap, data, pad, trailing=4)
    assert np.array_equal(c.confidence, opened.confidence)


def test_bytes_after_the_last_item_are_ignored(cap, opened):
    plain = sdd.pixel3_portrait_bytes(cap)
    c = open_bytes(plain + b"\xff\xd8\xff trailing bytes another program appended", NAME)
    assert c.metadata["container_items"] == open_bytes(plain, NAME).metadata["container_items"]
    assert np.array_equal(c.depth, opened.depth)


def test_a_container_listing_only_the_primary_has_no_depth_item(cap):
    def only_primary(x):
        return re.sub(r'(<Container:Directory><rdf:Seq><rdf:li rdf:parseType="Resource">.*?</rdf:li>).*?(</rdf:Seq>)',
                      r"\1\2", x)

    assert refused(sdd.pixel3_portrait_bytes(cap, edit_description=only_primary)) == (
        "p.jpg: the depth map is item 'android/depthmap', which the Dynamic Depth container does not list (it lists "
        "'primary_image'); the file is damaged")


def test_the_last_items_padding_may_be_left_off(cap, opened):
    data = sdd.pixel3_portrait_bytes(cap, padding=PADDING)[:-2]
    c = open_bytes(data, NAME)
    assert c.metadata["container_items"] == expected_items(cap, data, PADDING, trailing=2)
    assert np.array_equal(c.confidence, opened.confidence)


@pytest.mark.parametrize("padding", [{}, PADDING], ids=["unpadded", "padded"])
def test_items_flush_with_the_end_when_bytes_sit_before_them(cap, opened, padding):
    data = sdd.pixel3_portrait_bytes(cap, padding=padding)
    eoi = len(data) - sum(len(b) for b in blobs(cap).values()) - sum(padding.values())
    assert data[eoi - 2:eoi] == b"\xff\xd9"
    moved = data[:eoi] + b"\x00\xff\xd9junk" * 10 + data[eoi:]
    c = open_bytes(moved, NAME)
    assert c.metadata["container_items"] == expected_items(cap, moved, padding)
    assert np.array_equal(c.depth, opened.depth)


def test_lengths_past_the_end_are_refused_with_the_counts(cap, plain):
    total = sum(len(b) for b in blobs(cap).values())
    assert refused(plain[:-1000]) == (
        f"p.jpg: the Dynamic Depth container lists {total:,} bytes of items after the primary image, but only "
        f"{total - 1000:,} bytes follow it; the file is truncated or the item lengths are wrong")
    # the last item's padding may be missing, but not one byte more
    padded = sdd.pixel3_portrait_bytes(cap, padding={"android/confidencemap": 4})
    assert refused(padded[:-5]) == (
        f"p.jpg: the Dynamic Depth container lists {total + 4:,} bytes of items after the primary image, but only "
        f"{total - 1:,} bytes follow it; the file is truncated or the item lengths are wrong")


def test_an_item_not_where_the_lengths_put_it_is_named(cap):
    data = sdd.pixel3_portrait_bytes(cap, edit_description=_edit_item("android/original_image", Length=lambda n: n - 7))
    assert refused(data) == ("p.jpg: the Dynamic Depth container's item 2 (android/depthmap, image/jpeg) is not where "
                             "the item lengths put it; the file was edited or is damaged")


@pytest.mark.parametrize("mime", ["image/png", "IMAGE/PNG"])
def test_an_item_must_start_with_its_types_signature(cap, mime):
    data = sdd.pixel3_portrait_bytes(cap, edit_description=_edit_item("android/depthmap", Mime=mime))
    assert refused(data) == (f"p.jpg: the Dynamic Depth container's item 2 (android/depthmap, {mime}) is not where "
                             "the item lengths put it; the file was edited or is damaged")


def test_an_item_of_a_type_without_a_known_signature_is_taken_as_placed(cap, opened):
    data = sdd.pixel3_portrait_bytes(cap, edit_description=_edit_item("android/confidencemap", Mime="application/octet-stream"))
    c = open_bytes(data, NAME)
    assert c.metadata["container_items"][3]["mime"] == "application/octet-stream"
    assert np.array_equal(c.confidence, opened.confidence)


# --------------------------------------------------------------------------------------------
# which item plays which part
# --------------------------------------------------------------------------------------------

LISTED = "'primary_image', 'android/original_image', 'android/depthmap', 'android/confidencemap'"


def test_a_depth_map_naming_an_unlisted_item_or_the_primary_is_refused(cap):
    data = sdd.pixel3_portrait_bytes(cap, edit_description=_set("DepthMap:DepthURI", "android/nothing"))
    assert refused(data) == ("p.jpg: the depth map is item 'android/nothing', which the Dynamic Depth container does not "
                             f"list (it lists {LISTED}); the file is damaged")
    data = sdd.pixel3_portrait_bytes(cap, edit_description=_set("DepthMap:DepthURI", "primary_image"))
    assert refused(data) == "p.jpg: the depth map is item 'primary_image', the primary image itself; the file is damaged"


def test_a_confidence_map_naming_an_unlisted_item_or_the_primary_is_left_out_with_a_note(cap):
    """The depth is whole without its confidence: the photo opens (as it did before the check),
    without a confidence map, and the note says which item was named and why it was not used."""
    whole = open_bytes(sdd.pixel3_portrait_bytes(cap), NAME)
    for uri, why in (("android/nothing", f"which the Dynamic Depth container does not list (it lists {LISTED})"),
                     ("primary_image", "the primary image itself")):
        c = open_bytes(sdd.pixel3_portrait_bytes(cap, edit_description=_set("DepthMap:ConfidenceURI", uri)), NAME)
        assert c.confidence is None and np.array_equal(c.disparity, whole.disparity, equal_nan=True)
        assert c.metadata["notes"] == [
            UNITS_DIOPTERS, f"the confidence map is item {uri!r}, {why}; the file is damaged: "
                            "the depth is read without a confidence map"]


def _primary_rgb(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_colour_from_the_primary_when_camera_image_names_no_appended_item(cap):
    data = sdd.pixel3_portrait_bytes(cap, edit_description=_set("Image:ItemURI", "android/elsewhere"))
    c = open_bytes(data, NAME)
    assert c.metadata["colour_source"] == "primary image" and c.rgb_size == (72, 96)
    assert np.array_equal(c.rgb, _primary_rgb(data))
    assert c.metadata["notes"] == [
        "Camera:Image names 'android/elsewhere', which the container does not list: colour from the primary",
        UNITS_DIOPTERS]
    data = sdd.pixel3_portrait_bytes(cap, edit_description=_set("Image:ItemURI", "primary_image"))
    c = open_bytes(data, NAME)
    assert c.metadata["colour_source"] == "primary image" and c.metadata["notes"] == [UNITS_DIOPTERS]
    assert np.array_equal(c.rgb, _primary_rgb(data))


def _damaged(cap, uri: str) -> bytes:
    """The Pixel 3 file with one item's bytes replaced by a JPEG signature and zeros (same length)."""
    data = sdd.pixel3_portrait_bytes(cap)
    b = blobs(cap)
    end = len(data)
    for u in reversed(URIS):
        if u == uri:
            return data[:end - len(b[u])] + b"\xff\xd8\xff" + bytes(len(b[u]) - 3) + data[end:]
        end -= len(b[u])
    raise KeyError(uri)


@pytest.mark.parametrize("uri, what", [("android/depthmap", "p.jpg: the depth map (android/depthmap, image/jpeg)"),
                                       ("android/original_image", "p.jpg: the original image (android/original_image)"),
                                       ("android/confidencemap", "p.jpg: the confidence map (android/confidencemap, image/jpeg)")])
def test_an_undecodable_item_is_named(cap, uri, what):
    data = _damaged(cap, uri)
    with pytest.raises(UnreadableFileError) as e:
        c = open_bytes(data, NAME)
        c.confidence  # decoded on first use
    assert str(e.value).startswith(f"{what} cannot be opened (")


# --------------------------------------------------------------------------------------------
# what the capture says about itself
# --------------------------------------------------------------------------------------------


def test_the_capture_of_a_pixel_3_portrait(opened):
    c = opened
    assert c.format == "JPEG (Google Dynamic Depth)" and c.path == NAME
    assert c.encoding == DepthEncoding(quantity="depth", bits=8, int_min=0, int_max=255, format="RangeInverse",
                                       near=0.55075, far=8.0, units="Diopters")
    assert c.accuracy == "relative" and c.camera.kind == "Dynamic Depth"
    assert (c.camera.make, c.camera.model) == ("depthlab", "synthetic Pixel 3 layout")
    assert c.rgb_size == (48, 64) and list(c.mattes) == []
    assert c.metadata["notes"] == [UNITS_DIOPTERS]
    assert c.metadata["depth_orientation"] == {"rotation": 0, "mirror": None} and c.metadata["exif_orientation"] == 1


def test_metres_are_absolute_and_need_no_note(cap):
    c = open_bytes(sdd.pixel3_portrait_bytes(cap, edit_description=_set("DepthMap:Units", "Meters")), NAME)
    assert c.accuracy == "absolute" and c.encoding.units == "Meters" and c.metadata["notes"] == []


@pytest.fixture(scope="module")
def pixel_cap():
    return sdd.render_pixel_portrait(depth_size=(32, 24), colour_size=(64, 48))


def reader_notes(c) -> list[str]:
    """The capture's notes less the calibration check's (this small render's EXIF focal length
    does not match its intrinsics, which the check rightly says; not this reader's note)."""
    return [n for n in c.metadata["notes"] if not n.startswith("stored intrinsics disagree with the EXIF")]


def test_the_pixel_layout_notes_its_units_and_segmentation(pixel_cap):
    c = open_bytes(sdd.dynamic_depth_jpeg_bytes(pixel_cap), NAME)
    assert reader_notes(c) == [
        "DepthMap:Units None: the depth map states no unit; numbers kept in the file's own units, scale not trustworthy",
        "DepthMap:ItemSemantic Segmentation: the phone made this map for portrait blur; read as depth"]
    assert c.encoding == DepthEncoding(quantity="depth", bits=8, int_min=0, int_max=255, format="RangeLinear",
                                       near=0.3, far=8.0, units="None")


def test_sixteen_bit_depth_codes_span_0_to_65535(pixel_cap):
    c = open_bytes(sdd.dynamic_depth_jpeg_bytes(pixel_cap, bits=16, units="Meters", semantic="Depth"), NAME)
    assert c.encoding == DepthEncoding(quantity="depth", bits=16, int_min=0, int_max=65535, format="RangeLinear",
                                       near=0.3, far=8.0, units="Meters")
    assert c.accuracy == "absolute" and reader_notes(c) == []


def test_an_extended_xmp_guid_that_is_not_its_md5_is_noted(pixel_cap):
    good = sdd.dynamic_depth_jpeg_bytes(pixel_cap)
    real = re.search(rb'HasExtendedXMP="([0-9A-F]{32})"', good).group(1)
    other = b"0123456789ABCDEF0123456789ABCDEF"
    data = sdd.dynamic_depth_jpeg_bytes(pixel_cap, guid=other.decode()).replace(b'HasExtendedXMP="' + real, b'HasExtendedXMP="' + other)
    c = open_bytes(data, NAME)
    assert c.metadata["extended_xmp"]["guid_is_md5"] is False
    assert reader_notes(c)[-1] == ("the extended XMP's GUID is not its MD5 digest (the file was edited, or its writer "
                                       "deviates from the XMP spec)")
    assert "MD5" not in " ".join(open_bytes(good, NAME).metadata["notes"])


@pytest.mark.parametrize("orientation, tag", [(Orientation(270), 6), (Orientation(90), 8)])
def test_the_orientation_applied_is_recorded(pixel_cap, orientation, tag):
    c = open_bytes(sdd.dynamic_depth_jpeg_bytes(pixel_cap, orientation), NAME)
    assert c.metadata["exif_orientation"] == tag
    assert c.metadata["depth_orientation"] == {"rotation": orientation.rotation, "mirror": None}
    # stored turned, read upright: the colour's size is the display size, before it is decoded
    assert c.rgb_size == (64, 48) and c.calibration.reference_size == (64, 48)


def test_intrinsics_of_another_aspect_are_ignored_with_a_note(cap):
    edit = lambda x: _set("ImagingModel:ImageHeight", "72")(x)  # noqa: E731 - 72x72 is not the depth map's 48x64
    c = open_bytes(sdd.pixel3_portrait_bytes(cap, edit_description=edit), NAME)
    assert c.metadata["notes"] == ["ImagingModel size 72x72 does not have the depth map's 48x64 aspect; intrinsics ignored",
                                   UNITS_DIOPTERS]
    assert c.calibration is None or c.calibration.source != "Dynamic Depth ImagingModel (XMP)"


def test_without_an_image_size_intrinsics_are_at_the_colour_images_size(cap):
    def edit(x):
        return re.sub(r"<ImagingModel:Image(Width|Height)>[^<]*</ImagingModel:Image(Width|Height)>", "", x)

    c = open_bytes(sdd.pixel3_portrait_bytes(cap, edit_description=edit), NAME)
    assert c.calibration.reference_size == (48, 64)  # the original image (the colour source), not the primary
    notes = c.metadata["notes"]
    assert notes[:2] == ["ImagingModel without ImageWidth/Height: taken as the image's 48x64", UNITS_DIOPTERS]
    # pixels written for the 72x96 primary, read at 48x64: the EXIF check flags it
    assert len(notes) == 3 and notes[2].startswith("stored intrinsics disagree with the EXIF focal length")


def test_optic_ray_distances_without_intrinsics_are_kept_with_a_note(cap, opened):
    def edit(x):
        return re.sub(r"<Camera:ImagingModel .*</Camera:ImagingModel>", "", _set("DepthMap:MeasureType", "OpticRay")(x))

    c = open_bytes(sdd.pixel3_portrait_bytes(cap, edit_description=edit), NAME)
    assert np.array_equal(c.depth, opened.depth)
    assert c.metadata["notes"] == ["MeasureType OpticRay but no usable intrinsics: distances along the rays kept as depth",
                                   UNITS_DIOPTERS]


def test_optic_ray_distances_become_optical_axis_depth_by_the_ray_length(cap, opened):
    c = open_bytes(sdd.pixel3_portrait_bytes(cap, edit_description=_set("DepthMap:MeasureType", "OpticRay")), NAME)
    assert c.disparity.dtype == np.float32
    assert c.metadata["notes"] == ["MeasureType OpticRay: distances along each pixel's ray converted to optical-axis depth",
                                   UNITS_DIOPTERS]
    # z = r / |((u - cx) / fx, (v - cy) / fy, 1)| with the intrinsics at the depth map's size, centre origin
    k = opened.calibration.intrinsic_matrix * np.array([[48 / 72], [64 / 96], [1.0]])
    u, v = np.meshgrid(np.arange(48.0), np.arange(64.0))
    norm = np.sqrt(((u - (k[0, 2] - 0.5)) / k[0, 0]) ** 2 + ((v - (k[1, 2] - 0.5)) / k[1, 1]) ** 2 + 1)
    assert np.allclose(c.depth, opened.depth / norm, rtol=1e-6)


@pytest.mark.parametrize("make, model, advice", [("Google", "Pixel 3", PIXEL_ADVICE), ("depthlab", "synthetic", ANDROID_ADVICE),
                                                 ("samsung", "SM-G973F", SAMSUNG_ADVICE), (None, "Pixel 4a", PIXEL_ADVICE)],
                         ids=["pixel", "unknown-maker", "samsung-by-make", "pixel-by-model"])
def test_no_camera_with_depth_gives_the_makers_advice(cap, make, model, advice):
    cam = CameraInfo(kind="rear", make=make, model=model, lens_model=None, focal_length_mm=4.44, focal_length_35mm=28.0)
    data = sdd.pixel3_portrait_bytes(dataclasses.replace(cap, camera=cam),
                                     edit_description=lambda x: re.sub(r"<Camera:DepthMap .*</Camera:DepthMap>", "", x))
    message = refused(data, NoDepthError)
    assert message == ("p.jpg is a Google Dynamic Depth photo whose description lists no camera with a depth map (4 "
                       "container item(s): primary_image, android/original_image, android/depthmap, "
                       f"android/confidencemap). {advice}")


def test_a_portrait_mark_without_an_extended_xmp_says_it_was_re_saved(cap, plain):
    data = re.sub(rb'xmpNote:HasExtendedXMP="[0-9A-F]{32}"', b'xmpNote:HasExtendedXMQ="' + b"0" * 32 + b'"', plain)
    assert refused(data) == ("p.jpg is marked as a Pixel portrait but carries no extended XMP, where its Dynamic Depth "
                             "description would be; the file was re-saved by a program that dropped it")


# --------------------------------------------------------------------------------------------
# the decoding helpers other readers share
# --------------------------------------------------------------------------------------------


def test_disparity_lut_is_one_over_the_formula():
    lut = dd.disparity_lut(8, "RangeInverse", 0.5, 8.0)
    assert lut.dtype == np.float32 and lut.shape == (256,)
    assert (lut[0], lut[255]) == (np.float32(2.0), np.float32(0.125))  # code 0 is Near, 255 is Far
    v = np.arange(256) / 255
    assert np.allclose(lut, (8.0 - 7.5 * v) / 4.0, rtol=1e-6)
    lin = dd.disparity_lut(16, "RangeLinear", 0.0, 2.0)
    assert lin.shape == (65536,) and np.isnan(lin[0]) and lin[65535] == np.float32(0.5)


def test_ray_norms_by_hand():
    k = np.array([[2.0, 0.0, 1.0], [0.0, 4.0, 1.0], [0.0, 0.0, 1.0]])
    x, y = np.array([-0.5, 0.0, 0.5]), np.array([-0.25, 0.0])
    want = np.sqrt(x[None, :] ** 2 + y[:, None] ** 2 + 1)
    got = dd.ray_norms(k, 3, 2)
    assert got.dtype == np.float64 and got.shape == (2, 3) and np.array_equal(got, want)


# --------------------------------------------------------------------------------------------
# the confidence map: codes scaled to 0..1, at the depth map's size
# --------------------------------------------------------------------------------------------


def with_item(cap, uri: str, blob: bytes, mime: str) -> bytes:
    """The Pixel 3 file with ``blob`` as item ``uri`` (written last; its Mime and Length follow)."""
    order = tuple(u for u in URIS if u != uri) + (uri,)
    data = sdd.pixel3_portrait_bytes(cap, item_order=order,
                                     edit_description=_edit_item(uri, Mime=mime, Length=lambda n: len(blob)))
    return data[:len(data) - len(blobs(cap)[uri])] + blob


def with_confidence(cap, blob: bytes, mime: str) -> bytes:
    return with_item(cap, "android/confidencemap", blob, mime)


def bilinear(a: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resampling by hand: pixel centres aligned, edge pixels held (clamped)."""
    def along(a, n_out, axis):
        n = a.shape[axis]
        src = (np.arange(n_out) + 0.5) * n / n_out - 0.5
        return np.apply_along_axis(lambda row: np.interp(src, np.arange(n), row), axis, a)
    return along(along(a.astype(np.float64), width, 1), height, 0)


def test_a_smaller_confidence_map_is_resampled_bilinearly(cap):
    codes = np.random.default_rng(25).integers(0, 256, (32, 24)).astype(np.uint8)  # half the depth map's 48x64
    c = open_bytes(with_confidence(cap, png_bytes(codes), "image/png"), NAME)
    assert c.confidence.shape == (64, 48) and c.confidence.dtype == np.float32
    assert np.abs(c.confidence - bilinear(codes / 255, 48, 64)).max() < 1e-5


def test_a_confidence_map_of_another_shape_on_a_square_depth_map(cap):
    square = sdd.render_pixel3_portrait(depth_size=(32, 32))
    codes = np.tile(np.linspace(0, 255, 32).round().astype(np.uint8), (16, 1))  # 32 wide, 16 high
    c = open_bytes(with_confidence(square, png_bytes(codes), "image/png"), NAME)
    assert c.confidence.shape == (32, 32)
    assert np.abs(c.confidence - bilinear(codes / 255, 32, 32)).max() < 1e-5


def test_sixteen_bit_confidence_scales_by_65535(cap):
    codes = np.full((64, 48), 65535, np.uint16)
    codes[:, :24] = 32768
    c = open_bytes(with_confidence(cap, png_bytes(codes), "image/png"), NAME)
    assert np.all(c.confidence[:, 24:] == 1.0)
    assert np.all(c.confidence[:, :24] == np.float32(32768 / 65535))


def _png(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def test_a_confidence_map_of_implausible_size_is_refused_when_used(cap):
    c = open_bytes(with_confidence(cap, _png(5000, 5000, zlib.compress(b"\x00" * 10)), "image/png"), NAME)
    with pytest.raises(UnreadableFileError) as e:
        c.confidence
    assert str(e.value) == ("p.jpg: the confidence map (android/confidencemap, image/png) declares 5000x5000 pixels, "
                            "which is not a plausible size; the file is damaged")


def test_a_confidence_map_that_cannot_be_decoded_is_named(cap):
    c = open_bytes(with_confidence(cap, _png(48, 64, b"not zlib data at all"), "image/png"), NAME)
    with pytest.raises(UnreadableFileError) as e:
        c.confidence
    assert str(e.value).startswith("p.jpg: the confidence map (android/confidencemap, image/png) cannot be decoded (")


def test_a_primary_cut_before_its_end_is_named(cap, plain):
    eoi = len(plain) - sum(len(b) for b in blobs(cap).values())
    assert refused(plain[:eoi - 2]) == "p.jpg has no end-of-image marker (FF D9): it is truncated"


@pytest.mark.parametrize("uri, what, size", [
    ("android/depthmap", "the depth map (android/depthmap, image/png)", 5000),  # above 4096 x 4096
    ("android/original_image", "the original image (android/original_image)", 8000),  # above 50 million pixels
])
def test_an_item_of_implausible_size_is_refused_before_decoding(cap, uri, what, size):
    data = with_item(cap, uri, _png(size, size, zlib.compress(b"\x00" * 10)), "image/png")
    assert refused(data) == (f"p.jpg: {what} declares {size}x{size} pixels, which is not a plausible size; "
                             "the file is damaged")


def test_a_depth_map_that_cannot_be_decoded_is_named(cap):
    message = refused(with_item(cap, "android/depthmap", _png(48, 64, b"not zlib data at all"), "image/png"))
    assert message.startswith("p.jpg: the depth map (android/depthmap, image/png) cannot be decoded (")


def test_a_sixteen_bit_png_depth_map_in_the_pixel_3_layout(cap, opened):
    codes = np.round(np.asarray(Image.open(io.BytesIO(blobs(cap)["android/depthmap"])), np.float64) * 257).astype(np.uint16)
    c = open_bytes(with_item(cap, "android/depthmap", png_bytes(codes), "image/png"), NAME)
    assert c.encoding.bits == 16 and c.encoding.int_max == 65535
    assert np.allclose(c.depth, opened.depth, rtol=1e-6)  # code * 257 / 65535 = code / 255


def test_an_original_image_that_cannot_be_decoded_is_named_when_used(cap):
    c = open_bytes(with_item(cap, "android/original_image", _png(48, 64, b"not zlib data at all"), "image/png"), NAME)
    assert c.rgb_size == (48, 64) and c.depth.shape == (64, 48)  # depth reads without decoding the colour
    with pytest.raises(UnreadableFileError) as e:
        c.rgb
    assert str(e.value).startswith("p.jpg: the original image (android/original_image) cannot be decoded (")


# --------------------------------------------------------------------------------------------
# finding the description
# --------------------------------------------------------------------------------------------


def test_a_portrait_naming_no_valid_guid_is_refused(plain):
    guid = re.search(rb'HasExtendedXMP="([0-9A-F]{32})"', plain).group(1)
    data = plain.replace(guid, b"Z" * 32, 1)  # the main XMP's reference only (it comes first)
    assert refused(data) == f"p.jpg: xmpNote:HasExtendedXMP is {'Z' * 32!r}, not a 32-digit GUID; the file is damaged"


def test_a_description_that_is_not_xml_is_named_with_its_packet(pixel_cap):
    main = sdd.dynamic_depth_jpeg_bytes(pixel_cap, in_main_xmp=True).replace(b"</rdf:RDF>", b"</rdf:RDX>")
    assert refused(main).startswith("p.jpg: the XMP ")
    ext = rewrite_extended_xmp(sdd.dynamic_depth_jpeg_bytes(pixel_cap), lambda p: p.replace(b"</rdf:RDF>", b"</rdf:RDX>"))
    assert refused(ext).startswith("p.jpg: the extended XMP ")


def test_a_description_of_several_megabytes_reads(cap, opened):
    # XMP packets are bounded at 4 MiB; an extended XMP holding a Dynamic Depth description may reach 16 MiB
    data = rewrite_extended_xmp(sdd.pixel3_portrait_bytes(cap),
                                lambda p: p.replace(b"</x:xmpmeta>", b"<!-- " + b"x" * (5 << 20) + b" --></x:xmpmeta>"))
    c = open_bytes(data, NAME)
    assert c.metadata["extended_xmp"]["bytes"] > 5 << 20 and np.array_equal(c.depth, opened.depth)
