"""XDM 1.0 read exactly: the real RealSense sample's capture and metadata, and an ImagingModel's
intrinsics, notes and refusals written by hand.

The sample's numbers are the ones its XMP stores (readable in the file); the intrinsics follow
the specification's normalisation (focal lengths by the larger side, the principal point by width
and height) at the depth map's size, worked out here.
"""

from __future__ import annotations

import base64

import numpy as np
import pytest

import depthlab
from conftest import shared_sample
from depthlab.capture import CameraInfo, DepthEncoding
from depthlab.errors import UnreadableFileError
from depthlab.formats import xdm
from depthlab.formats.xmp import parse_xmp_root

XDM_FILE = "other/intel_realsense_xdm.jpg"
P = "http://ns.xdm.org/photos/1.0/perspectivemodel/"
WHAT = "the XDM ImagingModel"


def test_the_real_sample_exactly():
    c = depthlab.open(shared_sample(XDM_FILE))
    assert c.format == "JPEG (XDM 1.0)" and c.accuracy == "relative"
    assert c.camera == CameraInfo(kind="XDM", make="Intel Corporation", model="R200")
    assert c.encoding == DepthEncoding(quantity="depth", bits=16, int_max=65535, format="RangeLinear", near=0.0,
                                       far=65535.0)
    k = c.calibration.intrinsic_matrix
    assert c.calibration.reference_size == (472, 352)
    assert c.calibration.source == "XDM 1.0 ImagingModel (PerspectiveModel, XMP)"
    want = [[0.887287 * 472, 0, 0.540955 * 472], [0, 0.889163 * 472, 0.507184 * 352], [0, 0, 1]]
    assert np.allclose(k, want, rtol=1e-12, atol=0)
    m = c.metadata
    assert m["container"] == "JPEG + XDM 1.0" and m["colour_source"] == "XDM camera 0's Image"
    pose = {"PositionX": "32.797184", "PositionY": "-15.309257", "PositionZ": "0.034321",
            "RotationAxisX": "0.020356", "RotationAxisY": "-0.012210", "RotationAxisZ": "-0.014555"}
    assert m["xdm"] == {
        "camera_index": 0, "camera_model": "R200",
        "cameras": [{"index": 0, "model": "R200", "manufacturer": "Intel Corporation", "has_image": True, "has_depth": True,
                     "pose": None},
                    {"index": 1, "model": "R200-rawdepth", "manufacturer": "Intel Corporation", "has_image": False,
                     "has_depth": True, "pose": pose}],
        "depth_map": {"format": "RangeLinear", "near": 0.0, "far": 65535.0, "metric": False, "bits": 16,
                      "stored_size": [472, 352]},
        "imaging_model": {"focal_length": [0.887287, 0.889163], "principal_point": [0.540955, 0.507184],
                          "lens_distortion": [0.147654, -0.554601, -0.001713, 0.726413, 0.00024], "normalised": True,
                          "applied_at": [472, 352]},
    }
    assert m["notes"] == [
        "XDM DepthMap:Metric False: the depth is not in metres; numbers kept in the file's own units (this camera's "
        "noise model is in millimetres), relative",
        "ImagingModel focal lengths are normalised by the larger image side (as the specification writes them)",
        "ImagingModel:Distortion (5 values) is kept in metadata, not applied",
        "the colour image (2965x2254) and the depth map (472x352) differ in aspect ratio; colour is stretched onto the "
        "depth grid",
        "XDM: depth from camera 0 (R200) of 2",
    ]


# --------------------------------------------------------------------------------------------
# an ImagingModel (PerspectiveModel), written here
# --------------------------------------------------------------------------------------------


def model(**values) -> object:
    """A PerspectiveModel structure with ``values`` as elements (LensDistortion: a list)."""
    body = ""
    for k, v in values.items():
        if v is None:
            continue
        if k == "LensDistortion":
            body += "<P:LensDistortion><rdf:Seq>" + "".join(f"<rdf:li>{x}</rdf:li>" for x in v) + "</rdf:Seq></P:LensDistortion>"
        else:
            body += f"<P:{k}>{v}</P:{k}>"
    root = parse_xmp_root((f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:P="{P}" '
                           f'xmlns:C="urn:camera"><rdf:Description><C:ImagingModel rdf:parseType="Resource">{body}'
                           "</C:ImagingModel></rdf:Description></rdf:RDF>").encode())
    return next(root.iter("{urn:camera}ImagingModel"))


