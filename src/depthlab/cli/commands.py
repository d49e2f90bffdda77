"""The ``depthlab`` command: inspect, export and draw depth photos without opening a notebook.

Commands (``depthlab COMMAND --help`` shows each one's options and an example)::

    depthlab info PHOTO... [--json]
    depthlab export PHOTO... -o DIR [--format pcd|ply|glb|obj|stl] [--model pinhole] [--near M] [--far M] ...
    depthlab figure PHOTO [PHOTO] -o out.png|svg|pdf [--models A B] [--dpi 300]
    depthlab depth PHOTO... -o depth.png|DIR [--quantity depth|disparity]
    depthlab html PHOTO... -o page.html|DIR [--compare]
    depthlab refocus PHOTO... -o out.jpg|DIR [--focus M] [--f-number N]
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
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .. import __version__
from .batch import (EXPORT_FORMATS, Interrupted, Task, default_jobs, depth_one, export_one, find_photos, html_one,
                    on_sigterm, one_line, open_photo, refocus_one, refuse_existing, run_batch)
from ..exchange.depth_png import QUANTITIES
from ..errors import DepthlabError
from ..figures.panels import VIEWS, capture_figure, comparison_figure, save_figure
from .info import format_summary
from ..imaging._refocus import FOCUS_TARGETS
from ..settings import DEFAULT_MODEL, MODELS

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130



class UsageError(Exception):
    """A problem with the command line itself (exit code 2)."""


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------


def _err(text: str) -> None:
    print(f"depthlab: {text}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------------


def expand_inputs(items: Sequence[str], recursive: bool = False) -> list[Path]:
    """Photos named on the command line; a folder stands for its photos (``--recursive``: and
    those of its subfolders), sorted (:func:`depthlab.cli.batch.find_photos`).

    >>> from depthlab.cli.commands import expand_inputs
    >>> names = [p.name for p in expand_inputs(["data/sample"])]
    >>> names[:3], all(n.endswith((".heic", ".jpg")) for n in names)   # the truth files are left out
    (['front_truedepth.heic', 'pixel_portrait.jpg', 'rear_dual.heic'], True)
    """
    return [p for p, _ in _photos(items, recursive)]


def _photos(items: Sequence[str], recursive: bool) -> list[tuple[Path, Path]]:
    """find_photos, with a folder that holds no photo a usage error."""
    for item in items:
        if Path(item).is_dir() and not find_photos([item], recursive=recursive):
            deep = " (or its subfolders)" if recursive else "; --recursive looks into subfolders"
            raise UsageError(f"folder {item} holds no .heic/.jpg photos{deep}")
    return find_photos(items, recursive=recursive)


def output_names(inputs: Sequence[Path], suffix: str) -> list[str]:
    """One output file name per input: ``stem + suffix``; ``name + suffix`` where stems clash."""
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


def _summary(command: str, ok: int, failed: int, seconds: float, where: str) -> int:
    total = ok + failed
    text = f"{command}: {ok} of {total} photo{'s' if total != 1 else ''} done"
    if failed:
        text += f", {failed} failed (listed above)"
    text += f" in {seconds:.1f} s" + (f" -> {where}" if where else "")
    print(text, file=sys.stderr, flush=True)
    return EXIT_FAILED if failed else EXIT_OK


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
    inputs = expand_inputs(args.photos, args.recursive)
    failed = 0
    summaries = []
    first = True
    t0 = time.perf_counter()
    for src in inputs:
        try:
            cap = open_photo(src)
            if args.json:
                summaries.append(cap.summary())
            else:
                text = format_summary(cap)
                print(("" if first else "\n") + text, flush=True)
                first = False
        except Exception as exc:  # noqa: BLE001 - one line per bad file
            failed += 1
            _err(f"{src}: {one_line(exc, src)}")
            if args.json:  # the JSON says it too, in the file's place: {"error": {type, message, file}}
                summaries.append({"error": {"type": type(exc).__name__, "message": str(exc), "file": str(src)}})
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
    photos = _photos(args.photos, args.recursive)
    out = _out_dir(args.output)
    opts = _project_options(args)
    tasks = []
    for sub in sorted({sub for _, sub in photos}):  # subfolders mirrored under -o
        inputs = [src for src, s in photos if s == sub]
        if sub != Path("."):
            _out_dir(str(out / sub))
        tasks += [Task(src, export_one, {"dest": out / sub / name, "force": args.force, "project_options": opts})
                  for src, name in zip(inputs, output_names(inputs, "." + args.format))]
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


def cmd_refocus(args) -> int:
    from ..exchange.images import IMAGE_SUFFIXES

    inputs = expand_inputs(args.photos)
    suffix = Path(args.output).suffix.lower()
    dests = _single_or_folder(inputs, args.output, suffix if suffix in IMAGE_SUFFIXES else ".jpg", extra=".refocus")
    opts = {"focus": args.focus, "f_number": args.f_number, "focal_length_35mm": args.focal_length, "force": args.force}
    tasks = [Task(src, refocus_one, {"dest": dest, **opts}) for src, dest in zip(inputs, dests)]
    t0 = time.perf_counter()
    ok, failed = run_batch(tasks, jobs=args.jobs, progress=args.progress, label="refocus", report_done=True)
    return _summary("refocus", ok, failed, time.perf_counter() - t0, args.output)


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
        refuse_existing([dest], args.force)
        caps = []
        for src in srcs:
            current = src
            caps.append(open_photo(src))
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
        return _failed(exc, current)
    print(f"figure: wrote {dest}", file=sys.stderr)
    return EXIT_OK


def _failed(exc: BaseException, current: Path | None) -> int:
    """A one-file command's failure: one line naming the photo it was reading, if any."""
    _err(f"{current}: {one_line(exc, current)}" if current is not None else one_line(exc))
    return EXIT_FAILED


