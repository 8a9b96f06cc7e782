"""The learned inverse of a UMAP map (aelab.analysis.inverse) against umap-learn's own UMAP.inverse_transform, on the
same points: held-out code error, fit time and query time.

Run from the repository root: .venv/bin/python -m bench.map_inverse [--models vae ae] [--threads 2]

For each shipped model: encode the bundled set's 1,000 test images, fit one UMAP (umap-learn, the app's parameters:
n_neighbors 15, min_dist 0.1, seed 0) on 90% of the codes, hold out the other 10% (the same split the learned inverse
uses) and place them on the map with transform(); then
- umap-learn: inverse_transform(held-out map points) -> codes (its fit is the UMAP fit itself, timed apart);
- aelab: fit_inverse on the 90% training map points, then invert(held-out map points).
Error: the fraction of the held-out codes' variance left unexplained, sum ||z - z_hat||^2 / sum ||z - mean z||^2. The
first UMAP fit in a process compiles numba code: a warm-up fit on a few points runs first and is not counted.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from aelab.analysis.inverse import INVERSE_DEFAULTS, fit_inverse, invert, split, unexplained
from aelab.analysis.latent import encode_dataset
from aelab.analysis.maps import UMAP_DEFAULTS
from aelab.data.sources import load_dataset
from aelab.library.store import PRETRAINED_ROOT, load_model


def timed(compute):
    started = time.perf_counter()
    value = compute()
    return value, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["vae", "ae"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import umap

    dataset = load_dataset("mnist-5k")
    params = {"n_neighbors": 15, "min_dist": 0.1, "random_state": UMAP_DEFAULTS["seed"]}
    umap.UMAP(**params).fit(np.random.default_rng(0).random((200, 4)).astype(np.float32))  # numba's compile
    print("| model | method | held-out code error | fit s | query s (held-out points) |")
    print("|---|---|---|---|---|")
    for name in args.models:
        z = encode_dataset(load_model(PRETRAINED_ROOT / name).model, dataset.x_test[:1000]).numpy()
        compare(name, z, umap.UMAP(**params))


def compare(name: str, z: np.ndarray, reducer) -> None:
    """One model's three rows: umap-learn's inverse, the learned inverse, their ratios."""
    train, held = split(len(z), INVERSE_DEFAULTS["holdout"], INVERSE_DEFAULTS["seed"])
    _, t_umap = timed(lambda: reducer.fit(z[train]))
    coords = np.zeros((len(z), 2), np.float32)
    coords[train] = reducer.embedding_
    coords[held] = reducer.transform(z[held])
    z_umap, q_umap = timed(lambda: reducer.inverse_transform(coords[held]))
    # the learned inverse sees the same training points (holdout=0 here: the split is the one made above)
    fit, t_fit = timed(lambda: fit_inverse(coords[train], z[train], holdout=0.0))
    z_mlp, q_mlp = timed(lambda: invert(fit.inverse, coords[held]))
    e_umap, e_mlp = unexplained(z[held], z_umap), unexplained(z[held], z_mlp)
    n = len(held)
    print(f"| {name} | umap-learn inverse_transform | {e_umap:.3f} | {t_umap:.2f} (UMAP fit) | {q_umap:.3f} ({n}) |")
    print(f"| {name} | aelab learned inverse (MLP) | {e_mlp:.3f} | {t_fit:.2f} | {q_mlp:.4f} ({n}) |")
    print(f"| {name} | ratio aelab / umap-learn | {e_mlp / e_umap:.2f} | | {q_mlp / q_umap:.4f} |")


if __name__ == "__main__":
    main()
