"""The Lessons page's logic (aelab.lessons.basics, bottleneck, copying): each classic fact checked with a threshold.

Thresholds were measured on mnist-5k (one thread): the pretrained linear_ae's principal angles to PCA are
0.5-1.5 degrees for 14 of 16 and 4.5 and 10.4 degrees for the last two (their variances, 0.848 and 0.826, nearly
tie with the 17th's); an untrained one's are 74-89 degrees.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from aelab.data.sources import load_dataset
from aelab.lessons import basics as lessons
from aelab.lessons import bottleneck, copying
from aelab.library.store import PRETRAINED_ROOT, load_model
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs
from aelab.train.evaluation import evaluate
from aelab.train.losses import contractive_penalty


@pytest.fixture(scope="module")
def pca16(mnist5k):
    return lessons.fit_pca(mnist5k.x_train, 16)


# ------------------------------------------------------------------------------------------ PCA = linear AE
def test_principal_angles_near_zero_for_the_pretrained_linear_ae_and_large_for_a_random_one(pca16):
    trained = load_model(PRETRAINED_ROOT / "linear_ae").model
    angles = lessons.subspace_angles(trained, pca16).numpy()
    assert angles.shape == (16,) and np.all(np.diff(angles) >= 0)
    assert np.median(angles) < 1.5 and (angles < 2.0).sum() >= 14 and angles.max() < 15, angles

    untrained = create_model(make_configs("linear_ae")[0], seed=3)
    random_angles = lessons.subspace_angles(untrained, pca16).numpy()
    assert random_angles.min() > 60, random_angles


def test_the_shipped_digits_linear_ae_spans_the_digits_pca_subspace():
    """digits-linear_ae (8x8 digits, d = 16, 600 epochs). Measured: angles 0.2-2.8 degrees, test MSE 0.01042 against
    PCA's 0.01040."""
    digits = load_dataset("digits")
    pca = lessons.fit_pca(digits.x_train, 16)
    trained = load_model(PRETRAINED_ROOT / "digits-linear_ae").model
    angles = lessons.subspace_angles(trained, pca).numpy()
    assert angles.shape == (16,) and angles.max() < 5, angles
    assert evaluate(trained, digits.x_test)["mse"] < 1.02 * evaluate(pca, digits.x_test)["mse"]


def test_decoder_columns_of_pca_untied_and_tied_linear_aes(pca16):
    assert torch.equal(lessons.decoder_columns(pca16), pca16.components.T)
    untied = create_model(make_configs("linear_ae", model={"latent_dim": 5})[0])
    assert torch.equal(lessons.decoder_columns(untied), untied.decoder[0].weight)
    tied = create_model(make_configs("linear_ae", model={"latent_dim": 5, "tied_weights": True})[0])
    assert torch.equal(lessons.decoder_columns(tied), tied.encoder[1].weight.T)
    assert lessons.decoder_columns(tied).shape == (784, 5)
    with pytest.raises(ValueError, match="linear"):
        lessons.decoder_columns(create_model(make_configs("ae")[0]))


def test_training_a_linear_ae_records_falling_angles(mnist5k, pca16, single_thread):
    pca4 = lessons.fit_pca(mnist5k.x_train, 4)
    seen = []
    model, history = lessons.train_linear_ae(mnist5k.x_train, 4, pca4,
                                             train_changes={**lessons.LINEAR_AE_TRAIN, "epochs": 30},
                                             on_progress=lambda f, text: seen.append(f))
    assert len(history) == 31 and history[0].shape == (4,)  # epoch 0 (the random start) + 30 epochs
    maxima = [h.max() for h in history]
    assert maxima[0] > 60 and maxima[-1] < 10 and np.median(history[-1]) < 5, (history[0], history[-1])
    assert maxima[10] < maxima[0] and maxima[-1] < maxima[10]
    assert seen[-1] == pytest.approx(1.0) and not model.training


def test_match_columns_finds_a_permuted_signed_basis_and_not_a_rotated_one(pca16):
    components = pca16.components[:4]  # (4, 784) orthonormal rows
    permuted = (components[[2, 0, 3, 1]] * torch.tensor([1.0, -2.0, 0.5, -1.0])[:, None]).T
    alignment = lessons.match_columns(permuted, components)
    assert np.allclose(alignment.abs_cos, 1, atol=1e-5) and list(alignment.matched) == [1, 3, 0, 2]
    rotation = torch.linalg.qr(torch.randn(4, 4, generator=torch.Generator().manual_seed(0)))[0]
    mixed = (rotation @ components).T  # the same subspace, another basis
    assert lessons.match_columns(mixed, components).abs_cos.mean() < 0.9