def cmd_animate(args) -> int:
    from ..exchange.animation import FORMATS, animate

    dest = Path(args.output)
    if dest.suffix.lower() not in FORMATS:
        raise UsageError(f"-o {dest.name}: the animation format comes from the suffix; use {', '.join(FORMATS)}")
    if not dest.parent.is_dir():
        raise UsageError(f"folder {dest.parent} does not exist")
    src = Path(args.photo)
    current = None
    try:
        refuse_existing([dest], args.force)
        current = src
        cap = open_photo(src)
        current = None
        t0 = time.perf_counter()
        animate(cap, dest, motion=args.motion, seconds=args.seconds, size=args.size, fps=args.fps,
                amplitude=args.amplitude, fill=not args.no_fill, overwrite=args.force, progress=args.progress)
    except Exception as exc:  # noqa: BLE001 - one line, no traceback
        return _failed(exc, current)
    print(f"animate: wrote {dest} ({dest.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return EXIT_OK


def _add_animate(sub) -> None:
    """The ``animate`` command's options (issue 28)."""
    p = sub.add_parser("animate", formatter_class=_Formatter, help="a short 3D-photo clip: orbit, zoom or wiggle",
                       description=("Render a short camera move around the photo's subject (GIF, WebP, or MP4 with "
                                    "imageio-ffmpeg installed), offline. The background hidden behind the subject is "
                                    "filled in (invented, inpainted) so the turn shows no black hole; --no-fill "
                                    "shows only what the phone measured."),
                       epilog=("examples:\n  depthlab animate IMG_1234.heic -o orbit.gif\n"
                               "  depthlab animate IMG_1234.heic -o wiggle.webp --motion wiggle --seconds 2"))
    p.add_argument("photo", metavar="PHOTO", help="a photo with a depth map")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the clip: .gif, .webp or .mp4")
    p.add_argument("--motion", choices=("orbit", "zoom", "wiggle"), default="orbit", help="the camera move")
    p.add_argument("--seconds", type=_positive_float, default=3.0, help="length of the clip")
    p.add_argument("--size", type=_positive_int, default=480, help="longest side in pixels")
    p.add_argument("--fps", type=_positive_float, default=None, help="frames per second (default 15 for GIF, else 24)")
    p.add_argument("--amplitude", type=_positive_float, default=8.0, help="how far the camera turns, degrees")
    p.add_argument("--no-fill", action="store_true", help="do not fill the background behind the subject's edges")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.add_argument("-f", "--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=cmd_animate)


def _parse_view(text: str):
    if text in VIEWS:
        return text
    try:
        az, el = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--view {text!r}: use one of {', '.join(VIEWS)} or AZIMUTH,ELEVATION in degrees") from None
    return (az, el)


def cmd_samples(args) -> int:
    try:
        from ..synth import generate_samples
    except ImportError as exc:
        _err(f"the synthetic-sample generator is not available ({exc})")
        return EXIT_FAILED
    out = Path(args.output)
    t0 = time.perf_counter()
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = generate_samples(out, overwrite=args.force)
    except Exception as exc:  # noqa: BLE001 - one line, no traceback
        _err(one_line(exc))
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


def _focus_target(text: str) -> float | str:
    """--focus: metres, or a named target of depthlab.refocus."""
    return text if text in FOCUS_TARGETS else _positive_float(text)


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
    p.add_argument("--model", choices=MODELS, default=DEFAULT_MODEL, help="projection model")
    p.add_argument("--near", type=_metres, default=None, help="drop points nearer than this (metres)")
    p.add_argument("--far", type=_metres, default=None, help="drop points farther than this (metres)")
    p.add_argument("--stride", type=_positive_int, default=1, help="use every N-th pixel in each direction")
    p.add_argument("--mask", default=None, metavar="MATTE", help="keep pixels inside this matte (e.g. portrait)")
    p.add_argument("--colour", "--color", choices=("rgb", "depth"), default="rgb", help="point colours")


def _add_recursive(p) -> None:
    p.add_argument("--recursive", "-r", action="store_true", help="a folder stands for the photos of its subfolders too")


def _add_export(sub) -> None:
    p = sub.add_parser("export", formatter_class=_Formatter, help="point clouds (PCD/PLY) or meshes (GLB/OBJ/STL) of many photos",
                       description=("Project each photo to a 3D point cloud (DIR/<name>.pcd or .ply) or a textured mesh cut "
                                    "at occlusions (DIR/<name>.glb, .obj with .mtl and .jpeg beside it, or .stl: the closed "
                                    "relief of Mesh.solid(), in millimetres, for a slicer)."),
                       epilog=("examples:\n  depthlab export photos/*.heic -o clouds/ --format ply --model pinhole --far 2.5 --jobs 4\n"
                               "  depthlab export IMG_1234.heic -o meshes/ --format glb --far 2\n"
                               "  depthlab export photos/ -o clouds/ --recursive   # subfolders too, mirrored under clouds/"))
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files or folders of photos")
    _add_recursive(p)
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="pcd",
                   help="point cloud (pcd, ply) or mesh (glb, obj, stl) file format")
    _add_projection(p)
    _add_batch(p)
    p.set_defaults(func=cmd_export)


def _add_refocus(sub) -> None:
    """The ``refocus`` command's options (issue 17)."""
    p = sub.add_parser("refocus", formatter_class=_Formatter, help="re-render the portrait blur: new focus, new f-number",
                       description=("Blur each photo by its depth map with a thin lens (35 mm-equivalent focal length from "
                                    "EXIF), layered by depth so a sharp subject keeps its outline. Without --focus it "
                                    "focuses on the subject (portrait matte, else the nearest large region near the "
                                    "centre) and prints the distance. Rear dual photos have relative depth: --focus is "
                                    "then in the photo's own units (see `depthlab info`)."),
                       epilog=("examples:\n  depthlab refocus IMG_1234.heic -o out.jpg --f-number 1.4\n"
                               "  depthlab refocus IMG_1234.heic -o far.jpg --focus 3 --f-number 2\n"
                               "  depthlab refocus IMG_1234.heic -o wall.jpg --focus background\n"
                               "  depthlab refocus photos/ -o refocused/          # <name>.refocus.jpg per photo"))
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files or folders of photos")
    p.add_argument("-o", "--output", required=True, metavar="IMAGE|DIR",
                   help="a .jpg/.png/.tif/.webp name for one photo, else a folder (<name>.refocus.jpg per photo)")
    p.add_argument("--focus", type=_focus_target, default=None, metavar="M|subject|background",
                   help="focus distance in metres, or 'subject' (the default) or 'background'")
    p.add_argument("--f-number", type=_positive_float, default=2.8, metavar="N",
                   help="35 mm-equivalent f-number: 1.4 blurs a lot, 16 little (default 2.8)")
    p.add_argument("--focal-length", type=_positive_float, default=None, metavar="MM",
                   help="35 mm-equivalent focal length (default: the photo's EXIF)")
    _add_batch(p)
    p.set_defaults(func=cmd_refocus)


def build_parser() -> argparse.ArgumentParser:
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
                       epilog=("example:\n  depthlab info IMG_1234.heic\n  depthlab info --json IMG_1234.heic > info.json\n"
                               "  depthlab info --json --recursive photos/ > all.json"))
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files or folders of photos")
    _add_recursive(p)
    p.add_argument("--json", action="store_true", help="print Capture.summary() as JSON (a list for several photos; "
                   "a refused photo is {\"error\": {\"type\", \"message\", \"file\"}} and the exit status is 1)")
    p.set_defaults(func=cmd_info)

    _add_export(sub)

    p = sub.add_parser("figure", formatter_class=_Formatter, help="a paper-ready figure of one or two photos",
                       description="Colour | depth map with colorbar | histogram | 3D view, for one photo or two aligned rows.",
                       epilog=("examples:\n  depthlab figure IMG_1234.heic -o fig.pdf\n"
                               "  depthlab figure rear.heic front.heic -o compare.png --dpi 200\n"
                               "  depthlab figure IMG_1234.heic --models pinhole disparity-as-z -o models.svg"))
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="one photo, or two to compare")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="figure file: .png, .svg or .pdf")
    p.add_argument("--model", choices=MODELS, default=DEFAULT_MODEL, help="projection model of the 3D panel")
    p.add_argument("--models", nargs=2, choices=MODELS, metavar="MODEL", help="compare two models of one photo")
    p.add_argument("--labels", nargs=2, metavar="LABEL", help="row labels when comparing two photos")
    p.add_argument("--quantity", choices=QUANTITIES, default="depth", help="map and histogram of depth (m) or disparity (1/m)")
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
                       description=("Write each depth map as a 16-bit greyscale PNG (value = quantity x scale, the scale the "
                                    "largest power of ten that fits the map, recorded in its depthlab:scale text; "
                                    "0 = unknown; a map one scale cannot keep is refused, never clipped), plus a "
                                    "colour-mapped <name>.preview.png. "
                                    "The PNG's text chunks record quantity, unit, scale, accuracy and camera."),
                       epilog=("examples:\n  depthlab depth IMG_1234.heic -o depth.png      # + depth.preview.png\n"
                               "  depthlab depth photos/ -o maps/ --quantity disparity"))
    p.add_argument("photos", nargs="+", metavar="PHOTO", help="photo files or folders of photos")
    p.add_argument("-o", "--output", required=True, metavar="PNG|DIR",
                   help="a .png name for one photo, else a folder (<name>.depth.png per photo)")
    p.add_argument("--quantity", choices=QUANTITIES, default="depth", help="what the 16-bit values hold")
    p.add_argument("--no-preview", action="store_true", help="skip the colour-mapped preview")
    _add_batch(p)
    p.set_defaults(func=cmd_depth)
    _add_refocus(sub)
    _add_animate(sub)
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
    """Run the ``depthlab`` command; returns the exit code (see the module docstring).

    >>> from depthlab.cli import main
    >>> main(["depth", "data/sample/rear_dual.heic", "-o", "depth.png", "--no-preview"])
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with 2 on usage errors
    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, on_sigterm)
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
        _err(one_line(exc))
        return EXIT_FAILED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return EXIT_OK  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
