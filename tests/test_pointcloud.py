"""PointCloud: PCD/PLY files (ours and other tools' readers), safety of writes, Open3D hand-off."""

from __future__ import annotations

import numpy as np
import pytest

from depthlab.errors import InvalidInputError, OverwriteError, UnreadableFileError
from depthlab.exchange.clouds import pack_rgb, unpack_rgb
from depthlab.pointcloud import PointCloud


def make_cloud(n: int = 500, seed: int = 0) -> PointCloud:
    rng = np.random.default_rng(seed)
    xyz = rng.normal(size=(n, 3)).astype(np.float32)
    xyz[:, 2] = np.abs(xyz[:, 2]) + 0.3
    rgb = rng.integers(0, 256, size=(n, 3), dtype=np.uint8)
    rgb[0] = (255, 0, 0)
    rgb[1] = (0, 255, 0)
    rgb[2] = (0, 0, 255)
    idx = np.sort(rng.choice(640 * 480, size=n, replace=False)).astype(np.int64)
    return PointCloud(xyz=xyz, rgb=rgb, pixel_index=idx, grid_shape=(480, 640), model="pinhole",
                      units="m", accuracy="relative", camera="rear dual",
                      metadata={"source": "x.heic", "depth_range_m": [0.3, 3.5], "parameters": {"near": None}})


def test_pcl_rgb_packing():
    rgb = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [1, 2, 3]], dtype=np.uint8)
    packed = pack_rgb(rgb)
    assert packed.dtype == np.float32
    assert packed.view(np.uint32).tolist() == [0xFF0000, 0x00FF00, 0x0000FF, 0x010203]
    assert np.array_equal(unpack_rgb(packed), rgb)


@pytest.mark.parametrize("suffix", [".pcd", ".ply"])
def test_round_trip_keeps_points_colours_and_facts(tmp_path, suffix):
    cloud = make_cloud()
    path = cloud.save(tmp_path / f"c{suffix}")
    back = PointCloud.load(path)
    assert np.array_equal(back.xyz, cloud.xyz) and back.xyz.dtype == np.float32
    assert np.array_equal(back.rgb, cloud.rgb)
    for attr in ("model", "units", "accuracy", "camera", "intrinsics_estimated", "grid_shape"):
        assert getattr(back, attr) == getattr(cloud, attr)
    assert back.metadata["depth_range_m"] == [0.3, 3.5]
    if suffix == ".ply":
        assert np.array_equal(back.pixel_index, cloud.pixel_index)
    assert [p.name for p in tmp_path.iterdir()] == [f"c{suffix}"]  # no temporary file left


def test_pcd_is_binary_xyz_rgb_float_fields(tmp_path):
    path = make_cloud(10).save(tmp_path / "c.pcd")
    raw = path.read_bytes()
    header, _, body = raw.partition(b"DATA binary\n")
    lines = header.decode("ascii").splitlines()
    assert "FIELDS x y z rgb" in lines and "SIZE 4 4 4 4" in lines and "TYPE F F F F" in lines
    assert "POINTS 10" in lines and len(body) == 10 * 16


def test_pcd_readable_by_pypcd4(tmp_path):
    pypcd4 = pytest.importorskip("pypcd4")
    cloud = make_cloud()
    path = cloud.save(tmp_path / "c.pcd")
    pc = pypcd4.PointCloud.from_path(path)
    assert pc.fields == ("x", "y", "z", "rgb") and pc.points == len(cloud)
    arr = pc.numpy()
    assert np.array_equal(arr[:, :3].astype(np.float32), cloud.xyz)
    assert np.array_equal(pypcd4.PointCloud.decode_rgb(arr[:, 3].astype(np.float32)), cloud.rgb)


def test_ply_readable_by_plyfile(tmp_path):
    from plyfile import PlyData

    cloud = make_cloud()
    path = cloud.save(tmp_path / "c.ply")
    ply = PlyData.read(str(path))
    assert not ply.text and ply.byte_order == "<"
    v = ply["vertex"].data
    assert [p.name for p in ply["vertex"].properties][:6] == ["x", "y", "z", "red", "green", "blue"]
    assert np.array_equal(np.stack([v["x"], v["y"], v["z"]], axis=1), cloud.xyz)
    assert np.array_equal(np.stack([v["red"], v["green"], v["blue"]], axis=1), cloud.rgb)


@pytest.mark.parametrize("suffix", [".pcd", ".ply"])
def test_files_readable_by_open3d(tmp_path, suffix):
    o3d = pytest.importorskip("open3d", reason="open3d not installed (optional test dependency)")
    cloud = make_cloud()
    path = cloud.save(tmp_path / f"c{suffix}")
    pc = o3d.io.read_point_cloud(str(path))
    assert np.allclose(np.asarray(pc.points), cloud.xyz, atol=0)
    assert np.array_equal(np.rint(np.asarray(pc.colors) * 255).astype(np.uint8), cloud.rgb)


def test_to_open3d():
    pytest.importorskip("open3d", reason="open3d not installed (optional test dependency)")
    cloud = make_cloud()
    pc = cloud.to_open3d()
    assert np.allclose(np.asarray(pc.points), cloud.xyz)
    assert np.allclose(np.asarray(pc.colors) * 255, cloud.rgb)


