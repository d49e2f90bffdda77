"""Dynamic Depth descriptions read exactly: every field a person relies on, and every refusal's
whole message (which part of the description, what was found, what it should be).

The descriptions are written here, by hand, in the forms the specification allows (attributes,
elements, typed values), and read with :func:`depthlab.formats.dynamic_depth.parse_description`.
The expected values and messages are what the specification and the reader's documented rules
say; none is copied from the reader's output.
"""

from __future__ import annotations

import base64
import struct

import pytest

from depthlab.errors import NoDepthError, UnreadableFileError
from depthlab.formats import dynamic_depth as dd
from depthlab.formats.makers import ANDROID_ADVICE
from depthlab.formats.xmp import parse_xmp_root

DD = "http://ns.google.com/photos/dd/1.0/"
PREFIXES = {"Device": "device/", "Container": "container/", "Item": "item/", "Camera": "camera/",
            "DepthMap": "depthmap/", "ImagingModel": "imagingmodel/", "Image": "image/", "Profile": "profile/"}
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#: what the JPEG reader passes: the file's name and the part
WHAT = "p.jpg: the Dynamic Depth description"
DAMAGED = "; the file is damaged"

PRIMARY = {"Mime": "image/jpeg", "Length": 0}
DEPTH_ITEM = {"Mime": "image/jpeg", "Length": 1000, "DataURI": "android/depthmap"}
DEPTH_MAP = {"Format": "RangeInverse", "Near": "0.5", "Far": "8", "Units": "Meters", "DepthURI": "android/depthmap"}


def _attrs(prefix: str, values: dict) -> str:
    return " ".join(f'{prefix}:{k}="{v}"' for k, v in values.items() if v is not None)


def _camera(depth_map: dict | None = DEPTH_MAP, imaging: dict | None = None, image: dict | None = None) -> str:
    inner = ""
    if image is not None:
        inner += f"<Camera:Image {_attrs('Image', image)}/>"
    if depth_map is not None:
        inner += f"<Camera:DepthMap {_attrs('DepthMap', depth_map)}/>"
    if imaging is not None:
        inner += f"<Camera:ImagingModel {_attrs('ImagingModel', imaging)}/>"
    return f"<rdf:li><Device:Camera>{inner}</Device:Camera></rdf:li>"


def _profile(kind: str, indices: list) -> str:
    lis = "".join(f"<rdf:li>{i}</rdf:li>" for i in indices)
    return (f'<rdf:li><Device:Profile Profile:Type="{kind}"><Profile:CameraIndices><rdf:Seq>{lis}</rdf:Seq>'
            "</Profile:CameraIndices></Device:Profile></rdf:li>")


def xml(items: list[dict] | None = (PRIMARY, DEPTH_ITEM), cameras: list[str] | str | None = None,
        profiles: list[str] | str | None = None) -> bytes:
    """A whole XMP packet holding a Dynamic Depth description: ``items`` (None: no Device:Container),
    ``cameras`` (rdf:li strings, or raw XML for Device:Cameras; default: one camera with
    :data:`DEPTH_MAP`), ``profiles`` likewise (default: none)."""
    body = ""
    if items is not None:
        lis = "".join(f"<rdf:li><Container:Item {_attrs('Item', it)}/></rdf:li>" for it in items)
        body += f'<Device:Container rdf:parseType="Resource"><Container:Directory><rdf:Seq>{lis}</rdf:Seq></Container:Directory></Device:Container>'
    if profiles is not None:
        inner = profiles if isinstance(profiles, str) else "<rdf:Seq>" + "".join(profiles) + "</rdf:Seq>"
        body += f"<Device:Profiles>{inner}</Device:Profiles>"
    cameras = [_camera()] if cameras is None else cameras
    inner = cameras if isinstance(cameras, str) else "<rdf:Seq>" + "".join(cameras) + "</rdf:Seq>"
    body += f"<Device:Cameras>{inner}</Device:Cameras>"
    decl = " ".join(f'xmlns:{p}="{DD}{s}"' for p, s in PREFIXES.items())
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{RDF}"><rdf:Description rdf:about="" {decl}>'
            f"{body}</rdf:Description></rdf:RDF></x:xmpmeta>").encode()


def parse(packet: bytes, **kw) -> dd.Description:
    return dd.parse_description([parse_xmp_root(packet)], WHAT, **kw)


