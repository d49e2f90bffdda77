"""Image operations on a capture: resampling (:mod:`.resample`), edge-aware refinement of the
depth map (``_refine``: :func:`depthlab.refine`) and the portrait blur re-rendered
(``_refocus``: :func:`depthlab.refocus`).  The private module names keep a submodule from
shadowing the function of the same name.
"""