def test_predicted_singular_values_are_a_stationary_point_of_the_tied_objective():
    """Gradient of E||x - W^T W x||^2 + (lam/2)||W||^2 at W = Lambda V^T is zero, for a random covariance."""
    generator = torch.Generator().manual_seed(0)
    basis = torch.linalg.qr(torch.randn(10, 10, generator=generator, dtype=torch.float64))[0]
    variances = torch.tensor([5.0, 3.0, 2.0, 1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01], dtype=torch.float64)
    covariance = basis @ torch.diag(variances) @ basis.T
    lam, d = 1.2, 3
    scales = lessons.predicted_singular_values(variances[:d], lam).double()
    w = (torch.diag(scales) @ basis[:, :d].T).requires_grad_(True)
    residual = torch.eye(10, dtype=torch.float64) - w.T @ w
    loss = torch.trace(residual @ covariance @ residual.T) + lam / 2 * (w * w).sum()
    (grad,) = torch.autograd.grad(loss, w)
    assert grad.abs().max() < 1e-6
    assert lessons.predicted_singular_values(torch.tensor([1.0, 0.1]), 1.0)[1] == 0  # e < lam / 4: dropped


def test_tied_weights_with_weight_decay_recover_the_components_and_without_do_not(mnist5k, single_thread):
    pca8 = lessons.fit_pca(mnist5k.x_train, 8)
    decay = lessons.tied_weight_decay(pca8.explained_variance)
    epochs = lessons.epochs_for_steps(lessons.TIED_DECAY_STEPS, len(mnist5k.x_train), 500)
    changes = {**lessons.TIED_DECAY_TRAIN, "epochs": epochs}
    decayed, _ = lessons.train_linear_ae(mnist5k.x_train, 8, None, tied=True,
                                         train_changes={**changes, "weight_decay": decay})
    plain, _ = lessons.train_linear_ae(mnist5k.x_train, 8, None, tied=True, train_changes=changes)
    with_decay = lessons.svd_directions(lessons.decoder_columns(decayed), pca8.components)
    without = lessons.svd_directions(lessons.decoder_columns(plain), pca8.components)
    assert with_decay.abs_cos.mean() > 0.9 and with_decay.abs_cos.min() > 0.75, with_decay.abs_cos
    assert without.abs_cos.mean() < 0.6, without.abs_cos
    predicted = lessons.predicted_singular_values(pca8.explained_variance, decay).numpy()
    assert np.abs(with_decay.singular_values - predicted).max() < 0.03
    # the raw rows of W stay mixed: weight decay cannot see the rotation
    assert lessons.match_columns(lessons.decoder_columns(decayed), pca8.components).abs_cos.mean() < 0.9


def test_epochs_for_steps():
    assert lessons.epochs_for_steps(1920, 4000, 128) == 60
    assert lessons.epochs_for_steps(10, 60_000, 128) == 1
    assert lessons.epochs_for_steps(640, 1437, 500) == 213


# ------------------------------------------------------------------------------------------ k-means = AE
def test_kmeans_codes_are_one_hot_and_soft_codes_sum_to_one(mnist5k):
    lesson = lessons.cluster_lesson(mnist5k.x_train[:2000], mnist5k.x_test[:300], k=10, temperature=5.0)
    hard, soft = lesson.kmeans.encode(mnist5k.x_test[:300]), lesson.soft.encode(mnist5k.x_test[:300])
    assert hard.shape == soft.shape == (300, 10)
    assert torch.all((hard == 0) | (hard == 1)) and torch.all(hard.sum(1) == 1)
    assert torch.allclose(soft.sum(1), torch.ones(300), atol=1e-5) and torch.all(soft >= 0)
    assert (soft.max(1).values < 0.99).float().mean() > 0.2  # genuinely soft for many images at T = 5
    # the decoder is the centroid table: q P is the nearest centroid
    nearest = lesson.kmeans.centroids[hard.argmax(1)]
    assert torch.allclose(lesson.kmeans.decode(hard).flatten(1), nearest)
    assert set(lesson.test_mse) == {"k-means", "soft k-means", "PCA"}
    assert lesson.test_mse["PCA"] < lesson.test_mse["k-means"]  # k real numbers carry more than one of k names


def test_cluster_lesson_skips_pca_when_k_exceeds_the_pixels(mnist5k):
    tiny = torch.nn.functional.avg_pool2d(mnist5k.x_train[:300], 7)  # (300, 1, 4, 4): 16 pixels
    lesson = lessons.cluster_lesson(tiny, tiny[:50], k=32, temperature=1.0)
    assert lesson.pca is None and "PCA" not in lesson.test_mse


