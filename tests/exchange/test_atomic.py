"""atomic_write keeps what the user set up: the replaced file's mode and links to it."""

from __future__ import annotations

import os

import pytest

from depthlab.exchange.atomic import atomic_write_bytes
from depthlab.errors import OverwriteError


def test_new_file_gets_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        p = atomic_write_bytes(tmp_path / "a.bin", b"x")
    finally:
        os.umask(old)
    assert p.stat().st_mode & 0o777 == 0o640


def test_overwrite_keeps_mode_and_writes_through_links(tmp_path):
    target = tmp_path / "real.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o600)
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    with pytest.raises(OverwriteError):
        atomic_write_bytes(link, b"new")
    atomic_write_bytes(link, b"new", overwrite=True)
    assert link.is_symlink() and target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.bin", "real.bin"]
