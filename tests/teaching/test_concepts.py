"""The teaching measurements the notebooks print, on the generated samples with ground truth."""

from __future__ import annotations

import numpy as np
import pytest

import depthlab
from depthlab import InvalidInputError, synth
from depthlab.teaching import concepts

from conftest import data_sample, shared_sample


def test_scale_against_truth_shows_relative_vs_absolute(rear, front):
    r = concepts.scale_against_truth(*rear, name="rear")
    f = concepts.scale_against_truth(*front, name="front")
    # the rear sample stores 0.8 x true disparity + 0.1 1/m: read / true = 1 / (0.8 + 0.1 z),
    # not one number -- 1.11 at 1 m, 0.91 at 3 m; its median over the map is what is printed
    z = rear[1].depth_m[np.isfinite(rear[1].depth_m)]
    assert r.ratio == pytest.approx(np.median(1 / (0.8 + 0.1 * z)), rel=0.02)
    assert abs(r.ratio - 1 / 0.8) > 0.2 and r.accuracy == "relative"
    assert f.ratio == pytest.approx(1.0, abs=0.01) and f.accuracy == "absolute"
    assert str(r).startswith("rear  (relative): depth read from the file / true depth = %.3f (median)" % r.ratio)
    # the ratio changes with distance (1.11 at 1 m, 0.91 at 3 m), and the sentence prints it
    near, far = r.by_depth[0], r.by_depth[-1]
    assert near[1] == pytest.approx(1 / (0.8 + 0.1 * near[0]), rel=0.02) and far[1] == pytest.approx(1 / (0.8 + 0.1 * far[0]), rel=0.02)
    assert near[1] - far[1] > 0.15 and f"{near[1]:.3f} at {near[0]:.1f} m" in str(r)
    assert all(v == pytest.approx(1.0, abs=0.01) for _, v in f.by_depth)


def test_quantisation_follows_the_square_of_distance(front):
    cap = front[0]
    q = concepts.quantisation(cap, depths_m=(0.4, 0.6, 0.8))  # inside the 0.36-0.957 m the map encodes
    assert q.step_per_m == pytest.approx(cap.encoding.step)
    assert q.levels == 252  # of 256: the range is fitted to the scene, as a real file's
    (z1, d1, e1), (z2, d2, e2), (z3, d3, e3) = q.depth_steps_m
    assert d3 == pytest.approx(4 * d1) and d2 == pytest.approx(2.25 * d1)
    assert d3 == pytest.approx(0.64 * cap.encoding.step)
    assert "252 of the 256 possible 8-bit codes" in str(q) and "mm of depth" in str(q)


def test_quantisation_rows_only_where_the_map_encodes_and_exact_steps(front):
    cap, truth = front
    # the front sample stores the range of its own scene: FloatMin/Max 1.044921875/2.779296875 (1/m)
    assert (cap.encoding.float_min, cap.encoding.float_max) == (1.044921875, 2.779296875)
    s = (2.779296875 - 1.044921875) / 255
    q = concepts.quantisation(cap)
    assert q.near_m == pytest.approx(1 / 2.779296875) and q.far_m == pytest.approx(1 / 1.044921875)
    # the truth lies inside that range: the nearest and farthest true depths round to its ends
    lo, hi = np.nanmin(truth.depth_m), np.nanmax(truth.depth_m)
    assert 1 / hi - s / 2 <= 1.044921875 <= 1 / hi and 1 / lo <= 2.779296875 <= 1 / lo + s / 2
    # of 0.3, 0.5, 1, 2, 4 m only 0.5 m is encodable: too few to show the growth, so the rows are the
    # nearest, the middle (geometric mean) and the farthest encodable depth
    near, far = 1 / 2.779296875, 1 / 1.044921875
    assert [z for z, _, _ in q.depth_steps_m] == pytest.approx([near, np.sqrt(near * far), far])
    z, first, exact = q.depth_steps_m[-1]
    assert first == pytest.approx(far * far * s) and exact == pytest.approx(1 / (1 / far - s) - far)
    assert round(1000 * first, 2) == 6.23 and round(1000 * exact, 2) == 6.27
    assert "at 0.957 m one step is   6.23 mm of depth" in str(q) and "exactly   6.27 mm" in str(q)
    assert "the map encodes 0.36–0.957 m" in str(q)


