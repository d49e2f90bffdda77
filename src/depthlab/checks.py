"""The argument checks every public function shares: one line per check at the call site.

* :func:`require_capture` -- the "needs a depthlab Capture" rule.  depthlab's functions take a
  :class:`~depthlab.capture.Capture`, never a path: a path (or anything else) is refused with
  :class:`~depthlab.errors.InvalidInputError` saying to open it first with ``depthlab.open``.
  (One rule for all: opening is where a file's problems are reported, once.)
* :func:`keyword_options` -- the public-signature rule: the capture(s) positionally, every option
  by keyword; an unknown keyword or an extra positional argument is an ``InvalidInputError``
  listing the valid options (not a bare ``TypeError``).
* :func:`known_options`, :func:`positive_number`, :func:`whole_number`, :func:`check_shape`,
  :func:`one_of` -- values.

>>> from depthlab import checks
>>> checks.whole_number("stride", 2.0)
2
>>> checks.positive_number("near", "x")
Traceback (most recent call last):
...
depthlab.errors.InvalidInputError: near must be a number, got 'x'
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import numpy as np

from .capture import Capture
from .errors import InvalidInputError

__all__ = ["require_capture", "keyword_options", "known_options", "positive_number", "whole_number",
           "check_shape", "one_of", "image_size"]

F = TypeVar("F", bound=Callable[..., Any])


def require_capture(obj: Any, what: str) -> Capture:
    """``obj`` if it is a :class:`~depthlab.capture.Capture`, else :class:`InvalidInputError`
    (a path gets the line that opens it).

    >>> require_capture("IMG_1.HEIC", "project()")
    Traceback (most recent call last):
    ...
    depthlab.errors.InvalidInputError: project() needs a depthlab Capture, got str 'IMG_1.HEIC'; open the file first: cap = depthlab.open('IMG_1.HEIC')
    """
    if isinstance(obj, Capture):
        return obj
    if isinstance(obj, (str, bytes)) or hasattr(obj, "__fspath__"):
        raise InvalidInputError(f"{what} needs a depthlab Capture, got {type(obj).__name__} {str(obj)!r}; "
                                f"open the file first: cap = depthlab.open({str(obj)!r})")
    raise InvalidInputError(f"{what} needs a depthlab Capture (depthlab.open(path)), got {type(obj).__name__}")


def known_options(what: str, given: Iterable[str], valid: Iterable[str]) -> None:
    """InvalidInputError naming the unknown ones of ``given`` and every valid option."""
    valid = sorted(valid)
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise InvalidInputError(f"unknown {what} option(s) {unknown}; the options are {valid}")


def keyword_options(fn: F | None = None, *, name: str | None = None) -> Any:
    """Decorate a public ``def f(cap, *, option=...)``: an unknown keyword, or an option passed
    positionally, raises :class:`InvalidInputError` listing the options (a ``**options``
    catch-all checks its own).  ``name`` is the function the user called (default ``f``; for a
    class's ``__init__`` the class name)."""
    if fn is None:
        return functools.partial(keyword_options, name=name)
    params = list(inspect.signature(fn).parameters.values())
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    keywords = [p.name for p in params if p.kind is p.KEYWORD_ONLY]
    open_ended = any(p.kind is p.VAR_KEYWORD for p in params)
    is_init = fn.__name__ == "__init__"
    name = name or (fn.__qualname__.split(".")[0] if is_init else fn.__name__)
    shown = positional[1:] if is_init else positional

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if len(args) > len(positional):
            extra = args[len(positional):]
            raise InvalidInputError(
                f"{name}() takes {', '.join(shown)} positionally and its options by keyword "
                f"({', '.join(k + '=...' for k in keywords)}); got {len(extra)} more positional argument(s) {extra!r}")
        if not open_ended:
            known_options(f"{name}()", [k for k in kwargs if k not in positional], keywords)
        return fn(*args, **kwargs)

    return checked  # type: ignore[return-value]


def positive_number(name: str, value: Any, unit: str = "") -> float:
    """``value`` as a float, or an InvalidInputError naming ``name`` (and ``unit``, e.g.
    ``" (mm)"``) when it is not a number or not positive and finite."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise InvalidInputError(f"{name} must be a positive finite number{unit}, got {value!r}")
    return v


def whole_number(name: str, value: Any, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int when it is a whole number in ``[low, high]`` (2.0 is 2; 2.5, True and
    "2" are refused), else InvalidInputError."""
    try:
        ok = not isinstance(value, (bool, str, bytes)) and float(value) == int(value)
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok or int(value) < low or (high is not None and int(value) > high):
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise InvalidInputError(f"{name} must be a whole number {span}, got {value!r}")
    return int(value)


def one_of(name: str, value: Any, options: Iterable[Any]) -> Any:
    """``value`` if it is one of ``options``, else InvalidInputError listing them."""
    options = tuple(options)
    if value not in options:
        raise InvalidInputError(f"{name} must be one of {options}, got {value!r}")
    return value


def check_shape(name: str, array: Any, shape: tuple[int | None, ...]) -> np.ndarray:
    """``array`` as an ndarray whose shape matches ``shape`` (None matches any length), else
    InvalidInputError saying both shapes.

    >>> check_shape("uv", [[1.0, 2.0]], (None, 2)).shape
    (1, 2)
    """
    a = np.asarray(array)
    if a.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, a.shape)):
        want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
        raise InvalidInputError(f"{name} must have shape {want}, got {a.shape}")
    return a


