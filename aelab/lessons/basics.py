"""The classic facts the Lessons page shows live: PCA and k-means are autoencoders, and what a first layer learns.

PCA and the linear autoencoder (Baldi & Hornik 1989): a linear AE trained with squared error spans the same
subspace as the top-d principal components, but any invertible mix of a basis spans it too, so its decoder columns
are not the components. Principal angles (aelab.analysis.linalg) measure the subspace match without caring about
the basis.
Tied weights (x_hat = W^T W x) plus weight decay lam give W = O Lambda V_d^T with Lambda_i^2 = 1 - lam / (4 e_i)
(e_i the i-th variance; derivation in predicted_singular_values). Decay cannot fix the rotation O (||O W|| = ||W||),
but it makes the singular values of W distinct, so W's right singular vectors are the components themselves, in
order (Kunin et al., "Loss landscapes of regularized linear autoencoders", ICML 2019).

k-means as an autoencoder: the code of x is a one-hot q (1 x k), the decoder is q P with P the (k x pixels)
centroids; soft k-means replaces q by responsibilities that sum to 1 (aelab.models.baselines).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from aelab.analysis.linalg import principal_angles
from aelab.models.autoencoder import create_model
from aelab.models.baselines import PCA, KMeans, SoftKMeans
from aelab.models.protocol import Model
from aelab.models.variants import make_configs
from aelab.train.evaluation import evaluate
from aelab.train.trainer import Trainer

ProgressCallback = Callable[[float, str], None]
# Tied + weight decay: a larger batch and step than the linear_ae defaults keep Adam's noise below the small gaps
# between neighbouring variances, which is what lets the SVD tell the components apart (measured on mnist-5k).
TIED_DECAY_TRAIN = {"lr": 5e-3, "batch_size": 500}
TIED_DECAY_STEPS = 640  # 80 epochs of mnist-5k
# The untied linear AE: PyTorch's default init gives a small code's decoder large random columns (uniform in
# +-1/sqrt(d)) that Adam must rotate into the principal subspace one small step at a time; five times the
# variant's step does it in a third of the epochs (measured on mnist-5k: after 40 epochs, median angle 1-4 degrees
# for d = 2 to 64; the last angle, which separates the d-th from the (d+1)-th component, lags behind).
LINEAR_AE_TRAIN = {"lr": 1e-2}
LINEAR_AE_STEPS = 1280  # 40 epochs of mnist-5k


def epochs_for_steps(steps: int, n_train: int, batch_size: int) -> int:
    """Epochs giving about `steps` optimiser steps (at least one epoch): a budget that means the same on 1,437
    images as on 60,000."""
    return max(1, round(steps / -(-n_train // min(batch_size, n_train))))


def tied_weight_decay(variances: torch.Tensor) -> float:
    """Weight decay 2 e_d (e_d the smallest kept variance): every kept direction survives with Lambda_i^2 =
    1 - e_d / (2 e_i) >= 1/2 (predicted_singular_values), and the values stay distinct wherever the e_i are. Scaled
    to the data, so 8x8 digits (variances ~10x smaller than MNIST's) are not all decayed away."""
    return float(2 * variances[-1])


# --------------------------------------------------------------------------------------- PCA as a linear AE
def fit_pca(x_train: torch.Tensor, latent_dim: int) -> PCA:
    """PCA with latent_dim components fitted on x_train: (N, 1, H, W)."""
    config, _ = make_configs("pca", tuple(x_train.shape[2:]), {"latent_dim": latent_dim})
    return create_model(config).fit(x_train)


def truncate_pca(pca: PCA, latent_dim: int) -> PCA:
    """The same fit keeping only the top latent_dim components (no new SVD: they do not depend on how many)."""
    config, _ = make_configs("pca", pca.config.image_size, {"latent_dim": latent_dim})
    smaller = create_model(config)
    smaller.mean.copy_(pca.mean)
    smaller.components.copy_(pca.components[:latent_dim])
    smaller.explained_variance.copy_(pca.explained_variance[:latent_dim])
    return smaller


def decoder_columns(model: Model) -> torch.Tensor:
    """The images a linear decoder adds up, as columns: (n_pixels, latent_dim), x_hat = b + sum_j z_j column_j.

    PCA: its components; a linear AE: its decoder matrix (the encoder's, transposed, when the weights are tied)."""
    if isinstance(model, PCA):
        return model.components.detach().T
    config = model.config
    if config.arch != "linear" or config.variational:
        raise ValueError("Decoder columns are defined for PCA and deterministic linear autoencoders only; "
                         f"this model is {config.arch!r}.")
    if config.tied_weights:
        return model.encoder[1].weight.detach().T
    return model.decoder[0].weight.detach()


def subspace_angles(model: nn.Module, pca: PCA) -> torch.Tensor:
    """Principal angles in degrees, ascending, between model's decoder columns and pca's components: (d,)."""
    return torch.rad2deg(principal_angles(decoder_columns(model).cpu(), pca.components.T.cpu())).float()


def linear_ae_trainer(x_train: torch.Tensor, latent_dim: int, tied: bool = False, train_changes: dict | None = None,
                      seed: int = 0, should_stop: Callable[[], bool] = lambda: False) -> Trainer:
    """A Trainer for a linear AE with latent_dim code units on x_train: (N, 1, H, W), not yet run."""
    config, train_config = make_configs("linear_ae", tuple(x_train.shape[2:]),
                                        {"latent_dim": latent_dim, "tied_weights": tied},
                                        {"seed": seed, **(train_changes or {})})
    return Trainer(create_model(config, seed), x_train, train_config, should_stop=should_stop)


def train_linear_ae(x_train: torch.Tensor, latent_dim: int, reference: PCA | None = None, tied: bool = False,
                    train_changes: dict | None = None, seed: int = 0, on_progress: ProgressCallback | None = None,
                    should_stop: Callable[[], bool] = lambda: False) -> tuple[nn.Module, list[np.ndarray]]:
    """Train a linear AE on x_train: (N, 1, H, W); returns it (on the CPU, eval mode) and, when a reference PCA is
    given, the principal angles (degrees, (d,)) after each epoch, epoch 0 being the random initialisation."""
    trainer = linear_ae_trainer(x_train, latent_dim, tied, train_changes, seed, should_stop)
    angles = [subspace_angles(trainer.model, reference).numpy()] if reference is not None else []

    def on_epoch_end(t: Trainer) -> None:
        if reference is not None:
            angles.append(subspace_angles(t.model, reference).numpy())
        if on_progress is not None:
            on_progress(t.progress.fraction, f"epoch {t.progress.epoch}/{t.progress.epochs}, "
                                             f"loss {t.history[-1]['train']['recon']:.2f} per image")

    trainer.add_callback("on_epoch_end", on_epoch_end).run()
    return trainer.model.cpu().eval(), angles


def predicted_singular_values(variances: torch.Tensor, weight_decay: float) -> torch.Tensor:
    """Singular values of the tied W at the optimum of E||x - W^T W x||^2 + (lam / 2) ||W||^2 (Adam's L2 weight
    decay lam adds lam W to the gradient). With W = Lambda V^T the loss is sum_i e_i (1 - Lambda_i^2)^2 + ..., and
    setting its derivative to zero gives Lambda_i^2 = 1 - lam / (4 e_i); directions with e_i < lam / 4 are dropped."""
    return (1 - weight_decay / (4 * variances.double())).clamp_min(0).sqrt().float()


@dataclass
class Alignment:
    """How well learned directions match the principal components one by one.

    abs_cos[i]: |cosine| between component i and its learned direction; matched[i]: which learned direction;
    singular_values: of the learned matrix (descending), filled when read off by SVD."""

    abs_cos: np.ndarray
    matched: np.ndarray
    singular_values: np.ndarray | None = None


def match_columns(columns: torch.Tensor, components: torch.Tensor) -> Alignment:
    """Pair each component (rows of components: (d, n)) with a distinct learned column (columns: (n, d)) so that the
    total |cosine| is largest (the Hungarian algorithm): the best case for reading components off raw columns."""
    from scipy.optimize import linear_sum_assignment

    unit = columns.double() / columns.double().norm(dim=0, keepdim=True).clamp_min(1e-12)
    cosines = (components.double() @ unit).abs().numpy()  # (d components, d columns)
    rows, cols = linear_sum_assignment(cosines, maximize=True)
    return Alignment(cosines[rows, cols].astype(np.float32), cols)


def svd_directions(columns: torch.Tensor, components: torch.Tensor) -> Alignment:
    """The learned matrix's singular vectors in order of singular value, compared with the components in order."""
    u, s, _ = torch.linalg.svd(columns.double(), full_matrices=False)
    abs_cos = (components.double() @ u).diagonal().abs().numpy().astype(np.float32)
    return Alignment(abs_cos, np.arange(len(abs_cos)), s.float().numpy())


def svd_basis(columns: torch.Tensor, components: torch.Tensor) -> torch.Tensor:
    """The learned singular vectors as rows (d, n), each signed to agree with its component (for pictures)."""
    u = torch.linalg.svd(columns.double(), full_matrices=False)[0].T
    signs = torch.sign((u * components.double()).sum(1)).clamp_min(0) * 2 - 1
    return (u * signs[:, None]).float()


# --------------------------------------------------------------------------------------- k-means as an AE
def fit_kmeans(x_train: torch.Tensor, k: int, temperature: float | None = None, seed: int = 0) -> KMeans:
    """k-means (temperature None) or soft k-means with that temperature, fitted on x_train: (N, 1, H, W)."""
    name = "kmeans" if temperature is None else "soft_kmeans"
    changes = {"latent_dim": k} if temperature is None else {"latent_dim": k, "temperature": temperature}
    config, _ = make_configs(name, tuple(x_train.shape[2:]), changes)
    return create_model(config).fit(x_train, seed=seed)


@dataclass
class ClusterLesson:
    """k-means and soft k-means with k codes next to PCA with k numbers; test MSE per pixel for each."""

    kmeans: KMeans
    soft: SoftKMeans
    pca: PCA | None  # None when k exceeds the number of pixels or images
    test_mse: dict[str, float] = field(default_factory=dict)


def cluster_lesson(x_train: torch.Tensor, x_test: torch.Tensor, k: int, temperature: float,
                   seed: int = 0) -> ClusterLesson:
    kmeans = fit_kmeans(x_train, k, seed=seed)
    soft = fit_kmeans(x_train, k, temperature, seed=seed)
    can_pca = k <= min(x_train.shape[0], x_train[0].numel())
    pca = fit_pca(x_train, k) if can_pca else None
    lesson = ClusterLesson(kmeans, soft, pca)
    for name, model in (("k-means", kmeans), ("soft k-means", soft), ("PCA", pca)):
        if model is not None:
            lesson.test_mse[name] = evaluate(model, x_test)["mse"]
    return lesson


# --------------------------------------------------------------------------------------- first-layer weights
def first_layer(model: nn.Module) -> tuple[torch.Tensor, str]:
    """The weights the model first multiplies an image with, one tile per unit: (units, h, w), and what they are.

    MLP and linear AEs: each first-layer unit's weights over the pixels; conv AEs: the first layer's kernels
    (summed over nothing: the input has one channel); PCA: its components; k-means: its centroids."""
    if isinstance(model, PCA):
        return model.components.detach().view(-1, *model.config.image_size), "principal components"
    if isinstance(model, KMeans):
        return model.centroids.detach().view(-1, *model.config.image_size), "centroids"
    modules = [*model.encoder.modules(), *model.bottleneck.modules()]
    layer = next(m for m in modules if isinstance(m, (nn.Linear, nn.Conv2d)))
    weight = layer.weight.detach()
    if isinstance(layer, nn.Conv2d):
        return weight[:, 0], f"{weight.shape[0]} kernels of {weight.shape[2]}x{weight.shape[3]} pixels"
    return weight.view(-1, *model.config.image_size), f"{weight.shape[0]} first-layer units"


def strongest_tiles(tiles: torch.Tensor, n: int) -> torch.Tensor:
    """The indices of the n tiles with the largest weight norm (units that do the most), strongest first."""
    return tiles.flatten(1).norm(dim=1).argsort(descending=True)[:n]


# Blue - white - orange (ColorBrewer PuOr's ends): a diverging map that reads the same with common colour-vision
# deficiencies, unlike red - green.
_NEGATIVE, _ZERO, _POSITIVE = np.array([33, 102, 172]), np.array([247, 247, 247]), np.array([230, 97, 1])


def tile_grid(tiles: torch.Tensor, ncol: int = 8, scale: int = 3, diverging: bool = True,
              padding: int = 1) -> np.ndarray:
    """tiles: (N, h, w) raw weights -> one uint8 RGB picture (rows, cols, 3), each tile normalised on its own.

    diverging: 0 is white, the tile's largest |weight| is full blue (negative) or orange (positive), so the sign
    reads at a glance; otherwise grey from the tile's minimum (black) to its maximum (white)."""
    values = tiles.detach().float().cpu().numpy()
    n, h, w = values.shape
    ncol = max(1, min(ncol, n))
    nrow = math.ceil(n / ncol)
    canvas = np.full((nrow * (h + padding) + padding, ncol * (w + padding) + padding, 3), 255, np.uint8)
    for i, tile in enumerate(values):
        if diverging:
            t = tile / max(float(np.abs(tile).max()), 1e-12)
            end = np.where(t[..., None] < 0, _NEGATIVE, _POSITIVE)
            rgb = _ZERO + np.abs(t)[..., None] * (end - _ZERO)
        else:
            span = max(float(tile.max() - tile.min()), 1e-12)
            rgb = np.repeat(((tile - tile.min()) / span * 255)[..., None], 3, axis=2)
        top, left = padding + (i // ncol) * (h + padding), padding + (i % ncol) * (w + padding)
        canvas[top:top + h, left:left + w] = np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
    return canvas.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else canvas
