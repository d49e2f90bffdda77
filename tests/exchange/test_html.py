"""depthlab.exchange.html: one self-contained offline page; quantisation bound, size, no network, no overwrite."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import depthlab
from depthlab.exchange import html as dhtml
from depthlab.errors import DepthlabError, InvalidInputError, OverwriteError
from depthlab.pointcloud import PointCloud
from depthlab.live.scene import to_threejs

# ------------------------------------------------------------------------------------------------
# clouds: a pinhole view of a ball in front of a wall, 768x576 = 442,368 points like the rear sample
# ------------------------------------------------------------------------------------------------


def ball_scene(h: int = 576, w: int = 768) -> tuple[np.ndarray, np.ndarray]:
    """xyz float32 (H*W, 3) camera frame metres, rgb uint8 (H*W, 3): a ball (r 0.3 m at 1.2 m) before a wall at 2 m."""
    f = 600.0 * w / 768
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    ray = np.stack([(u - (w - 1) / 2) / f, (v - (h - 1) / 2) / f, np.ones_like(u)], -1)
    unit = ray / np.linalg.norm(ray, axis=-1, keepdims=True)
    centre, r = np.array([0.0, 0.0, 1.2]), 0.3
    b = unit @ centre
    disc = b**2 - (centre @ centre - r**2)
    hit = disc > 0
    t = b - np.sqrt(np.where(hit, disc, 0.0))
    xyz = np.where(hit[..., None], unit * t[..., None], ray * 2.0)
    rgb = np.stack([u / w * 255, v / h * 255, np.where(hit, 230, 60)], -1).astype(np.uint8)
    return xyz.reshape(-1, 3).astype(np.float32), rgb.reshape(-1, 3)


def make_cloud(h: int = 576, w: int = 768, scale: float = 1.0, **kw):
    xyz, rgb = ball_scene(h, w)
    xyz *= np.float32(scale)
    fields = dict(xyz=xyz, rgb=rgb, pixel_index=np.arange(h * w, dtype=np.int64), grid_shape=(h, w),
                  model="pinhole", units="m", accuracy="relative", intrinsics_estimated=False,
                  camera="rear dual", metadata={"source": "/somewhere/ball.heic"})
    fields.update(kw)
    return PointCloud(**fields)


@pytest.fixture(scope="module")
def cloud():
    return make_cloud()


@pytest.fixture(scope="module")
def page(cloud) -> str:
    return dhtml.html_document(cloud)


def parse_page(text: str) -> tuple[dict, dict[str, str]]:
    """The page's JSON config and its data blocks (element id -> text)."""
    config = json.loads(re.search(r'<script type="application/json" id="depthlab-config">(.*?)</script>', text, re.S).group(1))
    blocks = dict(re.findall(r'<script type="application/octet-stream" id="([^"]+)">([^<]*)</script>', text))
    return config, blocks


def decoded_positions(config: dict, blocks: dict, i: int = 0) -> np.ndarray:
    pos = config["clouds"][i]["positions"]
    q = np.frombuffer(base64.b64decode(blocks[pos["element"]]), dtype="<u2").reshape(-1, 3)
    return dhtml.dequantise_positions(q, np.array(pos["min"]), np.array(pos["span"]))


def fraction_in_view(cam: dict, xyz: np.ndarray, aspect: float = 1.0, shrink: float = 1.0) -> float:
    """Share of the points (depthlab's camera frame) inside the view of a page camera (three.js
    frame: position, target, up, vertical fov in degrees), worked out here from the geometry.
    ``shrink`` < 1 narrows the field of view, to check a cloud also fills the view."""
    p = to_threejs(xyz).astype(np.float64) - np.asarray(cam["position"])
    fwd = np.asarray(cam["target"]) - np.asarray(cam["position"])
    fwd /= np.linalg.norm(fwd)
    right = np.cross(fwd, cam["up"])
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    along = p @ fwd
    t = np.tan(np.radians(cam["fov"]) / 2) * shrink
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (along > 0) & (np.abs(p @ up) <= t * along * (1 + 1e-9)) & (np.abs(p @ right) <= t * aspect * along * (1 + 1e-9))
    return float(ok.mean())


# ------------------------------------------------------------------------------------------------
# quantisation
# ------------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float32, st.tuples(st.integers(1, 300), st.just(3)),
                  elements=st.floats(-50, 50, width=32, allow_nan=False)))
