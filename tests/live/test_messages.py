"""What the live views say when an option does not apply to the photo, on real files."""

from __future__ import annotations

import pytest

import depthlab
from conftest import shared_sample


def test_min_confidence_refusal_names_every_kind_of_photo_that_has_a_confidence_map():
    """The refusal named only Android Dynamic Depth, but a spatial photo's computed depth has
    one too (and explore(spatial, min_confidence=0.5) works)."""
    pug = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    with pytest.raises(depthlab.InvalidInputError, match="this one stores none") as exc:
        depthlab.explore(pug, min_confidence=0.5)
    assert "Dynamic Depth" in str(exc.value) and "spatial" in str(exc.value)
    spatial = depthlab.open(shared_sample("iphone/spatial_stereo_pair.heic"))
    assert spatial.confidence is not None
    depthlab.explore(spatial, min_confidence=0.5)
