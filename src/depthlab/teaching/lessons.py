"""Exercises the notebooks ask, in one registry that notebooks, tests and teachers share.

Each :class:`Exercise` shows the student its inputs (``given``), never its expected value; a
number exercise is checked against ``solution``, a function exercise runs the student's function
on hidden inputs (``cases``, not shown) and compares it with the reference function.  A wrong
answer that matches a recorded typical mistake (``wrong``) gets the misconception it reveals as
its hint.

>>> from depthlab import lessons
>>> ex = lessons.EXERCISES["depth_from_code"]
>>> ex.check(ex.solution), ex.check(1.1 * ex.solution)
(True, False)
>>> print(ex.hint(ex.given["float_min"] + 200 / 255 * (ex.given["float_max"] - ex.given["float_min"])))
Not yet: that is the disparity itself (1/m); depth is its inverse, 1 / disparity.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from ..errors import InvalidInputError


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer (a number, or a function for function exercises) and the
    misconception it reveals."""

    answer: Any
    misconception: str


class Given(dict):
    """The inputs shown to the student: a dict that also reads as attributes (``g.fx``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Exercise:
    """One exercise.  ``solution`` is a number (in ``unit``) or a reference function; a
    function exercise is checked on the hidden ``cases`` (argument tuples), each output within
    ``rel`` of the reference's."""

    name: str
    prompt: str
    given: Mapping[str, float]
    solution: Any
    wrong: tuple[Mistake, ...]
    unit: str = ""
    units: Mapping[str, str] = field(default_factory=dict)  # unit of each given input
    cases: tuple[tuple[float, ...], ...] = ()
    signature: str = ""  # for function exercises: "backproject(u, v, Z) -> (X, Y, Z)"
    rel: float = 0.02
    notebook: str = ""  # the notebook that asks it

    @property
    def is_function(self) -> bool:
        return callable(self.solution)

    def _outputs(self, fn: Callable) -> list[np.ndarray] | None:
        try:
            out = [np.asarray(fn(*args), dtype=np.float64).ravel() for args in self.cases]
        except Exception:  # a student's function may fail in any way; that is a wrong answer
            return None
        return out

    def _matches(self, answer: Any, reference: Any) -> bool:
        if callable(reference):
            if not callable(answer):
                return False
            got, want = self._outputs(answer), self._outputs(reference)
            if got is None or want is None:
                return False
            return all(g.shape == w.shape and np.allclose(g, w, rtol=self.rel, atol=1e-12) for g, w in zip(got, want))
        try:
            a = float(answer)
        except (TypeError, ValueError):
            return False
        return math.isfinite(a) and abs(a - float(reference)) <= self.rel * abs(float(reference))

    def _unfinished(self, fn: Callable) -> bool:
        """A function still returning the notebook's ``None`` placeholders."""
        try:
            out = fn(*self.cases[0])
        except Exception:  # judged by check/hint like any other failure
            return False
        return out is None or (isinstance(out, tuple) and any(o is None for o in out))

    def check(self, answer: Any) -> bool:
        """True when ``answer`` is right: a number within ``rel`` of the solution, or a function
        that agrees with the reference on every hidden input."""
        return self._matches(answer, self.solution)

    def hint(self, answer: Any) -> str:
        """What to print for ``answer``: "Right", or the misconception a recorded mistake reveals,
        or what kind of answer is wanted.  The expected value is never given."""
        if answer is None or (self.is_function and callable(answer) and self._unfinished(answer)):
            if self.is_function:
                return f"Fill in the function above and run the cell again (the answer is a function {self.signature})."
            return (f"Put your answer in the variable above and run the cell again (the answer is a number in "
                    f"{self.unit or 'the unit asked'}).")
        if self.is_function and not callable(answer):
            return f"The answer is a function {self.signature}, not {type(answer).__name__}: define it with def and pass its name."
        if not self.is_function:
            try:
                float(answer)
            except (TypeError, ValueError):
                return f"{answer!r} is not a number"
        if self.check(answer):
            return "Right."
        for mistake in self.wrong:
            if self._matches(answer, mistake.answer):
                return f"Not yet: {mistake.misconception}"
        if self.is_function:
            if self._outputs(answer) is None:
                return f"Not yet: your function raised an error on a test input; it must accept {self.signature}."
            return "Not yet: your function disagrees with the reference on some of the test inputs; check each step of the formula."
        return f"Not yet: {float(answer):.4g} {self.unit} is {'too large' if float(answer) > float(self.solution) else 'too small'}; try again."

    def describe(self) -> str:
        """The prompt and the given inputs, as :func:`ask` prints them."""
        lines = [*textwrap.wrap(self.prompt, 100), ""]
        width = max((len(k) for k in self.given), default=0)
        lines += [f"  {k:<{width}} = {v:g} {self.units.get(k, '')}".rstrip() for k, v in self.given.items()]
        if self.is_function:
            lines += ["", f"Write a function {self.signature}; it is checked on inputs you do not see."]
        elif self.unit:
            lines += ["", f"Answer in {self.unit}."]
        return "\n".join(lines)


EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to :data:`EXERCISES` (one name, one exercise)."""
    if exercise.name in EXERCISES:
        raise InvalidInputError(f"an exercise called {exercise.name!r} exists already")
    if exercise.is_function and len(exercise.cases) < 3:
        raise InvalidInputError(f"function exercise {exercise.name!r} needs at least three hidden test inputs")
    EXERCISES[exercise.name] = exercise
    return exercise


def _get(name: str) -> Exercise:
    try:
        return EXERCISES[name]
    except KeyError:
        raise InvalidInputError(f"no exercise called {name!r}; there are {', '.join(sorted(EXERCISES))}") from None


def ask(name: str) -> Given:
    """Print exercise ``name``'s question and inputs; return the inputs (``g.fx`` or ``g["fx"]``)."""
    ex = _get(name)
    print(ex.describe())
    return Given(ex.given)


def check(name: str, answer: Any) -> None:
    """Print "Right." or a hint naming the likely misconception (never the expected value)."""
    print(_get(name).hint(answer))


# --------------------------------------------------------------------------------------------
# The exercises.  Each notebook asks its own (``notebook``); the numbers are chosen so that no
# typical mistake lands within ``rel`` of the answer.
# --------------------------------------------------------------------------------------------

# 00 / 01: what the stored numbers mean -------------------------------------------------------

_CODE = {"float_min": 1.498047, "float_max": 4.382812, "code": 200.0}  # rear_dual_pug.heic's stored range


def _disparity_of_code(g: Mapping[str, float], code: float) -> float:
    return g["float_min"] + code / 255.0 * (g["float_max"] - g["float_min"])


register(Exercise(
    "depth_from_code",
    "An iPhone stores 8-bit codes 0..255 spread evenly in disparity from FloatMin to FloatMax (1/m). "
    "A pixel stores code 200. How far away is it, in metres?",
    _CODE, 1.0 / _disparity_of_code(_CODE, 200.0),
    (Mistake(_disparity_of_code(_CODE, 200.0), "that is the disparity itself (1/m); depth is its inverse, 1 / disparity."),
     Mistake(1 / _CODE["float_max"] + 200 / 255 * (1 / _CODE["float_min"] - 1 / _CODE["float_max"]),
             "that spreads the codes evenly in depth; they are even in disparity, so decode to disparity first, then invert."),
     Mistake(1.0 / _disparity_of_code(_CODE, 55.0), "that counts the codes from FloatMax down; code 0 is FloatMin, code 255 FloatMax."),
     Mistake(1.0 / (200 / 255 * _CODE["float_max"]), "that leaves out FloatMin: code 0 is FloatMin, not zero.")),
    unit="m", units={"float_min": "1/m", "float_max": "1/m", "code": ""}, notebook="00_primer"))

_RANGE = {"float_min": 1.498047, "float_max": 4.382812}

register(Exercise(
    "farthest_depth",
    "A file stores disparity codes between FloatMin and FloatMax (1/m). How far away, in metres, is the farthest "
    "point its codes can encode?",
    _RANGE, 1.0 / _RANGE["float_min"],
    (Mistake(1.0 / _RANGE["float_max"], "that is the nearest: the largest disparity is the nearest point, the smallest the farthest."),
     Mistake(_RANGE["float_max"], "FloatMax is a disparity (1/m), not a depth; and the farthest point has the smallest disparity."),
     Mistake(_RANGE["float_min"], "FloatMin is a disparity (1/m); depth is its inverse.")),
    unit="m", units={"float_min": "1/m", "float_max": "1/m"}, notebook="01_first_look"))

# 02: the camera model -------------------------------------------------------------------------

