"""Edge points are flagged in PCD and PLY files, never dropped (issue 30): a file keeps every
point of ``project()`` and says which ones sit beside a depth jump, and reads back the same."""

from __future__ import annotations

import numpy as np
import pytest

import depthlab
from depthlab.exchange.clouds import read_cloud



@pytest.fixture(scope="module")
def cloud():
    from conftest import DATA_SAMPLE

    cap = depthlab.open(DATA_SAMPLE / "rear_dual.heic")
    c = depthlab.project(cap, stride=2)
    assert c.edge is not None and 0 < int(c.edge.sum()) < len(c)  # the sample has occlusion edges
    return c


@pytest.mark.parametrize("suffix", [".ply", ".pcd"])
def test_every_point_is_written_and_the_edge_flag_comes_back(cloud, tmp_path, suffix):
    path = cloud.save(tmp_path / f"cloud{suffix}")
    f = read_cloud(path)
    assert len(f.xyz) == len(cloud)  # nothing dropped
    np.testing.assert_array_equal(f.edge, cloud.edge)
    back = depthlab.PointCloud.load(path)
    np.testing.assert_array_equal(back.edge, cloud.edge)
    assert len(back.without_edges()) == int((~cloud.edge).sum())


def test_a_cloud_without_edges_writes_no_edge_property(tmp_path):
    c = depthlab.PointCloud(xyz=np.zeros((3, 3), np.float32), rgb=np.zeros((3, 3), np.uint8), edge=None)
    f = read_cloud(c.save(tmp_path / "plain.ply"))
    assert f.edge is None


def test_plyfile_sees_the_property_as_another_tool_would(cloud, tmp_path):
    plyfile = pytest.importorskip("plyfile")
    path = cloud.save(tmp_path / "cloud.ply")
    v = plyfile.PlyData.read(str(path))["vertex"].data
    assert v.dtype["edge"] == np.uint8 and int(v["edge"].sum()) == int(cloud.edge.sum())
