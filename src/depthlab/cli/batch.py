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
from collections.abc import Iterator
from typing import Any, Callable, Sequence

from ..capture import Capture
from ..deps import dependency_in, missing_error, require
from ..exchange.depth_png import save_depth_png, save_depth_preview
from ..errors import CalibrationError, DepthlabError, InvalidInputError, OverwriteError
from ..exchange.export import to_html
from ..projection import point_cloud
from ..checks import nothing_left
from ..settings import ProjectionSettings

__all__ = ["batch", "Record", "find_photos", "record_one", "iter_results", "export_capture", "export_files",
           "EXPORT_FORMATS", "PHOTO_SUFFIXES", "Task", "run_batch", "default_jobs", "one_line", "refuse_existing", "Interrupted", "on_sigterm",
           "export_one", "depth_one", "html_one", "refocus_one", "open_photo", "DEBUG_ENV", "MESH_FORMATS"]

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


def iter_results(tasks: Sequence[Task], *, jobs: int) -> Iterator[tuple[int, bool, Any]]:
    """``(index, success, result or one-line reason)`` of each task, in completion order.

    ``jobs`` is a CPU budget: ``min(jobs, len(tasks))`` photos are processed at a time, one per
    worker process (in this process when that is one), and each decodes HEIC with
    ``jobs // workers`` libheif threads -- one per worker in a full batch, all of the budget for
    a single photo.  ``KeyboardInterrupt`` propagates after the workers are stopped (their
    temporary files removed).
    """
    n = len(tasks)
    workers = max(1, min(jobs, n))
    threads = max(1, jobs // workers)
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
    try:
        yield from results
    except BaseException:
        if pool is not None:
            pool.terminate()
            pool.join()
            pool = None
        raise
    finally:
        if pool is not None:
            pool.close()
            pool.join()
        if restore is not None:
            _set_decode_threads(restore)


def run_batch(tasks: Sequence[Task], *, jobs: int, progress: bool | None, label: str,
              report_done: bool = False) -> tuple[int, int]:
    """Run ``tasks`` (:func:`iter_results`); report failures on stderr as they come; return
    (ok, failed).  ``report_done`` also prints each success's one-line result on stdout
    (``refocus`` says where it focused).  The command line's runner; from Python use
    :func:`batch`, which returns one record per file instead.
    """
    tqdm = require("tqdm", "progress bars of the command line").tqdm

    n = len(tasks)
    show = (sys.stderr.isatty() if progress is None else progress) and n > 1
    ok = failed = 0
    bar = tqdm(total=n, desc=label, unit="file", disable=not show, file=sys.stderr, dynamic_ncols=True)
    try:
        for i, success, message in iter_results(tasks, jobs=jobs):
            if success:
                ok += 1
                if report_done:
                    bar.write(f"{tasks[i].src.name}: {message}", file=sys.stdout)
            else:
                failed += 1
                bar.write(f"depthlab: {tasks[i].src}: {message}", file=sys.stderr)
            bar.update(1)
    finally:
        bar.close()
    return ok, failed


# --------------------------------------------------------------------------------------------
# Work functions (module level so worker processes can run them)
# --------------------------------------------------------------------------------------------


def open_photo(src: Path) -> Capture:
    """:func:`depthlab.open` (imported here: the readers load pillow-heif)."""
    from ..reader import open as open_capture

    return open_capture(src)


def export_one(src: Path, *, dest: Path, force: bool, project_options: dict[str, Any]) -> str:
    """Open ``src`` and write ``dest``: a point cloud (.pcd, .ply) or a mesh (.glb, .obj, .stl;
    see :func:`export_capture`); returns a one-line result."""
    refuse_existing(export_files(dest), force)  # before any decoding
    return export_capture(open_photo(src), dest=dest, force=force, project_options=project_options)


MESH_FORMATS = ("glb", "obj", "stl")
#: What ``depthlab export --format`` and ``batch(export=...)`` write.
EXPORT_FORMATS = ("pcd", "ply") + MESH_FORMATS


def export_files(dest: Path) -> list[Path]:
    """Every file writing ``dest`` makes (an .obj comes with its .mtl and .jpeg)."""
    return [dest] + ([dest.with_suffix(".mtl"), dest.with_suffix(".jpeg")] if dest.suffix == ".obj" else [])


def export_capture(cap: Capture, *, dest: Path, force: bool, project_options: dict[str, Any]) -> str:
    """Write ``cap`` to ``dest``: .pcd/.ply the projected cloud; .glb, .obj (+ .mtl + .jpeg) or
    .stl its mesh (:func:`depthlab.mesh` with the projection options' model, stride, near, far
    and mask) -- .stl the closed relief (:meth:`Mesh.solid`), since an open surface is not
    printable.  Returns a one-line result."""
    refuse_existing(export_files(dest), force)
    settings = ProjectionSettings.from_options(project_options)
    if dest.suffix.lstrip(".") not in MESH_FORMATS:
        cloud = point_cloud(cap, settings=settings)
        if not len(cloud.xyz):
            raise nothing_left(cap, what="no point to export, nothing was written", near=settings.near,
                               far=settings.far, mask=settings.mask)
        cloud.save(dest, overwrite=force)
        return f"{dest} ({len(cloud.xyz):,} points)"
    from ..surface._mesh import mesh

    m = mesh(cap, model=settings.model, stride=settings.stride, near=settings.near, far=settings.far, mask=settings.mask)
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


# --------------------------------------------------------------------------------------------
# The Python batch API: one record per file
# --------------------------------------------------------------------------------------------

#: The photo files a folder stands for.
PHOTO_SUFFIXES = (".heic", ".heif", ".hif", ".jpg", ".jpeg")


def find_photos(items: Sequence[str | os.PathLike], *, recursive: bool = False) -> list[tuple[Path, Path]]:
    """``(photo, subfolder)`` for the files and folders named: a file stands for itself (a
    missing one is reported when it is opened), a folder for its photos -- and, with
    ``recursive=True``, those of all its subfolders -- sorted; ``subfolder`` is the photo's
    folder relative to the folder named (``Path(".")`` for files and top-level photos), so
    outputs can mirror the tree.

    >>> from depthlab.cli.batch import find_photos
    >>> [p.name for p, _ in find_photos(["data/sample"])]
    ['front_truedepth.heic', 'pixel_portrait.jpg', 'rear_dual.heic', 'spatial.heic']
    """
    out: list[tuple[Path, Path]] = []
    for item in items:
        p = Path(item)
        if not p.is_dir():
            out.append((p, Path(".")))
            continue
        found = p.rglob("*") if recursive else p.iterdir()
        photos = sorted(q for q in found if q.is_file() and q.suffix.lower() in PHOTO_SUFFIXES)
        out.extend((q, q.parent.relative_to(p)) for q in photos)
    return out


@dataclass
class Record:
    """What happened to one file of :func:`batch`.

    ``status`` is ``"ok"`` or ``"failed"``; ``reason`` the one-line reason of a failure (None
    when it worked); ``summary`` the capture's flat :meth:`~depthlab.capture.Capture.summary`
    (None when it could not be opened); ``outputs`` the files written.
    """

    file: str
    status: str
    reason: str | None = None
    summary: dict[str, Any] | None = None
    outputs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly (what a log or a table row wants)."""
        return {"file": self.file, "status": self.status, "reason": self.reason, "summary": self.summary,
                "outputs": list(self.outputs)}


def record_one(src: Path, *, dest: Path | None, force: bool, project_options: dict[str, Any]) -> dict[str, Any]:
    """:func:`batch`'s work for one photo (module level so workers can run it)."""
    if dest is not None:
        refuse_existing(export_files(dest), force)
    cap = open_photo(src)
    outputs: list[str] = []
    if dest is not None:
        export_capture(cap, dest=dest, force=force, project_options=project_options)
        outputs = [str(p) for p in export_files(dest)]
    return {"summary": cap.summary(), "outputs": outputs}


def batch(inputs: str | os.PathLike | Sequence[str | os.PathLike], *, export: str | None = None,
          output: str | os.PathLike | None = None, recursive: bool = False, jobs: int = 1,
          force: bool = False, **project_options: Any) -> list[Record]:
    """Open every photo of ``inputs`` (files and folders; ``recursive=True`` looks into
    subfolders) and, with ``export=`` one of :data:`EXPORT_FORMATS`, write each to ``output``
    (a folder, created if missing; subfolders mirrored).  Returns one :class:`Record` per file,
    in input order: a file that fails is recorded with its reason, never raised, and nothing
    is printed.  ``project_options`` are :func:`depthlab.project`'s; ``jobs`` the cores to use;
    an existing output is a failure unless ``force=True``.

    >>> from depthlab.cli.batch import batch
    >>> records = batch("data/sample")
    >>> [(r.status, r.summary["camera_kind"]) for r in records][:2]
    [('ok', 'front TrueDepth'), ('ok', 'Dynamic Depth')]
    """
    from ..checks import known_options, one_of

    known_options("batch()", project_options, ProjectionSettings.option_names())
    ProjectionSettings.from_options(project_options)  # checked once, before any file
    if export is not None:
        one_of("export", export, EXPORT_FORMATS)
        if output is None:
            raise InvalidInputError("export= needs output= (a folder for the files)")
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    photos = find_photos(items, recursive=recursive)
    out = None if export is None else Path(output)  # type: ignore[arg-type]
    tasks = []
    for src, sub in photos:
        dest = None
        if out is not None:
            (out / sub).mkdir(parents=True, exist_ok=True)
            dest = out / sub / f"{src.stem}.{export}"
        tasks.append(Task(src, record_one, {"dest": dest, "force": force, "project_options": project_options}))
    records: list[Record | None] = [None] * len(tasks)
    for i, ok, result in iter_results(tasks, jobs=jobs):
        src = str(tasks[i].src)
        records[i] = Record(src, "ok", None, result["summary"], result["outputs"]) if ok else Record(src, "failed", result)
    return records  # type: ignore[return-value]
