"""The README, tested as written, in the environment the README creates.

A clean copy of the repository (the files git would commit, plus uncommitted edits) gets exactly
the README's explore install -- a fresh virtual environment, ``pip install -e .``, no extras --
and then every example the README shows runs in that environment: each ``python`` block (in
order, in one interpreter, as a reader would type them) and each ``$ depthlab ...`` console line.
The explore command's JupyterLab is started as written (plus a port and token) and must serve
the notebooks with the build check off.  Finally a non-editable ``pip install .`` must export an
HTML page with the viewer it ships, from outside the source tree.

These tests take minutes (they install from the package index, or pip's cache) and run in CI.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.install, pytest.mark.slow]

README = ROOT / "README.md"


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block of a markdown text, in order."""
    return [(m.group(1).strip(), m.group(2)) for m in re.finditer(r"^```([^\n]*)\n(.*?)^```", text, re.S | re.M)]


def setup_commands(text: str) -> tuple[str, str]:
    """The README's two set-up commands: (explore, test), each the bash block after its heading."""
    found = {}
    for label in ("Explore", "Test"):
        m = re.search(rf"\*\*{label}\*\*.*?```bash\n(.*?)\n```", text, re.S)
        assert m, f"README has no bash block after **{label}**"
        found[label] = m.group(1).strip()
    return found["Explore"], found["Test"]


def console_lines(text: str) -> list[str]:
    return [line[2:] for lang, body in fenced_blocks(text) if lang == "console"
            for line in body.splitlines() if line.startswith("$ ")]


def python_blocks(text: str) -> list[str]:
    return [body for lang, body in fenced_blocks(text) if lang == "python"]


