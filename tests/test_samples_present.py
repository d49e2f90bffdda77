"""The real phone files the tests rely on are where the tests look for them.

Where ``../shared/samples`` is absent these tests skip with the reason (and so do the tests that
use the files); with ``DEPTHLAB_REQUIRE_SAMPLES=1`` (CI, ``.ci/run``) they fail instead, so a
missing folder can never turn a green run into a run that checked less.
"""

from __future__ import annotations

import pytest

from conftest import DATA_SAMPLE, shared_sample, shared_samples_dir

# the files ../shared/samples/README.md lists
REAL = [
    "iphone/rear_dual_pug.heic", "iphone/front_truedepth_mattes.heic", "iphone/rear_dual_2x_upright.heic",
    "iphone/ios18_mattes_no_depth.heic", "iphone/front_rotated_mirrored_no_depth.heic",
    "iphone/rear_dual_portrait.jpg", "iphone/spatial_stereo_pair.heic", "android/lens_blur_gdepth.jpg",
    "other/intel_realsense_xdm.jpg",
]


def test_shared_samples_folder_is_present():
    assert shared_samples_dir().is_dir()


@pytest.mark.parametrize("rel", REAL)
def test_each_real_sample_is_present(rel):
    assert shared_sample(rel).stat().st_size > 10_000


def test_generated_samples_are_committed():
    """data/sample is part of the repository: its absence is a failure everywhere."""
    names = sorted(p.name for p in DATA_SAMPLE.iterdir()) if DATA_SAMPLE.is_dir() else []
    assert {"rear_dual.heic", "front_truedepth.heic", "rear_dual_truth.json", "front_truedepth_truth.json"} <= set(names), names
