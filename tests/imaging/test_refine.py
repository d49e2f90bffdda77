"""depthlab.refine against the generated samples' ground truth (data/sample/*_truth.*).

Every number here is computed by the test itself from the true depth: disparity RMSE after a
least-squares fit for relative captures (scale + offset in disparity, Apple's documented error
model for relative depth, which contains today's pure-scale sample as a special case), none
for absolute ones; steps along the tilted walls; hole bookkeeping.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import depthlab
from depthlab import Capture, InvalidInputError, synth
from conftest import data_sample, shared_sample

scipy_ndimage = pytest.importorskip("scipy.ndimage", reason="refine needs scipy (a runtime dependency)")


@pytest.fixture(scope="module")
def rear_refined(rear):
    return depthlab.refine(rear[0])


@pytest.fixture(scope="module")
def front_refined(front):
    return depthlab.refine(front[0])


def fitted_error(disparity: np.ndarray, truth, accuracy: str | None, mask: np.ndarray | None = None) -> np.ndarray:
    """Disparity error (1/m) against the truth, NaN where either is unknown.  Relative captures
    are first fitted to the truth by least squares: true = s * d + o (over ``mask``)."""
    true = 1.0 / truth.depth_m.astype(np.float64)
    d = disparity.astype(np.float64)
    ok = np.isfinite(d) & np.isfinite(true)
    if mask is not None:
        ok &= mask
    if accuracy == "relative":
        a = np.stack([d[ok], np.ones(ok.sum())], axis=1)
        (s, o), *_ = np.linalg.lstsq(a, true[ok], rcond=None)
        d = s * d + o
    return np.where(ok, d - true, np.nan)


def rmse(err: np.ndarray) -> float:
    return float(np.sqrt(np.nanmean(err ** 2)))


def region_far_from_others(truth, label: str, distance: int, extra_unknown: np.ndarray | None = None) -> np.ndarray:
    """Pixels of ``label`` more than ``distance`` pixels away from any other surface (or hole)."""
    part = truth.labels == truth.label_names.index(label)
    if extra_unknown is not None:
        part &= ~extra_unknown
    return scipy_ndimage.binary_erosion(part, iterations=distance)


def max_step_codes(disparity: np.ndarray, region: np.ndarray, code: float) -> float:
    """Largest difference between 4-neighbours inside ``region``, in stored codes."""
    steps = []
    for axis in (0, 1):
        diff = np.abs(np.diff(disparity.astype(np.float64), axis=axis))
        both = (region[1:] & region[:-1]) if axis == 0 else (region[:, 1:] & region[:, :-1])
        vals = diff[both]
        steps.append(vals[np.isfinite(vals)].max())
    return max(steps) / code


# ------------------------------------------------------------------------------ accuracy


def test_rear_sample_error_at_most_0_8_of_the_stored_map(rear, rear_refined):
    cap, truth = rear
    stored = rmse(fitted_error(cap.disparity, truth, cap.accuracy))
    refined = rmse(fitted_error(rear_refined.disparity, truth, cap.accuracy))
    assert cap.accuracy == "relative"
    assert refined <= 0.8 * stored, f"refined RMSE {refined:.5f} vs stored {stored:.5f} 1/m ({refined / stored:.3f}x)"


def test_rear_sample_depth_no_longer_bleeds_across_the_outline(rear, rear_refined):
    cap, truth = rear
    person = np.isin(truth.labels, [truth.label_names.index(n) for n in truth.scene["person_labels"]])
    outline = scipy_ndimage.binary_dilation(person, iterations=4) & ~scipy_ndimage.binary_erosion(person, iterations=4)
    stored = rmse(fitted_error(cap.disparity, truth, cap.accuracy)[outline])
    refined = rmse(fitted_error(rear_refined.disparity, truth, cap.accuracy)[outline])
    assert refined <= 0.75 * stored, f"within 4 px of the outline: refined {refined:.4f} vs stored {stored:.4f} 1/m"


def test_front_sample_not_worse_and_better_where_measured(front, front_refined):
    cap, truth = front
    assert cap.accuracy == "absolute"  # metres are compared as they are, no fit
    stored = rmse(fitted_error(cap.disparity, truth, cap.accuracy))
    refined = rmse(fitted_error(front_refined.disparity, truth, cap.accuracy))
    assert refined <= stored, f"refined RMSE {refined:.5f} vs stored {stored:.5f} 1/m"
    # where the sensor measured (not where the filtered map filled its holes from neighbours)
    measured = ~truth.holes if truth.holes is not None else None
    stored_m = rmse(fitted_error(cap.disparity, truth, cap.accuracy, measured))
    refined_m = rmse(fitted_error(front_refined.disparity, truth, cap.accuracy, measured))
    assert refined_m <= 0.9 * stored_m, f"measured pixels: refined {refined_m:.5f} vs stored {stored_m:.5f} 1/m"
    holes = ~np.isfinite(cap.disparity)
    if holes.any():
        kept = float(np.mean(~np.isfinite(front_refined.disparity[holes])))
        assert kept >= 0.95, f"only {kept:.1%} of the front sample's holes stayed holes"
    assert np.isfinite(front_refined.disparity[~holes]).all()  # nothing new goes missing


def test_unfiltered_front_capture_keeps_its_sensor_holes(front):
    # the shipped front sample is Filtered (holes filled, as Apple stores photos); an unfiltered
    # stream has the sensor's holes: grazing angles, dark hair, dropouts
    cap = synth.render_front_truedepth(filtered=False).to_capture()
    holes = ~np.isfinite(cap.disparity)
    assert holes.mean() > 0.02
    out = depthlab.refine(cap)
    kept = float(np.mean(~np.isfinite(out.disparity[holes])))
    assert kept >= 0.95, f"only {kept:.1%} of the holes stayed holes"
    truth = front[1]
    assert rmse(fitted_error(out.disparity, truth, "absolute")) <= 0.9 * rmse(fitted_error(cap.disparity, truth, "absolute"))


def test_holes_kept_or_filled_on_demand(rear):
    cap = rear[0]
    d = cap.disparity.copy()
    rng = np.random.default_rng(3)
    holes = rng.random(d.shape) < 0.02
    holes[200:260, 100:180] = True  # a large hole too
    d[holes] = np.nan
    holed = Capture(disparity=d, calibration=cap.calibration, accuracy=cap.accuracy, camera=cap.camera,
                    encoding=cap.encoding)
    holed.set_rgb(cap.rgb)
    kept = depthlab.refine(holed)
    assert np.array_equal(~np.isfinite(kept.disparity), holes)
    filled = depthlab.refine(holed, fill=True)
    assert np.isfinite(filled.disparity).all()
    lo, hi = np.nanmin(d), np.nanmax(d)
    assert lo - 1e-6 <= filled.disparity.min() and filled.disparity.max() <= hi + 1e-6
    # filled values are near the truth of what was removed (the stored values there)
    assert np.median(np.abs(filled.disparity[holes] - cap.disparity[holes])) < 5 * cap.encoding.step


# ------------------------------------------------------------------------------ planes


@pytest.mark.parametrize("name", ["rear", "front"])
def test_no_step_larger_than_half_a_code_on_the_tilted_wall(name, rear, front, rear_refined, front_refined):
    cap, truth = rear if name == "rear" else front
    out = rear_refined if name == "rear" else front_refined
    code = cap.encoding.step
    # the wall, 24 depth pixels (beyond the filter's reach) from any other surface; steps to or
    # from a hole (the front sample's scattered dropouts) are not steps
    wall = region_far_from_others(truth, "wall", 24)
    assert wall.sum() > 50_000
    assert max_step_codes(cap.disparity, wall, code=code) >= 0.99  # the stored map has its bands ...
    assert max_step_codes(out.disparity, wall, code=code) <= 0.5  # ... the refined one none above half a code
    # and the wall got closer to the truth, not just smoother
    assert rmse(fitted_error(out.disparity, truth, cap.accuracy)[wall]) < rmse(fitted_error(cap.disparity, truth, cap.accuracy)[wall])


# ------------------------------------------------------------------------------ a capture like any other


def test_refined_capture_keeps_everything_else(rear, rear_refined):
    cap = rear[0]
    out = rear_refined
    assert out is not cap and out.shape == cap.shape and out.disparity.dtype == np.float32
    assert out.calibration is cap.calibration and out.accuracy == cap.accuracy and out.camera == cap.camera
    assert out.path == cap.path and set(out.mattes) == set(cap.mattes)
    assert np.array_equal(out.rgb, cap.rgb)
    np.testing.assert_allclose(out.depth[np.isfinite(out.depth)], 1.0 / out.disparity[np.isfinite(out.depth)], rtol=1e-6)
    info = out.metadata["refined"]
    assert info["size"] == (768, 576) and info["source_size"] == (768, 576) and info["guide"] == "colour"
    assert "refined" in out.metadata["notes"][-1] and "holes kept" in out.metadata["notes"][-1]
    # more than the 8-bit levels: a float map
    assert np.unique(out.disparity[np.isfinite(out.disparity)]).size > 10 * 256
    # the source is not changed
    assert np.unique(cap.disparity).size <= 256


def test_refine_to_colour_size_with_the_calibration_of_that_size(rear):
    cap = rear[0]
    out = depthlab.refine(cap, size="colour")
    assert out.size == (1536, 1152) == tuple(cap.rgb_size)
    k = out.calibration.intrinsics_at(*out.size)
    k0 = cap.calibration.intrinsics_at(*cap.size)
    assert k[0, 0] == pytest.approx(2 * k0[0, 0]) and k[0, 2] == pytest.approx(2 * (k0[0, 2] + 0.5) - 0.5)
    cloud = depthlab.project(out, stride=4)
    assert len(cloud.xyz) == np.isfinite(out.disparity[::4, ::4]).sum()
    # at colour size the map still agrees with the depth-size one where both say the same place
    small = depthlab.refine(cap)
    down = out.disparity.reshape(576, 2, 768, 2).mean(axis=(1, 3))
    assert np.nanmedian(np.abs(down - small.disparity)) < cap.encoding.step


def test_refine_to_a_given_size(front):
    cap = front[0]
    out = depthlab.refine(cap, size=(240, 320))
    assert out.size == (240, 320)
    assert out.metadata["refined"]["size"] == (240, 320)


def test_figures_and_exports_take_a_refined_capture(rear, rear_refined, tmp_path):
    pytest.importorskip("matplotlib")
    from depthlab import figures

    fig = figures.comparison_figure(rear[0], rear_refined, labels=("stored", "refined"))
    assert len(fig.subfigs) == 2
    cloud = depthlab.project(rear_refined, stride=3)
    path = cloud.save(tmp_path / "refined.ply")
    assert path.stat().st_size > 1000
    mesh = depthlab.mesh(rear_refined, stride=2)
    assert len(mesh.faces) > 1000
    page = depthlab.to_html(rear_refined, tmp_path / "refined.html", stride=4)
    assert page.stat().st_size > 10_000


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("size", [(0, 0), (0, 576), (-768, -576), (9000, 6750), (768, 100), "huge", (1.5, 2), None])
def test_bad_sizes_are_refused_clearly(rear, size):
    with pytest.raises(InvalidInputError) as err:
        depthlab.refine(rear[0], size=size)
    assert str(size).strip("()").split(",")[0].strip("'") in str(err.value) or "size" in str(err.value)


def test_more_than_50_megapixels_is_refused_before_any_work(rear):
    with pytest.raises(InvalidInputError, match="50 MP"):
        depthlab.refine(rear[0], size=(8192, 6144))


def test_capture_without_colour_needs_guide_none(rear, rear_refined):
    cap, truth = rear
    bare = Capture(disparity=cap.disparity, calibration=cap.calibration, accuracy=cap.accuracy, encoding=cap.encoding)
    with pytest.raises(InvalidInputError, match="no colour image.*guide=None"):
        depthlab.refine(bare)
    with pytest.raises(InvalidInputError, match="no colour"):
        depthlab.refine(bare, size="colour", guide=None)
    out = depthlab.refine(bare, guide=None)
    assert out.metadata["refined"]["guide"] is None and "no guide" in out.metadata["notes"][-1]
    assert not out.has_rgb
    # without a guide the bands still go, the error does not grow (edges are kept as stored)
    stored = rmse(fitted_error(cap.disparity, truth, cap.accuracy))
    assert rmse(fitted_error(out.disparity, truth, cap.accuracy)) <= 1.02 * stored
    wall = region_far_from_others(truth, "wall", 24)
    assert max_step_codes(out.disparity, wall, code=cap.encoding.step) <= 0.5


@pytest.mark.parametrize("kw", [{"radius": 0}, {"radius": 2.5}, {"eps": 0}, {"eps": float("nan")}, {"guide": "depth"}, {"coarse": 0}])
def test_bad_parameters_are_refused(rear, kw):
    with pytest.raises(InvalidInputError):
        depthlab.refine(rear[0], **kw)


def test_a_map_without_any_known_pixel_is_refused(rear):
    cap = rear[0]
    empty = Capture(disparity=np.full((60, 80), np.nan, np.float32))
    with pytest.raises(InvalidInputError, match="no known depth"):
        depthlab.refine(empty, guide=None)


def test_import_depthlab_stays_light():
    code = "import sys, depthlab; depthlab.refine; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_colour_size_keeps_the_holes_where_they_were(front):
    cap = front[0]
    holes = ~np.isfinite(cap.disparity)
    out = depthlab.refine(cap, size="colour")
    assert out.size == (960, 1280)
    # each colour pixel belongs to the depth pixel it falls in (2x2 here)
    big_holes = np.repeat(np.repeat(holes, 2, axis=0), 2, axis=1)
    assert np.array_equal(~np.isfinite(out.disparity), big_holes)


def test_comparison_figure_of_stored_against_refined(rear):
    pytest.importorskip("matplotlib")
    from depthlab import figures

    fig = figures.comparison_figure(rear[0], "refined")
    titles = " ".join(t.get_text() for sf in fig.subfigs for t in sf.texts)
    assert "stored" in titles and "refined" in titles
    assert "shared colour" in fig.get_supxlabel()
    with pytest.raises(InvalidInputError):
        figures.comparison_figure(rear[0], "smoothed")


def test_truthcheck_reports_what_the_tests_measure(rear, rear_refined, front, front_refined):
    from depthlab.figures import lessons as lesson_figures
    from depthlab.teaching import truthcheck

    cap, truth = rear
    report = truthcheck.compare(cap, rear_refined, truth, name="rear")
    assert report.model == "scale+offset"
    assert report.rmse_stored == pytest.approx(rmse(fitted_error(cap.disparity, truth, "relative")), rel=1e-6)
    assert report.rmse_refined == pytest.approx(rmse(fitted_error(rear_refined.disparity, truth, "relative")), rel=1e-6)
    assert f"({report.ratio:.2f}x)" in str(report)
    f = truthcheck.compare(front[0], front_refined, front[1], name="front")
    assert f.model == "none" and (f.holes_kept is None or f.holes_kept >= 0.95)
    fig = lesson_figures.refine_figure(cap, rear_refined, truth)
    assert len(fig.axes) >= 4


def test_explore_refined_toggle_draws_the_refined_map_and_back():
    pytest.importorskip("ipywidgets")
    pytest.importorskip("pythreejs")
    cap = depthlab.open(data_sample("rear_dual.heic"))
    e = depthlab.explore(cap, stride=2)
    layer = e.side.layer
    stored = layer.position.array.copy()
    box = e.controls.w["refined"]
    assert box.value is False and not box.disabled
    box.value = True
    e.throttle.flush()
    assert "refined" in e.side.cap.metadata and e.side.source is cap
    assert "refined depth" in e.side.title.value
    moved = np.abs(layer.position.array - stored).max(axis=1)
    assert np.nanmax(moved) > 0.01  # edges and bands moved (metres)
    box.value = False
    e.throttle.flush()
    assert e.side.cap is cap
    np.testing.assert_array_equal(layer.position.array, stored)
    # a capture without colour cannot be refined with a guide: the box is off and disabled
    bare = Capture(disparity=cap.disparity, calibration=cap.calibration, accuracy=cap.accuracy)
    assert depthlab.explore(bare).controls.w["refined"].disabled
    with pytest.raises(InvalidInputError, match="refined"):
        depthlab.explore(bare, refined=True)


def test_filled_holes_are_counted_and_called_invented_and_the_units_are_the_captures():
    """refine(spatial, fill=True) invents a quarter of the real spatial photo's depth (where the
    matcher found nothing) and its note said only 'holes filled'; an XDM capture's note gave its
    code in 1/m, though the file's depth is in its own units."""
    spatial = depthlab.open(shared_sample("iphone/spatial_stereo_pair.heic"))
    holes = float(np.isnan(spatial.depth).mean())
    out = depthlab.refine(spatial, fill=True)
    info = out.metadata["refined"]
    assert info["filled_fraction"] == pytest.approx(holes, abs=1e-6) and holes > 0.2
    assert f"holes filled ({holes * 100:.1f} % of the map, invented, not measured)" in out.metadata["notes"][-1]
    assert depthlab.refine(spatial).metadata["refined"]["filled_fraction"] == 0.0
    xdm = depthlab.refine(depthlab.open(shared_sample("other/intel_realsense_xdm.jpg")))
    assert " 1/unit" in xdm.metadata["notes"][-1] and " 1/m" not in xdm.metadata["notes"][-1]


@pytest.mark.parametrize("shape", [(576, 768), (8, 8), (5, 3), (1, 40)])
def test_the_window_filters_are_scipys_numbers(shape):
    """refine's window minimum/maximum (OpenCV) equal scipy.ndimage's exactly, its box means
    (OpenCV, reflected border) to float64 rounding, also for windows larger than the map."""
    import scipy.ndimage as nd

    from depthlab.imaging import _refine

    rng = np.random.default_rng(sum(shape))
    d = rng.random(shape).astype(np.float32)
    d[rng.random(shape) < 0.2] = np.inf
    for win in (3, 13, 101):
        assert np.array_equal(_refine._window_extreme(d, win, largest=False), nd.minimum_filter(d, size=win))
        assert np.array_equal(_refine._window_extreme(-d, win, largest=True), nd.maximum_filter(-d, size=win))
    x = rng.random((4,) + shape)
    for r in (1, 6, 50):
        want = nd.uniform_filter(x, size=(1, 2 * r + 1, 2 * r + 1), mode="reflect")
        np.testing.assert_allclose(_refine._box(x, r), want, rtol=0, atol=1e-12)