def _clean_copy(dest: Path) -> Path:
    """The files git tracks or would add (tracked + untracked, not ignored), as they are on disk."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for raw in filter(None, files):
        rel = raw.decode()
        src = ROOT / rel
        if not src.is_file():  # deleted in the work tree
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    return dest


def _run(cmd, cwd: Path, timeout: float, env: dict | None = None, shell: bool = False) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, shell=shell)
    if proc.returncode != 0:
        pytest.fail(f"{cmd!r} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}")
    return proc


def _user_env(venv: Path) -> dict[str, str]:
    """The environment a reader has after the README's install: the venv's bin first, nothing of ours."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"} and not k.startswith(("PYTEST", "COV_"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.fixture(scope="module")
def readme_env(tmp_path_factory):
    """A clean copy of the repository with the README's explore install done in it."""
    text = README.read_text(encoding="utf-8")
    explore, _ = setup_commands(text)
    parts = [p.strip() for p in explore.split("&&")]
    assert len(parts) == 3 and parts[2].startswith(".venv/bin/jupyter lab"), explore
    repo = _clean_copy(tmp_path_factory.mktemp("readme") / "depthlab")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    t0 = time.monotonic()
    _run(" && ".join(parts[:2]), repo, timeout=1500, env=env, shell=True)  # venv + pip install, as written
    print(f"\nREADME explore install: {time.monotonic() - t0:.0f} s")
    venv = repo / ".venv"
    assert (venv / "bin" / "python").is_file() and (venv / "bin" / "depthlab").is_file()
    # the README's environment holds no test extra: nothing here may lean on one
    probe = _run([str(venv / "bin" / "python"), "-c",
                  "import importlib.util as u, json; "
                  "print(json.dumps({m: bool(u.find_spec(m)) for m in ('pytest', 'open3d', 'playwright')}))"], repo, timeout=60)
    assert json.loads(probe.stdout) == {"pytest": False, "open3d": False, "playwright": False}
    return {"repo": repo, "venv": venv, "explore": parts[2], "text": text}


_RUNNER = textwrap.dedent("""
    import json, sys, traceback
    blocks = json.load(open(sys.argv[1]))
    ns = {"__name__": "__main__"}
    for i, code in enumerate(blocks, 1):
        try:
            exec(compile(code, f"README python block {i}", "exec"), ns)
        except BaseException:
            print(f"README python block {i} failed:\\n{code}", file=sys.stderr)
            traceback.print_exc()
            sys.exit(1)
        print(f"block {i} ok", flush=True)
""")


def test_readme_python_examples_run_in_the_readme_environment(readme_env):
    repo, venv = readme_env["repo"], readme_env["venv"]
    blocks = python_blocks(readme_env["text"])
    assert len(blocks) >= 4, "the README's Python examples went missing"
    (repo / "_blocks.json").write_text(json.dumps(blocks))
    (repo / "_runner.py").write_text(_RUNNER)
    proc = _run([str(venv / "bin" / "python"), "_runner.py", "_blocks.json"], repo, timeout=900, env=_user_env(venv))
    assert proc.stdout.count(" ok") == len(blocks)
    # what the examples say they write is there and is what it claims
    ply = (repo / "me.ply").read_bytes()
    assert ply.startswith(b"ply\nformat binary_little_endian 1.0\n")
    html = (repo / "me.html").read_text(encoding="utf-8")
    assert "depthlab offline point-cloud viewer" in html and "<script src" not in html
    assert (repo / "pair.html").stat().st_size > 10_000


def test_readme_console_lines_run_in_the_readme_environment(readme_env):
    repo, venv = readme_env["repo"], readme_env["venv"]
    lines = console_lines(readme_env["text"])
    assert any(line.startswith("depthlab info") for line in lines), "the README's command lines went missing"
    env = _user_env(venv)
    for line in lines:
        argv = shlex.split(line, comments=True)
        assert argv[0] == "depthlab", line
        proc = _run([str(venv / "bin" / "depthlab"), *argv[1:]], repo, timeout=600, env=env)
        if argv[1:] == ["--version"]:
            assert proc.stdout.startswith("depthlab ")
        if "--json" in argv:
            assert json.loads(proc.stdout)["depth_size"] == [480, 640]
    photos = sorted(p.stem for p in (repo / "data" / "sample").iterdir() if p.suffix.lower() in (".heic", ".jpg", ".jpeg"))
    assert len(photos) >= 2
    assert sorted(p.stem for p in (repo / "clouds").glob("*.ply")) == photos  # one cloud per sample photo
    assert (repo / "compare.pdf").read_bytes().startswith(b"%PDF")
    assert (repo / "depth.png").read_bytes().startswith(b"\x89PNG")
    assert "depthlab offline point-cloud viewer" in (repo / "rear.html").read_text(encoding="utf-8")


def test_readme_explore_command_serves_the_notebooks_without_a_build_dialog(readme_env):
    """The explore command's JupyterLab, as written plus a port and token, serves the notebooks."""
    repo, venv = readme_env["repo"], readme_env["venv"]
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "readme-test"
    argv = shlex.split(readme_env["explore"])
    argv[0] = str(repo / argv[0])
    argv += ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", f"--IdentityProvider.token={token}"]
    env = _user_env(venv)
    env["JUPYTER_CONFIG_DIR"] = str(repo / "_jupyter_config")
    env["JUPYTER_RUNTIME_DIR"] = str(repo / "_jupyter_runtime")
    log = open(repo / "_lab.log", "wb")
    proc = subprocess.Popen(argv, cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (repo / "_lab.log").read_text(errors="replace")[-3000:]
            try:
                with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=5) as r:
                    listing = json.load(r)
                break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not answer within 120 s"
                time.sleep(1)
        names = {c["name"] for c in listing["content"]}
        assert {"01_first_look.ipynb", "02_projection_models.ipynb"} <= names, names
        with urllib.request.urlopen(f"{base}/lab?token={token}", timeout=30) as r:
            page = r.read().decode()
        config = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S).group(1))
        assert config["buildCheck"] is False and config["buildAvailable"] is False
        # the widget and three.js front-ends the notebooks need are installed, prebuilt
        exts = {e["name"] for e in config.get("federated_extensions", [])}
        assert {"jupyter-threejs", "@jupyter-widgets/jupyterlab-manager"} <= exts, exts
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        log.close()


def test_non_editable_install_exports_html_with_its_own_viewer(readme_env, tmp_path):
    """``pip install .`` (not editable): the package finds the viewer script it ships."""
    repo, venv = readme_env["repo"], readme_env["venv"]
    env = _user_env(venv)
    _run([str(venv / "bin" / "pip"), "install", "--no-deps", "--force-reinstall", "."], repo, timeout=600, env=env)
    try:
        code = textwrap.dedent(f"""
            import depthlab, pathlib
            assert "site-packages" in depthlab.__file__, depthlab.__file__
            cap = depthlab.open({str(repo / 'data/sample/rear_dual.heic')!r})
            out = depthlab.project(cap, stride=4).to_html("installed.html")
            print(out.stat().st_size)
        """)
        _run([str(venv / "bin" / "python"), "-c", code], tmp_path, timeout=300, env=env)
        html = (tmp_path / "installed.html").read_text(encoding="utf-8")
        assert "depthlab offline point-cloud viewer" in html
    finally:  # back to the README's editable install for anything after this test
        _run([str(venv / "bin" / "pip"), "install", "--no-deps", "-e", "."], repo, timeout=600, env=env)
