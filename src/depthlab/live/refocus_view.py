"""``depthlab.refocus_view(cap)``: move the focus and the f-number of a depth photo, live.

>>> import depthlab
>>> cap = depthlab.open("data/sample/front_truedepth.heic")
>>> view = depthlab.refocus_view(cap, width=320)   # in JupyterLab: the panel (built, not shown, here)
>>> view.set(focus=0.5, f_number=1.4).f_number.value   # the same as moving the sliders
1.4
>>> round(view.focus_at(160, 200), 2)              # focus on what preview pixel (x, y) shows
0.36

The panel shows a preview at screen size (``width`` pixels wide, 960 by default) above a focus
slider (metres; the capture's own units for relative-accuracy photos, and the panel says so),
an f-number slider in standard stops (35 mm-equivalent, as a phone's portrait slider), a
"focus on subject" button and a status line (focus, lens, render time).  The colour image,
its reduced copy and the prepared depth are made once (:class:`~depthlab.imaging._refocus.Refocuser`);
a step renders the layers at the working size, blends the detail back and sends a JPEG.
Slider drags are throttled like the 3D views' (the first change at once, the rest folded into
one trailing update).

Click-to-focus: ipywidgets' ``Image`` reports no clicks and the stack has no event widget
(ipyevents would add one as a new front-end extension), so a point is chosen from code with
:meth:`RefocusView.focus_at` instead.
"""

from __future__ import annotations

import io
import math
import time
from typing import Any

import numpy as np

from ..imaging._refocus import Refocuser
from ..checks import keyword_options, require_capture
from ..errors import DepthlabError, InvalidInputError

#: long side of the preview's working copy (see :class:`~depthlab.imaging._refocus.Refocuser`): at a
#: 960-pixel preview the layers are blurred at 320x240 and the detail of what is sharp is
#: blended back at 960x720 (side by side with 512 the previews look the same; a step is ~2x faster)
PREVIEW_WORK_SIDE = 320

#: f-numbers offered by the slider: the standard full stops, as a phone's portrait control
F_STOPS = (1.4, 2.0, 2.8, 4.0, 5.6, 8.0, 11.0, 16.0)
#: where the panel starts: the widest stop, the portrait look (none of the files depthlab reads
#: stores the aperture the phone's portrait slider was set to)
START_F_NUMBER = F_STOPS[0]