def test_quantisation_of_a_map_with_floatmin_zero_reaches_infinity():
    # an unfiltered front map keeps FloatMin 0 (its holes are code 0 = disparity 0 = unknown)
    cap = synth.render_front_truedepth(filtered=False).to_capture()
    assert (cap.encoding.float_min, cap.encoding.float_max) == (0.0, 2.779296875)
    s = 2.779296875 / 255
    q = concepts.quantisation(cap)
    assert q.near_m == pytest.approx(1 / 2.779296875) and q.far_m == float("inf")
    assert [z for z, _, _ in q.depth_steps_m] == [0.5, 1.0, 2.0, 4.0]  # 0.3 m is nearer than 1/FloatMax
    z, first, exact = q.depth_steps_m[-1]
    assert first == pytest.approx(16 * s) and exact == pytest.approx(1 / (1 / 4 - s) - 4)
    assert round(100 * first, 2) == 17.44 and round(100 * exact, 2) == 18.23
    assert "exactly  18.23 cm" in str(q) and "the map encodes 0.36–∞ m" in str(q)


def test_quantisation_of_the_real_files():
    from conftest import shared_sample

    pug = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    q = concepts.quantisation(pug)
    assert (q.near_m, q.far_m) == pytest.approx((1 / 4.382812, 1 / 1.498047), rel=1e-5)
    assert [z for z, _, _ in q.depth_steps_m] == [0.3, 0.5]  # 1, 2, 4 m are beyond 1/FloatMin = 0.67 m
    gdepth = depthlab.open(shared_sample("android/lens_blur_gdepth.jpg"))
    g = concepts.quantisation(gdepth)
    near, far = 18.8495, 633.323  # GDepth RangeInverse: codes even in 1/depth
    assert g.step_per_m == pytest.approx((1 / near - 1 / far) / 255, rel=1e-4)
    assert g.unit == "units" and "the stored step is unknown" not in str(g)


def test_distortion_shift_is_zero_without_distortion(rear, front):
    r = concepts.distortion_shift(rear[0])
    f = concepts.distortion_shift(front[0])
    assert r.max_mm > 1.0 and 0 < r.median_mm < r.max_mm
    assert f.max_mm == pytest.approx(0.0, abs=1e-3)
    # a relative capture's unit is not a metre, so the shift is not in millimetres
    assert "mm" not in str(r) and "not a metre" in str(r) and " mm" in str(f)


def test_distortion_shift_refuses_a_photo_that_stores_no_distortion():
    """A photo whose file stores no lens-distortion model has nothing to remove: notebook 04b's
    "your photo" line says so instead of printing "moves points by up to 0.0" (a number never
    measured: Lens Blur's intrinsics are even estimated from EXIF)."""
    for path in (shared_sample("android/lens_blur_gdepth.jpg"), shared_sample("other/intel_realsense_xdm.jpg"),
                 data_sample("pixel_portrait.jpg")):
        cap = depthlab.open(path)
        with pytest.raises(InvalidInputError, match="stores no lens distortion"):
            concepts.distortion_shift(cap)
        line = concepts.on_photo(concepts.distortion_shift, cap)
        assert line.startswith("not for this photo:") and "0.0" not in line, line


def test_ray_confusion_on_a_photo_in_its_own_units_prints_no_centimetres():
    """The RealSense photo's depth is in its own units (millimetres, 666..19012): 'your photo'
    in notebook 04b printed 'moves ... by up to 297622.9 cm'.  It now says the file's units."""
    xdm = depthlab.open(shared_sample("other/intel_realsense_xdm.jpg"))
    r = concepts.ray_confusion(xdm)
    text = concepts.on_photo(concepts.ray_confusion, xdm)
    assert " cm" not in text and " m)" not in text and f"{r.max_along_ray_m:.3g} units" in text, text
    assert f"median depth {r.median_depth_m:.3g} units" in text
    pug = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    assert " cm, and its depth z changes" in concepts.on_photo(concepts.ray_confusion, pug)


