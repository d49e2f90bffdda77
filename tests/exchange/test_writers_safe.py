"""Writers never destroy data.

Every file depthlab writes goes through :func:`depthlab.exchange.atomic.atomic_write`.  For
``atomic_write`` itself and for each writer built on it (PointCloud.save as PCD and PLY,
synth.write_heic and the synthetic JPEG writers, html.to_html, figures.save_figure, the CLI's
depth PNG) this checks that:

* an existing file is refused without ``overwrite=True`` (OverwriteError, the file untouched,
  nothing else left in the folder);
* with ``overwrite=True`` the new content replaces the old in one rename;
* a write that fails part-way -- the disk fills (``ENOSPC`` from ``write``, or the kernel's own
  ``RLIMIT_FSIZE`` in a subprocess), Ctrl-C, a failing ``fsync`` or ``rename`` -- leaves the old
  file byte for byte and no temporary file behind; the error is a WriteError (or the
  KeyboardInterrupt itself);
* a process killed mid-write (SIGKILL: no clean-up can run) still leaves the old file intact.

Every writer in :data:`WRITERS` runs in every test: a writer that cannot be imported fails (a
regression must not turn into a skip), and one that returns without writing fails the overwrite
and size-limit checks.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import depthlab
from depthlab.exchange.atomic import atomic_write, atomic_write_bytes
from depthlab.errors import DepthlabError, OverwriteError, WriteError

PRECIOUS = b"precious old content that must survive\n" * 50
ROOT = Path(__file__).resolve().parents[2]


# =============================================================================================
# small inputs for the writers
# =============================================================================================


def tiny_capture() -> depthlab.Capture:
    rng = np.random.default_rng(3)
    h, w = 24, 32
    disparity = rng.uniform(0.5, 2.0, (h, w)).astype(np.float32)
    cal = depthlab.Calibration(intrinsic_matrix=[[30.0, 0, 16], [0, 30.0, 12], [0, 0, 1]], reference_size=(w, h))
    cap = depthlab.Capture(disparity=disparity, calibration=cal, accuracy="absolute",
                           camera=depthlab.CameraInfo(kind="front TrueDepth"))
    cap.set_rgb(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    return cap


def _need(module: str, attr: str | None = None):
    """``module.attr``, imported; a writer that has gone missing is a failure, not a skip."""
    import importlib

    mod = importlib.import_module(module)
    return mod if attr is None else getattr(mod, attr)


def _writer_atomic_bytes(path: Path, overwrite: bool) -> None:
    atomic_write_bytes(path, bytes(range(256)) * 400, overwrite=overwrite)


def _writer_cloud(suffix: str):
    def write(path: Path, overwrite: bool) -> None:
        project = _need("depthlab.projection", "project")
        project(tiny_capture()).save(path, overwrite=overwrite)
    return write


_SYNTH: dict = {}


def _synth_capture():
    synth = _need("depthlab.synth")
    if "cap" not in _SYNTH:
        _SYNTH["cap"] = synth.render_front_truedepth(depth_size=(64, 96), colour_size=(128, 192))
    return synth, _SYNTH["cap"]


def _writer_synth_heic(path: Path, overwrite: bool) -> None:
    synth, cap = _synth_capture()
    synth.write_heic(path, cap, overwrite=overwrite)


def _writer_synth_portrait_jpeg(path: Path, overwrite: bool) -> None:
    write = _need("depthlab.synth.jpeg", "write_apple_portrait_jpeg")
    write(path, _synth_capture()[1], overwrite=overwrite)


def _writer_synth_gdepth_jpeg(path: Path, overwrite: bool) -> None:
    write = _need("depthlab.synth.jpeg", "write_gdepth_jpeg")
    write(path, _synth_capture()[1], overwrite=overwrite)


def _writer_html(path: Path, overwrite: bool) -> None:
    to_html = _need("depthlab.exchange.html", "to_html")
    project = _need("depthlab.projection", "project")
    to_html(project(tiny_capture()), path, overwrite=overwrite)


def _writer_figure(path: Path, overwrite: bool) -> None:
    save_figure = _need("depthlab.figures", "save_figure")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2))
    fig.add_subplot().imshow(tiny_capture().depth)
    save_figure(fig, path, dpi=50, overwrite=overwrite)


def _cli_source(folder: Path) -> Path:
    """The photo the CLI writer reads: written next to (not inside) the output folder, before
    any failure is armed."""
    src = folder.parent / "src.heic"
    if not src.exists():
        synth, cap = _synth_capture()
        synth.write_heic(src, cap)
    return src


def _writer_cli_depth_png(path: Path, overwrite: bool) -> None:
    depth_one = _need("depthlab.cli.batch", "depth_one")
    src = path.parent.parent / "src.heic"
    assert src.exists(), "prepare() writes the source first"
    depth_one(src, dest=path, preview=None, quantity="depth", force=overwrite)


WRITERS = {
    "atomic_write_bytes": (_writer_atomic_bytes, ".bin"),
    "PointCloud.save pcd": (_writer_cloud(".pcd"), ".pcd"),
    "PointCloud.save ply": (_writer_cloud(".ply"), ".ply"),
    "synth.write_heic": (_writer_synth_heic, ".heic"),
    "synth.write_apple_portrait_jpeg": (_writer_synth_portrait_jpeg, ".jpg"),
    "synth.write_gdepth_jpeg": (_writer_synth_gdepth_jpeg, ".jpg"),
    "html.to_html": (_writer_html, ".html"),
    "figures.save_figure png": (_writer_figure, ".png"),
    "figures.save_figure pdf": (_writer_figure, ".pdf"),
    "figures.save_figure svg": (_writer_figure, ".svg"),
    "cli depth png": (_writer_cli_depth_png, ".png"),
}


@pytest.fixture
def out_dir(tmp_path, request) -> Path:
    d = tmp_path / "out"
    d.mkdir()
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("writer") == "cli depth png":
        _need("depthlab.cli.batch", "depth_one")
        _cli_source(d)
    return d


def _precious(folder: Path, suffix: str) -> Path:
    p = folder / f"result{suffix}"
    p.write_bytes(PRECIOUS)
    return p


def _assert_untouched(folder: Path, path: Path) -> None:
    assert path.read_bytes() == PRECIOUS, "the old file was changed"
    assert sorted(os.listdir(folder)) == [path.name], f"left behind: {sorted(os.listdir(folder))}"


class FailingFile:
    """Wraps the temporary file: lets ``limit`` bytes through, then fails like a full disk
    (or raises ``exc``).  Records how much got through, to prove the failure was part-way."""

    def __init__(self, real, limit: int, exc: BaseException):
        self._real, self._limit, self._exc = real, limit, exc
        self.written = 0

    def write(self, b) -> int:
        b = memoryview(b).cast("B")
        room = self._limit - self.written
        if len(b) > room:
            if room > 0:
                self._real.write(b[:room])
                self.written += room
            raise self._exc
        self.written += len(b)
        return self._real.write(b)

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._real.__exit__(*exc)


@pytest.fixture
def fail_writes(monkeypatch):
    """Make the next atomic_write's file fail after ``limit`` bytes; returns the wrappers made."""
    made: list[FailingFile] = []

    def arm(limit: int, exc: BaseException) -> list[FailingFile]:
        import depthlab.exchange.atomic as atomic_mod

        real_fdopen = os.fdopen

        def fdopen(fd, *a, **k):
            f = FailingFile(real_fdopen(fd, *a, **k), limit, exc)
            made.append(f)
            return f

        monkeypatch.setattr(atomic_mod.os, "fdopen", fdopen)
        return made

    return arm


