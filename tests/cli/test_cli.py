"""The `depthlab` command, run as a user runs it: a subprocess, exit codes, files, messages."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import depthlab
from conftest import DATA_SAMPLE, SHARED_SAMPLES, data_sample, shared_sample, shared_samples_dir

COMMANDS = ("info", "export", "figure", "depth", "html", "samples")


def depthlab_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("depthlab")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "depthlab.cli"]


def run(*args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("DEPTHLAB_DEBUG", None)
    return subprocess.run(depthlab_cmd() + [str(a) for a in args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env=env)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("depthlab: ")]


def assert_no_traceback(proc):
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


def no_temp_files(folder: Path) -> bool:
    return not any(p.name.endswith(".part") for p in folder.rglob("*"))


@pytest.fixture
def bad_files(tmp_path) -> list[Path]:
    """Inputs that must each fail on their own line: truncated, not an image, empty, missing."""
    pug = shared_sample("iphone/rear_dual_pug.heic")
    bad = tmp_path / "bad"
    bad.mkdir()
    truncated = bad / "truncated.heic"
    truncated.write_bytes(pug.read_bytes()[:5000])
    text = bad / "notes.jpg"
    text.write_text("not a photo at all\n")
    empty = bad / "empty.heic"
    empty.write_bytes(b"")
    return [truncated, text, empty, bad / "missing.heic"]


# --------------------------------------------------------------------------------------------
# Help and usage
# --------------------------------------------------------------------------------------------


def test_top_level_help_lists_commands_and_exit_codes():
    proc = run("--help")
    assert proc.returncode == 0
    for cmd in COMMANDS:
        assert cmd in proc.stdout
    assert "exit codes" in proc.stdout and "130" in proc.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    proc = run(command, "--help")
    assert proc.returncode == 0
    assert "example" in proc.stdout
    assert f"depthlab {command}" in proc.stdout.split("example", 1)[1]


@pytest.mark.parametrize("args", [
    (),
    ("export", "x.heic"),                                # -o missing
    ("export", "x.heic", "-o", "out", "--format", "xyz"),
    ("export", "x.heic", "-o", "out", "--jobs", "0"),
    ("export", "x.heic", "-o", "out", "--near", "-1"),
    ("figure", "a.heic", "b.heic", "c.heic", "-o", "f.png"),
    ("figure", "a.heic", "-o", "f.jpg"),
    ("figure", "a.heic", "b.heic", "--models", "pinhole", "orthographic", "-o", "f.png"),
    ("depth", "a.heic", "b.heic", "-o", "one.png"),
    ("frobnicate",),
])
def test_usage_errors_exit_2_without_traceback(tmp_path, args):
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "error" in proc.stderr
    assert_no_traceback(proc)


# --------------------------------------------------------------------------------------------
# info
# --------------------------------------------------------------------------------------------


def test_info_prints_the_summary():
    pug = shared_sample("iphone/rear_dual_pug.heic")
    proc = run("info", pug)
    assert proc.returncode == 0, proc.stderr
    assert "rear dual" in proc.stdout
    assert "relative" in proc.stdout
    assert "768x576" in proc.stdout


def test_info_json_is_the_capture_summary():
    front = shared_sample("iphone/front_truedepth_mattes.heic")
    proc = run("info", "--json", front)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["accuracy"] == "absolute"
    assert data["camera_kind"] == "front TrueDepth"
    assert data["depth_size"] == [480, 640]
    assert set(data["mattes"]) >= {"portrait", "skin", "hair", "teeth", "glasses"}


def test_info_json_on_a_refused_file_is_an_error_object():
    plain = shared_sample("iphone/ios18_mattes_no_depth.heic")
    proc = run("info", "--json", plain)
    assert proc.returncode == 1
    assert_no_traceback(proc)
    err = json.loads(proc.stdout)["error"]
    assert err["type"] == "NoDepthError" and err["file"] == str(plain)
    assert err["message"].startswith("ios18_mattes_no_depth.heic holds no depth map")
    # several photos: a list, the refused one in its place
    pug = shared_sample("iphone/rear_dual_pug.heic")
    proc = run("info", "--json", pug, plain)
    out = json.loads(proc.stdout)
    assert proc.returncode == 1 and out[0]["accuracy"] == "relative" and out[1]["error"]["type"] == "NoDepthError"


def test_info_on_bad_files_one_line_each_no_traceback(bad_files):
    nodepth = shared_sample("iphone/ios18_mattes_no_depth.heic")
    pug = shared_sample("iphone/rear_dual_pug.heic")
    proc = run("info", pug, nodepth, *bad_files)
    assert proc.returncode == 1
    assert_no_traceback(proc)
    errors = error_lines(proc.stderr)
    assert len(errors) == len(bad_files) + 1
    for path in [nodepth, *bad_files]:
        assert sum(str(path) in line for line in errors) == 1
    assert "no depth map" in next(line for line in errors if str(nodepth) in line)
    assert "rear dual" in proc.stdout  # the good file was still described


def test_info_single_bad_file_exits_1_with_one_line(bad_files):
    proc = run("info", bad_files[0])
    assert proc.returncode == 1
    assert_no_traceback(proc)
    assert len(proc.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------------------------
# export: the batch with bad files
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 2])
def test_export_batch_with_bad_files(tmp_path, bad_files, jobs):
    from depthlab.pointcloud import PointCloud

    good = [shared_sample("iphone/rear_dual_pug.heic"), shared_sample("iphone/front_truedepth_mattes.heic")]
    out = tmp_path / "out"
    out.mkdir()
    sentinel = out / "rear_dual_pug.ply"  # an existing output must survive untouched
    sentinel.write_bytes(b"precious")
    proc = run("export", *good, *bad_files, shared_sample("iphone/rear_dual_2x_upright.heic"),
               "-o", out, "--format", "ply", "--jobs", jobs, "--stride", 2)
    assert proc.returncode == 1
    assert_no_traceback(proc)
    errors = error_lines(proc.stderr)
    # each bad file and the refused overwrite reported once, on one line
    assert len(errors) == len(bad_files) + 1, proc.stderr
    for path in bad_files:
        assert sum(str(path) in line for line in errors) == 1
    assert any("already exists" in line and "--force" in line for line in errors)
    assert sentinel.read_bytes() == b"precious"
    # good outputs written and complete
    front = PointCloud.load(out / "front_truedepth_mattes.ply")
    assert front.grid_shape == (640, 480) and len(front) > 0.9 * 240 * 320
    assert front.accuracy == "absolute"
    assert PointCloud.load(out / "rear_dual_2x_upright.ply").grid_shape == (768, 576)
    assert sorted(p.name for p in out.iterdir()) == ["front_truedepth_mattes.ply", "rear_dual_2x_upright.ply",
                                                     "rear_dual_pug.ply"]
    assert no_temp_files(tmp_path)
    summary = proc.stderr.strip().splitlines()[-1]
    assert "2 of 7 photos done, 5 failed" in summary


def test_export_force_replaces_and_jobs_give_identical_points(tmp_path):
    from depthlab.pointcloud import PointCloud

    pug = shared_sample("iphone/rear_dual_pug.heic")
    a, b = tmp_path / "a", tmp_path / "b"
    assert run("export", pug, "-o", a, "--jobs", 1, "--stride", 3).returncode == 0
    # two copies under other names exercise the pool; the same points as the in-process run
    src = tmp_path / "src"
    src.mkdir()
    for name in ("one.heic", "two.heic"):
        shutil.copyfile(pug, src / name)
    proc = run("export", src, "-o", b, "--jobs", 2, "--stride", 3)
    assert proc.returncode == 0, proc.stderr
    ref = PointCloud.load(a / "rear_dual_pug.pcd")
    for name in ("one.pcd", "two.pcd"):
        other = PointCloud.load(b / name)
        assert np.array_equal(other.xyz, ref.xyz) and np.array_equal(other.rgb, ref.rgb)
        assert np.array_equal(other.pixel_index, ref.pixel_index)
    ref = (a / "rear_dual_pug.pcd").read_bytes()
    # refuses, then replaces with --force
    (a / "rear_dual_pug.pcd").write_bytes(b"old")
    assert run("export", pug, "-o", a, "--stride", 3).returncode == 1
    assert (a / "rear_dual_pug.pcd").read_bytes() == b"old"
    assert run("export", pug, "-o", a, "--stride", 3, "--force").returncode == 0
    assert (a / "rear_dual_pug.pcd").read_bytes() == ref


def test_export_options_reach_the_projection(tmp_path):
    from depthlab.pointcloud import PointCloud

    front = shared_sample("iphone/front_truedepth_mattes.heic")
    proc = run("export", front, "-o", tmp_path, "--near", "0.3", "--far", "0.5", "--mask", "portrait",
               "--model", "pinhole-raw", "--stride", 2)
    assert proc.returncode == 0, proc.stderr
    cloud = PointCloud.load(tmp_path / "front_truedepth_mattes.pcd")
    z = cloud.xyz[:, 2]
    assert 0.3 - 1e-4 <= z.min() and z.max() <= 0.5 + 1e-4
    assert cloud.model == "pinhole-raw"
    assert 0 < len(cloud) < 240 * 320 * 0.8


def test_export_that_would_write_an_empty_file_fails_and_says_the_photos_range(tmp_path):
    """README's `depthlab export ... --far 2.5` over a folder holding the Lens Blur photo (its
    depth spans 24.8-334 of its own units) wrote a PLY of 0 points and counted it done."""
    blur, pug = shared_sample("android/lens_blur_gdepth.jpg"), shared_sample("iphone/rear_dual_pug.heic")
    proc = run("export", blur, pug, "-o", tmp_path, "--format", "ply", "--far", "2.5", "--jobs", 1)
    assert_no_traceback(proc)
    assert proc.returncode == 1, proc.stderr
    (line,) = error_lines(proc.stderr)
    assert "lens_blur_gdepth.jpg" in line and "no point" in line and "24.8" in line and "334 units" in line, line
    assert "--near/--far" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rear_dual_pug.ply"]
    records = depthlab.batch(blur, export="ply", output=tmp_path / "b", far=2.5)
    assert records[0].status == "failed" and "no point" in records[0].reason and not records[0].outputs


def test_export_clashing_names_are_disambiguated(tmp_path):
    pug = shared_sample("iphone/rear_dual_pug.heic")
    src = tmp_path / "src"
    src.mkdir()
    shutil.copyfile(pug, src / "same.heic")
    shutil.copyfile(shared_sample("iphone/rear_dual_portrait.jpg"), src / "same.jpg")
    proc = run("export", src, "-o", tmp_path / "out", "--stride", 4)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["same.heic.pcd", "same.jpg.pcd"]


# --------------------------------------------------------------------------------------------
# Ctrl-C
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_leaves_only_complete_files(tmp_path, jobs):
    from depthlab.pointcloud import PointCloud

    pug = shared_sample("iphone/rear_dual_pug.heic")
    src = tmp_path / "src"
    src.mkdir()
    for i in range(12):
        shutil.copyfile(pug, src / f"p{i:02d}.heic")
    out = tmp_path / "out"
    # the export runs as a terminal's foreground job, Ctrl-C at its default; a shell running the
    # suite itself in the background ignores SIGINT, and a child would inherit that
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen(depthlab_cmd() + ["export", str(src), "-o", str(out), "--jobs", str(jobs)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (out.is_dir() and any(out.glob("*.pcd"))):
        time.sleep(0.005)
    assert out.is_dir() and any(out.glob("*.pcd")), "export produced nothing within two minutes"
    # as soon as the first file is complete (a rename made it appear), the rest are still to come:
    # what a terminal does on Ctrl-C, to the whole process group
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert no_temp_files(tmp_path)
    written = sorted(out.glob("*.pcd"))
    assert 1 <= len(written) < 12
    for path in written:
        assert len(PointCloud.load(path)) == 768 * 576


# --------------------------------------------------------------------------------------------
# depth, figure, html
# --------------------------------------------------------------------------------------------


def test_depth_writes_16bit_at_the_recorded_scale_and_a_preview(tmp_path):
    from PIL import Image

    import depthlab

    front = shared_sample("iphone/front_truedepth_mattes.heic")
    dest = tmp_path / "depth.png"
    proc = run("depth", front, "-o", dest)
    assert proc.returncode == 0, proc.stderr
    img = Image.open(dest)
    assert img.mode == "I;16" and img.size == (480, 640)
    # 0.27..1.97 m: the largest power of ten that keeps 1.97 m within 65535 is 10000 (0.1 mm steps)
    assert img.text["depthlab:scale"] == "10000" and img.text["depthlab:unit"] == "0.0001 m"
    assert img.text["depthlab:accuracy"] == "absolute"
    stored = np.asarray(img)
    depth = depthlab.open(front).depth
    ok = np.isfinite(depth)
    assert np.array_equal(stored[ok], np.round(depth[ok] * 10000).astype(np.uint16))
    assert np.all(stored[~ok] == 0)
    preview = Image.open(tmp_path / "depth.preview.png")
    assert preview.mode == "RGB" and preview.size == (480, 640)
    # never overwrites without --force; with --force it does
    dest.write_bytes(b"mine")
    proc = run("depth", front, "-o", dest)
    assert proc.returncode == 1 and dest.read_bytes() == b"mine"
    assert "--force" in proc.stderr
    assert run("depth", front, "-o", dest, "--force").returncode == 0
    assert Image.open(dest).mode == "I;16"


def test_depth_disparity_folder_batch(tmp_path, bad_files):
    from PIL import Image

    import depthlab

    pug = shared_sample("iphone/rear_dual_pug.heic")
    proc = run("depth", pug, bad_files[1], "-o", tmp_path / "maps", "--quantity", "disparity", "--no-preview")
    assert proc.returncode == 1
    assert_no_traceback(proc)
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == ["rear_dual_pug.disparity.png"]
    img = Image.open(tmp_path / "maps" / "rear_dual_pug.disparity.png")
    # disparity 1.5..4.38 1/m: stored at 10000 per 1/m (the largest power of ten that fits)
    assert img.text["depthlab:unit"] == "0.0001/m" and img.text["depthlab:scale"] == "10000"
    assert img.text["depthlab:accuracy"] == "relative"
    stored = np.asarray(img).astype(np.float64) / 10000
    assert np.abs(stored - depthlab.open(pug).disparity).max() <= 0.00005 + 1e-7


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_figure_one_photo(tmp_path, suffix):
    pug = shared_sample("iphone/rear_dual_pug.heic")
    dest = tmp_path / f"fig{suffix}"
    proc = run("figure", pug, "-o", dest, "--dpi", 100)
    assert proc.returncode == 0, proc.stderr
    head = dest.read_bytes()[:5]
    assert head.startswith({".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF"}[suffix])


def test_figure_comparisons_and_no_overwrite(tmp_path):
    from PIL import Image

    rear = shared_sample("iphone/rear_dual_pug.heic")
    front = shared_sample("iphone/front_truedepth_mattes.heic")
    dest = tmp_path / "pair.png"
    proc = run("figure", rear, front, "-o", dest, "--dpi", 100, "--view", "side")
    assert proc.returncode == 0, proc.stderr
    w, h = Image.open(dest).size
    assert w == 700 and h > 300  # 7 in at 100 dpi; two rows
    proc = run("figure", rear, "--models", "pinhole", "disparity-as-z", "-o", dest, "--dpi", 100)
    assert proc.returncode == 1 and "already exists" in proc.stderr
    proc = run("figure", rear, "--models", "pinhole", "disparity-as-z", "-o", tmp_path / "m.png", "--dpi", 100)
    assert proc.returncode == 0, proc.stderr
    with Image.open(tmp_path / "m.png") as im:
        assert im.format == "PNG" and im.size[0] == 700 and im.size[1] > 300  # two models: two rows
        assert len(np.unique(np.asarray(im.convert("L")))) > 50  # drawn panels, not an empty canvas


def test_figure_bad_photo_one_line(tmp_path, bad_files):
    proc = run("figure", bad_files[0], "-o", tmp_path / "f.png")
    assert proc.returncode == 1
    assert_no_traceback(proc)
    assert len(error_lines(proc.stderr)) == 1 and str(bad_files[0]) in proc.stderr
    assert not (tmp_path / "f.png").exists()


def test_html_page(tmp_path):
    pug = shared_sample("iphone/rear_dual_pug.heic")
    dest = tmp_path / "view.html"
    proc = run("html", pug, "-o", dest, "--stride", 4)
    assert proc.returncode == 0, proc.stderr
    text = dest.read_text()
    assert text.lstrip().lower().startswith("<!doctype html")
    assert run("html", pug, "-o", dest, "--stride", 4).returncode == 1


# --------------------------------------------------------------------------------------------
# samples and the generated samples in data/sample
# --------------------------------------------------------------------------------------------


def test_samples_regenerates_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "sample"
    proc = run("samples", "-o", out, timeout=600)
    assert proc.returncode == 0, proc.stderr
    heics = sorted(out.glob("*.heic"))
    assert heics
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = run("samples", "-o", out)
    assert proc.returncode == 1 and "--force" in proc.stderr
    assert_no_traceback(proc)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    # the generated files open and export
    proc = run("export", out, "-o", tmp_path / "clouds", "--stride", 4)
    assert proc.returncode == 0, proc.stderr
    photos = heics + sorted(out.glob("*.jpg"))  # the Dynamic Depth sample is a JPEG
    assert len(list((tmp_path / "clouds").glob("*.pcd"))) == len(photos)


def test_data_sample_info_and_figure(tmp_path):
    heics = sorted(DATA_SAMPLE.glob("*.heic")) if DATA_SAMPLE.is_dir() else []
    assert heics, "data/sample holds no generated samples (run `depthlab samples`)"  # committed: never absent
    proc = run("info", *heics)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("camera") >= len(heics)
    proc = run("figure", heics[0], "-o", tmp_path / "f.png", "--dpi", 80)
    assert proc.returncode == 0, proc.stderr
    from PIL import Image

    with Image.open(tmp_path / "f.png") as im:
        assert im.format == "PNG" and im.size[0] == 560  # 7 in at 80 dpi
        assert len(np.unique(np.asarray(im.convert("L")))) > 50
    proc = run("export", DATA_SAMPLE, "-o", tmp_path / "out", "--stride", 4, "--format", "ply")
    assert proc.returncode == 0, proc.stderr
    # one cloud per photo, and the absolute front capture's points lie where its ground truth says
    # (PLY keeps each point's pixel)
    from depthlab.pointcloud import PointCloud
    from depthlab.synth import load_truth

    photos = sorted(p.name for p in DATA_SAMPLE.iterdir() if p.suffix in (".heic", ".jpg"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(n.rsplit(".", 1)[0] + ".ply" for n in photos)
    cloud = PointCloud.load(tmp_path / "out" / "front_truedepth.ply")
    truth = load_truth(DATA_SAMPLE / "front_truedepth.heic")
    assert cloud.grid_shape == (640, 480) and len(cloud) <= 160 * 120  # every 4th pixel of the 480x640 map
    true_z = truth.depth_m.reshape(-1)[cloud.pixel_index]
    seen = np.isfinite(true_z) & ~truth.holes.reshape(-1)[cloud.pixel_index]
    err = np.abs(cloud.xyz[seen, 2] - true_z[seen]) / true_z[seen]
    assert seen.sum() > 0.5 * len(cloud) and float(np.median(err)) < 0.01


def test_shared_samples_folder_as_batch(tmp_path):
    shared_samples_dir()
    proc = run("depth", SHARED_SAMPLES / "iphone", SHARED_SAMPLES / "android", "-o", tmp_path, "--no-preview")
    # the samples README: two photos hold no depth map (each fails on one line); five store one and
    # the spatial pair gets depth computed from its two views
    no_depth = {"front_rotated_mirrored_no_depth.heic", "ios18_mattes_no_depth.heic"}
    with_depth = {"rear_dual_pug.heic", "front_truedepth_mattes.heic", "rear_dual_2x_upright.heic",
                  "rear_dual_portrait.jpg", "lens_blur_gdepth.jpg", "spatial_stereo_pair.heic"}
    assert proc.returncode == 1
    assert_no_traceback(proc)
    errors = error_lines(proc.stderr)
    assert len(errors) == len(no_depth) and all("no depth map" in e for e in errors)
    assert {n for n in no_depth if any(n in e for e in errors)} == no_depth
    written = sorted(p.name for p in tmp_path.glob("*.depth.png"))
    assert written == sorted(n.rsplit(".", 1)[0] + ".depth.png" for n in with_depth)


# --------------------------------------------------------------------------------------------
# The batch runner in-process: --jobs is a CPU budget
# --------------------------------------------------------------------------------------------


def _decode_threads_now(src: Path) -> str:
    import pillow_heif

    if src.name == "boom":
        raise ValueError("a bug")
    return str(pillow_heif.options.DECODE_THREADS)


def test_jobs_budget_sets_decode_threads_and_failures_are_counted(capsys):
    import pillow_heif

    from depthlab.cli.batch import Task, run_batch

    before = pillow_heif.options.DECODE_THREADS
    seen = []

    def record(src: Path) -> str:
        seen.append(_decode_threads_now(src))
        return "ok"

    # one photo gets the whole budget; --jobs 1 means one thread
    assert run_batch([Task(Path("a"), record)], jobs=3, progress=False, label="t") == (1, 0)
    assert run_batch([Task(Path("a"), record)], jobs=1, progress=False, label="t") == (1, 0)
    assert seen == ["3", "1"]
    assert pillow_heif.options.DECODE_THREADS == before  # restored
    ok, failed = run_batch([Task(Path("a"), record), Task(Path("boom"), record)], jobs=1, progress=False, label="t")
    assert (ok, failed) == (1, 1)
    err = capsys.readouterr().err
    assert "depthlab: boom: internal error (ValueError: a bug)" in err and "Traceback" not in err


# --------------------------------------------------------------------------------------------
# subfolders, and the Python batch API
# --------------------------------------------------------------------------------------------


def _tree(tmp_path):
    """photos/ with a photo at the top, one in a subfolder and a broken file beside it."""
    root = tmp_path / "photos"
    (root / "trip" / "day2").mkdir(parents=True)
    shutil.copy(data_sample("front_truedepth.heic"), root / "front.heic")
    shutil.copy(data_sample("rear_dual.heic"), root / "trip" / "day2" / "rear.heic")
    (root / "trip" / "broken.jpg").write_bytes(b"\xff\xd8 not a photo")
    return root


def test_info_json_and_export_look_into_subfolders_with_recursive(tmp_path):
    root = _tree(tmp_path)
    flat = run("info", "--json", root)
    assert flat.returncode == 0 and json.loads(flat.stdout)["camera_kind"] == "front TrueDepth"  # one photo at the top
    deep = run("info", "--json", "--recursive", root)
    out = json.loads(deep.stdout)
    assert deep.returncode == 1 and len(out) == 3
    assert [o.get("camera_kind") for o in out] == ["front TrueDepth", None, "rear dual"]
    assert out[1]["error"]["file"].endswith("broken.jpg")
    proc = run("export", root, "-o", tmp_path / "clouds", "--format", "ply", "--stride", "8", "-r", "--jobs", "1")
    assert proc.returncode == 1  # the broken file, reported
    assert (tmp_path / "clouds" / "front.ply").is_file() and (tmp_path / "clouds" / "trip" / "day2" / "rear.ply").is_file()
    assert len(error_lines(proc.stderr)) == 1


def test_the_python_batch_api_returns_one_record_per_file_and_prints_nothing(tmp_path, capsys):
    import depthlab

    root = _tree(tmp_path)
    records = depthlab.batch(root, recursive=True, export="ply", output=tmp_path / "out", stride=8)
    assert [(Path(r.file).name, r.status) for r in records] == [("front.heic", "ok"), ("broken.jpg", "failed"),
                                                               ("rear.heic", "ok")]
    ok = records[2]
    assert ok.summary["camera_kind"] == "rear dual" and ok.summary["accuracy"] == "relative" and ok.reason is None
    assert ok.outputs == [str(tmp_path / "out" / "trip" / "day2" / "rear.ply")] and Path(ok.outputs[0]).is_file()
    bad = records[1]
    assert bad.summary is None and bad.outputs == [] and bad.reason.startswith("broken.jpg is not an image depthlab knows")
    assert "Dynamic Depth" in bad.reason
    json.dumps([r.to_dict() for r in records])
    assert capsys.readouterr() == ("", "")
    # again: the outputs exist, so those files fail with the reason; force=True replaces them
    again = depthlab.batch(root / "front.heic", export="ply", output=tmp_path / "out", stride=8)
    assert again[0].status == "failed" and "already exists" in again[0].reason
    assert depthlab.batch(root / "front.heic", export="ply", output=tmp_path / "out", stride=8, force=True)[0].status == "ok"
    with pytest.raises(depthlab.InvalidInputError, match=r"unknown batch\(\) option\(s\) \['strid'\]"):
        depthlab.batch(root, strid=8)
