"""Every notebook runs top to bottom, headless, on data/sample (nbclient, no widget state kept).

Each run happens in a temporary working copy (``<tmp>/notebooks/*.ipynb`` with ``<tmp>/data/sample``
linked to the samples), so nothing is written into the repository.  The committed notebooks must
carry no outputs.
"""

from __future__ import annotations

import os
import re
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
          "front_truedepth_truth.json", "front_truedepth_truth.npz", "spatial.heic", "spatial_truth.json",
          "spatial_truth.npz")
WIDGET_ERRORS = ("Error displaying widget", "can not be instantiated")


_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![A-Za-wyz])(\s*%)?")  # "1.16x" is a number, "3D" is not


def _stated_numbers(markdown: str) -> list[tuple[float, int, bool]]:
    """(value, decimals, is_percent) of every number the prose states.  Not claims: formulas
    and names in `code spans`, section numbers ("## 2 ·"), the unit 1/m, "3D"."""
    text = re.sub(r"`[^`]*`", " ", markdown)
    text = re.sub(r"^#+\s*\d+\s*·", "#", text, flags=re.M)
    text = re.sub(r"\b\d+/m\b", " ", text)
    return [(float(m.group(1)), len(m.group(1).partition(".")[2]), bool(m.group(2))) for m in _NUMBER.finditer(text)]


def unbacked_numbers(nb) -> list[str]:
    """Numbers a markdown cell states that no cell after it (up to the next markdown cell)
    computes: each must appear, at the precision the text gives, in those cells' printed output
    or be an input in their source.  "every number a notebook's text states is computed in a cell
    next to it and agrees with it"."""
    missing = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        text = ""
        for nxt in nb.cells[i + 1:]:
            if nxt.cell_type == "markdown":
                break
            text += nxt.source + "\n" + "".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                                                for o in nxt.get("outputs", []))
        found = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", text)]
        for value, decimals, percent in _stated_numbers(cell.source):
            wanted = [value] + ([value / 100] if percent else [])
            if not any(abs(round(f, decimals) - w) < 1e-9 or abs(f - w) < 1e-9 for f in found for w in wanted):
                missing.append(f"cell {i}: {value:g}{'%' if percent else ''} in {cell.source.splitlines()[0]!r}")
    return missing


def test_the_number_check_catches_a_stale_number():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## 2 · Sizes\n\nPerspective changes sizes by only 3%, `z²·s`, in 1/m."),
                nbformat.v4.new_code_cell("print(span)")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="scales it by 1.16x")]
    assert unbacked_numbers(nb) == ["cell 0: 3% in '## 2 · Sizes'"]
    nb.cells[0].source = "Perspective changes sizes by 1.16x front to back, in 3D."
    assert unbacked_numbers(nb) == []


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
    assert [p.stem for p in NOTEBOOKS] == ["00_primer", "01_first_look", "02_projection_models", "03_rear_vs_front",
                                           "04_depth_concepts", "04b_geometry_checked", "05_refocus", "06_stereo"]


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
    # every figure a cell makes is shown as a picture, never as its bare repr
    bare = [o["data"]["text/plain"] for o in outputs
            if "Figure size" in o.get("data", {}).get("text/plain", "") and "image/png" not in o["data"]]
    assert not bare, f"figures shown as text only: {bare}"
    # every number the teaching prose states is printed (or given) by the cells right after it,
    # in every notebook and every section
    assert unbacked_numbers(nb) == []
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
    assert "depth 480x640" in front_text and "absolute" in front_text
    # the stored fx (2085.5 px) disagrees with EXIF while fy agrees: the checked calibration is used,
    # and the eye centres come out an adult's distance apart (8.9 cm with the stored one)
    assert "fx 2085.5 px disagrees (-22%)" in front_text and "fx 2718.40  fy 2718.40" in front_text
    assert "eye centres (adults: about 5.5 to 7.5 cm): 6.9 cm apart with the checked calibration" in front_text
    assert "8.9 cm with the stored one" in front_text


@pytest.mark.parametrize("photo", ["rear_dual.heic", "pixel_portrait.jpg"])
def test_concepts_runs_on_your_own_photo_and_prints_its_caveat(photo, tmp_path):
    """Every section of 04 that needs only the file takes MY_PHOTO, whatever kind it is (a
    relative iPhone photo, an Android depth map); the caveat for relative depth is printed."""
    folder = working_copy(tmp_path)
    nb = nbformat.read(folder / "04_depth_concepts.ipynb", as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = first.source.replace("MY_PHOTO = None", f'MY_PHOTO = "../data/sample/{photo}"')
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(folder)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "your photo" in text
    if photo == "rear_dual.heic":
        assert "relative depth: stored disparity = a·(true disparity) + b" in text
        assert "one stored code" in text.split("your photo (MY_PHOTO")[1]  # its own stereo numbers
    else:
        assert "not for this photo" in text  # no disparity codes: said, not a traceback


@pytest.mark.parametrize("name", ["00_primer", "01_first_look", "02_projection_models", "05_refocus"])
def test_notebook_runs_on_an_android_photo_as_your_own(name, tmp_path):
    """MY_PHOTO may be any phone's: an Android depth map (no disparity codes, no distortion
    model) runs every cell; what does not apply says so."""
    folder = working_copy(tmp_path)
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = first.source.replace("MY_PHOTO = None", 'MY_PHOTO = "../data/sample/pixel_portrait.jpg"')
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(folder)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    # the scale caveat for the photo is printed (concepts.scale_caveat: one of its three sentences)
    assert any(k in text for k in ("relative depth: stored disparity", "absolute depth:", "does not say how accurate"))
