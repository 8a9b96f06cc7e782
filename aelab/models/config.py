"""Frozen, validated configuration of a model and of its training, saved as JSON beside the weights.

A variant (see variants.py) is nothing but a named pair of these with sensible defaults; every knob the app or the
CLI offers is one of these fields, so there is one place that says what is valid.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import Any

from aelab.data.corruption_kinds import CORRUPTION_INFO, TRAINABLE_CORRUPTIONS
from aelab.errors import ConfigError

ARCHITECTURES = ("mlp", "conv", "linear")
BASELINES = ("pca", "kmeans", "soft_kmeans")
RECON_LOSSES = ("bce", "mse")
NOISE_TYPES = ("none", *TRAINABLE_CORRUPTIONS)  # gaussian, salt_and_pepper, dropout, box, rows
DEVICES = ("auto", "cpu", "cuda", "mps")
# "image": (B, 1, H, W) pixels in [0, 1]. "vector": (B, D) points of the Playground, standardised (aelab.data.toy),
# reconstructed with an identity output and squared error.
INPUT_KINDS = ("image", "vector")
VECTOR_ARCHITECTURES = ("mlp", "linear", *BASELINES)  # convolutions need a grid of pixels


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _integer(config, *names: str) -> None:
    """Whole numbers only (2.5 epochs would crash later, far from the typo); numpy integers become plain ints."""
    for name in names:
        value = getattr(config, name)
        _require(isinstance(value, numbers.Integral) and not isinstance(value, bool),
                 f"{name} must be a whole number, got {value!r}.")
        object.__setattr__(config, name, int(value))


def _choice(value: str, valid: tuple[str, ...], what: str) -> None:
    _require(value in valid, f"Unknown {what} {value!r}; valid: {', '.join(valid)}.")


@dataclass(frozen=True)
class ModelConfig:
    """What the network is.

    arch: "mlp" | "conv" | "linear" are trained autoencoders; "pca" | "kmeans" | "soft_kmeans" are the classic
    baselines fitted by their own algorithm (baselines.py) behind the same encode/decode interface.
    hidden: MLP layer widths, or conv channels per stride-2 layer; the decoder mirrors them.
    input_kind: "image" (the default: image_size says the shape) or "vector" (points of dimension input_dim, as the
    Playground's toy data; image_size is then unused). input_shape is the one shape the nets read either way.
    """

    arch: str = "mlp"
    image_size: tuple[int, int] = (28, 28)
    input_kind: str = "image"
    input_dim: int = 0  # D, the coordinates of a point, for input_kind "vector"; 0 for images
    latent_dim: int = 16
    hidden: tuple[int, ...] = (256, 128)
    variational: bool = False
    tied_weights: bool = False
    # "sigmoid" squashes a linear encoder's code: h = sigmoid(W x + b), with tied weights Rifai et al.'s (2011)
    # contractive autoencoder, whose decoder W^T h + c cannot undo a shrunken code by growing.
    code_activation: str = "none"
    # Sigmoid keeps pixels in [0, 1] and pairs with BCE; a linear AE must stay linear to be comparable to PCA.
    output_activation: str = "sigmoid"
    # Soft k-means: responsibilities are softmax(-||x - c||^2 / temperature).
    temperature: float = 1.0

    def __post_init__(self) -> None:
        _choice(self.arch, ARCHITECTURES + BASELINES, "architecture")
        _integer(self, "latent_dim", "input_dim")
        object.__setattr__(self, "image_size", tuple(int(s) for s in self.image_size))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        _require(len(self.image_size) == 2 and all(2 <= s <= 256 for s in self.image_size),
                 f"image_size must be two sides between 2 and 256, got {self.image_size}.")
        _require(1 <= self.latent_dim <= 4096, f"latent_dim must be between 1 and 4096, got {self.latent_dim}.")
        _require(all(1 <= h <= 8192 for h in self.hidden), f"hidden sizes must be between 1 and 8192: {self.hidden}.")
        _choice(self.output_activation, ("sigmoid", "identity"), "output activation")
        _require(self.temperature > 0 and math.isfinite(self.temperature), "temperature must be a positive number.")
        _require(not self.tied_weights or (self.arch == "linear" and not self.variational),
                 "tied_weights is only defined for a deterministic arch 'linear'.")
        _require(not self.variational or self.arch in ARCHITECTURES, "Baselines cannot be variational.")
        _choice(self.code_activation, ("none", "sigmoid"), "code activation")
        _require(self.code_activation == "none" or (self.arch == "linear" and not self.variational),
                 "code_activation is only defined for a deterministic arch 'linear'.")
        if self.arch == "conv":
            _require(1 <= len(self.hidden) <= 4, "A conv model takes 1 to 4 channel counts in hidden.")
            smallest = min(self.image_size) / 2 ** len(self.hidden)
            _require(smallest >= 1, f"{len(self.hidden)} stride-2 layers shrink a {self.image_size} image below "
                                    "one pixel; use fewer conv layers.")
        self._check_input_kind()

    def _check_input_kind(self) -> None:
        _choice(self.input_kind, INPUT_KINDS, "input kind")
        if self.input_kind == "image":
            _require(self.input_dim == 0, f"input_dim is for vector inputs; an image model has image_size instead, "
                                          f"got input_dim={self.input_dim}.")
            return
        _require(1 <= self.input_dim <= 4096, f"input_dim must be between 1 and 4096 for vector inputs, "
                                              f"got {self.input_dim}.")
        _require(self.arch in VECTOR_ARCHITECTURES, f"Architecture {self.arch!r} needs images; for vector inputs "
                                                    f"valid: {', '.join(VECTOR_ARCHITECTURES)}.")
        _require(self.output_activation == "identity", "Vector inputs are standardised coordinates, not pixels in "
                                                       "[0, 1]: their output activation must be 'identity'.")

    @property
    def n_pixels(self) -> int:
        return self.image_size[0] * self.image_size[1]

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One input's shape: (1, H, W) for an image, (D,) for a point."""
        return (self.input_dim,) if self.input_kind == "vector" else (1, *self.image_size)

    @property
    def n_inputs(self) -> int:
        """The numbers in one input: pixels of an image, coordinates of a point."""
        return self.input_dim if self.input_kind == "vector" else self.n_pixels

    @property
    def decoder_input_dim(self) -> int:
        """What the decoder reads: the code. A conditional decoder (the code beside a class label, say) widens it
        here, and only here, for every architecture."""
        return self.latent_dim

    @property
    def is_baseline(self) -> bool:
        return self.arch in BASELINES


@dataclass(frozen=True)
class TrainConfig:
    """How the model is trained. Weights of 0 switch a term off."""

    epochs: int = 20
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    recon_loss: str = "bce"
    beta: float = 0.0  # weight of the KL term; only meaningful for variational models
    noise: str = "none"  # corruption of the input for a denoising AE; the target stays clean
    # The strength of the noise (see aelab.data.corruption.CORRUPTION_INFO): gaussian: sigma; dropout and
    # salt_and_pepper: fraction of pixels; box: side in pixels; rows: number of rows.
    noise_level: float = 0.0
    sparsity_weight: float = 0.0  # L1 on the code
    contractive_weight: float = 0.0  # squared Frobenius norm of the encoder Jacobian
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        _integer(self, "epochs", "batch_size", "seed")
        _require(1 <= self.epochs <= 10_000, f"epochs must be between 1 and 10000, got {self.epochs}.")
        _require(1 <= self.batch_size <= 65_536, f"batch_size must be between 1 and 65536, got {self.batch_size}.")
        _require(0 < self.lr <= 10 and math.isfinite(self.lr), f"lr must be in (0, 10], got {self.lr}.")
        for name in ("weight_decay", "beta", "sparsity_weight", "contractive_weight"):
            value = getattr(self, name)
            _require(math.isfinite(value) and 0 <= value <= 1e4, f"{name} must be between 0 and 10000, got {value}.")
        _choice(self.recon_loss, RECON_LOSSES, "reconstruction loss")
        _choice(self.noise, NOISE_TYPES, "noise type")
        _choice(self.device, DEVICES, "device")
        self._check_noise_level()
        _require(0 <= self.seed < 2**63, "seed must be a non-negative integer.")

    def _check_noise_level(self) -> None:
        """The level's meaning and range come from the corruption's own entry, so a new corruption needs no edit."""
        level = self.noise_level
        _require(isinstance(level, numbers.Real) and not isinstance(level, bool) and math.isfinite(level),
                 f"noise_level must be a number, got {level!r}.")
        if self.noise == "none":
            _require(0 <= level <= 10, f"noise_level for none must be between 0 and 10, got {level}.")
            return
        strength = CORRUPTION_INFO[self.noise].strength
        _require(0 < level <= strength.limit, f"noise_level for {self.noise} is the {strength.label} and must be "
                                              f"above 0 and at most {strength.limit:g}, got {level}.")
        _require(not strength.in_pixels or float(level).is_integer(),
                 f"noise_level for {self.noise} is the {strength.label}: a whole number, got {level}.")


def to_dict(config: ModelConfig | TrainConfig) -> dict[str, Any]:
    """JSON-ready dict (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()}


def from_dict(cls: type, data: dict[str, Any]):
    """Build a config from JSON; unknown keys are an error rather than silently ignored."""
    if not isinstance(data, dict):
        raise ConfigError(f"{cls.__name__} must be a JSON object, got {type(data).__name__}.")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    _require(not unknown, f"Unknown {cls.__name__} field(s): {', '.join(unknown)}; valid: {', '.join(sorted(known))}.")
    try:
        return cls(**data)
    except TypeError as err:  # wrong types that dataclass construction trips over
        raise ConfigError(f"Invalid {cls.__name__}: {err}.") from None


def replace(config, **changes):
    """dataclasses.replace that names the valid fields when given a typo."""
    known = {f.name for f in dataclasses.fields(config)}
    unknown = sorted(set(changes) - known)
    _require(not unknown, f"Unknown {type(config).__name__} field(s): {', '.join(unknown)}; "
                          f"valid: {', '.join(sorted(known))}.")
    return dataclasses.replace(config, **changes)