# ------------------------------------------------------------------------------------------ first layer
def test_first_layer_tiles_for_each_kind_of_model(pca16):
    mlp = create_model(make_configs("ae")[0])
    conv = create_model(make_configs("conv_ae")[0])
    assert lessons.first_layer(mlp)[0].shape == (256, 28, 28)
    assert lessons.first_layer(conv)[0].shape == (32, 3, 3) and "kernels" in lessons.first_layer(conv)[1]
    assert lessons.first_layer(pca16)[0].shape == (16, 28, 28)
    wide = create_model(make_configs("ae", model={"hidden": (), "latent_dim": 7})[0])  # no hidden layer
    assert lessons.first_layer(wide)[0].shape == (7, 28, 28)
    tiles = lessons.first_layer(mlp)[0]
    order = lessons.strongest_tiles(tiles, 5)
    norms = tiles.flatten(1).norm(dim=1)
    assert torch.equal(norms[order], norms.sort(descending=True).values[:5])


def test_tile_grid_colours_sign_and_normalises_each_tile():
    tiles = torch.zeros(3, 2, 2)
    tiles[0, 0, 0], tiles[0, 1, 1] = 5.0, -5.0
    tiles[1, 0, 0] = 0.001  # tiny weights still reach full colour: each tile is scaled on its own
    picture = lessons.tile_grid(tiles, ncol=3, scale=1, padding=1)
    assert picture.shape == (4, 10, 3) and picture.dtype == np.uint8
    assert tuple(picture[1, 1]) == (230, 97, 1) and tuple(picture[2, 2]) == (33, 102, 172)
    assert tuple(picture[1, 2]) == (247, 247, 247)  # zero is white
    assert tuple(picture[1, 4]) == (230, 97, 1)
    grey = lessons.tile_grid(tiles, ncol=3, scale=2, diverging=False)
    assert grey.shape == (8, 20, 3) and grey[2, 2, 0] == 255 and grey[4, 4, 0] == 0


# ------------------------------------------------------------------------------------------ bottleneck sweep
def test_sweep_error_falls_monotonically_with_code_size_for_pca(mnist5k, single_thread):
    result = bottleneck.bottleneck_sweep(mnist5k, methods=bottleneck.SWEEP_METHODS[:1])
    errors = result.test_mse["pca"]
    assert result.sizes == list(bottleneck.SIZES)
    assert all(b < a for a, b in zip(errors, errors[1:])), errors
    assert errors[0] > 0.05 and errors[-1] < 0.01  # 2 numbers lose most of a digit, 128 almost nothing
    assert result.reconstructions["pca"].shape == (7, bottleneck.N_EXAMPLES, 28, 28)
    assert result.examples.dtype == np.uint8
    assert sorted(mnist5k.y_test[result.example_indices].tolist()) == list(range(bottleneck.N_EXAMPLES))


def test_sweep_trains_autoencoders_saves_loads_and_stops(mnist5k, tmp_path, single_thread):
    quick = (bottleneck.SweepMethod("pca", "PCA", "pca"), bottleneck.SweepMethod("mlp_ae", "MLP AE", "ae", steps=30))
    seen = []
    result = bottleneck.bottleneck_sweep(mnist5k, sizes=(2, 8), methods=quick, on_progress=lambda f, t: seen.append(f))
    assert set(result.test_mse) == {"pca", "mlp_ae"} and result.budget["mlp_ae"]["epochs"] == 1
    assert seen == sorted(seen) and seen[-1] == 1.0
    bottleneck.save_sweep(result, tmp_path)
    loaded = bottleneck.load_sweep("mnist-5k", tmp_path)
    assert loaded.test_mse == result.test_mse and loaded.sizes == [2, 8]
    assert np.array_equal(loaded.reconstructions["mlp_ae"], result.reconstructions["mlp_ae"])
    assert bottleneck.load_sweep("digits", tmp_path) is None
    json_path, _ = bottleneck.sweep_paths("mnist-5k", tmp_path)
    json_path.write_text("{not json")
    assert bottleneck.load_sweep("mnist-5k", tmp_path) is None
    assert bottleneck.bottleneck_sweep(mnist5k, sizes=(2,), methods=quick, should_stop=lambda: True) is None


def test_sweep_sizes_stop_below_the_number_of_pixels():
    assert bottleneck.sweep_sizes((8, 8)) == [2, 4, 8, 16, 32]
    assert bottleneck.sweep_sizes((28, 28)) == list(bottleneck.SIZES)


