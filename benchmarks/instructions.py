"""Instruction counts of the issue-29 measures (and issue 26's spatial depth) under valgrind's callgrind: evidence that does
not depend on the machine's load (wall-clock ratios on a busy machine are not measurements).

Each case runs once as a warm-up, then ``--repeat`` times; around every run callgrind's
counters are zeroed and dumped (client requests from a tiny C helper compiled here with the
system's cc and valgrind's header), so a count covers that call alone, all threads included.
The median per case and the ratio candidate / baseline are printed.  ``--src`` runs another
tree (e.g. ``git archive <commit> src | tar -x -C /tmp/base``) to compare two versions.

    python benchmarks/instructions.py [--repeat 2] [--src DIR] [--cases a,base_a,...]
    python benchmarks/instructions.py --cases points,cloud,mesh,project_decoded,refocus --repeat 1
    python benchmarks/instructions.py --cases stereo,base_s --repeat 2
    python benchmarks/instructions.py --cases view_depth_scale,view_near_far,view_colour,view_model,view_stride --repeat 4

The ``view_*`` cases are one control change of ``depthlab.explore`` on bench_viewer.py's
442k-point capture (the Python side of its slider-to-canvas time: settings to the widgets'
state), each run flipping between two values as a person moving the control back and forth.

Instructions are not time: memory traffic, page faults and threads are not in them (a cloud's
5 MB of fresh output costs page faults a decode reusing its buffers does not pay), so they
say where the work went and whether a change removed some, not the wall-clock ratio.
Needs valgrind (with its headers) and a C compiler; takes ~5 minutes (callgrind runs ~50x slower).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DEPTHLAB_SHARED_SAMPLES", ROOT.parent / "shared" / "samples"))
SAMPLE = SHARED / "iphone" / "rear_dual_pug.heic"
SPATIAL = SHARED / "iphone" / "spatial_stereo_pair.heic"
HELPER = """#include <valgrind/callgrind.h>
void cg_zero(void) { CALLGRIND_ZERO_STATS; }
void cg_dump(const char *name) { CALLGRIND_DUMP_STATS_AT(name); }
"""
#: (candidate, baseline) pairs and what the issue asks of their ratio
PAIRS = (("a", "base_a", "open + project(depth) / pillow-heif open + depth decode", "<= 3x"),
         ("b", "base_b", "open + project(rgb) / decode primary", "<= 1.15x"),
         ("refine", "base_r", "refine(size='depth') / colour decode", "<= 0.5x"),
         ("stereo", "base_s", "open(spatial).depth / pillow-heif decode of both views (issue 26)", "<= 4x"))


def cases() -> dict:
    import numpy as np
    import pillow_heif

    import depthlab
    from depthlab.reader import open_bytes

    data = SAMPLE.read_bytes()
    rgb = depthlab.open(SAMPLE).rgb

    def fresh():  # as bench_refine: a new Capture whose photo is decoded already
        cap = open_bytes(data, SAMPLE)
        cap.set_rgb(rgb)
        return cap

    from depthlab.capture import Capture
    from depthlab.projection import Projector

    cap = depthlab.open(SAMPLE)
    cap.set_rgb(rgb)
    proj = Projector(cap)
    proj.colours("rgb")
    lo, hi = proj.depth_range()
    near = lo + 0.1 * (hi - lo)

    def decoded():  # as bench_mesh: a new Capture of the photo, colours decoded, nothing cached
        c = Capture(disparity=cap.disparity, calibration=cap.calibration, accuracy=cap.accuracy,
                    camera=cap.camera, encoding=cap.encoding, path=cap.path, format=cap.format)
        c.set_rgb(rgb)
        return c

    return {
        # other benchmarks' candidates that run through the changed code (no target here: the
        # ratio of two trees' counts says whether they got slower)
        "points": lambda: proj.points("pinhole", depth_scale=1.01, near=near),
        "cloud": lambda: proj.cloud(near=near, colour="rgb"),
        "mesh": (decoded, lambda c: depthlab.mesh(c)),
        "project_decoded": (decoded, lambda c: depthlab.project(c)),
        "refocus": lambda: depthlab.refocus(cap, f_number=1.4),
        "a": lambda: depthlab.project(depthlab.open(SAMPLE), colour="depth"),
        "base_a": lambda: np.asarray(pillow_heif.open_heif(str(SAMPLE), convert_hdr_to_8bit=True).info["depth_images"][0]),
        "b": lambda: depthlab.project(depthlab.open(SAMPLE), colour="rgb"),
        "base_b": lambda: np.asarray(pillow_heif.open_heif(str(SAMPLE), convert_hdr_to_8bit=True)),
        "refine": (fresh, lambda cap: depthlab.refine(cap)),
        "base_r": lambda: np.asarray(pillow_heif.open_heif(str(SAMPLE))),
        # as bench_stereo: the spatial photo's computed depth against decoding both its views
        "stereo": lambda: depthlab.open(SPATIAL).depth,
        "base_s": lambda: (lambda hf: [np.asarray(hf[0]), np.asarray(hf[1])])(pillow_heif.open_heif(str(SPATIAL))),
    }


def viewer_cases() -> dict:
    """One control change each of an explore() view of bench_viewer's capture (one view per
    case, made uncounted on first use, photo colours), flipping its control between two values:
    the warm-up round makes the view and moves the control once, so the counted rounds are the
    moves back and forth a person makes."""
    from bench_viewer import make_capture

    def control(name: str, values: tuple) -> tuple:
        state: dict = {"count": 0}

        def setup() -> Any:
            if "w" not in state:
                from depthlab.live.widgets import explore

                state["w"] = explore(make_capture()).controls.w
            return state["w"]

        def change(w: Any) -> None:
            state["count"] += 1
            value = values[state["count"] % 2]
            w[name].value = value(w) if callable(value) else value
        return setup, change

    return {
        "view_depth_scale": control("depth_scale", (1.05, 1.1)),
        "view_near_far": control("clip", (lambda w: (w["clip"].min, w["clip"].max - 0.3),
                                          lambda w: (w["clip"].min, w["clip"].max - 0.4))),
        "view_colour": control("colour", ("rgb", "depth")),
        "view_model": control("model", ("pinhole", "pinhole-raw")),
        "view_stride": control("stride", (3, 2)),
    }


def inner(helper: str, names: list[str], repeat: int) -> None:
    """Under callgrind: run each case, counters zeroed before and dumped after every call."""
    lib = ctypes.CDLL(helper)
    found = viewer_cases() if all(n.startswith("view_") for n in names) else {**cases(), **viewer_cases()}
    for r in range(repeat + 1):  # round 0 is the warm-up
        for name in names:
            f, args = found[name], ()
            if isinstance(f, tuple):
                args, f = (f[0](),), f[1]
            gc.collect()
            lib.cg_zero()
            f(*args)
            lib.cg_dump(f"case {name} {r}".encode())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the package tree to count (default: this one)")
    ap.add_argument("--cases", default=",".join(n for p in PAIRS for n in p[:2]))
    ap.add_argument("--inner", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    names = args.cases.split(",")
    if args.inner:
        inner(args.inner[0], names, int(args.inner[1]))
        return 0
    if not SAMPLE.is_file():
        print(f"sample {SAMPLE} not found; set DEPTHLAB_SHARED_SAMPLES", file=sys.stderr)
        return 2
    cc = shutil.which("cc") or shutil.which("gcc")
    if not shutil.which("valgrind") or not cc:
        print("needs valgrind and a C compiler (apt-get install valgrind gcc)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="depthlab-cg-") as tmp:
        (Path(tmp) / "cgmark.c").write_text(HELPER)
        helper = str(Path(tmp) / "libcgmark.so")
        subprocess.run([cc, "-O1", "-shared", "-fPIC", "-o", helper, str(Path(tmp) / "cgmark.c")], check=True)
        env = dict(os.environ, PYTHONPATH=str(args.src.resolve()))
        subprocess.run(["valgrind", "--tool=callgrind", "--quiet", f"--callgrind-out-file={tmp}/cg.%p",
                        sys.executable, __file__, "--cases", args.cases, "--inner", helper, str(args.repeat)],
                       env=env, check=True)
        counts: dict[str, list[int]] = {}
        for f in Path(tmp).glob("cg.*"):
            text = f.read_text(errors="replace")
            m = re.search(r"Client Request: case (\S+) (\d+)", text)
            t = re.search(r"^totals: (\d+)", text, re.M)
            if m and t and int(m.group(2)) > 0:
                counts.setdefault(m.group(1), []).append(int(t.group(1)))
    med = {k: statistics.median(v) for k, v in counts.items()}
    print(f"{args.src}: instructions per call (median of {args.repeat}, callgrind, all threads)")
    for name in names:
        print(f"  {name:8s} {med[name] / 1e6:10.1f} M")
    for cand, base, what, target in PAIRS:
        if cand in med and base in med:
            print(f"  {what}: {med[cand] / med[base]:.3f} in instructions (wall-clock target {target})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