def refused(packet: bytes, error=UnreadableFileError) -> str:
    with pytest.raises(error) as e:
        parse(packet)
    return str(e.value)


def b64(*values: float) -> str:
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()


# --------------------------------------------------------------------------------------------
# Device:Container: the items and where they are
# --------------------------------------------------------------------------------------------


def test_container_items_exactly_as_listed():
    d = parse(xml([{"Mime": "image/jpeg", "Length": 0, "Padding": 2},
                   {"Mime": "image/jpeg", "Length": 2420326, "DataURI": "android/original_image"},
                   {"Mime": "image/png", "Length": 135047, "DataURI": "android/depthmap", "Padding": 16}]))
    assert d.items == [dd.ContainerItem(0, "image/jpeg", 0, "primary_image", 2),
                       dd.ContainerItem(1, "image/jpeg", 2420326, "android/original_image", 0),
                       dd.ContainerItem(2, "image/png", 135047, "android/depthmap", 16)]
    assert d.notes == []


def test_the_primary_needs_no_length_and_keeps_a_uri_it_names():
    d = parse(xml([{"Mime": "image/jpeg", "DataURI": "main.jpg"}, DEPTH_ITEM]))
    assert d.items[0] == dd.ContainerItem(0, "image/jpeg", 0, "main.jpg", 0) and d.notes == []


def test_a_primary_declaring_a_length_is_noted():
    d = parse(xml([{"Mime": "image/jpeg", "Length": 12345}, DEPTH_ITEM]))
    assert d.items[0].length == 12345
    assert d.notes == ["the first container item declares length 12,345 (the primary normally declares 0)"]


@pytest.mark.parametrize("items, message", [
    (None, f"{WHAT} has no Device:Container, so the depth map's bytes cannot be located{DAMAGED}"),
    ([], f"{WHAT}: Container:Directory lists no items{DAMAGED}"),
    ([PRIMARY, {"Length": 1000, "DataURI": "android/depthmap"}], f"{WHAT}: container item 1 has no Item:Mime{DAMAGED}"),
    ([{"Length": 0}, DEPTH_ITEM], f"{WHAT}: container item 0 has no Item:Mime{DAMAGED}"),
    ([PRIMARY, {"Mime": "image/jpeg", "DataURI": "android/depthmap"}],
     f"{WHAT}: container item 1 lacks Length, which it needs{DAMAGED}"),
    ([PRIMARY, {"Mime": "image/jpeg", "Length": -1, "DataURI": "android/depthmap"}],
     f"{WHAT}: container item 1: Length is '-1'; expected a whole number in 0..1,073,741,824"),
    ([PRIMARY, {"Mime": "image/jpeg", "Length": 2**30 + 1, "DataURI": "android/depthmap"}],
     f"{WHAT}: container item 1: Length is '1073741825'; expected a whole number in 0..1,073,741,824"),
    ([PRIMARY, {"Mime": "image/jpeg", "Length": "10.5", "DataURI": "android/depthmap"}],
     f"{WHAT}: container item 1: Length is '10.5'; expected a whole number in 0..1,073,741,824"),
    ([PRIMARY, {**DEPTH_ITEM, "Padding": -4}],
     f"{WHAT}: container item 1: Padding is '-4'; expected a whole number in 0..2,147,483,648"),
    ([{**PRIMARY, "Padding": 2**31 + 1}, DEPTH_ITEM],
     f"{WHAT}: container item 0: Padding is '2147483649'; expected a whole number in 0..2,147,483,648"),
    ([PRIMARY, {"Mime": "image/jpeg", "Length": 1000}],
     f"{WHAT}: container item 1 has no Item:DataURI, so nothing can refer to it{DAMAGED}"),
    ([PRIMARY, {**DEPTH_ITEM, "Length": 0}],
     f"{WHAT}: container item 1 (android/depthmap) has length 0; only the primary image may{DAMAGED}"),
], ids=["no-container", "no-items", "no-mime", "primary-no-mime", "no-length", "negative-length", "length-too-large",
        "fractional-length", "negative-padding", "padding-too-large", "no-uri", "zero-length"])
def test_a_damaged_container_is_refused_naming_the_item(items, message):
    assert refused(xml(items)) == message


