"""Mutation testing with mutmut: how many deliberate small bugs in the modules whose numbers
users trust does the test suite catch?  Not part of CI (minutes per module); results and the
command are recorded in benchmarks/MUTATION.md.

Usage (from the repository root, with the test extras and mutmut installed)::

    python benchmarks/mutation.py camera                    # one module
    python benchmarks/mutation.py camera apple heic jpeg capture geometry projection
    python benchmarks/mutation.py camera --jobs 2 --survivors
    python benchmarks/mutation.py dynamic_depth --jobs 1 --survivors --mutants '*x__imaging_model__mutmut_*'

Each module runs on its own in a scratch copy of the committed tree (``git archive HEAD``
under a temporary folder, so mutmut's ``mutants/`` never lands in the repository), with the
tests that exercise it (:data:`MODULES`, plus ``tests/test_<module>_exact*.py`` where they exist; the fuzz, notebook, browser and CLI-subprocess tests are
left out: they run in other processes, which mutmut's trampolines do not reach, and take minutes).
Prints killed/survived/total and the score per module; ``--survivors`` lists the survivors and
``--keep DIR`` keeps the scratch copy there (``cd DIR && mutmut show NAME`` shows one).
``--mutants GLOB`` (repeatable) runs only the mutants whose names match, e.g. one function's
``'*x__depth_map__mutmut_*'`` (``'*xǁContainerItemǁto_dict__mutmut_*'`` for a method): a quick check
of new tests against one group of survivors; the score it prints is of that subset only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_SAMPLES = Path(os.environ.get("DEPTHLAB_SHARED_SAMPLES", ROOT.parent / "shared" / "samples")).resolve()

#: module (under src/depthlab) -> the test files that exercise it
MODULES = {
    "camera": ["tests/test_camera.py", "tests/test_camera_exact.py", "tests/test_projection.py", "tests/test_capture.py"],
    "capture": ["tests/test_capture.py", "tests/test_camera.py", "tests/formats/test_heic.py", "tests/formats/test_jpeg.py",
                "tests/test_projection.py"],
    "apple": ["tests/formats/test_apple_exact.py", "tests/formats/test_heic.py", "tests/formats/test_jpeg.py", "tests/synth/test_synth_jpeg.py", "tests/test_catalogue.py"],
    "heic": ["tests/formats/test_heic.py", "tests/test_catalogue.py", "tests/test_reader.py", "tests/synth/test_synth.py", "tests/formats/test_phone_layouts.py"],
    "jpeg": ["tests/formats/test_jpeg.py", "tests/synth/test_synth_jpeg.py", "tests/test_reader.py", "tests/formats/test_dynamic_depth.py",
             "tests/formats/test_phone_layouts.py"],
    "geometry": ["tests/test_projection.py", "tests/test_camera.py"],
    "projection": ["tests/test_projection.py", "tests/test_pointcloud.py"],
    "dynamic_depth": ["tests/formats/test_dynamic_depth.py", "tests/formats/test_pixel3_layout.py",
                      "tests/formats/test_xdm.py", "tests/formats/test_makers.py", "tests/formats/test_phone_layouts.py"],
    "xdm": ["tests/formats/test_xdm.py", "tests/formats/test_makers.py", "tests/formats/test_jpeg.py"],
}
PATHS = {"apple": "formats/apple.py", "heic": "formats/heic.py", "jpeg": "formats/jpeg.py",
         "dynamic_depth": "formats/dynamic_depth.py", "xdm": "formats/xdm.py"}


def scratch_copy(dest: Path) -> Path:
    """The committed tree (HEAD) unpacked into ``dest/proj``."""
    proj = dest / "proj"
    proj.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(proj)], input=archive, check=True)
    return proj


def run_module(name: str, work: Path, jobs: int, mutants: list[str] | None = None) -> dict:
    proj = scratch_copy(work / name)
    rel = f"src/depthlab/{PATHS.get(name, name + '.py')}"
    # the tests written from this module's survivors: tests/test_<name>_exact.py, ..._exact_*.py
    exact = sorted(str(p.relative_to(proj)) for p in (proj / "tests").rglob(f"test_{name}_exact*.py"))
    tests = MODULES[name] + [t for t in exact if t not in MODULES[name]]
    with open(proj / "pyproject.toml", "a", encoding="utf-8") as fh:
        fh.write("\n[tool.mutmut]\n"
                 'source_paths = ["src/depthlab"]\n'
                 f'only_mutate = ["{rel}"]\n'
                 f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
                 'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q", "-m", "not slow and not browser"]\n'
                 'also_copy = ["data/"]\n')
    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or "mutmut"
    # the scratch copy is not beside ../shared/samples: point the tests at the real files, and
    # fail rather than skip where they are missing (a skipped test kills no mutant)
    env = dict(os.environ, PYTHONPATH="", DEPTHLAB_SHARED_SAMPLES=str(SHARED_SAMPLES), DEPTHLAB_REQUIRE_SAMPLES="1")
    with open(work / f"{name}.log", "w") as log:
        subprocess.run([mutmut, "run", "--max-children", str(jobs), *(mutants or [])], cwd=proj, env=env, stdout=log,
                       stderr=subprocess.STDOUT, check=False)
    subprocess.run([mutmut, "export-cicd-stats"], cwd=proj, env=env, capture_output=True, check=False)
    stats = json.loads((proj / "mutants" / "mutmut-cicd-stats.json").read_text())
    results = subprocess.run([mutmut, "results"], cwd=proj, env=env, capture_output=True, text=True).stdout
    stats["survivors"] = [line.split(":")[0].strip() for line in results.splitlines() if line.strip().endswith("survived")]
    stats["module"] = rel
    stats["project"] = str(proj)
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="+", choices=sorted(MODULES))
    ap.add_argument("--jobs", type=int, default=2, help="mutmut --max-children (default 2)")
    ap.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    ap.add_argument("--keep", type=Path, help="keep the scratch copies in this folder")
    ap.add_argument("--mutants", action="append", metavar="GLOB",
                    help="run only the mutants whose names match (fnmatch; repeatable); the score is of those only")
    args = ap.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="depthlab-mutation-"))
    work.mkdir(parents=True, exist_ok=True)
    total = killed = 0
    try:
        for name in args.modules:
            s = run_module(name, work, args.jobs, args.mutants)
            # mutants that were tried (all but the skipped ones; with --mutants, only those matched)
            k = s["killed"] + s.get("timeout", 0) + s.get("segfault", 0)
            t = k + sum(s.get(key, 0) for key in ("survived", "no_tests", "suspicious", "check_was_interrupted_by_user"))
            total, killed = total + t, killed + k
            print(f"{s['module']}: {k} of {t} mutants killed ({100 * k / max(t, 1):.1f} %), "
                  f"{s['survived']} survived, {s.get('no_tests', 0)} without a test")
            if args.survivors:
                print("  " + "\n  ".join(s["survivors"]))
        if len(args.modules) > 1:
            print(f"all: {killed} of {total} killed ({100 * killed / max(total, 1):.1f} %)")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
