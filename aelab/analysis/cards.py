"""What Home's cards show, one small array per page, computed from a model and a dataset, and the file that keeps
them beside the model so that Home draws them without torch.

Why a file: Home opens first and must open fast, and importing torch is ~1.5 s before a model is even loaded. So the
arrays are computed once per (data, weights) and kept in the model folder's cache/cards.npz: `python -m aelab
build-pretrained` writes them for each shipped model, on the data it was trained on; the app writes them for a
library model when Home first computes them. The file records the data's identity and the SHA-256 of the weights
file (what the model's config.json records and the model listing checks), so it is read and checked without torch,
and a file left from other weights, other data or an older VERSION of these pictures is never used.

The arrays, named after their card (a second array of a card is named card_what; images uint8 (N, H, W), 0-255;
the app lays them out and colours the map):
  latent, latent_labels  (500, 2) float32 PCA of the first 500 test codes, and their labels (500,) int64
  traverse     (2 * 7, H, W)  the first test digit's two most used dimensions, each swept (centre: its own code)
  interpolate  (2 * 7, H, W)  pixel blend (top row) and decoded linear path (bottom) between two test digits
  restore      (2 * 6, H, W)  six test digits with a box over them (top), filled in by the model (bottom)
  anomalies    (2 * 6, H, W)  the six test images the model rebuilds best (top) and worst (bottom)
  lessons      (h, w, 3)      the 16 strongest first-layer units, blue negative, orange positive, + lessons_scale,
                              how much to enlarge them
  generate     (8, H, W)      a VAE's prior samples (variational models)
  superres     (3, H, W)      a test digit at half size, the model's upscaling, the original (models trained on lowres)
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from aelab.errors import ModelStoreError

CARDS_FILE = "cards.npz"
VERSION = 1  # bump when a picture's computation changes: files of another version are ignored
WEIGHTS_ONLY = ("lessons", "generate")  # kinds that depend on the weights alone, whatever the data
STEPS, MAP_POINTS, SHOWN, SAMPLES = 7, 500, 6, 8


def kinds_for(model_config, train_config) -> tuple[str, ...]:
    """The cards a model has: every model the page cards; a VAE its prior samples; a super-resolver its upscaling."""
    kinds = ["latent", "traverse", "interpolate", "restore", "anomalies", "lessons"]
    if model_config.variational:
        kinds.append("generate")
    if train_config is not None and train_config.noise == "lowres":
        kinds.append("superres")
    return tuple(kinds)


def card_arrays(model, dataset, kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays of kinds (see the module's docstring) for model on dataset's test split."""
    arrays: dict[str, np.ndarray] = {}
    for kind in kinds:
        arrays.update(_COMPUTE[kind](model, dataset.x_test, dataset.y_test))
    return arrays


def _images(x) -> np.ndarray:
    from aelab.analysis.images import to_uint8

    return to_uint8(x[:, 0])


def _latent(model, x_test, y_test) -> dict[str, np.ndarray]:
    from aelab.analysis.latent import encode_dataset, project_2d

    z = encode_dataset(model, x_test[:MAP_POINTS])
    return {"latent": project_2d(z, "pca").coords.astype(np.float32),
            "latent_labels": y_test[:len(z)].numpy().astype(np.int64)}


def _traverse(model, x_test, y_test) -> dict[str, np.ndarray]:
    from aelab.analysis.latent import decode, dimension_importance, encode_dataset, importance_order, kl_per_dimension
    from aelab.analysis.paths import dimension_ranges, traversal_grid, widen_to_include

    codes = encode_dataset(model, x_test[:1000])
    order = importance_order(dimension_importance(codes, kl_per_dimension(model, x_test[:1000])))
    low, high = widen_to_include(*dimension_ranges(codes, "std", 3.0), codes[0])
    rows = traversal_grid(codes[0], order[:2], low, high, STEPS, centre_on_code=True)
    return {"traverse": _images(decode(model, rows))}


def _interpolate(model, x_test, y_test) -> dict[str, np.ndarray]:
    import torch

    from aelab.analysis.latent import decode, encode_dataset
    from aelab.analysis.paths import interpolate, pixel_blend

    differs = torch.nonzero(y_test != y_test[0]).flatten()
    other = int(differs[0]) if len(differs) else min(1, len(x_test) - 1)
    x_a, x_b = x_test[0:1], x_test[other:other + 1]
    z_a, z_b = encode_dataset(model, torch.cat([x_a, x_b]))
    return {"interpolate": _images(torch.cat([pixel_blend(x_a, x_b, STEPS),
                                               decode(model, interpolate(z_a, z_b, STEPS))]))}


