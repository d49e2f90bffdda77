"""lineup_figure: a spatial photo's computed depth beside a rear dual and a TrueDepth capture."""

from __future__ import annotations

import pytest

import depthlab
from depthlab import InvalidInputError
from depthlab.figures import lineup_figure
from conftest import data_sample

pytest.importorskip("cv2")
pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def caps():
    return [depthlab.open(data_sample(n)) for n in ("spatial.heic", "rear_dual.heic", "front_truedepth.heic")]


def test_absolute_captures_share_a_scale_and_the_relative_one_keeps_its_own(caps):
    fig = lineup_figure(*caps, labels=["spatial", "rear", "front"])
    maps = [ax for ax in fig.axes if ax.images and "depth" in ax.get_title() or "scale" in ax.get_title()]
    titles = [ax.get_title() for ax in fig.axes]
    assert "baseline 63.8 mm" in titles[3] and "shared scale" in titles[3]
    assert "relative scale" in titles[4] and "own scale" in titles[4]
    spatial_clim = fig.axes[3].images[0].get_clim()
    assert fig.axes[5].images[0].get_clim() == spatial_clim != fig.axes[4].images[0].get_clim()
    assert len(maps) >= 3


def test_compare_takes_a_spatial_photo_and_a_rear_capture(caps):
    pair = depthlab.compare(caps[0], caps[1], stride=4)
    assert pair.views[0].camera is pair.views[1].camera


def test_lineup_needs_captures(caps):
    with pytest.raises(InvalidInputError):
        lineup_figure()
    with pytest.raises(InvalidInputError, match="labels"):
        lineup_figure(*caps, labels=["one"])
