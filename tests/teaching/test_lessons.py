"""The exercise registry: every exercise accepts its solution and rejects what a student who
has not understood would write (±10%, each recorded typical mistake, a constant function), and no
notebook gives an expected value away."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import ROOT, data_sample

import depthlab
from depthlab import lessons

nbformat = pytest.importorskip("nbformat")

EXERCISES = sorted(lessons.EXERCISES)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def scaled(fn, factor):
    return lambda *args: tuple(factor * np.asarray(o, dtype=np.float64) for o in np.atleast_1d(fn(*args))) \
        if isinstance(fn(*args), tuple) else factor * np.asarray(fn(*args), dtype=np.float64)


def test_there_are_enough_exercises_and_three_ask_for_a_function():
    assert len(EXERCISES) >= 8
    assert sum(lessons.EXERCISES[n].is_function for n in EXERCISES) >= 3
    assert {"backproject", "range_inverse", "circle_of_confusion"} <= set(EXERCISES)


@pytest.mark.parametrize("name", EXERCISES)
def test_the_solution_is_right_and_ten_percent_off_is_not(name):
    ex = lessons.EXERCISES[name]
    assert ex.check(ex.solution)
    assert ex.hint(ex.solution) == "Right."
    for factor in (0.9, 1.1):
        off = scaled(ex.solution, factor) if ex.is_function else factor * ex.solution
        assert not ex.check(off), f"{name}: {factor}x the solution is accepted"


@pytest.mark.parametrize("name", EXERCISES)
def test_every_typical_mistake_is_rejected_with_its_misconception(name):
    ex = lessons.EXERCISES[name]
    assert ex.wrong, f"{name} records no typical mistake"
    for mistake in ex.wrong:
        assert not ex.check(mistake.answer), f"{name}: the mistake {mistake.misconception!r} is accepted"
        assert ex.hint(mistake.answer) == f"Not yet: {mistake.misconception}"


@pytest.mark.parametrize("name", [n for n in EXERCISES if lessons.EXERCISES[n].is_function])
def test_a_function_exercise_rejects_a_constant_function(name):
    ex = lessons.EXERCISES[name]
    for case in ex.cases:  # whichever hidden input the constant was copied from
        value = ex.solution(*case)
        assert not ex.check(lambda *args, v=value: v)
    assert not ex.check(lambda *args: 1 / 0)
    assert "raised an error" in ex.hint(lambda *args: 1 / 0)
    assert not ex.check(ex.solution(*ex.cases[0]))  # a number where a function is asked


def test_the_relative_scale_exercise_is_not_at_the_fixed_point_and_rejects_the_uncorrected_answer():
    ex = lessons.EXERCISES["relative_depth"]
    g = ex.given
    # not the fixed point of stored = a·true + b: reading the stored value as true is 5% off or more
    assert abs(1 / g["stored"] - ex.solution) > 0.05 * ex.solution
    assert not ex.check(1 / g["stored"])
    assert not ex.check(1 / (g["scale"] * g["stored"] + g["offset"]))  # the correction applied backwards
    assert "backwards" in ex.hint(1 / (g["scale"] * g["stored"] + g["offset"]))


def test_ask_shows_the_inputs_and_check_never_prints_the_expected_value(capsys):
    for name, ex in lessons.EXERCISES.items():
        g = lessons.ask(name)
        assert g == dict(ex.given) and all(getattr(g, k) == v for k, v in ex.given.items())
        lessons.check(name, None)
        lessons.check(name, 1.1 * ex.solution if not ex.is_function else (lambda *a: 0.0))
        lessons.check(name, ex.solution)
        shown = capsys.readouterr().out
        assert "Right." in shown and ("Put your answer" in shown or "Fill in the function" in shown) and "Not yet" in shown
        if not ex.is_function:
            assert f"{ex.solution:.3g}" not in shown, f"{name} prints its expected value"
    with pytest.raises(depthlab_errors().InvalidInputError, match="no exercise called"):
        lessons.check("no_such_exercise", 1)


def depthlab_errors():
    import depthlab.errors

    return depthlab.errors


def _expected_values(ex) -> list[float]:
    """The numbers a student must compute (a function's outputs that merely repeat an input or a
    given value, like RangeInverse's code 0 = Near, are not secrets)."""
    if not ex.is_function:
        return [float(ex.solution)]
    shown = {f"{float(x):.3g}" for x in ex.given.values()}
    return [float(v) for case in ex.cases for v in np.atleast_1d(np.ravel(ex.solution(*case)))
            if abs(float(v)) > 1e-9 and f"{float(v):.3g}" not in shown | {f"{float(x):.3g}" for x in case if np.ndim(x) == 0}]


def _sig3(text: str) -> set[str]:
    out = set()
    for m in re.finditer(r"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", text):
        v = float(m.group(0))
        if v != 0:
            out.add(f"{v:.3g}")
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_notebook_gives_an_expected_value_away(path):
    nb = nbformat.read(path, as_version=4)
    numbers = _sig3("\n".join(c.source for c in nb.cells))
    for name, ex in lessons.EXERCISES.items():
        leaked = [f"{v:.3g}" for v in _expected_values(ex) if f"{v:.3g}" in numbers]
        assert not leaked, f"{path.name} states {leaked} (the answer to {name})"


def test_a_function_still_returning_placeholders_is_asked_for_again():
    ex = lessons.EXERCISES["backproject"]

    def backproject(u, v, Z):
        X = None  # the notebook's placeholder
        Y = None
        return X, Y, Z

    assert not ex.check(backproject) and ex.hint(backproject).startswith("Fill in the function")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_has_an_exercise_cell_that_asks_a_registered_exercise(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
    assert cells, f"{path.name} has no cell tagged 'exercise'"
    asked = set(re.findall(r"lessons\.(?:ask|check)\(\"(\w+)\"", "\n".join(c.source for c in cells)))
    assert asked and asked <= set(lessons.EXERCISES)


def test_notebook_02_writes_the_back_projection_out_before_calling_the_library():
    nb = nbformat.read(ROOT / "notebooks" / "02_projection_models.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "X = (u − cx)·Z/fx" in text and "Y = (v − cy)·Z/fy" in text and "K =" in text
    assert "LensDistortionCoefficients" in text  # Apple's radial model, as a formula
    first_check = next(i for i, c in enumerate(nb.cells) if "backprojection_check" in c.source)
    first_formula = next(i for i, c in enumerate(nb.cells) if "X = (u − cx)·Z/fx" in c.source)
    assert first_formula < first_check


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_notebook_names_project_history(path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells).lower()
    assert "seed" not in text.replace("random seed", "")



def test_no_menu_label_names_project_history():
    from depthlab.settings import MODEL_LABELS

    assert not [label for label in MODEL_LABELS.values() if "seed" in label.lower()]


def test_each_exercise_is_asked_in_the_notebook_it_names():
    asked = {}
    for path in NOTEBOOKS:
        cells = nbformat.read(path, as_version=4).cells
        for name in re.findall(r"lessons\.check\(\"(\w+)\"", "\n".join(c.source for c in cells)):
            asked.setdefault(name, path.stem)
    for name, ex in lessons.EXERCISES.items():
        if ex.notebook and (ROOT / "notebooks" / f"{ex.notebook}.ipynb").is_file():
            assert asked.get(name) == ex.notebook, f"{name} is registered for {ex.notebook}, asked in {asked.get(name)}"


def test_the_rounding_error_exercise_uses_the_front_samples_own_step():
    """04 prints the front sample's error budget right before asking for σ_Z: the same step s."""
    ex = lessons.EXERCISES["sigma_depth"]
    step = depthlab.open(data_sample("front_truedepth.heic")).encoding.step
    assert ex.given["step"] == pytest.approx(step, rel=1e-12)
    # σ_Z at 0.8 m = 0.8² · s / √12: 1.26 mm with FloatMin/Max 1.044921875/2.779296875
    assert round(ex.solution, 2) == 1.26
