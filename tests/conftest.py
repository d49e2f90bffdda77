"""Shared fixtures: where the real phone samples and the generated samples live.

Two rules hold for the whole test session:

* ``DEPTHLAB_REQUIRE_SAMPLES=1`` (set by ``.ci/run``) turns a missing ``../shared/samples`` (or a
  missing file in it, or a missing generated sample in ``data/sample``) into a failure instead of
  a skip: in CI the samples are part of the test set, and a regression must not turn into a skip.
* ``depthlab.open``'s safety net stays for users, but in tests a programming error it wrapped is
  a failure: :func:`depthlab.reader.open_bytes` is wrapped for the session so that a
  DepthlabError hiding an IndexError, KeyError, TypeError, struct.error... in its cause chain
  raises AssertionError instead (``tests/error_chain.py`` says exactly what counts).

Tests write only under pytest's temporary folders: hypothesis keeps no example database and
its home (``.hypothesis/``, by default in the project root) is moved under pytest's base temp.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

import depthlab.reader
from depthlab.capture import Calibration, CameraInfo, Capture
from depthlab.errors import DepthlabError
from error_chain import programming_error

ROOT = Path(__file__).resolve().parents[1]
DATA_SAMPLE = ROOT / "data" / "sample"
# ../shared/samples relative to the project root (present on development machines and in CI);
# DEPTHLAB_SHARED_SAMPLES overrides it.
SHARED_SAMPLES = Path(os.environ.get("DEPTHLAB_SHARED_SAMPLES", ROOT.parent / "shared" / "samples"))
REQUIRE_SAMPLES = os.environ.get("DEPTHLAB_REQUIRE_SAMPLES", "") not in ("", "0")
#: screenshots and logs a test keeps for a person to look at: under pytest's base temp (set in
#: pytest_configure below; DEPTHLAB_TEST_ARTIFACTS overrides), never in the project root
ARTIFACTS_DIR = Path(os.environ.get("DEPTHLAB_TEST_ARTIFACTS") or Path(os.environ.get("TMPDIR", "/tmp")) / "depthlab-test-artifacts")

settings.register_profile("depthlab", database=None)
settings.load_profile("depthlab")


def missing_sample(reason: str):
    """Skip the test with ``reason`` -- or fail it where the samples are required (CI)."""
    if REQUIRE_SAMPLES:
        pytest.fail(f"{reason}; DEPTHLAB_REQUIRE_SAMPLES=1 requires it", pytrace=False)
    pytest.skip(reason)


def shared_sample(relpath: str) -> Path:
    """Path of a real phone file under ../shared/samples, or skip the test with the reason."""
    p = SHARED_SAMPLES / relpath
    if not p.is_file():
        missing_sample(f"real sample {relpath} not found under {SHARED_SAMPLES} (set DEPTHLAB_SHARED_SAMPLES)")
    return p


def data_sample(name: str) -> Path:
    """Path of a generated sample in data/sample, or skip if it has not been generated."""
    p = DATA_SAMPLE / name
    if not p.is_file():
        missing_sample(f"generated sample {name} missing from data/sample (run `depthlab samples`)")
    return p


def shared_samples_dir() -> Path:
    """../shared/samples itself, or skip (fail where required) when the folder is absent."""
    if not SHARED_SAMPLES.is_dir():
        missing_sample(f"real samples folder {SHARED_SAMPLES} is absent")
    return SHARED_SAMPLES


def make_capture(depth, *, intrinsics=None, reference_size=None, rgb=None, lazy_rgb=False,
                 accuracy="absolute", kind="front TrueDepth", **fields) -> Capture:
    """A small in-memory Capture for tests (the one helper every test file builds its scenes with).

    ``depth`` is in metres (NaN or <= 0: unknown) and becomes the disparity; ``intrinsics``
    (``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` at ``reference_size``, default the depth map's
    (w, h)) becomes the calibration, None leaves the capture uncalibrated; ``rgb`` (uint8
    (H', W', 3)) is attached decoded, or behind a loader (decoded on first use, as a file's
    colour is) with ``lazy_rgb=True``.  ``fields`` go to :class:`Capture` (mattes, path, ...).
    """
    depth = np.asarray(depth)
    if depth.dtype.kind != "f":
        depth = depth.astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):  # in depth's own precision, as a phone would
        disparity = np.where(np.isfinite(depth) & (depth > 0), 1.0 / depth, np.nan).astype(np.float32)
    calibration = None
    if intrinsics is not None:
        size = reference_size or (depth.shape[1], depth.shape[0])
        calibration = Calibration(intrinsic_matrix=intrinsics, reference_size=size)
    if rgb is not None and lazy_rgb:
        fields["rgb_loader"] = lambda: rgb
    cap = Capture(disparity=disparity, calibration=calibration, accuracy=accuracy,
                  camera=fields.pop("camera", CameraInfo(kind=kind)), **fields)
    if rgb is not None and not lazy_rgb:
        cap.set_rgb(rgb)
    return cap


def decoded_on_first_use(cap: Capture):
    """``cap.rgb``, checked to be decoded now, on first use (its loader runs once, here), and kept."""
    calls = []
    load = cap.rgb_loader
    assert load is not None, "the capture has no colour loader"
    cap.rgb_loader = lambda: calls.append(1) or load()
    rgb = cap.rgb
    assert calls == [1], "the colour image was decoded before it was asked for"
    assert cap.rgb is rgb and calls == [1], "the decoded colour image is kept"
    return rgb


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """Hypothesis writes its home (a constants cache) while test modules are collected: point it
    at pytest's base temp before that, so nothing lands in the project root."""
    from hypothesis.configuration import set_hypothesis_home_dir

    global ARTIFACTS_DIR
    factory = getattr(config, "_tmp_path_factory", None)  # pytest's own tmp_path_factory
    if factory is not None:
        set_hypothesis_home_dir(factory.getbasetemp() / "hypothesis")
        if not os.environ.get("DEPTHLAB_TEST_ARTIFACTS"):
            ARTIFACTS_DIR = factory.getbasetemp() / "artifacts"
    else:  # pragma: no cover - a pytest without the tmpdir plugin
        import tempfile

        set_hypothesis_home_dir(Path(tempfile.mkdtemp(prefix="depthlab-hypothesis-")))


@pytest.fixture
def samples_dir() -> Path:
    return shared_samples_dir()


@pytest.fixture(scope="module")
def rear():
    """The generated rear sample and its ground truth, ``(Capture, GroundTruth)``, opened once per
    module.  Modules that render captures of their own (tests/synth, test_refocus) define their
    own ``rear``/``front``, which take precedence there."""
    import depthlab
    from depthlab import synth

    p = data_sample("rear_dual.heic")
    return depthlab.open(p), synth.load_truth(p)


@pytest.fixture(scope="module")
def front():
    """The generated front sample and its ground truth, ``(Capture, GroundTruth)``; as ``rear``."""
    import depthlab
    from depthlab import synth

    p = data_sample("front_truedepth.heic")
    return depthlab.open(p), synth.load_truth(p)


# --------------------------------------------------------------------------------------------
# no wrapped programming errors
# --------------------------------------------------------------------------------------------

_open_bytes = depthlab.reader.open_bytes


@functools.wraps(_open_bytes)
def _strict_open_bytes(data, path=None, **options):
    try:
        return _open_bytes(data, path, **options)
    except DepthlabError as exc:
        bug = programming_error(exc)
        if bug is not None:
            raise AssertionError(f"depthlab.open wrapped a programming error as {type(exc).__name__}: {bug}") from exc
        raise


if getattr(depthlab.reader.open_bytes, "__wrapped__", None) is None:
    depthlab.reader.open_bytes = _strict_open_bytes
