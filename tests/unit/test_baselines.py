"""PCA and (soft) k-means behind the autoencoder interface, checked against scikit-learn and against each other."""
from __future__ import annotations

import pytest
import torch
from sklearn.decomposition import PCA as SklearnPCA

from aelab.models.autoencoder import create_model
from aelab.models.baselines import KMeans, SoftKMeans, kmeans_plus_plus
from aelab.models.variants import make_configs
from aelab.train.evaluation import evaluate

pytestmark = pytest.mark.usefixtures("single_thread")
K = 10


@pytest.fixture(scope="module")
def digits(mnist5k, single_thread):
    """1000 training digits to fit on and 300 test digits to encode."""
    return mnist5k.x_train[:1000], mnist5k.x_test[:300]


def _kmeans(name: str, **model) -> KMeans:
    model_config, _ = make_configs(name, model={"latent_dim": K, **model})
    return create_model(model_config)


def _fit(name, x, seed=3, **model):
    return _kmeans(name, **model).fit(x, seed=seed)


def test_kmeans_codes_are_one_hot_and_decode_to_a_centroid(digits):
    x_train, x_test = digits
    model = _fit("kmeans", x_train)
    q = model.encode(x_test)
    assert q.shape == (len(x_test), K)
    assert set(q.unique().tolist()) == {0.0, 1.0} and torch.equal(q.sum(1), torch.ones(len(x_test)))
    x_hat = model(x_test).x_hat
    assert torch.equal(x_hat.flatten(1), model.centroids[q.argmax(1)])
    # the assigned centroid is the nearest one
    distances = torch.cdist(x_test.flatten(1), model.centroids)
    assert torch.equal(q.argmax(1), distances.argmin(1))


def test_kmeans_converges_to_a_fixed_point_of_lloyds_algorithm(digits):
    x_train, _ = digits
    model = _fit("kmeans", x_train)
    q = model.encode(x_train)
    counts = q.sum(0)
    assert counts.min() > 0  # no empty cluster on real digits
    means = (q.T @ x_train.flatten(1)) / counts[:, None]
    assert torch.allclose(model.centroids, means, atol=1e-5)  # each centroid is the mean of its points


def test_kmeans_reconstructs_better_than_the_mean_image_and_pca_better_still(digits):
    x_train, x_test = digits
    mean_mse = (x_test - x_train.mean(0)).pow(2).mean().item()
    kmeans_mse = evaluate(_fit("kmeans", x_train), x_test)["mse"]
    pca_config, _ = make_configs("pca", model={"latent_dim": K})
    pca_mse = evaluate(create_model(pca_config).fit(x_train), x_test)["mse"]
    # measured on these digits: mean image 0.067, k-means (k=10) 0.052, PCA (10 components) 0.034
    assert kmeans_mse < 0.9 * mean_mse and pca_mse < 0.8 * kmeans_mse


def test_soft_kmeans_codes_are_responsibilities_that_sum_to_one(digits):
    x_train, x_test = digits
    model = _fit("soft_kmeans", x_train, temperature=5.0)
    q = model.encode(x_test)
    assert torch.all(q >= 0) and torch.allclose(q.sum(1), torch.ones(len(x_test)), atol=1e-5)
    assert q.max(1).values.min() < 0.5  # at temperature 5 some digits are shared between clusters (measured 0.23)
    assert torch.allclose(model(x_test).x_hat.flatten(1), q @ model.centroids, atol=1e-5)


def test_soft_kmeans_at_a_sharp_temperature_is_kmeans(digits):
    x_train, x_test = digits
    hard = _fit("kmeans", x_train, seed=3)
    sharp = _fit("soft_kmeans", x_train, seed=3, temperature=1e-4)
    # distances between a digit's nearest and next centroids differ by >> 1e-4 (pixel units squared)
    assert torch.allclose(sharp.centroids, hard.centroids, atol=1e-5)
    q_sharp, q_hard = sharp.encode(x_test), hard.encode(x_test)
    assert torch.allclose(q_sharp, q_hard, atol=1e-6)
    assert torch.allclose(q_sharp.max(1).values, torch.ones(len(x_test)), atol=1e-6)
    soft = _fit("soft_kmeans", x_train, seed=3, temperature=5.0)
    assert (soft.centroids - hard.centroids).abs().max() > 1e-3  # the temperature does matter


def test_kmeans_is_seeded(digits):
    x_train, _ = digits
    assert torch.equal(_fit("kmeans", x_train, seed=1).centroids, _fit("kmeans", x_train, seed=1).centroids)
    assert not torch.equal(_fit("kmeans", x_train, seed=1).centroids, _fit("kmeans", x_train, seed=2).centroids)


def test_kmeans_plus_plus_picks_distinct_data_points():
    flat = torch.tensor([[0.0, 0.0], [0.0, 0.1], [10.0, 10.0], [10.0, 10.1], [-10.0, 5.0]])
    centroids = kmeans_plus_plus(flat, 3, torch.Generator().manual_seed(0))
    rows = {tuple(c.tolist()) for c in centroids}
    assert len(rows) == 3 and rows <= {tuple(r.tolist()) for r in flat}
    # D^2 seeding spreads out: the three far-apart groups each get a seed
    assert len({(round(r[0]), round(r[1])) for r in rows}) == 3


def test_kmeans_needs_at_least_k_images():
    with pytest.raises(ValueError, match="k=10"):
        _kmeans("kmeans").fit(torch.rand(5, 1, 28, 28))


def test_pca_reproduces_sklearn(digits):
    x_train, x_test = digits
    d = 16
    model_config, _ = make_configs("pca", model={"latent_dim": d})
    model = create_model(model_config).fit(x_train)
    reference = SklearnPCA(d, svd_solver="full").fit(x_train.flatten(1).numpy())
    expected = reference.inverse_transform(reference.transform(x_test.flatten(1).numpy()))
    ours = model.decode(model.encode(x_test))
    assert ours.shape == x_test.shape
    assert torch.allclose(ours.flatten(1), torch.from_numpy(expected), atol=1e-4)
    assert torch.allclose(model.explained_variance, torch.from_numpy(reference.explained_variance_).float(),
                          rtol=1e-4)
    # same subspace, each component equal up to sign
    components = torch.from_numpy(reference.components_).float()
    assert torch.allclose((model.components * components).sum(1).abs(), torch.ones(d), atol=1e-3)
    assert torch.allclose(model.components @ model.components.T, torch.eye(d), atol=1e-5)


def test_pca_needs_at_least_latent_dim_images():
    model_config, _ = make_configs("pca", model={"latent_dim": 16})
    with pytest.raises(ValueError, match="16 components"):
        create_model(model_config).fit(torch.rand(8, 1, 28, 28))


def test_soft_kmeans_is_a_kmeans_subclass_with_the_same_state():
    assert issubclass(SoftKMeans, KMeans)
    model_config, _ = make_configs("soft_kmeans")
    assert set(create_model(model_config).state_dict()) == {"centroids"}
