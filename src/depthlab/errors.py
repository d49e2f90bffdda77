"""The one error hierarchy of depthlab.

Every error depthlab raises on purpose is a :class:`DepthlabError`.  Messages say what was
found and what to do next.  Readers never let a dependency's exception escape: they wrap it in
:class:`UnreadableFileError` (with the original as ``__cause__``), except a missing or broken
third-party package, which is a :class:`MissingDependencyError` naming it.
"""

from __future__ import annotations


class DepthlabError(Exception):
    """Base class of every error depthlab raises on purpose.

    >>> import depthlab
    >>> try:
    ...     depthlab.project("photo.heic")
    ... except depthlab.DepthlabError as exc:
    ...     print(type(exc).__name__)
    InvalidInputError
    """


class UnreadableFileError(DepthlabError):
    """The file is corrupt, truncated, not an image, or of a kind depthlab cannot read."""


class UnsupportedFormatError(UnreadableFileError):
    """The file is readable but uses a container or encoding depthlab does not support yet."""


class NoDepthError(DepthlabError):
    """The file is a valid image but carries no depth map.

    The message names what the file does contain (mattes, gain maps, ...) so a user can tell an
    edited copy (depth survives only in unmodified originals) from a photo that never had depth.
    """


class CalibrationError(DepthlabError):
    """The camera geometry needed for a request is missing or inconsistent."""


class InvalidInputError(DepthlabError, ValueError):
    """An argument cannot be represented (wrong dtype, shape, non-finite value, ...)."""


class OverwriteError(DepthlabError, FileExistsError):
    """Refused to replace an existing file without ``overwrite=True`` / ``--force``."""


class WriteError(DepthlabError, OSError):
    """Writing an output file failed; any previous file at that path is left untouched."""


class MissingDependencyError(DepthlabError, ImportError):
    """A Python package depthlab needs is not installed, or is installed but fails to import.

    The message names the package (its pip name) and the line that installs it; the user's
    file is never blamed.  ``.package`` holds the pip name.
    """

    package: str = ""


__all__ = [
    "DepthlabError",
    "UnreadableFileError",
    "UnsupportedFormatError",
    "NoDepthError",
    "CalibrationError",
    "InvalidInputError",
    "OverwriteError",
    "WriteError",
    "MissingDependencyError",
]