@pytest.mark.parametrize("dataset, sizes", [("mnist-5k", [2, 4, 8, 16, 32, 64, 128]), ("digits", [2, 4, 8, 16, 32])])
def test_shipped_sweep_is_there_and_consistent(dataset, sizes):
    """Both bundled sources ship their sweep. PCA's error falls with every added component, the linear AE ends within
    15% of PCA at every size (Baldi & Hornik, under a short training budget), and at the smallest code the MLP AE
    beats PCA: it can bend its 2-D code into a curved surface (digits: 0.031 against 0.053, mnist-5k: 0.042 / 0.056)."""
    result = bottleneck.load_sweep(dataset)
    assert result is not None, "run `python -m aelab build-lessons`"
    assert set(result.test_mse) == {"pca", "linear_ae", "mlp_ae", "conv_ae"} and result.sizes == sizes
    assert all(len(v) == len(result.sizes) for v in result.test_mse.values())
    pca, linear = result.test_mse["pca"], result.test_mse["linear_ae"]
    assert all(b < a for a, b in zip(pca, pca[1:]))
    # test error: a hair either way
    assert all(0.98 * p <= lin <= 1.15 * p for p, lin in zip(pca, linear)), (pca, linear)
    assert result.test_mse["mlp_ae"][0] < 0.8 * pca[0]
    json_path, _ = bottleneck.sweep_paths(dataset)
    assert json.loads(json_path.read_text())["made_by"] == "python -m aelab build-lessons"


# ------------------------------------------------------------------------------------------ under/over-complete
def test_contractive_penalty_of_a_tied_linear_encoder_is_the_squared_norm_of_w(small_images):
    model = create_model(make_configs("linear_ae", model={"latent_dim": 6, "tied_weights": True})[0])
    weight = model.encoder[1].weight
    assert contractive_penalty(model.encode, small_images[:4]).item() == pytest.approx(weight.pow(2).sum().item(),
                                                                                       rel=1e-5)


def test_noise_images_fill_only_the_digit_area(mnist5k):
    area = copying.digit_area(mnist5k.x_train)
    assert area.shape == (28, 28) and 400 < area.sum() < 700 and not area[0].any()  # the top row is always black
    noise = copying.noise_images(area, 5, seed=1)
    assert noise.shape == (5, 1, 28, 28) and torch.all(noise[:, 0, ~area] == 0)
    assert noise.min() >= 0 and noise.max() <= 1 and noise[:, 0, area].mean() == pytest.approx(0.5, abs=0.02)
    assert torch.equal(noise, copying.noise_images(area, 5, seed=1))


@pytest.mark.parametrize("dataset, size, at_most, digits_below", [("mnist-5k", (28, 28), 0.4, 0.04),
                                                                  ("digits", (8, 8), 0.6, 0.05)])
def test_the_over_complete_ae_copies_noise_and_the_regularised_ones_do_not(dataset, size, at_most, digits_below):
    """The shipped demo models, 192 training steps each. Measured at build time, noise MSE of the plain over-complete
    AE against denoising / contractive / under-complete: mnist-5k 0.020 vs 0.111 / 0.112 / 0.115, digits in the 8x8
    set 0.028 vs 0.065 / 0.096 / 0.100 (fewer pixels: a weaker effect, so a looser threshold); test digits are
    reconstructed with MSE 0.001-0.029 (mnist-5k) and 0.006-0.037 (digits) by all four."""
    data = load_dataset(dataset)
    models = copying.load_copy_models(dataset, size)
    assert models is not None, "run `python -m aelab build-lessons`"
    noise = copying.noise_images(copying.digit_area(data.x_train), 200, seed=0)
    scores = copying.copy_scores(models, data.x_test[:200], noise)
    over = scores["over-complete"]["noise"]
    assert over < at_most * scores["denoising"]["noise"] and over < at_most * scores["contractive"]["noise"], scores
    assert over < 0.5 * scores["under-complete"]["noise"], scores
    assert all(s["digits"] < digits_below for s in scores.values()), scores
    other = (8, 8) if size == (28, 28) else (28, 28)
    assert copying.load_copy_models(dataset, other) is None  # they do not fit images of another size


def test_truncated_pca_equals_a_pca_fitted_with_fewer_components(mnist5k, pca16):
    direct = lessons.fit_pca(mnist5k.x_train, 5)
    truncated = lessons.truncate_pca(pca16, 5)
    assert truncated.latent_dim == 5
    assert torch.allclose(truncated.components, direct.components, atol=1e-6)
    assert torch.allclose(truncated.decode(truncated.encode(mnist5k.x_test[:10])),
                          direct.decode(direct.encode(mnist5k.x_test[:10])), atol=1e-5)


def test_copy_models_are_saved_and_loaded_per_dataset(tmp_path, small_images):
    models = {spec.name: create_model(copying.copy_model_configs(spec, (28, 28), 4000)[0])
              for spec in copying.COPY_MODELS}
    copying.save_copy_models(models, "my data:1", 4000, tmp_path)
    assert (tmp_path / "my_data_1" / "copy-over-complete" / "config.json").is_file()
    loaded = copying.load_copy_models("my data:1", (28, 28), tmp_path)
    assert set(loaded) == set(models)
    with torch.no_grad():  # float16 weights on disk: close, not identical
        assert torch.allclose(loaded["denoising"](small_images).x_hat, models["denoising"](small_images).x_hat,
                              atol=2e-3)
    assert copying.load_copy_models("other", (28, 28), tmp_path) is None