_K = {"fx": 577.6, "fy": 577.6, "cx": 383.1, "cy": 287.4}  # a 768x576 depth map


def _backproject(u: Any, v: Any, z: Any) -> tuple:
    return (u - _K["cx"]) * z / _K["fx"], (v - _K["cy"]) * z / _K["fy"], z


register(Exercise(
    "backproject",
    "Back-projection: the pixel (u, v) with depth Z (metres, along the optical axis) is the 3D point (X, Y, Z) "
    "in the camera frame (x right, y down, z forward). The intrinsics K of the depth map:",
    _K, _backproject,
    (Mistake(lambda u, v, z: (u * z / _K["fx"], v * z / _K["fy"], z),
             "the principal point is left out: x is measured from (cx, cy), where the optical axis meets the image, not from the corner."),
     Mistake(lambda u, v, z: ((u - _K["cx"]) / _K["fx"], (v - _K["cy"]) / _K["fy"], z),
             "X and Y are not scaled by the depth: (u - cx)/fx is the ray's slope; the point is that slope times Z."),
     Mistake(lambda u, v, z: ((u - _K["cx"]) / (_K["fx"] * z), (v - _K["cy"]) / (_K["fy"] * z), z),
             "dividing by Z projects (3D to pixels); back-projection multiplies by Z."),
     Mistake(lambda u, v, z: ((u - _K["cx"]) * _K["fx"] * z, (v - _K["cy"]) * _K["fy"] * z, z),
             "the focal length multiplies; a pixel offset becomes a slope by dividing by f (pixels over pixels)."),
     Mistake(lambda u, v, z: ((v - _K["cy"]) * z / _K["fy"], (u - _K["cx"]) * z / _K["fx"], z),
             "u and v are swapped: u is the column (x, to the right), v the row (y, down).")),
    units={"fx": "px", "fy": "px", "cx": "px", "cy": "px"},
    cases=((0.0, 0.0, 1.0), (383.1, 287.4, 2.0), (700.0, 100.0, 0.45), (10.0, 560.0, 3.3), (500.0, 300.0, 0.8)),
    signature="backproject(u, v, Z) -> (X, Y, Z)", rel=1e-3, notebook="02_projection_models"))

_SCALE = {"fx_photo": 3032.59, "photo_width": 4032.0, "depth_width": 768.0}


register(Exercise(
    "focal_at_depth_size",
    "The calibration gives fx for the full photo; the depth map is smaller. What is fx, in pixels of the depth map?",
    _SCALE, _SCALE["fx_photo"] * _SCALE["depth_width"] / _SCALE["photo_width"],
    (Mistake(_SCALE["fx_photo"], "fx is in pixels of the image it was calibrated at; a smaller map has fewer, larger pixels, so scale it."),
     Mistake(_SCALE["fx_photo"] * _SCALE["photo_width"] / _SCALE["depth_width"],
             "the ratio is upside down: the depth map is smaller, so its fx (in its pixels) is smaller.")),
    unit="px", units={"fx_photo": "px", "photo_width": "px", "depth_width": "px"}, notebook="02_projection_models"))

# 03: rear vs front: how coarse one code is ----------------------------------------------------

_STEP = {"step": (4.382812 - 1.498047) / 255, "depth": 1.5}

register(Exercise(
    "depth_step",
    "The rear camera's codes are even in disparity with step s (1/m). To first order, how many centimetres "
    "of depth is one code at depth Z?",
    _STEP, 100 * _STEP["depth"] ** 2 * _STEP["step"],
    (Mistake(100 * _STEP["step"], "s is a step in disparity (1/m), not in depth; depth = 1/D, so one step is Z²·s in depth."),
     Mistake(100 * _STEP["depth"] * _STEP["step"], "the derivative of 1/D is -1/D², so the step grows with Z², not Z."),
     Mistake(_STEP["depth"] ** 2 * _STEP["step"], "that is in metres; the question asks for centimetres.")),
    unit="cm", units={"step": "1/m", "depth": "m"}, notebook="03_rear_vs_front"))

# 04: stereo, errors, scale, rays, weak perspective --------------------------------------------

_STEREO = {"focal_px": 3032.59, "width_px": 4032.0, "depth_width_px": 768.0, "baseline_m": 0.01, "depth_m": 0.5}

