"""depthlab.animate: the shareable 3D photo, as a person opens it -- every frame decodes, the
subject stays in the picture, no black hole opens behind it, and bad requests leave nothing."""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

import depthlab
from browser_support import enclosed_holes, live_captures, subject_pixels
from conftest import DATA_SAMPLE, shared_sample
from depthlab.capture import Calibration, CameraInfo, Capture
from depthlab.errors import InvalidInputError, MissingDependencyError, OverwriteError
from depthlab.exchange import animation

ANIMATION_BACKGROUND = (animation.BACKGROUND,)


def frames_of(path: Path) -> list[np.ndarray]:
    with Image.open(path) as im:
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]


@pytest.fixture(scope="module")
def person():
    return live_captures()["person"]


def flat_capture(depth: np.ndarray, accuracy: str = "absolute") -> Capture:
    h, w = depth.shape
    cal = Calibration(intrinsic_matrix=[[100.0, 0, w / 2], [0, 100.0, h / 2], [0, 0, 1]], reference_size=(w, h))
    cap = Capture(disparity=(1 / depth).astype(np.float32), calibration=cal, accuracy=accuracy,
                  camera=CameraInfo(kind="rear dual"))
    cap.set_rgb(np.full((h, w, 3), 90, np.uint8))
    return cap


@pytest.mark.parametrize("motion", ["orbit", "wiggle", "zoom"])
def test_every_frame_decodes_and_the_subject_stays_in_it(person, tmp_path, motion):
    path = depthlab.animate(person, tmp_path / f"{motion}.gif", motion=motion, seconds=1.0, size=160, progress=False)
    frames = frames_of(path)
    # (a GIF writer may fold two identical frames into one longer one)
    assert 13 <= len(frames) <= 15 and frames[0].shape == (120, 160, 3)
    first = int(subject_pixels(frames[0]).sum())
    assert first > 0.05 * 160 * 120
    for k, f in enumerate(frames):
        m = subject_pixels(f)
        ys, xs = np.nonzero(m)
        assert m.sum() >= 0.6 * first, f"{motion} frame {k}: the subject lost its pixels"
        # inside the frame, never cut by its border
        assert xs.min() > 0 and ys.min() > 0 and xs.max() < 159 and ys.max() < 119, f"{motion} frame {k}"
    assert any(not np.array_equal(frames[0], f) for f in frames[1:]), "the camera did not move"


def test_the_filled_layer_closes_the_holes_a_turn_opens(person, tmp_path):
    holes = {}
    for fill in (True, False):
        path = depthlab.animate(person, tmp_path / f"fill_{fill}.gif", motion="wiggle", seconds=0.6, size=240,
                                amplitude=20, fill=fill, progress=False)
        holes[fill] = max(enclosed_holes(f, backgrounds=ANIMATION_BACKGROUND) for f in frames_of(path))
    assert holes[False] > 0.01, holes       # without it, a 20 degree swing opens a black hole beside the subject
    assert holes[True] < 0.002, holes


def test_webp_and_a_loop(person, tmp_path):
    path = depthlab.animate(person, tmp_path / "clip.webp", seconds=0.5, size=96, progress=False)
    with Image.open(path) as im:
        assert im.format == "WEBP" and getattr(im, "n_frames", 1) == 12
    assert len(frames_of(path)) == 12


def test_mp4_needs_imageio_ffmpeg_and_says_so(person, tmp_path):
    dest = tmp_path / "clip.mp4"
    if importlib.util.find_spec("imageio_ffmpeg") is None:
        with pytest.raises(MissingDependencyError, match="imageio-ffmpeg") as info:
            depthlab.animate(person, dest, seconds=0.3, size=64, progress=False)
        assert "pip install imageio-ffmpeg" in str(info.value)
        assert not dest.exists() and not list(tmp_path.iterdir())
    else:
        depthlab.animate(person, dest, seconds=0.3, size=64, progress=False)
        assert dest.read_bytes()[4:8] == b"ftyp"