def test_depth_span_of_the_head(front):
    truth = front[1]
    span = concepts.depth_span(truth, label="head")
    # the synthetic head is a sphere of radius 0.09 m centred 0.45 m away: its visible
    # surface lies between ~0.36 m and ~0.45 m
    assert 0.35 < span.near_m < span.far_m <= 0.46
    assert span.ratio == pytest.approx(span.far_m / span.near_m)
    with pytest.raises(InvalidInputError, match="no part called"):
        concepts.depth_span(truth, label="tail")


def test_truth_must_match_the_grid(rear):
    cap, truth = rear

    class Small:
        depth_m = np.ones((4, 4), np.float32)

    with pytest.raises(InvalidInputError):
        concepts.scale_against_truth(cap, Small())


def test_affine_fit_recovers_the_rear_samples_scale_and_offset(rear, front):
    a = concepts.fit_affine_disparity(*rear)
    assert a.scale == pytest.approx(0.8, abs=0.01) and a.offset_per_m == pytest.approx(0.1, abs=0.005)
    assert a.rms_per_m < 0.01 and a.n > 0.5 * rear[0].disparity.size
    assert str(a) == f"stored disparity = {a.scale:.3f} x true disparity {a.offset_per_m:+.3f} 1/m (rms {a.rms_per_m:.4f} 1/m over {a.n} pixels)"
    assert "0.799 x true disparity +0.100 1/m" in str(a)
    # corrected depth is the true depth
    cap, truth = rear
    ok = np.isfinite(truth.depth_m) & (truth.labels == truth.label_names.index("wall"))
    corrected = a.true_depth(cap.depth[ok])
    assert np.median(np.abs(corrected / truth.depth_m[ok] - 1)) < 0.01
    f = concepts.fit_affine_disparity(*front)
    assert f.scale == pytest.approx(1.0, abs=0.01) and abs(f.offset_per_m) < 0.01


def test_two_measured_distances_give_scale_and_offset():
    # stored 0.9 at 1 m and 0.3 at 4 m: 0.8 / z + 0.1
    a = concepts.affine_from_two_distances(0.9, 1.0, 0.3, 4.0)
    assert (a.scale, a.offset_per_m) == pytest.approx((0.8, 0.1))
    assert a.true_depth(1 / 0.5) == pytest.approx(2.0)
    with pytest.raises(InvalidInputError):
        concepts.affine_from_two_distances(0.9, 1.0, 0.9, 1.0)


# ------------------------------------------------------------------------------- the lessons


def test_stereo_lesson_numbers():
    st = concepts.stereo_shift(**concepts.PUG, baseline_m=0.01)
    s = (4.382812 - 1.498047) / 255
    assert st.step_per_m == pytest.approx(s)
    assert st.step_shift_px == pytest.approx(s * 3032.594 * 0.01) and 0.3 < st.step_shift_px < 0.4
    assert st.step_shift_depth_px == pytest.approx(st.step_shift_px * 768 / 4032)
    assert st.shift_px(0.5) == pytest.approx(3032.594 * 0.01 / 0.5)  # the exercise: 60.65 px
    assert st.depth_m(st.shift_px(1.7)) == pytest.approx(1.7)
    # Apple's disparity D = d / (f B) is 1/Z
    assert st.shift_of_disparity(1 / 0.4) == pytest.approx(st.shift_px(0.4))
    assert st.depth_range_m == pytest.approx((1 / 4.382812, 1 / 1.498047))
    assert "0.343 px" in str(st) and "45.4–132.9 px" in str(st)