def image_size(size: Any, reference: tuple[int, int], *, name: str = "size", of: str = "the depth map",
               max_pixels: int | None = None, what: str = "") -> tuple[int, int]:
    """``size`` as ``(width, height)`` in whole positive pixels with the aspect of ``reference``
    (``(w, h)``, within 2 %) and at most ``max_pixels``; else InvalidInputError.  A size of
    another aspect is refused, never squashed: the calibration only scales between sizes of
    the same view.

    >>> image_size((1536, 1152), (768, 576))
    (1536, 1152)
    """
    try:
        w, h = size
        if isinstance(size, (str, bytes)) or any(isinstance(v, bool) or int(v) != v for v in (w, h)):
            raise TypeError
    except (TypeError, ValueError):
        raise InvalidInputError(f"{name} must be (width, height) in whole pixels, got {size!r}") from None
    w, h = int(w), int(h)
    if w <= 0 or h <= 0:
        raise InvalidInputError(f"{name} must be positive, got {w}x{h}")
    if max_pixels is not None and w * h > max_pixels:
        raise InvalidInputError(f"{name} {w}x{h} is {w * h / 1e6:.0f} MP; {what} makes at most {max_pixels / 1e6:.0f} MP "
                                "(a 12 MP photo is 4032x3024); ask for a smaller size")
    w0, h0 = reference
    sx, sy = w / w0, h / h0
    if abs(sx - sy) > 0.02 * max(sx, sy):
        raise InvalidInputError(f"{name} {w}x{h} does not have {of}'s aspect ({w0}x{h0}); the calibration "
                                f"only scales between sizes of the same view, e.g. ({w0 * 2}, {h0 * 2})")
    return w, h


def nothing_left(cap: Capture, *, what: str, near: Any, far: Any, mask: Any) -> InvalidInputError:
    """The error for near/far/mask that leave no point of ``cap``: the photo's own depth range
    (in its ``depth_unit``) and what to widen, in one wording for exports and meshes.

    >>> import depthlab
    >>> from depthlab.checks import nothing_left
    >>> cap = depthlab.open("data/sample/rear_dual.heic")
    >>> str(nothing_left(cap, what="nothing to mesh", near=None, far=0.1, mask=None))[:50]
    'nothing to mesh: near/far/mask (near=None, far=0.1'
    """
    rng = cap.depth_range()
    have = "no valid depth" if rng is None else f"depth {rng[0]:.3g}–{rng[1]:.3g} {cap.depth_unit}"
    mask = mask if mask is None or isinstance(mask, (str, tuple)) else "a region"
    return InvalidInputError(f"{what}: near/far/mask (near={near}, far={far}, mask={mask}) leave none of this photo ({have}); "
                             "widen near/far (--near/--far) or change the mask")
