"""The live view and its controls, Python side: geometry in place, throttling, export names."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

import depthlab
from conftest import make_capture

pytest.importorskip("pythreejs")

from depthlab import CameraInfo  # noqa: E402
from depthlab.errors import InvalidInputError  # noqa: E402
from depthlab.live.scene import POINT_VERTEX_SHADER, to_threejs  # noqa: E402
from depthlab.live.viewer import CloudView, _look_quaternion, linked_pair  # noqa: E402
from depthlab.live.widgets import OWN, Throttle, compare, explore, fresh_path, show  # noqa: E402

H, W = 48, 64


def grid_cloud(z_near=0.8, z_far=2.0):
    v, u = np.mgrid[0:H, 0:W].astype(np.float32)
    z = np.full((H, W), z_far, np.float32)
    z[12:36, 16:48] = z_near
    f = 50.0
    xyz = np.stack([(u - W / 2) / f * z, (v - H / 2) / f * z, z], -1).reshape(-1, 3)
    rgb = np.stack([u / W * 255, v / H * 255, np.full_like(u, 99)], -1).reshape(-1, 3).astype(np.uint8)
    return xyz, rgb


def box_capture(calibrated=True, accuracy="absolute", kind="front TrueDepth", scale=1.0):
    """A box at 0.8 m before a wall at 2 m (times ``scale``), one unknown pixel at (0, 0), the box
    as the portrait matte, f = 200 px at 256x192."""
    v, u = np.mgrid[0:H, 0:W].astype(np.float32)
    z = np.full((H, W), 2.0, np.float32) * scale
    z[12:36, 16:48] = 0.8 * scale
    depth = z.copy()
    depth[0, 0] = np.nan
    return make_capture(depth, intrinsics=[[200.0, 0, 128], [0, 200.0, 96], [0, 0, 1]] if calibrated else None,
                        reference_size=(256, 192), accuracy=accuracy, kind=kind,
                        mattes={"portrait": (z < 1.5 * scale).astype(np.float32)},
                        rgb=np.stack([u / W * 255, v / H * 255, np.full_like(u, 99)], -1).astype(np.uint8))


def expected_pinhole_points() -> np.ndarray:
    """box_capture's scene in the camera frame, per depth pixel (row-major), NaN where unknown."""
    v, u = np.mgrid[0:H, 0:W].astype(np.float64)
    z = np.full((H, W), 2.0)
    z[12:36, 16:48] = 0.8
    z[0, 0] = np.nan
    return np.stack([(u - 31.5) / 50 * z, (v - 23.5) / 50 * z, z], -1).reshape(-1, 3)


def test_cloud_view_holds_positions_in_threejs_frame_and_colours_normalised():
    xyz, rgb = grid_cloud()
    view = CloudView(320, 240)
    layer = view.add(xyz, rgb)
    np.testing.assert_array_equal(layer.position.array, to_threejs(xyz))
    assert layer.color.array.dtype == np.uint8 and layer.color.normalized
    assert layer.index.array.dtype == np.uint32 and layer.count == H * W
    # points are drawn by the shared point shader (one size rule with the HTML page)
    assert layer.material.vertexShader == POINT_VERTEX_SHADER and layer.material.vertexColors == "VertexColors"
    assert layer.material.uniforms["viewportHeight"]["value"] == 240
    assert layer.points.frustumCulled is False
    # the camera starts at the phone, looking down -z (identity rotation)
    assert tuple(view.camera.position) == (0.0, 0.0, 0.0)
    assert view.camera.quaternion == pytest.approx((0, 0, 0, 1))
    # no subject given: the pivot is the optical axis at the depth of the bounds' centre
    assert view.controls.target[2] == pytest.approx(-1.4)
    assert view.grid_label == "grid 0.2 m"  # x spans 2.56 m: eight steps of ~0.3 -> 0.2


