"""aelab.analysis.pca.PCA gives scikit-learn's PCA: the same components (signs included), mean, variances and
projected coordinates, for float32 codes like the maps' and for a one-component fit."""
import numpy as np
import pytest
from sklearn.decomposition import PCA as SklearnPCA

from aelab.analysis.latent import project_2d
from aelab.analysis.pca import PCA


@pytest.mark.parametrize("shape,k", [((300, 16), 2), ((50, 3), 2), ((40, 1), 1), ((200, 64), 2)])
def test_matches_scikit_learn(shape, k):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=shape) * np.linspace(3, 0.5, shape[1]) + 2).astype(np.float32)
    ours, reference = PCA(k).fit(x), SklearnPCA(k).fit(x)
    assert ours.n_components_ == reference.n_components_
    np.testing.assert_allclose(ours.components_, reference.components_, atol=1e-4)
    np.testing.assert_allclose(ours.mean_, reference.mean_, atol=1e-5)
    np.testing.assert_allclose(ours.explained_variance_, reference.explained_variance_, rtol=1e-4)
    np.testing.assert_allclose(ours.explained_variance_ratio_, reference.explained_variance_ratio_, rtol=1e-4)
    np.testing.assert_allclose(ours.transform(x[:7]), reference.transform(x[:7]), atol=1e-3)


def test_project_2d_pca_is_scikit_learns_map():
    z = np.random.default_rng(1).normal(size=(120, 8)).astype(np.float32)
    projection = project_2d(z, "pca")
    np.testing.assert_allclose(projection.coords, SklearnPCA(2).fit_transform(z), atol=1e-4)
    assert projection.coords.dtype == np.float32
