"""Tell a refused file from a hidden bug: inspect the cause chain of a DepthlabError.

``depthlab.open`` keeps a safety net for users (``reader.open_bytes`` turns anything unexpected
into :class:`~depthlab.errors.UnreadableFileError`).  In tests that net must not hide parser bugs,
so :func:`programming_error` looks through ``__cause__``/``__context__`` for

* an exception of a type that means a bug, not a bad file (:data:`BUG_TYPES`: IndexError,
  KeyError, TypeError, AttributeError, struct.error, ZeroDivisionError, NameError, ...), raised
  anywhere except inside an image decoder (Pillow, pillow-heif) whose damaged-file complaints
  depthlab wraps on purpose;
* a ValueError/OverflowError/ArithmeticError raised in depthlab's own code that nothing but the
  safety net caught (a ValueError that a reader catches and re-raises with a message is a
  deliberate refusal: the error above it is not the safety net's).

Used by ``conftest.py`` (every ``depthlab.open`` in the test session) and by ``test_fuzz.py``
(its worker subprocesses).
"""

from __future__ import annotations

import struct
from pathlib import Path

import depthlab

BUG_TYPES: tuple[type[BaseException], ...] = (
    LookupError,  # IndexError, KeyError
    TypeError, AttributeError, struct.error, ZeroDivisionError, NameError, AssertionError, NotImplementedError,
)
#: raised legitimately by dependencies on bad input, but a bug when our own code raises them and
#: only the safety net catches them (includes UnicodeError, OverflowError)
OWN_CODE_BUG_TYPES: tuple[type[BaseException], ...] = (ValueError, ArithmeticError)
#: decoders whose own exceptions on damaged data depthlab wraps deliberately
DECODER_PACKAGES = ("PIL", "pillow_heif")

PACKAGE_DIR = str(Path(depthlab.__file__).resolve().parent)
READER_FILE = str(Path(PACKAGE_DIR) / "reader.py")


def _origin(exc: BaseException) -> tuple[str, int, str]:
    """(file, line, function) of the innermost Python frame where ``exc`` was raised."""
    tb = exc.__traceback__
    if tb is None:
        return "?", 0, "?"
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return code.co_filename, tb.tb_lineno, code.co_name


def _in_package(filename: str, package: str) -> bool:
    parts = Path(filename).parts
    return package in parts or any(p.startswith(package + "-") for p in parts)


def chain(exc: BaseException, limit: int = 12) -> list[BaseException]:
    """``exc`` and its causes (``__cause__``, else ``__context__``), outermost first."""
    out: list[BaseException] = []
    seen: set[int] = set()
    c: BaseException | None = exc
    while c is not None and id(c) not in seen and len(out) < limit:
        out.append(c)
        seen.add(id(c))
        c = c.__cause__ or c.__context__
    return out


def describe(exc: BaseException) -> str:
    f, line, fn = _origin(exc)
    try:
        f = str(Path(f).resolve().relative_to(Path(PACKAGE_DIR).parent))
    except ValueError:
        pass
    return f"{type(exc).__name__} at {f}:{line} in {fn}(): {str(exc)[:200]}"


def programming_error(exc: BaseException) -> str | None:
    """A description of the bug hidden in ``exc``'s cause chain, or None for a clean refusal."""
    links = chain(exc)
    for k, c in enumerate(links[1:], start=1):
        origin = _origin(c)[0]
        filename = str(Path(origin).resolve()) if origin != "?" else "?"
        if isinstance(c, BUG_TYPES):
            if not any(_in_package(filename, p) for p in DECODER_PACKAGES):
                return describe(c)
        elif isinstance(c, OWN_CODE_BUG_TYPES):
            wrapper_file = _origin(links[k - 1])[0]
            caught_by_net = wrapper_file != "?" and str(Path(wrapper_file).resolve()) == READER_FILE
            if caught_by_net and filename.startswith(PACKAGE_DIR + "/"):
                return describe(c)
    return None
