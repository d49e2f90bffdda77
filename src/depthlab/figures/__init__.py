"""Figures (matplotlib, imported when a figure is drawn): the capture and comparison panels for
papers (:mod:`.panels`) and one figure per lesson of the teaching notebooks (:mod:`.lessons`).

>>> from depthlab import figures
>>> figures.capture_figure(cap)      # doctest: +SKIP
"""

from .panels import (PAPER_WIDTH_IN, QUANTITIES, VIEWS, capture_figure, colour_mapped, comparison_figure,
                     render_view, save_figure)

__all__ = ["PAPER_WIDTH_IN", "QUANTITIES", "VIEWS", "capture_figure", "colour_mapped", "comparison_figure",
           "render_view", "save_figure"]
