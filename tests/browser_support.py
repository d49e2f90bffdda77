"""Drive JupyterLab in Debian's headless Chromium (playwright's Python client, no browser download).

Used by tests/live/test_browser.py and benchmarks/bench_viewer.py.  Nothing here is imported by the
package.

* :func:`chromium_path` finds ``/usr/bin/chromium`` (or ``DEPTHLAB_CHROMIUM``); never
  ``playwright install``.
* :class:`Lab` starts JupyterLab on 127.0.0.1 on a free port with a random token, in a root folder
  of our choosing, with its own settings/workspaces folders (so a user's settings never leak in),
  the news/update checks off and notebook windowing off (every cell stays in the DOM).
* :class:`LabPage` opens a notebook, runs all cells, and reads what a person would see: output
  text, error outputs, canvases as numpy images, a probe of WebGL draw calls.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    "--ignore-gpu-blocklist", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
    "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
]

#: text that means a widget failed to render (pythreejs/ipywidgets version mismatch, JS errors)
WIDGET_ERROR_TEXT = ("Error displaying widget", "can not be instantiated", "Failed to load model class",
                     "Error rendering", "Model not found")

# records every WebGL draw call's time, mode (0: points) and element count, so a probe can see when a
# frame with new data was drawn and how many points it drew
DRAW_PROBE_JS = """
(() => {
  window.__draws = [];
  for (const proto of [WebGLRenderingContext.prototype,
                       (window.WebGL2RenderingContext || WebGLRenderingContext).prototype]) {
    for (const name of ['drawElements', 'drawArrays']) {
      const orig = proto[name];
      if (orig.__probed) continue;
      const wrapped = function(...args) {
        const r = orig.apply(this, args);
        window.__draws.push({t: performance.now(), name, mode: args[0], count: args[name === 'drawElements' ? 1 : 2]});
        if (window.__draws.length > 5000) window.__draws.splice(0, 2500);
        return r;
      };
      wrapped.__probed = true;
      proto[name] = wrapped;
    }
  }
})();
"""


def chromium_path() -> str | None:
    """Path of a Chromium binary to drive, or None (``DEPTHLAB_CHROMIUM`` overrides)."""
    env = os.environ.get("DEPTHLAB_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for cand in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if Path(cand).is_file():
            return cand
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: the config file of the README's explore command (`jupyter lab --config=jupyter_lab_config.py`)
LAB_CONFIG = Path(__file__).resolve().parents[1] / "jupyter_lab_config.py"


class Lab:
    """A JupyterLab server for one test session; use as a context manager."""

    def __init__(self, root_dir: Path, log_path: Path | None = None, timeout: float = 60.0):
        self.root_dir = Path(root_dir)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.timeout = timeout
        self._tmp = Path(tempfile.mkdtemp(prefix="depthlab-lab-"))
        self.log_path = log_path or self._tmp / "jupyterlab.log"
        self.proc: subprocess.Popen | None = None

    def _env(self) -> dict[str, str]:
        settings = self._tmp / "settings"
        (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
        # every cell stays in the DOM: outputs below the fold are rendered and can be checked;
        # the notebook's own kernel starts without the "Select Kernel" dialog (under load the
        # kernelspecs can arrive after the notebook opens, and the dialog then stayed up in CI)
        (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
            json.dumps({"windowingMode": "none", "autoStartDefaultKernel": True}))
        (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
        (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False}))
        (self._tmp / "config").mkdir(parents=True)
        env = dict(os.environ)
        env.update({
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(self._tmp / "workspaces"),
            "JUPYTER_CONFIG_DIR": str(self._tmp / "config"),
            "JUPYTER_RUNTIME_DIR": str(self._tmp / "runtime"),
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def start(self) -> "Lab":
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root_dir}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly", "--ServerApp.allow_root=True",
            # the README's explore command's own config (no "Build Recommended" modal), so the
            # browser tests see what a user of that command sees
            f"--config={LAB_CONFIG}",
        ]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=self._env(),
                                     cwd=self.root_dir, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}; log: {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {self.timeout} s; log: {self.log_path}")

    def api(self, path: str, method: str = "GET", data: Any = None) -> Any:
        headers = {"Authorization": f"token {self.token}"}
        body_out = None
        if data is not None:
            body_out = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(f"{self.url}{path}", method=method, headers=headers, data=body_out)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def write_notebook(self, name: str, sources: list[str]) -> str:
        """A notebook of code cells ``sources`` (python3 kernel) written as ``notebooks/<name>``
        under the lab's root; its path relative to the root, for :meth:`LabPage.open_notebook`."""
        import nbformat

        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in sources])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, self.root_dir / "notebooks" / name)
        return f"notebooks/{name}"

    def shutdown_kernels(self) -> None:
        """End every session (and its kernel), then any kernel left: the next page starts clean.

        Deleting only a kernel leaves its session behind; reopening that notebook would then
        reconnect to a dead kernel and JupyterLab cancels its pending requests with errors."""
        for sess in self.api("/api/sessions"):
            try:
                self.api(f"/api/sessions/{sess['id']}", method="DELETE")
            except OSError:
                pass
        for k in self.api("/api/kernels"):
            try:
                self.api(f"/api/kernels/{k['id']}", method="DELETE")
            except OSError:
                pass

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "Lab":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def launch_browser(playwright: Any, executable: str) -> Any:
    return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)


