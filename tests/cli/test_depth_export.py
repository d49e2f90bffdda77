"""``depthlab depth`` never loses data silently: every real shared sample, both quantities.

Each PNG is read back here with Pillow and its own ``depthlab:scale`` text chunk; the numbers must
be the capture's (within half a step), nothing clipped, and every distinct level of the source
kept.  A map that cannot be written that way is refused with a message naming what to export
instead, and no file is written.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import depthlab
from conftest import shared_samples_dir
from depthlab.errors import InvalidInputError
from depthlab.exchange.depth_png import depth_png_array, png_scale, save_depth_png
from test_cli import error_lines, run  # the CLI runner of this folder's tests

#: (file, quantity) that must be refused: RealSense depth is 16-bit integers (14,106 distinct
#: values), whose inverses need more than 16 bits at one scale
REFUSED = {("intel_realsense_xdm.jpg", "disparity")}


def _with_depth() -> list:
    root = shared_samples_dir()
    out = []
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() in (".heic", ".jpg"):
            try:
                depthlab.open(p)
            except depthlab.NoDepthError:
                continue
            out.append(p)
    return out


@pytest.mark.parametrize("quantity", ["depth", "disparity"])
def test_every_shared_sample_exports_without_clipping_or_merged_levels(tmp_path, quantity):
    samples = _with_depth()
    # the samples README: five phone photos with depth and the RealSense file (and the spatial pair,
    # whose depth depthlab computes from its two views)
    assert {"lens_blur_gdepth.jpg", "intel_realsense_xdm.jpg", "rear_dual_pug.heic"} <= {p.name for p in samples}
    assert len(samples) >= 6
    proc = run("depth", *samples, "-o", tmp_path, "--quantity", quantity, "--no-preview")
    errors = error_lines(proc.stderr)
    for p in samples:
        dest = tmp_path / f"{p.stem}.{quantity}.png"
        line = next((e for e in errors if p.name in e), None)
        cap = depthlab.open(p)
        values = (cap.depth if quantity == "depth" else cap.disparity).astype(np.float64)
        ok = np.isfinite(values) & (values > 0)
        levels = np.unique(values[ok]).size
        # refused exactly where listed, or for a continuous map (computed, not stored codes)
        assert ((p.name, quantity) in REFUSED) <= (line is not None) <= ((p.name, quantity) in REFUSED or levels > 65535)
        if line is not None:  # refused: said so, nothing written, the other quantity named
            assert not dest.exists() and "nothing was written" in line and "would be merged" in line
            assert f"--quantity {'depth' if quantity == 'disparity' else 'disparity'}" in line
            continue
        img = Image.open(dest)
        scale = float(img.text["depthlab:scale"])
        stored = np.asarray(img).astype(np.float64)
        assert np.all(stored[~ok] == 0) and np.all(stored[ok] >= 1) and stored.max() <= 65535
        assert np.all(np.abs(stored[ok] / scale - values[ok]) <= 0.5 / scale * (1 + 1e-9))
        if levels <= 65535:  # every stored level kept
            assert np.unique(stored[ok]).size == levels, p.name
        else:  # a continuous map: steps of at most 0.1% of its median
            assert 1 / scale <= 1e-3 * np.median(values[ok])
        assert img.text["depthlab:quantity"] == quantity and img.text["depthlab:accuracy"] == cap.accuracy


def test_lens_blur_depth_no_longer_clips():
    """The issue's case: 45% of the Lens Blur depth was stored as 65535 at a fixed mm scale."""
    cap = depthlab.open(shared_samples_dir() / "android" / "lens_blur_gdepth.jpg")
    assert png_scale(cap.depth, "depth") == 100.0 and png_scale(cap.disparity, "disparity") == 1e6
    stored = depth_png_array(cap.depth, "depth")
    assert stored.max() < 65535 and np.unique(stored[stored > 0]).size == 186


def test_values_that_cannot_fit_one_scale_are_refused_not_clipped(tmp_path):
    with pytest.raises(InvalidInputError, match="nothing was written"):
        depth_png_array(np.array([[1e-6, 1e3]]), "depth")
    with pytest.raises(InvalidInputError, match="beyond 65535"):
        depth_png_array(np.array([[1.0, 70.0]]), "depth", scale=1000)
    xdm = depthlab.open(shared_samples_dir() / "other" / "intel_realsense_xdm.jpg")
    with pytest.raises(InvalidInputError, match=r"disparity holds 14,106 distinct values.*keeps only 5,121"):
        save_depth_png(xdm, tmp_path / "x.png", quantity="disparity")
    assert not (tmp_path / "x.png").exists()
