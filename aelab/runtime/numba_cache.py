"""numba's compiled code kept on disk, so a UMAP compiles its cached kernels once per machine, not once per process.

umap-learn and pynndescent compile numba functions on first use; those marked cache=True (most of pynndescent's,
which umap's import and its neighbour search run) are written to NUMBA_CACHE_DIR when it is set and writable, and
a later process loads them instead of compiling. numba reads the variable when it is first imported, so this runs
before that: in a worker process as it starts, and before every UMAP import in aelab (aelab.analysis.latent,
aelab.runtime.warmup). The folder is a hidden one in the model library (AELAB_HOME), which every aelab process may
write; a NUMBA_CACHE_DIR set by the user is kept.
"""
from __future__ import annotations

import os
import sys

FOLDER = ".numba-cache"  # hidden: list_models and the staging recovery skip it (it matches no staging name)


def use_numba_disk_cache() -> str | None:
    """Set NUMBA_CACHE_DIR (unless set) to the library's cache folder, created if need be; the folder in use, or None
    when numba was imported before (too late to change) or the folder cannot be made."""
    if "NUMBA_CACHE_DIR" in os.environ:
        return os.environ["NUMBA_CACHE_DIR"]
    if "numba" in sys.modules:
        return None
    from aelab.library.store import library_root

    folder = library_root() / FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only library: numba compiles in memory, as it did before
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    return str(folder)
