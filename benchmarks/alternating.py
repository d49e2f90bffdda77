"""The one timing loop the benchmarks share: candidate and baselines run in turn, so a busy
machine slows them alike and their ratio stays meaningful.

    from alternating import run_alternating      # benchmarks run as scripts from this folder
    times = run_alternating({"ours": f, "baseline": g}, repeat=9)   # {name: [ms, ...]}
"""

from __future__ import annotations

import gc
import time
from typing import Callable


def run_alternating(cases: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Wall times (ms) of each case: one warm-up call each (imports, first-touch allocations),
    then ``repeat`` rounds in which every case runs once, in order, after a garbage collection."""
    for f in cases.values():
        f()
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeat):
        for name, f in cases.items():
            gc.collect()
            t0 = time.perf_counter()
            f()
            times[name].append((time.perf_counter() - t0) * 1e3)
    return times
