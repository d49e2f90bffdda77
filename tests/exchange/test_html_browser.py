"""The exported page in headless Chromium, with every request but the page itself blocked.

Checks what a reader sees: points drawn (not a blank canvas), dragging (mouse and touch),
zooming and the reset button work, two clouds share one camera, no console errors, and the
page asks for nothing from the network -- from ``file://`` and when served over http.

Runs Debian's /usr/bin/chromium through playwright's Python client with software WebGL
(SwiftShader); never downloads a browser.
"""

from __future__ import annotations

import functools
import http.server
import io
import os
import threading
from pathlib import Path

import numpy as np
import pytest

import depthlab
from browser_support import (DRAW_PROBE_JS, assert_subject_held, enclosed_holes, gaps_inside_outline, live_captures, picture_difference,
                             subject_in_view)
from test_html import make_cloud

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
]
BACKGROUND = (0x15, 0x17, 0x1C)  # depthlab.exchange.html.DEFAULT_BACKGROUND
VIEWPORT = {"width": 800, "height": 600}

pytestmark = pytest.mark.browser

#: CI sets DEPTHLAB_REQUIRE_BROWSER=1: a missing browser is then a failure, not a skip
REQUIRE = os.environ.get("DEPTHLAB_REQUIRE_BROWSER") == "1"


def unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"{reason} (DEPTHLAB_REQUIRE_BROWSER=1 makes this a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright():
    if not CHROMIUM.is_file():
        unavailable(f"browser test needs Chromium at {CHROMIUM} (Debian package 'chromium'); not found")
    try:
        from playwright import sync_api
    except ImportError:
        unavailable("the playwright Python client is not installed (pip install playwright; no browser download needed)")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
    yield b
    b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("html")
    one = depthlab.to_html(make_cloud(288, 384), folder / "one.html")
    front = make_cloud(144, 192, scale=0.5, camera="front TrueDepth", accuracy="absolute")
    two = depthlab.to_html([make_cloud(288, 384), front], folder / "two.html")
    caps = live_captures()
    person = depthlab.to_html(caps["person"], folder / "person.html")
    pair = depthlab.to_html([caps["person"], caps["pet"]], folder / "pair.html")
    return {"one": one, "two": two, "person": person, "pair": pair}


@pytest.fixture(scope="module")
def server(pages):
    """The same folder served on 127.0.0.1 (an ephemeral port), to check the served case."""
    folder = pages["one"].parent
    handler = functools.partial(QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


class Session:
    """One page opened with all other requests aborted; records console output and blocked URLs."""

    def __init__(self, browser, url: str, ready: str = "html[data-depthlab-ready]", init_script: str | None = None,
                 **context_kw):
        context_kw.setdefault("viewport", VIEWPORT)
        self.context = browser.new_context(**context_kw)
        self.page = self.context.new_page()
        if init_script:
            self.page.add_init_script(init_script)
        self.url = url
        self.console: list[tuple[str, str]] = []
        self.blocked: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.console.append(("pageerror", str(e))))
        self.page.route("**/*", self._route)
        self.page.goto(url)
        self.page.wait_for_selector(ready, state="attached", timeout=60_000)

    def _route(self, route):
        if route.request.url == self.url:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def picture(self) -> np.ndarray:
        """The page as shown, (H, W, 3) uint8, after the next frames are drawn."""
        from PIL import Image

        self.page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        png = self.page.screenshot()
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))

    def errors(self) -> list[tuple[str, str]]:
        return [m for m in self.console if m[0] in ("error", "pageerror")]

    def close(self):
        self.context.close()


