"""pytest's doctest set-up for ``pytest --doctest-modules src/depthlab``.

It sits at the repository root, not in the package: it is no module of depthlab (nothing installs
it) and it applies to the package's examples only (the tests have their own ``tests/conftest.py``).

Every example runs in a fresh temporary folder in which ``data/sample`` is the repository's
generated samples, so examples read ``"data/sample/rear_dual.heic"`` as a user at the repository
root would, and whatever they write lands in the temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent

# modules that run a program when imported, and this file itself
collect_ignore = ["src/depthlab/__main__.py", "src/depthlab/cli/__main__.py", "src/depthlab/synth/__main__.py"]


@pytest.fixture(autouse=True)
def _doctest_folder(request):
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    tmp_path = request.getfixturevalue("tmp_path")
    monkeypatch = request.getfixturevalue("monkeypatch")
    samples = REPO / "data" / "sample"
    if not samples.is_dir():
        reason = f"the generated samples are missing from {samples} (run `depthlab samples`)"
        if os.environ.get("DEPTHLAB_REQUIRE_SAMPLES", "") not in ("", "0"):  # CI: a failure, as in tests/
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    (tmp_path / "data").mkdir()
    os.symlink(samples, tmp_path / "data" / "sample", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    import depthlab

    request.getfixturevalue("doctest_namespace")["depthlab"] = depthlab
    yield
