"""Synthetic captures: scenes and their ground truth, the two cameras, the Apple-layout HEIC
writer (round trips through pillow-heif and depthlab.open), orientation, refusals, and the
committed samples in data/sample."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import depthlab
from depthlab import synth
from depthlab.capture import Orientation
from depthlab.errors import DepthlabError, InvalidInputError, OverwriteError
from depthlab.synth import heif_writer as hw
from depthlab.formats import isobmff

from conftest import DATA_SAMPLE, data_sample, shared_sample

pillow_heif = pytest.importorskip("pillow_heif")

SMALL_REAR = dict(depth_size=(192, 144), colour_size=(384, 288))
SMALL_FRONT = dict(depth_size=(120, 160), colour_size=(240, 320))


@pytest.fixture(scope="module")
def rear():
    return synth.render_rear_dual(**SMALL_REAR)


@pytest.fixture(scope="module")
def front():
    return synth.render_front_truedepth(**SMALL_FRONT)


@pytest.fixture(scope="module")
def front_file(front, tmp_path_factory):
    p = tmp_path_factory.mktemp("front") / "front.heic"
    synth.write_heic(p, front)
    return p


@pytest.fixture(scope="module")
def rear_file(rear, tmp_path_factory):
    p = tmp_path_factory.mktemp("rear") / "rear.heic"
    synth.write_heic(p, rear)
    return p


# -- scenes ------------------------------------------------------------------------------------


def test_cast_hits_sphere_and_plane_at_their_true_depth():
    s = synth.Scene("t", (synth.Ellipsoid("ball", (0.1, 0.0, 2.0), (0.5, 0.5, 0.5), (1, 1, 1)),
                          synth.Plane("wall", (0.0, 0.0, 4.0), (0.0, 0.0, -1.0), (1, 1, 1))))
    d = np.array([[0.05, 0.0, 1.0], [1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    hits = synth.cast(s, d)
    assert hits.depth[0] == pytest.approx(1.5 / 1.0 * (2.0 - 0.5) / 1.5 + 0.0, abs=0.02)  # near the front pole
    # the ray through the centre meets the sphere where |t d - c| = r
    t = hits.depth[2]
    assert np.linalg.norm(t * d[2] - [0.1, 0, 2.0]) == pytest.approx(0.5, abs=1e-12)
    assert hits.depth[1] == pytest.approx(4.0) and s.labels[hits.label[1]] == "wall"
    assert np.allclose(hits.normal[1], [0, 0, -1])


def test_scene_parameters_are_in_the_truth(front, rear):
    head = front.truth.scene["primitives"][0]
    assert head == {"kind": "sphere", "label": "head", "centre_m": [0.0, -0.02, 0.45], "radius_m": 0.09}
    assert rear.truth.relative_scale_factor == 0.8 and rear.truth.relative_disparity_offset == 0.1
    assert front.truth.relative_scale_factor == 1.0 and front.truth.relative_disparity_offset == 0.0


# -- cameras -------------------------------------------------------------------------------------


def test_distortion_sets_invert_each_other_and_are_plausible():
    cal = synth.rear_calibration()
    r = np.linspace(0, np.hypot(*cal.reference_size) / 2, 400)
    fwd = synth.apply_radial(r, cal.lens_distortion, cal.pixel_size_mm)
    back = synth.apply_radial(fwd, cal.inverse_lens_distortion, cal.pixel_size_mm)
    assert np.abs(back - r).max() < 0.01
    corner = abs(fwd[-1] / r[-1] - 1)
    assert 0.01 < corner < 0.02  # ~1.5 % at the corners, like the real rear camera
    # Apple's form: P in t = rho**2, so the change near the centre grows as r**2 (no kink)
    k = fwd[1:4] / r[1:4] - 1
    assert k[1] / k[0] == pytest.approx((r[2] / r[1]) ** 2, rel=1e-3)


def test_rear_rays_agree_with_the_projection_rooms_undistortion():
    from depthlab import camera

    cal = synth.rear_calibration()
    pts = np.array([[10.5, 12.5], [1500.0, 1100.0], [700.25, 300.75]])
    und = camera.undistort_points(cal, pts)
    cx, cy = cal.distortion_center
    r = np.hypot(pts[:, 0] - cx, pts[:, 1] - cy)
    ru = synth.apply_radial(r, cal.inverse_lens_distortion, cal.pixel_size_mm)
    assert np.allclose(np.hypot(und[:, 0] - cx, und[:, 1] - cy), ru, atol=1e-6)
    # the rays the rear sample was rendered along are the rays the projection uses for its pixels
    ours = synth.render.pixel_rays(cal, 192, 144, distorted=True)
    theirs = camera.pixel_rays(cal, 192, 144, undistort=True)
    assert np.allclose(ours, theirs, rtol=0, atol=2e-6)
    assert not np.allclose(ours, camera.pixel_rays(cal, 192, 144, undistort=False), rtol=0, atol=1e-3)


def test_rear_stores_a_relative_smoothed_disparity(rear):
    t = rear.truth
    wall = t.labels == t.label_names.index("wall")
    inner = wall.copy()
    for axis in (0, 1):  # away from edges, where smoothing mixes surfaces
        for shift in range(-8, 9):
            inner &= np.roll(wall, shift, axis=axis)
    # stored = 0.8 x true + 0.1 1/m: affine in disparity, not a scale alone
    a, b = np.polyfit(1.0 / t.depth_m[inner], rear.disparity[inner], 1)
    assert a == pytest.approx(0.8, abs=0.01) and b == pytest.approx(0.1, abs=0.005)
    assert np.allclose(t.stored_disparity(1 / t.depth_m[inner]), 0.8 / t.depth_m[inner] + 0.1)
    assert np.allclose(t.true_depth(1 / (0.8 / t.depth_m[inner] + 0.1)), t.depth_m[inner], rtol=1e-6)
    assert rear.accuracy == "relative" and rear.calibration.has_distortion
    # soft edges: between head and wall there are intermediate codes
    assert len(np.unique(rear.depth_codes)) > 100


def test_front_is_absolute_sharp_and_filtered_like_its_flag(front):
    """Filtered=True (the Camera app's photos; the real front files are 100 % valid): the pixels
    the sensor missed are filled, not stored as holes."""
    t = front.truth
    assert front.filtered and t.filtered
    ok = ~t.holes & np.isfinite(t.depth_m)
    err = np.abs(1.0 / front.disparity[ok] - t.depth_m[ok])
    step = (front.float_max - front.float_min) / 255
    assert np.all(err <= 0.5 * step * t.depth_m[ok] ** 2 * 1.01 + 1e-6)  # only quantisation
    assert np.isfinite(front.disparity).all()  # filled: every pixel has a value
    hair = t.labels == t.label_names.index("hair")
    assert hair.any() and t.holes[hair].all() and 0.02 < t.holes.mean() < 0.3
    # an isolated dropout is filled within the range of the measured pixels around it
    d = front.disparity
    lone = [(v, u) for v, u in np.argwhere(t.holes[1:-1, 1:-1]) + 1 if t.holes[v - 1:v + 2, u - 1:u + 2].sum() == 1]
    assert lone
    for v, u in lone[:20]:
        around = d[v - 1:v + 2, u - 1:u + 2][~t.holes[v - 1:v + 2, u - 1:u + 2]]
        assert around.min() - step <= d[v, u] <= around.max() + step
    assert front.accuracy == "absolute" and not front.calibration.has_distortion
    assert front.calibration.fx == front.calibration.fy  # square pixels


def test_unfiltered_front_keeps_its_holes_and_says_so():
    f = synth.render_front_truedepth(depth_size=(120, 160), colour_size=(240, 320), filtered=False)
    assert not f.filtered and not f.truth.filtered
    assert np.all(np.isnan(f.disparity[f.truth.holes])) and np.isfinite(f.disparity[~f.truth.holes & np.isfinite(f.truth.depth_m)]).all()
    xmp = synth.heic.depth_xmp(f, f.calibration).decode()
    assert "<depthData:Filtered>False</depthData:Filtered>" in xmp or 'depthData:Filtered="False"' in xmp


def stored_codes(cap) -> np.ndarray:
    """The 8-bit codes behind a capture's disparity (``v = (D - FloatMin) / step``)."""
    e = cap.encoding
    d = cap.disparity[np.isfinite(cap.disparity)]
    return np.round((d - e.float_min) / (e.float_max - e.float_min) * 255).astype(int)


def test_the_stored_range_is_the_scenes_own_as_in_the_real_front_file():
    """Real files fit FloatMin/Max to the scene: the real front selfie stores 0.508301/3.767578
    (1.97-0.265 m), half floats, its farthest pixel code 0 and its nearest code 255, every code
    used.  The generated front sample does the same with its own scene."""
    real = depthlab.open(shared_sample("iphone/front_truedepth_mattes.heic"))
    sample = depthlab.open(data_sample("front_truedepth.heic"))
    assert (real.encoding.float_min, real.encoding.float_max) == (0.508301, 3.767578)
    assert (sample.encoding.float_min, sample.encoding.float_max) == (1.044921875, 2.779296875)
    for cap, used in ((real, 256), (sample, 252)):
        codes = stored_codes(cap)
        assert codes.min() == 0 and codes.max() == 255 and np.unique(codes).size == used
        e = cap.encoding  # both ends are float16 numbers (up to the real file's six decimals)
        for v in (e.float_min, e.float_max):
            assert float(np.float16(v)) == pytest.approx(v, abs=5e-7)
        # the range is the map's own: its smallest and largest disparity, nothing to spare
        d = cap.disparity[np.isfinite(cap.disparity)]
        assert (d.min(), d.max()) == pytest.approx((e.float_min, e.float_max), abs=1e-6)
    # the truth lies inside: the nearest and farthest true depths are within half a code of the ends
    t = synth.load_truth(data_sample("front_truedepth.heic"))
    s = sample.encoding.step
    assert 1 / np.nanmax(t.depth_m) - s / 2 <= 1.044921875 <= 1 / np.nanmax(t.depth_m)
    assert 1 / np.nanmin(t.depth_m) <= 2.779296875 <= 1 / np.nanmin(t.depth_m) + s / 2
    doc = json.loads(data_sample("front_truedepth_truth.json").read_text())
    assert (doc["stored"]["float_min"], doc["stored"]["float_max"]) == (1.044921875, 2.779296875)


def test_every_render_fits_its_range_and_an_unfiltered_one_keeps_floatmin_zero(front, rear):
    for cap in (front, rear):  # the small renders too: code 0 the farthest pixel, 255 the nearest
        assert cap.depth_codes.min() == 0 and cap.depth_codes.max() == 255
        assert cap.float_min == float(np.float16(cap.float_min)) and cap.float_max == float(np.float16(cap.float_max))
    f = synth.render_front_truedepth(depth_size=(120, 160), colour_size=(240, 320), filtered=False)
    measured = ~f.truth.holes
    assert f.float_min == 0.0 and f.depth_codes.max() == 255  # code 0 = disparity 0 = unknown: its holes
    assert f.float_max == synth.render.fitted_range(1 / f.truth.depth_m[measured])[1]
    assert np.all(f.depth_codes[f.truth.holes] == 0) and f.depth_codes[measured].min() > 0


def test_fill_holes_fills_from_measured_neighbours():
    v = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.0, 3.0], [1.0, 1.0, 3.0, 3.0]])
    holes = v == 0
    out = synth.render.fill_holes(v, holes)
    assert np.array_equal(out[~holes], v[~holes])
    assert out[1, 1] == pytest.approx(np.mean([1, 1, 1, 1, 1, 1, 3]))  # its 7 measured neighbours
    assert 1.0 < out[1, 2] < 3.0
    with pytest.raises(InvalidInputError):
        synth.render.fill_holes(v, np.ones_like(holes))


