"""A learned inverse of a 2-D map: a small MLP from map coordinates (u, v) to codes z, fitted to the map's own points
when the map is computed, so that any point of a UMAP map (which has no inverse of its own) decodes to an image.

It is a regression from the map's points to their codes: standardise (u, v) and z with the training points' mean
and spread, fit 2 -> hidden -> hidden -> latent_dim (SiLU) by full-batch Adam on the squared error, then undo the
standardisation inside the module, so the module takes raw map coordinates and returns raw codes (and exports to
ONNX as one graph, chained with the decoder: aelab.export.onnx.map_decoder_onnx).

Its error is reported on held-out map points as the fraction of the codes' variance it leaves unexplained,
sum ||z - z_hat||^2 / sum ||z - mean(z)||^2 over the held-out points (0: exact; 1: no better than the mean code).
umap-learn's own `UMAP.inverse_transform` is the reference it is measured against (bench/map_inverse.py).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

INVERSE_DEFAULTS = {"hidden": 64, "steps": 600, "lr": 3e-3, "holdout": 0.1, "seed": 0}


class MapInverse(nn.Module):
    """uv: (B, 2) map coordinates -> z: (B, latent_dim) codes."""

    def __init__(self, latent_dim: int, hidden: int = INVERSE_DEFAULTS["hidden"]):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, latent_dim))
        # the standardisation of the training points, kept in the module (and in its ONNX graph)
        self.register_buffer("uv_mean", torch.zeros(2))
        self.register_buffer("uv_std", torch.ones(2))
        self.register_buffer("z_mean", torch.zeros(latent_dim))
        self.register_buffer("z_std", torch.ones(latent_dim))

    def forward(self, uv: torch.Tensor) -> torch.Tensor:
        return self.net((uv - self.uv_mean) / self.uv_std) * self.z_std + self.z_mean


@dataclass(frozen=True)
class InverseFit:
    """A fitted inverse and how well it does: heldout_error (unexplained fraction of the held-out codes' variance),
    fit_seconds (the fit alone), n_train / n_heldout points."""

    inverse: MapInverse
    heldout_error: float
    fit_seconds: float
    n_train: int
    n_heldout: int


def unexplained(z: np.ndarray, z_hat: np.ndarray) -> float:
    """sum ||z - z_hat||^2 / sum ||z - mean(z)||^2: the fraction of the codes' variance a prediction leaves."""
    z, z_hat = np.asarray(z, np.float64), np.asarray(z_hat, np.float64)
    return float(((z - z_hat) ** 2).sum() / max(((z - z.mean(0)) ** 2).sum(), 1e-12))


def split(n: int, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) indices of n points: a seeded random holdout fraction held out."""
    order = np.random.default_rng(seed).permutation(n)
    n_out = max(1, int(round(n * holdout))) if holdout > 0 else 0
    return np.sort(order[n_out:]), np.sort(order[:n_out])


def fit_inverse(coords: np.ndarray, z: np.ndarray, *, hidden: int = INVERSE_DEFAULTS["hidden"],
                steps: int = INVERSE_DEFAULTS["steps"], lr: float = INVERSE_DEFAULTS["lr"],
                holdout: float = INVERSE_DEFAULTS["holdout"], seed: int = INVERSE_DEFAULTS["seed"]) -> InverseFit:
    """Fit MapInverse to map points coords (N, 2) and their codes z (N, d), holding out a `holdout` fraction to
    measure it. Full-batch, so the seed (the split, the initial weights) makes it deterministic. Raises ValueError
    for mismatched or too few points."""
    coords, z = np.asarray(coords, np.float32), np.asarray(z, np.float32)
    if coords.ndim != 2 or coords.shape[1] != 2 or z.ndim != 2 or len(coords) != len(z):
        raise ValueError(f"coords must be (N, 2) and z (N, d) with the same N; got {coords.shape} and {z.shape}")
    if len(z) < 10:
        raise ValueError(f"a learned inverse needs at least 10 map points; got {len(z)}")
    train, held = split(len(z), holdout, seed)
    with torch.random.fork_rng():  # the module's initial weights from this seed, without touching the caller's RNG
        torch.manual_seed(seed)
        inverse = MapInverse(z.shape[1], hidden)
    uv, target = torch.from_numpy(coords[train]), torch.from_numpy(z[train])
    inverse.uv_mean.copy_(uv.mean(0))
    inverse.uv_std.copy_(uv.std(0).clamp_min(1e-6))
    inverse.z_mean.copy_(target.mean(0))
    inverse.z_std.copy_(target.std(0).clamp_min(1e-6))
    optimiser = torch.optim.Adam(inverse.net.parameters(), lr=lr)
    scaled = (target - inverse.z_mean) / inverse.z_std
    x = (uv - inverse.uv_mean) / inverse.uv_std
    start = time.perf_counter()
    inverse.train()
    # One thread: these matrices are small, and torch's thread pool meets at a barrier after every op (~6 per step).
    # Measured on the 2-core machine under load: 1.4-2.0 s with one thread, 17-32 s with two (bench/map_inverse.py).
    # torch's thread count is the process's: it is restored at once after the fit.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(steps):
            optimiser.zero_grad()
            loss = ((inverse.net(x) - scaled) ** 2).mean()
            loss.backward()
            optimiser.step()
    finally:
        torch.set_num_threads(threads)
    inverse.eval()
    fit_seconds = time.perf_counter() - start
    error = float("nan")
    if len(held):
        with torch.no_grad():
            error = unexplained(z[held], inverse(torch.from_numpy(coords[held])).numpy())
    return InverseFit(inverse, error, fit_seconds, len(train), len(held))


def invert(inverse: MapInverse, coords: np.ndarray) -> np.ndarray:
    """Codes (N, d) float32 of map points coords (N, 2)."""
    with torch.no_grad():
        return inverse(torch.as_tensor(np.asarray(coords, np.float32))).numpy()


INVERSE_PREFIX = "inverse."  # the inverse's arrays inside a map artefact (aelab.analysis.maps.umap_artefact_bytes)


def inverse_arrays(fit: InverseFit) -> dict[str, np.ndarray]:
    """The fit as plain arrays (its tensors, error and sizes) to store beside the map it inverts: no pickle, read
    back with numpy's allow_pickle=False by inverse_from_arrays."""
    arrays = {f"{INVERSE_PREFIX}{name}": tensor.detach().numpy().astype(np.float32)
              for name, tensor in fit.inverse.state_dict().items()}
    arrays.update({f"{INVERSE_PREFIX}heldout_error": np.float64(fit.heldout_error),
                   f"{INVERSE_PREFIX}n_train": np.int64(fit.n_train),
                   f"{INVERSE_PREFIX}n_heldout": np.int64(fit.n_heldout)})
    return arrays


def inverse_from_arrays(arrays: dict) -> InverseFit | None:
    """The InverseFit stored by inverse_arrays (in a dict of a map artefact's arrays), or None when there is none or
    it does not fit together (shapes, a missing tensor): then the inverse is fitted again."""
    state = {name[len(INVERSE_PREFIX):]: value for name, value in arrays.items() if name.startswith(INVERSE_PREFIX)}
    try:
        weights = {k: torch.from_numpy(np.asarray(v, np.float32)) for k, v in state.items()
                   if k not in ("heldout_error", "n_train", "n_heldout")}
        last = weights["net.4.weight"]
        inverse = MapInverse(last.shape[0], last.shape[1])
        inverse.load_state_dict(weights, strict=True)
        inverse.eval()
        return InverseFit(inverse, float(state["heldout_error"]), 0.0, int(state["n_train"]), int(state["n_heldout"]))
    except (KeyError, RuntimeError, ValueError, TypeError, IndexError):
        return None
