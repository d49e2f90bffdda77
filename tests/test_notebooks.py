"""Every notebook runs top to bottom, headless, on data/sample (nbclient, no widget state kept).

Each run happens in a temporary working copy (``<tmp>/notebooks/*.ipynb`` with ``<tmp>/data/sample``
linked to the samples), so nothing is written into the repository.  The committed notebooks must
carry no outputs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import DATA_SAMPLE, ROOT, missing_sample

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# DEPTHLAB_NOTEBOOK_SAMPLES points the run at another folder holding the generated samples
SAMPLES = Path(os.environ.get("DEPTHLAB_NOTEBOOK_SAMPLES", DATA_SAMPLE))
NEEDED = ("rear_dual.heic", "front_truedepth.heic", "rear_dual_truth.json", "rear_dual_truth.npz",
          "front_truedepth_truth.json", "front_truedepth_truth.npz")
WIDGET_ERRORS = ("Error displaying widget", "can not be instantiated")


def working_copy(project: Path) -> Path:
    """``project/notebooks`` (a copy) with ``project/data/sample`` linked to the samples; every
    link lives inside ``project``, which is the test's own ``tmp_path`` or a folder in it."""
    missing = [n for n in NEEDED if not (SAMPLES / n).is_file()]
    if missing:
        missing_sample(f"generated samples {', '.join(missing)} missing from {SAMPLES} (run `depthlab samples`)")
    (project / "data").mkdir(parents=True)
    os.symlink(SAMPLES.resolve(), project / "data" / "sample", target_is_directory=True)
    shutil.copytree(ROOT / "notebooks", project / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return project / "notebooks"


def test_the_four_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == ["01_first_look", "02_projection_models", "03_rear_vs_front", "04_depth_concepts",
                                           "05_refocus"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_without_outputs_and_with_a_path_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip the outputs before committing"
    assert "widgets" not in nb.metadata, "widget state must not be stored"
    assert "MY_" in code[0].source and "None" in code[0].source, "the first code cell takes the user's own path"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path):
    folder = working_copy(tmp_path)
    nb = nbformat.read(folder / path.name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False,
                                     store_widget_state=False, resources={"metadata": {"path": str(folder)}})
    client.execute()  # how long it takes is measured in benchmarks/bench_notebooks.py, not asserted here
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert not any(e in text for e in WIDGET_ERRORS)
    widget_views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widget_views, "a live view is shown"
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, "the notebook shows at least one figure"
    # nothing but the notebook itself (and exports a user asks for) is written next to it
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(p.name for p in NOTEBOOKS)


def test_rear_vs_front_runs_on_the_real_pair_when_offered(tmp_path):
    """03's option: the real iPhone pair from ../shared/samples (skips where that folder is absent)."""
    from conftest import shared_sample

    rear, front = shared_sample("iphone/rear_dual_pug.heic"), shared_sample("iphone/front_truedepth_mattes.heic")
    folder = working_copy(tmp_path / "project")
    # the notebook looks for ../../shared/samples/iphone relative to itself: tmp_path/shared/samples
    (tmp_path / "shared").mkdir()
    os.symlink(rear.parents[1], tmp_path / "shared" / "samples", target_is_directory=True)
    nb = nbformat.read(folder / "03_rear_vs_front.ipynb", as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = first.source.replace("USE_REAL_PAIR = False", "USE_REAL_PAIR = True")
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(folder)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "rear_dual_pug.heic" in text and "front_truedepth_mattes.heic" in text
    # what ../shared/samples/README.md states about the two files, as the notebook prints them
    rear_text, front_text = text.split("front_truedepth_mattes.heic", 1)
    assert "depth 768x576" in rear_text and "relative" in rear_text and "fx 3032.59" in rear_text
    assert "depth 480x640" in front_text and "absolute" in front_text and "fx 2085.55" in front_text
