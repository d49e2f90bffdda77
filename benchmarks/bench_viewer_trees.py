"""Slider to canvas, this checkout against a named baseline tree, in turn, every press kept.

The browser side of ``bench_viewer.py`` (a key press on the depth-scale and near–far sliders ->
the first WebGL draw, headless Chromium with SwiftShader) measures one tree.  Its presses fall in
two groups: the new picture is drawn either within ~20–40 ms (the frame of the key press had
not begun its swap when the update arrived) or after that swap (60–250 ms on SwiftShader).  A
run of 15 presses gives a median from either group, so one run per tree says little.  This
script runs the same harness (this checkout's ``bench_viewer.browser_side``) on the baseline's
``src/`` and on this checkout's, alternating which goes first each round, keeps every press, and
reports for each slider the pooled median, the quartiles (they show the two groups), the runs'
medians, and the ratio to the baseline -- only from runs that start at a load average below
``alternating.MAX_LOAD`` (``--allow-load`` keeps every run, for exploration).  A run raises
the load itself, so before each run the script waits (up to ``--settle`` seconds, 120 by
default) for the load average to fall below ``MAX_LOAD``: more of the runs count.

    .venv/bin/python benchmarks/bench_viewer_trees.py --baseline 0481350 [--rounds 4] [--presses 15]
        [--out presses.jsonl] [--settle 120]

The baseline is ``git archive``'d into a temporary folder (the repository is not touched).  Each
run is a fresh JupyterLab whose kernel imports ``depthlab`` from the tree under test
(``PYTHONPATH``, inherited by the server and its kernels; the run checks that its own process
imported the tree's ``depthlab``).  About 70 s per
run on a 2-core machine, plus the wait for a quiet start.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from alternating import MAX_LOAD, add_load_option, load_average, measured  # noqa: E402 - benchmarks/ is the script's folder

ROOT = Path(__file__).resolve().parents[1]
SLIDERS = ("depth scale", "near–far (m)")


def export_tree(rev: str, folder: Path) -> Path:
    """``rev``'s files (git archive) in ``folder``; the repository is left as it is."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", rev],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as t:
        t.extractall(folder / "tree", filter="data")
    return folder / "tree"


def settle(seconds: float) -> None:
    """Wait up to ``seconds`` for the load average to fall below ``MAX_LOAD`` (the run before
    this one raised it); a run that still starts above it is kept out of the ratios."""
    deadline = time.monotonic() + seconds
    while not measured(load_average()) and time.monotonic() < deadline:
        time.sleep(5)


def one_run(src: Path, presses: int) -> dict:
    """One JupyterLab session on ``src``'s depthlab: every press's latency (s) per slider."""
    env = dict(os.environ, PYTHONPATH=str(src))
    code = ("import json, sys, depthlab; sys.path.insert(0, sys.argv[1]); import bench_viewer as B; "
            "r = B.browser_side(int(sys.argv[2])); "
            "print(json.dumps({'depthlab': depthlab.__file__, "
            "'presses': {k: v.get('all', []) for k, v in r.items() if k != 'page_errors'}, "
            "'page_errors': r['page_errors']}))")
    load = load_average()
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "benchmarks"), str(presses)], env=env,
                         check=True, capture_output=True, text=True, timeout=900)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(res["depthlab"]).resolve().is_relative_to(src.resolve()):
        raise SystemExit(f"the run imported depthlab from {res['depthlab']}, not from {src}")
    res["load"] = load   # before the run: the run itself (a JupyterLab, Chromium) raises it
    return res


def summary(runs: list[dict], slider: str) -> dict | None:
    """Pooled presses (ms) of the runs: median, quartiles, the runs' own medians."""
    lats = sorted(1000 * x for r in runs for x in r["presses"].get(slider, []))
    if not lats:
        return None
    q = statistics.quantiles(lats, n=4) if len(lats) > 1 else lats * 3   # quantiles needs two points
    return {"median": statistics.median(lats), "quartiles": (q[0], q[2]), "presses": len(lats),
            "run_medians": [round(1000 * statistics.median(r["presses"][slider])) for r in runs
                            if r["presses"].get(slider)]}


def report(runs: dict[str, list[dict]], allow_load: bool) -> None:
    kept = {k: [r for r in v if allow_load or measured(r["load"])] for k, v in runs.items()}
    for name, v in runs.items():
        print(f"{name}: {len(v)} runs, loads {[round(r['load'], 2) for r in v]}, "
              f"{len(kept[name])} kept (load < {MAX_LOAD}{', or any: --allow-load' if allow_load else ''})")
    for slider in SLIDERS:
        base = summary(kept["baseline"], slider)
        for name in ("baseline", "candidate"):
            s = summary(kept[name], slider)
            if s is None:
                print(f"  {slider:14s} {name:9s} no draw seen (or no run at a quiet load)")
                continue
            ratio = f"  x{s['median'] / base['median']:.2f} of the baseline" if base and name == "candidate" else ""
            print(f"  {slider:14s} {name:9s} median {s['median']:5.0f} ms  quartiles {s['quartiles'][0]:.0f}–"
                  f"{s['quartiles'][1]:.0f}  over {s['presses']} presses; runs' medians {s['run_medians']}{ratio}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True, help="git revision of the baseline tree (e.g. 0481350)")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--presses", type=int, default=15)
    ap.add_argument("--out", type=Path, help="append every run (JSON lines) to this file")
    ap.add_argument("--settle", type=float, default=120.0,
                    help=f"seconds to wait at most, before each run, for the load average to fall below {MAX_LOAD}")
    add_load_option(ap)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="depthlab-trees-") as tmp:
        trees = {"baseline": export_tree(args.baseline, Path(tmp)) / "src", "candidate": ROOT / "src"}
        runs: dict[str, list[dict]] = {"baseline": [], "candidate": []}
        revs = {"baseline": args.baseline, "candidate": subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()}
        for i in range(args.rounds):
            for name in (("baseline", "candidate") if i % 2 == 0 else ("candidate", "baseline")):
                settle(args.settle)
                res = one_run(trees[name], args.presses)
                runs[name].append(res)
                print(f"round {i + 1} {name}: load {res['load']:.2f}, medians "
                      f"{ {k: round(1000 * statistics.median(v)) for k, v in res['presses'].items() if v} } ms",
                      flush=True)
                if args.out:
                    with args.out.open("a") as f:
                        f.write(json.dumps({"tree": name, "rev": revs[name], **res}) + "\n")
    report(runs, args.allow_load)


if __name__ == "__main__":
    main()
