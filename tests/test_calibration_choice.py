"""A flagged calibration: the real front TrueDepth sample stores fx 2085.5 px, 22% below what its
EXIF focal length means, while fy 2718.4 px agrees.  By default depthlab uses square pixels from
the axis that agrees; ``calibration="stored"`` keeps the file's numbers and warns.

The eye check: the eye centres (pupils) were picked by looking at the photo (colour pixels
(850, 1190) and (1275, 1155) of 2316x3088, the head tilted back); adult eye centres are about
5.5 to 7.5 cm apart.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import depthlab
from conftest import shared_sample
from depthlab.errors import InvalidInputError

FRONT = "iphone/front_truedepth_mattes.heic"
EYES_COLOUR = [(850, 1190), (1275, 1155)]  # (x, y) in the 2316x3088 colour image


def _eye_distance(cap) -> float:
    cloud = depthlab.project(cap, stride=1)
    h, w = cloud.grid_shape
    index = np.asarray(cloud.pixel_index)
    pts = []
    for x, y in EYES_COLOUR:
        u, v = round(x * w / 2316 - 0.5), round(y * h / 3088 - 0.5)
        wanted = [(v + dv) * w + (u + du) for dv in range(-2, 3) for du in range(-2, 3)]
        pts.append(np.median(cloud.xyz[np.isin(index, wanted)], axis=0))
    return float(np.linalg.norm(pts[0] - pts[1]))


def test_checked_is_the_default_and_the_eyes_come_out_adult():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default does not warn: it uses the calibration it trusts
        cap = depthlab.open(shared_sample(FRONT))
    c = cap.calibration
    assert (c.fx, c.fy) == (pytest.approx(2718.4, abs=0.05), pytest.approx(2718.4, abs=0.05))
    assert (c.cx, c.cy, c.reference_size) == (pytest.approx(1158, abs=0.5), pytest.approx(1544, abs=0.5), (2316, 3088))
    assert cap.metadata["stored_calibration"]["fx"] == pytest.approx(2085.5, abs=0.05)
    notes = [n for n in cap.metadata["notes"] if "calibration" in n or "intrinsics" in n]
    assert notes[0].startswith("stored intrinsics disagree with the EXIF focal length: 30 mm (35 mm equivalent)")
    # the note says what open did and how to undo it (not how to redo it by hand)
    assert notes[0].endswith("depthlab.open uses square pixels from fy, the axis that agrees (calibration='checked', "
                             "the default); depthlab.open(path, calibration='stored') keeps the stored numbers")
    assert "estimate_calibration" not in " ".join(cap.metadata["notes"])
    assert notes[1:] == ["calibration='checked' (the default): fx set to 2718.4 px (square pixels from the axis that "
                         "agrees with EXIF)"]
    assert _eye_distance(cap) == pytest.approx(0.070, abs=0.002)
    assert 0.055 <= _eye_distance(cap) <= 0.075


def test_stored_keeps_the_files_numbers_and_warns():
    with pytest.warns(UserWarning, match=r"front_truedepth_mattes.heic: stored intrinsics disagree .* fx 2085.5 px disagrees"):
        cap = depthlab.open(shared_sample(FRONT), calibration="stored")
    assert cap.calibration.fx == pytest.approx(2085.5, abs=0.05) and cap.calibration.fy == pytest.approx(2718.4, abs=0.05)
    assert "stored_calibration" not in cap.metadata
    assert _eye_distance(cap) == pytest.approx(0.089, abs=0.002)  # wider than any adult's


@pytest.mark.parametrize("rel", ["iphone/rear_dual_pug.heic", "iphone/rear_dual_2x_upright.heic", "iphone/rear_dual_portrait.jpg",
                                 "android/lens_blur_gdepth.jpg", "other/intel_realsense_xdm.jpg"])
def test_every_other_real_sample_is_unchanged(rel):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checked = depthlab.open(shared_sample(rel))
        stored = depthlab.open(shared_sample(rel), calibration="stored")
    if stored.calibration is None:
        assert checked.calibration is None
    else:
        assert np.array_equal(checked.calibration.intrinsic_matrix, stored.calibration.intrinsic_matrix)
    assert np.array_equal(checked.depth, stored.depth, equal_nan=True)


def test_an_unknown_choice_is_refused():
    with pytest.raises(InvalidInputError, match=r"calibration must be one of \('checked', 'stored'\), got 'exif'"):
        depthlab.open(shared_sample(FRONT), calibration="exif")
