"""One Autoencoder class for every variant: the architecture comes from nets.py, the bottleneck from the config.

References: Kingma & Welling, "Auto-Encoding Variational Bayes" (2014) for the variational bottleneck and the
reparameterization z = mu + sigma * eps; pytorch/examples vae/main.py for the shape of encode/reparameterize/decode.
"""
from __future__ import annotations

import threading

import torch
from torch import nn
from torch.distributions import ContinuousBernoulli

from aelab.errors import ConfigError
from aelab.models.baselines import BASELINE_CLASSES
from aelab.models.config import ModelConfig
from aelab.models.nets import BUILDERS
from aelab.models.output import Output
from aelab.models.protocol import Model
from aelab.models.quantizer import VectorQuantizer

# exp(logvar) beyond these bounds overflows or underflows float32 and turns the KL into inf/NaN.
LOGVAR_RANGE = (-30.0, 20.0)


class Autoencoder(nn.Module):
    """Every trained variant (aelab.models.variants), configured by its ModelConfig; satisfies
    aelab.models.protocol.Model."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.is_baseline:
            raise ValueError(f"{config.arch!r} is a baseline; build it with aelab.models.autoencoder.build_model.")
        self.config = config
        self.encoder, self.decoder, feature_dim = BUILDERS[config.arch](config)
        code_dim = config.latent_dim * (2 if config.variational else 1)
        # The linear architecture already ends in the code; the others get a bottleneck layer, which also reads the
        # one-hot label of a conditional model.
        self.bottleneck = nn.Linear(feature_dim + config.n_classes, code_dim) if feature_dim else nn.Identity()
        if config.quantized:
            self.quantizer = VectorQuantizer(config.codebook_size, config.code_dim, config.ema_decay)

    @property
    def conditional(self) -> bool:
        return self.config.conditional

    def _one_hot(self, y, batch: int, like: torch.Tensor) -> torch.Tensor:
        """y: an int or (B,) class indices -> (B, n_classes); a conditional model refuses to guess a missing label."""
        if y is None:
            raise ConfigError(f"This model is conditional on a class label (0 to {self.config.n_classes - 1}); "
                              "give one (y=...).")
        y = torch.as_tensor(y, device=like.device).long().reshape(-1)
        if y.numel() == 1:
            y = y.expand(batch)  # one label for the whole batch
        if len(y) != batch or bool(((y < 0) | (y >= self.config.n_classes)).any()):
            raise ConfigError(f"Labels must be {batch} class indices from 0 to {self.config.n_classes - 1}.")
        return nn.functional.one_hot(y, self.config.n_classes).to(like.dtype)

    def _code(self, x: torch.Tensor, y=None) -> torch.Tensor:
        """The bottleneck's output: (B, latent_dim), or (B, 2 latent_dim) for a VAE; before any quantisation."""
        features = self.encoder(x)
        if self.conditional:
            features = torch.cat([features, self._one_hot(y, x.shape[0], features)], dim=1)
        return self.bottleneck(features)

    def code_indices(self, x: torch.Tensor) -> torch.Tensor:
        """VQ-VAE: x (B, 1, H, W) -> its code as codebook indices, (B, slots) int64 in [0, codebook_size)."""
        return self.quantizer.nearest(self._code(x).view(x.shape[0], -1, self.config.code_dim))

    def decode_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """VQ-VAE: indices (B, slots) -> x_hat (B, 1, H, W)."""
        return self.decode(self.quantizer.lookup(indices))

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def encode_distribution(self, x: torch.Tensor, y=None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x: (B, 1, H, W) in [0, 1] -> (mu, logvar), each (B, latent_dim); logvar is None if deterministic. A
        VQ-VAE's code is the quantised one; y: the label of a conditional model (an int or (B,) indices)."""
        code = self._code(x, y)
        if self.config.quantized:
            return self.quantizer.quantize(code), None
        if not self.config.variational:
            return code, None
        mu, logvar = code.chunk(2, dim=1)
        return mu, logvar.clamp(*LOGVAR_RANGE)

    def encode(self, x: torch.Tensor, y=None) -> torch.Tensor:
        """x: (B, 1, H, W) -> z: (B, latent_dim); for a VAE the posterior mean, which is what plots show."""
        return self.encode_distribution(x, y)[0]

    def decode_logits(self, z: torch.Tensor, y=None) -> torch.Tensor:
        if self.conditional:
            z = torch.cat([z, self._one_hot(y, z.shape[0], z)], dim=1)
        return self.decoder(z)

    def _activate(self, out: torch.Tensor) -> torch.Tensor:
        """Pixels from the decoder's output. "cb_mean": the continuous Bernoulli's mean, not its parameter lambda =
        sigmoid(out): lambda is no expected pixel value (Loaiza-Ganem & Cunningham 2019, their Figure 1)."""
        if self.config.output_activation == "sigmoid":
            return torch.sigmoid(out)
        if self.config.output_activation == "cb_mean":
            return ContinuousBernoulli(logits=out).mean
        return out

    def decode(self, z: torch.Tensor, y=None) -> torch.Tensor:
        """z: (B, latent_dim) -> x_hat: (B, 1, H, W); y: the label of a conditional model."""
        return self._activate(self.decode_logits(z, y))

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None):
        """z = mu + sigma * eps with eps ~ N(0, I): sampling that gradients can flow through. A generator of its own
        keeps training reproducible even while other threads draw from torch's global RNG."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def forward(self, x: torch.Tensor, sample: bool | None = None, generator: torch.Generator | None = None,
                y=None) -> Output:
        """sample: draw z from q(z|x) (default: in training mode only); ignored by deterministic models.
        y: the class label(s) of a conditional model."""
        code = self._code(x, y)
        quantized = None
        if self.config.quantized:
            code, quantized = self.quantizer(code)
        mu, logvar = (code, None) if not self.config.variational else code.chunk(2, dim=1)
        logvar = logvar.clamp(*LOGVAR_RANGE) if logvar is not None else None
        sample = self.training if sample is None else sample
        z = self.reparameterize(mu, logvar, generator) if (logvar is not None and sample) else mu
        out = self.decode_logits(z, y)
        logits = out if self.config.output_activation != "identity" else None
        return Output(self._activate(out), z, mu if logvar is not None else None, logvar, logits, quantized)


def build_model(config: ModelConfig) -> Model:
    """An Autoencoder, or a baseline (PCA / k-means): either satisfies aelab.models.protocol.Model."""
    if config.is_baseline:
        return BASELINE_CLASSES[config.arch](config)
    return Autoencoder(config)


_INIT_LOCK = threading.Lock()  # weight init draws from torch's global RNG, which concurrent jobs share


def create_model(config: ModelConfig, seed: int = 0) -> Model:
    """A freshly initialised model; the same seed gives the same initial weights, whatever other threads do."""
    with _INIT_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(config)


def resolve_device(name: str = "auto") -> torch.device:
    """"auto" picks CUDA, then Apple MPS, then CPU; asking for one that is missing is an error, not a fallback."""
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    available = {"cpu": True, "cuda": cuda, "mps": mps}
    if name not in available:
        raise ConfigError(f"Unknown device {name!r}; valid: auto, cpu, cuda, mps.")
    if not available[name]:
        raise ConfigError(f"Device {name!r} is not available on this machine; use --device cpu.")
    return torch.device(name)
