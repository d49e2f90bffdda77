"""A photo without depth is told what its own maker's camera needs (and which camera it is).

Each photo here is an ordinary JPEG or HEIC carrying only the EXIF make and model a phone writes;
the message must name that camera, give that maker's advice, and never send a Pixel, Samsung or
Intel owner to AirDrop.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from depthlab.errors import NoDepthError
from depthlab.formats import makers
from depthlab.reader import open_bytes
from depthlab.synth import dynamic_depth as sdd
from depthlab.synth.jpeg import rewrite_extended_xmp


def _photo(make: str | None, model: str | None, fmt: str = "JPEG", size=(8, 8)) -> bytes:
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    im = Image.fromarray(np.full((size[1], size[0], 3), 120, np.uint8))
    buf = io.BytesIO()
    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.from_pillow(im).save(buf, quality=60, exif=exif.tobytes())
    else:
        im.save(buf, format="JPEG", exif=exif.tobytes())
    return buf.getvalue()


def _message(data: bytes) -> str:
    with pytest.raises(NoDepthError) as e:
        open_bytes(data)
    return str(e.value)


@pytest.mark.parametrize("make, model, words", [
    ("Google", "Pixel 3", ["Google Pixel 3", "Portrait mode", "PXL_", "PORTRAIT.jpg"]),
    ("samsung", "SM-G973F", ["samsung SM-G973F", "Live Focus", "SEF", "does not read"]),
    ("Intel Corporation", "R200", ["Intel Corporation R200", "XDM"]),
    ("Xiaomi", "Mi 9", ["Xiaomi Mi 9", "Dynamic Depth"]),
    ("Canon", "Canon EOS 80D", ["Canon EOS 80D", "phones store"]),
])
def test_each_maker_is_told_what_its_own_camera_needs(make, model, words):
    msg = _message(_photo(make, model))
    assert all(w in msg for w in words), msg
    assert "AirDrop" not in msg
    assert "Canon Canon" not in msg


def test_an_iphone_is_told_about_originals():
    msg = _message(_photo("Apple", "iPhone 12 mini"))
    assert "from Apple iPhone 12 mini" in msg and "AirDrop" in msg and "Export Unmodified Original" in msg


def test_an_unknown_jpeg_is_told_what_each_phone_needs():
    msg = _message(_photo(None, None))
    assert "iPhone" in msg and "Pixel" in msg and "Dynamic Depth" in msg


@pytest.mark.parametrize("make, model, advice", [("samsung", "SM-S918B", makers.SAMSUNG_ADVICE),
                                                 ("Google", "Pixel 8 Pro", makers.PIXEL_ADVICE),
                                                 ("Apple", "iPhone 15", makers.APPLE_ADVICE),
                                                 (None, None, makers.APPLE_ADVICE)])
def test_heic_names_make_and_model_as_jpeg_does(make, model, advice):
    msg = _message(_photo(make, model, "HEIF", size=(64, 48)))
    who = f", from {make} {model}" if make else ""
    assert msg == f"HEIC data holds no depth map (a 64x48 photo{who}). {advice}"


def test_an_8x8_not_a_8x8():
    assert "(an 8x8 JPEG" in _message(_photo("Google", "Pixel 3"))
    assert [makers.with_article(p) for p in ("8x8 JPEG", "80x60 JPEG", "18x4 JPEG", "11000x2 JPEG", "1100x2 JPEG",
                                             "800x600 photo", "16x12 JPEG", "photo", "image")] == \
        ["an 8x8 JPEG", "an 80x60 JPEG", "an 18x4 JPEG", "an 11000x2 JPEG", "a 1100x2 JPEG", "an 800x600 photo",
         "a 16x12 JPEG", "a photo", "an image"]


def test_a_pixel_dynamic_depth_file_without_a_depth_camera_is_told_the_pixel_advice():
    cap = sdd.render_pixel3_portrait(depth_size=(48, 64))
    data = rewrite_extended_xmp(sdd.pixel3_portrait_bytes(cap), lambda p: re.sub(
        rb'<Camera:DepthMap rdf:parseType="Resource">.*?</Camera:DepthMap>', b"", p))
    msg = _message(data)  # the synthetic camera's make is not a phone maker: other-Android advice
    assert "Dynamic Depth" in msg and "AirDrop" not in msg
    pixel = data.replace(b"synthetic Pixel 3 layout", b"Pixel 3 XXXXXXXXXXXXXXXX").replace(b"depthlab\x00", b"Google\x00\x00\x00")
    msg = _message(pixel)
    assert "Pixel" in msg and "PXL_" in msg and "AirDrop" not in msg
