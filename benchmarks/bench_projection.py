"""Benchmark: projection speed against named baselines, all in one process and one run.

Sample: ``rear_dual_pug.heic`` (primary 4032x3024, depth 768x576 = 442,368 points).  Every
candidate and its baseline run alternately, ``--repeat`` times each (so a busy machine slows
both alike); medians are reported with the ratio candidate / baseline.

(a) ``open+project(depth)``: ``depthlab.open`` + ``depthlab.project(cap, colour="depth")``,
    cold (a new Capture and a new Projector each run: rays, colours, everything) --
    baseline **seed pipeline**: pillow-heif open, full decode of the primary, bicubic resize to
    the depth size, the pixel grid with z from the depth map, pypcd4 ``from_xyzrgb_points`` and
    a binary PCD written to memory.
(b) ``open+project(rgb)``: the same with the photo's colours (decode + area-average to depth
    size) -- baseline **decode primary**: pillow-heif decoding the primary image alone.
(c) re-projection at 442k points with colours, caches warm (what a slider change costs):
    ``Projector.points`` (the viewer's update: positions + validity, colours cached) and
    ``Projector.cloud`` (a new PointCloud of the valid points with colours, here with a near
    clip so points are really dropped) -- baseline **Open3D** ``create_from_rgbd_image`` on a
    prepared RGBDImage (depth_trunc lifted above 3 m so both keep every point).
(d) the same at 7.1M points (depth upsampled 4x per side, 3072x2304) -- baseline Open3D again;
    ``per-point`` ratio (d)/(c) shows linearity.

    .venv/bin/python benchmarks/bench_projection.py [--repeat 15]

Needs the shared samples (../shared/samples or DEPTHLAB_SHARED_SAMPLES) and pypcd4; the Open3D
rows are skipped, with a note, where open3d is not installed.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path(os.environ.get("DEPTHLAB_SHARED_SAMPLES", ROOT.parent / "shared" / "samples")) / "iphone" / "rear_dual_pug.heic"


class Timing(float):
    """A median in ms (the float value) that also carries the fastest run, ``.best``."""

    best: float

    def __new__(cls, runs: list[float]) -> "Timing":
        t = super().__new__(cls, statistics.median(runs))
        t.best = min(runs)
        return t


def timed_alternating(cases: dict[str, Callable[[], object]], repeat: int) -> dict[str, Timing]:
    """Wall time (ms) of each case, the cases run in turn ``repeat`` times: the median, and the
    fastest run (on a busy machine the fastest shows what an idle one would do)."""
    for f in cases.values():  # warm-up: imports, first-touch allocations
        f()
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeat):
        for name, f in cases.items():
            gc.collect()
            t0 = time.perf_counter()
            f()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return {k: Timing(v) for k, v in times.items()}


# ------------------------------------------------------------------------------- baselines


def seed_pipeline(path: Path) -> bytes:
    """The seed notebook's route, reproduced: decode everything, resize, grid, pypcd4."""
    import pillow_heif
    from PIL import Image
    from pypcd4 import PointCloud as PcdCloud

    heif = pillow_heif.open_heif(str(path), convert_hdr_to_8bit=True)
    rgb = np.asarray(heif)[:, :, :3]                                   # full decode
    depth_img = heif.info["depth_images"][0]
    depth = np.asarray(depth_img).astype(np.float32)                   # 8-bit map as z
    h, w = depth.shape
    small = np.asarray(Image.fromarray(rgb).resize((w, h), Image.Resampling.BICUBIC))
    xx, yy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    pts = np.stack([xx.ravel(), yy.ravel(), depth.ravel()], axis=1)
    cols = small.reshape(-1, 3)
    rgbf = PcdCloud.encode_rgb(cols)
    pc = PcdCloud.from_xyzrgb_points(np.column_stack([pts, rgbf]))
    buf = io.BytesIO()
    pc.save(buf)
    return buf.getvalue()


def decode_primary(path: Path) -> np.ndarray:
    import pillow_heif

    return np.asarray(pillow_heif.open_heif(str(path), convert_hdr_to_8bit=True))


def open3d_case(depth: np.ndarray, rgb: np.ndarray, k: np.ndarray):
    import open3d as o3d

    h, w = depth.shape
    rgbd = o3d.geometry.RGBDImage.create_from_color_and_depth(
        o3d.geometry.Image(np.ascontiguousarray(rgb)),
        o3d.geometry.Image(np.ascontiguousarray(np.nan_to_num(depth), dtype=np.float32)),
        depth_scale=1.0, depth_trunc=1e6, convert_rgb_to_intensity=False)
    intr = o3d.camera.PinholeCameraIntrinsic(w, h, k[0, 0], k[1, 1], k[0, 2], k[1, 2])
    return lambda: o3d.geometry.PointCloud.create_from_rgbd_image(rgbd, intr)


