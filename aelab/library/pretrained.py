"""The shipped models: what they are and the one function that rebuilds them all, deterministically.

`python -m aelab build-pretrained` trains each entry on its dataset's train split (mnist-5k, or sklearn's 8x8 digits for
the digits-* models, so both bundled sources work offline) with its seed, evaluates it on the test split and writes
pretrained/<name>/. Weights are stored as float16 to keep the whole set at a few MB. Pages may add
artefacts for a model (precomputed projections, sweeps) through ARTEFACT_BUILDERS, so the first visit is instant.
Home's card arrays (aelab.analysis.cards, the artefact "cards") are written after the model is saved, from the model
as the app loads it, and keyed by the saved weights file.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from aelab.analysis.cards import CARDS_FILE, card_arrays, kinds_for, write_cards
from aelab.analysis.factor_scores import factor_scores_artefact
from aelab.analysis.maps import umap_artefact
from aelab.library.store import CACHE_DIR, PRETRAINED_ROOT, load_model, read_config, save_model
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs
from aelab.train.evaluation import evaluate
from aelab.train.trainer import Trainer

DATASET = "mnist-5k"
MAX_HISTORY = 400  # epochs kept in a shipped history.json: a 4000-epoch run's full history would be ~0.9 MB


def thin_history(history: list[dict], limit: int = MAX_HISTORY) -> list[dict]:
    """At most about limit evenly spaced epochs of history, the last one always kept (short histories unchanged)."""
    if len(history) <= limit:
        return history
    step = math.ceil(len(history) / limit)
    return history[::step] + ([history[-1]] if (len(history) - 1) % step else [])


@dataclass(frozen=True)
class PretrainedSpec:
    name: str
    variant: str
    model: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    dataset: str = DATASET
    threads: int = 2  # torch threads while training: part of what makes the weights reproducible
    n_train: int | None = None  # train on the first n_train images of the train split only (memorisation)


# name, variant, train changes, seed
SHAPES_MODELS = [
    ("shapes-ae", "ae", {}, 0),
    ("shapes-vae", "vae", {"beta": 1.0}, 0),
    ("shapes-beta-vae-4", "beta_vae", {"beta": 4.0}, 0),
    ("shapes-beta-vae-16", "beta_vae", {"beta": 16.0}, 0),
    ("shapes-beta-vae-16-seed1", "beta_vae", {"beta": 16.0}, 1),
]

PRETRAINED: list[PretrainedSpec] = [
    # More epochs than the Train page's defaults: 4000 images are few, and a teacher's reference models should be
    # converged (the 20-epoch MLP AE is still worse than PCA; at 100 epochs its test MSE is ~40% lower).
    PretrainedSpec("ae", "ae", train={"epochs": 100}),
    PretrainedSpec("ae-2d", "ae", model={"latent_dim": 2}, train={"epochs": 100}),
    PretrainedSpec("vae", "vae", train={"epochs": 100}),
    PretrainedSpec("vae-2d", "vae", model={"latent_dim": 2}, train={"epochs": 100}),
    PretrainedSpec("conv_ae", "conv_ae", train={"epochs": 30}),
    PretrainedSpec("denoising_ae", "denoising_ae", train={"epochs": 100}),
    # The same model trained on Gaussian noise (sigma 0.3) instead of dropped pixels: side by side on the Restore page,
    # each denoiser wins on the corruption it was trained on, which is the lesson.
    PretrainedSpec("denoising_gaussian", "denoising_ae",
                   train={"epochs": 100, "noise": "gaussian", "noise_level": 0.3}),
    # And trained on all five kinds at once (aelab.data.corruption.mixed): the generalist beside the two specialists.
    PretrainedSpec("denoising_mixed", "denoising_ae", train={"epochs": 100, "noise": "mixed", "noise_level": 1.0}),
    PretrainedSpec("linear_ae", "linear_ae"),
    # The discrete and the conditional variants (their own sections of the Generate page), a few hundred KB each.
    PretrainedSpec("vq_vae", "vq_vae", train={"epochs": 100}),
    PretrainedSpec("cvae", "cvae", train={"epochs": 100}),
    PretrainedSpec("pca", "pca"),
    # The other bundled source, sklearn's 1438 + 359 digits of 8x8 pixels: without these, every page asks a class that
    # picks "digits" to train first. 8 numbers for 64 pixels; 8x8 epochs are ~20x cheaper than 28x28 ones.
    PretrainedSpec("digits-ae", "ae", model={"latent_dim": 8}, train={"epochs": 300}, dataset="digits"),
    PretrainedSpec("digits-vae", "vae", model={"latent_dim": 8}, train={"epochs": 300}, dataset="digits"),
    # For the Lessons page's "PCA is a linear autoencoder" at its default code size, 16. 600 epochs (7,200 steps): at
    # 200 the last principal angles were still 6, 13 and 41 degrees; at 600 all are under 3 (measured).
    PretrainedSpec("digits-linear_ae", "linear_ae", model={"latent_dim": 16}, train={"epochs": 600}, dataset="digits"),
    # The Factors page's beta sweep on the shapes source (16,000 images with known factors): a plain AE, a VAE and
    # beta-VAEs, code size 10, and a second seed of the strongest beta to show the spread between seeds (Locatello et
    # al. 2019). One thread each and 20 epochs: a few minutes apiece on a shared 2-core machine.
    *[PretrainedSpec(name, variant, model={"latent_dim": 10}, train={"epochs": 20, "seed": seed, **train},
                     dataset="shapes", threads=1)
      for name, variant, train, seed in SHAPES_MODELS],
    # The Applications page (aelab.lessons.applications). Compression: codes of 32 and 64 numbers beside ae's 16, so
    # quantised codes reach JPEG's range of bytes; one hidden layer of 128 (measured on mnist-5k at 100 epochs: the
    # 256-128 net overfits at code size 64, 19.7 dB against 21.4 dB on the test split), ~430 KB each.
    # One thread each, like the shapes models: small nets on a shared machine train faster without a second thread.
    *[PretrainedSpec(f"compress-ae-{d}", "ae", model={"latent_dim": d, "hidden": (128,)}, train={"epochs": 100},
                     threads=1) for d in (32, 64)],
    # Super-resolution: the denoising machinery trained on the lowres corruption (14x14 -> 28x28); a wide code, since
    # the bottleneck, not the input, limits how much detail comes back.
    PretrainedSpec("superres-ae", "denoising_ae", model={"latent_dim": 128, "hidden": (256,)},
                   train={"epochs": 100, "noise": "lowres", "noise_level": 2}, threads=1),
    # Watermark removal: trained on semi-transparent stamps at random places, never told where they are.
    PretrainedSpec("watermark-ae", "denoising_ae", model={"latent_dim": 32, "hidden": (128,)},
                   train={"epochs": 100, "noise": "watermark", "noise_level": 0.6}, threads=1),
    # Memorisation: a deep MLP with a 1-D code on 32 images only (aelab.lessons.memorisation); one batch per epoch,
    # so 4000 epochs are 4000 steps (at 1500 the train/test MSE ratio was still 0.22, measured).
    PretrainedSpec("memorise-1d", "ae", model={"latent_dim": 1, "hidden": (256, 128, 64)},
                   train={"epochs": 4000, "batch_size": 32, "recon_loss": "mse"}, n_train=32, threads=1),
]

# name -> function(record_model, dataset) -> {file name: bytes}; filled in by the modules that own the artefacts.
ARTEFACT_BUILDERS: dict[str, Callable[[Any, Any], dict[str, bytes]]] = {}
# The Latent Space page's default UMAP of the test split, so a user's first UMAP is a file read (~25 s otherwise).
ARTEFACT_BUILDERS["umap_test"] = umap_artefact
# The Factors page's MIG, DCI and SAP of models trained on a source with known factors (a few minutes: DCI boosts).
ARTEFACT_BUILDERS["factor_scores"] = factor_scores_artefact
CARDS = "cards"  # Home's card arrays: not an ARTEFACT_BUILDERS entry, since they are keyed by the saved weights file


def write_card_arrays(path: Path, dataset) -> list[str]:
    """Home's card arrays of the model saved at path, on dataset, computed from the model as the app loads it (the
    float16 weights back as float32), kept in its cache/. None for a conditional model: its pictures depend on the
    class the sidebar picks, so Home computes them. Returns the files written."""
    weights = str(read_config(path)["weights_sha256"])  # load_model checks the file against it
    record = load_model(path)
    if record.model_config.n_classes:
        return []
    arrays = card_arrays(record.model, dataset, kinds_for(record.model_config, record.train_config))
    write_cards(path, arrays, dataset.identity, weights)
    return [CARDS_FILE]


def build_one(spec: PretrainedSpec, dataset, out: Path, on_progress=None) -> dict[str, Any]:
    torch.set_num_threads(spec.threads)
    model_config, train_config = make_configs(spec.variant, dataset.image_size, spec.model,
                                              {"device": "cpu", **spec.train})
    model = create_model(model_config, train_config.seed)
    x_train, x_val, y_train, y_val = dataset.x_train, dataset.x_test, dataset.y_train, dataset.y_test
    if spec.n_train is not None:  # thousands of one-batch epochs: validating on 1000 images each would dominate
        x_train, x_val, y_train, y_val = x_train[:spec.n_train], x_val[:256], y_train[:spec.n_train], y_val[:256]
    trainer = Trainer(model, x_train, train_config, x_val, y_train=y_train, y_val=y_val)
    if on_progress is not None:
        trainer.add_progress_callback(on_progress)
    started = time.perf_counter()
    trainer.run()
    seconds = time.perf_counter() - started
    metrics = evaluate(model, dataset.x_test, y=dataset.y_test)
    extra: dict[str, bytes] = {}
    for builder in ARTEFACT_BUILDERS.values():
        extra.update(builder(model, dataset))
    path = save_model(model, spec.name, variant=spec.variant, train_config=train_config, dataset=dataset.name,
                      metrics=metrics, history=thin_history(trainer.history), root=out, overwrite=True,
                      extra_files=extra, weights_dtype=torch.float16)
    write_card_arrays(path, dataset)
    return {"name": spec.name, "variant": spec.variant, "latent_dim": model_config.latent_dim,
            "epochs": train_config.epochs, "train_seconds": seconds, **metrics}


def build_all(out: str | Path = PRETRAINED_ROOT, names: list[str] | None = None, on_model=None,
              on_progress_factory=None) -> list[dict[str, Any]]:
    """Rebuild the pretrained models (all, or those named). Threads are pinned so the float arithmetic, and so the
    weights, are the same on every run of this machine's torch build."""
    from aelab.data.sources import load_dataset

    torch.set_num_threads(2)
    specs = [s for s in PRETRAINED if names is None or s.name in names]
    unknown = set(names or []) - {s.name for s in PRETRAINED}
    if unknown:
        from aelab.errors import ConfigError

        raise ConfigError(f"Unknown pretrained model(s) {', '.join(sorted(unknown))}; valid: "
                          f"{', '.join(s.name for s in PRETRAINED)}.")
    datasets = {name: load_dataset(name) for name in {spec.dataset for spec in specs}}  # each loaded once
    rows = []
    for spec in specs:
        on_progress = on_progress_factory(spec) if on_progress_factory else None
        rows.append(build_one(spec, datasets[spec.dataset], Path(out), on_progress))
        if on_model:
            on_model(rows[-1])
    return rows


