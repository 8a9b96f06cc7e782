"""The layers hold: aelab and ui have no import cycles, counting the imports inside functions and lazy re-exports;
aelab never imports the app (streamlit, plotly, ui); ui and pages import only downwards. Read from the source with
the AST, so a violation inside a function is caught too."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.import_graph import cycles, dynamic_imports, import_graph, imports_of, module_names

REPO = Path(__file__).resolve().parents[2]
APP_ONLY = ("streamlit", "plotly")
PROJECT_TOPS = ("aelab", "ui", "pages", "app", "tests", "bench", "scripts")  # the repository's own top-level names


def _top(module: str) -> str:
    return module.split(".")[0]


def app_imports_in(root: Path, package: str, forbidden: tuple[str, ...]) -> list[str]:
    """'module:line imports X' for every import (anywhere in the file, dynamic ones too) of a forbidden top-level."""
    found = []
    for name, path in module_names(root, package).items():
        refs = [(ref.module, ref.line) for ref in imports_of(path, name)] + list(dynamic_imports(path))
        found += [f"{name}:{line} imports {module}" for module, line in refs if _top(module) in forbidden]
    return found


def project_imports_outside(paths: list[Path], allowed: tuple[str, ...]) -> list[str]:
    """'file:line imports X' for imports of the repository's own code other than the allowed top-level names."""
    found = []
    for path in paths:
        for ref in imports_of(path, path.stem):
            if _top(ref.module) in PROJECT_TOPS and _top(ref.module) not in allowed:
                found.append(f"{path.relative_to(REPO)}:{ref.line} imports {ref.module}")
    return found


@pytest.mark.parametrize("package, at_least", [("aelab", 40), ("ui", 30)])
def test_no_import_cycles_even_counting_imports_inside_functions(package, at_least):
    """A circle that a function-level import keeps from failing at import time is still a circle: one module's job
    needs the other's and the other's needs the first's. Counted here: module-level imports, imports inside
    functions, and the modules behind a package's lazily re-exported names."""
    graph = import_graph(REPO / package, package, lazy=True)
    assert len(graph) > at_least, "the scan found too few modules: is the package where it was?"
    assert cycles(graph) == [], f"import cycles in {package} (each shown as a path back to its start)"


def test_aelab_never_imports_the_app():
    """aelab is the library: no Streamlit, no Plotly, no ui, not even inside a function."""
    assert app_imports_in(REPO / "aelab", "aelab", (*APP_ONLY, "ui", "pages", "app")) == []


def test_pages_import_only_ui_and_aelab():
    pages = sorted((REPO / "pages").glob("*.py"))
    assert pages, "no pages found"
    assert project_imports_outside(pages, allowed=("ui", "aelab")) == []


def test_ui_imports_only_ui_and_aelab():
    assert project_imports_outside(sorted((REPO / "ui").rglob("*.py")), allowed=("ui", "aelab")) == []


# --- the checker itself, on a small fake package ---

def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.fixture
def fake(tmp_path):
    return _write(tmp_path / "fake", {
        "__init__.py": "",
        "a.py": "from fake import b\n",
        "b.py": "import os\nfrom . import c\n",
        "c.py": "def later():\n    from fake import a\n",  # inside a function: not a module-level edge
        "typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from fake.a import x\n",
        "sub/__init__.py": "from .leaf import thing\n",
        "sub/leaf.py": "import fake.sub\nthing = 1\n",  # imports its own package: a cycle sub <-> sub.leaf
    })


def test_checker_builds_module_level_edges(fake):
    graph = import_graph(fake, "fake")
    assert graph["fake.a"] == {"fake.b"}
    assert graph["fake.b"] == {"fake.c"}  # relative import resolved; os is not ours
    assert graph["fake.c"] == set()  # the function-level import does not count
    assert graph["fake.typed"] == set()  # neither does one under TYPE_CHECKING
    assert graph["fake.sub"] == {"fake.sub.leaf"}


def test_checker_counts_imports_inside_functions_and_lazy_exports_when_asked(fake):
    graph = import_graph(fake, "fake", lazy=True)
    assert graph["fake.c"] == {"fake.a"}  # the function-level import counts now
    assert graph["fake.typed"] == set()  # an import under TYPE_CHECKING never runs
    assert ["fake.a", "fake.b", "fake.c", "fake.a"] in cycles(graph)
    _write(fake, {"lazy/__init__.py": "from fake._lazy import lazy_exports\n__getattr__, __dir__ = lazy_exports("
                                      "__name__, {'.impl': 'thing other'})\n",
                  "lazy/impl.py": "def later():\n    from fake.user import use\n",
                  "user.py": "from fake.lazy import thing\n"})
    graph = import_graph(fake, "fake", lazy=True)
    assert graph["fake.user"] == {"fake.lazy.impl"}  # the module behind the lazily exported name
    assert ["fake.lazy.impl", "fake.user", "fake.lazy.impl"] in cycles(graph)
    assert "fake.lazy.impl" not in import_graph(fake, "fake")["fake.user"]  # module level: the package only


def test_checker_reports_a_planted_cycle(fake):
    assert cycles(import_graph(fake, "fake")) == [["fake.sub", "fake.sub.leaf", "fake.sub"]]
    (fake / "c.py").write_text("from fake.a import something\n")  # now a -> b -> c -> a at module level
    found = cycles(import_graph(fake, "fake"))
    assert ["fake.a", "fake.b", "fake.c", "fake.a"] in found


def test_checker_finds_app_imports_anywhere(fake):
    assert app_imports_in(fake, "fake", APP_ONLY) == []
    _write(fake, {
        "plot.py": "def chart():\n    import plotly.graph_objects as go\n    return go\n",
        "dyn.py": "import importlib\nst = importlib.import_module('streamlit')\n",
    })
    assert sorted(app_imports_in(fake, "fake", APP_ONLY)) == [
        "fake.dyn:2 imports streamlit", "fake.plot:2 imports plotly.graph_objects"]