def test_render_refuses_sizes_hevc_cannot_code():
    with pytest.raises(InvalidInputError):
        synth.render_front_truedepth(depth_size=(121, 160))
    with pytest.raises(InvalidInputError):
        synth.render_rear_dual(depth_size=(32, 24))


# -- the written file ---------------------------------------------------------------------------


def test_file_opens_in_pillow_heif_with_exact_depth_and_matte(front_file, front):
    f = pillow_heif.open_heif(front_file)
    assert f.size == (240, 320)
    depth = f.info["depth_images"][0]
    assert np.array_equal(np.asarray(depth), front.depth_codes)
    meta = depth.info["metadata"]
    assert meta["d_min"] == front.float_min and meta["d_max"] == front.float_max and meta["representation_type"] == 1
    assert list(f.info["aux"]) == ["urn:com:apple:photo:2018:aux:portraiteffectsmatte"]
    matte = f.get_aux_image(f.info["aux"]["urn:com:apple:photo:2018:aux:portraiteffectsmatte"][0])
    assert np.array_equal(np.asarray(matte), front.matte_codes)
    assert np.abs(np.asarray(f).astype(int) - front.rgb).mean() < 3


def test_depth_xmp_carries_apples_keys_exactly(rear_file, rear):
    hf = isobmff.parse_heif(rear_file.read_bytes())
    depth_id = next(r.from_id for r in hf.refs if r.type == "auxl" and hf.aux_type(r.from_id).endswith("auxid:2"))
    xmp_id = next(r.from_id for r in hf.refs if r.type == "cdsc" and depth_id in r.to_ids)
    text = hf.item_data(xmp_id).decode()
    for key in ("IntMaxValue", "StoredFormat>1278226488", "NativeFormat>1751411059", "IntMinValue", "FloatMaxValue",
                "FloatMinValue", "AuxiliaryImageType>disparity", "IntrinsicMatrixReferenceWidth>384", "IntrinsicMatrix>",
                "IntrinsicMatrixReferenceHeight>288", "InverseLensDistortionCoefficients", "LensDistortionCenterOffsetX",
                "LensDistortionCoefficients", "Accuracy>relative", "PixelSize", "ExtrinsicMatrix", "LensDistortionCenterOffsetY"):
        assert key in text, key
    sei = hw.parse_depth_representation_sei(hf.aux_subtype(depth_id))
    assert (sei["d_min"], sei["d_max"]) == (rear.float_min, rear.float_max)


