"""The notebooks in a real browser: JupyterLab + Debian's headless Chromium (software WebGL).

For every notebook: run all cells in JupyterLab, then assert that no output shows a widget error
("Error displaying widget", "... can not be instantiated") or a traceback, that the page raised no
uncaught JavaScript error, that every 3D canvas shows more than background, and that moving a
slider changes the canvas.  In 03 the cameras are linked: orbiting the left view moves the right.
Screenshots go to ``browser/`` under pytest's base temp (``ARTIFACTS_DIR``, set by conftest.py).

Runs only with ``-m browser`` selected or by default with the rest; without /usr/bin/chromium (or
``DEPTHLAB_CHROMIUM``) it skips with the reason, unless ``DEPTHLAB_REQUIRE_BROWSER=1`` (CI), which
turns every skip into a failure.  Never downloads a browser.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from browser_support import (LIVE_CAPTURES_CODE, Lab, LabPage, assert_subject_held, chromium_path, gaps_inside_outline,
                             launch_browser, non_background_fraction, orbit_drag, picture_difference, stable_image,
                             subject_in_view)
from conftest import ARTIFACTS_DIR, ROOT

pytestmark = pytest.mark.browser

REQUIRE = os.environ.get("DEPTHLAB_REQUIRE_BROWSER") == "1"
ARTIFACTS = ARTIFACTS_DIR / "browser"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SAMPLES = Path(os.environ.get("DEPTHLAB_NOTEBOOK_SAMPLES", ROOT / "data" / "sample"))
NEEDED = ("rear_dual.heic", "front_truedepth.heic", "rear_dual_truth.json", "rear_dual_truth.npz",
          "front_truedepth_truth.json", "front_truedepth_truth.npz")


def unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"{reason} (DEPTHLAB_REQUIRE_BROWSER=1 makes this a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    exe = chromium_path()
    if exe is None:
        unavailable("no Chromium at /usr/bin/chromium (set DEPTHLAB_CHROMIUM to another binary); "
                    "install Debian's chromium package to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright Python client is not installed (pip install playwright; no browser download needed)")
    with sync_playwright() as p:
        b = launch_browser(p, exe)
        yield b
        b.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    missing = [n for n in NEEDED if not (SAMPLES / n).is_file()]
    if missing:
        unavailable(f"generated samples {', '.join(missing)} missing from {SAMPLES} (run `depthlab samples`)")
    root = tmp_path_factory.mktemp("lab")
    (root / "data").mkdir()
    os.symlink(SAMPLES.resolve(), root / "data" / "sample", target_is_directory=True)
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with Lab(root, log_path=ARTIFACTS / "jupyterlab.log") as server:
        yield server


def wait_for_canvases(lp: LabPage, timeout: float = 60.0) -> int:
    """Wait until the 3D canvases have appeared and their number is stable for 2 s."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        n = lp.canvases().count()
        if n != last:
            last, since = n, time.monotonic()
        elif n > 0 and time.monotonic() - since > 2.0:
            return n
        time.sleep(0.25)
    return last


def wait_for_change(lp: LabPage, index: int, before: np.ndarray, timeout: float = 20.0) -> float:
    """Largest mean absolute pixel change of canvas ``index`` seen within ``timeout``."""
    deadline = time.monotonic() + timeout
    change = 0.0
    while time.monotonic() < deadline:
        img = lp.canvas_image(index)
        if img.shape == before.shape:
            change = float(np.abs(img.astype(np.int16) - before.astype(np.int16)).mean())
            if change > 0.5:
                return change
        time.sleep(0.3)
    return change


