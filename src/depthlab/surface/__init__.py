"""Surfaces from a depth map: the textured mesh (:func:`mesh`, :class:`Mesh`), the triangulation
that cuts it at occlusions (:mod:`.triangulate`) and the closed relief for printing (:mod:`.relief`).

The mesh code lives in the private module ``_mesh``: a submodule named ``mesh`` would shadow the
function ``depthlab.mesh``.
"""

from ._mesh import Mesh, mesh

__all__ = ["Mesh", "mesh"]
