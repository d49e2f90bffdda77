"""Stored vs refined vs truth: how much better a refined map really is, on a synthetic sample.

The shipped samples come with their true depth (:func:`depthlab.synth.load_truth`), so a
refinement can be *measured* instead of admired.  Conventions:

* errors are in **disparity** (1/m), the quantity the phone stores, on the depth map's pixel
  grid (display orientation); pixels unknown in either map are left out;
* a **relative** capture (rear dual camera) is first fitted to the truth by least squares,
  ``true ~ s * d + o`` ("scale+offset": Apple documents relative depth as off by a scale and an
  offset in disparity; with ``model="scale"`` only ``true ~ s * d``); an **absolute** capture is
  compared as it is;
* "codes" are the stored 8-bit steps (``cap.encoding.step``, 1/m).

The notebook 04 section "stored vs refined vs truth" only calls :func:`compare` and
:func:`depthlab.figures.lessons.refine_figure`, which draws from the numbers here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..capture import Capture
from ..errors import InvalidInputError

MODELS = ("auto", "none", "scale", "scale+offset")


def true_disparity(cap: Capture, truth: Any) -> np.ndarray:
    true = np.asarray(truth.depth_m, dtype=np.float64)
    if true.shape != cap.shape:
        raise InvalidInputError(f"the ground truth is {true.shape[1]}x{true.shape[0]} but the capture "
                                f"{cap.size[0]}x{cap.size[1]}; compare on the depth grid (refine(size='depth'))")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(true > 0, 1.0 / true, np.nan)


def fit_model(cap: Capture, model: str) -> str:
    if model not in MODELS:
        raise InvalidInputError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if model == "auto":
        return "scale+offset" if cap.accuracy == "relative" else "none"
    return model


def fitted_disparity(cap: Capture, truth: Any, *, model: str = "auto") -> tuple[np.ndarray, tuple[float, float]]:
    """``cap.disparity`` mapped onto the truth (float64, 1/m) and the fit ``(s, o)``.

    ``model``: ``"auto"`` (scale+offset for relative captures, none for absolute), ``"none"``,
    ``"scale"`` or ``"scale+offset"``; least squares over the pixels known in both maps.
    """
    model = fit_model(cap, model)
    true = true_disparity(cap, truth)
    d = cap.disparity.astype(np.float64)
    ok = np.isfinite(d) & np.isfinite(true)
    if not ok.any():
        raise InvalidInputError("no pixel has both a stored and a true disparity")
    s, o = 1.0, 0.0
    if model == "scale":
        s = float(d[ok] @ true[ok] / (d[ok] @ d[ok]))
    elif model == "scale+offset":
        a = np.stack([d[ok], np.ones(int(ok.sum()))], axis=1)
        (s, o), *_ = np.linalg.lstsq(a, true[ok], rcond=None)
        s, o = float(s), float(o)
    return s * d + o, (s, o)


def error_map(cap: Capture, truth: Any, *, model: str = "auto") -> np.ndarray:
    """Fitted disparity minus true disparity (1/m, float64), NaN where either is unknown."""
    fitted, _ = fitted_disparity(cap, truth, model=model)
    return fitted - true_disparity(cap, truth)


def rmse(err: np.ndarray) -> float:
    return float(np.sqrt(np.nanmean(err ** 2)))


def wall_region(truth: Any, *, label: str = "wall", distance: int = 24) -> np.ndarray:
    """Pixels of ``label`` more than ``distance`` pixels from any other surface (bool (H, W))."""
    from ..deps import require

    ndimage = require("scipy.ndimage", "the truth checks")

    names = list(truth.label_names)
    if label not in names:
        raise InvalidInputError(f"no part called {label!r}; the scene has {', '.join(names)}")
    return ndimage.binary_erosion(np.asarray(truth.labels) == names.index(label), iterations=distance)


def max_step_codes(disparity: np.ndarray, region: np.ndarray, *, code: float) -> float:
    """Largest difference between 4-neighbours inside ``region`` (both known), in codes."""
    best = 0.0
    for axis in (0, 1):
        diff = np.abs(np.diff(np.asarray(disparity, dtype=np.float64), axis=axis))
        both = (region[1:] & region[:-1]) if axis == 0 else (region[:, 1:] & region[:, :-1])
        vals = diff[both]
        vals = vals[np.isfinite(vals)]
        if vals.size:
            best = max(best, float(vals.max()))
    return best / code


@dataclass(frozen=True)
class Comparison:
    """Stored and refined disparity of one capture against its truth."""

    name: str
    model: str  # the fit: "none", "scale", "scale+offset"
    rmse_stored: float  # 1/m
    rmse_refined: float  # 1/m
    holes_kept: float | None  # fraction of the stored holes still unknown (None: no holes)
    wall_step_stored: float | None  # largest neighbour step on the wall, codes
    wall_step_refined: float | None
    rmse_stored_measured: float | None = None  # 1/m, only where the sensor measured (the truth's
    rmse_refined_measured: float | None = None  # holes left out: a filtered map fills them)

    @property
    def ratio(self) -> float:
        return self.rmse_refined / self.rmse_stored

    def __str__(self) -> str:
        fit = "compared as stored (absolute)" if self.model == "none" else f"after a least-squares {self.model} fit"
        lines = [f"{self.name}: disparity RMSE {fit}: stored {self.rmse_stored:.4f} 1/m, refined "
                 f"{self.rmse_refined:.4f} 1/m ({self.ratio:.2f}x)"]
        if self.rmse_stored_measured is not None:
            lines.append(f"  where the sensor measured (filled holes left out): stored {self.rmse_stored_measured:.4f}, "
                         f"refined {self.rmse_refined_measured:.4f} 1/m "
                         f"({self.rmse_refined_measured / self.rmse_stored_measured:.2f}x)")
        if self.holes_kept is not None:
            lines.append(f"  holes still holes: {self.holes_kept:.0%}")
        if self.wall_step_stored is not None:
            lines.append(f"  largest step on the wall: stored {self.wall_step_stored:.2f} codes, refined "
                         f"{self.wall_step_refined:.2f} codes")
        return "\n".join(lines)


def compare(stored: Capture, refined: Capture, truth: Any, *, name: str = "", model: str = "auto") -> Comparison:
    """RMSE of stored and refined disparity against the truth (same fit model for both), the
    share of holes kept, and the largest step left on the scene's wall (if it has one).

    >>> import depthlab
    >>> from depthlab.synth import load_truth
    >>> from depthlab.teaching import truthcheck
    >>> cap = depthlab.open("data/sample/rear_dual.heic")
    >>> report = truthcheck.compare(cap, depthlab.refine(cap), load_truth("data/sample/rear_dual.heic"), name="rear")
    >>> report.model, report.ratio < 1
    ('scale+offset', True)
    """
    if refined.shape != stored.shape:
        raise InvalidInputError(f"compare on the depth grid: refined is {refined.size}, stored {stored.size}")
    m = fit_model(stored, model)
    es = error_map(stored, truth, model=m)
    er = error_map(refined, truth, model=m)
    holes = ~np.isfinite(stored.disparity)
    kept = float(np.mean(~np.isfinite(refined.disparity[holes]))) if holes.any() else None
    ws = wr = None
    code = stored.encoding.step if stored.encoding is not None else None
    if "wall" in list(truth.label_names) and code:
        wall = wall_region(truth)
        if wall.any():
            ws = max_step_codes(stored.disparity, wall, code=code)
            wr = max_step_codes(refined.disparity, wall, code=code)
    sm = rm = None
    sensor_holes = getattr(truth, "holes", None)
    if sensor_holes is not None and np.any(sensor_holes):
        measured = ~np.asarray(sensor_holes, dtype=bool)
        sm, rm = rmse(es[measured]), rmse(er[measured])
    return Comparison(name or (stored.path.stem if stored.path else "capture"), m, rmse(es), rmse(er), kept, ws, wr, sm, rm)


def edge_segment(truth: Any, *, half: int = 24) -> tuple[int, slice]:
    """A row through the middle of the person and columns across its left outline."""
    names = list(truth.label_names)
    person_names = truth.scene.get("person_labels", []) if isinstance(truth.scene, dict) else []
    ids = [names.index(n) for n in person_names if n in names] or [i for i, n in enumerate(names) if n not in ("none", "wall", "floor")]
    person = np.isin(np.asarray(truth.labels), ids)
    rows = np.flatnonzero(person.any(axis=1))
    if rows.size == 0:
        raise InvalidInputError("the scene has no person to cut across")
    row = int(rows[len(rows) // 2])
    left = int(np.flatnonzero(person[row])[0])
    w = person.shape[1]
    return row, slice(max(0, left - half), min(w, left + half))


def wall_segment(truth: Any, *, length: int = 200) -> tuple[int, slice]:
    """The row with the most wall far from other surfaces, and up to ``length`` columns of it."""
    wall = wall_region(truth)
    counts = wall.sum(axis=1)
    row = int(np.argmax(counts))
    cols = np.flatnonzero(wall[row])
    if cols.size == 0:
        raise InvalidInputError("the scene's wall is nowhere far from other surfaces")
    start = int(cols[0])
    return row, slice(start, min(start + length, int(cols[-1]) + 1))


@dataclass(frozen=True)
class EdgeProfile:
    """Where the stored and the refined disparity step, along the row of :func:`edge_segment`,
    against the true step; ``*_width_px`` is how many columns the rise from 10% to 90% of the
    step takes (1: a clean step, more: a ramp)."""

    row: int
    true_col: int  # the column after the true step (the first on the far side of the outline)
    stored_col: int
    refined_col: int
    stored_width_px: int
    refined_width_px: int

    def __str__(self) -> str:
        def where(col: int) -> str:
            off = col - self.true_col
            return "at the true edge" if off == 0 else f"{abs(off)} px {'right' if off > 0 else 'left'} of the true edge"

        return (f"row {self.row}: the truth steps at column {self.true_col}; the stored map's steepest change is "
                f"{where(self.stored_col)} and rises over {self.stored_width_px} px, the refined map's is "
                f"{where(self.refined_col)} and rises over {self.refined_width_px} px")


def _steepest(profile: np.ndarray) -> tuple[int, int]:
    """Column after the steepest change, and the width of the 10-90% rise around it."""
    p = np.asarray(profile, dtype=np.float64)
    step = np.abs(np.diff(p))
    col = int(np.nanargmax(step)) + 1
    lo, hi = float(np.nanmin(p)), float(np.nanmax(p))
    if hi <= lo:
        return col, 0
    t = (p - lo) / (hi - lo)
    if p[-1] < p[0]:
        t = 1 - t
    inside = np.flatnonzero((t > 0.1) & (t < 0.9))
    return col, int(inside.size + 1)


def edge_profile(stored: Capture, refined: Capture, truth: Any, *, model: str = "auto") -> EdgeProfile:
    """Measure the profile :func:`refine_figure` draws across the person's outline."""
    m = fit_model(stored, model)
    fs, _ = fitted_disparity(stored, truth, model=m)
    fr, _ = fitted_disparity(refined, truth, model=m)
    true = true_disparity(stored, truth)
    row, cols = edge_segment(truth)
    tc, _ = _steepest(true[row, cols])
    sc, sw = _steepest(fs[row, cols])
    rc, rw = _steepest(fr[row, cols])
    return EdgeProfile(row, cols.start + tc, cols.start + sc, cols.start + rc, sw, rw)
