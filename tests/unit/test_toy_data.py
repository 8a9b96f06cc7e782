"""Toy data for the Playground: seeded, standardised without bending shapes, not an image source; drawn data refused
with one clear message; vector configs valid alone and images unchanged; points corrupted apart from images."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from aelab.data.point_noise import corrupt_points
from aelab.data.sources import list_sources
from aelab.data.toy import TOY_SETS, from_drawing, make_toy, nearest_distance
from aelab.errors import ConfigError, DataError
from aelab.models.autoencoder import create_model
from aelab.models.config import ModelConfig, from_dict, to_dict
from aelab.models.variants import TOY_VARIANTS, VARIANTS, make_toy_configs


@pytest.mark.parametrize("name", list(TOY_SETS))
def test_every_set_is_seeded_standardised_and_lies_near_its_clean_manifold(name):
    data = make_toy(name, n=500, seed=3)
    again, other = make_toy(name, n=500, seed=3), make_toy(name, n=500, seed=4)
    assert np.array_equal(data.points, again.points) and not np.array_equal(data.points, other.points)
    assert data.points.shape == (500, TOY_SETS[name].dim) and data.points.dtype == np.float32
    assert np.allclose(data.points.mean(0), 0, atol=1e-5)
    assert (data.points ** 2).sum(1).mean() / data.dim == pytest.approx(1.0, rel=1e-4)  # one scale, all axes
    if data.has_manifold:
        assert data.tangents.shape == (len(data.clean), data.dim, TOY_SETS[name].manifold_dim)
        distance = data.distance_to_clean(data.points)
        assert distance.mean() < 1.5 * data.noise * np.sqrt(data.dim)  # the noise, not a mismatched curve
        spacing = 0.02 if TOY_SETS[name].manifold_dim == 1 else 0.04
        assert data.distance_to_clean(data.clean_points).max() < spacing  # the dense sampling is dense


def test_standardising_keeps_a_circle_round():
    data = make_toy("circle", n=2000, noise=0.0, seed=0)
    centre = -data.offset / data.scale  # the raw circle's centre, (0, 0), standardised
    radius = np.linalg.norm(data.points - centre, axis=1)
    assert radius.std() < 1e-5 * radius.mean() and radius.mean() == pytest.approx(1 / data.scale, rel=1e-5)


def test_toy_sets_are_not_image_sources():
    names = {source.name for source in list_sources()}
    assert not names & (set(TOY_SETS) | {"drawn"})


def test_nearest_distance_matches_brute_force():
    rng = np.random.default_rng(0)
    x, ref = rng.normal(size=(300, 3)), rng.normal(size=(1000, 3))
    brute = np.sqrt(((x[:, None] - ref[None]) ** 2).sum(-1)).min(1)
    assert np.allclose(nearest_distance(x, ref), brute)


@pytest.mark.parametrize("clicks, message", [
    ([(0.0, 0.0)] * 3, "at least 10 points"),
    ([(0.5, 0.5)] * 12, "one spot"),
    ([(float("nan"), 0.0)] * 12, "not numbers"),
    ([], "at least 10 points"),
])
def test_bad_drawings_are_refused_with_one_clear_message(clicks, message):
    with pytest.raises(DataError, match=message):
        from_drawing(clicks)


def test_a_drawing_becomes_points_along_the_path_through_the_clicks():
    t = np.linspace(0, 1, 12)
    clicks = np.stack([2 * t - 1, np.sin(3 * t)], 1)
    data = from_drawing(clicks, n=400, noise=0.0, seed=1)
    assert data.points.shape == (400, 2) and data.has_manifold
    assert data.distance_to_clean(data.points).max() < 0.01
    position = data.position_on_clean(data.clean_points)
    assert position.min() < 0.05 and position.max() > 0.95


@pytest.mark.parametrize("n, noise, name", [(10, 0.1, "spiral"), (1000, -0.1, "spiral"), (1000, 0.1, "spirl"),
                                            (1000, float("nan"), "circle")])
def test_out_of_range_knobs_are_refused(n, noise, name):
    with pytest.raises(DataError):
        make_toy(name, n=n, noise=noise)


def test_image_configs_are_unchanged_and_old_json_still_loads():
    old = {"arch": "mlp", "image_size": [28, 28], "latent_dim": 16, "hidden": [256, 128], "variational": False,
           "tied_weights": False, "output_activation": "sigmoid", "temperature": 1.0}
    config = from_dict(ModelConfig, old)
    assert config.input_kind == "image" and config.input_shape == (1, 28, 28) and config.n_inputs == 784
    assert create_model(config)(torch.rand(2, 1, 28, 28)).x_hat.shape == (2, 1, 28, 28)
    assert "linear_ae" in VARIANTS and VARIANTS["linear_ae"].model.input_kind == "image"


@pytest.mark.parametrize("name", list(TOY_VARIANTS))
def test_toy_variants_take_points_and_round_trip_through_json(name):
    model_config, train_config = make_toy_configs(name, 3)
    assert model_config.input_shape == (3,) and model_config.output_activation == "identity"
    assert train_config.recon_loss == "mse"
    assert from_dict(ModelConfig, json.loads(json.dumps(to_dict(model_config)))) == model_config
    out = create_model(model_config)(torch.randn(4, 3))
    assert out.x_hat.shape == (4, 3) and out.z.shape == (4, model_config.latent_dim)


@pytest.mark.parametrize("changes, message", [
    ({"arch": "conv", "hidden": (8,)}, "needs images"),
    ({"output_activation": "sigmoid"}, "identity"),
    ({"input_dim": 0}, "input_dim"),
])
def test_invalid_vector_configs_are_refused(changes, message):
    with pytest.raises(ConfigError, match=message):
        ModelConfig(**{"input_kind": "vector", "input_dim": 2, "output_activation": "identity", **changes})


def test_image_configs_refuse_an_input_dim_and_toy_variants_refuse_image_noise():
    with pytest.raises(ConfigError, match="input_dim"):
        ModelConfig(input_dim=2)
    with pytest.raises(ConfigError, match="Gaussian"):
        make_toy_configs("denoising_ae", 2, train={"noise": "dropout", "noise_level": 0.5})
    with pytest.raises(ConfigError, match="valid: linear_ae"):
        make_toy_configs("ae", 2)


def test_points_get_unclipped_gaussian_noise_of_their_own_level():
    x = torch.full((20_000, 2), 5.0)
    noisy = corrupt_points(x, "gaussian", 0.3, torch.Generator().manual_seed(0))
    assert noisy.max() > 5.5  # not clipped to a pixel range
    assert (noisy - x).std().item() == pytest.approx(0.3, rel=0.03)
    assert corrupt_points(x, "none", 0.0) is x
    with pytest.raises(ConfigError, match="valid: none, gaussian"):
        corrupt_points(x, "dropout", 0.3)


def test_a_run_whose_training_diverged_says_so_instead_of_stepping_on_in_silence():
    from aelab.errors import TrainingError
    from aelab.lessons.playground import ToyRun

    run = ToyRun(make_toy("circle", n=200, seed=0), "mlp_ae", train={"epochs": 50})
    run.x = run.x.clone()
    run.x[0, 0] = float("nan")  # a loss that is not a number stops the loop with its own message
    with pytest.raises(TrainingError, match="loss became nan"):
        run.step_epochs(50)
    with pytest.raises(TrainingError, match="train a new one"):
        run.step_epochs(1)