def _restore(model, x_test, y_test) -> dict[str, np.ndarray]:
    import torch

    from aelab.analysis.latent import reconstruct
    from aelab.data.corruption import apply_corruption, strength_range

    x = x_test[:SHOWN]
    x_corrupt, mask = apply_corruption("box", x, strength_range("box", tuple(x.shape[-2:])).default,
                                       torch.Generator().manual_seed(0))
    return {"restore": _images(torch.cat([x_corrupt, torch.where(mask, reconstruct(model, x_corrupt), x_corrupt)]))}


def _anomalies(model, x_test, y_test) -> dict[str, np.ndarray]:
    import torch

    from aelab.analysis.anomaly import least_and_most_typical
    from aelab.analysis.latent import reconstruction_errors

    least, most = least_and_most_typical(reconstruction_errors(model, x_test), SHOWN)
    return {"anomalies": _images(torch.cat([x_test[torch.as_tensor(least.copy())],
                                             x_test[torch.as_tensor(most.copy())]]))}


def _lessons(model, x_test, y_test) -> dict[str, np.ndarray]:
    from aelab.lessons.basics import first_layer, strongest_tiles, tile_grid

    tiles, _ = first_layer(model)
    return {"lessons": tile_grid(tiles[strongest_tiles(tiles, 16)], ncol=8, scale=1, diverging=True),
            "lessons_scale": np.int64(max(1, 84 // max(tiles.shape[1:])))}  # small kernels (3x3) enlarged more


def _generate(model, x_test, y_test) -> dict[str, np.ndarray]:
    from aelab.analysis.generation import vae_prior_samples

    return {"generate": _images(vae_prior_samples(model, SAMPLES, 1.0, seed=0).images)}


def _superres(model, x_test, y_test) -> dict[str, np.ndarray]:
    import torch

    from aelab.analysis.superres import superres_outputs
    from aelab.lessons.applications import SUPERRES_FACTOR

    outputs = superres_outputs(model, x_test[:1], SUPERRES_FACTOR)
    return {"superres": _images(torch.cat([outputs["low-res"], outputs["autoencoder"], x_test[:1]]))}


_COMPUTE = {"latent": _latent, "traverse": _traverse, "interpolate": _interpolate, "restore": _restore,
            "anomalies": _anomalies, "lessons": _lessons, "generate": _generate, "superres": _superres}


# ------------------------------------------------------------------------------------------------------ the file
def cards_bytes(arrays: dict[str, np.ndarray], data_identity: str, weights_sha256: str) -> bytes:
    """The cards.npz of arrays computed on the data data_identity names, by the weights file of that SHA-256."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays, version=np.int64(VERSION), data_identity=np.str_(data_identity),
                        weights_sha256=np.str_(weights_sha256))
    return buffer.getvalue()


def read_cards(model_path: str | Path, data_identity: str, weights_sha256: str) -> dict[str, np.ndarray]:
    """The arrays a model folder keeps for this data and these weights ({} when none match: absent, unreadable,
    stale, or of another VERSION). The WEIGHTS_ONLY kinds come back for any data. No torch."""
    from aelab.library.store import read_artefact

    try:
        saved = read_artefact(model_path, CARDS_FILE)
    except ModelStoreError:
        return {}
    if not saved or saved.get("version") != VERSION or saved.get("weights_sha256") != weights_sha256:
        return {}
    meta = ("version", "data_identity", "weights_sha256")
    same_data = saved.get("data_identity") == data_identity
    return {k: v for k, v in saved.items() if k not in meta and (same_data or k.split("_")[0] in WEIGHTS_ONLY)}


def write_cards(model_path: str | Path, arrays: dict[str, np.ndarray], data_identity: str,
                weights_sha256: str) -> None:
    """Keep arrays, computed on that data by the weights file of that SHA-256, in the model folder's cache/cards.npz
    (the weights it was computed from are named by the caller: the folder may hold newer ones by now)."""
    from aelab.library.store import write_artefact

    write_artefact(model_path, CARDS_FILE, cards_bytes(arrays, data_identity, weights_sha256))
