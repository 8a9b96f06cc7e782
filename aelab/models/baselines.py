"""Classic methods behind the autoencoder interface (encode, decode, forward -> Output), saved and loaded like models.

- PCA: encode = projection on the top-d principal components, decode = back-projection. Baldi & Hornik (1989):
  the optimal linear autoencoder spans exactly this subspace.
- k-means: the code is the one-hot assignment q (1 x k), decode is q P with P the (k x pixels) centroids, so the data
  matrix is approximated by X ~ Q P. Soft k-means replaces the one-hot by responsibilities that sum to 1.
Fitted state lives in buffers so safetensors can save it. Each satisfies aelab.models.protocol.Model (labels y are
accepted and ignored: no baseline is conditional).
"""
from __future__ import annotations

import torch
from torch import nn

from aelab.models.config import ModelConfig
from aelab.models.output import Output


class _Baseline(nn.Module):
    conditional = False

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1)

    def _image(self, flat: torch.Tensor) -> torch.Tensor:
        """(N, P) -> the input's shape: (N, 1, H, W) images, or (N, D) points for a vector config."""
        return flat.view(flat.shape[0], *self.config.input_shape)

    def encode_distribution(self, x: torch.Tensor, y=None) -> tuple[torch.Tensor, None]:
        return self.encode(x), None

    def forward(self, x: torch.Tensor, sample: bool | None = None, generator: torch.Generator | None = None,
                y=None) -> Output:
        z = self.encode(x)
        return Output(self.decode(z), z, None, None, None)


class PCA(_Baseline):
    def __init__(self, config: ModelConfig):
        super().__init__(config)
        self.register_buffer("mean", torch.zeros(config.n_inputs))
        self.register_buffer("components", torch.zeros(config.latent_dim, config.n_inputs))  # rows orthonormal
        self.register_buffer("explained_variance", torch.zeros(config.latent_dim))

    def fit(self, x: torch.Tensor, seed: int = 0) -> PCA:
        """x: (N, 1, H, W). Closed form: the top right-singular vectors of the centred data."""
        flat = self._flat(x).double()
        mean = flat.mean(0)
        _, s, vh = torch.linalg.svd(flat - mean, full_matrices=False)
        d = self.config.latent_dim
        if vh.shape[0] < d:
            raise ValueError(f"PCA with {d} components needs at least {d} images, got {flat.shape[0]}.")
        self.mean.copy_(mean.float())
        self.components.copy_(vh[:d].float())
        self.explained_variance.copy_((s[:d] ** 2 / max(flat.shape[0] - 1, 1)).float())
        return self

    def encode(self, x: torch.Tensor, y=None) -> torch.Tensor:
        return (self._flat(x) - self.mean) @ self.components.T

    def decode(self, z: torch.Tensor, y=None) -> torch.Tensor:
        return self._image(z @ self.components + self.mean)


def _squared_distances(flat: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """(N, P), (k, P) -> (N, k) squared Euclidean distances, clamped at 0 against rounding."""
    return ((flat * flat).sum(1, keepdim=True) - 2 * flat @ centroids.T + (centroids * centroids).sum(1)).clamp_min(0)


def kmeans_plus_plus(flat: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """Arthur & Vassilvitskii (2007) seeding: each new centroid drawn with probability proportional to D(x)^2."""
    first = torch.randint(flat.shape[0], (1,), generator=generator)
    centroids = flat[first]
    closest = _squared_distances(flat, centroids).squeeze(1)
    for _ in range(1, k):
        weights = closest if closest.sum() > 0 else torch.ones_like(closest)
        idx = torch.multinomial(weights, 1, generator=generator)
        centroids = torch.cat([centroids, flat[idx]])
        closest = torch.minimum(closest, _squared_distances(flat, flat[idx]).squeeze(1))
    return centroids


class KMeans(_Baseline):
    max_iter = 100

    def __init__(self, config: ModelConfig):
        super().__init__(config)
        self.register_buffer("centroids", torch.zeros(config.latent_dim, config.n_inputs))

    def responsibilities(self, flat: torch.Tensor) -> torch.Tensor:
        """(N, P) -> (N, k) one-hot of the nearest centroid."""
        nearest = _squared_distances(flat, self.centroids).argmin(1)
        return nn.functional.one_hot(nearest, self.config.latent_dim).to(flat.dtype)

    def fit(self, x: torch.Tensor, seed: int = 0) -> KMeans:
        """Lloyd's algorithm from k-means++ seeds; a centroid that loses all its points keeps its place."""
        flat = self._flat(x).float()
        if flat.shape[0] < self.config.latent_dim:
            raise ValueError(f"k-means with k={self.config.latent_dim} needs at least that many images.")
        generator = torch.Generator().manual_seed(seed)
        self.centroids.copy_(kmeans_plus_plus(flat, self.config.latent_dim, generator))
        for _ in range(self.max_iter):
            q = self.responsibilities(flat)
            counts = q.sum(0, keepdim=True).T
            updated = torch.where(counts > 0, (q.T @ flat) / counts.clamp_min(1e-12), self.centroids)
            shift = (updated - self.centroids).abs().max()
            self.centroids.copy_(updated)
            if shift < 1e-6:
                break
        return self

    def encode(self, x: torch.Tensor, y=None) -> torch.Tensor:
        return self.responsibilities(self._flat(x))

    def decode(self, z: torch.Tensor, y=None) -> torch.Tensor:
        return self._image(z @ self.centroids)


class SoftKMeans(KMeans):
    """Responsibilities r_ik = softmax_k(-||x_i - c_k||^2 / temperature); as temperature -> 0 this is k-means."""

    def responsibilities(self, flat: torch.Tensor) -> torch.Tensor:
        return torch.softmax(-_squared_distances(flat, self.centroids) / self.config.temperature, dim=1)


BASELINE_CLASSES = {"pca": PCA, "kmeans": KMeans, "soft_kmeans": SoftKMeans}