@pytest.mark.parametrize("suffix", [".pcd", ".ply"])
def test_refuses_to_overwrite(tmp_path, suffix):
    path = tmp_path / f"c{suffix}"
    path.write_bytes(b"precious")
    with pytest.raises(OverwriteError, match="overwrite=True"):
        make_cloud().save(path)
    assert path.read_bytes() == b"precious"
    make_cloud(20).save(path, overwrite=True)
    assert len(PointCloud.load(path)) == 20


def test_unknown_suffix_and_bad_files(tmp_path):
    with pytest.raises(InvalidInputError, match=".pcd or .ply"):
        make_cloud().save(tmp_path / "c.xyz")
    bad = tmp_path / "bad.ply"
    bad.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 1000\nproperty float x\nend_header\n\x00\x01")
    with pytest.raises(UnreadableFileError):
        PointCloud.load(bad)
    bad = tmp_path / "bad.pcd"
    bad.write_bytes(b"not a pcd at all")
    with pytest.raises(UnreadableFileError):
        PointCloud.load(bad)
    with pytest.raises(UnreadableFileError):
        PointCloud.load(tmp_path / "missing.pcd")


def test_foreign_ply_without_colours(tmp_path):
    from plyfile import PlyData, PlyElement

    v = np.zeros(3, dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4")])
    v["z"] = [1, 2, 3]
    path = tmp_path / "foreign.ply"
    PlyData([PlyElement.describe(v, "vertex")]).write(str(path))
    c = PointCloud.load(path)
    assert c.model == "file" and c.units == "arbitrary" and c.pixel_index is None
    assert c.xyz[:, 2].tolist() == [1, 2, 3] and c.rgb.shape == (3, 3)


def test_empty_cloud_round_trips(tmp_path):
    c = PointCloud(xyz=np.zeros((0, 3), np.float32), rgb=np.zeros((0, 3), np.uint8))
    for suffix in (".pcd", ".ply"):
        back = PointCloud.load(c.save(tmp_path / f"e{suffix}"))
        assert len(back) == 0
    lo, hi = c.bounds
    assert lo.tolist() == [0, 0, 0] and hi.tolist() == [0, 0, 0]


def test_validation_bounds_and_caption():
    with pytest.raises(InvalidInputError):
        PointCloud(xyz=np.zeros((3, 2)), rgb=np.zeros((3, 3), np.uint8))
    with pytest.raises(InvalidInputError):
        PointCloud(xyz=np.zeros((3, 3)), rgb=np.zeros((3, 3), np.float32))
    with pytest.raises(InvalidInputError):
        PointCloud(xyz=np.zeros((3, 3)), rgb=np.zeros((3, 3), np.uint8), units="feet")
    c = PointCloud(xyz=np.array([[0, 0, 0.42], [1, -1, 1.8]], np.float32), rgb=np.zeros((2, 3), np.uint8),
                   accuracy="relative", camera="rear dual", metadata={"depth_range_m": [0.42, 1.8]})
    lo, hi = c.bounds
    assert lo.tolist() == [0, -1, pytest.approx(0.42)] and hi.tolist() == [1, 0, pytest.approx(1.8)]
    assert c.caption() == "rear dual · relative scale · 0.42–1.8 m · 2 points"


def test_to_html_delegates(tmp_path, monkeypatch):
    import depthlab.exchange.html

    seen = {}

    def fake(cloud, path, overwrite=False, **kw):
        seen.update(cloud=cloud, path=path, overwrite=overwrite, kw=kw)
        return path

    monkeypatch.setattr(depthlab.exchange.html, "to_html", fake)
    c = make_cloud(5)
    c.to_html(tmp_path / "a.html", overwrite=True, point_size_m=0.01)
    assert seen["cloud"] is c and seen["overwrite"] is True and seen["kw"] == {"point_size_m": 0.01}


def test_round_trips_any_cloud(tmp_path_factory):
    """Property: whatever the sizes and values (finite float32, any colours), both formats give
    back exactly what was saved."""
    pytest.importorskip("hypothesis")
    from hypothesis import given, settings, strategies as st
    from hypothesis.extra.numpy import arrays

    folder = tmp_path_factory.mktemp("prop")
    counter = iter(range(10**6))

    @settings(max_examples=40, deadline=None)
    @given(st.integers(0, 300).flatmap(lambda n: st.tuples(
        arrays(np.float32, (n, 3), elements=st.floats(-1e6, 1e6, width=32)),
        arrays(np.uint8, (n, 3)))))
    def check(arrs):
        xyz, rgb = arrs
        c = PointCloud(xyz=xyz, rgb=rgb, pixel_index=np.arange(len(xyz)), grid_shape=(1, max(1, len(xyz))))
        i = next(counter)
        for suffix in (".pcd", ".ply"):
            back = PointCloud.load(c.save(folder / f"p{i}{suffix}"))
            assert np.array_equal(back.xyz, xyz) and np.array_equal(back.rgb, rgb)

    check()
