"""Benchmark: offline HTML export -- file size and time to first picture in Chromium.

Clouds: the rear dual sample (``rear_dual_pug.heic``, 768x576 = 442,368 points, pinhole) and a
200,000-point random subset of it (a synthetic ball-and-wall scene of the same sizes when the
sample is absent).  Two encodings of the same cloud, written by the same exporter and drawn by
the same viewer, alternating, ``--repeat`` times each:

* ``depthlab``  -- positions 16-bit quantised over the box, base64 (what ``to_html`` writes);
* ``json-float`` (baseline) -- positions as a plain JSON array of floats rounded to 6 decimals
  (micrometres), colours unchanged.

Measured per run in a fresh browser context (headless /usr/bin/chromium, SwiftShader software
WebGL, every request but the page itself aborted): ``first picture`` = navigation start to the
first frame on screen (the viewer's ``depthlab-first-picture`` mark, after a
requestAnimationFrame following the first render), split into ``script`` (navigation start to
the viewer starting: HTML parse, three.js parse), ``data`` (decoding the points, building
buffers) and ``draw`` (first render until composited).  Medians are reported, and the ratio
baseline / depthlab of the medians.  Export time (Python, ``html_document`` + write) too.

    .venv/bin/python benchmarks/bench_html.py [--repeat 5]

Files are written to a temporary folder (removed afterwards).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = Path(os.environ.get("DEPTHLAB_SHARED_SAMPLES", ROOT.parent / "shared" / "samples")) / "iphone" / "rear_dual_pug.heic"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
]
ENCODINGS = {"depthlab": "uint16", "json-float": "json"}


def clouds() -> dict[str, object]:
    import depthlab
    from depthlab.pointcloud import PointCloud

    if SAMPLE.is_file():
        full = depthlab.project(depthlab.open(SAMPLE))
        origin = SAMPLE.name
    else:
        sys.path.insert(0, str(ROOT / "tests" / "exchange"))
        from test_html import make_cloud

        full = make_cloud(576, 768)
        origin = "synthetic ball scene (sample not found)"
    rng = np.random.default_rng(0)
    keep = np.sort(rng.choice(len(full.xyz), 200_000, replace=False))
    sub = PointCloud(xyz=full.xyz[keep], rgb=full.rgb[keep], pixel_index=full.pixel_index[keep],
                     grid_shape=full.grid_shape, model=full.model, units=full.units, accuracy=full.accuracy,
                     camera=full.camera, metadata=dict(full.metadata))
    print(f"clouds from {origin}")
    return {"200k": sub, "440k": full}


def export(cloud, path: Path, positions: str) -> float:
    from depthlab.exchange import html as dhtml
    from depthlab.exchange.atomic import atomic_write

    t0 = time.perf_counter()
    with atomic_write(path, overwrite=True) as fh:
        fh.write(dhtml.html_document(cloud, _positions=positions).encode("utf-8"))
    return time.perf_counter() - t0


def first_picture(browser, path: Path) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1000, "height": 700})
    page = context.new_page()
    url = path.as_uri()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route("**/*", lambda r: r.continue_() if r.request.url == url else r.abort())
    page.goto(url)
    page.wait_for_selector("html[data-depthlab-ready]", timeout=120_000)
    marks = page.evaluate(
        "() => Object.fromEntries(performance.getEntriesByType('mark').map(m => [m.name, m.startTime]))"
    )
    context.close()
    if errors:
        raise SystemExit(f"{path.name}: page errors {errors}")
    start, data, done = marks["depthlab-start"], marks["depthlab-data"], marks["depthlab-first-picture"]
    return {"first": done / 1000, "script": start / 1000, "data": (data - start) / 1000, "draw": (done - data) / 1000}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if not CHROMIUM.is_file():
        print(f"skipped: Chromium not found at {CHROMIUM}")
        return 0
    from playwright.sync_api import sync_playwright

    sets = clouds()
    rows = []
    with tempfile.TemporaryDirectory(prefix="depthlab-bench-html-") as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        for label, cloud in sets.items():
            files = {name: Path(tmp) / f"{label}-{name}.html" for name in ENCODINGS}
            export_t = {name: [] for name in ENCODINGS}
            shown = {name: [] for name in ENCODINGS}
            for name, enc in ENCODINGS.items():  # warm-up: page cache, browser start
                export(cloud, files[name], enc)
                first_picture(browser, files[name])
            for _ in range(args.repeat):
                for name, enc in ENCODINGS.items():  # alternate baseline and candidate
                    export_t[name].append(export(cloud, files[name], enc))
                    shown[name].append(first_picture(browser, files[name]))
            for name in ENCODINGS:
                med = {k: statistics.median(r[k] for r in shown[name]) for k in shown[name][0]}
                rows.append((label, name, len(cloud.xyz), files[name].stat().st_size, statistics.median(export_t[name]), med))
        browser.close()

    print(f"\nmedians of {args.repeat} runs; headless Chromium, SwiftShader software WebGL, 1000x700 view")
    print(f"{'points':>8} {'encoding':<11} {'size MB':>8} {'export s':>9} {'first picture s':>16} "
          f"{'(script':>8} {'data':>6} {'draw)':>6}")
    by = {}
    for label, name, n, size, ex, med in rows:
        by[(label, name)] = (size, med["first"])
        print(f"{n:>8,} {name:<11} {size / 1e6:>8.2f} {ex:>9.3f} {med['first']:>16.3f} "
              f"{med['script']:>8.3f} {med['data']:>6.3f} {med['draw']:>6.3f}")
    print()
    for label in sets:
        (s0, t0), (s1, t1) = by[(label, "json-float")], by[(label, "depthlab")]
        print(f"{label}: json-float baseline / depthlab: size {s0 / s1:.2f}x, first picture {t0 / t1:.2f}x")
    size440 = by[("440k", "depthlab")][0]
    print(f"target: 440k points under 7 MB -> {size440 / 1e6:.2f} MB ({'met' if size440 < 7e6 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
