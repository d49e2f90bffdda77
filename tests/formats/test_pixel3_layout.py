"""Dynamic Depth as Pixel 3 portraits really write it (typed values, Units Diopters).

The real files are personal photos and cannot be shared; their layout is described in issue 25 and
reproduced exactly by :func:`depthlab.synth.dynamic_depth.pixel3_portrait_bytes`.  The first tests
check that the generated file has that layout, reading its bytes and XML here (not with the
reader); the others check what a person gets from ``depthlab.open``.  Expectations come from the
stored codes and the specification's RangeInverse formula, computed here.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import re
import struct

import numpy as np
import pytest
from PIL import Image

from depthlab.errors import DepthlabError, UnreadableFileError
from depthlab.formats import jpeg_segments as js
from depthlab.formats.xmp import parse_xmp_root
from depthlab.reader import open_bytes
from depthlab.synth import dynamic_depth as sdd

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
DD = "http://ns.google.com/photos/dd/1.0/"
NEAR, FAR = 0.550750, 8.000000


@pytest.fixture(scope="module")
def fixture():
    cap = sdd.render_pixel3_portrait()
    return cap, sdd.pixel3_portrait_bytes(cap)


# Opened anew for each test (function scope): mutation testing runs, for each mutant, only the tests
# during which the mutated reader ran, and a module fixture runs inside the first test that uses it.
@pytest.fixture
def opened(fixture):
    return open_bytes(fixture[1])


def _extended(data: bytes) -> tuple[bytes, bytes]:
    segs = list(js.iter_segments(data))
    main = js.standard_xmp(data, segs)
    guid = re.search(rb'HasExtendedXMP="([0-9A-F]{32})"', main).group(1).decode()
    return main, js.extended_xmp(data, segs, guid).data


def _items(data: bytes) -> list[tuple[str, str, int]]:
    root = parse_xmp_root(_extended(data)[1], max_bytes=1 << 24)
    out = []
    for li in root.iter(RDF + "li"):
        value = li.find(RDF + "value")
        if value is not None and value.find(f"{{{DD}item/}}Mime") is not None:
            out.append(tuple(value.find(f"{{{DD}item/}}{k}").text for k in ("DataURI", "Mime", "Length")))
    return [(u, m, int(n)) for u, m, n in out]


def _item_bytes(data: bytes, uri: str) -> bytes:
    items = _items(data)
    end = len(data)
    for u, _, n in reversed(items[1:]):  # appended in order, the last one ends the file
        if u == uri:
            return data[end - n:end]
        end -= n
    raise KeyError(uri)


# --------------------------------------------------------------------------------------------
# the layout (facts of the real files, checked on the generated one)
# --------------------------------------------------------------------------------------------


def test_the_description_is_in_the_extended_xmp_and_the_main_xmp_marks_a_portrait(fixture):
    main, ext = _extended(fixture[1])
    assert b"SpecialType-PORTRAIT" in main and DD.encode() not in main
    assert b"photos/dd/1.0/container/" in ext


def test_every_entry_and_camera_structure_is_a_typed_value(fixture):
    root = parse_xmp_root(_extended(fixture[1])[1], max_bytes=1 << 24)
    for holder in ("container/}Directory", "device/}Profiles", "device/}Cameras"):
        el = next(root.iter("{" + DD + holder))
        lis = list(el.iter(RDF + "li"))[:1] + [li for li in el.find(RDF + "Seq")]
        for li in el.find(RDF + "Seq"):
            assert li.get(RDF + "parseType") == "Resource"
            value, typ = li.find(RDF + "value"), li.find(RDF + "type")
            assert value is not None and value.get(RDF + "parseType") == "Resource" and len(value) > 0
            assert typ is not None and typ.get(RDF + "resource").startswith(DD)
        assert lis
    item_type = next(root.iter(RDF + "type")).get(RDF + "resource")
    assert item_type == "http://ns.google.com/photos/dd/1.0/container/:Item"
    for part in ("Image", "DepthMap", "ImagingModel"):
        el = next(root.iter(f"{{{DD}camera/}}{part}"))
        assert el.find(RDF + "value") is not None and el.find(RDF + "type") is not None


def test_four_items_in_order_and_the_last_ends_the_file(fixture):
    cap, data = fixture
    items = _items(data)
    assert [(u, m) for u, m, _ in items] == [("primary_image", "image/jpeg"), ("android/original_image", "image/jpeg"),
                                             ("android/depthmap", "image/jpeg"), ("android/confidencemap", "image/jpeg")]
    assert items[0][2] == 0
    sizes = {u: Image.open(io.BytesIO(_item_bytes(data, u))).size for u, _, _ in items[1:]}
    assert set(sizes.values()) == {(192, 256)}
    assert Image.open(io.BytesIO(data)).size == (288, 384)  # the primary is 1.5 times the items, as 3024x4032 vs 2016x2688
    assert _item_bytes(data, "android/confidencemap")[-2:] == b"\xff\xd9"
    assert np.all(np.asarray(Image.open(io.BytesIO(_item_bytes(data, "android/confidencemap")))) == 255)


def test_depth_map_and_imaging_model_values(fixture):
    cap, data = fixture
    ext = _extended(data)[1].decode()

    def field(name):
        return re.search(rf"<{name}>([^<]*)</{name}>", ext).group(1)

    assert (field("DepthMap:Format"), field("DepthMap:Units"), field("DepthMap:Near"), field("DepthMap:Far")) == \
        ("RangeInverse", "Diopters", "0.550750", "8.000000")
    assert (field("DepthMap:MeasureType"), field("DepthMap:ItemSemantic"), field("DepthMap:ConfidenceURI")) == \
        ("OpticalAxis", "Depth", "android/confidencemap")
    table = base64.b64decode(field("DepthMap:FocalTable"))
    assert field("DepthMap:FocalTableEntryCount") == "256" and len(table) == 256 * 2 * 4
    assert (field("Image:ItemSemantic"), field("Image:ItemURI")) == ("Original", "android/original_image")
    assert (field("Profile:Type"), field("Camera:Trait")) == ("DepthPhoto", "Physical")
    assert (field("ImagingModel:ImageWidth"), field("ImagingModel:ImageHeight")) == ("288", "384")
    assert field("ImagingModel:DistortionCount") == "4" and len(base64.b64decode(field("ImagingModel:Distortion"))) == 32
    assert re.fullmatch(r"\d+\.\d{6}", field("ImagingModel:FocalLengthX"))


def test_codes_span_a_narrow_band_and_the_person_has_lower_codes(fixture):
    cap, data = fixture
    codes = np.asarray(Image.open(io.BytesIO(_item_bytes(data, "android/depthmap"))))
    names = cap.truth.label_names
    labels = cap.truth.labels
    head = np.median(codes[labels == names.index("head")])
    wall = np.median(codes[labels == names.index("wall")])
    assert 95 <= head <= 110 and 140 <= wall <= 150 and head < wall


# --------------------------------------------------------------------------------------------
# what the reader gives (the "Must hold")
# --------------------------------------------------------------------------------------------


def _formula(codes):
    v = codes.astype(np.float64) / 255
    return FAR * NEAR / (FAR - (FAR - NEAR) * v)


def test_depth_is_the_range_inverse_formula_up_to_one_scale(fixture, opened):
    codes = np.asarray(Image.open(io.BytesIO(_item_bytes(fixture[1], "android/depthmap"))))
    assert opened.depth.shape == codes.shape
    ratio = opened.depth / _formula(codes)
    assert np.all(np.isfinite(ratio))
    assert (ratio.max() - ratio.min()) / np.median(ratio) < 0.02
    # monotonic in the code: a larger code is never nearer
    order = np.argsort(codes.ravel(), kind="stable")
    d = opened.depth.ravel()[order]
    c = codes.ravel()[order]
    per_code = [d[c == k].mean() for k in np.unique(c)]
    assert np.all(np.diff(per_code) > 0)


def test_the_person_is_nearer_than_the_wall_and_accuracy_is_relative(fixture, opened):
    cap = fixture[0]
    names, labels = cap.truth.label_names, cap.truth.labels
    assert np.median(opened.depth[labels == names.index("head")]) < np.median(opened.depth[labels == names.index("wall")])
    assert opened.accuracy == "relative"
    assert any("Diopters" in n and "relative" in n for n in opened.metadata["notes"])
    assert opened.encoding.units == "Diopters" and opened.encoding.quantity == "depth"
    # the truth's affine model recovers the true depth to within a code step
    true = cap.truth.true_depth(opened.depth)
    person = np.isin(labels, [names.index(n) for n in ("head", "torso")])
    assert np.median(np.abs(true[person] - cap.depth_m[person]) / cap.depth_m[person]) < 0.05


def test_confidence_at_depth_size_and_colour_from_the_original(fixture, opened):
    data = fixture[1]
    assert opened.confidence.shape == opened.depth.shape and np.all(opened.confidence == 1.0)
    original = np.asarray(Image.open(io.BytesIO(_item_bytes(data, "android/original_image"))).convert("RGB"))
    assert opened.rgb.shape == original.shape
    assert np.mean(np.abs(opened.rgb.astype(int) - original.astype(int))) < 3
    assert opened.metadata["colour_source"].startswith("android/original_image")


def test_intrinsics_and_focal_table(fixture, opened):
    cap = fixture[0]
    c = opened.calibration
    assert c.reference_size == (288, 384)
    assert c.fx == pytest.approx(float(f"{cap.calibration.fx:.6f}")) and c.cy == pytest.approx(float(f"{cap.calibration.cy:.6f}"))
    table = opened.metadata["dynamic_depth"]["depth_map"]["focal_table"]
    assert len(table) == 256 and table[0][0] == pytest.approx(NEAR, rel=1e-6) and table[-1][0] == pytest.approx(FAR)
    assert opened.metadata["dynamic_depth"]["imaging_model"]["distortion"] == [0.0] * 8


# --------------------------------------------------------------------------------------------
# what else the specification allows reads the same
# --------------------------------------------------------------------------------------------


def _as_attributes(xml: str) -> str:
    """Typed values whose properties are attributes of the rdf:value node (where all are simple)."""
    def one(m):
        attrs = " ".join(f'{k}="{v}"' for k, v in re.findall(r"<(\w+:\w+)>([^<]*)</\1>", m.group(1)))
        return f"<rdf:value {attrs}/>"
    return re.sub(r'<rdf:value rdf:parseType="Resource">((?:<(\w+:\w+)>[^<]*</\2>)+)</rdf:value>', one, xml)


def _as_descriptions(xml: str) -> str:
    """rdf:Description nodes instead of parseType="Resource" typed values."""
    return xml.replace('<rdf:value rdf:parseType="Resource">', "<rdf:value><rdf:Description>").replace(
        "</rdf:value>", "</rdf:Description></rdf:value>")


@pytest.mark.parametrize("edit", [_as_attributes, _as_descriptions], ids=["attributes", "descriptions"])
def test_other_rdf_forms_read_the_same(fixture, opened, edit):
    c = open_bytes(sdd.pixel3_portrait_bytes(fixture[0], edit_description=edit))
    xml = sdd.pixel3_description_xml([("image/jpeg", "primary_image", 0)], fixture[0], [])
    assert edit(xml).count("<rdf:Description>") == 6 if edit is _as_descriptions else edit(xml).count("<rdf:value Item:Mime") == 1
    assert np.array_equal(c.depth, opened.depth, equal_nan=True)
    assert c.calibration.fx == opened.calibration.fx and c.accuracy == "relative"


def test_items_in_another_order(fixture, opened):
    c = open_bytes(sdd.pixel3_portrait_bytes(fixture[0], item_order=("android/depthmap", "android/confidencemap",
                                                                     "android/original_image")))
    assert np.array_equal(c.depth, opened.depth, equal_nan=True)
    assert np.array_equal(c.rgb, opened.rgb)


def test_a_camera_without_imaging_model(fixture, opened):
    c = open_bytes(sdd.pixel3_portrait_bytes(
        fixture[0], edit_description=lambda x: re.sub(r"<Camera:ImagingModel .*</Camera:ImagingModel>", "", x)))
    assert c.calibration is None or "ImagingModel" not in c.calibration.source
    assert np.array_equal(c.depth, opened.depth, equal_nan=True)


def test_normalised_intrinsics(fixture, opened):
    cal = fixture[0].calibration

    def normalise(x):
        for k, v in (("FocalLengthX", cal.fx / 384), ("FocalLengthY", cal.fy / 384), ("PrincipalPointX", cal.cx / 288),
                     ("PrincipalPointY", cal.cy / 384)):
            x = re.sub(rf"<ImagingModel:{k}>[^<]*<", f"<ImagingModel:{k}>{v:.9f}<", x)
        return x

    c = open_bytes(sdd.pixel3_portrait_bytes(fixture[0], edit_description=normalise))
    assert c.calibration.fx == pytest.approx(opened.calibration.fx, rel=1e-6)
    assert c.calibration.cx == pytest.approx(opened.calibration.cx, rel=1e-6)


# --------------------------------------------------------------------------------------------
# bad input: a clear UnreadableFileError naming the part, nothing half-read
# --------------------------------------------------------------------------------------------


def _first_item_value(x: str, new: str) -> str:
    return x.replace(re.search(r'<rdf:value rdf:parseType="Resource"><Item:Mime>.*?</rdf:value>', x).group(0), new, 1)


@pytest.mark.parametrize("edit, words", [
    (lambda x: _first_item_value(x, '<rdf:value rdf:parseType="Resource"></rdf:value>'), ["container item 0", "rdf:value", "no properties"]),
    (lambda x: _first_item_value(x, '<rdf:value rdf:parseType="Resource">' * 6 + "<Item:Mime>image/jpeg</Item:Mime>"
                                 + "</rdf:value>" * 6), ["nest", "rdf:value"]),
    (lambda x: re.sub(r"<Item:Length>(\d+)</Item:Length>(<Item:DataURI>android/confidencemap)",
                      lambda m: f"<Item:Length>{int(m.group(1)) + 10**6}</Item:Length>{m.group(2)}", x),
     ["container", "bytes"]),
    (lambda x: re.sub(r"<DepthMap:FocalTableEntryCount>256<", "<DepthMap:FocalTableEntryCount>255<", x), ["FocalTable", "255"]),
    (lambda x: re.sub(r"(<DepthMap:FocalTable>)[^<]*", lambda m: m.group(1) + base64.b64encode(struct.pack("<3f", 1, 2, 3)).decode(), x),
     ["FocalTable", "3 float32"]),
], ids=["empty-value", "nested-too-deep", "length-past-the-end", "focal-table-count", "focal-table-odd"])
def test_bad_typed_value_descriptions(fixture, edit, words):
    with pytest.raises(UnreadableFileError) as e:
        open_bytes(sdd.pixel3_portrait_bytes(fixture[0], edit_description=edit))
    msg = str(e.value)
    assert all(w in msg for w in words), msg


def test_truncated_fixture_is_refused_not_half_read(fixture):
    data = fixture[1]
    for cut in (len(data) - 1, len(data) - 5000):
        with pytest.raises(DepthlabError):
            open_bytes(data[:cut])


def test_metadata_holds_exactly_what_the_file_says(fixture, opened):
    """Every fact ``depthlab info`` shows, computed here from the bytes and the written values."""
    cap, data = fixture
    main, ext = _extended(data)
    items = _items(data)
    end, offsets = len(data), {}
    for u, _, n in reversed(items[1:]):
        end -= n
        offsets[u] = end
    m = opened.metadata
    assert m["container"] == "JPEG + Dynamic Depth"
    assert m["container_items"] == [{"index": i, "uri": u, "mime": mime, "length": n, "padding": 0,
                                     "offset": offsets.get(u, 0)} for i, (u, mime, n) in enumerate(items)]
    c = cap.calibration
    dd = copy.deepcopy(m["dynamic_depth"])
    table = dd["depth_map"].pop("focal_table")
    assert [tuple(p) for p in table] == [tuple(float(np.float32(v)) for v in p) for p in sdd.pixel3_focal_table(cap)]
    assert dd == {
        "camera_index": 0,
        "depth_map": {"format": "RangeInverse", "near": NEAR, "far": FAR, "units": "Diopters", "measure_type": "OpticalAxis",
                      "depth_uri": "android/depthmap", "confidence_uri": "android/confidencemap", "item_semantic": "Depth",
                      "stored_size": [192, 256], "bits": 8},
        "imaging_model": {"focal_length": [float(f"{c.fx:.6f}"), float(f"{c.fy:.6f}")],
                          "principal_point": [float(f"{c.cx:.6f}"), float(f"{c.cy:.6f}")], "image_size": [288, 384],
                          "skew": 0.0, "pixel_aspect_ratio": 1.0, "distortion": [0.0] * 8,
                          "focal_normalised": False, "principal_point_normalised": False},
        "image_uri": "android/original_image",
    }
    guid = re.search(rb'HasExtendedXMP="([0-9A-F]{32})"', main).group(1).decode()
    assert m["extended_xmp"] == {"guid": guid, "bytes": len(ext), "chunks": 1, "guid_is_md5": True}
    assert hashlib.md5(ext).hexdigest().upper() == guid
    assert m["colour_source"] == "android/original_image (original, unblurred)"
    assert m["depth_orientation"] == {"rotation": 0, "mirror": None} and m["exif_orientation"] == 1
    assert m["notes"] == [
        "DepthMap:Units Diopters: Dynamic Depth's mark for non-metric depth (Pixel portraits); depth is the format's "
        "formula in the file's own units, relative: nearer and farther are right, metres are not"]


def test_calibration_from_a_model_exactly():
    """The matrix, size, source and notes a Dynamic Depth ImagingModel becomes (values chosen here)."""
    from depthlab.formats import dynamic_depth as dd

    notes: list[str] = []
    model = dd.ImagingModelInfo(0.5, 0.75, 0.25, 0.5, None, None, skew=0.5, distortion=(0.0, 0.1),
                                focal_normalised=True, principal_point_normalised=True)
    cal = dd.calibration_from_model(model, (400, 300), notes)
    assert np.array_equal(cal.intrinsic_matrix, [[200.0, 0.0, 100.0], [0.0, 300.0, 150.0], [0.0, 0.0, 1.0]])
    assert cal.reference_size == (400, 300) and cal.source == "Dynamic Depth ImagingModel (XMP)"
    assert notes == ["ImagingModel without ImageWidth/Height: taken as the image's 400x300",
                     "ImagingModel focal lengths are normalised by the larger image side (as the specification writes them)",
                     "ImagingModel:Skew 0.5 is not modelled (projection assumes none)",
                     "ImagingModel:Distortion (2 values) is kept in metadata, not applied"]
    notes = []
    flat = dd.ImagingModelInfo(100.0, 100.0, 50.0, 40.0, 100, 80, distortion=(0.0, 0.0))
    cal = dd.calibration_from_model(flat, (1, 1), notes)
    assert notes == [] and cal.reference_size == (100, 80) and (cal.fx, cal.cx, cal.cy) == (100.0, 50.0, 40.0)
    notes = []
    # a model no file reader lets through (the readers refuse focal lengths <= 0): no calibration, said why
    assert dd.calibration_from_model(dd.ImagingModelInfo(0.0, 1.0, 0.5, 0.5, 10, 10), (1, 1), notes) is None
    assert notes == ["ImagingModel ignored: focal lengths must be positive, got fx=0.0, fy=1.0"]
    notes = []
    half = dd.calibration_from_model(dd.ImagingModelInfo(100.0, 100.0, 50.0, 40.0, 100, None), (200, 160), notes)
    assert half.reference_size == (200, 160) and notes == ["ImagingModel without ImageWidth/Height: taken as the image's 200x160"]