def drawn_fraction(img: np.ndarray, box=None) -> float:
    """Share of pixels clearly different from the background in the centre of ``box`` (x0, y0, x1, y1)."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = box or (0, 0, w, h)
    # the middle of the view, away from the control panel and the captions
    cx0, cx1 = x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4
    cy0, cy1 = y0 + (y1 - y0) // 4, y1 - (y1 - y0) // 4
    region = img[cy0:cy1, cx0:cx1].astype(int)
    return float((np.abs(region - np.array(BACKGROUND)).max(axis=-1) > 40).mean())


def changed_fraction(a: np.ndarray, b: np.ndarray) -> float:
    return float((np.abs(a.astype(int) - b.astype(int)).max(axis=-1) > 40).mean())


def drag(page, start, end, steps=8):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


@pytest.mark.parametrize("where", ["file", "served"])
def test_page_draws_points_and_drag_zoom_reset_work(browser, pages, server, where):
    url = pages["one"].as_uri() if where == "file" else f"{server}/one.html"
    s = Session(browser, url)
    try:
        first = s.picture()
        # the camera starts at the phone: the ball and wall fill most of the middle of the view
        assert drawn_fraction(first) > 0.9
        assert s.page.evaluate("window.depthlabViewer.firstPictureMs") > 0

        drag(s.page, (400, 300), (520, 340))
        turned = s.picture()
        assert changed_fraction(first, turned) > 0.3
        # the ball (the subject, in the middle) is still what fills the middle of the view
        assert drawn_fraction(turned) > 0.5

        s.page.mouse.move(400, 300)
        s.page.mouse.wheel(0, 600)  # away from the subject
        zoomed = s.picture()
        assert changed_fraction(turned, zoomed) > 0.1

        s.page.get_by_role("button", name="Reset view").click()
        assert changed_fraction(first, s.picture()) < 0.002  # back to the phone's view

        assert s.errors() == []
        # the page asked for nothing (the browser's own /favicon.ico probe when served is not the page's)
        assert [u for u in s.blocked if not u.endswith("/favicon.ico")] == []
    finally:
        s.close()


def test_base64_fallback_draws_the_same_picture(browser, pages):
    """Browsers without Uint8Array.fromBase64 decode with atob: the same points, the same picture."""
    s = Session(browser, pages["one"].as_uri())
    native = s.page.evaluate("typeof Uint8Array.fromBase64 === 'function'")
    first = s.picture()
    s.close()
    s = Session(browser, pages["one"].as_uri(), init_script="delete Uint8Array.fromBase64;")
    try:
        assert s.page.evaluate("typeof Uint8Array.fromBase64") == "undefined"
        assert changed_fraction(first, s.picture()) < 0.002, f"native fromBase64 was {native}"
        assert s.errors() == []
    finally:
        s.close()


def test_point_size_and_background_controls(browser, pages):
    s = Session(browser, pages["one"].as_uri())
    try:
        s.page.get_by_role("button", name="Reset view").click()
        # turn away so gaps between points show, then make the points larger: more is covered
        drag(s.page, (400, 300), (560, 300))
        before = s.picture()
        s.page.get_by_label("point size").fill("2")
        after = s.picture()
        assert drawn_fraction(after) > drawn_fraction(before) + 0.02
        s.page.get_by_label("background colour").fill("#ffffff")
        white = s.picture()
        assert (white[5, s.page.viewport_size["width"] - 5] == 255).all()  # a corner far from the points
        assert s.errors() == []
    finally:
        s.close()


def test_touch_drag_and_pinch(browser, pages):
    s = Session(browser, pages["one"].as_uri(), has_touch=True)
    try:
        cdp = s.context.new_cdp_session(s.page)

        def touch(kind, points):
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i}
                                                                                 for i, (x, y) in enumerate(points)]})

        first = s.picture()
        touch("touchStart", [(400, 300)])
        for k in range(1, 9):
            touch("touchMove", [(400 + 12 * k, 300)])
        touch("touchEnd", [])
        turned = s.picture()
        assert changed_fraction(first, turned) > 0.3

        s.page.get_by_role("button", name="Reset view").click()
        reset = s.picture()
        touch("touchStart", [(350, 300), (450, 300)])
        for k in range(1, 9):
            touch("touchMove", [(350 - 10 * k, 300), (450 + 10 * k, 300)])  # spread: zoom in
        touch("touchEnd", [])
        pinched = s.picture()
        assert changed_fraction(reset, pinched) > 0.1
        assert s.errors() == []
    finally:
        s.close()


def test_two_clouds_side_by_side_share_the_camera(browser, pages):
    s = Session(browser, pages["two"].as_uri())
    try:
        first = s.picture()
        w, h = VIEWPORT["width"], VIEWPORT["height"]
        left, right = (0, 0, w // 2, h), (w // 2, 0, w, h)
        assert drawn_fraction(first, left) > 0.5 and drawn_fraction(first, right) > 0.5
        drag(s.page, (200, 300), (300, 330))  # drag in the left view only
        after = s.picture()
        assert changed_fraction(first[:, w // 2:], after[:, w // 2:]) > 0.2  # the right view turned too
        assert changed_fraction(first[:, :w // 2], after[:, :w // 2]) > 0.2  # and the left one
        # each view still shows its own ball in its middle
        assert drawn_fraction(after, left) > 0.4 and drawn_fraction(after, right) > 0.4
        captions = s.page.locator(".dl-caption").all_inner_texts()
        assert len(captions) == 2 and "front TrueDepth" in captions[1] and "rear dual" in captions[0]
        assert s.errors() == [] and s.blocked == []
    finally:
        s.close()


def test_two_clouds_stack_in_a_tall_window(browser, pages):
    s = Session(browser, pages["two"].as_uri(), viewport={"width": 400, "height": 800})
    try:
        img = s.picture()
        assert drawn_fraction(img, (0, 0, 400, 400)) > 0.3 and drawn_fraction(img, (0, 400, 400, 800)) > 0.3
        assert s.errors() == []
    finally:
        s.close()


def test_without_webgl_the_page_says_so(playwright, pages):
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS + ["--disable-webgl"])
    try:
        s = Session(b, pages["one"].as_uri(), ready="html[data-depthlab-error]")
        assert "could not start WebGL" in s.page.locator(".dl-message").inner_text()
        assert s.blocked == []
        s.close()
    finally:
        b.close()


HIDE_OVERLAYS = ".dl-panel, .dl-caption { visibility: hidden; }"


@pytest.mark.parametrize("name", ["person", "pair"])
def test_page_orbits_each_subject_without_gaps_and_resets(browser, pages, name):
    """The shared page as a person uses it (issue 14), on generated captures with valid depth
    everywhere and a magenta subject: no see-through gaps in the first picture; a 40 px drag keeps
    the subject in the middle half; a further 150 px leaves it in view; in the two-cloud page both
    views (each orbits its own subject); "R" returns to the first picture; no console error."""
    s = Session(browser, pages[name].as_uri())
    try:
        s.page.add_style_tag(content=HIDE_OVERLAYS)  # measure the 3D view, not the panel over it
        w, h = VIEWPORT["width"], VIEWPORT["height"]
        rects = [(0, w)] if name == "person" else [(0, w // 2), (w // 2, w)]
        first = s.picture()
        counts = []
        for k, (x0, x1) in enumerate(rects):
            view = first[:, x0:x1]
            n, _ = subject_in_view(view)
            assert n > 0.02 * view.shape[0] * view.shape[1], f"view {k}: no subject in the first picture"
            gaps = gaps_inside_outline(view)
            assert gaps <= 0.05, f"view {k}: {gaps:.1%} of the cloud's outline shows background (gaps)"
            counts.append(n)
        cx = (rects[0][0] + rects[0][1]) // 2
        drag(s.page, (cx, h // 2), (cx + 40, h // 2), steps=4)
        turned = s.picture()
        for k, (x0, x1) in enumerate(rects):
            assert picture_difference(turned[:, x0:x1], first[:, x0:x1])[1] > 0.01, f"view {k} did not turn"
            assert_subject_held(turned[:, x0:x1], counts[k], f"page view {k} after a 40 px drag")
        drag(s.page, (cx, h // 2), (cx + 150, h // 2), steps=10)
        further = s.picture()
        for k, (x0, x1) in enumerate(rects):
            assert_subject_held(further[:, x0:x1], counts[k], f"page view {k} after a further 150 px",
                                centred=False, keep=0.2)
        s.page.keyboard.press("r")
        mean, changed = picture_difference(s.picture(), first)
        assert mean < 1.0 and changed < 0.002, f"reset: mean change {mean:.2f}, {changed:.2%} of pixels changed"
        assert s.errors() == []
    finally:
        s.close()


def test_fill_behind_edges_closes_the_hole_a_turn_opens(browser, pages):
    """The page of a capture draws the invented background behind its edges (on by default):
    turned 20 degrees, the person's page shows no enclosed hole beside the subject; unticking
    "Fill behind edges" shows the hole the phone never saw."""
    s = Session(browser, pages["person"].as_uri())
    try:
        s.page.add_style_tag(content=HIDE_OVERLAYS)
        w, h = VIEWPORT["width"], VIEWPORT["height"]
        drag(s.page, (w // 2, h // 2), (w // 2 + 70, h // 2), steps=7)   # about 20 degrees
        page_colours = (BACKGROUND, (0x8A, 0x8A, 0x8A), (0x4A, 0x4A, 0x4A))   # background, grid lines
        filled = enclosed_holes(s.picture(), backgrounds=page_colours)
        s.page.evaluate("() => document.querySelector('input[aria-label=\"fill behind edges\"]').click()")
        bare = enclosed_holes(s.picture(), backgrounds=page_colours)
        assert filled < 0.005, f"{filled:.2%} of the outline is a hole with the filled layer"
        assert bare > filled + 0.01, f"without the filled layer: {bare:.2%} (with it {filled:.2%})"
        assert s.errors() == []
    finally:
        s.close()


def points_drawn(s: Session) -> int:
    """Points the page draws in one frame: the element counts of its WebGL draw calls in points
    mode (the draw probe), over one render asked for after the frames already pending."""
    return s.page.evaluate("""() => new Promise(done => requestAnimationFrame(() => {
        window.__draws = [];
        window.depthlabViewer.requestRender();
        requestAnimationFrame(() => requestAnimationFrame(() =>
            done(window.__draws.filter(d => d.mode === 0).reduce((sum, d) => sum + d.count, 0))));
    }))""")


@pytest.mark.parametrize("name", ["person", "pair"])
def test_edge_points_are_hidden_by_default_and_shown_on_request(browser, pages, name):
    """Like the notebook views, the page of a capture first draws it without its edge points
    (PointCloud.edge: a neighbour jumps in depth), which it holds all the same: "Edge points: show
    (N)" draws every one of them and unticking hides them again; the orbit turns each subject
    and "R" returns to the first picture with the edge points shown or hidden; no console error."""
    caps = live_captures()
    flagged = [int(depthlab.project(caps[k]).edge.sum()) for k in (["person"] if name == "person" else ["person", "pet"])]
    s = Session(browser, pages[name].as_uri(), init_script=DRAW_PROBE_JS)
    try:
        clouds = s.page.evaluate("() => window.depthlabViewer.config.clouds.map(c => [c.count, c.edges.count])")
        assert [e for _, e in clouds] == flagged and all(e > 0 for e in flagged)   # project()'s own flags
        total, edges = sum(n for n, _ in clouds), sum(flagged)
        box = s.page.get_by_label("edge points")
        assert not box.is_checked()
        assert s.page.locator("label", has=box).inner_text().strip() == f"Edge points: show ({edges:,})"
        assert points_drawn(s) == total - edges, "edge points are drawn by default"
        s.page.add_style_tag(content=HIDE_OVERLAYS)
        hidden = s.picture()
        box.evaluate("b => b.click()")   # the panel is hidden for the pictures
        assert box.is_checked() and points_drawn(s) == total
        shown = s.picture()
        assert picture_difference(shown, hidden)[1] > 0.0005, "showing the edge points changed nothing on screen"

        w, h = VIEWPORT["width"], VIEWPORT["height"]
        rects = [(0, w)] if name == "person" else [(0, w // 2), (w // 2, w)]
        counts = [subject_in_view(shown[:, x0:x1])[0] for x0, x1 in rects]
        cx = (rects[0][0] + rects[0][1]) // 2
        drag(s.page, (cx, h // 2), (cx + 40, h // 2), steps=4)
        turned = s.picture()
        for k, (x0, x1) in enumerate(rects):
            assert picture_difference(turned[:, x0:x1], shown[:, x0:x1])[1] > 0.01, f"view {k} did not turn"
            assert_subject_held(turned[:, x0:x1], counts[k], f"page view {k}, edge points shown, after a 40 px drag")
        assert points_drawn(s) == total
        s.page.keyboard.press("r")
        mean, changed = picture_difference(s.picture(), shown)
        assert mean < 1.0 and changed < 0.002, f"reset: mean change {mean:.2f}, {changed:.2%} of pixels changed"

        box.evaluate("b => b.click()")
        assert not box.is_checked() and points_drawn(s) == total - edges
        mean, changed = picture_difference(s.picture(), hidden)
        assert mean < 1.0 and changed < 0.002, f"hidden again: mean change {mean:.2f}, {changed:.2%} of pixels changed"
        assert s.errors() == []
    finally:
        s.close()