def test_the_largest_lengths_and_paddings_are_accepted():
    d = parse(xml([{**PRIMARY, "Padding": 2**31}, {**DEPTH_ITEM, "Length": 2**30}]))
    assert (d.items[0].padding, d.items[1].length) == (2**31, 2**30)


def test_at_most_64_items():
    many = [PRIMARY] + [{"Mime": "image/jpeg", "Length": 10, "DataURI": f"item{i}"} for i in range(63)]
    assert len(parse(xml(many)).items) == 64
    message = refused(xml(many + [{"Mime": "image/jpeg", "Length": 10, "DataURI": "one-more"}]))
    assert message == f"{WHAT} lists more than 64 Directory entries{DAMAGED}"


def test_an_empty_typed_value_names_the_item():
    packet = xml().replace(b'<rdf:li><Container:Item Item:Mime="image/jpeg" Item:Length="0"/></rdf:li>',
                           b'<rdf:li rdf:parseType="Resource"><rdf:value rdf:parseType="Resource"></rdf:value>'
                           b'<rdf:type rdf:resource="http://ns.google.com/photos/dd/1.0/container/:Item"/></rdf:li>')
    assert refused(packet) == (f"{WHAT}: container item 0: its rdf:value holds no properties (an empty typed value)"
                               f"{DAMAGED}")


def test_wrappers_nested_too_deep_are_named_with_the_file():
    deep = '<rdf:value rdf:parseType="Resource">' * 6 + '<Item:Mime>image/jpeg</Item:Mime>' + "</rdf:value>" * 6
    packet = xml().replace(b'<rdf:li><Container:Item Item:Mime="image/jpeg" Item:Length="0"/></rdf:li>',
                           f'<rdf:li rdf:parseType="Resource">{deep}</rdf:li>'.encode())
    assert refused(packet) == (f"{WHAT}: rdf:Description/rdf:value wrappers nest more than 4 deep inside one Dynamic "
                               "Depth structure; the description is malformed")


# --------------------------------------------------------------------------------------------
# Device:Cameras and Device:Profiles: which camera is read
# --------------------------------------------------------------------------------------------


def _dm(uri: str) -> dict:
    return {**DEPTH_MAP, "DepthURI": uri}


ITEMS3 = [PRIMARY, {"Mime": "image/jpeg", "Length": 10, "DataURI": "d0"}, {"Mime": "image/jpeg", "Length": 10, "DataURI": "d1"}]


def _chosen(cameras, profiles=None) -> tuple[int, str]:
    d = parse(xml(ITEMS3, cameras, profiles))
    return d.camera_index, d.depth_map.depth_uri


def test_without_profiles_the_first_camera_with_a_depth_map_is_read():
    assert _chosen([_camera(_dm("d0")), _camera(_dm("d1"))]) == (0, "d0")
    assert _chosen([_camera(None), _camera(_dm("d1"))]) == (1, "d1")


def test_a_depth_photo_profile_chooses_the_camera():
    two = [_camera(_dm("d0")), _camera(_dm("d1"))]
    assert _chosen(two, [_profile("DepthPhoto", [1])]) == (1, "d1")
    # indices that name no camera are skipped; a listed camera without a depth map gives way to the next
    assert _chosen(two, [_profile("DepthPhoto", [5, 2, -1, 1])]) == (1, "d1")
    assert _chosen([_camera(None), _camera(_dm("d1"))], [_profile("DepthPhoto", [0])]) == (1, "d1")
    # other profile types do not choose; the first DepthPhoto profile does
    assert _chosen(two, [_profile("ARPhoto", [1])]) == (0, "d0")
    assert _chosen(two, [_profile("ARPhoto", [0]), _profile("DepthPhoto", [1]), _profile("DepthPhoto", [0])]) == (1, "d1")
    # a profile written outside an rdf:Seq is read too
    bare = '<Device:Profile Profile:Type="DepthPhoto"><Profile:CameraIndices><rdf:Seq><rdf:li>1</rdf:li></rdf:Seq></Profile:CameraIndices></Device:Profile>'
    assert _chosen(two, bare) == (1, "d1")


def test_a_camera_index_that_is_no_number_is_refused():
    message = refused(xml(ITEMS3, [_camera(_dm("d0"))], [_profile("DepthPhoto", ["one"])]))
    assert message == f"{WHAT}: a Profile:CameraIndices entry is 'one', not an index"


