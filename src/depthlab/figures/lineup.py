"""Several captures side by side: each photo above its depth map, titled with how it was measured.

The figure issue 26 asks for: a spatial photo's computed depth (a 64 mm calibrated pair:
metres) beside a rear dual camera's (a ~1 cm pair, relative scale) and a TrueDepth capture
(structured light, metres).  Captures whose depth is absolute share one colour scale (their
metres compare); a relative capture keeps its own and says so.

>>> import depthlab
>>> from depthlab.figures import lineup_figure
>>> caps = [depthlab.open(f"data/sample/{n}") for n in ("spatial.heic", "rear_dual.heic", "front_truedepth.heic")]
>>> fig = lineup_figure(*caps)
>>> len(fig.axes), fig.axes[3].get_title().splitlines()[0]
(9, 'spatial (stereo pair): depth computed,')
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..capture import Capture
from ..colour import DEFAULT_PERCENTILES, matplotlib_colormap, robust_range
from ..errors import InvalidInputError
from .panels import new_figure

__all__ = ["lineup_figure", "how_measured"]


def how_measured(cap: Capture) -> str:
    """Which camera, and the numbers that make its depth metres (or not)."""
    meta = cap.metadata if isinstance(cap.metadata, dict) else {}
    if meta.get("baseline_m"):
        return (f"{cap.camera.kind}: depth computed,\nf {cap.calibration.fx * cap.size[0] / cap.calibration.reference_size[0]:.1f} px, "
                f"baseline {meta['baseline_m'] * 1000:.1f} mm")
    scale = {"absolute": "metres", "relative": "relative scale"}.get(cap.accuracy or "", "scale unknown")
    return f"{cap.camera.kind}: stored depth map, {scale}"


def lineup_figure(*captures: Capture, labels: Sequence[str] | None = None,
                  percentiles: tuple[float, float] = DEFAULT_PERCENTILES, width: float = 10.0):
    """A column per capture: the photo, its depth (m) with a colour bar; absolute ones share a scale."""
    if not captures or not all(isinstance(c, Capture) for c in captures):
        raise InvalidInputError("lineup_figure takes one or more captures, e.g. lineup_figure(spatial, rear, front)")
    if labels is not None and len(labels) != len(captures):
        raise InvalidInputError(f"labels: {len(labels)} given for {len(captures)} captures")
    absolute = [c for c in captures if c.accuracy == "absolute"]
    shared = robust_range(np.concatenate([c.depth[np.isfinite(c.depth)] for c in absolute]), percentiles) if absolute else None
    n = len(captures)
    fig = new_figure(width, width / n * 2.2)
    axes = fig.subplots(2, n, squeeze=False)
    for i, cap in enumerate(captures):
        top, bottom = axes[0, i], axes[1, i]
        top.imshow(cap.rgb_at(*cap.size) if cap.has_rgb else np.zeros((*cap.shape, 3), np.uint8))
        top.set_title(labels[i] if labels else (cap.path.name if cap.path else "capture"), fontsize=9)
        rng = shared if cap.accuracy == "absolute" and shared else robust_range(cap.depth, percentiles) or (0.0, 1.0)
        im = bottom.imshow(np.ma.masked_invalid(cap.depth), cmap=matplotlib_colormap("depth"), vmin=rng[0], vmax=rng[1])
        note = "shared scale (metres)" if cap.accuracy == "absolute" else "own scale (not metres you can trust)"
        bottom.set_title(f"{how_measured(cap)}\n{note}", fontsize=7)
        fig.colorbar(im, ax=bottom, shrink=0.8, label="depth (m)")
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
    return fig