def drag_far_handle(lp: LabPage, output_index: int, fraction: float = 0.25) -> None:
    """Drag the upper handle of the "near–far" range slider of one output to ``fraction`` of its track."""
    out = lp.page.locator(".jp-OutputArea-output:has(canvas)").nth(output_index)
    slider = out.locator(".widget-hslider:has(.widget-label:text-matches('^near–far'))").first
    handle = slider.locator(".noUi-handle").last
    track = slider.locator(".noUi-target").first
    handle.scroll_into_view_if_needed()
    hb, tb = handle.bounding_box(), track.bounding_box()
    page = lp.page
    page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
    page.mouse.down()
    x_to = tb["x"] + tb["width"] * fraction
    page.mouse.move(x_to, hb["y"] + hb["height"] / 2, steps=12)  # a drag: many values, throttled
    page.mouse.up()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_renders_and_reacts_in_chromium(browser, lab, path):
    lp = LabPage(browser, lab)
    try:
        lp.open_notebook(f"notebooks/{path.name}")
        seconds = lp.run_all(timeout=300, artifacts=ARTIFACTS)
        n = wait_for_canvases(lp)
        lp.page.screenshot(path=str(ARTIFACTS / f"{path.stem}_page.png"), full_page=True)
        errors = lp.error_outputs()
        assert not errors, f"error output in {path.name}: {errors[:3]}"
        assert not lp.page_errors, f"uncaught JavaScript errors: {lp.page_errors[:5]}; dialogs seen: {lp.dialog_log}"
        import nbformat

        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        if not any(f"{f}(" in code for f in ("explore", "compare", "show")):
            # a notebook without a live 3D view (05_refocus): it ran without errors, nothing to drag
            print(f"{path.stem}: ran in {seconds:.1f} s, no live 3D view")
            return
        assert n >= 1, "no 3D canvas was rendered"
        for i in range(n):
            img = lp.canvas_image(i, ARTIFACTS / f"{path.stem}_canvas{i}.png")
            frac = non_background_fraction(img)
            assert frac > 0.05, f"canvas {i} of {path.name} is (nearly) empty: {frac:.3f} non-background"

        # moving a slider changes the canvas of the same output
        outputs = lp.page.locator(".jp-OutputArea-output:has(canvas)")
        target = next((k for k in range(outputs.count())
                       if outputs.nth(k).locator(".widget-label:text-matches('^near–far')").count()), None)
        assert target is not None, "no near–far slider next to a 3D view"
        first_canvas = lp.page.evaluate(
            """k => {
                const all = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea canvas')];
                const out = [...document.querySelectorAll('.jp-OutputArea-output')].filter(o => o.querySelector('canvas'))[k];
                return all.indexOf(out.querySelector('canvas'));
            }""", target)
        before = lp.canvas_image(first_canvas)
        drag_far_handle(lp, target)
        change = wait_for_change(lp, first_canvas, before)
        lp.canvas_image(first_canvas, ARTIFACTS / f"{path.stem}_after_slider.png")
        assert change > 0.5, f"moving the near–far slider did not change the canvas (mean change {change:.2f})"
        assert not lp.page_errors, f"uncaught JavaScript errors after the slider: {lp.page_errors[:5]}"
        assert not lp.error_outputs()
        print(f"{path.stem}: ran in {seconds:.1f} s, {n} canvases, slider change {change:.1f}")
    finally:
        lp.close()
        lab.shutdown_kernels()


def test_compare_cameras_are_linked(browser, lab):
    """Orbiting the left view of 03's comparison moves the right view too."""
    lp = LabPage(browser, lab)
    try:
        lp.open_notebook("notebooks/03_rear_vs_front.ipynb")
        lp.run_all(timeout=300, artifacts=ARTIFACTS)
        wait_for_canvases(lp)
        pair = lp.page.locator(".jp-OutputArea-output:has(canvas)").first
        assert pair.locator("canvas").count() == 2
        left_idx, right_idx = 0, 1
        before_right = lp.canvas_image(right_idx)
        orbit_drag(lp, left_idx, lp.canvases().nth(left_idx).bounding_box()["width"] / 4, dy=10, steps=10)
        change = wait_for_change(lp, right_idx, before_right)
        lp.canvas_image(right_idx, ARTIFACTS / "03_right_after_orbiting_left.png")
        assert change > 0.5, f"orbiting the left view did not move the right one (mean change {change:.2f})"
        assert not lp.page_errors
    finally:
        lp.close()
        lab.shutdown_kernels()


