"""How fast a control change reaches the 3D view, at 442,368 points (a 768x576 depth map).

Python side (always): median seconds per update of ``depthlab.explore`` for the changes a user
makes — depth scale (pinhole: the grid redrawn 1/ds as large, six numbers sent), near/far (only the drawn-index
re-sent), colour mode (colours re-sent), projection model (positions re-sent) —
including the widgets' serialisation, against the named baseline **raw-assign**: assigning a
fresh float32 (N, 3) array to a pythreejs ``BufferAttribute`` (what any pythreejs update costs
at least), run in the same process.

Browser side (``--browser``): JupyterLab + Debian's headless Chromium with software WebGL
(SwiftShader).  A probe records the time of each key press and of every WebGL draw call; the
slider-to-canvas latency is the time from pressing an arrow key on a slider to the first draw of
the updated points.  Reported as median and max of several presses.

First picture (``--first``, browser): from pressing Shift+Enter on a cell holding
``depthlab.explore(cap, render=...)`` to the first WebGL draw of the cloud (points) or the mesh
(surface) on the new canvas, against the named baseline **raw-pythreejs**: a cell that builds
the plainest pythreejs view of the same 442k points (one ``Points`` with ``PointsMaterial``, a
camera and ``OrbitControls``, no depthlab), run alternately in the same session; medians.

    .venv/bin/python benchmarks/bench_viewer.py [--browser] [--first] [--repeat 15] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
H, W = 576, 768

CAPTURE_CODE = f"""
import numpy as np
from depthlab import Calibration, CameraInfo, Capture
H, W = {H}, {W}
v, u = np.mgrid[0:H, 0:W].astype(np.float32)
z = np.full((H, W), 3.0, np.float32) - 1.2 * (v / H)
z[150:450, 250:520] = 1.2 + 0.2 * np.hypot((u[150:450, 250:520] - 385) / 135, (v[150:450, 250:520] - 300) / 150)
cal = Calibration(intrinsic_matrix=[[1153.75, 0, 771.25], [0, 1153.75, 573.5], [0, 0, 1]], reference_size=(1536, 1152))
cap = Capture(disparity=1 / z, calibration=cal, accuracy="relative", camera=CameraInfo(kind="rear dual"),
              mattes={{"portrait": (z < 1.5).astype(np.float32)}})
