"""Benchmark: opening a 12-megapixel Google Dynamic Depth JPEG for its depth, against Pillow's
decode of the same file's primary image.

Target (issue 18): ``depthlab.open(path)`` + ``cap.depth`` (colour never touched) takes at most
0.2x the time of the baseline, ``PIL.Image.open(path).load()`` (Pillow decoding the 4032x3024
primary JPEG, the least any viewer of the photo pays).  Both are timed in this process,
alternating baseline and candidate, ``--repeat`` times each after one warm-up of each; the ratio
is of the medians (CPU time of the process is reported too).

The file is made by :mod:`depthlab.synth.dynamic_depth` in the Pixel layout -- primary and
original 4032x3024 (the scene rendered at 1008x756 and enlarged, plus grain so the JPEGs have a
phone-like size), depth and confidence 1008x756, description in the extended XMP -- in a
temporary folder removed afterwards.

    .venv/bin/python benchmarks/bench_dynamic_depth.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from alternating import add_load_option, allow_load, load_average, measured, ratio_text  # noqa: E402 - benchmarks/ is the script's folder


def make_file(folder: Path) -> Path:
    from PIL import Image

    from depthlab.synth import dynamic_depth as sdd

    small = sdd.render_pixel_portrait(depth_size=(1008, 756), colour_size=(1008, 756))
    rng = np.random.default_rng(18)

    def big(img: np.ndarray) -> np.ndarray:
        up = np.asarray(Image.fromarray(img).resize((4032, 3024), Image.Resampling.BILINEAR)).astype(np.int16)
        return np.clip(up + rng.integers(-6, 7, up.shape), 0, 255).astype(np.uint8)

    cap = sdd.DynamicDepthCapture(original=big(small.original), primary=big(small.primary), depth_m=small.depth_m,
                                  confidence_codes=small.confidence_codes,
                                  calibration=sdd.pixel_calibration((4032, 3024)), camera=small.camera,
                                  truth=small.truth)
    path = folder / "pixel_12mp.jpg"
    sdd.write_dynamic_depth_jpeg(path, cap, quality=92)
    return path


def candidate(path: Path) -> float:
    import depthlab

    cap = depthlab.open(path)
    d = cap.depth
    return float(d[0, 0])


def baseline(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        return im.size


def timed(fn, path: Path) -> tuple[float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    fn(path)
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=15)
    add_load_option(ap)
    args = ap.parse_args()
    allow_load(args.allow_load)
    with tempfile.TemporaryDirectory(prefix="depthlab-bench-dd-") as tmp:
        path = make_file(Path(tmp))
        import depthlab

        cap = depthlab.open(path)
        print(f"file: {path.stat().st_size / 2**20:.1f} MiB, primary {cap.metadata['dynamic_depth']['imaging_model']['image_size']}, "
              f"depth {cap.size[0]}x{cap.size[1]}, items {[i['uri'] for i in cap.metadata['container_items']]}")
        candidate(path), baseline(path)  # warm-up: imports, page cache
        load0 = load_average()
        walls: dict[str, list[float]] = {"baseline": [], "candidate": []}
        cpus: dict[str, list[float]] = {"baseline": [], "candidate": []}
        for _ in range(args.repeat):
            for name, fn in (("baseline", baseline), ("candidate", candidate)):
                w, c = timed(fn, path)
                walls[name].append(w)
                cpus[name].append(c)
        load = max(load0, load_average())  # this loop is short: its own share of the average is small
    med = {k: statistics.median(v) for k, v in walls.items()}
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    ratio = med["candidate"] / med["baseline"]
    print(f"baseline  Pillow Image.open(path).load() of the 4032x3024 primary: median {med['baseline'] * 1000:.1f} ms wall, "
          f"{cpu['baseline'] * 1000:.1f} ms CPU ({args.repeat} runs)")
    print(f"candidate depthlab.open(path) + cap.depth:                      median {med['candidate'] * 1000:.1f} ms wall, "
          f"{cpu['candidate'] * 1000:.1f} ms CPU")
    verdict = ("met" if ratio <= 0.2 else "NOT met") if measured(load) else "not judged"
    print(f"ratio (medians, wall): {ratio_text(med['candidate'], med['baseline'], load)}  (target <= 0.2): {verdict}; "
          f"CPU ratio {cpu['candidate'] / cpu['baseline']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
