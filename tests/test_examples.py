"""The package's examples stay: every public name of ``depthlab`` shows one in its docstring, and
``pytest --doctest-modules src/depthlab`` (part of the plain ``pytest`` run) has at least 40.

The examples themselves run in the doctest items; this file only checks they are there and
collected (found with ``doctest``'s own finder, as pytest finds them).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import tomllib
from pathlib import Path

import depthlab

ROOT = Path(__file__).resolve().parents[1]
NOT_IMPORTED = ("__main__", "conftest")  # run a program on import / pytest's, not the library's


def _modules():
    yield depthlab
    for info in pkgutil.walk_packages(depthlab.__path__, "depthlab."):
        if info.name.rsplit(".", 1)[-1] not in NOT_IMPORTED:
            yield importlib.import_module(info.name)


def _examples() -> dict[str, int]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    found: dict[str, int] = {}
    for module in _modules():
        for test in finder.find(module, module.__name__):
            if test.examples and test.name.startswith(module.__name__):
                found[test.name] = len(test.examples)
    return found


def test_at_least_forty_docstrings_hold_runnable_examples():
    found = _examples()
    assert len(found) >= 40, f"only {len(found)} docstrings with examples"


def test_every_public_name_of_depthlab_shows_an_example():
    missing = [name for name in depthlab.__all__
               if (inspect.isfunction(getattr(depthlab, name)) or inspect.isclass(getattr(depthlab, name)))
               and ">>>" not in (inspect.getdoc(getattr(depthlab, name)) or "")]
    assert not missing, f"public names without an example in their docstring: {missing}"


def test_the_plain_pytest_run_collects_the_examples():
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "src/depthlab" in options["testpaths"] and "--doctest-modules" in options["addopts"]