def calibrate(size=(400, 300), **values):
    notes: list[str] = []
    cal, stored = xdm.xdm_calibration(model(**values), size, notes)
    return cal, stored, notes


def test_normalised_intrinsics_at_the_depth_maps_size():
    cal, stored, notes = calibrate(FocalLengthX="0.5", FocalLengthY="0.75", PrincipalPointX="0.25", PrincipalPointY="1",
                                   LensDistortion=["0.1", "-0.2"])
    assert cal.intrinsic_matrix.tolist() == [[200.0, 0.0, 100.0], [0.0, 300.0, 300.0], [0.0, 0.0, 1.0]]
    assert cal.reference_size == (400, 300) and cal.source == "XDM 1.0 ImagingModel (PerspectiveModel, XMP)"
    assert stored == {"focal_length": [0.5, 0.75], "principal_point": [0.25, 1.0], "lens_distortion": [0.1, -0.2],
                      "normalised": True, "applied_at": [400, 300]}
    assert notes == ["ImagingModel focal lengths are normalised by the larger image side (as the specification writes them)",
                     "ImagingModel:Distortion (2 values) is kept in metadata, not applied"]


def test_pixel_intrinsics_are_taken_at_the_depth_maps_size():
    cal, stored, notes = calibrate(FocalLengthX="400", FocalLengthY="410", PrincipalPointX="201.5", PrincipalPointY="150")
    assert cal.intrinsic_matrix.tolist() == [[400.0, 0.0, 201.5], [0.0, 410.0, 150.0], [0.0, 0.0, 1.0]]
    assert stored == {"focal_length": [400.0, 410.0], "principal_point": [201.5, 150.0], "lens_distortion": None,
                      "normalised": False, "applied_at": [400, 300]}
    assert notes == ["XDM ImagingModel in pixels without an image size: taken at the depth map's size"]


def test_without_a_principal_point_the_centre_is_used():
    for pp in ({}, {"PrincipalPointX": "0.3"}, {"PrincipalPointY": "0.3"}):
        cal, stored, _ = calibrate(FocalLengthX="0.5", FocalLengthY="0.5", **pp)
        assert (cal.cx, cal.cy) == (200.0, 150.0) and stored["principal_point"] == [0.5, 0.5]


@pytest.mark.parametrize("fx, fy, normalised", [("10", "10", True), ("10", "10.5", False), ("10.5", "10", False)])
def test_focal_lengths_at_most_ten_are_normalised(fx, fy, normalised):
    _, stored, _ = calibrate(FocalLengthX=fx, FocalLengthY=fy, PrincipalPointX="0.5", PrincipalPointY="0.5")
    assert stored["normalised"] is normalised


@pytest.mark.parametrize("pp, expected", [
    (("1", "0"), (400.0, 0.0)),  # the unit square's corners are normalised
    (("0", "1"), (0.0, 300.0)),
    (("1.5", "0.5"), (1.5, 0.5)),  # outside it: pixels
    (("0.5", "1.5"), (0.5, 1.5)),
    (("-0.5", "0.5"), (-0.5, 0.5)),
    (("0.5", "-0.5"), (0.5, -0.5)),
])
def test_a_principal_point_in_the_unit_square_is_normalised(pp, expected):
    cal, _, _ = calibrate(FocalLengthX="0.5", FocalLengthY="0.5", PrincipalPointX=pp[0], PrincipalPointY=pp[1])
    assert (cal.cx, cal.cy) == expected


def test_without_an_imaging_model_there_are_no_intrinsics():
    notes: list[str] = []
    assert xdm.xdm_calibration(None, (400, 300), notes) == (None, None)
    assert notes == ["XDM camera without an ImagingModel: no intrinsics"]


def test_at_most_64_lens_distortion_values():
    _, stored, _ = calibrate(FocalLengthX="0.5", FocalLengthY="0.5", LensDistortion=["0"] * 64)
    assert stored["lens_distortion"] == [0.0] * 64
    with pytest.raises(UnreadableFileError) as e:
        calibrate(FocalLengthX="0.5", FocalLengthY="0.5", LensDistortion=["0"] * 65)
    assert str(e.value) == f"{WHAT} lists more than 64 LensDistortion entries; the file is damaged"


