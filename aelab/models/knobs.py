"""The Train form's knobs as one table: each config field a person may set, its link parameter, its label and a
line on what it does to the latent space, which variants have it, and how its typed text is read (parse_knob) and
written (knob_text). The Train page draws the form from it and binds it to the link with it; nothing else lists
the knobs."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aelab.data.corruption_kinds import CORRUPTION_INFO
from aelab.errors import ConfigError
from aelab.models.config import NOISE_TYPES, RECON_LOSSES, noise_level_range
from aelab.models.ranges import RANGES, parse_sizes
from aelab.models.variants import Variant

N_TRAIN_PARAM = "images"  # the training subset's size in a link (?images=500)


def _trained(v: Variant) -> bool:
    return not v.is_baseline


def _deterministic(v: Variant) -> bool:
    """A trained autoencoder whose code is not a distribution. A VAE is left out of the L1, contractive and input
    noise knobs: its objective is the ELBO (its own pull on the code is the KL term, and it already trains on noisy
    codes), and every VAE view of the app (KL per unit, rate and distortion, the collapse alarm) reads the ELBO's
    two terms; an extra penalty or corrupted inputs would change what those show without their saying so."""
    return _trained(v) and not v.is_variational


@dataclass(frozen=True)
class Knob:
    """One config field as a form field. target: the config it sets ("model" | "train"); param: its name in a link;
    applies: whether the variant has it (otherwise hidden, and the variant's default is kept); choices: a choice
    knob's options (else the field is typed text, read with the configs' own ranges)."""

    field: str
    target: str
    param: str
    label: str
    help: str
    applies: Callable[[Variant], bool]
    choices: tuple[str, ...] | None = None


KNOBS = [
    Knob("latent_dim", "model", "latent", "Latent size",
         "How many numbers each image is squeezed into: fewer keep only the main variations; 2 shows the latent "
         "space itself, with no projection. For k-means: the number of clusters.",
         lambda v: True),
    Knob("hidden", "model", "hidden", "Hidden sizes",
         "Layer widths between image and code (MLP), or channels per stride-2 layer (conv), comma-separated; more "
         "or wider layers let the encoder bend the latent space into more complex shapes.",
         lambda v: v.model.arch in ("mlp", "conv")),
    Knob("temperature", "model", "temp", "Temperature",
         "How soft the cluster assignment is: higher spreads each image's code over several clusters.",
         lambda v: v.model.arch == "soft_kmeans"),
    Knob("epochs", "train", "epochs", "Epochs",
         "Passes over the training images: more lets the classes separate further in the latent space (and can "
         "overfit a small subset).", _trained),
    Knob("batch_size", "train", "batch", "Batch size",
         "Images per gradient step: smaller batches take more, noisier steps per epoch.", _trained),
    Knob("lr", "train", "lr", "Learning rate",
         "Adam's step size: too high and the loss jumps or becomes NaN, too low and the codes barely move.",
         _trained),
    Knob("recon_loss", "train", "loss", "Reconstruction loss",
         "bce treats pixels as probabilities of ink (sharper digits); mse is squared error, what PCA minimises "
         "(blurrier); cb is the continuous Bernoulli, BCE with the normaliser that makes it a density on [0, 1] "
         "(its reconstruction is the distribution's mean; its ELBO is on another scale than BCE's, so compare "
         "losses only between models trained with the same one).", _trained, RECON_LOSSES),
    Knob("codebook_size", "model", "codes", "Codebook size K",
         "VQ-VAE: how many code vectors each slot of the code chooses from; each slot carries log2(K) bits.",
         lambda v: v.model.quantized),
    Knob("commitment_weight", "train", "commit", "Commitment weight",
         "VQ-VAE: how hard the encoder is kept near the codes it picks (van den Oord et al. use 0.25).",
         lambda v: v.model.quantized),
    Knob("beta", "train", "beta", "beta (KL weight)",
         "How hard codes are pulled towards a standard normal: higher gives a smoother, more overlapping latent "
         "space that random samples decode well from, and blurrier reconstructions.",
         lambda v: v.is_variational),
    Knob("noise", "train", "noise", "Input noise",
         "Corrupt the input while the target stays clean (denoising): the code must ignore the noise, so "
         "corrupted and clean versions of an image land on the same point.", _deterministic, NOISE_TYPES),
    Knob("noise_level", "train", "level", "Noise level",
         "How hard the noise hits (its meaning depends on the noise type, see the label).", _deterministic),
    Knob("sparsity_weight", "train", "l1", "L1 weight (sparsity)",
         "Penalty on the code's absolute values: most code units become 0 for each image, so each unit tends to "
         "stand for one feature.", _deterministic),
    Knob("contractive_weight", "train", "contractive", "Contractive weight",
         "Penalty on how much the code moves when the input moves slightly: flattens the latent space around "
         "each training image (slow: one extra backward pass per latent unit).", _deterministic),
    Knob("seed", "train", "seed", "Seed",
         "Starting weights and batch order: the same seed and settings give the same model.", lambda v: True),
]
KNOB_BY_FIELD = {k.field: k for k in KNOBS}


def knob_text(value: Any) -> str:
    """A config value as a person types it: 0.001, 20, 256, 128."""
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_knob(knob: Knob, text: str, noise: str = "none") -> Any:
    """The knob's typed text (or choice) as its config takes it; ConfigError names the knob and what it accepts.
    The noise level is read with the chosen noise type's range (a box side in pixels, a sigma...)."""
    text = str(text).strip()
    if knob.choices is not None:
        if text not in knob.choices:
            raise ConfigError(f"{knob.label} must be one of {', '.join(knob.choices)}, got {text!r}.")
        return text
    if knob.field == "hidden":
        return parse_sizes(knob.label, text)
    if knob.field == "noise_level":
        if noise == "none":
            return 0.0  # a level without a noise type means nothing; it is not recorded
        return noise_level_range(noise).parse(f"{knob.label} for {CORRUPTION_INFO[noise].label}", text)
    return RANGES[knob.field].parse(knob.label, text)


def accepted(knob: Knob, noise: str = "none") -> str:
    """What the knob accepts, in words (for its help and for a link's message)."""
    if knob.choices is not None:
        return f"one of the choices ({', '.join(knob.choices)})"
    if knob.field == "hidden":
        return f"a list of layer sizes, each {RANGES['hidden'].describe()}"
    if knob.field == "noise_level":
        return noise_level_range(noise).describe()
    return RANGES[knob.field].describe()
