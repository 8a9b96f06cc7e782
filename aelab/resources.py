"""Where the shipped assets (pretrained models, shipped lesson results) are, installed or in a source checkout.

The repository keeps them in its top-level ``pretrained/`` folder (users and links rely on that layout); a wheel
built by ``pip install .`` maps that folder into the package as ``aelab/_pretrained`` (see pyproject.toml), read
here through ``importlib.resources``. A source checkout has no ``aelab/_pretrained``, so the folder beside the
package is used.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PACKAGED_FOLDER = "_pretrained"  # the wheel's name for the repository's pretrained/


def pretrained_root() -> Path:
    """The folder of shipped models. AELAB_PRETRAINED overrides it (a test or a mirror of the models)."""
    override = os.environ.get("AELAB_PRETRAINED")
    if override:
        return Path(override)
    packaged = resources.files("aelab") / PACKAGED_FOLDER
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(str(resources.files("aelab"))).parent / "pretrained"
