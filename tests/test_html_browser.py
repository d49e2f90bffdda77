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
import threading
from pathlib import Path

import numpy as np
import pytest

import depthlab
from test_html import make_cloud

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
]
BACKGROUND = (0x15, 0x17, 0x1C)  # depthlab.html.DEFAULT_BACKGROUND
VIEWPORT = {"width": 800, "height": 600}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def playwright():
    if not CHROMIUM.is_file():
        pytest.skip(f"browser test needs Chromium at {CHROMIUM} (Debian package 'chromium'); not found")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python client is not installed")
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
    return {"one": one, "two": two}


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
        assert drawn_fraction(turned) > 0.05  # still points on screen, not lost

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