register(Exercise(
    "stereo_shift",
    "Two cameras a baseline B apart see a point at depth Z shifted by d pixels. How many pixels, of the image "
    "width_px wide (where f is given), does a point at depth_m shift?",
    _STEREO, _STEREO["focal_px"] * _STEREO["baseline_m"] / _STEREO["depth_m"],
    (Mistake(_STEREO["focal_px"] * _STEREO["baseline_m"] * _STEREO["depth_m"], "near points shift more: d = f·B/Z, divided by Z."),
     Mistake(_STEREO["baseline_m"] / _STEREO["depth_m"], "B/Z is an angle (radians); the focal length in pixels turns it into pixels."),
     Mistake(_STEREO["focal_px"] * _STEREO["baseline_m"] / _STEREO["depth_m"] * _STEREO["depth_width_px"] / _STEREO["width_px"],
             "that is in pixels of the depth map; the question asks for pixels of the image f is given for.")),
    unit="px", units={"focal_px": "px", "width_px": "px", "depth_width_px": "px", "baseline_m": "m", "depth_m": "m"},
    notebook="04_depth_concepts"))

# the front sample's step: data/sample/front_truedepth.heic stores FloatMin/Max 1.044921875/2.779296875 (1/m)
_SIGMA = {"step": (2.779296875 - 1.044921875) / 255, "depth": 0.8}

register(Exercise(
    "sigma_depth",
    "Codes of step s (1/m) round the disparity: an error spread evenly over one step. What is the standard "
    "deviation of the depth error σ_Z at depth Z, in millimetres?",
    _SIGMA, 1000 * _SIGMA["depth"] ** 2 * _SIGMA["step"] / math.sqrt(12),
    (Mistake(1000 * _SIGMA["depth"] ** 2 * _SIGMA["step"], "that is a whole step; an error spread evenly over a width s has standard deviation s/√12."),
     Mistake(1000 * _SIGMA["step"] / math.sqrt(12), "that is σ_D in 1/m; in depth it is multiplied by Z² (the derivative of 1/D)."),
     Mistake(1000 * _SIGMA["depth"] * _SIGMA["step"] / math.sqrt(12), "the derivative of 1/D is -1/D²: the error grows with Z², not Z."),
     Mistake(1000 * _SIGMA["depth"] ** 2 * _SIGMA["step"] / 2, "s/2 is the largest rounding error; the standard deviation is s/√12.")),
    unit="mm", units={"step": "1/m", "depth": "m"}, notebook="04_depth_concepts"))

_AFFINE = {"scale": 0.8, "offset": 0.1, "stored": 0.88}  # stored = scale * true + offset, in 1/m

register(Exercise(
    "relative_depth",
    "A relative map stores disparity = scale · true disparity + offset (1/m), recovered from two measured points. "
    "A pixel stores `stored` (1/m). How far away is it really, in metres?",
    _AFFINE, _AFFINE["scale"] / (_AFFINE["stored"] - _AFFINE["offset"]),
    (Mistake(1 / _AFFINE["stored"], "that reads the stored disparity as if it were true: a relative map needs the scale and offset undone first."),
     Mistake(1 / (_AFFINE["scale"] * _AFFINE["stored"] + _AFFINE["offset"]),
             "the correction is applied backwards: true disparity = (stored - offset) / scale, not scale · stored + offset."),
     Mistake(_AFFINE["scale"] / _AFFINE["stored"], "the offset is left out: subtract it from the stored disparity before dividing by the scale."),
     Mistake(1 / (_AFFINE["stored"] - _AFFINE["offset"]), "the scale is left out: divide (stored - offset) by the scale."),
     Mistake((_AFFINE["stored"] - _AFFINE["offset"]) / _AFFINE["scale"], "that is the true disparity (1/m); depth is its inverse.")),
    unit="m", units={"scale": "", "offset": "1/m", "stored": "1/m"}, notebook="04_depth_concepts"))

_RAY = {"depth_z": 2.0, "angle_deg": 30.0}

register(Exercise(
    "ray_distance",
    "A point of a wall has depth z (along the optical axis) and lies angle_deg off the axis. Someone reads z as the "
    "distance along the pixel's ray. How many centimetres along its ray does the point move toward the camera?",
    _RAY, 100 * _RAY["depth_z"] * (1 / math.cos(math.radians(_RAY["angle_deg"])) - 1),
    (Mistake(100 * _RAY["depth_z"] * (1 - math.cos(math.radians(_RAY["angle_deg"]))),
             "that is how much its depth z changes; along the ray it moves from z/cos θ to z, farther than z changes."),
     Mistake(100 * _RAY["depth_z"] * (1 / math.cos(_RAY["angle_deg"]) - 1), "the angle went into cos in radians; convert degrees first."),
     Mistake(100 * _RAY["depth_z"] * math.tan(math.radians(_RAY["angle_deg"])), "z·tan θ is the point's sideways offset X, not its move along the ray.")),
    unit="cm", units={"depth_z": "m", "angle_deg": "°"}, notebook="04b_geometry_checked"))

