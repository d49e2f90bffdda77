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
    """The file is corrupt, truncated, not an image, or of a kind depthlab cannot read.

    >>> import depthlab
    >>> from pathlib import Path
    >>> _ = Path("notes.txt").write_text("not a photo")
    >>> try:
    ...     depthlab.open("notes.txt")
    ... except depthlab.UnreadableFileError as exc:
    ...     print(str(exc).split(" (")[0])
    notes.txt is not an image depthlab knows; depthlab reads depth photos: Apple portrait HEIC
    """


class UnsupportedFormatError(UnreadableFileError):
    """The file is readable but uses a container or encoding depthlab does not support yet.

    >>> import depthlab
    >>> issubclass(depthlab.UnsupportedFormatError, depthlab.UnreadableFileError)
    True
    """


class NoDepthError(DepthlabError):
    """The file is a valid image but carries no depth map.

    The message names what the file does contain (mattes, gain maps, ...) so a user can tell an
    edited copy (depth survives only in unmodified originals) from a photo that never had depth.

    >>> import depthlab
    >>> import numpy as np
    >>> from PIL import Image
    >>> Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save("edited.jpg")
    >>> try:
    ...     depthlab.open("edited.jpg")
    ... except depthlab.NoDepthError as exc:
    ...     print(str(exc).split(" (")[0])
    edited.jpg holds no depth map
    """


class CalibrationError(DepthlabError):
    """The camera geometry needed for a request is missing or inconsistent.

    >>> import depthlab
    >>> cal = depthlab.open("data/sample/front_truedepth.heic").calibration
    >>> try:
    ...     cal.intrinsics_at(640, 640)
    ... except depthlab.CalibrationError as exc:
    ...     print(str(exc).split(" (")[0])
    a 640x640 image does not have the aspect of the calibration's reference size 960x1280; intrinsics only scale between sizes of the same view
    """


class InvalidInputError(DepthlabError, ValueError):
    """An argument cannot be represented (wrong dtype, shape, non-finite value, ...).

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/front_truedepth.heic")
    >>> try:
    ...     depthlab.project(cap, stride=0)
    ... except depthlab.InvalidInputError as exc:
    ...     print(exc)
    stride must be a whole number of at least 1, got 0
    """


class OverwriteError(DepthlabError, FileExistsError):
    """Refused to replace an existing file without ``overwrite=True`` / ``--force``.

    >>> import depthlab
    >>> cloud = depthlab.project(depthlab.open("data/sample/front_truedepth.heic"), stride=8)
    >>> _ = cloud.save("me.ply")
    >>> try:
    ...     cloud.save("me.ply")
    ... except depthlab.OverwriteError as exc:
    ...     print(str(exc).split(" (")[0])
    me.ply already exists; pass overwrite=True
    >>> cloud.save("me.ply", overwrite=True).name
    'me.ply'
    """


class WriteError(DepthlabError, OSError):
    """Writing an output file failed; any previous file at that path is left untouched.

    >>> import depthlab
    >>> cloud = depthlab.project(depthlab.open("data/sample/front_truedepth.heic"), stride=8)
    >>> try:
    ...     cloud.save("no_such_folder/me.ply")
    ... except depthlab.WriteError as exc:
    ...     print(exc)
    cannot write no_such_folder/me.ply: folder no_such_folder does not exist
    """


class MissingDependencyError(DepthlabError, ImportError):
    """A Python package depthlab needs is not installed, or is installed but fails to import.

    The message names the package (its pip name) and the line that installs it; the user's
    file is never blamed.  ``.package`` holds the pip name.

    >>> import depthlab
    >>> from depthlab.deps import require
    >>> try:
    ...     require("no_such_package_xyz", "this example")
    ... except depthlab.MissingDependencyError as exc:
    ...     print(exc.package)
    no_such_package_xyz
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