def test_at_most_16_cameras_profiles_and_indices():
    cams = [_camera(_dm("d0"))] * 16
    assert parse(xml(ITEMS3, cams)).camera_index == 0
    assert refused(xml(ITEMS3, cams + [_camera()])) == f"{WHAT} lists more than 16 camera entries{DAMAGED}"
    profs = [_profile("ARPhoto", [0])] * 17
    assert refused(xml(ITEMS3, cams, profs)) == f"{WHAT} lists more than 16 profile entries{DAMAGED}"
    assert refused(xml(ITEMS3, cams, [_profile("DepthPhoto", [0] * 17)])) == \
        f"{WHAT} lists more than 16 CameraIndices entries{DAMAGED}"


@pytest.mark.parametrize("cameras", [[_camera(None), _camera(None)], "", [_camera(None, {"FocalLengthX": 1})]],
                         ids=["no-depth-map", "no-cameras", "imaging-model-only"])
def test_no_camera_with_a_depth_map_is_no_depth_naming_the_items(cameras):
    with pytest.raises(NoDepthError) as e:
        parse(xml(ITEMS3, cameras))
    assert str(e.value) == ("p.jpg is a Google Dynamic Depth photo whose description lists no camera with a depth map "
                            f"(3 container item(s): primary_image, d0, d1). {ANDROID_ADVICE}")
    with pytest.raises(NoDepthError) as e:
        parse(xml(ITEMS3, cameras), advice="Take it in Portrait mode.")
    assert str(e.value).endswith("(3 container item(s): primary_image, d0, d1). Take it in Portrait mode.")


def test_a_description_without_device_cameras_is_no_depth():
    packet = xml().replace(b"<Device:Cameras><rdf:Seq>", b"<Device:Lenses><rdf:Seq>").replace(
        b"</rdf:Seq></Device:Cameras>", b"</rdf:Seq></Device:Lenses>")
    with pytest.raises(NoDepthError, match=r"^p\.jpg is a Google Dynamic Depth photo whose description lists no camera"):
        parse(packet)


# --------------------------------------------------------------------------------------------
# Camera:DepthMap
# --------------------------------------------------------------------------------------------


def _depth_map(**changes) -> dd.Description:
    values = {**DEPTH_MAP, **changes}
    return parse(xml(cameras=[_camera({k: v for k, v in values.items() if v is not None})]))


def test_the_depth_map_exactly():
    d = _depth_map(Format="RangeLinear", Near="0.3", Far="8.0", Units="None", MeasureType="OpticRay",
                   ConfidenceURI="android/confidencemap", ItemSemantic="Segmentation",
                   FocalTableEntryCount=2, FocalTable=b64(0.5, 0.0, 8.0, 12.0))
    assert d.depth_map == dd.DepthMapInfo("RangeLinear", 0.3, 8.0, "None", "OpticRay", "android/depthmap",
                                          "android/confidencemap", "Segmentation", ((0.5, 0.0), (8.0, 12.0)))
    assert d.notes == []


def test_depth_map_defaults():
    # Units absent: no stated scale; MeasureType absent: along the optical axis; ItemSemantic absent: Depth
    d = _depth_map(Units=None, ConfidenceURI="")
    assert d.depth_map == dd.DepthMapInfo("RangeInverse", 0.5, 8.0, "None", "OpticalAxis", "android/depthmap", None,
                                          "Depth", ())
    assert d.notes == []
    assert _depth_map(Units="Diopters").depth_map.units == "Diopters"


def test_unknown_units_and_measure_types_are_noted():
    d = _depth_map(Units="Inches", MeasureType="Radial")
    assert (d.depth_map.units, d.depth_map.measure_type) == ("None", "OpticalAxis")
    assert d.notes == ["unknown DepthMap:Units 'Inches': treated as None (no stated scale)",
                       "unknown DepthMap:MeasureType 'Radial': treated as OpticalAxis"]
    long = "x" * 50
    assert _depth_map(Units=long).notes == [f"unknown DepthMap:Units {'x' * 40!r}: treated as None (no stated scale)"]
    assert _depth_map(MeasureType=long).notes == [f"unknown DepthMap:MeasureType {'x' * 40!r}: treated as OpticalAxis"]


