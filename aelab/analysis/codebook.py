"""What a VQ-VAE's discrete code looks like: how often each code is used, how usage evolved in training, what each
code decodes to, an image's grid of indices, and k-means on patches at the same bits per image as a baseline.

A VQ-VAE's code is `slots` indices into a codebook of K vectors (aelab.models.quantizer), so log2(K) bits a slot.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from aelab.models.quantizer import kmeans, usage_perplexity


@dataclass(frozen=True)
class CodebookUsage:
    counts: torch.Tensor  # (K,) how many slots of the images chose each code
    perplexity: float  # exp(entropy of the usage): K when all codes are used equally
    dead: int  # codes no slot chose
    indices: torch.Tensor  # (N, slots) every image's code

    @property
    def used(self) -> int:
        return int((self.counts > 0).sum())


def bits_per_image(model_config) -> float:
    return model_config.slots * math.log2(model_config.codebook_size)


@torch.no_grad()
def code_indices(model, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """x: (N, 1, H, W) -> (N, slots) int64 codebook indices."""
    model.eval()
    return torch.cat([model.code_indices(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def codebook_usage(model, x: torch.Tensor) -> CodebookUsage:
    indices = code_indices(model, x)
    k = model.config.codebook_size
    perplexity, dead = usage_perplexity(indices, k)
    return CodebookUsage(torch.bincount(indices.flatten(), minlength=k), float(perplexity), int(dead), indices)


@torch.no_grad()
def code_images(model) -> torch.Tensor:
    """(K, 1, H, W): each code decoded with every slot set to it (the code's own picture; with an MLP decoder the
    slots are not places in the image, so this shows what the code means to the decoder, not a patch)."""
    model.eval()
    k, slots = model.config.codebook_size, model.config.slots
    return model.decode_indices(torch.arange(k).unsqueeze(1).expand(k, slots)).clamp(0, 1)


def grid_shape(slots: int) -> tuple[int, int]:
    """Rows and columns to lay `slots` indices out as a near-square grid."""
    rows = max(r for r in range(1, int(math.isqrt(slots)) + 1) if slots % r == 0)
    return rows, slots // rows


def index_grid(model, x: torch.Tensor) -> torch.Tensor:
    """x: (1, 1, H, W) -> its code as a (rows, cols) grid of indices."""
    return code_indices(model, x)[0].view(*grid_shape(model.config.slots))


def tracker_history(history: list[dict]) -> dict[str, list]:
    """Perplexity and dead codes per epoch (train: the mean over the epoch's batches; val: over the validation
    split), as recorded in a VQ-VAE's history; empty lists for a history without them."""
    rows = [h for h in history if "perplexity" in (h.get("train") or {})]
    return {"epoch": [h["epoch"] for h in rows],
            **{f"{split}_{term}": [(h.get(split) or {}).get(term) for h in rows]
               for split in ("train", "val") for term in ("perplexity", "dead_codes")}}


def _patches(x: torch.Tensor, side: int) -> torch.Tensor:
    n, _, h, w = x.shape
    ph, pw = h // side, w // side
    return x.reshape(n, side, ph, side, pw).permute(0, 1, 3, 2, 4).reshape(-1, ph * pw)


def _unpatch(p: torch.Tensor, n: int, side: int, h: int, w: int) -> torch.Tensor:
    return p.reshape(n, side, side, h // side, w // side).permute(0, 1, 3, 2, 4).reshape(n, 1, h, w)


def patch_kmeans_mse(x_train: torch.Tensor, x_test: torch.Tensor, slots: int, k: int, seed: int = 0,
                     iterations: int = 20) -> float | None:
    """Test MSE per pixel of k-means at the VQ-VAE's bits per image: the image cut into `slots` square patches, each
    coded by the nearest of k centroids fitted on the training patches (slots * log2 k bits). None when the slots do
    not tile the image (not a square number, or a side that does not divide the image)."""
    side = math.isqrt(slots)
    h, w = x_train.shape[-2:]
    if side * side != slots or h % side or w % side:
        return None
    centroids = kmeans(_patches(x_train, side), k, torch.Generator().manual_seed(seed), iterations)
    patches = _patches(x_test, side)
    rebuilt = centroids[torch.cdist(patches, centroids).argmin(1)]
    return float((_unpatch(rebuilt, len(x_test), side, h, w) - x_test).pow(2).mean())
