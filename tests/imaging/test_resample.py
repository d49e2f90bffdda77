"""Resampling the photo to the depth map's size: an area average (block means, then a box)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from depthlab.imaging.resample import area_average, block_mean


def _brute_block_mean(img, f):
    h, w = img.shape[:2]
    out = np.zeros(((h + f - 1) // f, (w + f - 1) // f) + img.shape[2:], dtype=np.uint8)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            blk = img[i * f:(i + 1) * f, j * f:(j + 1) * f].astype(np.float64)
            out[i, j] = np.rint(blk.reshape(-1, *img.shape[2:]).mean(axis=0))
    return out


def test_block_means_include_the_partial_blocks_at_the_borders():
    rng = np.random.default_rng(1)
    for shape in ((23, 37, 3), (10, 15, 3), (9, 11)):
        img = rng.integers(0, 256, shape, dtype=np.uint8)
        for f in (2, 3, 5):
            assert np.array_equal(block_mean(img, f), _brute_block_mean(img, f))


def test_area_average_of_whole_blocks_is_their_mean():
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    assert np.array_equal(area_average(img, 8, 6), _brute_block_mean(img, 5))


def test_area_average_close_to_an_exact_box_filter_and_keeps_flat_colours():
    rng = np.random.default_rng(3)
    # a smooth image: the approximation (block means, then a box over the remaining 1.05) stays
    # within a level or two of Pillow's exact box filter
    yy, xx = np.mgrid[0:3024, 0:4032]
    smooth = np.stack([xx * 255 / 4031, yy * 255 / 3023, 127 + 100 * np.sin(xx / 300) * np.cos(yy / 200)],
                      axis=-1).round().astype(np.uint8)
    exact = np.asarray(Image.fromarray(smooth).resize((768, 576), Image.Resampling.BOX)).astype(int)
    ours = area_average(smooth, 768, 576).astype(int)
    assert ours.shape == (576, 768, 3)
    assert np.abs(ours - exact).mean() < 0.5 and np.abs(ours - exact).max() <= 2
    flat = np.full((3024, 4032, 3), (12, 200, 77), dtype=np.uint8)
    assert np.all(area_average(flat, 768, 576) == (12, 200, 77))
    noise = rng.integers(0, 256, (100, 130, 3), dtype=np.uint8)
    assert area_average(noise, 130, 100) is noise or np.array_equal(area_average(noise, 130, 100), noise)
