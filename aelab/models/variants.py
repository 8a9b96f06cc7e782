"""The registry of variants. A variant is a name, a sentence, and default configs; never a class of its own.

Ten autoencoders come from three independent choices (architecture, bottleneck, objective) and three baselines are
the classic methods that the Lessons page shows are autoencoders too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aelab.models.config import ModelConfig, TrainConfig, replace
from aelab.errors import ConfigError


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    model: ModelConfig
    train: TrainConfig

    @property
    def is_variational(self) -> bool:
        return self.model.variational

    @property
    def is_baseline(self) -> bool:
        return self.model.is_baseline


# 256-128 rather than the 512-256 often seen: as good on 28x28 digits, twice as fast to train on a laptop CPU,
# and small enough to ship several pretrained models in a few MB.
MLP = ModelConfig(arch="mlp", hidden=(256, 128), latent_dim=16)
CONV = ModelConfig(arch="conv", hidden=(32, 64), latent_dim=16)
TRAIN = TrainConfig(epochs=20, batch_size=128, lr=1e-3, recon_loss="bce")

_ALL = [
    Variant("ae", "Plain MLP autoencoder: compress to a small code and reconstruct.", MLP, TRAIN),
    Variant("deep_ae", "Deeper MLP autoencoder (4 hidden layers each way).",
            replace(MLP, hidden=(256, 128, 64, 32)), TRAIN),
    Variant("conv_ae", "Convolutional autoencoder: strided convolutions down, transposed convolutions up.",
            CONV, TRAIN),
    Variant("denoising_ae", "Denoising AE: sees inputs with half the pixels dropped, learns to restore the clean image.",
            MLP, replace(TRAIN, noise="dropout", noise_level=0.5, epochs=30)),
    Variant("sparse_ae", "Sparse AE: an L1 penalty keeps most code units at zero for each input.",
            replace(MLP, latent_dim=64), replace(TRAIN, sparsity_weight=0.05)),
    Variant("contractive_ae", "Contractive AE: penalises how much the code moves when the input moves.",
            MLP, replace(TRAIN, contractive_weight=0.01)),
    Variant("linear_ae", "Linear AE: one linear map each way and squared error; it learns PCA's subspace.",
            ModelConfig(arch="linear", hidden=(), latent_dim=16, output_activation="identity"),
            replace(TRAIN, recon_loss="mse", epochs=60, lr=2e-3)),
    Variant("vae", "Variational AE: a Gaussian code with a standard-normal prior, so random codes decode to digits.",
            replace(MLP, variational=True), replace(TRAIN, beta=1.0, epochs=30)),
    Variant("beta_vae", "beta-VAE (beta=4): a stronger pull to the prior for smoother, more disentangled codes.",
            replace(MLP, variational=True, latent_dim=10), replace(TRAIN, beta=4.0, epochs=30)),
    Variant("conv_vae", "Convolutional VAE.", replace(CONV, variational=True), replace(TRAIN, beta=1.0, epochs=30)),
    Variant("pca", "PCA: the optimal linear autoencoder, fitted in closed form.",
            ModelConfig(arch="pca", hidden=(), latent_dim=16, output_activation="identity"),
            replace(TRAIN, recon_loss="mse", epochs=1)),
    Variant("kmeans", "k-means: the code is a one-hot cluster id, the decoder is the table of centroids.",
            ModelConfig(arch="kmeans", hidden=(), latent_dim=16, output_activation="identity"),
            replace(TRAIN, recon_loss="mse", epochs=1)),
    Variant("soft_kmeans", "Soft k-means: the code is a vector of responsibilities that sum to 1.",
            ModelConfig(arch="soft_kmeans", hidden=(), latent_dim=16, output_activation="identity", temperature=5.0),
            replace(TRAIN, recon_loss="mse", epochs=1)),
]
VARIANTS: dict[str, Variant] = {v.name: v for v in _ALL}


def get_variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ConfigError(f"Unknown variant {name!r}; valid: {', '.join(VARIANTS)}.") from None


def make_configs(name: str, image_size: tuple[int, int] = (28, 28), model: dict[str, Any] | None = None,
                 train: dict[str, Any] | None = None) -> tuple[ModelConfig, TrainConfig]:
    """The variant's defaults with the given fields changed; a misspelt field is an error naming the valid ones.

    A conv model on small images keeps only as many stride-2 layers as the image allows (8x8 -> 2 layers)."""
    variant = get_variant(name)
    model_changes = {"image_size": tuple(image_size), **(model or {})}
    if variant.model.arch == "conv" and "hidden" not in (model or {}):
        max_layers = max(1, (min(image_size) // 2).bit_length() - 1)
        model_changes["hidden"] = variant.model.hidden[:max_layers]
    return replace(variant.model, **model_changes), replace(variant.train, **(train or {}))
