"""The registry of variants. A variant is a name, a sentence, and default configs; never a class of its own.

Ten autoencoders come from three independent choices (architecture, bottleneck, objective) and three baselines are
the classic methods that the Lessons page shows are autoencoders too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aelab.data.corruption_kinds import check_factor
from aelab.errors import ConfigError
from aelab.models.config import ModelConfig, TrainConfig, replace


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
    Variant("denoising_ae",
            "Denoising AE: sees inputs with half the pixels dropped, learns to restore the clean image.",
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
    # Hidden (128,) for both: the shipped models stay a few hundred KB (float16).
    # 16 slots of 4 numbers, each one of 64 codes: 16 x 6 = 96 bits per image. EMA codebook updates at lr 2e-3:
    # test MSE 0.019 after 30 epochs against 0.038 with the codebook loss at lr 1e-3 (measured on mnist-5k).
    Variant("vq_vae", "VQ-VAE: each image becomes 16 indices into a codebook of 64 learned vectors (a discrete "
            "code of 96 bits), trained with the straight-through gradient.",
            replace(MLP, hidden=(128,), latent_dim=64, codebook_size=64, code_dim=4, ema_decay=0.99),
            replace(TRAIN, lr=2e-3, epochs=30)),
    # A code of 4 numbers: the label must carry the digit. 100 prior samples per label were classified as that label
    # 96-97% of the time (logistic regression on the pixels), against 80% with a code of 8 (measured on mnist-5k).
    Variant("cvae", "Conditional VAE: the digit's label is given to encoder and decoder, so the code keeps only "
            "the style; decode one code with every label.",
            replace(MLP, hidden=(128,), latent_dim=4, variational=True, n_classes=10),
            replace(TRAIN, beta=1.0, epochs=30)),
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

# The Playground's variants: points (B, D) rather than images, so a registry of their own (the image pages list
# VARIANTS). Standardised inputs, identity output, squared error; small nets that converge in a few seconds.
_POINTS = ModelConfig(arch="mlp", hidden=(64, 64), latent_dim=1, output_activation="identity", input_kind="vector",
                      input_dim=2)
_TOY_TRAIN = TrainConfig(epochs=120, batch_size=100, lr=5e-3, recon_loss="mse", device="cpu")
_ALL_TOY = [
    Variant("linear_ae", "Linear AE: one linear map each way; with squared error it finds PCA's line.",
            replace(_POINTS, arch="linear", hidden=()), replace(_TOY_TRAIN, lr=1e-2, epochs=60)),
    Variant("pca", "PCA: the best straight line through the data, in closed form.",
            replace(_POINTS, arch="pca", hidden=()), replace(_TOY_TRAIN, epochs=1)),
    Variant("mlp_ae", "MLP AE with a 1-D code: a nonlinear encoder and decoder that can follow a curve.",
            _POINTS, _TOY_TRAIN),
    Variant("denoising_ae", "Denoising AE: sees each point moved by Gaussian noise (sigma 0.3) and learns to put it "
            "back, so it pulls points onto the data's curve.",
            replace(_POINTS, hidden=(128, 128), latent_dim=2), replace(_TOY_TRAIN, noise="gaussian", noise_level=0.3)),
    # Rifai et al. (2011): h = sigmoid(W x + b), x_hat = W^T h + c. Tied weights matter: an untied decoder can grow
    # to undo a code the penalty shrank, and the penalty then buys nothing (measured: no contraction off the curve).
    Variant("contractive_ae", "Contractive AE (Rifai et al.): 16 sigmoid units, tied weights, and a penalty on "
            "||df/dx||^2, so the code ignores moves off the curve.",
            replace(_POINTS, arch="linear", hidden=(), latent_dim=16, tied_weights=True, code_activation="sigmoid"),
            replace(_TOY_TRAIN, contractive_weight=1.0, lr=1e-2, epochs=60, batch_size=64)),
    Variant("vae_1d", "VAE with a 1-D code: each point becomes a Gaussian on a line; random codes decode to the curve.",
            replace(_POINTS, variational=True), replace(_TOY_TRAIN, beta=0.02)),
    Variant("vae_2d", "VAE with a 2-D code: posteriors are ellipses in a plane; prior samples decode onto the data.",
            replace(_POINTS, variational=True, latent_dim=2), replace(_TOY_TRAIN, beta=0.02)),
]
TOY_VARIANTS: dict[str, Variant] = {v.name: v for v in _ALL_TOY}


def get_variant(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ConfigError(f"Unknown variant {name!r}; valid: {', '.join(VARIANTS)}.") from None


def get_toy_variant(name: str) -> Variant:
    try:
        return TOY_VARIANTS[name]
    except KeyError:
        raise ConfigError(f"Unknown toy variant {name!r}; valid: {', '.join(TOY_VARIANTS)}.") from None


def make_toy_configs(name: str, input_dim: int, model: dict[str, Any] | None = None,
                     train: dict[str, Any] | None = None) -> tuple[ModelConfig, TrainConfig]:
    """A toy variant's configs for points of dimension input_dim, with the given fields changed (typos refused)."""
    variant = get_toy_variant(name)
    model_config = replace(variant.model, **{"input_dim": int(input_dim), **(model or {})})
    train_config = replace(variant.train, **(train or {}))
    if train_config.recon_loss != "mse":
        raise ConfigError("Points are reconstructed with squared error: recon_loss must be 'mse'.")
    if train_config.noise not in ("none", "gaussian"):
        raise ConfigError(f"Points can only take Gaussian noise, got noise {train_config.noise!r}; "
                          "valid: none, gaussian.")
    return model_config, train_config


def make_configs(name: str, image_size: tuple[int, int] = (28, 28), model: dict[str, Any] | None = None,
                 train: dict[str, Any] | None = None) -> tuple[ModelConfig, TrainConfig]:
    """The variant's defaults with the given fields changed; a misspelt field is an error naming the valid ones.

    A conv model on small images keeps only as many stride-2 layers as the image allows (8x8 -> 2 layers)."""
    variant = get_variant(name)
    model_changes = {"image_size": tuple(image_size), **(model or {})}
    if variant.model.arch == "conv" and "hidden" not in (model or {}):
        max_layers = max(1, (min(image_size) // 2).bit_length() - 1)
        model_changes["hidden"] = variant.model.hidden[:max_layers]
    train_config = replace(variant.train, **(train or {}))
    if train_config.recon_loss == "cb" and "output_activation" not in (model or {}):
        # The continuous Bernoulli's reconstruction is its mean, not lambda = sigmoid(logits): the model shows that.
        model_changes["output_activation"] = "cb_mean"
    model_config = replace(variant.model, **model_changes)
    if train_config.recon_loss == "cb" and model_config.output_activation != "cb_mean":
        raise ConfigError("The continuous Bernoulli loss needs pixel outputs (a sigmoid-output model): "
                          f"{name} outputs {model_config.output_activation!r}.")
    if train_config.noise == "lowres":  # the factor must divide the image, which only here is known
        try:
            check_factor(train_config.noise_level, tuple(image_size))
        except ValueError as err:
            raise ConfigError(str(err)) from None
    return model_config, train_config
