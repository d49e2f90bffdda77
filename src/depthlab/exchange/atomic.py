"""Atomic, non-destructive file writing shared by every writer in depthlab.

``atomic_write(path, overwrite=False)`` yields a binary file object that writes to a temporary
file in the destination folder; on success it is flushed, fsynced and renamed into place
(``os.replace``, atomic on POSIX); on any error the temporary file is removed and the old file,
if any, is untouched.  Without ``overwrite=True`` an existing destination raises
:class:`~depthlab.errors.OverwriteError` before anything is written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

from ..errors import OverwriteError, WriteError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, overwrite: bool = False) -> Iterator[IO[bytes]]:
    """A binary file handle whose bytes appear at ``path`` only when the block ends without an
    error (written to a temporary file beside it, then renamed into place).  An existing file is
    refused (:class:`~depthlab.errors.OverwriteError`) unless ``overwrite=True``.

    >>> import depthlab
    >>> from depthlab.exchange.atomic import atomic_write
    >>> with atomic_write("notes.txt") as fh:
    ...     _ = fh.write(b"hello")
    >>> try:
    ...     with atomic_write("notes.txt") as fh:
    ...         pass
    ... except depthlab.OverwriteError as exc:
    ...     print(type(exc).__name__)
    OverwriteError
    """
    dest = Path(path)
    if dest.is_symlink():
        # write through a link to its target, as open() would, instead of replacing the link
        dest = dest.resolve()
    if dest.is_dir():
        raise WriteError(f"cannot write {dest}: it is a folder; give a file name (e.g. {dest / 'name'} with the "
                         "format's suffix)")
    if dest.exists() and not overwrite:
        raise OverwriteError(
            f"{dest} already exists; pass overwrite=True (or --force on the command line) to replace it"
        )
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise WriteError(f"cannot write {dest}: folder {folder} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise WriteError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        # mkstemp creates 0600: keep the mode of the file being replaced, or give a new file
        # the mode an ordinary open() would (0666 less the umask)
        try:
            mode = dest.stat().st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if not overwrite and dest.exists():
            raise OverwriteError(f"{dest} appeared while writing; not replaced (pass overwrite=True)")
        os.replace(tmp, dest)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, (OverwriteError, WriteError)):
            raise WriteError(f"writing {dest} failed: {exc.strerror or exc}; nothing was replaced") from exc
        raise


def _umask() -> int:
    """The process umask, read without changing it where Linux allows (no race with threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`).

    >>> from depthlab.exchange.atomic import atomic_write_bytes
    >>> atomic_write_bytes("a.bin", b"ab").stat().st_size
    2
    """
    with atomic_write(path, overwrite=overwrite) as fh:
        fh.write(data)
    return Path(path)