def test_quantisation_error_is_at_most_half_a_step(xyz):
    q, lo, span = dhtml.quantise_positions(xyz)
    assert q.dtype == np.dtype("<u2") and q.shape == xyz.shape
    err = np.abs(dhtml.dequantise_positions(q, lo, span) - xyz.astype(np.float64))
    extent = xyz.max(axis=0).astype(np.float64) - xyz.min(axis=0)
    # half a step of span / 65535, plus float64 rounding
    assert np.all(err <= span / (2 * 65535) * (1 + 1e-9) + 1e-12)
    assert np.all(err <= 1e-3 * extent + 1e-12)  # the promise: below 0.1 % of the extent


def test_quantisation_uses_the_full_range_and_handles_a_flat_axis():
    xyz = np.array([[0.0, 5.0, -1.0], [2.0, 5.0, 1.0], [1.0, 5.0, 0.0]], np.float32)
    q, lo, span = dhtml.quantise_positions(xyz)
    assert q[:, 0].tolist() == [0, 65535, 32768]  # 0.5 * 65535 rounds to 32768 (half to even)
    assert q[:, 1].tolist() == [0, 0, 0] and span[1] == 1.0 and lo[1] == 5.0
    np.testing.assert_allclose(dhtml.dequantise_positions(q, lo, span)[:, 1], 5.0)


@pytest.mark.parametrize("bad", [np.zeros((0, 3)), np.zeros((4, 2)), np.array([[0.0, np.nan, 1.0]])])
def test_quantisation_refuses_empty_misshapen_or_nan(bad):
    with pytest.raises(InvalidInputError):
        dhtml.quantise_positions(bad)


def test_page_positions_decode_within_the_stated_error(cloud, page):
    config, blocks = parse_page(page)
    expected = to_threejs(cloud.xyz).astype(np.float64)
    got = decoded_positions(config, blocks)
    span = np.array(config["clouds"][0]["positions"]["span"])
    extent = expected.max(axis=0) - expected.min(axis=0)
    err = np.abs(got - expected).max(axis=0)
    assert np.all(err <= span / (2 * 65535) * (1 + 1e-6) + 1e-7)
    assert np.all(err / extent < 1e-5)  # 7.6e-6 of the extent per axis at most
    # the error the page states is the bound itself (about 0.02 mm over this 2.6 m wide scene)
    np.testing.assert_allclose(config["clouds"][0]["positions"]["max_error"], span / 131070)
    assert max(config["clouds"][0]["positions"]["max_error"]) < 2.5e-5
    rgb = np.frombuffer(base64.b64decode(blocks[config["clouds"][0]["colours"]["element"]]), np.uint8).reshape(-1, 3)
    np.testing.assert_array_equal(rgb, cloud.rgb)


# ------------------------------------------------------------------------------------------------
# the page
# ------------------------------------------------------------------------------------------------


def test_size_of_440k_points_is_below_7_mb(cloud, tmp_path):
    assert len(cloud.xyz) == 442_368
    out = depthlab.to_html(cloud, tmp_path / "me.html")
    size = out.stat().st_size
    three_js = dhtml.find_three_js().stat().st_size
    # 6 bytes of position + 3 of colour + 1 of stretch (wider points on slanted surfaces) per point, base64
    payload = 442_368 * 10 * 4 / 3
    assert size < 7_000_000
    assert payload + three_js < size < payload + three_js + 60_000  # nothing else of any size


def test_page_is_self_contained_with_no_network_reference(page):
    assert page.startswith("<!DOCTYPE html>")
    # no element loads anything: no src/href attributes, no CSS url(), no imports or fetches
    markup = re.sub(r"(<script\b[^>]*>).*?</script>", r"\1</script>", page, flags=re.S)
    assert len(markup) < 5_000
    assert not re.search(r"\b(src|href|data|action|srcset|poster)\s*=", markup, re.I)
    assert not re.search(r"\burl\s*\(|@import", markup, re.I)
    viewer = (Path(dhtml.__file__).parent / "static" / "viewer.js").read_text()
    for call in ("fetch(", "XMLHttpRequest", "import(", "WebSocket", "sendBeacon", "http:", "https:"):
        assert call not in viewer
    # the only URLs anywhere are XML namespace names inside three.js, never requested
    urls = set(re.findall(r"https?://[^\s\"'<>)]*", page))
    assert urls <= {"http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg"}, urls
    # three.js itself is inlined, once, and it is the pythreejs copy
    three = dhtml.find_three_js().read_text()
    assert three[:2000] in page and page.count('REVISION="') == 1
    # exactly the script elements we wrote (config, positions, colours, stretch, three.js, viewer),
    # none closed early by inlined text
    assert page.count("<script") == page.count("</script>") == 6