def rebuild_artefacts(out: str | Path = PRETRAINED_ROOT, names: list[str] | None = None,
                      on_model=None, builders: list[str] | None = None) -> list[dict[str, Any]]:
    """Rewrite existing pretrained model folders with fresh ARTEFACT_BUILDERS output (all, or the builders named),
    without retraining; the cache/ files of the builders not run are kept as they are. The builder "cards" (Home's
    card arrays) is run after the model is saved again, or alone without saving it again.

    The weights are unchanged bit for bit: they were saved as float16, load as float32 (exact) and are saved as
    float16 again (exact), so the recorded checksum is the same; config (metrics, train config) and history are kept."""
    from aelab.data.sources import load_dataset
    from aelab.errors import ConfigError, ModelStoreError

    torch.set_num_threads(2)
    specs = {s.name: s for s in PRETRAINED if names is None or s.name in names}
    unknown = set(names or []) - {s.name for s in PRETRAINED}
    if unknown:
        raise ConfigError(f"Unknown pretrained model(s) {', '.join(sorted(unknown))}; valid: "
                          f"{', '.join(s.name for s in PRETRAINED)}.")
    valid = [*ARTEFACT_BUILDERS, CARDS]
    if set(builders or []) - set(valid):
        raise ConfigError(f"Unknown artefact(s) {', '.join(sorted(set(builders) - set(valid)))}; valid: "
                          f"{', '.join(valid)}.")
    datasets = {name: load_dataset(name) for name in {spec.dataset for spec in specs.values()}}  # each loaded once
    rows = []
    for name, spec in specs.items():
        if not (Path(out) / name).is_dir():
            raise ModelStoreError(f"{Path(out) / name} does not exist: build it first (without --artefacts-only).")
        record = load_model(Path(out) / name)
        started = time.perf_counter()
        cache = Path(out) / name / CACHE_DIR
        extra: dict[str, bytes] = {f.name: f.read_bytes() for f in sorted(cache.glob("*"))} if builders else {}
        saved_again = [key for key in ARTEFACT_BUILDERS if builders is None or key in builders]
        for key in saved_again:
            extra.update(ARTEFACT_BUILDERS[key](record.model, datasets[spec.dataset]))
        if saved_again:
            save_model(record.model, name, variant=record.variant, train_config=record.train_config,
                       dataset=record.dataset, metrics=record.metrics, history=record.history, root=out,
                       overwrite=True, extra_files=extra, weights_dtype=torch.float16)
        files = sorted(extra) if saved_again else []
        if builders is None or CARDS in builders:
            files = sorted({*files, *write_card_arrays(Path(out) / name, datasets[spec.dataset])})
        rows.append({"name": name, "files": files, "seconds": time.perf_counter() - started})
        if on_model:
            on_model(rows[-1])
    return rows
