"""A small PCA for maps of codes (numpy only): scikit-learn's PCA results without importing scikit-learn.

Importing scikit-learn (and the SciPy it pulls in) costs ~1.5 s of a page's first visit; a map of at most a few
thousand codes of at most a few hundred dimensions needs one SVD. The result is scikit-learn's `PCA(n_components)`
(solver "full" or "covariance_eigh", the same subspace): centred data, components from the SVD, each component's sign
flipped so that its largest-magnitude loading is positive (sklearn.utils.extmath.svd_flip, u_based_decision=False,
what PCA uses since scikit-learn 1.5). tests/unit/test_pca.py checks it against scikit-learn.
"""
from __future__ import annotations

import numpy as np


class PCA:
    """PCA(n_components).fit(x) with sklearn's fitted attributes: components_ (k, d), mean_ (d,), n_components_,
    explained_variance_ (k,), explained_variance_ratio_ (k,); transform(x) -> (n, k)."""

    def __init__(self, n_components: int = 2):
        self.n_components = n_components

    def fit(self, x: np.ndarray) -> PCA:
        x = np.asarray(x, dtype=np.float64)  # float64 SVD: float32 codes would lose the small components' digits
        self.mean_ = x.mean(axis=0)
        _, s, vt = np.linalg.svd(x - self.mean_, full_matrices=False)
        signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
        signs[signs == 0] = 1.0
        vt *= signs[:, None]
        k = min(self.n_components, *x.shape)
        variance = s**2 / max(x.shape[0] - 1, 1)
        self.n_components_ = k
        self.components_ = vt[:k]
        self.explained_variance_ = variance[:k]
        self.explained_variance_ratio_ = variance[:k] / (variance.sum() or 1.0)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.mean_) @ self.components_.T

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        return self.fit(x).transform(x)
