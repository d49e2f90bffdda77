"""Benchmark: `depthlab export` of 20 copies of rear_dual_pug.heic, --jobs 2 against --jobs 1.

Target (issue 5): the run with ``--jobs 2`` is at least 1.7x faster than the baseline run with
``--jobs 1``.  Both are timed end to end as a user sees them (a fresh ``depthlab`` process,
start-up and imports included), alternating baseline and candidate, ``--repeat`` times each;
the ratio is of the medians.  Each run writes into a fresh folder, so nothing is overwritten.

    .venv/bin/python benchmarks/bench_cli.py [--repeat 5] [--copies 20] [--format pcd]

The copies are made in a temporary folder (removed afterwards), never in the repository.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path(os.environ.get("DEPTHLAB_SHARED_SAMPLES", ROOT.parent / "shared" / "samples")) / "iphone" / "rear_dual_pug.heic"


def depthlab_command() -> list[str]:
    exe = Path(sys.executable).with_name("depthlab")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "depthlab.cli"]


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_export(src_dir: Path, out_dir: Path, jobs: int, fmt: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its workers) of one export run."""
    cmd = depthlab_command() + ["export", str(src_dir), "-o", str(out_dir), "--format", fmt,
                                "--jobs", str(jobs), "--no-progress"]
    c0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"export failed (exit {proc.returncode}):\n{proc.stderr}")
    return elapsed, _children_cpu() - c0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--copies", type=int, default=20)
    ap.add_argument("--format", choices=("pcd", "ply"), default="pcd")
    args = ap.parse_args()
    if not SAMPLE.is_file():
        print(f"skipped: {SAMPLE} not found (set DEPTHLAB_SHARED_SAMPLES)")
        return 0
    with tempfile.TemporaryDirectory(prefix="depthlab-bench-") as tmp:
        tmp = Path(tmp)
        src = tmp / "in"
        src.mkdir()
        for i in range(args.copies):
            shutil.copyfile(SAMPLE, src / f"pug_{i:02d}.heic")
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        run_export(src, tmp / "warmup", 2, args.format)  # page cache, pyc files
        times: dict[int, list[float]] = {1: [], 2: []}
        cpu: dict[int, list[float]] = {1: [], 2: []}
        for r in range(args.repeat):
            for jobs in (1, 2):
                out = tmp / f"out_j{jobs}_{r}"
                wall, used = run_export(src, out, jobs, args.format)
                times[jobs].append(wall)
                cpu[jobs].append(used)
                shutil.rmtree(out)
        base, cand = statistics.median(times[1]), statistics.median(times[2])
        print(f"cores available: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}")
        print(f"export of {args.copies} x {SAMPLE.name} to .{args.format}, {args.repeat} runs each (end to end, new process)")
        for name, jobs, med in (("baseline ", 1, base), ("candidate", 2, cand)):
            print(f"  {name} --jobs {jobs}: median {med:.2f} s wall, {statistics.median(cpu[jobs]):.2f} s CPU"
                  f"  (runs: {', '.join(f'{t:.2f}' for t in times[jobs])})")
        ratio = base / cand
        paired = statistics.median(t1 / t2 for t1, t2 in zip(times[1], times[2]))
        print(f"  median of back-to-back pair ratios: {paired:.2f}x")
        print(f"  fastest runs: --jobs 1 {min(times[1]):.2f} s, --jobs 2 {min(times[2]):.2f} s "
              f"({min(times[1]) / min(times[2]):.2f}x)")
        print(f"  load average before the runs: {load:.2f} on {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()} cores "
              "(other work on the machine lowers the ratio: the two workers then share cores with it)")
        print(f"  speed-up: {ratio:.2f}x (target >= 1.7x) -> {'met' if ratio >= 1.7 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