def test_updates_change_attributes_in_place_and_send_only_what_changed():
    xyz, rgb = grid_cloud()
    view = CloudView(320, 240)
    layer = view.add(xyz, rgb)
    objects = (view.renderer, view.scene, view.camera, layer.points, layer.geometry, layer.position, layer.color, layer.index)
    sent = []
    for name, attr in (("position", layer.position), ("color", layer.color), ("index", layer.index)):
        attr.observe(lambda ch, n=name: sent.append(n), names="array")
    near = xyz[:, 2] < 1.5
    layer.set(valid=near)
    assert sent == ["index"] and layer.count == int(near.sum())
    np.testing.assert_array_equal(layer.index.array, np.flatnonzero(near))
    layer.set(xyz=xyz * 2)
    assert sent == ["index", "position"]
    np.testing.assert_allclose(layer.position.array[near], to_threejs(xyz[near] * 2))
    # hidden points are parked at 0, never NaN
    assert np.isfinite(layer.position.array).all()
    layer.set(rgb=rgb[::-1].copy())
    assert sent[-1] == "color"
    # a new grid size (stride) reuses the same attribute objects with arrays of a new length
    layer.set(xyz=xyz[::4], rgb=rgb[::4], valid=np.ones(len(xyz[::4]), bool))
    assert layer.size == len(xyz[::4]) and layer.position.array.shape == (len(xyz[::4]), 3)
    assert (view.renderer, view.scene, view.camera, layer.points, layer.geometry, layer.position, layer.color, layer.index) == objects
    with pytest.raises(InvalidInputError, match="together"):
        layer.set(xyz=xyz[::2])


def test_nothing_valid_hides_the_points():
    xyz, rgb = grid_cloud()
    view = CloudView(320, 240)
    layer = view.add(xyz, rgb)
    layer.set(valid=np.zeros(len(xyz), bool))
    assert layer.count == 0 and layer.points.visible is False and layer.index.array.size == 1
    layer.set(valid=np.ones(len(xyz), bool))
    assert layer.points.visible is True


def test_look_quaternion_matches_lookat():
    # a camera at +x looking at the origin turns +90 degrees about y
    q = _look_quaternion((1, 0, 0), (0, 0, 0), (0, 1, 0))
    assert q == pytest.approx((0, np.sin(np.pi / 4), 0, np.cos(np.pi / 4)))
    assert _look_quaternion((0, 0, 0), (0, 0, -2), (0, 1, 0)) == pytest.approx((0, 0, 0, 1))


def test_linked_pair_shares_one_camera():
    a, b = linked_pair(200, 150)
    assert a.camera is b.camera and a.renderer.camera is b.renderer.camera
    assert a.controls.controlling is b.controls.controlling
    assert a.camera not in a.scene.children  # a camera can have one parent only


