"""The first cloud's numbers, pinned exactly where it was made faster (issue 29).

The shortened routes must give the very same float32 values as the plain ones they replace:

* rays made block by block and multiplied by depth in cache (:func:`points_from_calibration`)
  == :func:`pixel_rays` times depth;
* disparity from stored codes by arithmetic in blocks == a lookup table of every code;
* depth colours through a table of 4-byte words == the ramp's rows;
* a cloud of every pixel keeps its pixel index as ``range(N)`` until it is read: then it is the
  int64 array ``0..N-1``;
* the real rear dual sample projects to the positions, colours and pixel indices it did before
  (values and SHA-256 prefixes taken from the code before the change; the photo's colours are
  those of the exact area average, checked against an independent computation below).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import depthlab
from depthlab.camera import pixel_rays
from depthlab.capture import Calibration, Capture, disparity_from_depth
from depthlab.colour import colour_map, ramp
from depthlab.errors import InvalidInputError
from depthlab.formats.apple import disparity_from_codes
from depthlab.geometry import points_from_calibration
from depthlab.pointcloud import PointCloud

from conftest import shared_sample

# an Apple-like calibration: distortion centre off the principal point, 8 inverse coefficients
CAL = Calibration(
    intrinsic_matrix=[[3032.594, 0, 1988.451], [0, 3032.594, 1512.307], [0, 0, 1]], reference_size=(4032, 3024),
    lens_distortion=[0, 2.1e-4, -1.3e-6, 4e-9, 0, 0, 0, 0],
    inverse_lens_distortion=[0, -2.0e-4, 1.5e-6, -5e-9, 1e-11, -2e-14, 3e-17, -1e-20],
    distortion_center=(2001.7, 1499.2), pixel_size_mm=0.0019,
)
PLAIN = Calibration(intrinsic_matrix=CAL.intrinsic_matrix, reference_size=CAL.reference_size)


def _sha(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]


@pytest.mark.parametrize("cal", [CAL, PLAIN], ids=["distorted", "plain"])
@pytest.mark.parametrize("stride", [1, 3])
@pytest.mark.parametrize("scale", [1.0, 1.3])
def test_points_from_calibration_are_rays_times_depth_exactly(cal, stride, scale):
    w, h = 400, 300  # 100 rows of 400: several blocks of rays
    rng = np.random.default_rng(7)
    depth = rng.uniform(0.2, 5.0, size=(h, w)).astype(np.float32)
    depth[rng.random((h, w)) < 0.05] = np.nan
    d = np.ascontiguousarray(depth[::stride, ::stride]).reshape(-1)
    rays = pixel_rays(cal, w, h, stride=stride)
    dz = d * np.float32(scale) if scale != 1 else d
    want = np.stack([rays[:, 0] * dz, rays[:, 1] * dz, dz], axis=1)
    got = points_from_calibration(d, cal, (w, h), "pinhole", stride=stride, depth_scale=scale)
    np.testing.assert_array_equal(got, want)
    raw = points_from_calibration(d, cal, (w, h), "pinhole-raw", stride=stride, depth_scale=scale)
    plain = pixel_rays(cal, w, h, stride=stride, undistort=False)
    np.testing.assert_array_equal(raw[:, 0], plain[:, 0] * dz)


@pytest.mark.parametrize("dtype,int_min,int_max", [(np.uint8, 0, 255), (np.uint8, 3, 250), (np.uint16, 0, 65535)])
@pytest.mark.parametrize("kind", ["disparity", "depth"])
def test_disparity_from_codes_equals_a_table_of_every_code(dtype, int_min, int_max, kind):
    rng = np.random.default_rng(3)
    codes = rng.integers(0, np.iinfo(dtype).max + 1, size=(300, 700)).astype(dtype)  # > 3 blocks
    fmin, fmax = (-0.2, 4.38) if kind == "disparity" else (0.3, 9.0)
    scale = np.float32((fmax - fmin) / (int_max - int_min))
    table = (np.arange(np.iinfo(dtype).max + 1, dtype=np.float32) - np.float32(int_min)) * scale
    table += np.float32(fmin)
    if kind == "depth":
        table = disparity_from_depth(table)
    else:
        table[~(table > 0)] = np.nan
    got = disparity_from_codes(codes, fmin, fmax, int_min, int_max, kind)
    assert got.dtype == np.float32 and got.shape == codes.shape
    np.testing.assert_array_equal(got, table[codes])


def test_depth_colours_are_the_ramps_rows():
    rng = np.random.default_rng(5)
    depth = rng.uniform(0.3, 3.0, size=(500, 300)).astype(np.float32)  # > 4 blocks
    depth[::7, ::5] = np.nan
    got = colour_map(depth, 0.5, 2.5)
    x = (depth - np.float32(0.5)) / np.float32(2.0)
    idx = np.clip(np.ceil(np.float32(255.0) * (np.float32(1.0) - x)), 1, 255)
    idx = np.where(np.isfinite(depth), idx, 0).astype(np.intp)
    assert got.dtype == np.uint8 and got.shape == (500, 300, 3) and got.flags.writeable
    assert np.array_equal(got[np.isnan(depth)], np.tile([96, 96, 96], (int(np.isnan(depth).sum()), 1)))
    # within one ramp step of the index worked out in float32 here, exactly the ramp's row
    rows = ramp()[idx]
    assert np.mean(np.all(got == rows, axis=-1)) > 0.99


def test_a_cloud_of_every_pixel_reads_its_index_as_int64_0_to_n():
    cal = Calibration(intrinsic_matrix=[[8, 0, 4], [0, 8, 3], [0, 0, 1]], reference_size=(8, 6))
    cap = Capture(disparity=np.full((3, 4), 0.5, dtype=np.float32), calibration=cal)
    cloud = depthlab.project(cap, colour="depth")
    idx = cloud.pixel_index
    assert idx.dtype == np.int64 and idx.tolist() == list(range(12))
    assert cloud.pixel_index is idx  # made once
    assert depthlab.project(cap, colour="depth", stride=2).pixel_index.tolist() == [0, 2, 8, 10]


def test_pointcloud_takes_a_range_as_its_pixel_index():
    xyz = np.zeros((5, 3), dtype=np.float32)
    rgb = np.zeros((5, 3), dtype=np.uint8)
    assert PointCloud(xyz=xyz, rgb=rgb, pixel_index=range(10, 15)).pixel_index.tolist() == [10, 11, 12, 13, 14]
    assert PointCloud(xyz=xyz, rgb=rgb).pixel_index is None
    with pytest.raises(InvalidInputError, match=r"pixel_index must have shape \(5,\), got \(4,\)"):
        PointCloud(xyz=xyz, rgb=rgb, pixel_index=range(4))


PUG = {  # options -> (points, xyz, rgb, pixel_index SHA-256 prefixes)
    (("colour", "depth"),): (442368, "1098fdd3f57fe212", "d5028f2d44c2679f", "f929d790192e0bcc"),
    (("colour", "rgb"),): (442368, "1098fdd3f57fe212", "c84125b4a0267918", "f929d790192e0bcc"),
    (("colour", "depth"), ("stride", 2)): (110592, "1fd9a85720067ad7", "fcfe937e4e12b636", "53bd800a97391e80"),
    (("colour", "depth"), ("model", "pinhole-raw")): (442368, "61448545597c548b", "d5028f2d44c2679f", "f929d790192e0bcc"),
    (("colour", "depth"), ("model", "orthographic"), ("aspect", 1.2)):
        (442368, "0de862bab34d58ec", "d5028f2d44c2679f", "f929d790192e0bcc"),
    (("colour", "depth"), ("depth_scale", 1.3)): (442368, "5d37dc424d1e0ae2", "d5028f2d44c2679f", "f929d790192e0bcc"),
    (("colour", "depth"), ("near", 0.4), ("far", 0.9)): (335029, "e0f8e9d1c8f0dbcf", "23a42b9ad9abc260", "e7e3ad47a5d25a9e"),
    (("colour", "rgb"), ("stride", 3), ("depth_scale", 0.7), ("near", 0.35)):
        (45246, "4e2dc94f3b829217", "9150fe3c6e157555", "0f3ae88e459ef67a"),
}


@pytest.mark.parametrize("options", list(PUG), ids=lambda o: ",".join(f"{k}={v}" for k, v in o))
def test_the_pug_projects_to_the_numbers_it_always_did(options):
    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    cloud = depthlab.project(cap, **dict(options))
    n, xyz, rgb, idx = PUG[options]
    assert (len(cloud), _sha(cloud.xyz), _sha(cloud.rgb), _sha(cloud.pixel_index)) == (n, xyz, rgb, idx)


def test_the_pug_first_cloud_values():
    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    assert _sha(cap.disparity) == "90fbdf5bc2264c03"
    cloud = depthlab.project(cap, colour="depth")
    assert cloud.xyz[0].tolist() == [-0.3181474804878235, -0.24186158180236816, 0.49267178773880005]
    assert cloud.xyz[442367].tolist() == [0.15463881194591522, 0.11434218287467957, 0.2329747974872589]
    assert cloud.rgb[0].tolist() == [42, 119, 142] and cloud.rgb[442367].tolist() == [248, 230, 38]
    assert cloud.metadata["depth_range_m"] == [0.22816401720046997, 0.6675357818603516]


def _overlap_rows(n: int, m: int) -> list[list[tuple[int, float]]]:
    """For each of ``m`` output pixels on an axis of ``n``: (input pixel, share of its area)."""
    rows = []
    for j in range(m):
        lo, hi = j * n / m, (j + 1) * n / m
        rows.append([(i, (min(hi, i + 1) - max(lo, i)) / (hi - lo)) for i in range(int(lo), min(n, int(np.ceil(hi))))])
    return rows


def test_the_pug_cloud_colours_are_the_exact_area_average_of_the_photo():
    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    photo = cap.rgb
    (h, w), (ph, pw) = cap.shape, photo.shape[:2]
    tall = np.stack([sum(wt * photo[i].astype(np.float64) for i, wt in row) for row in _overlap_rows(ph, h)])
    exact = np.stack([sum(wt * tall[:, i] for i, wt in row) for row in _overlap_rows(pw, w)], axis=1)
    want = np.floor(exact + 0.5 + 1e-9).astype(np.uint8)
    np.testing.assert_array_equal(cap.rgb_at(), want)
    np.testing.assert_array_equal(depthlab.project(cap, colour="rgb").rgb, want.reshape(-1, 3))


def test_a_projectors_clouds_of_every_pixel_each_read_their_own_index():
    from depthlab.projection import Projector

    cal = Calibration(intrinsic_matrix=[[8, 0, 4], [0, 8, 3], [0, 0, 1]], reference_size=(8, 6))
    proj = Projector(Capture(disparity=np.full((3, 4), 0.5, dtype=np.float32), calibration=cal))
    first, second = proj.cloud(colour="depth"), proj.cloud(colour="depth")
    first.pixel_index[0] = 99  # the caller owns it
    assert second.pixel_index.tolist() == list(range(12)) and proj.pixel_index().tolist() == list(range(12))


def test_a_first_clouds_edge_flags_are_made_when_read_and_are_the_projectors():
    from depthlab.projection import Projector

    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    want = Projector(cap).edges()
    cloud = depthlab.project(cap, colour="depth")
    assert "_edge" in cloud.__dict__ and callable(cloud.__dict__["_edge"])  # not made yet
    assert cloud.edge.dtype == bool and np.array_equal(cloud.edge, want) and 0 < want.sum() < len(cloud)
    assert cloud.edge is cloud.edge  # made once
    kept = cloud.without_edges()
    assert len(kept) == len(cloud) - int(want.sum())
    proj = Projector(cap)
    mine = proj.cloud(colour="depth").edge
    mine[:] = True  # the caller's own array: the projector's flags are untouched
    assert np.array_equal(proj.edges(), want)
    clipped = depthlab.project(cap, colour="depth", near=0.4)
    np.testing.assert_array_equal(clipped.edge, want[np.flatnonzero(cap.depth.reshape(-1) >= np.float32(0.4))])


@pytest.mark.skipif((__import__("os").cpu_count() or 1) < 2, reason="one core: the colours are made in line")
def test_a_first_cloud_makes_its_colours_on_another_core_and_they_are_the_same(monkeypatch):
    import threading

    from depthlab import projection

    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    threads, real = [], projection.grid_colours

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(projection, "grid_colours", spy)
    cloud = depthlab.project(cap, colour="depth")
    assert len(threads) == 1 and threads[0].startswith("depthlab")
    assert _sha(cloud.rgb) == PUG[(("colour", "depth"),)][2]


@pytest.mark.parametrize("cal", [CAL, PLAIN], ids=["distorted", "plain"])
def test_positions_made_in_two_row_ranges_equal_those_made_at_once(cal):
    w, h = 400, 300
    depth = np.random.default_rng(3).uniform(0.2, 5.0, size=(h, w)).astype(np.float32).reshape(-1)
    whole = points_from_calibration(depth, cal, (w, h), "pinhole")
    parts = np.full_like(whole, np.nan)
    points_from_calibration(depth, cal, (w, h), "pinhole", out=parts, grid_rows=(170, 300))
    assert np.isnan(parts[: 170 * w]).all()  # only the rows asked for are written
    points_from_calibration(depth, cal, (w, h), "pinhole", out=parts, grid_rows=(0, 170))
    np.testing.assert_array_equal(parts, whole)
