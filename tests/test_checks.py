"""The public signatures a person meets: the capture(s) positionally, every option by keyword;
anything that is not a Capture, an unknown keyword or an option passed positionally is an
InvalidInputError that says what to do (depthlab.checks owns the rules)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import depthlab
from conftest import make_capture
from depthlab import checks, figures
from depthlab.capture import CameraInfo, Capture
from depthlab.errors import InvalidInputError
from depthlab.exchange.depth_png import save_depth_png

# public function -> how many captures it takes positionally (then a path where it writes one)
KEYWORD_ONLY = {
    depthlab.project: 1, depthlab.mesh: 1, depthlab.refine: 1, depthlab.refocus: 1, depthlab.grid_points: 1,
    depthlab.show: 1, depthlab.explore: 1, depthlab.compare: 2, depthlab.refocus_view: 1,
    figures.capture_figure: 1, figures.comparison_figure: 2, depthlab.to_html: 2, save_depth_png: 2,
}


def _capture(h=12, w=16, rgb=True) -> Capture:
    """A plain ramp of depths without calibration, grey colour at four times the size."""
    depth = 1.0 / np.linspace(0.5, 2.0, h * w, dtype=np.float32).reshape(h, w)
    return make_capture(depth, rgb=np.full((h * 4, w * 4, 3), 128, np.uint8) if rgb else None, accuracy=None,
                        camera=CameraInfo(focal_length_35mm=26.0))


@pytest.mark.parametrize("fn, n", KEYWORD_ONLY.items(), ids=lambda v: getattr(v, "__name__", str(v)))
def test_public_functions_take_only_the_captures_positionally(fn, n):
    params = list(inspect.signature(fn).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert len(positional) == n, [p.name for p in positional]
    assert all(p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for p in params[n:])


@pytest.mark.parametrize("call", [
    lambda: depthlab.project("IMG_1.HEIC"), lambda: depthlab.mesh("IMG_1.HEIC"), lambda: depthlab.refine("IMG_1.HEIC"),
    lambda: depthlab.refocus("IMG_1.HEIC"), lambda: depthlab.to_html("IMG_1.HEIC", "x.html"),
    lambda: save_depth_png("IMG_1.HEIC", "x.png"), lambda: depthlab.grid_points("IMG_1.HEIC"),
])
def test_a_path_is_refused_with_the_line_that_opens_it(call):
    with pytest.raises(InvalidInputError, match=r"needs a depthlab Capture, got str 'IMG_1.HEIC'; open the file "
                                                r"first: cap = depthlab.open\('IMG_1.HEIC'\)"):
        call()


@pytest.mark.parametrize("fn", [depthlab.project, depthlab.mesh, depthlab.refine, depthlab.refocus])
def test_something_else_is_refused_naming_its_type(fn):
    with pytest.raises(InvalidInputError, match=r"needs a depthlab Capture \(depthlab.open\(path\)\), got ndarray"):
        fn(np.zeros((4, 4)))


def test_to_html_of_a_list_with_a_path_names_the_path(tmp_path):
    with pytest.raises(InvalidInputError, match="to_html\\(\\) needs a depthlab Capture, got str"):
        depthlab.to_html([_capture(), "b.heic"], tmp_path / "x.html")


def test_an_option_passed_positionally_is_refused_with_the_options():
    cap = _capture()
    # once project(cap, "pinhole", 2) meant near = 2 m and gave 0 points silently
    with pytest.raises(InvalidInputError, match=r"project\(\) takes cap positionally and its options by keyword "
                                                r"\(model=\.\.\., near=\.\.\."):
        depthlab.project(cap, "pinhole", 2)
    with pytest.raises(InvalidInputError, match=r"mesh\(\) takes cap positionally"):
        depthlab.mesh(cap, "pinhole", 2)
    with pytest.raises(InvalidInputError, match=r"refocus\(\) takes cap positionally"):
        depthlab.refocus(cap, 1.5)


@pytest.mark.parametrize("call, name", [
    (lambda cap: depthlab.project(cap, bogus=1), "project()"),
    (lambda cap: depthlab.mesh(cap, bogus=1), "mesh()"),
    (lambda cap: depthlab.refine(cap, bogus=1), "refine()"),
    (lambda cap: depthlab.refocus(cap, bogus=1), "refocus()"),
    (lambda cap: depthlab.explore(cap, bogus=1), "explore()"),
    (lambda cap: depthlab.show(cap, bogus=1), "show()"),
    (lambda cap: depthlab.compare(cap, cap, bogus=1), "compare()"),
    (lambda cap: depthlab.refocus_view(cap, bogus=1), "refocus_view()"),
    (lambda cap: figures.capture_figure(cap, bogus=1), "capture_figure()"),
])
def test_an_unknown_keyword_lists_the_valid_ones(call, name):
    with pytest.raises(InvalidInputError) as err:
        call(_capture())
    msg = str(err.value)
    assert msg.startswith(f"unknown {name} option(s) ['bogus']; the options are [")
    assert "bogus" not in msg.split("the options are")[1]


def test_the_renamed_options_mean_one_thing_each(tmp_path):
    with pytest.raises(InvalidInputError, match=r"unknown explore\(\) option\(s\) \['point_size'\].*'point_scale'"):
        depthlab.explore(_capture(), point_size=2)
    with pytest.raises(InvalidInputError, match=r"\['point_size'\].*'point_size_m'"):
        depthlab.to_html(depthlab.project(_capture(), model="orthographic"), tmp_path / "x.html", point_size=0.01)
    assert "marker_size" in inspect.signature(figures.capture_figure).parameters


def test_refocus_refuses_a_size_of_another_aspect_as_refine_does():
    cap = _capture()  # photo 64x48
    with pytest.raises(InvalidInputError, match=r"size 64x64 does not have the photo's aspect \(64x48\)"):
        depthlab.refocus(cap, focus=1.0, size=(64, 64))
    with pytest.raises(InvalidInputError, match=r"size 16x16 does not have the depth map's aspect \(16x12\)"):
        depthlab.refine(cap, size=(16, 16))
    assert depthlab.refocus(cap, focus=1.0, size=(32, 24)).shape == (24, 32, 3)


def test_whole_numbers_and_shapes():
    assert checks.whole_number("stride", 3.0) == 3
    for bad in (2.5, True, "2", 0, None):
        with pytest.raises(InvalidInputError, match="stride must be a whole number"):
            checks.whole_number("stride", bad)
    with pytest.raises(InvalidInputError, match=r"uv must have shape \(N, 2\), got \(3,\)"):
        checks.check_shape("uv", [1, 2, 3], (None, 2))
