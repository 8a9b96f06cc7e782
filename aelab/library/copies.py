"""Publishing a copy of a model under a new name: the teacher shares a student's model with the class from the wall.

The copy is made from the model in memory (the weights the wall shows, whatever the student's library holds since),
written to a hidden staging folder beside the published models and renamed into place under the first free name
STEM-1, STEM-2, ... A rename onto a model folder that appeared meanwhile (another publish, `aelab publish`, another
server process) fails instead of replacing it, and the next number is tried: no publish ever overwrites a model.
"""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

from torch import nn

from aelab.errors import ModelStoreError
from aelab.library.staging import recover, staging_folder
from aelab.library.store import published_root, save_model, validate_name
from aelab.models.config import TrainConfig

MAX_NUMBER = 9999


def publish_copy(model: nn.Module, stem: str, *, variant: str, train_config: TrainConfig, dataset: str,
                 metrics: dict[str, Any] | None = None, history: list[dict] | None = None,
                 root: str | Path | None = None) -> Path:
    """Save model among the published ones (published_root(root)) as STEM-N, the first N free; returns its path."""
    validate_name(f"{stem}-{MAX_NUMBER}")
    shared = published_root(root)
    shared.mkdir(parents=True, exist_ok=True)
    recover(shared)
    staging = staging_folder(shared, stem, "new")  # recover() clears it should this process die before the rename
    try:
        written = save_model(model, "copy", variant=variant, train_config=train_config, dataset=dataset,
                             metrics=metrics, history=history, root=staging)
        for number in range(1, MAX_NUMBER + 1):
            target = shared / f"{stem}-{number}"
            if target.exists():
                continue
            try:
                os.rename(written, target)  # (onto an existing model folder: ENOTEMPTY or EEXIST, never a swap)
                return target
            except OSError as err:
                if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
        raise ModelStoreError(f"Every name from {stem}-1 to {stem}-{MAX_NUMBER} is published already.")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
