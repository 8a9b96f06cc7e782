"""The VQ-VAE's bottleneck: a codebook of K vectors, nearest-code quantisation and the straight-through gradient.

van den Oord, Vinyals & Kavukcuoglu, "Neural Discrete Representation Learning" (2017): z_e (an encoder output) is
replaced by its nearest codebook vector e_k; the decoder's gradient is copied to z_e unchanged (straight-through,
z_q = z_e + sg(e_k - z_e)). The codebook learns either from the codebook loss ||sg(z_e) - e||^2 (aelab.train.losses)
or, with ema_decay > 0, from exponential moving averages of the vectors assigned to each code (their appendix A.1).

Here a code is a row of `slots` vectors of code_dim numbers (latent_dim = slots * code_dim), each quantised against
the one shared codebook: the model's code is `slots` indices in [0, K). Two choices against codebook collapse, both
on: the codebook starts as k-means centroids of the first training batch's encodings (not random vectors far from
them), and a code unused for a whole epoch is restarted at a random encoder output of the latest batch.
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

KMEANS_ITERATIONS = 10


class Quantized(NamedTuple):
    """z_e, z_q: (B, slots, code_dim) before and after quantisation (z_q without the straight-through trick);
    indices: (B, slots) int64 in [0, K); perplexity: exp of the entropy of this batch's code usage (K if every code
    is used equally, 1 if one code takes all); dead: codes no slot of this batch chose."""

    z_e: torch.Tensor
    z_q: torch.Tensor
    indices: torch.Tensor
    perplexity: torch.Tensor
    dead: torch.Tensor


def usage_perplexity(indices: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(perplexity, dead codes) of a batch of indices: exp(-sum_k p_k log p_k) with p the codes' frequencies."""
    counts = torch.bincount(indices.flatten(), minlength=k).float()
    p = counts / counts.sum().clamp(min=1)
    entropy = -(p * torch.log(p.clamp(min=1e-12))).sum()
    return entropy.exp(), (counts == 0).sum().float()


def kmeans(points: torch.Tensor, k: int, generator: torch.Generator, iterations: int = KMEANS_ITERATIONS):
    """(k, D) centroids of points (N, D) by Lloyd's algorithm from k distinct random points (N >= k assumed; a
    centroid left without points keeps its place)."""
    centroids = points[torch.randperm(points.shape[0], generator=generator)[:k]].clone()
    for _ in range(iterations):
        assign = torch.cdist(points, centroids).argmin(1)
        sums = torch.zeros_like(centroids).index_add_(0, assign, points)
        counts = torch.bincount(assign, minlength=k).unsqueeze(1)
        centroids = torch.where(counts > 0, sums / counts.clamp(min=1), centroids)
    return centroids


