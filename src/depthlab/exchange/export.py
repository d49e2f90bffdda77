"""Writers that start from a Capture: project it first, then hand the cloud to the writer.

The writers themselves (:mod:`depthlab.exchange.html`, :meth:`depthlab.pointcloud.PointCloud.save`) take
clouds only; this is the one level above them where a capture becomes a cloud, with the options
of :class:`~depthlab.settings.ProjectionSettings`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from . import html
from ..capture import Capture
from ..checks import keyword_options, known_options, require_capture
from ..errors import InvalidInputError, OverwriteError
from ..projection import point_cloud
from ..settings import ProjectionSettings, check_edges

__all__ = ["to_html", "clouds_of", "surfaces_of", "with_fill"]

RENDERS = ("points", "surface")


def clouds_of(items: Any, project_options: dict[str, Any]) -> Any:
    """``items`` (a cloud, a Capture, or a list/tuple of them) with every Capture projected with
    ``project_options``; options without a Capture to apply to are an error."""
    many = isinstance(items, (list, tuple))
    seq = list(items) if many else [items]
    settings = ProjectionSettings.from_options(project_options, "to_html projection")
    if project_options and not any(isinstance(c, Capture) for c in seq):
        raise InvalidInputError(
            f"projection options {sorted(project_options)} only apply to a Capture; this is already "
            "a point cloud (project it with those options first)"
        )
    out = [point_cloud(c, settings=settings) if isinstance(c, Capture) else c for c in seq]
    return out if many else out[0]


def surfaces_of(items: Any, project_options: dict[str, Any]) -> Any:
    """Like :func:`clouds_of`, but every Capture becomes its textured surface
    (:func:`depthlab.mesh` with the same model, near, far, stride, mask, depth scale and aspect;
    the colour options do not apply: a surface shows the photo)."""
    from ..surface._mesh import mesh

    many = isinstance(items, (list, tuple))
    seq = list(items) if many else [items]
    s = ProjectionSettings.from_options(project_options, "to_html surface")
    if project_options and not any(isinstance(c, Capture) for c in seq):
        raise InvalidInputError(f"surface options {sorted(project_options)} only apply to a Capture")
    out = [mesh(c, model=s.model, stride=s.stride, near=s.near, far=s.far, mask=s.mask, depth_scale=s.depth_scale,
                aspect=s.aspect) if isinstance(c, Capture) else c for c in seq]
    return out if many else out[0]


def with_fill(cap: Capture, item: Any, project_options: dict[str, Any]) -> Any:
    """``item`` (the cloud or surface of ``cap`` made with ``project_options``) with the invented
    layer behind its occlusion edges (:mod:`depthlab.surface.layers`), flagged, when the options
    draw the photo as measured from the phone (a pinhole model, photo colours, no mask, no
    stretch); else ``item`` as it is."""
    from ..settings import is_pinhole
    from ..surface.layers import layers, projector_layer, with_second_layer

    s = ProjectionSettings.from_options(project_options, "to_html fill")
    colour = s.colour_for(cap.has_rgb)
    if not (is_pinhole(s.model) and cap.has_rgb and s.mask is None and s.depth_scale == 1 and s.aspect == 1):
        return item
    if hasattr(item, "faces"):
        return layers(cap, model=s.model, stride=s.stride, near=s.near, far=s.far).mesh()
    if colour != "rgb":
        return item
    from ..projection import Projector

    back = projector_layer(Projector(cap, stride=s.stride), s.model, near=s.near, far=s.far)
    return with_second_layer(item, back["xyz"], back["rgb"], back["pixel_index"], back["invented"], back["facts"])


@keyword_options
def to_html(
    clouds: Any,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    point_size_m: float | None = None,
    background: Any = html.DEFAULT_BACKGROUND,
    title: str | None = None,
    render: str = "points",
    fill: bool = True,
    edges: str = "hide",
    **project_options: Any,
) -> Path:
    """Write one self-contained offline HTML page of a cloud or a capture (or two, linked).

    A Capture is projected first with ``project_options`` (those of :func:`depthlab.project`:
    ``model``, ``near``, ``far``, ``stride``, ``mask``, ``colour``, ``depth_scale``, ``aspect``,
    ``matte``); the page itself is :func:`depthlab.exchange.html.to_html`'s (see there for
    ``point_size_m``, ``background``, ``title`` and what the page holds).  An existing file is
    never replaced unless ``overwrite=True``; returns the path written.  ``render="surface"``
    draws each Capture as its textured surface (:func:`depthlab.mesh`) instead of points.
    ``fill`` (default True) adds, for each Capture, the invented background behind occlusion
    edges (:func:`depthlab.layers`; flagged, and the page's "Fill behind edges" checkbox hides it).
    ``edges`` (``"hide"``, the default, or ``"show"``): whether the page first draws the edge points
    (``PointCloud.edge``); every point is in the page, its "Edge points" checkbox shows or hides them.

    >>> import depthlab
    >>> front = depthlab.open("data/sample/front_truedepth.heic")
    >>> rear = depthlab.open("data/sample/rear_dual.heic")
    >>> depthlab.to_html(front, "me.html", stride=4).name
    'me.html'
    >>> depthlab.to_html([rear, front], "pair.html", stride=8).stat().st_size > 100_000
    True
    >>> depthlab.to_html(front, "surface.html", render="surface", stride=8).name
    'surface.html'
    """
    page_options = ["overwrite", "point_size_m", "background", "title", "render", "fill", "edges"]
    known_options("to_html()", project_options, page_options + ProjectionSettings.option_names())
    if render not in RENDERS:
        raise InvalidInputError(f"render must be one of {RENDERS}, got {render!r}")
    check_edges(edges)
    for item in clouds if isinstance(clouds, (list, tuple)) else [clouds]:
        if not (hasattr(item, "xyz") or hasattr(item, "faces")):  # a PointCloud or a Mesh is shown as it is
            require_capture(item, "to_html()")
    dest = Path(path)
    if not overwrite and dest.exists():  # refuse before any projection work
        raise OverwriteError(f"{dest} already exists; pass overwrite=True (or --force on the command line) to replace it")
    items = (clouds_of if render == "points" else surfaces_of)(clouds, project_options)
    if fill:
        if isinstance(clouds, (list, tuple)):
            items = [with_fill(c, i, project_options) if isinstance(c, Capture) else i for c, i in zip(clouds, items)]
        elif isinstance(clouds, Capture):
            items = with_fill(clouds, items, project_options)
    return html.to_html(items, dest, overwrite=overwrite, point_size_m=point_size_m, background=background, title=title,
                        edges=edges)
