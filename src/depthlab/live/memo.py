"""What a side of a live view keeps between control changes, so that going back costs nothing.

* its last few projectors, one per stride (and refined depth or not) drawn: each keeps its edge
  flags, colours, rays and filled layer (:func:`depthlab.surface.layers.projector_layer`);
* per drawn geometry (projector, model and the settings that choose the drawn points), what is
  worked out from the positions: the points' stretch and the subject the view orbits.

Only the settings that decide a result are in its key, so a kept result is the one the view
would work out again: what is drawn does not change.
"""

from __future__ import annotations

from typing import Any

from ..capture import Capture
from ..projection import Projector

#: projectors a side keeps (the strides last drawn)
PROJECTORS_KEPT = 3
#: drawn geometries (model, near/far, mask...) of one projector whose stretch and subject are kept
GEOMETRIES_KEPT = 8


class SideMemo:
    """The projectors and per-geometry results of one side (see the module).

    >>> import depthlab
    >>> from depthlab.live.memo import SideMemo
    >>> memo = SideMemo()
    >>> cap = depthlab.open("data/sample/rear_dual.heic")
    >>> memo.projector(cap, 4) is memo.projector(cap, 4), memo.projector(cap, 2).stride
    (True, 2)
    """

    def __init__(self) -> None:
        self._projectors: dict[tuple, Projector] = {}
        self._geometries: tuple[Any, dict[tuple, dict[str, Any]]] = (None, {})

    def projector(self, cap: Capture, stride: int, refined: bool = False, cls: type = Projector) -> Projector:
        """The projector of ``cap`` (the stored capture or, ``refined``, its refined copy) at
        ``stride``; made by ``cls`` the first time, kept for the last :data:`PROJECTORS_KEPT`."""
        key = (stride, refined, cls)
        p = self._projectors.pop(key, None)
        if p is None:
            p = cls(cap, stride=stride)
        self._projectors[key] = p   # the most recent last
        while len(self._projectors) > PROJECTORS_KEPT:
            del self._projectors[next(iter(self._projectors))]
        return p

    def geometry(self, projector: Projector, settings: dict[str, Any]) -> dict[str, Any]:
        """The store for the geometry ``projector`` draws with ``settings`` (model, near, far,
        matte mask, confidence threshold, edge points); a region in the photo is not kept (an
        empty store each time)."""
        if settings.get("region") is not None:
            return {}
        if self._geometries[0] is not projector:
            self._geometries = (projector, {})
        memo = self._geometries[1]
        s = settings
        key = (s["model"], s["near"], s["far"], s["mask"], s["min_confidence"], s["edges"])
        if key not in memo and len(memo) >= GEOMETRIES_KEPT:
            del memo[next(iter(memo))]
        return memo.setdefault(key, {})


__all__ = ["SideMemo", "PROJECTORS_KEPT", "GEOMETRIES_KEPT"]
