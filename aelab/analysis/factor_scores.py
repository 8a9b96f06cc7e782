"""A model scored against known factors: MIG, DCI and SAP of its codes on a dataset that has them (the shapes
source), the scores shipped beside the pretrained models, and one more point of the beta sweep trained on demand.

The metrics themselves are in aelab.analysis.disentanglement; this module picks the points, encodes them, times each
metric and reports progress, so a page can run it as a background job and the CLI can print it.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from aelab.analysis.disentanglement import DCI, MIG, N_BINS, N_TEST, N_TRAIN, SAP, SEED, dci, mig, sap
from aelab.errors import DataError

SCORES_FILE = "factor_scores.json"  # in a shipped model's cache/ folder (see ARTEFACT_BUILDERS)
BETA_POINT_EPOCHS = 20  # as the shipped shapes models: a few minutes on one core
BETA_POINT_LATENT = 10

Progress = Callable[[float, str], None]


@dataclass
class FactorScores:
    """Everything measured on one model; seconds: the time each step took."""

    mig: MIG
    dci: DCI | None
    sap: SAP | None
    n_train: int
    n_test: int
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The headline numbers, JSON-ready: mig, dci [disentanglement, completeness, informativeness], sap."""
        out: dict[str, Any] = {"mig": self.mig.score}
        if self.dci is not None:
            out["dci"] = [self.dci.disentanglement, self.dci.completeness, self.dci.informativeness]
        if self.sap is not None:
            out["sap"] = self.sap.score
        return out

    def to_json(self) -> dict[str, Any]:
        """summary() plus the matrices and the settings (what a shipped model keeps in cache/factor_scores.json)."""
        out = {**self.summary(), "n_train": self.n_train, "n_test": self.n_test, "n_bins": N_BINS,
               "mig_per_factor": self.mig.per_factor.tolist(), "mutual_info": self.mig.mutual_info.tolist(),
               "entropy": self.mig.entropy.tolist(), "seconds": self.seconds}
        if self.dci is not None:
            out.update(dci_importance=self.dci.importance.tolist(),
                       dci_informativeness_train=self.dci.informativeness_train)
        if self.sap is not None:
            out["sap_matrix"] = self.sap.matrix.tolist()
        return out


