"""Files other programs read: point clouds and meshes, the offline HTML page (with its static
viewer), 16-bit depth PNGs, and the atomic, non-destructive write that every writer uses.
"""
