"""Disentanglement scores: how well each code dimension captures one known factor (MIG, DCI, SAP).

Each follows google-research/disentanglement_lib (evaluation/metrics/mig.py, dci.py, sap_score.py, utils.py) and
its published study settings (config/unsupervised_study_v1/metric_configs: 10,000 training points, 5,000 test
points, 20 histogram bins, discrete factors for SAP). Arrays here are (N, D) codes and (N, F) integer factors, one
row per image (disentanglement_lib keeps them transposed). Scores are numpy floats in [0, 1].
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from aelab.errors import DataError

N_TRAIN, N_TEST, N_BINS = 10_000, 5_000, 20  # disentanglement_lib's unsupervised_study_v1 settings
SEED = 0

Progress = Callable[[float, str], None]


# ------------------------------------------------------------------------------------------------ MIG
def discretize(codes: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Each column cut into n_bins equal-width bins over its own range -> (N, D) int bin numbers.

    disentanglement_lib's _histogram_discretize: np.digitize against np.histogram's edges without the last one, so
    the largest value falls in the last bin rather than a bin of its own."""
    codes = np.asarray(codes, dtype=np.float64)
    binned = np.zeros(codes.shape, dtype=np.int64)
    for d in range(codes.shape[1]):
        edges = np.histogram(codes[:, d], n_bins)[1][:-1]
        binned[:, d] = np.digitize(codes[:, d], edges)
    return binned


