"""What Apple's depth photos share, whether HEIC items or MPF images of a portrait JPEG.

The depth image's XMP (``apdi:`` and ``depthData:`` keys) says how its integer codes become
disparity (or depth) and carries the camera's calibration; both readers turn them into numbers
here, the same way:

    value = FloatMinValue + (FloatMaxValue - FloatMinValue) * (code - IntMinValue) / (IntMaxValue - IntMinValue)

in 1/m for ``AuxiliaryImageType`` "disparity" (Apple's usual), in m for "depth".
"""

from __future__ import annotations

import numpy as np

from ..capture import Calibration, Orientation, disparity_from_depth
from ..errors import DepthlabError, UnreadableFileError
from .makers import APPLE_ADVICE
from .xmp import DEPTHDATA, Xmp

# values per block in disparity_from_codes (a few float32 blocks stay in L2)
_CHUNK = 1 << 16

#: what an iPhone photo needs to keep its depth (owned by :mod:`depthlab.formats.makers`)
EDITED_HINT = APPLE_ADVICE


def fourcc(v: int | None) -> str | None:
    """``apdi:StoredFormat``/``NativeFormat`` numbers as their four letters ('L008', 'hdis')."""
    if v is None:
        return None
    try:
        s = int(v).to_bytes(4, "big").decode("ascii")
    except (OverflowError, UnicodeDecodeError, ValueError):
        return str(v)
    return s if s.isprintable() else str(v)


def disparity_from_codes(codes: np.ndarray, float_min: float, float_max: float,
                         int_min: int, int_max: int, kind: str = "disparity") -> np.ndarray:
    """float32 disparity (1/m) from stored integer codes, NaN where unknown.

    Convention: linear in the stored quantity (see the module docstring); ``kind`` "depth" maps
    are inverted after decoding.  Non-positive disparity (infinitely far or unknown) becomes NaN.
    """
    scale = np.float32((float_max - float_min) / (int_max - int_min))
    i0, f0 = np.float32(int_min), np.float32(float_min)
    codes = np.asarray(codes)
    out = np.empty(codes.shape, dtype=np.float32)
    src, dst = codes.reshape(-1), out.reshape(-1)
    # block by block, in cache: a few vectorised passes cost less than a table lookup per pixel
    # (which also needs the codes as a 64-bit index array); the same float32 arithmetic
    for a in range(0, src.size, _CHUNK):
        v = dst[a:a + _CHUNK]
        np.copyto(v, src[a:a + _CHUNK], casting="unsafe")
        np.subtract(v, i0, out=v)
        np.multiply(v, scale, out=v)
        np.add(v, f0, out=v)
        if kind == "depth":
            v[...] = disparity_from_depth(v)
        else:
            np.copyto(v, np.float32(np.nan), where=~(v > 0))
    return out


def same_aspect(a: tuple[float, float], b: tuple[float, float], tol: float = 0.02) -> bool:
    """Whether two (width, height) sizes have the same aspect ratio within ``tol`` (relative)."""
    return abs(a[0] / a[1] - b[0] / b[1]) <= tol * (a[0] / a[1])


def read_calibration(xmp: Xmp) -> Calibration | None:
    """Calibration from the depth item's XMP (AVCameraCalibrationData keys), or None if absent.

    ``IntrinsicMatrix`` is stored column-major (9 values), ``ExtrinsicMatrix`` column-major 4x3
    (12 values: R's three columns, then t).  Non-finite or malformed numbers raise
    :class:`UnreadableFileError`.
    """
    k = xmp.floats(DEPTHDATA, "IntrinsicMatrix", 9)
    if k is None:
        return None
    rw = xmp.int(DEPTHDATA, "IntrinsicMatrixReferenceWidth")
    rh = xmp.int(DEPTHDATA, "IntrinsicMatrixReferenceHeight")
    if not rw or not rh or rw <= 0 or rh <= 0:
        raise UnreadableFileError(f"{xmp.what}: IntrinsicMatrix has no valid reference size ({rw}x{rh})")
    kmat = np.array(k, dtype=np.float64).reshape(3, 3).T
    ext = xmp.floats(DEPTHDATA, "ExtrinsicMatrix", 12)
    cx = xmp.float(DEPTHDATA, "LensDistortionCenterOffsetX")
    cy = xmp.float(DEPTHDATA, "LensDistortionCenterOffsetY")
    # read (and check) every number before building, so only Calibration's own complaints are
    # wrapped below -- a bad number already says which key and file it came from
    distortion = xmp.floats(DEPTHDATA, "LensDistortionCoefficients", 8)
    inverse = xmp.floats(DEPTHDATA, "InverseLensDistortionCoefficients", 8)
    pixel_size = xmp.float(DEPTHDATA, "PixelSize")
    max_radius = xmp.float(DEPTHDATA, "DistortionCalibrationValidMaxRadiusInPixels")
    try:
        return Calibration(
            intrinsic_matrix=kmat,
            reference_size=(rw, rh),
            lens_distortion=distortion,
            inverse_lens_distortion=inverse,
            distortion_center=None if cx is None or cy is None else (cx, cy),
            pixel_size_mm=pixel_size,
            extrinsic_matrix=None if ext is None else np.array(ext).reshape(4, 3).T,
            distortion_max_radius_px=max_radius,
            estimated=False,
            source="depth item XMP (AVCameraCalibrationData)",
        )
    except DepthlabError as exc:
        raise UnreadableFileError(f"{xmp.what}: the calibration is invalid ({exc})") from exc


def calibration_for_display(xmp: Xmp, stored_size: tuple[int, int] | None, display_size: tuple[int, int],
                            orientation: Orientation, notes: list[str], source: str | None = None) -> Calibration | None:
    """The depth image's calibration expressed in the display frame of its depth map, or None.

    A calibration whose reference size has the aspect of the *stored* depth image is turned with
    the same ``orientation`` as the pixels (camera originals); one already upright (re-saved
    files) is kept.  Broken numbers or a reference size that fits neither frame drop the
    calibration with a line in ``notes``: the depth values do not depend on it.
    """
    try:
        calibration = read_calibration(xmp)
    except UnreadableFileError as exc:
        notes.append(f"calibration ignored: {exc}")
        return None
    if calibration is None:
        return None
    if source is not None:
        from dataclasses import replace

        calibration = replace(calibration, source=source)
    ref = calibration.reference_size
    if stored_size and same_aspect(ref, stored_size):
        calibration = calibration.oriented(orientation)
    if not same_aspect(calibration.reference_size, display_size):
        notes.append(
            f"calibration reference size {ref[0]}x{ref[1]} does not match the depth map's "
            f"{display_size[0]}x{display_size[1]} aspect; calibration ignored"
        )
        return None
    return calibration
