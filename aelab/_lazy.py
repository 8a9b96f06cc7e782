"""Lazy re-exports for package ``__init__`` modules: a name is imported from its module on first use, so
``import aelab`` (or a torch-free module such as ``aelab.models.config``) does not pay for torch, OpenCV or UMAP."""
from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, modules: dict[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """modules maps a module (relative to package, e.g. ".sources") to the public names it defines, separated by
    spaces. Returns ``(__getattr__, __dir__)`` for the package's namespace (PEP 562); its __all__ is
    ``sorted(dir())``."""
    exports = {name: module for module, names in modules.items() for name in names.split()}

    def __getattr__(name: str) -> object:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name], package), name)
        globals_of_package = importlib.import_module(package).__dict__
        globals_of_package[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
