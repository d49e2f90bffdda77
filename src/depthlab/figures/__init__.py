"""Figures (matplotlib, imported when a figure is drawn): the capture and comparison panels for
papers (:mod:`.panels`), captures side by side (:mod:`.lineup`) and one figure per lesson of the teaching notebooks (:mod:`.lessons`).

>>> import depthlab
>>> from depthlab import figures
>>> fig = figures.capture_figure(depthlab.open("data/sample/front_truedepth.heic"), marker_size=0.5)
>>> len(fig.axes) >= 4
True
"""

from .lineup import how_measured, lineup_figure
from .panels import (PAPER_WIDTH_IN, QUANTITIES, VIEWS, capture_figure, colour_mapped, comparison_figure,
                     render_view, save_figure)

__all__ = ["PAPER_WIDTH_IN", "QUANTITIES", "VIEWS", "capture_figure", "colour_mapped", "comparison_figure",
           "how_measured", "lineup_figure", "render_view", "save_figure"]
