"""The wheel works on its own: built from the repository, installed into a bare folder and used from another directory
with this environment's dependencies, it imports the public API, finds the shipped models inside the package, gives
the `aelab` command with its exit codes, and writes lesson files (the browser files they embed are its package data).
Nothing is fetched: the build uses this venv's setuptools."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# all the build reads (the live decoder's browser files are mapped into the package as aelab/_live_decoder)
WHEEL_SOURCES = ("pyproject.toml", "README.md", "aelab", "pretrained", "ui/components/live_decoder/frontend")

CHECK_API = r"""
import json, sys
from pathlib import Path
import aelab
from aelab.resources import pretrained_root
target, repo = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
assert Path(aelab.__file__).resolve().is_relative_to(target), aelab.__file__
assert not any(Path(p or ".").resolve() == repo for p in sys.path), "the checkout is importable"
missing = [name for name in aelab.__all__ if getattr(aelab, name, None) is None]
root = pretrained_root()
print(json.dumps({"missing": missing, "names": len(aelab.__all__), "version": aelab.__version__,
                  "pretrained_root": str(root),
                  "files": sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())}))
"""


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel from a copy of the sources (no build/ or egg-info left in the checkout), install it with
    --target, and return the paths and the environment to use it: PYTHONPATH is the target alone, so aelab comes
    from the wheel and its dependencies from this venv's site-packages."""
    base = tmp_path_factory.mktemp("wheel")
    source, dist, target, elsewhere = base / "src", base / "dist", base / "target", base / "elsewhere"
    for name in WHEEL_SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    elsewhere.mkdir()
    pip_env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    pip = [sys.executable, "-m", "pip"]
    built = _run([*pip, "wheel", str(source), "--no-deps", "--no-build-isolation", "-w", str(dist)], base, pip_env)
    assert built.returncode == 0, built.stdout + built.stderr
    wheels = list(dist.glob("aelab-*.whl"))
    assert len(wheels) == 1, wheels
    done = _run([*pip, "install", "--no-deps", "--target", str(target), str(wheels[0])], base, pip_env)
    assert done.returncode == 0, done.stdout + done.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("AELAB_") and k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(target), AELAB_HOME=str(base / "library"), AELAB_DATA_DIR=str(base / "data"),
               OMP_NUM_THREADS="1")
    return {"target": target, "elsewhere": elsewhere, "env": env}


@pytest.mark.slow
def test_the_installed_wheel_gives_the_public_api_and_the_shipped_models(installed):
    ran = _run([sys.executable, "-c", CHECK_API, str(installed["target"]), str(REPO)], installed["elsewhere"],
               installed["env"])
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)
    assert report["missing"] == [] and report["names"] >= 20
    assert Path(report["pretrained_root"]) == installed["target"] / "aelab" / "_pretrained"
    shipped = sorted(str(p.relative_to(REPO / "pretrained")) for p in (REPO / "pretrained").rglob("*") if p.is_file())
    assert report["files"] == shipped  # every shipped file, lessons' subfolders included, and nothing else


@pytest.mark.slow
def test_the_aelab_command_lists_the_shipped_models_and_returns_exit_codes(installed):
    command = installed["target"] / "bin" / "aelab"
    listed = _run([str(command), "models", "--json"], installed["elsewhere"], installed["env"])
    assert listed.returncode == 0, listed.stderr
    models = {m["name"]: m for m in json.loads(listed.stdout)}
    assert {"vae", "conv_ae", "ae", "digits-vae"} <= set(models)
    assert models["vae"]["error"] is None and models["vae"]["test_mse"] < 0.05
    assert Path(models["conv_ae"]["path"]).is_relative_to(installed["target"] / "aelab" / "_pretrained")
    refused = _run([str(command), "evaluate", str(installed["elsewhere"] / "no-such-model")], installed["elsewhere"],
                   installed["env"])
    assert refused.returncode == 2 and refused.stderr.startswith("error: "), refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_installed_aelab_writes_the_same_lesson_file_as_the_checkout(installed, tmp_path):
    """The wheel carries the viewer, modes.js and onnxruntime-web (checked against its vendoring manifest), and
    nothing of the checkout: its lesson file is the checkout's, byte for byte."""
    args = ["lesson", "conv_ae", "--page", "traverse", "--view", "start=test:3"]
    wheel_file, checkout_file = tmp_path / "wheel.html", tmp_path / "checkout.html"
    wrote = _run([str(installed["target"] / "bin" / "aelab"), *args, "--out", str(wheel_file)], installed["elsewhere"],
                 installed["env"])
    assert wrote.returncode == 0, wrote.stderr
    checkout_env = {**installed["env"], "PYTHONPATH": str(REPO)}
    ran = _run([sys.executable, "-m", "aelab", *args, "--out", str(checkout_file)], REPO, checkout_env)
    assert ran.returncode == 0, ran.stderr
    packaged = installed["target"] / "aelab" / "_live_decoder"
    assert sorted(p.name for p in packaged.rglob("*") if p.is_file()) == [
        "LICENSE", "live.css", "manifest.json", "modes.js", "ort-wasm-simd-threaded.mjs",
        "ort-wasm-simd-threaded.wasm.gz", "ort.wasm.min.mjs"]
    assert wheel_file.read_bytes() == checkout_file.read_bytes()