def test_a_focal_table_without_a_count_is_read_in_pairs():
    assert _depth_map(FocalTable=b64(1.0, 2.0, 3.0, 4.0)).depth_map.focal_table == ((1.0, 2.0), (3.0, 4.0))
    # a count without a table is no table
    assert _depth_map(FocalTableEntryCount=2).depth_map.focal_table == ()


def test_ranges_each_format_allows():
    assert (_depth_map(Format="RangeLinear", Near="0", Far="5").depth_map.near, 0.0) == (0.0, 0.0)
    assert _depth_map(Near="0.001", Far="0.002").depth_map.far == 0.002


CW = f"{WHAT}: camera 0's DepthMap"


@pytest.mark.parametrize("changes, message", [
    ({"Format": "RangeBogus"}, f"{CW}: Format is 'RangeBogus'; only RangeInverse and RangeLinear are defined"),
    ({"Format": None}, f"{CW}: Format is ''; only RangeInverse and RangeLinear are defined"),
    ({"Format": "R" * 50}, f"{CW}: Format is {'R' * 40!r}; only RangeInverse and RangeLinear are defined"),
    ({"Near": None}, f"{CW} lacks Near, which it needs{DAMAGED}"),
    ({"Far": ""}, f"{CW} lacks Far, which it needs{DAMAGED}"),
    ({"Near": "near"}, f"{CW}: Near should be a number, found 'near'{DAMAGED}"),
    ({"Far": "inf"}, f"{CW}: Far is 'inf', not a finite number{DAMAGED}"),
    ({"Near": "0"}, f"{CW}: Near 0.0 and Far 8.0 (Meters) do not describe a RangeInverse range"),
    ({"Near": "8"}, f"{CW}: Near 8.0 and Far 8.0 (Meters) do not describe a RangeInverse range"),
    ({"Near": "9", "Units": "Diopters"}, f"{CW}: Near 9.0 and Far 8.0 (Diopters) do not describe a RangeInverse range"),
    ({"Format": "RangeLinear", "Near": "-0.5", "Units": None},
     f"{CW}: Near -0.5 and Far 8.0 (None) do not describe a RangeLinear range"),
    ({"Format": "RangeLinear", "Near": "8"}, f"{CW}: Near 8.0 and Far 8.0 (Meters) do not describe a RangeLinear range"),
    ({"DepthURI": None}, f"{CW} has no DepthURI, so its image cannot be found{DAMAGED}"),
    ({"FocalTableEntryCount": 3, "FocalTable": b64(1, 2, 3, 4)},
     f"{CW}: FocalTable holds 4 float32 values (FocalTableEntryCount 3 needs 6: distance, blur radius per entry){DAMAGED}"),
    ({"FocalTable": b64(1, 2, 3)},
     f"{CW}: FocalTable holds 3 float32 values (pairs need an even count: distance, blur radius per entry){DAMAGED}"),
    ({"FocalTableEntryCount": 1025, "FocalTable": b64(1, 2)},
     f"{CW}: FocalTableEntryCount is '1025'; expected a whole number in 0..1,024"),
    ({"FocalTable": "not base64!"}, f"{CW}: FocalTable is not valid base64"),
], ids=["format", "no-format", "long-format", "no-near", "no-far", "near-word", "far-inf", "inverse-near-0", "empty-range",
        "reversed", "linear-negative", "linear-empty", "no-uri", "table-count", "table-odd", "table-count-range", "table-b64"])
def test_a_damaged_depth_map_is_refused_naming_the_camera(changes, message):
    values = {**DEPTH_MAP, **changes}
    got = refused(xml(cameras=[_camera({k: v for k, v in values.items() if v is not None})]))
    assert got.startswith(message) if message.endswith("base64") else got == message


def test_the_chosen_cameras_index_is_named():
    cams = [_camera(None), _camera({**DEPTH_MAP, "Format": "RangeBogus"})]
    assert refused(xml(ITEMS3, cams)).startswith(f"{WHAT}: camera 1's DepthMap: Format is 'RangeBogus'")


# --------------------------------------------------------------------------------------------
# Camera:ImagingModel and Camera:Image
# --------------------------------------------------------------------------------------------

PIXEL3_MODEL = {"FocalLengthX": "3197.943115", "FocalLengthY": "3194.812500", "PrincipalPointX": "1503.612305",
                "PrincipalPointY": "2023.042480", "ImageWidth": 3024, "ImageHeight": 4032, "Skew": "0.000000",
                "PixelAspectRatio": "1.000000", "DistortionCount": 4, "Distortion": b64(0.1, 0.2, 0.3, 0.4, 0, 0, 0, 0)}


