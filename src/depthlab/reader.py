"""``depthlab.open``: one entry point for every depth photo depthlab reads.

It reads the file once (bounded), recognises the container by its first bytes and hands it to
the reader for that container.  Only :class:`~depthlab.errors.DepthlabError` subclasses leave
this function: anything unexpected from a dependency is wrapped in
:class:`~depthlab.errors.UnreadableFileError` with the original as its cause.
"""

from __future__ import annotations

import os
from pathlib import Path

from .capture import Capture
from .checks import keyword_options
from .errors import DepthlabError, InvalidInputError, UnreadableFileError

#: Phone photos are a few MB; anything beyond this is refused before it is read.
MAX_FILE_BYTES = 512 * 1024 * 1024

HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2", b"avif", b"avis"}


def sniff(head: bytes) -> str:
    """'heif', 'jpeg', or a short name of what else it is ('png', 'unknown', ...).

    >>> from pathlib import Path
    >>> from depthlab.reader import sniff
    >>> sniff(Path("data/sample/pixel_portrait.jpg").read_bytes()[:64]), sniff(b"GIF89a")
    ('jpeg', 'gif')
    """
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "heif" if head[8:12] in HEIF_BRANDS or b"heic" in head[8:64] or b"mif1" in head[8:64] else "mp4/isobmff"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"GIF8"):
        return "gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    if not head:
        return "empty"
    return "unknown"


