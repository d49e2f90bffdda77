"""The live refocus control in JupyterLab (headless Chromium): it shows the photo refocused, and
dragging the aperture slider changes the picture the way the lens says (f/16 sharper than f/1.4).

Uses the browser and JupyterLab fixtures of tests/live/test_browser.py (skips like those tests where
Chromium or playwright is missing; DEPTHLAB_REQUIRE_BROWSER=1 makes that a failure).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from browser_support import LabPage, image_from_png
from test_browser import ARTIFACTS, browser, lab  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

CODE = """import depthlab
cap = depthlab.open("../data/sample/rear_dual.heic")
view = depthlab.refocus_view(cap, width=768, f_number=1.4)
view"""


def detail(img: np.ndarray) -> float:
    y = img[..., :3].astype(np.float64).mean(axis=2)
    return float((np.diff(y, axis=0) ** 2).mean() + (np.diff(y, axis=1) ** 2).mean())


def test_refocus_view_shows_the_photo_and_the_aperture_slider_changes_it(browser, lab):  # noqa: F811
    notebook = lab.write_notebook("refocus_live.ipynb", [CODE])
    lp = LabPage(browser, lab)
    try:
        lp.open_notebook(notebook)
        lp.run_all(timeout=180, artifacts=ARTIFACTS)
        out = lp.page.locator(".jp-OutputArea-output:has(.widget-label:text-is('aperture'))").first
        out.wait_for(timeout=60_000)
        picture = out.locator("img").first
        picture.wait_for(timeout=60_000)
        picture.scroll_into_view_if_needed()
        time.sleep(1.0)
        before = image_from_png(picture.screenshot())
        assert before.shape[1] >= 300 and before[..., :3].std() > 20, "the refocused photo is shown"
        assert not lp.error_outputs() and not lp.page_errors

        slider = out.locator(".widget-hslider:has(.widget-label:text-is('aperture'))").first
        handle = slider.locator(".noUi-handle").first
        track = slider.locator(".noUi-target").first
        hb, tb = handle.bounding_box(), track.bounding_box()
        page = lp.page
        page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
        page.mouse.down()
        page.mouse.move(tb["x"] + tb["width"] + 20, hb["y"] + hb["height"] / 2, steps=10)  # to f/16
        page.mouse.up()
        after, deadline = before, time.monotonic() + 30
        while time.monotonic() < deadline:
            after = image_from_png(picture.screenshot())
            if after.shape == before.shape and np.abs(after.astype(int) - before.astype(int)).mean() > 1.0:
                time.sleep(1.0)  # the trailing (throttled) update: the last value
                after = image_from_png(picture.screenshot())
                break
            time.sleep(0.3)
        lp.page.screenshot(path=str(ARTIFACTS / "refocus_live_page.png"), full_page=True)
        assert after.shape == before.shape
        assert np.abs(after.astype(int) - before.astype(int)).mean() > 1.0, "dragging the aperture changed the picture"
        assert detail(after) > 1.3 * detail(before), "f/16 keeps more detail than f/1.4"
        assert "f/16" in out.inner_text()
        assert not lp.error_outputs() and not lp.page_errors
    finally:
        lp.close()
        lab.shutdown_kernels()