def sample_points(n_images: int, n_train: int = N_TRAIN, n_test: int = N_TEST,
                  seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint indices (train, test) drawn by numpy.random.default_rng(seed) from n_images, without repeats.

    disentanglement_lib draws fresh samples from the factor grid; a finite dataset gives distinct images instead."""
    if n_train + n_test > n_images:
        raise DataError(f"The scores need {n_train:,} + {n_test:,} images; this dataset has {n_images:,}.")
    order = np.random.default_rng(seed).permutation(n_images)
    return order[:n_train], order[n_train:n_train + n_test]


def codes_and_factors(model, dataset, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The codes (the posterior mean for a VAE) and factors of dataset's images at indices, counted over the train
    split then the test split: (N, latent_dim) float64 and (N, F) int64."""
    import torch

    from aelab.analysis.latent import encode_dataset

    if dataset.factors is None:
        raise DataError(f"{dataset.name} has no known factors to score against (the shapes source has).")
    x = torch.cat([dataset.x_train, dataset.x_test])[torch.from_numpy(np.asarray(indices))]
    return encode_dataset(model, x).numpy().astype(np.float64), dataset.factors.split("all")[indices]


def score_model(model, dataset, *, which: tuple[str, ...] = ("mig", "dci", "sap"), n_train: int = N_TRAIN,
                n_test: int = N_TEST, seed: int = SEED, on_progress: Progress | None = None,
                should_stop: Callable[[], bool] = lambda: False, n_jobs: int | None = None) -> FactorScores | None:
    """MIG (always) and, if in which, DCI and SAP of model's codes on dataset's images, train and test splits pooled:
    n_train points (and n_test more for DCI and SAP) drawn with seed. None when should_stop() turned true.
    on_progress(fraction, text) follows the work; DCI's gradient boosting is most of it, its factors fitted in
    n_jobs processes (aelab.analysis.disentanglement.dci: default one per core)."""
    if dataset.factors is None:
        raise DataError(f"{dataset.name} has no known factors to score against (the shapes source has).")
    report = on_progress or (lambda fraction, text: None)
    supervised = [name for name in ("dci", "sap") if name in which]
    train_idx, test_idx = sample_points(len(dataset.x_train) + len(dataset.x_test), n_train,
                                        n_test if supervised else 0, seed)
    clock = time.perf_counter()
    codes, factors = codes_and_factors(model, dataset, np.concatenate([train_idx, test_idx]))
    z_train, v_train, z_test, v_test = codes[:n_train], factors[:n_train], codes[n_train:], factors[n_train:]
    seconds = {"encode": time.perf_counter() - clock}
    # Shares of the progress bar, measured: boosting takes ~90% of the time, in proportion to the number of classes.
    weights = {"mig": 1.0, "dci": 18.0 if "dci" in supervised else 0.0, "sap": 1.5 if "sap" in supervised else 0.0}
    total = sum(weights.values())
    report(0.0, "MIG: mutual information of each dimension with each factor")
    clock = time.perf_counter()
    mig_result, dci_result, sap_result = mig(z_train, v_train), None, None
    seconds["mig"], done = time.perf_counter() - clock, weights["mig"]
    if "dci" in supervised and not should_stop():
        report(done / total, "DCI: gradient boosting, one classifier per factor")
        sizes = np.array(dataset.factors.sizes, dtype=float)
        share = sizes / sizes.sum() * weights["dci"]
        names = dataset.factors.names
        clock = time.perf_counter()
        dci_result = dci(z_train, v_train, z_test, v_test, seed, n_jobs=n_jobs,
                         on_factor=lambda f: report((done + share[:f + 1].sum()) / total, f"DCI: {names[f]} done"))
        seconds["dci"], done = time.perf_counter() - clock, done + weights["dci"]
    if "sap" in supervised and not should_stop():
        report(done / total, "SAP: a linear classifier per dimension and factor")
        clock = time.perf_counter()
        sap_result = sap(z_train, v_train, z_test, v_test, seed)
        seconds["sap"] = time.perf_counter() - clock
    if should_stop():
        return None
    report(1.0, "done")
    return FactorScores(mig_result, dci_result, sap_result, n_train, n_test, seconds)


# ------------------------------------------------------------------------------------------------ shipped results
def factor_scores_artefact(model, dataset) -> dict[str, bytes]:
    """An ARTEFACT_BUILDERS entry: {SCORES_FILE: JSON of score_model's to_json()} for a dataset with factors, so the
    Factors page shows a shipped model's MIG, DCI and SAP without minutes of boosting; {} for any other dataset."""
    if dataset.factors is None:
        return {}
    scores = score_model(as_shipped(model), dataset)
    return {SCORES_FILE: json.dumps({"dataset": dataset.name, **scores.to_json()}, indent=1).encode()}


def as_shipped(model):
    """A copy of model with its weights rounded to float16 as the shipped files keep them: the scores saved beside a
    model are then what the loaded model scores (the Factors page recomputes MIG and shows both), to the last digits
    that floating point on another CPU moves (tests/unit/test_factor_models.py measured them)."""
    import copy

    import torch

    shipped = copy.deepcopy(model)
    with torch.no_grad():
        for tensor in shipped.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(tensor.to(torch.float16))
    return shipped


def saved_scores(model_path: str | Path) -> dict[str, Any] | None:
    """A model folder's shipped scores (SCORES_FILE), or None when it has none or it is unreadable."""
    from aelab.errors import ModelStoreError
    from aelab.library.store import read_artefact

    try:
        saved = read_artefact(model_path, SCORES_FILE)
    except ModelStoreError:
        return None
    return saved if isinstance(saved, dict) and "mig" in saved else None


def shipped_results(dataset_name: str, root: str | Path | None = None) -> list[dict[str, Any]]:
    """One row per shipped model trained on dataset_name that has shipped scores, sorted by beta then seed: name,
    variant, beta (0 for a deterministic model), seed, mse (test), and the saved scores."""
    from aelab.errors import ModelStoreError
    from aelab.library.store import read_config
    from aelab.resources import pretrained_root

    rows = []
    folder = Path(root) if root is not None else pretrained_root()
    for path in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("_")):
        scores = saved_scores(path)
        try:
            config = read_config(path) if scores else None
        except ModelStoreError:
            config = None
        if config is None or config.get("dataset") != dataset_name:
            continue
        variational = bool(config["model"].get("variational"))
        rows.append({"name": path.name, "variant": config["variant"],
                     "beta": float(config["train"]["beta"]) if variational else 0.0,
                     "seed": int(config["train"]["seed"]), "mse": float(config["metrics"].get("mse", np.nan)),
                     **scores})
    return sorted(rows, key=lambda row: (row["beta"], row["seed"], row["name"]))


def train_beta_point(dataset, beta: float, seed: int = 0, epochs: int = BETA_POINT_EPOCHS,
                     on_progress: Progress | None = None,
                     should_stop: Callable[[], bool] = lambda: False) -> dict[str, Any] | None:
    """One more point of the beta sweep: a beta-VAE like the shipped ones (latent 10, MLP) trained on dataset's
    train split with this beta and seed, then its test MSE and MIG. A row like shipped_results' (with "model", the
    trained model), or None when stopped. Training is ~95% of the time."""
    from aelab.models.autoencoder import create_model
    from aelab.models.variants import make_configs
    from aelab.train.evaluation import evaluate
    from aelab.train.trainer import fit

    report = on_progress or (lambda fraction, text: None)
    model_config, train_config = make_configs("beta_vae", dataset.image_size, {"latent_dim": BETA_POINT_LATENT},
                                              {"beta": beta, "seed": seed, "epochs": epochs, "device": "cpu"})
    model = create_model(model_config, seed)

    def on_step(progress) -> None:
        if progress.event == "epoch":
            report(0.95 * progress.fraction, f"training beta = {beta:g}: epoch {progress.epoch}/{progress.epochs}")

    result = fit(model, dataset.x_train, train_config, should_stop=should_stop, on_progress=on_step)
    if result.cancelled or should_stop():
        return None
    report(0.95, "measuring MIG")
    scores = score_model(model, dataset, which=("mig",), should_stop=should_stop)
    if scores is None:
        return None
    report(1.0, "done")
    return {"name": f"beta-vae-{beta:g}-seed{seed}", "variant": "beta_vae", "beta": float(beta), "seed": int(seed),
            "mse": evaluate(model, dataset.x_test)["mse"], **scores.to_json(), "model": model}
