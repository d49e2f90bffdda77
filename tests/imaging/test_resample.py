"""Resampling the photo to the depth map's size: one exact area average (each output pixel the
mean of the input area it covers, pixels cut by its edges weighted by the overlap)."""

from __future__ import annotations

import numpy as np
import pytest

from depthlab.errors import InvalidInputError
from depthlab.imaging import resample
from depthlab.imaging.resample import area_average


def _overlap_matrix(n: int, m: int) -> np.ndarray:
    """(m, n) float64: the share of input pixel i inside output pixel j, per pixel, by overlap."""
    out = np.zeros((m, n))
    for j in range(m):
        lo, hi = j * n / m, (j + 1) * n / m
        for i in range(int(np.floor(lo)), min(n, int(np.ceil(hi)))):
            out[j, i] = max(0.0, min(hi, i + 1) - max(lo, i)) / (hi - lo)
    return out


def _exact(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """The float64 area average, computed independently: per-pixel overlaps, one axis at a time."""
    a = img.astype(np.float64)
    a = np.tensordot(_overlap_matrix(a.shape[0], height), a, axes=(1, 0))
    a = np.moveaxis(np.tensordot(_overlap_matrix(a.shape[1], width), np.moveaxis(a, 1, 0), axes=(1, 0)), 0, 1)
    return a


def _assert_rounded(ours: np.ndarray, exact: np.ndarray) -> None:
    """uint8 results are the exact mean rounded (halves up; 1e-9 of slack for float64 reference)."""
    assert ours.dtype == np.uint8 and ours.shape == exact.shape
    np.testing.assert_array_equal(ours, np.floor(exact + 0.5 + 1e-9).astype(np.uint8))


@pytest.mark.parametrize("shape,size", [((30, 40, 3), (8, 6)), ((23, 37, 3), (7, 5)), ((9, 11), (4, 3)),
                                        ((5, 7, 3), (13, 11)), ((100, 130, 3), (130, 99)), ((17, 4), (3, 17)),
                                        ((63, 84, 3), (16, 12)), ((61, 89, 4), (9, 10)), ((126, 189, 3), (30, 20)),
                                        # a long column period, and a sum too large for float32:
                                        # the integer horizontal pass
                                        ((40, 101, 3), (20, 9)), ((150, 200, 3), (1, 1))])
def test_area_average_is_the_exact_overlap_weighted_mean(shape, size):
    img = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    exact = _exact(img, *size)
    _assert_rounded(area_average(img, *size), exact)
    ours = area_average(img.astype(np.float32), *size)  # any other dtype: float32, not rounded
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, exact, rtol=0, atol=1e-4)


def test_the_photo_to_the_depth_size_is_exact():
    # 4032x3024 -> 768x576 (5.25 photo pixels per depth pixel): every colour the exact mean, rounded
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (3024, 4032, 3), dtype=np.uint8)
    _assert_rounded(area_average(img, 768, 576), _exact(img, 768, 576))
    flat = np.full((3024, 4032, 3), (12, 200, 77), dtype=np.uint8)
    assert np.all(area_average(flat, 768, 576) == (12, 200, 77))


def test_cut_pixels_are_weighted_by_overlap_and_halves_round_up():
    # 5 pixels to 2: each output pixel covers 2.5 input pixels
    np.testing.assert_array_equal(area_average(np.array([[0, 10, 20, 30, 40]], np.uint8), 2, 1), [[8, 32]])
    # (0 + 10 + 0.5 * 20) / 2.5 = 8 and (0.5 * 20 + 30 + 40) / 2.5 = 32; a mean of exactly x.5 rounds up
    np.testing.assert_array_equal(area_average(np.array([[0, 1]], np.uint8), 1, 1), [[1]])
    np.testing.assert_array_equal(area_average(np.array([[2, 3, 3, 3]], np.uint8), 1, 1), [[3]])  # 2.75


def test_whole_blocks_are_their_means_and_the_right_size_is_the_image_itself():
    img = np.random.default_rng(2).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    blocks = img.reshape(6, 5, 8, 5, 3).astype(np.float64).mean(axis=(1, 3))
    _assert_rounded(area_average(img, 8, 6), blocks)
    assert area_average(img, 40, 30) is img


def test_bands_on_threads_give_the_result_in_one_piece(monkeypatch):
    img = np.random.default_rng(4).integers(0, 256, (301, 450, 3), dtype=np.uint8)
    monkeypatch.setattr(resample, "_BAND_BYTES", 1 << 40)
    whole = area_average(img, 86, 57)
    monkeypatch.setattr(resample, "_BAND_BYTES", 5000)  # many bands, the last one partial
    np.testing.assert_array_equal(area_average(img, 86, 57), whole)
    _assert_rounded(whole, _exact(img, 86, 57))


def test_a_size_of_nothing_is_refused():
    with pytest.raises(InvalidInputError, match="cannot area-average a 4x3 image to 0x2"):
        area_average(np.zeros((3, 4), np.uint8), 0, 2)


def test_a_turned_or_padded_view_gives_what_its_copy_gives():
    # the reader hands over decoded photos as views: rows with padding, turned by the orientation
    base = np.random.default_rng(5).integers(0, 256, (84, 130, 3), dtype=np.uint8)
    padded = base[:, :126]                      # each row 4 pixels longer in memory
    turned = np.rot90(base[:, :126])            # (126, 84, 3), rows running through memory backwards
    for view, size in ((padded, (24, 16)), (turned, (16, 24)), (padded.transpose(1, 0, 2), (16, 24))):
        np.testing.assert_array_equal(area_average(view, *size), area_average(np.ascontiguousarray(view), *size))
        _assert_rounded(area_average(view, *size), _exact(view, *size))