class VectorQuantizer(nn.Module):
    """codebook: (K, code_dim). ema_decay 0: the codebook is a parameter trained by the codebook loss; > 0: a buffer
    updated by moving averages in training mode (and the codebook loss is left out of the total)."""

    def __init__(self, codebook_size: int, code_dim: int, ema_decay: float = 0.0):
        super().__init__()
        self.k, self.code_dim, self.ema_decay = codebook_size, code_dim, ema_decay
        weight = torch.empty(codebook_size, code_dim).uniform_(-1 / codebook_size, 1 / codebook_size)
        if ema_decay > 0:
            self.register_buffer("codebook", weight)
            self.register_buffer("ema_count", torch.ones(codebook_size))
            self.register_buffer("ema_sum", weight.clone())
        else:
            self.codebook = nn.Parameter(weight)
        self.register_buffer("initialised", torch.zeros((), dtype=torch.bool))
        # training picks since the last restart: bookkeeping, not part of the saved weights
        self.register_buffer("epoch_usage", torch.zeros(codebook_size), persistent=False)
        self._generator = torch.Generator().manual_seed(0)  # restarts and the k-means start: reproducible

    def nearest(self, z_e: torch.Tensor) -> torch.Tensor:
        """z_e: (..., code_dim) -> indices (...) of the nearest codebook vectors (Euclidean)."""
        flat = z_e.reshape(-1, self.code_dim)
        distances = (flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.codebook.t()
                     + self.codebook.pow(2).sum(1).unsqueeze(0))
        return distances.argmin(1).view(z_e.shape[:-1])

    def quantize(self, z_e: torch.Tensor) -> torch.Tensor:
        """z_e: (B, slots * code_dim) -> its nearest codes, the same shape: encoding alone, no bookkeeping (and so
        exportable to ONNX: an argmin and a gather)."""
        return self.lookup(self.nearest(z_e.view(z_e.shape[0], -1, self.code_dim)))

    def lookup(self, indices: torch.Tensor) -> torch.Tensor:
        """indices (B, slots) -> the code (B, slots * code_dim) the decoder reads."""
        return self.codebook[indices].flatten(1)

    def forward(self, z_e: torch.Tensor) -> tuple[torch.Tensor, Quantized]:
        """z_e: (B, slots * code_dim) -> (z for the decoder (B, slots * code_dim) with the straight-through gradient,
        the Quantized record for the losses and the trackers)."""
        vectors = z_e.view(z_e.shape[0], -1, self.code_dim)
        if self.training and not bool(self.initialised):
            self._kmeans_start(vectors.detach().reshape(-1, self.code_dim))
        indices = self.nearest(vectors.detach())
        z_q = self.codebook[indices]
        if self.training:
            with torch.no_grad():
                self.epoch_usage += torch.bincount(indices.flatten(), minlength=self.k).float()
                if self.ema_decay > 0:
                    self._ema_update(vectors.detach(), indices)
        perplexity, dead = usage_perplexity(indices, self.k)
        # the straight-through gradient only matters in training; in eval the code is z_q itself, bit for bit (the
        # sum below rounds: forward would then differ from decode(encode(x)) in the last bits)
        straight_through = vectors + (z_q - vectors).detach() if self.training else z_q
        return straight_through.flatten(1), Quantized(vectors, z_q, indices, perplexity, dead)

    @torch.no_grad()
    def _kmeans_start(self, points: torch.Tensor) -> None:
        if points.shape[0] >= self.k:
            self.codebook.data.copy_(kmeans(points, self.k, self._generator))
            if self.ema_decay > 0:
                self.ema_sum.copy_(self.codebook)
        self.initialised.fill_(True)

    @torch.no_grad()
    def _ema_update(self, vectors: torch.Tensor, indices: torch.Tensor) -> None:
        """N_k <- d N_k + (1 - d) n_k, m_k <- d m_k + (1 - d) sum z_e, e_k = m_k / N_k (Laplace-smoothed N_k)."""
        flat, idx = vectors.reshape(-1, self.code_dim), indices.flatten()
        counts = torch.bincount(idx, minlength=self.k).float()
        sums = torch.zeros_like(self.ema_sum).index_add_(0, idx, flat)
        d = self.ema_decay
        self.ema_count.mul_(d).add_(counts, alpha=1 - d)
        self.ema_sum.mul_(d).add_(sums, alpha=1 - d)
        total = self.ema_count.sum()
        smoothed = (self.ema_count + 1e-5) / (total + self.k * 1e-5) * total
        self.codebook.copy_(self.ema_sum / smoothed.unsqueeze(1))

    @torch.no_grad()
    def restart_dead_codes(self, z_e: torch.Tensor) -> int:
        """Move every code that no training slot picked since the last call to a random encoder output of z_e
        (B, slots * code_dim); returns how many moved. Called by the training loop after each epoch."""
        dead = torch.nonzero(self.epoch_usage == 0).flatten()
        if len(dead):
            points = z_e.detach().reshape(-1, self.code_dim).to(self.codebook.device)
            chosen = torch.randint(points.shape[0], (len(dead),), generator=self._generator)
            self.codebook.data[dead] = points[chosen.to(points.device)]
            if self.ema_decay > 0:
                self.ema_sum[dead] = self.codebook[dead]
                self.ema_count[dead] = 1.0
        self.epoch_usage.zero_()
        return len(dead)
