"""One Autoencoder class for every variant: the architecture comes from nets.py, the bottleneck from the config.

References: Kingma & Welling, "Auto-Encoding Variational Bayes" (2014) for the variational bottleneck and the
reparameterization z = mu + sigma * eps; pytorch/examples vae/main.py for the shape of encode/reparameterize/decode.
"""
from __future__ import annotations

import threading

import torch
from torch import nn

from aelab.errors import ConfigError
from aelab.models.baselines import BASELINE_CLASSES
from aelab.models.config import ModelConfig
from aelab.models.nets import BUILDERS
from aelab.models.output import Output

# exp(logvar) beyond these bounds overflows or underflows float32 and turns the KL into inf/NaN.
LOGVAR_RANGE = (-30.0, 20.0)


class Autoencoder(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        if config.is_baseline:
            raise ValueError(f"{config.arch!r} is a baseline; build it with aelab.models.autoencoder.build_model.")
        self.config = config
        self.encoder, self.decoder, feature_dim = BUILDERS[config.arch](config)
        code_dim = config.latent_dim * (2 if config.variational else 1)
        # The linear architecture already ends in the code; the others get a bottleneck layer.
        self.bottleneck = nn.Linear(feature_dim, code_dim) if feature_dim else nn.Identity()

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    def encode_distribution(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x: (B, 1, H, W) in [0, 1] -> (mu, logvar), each (B, latent_dim); logvar is None if deterministic."""
        code = self.bottleneck(self.encoder(x))
        if not self.config.variational:
            return code, None
        mu, logvar = code.chunk(2, dim=1)
        return mu, logvar.clamp(*LOGVAR_RANGE)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, H, W) -> z: (B, latent_dim); for a VAE the posterior mean, which is what plots show."""
        return self.encode_distribution(x)[0]

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) -> x_hat: (B, 1, H, W)."""
        out = self.decoder(z)
        return torch.sigmoid(out) if self.config.output_activation == "sigmoid" else out

    @staticmethod
    def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None):
        """z = mu + sigma * eps with eps ~ N(0, I): sampling that gradients can flow through. A generator of its own
        keeps training reproducible even while other threads draw from torch's global RNG."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def forward(self, x: torch.Tensor, sample: bool | None = None, generator: torch.Generator | None = None) -> Output:
        """sample: draw z from q(z|x) (default: in training mode only); ignored by deterministic models."""
        mu, logvar = self.encode_distribution(x)
        sample = self.training if sample is None else sample
        z = self.reparameterize(mu, logvar, generator) if (logvar is not None and sample) else mu
        out = self.decoder(z)
        if self.config.output_activation == "sigmoid":
            return Output(torch.sigmoid(out), z, mu if logvar is not None else None, logvar, out)
        return Output(out, z, mu if logvar is not None else None, logvar, None)


def build_model(config: ModelConfig) -> nn.Module:
    """An Autoencoder, or a baseline (PCA / k-means) with the same encode / decode / forward interface."""
    if config.is_baseline:
        return BASELINE_CLASSES[config.arch](config)
    return Autoencoder(config)


_INIT_LOCK = threading.Lock()  # weight init draws from torch's global RNG, which concurrent jobs share


def create_model(config: ModelConfig, seed: int = 0) -> nn.Module:
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