def test_config_carries_the_notebook_camera_caption_and_sizes(cloud, page):
    """The first view is the phone's own: from the origin, along the optical axis, showing the
    whole photo with a small border -- numbers taken from ball_scene's pinhole camera (f = 600 px,
    768x576, centred), not from the code that places the camera."""
    config, _ = parse_page(page)
    cam = config["camera"]
    assert cam["position"] == [0.0, 0.0, 0.0] and cam["up"] == [0.0, 1.0, 0.0]
    # the page orbits the subject: the ball in the middle of the picture, whose front is 0.9 m
    # from the phone (radius 0.3 m at 1.2 m), not the middle of the box (1.45 m)
    assert cam["target"][:2] == [0.0, 0.0] and -1.0 < cam["target"][2] < -0.9
    # the phone's half field of view: tan = half the image / focal length
    tan_x, tan_y = 383.5 / 600, 287.5 / 600
    fit = cam["fit"]
    assert 1.0 <= fit["tan_x"] / tan_x <= 1.15 and 1.0 <= fit["tan_y"] / tan_y <= 1.15  # the whole photo, a small border
    assert fit["tan_x"] / tan_x == pytest.approx(fit["tan_y"] / tan_y, rel=1e-6)  # the same border both ways
    # in a square view the width decides: the vertical field shows the photo's full width
    assert np.tan(np.radians(cam["fov"]) / 2) == pytest.approx(fit["tan_x"], rel=1e-6)
    assert cam["near"] < 0.9 and cam["far"] > 2.0  # nothing of the scene clipped
    c = config["clouds"][0]
    assert c["count"] == 442_368
    assert c["caption"]["camera"] == "rear dual" and c["caption"]["accuracy"] == "relative"
    assert "relative" in c["caption"]["line"] and "442,368" in c["caption"]["line"]
    assert "m (x × y × z)" in c["caption"]["scale"] and "not trustworthy" in c["caption"]["scale"]
    assert config["grid"]["label"].endswith(" m")
    assert config["title"] == "ball.heic — depthlab" and "<title>ball.heic — depthlab</title>" in page
    assert config["background"] == "#15171c" and c["footprint"][0] == 0 and 0 < c["footprint"][1] < 0.05


def test_options_are_written_and_checked(cloud):
    config, _ = parse_page(dhtml.html_document(cloud, point_size_m=0.01, background="#FFF", title="T"))
    assert config["clouds"][0]["footprint"] == [0.0, pytest.approx(0.01 / 1.25)] and config["background"] == "#ffffff" and config["title"] == "T"
    config, _ = parse_page(dhtml.html_document(cloud, background=(255, 128, 0)))
    assert config["background"] == "#ff8000"
    with pytest.raises(InvalidInputError, match="background"):
        dhtml.html_document(cloud, background="blue-ish")
    with pytest.raises(InvalidInputError, match="point_size_m"):
        dhtml.html_document(cloud, point_size_m=-1)
    with pytest.raises(InvalidInputError, match="one cloud or two"):
        dhtml.html_document([cloud, cloud, cloud])
    with pytest.raises(TypeError):
        dhtml.html_document(cloud, stride=2)  # the page writer takes clouds, not projection options
    with pytest.raises(InvalidInputError, match="PointCloud"):
        dhtml.html_document(np.zeros((3, 3)))
    empty = PointCloud(xyz=np.zeros((0, 3), np.float32), rgb=np.zeros((0, 3), np.uint8))
    with pytest.raises(InvalidInputError, match="no points"):
        dhtml.html_document(empty)


def test_text_cannot_break_out_of_the_page(cloud):
    evil = "</script><script>alert(1)</script><!--"
    page = dhtml.html_document(cloud, title=evil)
    assert page.count("<script") == page.count("</script>") == 6
    assert "<!--" not in page
    config, _ = parse_page(page)
    assert config["title"] == evil  # shown as text by the viewer (textContent), intact


