"""Reads a package's imports from its source (AST, nothing is imported): the import graph (module-level only, or
counting the imports inside functions and the names a package re-exports lazily), its cycles, and every import
anywhere in a file. Used by the layering and dependency tests."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ImportRef:
    module: str  # absolute dotted name, relative imports resolved ("aelab.models.config")
    names: tuple[str, ...]  # for `from module import a, b`: ("a", "b"); for `import module`: ()
    line: int
    module_level: bool  # runs when the file is imported (not inside a function, not under TYPE_CHECKING)
    type_only: bool = False  # under `if TYPE_CHECKING:`: never runs


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under root (the package's folder)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(path: Path, module: str) -> Iterator[ImportRef]:
    """Every import statement in the file, relative ones resolved against `module` (the file's dotted name)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    yield from _walk(tree.body, package, module_level=True)


def _walk(nodes: list[ast.AST], package: str, module_level: bool, type_only: bool = False) -> Iterator[ImportRef]:
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportRef(alias.name, (), node.lineno, module_level, type_only)
        elif isinstance(node, ast.ImportFrom):
            yield ImportRef(_absolute(node, package), tuple(a.name for a in node.names), node.lineno, module_level,
                            type_only)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.body, package, module_level=False, type_only=True)  # never runs
            yield from _walk(node.orelse, package, module_level, type_only)
        else:
            # A def's body runs when called, not on import; a class body, if, try, with... run on import.
            runs_later = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            yield from _walk(list(ast.iter_child_nodes(node)), package, module_level and not runs_later, type_only)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = parts[:len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def lazy_exports_of(root: Path, package: str) -> dict[str, dict[str, str]]:
    """package -> {name: the module defining it} for every package __init__ that re-exports names lazily
    (aelab._lazy.lazy_exports(__name__, {".module": "name name ..."})): `from package import name` runs that module
    on first use, so for the full graph it is an import of it."""
    found: dict[str, dict[str, str]] = {}
    for name, path in module_names(root, package).items():
        if path.name != "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            called = getattr(getattr(node, "func", None), "id", "")
            if isinstance(node, ast.Call) and called == "lazy_exports" and isinstance(node.args[1], ast.Dict):
                for module, names in zip(node.args[1].keys, node.args[1].values):
                    target = name + module.value if module.value.startswith(".") else module.value
                    found.setdefault(name, {}).update({n: target for n in names.value.split()})
    return found


def import_graph(root: Path, package: str, *, lazy: bool = False) -> dict[str, set[str]]:
    """module -> the package's modules it imports. `from pkg import name` counts as importing pkg.name when that is
    a module, else pkg; `import a.b.c` counts as its longest prefix that is a module.

    Module level only by default (what runs on import). lazy: also the imports inside functions (they run on the
    first call; those under TYPE_CHECKING never run) and the modules behind a package's lazily re-exported names,
    so an import circle that only lazy imports keep from failing at import time shows too."""
    modules = module_names(root, package)
    exports = lazy_exports_of(root, package) if lazy else {}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for ref in imports_of(path, name):
            if not (ref.module_level or (lazy and not ref.type_only)):
                continue
            targets = [f"{ref.module}.{n}" for n in ref.names if f"{ref.module}.{n}" in modules]
            targets += [exports[ref.module][n] for n in ref.names if n in exports.get(ref.module, {})]
            if len(targets) < len(ref.names) or not ref.names:
                targets.append(_longest_known_prefix(ref.module, modules))
            graph[name].update(t for t in targets if t and t != name)
    return graph


def _longest_known_prefix(dotted: str, modules: dict[str, Path]) -> str:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return ""


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One concrete cycle (a path a -> ... -> a) for every strongly connected component with more than one
    module (Tarjan's algorithm). Empty when the graph has no cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_through(component, graph) for component in components]


def _cycle_through(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest path from the component's first module back to itself, staying inside the component."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for nxt in sorted(graph[node] & members):
                if nxt == start:
                    return paths[node] + [start]
                if nxt not in paths:
                    paths[nxt] = paths[node] + [nxt]
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return component  # unreachable for a real component


def dynamic_imports(path: Path) -> Iterator[tuple[str, int]]:
    """Modules named by a string in importlib.import_module("x") or __import__("x") calls."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.args[0].value, node.lineno