def image_from_png(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def non_background_fraction(img: np.ndarray, tol: int = 12) -> float:
    """Fraction of pixels that differ from the most common colour (the background) by > tol."""
    flat = img.reshape(-1, 3).astype(np.int16)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    bg = colours[np.argmax(counts)]
    diff = np.abs(flat - bg).max(axis=1)
    return float((diff > tol).mean())


def jupyterlab_housekeeping(error: str) -> bool:
    """An uncaught error of JupyterLab's own kernel connection, not of the page's code: with
    ipykernel 7 (kernel subshells) JupyterLab asks the kernel for a subshell, and when that
    kernel's connection is disposed first (a notebook closed or its kernel shut down while the
    machine is busy) the pending request is rejected as "Canceled future for
    create_subshell_request message before replies were done".  Seen on busy machines only,
    with every view check passing; only this exact message is set aside."""
    return "Canceled future for create_subshell_request message" in error


class LabPage:
    """One browser page on a JupyterLab server, collecting uncaught JavaScript errors."""

    def __init__(self, browser: Any, lab: Lab, width: int = 1400, height: int = 1000):
        self.lab = lab
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.add_init_script(DRAW_PROBE_JS)
        self.page = self.context.new_page()
        self.page_errors: list[str] = []
        self.dialog_log: list[str] = []  # texts of modal dialogs met (for failure messages)
        self.console_errors: list[str] = []
        self.page.on("pageerror", lambda exc: None if jupyterlab_housekeeping(str(exc)) else self.page_errors.append(str(exc)))
        self.page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)

    def open_notebook(self, relpath: str, timeout: float = 90.0) -> None:
        # start the notebook's kernel on the server first: the page then joins that session
        # instead of choosing a kernel itself (under load the chooser dialog could race with the
        # kernelspecs and start, kill and restart kernels while "Run All" was being given)
        self.lab.api("/api/sessions", method="POST", data={
            "path": relpath, "type": "notebook", "name": Path(relpath).name, "kernel": {"name": "python3"}})
        self.page.goto(f"{self.lab.url}/lab/tree/{relpath}?token={self.lab.token}&reset", timeout=timeout * 1000)
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout * 1000)
        self.wait_kernel_idle(timeout)

    def wait_kernel_idle(self, timeout: float = 90.0) -> None:
        # the status bar's kernel indicator says idle (it appears once the kernel is connected)
        # and no cell shows the execution-in-progress prompt "[*]"
        self.page.wait_for_function(
            """() => {
                const busy = [...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')]
                    .some(e => e.textContent.includes('*'));
                const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
                return !busy && status !== null && status.getAttribute('data-status') === 'idle';
            }""", timeout=timeout * 1000)

    def _all_ran(self) -> bool:
        return self.page.evaluate(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
                return prompts.length > 0 && prompts.every(e => /\\[\\d+\\]/.test(e.textContent));
            }""")

    def _idle_with_cells_left(self) -> bool:
        return self.page.evaluate(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
                const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
                return status !== null && status.getAttribute('data-status') === 'idle'
                    && !prompts.some(e => e.textContent.includes('*'))
                    && prompts.some(e => !/\\[\\d+\\]/.test(e.textContent));
            }""")

    def _started(self) -> bool:
        return self.page.evaluate(
            """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
                      .some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))""")

    def run_all(self, timeout: float = 180.0, artifacts: Path | None = None) -> float:
        """Run every cell (Run > Run All Cells) and wait until all have run; returns seconds.

        If no cell has started 20 s after the click (the kernel was still connecting), the
        command is given again, up to three times.  On a timeout a screenshot is saved to
        ``artifacts`` when given.
        """
        page = self.page
        t0 = time.monotonic()
        deadline = t0 + timeout
        for _attempt in range(3):
            self.settle_dialogs(artifacts)
            page.keyboard.press("Escape")
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            started = time.monotonic()
            while time.monotonic() - started < 20 and not self._started():
                time.sleep(0.25)
            if self._started():
                break
        stalled_since: float | None = None
        reissued = 0
        while time.monotonic() < deadline:
            if self._all_ran():
                self.wait_kernel_idle(max(deadline - time.monotonic(), 1.0))
                return time.monotonic() - t0
            # a run that stopped half-way (kernel idle, no cell running, some never run) is
            # given the command again, twice at most
            if self._idle_with_cells_left():
                stalled_since = stalled_since or time.monotonic()
                if time.monotonic() - stalled_since > 20 and reissued < 2:
                    reissued += 1
                    stalled_since = None
                    self.settle_dialogs(artifacts)
                    page.keyboard.press("Escape")
                    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
                    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            else:
                stalled_since = None
            time.sleep(0.25)
        if artifacts is not None:
            page.screenshot(path=str(artifacts / "run_all_timeout.png"))
        raise TimeoutError(f"the notebook's cells did not all run within {timeout:.0f} s")

    def dialogs(self) -> list[str]:
        return self.page.eval_on_selector_all("dialog.jp-Dialog", "els => els.map(e => e.innerText)")

    def settle_dialogs(self, artifacts: Path | None = None, wait: float = 15.0) -> None:
        """Let a modal dialog go away by itself (e.g. a slow kernel start); accept the kernel
        chooser's default (the notebook's own python3); fail with the text of any other."""
        deadline = time.monotonic() + wait
        accepted_at: float | None = None
        while time.monotonic() < deadline:
            texts = self.dialogs()
            if not texts:
                return
            if texts[0] not in self.dialog_log:
                self.dialog_log.append(texts[0])
            if any("Select Kernel" in t for t in texts) and (
                    accepted_at is None or time.monotonic() - accepted_at > 5.0):
                # every accept that registers starts a kernel and closes the dialog, so click
                # again only when the dialog is still up 5 s later (the click was lost)
                self.page.locator("dialog.jp-Dialog .jp-mod-accept").first.click()
                accepted_at = time.monotonic()
            time.sleep(0.5)
        texts = self.dialogs()
        if texts:
            if artifacts is not None:
                self.page.screenshot(path=str(artifacts / "dialog.png"))
            raise AssertionError(f"JupyterLab shows a dialog: {texts}")

    def output_texts(self) -> list[str]:
        return self.page.eval_on_selector_all(".jp-Notebook .jp-OutputArea-output", "els => els.map(e => e.innerText)")

    def error_outputs(self) -> list[str]:
        """Text of tracebacks and widget error messages in the outputs."""
        out = []
        for text in self.output_texts():
            if "Traceback" in text or any(s in text for s in WIDGET_ERROR_TEXT):
                out.append(text[:2000])
        errs = self.page.eval_on_selector_all(
            ".jp-Notebook .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
            "els => els.map(e => e.innerText)")
        out += [e[:2000] for e in errs if "Error" in e]
        return out

    def canvases(self) -> Any:
        return self.page.locator(".jp-Notebook .jp-OutputArea canvas")

    def canvas_image(self, i: int, path: Path | None = None) -> np.ndarray:
        """The pixels of canvas ``i`` and nothing around it: a canvas that sits at a fractional
        CSS position (a title above it of 1.5 text lines) is clipped to its whole pixels, so the
        page behind it (whose colour changes with the cell's focus) never enters the picture."""
        import math

        c = self.canvases().nth(i)
        c.scroll_into_view_if_needed()
        b = c.bounding_box()
        x0, y0 = math.ceil(b["x"] - 1e-6), math.ceil(b["y"] - 1e-6)
        x1, y1 = math.floor(b["x"] + b["width"] + 1e-6), math.floor(b["y"] + b["height"] + 1e-6)
        png = self.page.screenshot(path=str(path) if path else None, animations="disabled",
                                   clip={"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0})
        return image_from_png(png)

    def draws_since(self, t: float) -> list[dict]:
        return self.page.evaluate("t => window.__draws.filter(d => d.t > t)", t)

    def now(self) -> float:
        return self.page.evaluate("performance.now()")

    def close(self) -> None:
        self.context.close()


# --------------------------------------------------------------------------------------------
# What a person sees in a 3D view: the subject, gaps, the first picture again
# --------------------------------------------------------------------------------------------

#: two generated captures whose depth is valid everywhere and whose subject is painted magenta
#: (nothing else in the picture is): a person-like ellipsoid 0.9 m away before a green wall at
#: 2-2.3 m, right of the image centre, and a pet-like one 1.6 m away before a wall at 3.5 m, left
#: of and below the centre.  Both have a portrait matte over the subject.  Python source, so a
#: notebook and a test process build the very same captures.
LIVE_CAPTURES_CODE = """
import numpy as np
from depthlab import Calibration, CameraInfo, Capture

def _live_capture(kind, subject_depth, wall_depth, cx, cy, rx, ry, h=288, w=384, f=330.0):
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    wall = wall_depth + 0.3 * u / w                      # a wall turned a little
    e = ((u - cx * w) / (rx * w)) ** 2 + ((v - cy * h) / (ry * h)) ** 2
    inside = e < 1
    bulge = subject_depth - 0.12 * np.sqrt(np.clip(1 - e, 0, 1))   # a rounded front
    z = np.where(inside, bulge, wall).astype(np.float32)
    cal = Calibration(intrinsic_matrix=[[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]], reference_size=(w, h))
    cap = Capture(disparity=1 / z, calibration=cal, accuracy="absolute", camera=CameraInfo(kind=kind),
                  mattes={"portrait": inside.astype(np.float32)})
    wall_rgb = np.stack([40 + 40 * (v / h), 140 + 80 * (u / w), 60 + 40 * (v / h)], -1)
    subject_rgb = np.stack([225 + 30 * (v / h), 0 * u, 225 + 30 * (u / w)], -1)
    cap.set_rgb(np.where(inside[..., None], subject_rgb, wall_rgb).clip(0, 255).astype(np.uint8))
    return cap

person = _live_capture("front TrueDepth", 0.9, 2.0, 0.56, 0.5, 0.16, 0.3)
pet = _live_capture("rear dual", 1.6, 3.5, 0.42, 0.58, 0.2, 0.22)
"""


def live_captures() -> dict:
    """``{"person": Capture, "pet": Capture}`` built by :data:`LIVE_CAPTURES_CODE`."""
    ns: dict = {}
    exec(LIVE_CAPTURES_CODE, ns)
    return {"person": ns["person"], "pet": ns["pet"]}


def subject_pixels(img: np.ndarray) -> np.ndarray:
    """bool (H, W): the magenta subject of :data:`LIVE_CAPTURES_CODE` (nothing else is magenta)."""
    a = img.astype(np.int16)
    return (a[..., 0] > 140) & (a[..., 2] > 140) & (a[..., 1] < 110)


def subject_in_view(img: np.ndarray) -> tuple[int, tuple[float, float] | None]:
    """(number of subject pixels, their centroid as a fraction of the image's width and height)."""
    m = subject_pixels(img)
    n = int(m.sum())
    if not n:
        return 0, None
    ys, xs = np.nonzero(m)
    return n, (float(xs.mean() / img.shape[1]), float(ys.mean() / img.shape[0]))


def gaps_inside_outline(img: np.ndarray) -> float:
    """Share of the pixels inside the cloud's outline that show no cloud (background or grid).

    Cloud pixels are the saturated ones (the generated captures are coloured; the background and
    the grid are grey).  The outline is, row by row, the span from the first to the last cloud
    pixel; every unsaturated pixel inside a span is a see-through gap.
    """
    a = img.astype(np.int16)
    cloud = (a.max(axis=-1) - a.min(axis=-1)) > 40
    rows = np.flatnonzero(cloud.any(axis=1))
    if not rows.size:
        return 1.0
    inside = gaps = 0
    for r in rows:
        cols = np.flatnonzero(cloud[r])
        span = cloud[r, cols[0]:cols[-1] + 1]
        inside += span.size
        gaps += int(span.size - span.sum())
    return gaps / inside


def picture_difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(mean absolute difference, share of pixels differing by more than 40 in a channel)."""
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return float(d.mean()), float((d.max(axis=-1) > 40).mean())


def assert_subject_held(img: np.ndarray, first_count: int, what: str, centred: bool = True,
                        keep: float = 0.5) -> None:
    """After a drag: the subject keeps ``keep`` of its first picture's pixels, and (``centred``)
    its centroid lies in the middle half of the canvas."""
    n, c = subject_in_view(img)
    assert n >= keep * first_count, (
        f"{what}: the subject lost its pixels ({n} of {first_count} left, needed {keep:.0%}): the orbit "
        f"turned it out of the canvas")
    if centred:
        assert c is not None and 0.25 <= c[0] <= 0.75 and 0.25 <= c[1] <= 0.75, (
            f"{what}: the subject is off the middle half of the canvas (centroid at {c})")


def stable_image(lp: LabPage, index: int, timeout: float = 10.0) -> np.ndarray:
    """The canvas once two screenshots 0.4 s apart agree (a drag or a reset has been drawn)."""
    deadline = time.monotonic() + timeout
    last = lp.canvas_image(index)
    while time.monotonic() < deadline:
        time.sleep(0.4)
        img = lp.canvas_image(index)
        if img.shape == last.shape and picture_difference(img, last)[0] < 0.05:
            return img
        last = img
    return last


def orbit_drag(lp: LabPage, index: int, dx: float, dy: float = 0.0, steps: int | None = None) -> None:
    """A mouse drag of ``dx`` (and ``dy``) CSS pixels from the middle of canvas ``index``, in
    ``steps`` moves (default one per 10 px, at least 4)."""
    c = lp.canvases().nth(index)
    c.scroll_into_view_if_needed()
    box = c.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    lp.page.mouse.move(x, y)
    lp.page.mouse.down()
    lp.page.mouse.move(x + dx, y + dy, steps=steps or max(4, int(abs(dx) // 10)))
    lp.page.mouse.up()


# --------------------------------------------------------------------------------------------
# Holes a turn opens: background enclosed by the drawn photo (issue 28)
# --------------------------------------------------------------------------------------------

#: the live view's background and its floor grid's two line colours (depthlab.live.viewer)
VIEW_BACKGROUNDS = ((0x1E, 0x1E, 0x24), (0x8A, 0x8A, 0x99), (0x4A, 0x4A, 0x55))
#: a hole counts when it is at least this many canvas pixels (smaller ones read as texture)
MIN_HOLE_PX = 30


def enclosed_holes(img: np.ndarray, min_px: int = MIN_HOLE_PX, tol: int = 3,
                   backgrounds: tuple[tuple[int, int, int], ...] = VIEW_BACKGROUNDS) -> float:
    """Share of the view's filled outline that is background enclosed by the drawn photo.

    Background pixels are those within ``tol`` (per channel) of the view's background or its
    grid lines; everything else is drawn photo.  The filled outline is the drawn photo with
    every enclosed region filled in (``scipy.ndimage.binary_fill_holes``); a hole is a connected
    region (8-neighbours) of background inside it of at least ``min_px`` pixels.  Returns hole
    pixels / outline pixels (0 when nothing is drawn).
    """
    from scipy import ndimage

    a = img[..., :3].astype(np.int16)
    bg = np.zeros(a.shape[:2], dtype=bool)
    for colour in backgrounds:
        bg |= (np.abs(a - np.array(colour, np.int16)).max(axis=-1) <= tol)
    drawn = ~bg
    filled = ndimage.binary_fill_holes(drawn)
    holes = filled & bg
    labels, n = ndimage.label(holes, structure=np.ones((3, 3), bool))
    if not n or not filled.any():
        return 0.0
    sizes = np.bincount(labels.ravel())
    big = sizes >= min_px
    big[0] = False
    return float(big[labels].sum() / filled.sum())


def holes_while_turning(lp: LabPage, canvases: list[int], drags: tuple[float, ...] = (40, 150),
                        artifacts: Path | None = None, name: str = "view") -> list[list[float]]:
    """:func:`enclosed_holes` of each canvas in the first picture and after each drag of the first
    canvas (CSS pixels, one after the other, as a person turns it): rows are moments (first
    picture, after ``drags[0]``, after ``drags[0] + drags[1]``...), columns the canvases.
    Screenshots go to ``artifacts`` when given."""
    rows = []
    for step, dx in enumerate((0, *drags)):
        if dx:
            orbit_drag(lp, canvases[0], dx)
        row = []
        for k, i in enumerate(canvases):
            img = stable_image(lp, i)
            if artifacts is not None:
                from PIL import Image

                Image.fromarray(img).save(artifacts / f"holes_{name}_{k}_step{step}.png")
            row.append(enclosed_holes(img))
        rows.append(row)
    return rows