def test_two_clouds_share_one_camera_each_orbiting_its_subject(cloud):
    small = make_cloud(144, 192, scale=0.5, camera="front TrueDepth", accuracy="absolute")
    config, blocks = parse_page(dhtml.html_document([cloud, small]))
    assert config["linked"] is True and [c["count"] for c in config["clouds"]] == [442_368, 27_648]
    assert config["clouds"][1]["caption"]["accuracy"] == "absolute"
    # one camera turning around the first ball (0.9-1.0 m); the half-size scene is scaled by 2
    # about its phone, which puts its ball (0.45-0.5 m) on the same pivot and keeps its picture
    assert config["camera"]["position"] == [0.0, 0.0, 0.0] and -1.0 < config["camera"]["target"][2] < -0.9
    assert config["clouds"][0]["transform"]["scale"] == [1.0, 1.0, 1.0]
    assert config["clouds"][1]["transform"]["scale"] == pytest.approx([2.0] * 3, rel=0.02)
    assert config["clouds"][1]["transform"]["position"] == pytest.approx([0, 0, 0], abs=1e-9)
    # the near half-size cloud needs no more than the far one here; a nearer, wider one (its points
    # 10 % wider than a 64x48 pinhole with f = 50 px sees) widens the view until it is seen whole
    near_wide = make_cloud(48, 64, scale=0.3)
    near_wide.xyz[:, :2] *= 1.1
    cfg2, _ = parse_page(dhtml.html_document([cloud, near_wide]))
    assert cfg2["camera"]["position"] == [0.0, 0.0, 0.0]
    wide_tan = 31.5 / 50 * 1.1
    t2 = np.tan(np.radians(cfg2["camera"]["fov"]) / 2)
    assert 1.0 <= t2 / wide_tan <= 1.15
    assert t2 > 1.05 * np.tan(np.radians(config["camera"]["fov"]) / 2)
    assert fraction_in_view(cfg2["camera"], near_wide.xyz) == 1.0
    got = decoded_positions(config, blocks, 1)
    assert np.abs(got - to_threejs(small.xyz)).max() < 1e-5


def test_teaching_model_caption_says_not_metres():
    c = make_cloud(48, 64, model="orthographic", units="arbitrary", accuracy=None)
    config, _ = parse_page(dhtml.html_document(c))
    assert "not metres" in config["clouds"][0]["caption"]["scale"]
    assert "model units" in config["clouds"][0]["caption"]["scale"]
    assert config["grid"]["label"].endswith("units (arbitrary)")
    # framed whole, like the notebook frames the flat teaching models
    # stepped back and looking at the subject, every corner of the cloud is inside the view
    cam = config["camera"]
    pos, look = np.array(cam["position"]), np.array(cam["target"]) - np.array(cam["position"])
    look /= np.linalg.norm(look)
    lo, hi = c.bounds
    corners = to_threejs(np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]))
    rays = corners - pos
    angles = np.degrees(np.arccos(rays @ look / np.linalg.norm(rays, axis=1)))
    assert angles.max() < cam["fov"] / 2
    assert fraction_in_view(cam, c.xyz) == 1.0


# ------------------------------------------------------------------------------------------------
# files: never overwrite, atomic
# ------------------------------------------------------------------------------------------------


def test_never_overwrites_without_being_asked(tmp_path):
    c = make_cloud(48, 64)
    target = tmp_path / "me.html"
    target.write_text("keep me")
    with pytest.raises(OverwriteError, match="overwrite=True"):
        depthlab.to_html(c, target)
    assert target.read_text() == "keep me"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind
    assert depthlab.to_html(c, target, overwrite=True) == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_failed_export_leaves_nothing(tmp_path):
    with pytest.raises(InvalidInputError):
        depthlab.to_html(make_cloud(48, 64), tmp_path / "x.html", background="nope")
    assert list(tmp_path.iterdir()) == []