def _model(values: dict, image: dict | None = None) -> dd.Description:
    return parse(xml(cameras=[_camera(DEPTH_MAP, {k: v for k, v in values.items() if v is not None}, image)]))


def test_the_imaging_model_as_a_pixel_3_writes_it():
    d = _model(PIXEL3_MODEL)
    f32 = [float(struct.unpack("<f", struct.pack("<f", v))[0]) for v in (0.1, 0.2, 0.3, 0.4)]
    assert d.imaging_model == dd.ImagingModelInfo(3197.943115, 3194.8125, 1503.612305, 2023.04248, 3024, 4032, 0.0, 1.0,
                                                  (*f32, 0.0, 0.0, 0.0, 0.0), False, False)
    assert d.notes == []


def test_imaging_model_defaults_and_recorded_values():
    d = _model({"FocalLengthX": "500", "FocalLengthY": "510", "PrincipalPointX": "200", "PrincipalPointY": "150"})
    assert d.imaging_model == dd.ImagingModelInfo(500.0, 510.0, 200.0, 150.0, None, None, 0.0, 1.0, (), False, False)
    d = _model({"FocalLengthX": "500", "FocalLengthY": "510", "PrincipalPointX": "200", "PrincipalPointY": "150",
                "Skew": "0.25", "PixelAspectRatio": "2"})
    assert (d.imaging_model.skew, d.imaging_model.pixel_aspect_ratio) == (0.25, 2.0)
    assert _model({"FocalLengthX": "5", "FocalLengthY": "5", "PixelAspectRatio": "0"}).imaging_model.pixel_aspect_ratio == 0.0


def test_normalised_focal_lengths_are_at_most_ten():
    at = _model({"FocalLengthX": "10", "FocalLengthY": "10", "PrincipalPointX": "0.5", "PrincipalPointY": "0.5"})
    assert at.imaging_model.focal_normalised is True
    above = _model({"FocalLengthX": "10", "FocalLengthY": "10.5", "PrincipalPointX": "0.5", "PrincipalPointY": "0.5"})
    assert above.imaging_model.focal_normalised is False
    above = _model({"FocalLengthX": "10.5", "FocalLengthY": "10", "PrincipalPointX": "0.5", "PrincipalPointY": "0.5"})
    assert above.imaging_model.focal_normalised is False


@pytest.mark.parametrize("pp, normalised", [(("1", "0"), True), (("0", "1"), True), (("0.5", "0.5"), True),
                                            (("1.5", "0.5"), False), (("0.5", "1.5"), False), (("-0.1", "0.5"), False),
                                            (("0.5", "-0.1"), False), (("640", "480"), False)])
def test_a_principal_point_in_the_unit_square_is_normalised(pp, normalised):
    d = _model({"FocalLengthX": "0.9", "FocalLengthY": "0.9", "PrincipalPointX": pp[0], "PrincipalPointY": pp[1]})
    assert (d.imaging_model.cx, d.imaging_model.cy) == (float(pp[0]), float(pp[1]))
    assert d.imaging_model.principal_point_normalised is normalised and d.notes == []


@pytest.mark.parametrize("pp", [{}, {"PrincipalPointX": "300"}, {"PrincipalPointY": "200"}])
def test_without_a_principal_point_the_centre_is_used(pp):
    d = _model({"FocalLengthX": "500", "FocalLengthY": "500", **pp})
    m = d.imaging_model
    assert (m.cx, m.cy, m.principal_point_normalised) == (0.5, 0.5, True)
    assert d.notes == ["ImagingModel without a principal point: the image centre is used"]


@pytest.mark.parametrize("values", [{"FocalLengthX": "500"}, {"FocalLengthY": "500"}, {"Skew": "0"}])
def test_without_both_focal_lengths_there_are_no_intrinsics(values):
    d = _model(values)
    assert d.imaging_model is None and d.notes == ["ImagingModel without FocalLengthX/Y: no intrinsics"]


