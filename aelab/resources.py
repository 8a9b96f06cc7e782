"""Where the shipped assets (pretrained models, shipped lesson results, the browser files a lesson file embeds) are,
installed or in a source checkout.

The repository keeps the models in its top-level ``pretrained/`` folder (users and links rely on that layout), and
the live decoder's browser files (its views, modes.js, its stylesheet, and the vendored onnxruntime-web) in
``ui/components/live_decoder/frontend/``, where Streamlit serves them to the app. A wheel built by ``pip install .``
maps those folders into the package as ``aelab/_pretrained`` and ``aelab/_live_decoder`` (see pyproject.toml), read
here through ``importlib.resources``: one copy of each file, whether the app serves it or a lesson file embeds it. A
source checkout has neither folder inside the package, so the ones beside it are used.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PACKAGED_FOLDER = "_pretrained"  # the wheel's name for the repository's pretrained/
PACKAGED_LIVE = "_live_decoder"  # the wheel's name for the live decoder's frontend/ folder
CHECKOUT_LIVE = ("ui", "components", "live_decoder", "frontend")


def pretrained_root() -> Path:
    """The folder of shipped models. AELAB_PRETRAINED overrides it (a test or a mirror of the models)."""
    override = os.environ.get("AELAB_PRETRAINED")
    if override:
        return Path(override)
    packaged = resources.files("aelab") / PACKAGED_FOLDER
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(str(resources.files("aelab"))).parent / "pretrained"


def live_decoder_root() -> Path:
    """The folder holding the live decoder's modes.js, live.css and vendor/ (onnxruntime-web)."""
    packaged = resources.files("aelab") / PACKAGED_LIVE
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(str(resources.files("aelab"))).parent.joinpath(*CHECKOUT_LIVE)