cap.set_rgb(np.stack([u / W * 255, v / H * 255, (z * 60) % 255], -1).astype(np.uint8))
"""


def make_capture():
    ns: dict = {}
    exec(CAPTURE_CODE, ns)
    return ns["cap"]


def median_time(fn, repeat: int) -> tuple[float, float]:
    ts = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts)


def python_side(repeat: int) -> dict:
    import pythreejs as three

    from depthlab.live.widgets import explore

    cap = make_capture()
    e = explore(cap)
    c = e.controls.w
    n = e.side.layer.size
    rng = np.random.default_rng(0)
    base = rng.normal(size=(n, 3)).astype(np.float32)
    attr = three.BufferAttribute(array=base)
    res = {"points": n}
    res["raw-assign (baseline)"] = median_time(lambda i: setattr(attr, "array", base + np.float32(i)), repeat)
    res["depth scale (the grid's scale)"] = median_time(lambda i: setattr(c["depth_scale"], "value", 1.05 + 0.01 * i), repeat)
    lo, hi = c["clip"].min, c["clip"].max
    res["near/far (index)"] = median_time(lambda i: setattr(c["clip"], "value", (lo, hi - 0.05 - 0.02 * i)), repeat)
    res["colour mode (colours)"] = median_time(
        lambda i: setattr(c["colour"], "value", "depth" if i % 2 == 0 else "rgb"), repeat)
    # the model with photo colours, as a view starts (the filled layer behind edges is drawn)
    c["colour"].value = "rgb"
    res["model (positions)"] = median_time(
        lambda i: setattr(c["model"], "value", "pinhole-raw" if i % 2 == 0 else "pinhole"), repeat)
    return res


def browser_side(presses: int) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_support import Lab, LabPage, chromium_path, launch_browser
    import nbformat
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise SystemExit("no Chromium at /usr/bin/chromium (or DEPTHLAB_CHROMIUM)")
    tmp = Path(tempfile.mkdtemp(prefix="depthlab-bench-"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CAPTURE_CODE),
                nbformat.v4.new_code_cell("import depthlab\nexplorer = depthlab.explore(cap)\nexplorer")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp / "bench.ipynb")
    out: dict = {}
    with Lab(tmp) as lab, sync_playwright() as p:
        browser = launch_browser(p, exe)
        lp = LabPage(browser, lab)
        lp.context.add_init_script("document.addEventListener('keydown', () => { window.__t0 = performance.now(); }, true);")
        lp.open_notebook("bench.ipynb")
        lp.run_all()
        lp.page.wait_for_selector(".jp-OutputArea canvas", timeout=60_000)
        time.sleep(3)
        for label, key_pair in (("depth scale", ("ArrowRight", "ArrowLeft")), ("near–far (m)", ("ArrowLeft", "ArrowRight"))):
            slider = lp.page.locator(f".widget-hslider:has(.widget-label:text-is('{label}'))").first
            handle = slider.locator(".noUi-handle").last
            handle.scroll_into_view_if_needed()
            if label.startswith("near"):
                # bring "far" inside the depth range first: at its end a step changes nothing drawn
                handle.focus()
                for _ in range(10):
                    handle.press("ArrowLeft")
                time.sleep(1.5)
            lats = []
            for i in range(presses):
                handle.focus()
                time.sleep(0.2)
                handle.press(key_pair[i % 2])
                deadline = time.monotonic() + 5
                lat = None
                while time.monotonic() < deadline:
                    t0 = lp.page.evaluate("window.__t0")
                    draws = [d for d in lp.draws_since(t0) if d["name"] == "drawElements"]
                    if draws:
                        lat = draws[0]["t"] - t0
                        break
                    time.sleep(0.02)
                if lat is not None:
                    lats.append(lat / 1000)
                time.sleep(1.2)
            out[label] = {"median_s": statistics.median(lats) if lats else None,
                          "max_s": max(lats) if lats else None, "presses": len(lats), "all": lats}
        out["page_errors"] = lp.page_errors
        lp.close()
        browser.close()
    return out


RAW_PYTHREEJS_CODE = """
import numpy as np, pythreejs as three
from depthlab.projection import project
_c = project(cap)
_g = three.BufferGeometry(attributes={"position": three.BufferAttribute(array=_c.xyz * np.float32([1, -1, -1])),
                                     "color": three.BufferAttribute(array=_c.rgb, normalized=True)})
_cam = three.PerspectiveCamera(position=[0, 0, 0], fov=60, aspect=1.5)
_ctl = three.OrbitControls(controlling=_cam, target=[0, 0, -1.5])
three.Renderer(camera=_cam, scene=three.Scene(children=[three.Points(geometry=_g, material=three.PointsMaterial(
    size=0.004, vertexColors="VertexColors"))]), controls=[_ctl], width=720, height=480)