def test_pug_numbers_are_the_real_files():
    from conftest import shared_sample

    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    st = concepts.stereo_shift_of(cap)
    p = concepts.PUG
    assert st.focal_px == pytest.approx(p["focal_px"], abs=1e-3) and st.width_px == p["width_px"]
    assert st.depth_width_px == p["depth_width_px"]
    assert st.disparity_range_per_m == pytest.approx((p["float_min"], p["float_max"]), abs=1e-6)


def test_error_propagation_matches_the_truth(front):
    cap, truth = front
    e = concepts.error_propagation(cap, truth)
    s = (2.779296875 - 1.044921875) / 255  # the front sample's stored range (1/m)
    assert e.sigma_disparity == pytest.approx(s / np.sqrt(12))
    assert len(e.measured) == 3
    for z, predicted, measured, n in e.measured:
        assert predicted == pytest.approx(z * z * s / np.sqrt(12))
        assert measured == pytest.approx(predicted, rel=0.15) and n >= 50
    assert e.sigma_lateral(0.9) == pytest.approx(e.edge_slope * e.sigma_depth(0.9))
    # the edge slope is half the frame's width over f: 480 / 1109.5 for the front sample; the long
    # edge 640 / 1109.5, the corner their hypotenuse -- all under 1 (half-field under 45°)
    assert e.edge_slope == pytest.approx((240 - 0.5 + 0.5) / (1109.5 * 480 / 960), rel=1e-3)
    assert e.top_slope == pytest.approx(320 / (1109.5 / 2), rel=1e-3) and e.corner_slope == pytest.approx(np.hypot(0.4326, 0.5768), rel=1e-3)
    assert "0.43 at the short (left/right) edges, 0.58 at the long (top/bottom) edges, 0.72 in the corners" in str(e)


def test_filled_holes_are_counted_and_off_the_truth(front):
    cap, truth = front
    h = concepts.filled_holes(cap, truth)
    filled = np.isfinite(cap.depth) & truth.holes
    assert h.share == pytest.approx(filled.sum() / np.isfinite(cap.depth).sum())
    assert 0.03 < h.share < 0.08 and 0.03 < h.median_error_m < 0.15 and h.max_error_m > 0.2
    assert str(h).startswith(f"{100 * h.share:.1f}% of the stored pixels are filled holes")


def test_two_measured_distances_recover_the_rear_samples_error(rear):
    cap, truth = rear
    tape = concepts.two_measurements(cap, truth, labels=("head", "wall"))
    (z1, d1), (z2, d2) = tape
    assert z1 < z2
    for z, d in tape:  # interior points: stored = 0.8 / z + 0.1 within a code
        assert d == pytest.approx(0.8 / z + 0.1, abs=cap.encoding.step)
    a = concepts.affine_from_measurements(tape)
    assert a.scale == pytest.approx(0.8, abs=0.02) and a.offset_per_m == pytest.approx(0.1, abs=0.01)
    assert a.true_depth(1 / 0.5) == pytest.approx(0.8 / (0.5 - 0.1), rel=0.03)  # the exercise: ~2.0 m


def test_edge_straightness_shows_the_correction(rear):
    e = concepts.edge_straightness(*rear)
    assert abs(e.raw_sagitta_m) > 0.005 and abs(e.rectified_sagitta_m) < 0.0005
    assert 3.0 < np.ptp(e.along_m) < 4.0
    assert "bows (sagitta) by 7.6 mm with the distortion ignored and 0.04 mm" in str(e)
    # the points scatter about the parabola far more than its bow: the sagitta is not a distance of the points
    assert 0.0005 < e.rectified_scatter_m < 0.005 and e.rectified_scatter_m > 10 * abs(e.rectified_sagitta_m)