@pytest.mark.parametrize("values, message", [
    ({"FocalLengthY": "0.5"}, f"{WHAT} lacks FocalLengthX, which it needs; the file is damaged"),
    ({"FocalLengthX": "0.5"}, f"{WHAT} lacks FocalLengthY, which it needs; the file is damaged"),
    ({"FocalLengthX": "0", "FocalLengthY": "0.5"}, f"{WHAT}: focal lengths 0.0, 0.5 are not positive; the file is damaged"),
    ({"FocalLengthX": "0.5", "FocalLengthY": "0"}, f"{WHAT}: focal lengths 0.5, 0.0 are not positive; the file is damaged"),
    ({"FocalLengthX": "-1", "FocalLengthY": "0.5"}, f"{WHAT}: focal lengths -1.0, 0.5 are not positive; the file is damaged"),
    ({"FocalLengthX": "0.5", "FocalLengthY": "0.5", "PrincipalPointX": "x"},
     f"{WHAT}: PrincipalPointX should be a number, found 'x'; the file is damaged"),
    ({"FocalLengthX": "0.5", "FocalLengthY": "0.5", "PrincipalPointY": "y"},
     f"{WHAT}: PrincipalPointY should be a number, found 'y'; the file is damaged"),
], ids=["no-fx", "no-fy", "fx-zero", "fy-zero", "fx-negative", "ppx", "ppy"])
def test_a_damaged_imaging_model_is_refused_naming_the_part(values, message):
    with pytest.raises(UnreadableFileError) as e:
        calibrate(**values)
    assert str(e.value) == message


def test_the_sample_reads_with_its_own_intrinsics_only():
    # every other number of the capture above; nothing estimated from EXIF
    c = depthlab.open(shared_sample(XDM_FILE))
    assert not c.calibration.estimated and np.isfinite(c.depth).mean() == 1.0


# --------------------------------------------------------------------------------------------
# the sample's DepthMap edited (the colour camera's, listed first)
# --------------------------------------------------------------------------------------------

DW = "p.jpg: XDM camera 0 (R200)'s DepthMap"


@pytest.fixture(scope="module")
def sample_bytes():
    return shared_sample(XDM_FILE).read_bytes()


def edited(data: bytes, old: bytes, new: bytes) -> bytes:
    from depthlab.synth.jpeg import rewrite_extended_xmp

    def edit(packet: bytes) -> bytes:
        assert old in packet
        return packet.replace(old, new, 1)
    return rewrite_extended_xmp(data, edit)


def _open(data: bytes):
    from pathlib import Path

    from depthlab.reader import open_bytes
    return open_bytes(data, Path("p.jpg"))


@pytest.mark.parametrize("value", [b"True", b"true", b" TRUE "])
def test_metric_true_is_metres_and_absolute(sample_bytes, value):
    c = _open(edited(sample_bytes, b"<Depthmap:Metric>False<", b"<Depthmap:Metric>" + value + b"<"))
    assert c.accuracy == "absolute" and c.encoding.units == "Meters"
    assert c.metadata["xdm"]["depth_map"]["metric"] is True
    assert not any("Metric" in n for n in c.metadata["notes"])


def test_the_path_and_colour_size_before_decoding():
    path = shared_sample(XDM_FILE)
    c = depthlab.open(path)
    assert c.path == path and c.rgb_size == (2965, 2254)


@pytest.mark.parametrize("old, new, message", [
    (b"<Depthmap:Format>RangeLinear<", b"<Depthmap:Format>RangeBogus<",
     f"{DW}: Format is 'RangeBogus'; XDM defines RangeLinear and RangeInverse"),
    (b"<Depthmap:Near>0.000000</Depthmap:Near>", b"", f"{DW} lacks Near, which it needs; the file is damaged"),
    (b"<Depthmap:Far>65535.000000</Depthmap:Far>", b"", f"{DW} lacks Far, which it needs; the file is damaged"),
    (b"<Depthmap:Near>0.000000<", b"<Depthmap:Near>65535<",
     f"{DW}: Near 65535.0 and Far 65535.0 do not describe a RangeLinear range; the file is damaged"),
    (b"<Depthmap:Format>RangeLinear<", b"<Depthmap:Format>RangeInverse<",
     f"{DW}: Near 0.0 and Far 65535.0 do not describe a RangeInverse range; the file is damaged"),
], ids=["format", "no-near", "no-far", "empty-range", "inverse-from-zero"])
def test_a_damaged_depth_range_is_refused_naming_the_camera(sample_bytes, old, new, message):
    with pytest.raises(UnreadableFileError) as e:
        _open(edited(sample_bytes, old, new))
    assert str(e.value) == message