def test_opening_a_notebook_shows_no_dialog(browser, lab):
    """The README's explore flow greets nobody with a modal, even with open3d (and so dash's
    old-style lab extension, which asks for a "Build") installed beside depthlab."""
    import importlib.util

    lp = LabPage(browser, lab)
    try:
        lp.open_notebook("notebooks/01_first_look.ipynb")
        deadline = time.monotonic() + 8.0  # the build check answers a moment after the page loads
        seen: list[str] = []
        while time.monotonic() < deadline:
            seen += [t for t in lp.dialogs() if t not in seen]
            time.sleep(0.5)
        assert seen == [], f"opening a notebook showed a dialog: {seen}"
        if importlib.util.find_spec("dash") is not None:  # the case the config is for: say so when it is tested
            status = lab.api("/lab/api/build")
            assert status["status"] == "needed", status  # a build *would* be recommended without the config
    finally:
        lp.close()


# --------------------------------------------------------------------------------------------
# The live view as a person uses it (issue 14): orbit the subject, no gaps, reset, both modes
# --------------------------------------------------------------------------------------------

#: the views a person opens, one per output, in this order (canvases: 1, 1, 2, 2)
LIVE_CASES = [
    ("explore, points", "depthlab.explore(person)", 1),
    ("explore, surface", "depthlab.explore(person, render='surface')", 1),
    ("compare, points", "depthlab.compare(person, pet)", 2),
    ("compare, surface", "depthlab.compare(person, pet, render='surface')", 2),
]


def benign_console(text: str) -> bool:
    """Console errors that are not the view's: the browser's own favicon probe, and JupyterLab's
    debugger extension when a kernel of an earlier notebook in the session was shut down."""
    return "favicon" in text or "Could not restore the debugger state" in text


@pytest.fixture(scope="module")
def live(browser, lab):
    """JupyterLab with a notebook holding the four live views of the generated subject captures."""
    # a view that fails shows its traceback and the next cells still run (each case fails alone)
    cells = [LIVE_CAPTURES_CODE + "\nimport depthlab"]
    cells += [f"try:\n    view = {code}\nexcept Exception:\n    import traceback\n"
              f"    traceback.print_exc()\nelse:\n    display(view)" for _, code, _ in LIVE_CASES]
    notebook = lab.write_notebook("live_view.ipynb", cells)
    lp = LabPage(browser, lab)
    try:
        lp.open_notebook(notebook)
        lp.run_all(timeout=300, artifacts=ARTIFACTS)
        wait_for_canvases(lp)
        time.sleep(2)  # textures and the first frames
        yield lp
    finally:
        lp.close()
        lab.shutdown_kernels()


def case_canvases(lp: LabPage, case: int) -> list[int]:
    """Indexes (among all canvases of the notebook) of the canvases in this case's cell."""
    return lp.page.evaluate(
        """k => {
            const all = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea canvas')];
            const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[k + 1];
            return [...cell.querySelectorAll('.jp-OutputArea canvas')].map(c => all.indexOf(c));
        }""", case)


def click_reset(lp: LabPage, case: int) -> None:
    cell = lp.page.locator(".jp-Notebook .jp-CodeCell").nth(case + 1)
    cell.locator("button:has-text('reset view')").first.click()