@keyword_options
def open(path: str | os.PathLike, *, baseline_m: float | None = None, calibration: str = "checked") -> Capture:  # noqa: A001 - the public name is depthlab.open
    """Open a depth photo and return a :class:`~depthlab.Capture`.

    A stereo pair (an Apple spatial photo's two views) has no depth map: depth is computed from
    the views (:func:`depthlab.stereo`) with the file's own focal length and baseline;
    ``baseline_m`` gives the baseline where the file does not (or overrides it).

    ``calibration``: the stored intrinsics are checked against the EXIF focal length.  With
    "checked" (the default), a calibration whose one axis disagrees by more than 10% while the
    other agrees is corrected to square pixels from the agreeing axis (a note in
    ``cap.metadata['notes']``, the stored numbers in ``cap.metadata['stored_calibration']``);
    "stored" keeps the file's numbers, with a ``warnings.warn`` when they were flagged.  Every
    consumer (project, mesh, figures, views) then sees that one calibration.

    Reads the photos :func:`supported_formats` lists (Apple portrait HEIC and JPEG, Dynamic
    Depth, Lens Blur, RealSense XDM, Apple spatial pairs).  Metadata and the depth map are read now; the colour image
    and mattes are decoded on first use.

    Raises
    ------
    NoDepthError
        A valid photo without a depth map (e.g. an edited copy); the message names what it holds.
    UnreadableFileError
        Missing, corrupt, truncated, non-image or unsupported files.

    >>> import depthlab
    >>> cap = depthlab.open("data/sample/rear_dual.heic")
    >>> cap.format, cap.camera.kind, cap.accuracy
    ('HEIC (Apple portrait)', 'rear dual', 'relative')
    >>> try:
    ...     depthlab.open("data/sample/missing.heic")
    ... except depthlab.UnreadableFileError as exc:
    ...     print(exc)
    data/sample/missing.heic: no such file
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidInputError(f"open() takes the path of a photo file (a str or pathlib.Path), got "
                                f"{type(path).__name__}; for a photo's bytes in memory (e.g. an upload) use "
                                "depthlab.reader.open_bytes(data)")
    p = Path(path)
    try:
        if not p.exists():
            raise UnreadableFileError(f"{p}: no such file")
        if p.is_dir():
            raise UnreadableFileError(f"{p} is a folder; give a photo file")
        if not p.is_file():
            # a named pipe would block open() forever; a device (/dev/zero) reads without end
            raise UnreadableFileError(f"{p} is not a regular file (a pipe, socket or device); give a photo file")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableFileError(f"{p.name} is {size / 2**20:.0f} MiB; phone photos are far smaller, so it is not one")
        with p.open("rb") as fh:
            # read(n) reserves n bytes before reading: ask for the size stat gave, then read on
            # (bounded) only if the file turns out longer
            data = fh.read(size + 1)
            if len(data) > size:
                data += fh.read(MAX_FILE_BYTES + 1 - len(data))
    except DepthlabError:
        raise
    except OSError as exc:
        raise UnreadableFileError(f"{p}: cannot read it ({exc.strerror or exc})") from exc
    return open_bytes(data, p, baseline_m=baseline_m, calibration=calibration)


def _checked(cap: Capture, calibration: str = "checked") -> Capture:
    """Every reader's capture: stored intrinsics checked against the EXIF focal length.

    When they disagree, a note says so.  ``calibration="checked"`` (the default) then uses square
    pixels from the axis that agrees (:func:`depthlab.camera.checked_calibration`), noted in
    ``metadata``; ``"stored"`` keeps the file's calibration and warns (``warnings.warn``).  When
    both axes disagree alike (the EXIF, not the calibration, is the odd one out, or there is
    nothing to correct from) the note is all.
    """
    import warnings

    from .camera import check_intrinsics_against_exif, checked_calibration

    check = check_intrinsics_against_exif(cap.calibration, cap.camera)
    if check is None or check.agrees or not isinstance(cap.metadata, dict):
        return cap
    notes = cap.metadata.setdefault("notes", [])
    notes.append(check.note)
    name = cap.path.name if cap.path is not None else "the photo"
    fixed = checked_calibration(cap.calibration, check) if calibration == "checked" else None  # type: ignore[arg-type]
    if fixed is not None:
        cap.metadata["stored_calibration"] = {"fx": check.fx, "fy": check.fy, "reference_size": list(check.reference_size)}
        cap.calibration = fixed
        notes.append(f"calibration='checked' (the default): {fixed.source.rsplit('; ', 1)[-1]}")
        return cap
    if calibration == "stored":
        warnings.warn(f"{name}: {check.note} (calibration='stored': using the stored intrinsics as asked)",
                      UserWarning, stacklevel=4)
    return cap


def _dependency_error(exc: ImportError) -> DepthlabError:
    from .deps import dependency_in, missing_error

    dep = dependency_in(exc)
    if dep is None:  # depthlab's own import failed: an installation problem, not the file's
        return DepthlabError(f"depthlab itself failed to import a module ({exc}); reinstall depthlab, or report it if that does not help")
    return missing_error(dep, exc)


#: What each reader reads (container -> kinds of photo): the one list the "supported formats"
#: sentence is built from; a reader added to :func:`open_bytes` adds its kinds here.
READERS = {
    "heif": ("Apple portrait HEIC (rear dual and front TrueDepth)", "Apple spatial (stereo) HEIC"),
    "jpeg": ("Apple portrait JPEG (MPF)", "Android Dynamic Depth JPEG (Pixel portraits)", "Google Lens Blur (GDepth) JPEG",
             "Intel RealSense XDM 1.0 JPEG"),
}


def supported_formats() -> str:
    """The photos depthlab reads, as one sentence fragment built from :data:`READERS`.

    >>> "Dynamic Depth" in supported_formats()
    True
    """
    kinds = [k for ks in READERS.values() for k in ks]
    return ", ".join(kinds[:-1]) + " and " + kinds[-1]


def _baseline_used(cap: Capture, baseline_m: float | None, name: str) -> Capture:
    """``cap``, or a refusal when ``baseline_m`` was given for a photo that is not a stereo pair
    (it would be dropped without a word)."""
    if baseline_m is not None and cap.metadata.get("baseline_m") is None:
        raise InvalidInputError(f"{name}: baseline_m applies to stereo pairs (an Apple spatial photo, a 3D camera's MPO); "
                                f"this photo stores its own depth map ({cap.format}), so there is no baseline to set: "
                                "open it without baseline_m")
    return cap


def open_bytes(data: bytes, path: Path | None = None, *, baseline_m: float | None = None,
               calibration: str = "checked") -> Capture:
    """Like :func:`open` for bytes already in memory (``path`` is used in messages).

    >>> from depthlab.reader import open_bytes
    >>> from pathlib import Path
    >>> cap = open_bytes(Path("data/sample/front_truedepth.heic").read_bytes())
    >>> cap.shape, cap.path
    ((640, 480), None)
    """
    from .camera import CALIBRATION_CHOICES
    from .checks import one_of

    one_of("calibration", calibration, CALIBRATION_CHOICES)
    name = path.name if path else "the data"
    kind = sniff(data[:64])
    try:
        if kind == "heif":
            from .formats.heic import read_heic

            return _baseline_used(_checked(read_heic(path, data, baseline_m=baseline_m), calibration), baseline_m, name)
        if kind == "jpeg":
            from .formats.jpeg import read_jpeg

            return _baseline_used(_checked(read_jpeg(path, data, baseline_m=baseline_m), calibration), baseline_m, name)
    except DepthlabError:
        raise
    except ImportError as exc:  # a package the reader loads lazily is missing or broken: not the file's fault
        raise _dependency_error(exc) from exc
    except (MemoryError, RecursionError) as exc:
        raise UnreadableFileError(f"{name}: reading it needed unreasonable resources ({type(exc).__name__}); the file looks damaged") from exc
    except Exception as exc:  # safety net: never a bare exception from a dependency
        raise UnreadableFileError(f"{name}: could not be read ({type(exc).__name__}: {exc}); the file is probably damaged") from exc
    if kind == "empty":
        raise UnreadableFileError(f"{name} is empty")
    what = {"png": "a PNG image", "tiff": "a TIFF image", "gif": "a GIF image", "webp": "a WebP image",
            "mp4/isobmff": "an ISO media file (video?) that is not HEIF", "unknown": "not an image depthlab knows"}[kind]
    raise UnreadableFileError(
        f"{name} is {what}; depthlab reads depth photos: {supported_formats()}"
    )