# =============================================================================================
# every writer
# =============================================================================================


@pytest.mark.parametrize("writer", list(WRITERS))
def test_refuses_to_overwrite_without_being_asked(out_dir, writer):
    write, suffix = WRITERS[writer]
    p = _precious(out_dir, suffix)
    with pytest.raises(OverwriteError) as err:
        write(p, False)
    assert "overwrite=True" in str(err.value) or "--force" in str(err.value)
    _assert_untouched(out_dir, p)


@pytest.mark.parametrize("writer", list(WRITERS))
def test_overwrite_replaces_in_one_rename(out_dir, writer):
    write, suffix = WRITERS[writer]
    fresh = out_dir / f"fresh{suffix}"
    write(fresh, False)
    expected = fresh.read_bytes()
    assert len(expected) > 100
    p = _precious(out_dir, suffix)
    inode_before = p.stat().st_ino
    write(p, True)
    assert p.read_bytes() != PRECIOUS and len(p.read_bytes()) > 100
    assert p.stat().st_ino != inode_before, "the old file was rewritten in place instead of replaced"
    assert sorted(os.listdir(out_dir)) == sorted([p.name, fresh.name])
    assert p.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    m = os.umask(0o022)
    os.umask(m)
    return m


@pytest.mark.parametrize("writer", list(WRITERS))
def test_disk_full_part_way_keeps_the_old_file(out_dir, writer, fail_writes):
    write, suffix = WRITERS[writer]
    p = _precious(out_dir, suffix)
    made = fail_writes(64, OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(WriteError) as err:
        write(p, True)
    assert made and made[0].written == 64, "the failure did not happen part-way through the write"
    assert "No space left on device" in str(err.value) and "nothing was replaced" in str(err.value)
    _assert_untouched(out_dir, p)


@pytest.mark.parametrize("writer", list(WRITERS))
def test_ctrl_c_part_way_keeps_the_old_file(out_dir, writer, fail_writes):
    write, suffix = WRITERS[writer]
    p = _precious(out_dir, suffix)
    made = fail_writes(100, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        write(p, True)
    assert made and made[0].written == 100
    _assert_untouched(out_dir, p)


@pytest.mark.parametrize("writer", list(WRITERS))
def test_new_file_is_not_left_half_written(out_dir, writer, fail_writes):
    """No old file: a failed write leaves nothing at all (not a truncated file)."""
    write, suffix = WRITERS[writer]
    p = out_dir / f"new{suffix}"
    fail_writes(10, OSError(errno.EIO, "Input/output error"))
    with pytest.raises(WriteError):
        write(p, False)
    assert os.listdir(out_dir) == []


_KERNEL_LIMIT_SCRIPT = textwrap.dedent("""
    import json, os, resource, signal, sys
    sys.path.insert(0, {tests!r})
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # past the limit: EFBIG instead of a signal
    import test_writers_safe as T
    from pathlib import Path
    out = {{}}
    for name in {names!r}:
        write, suffix = T.WRITERS[name]
        folder = Path({tmp!r}) / name.replace(" ", "_").replace(".", "_")
        folder.mkdir()
        p = folder / ("result" + suffix)
        p.write_bytes(T.PRECIOUS)
        limit = len(T.PRECIOUS) + 1   # the old file fits; the new one hits the limit part-way
        try:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
            try:
                write(p, True)
                out[name] = ["no error", None]
            finally:
                resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        except BaseException as exc:
            out[name] = [type(exc).__name__, str(exc)]
        out[name].append(p.read_bytes() == T.PRECIOUS)
        out[name].append(sorted(os.listdir(folder)))
    print(json.dumps(out))
""")


def test_kernel_file_size_limit_part_way(tmp_path):
    """The disk-full case from the kernel's side (RLIMIT_FSIZE -> EFBIG on the real write call),
    so writers that bypass Python's write (numpy tofile, C libraries) are covered too."""
    names = [n for n in WRITERS if n != "cli depth png"]
    script = _KERNEL_LIMIT_SCRIPT.format(tests=str(Path(__file__).parent), names=names, tmp=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sorted(results) == sorted(names), "every writer runs"
    for name, (kind, message, intact, listing) in results.items():
        assert kind == "WriteError", (name, kind, message)
        assert "File too large" in message and "nothing was replaced" in message, (name, message)
        assert intact, f"{name}: the old file was changed"
        assert listing == [f"result{WRITERS[name][1]}"], (name, listing)


# =============================================================================================
# atomic_write itself
# =============================================================================================


def test_atomic_write_raising_inside_the_block(tmp_path):
    p = tmp_path / "keep.txt"
    p.write_bytes(PRECIOUS)
    with pytest.raises(ValueError, match="boom"):
        with atomic_write(p, overwrite=True) as fh:
            fh.write(b"half of the new")
            raise ValueError("boom")
    _assert_untouched(tmp_path, p)


def test_atomic_write_fsync_or_rename_failing(tmp_path, monkeypatch):
    import depthlab.exchange.atomic as atomic_mod

    p = tmp_path / "keep.txt"
    p.write_bytes(PRECIOUS)
    for target, exc in (("fsync", OSError(errno.EIO, "Input/output error")),
                        ("replace", OSError(errno.EXDEV, "Invalid cross-device link"))):
        with monkeypatch.context() as m:
            def fail(*a, _exc=exc, **k):
                raise _exc
            m.setattr(atomic_mod.os, target, fail)
            with pytest.raises(WriteError, match="nothing was replaced"):
                with atomic_write(p, overwrite=True) as fh:
                    fh.write(b"new content")
        _assert_untouched(tmp_path, p)


def test_atomic_write_destination_appearing_meanwhile_is_kept(tmp_path):
    p = tmp_path / "race.txt"
    with pytest.raises(OverwriteError, match="appeared while writing"):
        with atomic_write(p) as fh:
            fh.write(b"mine")
            p.write_bytes(PRECIOUS)  # someone else wrote it in the meantime
    _assert_untouched(tmp_path, p)


def test_atomic_write_refusals_are_depthlab_errors(tmp_path):
    p = tmp_path / "x.txt"
    p.write_bytes(PRECIOUS)
    with pytest.raises(OverwriteError) as err:
        with atomic_write(p):
            pytest.fail("the block must not run when the file exists")
    assert isinstance(err.value, DepthlabError) and isinstance(err.value, FileExistsError)
    assert str(err.value) == f"{p} already exists; pass overwrite=True (or --force on the command line) to replace it"
    with pytest.raises(WriteError, match="does not exist"):
        atomic_write_bytes(tmp_path / "no" / "such" / "folder.txt", b"x")
    _assert_untouched(tmp_path, p)


def test_sigkill_mid_write_leaves_the_old_file(tmp_path):
    """No clean-up can run after SIGKILL: the old file is still whole; what is left is only a
    hidden ``.<name>.*.part`` temporary file next to it, never a truncated destination."""
    p = tmp_path / "keep.bin"
    p.write_bytes(PRECIOUS)
    script = textwrap.dedent(f"""
        import os, signal, sys
        from depthlab.exchange.atomic import atomic_write
        with atomic_write({str(p)!r}, overwrite=True) as fh:
            fh.write(b"x" * 100000)
            fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert p.read_bytes() == PRECIOUS
    left = sorted(n for n in os.listdir(tmp_path) if n != p.name)
    assert all(n.startswith(".keep.bin.") and n.endswith(".part") for n in left), left
