"""The one cache identity: "this data" and "these weights", named by their content, and whose they are.

A cached result (codes, projections, score tables, an exported ONNX file in the browser) is keyed by
``CacheIdentity(data, weights, owner)``:
- ``weights``: a SHA-256 of the model's tensors (names, dtypes, shapes and bytes), so a model replaced under the same
  name never serves stale results, and two sessions holding the same weights share the work;
- ``data``: a source's name and version for bundled and downloaded sources, or a SHA-256 of an upload's arrays, so two
  uploads that share a file name never share results;
- ``owner``: PUBLIC for anything every session may see, else the owning session or library namespace, so a private
  upload's or model's results are stored (and freed) with their owner.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable

import numpy as np

PUBLIC = "public"
DATA_ABSENT = "-"  # a result that depends on the weights alone (a decoded prior sample)


def digest_arrays(named_arrays: Iterable[tuple[str, object]]) -> str:
    """SHA-256 (hex) of named arrays (numpy or torch, any dtype): each name, dtype, shape and the raw bytes, in order."""
    digest = hashlib.sha256()
    for name, array in named_arrays:
        values = np.ascontiguousarray(array.detach().cpu().numpy() if hasattr(array, "detach") else array)
        digest.update(f"{name}|{values.dtype.str}|{values.shape}|".encode())
        digest.update(values.tobytes())
    return digest.hexdigest()


def weights_digest(model) -> str:
    """SHA-256 of a model's state dict (parameters and buffers), independent of how it was saved: the same weights
    give the same digest whether loaded from fp16 or fp32 files (both load as float32), trained here or elsewhere."""
    return digest_arrays(sorted(model.state_dict().items()))


@dataclass(frozen=True)
class CacheIdentity:
    """What a cached result was computed from. str(identity) is a stable key."""

    data: str
    weights: str
    owner: str = PUBLIC

    def __str__(self) -> str:
        return f"{self.owner}/{self.data}/{self.weights}"
