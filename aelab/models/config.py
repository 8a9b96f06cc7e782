"""Frozen, validated configuration of a model and of its training, saved as JSON beside the weights.

A variant (see variants.py) is nothing but a named pair of these with sensible defaults; every knob the app or the
CLI offers is one of these fields, so there is one place that says what is valid.
"""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from typing import Any

from aelab.data.corruption_kinds import CORRUPTION_INFO, TRAINABLE_CORRUPTIONS
from aelab.errors import ConfigError
from aelab.models.ranges import RANGES, NumberRange

ARCHITECTURES = ("mlp", "conv", "linear")
BASELINES = ("pca", "kmeans", "soft_kmeans")
# "cb": the continuous Bernoulli (Loaiza-Ganem & Cunningham 2019), BCE plus the normaliser that makes it a density
# on [0, 1]; a model trained with it shows the distribution's mean as its reconstruction (output "cb_mean").
RECON_LOSSES = ("bce", "mse", "cb")
OUTPUT_ACTIVATIONS = ("sigmoid", "identity", "cb_mean")
NOISE_TYPES = ("none", *TRAINABLE_CORRUPTIONS)  # gaussian, salt_and_pepper, dropout, box, rows
DEVICES = ("auto", "cpu", "cuda", "mps")
# "image": (B, 1, H, W) pixels in [0, 1]. "vector": (B, D) points of the Playground, standardised (aelab.data.toy),
# reconstructed with an identity output and squared error.
INPUT_KINDS = ("image", "vector")
VECTOR_ARCHITECTURES = ("mlp", "linear", *BASELINES)  # convolutions need a grid of pixels


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


# A model's size is bounded from its config alone, before any network is built: a config.json asking for twelve
# layers of 8192 would otherwise allocate gigabytes before its weights are even looked at. 50 M float32 parameters
# is 200 MB of weights (x4 while training with Adam), far above any model a lesson or a CPU training needs.
MAX_HIDDEN_LAYERS = 8
_IMAGE_SIDE = NumberRange(2, 256, integer=True)
MAX_PARAMETERS = 50_000_000


def noise_level_range(noise: str) -> NumberRange:
    """The strength a noise type accepts, from the corruption's own entry (a new corruption needs no edit here);
    with no noise, a level is meaningless but 0 to 10 is kept so old configs still load."""
    _choice(noise, NOISE_TYPES, "noise type")
    if noise == "none":
        return NumberRange(0, 10)
    strength = CORRUPTION_INFO[noise].strength
    return NumberRange(0, strength.limit, integer=strength.in_pixels, low_open=True)


def _integer(config, *names: str) -> None:
    """Whole numbers only (2.5 epochs would crash later, far from the typo); numpy integers become plain ints."""
    for name in names:
        value = getattr(config, name)
        _require(isinstance(value, numbers.Integral) and not isinstance(value, bool),
                 f"{name} must be a whole number, got {value!r}.")
        object.__setattr__(config, name, int(value))