def test_missing_three_js_is_a_clear_depthlab_error(monkeypatch, tmp_path):
    import importlib.metadata
    import importlib.util

    def no_pkg(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    monkeypatch.setattr(importlib.metadata, "files", no_pkg)
    with pytest.raises(DepthlabError, match="pip install pythreejs"):
        dhtml.find_three_js()
    with pytest.raises(DepthlabError, match="three.js"):
        depthlab.to_html(make_cloud(48, 64), tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_three_js_comes_from_the_installed_pythreejs():
    path = dhtml.find_three_js()
    assert path.name == "three.js" and path.parent.name == "static" and path.parent.parent.name == "pythreejs"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("// threejs.org/license") and 'REVISION="' in text  # the UMD build setting window.THREE


def test_a_capture_is_projected_with_project_options(tmp_path):
    from depthlab import projection
    from depthlab.capture import Calibration, CameraInfo, Capture

    h, w = 48, 64
    disparity = np.full((h, w), 1 / 1.5, np.float32)
    disparity[:10] = np.nan
    cal = Calibration(intrinsic_matrix=[[60.0, 0, 32], [0, 60.0, 24], [0, 0, 1]], reference_size=(w, h))
    cap = Capture(disparity=disparity, calibration=cal, accuracy="absolute", camera=CameraInfo(kind="front TrueDepth"))
    cap.set_rgb(np.full((h, w, 3), 200, np.uint8))
    page = depthlab.to_html(cap, tmp_path / "cap.html", stride=2, colour="rgb")
    config, blocks = parse_page(page.read_text(encoding="utf-8"))
    expected = projection.project(cap, stride=2, colour="rgb")
    assert config["clouds"][0]["count"] == len(expected.xyz) == 24 * 32 - 5 * 32
    span = np.array(config["clouds"][0]["positions"]["span"])
    assert np.all(np.abs(decoded_positions(config, blocks) - to_threejs(expected.xyz)) <= span / 131070 + 1e-7)
    assert config["clouds"][0]["caption"]["accuracy"] == "absolute"
    with pytest.raises(InvalidInputError, match="unknown .*option"):
        depthlab.to_html(cap, tmp_path / "other.html", strid=2)
    with pytest.raises(InvalidInputError, match="only apply to a Capture"):
        depthlab.to_html(expected, tmp_path / "other.html", stride=2)
    with pytest.raises(InvalidInputError, match="project it first"):
        dhtml.html_document(cap)


def test_pointcloud_method_and_pair_title(tmp_path):
    a = make_cloud(48, 64)
    out = a.to_html(tmp_path / "a.html", point_size_m=0.02)
    config, _ = parse_page(out.read_text(encoding="utf-8"))
    assert config["clouds"][0]["footprint"] == [0.0, pytest.approx(0.02 / 1.25)]
    b = make_cloud(48, 64, metadata={"source": "/x/front.heic"})
    config, _ = parse_page(dhtml.html_document((a, b)))
    assert config["title"] == "ball.heic vs front.heic — depthlab"


def test_real_rear_sample_page(tmp_path):
    from conftest import shared_sample

    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    # the measured points only (the page's default adds the invented layer behind the dog, below)
    out = depthlab.to_html(cap, tmp_path / "pug.html", fill=False)
    assert out.stat().st_size < 7_000_000
    config, blocks = parse_page(out.read_text(encoding="utf-8"))
    c = config["clouds"][0]
    assert c["count"] == 768 * 576  # every pixel of the rear dual depth map is valid
    assert c["caption"]["line"].startswith("rear dual · relative scale")
    assert config["title"] == "rear_dual_pug.heic — depthlab"
    # 0.23-0.67 m of depth: the stored positions are good to a few micrometres
    assert max(c["positions"]["max_error"]) < 1e-5
    cloud = depthlab.project(cap)
    assert np.abs(decoded_positions(config, blocks) - to_threejs(cloud.xyz)).max() <= max(c["positions"]["max_error"]) + 1e-7
    filled, _ = parse_page(depthlab.to_html(cap, tmp_path / "pug_filled.html").read_text(encoding="utf-8"))
    f = filled["clouds"][0]
    assert f["second_layer_from"] == 768 * 576 < f["count"]    # measured first, the invented layer after


def test_edge_points_are_flagged_in_the_page_never_dropped(tmp_path):
    """Every point of a capture goes into the page with project()'s edge flag (one bit a point,
    the invented layer after it never flagged); the page first hides them unless edges="show"."""
    cap = depthlab.open("data/sample/rear_dual.heic")
    cloud = depthlab.project(cap, stride=4)
    config, blocks = parse_page(depthlab.to_html(cap, tmp_path / "p.html", stride=4).read_text(encoding="utf-8"))
    c = config["clouds"][0]
    n = c["second_layer_from"]
    assert n == len(cloud) < c["count"]   # measured points first, then the invented layer
    bits = np.unpackbits(np.frombuffer(base64.b64decode(blocks[c["edges"]["element"]]), np.uint8), bitorder="little")
    flags = bits[:c["count"]].astype(bool)
    np.testing.assert_array_equal(flags[:n], cloud.edge)
    assert not flags[n:].any() and not bits[c["count"]:].any()
    assert c["edges"]["count"] == int(cloud.edge.sum()) > 0
    assert config["edgesShown"] is False
    shown, _ = parse_page(depthlab.to_html(cap, tmp_path / "s.html", stride=4, edges="show").read_text(encoding="utf-8"))
    assert shown["edgesShown"] is True
    # a cloud without flagged points (dropped on request, or from elsewhere) has no edge block
    bare, bare_blocks = parse_page(dhtml.html_document(cloud.without_edges()))
    assert "edges" not in bare["clouds"][0] and not any("edges" in k for k in bare_blocks)
    with pytest.raises(InvalidInputError, match="edges must be one of"):
        depthlab.to_html(cap, tmp_path / "bad.html", stride=4, edges="drop")
    assert not (tmp_path / "bad.html").exists()
