"""Figures (matplotlib, imported when a figure is drawn): the capture and comparison panels for
papers (:mod:`.panels`), captures side by side (:mod:`.lineup`) and one figure per lesson of the teaching notebooks (:mod:`.lessons`).

>>> from depthlab import figures
>>> figures.PAPER_WIDTH_IN          # figures default to a two-column paper's full width (inches)
7.0
"""

from .lineup import how_measured, lineup_figure
from .panels import (PAPER_WIDTH_IN, QUANTITIES, VIEWS, capture_figure, colour_mapped, comparison_figure,
                     render_view, save_figure)

__all__ = ["PAPER_WIDTH_IN", "QUANTITIES", "VIEWS", "capture_figure", "colour_mapped", "comparison_figure",
           "how_measured", "lineup_figure", "render_view", "save_figure"]
