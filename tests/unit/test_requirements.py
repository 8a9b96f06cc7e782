"""pyproject.toml is the one source of truth for dependencies and packaging: requirements.txt (what ./run.sh installs)
follows it, every third-party import is declared in the right group, nothing declared goes unused, and the wheel's
package list matches the subpackages on disk."""
from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

from scripts.sync_requirements import read_pyproject, render
from tests.import_graph import imports_of

REPO = Path(__file__).resolve().parents[2]
PROJECT_TOPS = {"aelab", "ui", "pages", "app", "tests", "bench", "scripts"}
# Declared but never imported, each for a reason (anything else unused is an error: drop it from pyproject.toml).
USED_WITHOUT_IMPORT = {
    "pytest-timeout": "pytest plugin (timeout in pytest.ini)",
    "pytest-playwright": "pytest plugin (the page fixture of tests/e2e)",
    "pytest-rerunfailures": "pytest plugin (one retry for a timed-out browser test)",
    "pytest-xdist": "pytest plugin (run.sh test runs two test processes, -n 2 --dist loadfile)",
    "ruff": "command run by .ci/run",
    "setuptools": "build backend for the wheel test (--no-build-isolation)",
    "scikit-image": "reference SSIM/PSNR for the metric tests",
    "onnx": "needed by torch.onnx.export (aelab.export), which imports it itself",
}


@pytest.fixture(scope="module")
def pyproject():
    return read_pyproject(REPO)


def _dist(requirement: str) -> str:
    return _normal(re.match(r"[A-Za-z0-9_.-]+", requirement).group(0))


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _third_party_imports(paths: list[Path]) -> dict[str, str]:
    """top-level module -> 'file:line' of one import of it, for imports that are neither stdlib nor ours."""
    found = {}
    for path in paths:
        for ref in imports_of(path, path.stem):
            top = ref.module.split(".")[0]
            if top and top not in sys.stdlib_module_names and top not in PROJECT_TOPS and top != "__future__":
                found.setdefault(top, f"{path.relative_to(REPO)}:{ref.line}")
    return found


def _py_files(*roots: str) -> list[Path]:
    return sorted(p for root in roots for p in ([REPO / root] if root.endswith(".py") else (REPO / root).rglob("*.py")))


def test_requirements_txt_is_generated_from_pyproject(pyproject):
    assert (REPO / "requirements.txt").read_text() == render(pyproject), (
        "requirements.txt is out of date: run .venv/bin/python -m scripts.sync_requirements")


def test_every_pin_is_exact_and_torch_stays_2_13(pyproject):
    project = pyproject["project"]
    everything = project["dependencies"] + [r for group in project["optional-dependencies"].values() for r in group]
    assert [r for r in everything if not re.fullmatch(r"[A-Za-z0-9_.-]+(\[[a-z,]+\])?==[0-9][0-9A-Za-z.+]*", r)] == []
    assert "torch==2.13.0" in project["dependencies"]


@pytest.mark.parametrize("roots, groups", [
    (("aelab",), ("cluster",)),  # the library: its runtime dependencies, Ray imported lazily (the test below)
    (("ui", "pages", "app.py"), ("app",)),
    (("tests", "bench", "scripts"), ("app", "cluster", "test")),
])
def test_every_third_party_import_is_declared(pyproject, roots, groups):
    project = pyproject["project"]
    declared = {_dist(r) for r in project["dependencies"]}
    declared |= {_dist(r) for g in groups for r in project["optional-dependencies"][g]}
    module_to_dists = importlib.metadata.packages_distributions()
    missing = []
    for module, where in _third_party_imports(_py_files(*roots)).items():
        dists = {_normal(d) for d in module_to_dists.get(module, [])}
        if not dists & declared:
            missing.append(f"{module} ({where}; distribution {sorted(dists) or 'not installed'})")
    assert missing == [], f"imported but not declared for {roots} in pyproject.toml"


def test_aelab_imports_an_optional_extra_only_inside_functions(pyproject):
    """aelab imports without the cluster extra: Ray is imported where it is used, never when a module loads."""
    optional = {_dist(r) for r in pyproject["project"]["optional-dependencies"]["cluster"]}
    module_to_dists = importlib.metadata.packages_distributions()
    eager = []
    for path in _py_files("aelab"):
        for ref in imports_of(path, path.stem):
            dists = {_normal(d) for d in module_to_dists.get(ref.module.split(".")[0], [])}
            if ref.module_level and dists & optional:
                eager.append(f"{path.relative_to(REPO)}:{ref.line} imports {ref.module}")
    assert eager == []


def test_nothing_declared_goes_unused(pyproject):
    project = pyproject["project"]
    everything = project["dependencies"] + [r for group in project["optional-dependencies"].values() for r in group]
    module_to_dists = importlib.metadata.packages_distributions()
    imported = _third_party_imports(_py_files("aelab", "ui", "pages", "app.py", "tests", "bench", "scripts"))
    used = {_normal(d) for module in imported for d in module_to_dists.get(module, [])}
    unused = [r for r in everything if _dist(r) not in used and _dist(r) not in USED_WITHOUT_IMPORT]
    assert unused == [], "declared in pyproject.toml but imported nowhere: remove them or say why they are needed"


def test_the_wheel_lists_every_subpackage(pyproject):
    setuptools_config = pyproject["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "aelab").rglob("__init__.py")}
    assert set(setuptools_config["packages"]) == on_disk | {"aelab._pretrained", "aelab._live_decoder"}
    assert setuptools_config["package-dir"] == {"aelab._pretrained": "pretrained",
                                                "aelab._live_decoder": "ui/components/live_decoder/frontend"}
    assert (REPO / "pretrained" / "vae" / "model.safetensors").is_file()
    assert (REPO / "ui/components/live_decoder/frontend/vendor/manifest.json").is_file()


def test_sync_script_check_mode(tmp_path, monkeypatch):
    """--check fails on a stale file and passes on a fresh one (the script is what the test above asks you to run)."""
    from scripts import sync_requirements

    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())
    (tmp_path / "requirements.txt").write_text("torch\n")
    monkeypatch.setattr(sync_requirements, "REPO", tmp_path)
    assert sync_requirements.main(["--check"]) == 1
    assert sync_requirements.main([]) == 0
    assert sync_requirements.main(["--check"]) == 0
    assert "torch==2.13.0\n" in (tmp_path / "requirements.txt").read_text()
