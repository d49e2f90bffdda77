"""Bad input gets a clear DepthlabError and nothing else; the XMP parser refuses XML attacks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import depthlab
from depthlab.formats.xmp import APDI, parse_xmp
from conftest import data_sample, shared_sample


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(depthlab.UnreadableFileError, match="no such file"):
        depthlab.open(tmp_path / "nope.heic")
    with pytest.raises(depthlab.UnreadableFileError, match="folder"):
        depthlab.open(tmp_path)


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"hello, this is text\n", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "PNG"),
])
def test_not_a_depth_photo(tmp_path, content, words):
    p = tmp_path / "x.heic"
    p.write_bytes(content)
    with pytest.raises(depthlab.UnreadableFileError, match=words):
        depthlab.open(p)


@pytest.mark.parametrize("cut", [20, 100, 1000, 3000, 3900, 50_000, 600_000])
def test_truncated_heic(tmp_path, cut):
    data = shared_sample("iphone/rear_dual_pug.heic").read_bytes()[:cut]
    p = tmp_path / "cut.heic"
    p.write_bytes(data)
    with pytest.raises(depthlab.DepthlabError):
        cap = depthlab.open(p)
        cap.rgb  # a file cut inside the primary's tiles may only fail when colour is decoded


def test_real_png_is_refused_with_advice(tmp_path):
    from PIL import Image
    p = tmp_path / "photo.png"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(p)
    with pytest.raises(depthlab.UnreadableFileError, match="is a PNG image") as err:
        depthlab.open(p)
    # the advice is the one supported-formats sentence, built from the registered readers
    from depthlab.reader import supported_formats

    assert supported_formats() in str(err.value)
    assert "Apple portrait HEIC" in str(err.value) and "Dynamic Depth" in str(err.value)


def test_xmp_refuses_entities_and_external_references():
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>')
    with pytest.raises(depthlab.UnreadableFileError, match="DTD or entities"):
        parse_xmp(bomb)
    ext = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&e;</x:xmpmeta>')
    with pytest.raises(depthlab.UnreadableFileError):
        parse_xmp(ext)
    with pytest.raises(depthlab.UnreadableFileError, match="more than"):
        parse_xmp(b"<x:xmpmeta>" + b" " * (5 * 2**20) + b"</x:xmpmeta>")
    with pytest.raises(depthlab.UnreadableFileError, match="not well-formed"):
        parse_xmp(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><unclosed></x:xmpmeta>")
    with pytest.raises(depthlab.UnreadableFileError):
        parse_xmp(b"<x:xmpmeta>\xff\xfe\xfa</x:xmpmeta>")


def _xmp(value: str) -> bytes:
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description xmlns:apdi="{APDI}"><apdi:FloatMinValue>{value}</apdi:FloatMinValue>'
            f'</rdf:Description></rdf:RDF></x:xmpmeta>').encode()


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "1.5e999", "one"])
def test_xmp_numbers_must_be_finite(value):
    x = parse_xmp(_xmp(value))
    with pytest.raises(depthlab.UnreadableFileError, match="FloatMinValue"):
        x.float(APDI, "FloatMinValue")


def test_nan_in_depth_xmp_gives_clear_error(tmp_path):
    data = shared_sample("iphone/rear_dual_pug.heic").read_bytes()
    bad = data.replace(b"<apdi:FloatMaxValue>4.382812<", b"<apdi:FloatMaxValue>nan     <")
    assert bad != data and len(bad) == len(data)
    p = tmp_path / "nan.heic"
    p.write_bytes(bad)
    with pytest.raises(depthlab.UnreadableFileError, match="FloatMaxValue"):
        depthlab.open(p)


def test_reference_size_mismatch_drops_calibration_with_a_note(tmp_path):
    data = shared_sample("iphone/rear_dual_pug.heic").read_bytes()
    bad = data.replace(b"<depthData:IntrinsicMatrixReferenceHeight>3024<", b"<depthData:IntrinsicMatrixReferenceHeight>4032<")
    assert bad != data and len(bad) == len(data)
    p = tmp_path / "mismatch.heic"
    p.write_bytes(bad)
    cap = depthlab.open(p)
    assert cap.calibration is None
    assert any("does not match" in n for n in cap.metadata["notes"])


def test_open_refuses_what_is_not_a_path_with_a_depthlab_error():
    """A notebook user passing an upload's bytes, an open file or None, or the calibration
    positionally, got Python's TypeError: open() takes a path and its options by keyword."""
    path = data_sample("rear_dual.heic")
    data = Path(path).read_bytes()
    with pytest.raises(depthlab.InvalidInputError, match=r"path of a photo file.*got bytes.*open_bytes"):
        depthlab.open(data)
    with open(path, "rb") as fh, pytest.raises(depthlab.InvalidInputError, match="got BufferedReader"):
        depthlab.open(fh)
    with pytest.raises(depthlab.InvalidInputError, match="got None"):
        depthlab.open(None)
    with pytest.raises(depthlab.InvalidInputError, match=r"calibration=\.\.\."):
        depthlab.open(path, "stored")
    assert depthlab.reader.open_bytes(data).shape == depthlab.open(path).shape


def test_a_baseline_for_a_photo_that_is_not_a_stereo_pair_is_refused_not_ignored():
    """depthlab.open(pug, baseline_m=0.07) opened the portrait and dropped the baseline
    silently: the option exists for stereo pairs only."""
    with pytest.raises(depthlab.InvalidInputError, match="baseline_m applies to stereo pairs"):
        depthlab.open(shared_sample("iphone/rear_dual_pug.heic"), baseline_m=0.07)
    with pytest.raises(depthlab.InvalidInputError, match="baseline_m applies to stereo pairs"):
        depthlab.open(shared_sample("android/lens_blur_gdepth.jpg"), baseline_m=0.07)
    assert depthlab.open(data_sample("spatial.heic"), baseline_m=0.07).metadata["baseline_m"] == 0.07
