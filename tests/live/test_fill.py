"""'Fill behind edges' in the live views, Python side: drawn by default, behind the subject, off
where it would pass for measured data, never in a point export; points on slants drawn wider."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

pytest.importorskip("pythreejs")

import depthlab  # noqa: E402
from browser_support import live_captures  # noqa: E402
from depthlab.live.scene import MAX_STRETCH, point_footprint, point_stretch  # noqa: E402
from depthlab.live.widgets import compare, explore, show  # noqa: E402


@pytest.fixture(scope="module")
def caps():
    return live_captures()


def page_config(path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="depthlab-config">(.*?)</script>', text, re.S)
                      .group(1))


def test_the_filled_layer_is_drawn_by_default_behind_the_subject(caps):
    e = explore(caps["person"])
    b = e.side.behind
    assert b.count > 10_000 and b.points.points.visible
    assert "invented behind edges" in e.side.title.value
    # behind: every invented point lies farther than the subject's pixel it hides
    z = b._data["xyz"][b._data["invented"], 2]
    assert z.min() > 1.9        # the wall is at 2.0-2.3 m, the subject at 0.78-0.9 m
    # drawn with the measured points' footprint rule: every other row and column, twice as wide
    assert b.points.footprint == {k: 2 * v for k, v in e.side.layer.footprint.items()}
    assert 0.2 < b.points.size / b.count < 0.3


def test_the_toggle_and_the_settings_that_turn_it_off(caps):
    e = explore(caps["person"])
    assert e.controls.w["fill"].value is True
    e.controls.w["fill"].value = False
    e.throttle.flush()
    assert e.side.behind.count == 0 and not e.side.behind.points.points.visible
    e.controls.w["fill"].value = True
    e.throttle.flush()
    assert e.side.behind.count > 0
    for changes in ({"colour": "depth"}, {"mask": "portrait"}, {"model": "orthographic"}):
        e.set(**changes)
        assert e.side.behind.count == 0, changes
        e.set(colour="rgb", mask=None, model="pinhole")
        assert e.side.behind.count > 0
    e.set(far=1.5)                      # the background is beyond far: clipped like the wall itself
    assert e.side.behind.count == 0
    e.set(far=None, render="surface")
    assert e.side.behind.surface.mesh.visible and not e.side.behind.points.points.visible
    assert not explore(caps["person"], fill=False).side.behind.count
    with pytest.raises(depthlab.InvalidInputError, match="fill must be True or False"):
        explore(caps["person"], fill="yes")


def test_compare_and_show_fill_too(caps):
    c = compare(caps["person"], caps["pet"])
    assert all(s.behind.count > 0 for s in c.sides)
    assert show(caps["pet"])._depthlab_side.behind.count > 0


def test_exports_flag_the_invented_layer_and_point_files_never_hold_it(caps, tmp_path):
    e = explore(caps["person"], export_dir=tmp_path)
    n = caps["person"].shape[0] * caps["person"].shape[1]
    ply = e.export("ply")
    assert len(depthlab.PointCloud.load(ply)) == n      # measured points only: nothing invented in a file of points
    page = page_config(e.export("html"))
    (desc,) = page["clouds"]
    assert desc["second_layer_from"] == n and desc["count"] > n
    # the edge points the view hides are in the page too, flagged, and hidden there first
    assert desc["edges"]["count"] == int(depthlab.project(caps["person"]).edge.sum()) > 0
    assert page["edgesShown"] is False
    e.set(edges="show")
    assert page_config(e.export("html"))["edgesShown"] is True
    e.set(edges="hide")
    e.set(render="surface")
    (desc,) = page_config(e.export("html"))["clouds"]
    assert desc["second_layer_faces_from"] == len(depthlab.mesh(caps["person"]))
    e.set(fill=False)
    (desc,) = page_config(e.export("html"))["clouds"]
    assert "second_layer_faces_from" not in desc


def test_points_on_a_slant_are_drawn_wider():
    # a plane turned 70 degrees about the vertical axis, and one facing the phone
    h, w, f = 40, 60, 50.0
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    x = (u - w / 2) / f
    y = (v - h / 2) / f
    fp = point_footprint("pinhole", 1, (w, h), intrinsics=[[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
    for slope, expect in ((0.0, 1.0), (np.tan(np.radians(70)), 1 / np.cos(np.radians(70)))):
        # the plane through (0, 0, 2 m) whose normal is turned ``slope`` from the optical axis
        z = (2.0 / (1 - slope * x)).astype(np.float32)
        xyz = np.stack([x * z, y * z, z], -1).reshape(-1, 3)
        st = point_stretch(xyz, z.reshape(-1), np.ones(h * w, bool), (h, w), fp, 0.5).astype(float) / 255 * MAX_STRETCH
        centre = st.reshape(h, w)[5:-5, w // 2]       # on the optical axis the slant is exactly 0 / 70 degrees
        assert abs(float(np.median(centre)) - expect) < 0.15 * expect, (slope, np.median(centre))


def test_a_model_change_sends_only_what_moved_and_draws_what_a_fresh_view_draws(caps):
    """The filled layer is made once per projector (edges, push-pull, inpainting: the slow part)
    and kept per model: another pinhole model re-projects it and sends its positions only (the
    colours stay in the browser), the surface goes out only when drawn, and what is drawn is
    exactly what a view opened on that model draws."""
    from depthlab.projection import Projector
    from depthlab.surface.layers import projector_layer

    cap = caps["person"]
    proj = Projector(cap, stride=2)
    a, b = projector_layer(proj, "pinhole"), projector_layer(proj, "pinhole-raw")
    assert b["texture"] is a["texture"] and not a["texture"].flags.writeable   # made once, kept read-only
    fresh = projector_layer(Projector(cap, stride=2), "pinhole-raw")
    for k in ("xyz", "rgb", "faces", "texture", "invented", "depth"):
        np.testing.assert_array_equal(b[k], fresh[k])

    e = explore(cap)
    behind = e.side.behind
    colours = behind.points.color.array
    assert behind.surface is None          # points are drawn: the surface was never sent
    for model in ("pinhole-raw", "pinhole", "pinhole-raw"):
        e.set(model=model)
        assert behind.points.color.array is colours, "the layer's colours were sent again"
    e.set(render="surface")
    other = explore(cap, model="pinhole-raw", render="surface").side.behind
    for name in ("position", "color", "index", "stretch"):
        np.testing.assert_array_equal(getattr(behind.points, name).array, getattr(other.points, name).array)
    for name in ("position", "uv", "index"):
        np.testing.assert_array_equal(getattr(behind.surface, name).array, getattr(other.surface, name).array)
    assert behind.surface.mesh.visible and behind.count == other.count > 0
