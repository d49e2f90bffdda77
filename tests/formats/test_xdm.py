"""Intel RealSense XDM 1.0: the real file in the shared samples.

The first tests state what the file holds, read from its bytes and XML here (not with the
reader); the others check what ``depthlab.open`` gives, against numbers computed here.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re

import numpy as np
import pytest
from PIL import Image

import depthlab
from conftest import shared_sample
from depthlab.errors import NoDepthError, UnreadableFileError
from depthlab.formats import jpeg_segments as js
from depthlab.formats.xmp import parse_xmp_root
from depthlab.reader import open_bytes
from depthlab.synth.jpeg import rewrite_extended_xmp

XDM_FILE = "other/intel_realsense_xdm.jpg"
NS = "http://ns.xdm.org/photos/1.0/"
GUID = "101C2C0A7167C637AF04AF47B4F4651F"


@pytest.fixture(scope="module")
def data():
    return shared_sample(XDM_FILE).read_bytes()


@pytest.fixture(scope="module")
def root(data):
    ext = js.extended_xmp(data, list(js.iter_segments(data)), GUID)
    return parse_xmp_root(ext.data, max_bytes=1 << 24)


# Opened anew for each test (function scope): mutation testing runs, for each mutant, only the tests
# during which the mutated reader ran, and a module fixture runs inside the first test that uses it.
@pytest.fixture
def cap():
    return depthlab.open(shared_sample(XDM_FILE))


def _camera_pngs(root):
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode("".join(e.text.split())))))
            for e in root.iter(f"{{{NS}depthmap/}}Data")]


# --------------------------------------------------------------------------------------------
# the file (facts)
# --------------------------------------------------------------------------------------------


def test_the_main_xmp_announces_xdm_and_names_the_extended_xmp(data):
    main = js.standard_xmp(data, list(js.iter_segments(data)))
    assert b"http://ns.xdm.org/photos/1.0/device/" in main
    assert f"<xmpNote:HasExtendedXMP>{GUID}</xmpNote:HasExtendedXMP>".encode() in main


def test_the_extended_xmp_is_its_md5_and_holds_two_cameras(data, root):
    ext = js.extended_xmp(data, list(js.iter_segments(data)), GUID)
    assert hashlib.md5(ext.data).hexdigest().upper() == GUID and len(ext.data) == 2134492
    models = [e.text for e in root.iter(f"{{{NS}vendorinfo/}}Model")]
    assert models == ["R200", "R200-rawdepth"]
    assert [e.text for e in root.iter(f"{{{NS}depthmap/}}Format")] == ["RangeLinear"] * 2
    assert [e.text for e in root.iter(f"{{{NS}depthmap/}}Metric")] == ["False"] * 2
    assert [float(e.text) for e in root.iter(f"{{{NS}depthmap/}}Far")] == [65535.0] * 2
    fx = [float(e.text) for e in root.iter(f"{{{NS}perspectivemodel/}}FocalLengthX")]
    assert fx == [0.887287, 0.936144]


def test_the_depth_maps_are_16_bit_pngs(root):
    colour, raw = _camera_pngs(root)
    assert colour.shape == (352, 472) and colour.dtype == np.uint16 and colour.min() == 666 and colour.max() == 19012
    assert raw.shape == (360, 480) and 0.67 < np.mean(raw == 0) < 0.68


def test_the_colour_cameras_image_is_the_primary(data, root):
    images = [e for e in root.iter(f"{{{NS}image/}}Data")]
    # the first Image:Data is the noise model's reliability PNG, the second the colour JPEG
    jpeg = base64.b64decode("".join(images[1].text.split()))
    a = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    b = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert a.shape == b.shape == (2254, 2965, 3) and np.array_equal(a, b)


# --------------------------------------------------------------------------------------------
# what the reader gives
# --------------------------------------------------------------------------------------------


def test_it_opens_with_depth_from_the_colour_camera(cap, root):
    colour = _camera_pngs(root)[0].astype(np.float64)
    assert np.isfinite(cap.depth).mean() >= 0.3
    assert cap.depth.shape == colour.shape
    assert np.allclose(cap.depth, colour, rtol=1e-6)  # RangeLinear 0..65535: the number is the code
    assert cap.accuracy == "relative" and cap.format == "JPEG (XDM 1.0)"
    x = cap.metadata["xdm"]
    assert x["camera_index"] == 0 and x["camera_model"] == "R200"
    assert [c["model"] for c in x["cameras"]] == ["R200", "R200-rawdepth"]
    assert x["cameras"][1]["pose"]["PositionX"] == "32.797184"
    assert any("camera 0 (R200) of 2" in n for n in cap.metadata["notes"])
    assert any("Metric False" in n for n in cap.metadata["notes"])


def test_intrinsics_from_the_normalised_model_at_the_depth_size(cap):
    c = cap.calibration
    assert c.reference_size == (472, 352)
    assert c.fx == pytest.approx(0.887287 * 472) and c.fy == pytest.approx(0.889163 * 472)
    assert c.cx == pytest.approx(0.540955 * 472) and c.cy == pytest.approx(0.507184 * 352)
    assert "XDM" in c.source
    assert cap.metadata["xdm"]["imaging_model"]["lens_distortion"] == [0.147654, -0.554601, -0.001713, 0.726413, 0.00024]


def test_nearer_chairs_are_nearer(cap):
    # the chair back at the right edge is nearer than the ceiling at the top left
    assert np.nanmedian(cap.depth[250:300, 380:460]) < np.nanmedian(cap.depth[10:40, 10:60]) / 3


def test_colour_comes_from_the_colour_cameras_image(cap):
    assert cap.metadata["colour_source"] == "XDM camera 0's Image"
    assert cap.rgb.shape == (2254, 2965, 3)


# --------------------------------------------------------------------------------------------
# bad input: errors name XDM and the part
# --------------------------------------------------------------------------------------------


def _first_depth(p: bytes, new: bytes) -> bytes:
    start = p.index(b"<Depthmap:Data>") + len(b"<Depthmap:Data>")
    return p[:start] + new + p[p.index(b"</Depthmap:Data>", start):]


def test_depth_data_that_is_not_a_png(data):
    bad = rewrite_extended_xmp(data, lambda p: _first_depth(p, base64.b64encode(b"GIF89a" + b"\0" * 64)))
    with pytest.raises(UnreadableFileError, match=r"XDM camera 0 \(R200\)'s DepthMap: Data is not a PNG"):
        open_bytes(bad)


def test_depth_data_that_is_not_base64(data):
    bad = rewrite_extended_xmp(data, lambda p: _first_depth(p, b"!!not base64!!"))
    with pytest.raises(UnreadableFileError, match=r"XDM camera 0.*DepthMap: Data is not valid base64"):
        open_bytes(bad)


def test_no_camera_with_depth_names_xdm_not_airdrop(data):
    bad = rewrite_extended_xmp(data, lambda p: re.sub(rb"<Camera:DepthMap .*?</Camera:DepthMap>", b"", p, flags=re.S))
    with pytest.raises(NoDepthError) as e:
        open_bytes(bad)
    msg = str(e.value)
    assert "XDM" in msg and "Intel" in msg and "R200" in msg and "AirDrop" not in msg


def test_a_bad_number_names_the_part(data):
    bad = rewrite_extended_xmp(data, lambda p: p.replace(b"<Depthmap:Far>65535.000000<", b"<Depthmap:Far>far<", 1))
    with pytest.raises(UnreadableFileError, match=r"XDM camera 0.*Far should be a number"):
        open_bytes(bad)