_WEAK = {"depth_span": 0.07, "tolerance": 0.05}

register(Exercise(
    "weak_perspective_distance",
    "Weak perspective scales a whole part by its middle depth z̄: a point at depth Z comes out z̄/Z times its true "
    "size. A head spans depth_span from front to back. How far away, in metres, must its middle be for no point to be "
    "off by more than the tolerance (exactly, not to first order)?",
    _WEAK, _WEAK["depth_span"] / 2 * (1 + _WEAK["tolerance"]) / _WEAK["tolerance"],
    (Mistake(_WEAK["depth_span"] / (2 * _WEAK["tolerance"]),
             "that is the first-order answer Δz/(2·tol); the worst point is the nearest, off by (Δz/2)/(z̄ - Δz/2), a little more."),
     Mistake(_WEAK["depth_span"] / 2 * (1 - _WEAK["tolerance"]) / _WEAK["tolerance"],
             "that bounds the farthest point (shrunk by z̄/Z); the nearest point, enlarged, is off by more."),
     Mistake(_WEAK["depth_span"] / _WEAK["tolerance"], "z̄ is the middle: the farthest a point is from it is half the span.")),
    unit="m", units={"depth_span": "m", "tolerance": ""}, notebook="04b_geometry_checked"))

_GDEPTH = {"near": 0.3, "far": 6.0, "bits": 8.0}


def _range_inverse(code: Any) -> Any:
    n = np.asarray(code, dtype=np.float64) / (2 ** _GDEPTH["bits"] - 1)
    near, far = _GDEPTH["near"], _GDEPTH["far"]
    return far * near / (far - n * (far - near))


register(Exercise(
    "range_inverse",
    "An Android (GDepth) photo stores depth as RangeInverse codes: normalised n = code / (2^bits - 1), even in 1/depth, "
    "code 0 is Near and the top code is Far. Decode a code to metres.",
    _GDEPTH, _range_inverse,
    (Mistake(lambda c: _GDEPTH["near"] + c / 255 * (_GDEPTH["far"] - _GDEPTH["near"]),
             "that is RangeLinear (even in depth); RangeInverse codes are even in 1/depth."),
     Mistake(lambda c: _GDEPTH["far"] * _GDEPTH["near"] / (_GDEPTH["far"] - c * (_GDEPTH["far"] - _GDEPTH["near"])),
             "the code is not normalised: divide by 2^bits - 1 first, so n runs from 0 to 1."),
     Mistake(lambda c: _range_inverse(255 - np.asarray(c, dtype=np.float64)), "code 0 is Near (the nearest), not Far."),
     Mistake(lambda c: 1 / _range_inverse(c), "that is 1/depth (a disparity); invert it.")),
    units={"near": "m", "far": "m", "bits": ""}, cases=((0.0,), (255.0,), (17.0,), (128.0,), (201.0,)),
    signature="decode(code) -> depth in metres", rel=1e-3, notebook="04_depth_concepts"))

# 05: the circle of confusion -----------------------------------------------------------------

_LENS = {"focal_length_35mm": 26.0, "f_number": 1.4, "focus_m": 1.2}


def _coc_mm(z: Any) -> Any:
    f, n, zf = _LENS["focal_length_35mm"], _LENS["f_number"], _LENS["focus_m"]
    return (f * f / n) * (zf * 1000 / (zf * 1000 - f)) * np.abs(1 / np.asarray(z, dtype=np.float64) - 1 / zf) / 1000


