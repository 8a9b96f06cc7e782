"""Disentanglement scores: how well each code dimension captures one known factor (MIG, DCI, SAP).

Each follows google-research/disentanglement_lib (evaluation/metrics/mig.py, dci.py, sap_score.py, utils.py) and
its published study settings (config/unsupervised_study_v1/metric_configs: 10,000 training points, 5,000 test
points, 20 histogram bins, discrete factors for SAP). Arrays here are (N, D) codes and (N, F) integer factors, one
row per image (disentanglement_lib keeps them transposed). Scores are numpy floats in [0, 1].
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from aelab.errors import DataError

N_TRAIN, N_TEST, N_BINS = 10_000, 5_000, 20  # disentanglement_lib's unsupervised_study_v1 settings
SEED = 0


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


def _boost_one_factor(make_classifier, codes_train: np.ndarray, labels_train: np.ndarray, codes_test: np.ndarray,
                      labels_test: np.ndarray) -> tuple[np.ndarray, float, float]:
    """One factor's classifier: (its |feature_importances_| (D,), train accuracy, test accuracy)."""
    model = make_classifier().fit(codes_train, labels_train)
    return (np.abs(model.feature_importances_), float(np.mean(model.predict(codes_train) == labels_train)),
            float(np.mean(model.predict(codes_test) == labels_test)))


def dci(codes_train: np.ndarray, factors_train: np.ndarray, codes_test: np.ndarray, factors_test: np.ndarray,
        seed: int = SEED, on_factor: Callable[[int], None] | None = None, n_jobs: int | None = None) -> DCI:
    """Disentanglement, Completeness and Informativeness (Eastwood and Williams 2018, "A Framework for the
    Quantitative Evaluation of Disentangled Representations"), as disentanglement_lib's compute_importance_gbt: one
    scikit-learn GradientBoostingClassifier per factor with default settings (random_state fixed so a score is
    repeatable), importance = its feature_importances_. on_factor(f) is called after each factor's classifier.

    The factors' classifiers are independent, so they are fitted in parallel, n_jobs processes (default: one per
    core, at most one per factor; 1: here, one after another). Each is seeded alike wherever it runs: the scores do
    not depend on n_jobs. A fit is one core's work for minutes (boosting is sequential inside one classifier)."""
    import sklearn.ensemble
    from joblib import Parallel, delayed

    _check(codes_train, factors_train)
    _check(codes_test, factors_test)
    n_factors = factors_train.shape[1]
    n_jobs = max(1, min(n_factors, n_jobs or os.cpu_count() or 1))
    # looked up when called and sent to the workers, so one that stands in for it (a test's) is the one they use
    make = functools.partial(sklearn.ensemble.GradientBoostingClassifier, random_state=seed)
    tasks = (delayed(_boost_one_factor)(make, codes_train, factors_train[:, f], codes_test, factors_test[:, f])
             for f in range(n_factors))
    importance, train_acc, test_acc = np.zeros((codes_train.shape[1], n_factors)), [], []
    for f, (weights, train, test) in enumerate(Parallel(n_jobs=n_jobs, return_as="generator")(tasks)):
        importance[:, f] = weights
        train_acc.append(train)
        test_acc.append(test)
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
    Disentangled Latent Concepts from Unlabeled Observations", section 3) with discrete factors, as
    disentanglement_lib's compute_score_matrix(continuous_factors=False): for each code dimension alone and each
    factor, the test accuracy of LinearSVC(C=0.01, class_weight="balanced"); the score averages, over factors, the
    best minus the second best."""
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


def best_factor(mutual_info: np.ndarray, entropy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each code dimension, the factor it tells most about and how much, as a share of that factor's entropy:
    (D,) factor indices and (D,) values in [0, 1]."""
    normalised = np.asarray(mutual_info) / np.asarray(entropy)[None, :]
    best = normalised.argmax(axis=1)
    return best, normalised[np.arange(len(best)), best]
