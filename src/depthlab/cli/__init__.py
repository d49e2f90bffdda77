"""The ``depthlab`` command line: argument parsing and commands (:mod:`.commands`), the
all-cores batch runner (:mod:`.batch`) and the readable summary ``depthlab info`` prints (:mod:`.info`).
"""

from .commands import main

__all__ = ["main"]
