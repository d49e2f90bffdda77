"""A missing or broken third-party package is named with its pip line; the user's file is never blamed."""

from __future__ import annotations

import importlib.abc
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import depthlab
from depthlab.deps import PACKAGES, require

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "rear_dual.heic"


class _Broken(importlib.abc.MetaPathFinder):
    """Makes importing ``name`` fail the way a package with a missing shared library fails."""

    def __init__(self, name: str):
        self.name = name

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.name:
            raise ImportError(f"lib{self.name}.so.1: cannot open shared object file", name=self.name)
        return None


@pytest.fixture
def without(monkeypatch):
    """without(name): importing ``name`` raises ModuleNotFoundError, as when it is not installed."""
    def hide(name: str) -> None:
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.delitem(sys.modules, mod)
        monkeypatch.setitem(sys.modules, name, None)
    return hide


def test_missing_pillow_heif_is_named_not_blamed_on_the_file(without):
    without("pillow_heif")
    with pytest.raises(depthlab.MissingDependencyError) as err:
        depthlab.open(SAMPLE)
    msg = str(err.value)
    assert "'pillow-heif'" in msg and "not installed" in msg
    assert f"{sys.executable} -m pip install pillow-heif" in msg
    assert "damaged" not in msg and "rear_dual" not in msg
    assert isinstance(err.value, depthlab.DepthlabError) and isinstance(err.value, ImportError)


def test_broken_pillow_heif_says_reinstall(monkeypatch, without):
    without("pillow_heif")
    monkeypatch.delitem(sys.modules, "pillow_heif")
    monkeypatch.setattr(sys, "meta_path", [_Broken("pillow_heif"), *sys.meta_path])
    with pytest.raises(depthlab.MissingDependencyError) as err:
        depthlab.open(SAMPLE)
    msg = str(err.value)
    assert "installed but fails to import" in msg and "cannot open shared object file" in msg
    assert "--force-reinstall pillow-heif" in msg and "damaged" not in msg


@pytest.mark.parametrize("module, package, suffix", [("plyfile", "plyfile", ".ply"), ("pypcd4", "pypcd4", ".pcd")])
def test_point_cloud_writers_name_their_package(tmp_path, without, module, package, suffix):
    cloud = depthlab.project(depthlab.open(SAMPLE), stride=8)
    without(module)
    out = tmp_path / f"me{suffix}"
    with pytest.raises(depthlab.MissingDependencyError, match=f"'{package}'.*pip install {package}"):
        cloud.save(out)
    assert not out.exists()


def test_open3d_is_named_as_optional(without):
    without("open3d")
    cloud = depthlab.PointCloud(np.zeros((3, 3), np.float32), np.zeros((3, 3), np.uint8))
    with pytest.raises(depthlab.MissingDependencyError, match="optional companion.*pip install open3d"):
        cloud.to_open3d()


def test_lazy_view_module_names_missing_pythreejs(without, monkeypatch):
    without("pythreejs")
    for mod in ("depthlab.live.viewer", "depthlab.live.widgets"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    monkeypatch.delitem(vars(depthlab), "explore", raising=False)
    with pytest.raises(depthlab.MissingDependencyError, match="'pythreejs'.*live 3D view.*pip install pythreejs"):
        depthlab.explore  # noqa: B018 - the attribute access imports the view


def test_require_returns_the_module():
    assert require("numpy") is np
    assert set(PACKAGES) >= {"pillow_heif", "plyfile", "pypcd4", "defusedxml", "matplotlib", "pythreejs", "ipywidgets"}


def test_cli_names_the_missing_package(tmp_path):
    """`depthlab export --format ply` without plyfile: the package and pip line, exit 1, no traceback."""
    code = ("import sys; sys.modules['plyfile'] = None; from depthlab.cli import main; "
            f"raise SystemExit(main(['export', {str(SAMPLE)!r}, '-o', {str(tmp_path)!r}, '--format', 'ply', '--jobs', '1']))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "'plyfile'" in proc.stderr and "pip install plyfile" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert not list(tmp_path.glob("*.ply"))


def test_version_flag():
    proc = subprocess.run([sys.executable, "-m", "depthlab.cli", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"depthlab {depthlab.__version__}"
