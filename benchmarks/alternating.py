"""The one timing loop the benchmarks share: candidate and baselines run in turn, so a busy
machine slows them alike -- and the load it ran at, so a ratio taken on a busy machine is not
reported as if it were a quiet one's.

    from alternating import run_alternating, ratio_text   # benchmarks run as scripts from this folder
    times = run_alternating({"ours": f, "baseline": g}, repeat=9)   # {name: [ms, ...]}
    print(ratio_text(median(times["ours"]), median(times["baseline"]), times.load))

A busy machine inflates a large decode (page faults, cache misses) more than a small candidate,
so ratios taken above :data:`MAX_LOAD` flatter the candidate: they print as ``not measured
(load X)`` unless the script was given ``--allow-load`` (exploration; the ratio is then marked).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import time
from typing import Callable

#: the highest 1-minute load average (``uptime``) at which a ratio is reported
MAX_LOAD = 1.5

_allow = {"load": False}


def load_average() -> float:
    """The 1-minute load average (NaN where the platform has none)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return float("nan")


class Timings(dict):
    """``{case: [ms, ...]}`` and the 1-minute load average around the run.

    ``load_before`` and ``load_after`` are ``uptime``'s figure; ``own_load`` is the part of
    ``load_after`` this benchmark put there itself (its CPU time per wall second, decayed like the
    load average over the run's length), so ``load`` -- the higher of the load before and the
    load after without this benchmark -- is what the rest of the machine was doing."""

    load_before: float = float("nan")
    load_after: float = float("nan")
    own_load: float = 0.0

    @property
    def load(self) -> float:
        return max(self.load_before, self.load_after - self.own_load)

    def load_text(self) -> str:
        return (f"load average {self.load_before:.2f} before, {self.load_after:.2f} after "
                f"({self.own_load:.2f} of it this benchmark's own)")


def add_load_option(ap: argparse.ArgumentParser) -> None:
    """``--allow-load``: report ratios even above :data:`MAX_LOAD` (exploration only)."""
    ap.add_argument("--allow-load", action="store_true",
                    help=f"print ratios taken at load average >= {MAX_LOAD} too, marked (exploration, not a measurement)")


def allow_load(flag: bool) -> None:
    """Let :func:`ratio_text` print ratios taken above :data:`MAX_LOAD` (marked as such)."""
    _allow["load"] = bool(flag)


def measured(load: float) -> bool:
    """Whether a ratio taken at ``load`` counts as a measurement."""
    return load == load and load < MAX_LOAD  # NaN (no load average) does not count


def ratio_text(candidate: float, baseline: float, load: float, fmt: str = "{:.3f}") -> str:
    """``"0.412 (load 0.8)"``, or ``"not measured (load 3.2)"`` when the run's load average was at
    or above :data:`MAX_LOAD` (``"0.412 (load 3.2, NOT a measurement)"`` with ``--allow-load``)."""
    if measured(load):
        return f"{fmt.format(candidate / baseline)} (load {load:.2f})"
    if _allow["load"]:
        return f"{fmt.format(candidate / baseline)} (load {load:.2f}, NOT a measurement)"
    return f"not measured (load {load:.2f})"


def run_alternating(cases: dict[str, Callable[[], object]], repeat: int) -> Timings:
    """Wall times (ms) of each case: one warm-up call each (imports, first-touch allocations),
    then ``repeat`` rounds in which every case runs once, in order, after a garbage collection;
    with the load average before and after (see :class:`Timings`)."""
    times = Timings({k: [] for k in cases})
    times.load_before = load_average()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for f in cases.values():
        f()
    for _ in range(repeat):
        for name, f in cases.items():
            gc.collect()
            t0 = time.perf_counter()
            f()
            times[name].append((time.perf_counter() - t0) * 1e3)
    wall = time.perf_counter() - wall0
    times.load_after = load_average()
    # the kernel's 1-minute average decays as exp(-t / 60 s): this run's share of it
    times.own_load = (time.process_time() - cpu0) / max(wall, 1e-9) * (1.0 - math.exp(-wall / 60.0))
    return times
