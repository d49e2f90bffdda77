"""Benchmark: meshes and mesh files against named baselines, in one process and one run.

Sample: ``rear_dual_pug.heic`` (primary 4032x3024, depth 768x576 = 442,368 grid points), and
the generated ``data/sample/rear_dual.heic`` (same grid size, colour 1536x1152).  Every
candidate and its baseline run alternately, ``--repeat`` times each; medians are reported with
the ratio candidate / baseline.

(a) ``mesh(cap)`` (defaults: cut at occlusions, flat blocks simplified) and
    ``mesh(cap, simplify=0)`` -- baseline **project**: ``depthlab.project(cap)`` on the same
    capture with its colours already decoded: each run gets a new Capture sharing the decoded
    photo and the depth map (nothing cached: the projection's rays and its area-averaged
    colours, the mesh's everything, are computed in the run).  Target: <= 3x.  A second
    baseline, **project warm**, re-projects one Capture whose depth-sized colours are already
    cached (what a notebook's second ``project`` call costs): reported, not the target.
(b) ``Mesh.save("x.glb")`` (JPEG texture, used vertices, into a temporary folder) -- baselines
    **naive GLB**: trimesh's own ``export(file_type="glb")`` of the full grid (two triangles per
    cell, float attributes, the texture as PNG), and **PLY cloud**: ``PointCloud.save("x.ply")``
    of the same photo.  Sizes are reported too.
(c) ``mesh(cap).solid()`` + ``save("x.stl")`` -- baseline **surface STL**: ``save("x.stl")`` of
    the open surface.

    .venv/bin/python benchmarks/bench_mesh.py [--repeat 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from alternating import add_load_option, allow_load, ratio_text, run_alternating  # noqa: E402 - benchmarks/ is the script's folder

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DEPTHLAB_SHARED_SAMPLES", ROOT.parent / "shared" / "samples"))
SAMPLES = {"pug": SHARED / "iphone" / "rear_dual_pug.heic", "rear (generated)": ROOT / "data" / "sample" / "rear_dual.heic"}


def row(label: str, runs: list[float], base: list[float] | None, base_label: str = "", load: float = float("nan")) -> str:
    med, best = statistics.median(runs), min(runs)
    if base is None:
        return f"| {label} | {med:.1f} ({best:.1f}) | | |"
    bmed, bbest = statistics.median(base), min(base)
    return f"| {label} | {med:.1f} ({best:.1f}) | {base_label} {bmed:.1f} ({bbest:.1f}) | {ratio_text(med, bmed, load, '{:.2f}')} |"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=9)
    add_load_option(ap)
    args = ap.parse_args(argv)
    allow_load(args.allow_load)
    sys.path.insert(0, str(ROOT / "src"))
    import numpy as np
    import trimesh

    import depthlab
    from depthlab.capture import Capture

    print("| item | candidate median (best) ms | baseline median (best) ms | ratio of medians (load average) |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        counter = iter(range(10**9))

        def fresh(ext: str) -> Path:
            return out / f"f{next(counter)}{ext}"

        for name, path in SAMPLES.items():
            if not path.is_file():
                print(f"| {name}: sample {path} missing, skipped | | | |")
                continue
            cap = depthlab.open(path)
            photo = cap.rgb  # colours decoded before timing

            def decoded(cap=cap, photo=photo):
                """A new Capture of the same photo, colours decoded, nothing else cached."""
                c = Capture(disparity=cap.disparity, calibration=cap.calibration, accuracy=cap.accuracy,
                            camera=cap.camera, encoding=cap.encoding, path=cap.path, format=cap.format)
                c.set_rgb(photo)
                return c

            depthlab.project(cap)  # warms cap's depth-sized colours for "project warm"
            t = run_alternating({
                "project": lambda: depthlab.project(decoded()),
                "mesh": lambda: depthlab.mesh(decoded()),
                "mesh full grid": lambda: depthlab.mesh(decoded(), simplify=0),
                "project warm": lambda: depthlab.project(cap),
            }, args.repeat)
            print(row(f"a {name}: mesh(cap)", t["mesh"], t["project"], "project", load=t.load))
            print(row(f"a {name}: mesh(cap, simplify=0)", t["mesh full grid"], t["project"], "project", load=t.load))
            print(row(f"a {name}: mesh(cap)", t["mesh"], t["project warm"], "project warm", load=t.load))

            m = depthlab.mesh(cap)
            full = depthlab.mesh(cap, simplify=0)
            cloud = depthlab.project(cap)
            naive = trimesh.Trimesh(full.vertices * np.float32([1, -1, -1]), full.faces, process=False,
                                    visual=trimesh.visual.TextureVisuals(
                                        uv=full.uv, material=trimesh.visual.material.PBRMaterial(
                                            baseColorTexture=__import__("PIL.Image").Image.fromarray(
                                                np.ascontiguousarray(full.texture)))))
            sizes: dict[str, int] = {}

            def save_glb() -> None:
                p = m.save(fresh(".glb"))
                sizes["glb"] = p.stat().st_size
                p.unlink()

            def naive_glb() -> None:
                data = naive.export(file_type="glb")
                sizes["naive"] = len(data)

            def cloud_ply() -> None:
                p = cloud.save(fresh(".ply"))
                sizes["ply"] = p.stat().st_size
                p.unlink()

            t = run_alternating({"glb": save_glb, "naive": naive_glb, "ply": cloud_ply}, max(3, args.repeat // 3))
            print(row(f"b {name}: Mesh.save(.glb), {sizes['glb'] / 1e6:.1f} MB, {len(m):,} triangles",
                      t["glb"], t["naive"], f"naive GLB ({sizes['naive'] / 1e6:.1f} MB, {len(full):,} triangles)", load=t.load))
            print(row(f"b {name}: Mesh.save(.glb)", t["glb"], t["ply"], f"PointCloud.save(.ply) ({sizes['ply'] / 1e6:.1f} MB)", load=t.load))

            def solid_stl() -> None:
                p = m.solid().save(fresh(".stl"))
                sizes["solid"] = p.stat().st_size
                p.unlink()

            def surface_stl() -> None:
                p = m.save(fresh(".stl"))
                sizes["stl"] = p.stat().st_size
                p.unlink()

            t = run_alternating({"solid": solid_stl, "surface": surface_stl}, max(3, args.repeat // 3))
            print(row(f"c {name}: solid() + .stl ({sizes['solid'] / 1e6:.1f} MB)", t["solid"], t["surface"],
                      f"surface .stl ({sizes['stl'] / 1e6:.1f} MB)", load=t.load))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