# ------------------------------------------------------------------------------------ main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    if not SAMPLE.is_file():
        print(f"sample {SAMPLE} not found; set DEPTHLAB_SHARED_SAMPLES", file=sys.stderr)
        return 2
    import depthlab
    from depthlab.capture import Capture
    from depthlab.projection import Projector

    try:
        import open3d  # noqa: F401
        have_o3d = True
    except ImportError:
        have_o3d = False

    rows: list[tuple[str, str, Timing, str, Timing | None]] = []

    # (a) and (b): cold, from the file
    res = timed_alternating({
        "open+project(depth)": lambda: depthlab.project(depthlab.open(SAMPLE), colour="depth"),
        "seed pipeline": lambda: seed_pipeline(SAMPLE),
        "open": lambda: depthlab.open(SAMPLE),
    }, args.repeat)
    rows.append(("a", "open+project(depth)", res["open+project(depth)"], "seed pipeline", res["seed pipeline"]))
    rows.append(("a", "  of which open", res["open"], "", None))
    rgb_cap = depthlab.open(SAMPLE)
    full_rgb = rgb_cap.rgb

    def resize_only():
        rgb_cap.set_rgb(full_rgb)  # clears the per-size cache
        return rgb_cap.rgb_at(*rgb_cap.size)

    res = timed_alternating({
        "open+project(rgb)": lambda: depthlab.project(depthlab.open(SAMPLE), colour="rgb"),
        "decode primary": lambda: decode_primary(SAMPLE),
        "open+cap.rgb": lambda: depthlab.open(SAMPLE).rgb,
        "rgb_at": resize_only,
    }, max(3, args.repeat // 3))
    rows.append(("b", "open+project(rgb)", res["open+project(rgb)"], "decode primary", res["decode primary"]))
    rows.append(("b", "  of which open + colour decode", res["open+cap.rgb"], "decode primary", res["decode primary"]))
    rows.append(("b", "  of which area-average to depth size", res["rgb_at"], "", None))

    # (c) warm re-projection at 442k
    cap = depthlab.open(SAMPLE)
    proj = Projector(cap)
    proj.colours("rgb")
    h, w = cap.shape
    k = cap.calibration.intrinsics_at(w, h)
    lo, hi = proj.depth_range()
    near = lo + 0.1 * (hi - lo)
    state = {"i": 0}

    def slider_points():  # a depth-scale slider step: positions + validity only
        state["i"] += 1
        return proj.points("pinhole", depth_scale=1.0 + 0.01 * (state["i"] % 7), near=near)

    cases = {
        "Projector.points (slider)": slider_points,
        "Projector.cloud rgb": lambda: proj.cloud(near=near, colour="rgb"),
        "Projector.cloud rgb, all": lambda: proj.cloud(colour="rgb"),
    }
    if have_o3d:
        cases["Open3D create_from_rgbd_image"] = open3d_case(cap.depth, cap.rgb_at(w, h), k)
    res_c = timed_alternating(cases, args.repeat)
    base_c = res_c.get("Open3D create_from_rgbd_image")
    for name in ("Projector.points (slider)", "Projector.cloud rgb", "Projector.cloud rgb, all"):
        rows.append(("c", f"{name} 442k", res_c[name], "Open3D create_from_rgbd_image" if base_c else "", base_c))

    # (d) 7.1M points
    big_disp = np.repeat(np.repeat(cap.disparity, 4, axis=0), 4, axis=1)
    big = Capture(disparity=big_disp, calibration=cap.calibration, accuracy=cap.accuracy, camera=cap.camera)
    bh, bw = big.shape
    big_rgb = np.repeat(np.repeat(cap.rgb_at(w, h), 4, axis=0), 4, axis=1)
    big.set_rgb(big_rgb)
    bproj = Projector(big)
    bproj.colours("rgb")
    cases = {
        "Projector.points (slider)": lambda: bproj.points("pinhole", near=near),
        "Projector.cloud rgb": lambda: bproj.cloud(near=near, colour="rgb"),
        "Projector.cloud rgb, all": lambda: bproj.cloud(colour="rgb"),
    }
    if have_o3d:
        cases["Open3D create_from_rgbd_image"] = open3d_case(big.depth, big_rgb, big.calibration.intrinsics_at(bw, bh))
    res_d = timed_alternating(cases, max(3, args.repeat // 2))
    base_d = res_d.get("Open3D create_from_rgbd_image")
    for name in ("Projector.points (slider)", "Projector.cloud rgb", "Projector.cloud rgb, all"):
        rows.append(("d", f"{name} {bh * bw / 1e6:.1f}M", res_d[name], "Open3D create_from_rgbd_image" if base_d else "", base_d))

    print(f"sample: {SAMPLE.name}, depth {w}x{h} ({w * h:,} points); upsampled {bw}x{bh} ({bw * bh:,}); "
          f"repeat {args.repeat}; cores {os.cpu_count()}; load {os.getloadavg()[0]:.1f}")
    if not have_o3d:
        print("open3d not installed: Open3D baselines skipped (pip install open3d)")
    print("times in ms: median (fastest run); ratio of medians (ratio of fastest runs)")
    print(f"{'':2} {'candidate':38} {'median (best)':>17}  {'baseline':30} {'median (best)':>17} {'ratio':>15}")
    for item, name, t, bname, bt in rows:
        ttxt = f"{t:8.2f} ({t.best:6.2f})"
        btxt = f"{bt:8.2f} ({bt.best:6.2f})" if bt else ""
        ratio = f"{t / bt:6.3f} ({t.best / bt.best:5.3f})" if bt else ""
        print(f"{item:2} {name:38} {ttxt:>17}  {bname:30} {btxt:>17} {ratio:>15}")
    for name in ("Projector.points (slider)", "Projector.cloud rgb"):
        per_c = res_c[name] / (w * h)
        per_d = res_d[name] / (bw * bh)
        print(f"linearity {name}: {per_d / per_c:.2f} (time per point at 7.1M / at 442k)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
