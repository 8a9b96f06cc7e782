"""What a conditional VAE's code holds once the label is given: the style. Decode the same codes with every class
(a grid with classes as rows and fixed codes as columns), and encode one image with its own label and decode it as
every class (style transfer).
"""
from __future__ import annotations

import torch

from aelab.analysis.paths import sample_prior


@torch.no_grad()
def class_grid(model, n_codes: int, temperature: float = 1.0, seed: int = 0) -> torch.Tensor:
    """(n_classes * n_codes, 1, H, W): row c decodes the same n_codes prior samples z ~ N(0, T^2 I) with label c."""
    model.eval()
    n_classes = model.config.n_classes
    z = sample_prior(n_codes, model.latent_dim, temperature, seed)
    return torch.cat([model.decode(z, c) for c in range(n_classes)]).clamp(0, 1)


@torch.no_grad()
def style_transfer(model, x: torch.Tensor, label: int) -> torch.Tensor:
    """x: (1, 1, H, W) of class label -> (n_classes, 1, H, W): its code (the posterior mean, encoded with its own
    label) decoded with each class in turn."""
    model.eval()
    z = model.encode(x, label)
    n_classes = model.config.n_classes
    return model.decode(z.expand(n_classes, -1), torch.arange(n_classes)).clamp(0, 1)


@torch.no_grad()
def prior_samples_per_class(model, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n prior samples decoded with each label: images (n_classes * n, 1, H, W) and the labels given (n_classes*n,)."""
    images = class_grid(model, n, 1.0, seed)
    return images, torch.arange(model.config.n_classes).repeat_interleave(n)