def test_bad_requests_leave_nothing(person, tmp_path, monkeypatch):
    with pytest.raises(InvalidInputError, match="unknown animation format '.avi'"):
        depthlab.animate(person, tmp_path / "clip.avi", progress=False)
    with pytest.raises(InvalidInputError, match="motion"):
        depthlab.animate(person, tmp_path / "clip.gif", motion="spin", progress=False)
    with pytest.raises(InvalidInputError, match="size"):
        depthlab.animate(person, tmp_path / "clip.gif", size=4, progress=False)
    with pytest.raises(InvalidInputError, match="Capture"):
        depthlab.animate("photo.heic", tmp_path / "clip.gif", progress=False)
    assert not list(tmp_path.iterdir())
    existing = tmp_path / "mine.gif"
    existing.write_bytes(b"the user's own file")
    with pytest.raises(OverwriteError, match="overwrite=True"):
        depthlab.animate(person, existing, seconds=0.2, size=64, progress=False)
    assert existing.read_bytes() == b"the user's own file"
    # a render that fails half-way leaves neither a file nor a temporary one
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("out of memory")
        return np.zeros((48, 64, 3), np.uint8)

    monkeypatch.setattr(animation, "render_frame", failing)
    with pytest.raises(RuntimeError):
        depthlab.animate(person, tmp_path / "half.gif", seconds=0.5, size=64, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.gif"]


def test_flat_wall_holes_tiny_maps_and_both_scales(tmp_path):
    wall = depthlab.animate(flat_capture(np.full((30, 40), 2.0, np.float32)), tmp_path / "wall.gif", seconds=0.3,
                            size=64, progress=False)
    assert len(frames_of(wall)) >= 2
    with pytest.raises(InvalidInputError, match="no valid"):
        depthlab.animate(flat_capture(np.full((30, 40), np.nan, np.float32)), tmp_path / "holes.gif", progress=False)
    assert not (tmp_path / "holes.gif").exists()
    tiny = np.array([[1.0, 1.0, 3.0]] * 3, np.float32)
    depthlab.animate(flat_capture(tiny), tmp_path / "tiny.gif", seconds=0.3, size=32, progress=False)
    d = np.full((30, 40), 3.0, np.float32)
    d[8:22, 12:28] = 1.0
    a = frames_of(depthlab.animate(flat_capture(d, "absolute"), tmp_path / "a.gif", seconds=0.3, size=64, progress=False))
    r = frames_of(depthlab.animate(flat_capture(d, "relative"), tmp_path / "r.gif", seconds=0.3, size=64, progress=False))
    assert all(np.array_equal(x, y) for x, y in zip(a, r))


def test_the_pug_orbit_is_a_small_gif_with_the_dog_in_every_frame(tmp_path):
    cap = depthlab.open(shared_sample("iphone/rear_dual_pug.heic"))
    path = depthlab.animate(cap, tmp_path / "pug.gif", motion="orbit", seconds=3, size=480, progress=False)
    size = path.stat().st_size
    assert size < 8e6, f"{size / 1e6:.1f} MB"
    frames = frames_of(path)
    assert len(frames) == 45 and frames[0].shape == (360, 480, 3)
    # the dog (the nearest large region near the centre, where the orbit turns about) stays
    # drawn in every frame: the image centre is photo, not background, and no hole opens
    bg = np.array(animation.BACKGROUND, np.int16)
    for k, f in enumerate(frames):
        centre = f[120:300, 120:400].astype(np.int16)
        drawn = (np.abs(centre - bg).max(axis=-1) > 3).mean()
        assert drawn > 0.97, f"frame {k}: {drawn:.1%} of the centre drawn"   # the dog's black muzzle is near the background's colour
        assert enclosed_holes(f, backgrounds=ANIMATION_BACKGROUND) < 0.01, f"frame {k}"


def test_the_command_line(tmp_path):
    exe = Path(sys.executable).with_name("depthlab")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "depthlab.cli"]
    src = DATA_SAMPLE / "rear_dual.heic"
    out = tmp_path / "clip.gif"
    run = lambda *a: subprocess.run(cmd + [str(x) for x in a], capture_output=True, text=True, timeout=300,
                                    env=dict(os.environ))
    p = run("animate", src, "-o", out, "--seconds", "0.4", "--size", "80", "--motion", "wiggle", "--no-progress")
    assert p.returncode == 0, p.stderr
    assert "animate: wrote" in p.stderr and len(frames_of(out)) == 6
    again = run("animate", src, "-o", out, "--seconds", "0.4", "--size", "80", "--no-progress")
    assert again.returncode == 1 and "--force" in again.stderr and "Traceback" not in again.stderr
    bad = run("animate", src, "-o", tmp_path / "clip.avi")
    assert bad.returncode == 2 and ".gif" in bad.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.gif"]
