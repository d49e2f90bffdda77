"""The teaching measurements the notebooks print, on the generated samples with ground truth."""

from __future__ import annotations

import numpy as np
import pytest

import depthlab
from depthlab import InvalidInputError, concepts, synth
from conftest import data_sample


@pytest.fixture(scope="module")
def rear():
    p = data_sample("rear_dual.heic")
    return depthlab.open(p), synth.load_truth(p)


@pytest.fixture(scope="module")
def front():
    p = data_sample("front_truedepth.heic")
    return depthlab.open(p), synth.load_truth(p)


def test_scale_against_truth_shows_relative_vs_absolute(rear, front):
    r = concepts.scale_against_truth(*rear, name="rear")
    f = concepts.scale_against_truth(*front, name="front")
    # the rear sample stores 0.8 x true disparity + 0.1 1/m: read / true = 1 / (0.8 + 0.1 z),
    # not one number -- 1.11 at 1 m, 0.91 at 3 m; its median over the map is what is printed
    z = rear[1].depth_m[np.isfinite(rear[1].depth_m)]
    assert r.ratio == pytest.approx(np.median(1 / (0.8 + 0.1 * z)), rel=0.02)
    assert abs(r.ratio - 1 / 0.8) > 0.2 and r.accuracy == "relative"
    assert f.ratio == pytest.approx(1.0, abs=0.01) and f.accuracy == "absolute"
    assert str(r) == "rear  (relative): depth read from the file / true depth = %.3f" % r.ratio


def test_quantisation_follows_the_square_of_distance(front):
    cap = front[0]
    q = concepts.quantisation(cap, depths_m=(0.5, 1.0, 2.0))
    assert q.step_per_m == pytest.approx(cap.encoding.step)
    assert 2 <= q.levels <= 256
    (z1, d1), (z2, d2), (z3, d3) = q.depth_steps_m
    assert d2 == pytest.approx(4 * d1) and d3 == pytest.approx(4 * d2)
    assert d2 == pytest.approx(1.0 * cap.encoding.step)
    assert "one step =" in str(q) and "cm of depth" in str(q)


def test_distortion_shift_is_zero_without_distortion(rear, front):
    r = concepts.distortion_shift(rear[0])
    f = concepts.distortion_shift(front[0])
    assert r.max_mm > 1.0 and 0 < r.median_mm < r.max_mm
    assert f.max_mm == pytest.approx(0.0, abs=1e-3)


def test_depth_span_of_the_head(front):
    truth = front[1]
    span = concepts.depth_span(truth, "head")
    # the synthetic head is a sphere of radius 0.09 m centred 0.45 m away: its visible
    # surface lies between ~0.36 m and ~0.45 m
    assert 0.35 < span.near_m < span.far_m <= 0.46
    assert span.ratio == pytest.approx(span.far_m / span.near_m)
    with pytest.raises(InvalidInputError, match="no part called"):
        concepts.depth_span(truth, "tail")


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
