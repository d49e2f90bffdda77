"""Run one piece of work per photo over many photos: all cores, one line per failure, a summary.

The command line (:mod:`depthlab.cli`) parses and builds :class:`Task` lists; :func:`run_batch`
runs them in worker processes (each photo in one process, libheif's decoding threads shared
out), reports each failure on one line (:func:`one_line`) and goes on.  The work functions
(:func:`export_one`, :func:`depth_one`, :func:`html_one`) are module-level so workers can run
them; each refuses to overwrite unless asked and writes atomically.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from ..capture import Capture
from ..deps import dependency_in, missing_error, require
from ..exchange.depth_png import save_depth_png, save_depth_preview
from ..errors import CalibrationError, DepthlabError, OverwriteError
from ..exchange.export import to_html
from ..projection import point_cloud
from ..settings import ProjectionSettings

__all__ = ["Task", "run_batch", "default_jobs", "one_line", "refuse_existing", "Interrupted", "on_sigterm",
           "export_one", "depth_one", "html_one", "refocus_one", "open_photo", "DEBUG_ENV"]

DEBUG_ENV = "DEPTHLAB_DEBUG"


class Interrupted(BaseException):
    """SIGTERM turned into an exception so writers clean up as for Ctrl-C."""


def one_line(exc: BaseException, src: Path | None = None) -> str:
    """An exception as one line for people; a leading file name that repeats ``src`` is dropped."""
    if isinstance(exc, DepthlabError):
        msg = str(exc)
        if isinstance(exc, CalibrationError):
            msg += " (on the command line: --model orthographic needs no calibration)"
    elif isinstance(exc, MemoryError):
        msg = "ran out of memory"
    elif isinstance(exc, ImportError) and dependency_in(exc):
        msg = str(missing_error(dependency_in(exc), exc))
    else:
        msg = f"internal error ({type(exc).__name__}: {exc}); please report it (set {DEBUG_ENV}=1 for the traceback)"
        if os.environ.get(DEBUG_ENV):
            msg += "\n" + "".join(traceback.format_exception(exc)).rstrip()
            return msg
    msg = " ".join(msg.split())
    if src is not None:
        for prefix in (f"{src}: ", f"{src.name}: "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
                break
    return msg


def refuse_existing(paths: Sequence[Path], force: bool) -> None:
    if force:
        return
    for p in paths:
        if p.exists():
            raise OverwriteError(f"{p} already exists; pass --force to replace it")


@dataclass
class Task:
    """One unit of batch work: a top-level function (picklable) and its arguments."""

    src: Path
    fn: Callable[..., str]
    kwargs: dict[str, Any] = field(default_factory=dict)


def _run_task(item: tuple[int, Task]) -> tuple[int, bool, str]:
    i, task = item
    try:
        return i, True, task.fn(task.src, **task.kwargs)
    except (Exception,) as exc:  # noqa: BLE001 - every failure becomes one reported line
        return i, False, one_line(exc, task.src)


def on_sigterm(signum, frame):  # pragma: no cover - exercised by subprocess tests
    """A SIGTERM handler for the main process: unwind like Ctrl-C (writers clean up)."""
    raise Interrupted()


def _worker_sigterm(signum, frame):  # pragma: no cover - runs in worker processes
    # SystemExit unwinds the task (atomic_write removes its temporary file) and ends the worker
    # quietly (multiprocessing prints no traceback for SystemExit).
    raise SystemExit(128 + signal.SIGTERM)


def _set_decode_threads(threads: int) -> int | None:
    """Limit libheif's decoding threads (pillow-heif option) in this process; returns the old value."""
    try:
        import pillow_heif

        old = pillow_heif.options.DECODE_THREADS
        pillow_heif.options.DECODE_THREADS = threads
        return old
    except Exception:  # noqa: BLE001 - only a tuning knob
        return None


def _worker_init(decode_threads: int) -> None:
    # Ctrl-C reaches the whole process group: the parent decides; it terminates the workers
    # (SIGTERM), which unwind whatever they were writing.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_sigterm)
    _set_decode_threads(decode_threads)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS/Windows
        return max(1, os.cpu_count() or 1)


def _preload() -> None:
    """Import the readers and writers once in the parent so forked workers start warm."""
    for mod in ("depthlab.reader", "depthlab.formats.heic", "depthlab.formats.jpeg", "depthlab.projection",
                "depthlab.pointcloud", "PIL.Image", "pillow_heif"):
        try:
            __import__(mod)
        except Exception:  # noqa: BLE001 - a missing optional piece is reported per file later
            pass