def mutual_information(codes: np.ndarray, factors: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """I(z_d; v_f) in nats between each discretised code dimension and each factor -> (D, F), as
    disentanglement_lib's discrete_mutual_info (sklearn.metrics.mutual_info_score on the binned codes)."""
    from sklearn.metrics import mutual_info_score

    binned, factors = discretize(codes, n_bins), np.asarray(factors)
    return np.array([[mutual_info_score(factors[:, f], binned[:, d]) for f in range(factors.shape[1])]
                     for d in range(binned.shape[1])])


def factor_entropy(factors: np.ndarray) -> np.ndarray:
    """H(v_f) in nats for each factor column -> (F,) (disentanglement_lib's discrete_entropy)."""
    from sklearn.metrics import mutual_info_score

    factors = np.asarray(factors)
    return np.array([mutual_info_score(factors[:, f], factors[:, f]) for f in range(factors.shape[1])])


@dataclass(frozen=True)
class MIG:
    """score: the mutual information gap averaged over factors; per_factor: (F,) the gap of each factor;
    mutual_info: (D, F) in nats; entropy: (F,) H(v_f) in nats."""

    score: float
    per_factor: np.ndarray
    mutual_info: np.ndarray
    entropy: np.ndarray


def mig(codes: np.ndarray, factors: np.ndarray, n_bins: int = N_BINS) -> MIG:
    """Mutual Information Gap (Chen, Li, Grosse and Duvenaud 2018, "Isolating Sources of Disentanglement in VAEs"):
    for each factor, the mutual information of its best code dimension minus that of the second best, divided by the
    factor's entropy; averaged over factors. disentanglement_lib's _compute_mig on 10,000 points with 20 bins."""
    _check(codes, factors)
    if codes.shape[1] < 2:
        raise DataError("MIG compares the two most informative code dimensions: it needs at least 2.")
    info, entropy = mutual_information(codes, factors, n_bins), factor_entropy(factors)
    top = np.sort(info, axis=0)[::-1]
    per_factor = (top[0] - top[1]) / entropy
    return MIG(float(np.mean(per_factor)), per_factor, info, entropy)


# ------------------------------------------------------------------------------------------------ DCI
@dataclass(frozen=True)
class DCI:
    """disentanglement, completeness: from the (D, F) importance matrix; informativeness: the classifiers' mean test
    accuracy (informativeness_train: on their training points)."""

    disentanglement: float
    completeness: float
    informativeness: float
    informativeness_train: float
    importance: np.ndarray


def _one_minus_entropy(p: np.ndarray, axis: int) -> np.ndarray:
    """1 - H(p / sum p) along axis, with log base = that axis' length (scipy.stats.entropy(p + 1e-11, base=K), as in
    disentanglement_lib's disentanglement_per_code / completeness_per_factor)."""
    from scipy.stats import entropy

    return 1.0 - entropy(p + 1e-11, base=p.shape[axis], axis=axis)


def dci_from_importance(importance: np.ndarray) -> tuple[float, float]:
    """(disentanglement, completeness) of a (D, F) importance matrix (Eastwood and Williams 2018): each code's
    1 - entropy over factors weighted by its share of importance; each factor's 1 - entropy over codes likewise."""
    importance = np.abs(np.asarray(importance, dtype=np.float64))
    weights = importance if importance.sum() > 0 else np.ones_like(importance)
    per_code, per_factor = _one_minus_entropy(importance, 1), _one_minus_entropy(importance, 0)
    return (float(np.sum(per_code * weights.sum(axis=1) / weights.sum())),
            float(np.sum(per_factor * weights.sum(axis=0) / weights.sum())))


def dci(codes_train: np.ndarray, factors_train: np.ndarray, codes_test: np.ndarray, factors_test: np.ndarray,
        seed: int = SEED, on_factor: Callable[[int], None] | None = None) -> DCI:
    """Disentanglement, Completeness and Informativeness (Eastwood and Williams 2018, "A Framework for the
    Quantitative Evaluation of Disentangled Representations"), as disentanglement_lib's compute_importance_gbt: one
    scikit-learn GradientBoostingClassifier per factor with default settings (random_state fixed so a score is
    repeatable), importance = its feature_importances_. on_factor(f) is called after each factor's classifier."""
    from sklearn.ensemble import GradientBoostingClassifier

    _check(codes_train, factors_train)
    _check(codes_test, factors_test)
    n_factors = factors_train.shape[1]
    importance = np.zeros((codes_train.shape[1], n_factors))
    train_acc, test_acc = [], []
    for f in range(n_factors):
        model = GradientBoostingClassifier(random_state=seed).fit(codes_train, factors_train[:, f])
        importance[:, f] = np.abs(model.feature_importances_)
        train_acc.append(np.mean(model.predict(codes_train) == factors_train[:, f]))
        test_acc.append(np.mean(model.predict(codes_test) == factors_test[:, f]))
        if on_factor is not None:
            on_factor(f)
    d, c = dci_from_importance(importance)
    return DCI(d, c, float(np.mean(test_acc)), float(np.mean(train_acc)), importance)


# ------------------------------------------------------------------------------------------------ SAP
@dataclass(frozen=True)
class SAP:
    """score: the mean over factors of the gap between the two best dimensions' accuracies; matrix: (D, F)."""

    score: float
    matrix: np.ndarray


def sap(codes_train: np.ndarray, factors_train: np.ndarray, codes_test: np.ndarray, factors_test: np.ndarray,
        seed: int = SEED) -> SAP:
    """Separated Attribute Predictability (Kumar, Sattigeri and Balakrishnan 2018, "Variational Inference of
    Disentangled Latent Concepts from Unlabeled Observations", section 3) with discrete factors, as disentanglement_lib's
    compute_score_matrix(continuous_factors=False): for each code dimension alone and each factor, the test accuracy
    of LinearSVC(C=0.01, class_weight="balanced"); the score averages, over factors, the best minus the second best."""
    from sklearn.svm import LinearSVC

    _check(codes_train, factors_train)
    _check(codes_test, factors_test)
    matrix = np.zeros((codes_train.shape[1], factors_train.shape[1]))
    for d in range(codes_train.shape[1]):
        for f in range(factors_train.shape[1]):
            classifier = LinearSVC(C=0.01, class_weight="balanced", random_state=seed)
            classifier.fit(codes_train[:, d:d + 1], factors_train[:, f])
            matrix[d, f] = np.mean(classifier.predict(codes_test[:, d:d + 1]) == factors_test[:, f])
    top = np.sort(matrix, axis=0)
    return SAP(float(np.mean(top[-1] - top[-2])), matrix)


def _check(codes: np.ndarray, factors: np.ndarray) -> None:
    if codes.ndim != 2 or factors.ndim != 2 or len(codes) != len(factors) or len(codes) == 0:
        raise DataError(f"Codes (N, D) and factors (N, F) must have the same N > 0, got {codes.shape} and "
                        f"{factors.shape}.")


# ------------------------------------------------------------------------------------------------ a model
@dataclass
class FactorScores:
    """Everything measured on one model; seconds: the time each step took."""

    mig: MIG
    dci: DCI | None
    sap: SAP | None
    n_train: int
    n_test: int
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        """The headline numbers, JSON-ready: mig, dci [disentanglement, completeness, informativeness], sap."""
        out = {"mig": self.mig.score}
        if self.dci is not None:
            out["dci"] = [self.dci.disentanglement, self.dci.completeness, self.dci.informativeness]
        if self.sap is not None:
            out["sap"] = self.sap.score
        return out

    def to_json(self) -> dict:
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


def score_model(model, dataset, *, which: tuple[str, ...] = ("mig", "dci", "sap"), n_train: int = N_TRAIN,
                n_test: int = N_TEST, seed: int = SEED, on_progress: Progress | None = None,
                should_stop: Callable[[], bool] = lambda: False) -> FactorScores | None:
    """MIG (always) and, if asked, DCI and SAP of model's codes (the posterior mean for a VAE) on dataset's images,
    train and test splits pooled, n_train points (n_test more for DCI and SAP) drawn with seed. Returns None when
    should_stop() turned true. on_progress(fraction, text) follows the work (DCI's boosting is most of it)."""
    from aelab.analysis.latent import encode_dataset

    if dataset.factors is None:
        raise DataError(f"{dataset.name} has no known factors to score against (the shapes source has).")
    import torch

    report = on_progress or (lambda fraction, text: None)
    started = time.perf_counter()
    train_idx, test_idx = sample_points(len(dataset.x_train) + len(dataset.x_test), n_train, n_test, seed)
    supervised = [name for name in ("dci", "sap") if name in which]
    idx = np.concatenate([train_idx, test_idx]) if supervised else train_idx
    x = torch.cat([dataset.x_train, dataset.x_test])[torch.from_numpy(idx)]
    codes, factors = encode_dataset(model, x).numpy().astype(np.float64), dataset.factors.split("all")[idx]
    z_train, v_train, z_test, v_test = codes[:n_train], factors[:n_train], codes[n_train:], factors[n_train:]
    seconds = {"encode": time.perf_counter() - started}
    weights = {"mig": 1.0, "dci": 0.0, "sap": 0.0}  # shares of the bar: DCI's boosting takes ~90% of the time
    weights.update({name: share for name, share in (("dci", 18.0), ("sap", 1.5)) if name in supervised})
    total, done = sum(weights.values()), 0.0
    report(0.0, "MIG: mutual information of each dimension with each factor")
    clock = time.perf_counter()
    mig_result = mig(z_train, v_train)
    seconds["mig"], done = time.perf_counter() - clock, weights["mig"]
    dci_result = sap_result = None
    if "dci" in supervised and not should_stop():
        report(done / total, "DCI: gradient boosting, one factor at a time")
        sizes = np.array(dataset.factors.sizes, dtype=float)
        share = sizes / sizes.sum() * weights["dci"]  # boosting fits one tree per class per stage
        clock = time.perf_counter()
        dci_result = dci(z_train, v_train, z_test, v_test, seed,
                         on_factor=lambda f: report((done + share[:f + 1].sum()) / total,
                                                    f"DCI: {dataset.factors.names[f]} done"))
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


def best_factor(mutual_info: np.ndarray, entropy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each code dimension, the factor it tells most about and how much, as a share of that factor's entropy:
    (D,) factor indices and (D,) values in [0, 1]."""
    normalised = np.asarray(mutual_info) / np.asarray(entropy)[None, :]
    best = normalised.argmax(axis=1)
    return best, normalised[np.arange(len(best)), best]
