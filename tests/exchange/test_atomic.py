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


def test_a_folder_as_the_output_is_named_as_a_folder(tmp_path):
    """save_depth_png(cap, "maps/") said 'maps already exists; pass overwrite=True', and with
    overwrite=True 'Is a directory': an output path that is a folder is said to be one, with or
    without overwrite, and the folder is untouched."""
    from depthlab.errors import WriteError

    folder = tmp_path / "maps.png"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    for overwrite in (False, True):
        with pytest.raises(WriteError, match="is a folder; give a file name"):
            atomic_write_bytes(folder, b"x", overwrite=overwrite)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"] and not list(tmp_path.glob(".*part"))