@pytest.mark.parametrize("case", range(len(LIVE_CASES)), ids=[c[0] for c in LIVE_CASES])
def test_live_view_orbits_the_subject_without_gaps_and_resets(live, case):
    """What a person needs of the 3D view (issue 14), for explore and compare in both modes:

    * the first picture, from the phone's viewpoint, is the photo: at most 5 % see-through
      pixels inside the cloud's outline (the captures' depth is valid everywhere);
    * a 40 px drag keeps most of the subject's pixels in view, centred in the middle half of
      the canvas; a further 150 px leaves it in view; in compare both canvases (each orbits its
      own subject) — the drag is given to the left one;
    * "reset view" returns to the first picture, pixel for pixel within rendering noise;
    * no uncaught error and no console error.
    """
    lp = live
    name, _, n_canvases = LIVE_CASES[case]
    idx = case_canvases(lp, case)
    cell = lp.page.locator(".jp-Notebook .jp-CodeCell").nth(case + 1)
    tracebacks = [t[:1500] for t in cell.locator(".jp-OutputArea-output").all_inner_texts() if "Traceback" in t]
    assert not tracebacks, f"{name}: the view failed: {tracebacks}"
    assert len(idx) == n_canvases, f"{name}: expected {n_canvases} canvas(es), found {len(idx)}"
    slug = name.replace(", ", "_")
    first = [stable_image(lp, i) for i in idx]
    counts = []
    for k, (i, img) in enumerate(zip(idx, first)):
        n, c = subject_in_view(img)
        gaps = gaps_inside_outline(img)
        lp.canvas_image(i, ARTIFACTS / f"live_{slug}_{k}_first.png")
        assert n > 0.02 * img.shape[0] * img.shape[1], f"{name} canvas {k}: no subject in the first picture ({n} px)"
        assert gaps <= 0.05, f"{name} canvas {k}: {gaps:.1%} of the cloud's outline shows background (gaps)"
        counts.append(n)
    orbit_drag(lp, idx[0], 40)
    for k, i in enumerate(idx):
        img = stable_image(lp, i)
        lp.canvas_image(i, ARTIFACTS / f"live_{slug}_{k}_drag40.png")
        assert picture_difference(img, first[k])[1] > 0.01, f"{name} canvas {k}: a 40 px drag did not turn the view"
        assert_subject_held(img, counts[k], f"{name} canvas {k} after a 40 px drag")
    orbit_drag(lp, idx[0], 150)
    for k, i in enumerate(idx):
        img = stable_image(lp, i)
        lp.canvas_image(i, ARTIFACTS / f"live_{slug}_{k}_drag190.png")
        assert_subject_held(img, counts[k], f"{name} canvas {k} after a further 150 px", centred=False, keep=0.2)
    click_reset(lp, case)
    for k, i in enumerate(idx):
        deadline = time.monotonic() + 15
        while True:
            img = stable_image(lp, i)
            # the canvas may sit at a fractional page offset: its screenshot then has a one-pixel
            # row or column blended with the page, which scrolling changes; compare inside it
            mean, changed = picture_difference(img[1:-1, 1:-1], first[k][1:-1, 1:-1])
            if changed < 0.002 or time.monotonic() > deadline:
                break
        lp.canvas_image(i, ARTIFACTS / f"live_{slug}_{k}_reset.png")
        assert mean < 1.0 and changed < 0.002, (
            f"{name} canvas {k}: reset did not return to the first picture (mean change {mean:.2f}, "
            f"{changed:.2%} of pixels changed)")
    assert not lp.page_errors, f"uncaught JavaScript errors: {lp.page_errors[:5]}"
    errors = [e for e in lp.console_errors if not benign_console(e)]
    assert not errors, f"console errors: {errors[:5]}"


# --------------------------------------------------------------------------------------------
# The comparison as a student uses it (issue 30): every shared control once, the orbit kept
# --------------------------------------------------------------------------------------------

#: the views' titles say what each side draws: "model pinhole · 333,608 of 442,368 points"
TITLE_JS = """k => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')[k]
                     .querySelectorAll('.widget-html')].map(e => e.innerText).filter(t => t.includes(' points'))"""


def side_titles(lp: LabPage, cell: int) -> list[str]:
    return lp.page.evaluate(TITLE_JS, cell)[:2]


def drawn_share(title: str) -> float:
    import re

    m = re.search(r"([\d,]+) of ([\d,]+) points", title)
    assert m, f"no point count in the title {title!r}"
    return int(m.group(1).replace(",", "")) / int(m.group(2).replace(",", ""))


def title_model(title: str) -> str:
    import re

    return re.search(r"model (\S+)", title).group(1)


