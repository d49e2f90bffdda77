"""Shared fixtures: where the real phone samples and the generated samples live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_SAMPLE = ROOT / "data" / "sample"
# ../shared/samples relative to the project root (present on development machines and in CI);
# DEPTHLAB_SHARED_SAMPLES overrides it.
SHARED_SAMPLES = Path(os.environ.get("DEPTHLAB_SHARED_SAMPLES", ROOT.parent / "shared" / "samples"))


def shared_sample(relpath: str) -> Path:
    """Path of a real phone file under ../shared/samples, or skip the test with the reason."""
    p = SHARED_SAMPLES / relpath
    if not p.is_file():
        pytest.skip(f"real sample {relpath} not found under {SHARED_SAMPLES} (set DEPTHLAB_SHARED_SAMPLES)")
    return p


def data_sample(name: str) -> Path:
    """Path of a generated sample in data/sample, or skip if it has not been generated."""
    p = DATA_SAMPLE / name
    if not p.is_file():
        pytest.skip(f"generated sample {name} missing from data/sample (run `depthlab samples`)")
    return p


@pytest.fixture
def samples_dir() -> Path:
    if not SHARED_SAMPLES.is_dir():
        pytest.skip(f"real samples folder {SHARED_SAMPLES} is absent")
    return SHARED_SAMPLES