def test_range_inverse_needs_only_a_positive_near(sample_bytes):
    data = edited(edited(sample_bytes, b"<Depthmap:Format>RangeLinear<", b"<Depthmap:Format>RangeInverse<"),
                  b"<Depthmap:Near>0.000000<", b"<Depthmap:Near>0.5<")
    c = _open(data)
    assert c.encoding.format == "RangeInverse" and c.encoding.near == 0.5


# --------------------------------------------------------------------------------------------
# which camera, and its embedded PNG
# --------------------------------------------------------------------------------------------

ADVICE = "only the camera's unmodified original file keeps it"


def cam(index: int, model: str | None, image: bool, depth: bool) -> xdm.XdmCamera:
    return xdm.XdmCamera(index, None, model, "Intel Corporation", image, depth)


def test_the_colour_camera_is_chosen_wherever_it_is_listed():
    cams = [cam(0, "R200-rawdepth", False, True), cam(1, "R200", True, True)]
    assert xdm.choose_camera(cams, "p.jpg") == (cams[1], [])


def test_without_a_colour_camera_the_first_with_depth_is_chosen_with_a_note():
    cams = [cam(0, None, True, False), cam(1, "R200-rawdepth", False, True), cam(2, None, False, True)]
    chosen, notes = xdm.choose_camera(cams, "p.jpg")
    assert chosen is cams[1] and notes == [
        "XDM: no camera has both an Image and a DepthMap; depth from camera 1 (R200-rawdepth), which may not be "
        "registered to the primary image"]
    chosen, notes = xdm.choose_camera(cams[2:], "p.jpg")
    assert chosen is cams[2] and "depth from camera 2 (unnamed)," in notes[0]


def test_no_camera_with_depth_names_xdm_and_the_cameras():
    from depthlab.errors import NoDepthError

    with pytest.raises(NoDepthError) as e:
        xdm.choose_camera([], "p.jpg")
    assert str(e.value) == ("p.jpg is an XDM 1.0 photo (Intel RealSense) whose description lists no camera, so it holds "
                            f"no depth map; {ADVICE}")
    with pytest.raises(NoDepthError) as e:
        xdm.choose_camera([cam(0, "R200", True, False), cam(1, None, False, False)], "p.jpg")
    assert str(e.value) == ("p.jpg is an XDM 1.0 photo (Intel RealSense): its cameras (R200, camera 1) carry no "
                            f"DepthMap, so it holds no depth map; {ADVICE}")


W = "p.jpg: XDM camera 0 (R200)'s DepthMap"
PNG_B64 = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8).decode()


@pytest.mark.parametrize("mime", [None, "image/png", "IMAGE/PNG"])
def test_depth_maps_are_pngs_whatever_the_case_of_their_mime(mime):
    p = {"Data": PNG_B64.rstrip("=")} if mime is None else {"Data": PNG_B64, "Mime": mime}
    assert xdm.depth_png(p, W) == b"\x89PNG\r\n\x1a\n" + b"\x00" * 8  # unpadded base64 reads too


@pytest.mark.parametrize("p, error, message", [
    ({"Data": PNG_B64, "Mime": "image/jpeg"}, "UnsupportedFormatError",
     f"{W} is 'image/jpeg'; depthlab reads XDM depth maps stored as PNG"),
    ({"Data": PNG_B64, "Mime": "x" * 50}, "UnsupportedFormatError",
     f"{W} is {'x' * 40!r}; depthlab reads XDM depth maps stored as PNG"),
    ({"Data": base64.b64encode(b"GIF89a\x01\x02\x03\x04").decode()}, "UnreadableFileError",
     f"{W}: Data is not a PNG (it starts with {b'GIF89a' + bytes([1, 2])!r}); the file is damaged"),
    ({"Mime": "image/png"}, "UnreadableFileError", f"{W} has no Data, so there is no image to read; the file is damaged"),
    ({"Data": "iVBOR*w0K"}, "UnreadableFileError", f"{W}: Data is not valid base64 ("),
], ids=["jpeg", "long-mime", "gif", "no-data", "not-base64"])
def test_a_depth_map_that_is_not_a_png_is_named(p, error, message):
    from depthlab import errors

    with pytest.raises(getattr(errors, error)) as e:
        xdm.depth_png(p, W)
    assert str(e.value).startswith(message) if message.endswith("(") else str(e.value) == message
