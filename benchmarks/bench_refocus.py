"""Benchmark: synthetic refocus against the photo's own colour decode, in one process and one run.

Sample: ``rear_dual_pug.heic`` (primary 4032x3024, depth 768x576, relative accuracy, no matte,
so the default focus is the nearest large region near the centre).  Baseline, named by the
issue: **colour decode** = pillow-heif ``open_heif`` + the primary's pixels as a numpy array.
Candidates and the baseline run alternately ``--repeat`` times each (a busy machine slows all
alike); medians (and the fastest run) are reported with the ratio candidate / baseline.

(a) ``refocus full size``: ``depthlab.refocus(cap, f_number=1.4)`` at 4032x3024 on a capture whose
    colour is already decoded (the refocus itself: preparation, default focus, layers, the
    full-size result).  Target <= 4x the decode, goal 2x.
(b) ``open + decode + refocus``: the whole route from the file (for reference).
(c) ``preview step``: what one slider step of ``depthlab.refocus_view`` costs at the preview
    size (960x720): a prepared :class:`~depthlab.imaging._refocus.Refocuser` renders a new focus and
    f-number, and the view encodes it as JPEG.  Target <= 150 ms.

    .venv/bin/python benchmarks/bench_refocus.py [--repeat 9]

Needs the shared samples (../shared/samples or DEPTHLAB_SHARED_SAMPLES).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from alternating import add_load_option, allow_load, ratio_text, run_alternating  # noqa: E402 - benchmarks/ is the script's folder

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path(os.environ.get("DEPTHLAB_SHARED_SAMPLES", ROOT.parent / "shared" / "samples")) / "iphone" / "rear_dual_pug.heic"
PREVIEW = (960, 720)


def timed_alternating(cases: dict[str, Callable[[], object]], repeat: int) -> tuple[dict[str, tuple[float, float]], object]:
    """(median, fastest) wall time in ms of each case, the cases run in turn ``repeat`` times,
    and the run's :class:`alternating.Timings` (its load average)."""
    res = run_alternating(cases, repeat)
    return {k: (statistics.median(v), min(v)) for k, v in res.items()}, res

def colour_decode(path: Path) -> np.ndarray:
    """The baseline: pillow-heif decoding the primary image into a numpy array."""
    import pillow_heif

    return np.asarray(pillow_heif.open_heif(str(path), convert_hdr_to_8bit=True))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=9)
    add_load_option(ap)
    args = ap.parse_args()
    allow_load(args.allow_load)
    if not SAMPLE.is_file():
        print(f"sample {SAMPLE} not found; set DEPTHLAB_SHARED_SAMPLES", file=sys.stderr)
        return 2
    import depthlab
    from depthlab.imaging._refocus import Refocuser
    from depthlab.live.refocus_view import PREVIEW_WORK_SIDE, jpeg_bytes

    cap = depthlab.open(SAMPLE)
    cap.rgb  # decoded once: (a) measures the refocus itself
    prep = Refocuser(cap, size=PREVIEW, work_max_side=PREVIEW_WORK_SIDE)
    lo, hi = cap.depth_range()
    focuses = np.geomspace(lo * 1.1, hi * 0.9, 7)
    numbers = (1.4, 2, 2.8, 4, 5.6, 8, 16)
    step = {"i": 0}

    def preview_step():
        i = step["i"] = step["i"] + 1
        return jpeg_bytes(prep.render(focus=float(focuses[i % 7]), f_number=numbers[(i * 3) % 7]))

    res, run = timed_alternating({
        "colour decode": lambda: colour_decode(SAMPLE),
        "refocus full size": lambda: depthlab.refocus(cap, f_number=1.4),
        "open + decode + refocus": lambda: depthlab.refocus(depthlab.open(SAMPLE), f_number=1.4),
        "preview step": preview_step,
    }, args.repeat)
    base = res["colour decode"][0]
    print(f"rear_dual_pug.heic, --repeat {args.repeat}, {run.load_text()}")
    print(f"{'case':28s} {'median ms':>10s} {'best ms':>8s}  / decode (ratio of medians)")
    for name, (med, best) in res.items():
        print(f"{name:28s} {med:10.1f} {best:8.1f}  {ratio_text(med, base, run.load, '{:.2f}')}")
    img = depthlab.refocus(cap, f_number=1.4)
    print(f"default focus {img.focus_m:.3f} m ({img.info.focus_source}); largest blur radius "
          f"{img.info.max_blur_radius_px:.1f} px at f/1.4 full size")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