def test_ray_confusion_bends_the_wall(rear):
    cap, truth = rear
    r = concepts.ray_confusion(cap, truth, label="wall")
    # independently, from the plain intrinsics (distortion ignored: a ~1 % difference at the rim)
    k = cap.calibration.intrinsics_at(*cap.size)
    v, u = np.nonzero((truth.labels == truth.label_names.index("wall")) & np.isfinite(truth.depth_m))
    tan2 = ((u - k[0, 2]) / k[0, 0]) ** 2 + ((v - k[1, 2]) / k[1, 1]) ** 2
    cos = 1 / np.sqrt(1 + tan2)
    assert r.max_angle_deg == pytest.approx(np.degrees(np.arccos(cos.min())), rel=0.02)
    assert r.max_bend_m == pytest.approx(np.max(truth.depth_m[v, u] * (1 - cos)), rel=0.03)
    assert r.max_along_ray_m == pytest.approx(np.max(truth.depth_m[v, u] * (1 / cos - 1)), rel=0.03)
    assert "along its ray by up to 87.7 cm, and its depth z changes by up to 68.0 cm" in str(r)
    assert concepts.ray_shift_m(2.0, 30) == pytest.approx(2 * (2 / np.sqrt(3) - 1))  # 30.9 cm
    assert r.median_depth_m == pytest.approx(np.median(truth.depth_m[v, u]), rel=1e-6)
    assert concepts.ray_bend_m(2.0, 30) == pytest.approx(2 * (1 - np.sqrt(3) / 2))  # the exercise: 26.8 cm


def test_weak_perspective_lesson(front):
    cap, truth = front
    span = concepts.depth_span(truth, label="head")
    w = concepts.weak_perspective(span, tolerance=0.05)
    assert w.z_ref == pytest.approx((span.near_m + span.far_m) / 2)
    # a point at Z comes out z_ref/Z times its size: the nearest is off by z_ref/near - 1 exactly
    assert w.max_error == pytest.approx(w.z_ref / span.near_m - 1)
    assert w.first_order_error == pytest.approx((span.far_m - span.near_m) / (span.near_m + span.far_m))
    assert w.max_error > w.first_order_error
    assert "8.15%" in str(w) and "7.53%" in str(w)
    assert w.distance_for_tolerance_m == pytest.approx((span.far_m - span.near_m) / 2 * 1.05 / 0.05)
    at = w.distance_for_tolerance_m  # from there the nearest point is off by exactly the tolerance
    assert at / (at - (span.far_m - span.near_m) / 2) - 1 == pytest.approx(0.05)
    pts = concepts.weak_perspective_points(cap, w.z_ref)
    assert pts.shape == (int(np.isfinite(cap.depth).sum()), 3)
    # at z_ref the weak and the true pinhole x agree
    k = cap.calibration.intrinsics_at(*cap.size)
    assert pts[0, 0] == pytest.approx((0 - k[0, 2]) * w.z_ref / k[0, 0])
    with pytest.raises(InvalidInputError):
        concepts.weak_perspective(span, tolerance=0)


def test_orthographic_relief_of_the_head(front):
    cap, truth = front
    o = concepts.orthographic_relief(cap, truth, label="head")
    # the head is a sphere of radius 9 cm: about 18 cm across at most, seen ~14-18 cm wide
    assert 0.12 < o.true_width_m < 0.19
    # the grid spans one unit across the 480 px frame: the head covers ~200 px of it
    assert o.grid_width == pytest.approx(o.true_width_m / o.factor)
    assert 0.3 < o.grid_width < 0.5 and o.factor < 1 and "flattened" in str(o)


def test_lesson_figures_draw(rear, front):
    from depthlab.figures import lessons as lf

    st = concepts.stereo_shift(**concepts.PUG)
    figs = [lf.stereo_figure(st, near_m=st.depth_range_m[0], far_m=st.depth_range_m[1]),
            lf.error_figure(concepts.error_propagation(*front), *front),
            lf.affine_figure(*rear, concepts.fit_affine_disparity(*rear), two_points=concepts.two_measurements(*rear)),
            lf.ray_figure(*rear),
            lf.weak_perspective_figure(*front, concepts.weak_perspective(concepts.depth_span(front[1], label="head"))),
            lf.edge_figure(concepts.edge_straightness(*rear))]
    for fig in figs:
        ax = fig.axes[0]
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
