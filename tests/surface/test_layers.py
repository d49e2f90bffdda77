"""The background layer behind occlusion edges: where it goes, what it looks like, and that it
never leaks into what depthlab measures."""

from __future__ import annotations

import numpy as np
import pytest

import depthlab
from browser_support import live_captures, subject_pixels
from conftest import shared_sample
from depthlab.capture import Calibration, CameraInfo, Capture
from depthlab.errors import InvalidInputError
from depthlab.surface.triangulate import occlusion_edges


@pytest.fixture(scope="module")
def person():
    return live_captures()["person"]


@pytest.fixture(scope="module")
def person_layers(person):
    return depthlab.layers(person, inpaint="nearest")


def flat_capture(depth: np.ndarray, accuracy: str = "absolute", rgb: np.ndarray | None = None) -> Capture:
    h, w = depth.shape
    cal = Calibration(intrinsic_matrix=[[100.0, 0, w / 2], [0, 100.0, h / 2], [0, 0, 1]], reference_size=(w, h))
    cap = Capture(disparity=(1 / depth).astype(np.float32), calibration=cal, accuracy=accuracy,
                  camera=CameraInfo(kind="rear dual"))
    cap.set_rgb(rgb if rgb is not None else np.full((h, w, 3), 90, np.uint8))
    return cap


def test_occlusion_edges_mark_both_sides_of_a_jump_only():
    d = np.array([[1.0, 1.0, 1.02, 3.0, 3.0]] * 2, dtype=np.float32)
    near, far = occlusion_edges(d, np.ones(d.shape, bool), 0.03)
    assert near.astype(int).tolist() == [[0, 0, 1, 0, 0]] * 2   # the 2 % step is a surface, not an edge
    assert far.astype(int).tolist() == [[0, 0, 0, 1, 0]] * 2
    # an unknown neighbour is no edge
    valid = np.ones(d.shape, bool)
    valid[:, 3] = False
    assert not any(m.any() for m in occlusion_edges(d, valid, 0.03))


def test_the_layer_lies_behind_the_subject_at_the_walls_depth_in_the_walls_colours(person, person_layers):
    lay = person_layers
    matte = person.mattes["portrait"].reshape(-1) >= 0.5
    invented = lay.back_pixel_index[lay.invented]
    assert len(lay) > 1000
    # the rest of the second layer repeats measured wall points it leans on
    assert not matte[lay.back_pixel_index[~lay.invented]].any()
    # only where the subject hides the wall: every invented point is a subject pixel
    assert matte[invented].mean() == 1.0
    # its depth is the wall's (2.0-2.3 m there), not the subject's (0.78-0.9 m)
    z = lay.back_xyz[lay.invented, 2]
    assert 1.95 < float(z.min()) and float(z.max()) < 2.35
    # it is drawn along the same rays: from the phone it lies exactly behind its pixel
    front = depthlab.project(person)
    ray_front = front.xyz[invented] / front.xyz[invented, 2:3]
    back = lay.back_xyz[lay.invented]
    np.testing.assert_allclose(back / back[:, 2:3], ray_front, atol=1e-5)
    # its colours come from the wall (green), never from the magenta subject
    rgb = lay.back_rgb[lay.invented].reshape(-1, 1, 3)
    assert not subject_pixels(rgb).any()
    assert float(rgb[..., 1].mean()) > 140
    # it is a surface: triangles over its points, the band as wide as a 30 degree turn needs
    assert len(lay.back_faces) > len(lay)
    assert lay.metadata["band"] >= 20 and lay.metadata["invented"] is True


def test_project_and_mesh_are_unchanged_by_default(person, person_layers):
    cloud = depthlab.project(person)
    surf = depthlab.mesh(person)
    lay = person_layers
    # the front layer is the mesh, element for element; nothing invented in either
    np.testing.assert_array_equal(lay.front.vertices, surf.vertices)
    np.testing.assert_array_equal(lay.front.faces, surf.faces)
    assert "invented" not in surf.metadata and "invented" not in cloud.metadata
    assert len(cloud) == person.shape[0] * person.shape[1]
    again = depthlab.project(person)
    np.testing.assert_array_equal(again.xyz, cloud.xyz)


def test_the_combined_mesh_and_cloud_flag_every_invented_vertex(person, person_layers):
    lay = person_layers
    both = lay.mesh()
    inv = both.metadata["invented"]
    n = lay.front.vertices.shape[0]
    assert inv.shape == (both.vertices.shape[0],) and inv[:n].sum() == 0 and inv.sum() == len(lay)
    assert both.metadata["second_layer_faces_from"] == len(lay.front) and both.metadata["second_layer_from"] == n
    assert (both.faces[len(lay.front):] >= n).all()
    # the texture stacks the photo over the filled layer: invented uv in the bottom half
    assert both.uv[n:, 1].max() <= 0.5 and both.uv[:n, 1].min() >= 0.5
    cloud = lay.cloud(depthlab.project(person))
    assert cloud.metadata["invented"].sum() == len(lay)
    assert "invented" in cloud.metadata["layers"]["note"]


def test_a_flat_wall_has_nothing_behind_it():
    cap = flat_capture(np.full((30, 40), 2.0, np.float32))
    lay = depthlab.layers(cap)
    assert len(lay) == 0 and lay.back_faces.shape == (0, 3)
    assert not lay.mesh().metadata["invented"].any()


def test_relative_and_absolute_scales_alike():
    d = np.full((40, 50), 3.0, np.float32)
    d[10:30, 15:35] = 1.0
    a = depthlab.layers(flat_capture(d, "absolute"), inpaint="nearest")
    r = depthlab.layers(flat_capture(d, "relative"), inpaint="nearest")
    assert len(a) == len(r) > 0
    np.testing.assert_array_equal(a.back_xyz, r.back_xyz)


def test_bad_input_says_what_was_found():
    holes = np.full((20, 20), np.nan, np.float32)
    with pytest.raises(InvalidInputError, match="no valid"):
        depthlab.layers(flat_capture(holes))
    with pytest.raises(InvalidInputError, match="at least 2 x 2"):
        depthlab.layers(flat_capture(np.full((1, 8), 2.0, np.float32)))
    tiny = np.array([[1.0, 1.0, 3.0]] * 3, np.float32)
    lay = depthlab.layers(flat_capture(tiny), inpaint="nearest")   # a tiny map still works
    assert len(lay) >= 0
    cap = flat_capture(np.full((10, 10), 2.0, np.float32))
    for bad, msg in (({"turn": 95}, "below 90"), ({"turn": -1}, "turn"), ({"inpaint": "magic"}, "inpaint"),
                     ({"band": 0}, "band")):
        with pytest.raises(InvalidInputError, match=msg):
            depthlab.layers(cap, **bad)
    with pytest.raises(InvalidInputError, match="Capture"):
        depthlab.layers("photo.heic")


def test_flat_teaching_models_have_no_behind(person):
    lay = depthlab.layers(person, model="orthographic")
    assert len(lay) == 0


def test_real_pug_gets_a_layer_behind_the_dog():
    path = shared_sample("iphone/rear_dual_pug.heic")
    cap = depthlab.open(path)
    lay = depthlab.layers(cap, stride=2)
    assert len(lay) > 1000
    # behind: every invented point farther than the point it hides
    front = depthlab.project(cap, stride=2)
    order = np.searchsorted(front.pixel_index, lay.back_pixel_index[lay.invented])
    assert (lay.back_xyz[lay.invented, 2] > front.xyz[order, 2]).all()