def run_batch(tasks: Sequence[Task], *, jobs: int, progress: bool | None, label: str,
              report_done: bool = False) -> tuple[int, int]:
    """Run ``tasks`` using at most ``jobs`` cores; report failures as they come; return (ok, failed).

    ``jobs`` is a CPU budget: ``min(jobs, len(tasks))`` photos are processed at a time, one per
    worker process (in this process when that is one), and each decodes HEIC with
    ``jobs // workers`` libheif threads -- one per worker in a full batch, all of the budget for
    a single photo.  Results are reported in completion order; ``KeyboardInterrupt`` propagates
    after the workers are stopped (their temporary files removed).  ``report_done`` also prints
    each success's one-line result on stdout (``refocus`` says where it focused).
    """
    tqdm = require("tqdm", "progress bars of the command line").tqdm

    n = len(tasks)
    workers = max(1, min(jobs, n))
    threads = max(1, jobs // workers)
    show = (sys.stderr.isatty() if progress is None else progress) and n > 1
    ok = failed = 0
    items = list(enumerate(tasks))
    pool = None
    restore = None
    if workers > 1:
        import multiprocessing as mp

        _preload()
        method = "fork" if "fork" in mp.get_all_start_methods() and sys.platform != "darwin" else "spawn"
        pool = mp.get_context(method).Pool(workers, initializer=_worker_init, initargs=(threads,))
        results = pool.imap_unordered(_run_task, items)
    else:
        restore = _set_decode_threads(threads)
        results = map(_run_task, items)
    bar = tqdm(total=n, desc=label, unit="file", disable=not show, file=sys.stderr, dynamic_ncols=True)
    try:
        for i, success, message in results:
            if success:
                ok += 1
                if report_done:
                    bar.write(f"{tasks[i].src.name}: {message}", file=sys.stdout)
            else:
                failed += 1
                bar.write(f"depthlab: {tasks[i].src}: {message}", file=sys.stderr)
            bar.update(1)
    except BaseException:
        if pool is not None:
            pool.terminate()
            pool.join()
            pool = None
        raise
    finally:
        bar.close()
        if pool is not None:
            pool.close()
            pool.join()
        if restore is not None:
            _set_decode_threads(restore)
    return ok, failed


# --------------------------------------------------------------------------------------------
# Work functions (module level so worker processes can run them)
# --------------------------------------------------------------------------------------------


def open_photo(src: Path) -> Capture:
    """:func:`depthlab.open` (imported here: the readers load pillow-heif)."""
    from ..reader import open as open_capture

    return open_capture(src)


def export_one(src: Path, *, dest: Path, force: bool, project_options: dict[str, Any]) -> str:
    """Open ``src``, project it and write ``dest`` (.pcd or .ply); returns a one-line result."""
    refuse_existing([dest], force)
    cloud = point_cloud(open_photo(src), settings=ProjectionSettings.from_options(project_options))
    cloud.save(dest, overwrite=force)
    return f"{dest} ({len(cloud.xyz):,} points)"


MESH_FORMATS = ("glb", "obj", "stl")


def export_mesh_one(src: Path, *, dest: Path, force: bool, project_options: dict[str, Any]) -> str:
    """Open ``src``, mesh it (:func:`depthlab.mesh` with the projection options' model, stride,
    near, far and mask) and write ``dest``: .glb, .obj (+ .mtl + .jpeg) or .stl — the closed
    relief (:meth:`Mesh.solid`), since an open surface is not printable."""
    from ..surface._mesh import mesh

    side = [dest.with_suffix(".mtl"), dest.with_suffix(".jpeg")] if dest.suffix == ".obj" else []
    refuse_existing([dest] + side, force)
    keys = ("model", "stride", "near", "far", "mask")
    m = mesh(open_photo(src), **{k: project_options[k] for k in keys if k in project_options})
    what = "triangles"
    if dest.suffix == ".stl":
        m, what = m.solid(), "triangles, closed relief in mm"
    m.save(dest, overwrite=force)
    return f"{dest} ({len(m):,} {what})"


def depth_one(src: Path, *, dest: Path, preview: Path | None, quantity: str, force: bool) -> str:
    """Write ``dest`` (16-bit PNG of depth in mm or disparity in 0.001/m) and a colour preview
    (:mod:`depthlab.exchange.depth_png`)."""
    refuse_existing([p for p in (dest, preview) if p is not None], force)
    cap = open_photo(src)
    save_depth_png(cap, dest, quantity=quantity, overwrite=force)
    if preview is not None:
        save_depth_preview(cap, preview, quantity=quantity, overwrite=force)
    return str(dest)


def html_one(src: Path, *, dest: Path, force: bool, project_options: dict[str, Any], others: Sequence[Path] = ()) -> str:
    """One offline HTML page of ``src`` (and ``others`` side by side), projected with
    ``project_options`` (:func:`depthlab.exchange.export.to_html`)."""
    refuse_existing([dest], force)
    caps = [open_photo(src)] + [open_photo(o) for o in others]
    to_html(caps[0] if len(caps) == 1 else caps, dest, overwrite=force, **project_options)
    return str(dest)


def refocus_one(src: Path, *, dest: Path, force: bool, focus: float | None = None, f_number: float = 2.8,
                focal_length_35mm: float | None = None) -> str:
    """``depthlab refocus``'s work for one photo: open, refocus, write ``dest`` atomically
    (never over an existing file without ``force``); returns the one-line result."""
    from ..imaging._refocus import refocus

    refuse_existing([dest], force)
    img = refocus(open_photo(src), focus=focus, f_number=f_number, focal_length_35mm=focal_length_35mm)
    img.save(dest, overwrite=force)
    i = img.info
    unit = "m" if i.units == "m" else "capture units (relative depth)"
    how = "" if i.focus_source == "given" else f" on {i.focus_source}"
    return f"{dest} (focus {i.focus_m:.3g} {unit}{how}, f/{i.f_number:g}, {i.focal_length_35mm:.3g} mm equiv.)"