def test_exif_names_the_camera(front_file):
    from PIL import Image

    exif = Image.Exif()
    exif.load(pillow_heif.open_heif(front_file).info["exif"])
    ifd = exif.get_ifd(0x8769)
    assert exif[0x010F] == "depthlab" and "TrueDepth" in exif[0x0110]
    assert ifd[0xA405] == 30 and "TrueDepth" in ifd[0xA434] and float(ifd[0x920A]) > 0


@pytest.mark.parametrize("which", ["front", "rear"])
def test_depthlab_open_reads_back_exactly_what_was_written(which, request):
    import depthlab

    cap = request.getfixturevalue(which)
    path = request.getfixturevalue(f"{which}_file")
    got = depthlab.open(path)
    assert got.accuracy == cap.accuracy
    assert got.encoding.float_min == cap.float_min and got.encoding.float_max == cap.float_max
    assert np.array_equal(got.disparity, cap.disparity, equal_nan=True)
    c, w = got.calibration, cap.calibration
    assert c.reference_size == w.reference_size
    for name in ("intrinsic_matrix", "lens_distortion", "inverse_lens_distortion", "extrinsic_matrix"):
        assert np.array_equal(getattr(c, name), getattr(w, name)), name
    assert c.distortion_center == w.distortion_center and c.pixel_size_mm == w.pixel_size_mm
    assert np.array_equal(got.mattes["portrait"], cap.matte)
    assert got.rgb.shape == cap.rgb.shape