def silhouette(img: np.ndarray, tol: int = 12) -> np.ndarray:
    """bool (H, W): pixels that are not the background colour (the cloud and the grid)."""
    from depthlab.live.viewer import BACKGROUND

    bg = np.array([int(BACKGROUND[i:i + 2], 16) for i in (1, 3, 5)], np.int16)
    return np.abs(img.astype(np.int16) - bg).max(axis=-1) > tol


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two silhouettes."""
    return float((a & b).sum() / max((a | b).sum(), 1))


def wait_titles(lp: LabPage, cell: int, before: list[str], timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = side_titles(lp, cell)
        if now != before:
            time.sleep(0.8)  # the throttle's trailing update
            return side_titles(lp, cell)
        time.sleep(0.2)
    return side_titles(lp, cell)


def _real_pair_page(browser, lab, name: str, call: str):
    """A JupyterLab page whose notebook ``name`` opens the real pug (``rear``) and the real front
    sample (``front``) and shows ``c = <call>``; yields it once both canvases are drawn."""
    from conftest import shared_sample

    rear, front = shared_sample("iphone/rear_dual_pug.heic"), shared_sample("iphone/front_truedepth_mattes.heic")
    notebook = lab.write_notebook(name, [
        f"import depthlab\nrear = depthlab.open({str(rear)!r})\nfront = depthlab.open({str(front)!r})",
        f"c = {call}\nc"])
    lp = LabPage(browser, lab)
    try:
        lp.open_notebook(notebook)
        lp.run_all(timeout=300, artifacts=ARTIFACTS)
        assert wait_for_canvases(lp) == 2
        time.sleep(2)
        yield lp
    finally:
        lp.close()
        lab.shutdown_kernels()


@pytest.fixture(scope="module")
def real_pair(browser, lab):
    """JupyterLab with ``compare(rear, front)`` of the real pug and the real front sample."""
    yield from _real_pair_page(browser, lab, "real_pair.ipynb", "depthlab.compare(rear, front)")


def test_compare_stride_after_a_drag_keeps_the_view(real_pair):
    """Must hold: after a 60 px drag, one step of *stride* leaves the view where it was (the
    cloud's silhouette overlaps the one before by >= 70 %), not back at the first picture."""
    lp = real_pair
    first = [stable_image(lp, i) for i in (0, 1)]
    orbit_drag(lp, 0, 60)
    dragged = [stable_image(lp, i) for i in (0, 1)]
    for k in (0, 1):
        assert picture_difference(dragged[k], first[k])[1] > 0.02, f"canvas {k}: the 60 px drag did not turn the view"
    titles = side_titles(lp, 1)
    handle = lp.page.locator(".widget-slider:has(.widget-label:text-is('stride')) .noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    handle.press("ArrowRight")
    after_titles = wait_titles(lp, 1, titles)
    assert after_titles != titles, "the stride step did not reach the views"
    for k in (0, 1):
        img = stable_image(lp, k)
        lp.canvas_image(k, ARTIFACTS / f"real_pair_{k}_stride_after_drag.png")
        kept, back = overlap(silhouette(img), silhouette(dragged[k])), overlap(silhouette(img), silhouette(first[k]))
        print(f"canvas {k}: silhouette overlap with the dragged view {kept:.2f}, with the first picture {back:.2f}")
        assert kept >= 0.7, f"canvas {k}: the stride step moved the view (overlap {kept:.2f} with the view before)"
        assert kept > back, f"canvas {k}: the stride step went back to the first picture"
    lp.page.locator(".jp-Notebook .jp-CodeCell").nth(1).locator("button:has-text('reset view')").first.click()
    time.sleep(1.5)


def test_compare_every_shared_control_keeps_both_sides(real_pair):
    """Must hold: the shared near–far slider's low end at 40 % of its travel leaves each side
    >= 15 % of its points.  And each shared control moved once leaves both sides drawing, each
    on its own model; the shared projection menu shows the split and gives it back."""
    lp = real_pair
    page = lp.page
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(1)
    out = cell.locator(".jp-OutputArea-output").first
    out.screenshot(path=str(ARTIFACTS / "real_pair_before.png"))
    titles = side_titles(lp, 1)
    assert len(titles) == 2 and all(drawn_share(t) > 0.9 for t in titles), titles
    slider = cell.locator(".widget-hslider:has(.widget-label:text-matches('^near–far'))").first
    handle, track = slider.locator(".noUi-handle").first, slider.locator(".noUi-target").first
    handle.scroll_into_view_if_needed()
    hb, tb = handle.bounding_box(), track.bounding_box()
    page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
    page.mouse.down()
    page.mouse.move(tb["x"] + 0.4 * tb["width"], hb["y"] + hb["height"] / 2, steps=10)
    page.mouse.up()
    titles = wait_titles(lp, 1, titles)
    shares = [drawn_share(t) for t in titles]
    print("near–far low end at 40 %: drawn shares", [f"{s:.1%}" for s in shares])
    assert all(s >= 0.15 for s in shares), f"a side was (nearly) emptied by the shared near–far slider: {titles}"
    for k in (0, 1):
        assert non_background_fraction(stable_image(lp, k)) > 0.05, f"canvas {k} is empty after near–far"
    out.screenshot(path=str(ARTIFACTS / "real_pair_after_near_far.png"))
    # back to the whole range (the low handle to the start of its track), as the student would
    before = side_titles(lp, 1)
    hb = handle.bounding_box()
    page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
    page.mouse.down()
    page.mouse.move(tb["x"] - 10, hb["y"] + hb["height"] / 2, steps=10)
    page.mouse.up()
    assert all(drawn_share(t) > 0.9 for t in wait_titles(lp, 1, before))

    def keyed(label: str, key: str = "ArrowRight") -> None:
        h = cell.locator(f".widget-slider:has(.widget-label:text-is('{label}')) .noUi-handle").first
        h.scroll_into_view_if_needed()
        h.focus()
        h.press(key)

    def chose(label: str, option: str) -> None:
        cell.locator(f".widget-dropdown:has(label:text-is('{label}')) select").first.select_option(label=option)

    moves = [("depth scale", lambda: keyed("depth scale")), ("stride", lambda: keyed("stride")),
             ("point size ×", lambda: keyed("point size ×")),
             ("colour", lambda: chose("colour", "depth colormap")),
             ("matte mask", lambda: chose("matte mask", "portrait")),
             ("projection", lambda: chose("projection", "orthographic (teaching: pixel grid pushed back)"))]
    for name, move in moves:
        before = side_titles(lp, 1)
        move()
        after = wait_titles(lp, 1, before)
        for k in (0, 1):
            frac = non_background_fraction(stable_image(lp, k))
            assert frac > 0.02, f"after moving {name}, canvas {k} is (nearly) empty ({frac:.3f})"
        want = "orthographic" if name == "projection" else "pinhole"
        assert [title_model(t) for t in after] == [want, want], f"after {name}: {after}"
        assert all("nothing drawn" not in t for t in after), f"after {name}: {after}"
    out.screenshot(path=str(ARTIFACTS / "real_pair_after_controls.png"))
    assert not lp.page_errors, f"uncaught JavaScript errors: {lp.page_errors[:5]}"


@pytest.fixture(scope="module")
def split_pair(browser, lab):
    """JupyterLab with ``compare(rear, front, models=("pinhole", "orthographic"))`` of the real
    pug and the real front sample: two sides that start on different models."""
    yield from _real_pair_page(browser, lab, "split_pair.ipynb",
                               "depthlab.compare(rear, front, models=('pinhole', 'orthographic'))")


def test_compare_split_menus_round_trip_keeps_each_side_its_model(split_pair):
    """Issue 30 item 7, as the student does it: on a comparison whose sides differ ("left pinhole
    | right orthographic" in the shared projection menu), move each shared control once and set it
    back.  After every move both views still draw and each side keeps its own model; after every
    return the sides are as they were (titles, menu); choosing one model for both and then the
    split entry again gives each side its own model back."""
    from depthlab.settings import MODEL_LABELS

    lp = split_pair
    page = lp.page
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(1)
    projection = cell.locator(".widget-dropdown:has(label:text-is('projection')) select").first
    split = "left pinhole | right orthographic"

    def shown(select) -> str:   # ipywidgets writes the options' spaces as no-break spaces
        return select.evaluate("s => s.options[s.selectedIndex].text").replace("\xa0", " ")

    def options(select) -> list[str]:
        return [t.replace("\xa0", " ") for t in select.evaluate("s => [...s.options].map(o => o.text)")]

    def settle() -> list[str]:
        time.sleep(0.6)   # the throttle's trailing update
        lp.wait_kernel_idle(timeout=120)
        for k in (0, 1):
            stable_image(lp, k)
        return side_titles(lp, 1)

    def check_drawn(what: str) -> list[str]:
        titles = settle()
        for k in (0, 1):
            frac = non_background_fraction(lp.canvas_image(k))
            assert frac > 0.02, f"{what}: canvas {k} is (nearly) empty ({frac:.3f})"
        assert all("nothing drawn" not in t for t in titles), f"{what}: {titles}"
        return titles

    first = check_drawn("first picture")
    assert [title_model(t) for t in first] == ["pinhole", "orthographic"], first
    assert shown(projection) == split

    def keyed(label: str, key: str) -> None:
        h = cell.locator(f".widget-slider:has(.widget-label:text-is('{label}')) .noUi-handle").first
        h.scroll_into_view_if_needed()
        h.focus()
        h.press(key)

    def chose(label: str, option: str) -> None:
        select = cell.locator(f".widget-dropdown:has(label:text-is('{label}')) select").first
        select.select_option(index=options(select).index(option))

    def toggled(label: str, button: str) -> None:
        cell.locator(f".widget-toggle-buttons:has(.widget-label:text-is('{label}')) button:text-is('{button}')").first.click()

    def ticked(text: str) -> None:
        cell.locator(f".widget-checkbox:has-text('{text}') input").first.click()

    def near_to(fraction: float) -> None:
        slider = cell.locator(".widget-hslider:has(.widget-label:text-matches('^near–far'))").first
        handle, track = slider.locator(".noUi-handle").first, slider.locator(".noUi-target").first
        handle.scroll_into_view_if_needed()
        hb, tb = handle.bounding_box(), track.bounding_box()
        page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
        page.mouse.down()
        page.mouse.move(tb["x"] + fraction * tb["width"] - (10 if fraction == 0 else 0), hb["y"] + hb["height"] / 2,
                        steps=10)
        page.mouse.up()

    # (control, move once, set back)
    rounds = [
        ("depth scale", lambda: keyed("depth scale", "ArrowRight"), lambda: keyed("depth scale", "ArrowLeft")),
        ("aspect (flat)", lambda: keyed("aspect (flat)", "ArrowRight"), lambda: keyed("aspect (flat)", "ArrowLeft")),
        ("near–far", lambda: near_to(0.4), lambda: near_to(0.0)),
        ("stride", lambda: keyed("stride", "ArrowRight"), lambda: keyed("stride", "ArrowLeft")),
        ("point size ×", lambda: keyed("point size ×", "ArrowRight"), lambda: keyed("point size ×", "ArrowLeft")),
        ("colour", lambda: chose("colour", "depth colormap"), lambda: chose("colour", "photo colours")),
        ("edge points", lambda: toggled("edge points", "show"), lambda: toggled("edge points", "hide")),
        ("fill behind edges", lambda: ticked("fill behind edges"), lambda: ticked("fill behind edges")),
        ("matte mask", lambda: chose("matte mask", "portrait"), lambda: chose("matte mask", "none")),
        ("refined depth", lambda: ticked("refined depth"), lambda: ticked("refined depth")),
        ("draw as", lambda: toggled("draw as", "surface"), lambda: toggled("draw as", "points")),
    ]
    for name, move, back in rounds:
        move()
        moved = check_drawn(f"after moving {name}")
        assert [title_model(t) for t in moved] == ["pinhole", "orthographic"], f"after moving {name}: {moved}"
        assert shown(projection) == split, f"after moving {name} the projection menu shows {shown(projection)!r}"
        back()
        again = check_drawn(f"after setting {name} back")
        note = cell.locator(".widget-html:has-text('near–far: left')").first.inner_text()
        readout = cell.locator(".widget-hslider:has(.widget-label:text-matches('^near–far')) .widget-readout").first
        assert again == first, (f"{name} set back: the sides are not as they were:\n{again}\nvs\n{first}\n"
                                f"{note}; near–far reads {readout.inner_text()!r}")
        assert shown(projection) == split
    cell.locator(".jp-OutputArea-output").first.screenshot(path=str(ARTIFACTS / "split_pair_after_round_trips.png"))

    # the projection menu itself: one model for both, then the split entry gives each its own back
    chose("projection", MODEL_LABELS["pinhole"])
    both = check_drawn("both sides pinhole")
    assert [title_model(t) for t in both] == ["pinhole", "pinhole"], both
    assert shown(projection) == MODEL_LABELS["pinhole"]
    assert split in options(projection), "the split entry left the menu"
    chose("projection", split)
    again = check_drawn("the split chosen again")
    assert [title_model(t) for t in again] == ["pinhole", "orthographic"], again
    assert shown(projection) == split
    assert not lp.page_errors, f"uncaught JavaScript errors: {lp.page_errors[:5]}"
