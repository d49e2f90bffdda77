"""Conventions: the frames, units and pixel centres every geometry function in depthlab uses.

This is the one place they are written down; other docstrings say "Convention: see
:mod:`depthlab.conventions`" and add only what is special to them.

Frames
------
* **Camera frame** (points, clouds, meshes): x right, y down, z forward (away from the phone,
  into the scene), origin at the camera's centre of projection.  Right-handed.
* **three.js frame** (only inside the live view and the HTML page): x right, y up, z toward the
  viewer; :func:`depthlab.live.scene.to_threejs` flips y and z.

Images and pixels
-----------------
* Arrays are in **display orientation** (as the phone shows the photo), row-major
  ``(H, W)``; pixel ``(u, v)`` = (column, row).
* **Pixel centres**: intrinsics at an image size are *centre-origin*
  (:meth:`depthlab.capture.Calibration.intrinsics_at`): pixel ``(u, v)``'s centre is at
  ``(u, v)``.  Apple's stored intrinsics are *corner-origin* at the calibration's reference
  size (pixel (0, 0)'s centre is (0.5, 0.5)); :mod:`depthlab.camera` converts.
* A **grid** of stride ``s`` keeps every ``s``-th pixel in each direction, starting at (0, 0):
  ``ceil(H/s) x ceil(W/s)`` pixels, flattened row-major to ``M`` points where a flat layout is
  used; ``pixel_index`` is the flat row-major index of a grid pixel in the *full* depth map.

Units
-----
* Depth in **metres**, disparity in **1/m**; NaN where unknown.
* Positions of the pinhole models at depth scale 1 are metres ("m"); every other model or
  scale gives "arbitrary" units (:attr:`depthlab.settings.ProjectionSettings.units`).
* Whether metres can be *trusted* is the capture's ``accuracy``: ``"absolute"`` (front
  TrueDepth) or ``"relative"`` (rear dual camera: shape right, scale not).
* Positions float32, colours uint8 RGB.

Projection models
-----------------
See :mod:`depthlab.settings` (names, which are pinhole) and :mod:`depthlab.geometry` (the
formulas).
"""
