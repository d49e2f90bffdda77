"""Benchmark: depthlab.refine against the named baseline, in one process and one run.

Sample: ``rear_dual_pug.heic`` (primary 4032x3024, depth 768x576).  Baseline **colour decode**:
pillow-heif opening the same file and decoding its primary image to a numpy array (what any
colour-guided refinement must pay once anyway).  Candidates:

(a) ``refine(size="depth")``: a fresh Capture of the file whose photo is already decoded (so the
    decode, i.e. the baseline itself, is not counted twice); included: area-averaging the photo
    to the depth grid and the coarse grid, confidence, the guided fit, clamping.
(b) ``refine(size="colour")``: the same to 4032x3024 (12 MP).
(c) ``open + decode + refine(depth)``: the whole route from the file, for reference.

Every case runs in turn ``--repeat`` times (a busy machine slows all alike); medians and the
ratio candidate / baseline are printed.

    .venv/bin/python benchmarks/bench_refine.py [--repeat 9]

Needs the shared samples (../shared/samples or DEPTHLAB_SHARED_SAMPLES).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import numpy as np
from alternating import add_load_option, allow_load, ratio_text, run_alternating  # noqa: E402 - benchmarks/ is the script's folder

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path(os.environ.get("DEPTHLAB_SHARED_SAMPLES", ROOT.parent / "shared" / "samples")) / "iphone" / "rear_dual_pug.heic"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--sample", type=Path, default=SAMPLE)
    add_load_option(ap)
    args = ap.parse_args(argv)
    allow_load(args.allow_load)
    if not args.sample.is_file():
        print(f"sample {args.sample} not found (set DEPTHLAB_SHARED_SAMPLES)", file=sys.stderr)
        return 2

    import pillow_heif

    import depthlab
    from depthlab.reader import open_bytes

    data = args.sample.read_bytes()
    rgb = depthlab.open(args.sample).rgb

    def decode() -> np.ndarray:
        return np.asarray(pillow_heif.open_heif(args.sample))

    def fresh() -> depthlab.Capture:
        cap = open_bytes(data, args.sample)
        cap.set_rgb(rgb)  # decoded already: the baseline's work is not counted twice
        return cap

    caps = {"depth": [], "colour": []}

    def refine_depth() -> object:
        return depthlab.refine(caps["depth"].pop())

    def refine_colour() -> object:
        return depthlab.refine(caps["colour"].pop(), size="colour")

    def whole() -> object:
        return depthlab.refine(open_bytes(data, args.sample))

    n = args.repeat + 1
    caps["depth"] = [fresh() for _ in range(n)]
    caps["colour"] = [fresh() for _ in range(n)]
    cases = {"colour decode (baseline)": decode, "refine(size='depth')": refine_depth,
             "refine(size='colour')": refine_colour, "open + decode + refine(depth)": whole}
    times = run_alternating(cases, args.repeat)
    base = statistics.median(times["colour decode (baseline)"])
    h, w = rgb.shape[:2]
    print(f"{args.sample.name}: colour {w}x{h}, depth {depthlab.open(args.sample).size[0]}x{depthlab.open(args.sample).size[1]}; "
          f"{args.repeat} alternating runs, medians; {times.load_text()}")
    print(f"{'case':34s} {'median ms':>10s} {'best ms':>8s}  / decode (ratio of medians)")
    for name, t in times.items():
        med = statistics.median(t)
        print(f"{name:34s} {med:10.1f} {min(t):8.1f}  {ratio_text(med, base, times.load, '{:.2f}')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
