"""Depth in a file's own units is never printed or recorded as metres.

Lens Blur (GDepth without Units), Dynamic Depth with Units "Diopters"/"None" and Intel XDM with
Metric False keep the numbers of the file's own formula: the RealSense photo's 666..19012 are
millimetres by its noise model, not 19 km.  Everything that prints or records a unit asks the
capture (``Capture.depth_unit``), so the summary, ``repr``, the depth PNG's text and the teaching
helpers say "units" where the file is not metric, and "m" for Apple's disparity, computed stereo
and files that state metres.
"""

from __future__ import annotations

import pytest
from PIL import Image

import depthlab
from conftest import data_sample, shared_sample
from depthlab.cli.info import format_summary
from depthlab.exchange.depth_png import save_depth_png, save_depth_preview

NON_METRIC = ["android/lens_blur_gdepth.jpg", "other/intel_realsense_xdm.jpg"]
METRIC = ["iphone/rear_dual_pug.heic", "iphone/front_truedepth_mattes.heic", "iphone/rear_dual_portrait.jpg"]


def _line(text: str, head: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(head))


@pytest.mark.parametrize("rel", NON_METRIC)
def test_a_file_in_its_own_units_is_not_labelled_metres(rel, tmp_path):
    cap = depthlab.open(shared_sample(rel))
    assert cap.depth_unit == "units"
    text = format_summary(cap)
    depth, disparity = _line(text, "depth "), _line(text, "disparity ")
    assert depth.split("(")[0].rstrip().endswith(" units") and " m " not in depth + " ", depth
    assert disparity.rstrip().endswith("1/unit"), disparity
    stored = _line(text, "stored as")  # Near/Far of the file's formula: numbers with their unit
    assert stored.rstrip().endswith(" units"), stored
    assert repr(cap).count(" units,") == 1 and " m," not in repr(cap), repr(cap)
    assert cap.summary()["depth_unit"] == "units"
    preview = Image.open(save_depth_preview(cap, tmp_path / "d.preview.png")).text["depthlab:range"]
    assert preview.endswith(" units") and not preview.endswith(" m"), preview
    png = Image.open(save_depth_png(cap, tmp_path / "d.png"))
    assert png.text["depthlab:unit"].endswith(" unit (the file's own)") and " m" not in png.text["depthlab:unit"]
    # refining keeps the file's units: a refined capture is not promoted to metres
    assert depthlab.refine(cap, size="depth" if cap.rgb is None else (64, round(64 * cap.size[1] / cap.size[0]))
                           ).depth_unit == "units"


@pytest.mark.parametrize("rel", METRIC)
def test_metric_files_still_say_metres(rel, tmp_path):
    cap = depthlab.open(shared_sample(rel))
    assert cap.depth_unit == "m" and cap.summary()["depth_unit"] == "m"
    assert _line(format_summary(cap), "depth ").split("(")[0].rstrip().endswith(" m")
    assert Image.open(save_depth_png(cap, tmp_path / "d.png")).text["depthlab:unit"] == "0.0001 m"
    assert depthlab.refine(cap).depth_unit == "m"


def test_generated_samples_units():
    assert depthlab.open(data_sample("rear_dual.heic")).depth_unit == "m"
    assert depthlab.open(data_sample("spatial.heic")).depth_unit == "m"


def test_the_live_views_title_says_the_files_units():
    """show(), explore() and compare() title each view with widgets.describe: the RealSense
    photo's read '666.00–19012.00 m'."""
    from depthlab.live import widgets

    xdm = depthlab.open(shared_sample("other/intel_realsense_xdm.jpg"))
    assert "666.00–19012.00 units · " in widgets.describe(xdm)
    assert "0.23–0.67 m · " in widgets.describe(depthlab.open(shared_sample("iphone/rear_dual_pug.heic")))


def test_near_far_that_leave_nothing_name_the_photos_own_range():
    """README's `depthlab.mesh(cap, far=2.5)` on the Lens Blur photo said only 'near/far/mask
    leave no point (near=None, far=2.5...)': the message gives the photo's depth range in its
    units, as export's does (one wording, checks.nothing_left)."""
    blur = depthlab.open(shared_sample("android/lens_blur_gdepth.jpg"))
    with pytest.raises(depthlab.InvalidInputError, match="nothing to mesh") as exc:
        depthlab.mesh(blur, far=2.5)
    assert "depth 24.8–334 units" in str(exc.value) and "widen" in str(exc.value)


@pytest.mark.parametrize("rel", NON_METRIC)
def test_clouds_meshes_and_views_of_a_file_in_its_own_units_do_not_say_metres(rel, tmp_path):
    cap = depthlab.open(shared_sample(rel))
    cloud = depthlab.project(cap, stride=8)
    assert cloud.units == "arbitrary" and " m " not in repr(cloud), repr(cloud)
    back = depthlab.PointCloud.load(cloud.save(tmp_path / "c.ply"))
    assert back.units == "arbitrary"
    assert depthlab.mesh(cap, stride=8).units == "arbitrary"
    page = depthlab.to_html(cloud, tmp_path / "c.html").read_text()
    assert "units (x × y × z) — the file's own depth units, not metres" in page and " m (x × y × z)" not in page
    view = depthlab.explore(cap, stride=8)
    assert view.controls.w["clip"].description == "near–far (units)"
    # the live view's grid and title: the file's units, not metres (a pinhole model is not enough)
    assert view.view.grid_label.endswith("units (arbitrary)") and "not metres" in view.side.title.value
    pair = depthlab.compare(cap, depthlab.open(shared_sample(METRIC[0])), stride=8)
    pair.apply_to.value = 0  # one side at a time: that side's own unit
    assert pair.controls.w["clip"].description == "near–far (units)"
    pair.apply_to.value = 1
    assert pair.controls.w["clip"].description == "near–far (m)"


@pytest.mark.parametrize("rel", METRIC[:1])
def test_a_metric_files_cloud_is_in_metres(rel):
    cap = depthlab.open(shared_sample(rel))
    assert depthlab.project(cap, stride=8).units == "m" and depthlab.mesh(cap, stride=8).units == "m"
