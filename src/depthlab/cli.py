"""The ``depthlab`` command: inspect, export and draw depth photos without opening a notebook.

Commands (``depthlab COMMAND --help`` shows each one's options and an example)::

    depthlab info PHOTO... [--json]
    depthlab export PHOTO... -o DIR [--format pcd|ply] [--model pinhole] [--near M] [--far M] ...
    depthlab figure PHOTO [PHOTO] -o out.png|svg|pdf [--models A B] [--dpi 300]
    depthlab depth PHOTO... -o depth.png|DIR [--quantity depth|disparity]
    depthlab html PHOTO... -o page.html|DIR [--compare]
    depthlab samples [-o data/sample]

Batch commands (export, depth, html) run on all cores by default (``--jobs``), show a progress
bar on a terminal, report each bad file on one line and go on, and end with a summary.
Nothing is overwritten without ``--force``; every file is written to a temporary name and
renamed when complete, so Ctrl-C never leaves a half-written file.

Exit codes: 0 everything succeeded; 1 at least one input failed (the others were still
processed); 2 usage error (bad option, unknown command); 130 interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .deps import dependency_in, missing_error, require
from .errors import CalibrationError, DepthlabError, OverwriteError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

PHOTO_SUFFIXES = (".heic", ".heif", ".hif", ".jpg", ".jpeg")
MODELS = ("pinhole", "pinhole-raw", "orthographic", "disparity-as-z")
DEBUG_ENV = "DEPTHLAB_DEBUG"

#: 16-bit PNG scales: stored integer = round(value * scale); 0 means unknown.
DEPTH_PNG_SCALE = {"depth": 1000.0, "disparity": 1000.0}
DEPTH_PNG_UNIT = {"depth": "mm", "disparity": "0.001/m"}


class UsageError(Exception):
    """A problem with the command line itself (exit code 2)."""


class Interrupted(BaseException):
    """SIGTERM turned into an exception so writers clean up as for Ctrl-C."""


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


def _one_line(exc: BaseException, src: Path | None = None) -> str:
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


def _err(text: str) -> None:
    print(f"depthlab: {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------------


def expand_inputs(items: Sequence[str]) -> list[Path]:
    """Photos named on the command line; a folder stands for its photos (not recursive), sorted."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in PHOTO_SUFFIXES)
            if not found:
                raise UsageError(f"folder {p} holds no .heic/.jpg photos")
            out.extend(found)
        else:
            out.append(p)  # missing files are reported per file by the reader
    return out


def output_names(inputs: Sequence[Path], suffix: str) -> list[str]:
    """One output file name per input: ``stem + suffix``; ``name + suffix`` where stems clash."""
    from collections import Counter

    counts = Counter(p.stem for p in inputs)
    names = [p.stem + suffix if counts[p.stem] == 1 else p.name + suffix for p in inputs]
    seen: dict[str, Path] = {}
    for n, p in zip(names, inputs):
        if n in seen:
            raise UsageError(f"{seen[n]} and {p} would both be written as {n}; export them in two runs")
        seen[n] = p
    return names


def _out_dir(path: str) -> Path:
    d = Path(path)
    if d.exists() and not d.is_dir():
        raise UsageError(f"-o {d} is a file; give a folder for several photos")
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create output folder {d}: {exc.strerror or exc}") from exc
    return d


def _refuse_existing(paths: Sequence[Path], force: bool) -> None:
    if force:
        return
    for p in paths:
        if p.exists():
            raise OverwriteError(f"{p} already exists; pass --force to replace it")


# --------------------------------------------------------------------------------------------
# Batch runner
# --------------------------------------------------------------------------------------------


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
        return i, False, _one_line(exc, task.src)


def _on_sigterm(signum, frame):  # pragma: no cover - exercised by subprocess tests
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


