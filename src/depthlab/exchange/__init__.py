"""Files other programs read: point clouds (:mod:`.clouds`, PCD and PLY), meshes (:mod:`.meshes`),
the offline HTML page with its static viewer (:mod:`.html`, :mod:`.export`), 16-bit depth PNGs
(:mod:`.depth_png`), and the atomic, non-destructive write every writer uses (:mod:`.atomic`).
"""