def test_structure_matches_a_real_rear_dual_file(rear_file):
    real = isobmff.parse_heif(shared_sample("iphone/rear_dual_pug.heic").read_bytes())
    ours = isobmff.parse_heif(rear_file.read_bytes())

    def kinds(hf):
        return ({it.type for it in hf.items.values()}, {r.type for r in hf.refs},
                {p.type for p in hf.property_boxes}, hf.items[hf.primary_id].type)

    real_items, real_refs, real_props, real_primary = kinds(real)
    our_items, our_refs, our_props, our_primary = kinds(ours)
    assert our_items == real_items == {"hvc1", "grid", "Exif", "mime"}
    assert our_refs == real_refs == {"dimg", "cdsc", "auxl"}
    assert our_props == real_props
    assert our_primary == real_primary == "grid"
    # each aux image carries the same property kinds as Apple's depth item
    depth_real = next(i for i in real.items if real.aux_type(i) == "urn:mpeg:hevc:2015:auxid:2")
    depth_ours = next(i for i in ours.items if ours.aux_type(i) == "urn:mpeg:hevc:2015:auxid:2")
    assert [p.type for p in ours.properties(depth_ours)] == [p.type for p in real.properties(depth_real)]


# -- orientation --------------------------------------------------------------------------------


@pytest.mark.parametrize("which,orientation", [("front", Orientation(270)), ("front", Orientation(90, "horizontal")),
                                               ("front", Orientation(180, "vertical")), ("rear", Orientation(90))])