"""


# watches cell k's output: it is cleared when the cell runs, then the new view's canvas appears
# (pythreejs hands out pooled canvas elements, so it may be the same element as before);
# window.__canvas is when it appeared; the picture is the first large WebGL draw (the cloud's 442k
# points or the mesh's faces) from then on
WATCH_JS = """k => {
  window.__canvas = null;
  const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[k];
  let cleared = false;
  const tick = () => {
    const n = cell.querySelectorAll('.jp-OutputArea canvas').length;
    if (n === 0) cleared = true;
    if (cleared && n > 0) { window.__canvas = performance.now(); return; }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


def first_picture(runs: int) -> dict:
    """Shift+Enter on an explore() cell -> first WebGL draw of the new view (browser)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_support import Lab, LabPage, chromium_path, launch_browser
    import nbformat
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise SystemExit("no Chromium at /usr/bin/chromium (or DEPTHLAB_CHROMIUM)")
    cases = {
        "raw-pythreejs (baseline)": RAW_PYTHREEJS_CODE,
        "explore, points": "import depthlab\ndepthlab.explore(cap)",
        "explore, surface": "import depthlab\ndepthlab.explore(cap, render='surface')",
    }
    tmp = Path(tempfile.mkdtemp(prefix="depthlab-bench-"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CAPTURE_CODE + "\nimport depthlab, pythreejs\n_ = cap.rgb")]
    nb.cells += [nbformat.v4.new_code_cell(code) for code in cases.values()]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp / "first.ipynb")
    times: dict = {k: [] for k in cases}
    with Lab(tmp) as lab, sync_playwright() as p:
        browser = launch_browser(p, exe)
        lp = LabPage(browser, lab)
        lp.context.add_init_script(
            "document.addEventListener('keydown', e => { if (e.key === 'Enter') window.__t0 = performance.now(); }, true);")
        lp.open_notebook("first.ipynb")
        lp.run_all()
        time.sleep(3)
        cells = lp.page.locator(".jp-Notebook .jp-CodeCell")
        for r in range(runs + 1):  # the first round warms the kernel's and the browser's caches
            for k, name in enumerate(cases):
                cell = cells.nth(k + 1)
                cell.locator(".jp-InputArea-editor").click()
                lp.page.keyboard.press("Escape")
                lp.page.evaluate(WATCH_JS, k + 1)
                lp.page.keyboard.press("Shift+Enter")
                lat = None
                try:
                    lp.page.wait_for_function("window.__canvas !== null", timeout=30_000, polling=50)
                    deadline = time.monotonic() + 30
                    while lat is None and time.monotonic() < deadline:
                        t0, tc = lp.page.evaluate("[window.__t0, window.__canvas]")
                        big = [d["t"] for d in lp.draws_since(tc - 5) if d["count"] > 100_000]
                        lat = (min(big) - t0) if big else None
                        time.sleep(0.02)
                except Exception as exc:  # reported, not hidden: a run that never drew
                    print(f"  {name}: no picture within 30 s ({exc})", file=sys.stderr)
                if r and lat is not None:
                    times[name].append(lat / 1000)
                lp.wait_kernel_idle()
                time.sleep(1.0)
        page_errors = lp.page_errors
        lp.close()
        browser.close()
    return {k: {"median_s": statistics.median(v) if v else None, "runs": len(v), "all": v} for k, v in times.items()} | {
        "page_errors": page_errors}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--browser", action="store_true", help="also measure slider-to-canvas latency in Chromium")
    ap.add_argument("--presses", type=int, default=9)
    ap.add_argument("--first", action="store_true", help="measure explore(cap) -> first drawn picture in Chromium")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if args.first:
        f = first_picture(args.runs)
        base = f["raw-pythreejs (baseline)"]["median_s"]
        print(f"explore(cap) -> first drawn picture, {H}x{W} = {H * W:,} points, median of {args.runs} (alternating):")
        for k, v in f.items():
            if k != "page_errors" and v["median_s"] is not None:
                print(f"  {k:26s} {v['median_s']:.3f} s   x{v['median_s'] / base:.2f} of raw-pythreejs   "
                      f"({', '.join(f'{t:.2f}' for t in v['all'])})")
        print("  page errors:", json.dumps(f["page_errors"]))
    res = python_side(args.repeat)
    base = res["raw-assign (baseline)"][0]
    print(f"Python side, {res['points']:,} points, median (min) of {args.repeat} updates:")
    for k, v in res.items():
        if k == "points":
            continue
        print(f"  {k:26s} {1e3 * v[0]:7.2f} ms ({1e3 * v[1]:.2f})   x{v[0] / base:.2f} of raw-assign")
    if args.browser:
        b = browser_side(args.presses)
        print("Browser (headless Chromium, SwiftShader WebGL), key press on slider -> first draw of the new points:")
        for k, v in b.items():
            if k != "page_errors" and v["presses"]:
                print(f"  {k:26s} median {v['median_s']:.3f} s, max {v['max_s']:.3f} s over {v['presses']} presses")
            elif k != "page_errors":
                print(f"  {k:26s} no draw seen after any press")
        print("  page errors:", json.dumps(b["page_errors"]))


if __name__ == "__main__":
    main()
