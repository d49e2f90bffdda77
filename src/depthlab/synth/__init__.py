"""Synthetic depth captures with known geometry, written as Apple-layout HEIC files.

>>> import depthlab
>>> from depthlab import synth
>>> cap = synth.render_front_truedepth(depth_size=(120, 160), colour_size=(240, 320))  # a selfie, small
>>> cap.truth.scene["primitives"][0]["radius_m"]
0.09
>>> synth.write_heic("selfie.heic", cap)           # in the current folder
>>> depthlab.open("selfie.heic").accuracy
'absolute'

``synth.generate_samples("data/sample")`` (or ``python -m depthlab.synth``) regenerates the
shipped samples.

Modules: :mod:`~depthlab.synth.scenes` (primitives, ray casting, the shipped scenes),
:mod:`~depthlab.synth.render` (the rear dual and front TrueDepth cameras, ground truth),
:mod:`~depthlab.synth.heic` (the writer), :mod:`~depthlab.synth.samples` (``data/sample``),
:mod:`~depthlab.synth.spatial` (a spatial photo: a rendered stereo pair with truth),
:mod:`~depthlab.synth.jpeg` (Apple portrait JPEG and Google GDepth writers, and the JPEG segment
primitives they are made of: XMP, extended XMP, MPF index, appended files).
"""

from __future__ import annotations

from .heic import encode_hevc, heic_bytes, write_heic
from .render import (
    DEFAULT_SEED,
    GroundTruth,
    SynthCapture,
    apply_radial,
    fit_inverse_coefficients,
    front_calibration,
    rear_calibration,
    render_front_truedepth,
    render_rear_dual,
)
from .samples import SAMPLE_NAMES, generate_samples, load_truth, sample_files
from .scenes import Ellipsoid, Plane, Scene, cast, portrait_scene, selfie_scene
from .spatial import SpatialCapture, render_spatial, spatial_heic_bytes, stereo_scene, write_spatial_heic

__all__ = [
    "DEFAULT_SEED", "Ellipsoid", "GroundTruth", "Plane", "SAMPLE_NAMES", "Scene", "SynthCapture",
    "apply_radial", "cast", "encode_hevc", "fit_inverse_coefficients", "front_calibration",
    "generate_samples", "heic_bytes", "load_truth", "portrait_scene", "rear_calibration",
    "render_front_truedepth", "render_rear_dual", "sample_files", "selfie_scene", "write_heic",
    "SpatialCapture", "render_spatial", "spatial_heic_bytes", "stereo_scene", "write_spatial_heic",
]