def _in_range(config, *names: str) -> None:
    for name in names:
        RANGES[name].check(name, getattr(config, name))


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
    # VQ-VAE (aelab.models.quantizer): K > 0 quantises the code, latent_dim / code_dim slots of code_dim numbers each,
    # against one codebook of K vectors; ema_decay > 0 updates that codebook by moving averages instead of its loss.
    codebook_size: int = 0
    code_dim: int = 1  # read only when codebook_size > 0
    ema_decay: float = 0.0
    # Conditional VAE: n_classes > 0 gives encoder and decoder the one-hot label beside the features and the code.
    n_classes: int = 0

    def __post_init__(self) -> None:
        _choice(self.arch, ARCHITECTURES + BASELINES, "architecture")
        _integer(self, "latent_dim", "input_dim")
        _require(isinstance(self.image_size, (tuple, list)) and len(self.image_size) == 2
                 and all(_IMAGE_SIDE.contains(s) for s in self.image_size),
                 f"image_size must be two sides between 2 and 256, got {self.image_size!r}.")
        object.__setattr__(self, "image_size", tuple(int(s) for s in self.image_size))
        _require(isinstance(self.hidden, (tuple, list)) and all(RANGES["hidden"].contains(h) for h in self.hidden),
                 f"hidden sizes must each be {RANGES['hidden'].describe()}, got {self.hidden!r}.")
        _require(len(self.hidden) <= MAX_HIDDEN_LAYERS,
                 f"hidden has {len(self.hidden)} layers; at most {MAX_HIDDEN_LAYERS} are allowed.")
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        _in_range(self, "latent_dim", "temperature")
        _choice(self.output_activation, OUTPUT_ACTIVATIONS, "output activation")
        self._check_variant_fields()
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
        _require(self.parameter_count <= MAX_PARAMETERS,
                 f"This model would have {self.parameter_count:,} parameters, more than the {MAX_PARAMETERS:,} "
                 "allowed; use fewer or narrower hidden layers or a smaller latent size.")

    @property
    def parameter_count(self) -> int:
        """The numbers in the model's state (weights, biases, a baseline's buffers), from the config's arithmetic
        alone, so a size can be refused before a network is built; nets.py and baselines.py build exactly these."""
        n, code = self.n_inputs, self.latent_dim * (2 if self.variational else 1)

        def dense(sizes) -> int:  # a chain of nn.Linear layers
            return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))

        if self.arch == "pca":
            return n + self.latent_dim * n + self.latent_dim
        if self.arch in ("kmeans", "soft_kmeans"):
            return self.latent_dim * n
        return self._net_parameter_count(n, code, dense) + self._quantizer_count

    @property
    def _quantizer_count(self) -> int:
        """The codebook (K x code_dim), its "initialised" flag and, with EMA updates, the moving averages."""
        if not self.quantized:
            return 0
        k, d = self.codebook_size, self.code_dim
        return k * d + 1 + (k + k * d if self.ema_decay > 0 else 0)

    def _net_parameter_count(self, n: int, code: int, dense) -> int:
        if self.arch == "linear":
            return n * code + code + (n if self.tied_weights else self.decoder_input_dim * n + n)
        if self.arch == "mlp":
            feature = self.hidden[-1] if self.hidden else n
            return (dense([n, *self.hidden]) + dense([self.decoder_input_dim, *self.hidden[::-1], n])
                    + (feature + self.n_classes) * code + code)
        channels, sides = (1, *self.hidden), [list(self.image_size)]
        for _ in self.hidden:
            sides.append([(s + 1) // 2 for s in sides[-1]])
        feature = channels[-1] * sides[-1][0] * sides[-1][1]
        convs = sum(a * b * 9 for a, b in zip(channels[:-1], channels[1:]))  # each way, 3x3 kernels
        return (2 * convs + sum(channels[1:]) + sum(channels[:-1])  # biases: encoder's outputs, decoder's outputs
                + self.decoder_input_dim * feature + feature + (feature + self.n_classes) * code + code)

    def _check_variant_fields(self) -> None:
        """The quantiser's and the label's fields: off (0) or in their ranges, and only where they mean something."""
        _integer(self, "codebook_size", "code_dim", "n_classes")
        _require(0 <= self.ema_decay < 1, f"ema_decay must be from 0 (off) to below 1, got {self.ema_decay!r}.")
        _in_range(self, "code_dim")
        if self.codebook_size:
            _in_range(self, "codebook_size")
            _require(self.latent_dim % self.code_dim == 0,
                     f"latent_dim ({self.latent_dim}) must be a multiple of code_dim ({self.code_dim}): the code is "
                     "latent_dim / code_dim slots of code_dim numbers.")
            _require(self.arch in ("mlp", "conv") and not self.variational,
                     "A codebook (VQ-VAE) needs a deterministic mlp or conv model.")
        if self.n_classes:
            _in_range(self, "n_classes")
            _require(self.arch in ("mlp", "conv"), "A conditional model needs an mlp or conv architecture.")

    @property
    def quantized(self) -> bool:
        return self.codebook_size > 0

    @property
    def conditional(self) -> bool:
        """A model of this config needs a class label beside each image (a conditional VAE)."""
        return self.n_classes > 0

    @property
    def slots(self) -> int:
        """How many codebook indices make one image's code (VQ-VAE); 0 for other models."""
        return self.latent_dim // self.code_dim if self.quantized else 0

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
        return self.latent_dim + self.n_classes

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
    # VQ-VAE: weight of ||z_e - sg(e)||^2, which keeps the encoder near its codes (van den Oord et al.'s beta, 0.25).
    commitment_weight: float = 0.25
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        _integer(self, "epochs", "batch_size", "seed")
        _in_range(self, "epochs", "batch_size", "lr", "weight_decay", "beta", "sparsity_weight", "contractive_weight",
                  "commitment_weight", "seed")
        _choice(self.recon_loss, RECON_LOSSES, "reconstruction loss")
        _choice(self.device, DEVICES, "device")
        self._check_noise_level()

    def _check_noise_level(self) -> None:
        """The level's meaning and range come from the corruption's own entry, so a new corruption needs no edit."""
        bounds = noise_level_range(self.noise)
        what = f"the {CORRUPTION_INFO[self.noise].strength.label}" if self.noise in CORRUPTION_INFO else "unused"
        _require(bounds.contains(self.noise_level), f"noise_level for {self.noise} is {what} and must be "
                                                    f"{bounds.describe()}, got {self.noise_level!r}.")


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

