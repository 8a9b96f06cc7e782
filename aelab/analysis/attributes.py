"""Attribute vectors: the difference of two groups' mean codes (ones minus sevens, thick minus thin) as a direction
in the latent space, and an image's code moved along it (z + alpha v): arithmetic in the latent space, as in the
course material (and White, "Sampling generative networks", 2016). Numpy only: the page decodes the codes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ALPHA_RANGE = (-2.0, 3.0)  # how far along the vector the slider goes (0: the image itself, 1: one whole vector)


@dataclass(frozen=True)
class AttributeVector:
    """mean code of group B minus that of group A; n_a, n_b the groups' sizes; separation how far apart the groups
    are along it, in pooled standard deviations of their projections (about 1: overlapping, 3+: well apart)."""

    direction: np.ndarray
    n_a: int
    n_b: int
    separation: float


def attribute_vector(z: np.ndarray, members_a, members_b) -> AttributeVector:
    """The attribute vector from the codes z (n, d) of two groups given as index arrays or boolean masks.
    Raises ValueError when a group is empty or the two are the same images."""
    z = np.asarray(z, dtype=np.float64)
    a, b = z[np.asarray(members_a)], z[np.asarray(members_b)]
    if len(a) == 0 or len(b) == 0:
        raise ValueError("each group needs at least one image")
    direction = b.mean(axis=0) - a.mean(axis=0)
    norm = float(np.linalg.norm(direction))
    if norm == 0.0:
        raise ValueError("the two groups have the same mean code (the same images?): there is no direction")
    unit = direction / norm
    along_a, along_b = a @ unit, b @ unit
    pooled = np.sqrt((along_a.var() * len(a) + along_b.var() * len(b)) / (len(a) + len(b)))
    separation = float(norm / pooled) if pooled > 0 else float("inf")
    return AttributeVector(direction.astype(np.float32), len(a), len(b), separation)


def along(code: np.ndarray, vector: AttributeVector, alphas) -> np.ndarray:
    """Codes (len(alphas), d): code + alpha * the vector, for each alpha."""
    alphas = np.asarray(alphas, dtype=np.float32).reshape(-1, 1)
    return (np.asarray(code, dtype=np.float32).reshape(1, -1) + alphas * vector.direction[None]).astype(np.float32)