register(Exercise(
    "circle_of_confusion",
    "A thin lens of focal length f (mm, 35 mm equivalent) at f-number N, focused at z_f, blurs a point at depth z "
    "(metres) into a disc of diameter c = (f²/N) · z_f/(z_f - f) · |1/z - 1/z_f| on the 36x24 mm frame. Write c in mm.",
    _LENS, _coc_mm,
    (Mistake(lambda z: _coc_mm(z) / 2, "that is the radius; the circle of confusion c is the disc's diameter."),
     Mistake(lambda z: _coc_mm(z) * np.where(np.asarray(z) > _LENS["focus_m"], -1, 1),
             "a diameter is never negative: points behind the focus blur too (|1/z - 1/z_f|)."),
     Mistake(lambda z: _coc_mm(z) * 1000, "f is in mm and z in metres: convert one of them (a factor 1000)."),
     Mistake(lambda z: (_LENS["focal_length_35mm"] ** 2 / _LENS["f_number"]) * np.abs(np.asarray(z) - _LENS["focus_m"]) / 1000,
             "the blur is a straight line in disparity (1/z), not in depth.")),
    units={"focal_length_35mm": "mm", "f_number": "", "focus_m": "m"}, cases=((0.5,), (0.9,), (1.2,), (2.0,), (10.0,)),
    signature="coc(z) -> diameter in mm", rel=1e-3, notebook="05_refocus"))

# 06: stereo by hand ---------------------------------------------------------------------------

from .stereo_lesson import match_block  # noqa: E402 - the reference the block-matching exercise checks against


def _strip_pair(seed: int, shift: int, width: int = 120, rows: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """A textured strip and the same strip seen from a camera to the right (moved left by ``shift``)."""
    rng = np.random.default_rng(seed)
    right = np.repeat(rng.random((1, width + shift)) * 200 + 20, rows, axis=0) + rng.normal(0, 3, (rows, width + shift))
    return right[:, :width], right[:, shift:shift + width]  # left sees each point ``shift`` px further right


_MATCH = {"block_half": 3.0, "max_shift": 30.0}

register(Exercise(
    "match_block",
    "Block matching along one row of a rectified pair: take the 7x7 block around column x of the left strip, slide it "
    "along the same rows of the right strip to columns x - d for d = 0..max_shift, and return the d whose block differs "
    "least (the sum of squared differences).",
    _MATCH, match_block,
    (Mistake(lambda left, right, x, m: float(x - match_block(left, right, x, m)),
             "that is the column where the block is found in the right view; the answer is the shift d between the two columns."),
     Mistake(lambda left, right, x, m: float(np.argmin([np.sum(left[:, x - 3:x + 4] - right[:, x - d - 3:x - d + 4])
                                                         for d in range(int(m) + 1)])),
             "plain differences cancel (bright and dark pixels sum to zero); square them (or take their absolute value).")),
    units={"block_half": "px", "max_shift": "px"},
    cases=tuple((*_strip_pair(seed, shift), 60, 30) for seed, shift in ((1, 7), (2, 19), (3, 0), (4, 26))),
    signature="match(left, right, x, max_shift) -> d in pixels", rel=1e-6, notebook="06_stereo"))

_PAIR = {"focal_px": 1525.44, "baseline_m": 0.063807}  # the shared spatial photo's own numbers


def _depth_of_shift(d: Any) -> Any:
    return _PAIR["focal_px"] * _PAIR["baseline_m"] / np.asarray(d, dtype=np.float64)


register(Exercise(
    "depth_from_shift",
    "A spatial photo's two cameras are baseline_m apart and have focal length focal_px (pixels of the 2560-pixel views). "
    "A point appears d pixels further right in the left view than in the right one. Write its depth in metres.",
    _PAIR, _depth_of_shift,
    (Mistake(lambda d: _PAIR["baseline_m"] / np.asarray(d, dtype=np.float64), "B/d leaves out the focal length: depth = f·B/d."),
     Mistake(lambda d: _PAIR["focal_px"] * _PAIR["baseline_m"] * np.asarray(d, dtype=np.float64),
             "a larger shift means a nearer point: divide by d."),
     Mistake(lambda d: np.asarray(d, dtype=np.float64) / (_PAIR["focal_px"] * _PAIR["baseline_m"]),
             "that is the disparity in 1/m (d / (f·B)); depth is its inverse."),
     Mistake(lambda d: _PAIR["focal_px"] * _PAIR["baseline_m"] * 1000 / np.asarray(d, dtype=np.float64),
             "the baseline is already in metres; the answer is in metres, not millimetres.")),
    units={"focal_px": "px", "baseline_m": "m"}, cases=((10.0,), (58.0,), (120.0,), (220.0,)),
    signature="depth(d) -> Z in metres", rel=1e-6, notebook="06_stereo"))
