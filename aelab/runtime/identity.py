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
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np

PUBLIC = "public"
DATA_ABSENT = "-"  # a result that depends on the weights alone (a decoded prior sample)
WEIGHTS_ABSENT = "-"  # a result that depends on the data alone (a PCA of the images, a k-means fit)
SOURCE_PREFIX = "source:"  # data identities of named (bundled or downloaded) sources; others are content digests
CONTENT_PREFIX = "sha256:"


def digest_arrays(named_arrays: Iterable[tuple[str, object]]) -> str:
    """SHA-256 (hex) of named arrays (numpy or torch, any dtype): each name, dtype, shape and the raw bytes, in
    order."""
    digest = hashlib.sha256()
    for name, array in named_arrays:
        values = np.ascontiguousarray(array.detach().cpu().numpy() if hasattr(array, "detach") else array)
        digest.update(f"{name}|{values.dtype.str}|{values.shape}|".encode())
        digest.update(values.reshape(-1).view(np.uint8) if values.size else b"")  # the bytes, not a copy of them
    return digest.hexdigest()


def source_identity(name: str, version: str) -> str:
    """The data identity of a named source: its name and the version of its content (and of the split made of it)."""
    return f"{SOURCE_PREFIX}{name}@{version}"


def content_identity(named_arrays: Iterable[tuple[str, object]]) -> str:
    """The data identity of data known only by its content (an upload): the SHA-256 of its arrays."""
    return CONTENT_PREFIX + digest_arrays(named_arrays)


def is_named_source(data_identity: str) -> bool:
    """Whether a data identity names a shipped or downloaded source (anyone's), not content someone brought."""
    return data_identity.startswith(SOURCE_PREFIX)


def combine_weights(digests: Iterable[str]) -> str:
    """One weights identity for a result computed from several models (a table comparing them), order included."""
    digests = list(digests)
    if not digests:
        return WEIGHTS_ABSENT
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


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
        # Each part quoted, so no two identities share a string (a "/" inside a part cannot fake a separator).
        return "/".join(quote(part, safe="@:+-_.") for part in (self.owner, self.data, self.weights))