def run_batch(tasks: Sequence[Task], *, jobs: int, progress: bool | None, label: str) -> tuple[int, int]:
    """Run ``tasks`` using at most ``jobs`` cores; report failures as they come; return (ok, failed).

    ``jobs`` is a CPU budget: ``min(jobs, len(tasks))`` photos are processed at a time, one per
    worker process (in this process when that is one), and each decodes HEIC with
    ``jobs // workers`` libheif threads -- one per worker in a full batch, all of the budget for
    a single photo.  Results are reported in completion order; ``KeyboardInterrupt`` propagates
    after the workers are stopped (their temporary files removed).
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


def _summary(command: str, ok: int, failed: int, seconds: float, where: str) -> int:
    total = ok + failed
    text = f"{command}: {ok} of {total} photo{'s' if total != 1 else ''} done"
    if failed:
        text += f", {failed} failed (listed above)"
    text += f" in {seconds:.1f} s" + (f" -> {where}" if where else "")
    print(text, file=sys.stderr, flush=True)
    return EXIT_FAILED if failed else EXIT_OK


# --------------------------------------------------------------------------------------------
# Work functions (module level so worker processes can run them)
# --------------------------------------------------------------------------------------------


def _open(src: Path):
    from .reader import open as open_capture

    return open_capture(src)


def export_one(src: Path, *, dest: Path, force: bool, project_options: dict[str, Any]) -> str:
    """Open ``src``, project it and write ``dest`` (.pcd or .ply); returns a one-line result."""
    _refuse_existing([dest], force)
    from .projection import project

    cap = _open(src)
    options = dict(project_options)
    if options.get("colour") == "rgb" and not cap.has_rgb:
        options["colour"] = "depth"
    cloud = project(cap, **options)
    cloud.save(dest, overwrite=force)
    return f"{dest} ({len(cloud.xyz):,} points)"


def depth_png_array(values: np.ndarray, quantity: str) -> np.ndarray:
    """float map -> uint16 for a 16-bit PNG: ``round(value * 1000)``, 0 where unknown.

    Convention: depth in millimetres (1 mm steps, up to 65.535 m) or disparity in 0.001/m steps
    (up to 65.535 1/m); values beyond the range are clipped to 1..65535, NaN/non-positive -> 0.
    """
    scale = DEPTH_PNG_SCALE[quantity]
    v = np.asarray(values, dtype=np.float64) * scale
    ok = np.isfinite(v) & (v > 0)
    out = np.zeros(v.shape, dtype=np.uint16)
    out[ok] = np.clip(np.round(v[ok]), 1, 65535).astype(np.uint16)
    return out


def depth_one(src: Path, *, dest: Path, preview: Path | None, quantity: str, force: bool) -> str:
    """Write ``dest`` (16-bit PNG of depth in mm or disparity in 0.001/m) and a colour preview."""
    _refuse_existing([p for p in (dest, preview) if p is not None], force)
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    from .atomic import atomic_write
    from .figures import _DEFAULT_CMAP, _robust_range, colour_mapped

    cap = _open(src)
    values = cap.depth if quantity == "depth" else cap.disparity
    arr = depth_png_array(values, quantity)
    info = PngInfo()
    info.add_text("depthlab:quantity", quantity)
    info.add_text("depthlab:unit", DEPTH_PNG_UNIT[quantity])
    info.add_text("depthlab:scale", f"stored = round({quantity} * {DEPTH_PNG_SCALE[quantity]:g}); 0 = unknown")
    info.add_text("depthlab:accuracy", str(cap.accuracy))
    info.add_text("depthlab:camera", str(cap.camera))
    info.add_text("depthlab:source", src.name)
    with atomic_write(dest, overwrite=force) as fh:
        Image.fromarray(arr).save(fh, format="PNG", pnginfo=info)
    if preview is not None:
        rng = _robust_range(values, (1.0, 99.0)) or (0.0, 1.0)
        rgb = colour_mapped(values, rng[0], rng[1], _DEFAULT_CMAP[quantity])
        pinfo = PngInfo()
        pinfo.add_text("depthlab:range", f"{rng[0]:.6g} to {rng[1]:.6g} {'m' if quantity == 'depth' else '1/m'}")
        with atomic_write(preview, overwrite=force) as fh:
            Image.fromarray(rgb).save(fh, format="PNG", pnginfo=pinfo)
    return str(dest)


def html_one(src: Path, *, dest: Path, force: bool, project_options: dict[str, Any], others: Sequence[Path] = ()) -> str:
    """One offline HTML page of ``src`` (and ``others`` side by side) via ``depthlab.html.to_html``."""
    _refuse_existing([dest], force)
    from .html import to_html

    caps = [_open(src)] + [_open(o) for o in others]
    to_html(caps[0] if len(caps) == 1 else caps, dest, overwrite=force, **project_options)
    return str(dest)


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def _project_options(args) -> dict[str, Any]:
    opts: dict[str, Any] = {"model": args.model, "stride": args.stride, "colour": args.colour}
    if args.near is not None:
        opts["near"] = args.near
    if args.far is not None:
        opts["far"] = args.far
    if args.mask is not None:
        opts["mask"] = args.mask
    return opts


def cmd_info(args) -> int:
    from .info import format_summary

    inputs = expand_inputs(args.photos)
    failed = 0
    summaries = []
    first = True
    t0 = time.perf_counter()
    for src in inputs:
        try:
            cap = _open(src)
            if args.json:
                summaries.append(cap.summary())
            else:
                text = format_summary(cap)
                print(("" if first else "\n") + text, flush=True)
                first = False
        except Exception as exc:  # noqa: BLE001 - one line per bad file
            failed += 1
            _err(f"{src}: {_one_line(exc, src)}")
    if args.json and summaries:
        out = summaries[0] if len(inputs) == 1 else summaries
        print(json.dumps(out, indent=2, default=_json_default))
    if len(inputs) > 1:  # a batch ends with a summary (on stderr: stdout stays pure text/JSON)
        return _summary("info", len(inputs) - failed, failed, time.perf_counter() - t0, "")
    return EXIT_FAILED if failed else EXIT_OK


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def cmd_export(args) -> int:
    inputs = expand_inputs(args.photos)
    out = _out_dir(args.output)
    names = output_names(inputs, "." + args.format)
    opts = _project_options(args)
    tasks = [Task(src, export_one, {"dest": out / name, "force": args.force, "project_options": opts})
             for src, name in zip(inputs, names)]
    t0 = time.perf_counter()
    ok, failed = run_batch(tasks, jobs=args.jobs, progress=args.progress, label="export")
    return _summary("export", ok, failed, time.perf_counter() - t0, str(out))


def _single_or_folder(inputs: list[Path], output: str, suffix: str, extra: str = "") -> list[Path]:
    """``-o`` is the file itself for one photo when it ends with ``suffix``; else a folder."""
    if len(inputs) == 1 and output.lower().endswith(suffix):
        dest = Path(output)
        if not dest.parent.is_dir():
            raise UsageError(f"folder {dest.parent} does not exist")
        return [dest]
    if output.lower().endswith(suffix):
        raise UsageError(f"-o {output} names one file but {len(inputs)} photos were given; give a folder")
    out = _out_dir(output)
    return [out / n for n in output_names(inputs, extra + suffix)]


def cmd_depth(args) -> int:
    inputs = expand_inputs(args.photos)
    dests = _single_or_folder(inputs, args.output, ".png", extra="." + args.quantity)
    tasks = []
    for src, dest in zip(inputs, dests):
        preview = None if args.no_preview else dest.with_name(dest.stem + ".preview.png")
        tasks.append(Task(src, depth_one, {"dest": dest, "preview": preview, "quantity": args.quantity, "force": args.force}))
    t0 = time.perf_counter()
    ok, failed = run_batch(tasks, jobs=args.jobs, progress=args.progress, label="depth")
    return _summary("depth", ok, failed, time.perf_counter() - t0, args.output)


def cmd_html(args) -> int:
    inputs = expand_inputs(args.photos)
    opts = _project_options(args)
    if args.compare:
        if len(inputs) != 2:
            raise UsageError(f"--compare shows two photos side by side; got {len(inputs)}")
        if not args.output.lower().endswith(".html"):
            raise UsageError("--compare writes one page: give -o NAME.html")
        tasks = [Task(inputs[0], html_one, {"dest": Path(args.output), "force": args.force,
                                            "project_options": opts, "others": [inputs[1]]})]
    else:
        dests = _single_or_folder(inputs, args.output, ".html")
        tasks = [Task(src, html_one, {"dest": d, "force": args.force, "project_options": opts})
                 for src, d in zip(inputs, dests)]
    t0 = time.perf_counter()
    ok, failed = run_batch(tasks, jobs=args.jobs, progress=args.progress, label="html")
    return _summary("html", ok, failed, time.perf_counter() - t0, args.output)


def cmd_figure(args) -> int:
    from .figures import capture_figure, comparison_figure, save_figure

    dest = Path(args.output)
    if dest.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise UsageError(f"-o {dest.name}: the figure format comes from the suffix; use .png, .svg or .pdf")
    if not dest.parent.is_dir():
        raise UsageError(f"folder {dest.parent} does not exist")
    if len(args.photos) > 2:
        raise UsageError(f"figure takes one photo or two to compare; got {len(args.photos)}")
    if args.models and len(args.photos) != 1:
        raise UsageError("--models compares two projection models of ONE photo")
    srcs = [Path(p) for p in args.photos]
    current = None
    try:
        _refuse_existing([dest], args.force)
        caps = []
        for src in srcs:
            current = src
            caps.append(_open(src))
        current = None
        common = dict(quantity=args.quantity, view=_parse_view(args.view), near=args.near, far=args.far,
                      mask=args.mask, width=args.width, layout=args.layout)
        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always")
            if args.models:
                fig = comparison_figure(caps[0], models=args.models, **common)
            elif len(caps) == 2:
                labels = args.labels or (srcs[0].stem, srcs[1].stem)
                fig = comparison_figure(caps[0], caps[1], model=args.model, labels=labels, **common)
            else:
                fig = capture_figure(caps[0], model=args.model, **common)
        for note in notes:  # e.g. "3D panel left empty: ..." -- one line each, no source lines
            _err(f"note: {' '.join(str(note.message).split())}")
        save_figure(fig, dest, dpi=args.dpi, overwrite=args.force)
    except Exception as exc:  # noqa: BLE001 - one line, no traceback
        _err(f"{current}: {_one_line(exc, current)}" if current is not None else _one_line(exc))
        return EXIT_FAILED
    print(f"figure: wrote {dest}", file=sys.stderr)
    return EXIT_OK


def _parse_view(text: str):
    from .figures import VIEWS

    if text in VIEWS:
        return text
    try:
        az, el = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--view {text!r}: use one of {', '.join(VIEWS)} or AZIMUTH,ELEVATION in degrees") from None
    return (az, el)


def cmd_samples(args) -> int:
    try:
        from .synth import generate_samples
    except ImportError as exc:
        _err(f"the synthetic-sample generator is not available ({exc})")
        return EXIT_FAILED
    out = Path(args.output)
    t0 = time.perf_counter()
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = generate_samples(out, overwrite=args.force)
    except Exception as exc:  # noqa: BLE001 - one line, no traceback
        _err(_one_line(exc))
        return EXIT_FAILED
    count = ""
    try:
        count = f"{len(written)} files "
    except TypeError:
        pass
    print(f"samples: wrote {count}to {out} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


EXIT_CODES_HELP = "exit codes: 0 ok, 1 some inputs failed (each reported), 2 usage error, 130 interrupted"


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the epilog's examples as written; shows defaults only where they say something."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" in text or not action.option_strings
                or action.default in (None, False, argparse.SUPPRESS)):
            return text
        return text + " (default: %(default)s)"

    def add_text(self, text):
        if text and text.startswith("example") and "exit codes" not in text:
            text = text + "\n\n" + EXIT_CODES_HELP
        super().add_text(text)


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def _positive_float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return v


def _metres(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected metres, got {text!r}") from None
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"must be a distance >= 0 in metres, got {text}")
    return v


def _add_batch(p: argparse.ArgumentParser) -> None:
    p.add_argument("-j", "--jobs", type=_positive_int, default=default_jobs(),
                   help="use at most N cores: N photos at a time, one process each (default: all cores)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: on a terminal)")
    p.add_argument("-f", "--force", action="store_true", help="replace existing output files")


def _add_projection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", choices=MODELS, default="pinhole", help="projection model")
    p.add_argument("--near", type=_metres, default=None, help="drop points nearer than this (metres)")
    p.add_argument("--far", type=_metres, default=None, help="drop points farther than this (metres)")
    p.add_argument("--stride", type=_positive_int, default=1, help="use every N-th pixel in each direction")
    p.add_argument("--mask", default=None, metavar="MATTE", help="keep pixels inside this matte (e.g. portrait)")
    p.add_argument("--colour", "--color", choices=("rgb", "depth"), default="rgb", help="point colours")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="depthlab", formatter_class=_Formatter,
        description="Explore and export the depth maps of phone portrait photos.",
        epilog=(
            "examples:\n"
            "  depthlab info IMG_1234.heic\n"
            "  depthlab export photos/ -o clouds/ --format ply --far 3\n"
            "  depthlab figure rear.heic front.heic -o compare.pdf\n\n"
            f"{EXIT_CODES_HELP}\n"
            "run 'depthlab COMMAND --help' for a command's options"
        ),
    )
    parser.add_argument("--version", action="version", version=f"depthlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("info", formatter_class=_Formatter, help="what a depth photo holds",
                       description="Print what each photo holds: camera, sizes, accuracy, depth range, encoding, calibration, mattes.",
                       epilog="example:\n  depthlab info IMG_1234.heic\n  depthlab info --json IMG_1234.heic > info.json")
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files or folders of photos")
    p.add_argument("--json", action="store_true", help="print Capture.summary() as JSON (a list for several photos)")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("export", formatter_class=_Formatter, help="point clouds (PCD/PLY) of many photos",
                       description="Project each photo to a 3D point cloud and write DIR/<name>.pcd or .ply.",
                       epilog="example:\n  depthlab export photos/*.heic -o clouds/ --format ply --model pinhole --far 2.5 --jobs 4")
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files or folders of photos")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument("--format", choices=("pcd", "ply"), default="pcd", help="point-cloud file format")
    _add_projection(p)
    _add_batch(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("figure", formatter_class=_Formatter, help="a paper-ready figure of one or two photos",
                       description="Colour | depth map with colorbar | histogram | 3D view, for one photo or two aligned rows.",
                       epilog=("examples:\n  depthlab figure IMG_1234.heic -o fig.pdf\n"
                               "  depthlab figure rear.heic front.heic -o compare.png --dpi 200\n"
                               "  depthlab figure IMG_1234.heic --models pinhole disparity-as-z -o models.svg"))
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="one photo, or two to compare")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="figure file: .png, .svg or .pdf")
    p.add_argument("--model", choices=MODELS, default="pinhole", help="projection model of the 3D panel")
    p.add_argument("--models", nargs=2, choices=MODELS, metavar="MODEL", help="compare two models of one photo")
    p.add_argument("--labels", nargs=2, metavar="LABEL", help="row labels when comparing two photos")
    p.add_argument("--quantity", choices=("depth", "disparity"), default="depth", help="map and histogram of depth (m) or disparity (1/m)")
    p.add_argument("--view", default="oblique", help="3D viewpoint: camera, oblique, side, top, or AZIMUTH,ELEVATION")
    p.add_argument("--near", type=_metres, default=None, help="3D panel: drop points nearer than this (metres)")
    p.add_argument("--far", type=_metres, default=None, help="3D panel: drop points farther than this (metres)")
    p.add_argument("--mask", default=None, metavar="MATTE", help="3D panel: keep pixels inside this matte")
    p.add_argument("--dpi", type=_positive_float, default=300, help="PNG resolution")
    p.add_argument("--width", type=_positive_float, default=7.0,
                   help="figure width in inches: 7 spans a two-column paper, 3.5 fits one column")
    p.add_argument("--layout", choices=("auto", "row", "grid"), default="auto",
                   help="panels in a row, a 2x2 grid, or auto (grid below 5 in)")
    p.add_argument("-f", "--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=cmd_figure)

    p = sub.add_parser("depth", formatter_class=_Formatter, help="16-bit PNG depth maps and colour previews",
                       description=("Write each depth map as a 16-bit greyscale PNG (depth: 1 unit = 1 mm; disparity: "
                                    "1 unit = 0.001 1/m; 0 = unknown), plus a colour-mapped <name>.preview.png. "
                                    "The PNG's text chunks record quantity, unit, scale, accuracy and camera."),
                       epilog=("examples:\n  depthlab depth IMG_1234.heic -o depth.png      # + depth.preview.png\n"
                               "  depthlab depth photos/ -o maps/ --quantity disparity"))
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files or folders of photos")
    p.add_argument("-o", "--output", required=True, metavar="PNG|DIR",
                   help="a .png name for one photo, else a folder (<name>.depth.png per photo)")
    p.add_argument("--quantity", choices=("depth", "disparity"), default="depth", help="what the 16-bit values hold")
    p.add_argument("--no-preview", action="store_true", help="skip the colour-mapped preview")
    _add_batch(p)
    p.set_defaults(func=cmd_depth)

    p = sub.add_parser("html", formatter_class=_Formatter, help="offline HTML 3D views",
                       description="Write a self-contained HTML page (no network needed) showing each photo's point cloud.",
                       epilog=("examples:\n  depthlab html IMG_1234.heic -o view.html\n"
                               "  depthlab html photos/ -o pages/\n"
                               "  depthlab html rear.heic front.heic --compare -o pair.html"))
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files or folders of photos")
    p.add_argument("-o", "--output", required=True, metavar="HTML|DIR",
                   help="an .html name for one photo (or --compare), else a folder")
    p.add_argument("--compare", action="store_true", help="two photos side by side in one page")
    _add_projection(p)
    _add_batch(p)
    p.set_defaults(func=cmd_html)

    p = sub.add_parser("samples", formatter_class=_Formatter, help="regenerate the synthetic sample photos",
                       description="Write the synthetic sample captures (Apple-layout HEIC with known ground truth).",
                       epilog="example:\n  depthlab samples -o data/sample --force")
    p.add_argument("-o", "--output", default="data/sample", metavar="DIR", help="output folder")
    p.add_argument("-f", "--force", action="store_true", help="replace existing samples")
    p.set_defaults(func=cmd_samples)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``depthlab`` command; returns the exit code (see the module docstring)."""
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with 2 on usage errors
    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (e.g. called from a test runner thread)
        previous = None
    try:
        return args.func(args)
    except UsageError as exc:
        parser.exit(EXIT_USAGE, f"depthlab {args.command}: error: {exc}\n")
    except (KeyboardInterrupt, Interrupted):
        print("\ndepthlab: interrupted; files already finished are complete, nothing half-written was left",
              file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # output piped into e.g. `head`, which stopped reading: end quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except DepthlabError as exc:
        _err(_one_line(exc))
        return EXIT_FAILED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return EXIT_OK  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
