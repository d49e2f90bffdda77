"""Every notebook runs top to bottom, headless, on data/sample (nbclient, no widget state kept).

Each run happens in a temporary working copy (``<tmp>/notebooks/*.ipynb`` with ``<tmp>/data/sample``
linked to the samples), so nothing is written into the repository.  The committed notebooks must
carry no outputs.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from conftest import DATA_SAMPLE, ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# DEPTHLAB_NOTEBOOK_SAMPLES points the run at another folder holding the generated samples
SAMPLES = Path(os.environ.get("DEPTHLAB_NOTEBOOK_SAMPLES", DATA_SAMPLE))
NEEDED = ("rear_dual.heic", "front_truedepth.heic", "rear_dual_truth.json", "rear_dual_truth.npz",
          "front_truedepth_truth.json", "front_truedepth_truth.npz")
WIDGET_ERRORS = ("Error displaying widget", "can not be instantiated")


def working_copy(tmp_path: Path) -> Path:
    missing = [n for n in NEEDED if not (SAMPLES / n).is_file()]
    if missing:
        pytest.skip(f"generated samples {', '.join(missing)} missing from {SAMPLES} (run `depthlab samples`)")
    (tmp_path / "data").mkdir()
    os.symlink(SAMPLES.resolve(), tmp_path / "data" / "sample", target_is_directory=True)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return tmp_path / "notebooks"


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
    t0 = time.monotonic()
    client.execute()
    seconds = time.monotonic() - t0
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert not any(e in text for e in WIDGET_ERRORS)
    widget_views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widget_views, "a live view is shown"
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, "the notebook shows at least one figure"
    # "runs in seconds": generous bound for a loaded CI machine; typical runs are printed
    print(f"{path.stem}: {seconds:.1f} s")
    assert seconds < 90
    # nothing but the notebook itself (and exports a user asks for) is written next to it
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(p.name for p in NOTEBOOKS)


def test_rear_vs_front_runs_on_the_real_pair_when_offered(tmp_path):
    """03's option: the real iPhone pair from ../shared/samples (skips where that folder is absent)."""
    from conftest import shared_sample

    rear, front = shared_sample("iphone/rear_dual_pug.heic"), shared_sample("iphone/front_truedepth_mattes.heic")
    folder = working_copy(tmp_path)
    # the notebook looks for ../../shared/samples/iphone relative to itself: point that at the real folder
    (tmp_path.parent / "shared").mkdir(exist_ok=True)
    link = tmp_path.parent / "shared" / "samples"
    if not link.exists():
        os.symlink(rear.parents[1], link, target_is_directory=True)
    nb = nbformat.read(folder / "03_rear_vs_front.ipynb", as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = first.source.replace("USE_REAL_PAIR = False", "USE_REAL_PAIR = True")
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(folder)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "rear_dual_pug.heic" in text and "front_truedepth_mattes.heic" in text
    assert front.is_file()
