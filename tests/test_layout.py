"""The README's layout section matches the package's tree: every subpackage has its line, every
line names a folder that exists, and the flat core names each of its modules."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "depthlab"
NOT_LIBRARY = {"__init__"}


def _layout() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1]
    return section.split("```", 2)[1]


def test_every_subpackage_has_its_line_and_every_line_exists():
    listed = set(re.findall(r"^  ([a-z_]+)/", _layout(), flags=re.M))
    tree = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert listed == tree, f"README lists {sorted(listed - tree)} that do not exist, misses {sorted(tree - listed)}"


def test_the_flat_core_names_each_of_its_modules():
    layout = _layout()
    core = re.split(r"^  [a-z_]+/", layout, maxsplit=1, flags=re.M)[0]  # src/depthlab/ and its continuation lines
    words = set(re.findall(r"[a-z_]+", core))
    modules = {p.stem for p in PACKAGE.glob("*.py")} - NOT_LIBRARY
    assert modules <= words, f"core modules missing from the README's layout: {sorted(modules - words)}"
    top = set(re.findall(r"^([a-z_]+)/", layout, flags=re.M)) - {"src"}
    assert all((ROOT / t).is_dir() for t in top), [t for t in top if not (ROOT / t).is_dir()]


def test_the_core_stays_small_and_the_rooms_show():
    """At most 12 top-level modules beside ``__init__`` and at least 6 subpackages (issue 24)."""
    modules = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    rooms = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert len(modules) <= 12, modules
    assert len(rooms) >= 6, rooms