def test_rotated_and_mirrored_captures_read_back_upright_and_aligned(which, orientation, tmp_path, request):
    import depthlab

    base = request.getfixturevalue(which)
    # a marker the colour, depth and matte all share: an off-centre square in the top-left
    cap = dataclasses.replace(base, rgb=base.rgb.copy(), depth_codes=base.depth_codes.copy(), matte_codes=base.matte_codes.copy())
    cap.rgb[20:40, 30:50] = (255, 0, 255)
    cap.depth_codes[10:20, 15:25] = 250
    cap.matte_codes[10:20, 15:25] = 77
    p = tmp_path / "o.heic"
    synth.write_heic(p, cap, orientation=orientation)
    hf = isobmff.parse_heif(p.read_bytes())
    depth_id = next(i for i in hf.items if hf.aux_type(i) == "urn:mpeg:hevc:2015:auxid:2")
    stored = hf.image_size(depth_id)
    h, w = cap.depth_codes.shape
    assert stored == ((h, w) if orientation.swaps_axes else (w, h))
    for item in (hf.primary_id, depth_id):
        assert [k for k, _ in hf.transforms(item)] == (["irot", "imir"] if orientation.mirror else ["irot"])
    got = depthlab.open(p)
    assert np.array_equal(got.disparity, cap.disparity, equal_nan=True)
    assert np.array_equal(got.mattes["portrait"], cap.matte)
    magenta = (got.rgb[..., 0] > 200) & (got.rgb[..., 1] < 60) & (got.rgb[..., 2] > 200)
    ys, xs = np.nonzero(magenta)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == pytest.approx((20, 39, 30, 49), abs=1)
    c, w = got.calibration, cap.calibration
    assert c.reference_size == w.reference_size
    assert np.allclose(c.intrinsic_matrix, w.intrinsic_matrix, rtol=0, atol=1e-9)
    assert np.allclose(c.distortion_center, w.distortion_center, rtol=0, atol=1e-9)


# -- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("change", [
    dict(depth_codes=np.zeros((160, 120), np.float32)),
    dict(depth_codes=np.zeros((160, 120, 2), np.uint8)),
    dict(matte_codes=np.zeros((161, 120), np.uint8)),
    dict(rgb=np.zeros((32, 32, 3), np.uint8)),
    dict(float_max=float("inf")),
    dict(float_max=0.1),
    dict(float_max=3.0000001),
    dict(accuracy="roughly"),
])
def test_writer_refuses_what_it_cannot_represent_and_leaves_nothing(front, tmp_path, change):
    bad = dataclasses.replace(front, **change)
    with pytest.raises(DepthlabError):
        synth.write_heic(tmp_path / "bad.heic", bad)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("field,value", [("pixel_size_mm", float("nan")), ("distortion_center", (float("inf"), 1.0)),
                                         ("lens_distortion", None)])
def test_writer_refuses_non_finite_or_missing_calibration(front, tmp_path, field, value):
    # Calibration() itself refuses non-finite numbers; a writer must not trust that it was built normally
    cal = dataclasses.replace(front.calibration)
    object.__setattr__(cal, field, value)
    with pytest.raises(InvalidInputError):
        synth.write_heic(tmp_path / "bad.heic", dataclasses.replace(front, calibration=cal))
    assert list(tmp_path.iterdir()) == []


def test_writer_never_replaces_without_overwrite(front, tmp_path):
    p = tmp_path / "x.heic"
    p.write_bytes(b"keep me")
    with pytest.raises(OverwriteError):
        synth.write_heic(p, front)
    assert p.read_bytes() == b"keep me"


# -- ground truth recovered through writer, reader and projection --------------------------------


def _fit_sphere(p: np.ndarray) -> tuple[np.ndarray, float]:
    a = np.hstack([2 * p, np.ones((len(p), 1))])
    b = (p ** 2).sum(axis=1)
    x, *_ = np.linalg.lstsq(a, b, rcond=None)
    centre = x[:3]
    return centre, float(np.sqrt(x[3] + centre @ centre))


def _fit_plane_normal(p: np.ndarray) -> np.ndarray:
    q = p - p.mean(axis=0)
    n = np.linalg.svd(q, full_matrices=False)[2][-1]
    return n if n[2] < 0 else -n


