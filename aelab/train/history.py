"""The one shape of a training history: a list with one dict per epoch, the same keys whoever trained the model.

    {"epoch": 3,                 # 1-based; a closed-form fit (PCA, k-means) is one epoch
     "step": 96,                 # optimiser steps done so far (0 for a closed-form fit; None in files from before it
                                 #   was recorded, whose dataset size is not known when they are read)
     "train": {"recon": 41.2, "total": 41.2},   # each loss term's mean over the epoch's training images
     "val": {"recon": 39.8, "total": 39.8},     # the same terms on the validation images; None without them
     "seconds": 1.7}             # training time since the start of the run

Loss terms stay nested under "train" and "val" (not flattened to train_recon...) so a chart lists a model's terms
from history[0]["train"] whatever the variant. Files written before this schema used "elapsed_s" for "seconds" and
had no "step" (and a closed-form fit no "val" without validation data): upgrade() reads them. Torch-free, so the
model store can use it without importing the training code.
"""
from __future__ import annotations

from typing import Any

KEYS = ("epoch", "step", "train", "val", "seconds")


def epoch_record(epoch: int, step: int | None, train: dict[str, float], val: dict[str, float] | None,
                 seconds: float | None) -> dict[str, Any]:
    """One entry of a history, with its keys in KEYS order."""
    return {"epoch": int(epoch), "step": step, "train": dict(train), "val": dict(val) if val is not None else None,
            "seconds": seconds}


def upgrade(history: Any) -> list[dict[str, Any]]:
    """history as the current schema: entries already in it are kept as they are, older ones are converted;
    anything that is not a list of per-epoch dicts with an epoch and train losses is dropped (an empty history
    draws no chart, a malformed one would break it)."""
    if not isinstance(history, list):
        return []
    records = []
    for entry in history:
        if not isinstance(entry, dict) or not isinstance(entry.get("train"), dict) or "epoch" not in entry:
            continue
        val = entry.get("val")
        records.append(epoch_record(entry["epoch"], entry.get("step"), entry["train"],
                                    val if isinstance(val, dict) else None,
                                    entry.get("seconds", entry.get("elapsed_s"))))
    return records
