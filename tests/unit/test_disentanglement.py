"""aelab.analysis.disentanglement: MIG, DCI and SAP on synthetic codes whose answers are known.

Codes equal to the factors (plus small noise) are disentangled; codes that mix every factor into every dimension with
equal weight (a Hadamard matrix) are not. Small inputs keep the boosting quick; the study's defaults are checked apart.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

from aelab.analysis import disentanglement as dis
from aelab.analysis import factor_scores
from aelab.errors import DataError

SIZES = (2, 3, 4, 3)  # four factors with few values each: gradient boosting fits one tree per class per stage
HADAMARD = np.array([[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]]) / 2


def _factors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, size, n) for size in SIZES], axis=1)


def _codes(factors: np.ndarray, mixing: np.ndarray | None, seed: int = 1) -> np.ndarray:
    """Factors scaled to [-0.5, 0.5], optionally mixed, plus noise of std 0.01."""
    x = factors / (np.array(SIZES) - 1) - 0.5
    x = x if mixing is None else x @ mixing
    return x + np.random.default_rng(seed).normal(0, 0.01, x.shape)


@pytest.fixture(scope="module")
def cases(single_thread):
    """{name: (codes, factors)} for 600 points: the first 400 train DCI's and SAP's classifiers, the rest test them."""
    factors = _factors(600)
    return {"factors": (_codes(factors, None), factors), "mixed": (_codes(factors, HADAMARD), factors)}


@pytest.fixture(scope="module")
def dci_scores(cases):
    return {name: dis.dci(z[:400], v[:400], z[400:], v[400:]) for name, (z, v) in cases.items()}


def test_the_reference_settings_are_the_defaults():
    assert (dis.N_TRAIN, dis.N_TEST, dis.N_BINS) == (10_000, 5_000, 20)
    defaults = {name: p.default for name, p in inspect.signature(factor_scores.score_model).parameters.items()}
    assert defaults["n_train"] == 10_000 and defaults["n_test"] == 5_000
    assert inspect.signature(dis.mig).parameters["n_bins"].default == 20


def test_discretize_cuts_equal_width_bins_and_keeps_the_maximum_in_the_last():
    binned = dis.discretize(np.arange(21.0)[:, None], 20)
    assert binned[0, 0] == 1 and binned[-1, 0] == 20 and len(np.unique(binned)) == 20
    assert (dis.discretize(np.full((5, 1), 3.0)) == dis.discretize(np.full((5, 1), 3.0))[0]).all()  # constant: 1 bin


def test_mutual_information_of_a_copy_is_the_entropy():
    factors = _factors(500)
    info = dis.mutual_information(factors.astype(float), factors)
    entropy = dis.factor_entropy(factors)
    assert np.allclose(np.diag(info), entropy) and np.allclose(entropy, np.log(SIZES), atol=0.05)


def test_codes_equal_to_the_factors_score_high(cases, dci_scores):
    z, v = cases["factors"]
    assert dis.mig(z, v).score >= 0.8
    assert dci_scores["factors"].disentanglement >= 0.8 and dci_scores["factors"].completeness >= 0.8
    assert dci_scores["factors"].informativeness >= 0.95


def test_codes_mixing_every_factor_into_every_dimension_score_low(cases, dci_scores):
    z, v = cases["mixed"]
    assert dis.mig(z, v).score <= 0.2
    assert dci_scores["mixed"].disentanglement <= 0.2 and dci_scores["mixed"].completeness <= 0.2
    # Mixed is not lost: the boosted trees still read every factor from the four dimensions together.
    assert dci_scores["mixed"].informativeness >= 0.7


def test_sap_separates_the_two_cases(cases):
    scores = {name: dis.sap(z[:400], v[:400], z[400:], v[400:]) for name, (z, v) in cases.items()}
    assert scores["mixed"].score <= 0.1 < 0.2 <= scores["factors"].score
    assert scores["factors"].matrix.shape == (4, 4)


def test_permuting_the_dimensions_changes_no_score(cases, dci_scores):
    order = [2, 0, 3, 1]
    for name, (z, v) in cases.items():
        assert dis.mig(z[:, order], v).score == pytest.approx(dis.mig(z, v).score, abs=1e-12)
        zp = z[:, order]
        assert dis.sap(zp[:400], v[:400], zp[400:], v[400:]).score == pytest.approx(
            dis.sap(z[:400], v[:400], z[400:], v[400:]).score, abs=1e-12)
        permuted = dis.dci(zp[:400], v[:400], zp[400:], v[400:])
        # The trees break ties between equally good splits by feature order, so the importances may move a little.
        assert permuted.disentanglement == pytest.approx(dci_scores[name].disentanglement, abs=0.03)
        assert np.allclose(permuted.importance, dci_scores[name].importance[order], atol=0.05)


def test_dci_from_importance_matches_its_formula():
    assert dis.dci_from_importance(np.eye(4)) == pytest.approx((1.0, 1.0), abs=1e-6)
    assert dis.dci_from_importance(np.ones((4, 4))) == pytest.approx((0.0, 0.0), abs=1e-6)
    one_code_for_all = np.zeros((4, 4))
    one_code_for_all[0] = 1
    assert dis.dci_from_importance(one_code_for_all) == pytest.approx((0.0, 1.0), abs=1e-6)
    assert dis.dci_from_importance(np.zeros((3, 3))) == pytest.approx((0.0, 0.0), abs=1e-6)


def test_best_factor_names_each_dimensions_factor():
    info = np.array([[0.1, 0.9], [0.6, 0.0]])
    best, share = dis.best_factor(info, np.array([0.6, 1.8]))
    assert best.tolist() == [1, 0] and share == pytest.approx([0.5, 1.0])


def test_bad_input_is_one_clear_error():
    with pytest.raises(DataError, match="same N"):
        dis.mig(np.zeros((5, 2)), np.zeros((4, 1), dtype=int))
    with pytest.raises(DataError, match="at least 2"):
        dis.mig(np.zeros((5, 1)), np.zeros((5, 1), dtype=int))
    with pytest.raises(DataError, match="15,000|10,000"):
        factor_scores.sample_points(12_000)


def test_a_dataset_without_factors_is_refused(mnist5k):
    with pytest.raises(DataError, match="no known factors"):
        factor_scores.score_model(object(), mnist5k)


def test_dci_fitted_in_parallel_equals_dci_fitted_one_factor_at_a_time(cases, dci_scores):
    """The same seeded classifiers, in worker processes of this machine: the same numbers (compared to 1e-12, not
    bit for bit: a worker's floating point is this machine's, but the rule costs nothing here)."""
    z, v = cases["factors"]
    seen = []
    parallel = dis.dci(z[:400], v[:400], z[400:], v[400:], n_jobs=2, on_factor=seen.append)
    alone = dis.dci(z[:400], v[:400], z[400:], v[400:], n_jobs=1)
    assert seen == [0, 1, 2, 3]  # progress in factor order, as the classifiers come back
    assert np.allclose(parallel.importance, alone.importance, rtol=0, atol=1e-12)
    for field in ("disentanglement", "completeness", "informativeness", "informativeness_train"):
        assert getattr(parallel, field) == pytest.approx(getattr(alone, field), abs=1e-12), field