def test_projection_of_the_front_sample_recovers_its_geometry():
    import depthlab

    from depthlab.projection import project

    path = data_sample("front_truedepth.heic")
    truth = synth.load_truth(path)
    cloud = project(depthlab.open(path), model="pinhole")
    # measured pixels only: the filled ones (Filtered=True) are interpolations, not geometry
    labels = np.where(truth.holes.ravel(), 255, truth.labels.ravel())[cloud.pixel_index]
    xyz = cloud.xyz.astype(np.float64)
    head = truth.scene["primitives"][truth.label_names.index("head") - 1]
    centre, radius = _fit_sphere(xyz[labels == truth.label_names.index("head")])
    assert radius == pytest.approx(head["radius_m"], rel=0.01)
    assert np.linalg.norm(centre - head["centre_m"]) < 0.01 * np.linalg.norm(head["centre_m"])
    wall = truth.scene["primitives"][truth.label_names.index("wall") - 1]
    n = _fit_plane_normal(xyz[labels == truth.label_names.index("wall")])
    angle = np.degrees(np.arccos(np.clip(n @ np.asarray(wall["normal"]), -1, 1)))
    assert angle < 1.0


def test_rear_sample_records_its_relative_error():
    import depthlab

    path = data_sample("rear_dual.heic")
    doc = json.loads(data_sample("rear_dual_truth.json").read_text())
    assert doc["accuracy"] == "relative" and doc["relative_scale_factor"] == 0.8
    assert doc["relative_disparity_offset"] == 0.1
    truth = synth.load_truth(path)
    assert (truth.relative_scale_factor, truth.relative_disparity_offset) == (0.8, 0.1)
    cap = depthlab.open(path)
    wall = truth.labels == truth.label_names.index("wall")
    # depth read from the file = 1 / (0.8 / true depth + 0.1): for the wall at ~3 m, ~2.6 m
    z = truth.depth_m[wall]
    assert np.nanmedian(cap.depth[wall]) == pytest.approx(np.median(1 / (0.8 / z + 0.1)), rel=0.02)
    front_doc = json.loads(data_sample("front_truedepth_truth.json").read_text())
    assert front_doc["filtered"] is True and "filled" in front_doc["holes_stored_as"]


# -- the committed samples ----------------------------------------------------------------------


def test_committed_samples_are_what_the_generator_makes_today():
    data_sample("rear_dual.heic")
    fresh = synth.sample_files()
    assert sorted(fresh) == sorted(p.name for p in DATA_SAMPLE.iterdir() if p.name in fresh)
    made_with = json.loads((DATA_SAMPLE / "rear_dual_truth.json").read_text())["hevc_encoder"]
    for name, data in fresh.items():
        committed = (DATA_SAMPLE / name).read_bytes()
        assert committed == data, (
            f"data/sample/{name} differs from the generator's output (committed files made with {made_with}; "
            f"this machine has {synth.samples.encoder_description()}); run `depthlab samples --force` and commit"
        )
    assert all(len(d) < 600_000 for d in fresh.values())


def test_generate_samples_refuses_to_overwrite(tmp_path, monkeypatch):
    (tmp_path / "rear_dual.heic").write_bytes(b"mine")
    monkeypatch.setattr(synth.samples, "sample_files", lambda seed=0: {"rear_dual.heic": b"new", "x.json": b"{}"})
    with pytest.raises(OverwriteError):
        synth.generate_samples(tmp_path)
    assert (tmp_path / "rear_dual.heic").read_bytes() == b"mine" and not (tmp_path / "x.json").exists()
    synth.generate_samples(tmp_path, overwrite=True)
    assert (tmp_path / "rear_dual.heic").read_bytes() == b"new"


def test_truth_round_trips_through_its_files(front, tmp_path):
    js, npz = synth.samples.truth_files(front, "front.heic")
    (tmp_path / "f_truth.json").write_bytes(js)
    (tmp_path / "f_truth.npz").write_bytes(npz)
    t = synth.load_truth(tmp_path / "f.heic")
    ok = np.isfinite(front.truth.depth_m)
    assert np.array_equal(np.isfinite(t.depth_m), ok)
    assert np.abs(t.depth_m[ok] - front.truth.depth_m[ok]).max() <= 0.5e-4 + 1e-6
    assert np.array_equal(t.labels, front.truth.labels) and np.array_equal(t.holes, front.truth.holes)
    assert synth.samples.truth_files(front, "front.heic") == (js, npz)  # deterministic bytes
