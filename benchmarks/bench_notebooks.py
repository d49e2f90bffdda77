"""Benchmark: how long each notebook takes to run top to bottom, against a named baseline.

``tests/teaching/test_notebooks.py`` checks that every notebook runs; how long it takes is measured here
instead (the old ``seconds < 90`` assert measured the machine's neighbours as much as the
notebooks).  Baseline "kernel + open": a one-cell notebook that starts the same kernel, imports
depthlab and opens the two generated samples -- the fixed cost every notebook pays.  Each round
runs the baseline, then every notebook, in a fresh working copy (``<tmp>/notebooks`` with
``<tmp>/data/sample`` linked to data/sample, as the tests do); medians over ``--repeat`` rounds
and the ratio notebook / baseline are printed.

    .venv/bin/python benchmarks/bench_notebooks.py [--repeat 3] [--only 01_first_look ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "sample"
BASELINE_SOURCE = ("import depthlab\n"
                   "rear = depthlab.open('../data/sample/rear_dual.heic')\n"
                   "front = depthlab.open('../data/sample/front_truedepth.heic')\n"
                   "rear.disparity.shape, front.rgb.shape")


def working_copy(base: Path) -> Path:
    (base / "data").mkdir(parents=True)
    os.symlink(SAMPLES.resolve(), base / "data" / "sample", target_is_directory=True)
    shutil.copytree(ROOT / "notebooks", base / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return base / "notebooks"


def run_notebook(nb, folder: Path) -> float:
    import nbclient

    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=False,
                                     resources={"metadata": {"path": str(folder)}})
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def main() -> None:
    import nbformat

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", nargs="*", help="notebook stems to time (default: all)")
    args = ap.parse_args()
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.only:
        paths = [p for p in paths if p.stem in args.only]
    baseline = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(BASELINE_SOURCE)])
    times: dict[str, list[float]] = {"kernel + open (baseline)": []}
    with tempfile.TemporaryDirectory(prefix="depthlab-bench-nb-") as tmp:
        for r in range(args.repeat):
            folder = working_copy(Path(tmp) / f"round{r}")
            times["kernel + open (baseline)"].append(run_notebook(nbformat.from_dict(baseline), folder))
            for p in paths:
                nb = nbformat.read(folder / p.name, as_version=4)
                times.setdefault(p.stem, []).append(run_notebook(nb, folder))
    base = statistics.median(times["kernel + open (baseline)"])
    print(f"{'notebook':<28} {'median s':>9} {'x baseline':>11}   ({args.repeat} rounds, load {os.getloadavg()[0]:.1f})")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"{name:<28} {m:9.1f} {m / base:11.2f}")


if __name__ == "__main__":
    main()