def test_explore_controls_drive_the_layer():
    cap = box_capture()
    e = explore(cap, edges="show")
    layer = e.side.layer
    assert layer.count == H * W - 1  # the NaN pixel is not drawn
    e.controls.w["clip"].value = (0.5, 1.0)
    assert layer.count == 24 * 32
    e.controls.w["clip"].value = e.controls.w["clip"].value[0], e.controls.w["clip"].max
    assert layer.count == H * W - 1 and e.side.settings["far"] is None
    before = layer.position.array
    footprint = layer.footprint
    # one point per depth pixel, as wide as that pixel at its depth: stride / f per metre
    assert footprint == {"per_depth": pytest.approx(1 / (200.0 * W / 256)), "constant": 0.0}
    sent = []
    layer.position.observe(lambda ch: sent.append(ch), names="array")
    grid = e.view.grid
    spec = dict(e.view._grid_spec)
    camera = (tuple(e.view.camera.position), tuple(e.view.camera.quaternion), tuple(e.view.controls.target))
    e.controls.w["depth_scale"].value = 2.0
    # a pinhole depth scale is a uniform stretch about the phone, which the camera sees as the
    # grid drawn half as large about the phone: no positions are re-sent, the cloud and the
    # camera stay, the grid keeps its squares (its label) and shrinks about the origin
    assert sent == [] and layer.position.array is before
    assert layer.points.scale == (1.0, 1.0, 1.0) and layer.footprint == footprint
    assert (tuple(e.view.camera.position), tuple(e.view.camera.quaternion), tuple(e.view.controls.target)) == camera
    assert e.view.grid is grid and e.view._grid_spec == spec and grid.scale == (0.5, 0.5, 0.5)
    assert grid.position == pytest.approx(tuple(v / 2 for v in spec["centre"]))
    # what is drawn is the scene make_capture built, worked out here from its calibration (f = 200 px
    # at 256x192, corner-origin centre (128, 96) -> f = 50 px, centre (31.5, 23.5) at 64x48):
    # the box at 0.8 m before the wall at 2 m, seen through the phone's pinhole; read against the
    # grid (scene units times the ruler's 2) it is doubled
    xyz = expected_pinhole_points()
    ok = np.isfinite(xyz[:, 2])
    np.testing.assert_allclose(before[ok] * np.float32(1 / grid.scale[0]), to_threejs(xyz[ok] * 2), rtol=1e-5, atol=1e-6)
    e.controls.w["depth_scale"].value = 1.0
    assert grid.scale == (1.0, 1.0, 1.0) and grid.position == pytest.approx(spec["centre"])
    e.controls.w["mask"].value = "portrait"
    assert layer.count == 24 * 32
    e.controls.w["colour"].value = "depth"
    assert not np.array_equal(layer.color.array, cap.rgb.reshape(-1, 3))
    size = layer.material.uniforms["sizeScale"]["value"]
    e.controls.w["point_scale"].value = 2.0
    assert layer.material.uniforms["sizeScale"]["value"] == pytest.approx(2 * size)
    e.controls.w["stride"].value = 2
    assert layer.size == (H // 2) * (W // 2)
    e.controls.w["model"].value = "orthographic"
    assert "arbitrary" in e.view.grid_label and "arbitrary units" in e.side.title.value
    # flat models: depth scale stretches z, aspect stretches y
    e.set(depth_scale=3.0, aspect=0.5)
    assert layer.points.scale == (1.0, 0.5, 3.0)
    # the flat teaching grid (stride 2 now): one unit across, centred, y down, z = depth; drawn
    # through the layer's scale it is stretched 0.5 in y and 3 in z
    # what is drawn: the grid points the projection keeps (the mask is still on)
    _, valid = depthlab.grid_points(cap, settings=depthlab.ProjectionSettings(stride=2, mask="portrait"))
    valid = valid.ravel()
    v, u = np.mgrid[0:H:2, 0:W:2].astype(np.float64)
    z = np.where((v >= 12) & (v < 36) & (u >= 16) & (u < 48), 0.8, 2.0)
    flat = np.stack([(u - (W - 1) / 2) / W, 0.5 * (v - (H - 1) / 2) / W, 3 * z], -1).reshape(-1, 3)
    drawn = layer.position.array[valid] * np.array([1, -0.5, -3], np.float32)
    np.testing.assert_allclose(drawn, flat[valid], rtol=1e-5, atol=1e-6)
    assert int(valid.sum()) == 12 * 16  # the portrait matte: the box only
    assert "front TrueDepth" in e.side.title.value and "absolute" in e.side.title.value
    assert e.controls.status.value == ""


def test_explore_without_calibration_offers_only_the_flat_models():
    e = explore(box_capture(calibrated=False))
    values = [v for _, v in e.controls.w["model"].options]
    assert values == ["orthographic", "disparity-as-z"] and e.side.settings["model"] == "orthographic"
    with pytest.raises(InvalidInputError, match="calibration"):
        explore(box_capture(calibrated=False), model="pinhole")


def test_update_errors_show_in_the_status_line():
    e = explore(box_capture())
    e.set(depth_scale=-1.0)
    assert "could not update" in e.controls.status.value and "depth_scale" in e.controls.status.value


def test_export_writes_next_to_the_notebook_under_fresh_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cap = box_capture()
    e = explore(cap, edges="show")
    (tmp_path / "capture_pinhole.ply").write_bytes(b"precious")
    p1 = e.export("ply")
    p2 = e.export("ply")
    assert p1.name == "capture_pinhole_2.ply" and p2.name == "capture_pinhole_3.ply"
    assert (tmp_path / "capture_pinhole.ply").read_bytes() == b"precious"
    from depthlab.pointcloud import PointCloud

    pc = PointCloud.load(p1)
    assert len(pc) == H * W - 1
    e.controls.export_format.value = "pcd"
    e.controls.export.click()
    assert (tmp_path / "capture_pinhole.pcd").is_file() and "wrote capture_pinhole.pcd" in e.controls.status.value
    assert fresh_path(tmp_path, "capture_pinhole", ".pcd").name == "capture_pinhole_2.pcd"


def test_export_html_offline_page_one_for_a_comparison(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    e = explore(box_capture())
    e.controls.export_format.value = "html"
    e.controls.export.click()
    page = tmp_path / "capture_pinhole.html"
    assert page.is_file() and "wrote capture_pinhole.html" in e.controls.status.value
    text = page.read_text()
    assert "<script src" not in text and "front TrueDepth" in text
    c = compare(box_capture(accuracy="relative", kind="rear dual", scale=1.5), box_capture())
    c.controls.export_format.value = "html"
    c.controls.export.click()
    pair = sorted(p.name for p in tmp_path.glob("*_vs_*.html"))
    assert pair == ["capture_pinhole_vs_capture_pinhole.html"]
    assert "rear dual" in (tmp_path / pair[0]).read_text()
    with pytest.raises(InvalidInputError, match="html only"):
        c.export("ply", side=None)


def test_compare_links_cameras_and_applies_controls_per_side():
    rear = box_capture(accuracy="relative", kind="rear dual", scale=1.5)
    front = box_capture()
    c = compare(rear, front, edges="show")
    va, vb = c.views
    assert va.camera is vb.camera
    assert "rear dual" in c.sides[0].title.value and "relative" in c.sides[0].title.value
    assert "front TrueDepth" in c.sides[1].title.value and "0.80–2.00 m" in c.sides[1].title.value
    # one camera, each view orbiting its own subject (the portrait matte, at 1.2 m and 0.8 m):
    # the right view's contents are scaled 1.2 / 0.8 about its phone, which keeps its picture
    va.reset_view()  # "reset view": both orbit one pivot, on the left view's subject
    assert tuple(va.controls.target) == tuple(vb.controls.target) == pytest.approx((0, 0, -1.2))
    assert va.transform["scale"] == pytest.approx((1, 1, 1)) and vb.transform["scale"] == pytest.approx((1.5,) * 3)
    c.apply_to.value = 1
    c.controls.w["clip"].value = (0.5, 1.0)
    assert c.sides[0].layer.count == H * W - 1 and c.sides[1].layer.count == 24 * 32
    c.apply_to.value = "both"
    # both sides: the slider is in fractions of each side's own depth range (rear 1.2–3.0
    # relative, front 0.8–2.0 m): up to 50 % keeps each side's subject and drops its wall
    assert c.controls.w["clip"].description == "near–far (%)"
    c.controls.w["clip"].value = (0.0, 0.5)
    assert [s.settings["far"] for s in c.sides] == [pytest.approx(2.1), pytest.approx(1.4)]
    assert c.sides[0].layer.count == 24 * 32 and c.sides[1].layer.count == 24 * 32
    assert "left 1.20–2.10 (relative) | right 0.80–1.40 m" in c.controls.sides_note.value
    c.apply_to.value = 0  # one side: its own metres again
    assert c.controls.w["clip"].description == "near–far (m)" and c.controls.w["clip"].value[1] == pytest.approx(2.1, abs=0.01)
    m = compare(front, front, models=("pinhole", "disparity-as-z"))
    assert [s.settings["model"] for s in m.sides] == ["pinhole", "disparity-as-z"]


def test_compare_shared_dropdown_shows_both_sides_and_gives_them_back():
    """The student's round trip: "both" shows the split, choosing a model sets both, choosing
    the split again gives each side its own model back."""
    front = box_capture()
    m = compare(front, front, models=("pinhole", "orthographic"))
    w = m.controls.w["model"]
    assert w.value == OWN and w.options[0] == ("left pinhole | right orthographic", OWN)
    w.value = "orthographic"
    assert [s.settings["model"] for s in m.sides] == ["orthographic", "orthographic"]
    w.value = OWN
    assert [s.settings["model"] for s in m.sides] == ["pinhole", "orthographic"]
    m.apply_to.value = 1
    assert w.value == "orthographic" and OWN not in [o[1] for o in w.options]
    assert not m.controls.w["aspect"].disabled  # the right side is flat: aspect works there
    m.apply_to.value = 0
    assert m.controls.w["aspect"].disabled and "flat models only" in m.controls.notes["aspect"].value


def test_controls_that_do_nothing_say_why():
    cap = box_capture()
    cap.mattes = {}
    e = explore(cap)
    assert e.controls.w["mask"].disabled and "this photo has no mattes" in e.controls.notes["mask"].value
    assert e.controls.w["aspect"].disabled  # pinhole: the stretch is for the flat models
    e.controls.w["model"].value = "orthographic"
    assert not e.controls.w["aspect"].disabled and e.controls.notes["aspect"].layout.display == "none"
    e.controls.w["render"].value = "surface"
    assert e.controls.w["point_scale"].disabled and "points" in e.controls.notes["point_scale"].value


def test_orbit_survives_stride_and_model_changes():
    """A control keeps the camera's pose relative to the subject: stride leaves it where it is,
    a new model (or a flat depth scale) moves it with the subject; only "reset view" goes home."""
    e = explore(box_capture())
    cam = e.view.camera
    home = tuple(cam.position)
    orbited = (0.4, 0.1, -0.2)
    cam.position = orbited  # as the browser reports the end of a drag
    e.controls.w["stride"].value = 2
    assert tuple(cam.position) == orbited
    # pinhole: every distance doubles about the phone, which the camera sees as the grid halved
    # about the phone: the orbited camera stays where it is (the picture of the cloud is the one
    # a camera carried with the doubled cloud would see)
    e.controls.w["depth_scale"].value = 2.0
    assert tuple(cam.position) == orbited and e.view.grid.scale == (0.5, 0.5, 0.5)
    e.controls.w["depth_scale"].value = 1.0
    e.controls.w["model"].value = "orthographic"  # the subject stays 0.8 ahead: so does the orbit
    assert e.view._home["target"] == pytest.approx((0, 0, -0.8)) and cam.position == pytest.approx(orbited)
    e.controls.w["depth_scale"].value = 2.0  # flat: z only; the subject moves back to 1.6
    assert e.view._home["target"] == pytest.approx((0, 0, -1.6))
    assert cam.position != pytest.approx(home) and cam.position != pytest.approx(orbited)
    e.reset_view()
    assert cam.position == pytest.approx(e.view._home["position"])


def test_show_puts_colour_depth_and_3d_in_one_output():
    out = show(box_capture())
    import ipywidgets as W
    import pythreejs as three

    found = []

    def walk(w):
        found.append(type(w))
        for child in getattr(w, "children", ()):
            walk(child)
    walk(out)
    assert found.count(W.Image) == 2 and three.Renderer in found


def test_throttle_folds_bursts_inside_an_event_loop():
    calls = []
    t = Throttle(lambda: calls.append(len(calls)), interval=0.05)

    async def burst():
        for _ in range(10):
            t()
        first = len(calls)
        await asyncio.sleep(0.12)
        return first

    first = asyncio.run(burst())
    assert first == 1 and len(calls) == 2  # one at once, one trailing with the latest values
    t()  # no loop: at once
    assert len(calls) == 3


def test_throttle_in_a_real_kernel_folds_a_burst_into_one_trailing_update():
    """In a Jupyter kernel the event loop runs: a burst of slider values draws the first at once
    and the last one shortly after, never the ones in between."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    setup = (
        "import asyncio\nimport numpy as np\n"
        "from depthlab import Calibration, CameraInfo, Capture\nfrom depthlab.live.widgets import explore\n"
        "z = np.linspace(0.5, 3.0, 48 * 64, dtype=np.float32).reshape(48, 64)\n"
        "cal = Calibration(intrinsic_matrix=[[200.0, 0, 128], [0, 200.0, 96], [0, 0, 1]], reference_size=(256, 192))\n"
        "e = explore(Capture(disparity=1 / z, calibration=cal), edges='show')\n"
        "calls = []\nrun = e.throttle.fn\ne.throttle.fn = lambda: (calls.append(dict(e._pending)), run())\n"
    )
    burst = "for k in range(20):\n    e.controls.w['clip'].value = (0.5, 2.9 - 0.1 * k)\nprint(len(calls))"
    after = "await asyncio.sleep(0.5)\nprint(len(calls), e.side.settings['far'], e.side.layer.count)"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (setup, burst, after)])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    burst_out = nb.cells[1].outputs[0]["text"].split()
    after_out = nb.cells[2].outputs[0]["text"].split()
    assert burst_out == ["1"]  # the first value drawn at once, the rest waiting
    assert after_out[0] == "2"  # one trailing update, with the latest value
    far = float(after_out[1])
    assert far == pytest.approx(2.9 - 0.1 * 19, abs=1e-6)
    z = np.linspace(0.5, 3.0, 48 * 64, dtype=np.float32)
    assert int(after_out[2]) == int(np.count_nonzero((z >= 0.5) & (z <= np.float32(far))))


def test_explore_offers_pinhole_with_intrinsics_estimated_from_exif():
    cap = box_capture(calibrated=False)
    cap.camera = CameraInfo(kind="Lens Blur", focal_length_35mm=26.0)
    e = explore(cap, edges="show")
    assert e.side.settings["model"] == "pinhole"
    assert [v for _, v in e.controls.w["model"].options][0] == "pinhole"
    assert "intrinsics estimated from EXIF" in e.side.title.value


def test_start_values_reach_the_controls_and_the_view():
    cap = box_capture()
    e = explore(cap, model="pinhole-raw", near=0.5, far=1.0, stride=2, point_scale=2.0, colour="depth", mask="portrait",
                edges="show")
    w = e.controls.w
    assert (w["model"].value, w["stride"].value, w["point_scale"].value, w["colour"].value, w["mask"].value) == (
        "pinhole-raw", 2, 2.0, "depth", "portrait")
    # 0.5 m is nearer than anything in the photo: the slider's handle sits at its nearest end
    assert w["clip"].value[0] == pytest.approx(w["clip"].min) and w["clip"].value[1] == pytest.approx(1.0)
    assert e.side.layer.size == (H // 2) * (W // 2)
    # near/far 0.5-1.0 m and the portrait matte leave the 0.8 m block only
    assert e.side.layer.count == 12 * 16
    assert e.side.layer.material.uniforms["sizeScale"]["value"] == pytest.approx(2 * 1.25)
    for bad in (dict(model="fisheye"), dict(render="voxels"), dict(near=2.0, far=1.0), dict(stride=0),
                dict(point_scale=0), dict(colour="infrared"), dict(mask="sky")):
        with pytest.raises(InvalidInputError):
            explore(cap, **bad)
    out = show(cap, model="orthographic")
    assert "model orthographic" in out.children[-1].value and "arbitrary units" in out.children[-1].value


def test_surface_mode_draws_the_mesh_and_switches_back_to_points():
    cap = box_capture()
    e = explore(cap, render="surface", edges="show")
    side = e.side
    assert e.controls.w["render"].value == "surface"
    # the surface is what depthlab.mesh makes of the capture (cut where the block meets the wall)
    import depthlab

    expected = depthlab.mesh(cap)
    assert side.surface is not None and side.surface.mesh.visible and not side.layer.points.visible
    assert side.surface.faces == len(expected.faces) and side.surface.size == len(expected.vertices)
    np.testing.assert_array_equal(side.surface.index.array, expected.faces.reshape(-1))
    np.testing.assert_array_equal(side.surface.position.array, to_threejs(expected.vertices))
    assert side.layer.count == 0  # the points are not sent until asked for
    e.controls.w["render"].value = "points"
    assert side.layer.points.visible and not side.surface.mesh.visible and side.layer.count == H * W - 1
    e.controls.w["render"].value = "surface"
    assert side.surface.mesh.visible and not side.layer.points.visible
    c = compare(cap, box_capture(scale=2.0), render="surface")
    assert all(s.surface is not None and s.surface.mesh.visible for s in c.sides)


# --- the confidence threshold (Android Dynamic Depth stores a confidence map) -----------------

def test_explore_confidence_threshold_keeps_the_confident_points():
    import depthlab
    from conftest import DATA_SAMPLE

    cap = depthlab.open(DATA_SAMPLE / "pixel_portrait.jpg")
    conf = cap.confidence
    assert conf is not None and conf.shape == cap.shape
    ex = depthlab.explore(cap, stride=1, edges="show")
    slider = ex.controls.w["min_confidence"]
    assert not slider.disabled and slider in ex.controls.box().children[0].children[1].children
    finite = np.isfinite(cap.depth)
    assert ex.side.layer.count == int(finite.sum())
    ex.set(min_confidence=0.5)
    expected = int((finite & (conf >= 0.5)).sum())  # independent of the view: the map itself
    assert 0 < expected < int(finite.sum())
    assert ex.side.layer.count == expected
    assert "confidence ≥ 0.50" in ex.side.title.value
    # the surface mode and the export use the same mask
    ex.set(render="surface")
    assert ex.side.surface.size == expected
    # with a matte as well: both must hold
    if cap.mattes:
        name = next(iter(cap.mattes))
        ex.set(mask=name, render="points")
        assert ex.side.layer.count < expected


def test_explore_confidence_start_value_and_errors():
    import depthlab
    from conftest import DATA_SAMPLE

    pixel = depthlab.open(DATA_SAMPLE / "pixel_portrait.jpg")
    ex = depthlab.explore(pixel, min_confidence=0.8, edges="show")
    assert ex.controls.w["min_confidence"].value == pytest.approx(0.8)
    assert ex.side.layer.count == int((np.isfinite(pixel.depth) & (pixel.confidence >= 0.8))[::ex.side.settings["stride"], ::ex.side.settings["stride"]].sum())
    with pytest.raises(depthlab.InvalidInputError, match="from 0 to 1"):
        depthlab.explore(pixel, min_confidence=1.5)
    iphone = depthlab.open(DATA_SAMPLE / "rear_dual.heic")
    assert iphone.confidence is None
    with pytest.raises(depthlab.InvalidInputError, match="confidence map"):
        depthlab.explore(iphone, min_confidence=0.5)
    ex = depthlab.explore(iphone)
    assert ex.controls.w["min_confidence"].disabled  # no slider shown for a capture without confidence
    assert ex.controls.w["min_confidence"] not in ex.controls.box().children[0].children[1].children


def test_explore_starts_with_a_region_in_photo_pixels_as_project_does():
    cap = box_capture()  # photo and depth map the same size here
    e = explore(cap, model="orthographic", stride=1, mask=(16, 12, 48, 36), edges="show")
    assert e.side.layer.count == 24 * 32 == len(depthlab.project(cap, model="orthographic", mask=(16, 12, 48, 36)))
    e.set(far=1.0)  # the region stays under the other controls
    assert e.side.layer.count == 24 * 32
    with pytest.raises(InvalidInputError, match="x0 < x1"):
        explore(cap, mask=(48, 36, 16, 12))


def test_edge_points_are_hidden_by_default_with_their_count_and_shown_on_request():
    """The mesh's cut rule flags the points beside a depth jump (box_capture's subject at 0.8 m
    before a wall at 2 m: its rim and the wall's ring around it); the view hides them by
    default, says how many, and shows them when asked.  project() keeps and flags them."""
    import depthlab

    cap = box_capture()
    e = explore(cap)
    ring = (2 * (24 + 32) - 4) + 2 * (24 + 32)  # the subject's rim and the wall's ring (4-neighbours)
    assert e.side.layer.count == H * W - 1 - ring
    assert f"{ring:,} edge points hidden" in e.side.title.value
    e.controls.w["edges"].value = "show"
    assert e.side.layer.count == H * W - 1 and "edge points shown" in e.side.title.value
    cloud = depthlab.project(cap)
    assert len(cloud) == H * W - 1 and int(cloud.edge.sum()) == ring
    assert len(cloud.without_edges()) == H * W - 1 - ring
    z = cloud.xyz[:, 2][cloud.edge]
    assert set(np.round(z.astype(float), 3).tolist()) == {0.8, 2.0}  # both sides of the occlusion, nothing else


def test_depth_colours_work_on_the_surface_too():
    """colour -> depth colormap is no longer ignored in surface mode: the surface shows the
    depth colours as an image over the same uv, and the photo again when asked."""
    e = explore(box_capture(), render="surface")
    surf = e.side.surface
    photo = surf.material.map
    e.controls.w["colour"].value = "depth"
    assert surf.texture_name.startswith("depth") and surf.material.map is not photo
    assert surf.material.map.imageUri.startswith("data:image/jpeg;base64,")
    e.controls.w["colour"].value = "rgb"
    assert surf.material.map is photo


def test_the_view_says_where_depth_is_unreliable_when_the_file_gives_a_confidence():
    from conftest import DATA_SAMPLE

    pixel = depthlab.open(DATA_SAMPLE / "pixel_portrait.jpg")
    share = float((pixel.confidence < 0.5).mean())
    title = explore(pixel).side.title.value
    assert f"on {share:.0%} of the map" in title and "confidence" in title
    assert "unreliable" not in explore(box_capture()).side.title.value  # no confidence: nothing claimed


def test_depth_scale_leaves_the_grid_a_metre_ruler():
    """A pinhole depth scale stretches the drawn cloud on the GPU against the grid, which stays
    in metres (the scene's units): the title and the grid's label do not switch to "arbitrary
    units" and back as the slider crosses 1, and a reset refits the grid in metres."""
    e = explore(box_capture())
    title, label = e.side.title.value, e.view.grid_label
    assert label.endswith(" m") and "not metres" not in title
    for ds in (2.0, 0.5, 1.0):
        e.controls.w["depth_scale"].value = ds
        assert (e.side.title.value, e.view.grid_label) == (title, label), ds
    e.controls.w["depth_scale"].value = 2.0
    e.reset_view()
    assert e.view.grid_label.endswith(" m") and e.view.grid_label in e.side.title.value
    assert "not metres" not in e.side.title.value
    # the reset grid has round squares for the doubled cloud, drawn half as large about the phone
    from depthlab.live.scene import grid_spec

    lo, hi = e.view.bounds()
    assert e.view._grid_spec == grid_spec(2 * lo, 2 * hi, units="m")
    assert e.view.grid.scale == (0.5, 0.5, 0.5)


def test_compare_titles_name_each_sides_grid_and_come_back_after_a_round_trip():
    """Each side's title names its own grid (metres for the pinhole side, arbitrary units for
    the flat one) from the first picture on, and moving depth scale once and back leaves both
    titles as they were (they name the grid fitted with both views, not the one before)."""
    front = box_capture()
    m = compare(front, front, models=("pinhole", "orthographic"))
    first = [s.title.value for s in m.sides]
    labels = [s.view.grid_label for s in m.sides]
    assert labels[0].endswith(" m") and labels[1].endswith("units (arbitrary)"), labels
    assert all(label in t for label, t in zip(labels, first))
    m.controls.w["depth_scale"].value = 2.0
    m.throttle.flush()
    assert all(s.view.grid_label in s.title.value for s in m.sides)
    m.controls.w["depth_scale"].value = 1.0
    m.throttle.flush()
    assert [s.title.value for s in m.sides] == first


def test_compare_near_far_in_fractions_is_never_sent_back_under_a_drag():
    """With "apply to: both" the near–far slider is in fractions of each side's range; the value
    worked back from the sides' near and far can differ from the user's in its last bit, and
    sending that back to the browser moved the handle under a drag still going on (the mouse-up
    then committed the stale position).  The slider keeps exactly the user's values."""
    m = compare(box_capture(accuracy="relative", kind="rear dual", scale=1.5), box_capture())
    w = m.controls.w["clip"]
    seen = []
    w.observe(lambda ch: seen.append(ch["new"]), names="value")
    dragged = [(round(0.005 * k, 3), 1.0) for k in range(1, 60)]
    for value in dragged:
        w.value = value
        m.throttle.flush()
    assert seen == dragged
    near = [s.settings["near"] for s in m.sides]
    assert all(n is not None for n in near) and near[0] != near[1]   # each side in its own terms


def test_controls_send_only_what_changed_and_going_back_draws_what_a_fresh_view_draws():
    """near/far and edge points redraw the index (the positions are not sent again); a stride or
    a model the view had drawn comes back from what it kept; and every state reached that way
    draws exactly what a view opened on those settings draws (positions, colours, drawn index,
    stretch, subject)."""
    cap = box_capture()
    e = explore(cap, model="pinhole")
    layer = e.side.layer
    first_projector, positions = e.side.projector, layer.position.array
    e.set(far=1.5)
    assert layer.position.array is positions and layer.count < layer.size   # the box only: index re-sent
    e.set(edges="show")
    assert layer.position.array is positions
    for changes in ({"stride": 2}, {"model": "pinhole-raw"}, {"stride": 1}, {"model": "pinhole"}):
        e.set(**changes)
    assert e.side.projector is first_projector   # stride 1 again: its projector was kept
    fresh = explore(cap, model="pinhole", far=1.5, edges="show")
    for name in ("position", "color", "index", "stretch"):
        np.testing.assert_array_equal(getattr(layer, name).array, getattr(fresh.side.layer, name).array)
    np.testing.assert_allclose(e.side.pivot(), fresh.side.pivot())