def test_distortion_count_disagreeing_with_the_table_is_noted():
    d = _model({"FocalLengthX": "500", "FocalLengthY": "500", "PrincipalPointX": "200", "PrincipalPointY": "150",
                "DistortionCount": 1, "Distortion": b64(1, 2, 3, 4)})
    assert d.imaging_model.distortion == (1.0, 2.0, 3.0, 4.0)
    assert d.notes == ["ImagingModel:Distortion holds 4 values but DistortionCount 1 says 2"]
    agree = _model({"FocalLengthX": "500", "FocalLengthY": "500", "PrincipalPointX": "200", "PrincipalPointY": "150",
                    "DistortionCount": 2, "Distortion": b64(1, 2, 3, 4)})
    assert agree.notes == []


MW = f"{WHAT}: camera 0's ImagingModel"


@pytest.mark.parametrize("changes, message", [
    ({"FocalLengthX": "0"}, f"{MW}: focal lengths 0.0, 3194.8125 are not positive{DAMAGED}"),
    ({"FocalLengthY": "-1"}, f"{MW}: focal lengths 3197.943115, -1.0 are not positive{DAMAGED}"),
    ({"FocalLengthY": "0"}, f"{MW}: focal lengths 3197.943115, 0.0 are not positive{DAMAGED}"),
    ({"FocalLengthX": "f"}, f"{MW}: FocalLengthX should be a number, found 'f'{DAMAGED}"),
    ({"FocalLengthY": "nan"}, f"{MW}: FocalLengthY is 'nan', not a finite number{DAMAGED}"),
    ({"ImageWidth": 0}, f"{MW}: ImageWidth is '0'; expected a whole number in 1..65,536"),
    ({"ImageHeight": 65537}, f"{MW}: ImageHeight is '65537'; expected a whole number in 1..65,536"),
    ({"PrincipalPointX": "x"}, f"{MW}: PrincipalPointX should be a number, found 'x'{DAMAGED}"),
    ({"PrincipalPointY": "x"}, f"{MW}: PrincipalPointY should be a number, found 'x'{DAMAGED}"),
    ({"Skew": "x"}, f"{MW}: Skew should be a number, found 'x'{DAMAGED}"),
    ({"PixelAspectRatio": "x"}, f"{MW}: PixelAspectRatio should be a number, found 'x'{DAMAGED}"),
    ({"DistortionCount": 1025}, f"{MW}: DistortionCount is '1025'; expected a whole number in 0..1,024"),
    ({"Distortion": "AAAA="}, f"{MW}: Distortion is 3 bytes, not a whole number of float32 values{DAMAGED}"),
], ids=["fx-zero", "fy-negative", "fy-zero", "fx-word", "fy-nan", "width-zero", "height-too-large", "ppx", "ppy", "skew", "par",
        "distortion-count", "distortion-bytes"])
def test_a_damaged_imaging_model_is_refused_naming_the_camera(changes, message):
    assert refused(xml(cameras=[_camera(DEPTH_MAP, {**PIXEL3_MODEL, **changes})])) == message


def test_the_largest_image_size_is_accepted():
    d = _model({**PIXEL3_MODEL, "ImageWidth": 65536, "ImageHeight": 1})
    assert (d.imaging_model.width, d.imaging_model.height) == (65536, 1)


def test_the_original_image_is_named_by_camera_image():
    assert _model(PIXEL3_MODEL, {"ItemSemantic": "Original", "ItemURI": "android/original_image"}).image_uri == \
        "android/original_image"
    assert _model(PIXEL3_MODEL, {"ItemSemantic": "Original", "ItemURI": ""}).image_uri is None
    assert _model(PIXEL3_MODEL).image_uri is None


@pytest.mark.parametrize("part", ["DepthMap", "ImagingModel", "Image"])
def test_an_empty_typed_value_names_the_cameras_part(part):
    parts = {"DepthMap": f"<Camera:DepthMap {_attrs('DepthMap', DEPTH_MAP)}/>", "ImagingModel": "", "Image": ""}
    parts[part] = (f'<Camera:{part} rdf:parseType="Resource"><rdf:value rdf:parseType="Resource"></rdf:value>'
                   f'<rdf:type rdf:resource="{DD}camera/:{part}"/></Camera:{part}>')
    camera = f"<rdf:li><Device:Camera>{''.join(parts.values())}</Device:Camera></rdf:li>"
    assert refused(xml(cameras=[camera])) == \
        f"{WHAT}: camera 0's {part}: its rdf:value holds no properties (an empty typed value){DAMAGED}"