def jpeg_bytes(rgb: np.ndarray, quality: int = 88) -> bytes:
    """An RGB uint8 image as JPEG bytes (what the preview widget shows: ~10x faster to encode
    and send than PNG at screen size)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def preview_size(photo_size: tuple[int, int], width: int) -> tuple[int, int]:
    """(w, h) at most ``width`` wide (never larger than the photo), same aspect."""
    pw, ph = photo_size
    w = max(16, min(int(width), pw))
    return w, max(1, round(ph * w / pw))


def _nearest_stop(n: float) -> float:
    return min(F_STOPS, key=lambda s: abs(math.log(s / n)))


class RefocusView:
    """The live refocus panel; ``view.widget`` is the whole panel (also shown by displaying ``view``)."""

    @keyword_options(name="refocus_view")
    def __init__(self, cap: Any, *, width: int = 960, focus: float | None = None, f_number: float = START_F_NUMBER,
                 focal_length_35mm: float | None = None):
        import ipywidgets as W

        from .widgets import Throttle

        require_capture(cap, "refocus_view()")
        if not getattr(cap, "has_rgb", False):
            raise InvalidInputError("this capture has no colour image to refocus; open the original photo with depthlab.open")
        rgb_size = cap.rgb_size or (cap.rgb.shape[1], cap.rgb.shape[0])
        self.size = preview_size(rgb_size, width)
        self.refocuser = Refocuser(cap, size=self.size, focal_length_35mm=focal_length_35mm,
                                   work_max_side=PREVIEW_WORK_SIDE)
        self.cap = cap
        self.last = None  # the last RefocusedImage shown
        self.last_ms = math.nan

        subject = self.refocuser.subject().focus_m if focus is None else float(focus)
        d = self.refocuser.disparity
        near, far = 1.0 / float(d.max()), 1.0 / float(d.min())
        lo, hi = max(near * 0.8, 0.03), far * 1.5
        relative = cap.accuracy == "relative"
        unit = "capture units" if relative else "m"
        self.focus = W.FloatLogSlider(value=min(max(subject, lo), hi), base=10, min=math.log10(lo), max=math.log10(hi),
                                      step=0.002, description=f"focus ({unit})", readout_format=".3f",
                                      continuous_update=True, layout=W.Layout(width="60%"),
                                      style={"description_width": "150px"})
        self.f_number = W.SelectionSlider(options=[(f"f/{s:g}", s) for s in F_STOPS], value=_nearest_stop(float(f_number)),
                                          description="aperture", continuous_update=True,
                                          layout=W.Layout(width="60%"), style={"description_width": "150px"})
        self.subject_button = W.Button(description="focus on subject", icon="user",
                                       tooltip=self.refocuser.subject().source)
        self.status = W.HTML()
        self.image = W.Image(format="jpeg", layout=W.Layout(width=f"{self.size[0]}px", max_width="100%"))
        note = ("<i>relative-accuracy depth: distances are in the capture's own units (affine in the truth, not metres)</i>"
                if relative else "")
        self.note = W.HTML(note)
        self._throttle = Throttle(self._draw, on_error=self._show_error)
        self.focus.observe(lambda _: self._throttle(), names="value")
        self.f_number.observe(lambda _: self._throttle(), names="value")
        self.subject_button.on_click(lambda _: self.set(focus=self.refocuser.subject().focus_m))
        self.widget = W.VBox([self.image, self.focus, W.HBox([self.f_number, self.subject_button]), self.status, self.note])
        self._draw()

    # -- drawing ---------------------------------------------------------------------------
    def _draw(self) -> None:
        t0 = time.perf_counter()
        img = self.refocuser.render(focus=float(self.focus.value), f_number=float(self.f_number.value))
        self.image.value = jpeg_bytes(img)
        self.last_ms = (time.perf_counter() - t0) * 1e3
        self.last = img
        info = img.info
        unit = "m" if info.units == "m" else "capture units"
        self.status.value = (f"focus {info.focus_m:.3g} {unit} · f/{info.f_number:g} · {info.focal_length_35mm:.0f} mm "
                             f"equiv. · largest blur {2 * info.max_blur_radius_px:.1f} px across · preview "
                             f"{info.size[0]}×{info.size[1]} in {self.last_ms:.0f} ms")

    def _show_error(self, exc: BaseException) -> None:
        msg = str(exc) if isinstance(exc, DepthlabError) else f"{type(exc).__name__}: {exc}"
        self.status.value = f"<span style='color:#b00'>{msg}</span>"

    # -- from code -------------------------------------------------------------------------
    def set(self, focus: float | None = None, f_number: float | None = None) -> "RefocusView":
        """Change the focus (m) and/or f-number (snapped to the nearest stop) and redraw once."""
        if focus is not None:
            f = float(focus)
            if not math.isfinite(f) or f <= 0:
                raise InvalidInputError(f"focus must be a positive distance in metres, got {focus!r}")
        if f_number is not None:
            n = float(f_number)
            if not math.isfinite(n) or n <= 0:
                raise InvalidInputError(f"f_number must be positive, got {f_number!r}")
        # unobserved while both change, then one draw
        self._throttle.fn, saved = (lambda: None), self._throttle.fn
        try:
            if focus is not None:
                self.focus.value = min(max(float(focus), 10 ** self.focus.min), 10 ** self.focus.max)
            if f_number is not None:
                self.f_number.value = _nearest_stop(float(f_number))
        finally:
            self._throttle.fn = saved
        self._draw()
        return self

    def focus_at(self, x: float, y: float) -> float:
        """Focus on what preview pixel (x = column, y = row) shows; returns the distance chosen."""
        z = self.refocuser.focus_at(x, y)
        self.set(focus=z)
        return float(self.focus.value)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


@keyword_options
def refocus_view(cap: Any, *, width: int = 960, focus: float | None = None, f_number: float = START_F_NUMBER,
                 focal_length_35mm: float | None = None) -> RefocusView:
    """A live refocus panel for ``cap`` (see the module docstring); display it in a notebook.

    It starts at f/1.4, where a phone's portrait mode starts and the blur is plain to see (at
    f/2.8 the sample's background blurs by ~3 pixels and looks unchanged).

    >>> import depthlab
    >>> view = depthlab.refocus_view(depthlab.open("data/sample/front_truedepth.heic"), width=240, f_number=4)
    >>> view.f_number.value
    4.0
    """
    return RefocusView(cap, width=width, focus=focus, f_number=f_number, focal_length_35mm=focal_length_35mm)


__all__ = ["F_STOPS", "START_F_NUMBER", "PREVIEW_WORK_SIDE", "RefocusView", "jpeg_bytes", "preview_size", "refocus_view"]
