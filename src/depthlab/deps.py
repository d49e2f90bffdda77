"""Third-party packages depthlab loads lazily, and the error that names a missing or broken one.

``import depthlab`` loads numpy only; readers, writers, views and figures import their
libraries when first used.  When such an import fails, the user must learn which *package* is
missing (its pip name, not its import name) and the exact line that installs it into the
Python that is running -- never that their photo "is probably damaged".
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from .errors import MissingDependencyError

#: import name -> (pip package name, what depthlab uses it for)
PACKAGES: dict[str, tuple[str, str]] = {
    "pillow_heif": ("pillow-heif", "reading HEIC files"),
    "PIL": ("pillow", "reading and writing images"),
    "defusedxml": ("defusedxml", "reading the XMP metadata of photos"),
    "pypcd4": ("pypcd4", "writing and reading PCD point clouds"),
    "plyfile": ("plyfile", "writing and reading PLY point clouds"),
    "matplotlib": ("matplotlib", "figures"),
    "ipywidgets": ("ipywidgets", "the live views in JupyterLab"),
    "pythreejs": ("pythreejs", "the live 3D view in JupyterLab"),
    "tqdm": ("tqdm", "progress bars of the command line"),
    "scipy": ("scipy", "image filters"),
    "cv2": ("opencv-python-headless", "computing depth from a stereo pair (spatial photos) and inpainting"),
    "trimesh": ("trimesh", "mesh files (GLB, OBJ, STL, PLY)"),
    "imageio_ffmpeg": ("imageio-ffmpeg", "writing MP4 video (its wheel ships an ffmpeg)"),
    "open3d": ("open3d", "PointCloud.to_open3d() (an optional companion, not installed with depthlab)"),
}


def _pip_line(package: str, reinstall: bool = False) -> str:
    flags = "--force-reinstall " if reinstall else ""
    return f"{sys.executable} -m pip install {flags}{package}"


def missing_error(module: str, cause: BaseException | None = None, purpose: str | None = None) -> MissingDependencyError:
    """The :class:`MissingDependencyError` for import name ``module`` (top-level name).

    A :class:`ModuleNotFoundError` for the module itself means "not installed"; any other
    failure while importing it means "installed but broken" (e.g. a missing shared library).
    """
    top = module.split(".")[0]
    package, use = PACKAGES.get(top, (top, "this feature"))
    use = purpose or use
    not_installed = isinstance(cause, ModuleNotFoundError) and (cause.name or "").split(".")[0] == top
    if cause is None or not_installed:
        msg = (f"depthlab needs the Python package '{package}' for {use}, but it is not installed in this "
               f"environment. Install it with: {_pip_line(package)}")
    else:
        msg = (f"depthlab needs the Python package '{package}' for {use}; it is installed but fails to import "
               f"({type(cause).__name__}: {cause}). Reinstall it with: {_pip_line(package, reinstall=True)}")
    err = MissingDependencyError(msg)
    err.package = package
    return err


def require(module: str, purpose: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming its package and pip line.

    >>> from depthlab.deps import require
    >>> require("numpy").__name__
    'numpy'
    >>> try:
    ...     require("no_such_package_xyz", "this example")
    ... except depthlab.MissingDependencyError as exc:
    ...     print(type(exc).__name__)
    MissingDependencyError
    """
    try:
        return importlib.import_module(module)
    except Exception as exc:  # ModuleNotFoundError, ImportError (broken binary), or a crash at import
        raise missing_error(module, exc, purpose) from exc


def dependency_in(exc: BaseException) -> str | None:
    """The import name of a third-party module whose import failed in ``exc``'s cause chain, or None.

    Only ImportErrors naming a module outside depthlab count, so a bug in depthlab's own imports
    is never reported as the user's missing package.
    """
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ImportError) and not isinstance(e, MissingDependencyError):
            name = (e.name or "").split(".")[0]
            if name and name != "depthlab":
                return name
        e = e.__cause__ or e.__context__
    return None
