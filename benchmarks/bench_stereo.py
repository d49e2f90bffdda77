"""Benchmark: the depth of a spatial photo against decoding its two views, in one process.

Sample: ``spatial_stereo_pair.heic`` (two 2560x2560 grid views).  Baseline **two-view decode**:
pillow-heif opening the file and decoding both views to numpy arrays (what any use of the pair
pays).  Candidate: ``depthlab.open(spatial).depth`` -- parse, decode both views, ORB range and
rectification check, semi-global matching of both views at 1024x1024, left-right check,
subpixel step, confidence.  Target (issue 26): <= 4x the decode (goal 2x), on a quiet machine.

Cases run in turn ``--repeat`` times (a busy machine slows all alike); medians and the ratio are
printed, or "not measured" when the load average was 1.5 or more (benchmarks/alternating.py).

    .venv/bin/python benchmarks/bench_stereo.py [--repeat 7]

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
SAMPLE = Path(os.environ.get("DEPTHLAB_SHARED_SAMPLES", ROOT.parent / "shared" / "samples")) / "iphone" / "spatial_stereo_pair.heic"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--sample", type=Path, default=SAMPLE)
    add_load_option(ap)
    args = ap.parse_args(argv)
    allow_load(args.allow_load)
    if not args.sample.is_file():
        print(f"sample {args.sample} not found (set DEPTHLAB_SHARED_SAMPLES)", file=sys.stderr)
        return 2

    import pillow_heif

    import depthlab

    def decode() -> object:
        hf = pillow_heif.open_heif(args.sample)
        return [np.asarray(hf[0]), np.asarray(hf[1])]

    def depth() -> object:
        return depthlab.open(args.sample).depth

    cases = {"decode both views (baseline)": decode, "open(spatial).depth": depth}
    times = run_alternating(cases, args.repeat)
    base = statistics.median(times["decode both views (baseline)"])
    print(f"{args.sample.name}: {args.repeat} alternating runs, medians; {times.load_text()}")
    print(f"{'case':32s} {'median ms':>10s} {'best ms':>8s}  / decode (ratio of medians)")
    for name, t in times.items():
        med = statistics.median(t)
        print(f"{name:32s} {med:10.1f} {min(t):8.1f}  {ratio_text(med, base, times.load, '{:.2f}')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
