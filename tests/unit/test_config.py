"""Configs are frozen, validated on construction, round-trip through JSON, and name the valid choices on a typo."""
from __future__ import annotations

import dataclasses
import json

import pytest

from aelab.errors import ConfigError
from aelab.models.config import ModelConfig, TrainConfig, from_dict, noise_level_range, replace, to_dict
from aelab.models.ranges import RANGES, parse_sizes
from aelab.models.variants import VARIANTS, get_variant, make_configs


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_variant_round_trips_through_json(name):
    model, train = make_configs(name, image_size=(8, 8))
    for config in (model, train):
        text = json.dumps(to_dict(config))
        assert from_dict(type(config), json.loads(text)) == config


def test_lists_from_json_become_tuples_so_configs_stay_hashable_and_equal():
    config = from_dict(ModelConfig, {"image_size": [8, 8], "hidden": [64, 32]})
    assert config.image_size == (8, 8) and config.hidden == (64, 32)
    assert config == ModelConfig(image_size=(8, 8), hidden=(64, 32))
    hash(config)


def test_configs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ModelConfig().latent_dim = 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainConfig().lr = 1.0


def test_unknown_variant_lists_every_valid_name():
    with pytest.raises(ConfigError) as info:
        get_variant("vea")
    message = str(info.value)
    assert "'vea'" in message
    assert all(name in message for name in VARIANTS)
    with pytest.raises(ConfigError, match="valid: ae, deep_ae"):
        make_configs("autoencoder")


@pytest.mark.parametrize("call, field", [
    (lambda: make_configs("ae", model={"latnet_dim": 8}), "latnet_dim"),
    (lambda: make_configs("vae", train={"bta": 2.0}), "bta"),
    (lambda: replace(ModelConfig(), hiden=(8,)), "hiden"),
    (lambda: from_dict(TrainConfig, {"epochs": 3, "learning_rate": 0.1}), "learning_rate"),
])
def test_misspelt_fields_are_refused_naming_the_valid_ones(call, field):
    with pytest.raises(ConfigError) as info:
        call()
    message = str(info.value)
    assert field in message and "valid:" in message
    # the valid list is the real field list, so the user can spot the right spelling
    assert ("latent_dim" in message) or ("lr" in message and "beta" in message)


@pytest.mark.parametrize("changes, field", [
    ({"latent_dim": 0}, "latent_dim"),
    ({"latent_dim": -4}, "latent_dim"),
    ({"latent_dim": 5000}, "latent_dim"),
    ({"latent_dim": 2.5}, "latent_dim"),
    ({"hidden": (64, 0)}, "hidden"),
    ({"image_size": (1, 28)}, "image_size"),
    ({"image_size": (28,)}, "image_size"),
    ({"arch": "mlpp"}, "architecture"),
    ({"output_activation": "relu"}, "output activation"),
    ({"temperature": 0.0}, "temperature"),
    ({"temperature": float("nan")}, "temperature"),
    ({"tied_weights": True}, "tied_weights"),  # the default arch is mlp
    ({"arch": "pca", "variational": True}, "variational"),
    ({"arch": "conv", "image_size": (8, 8), "hidden": (8, 8, 8, 8)}, "conv"),
])
def test_invalid_model_values_are_refused(changes, field):
    with pytest.raises(ConfigError, match=field):
        ModelConfig(**changes)


@pytest.mark.parametrize("changes, field", [
    ({"lr": -1e-3}, "lr"),
    ({"lr": 0.0}, "lr"),
    ({"lr": 1e6}, "lr"),
    ({"lr": float("nan")}, "lr"),
    ({"lr": float("inf")}, "lr"),
    ({"epochs": 0}, "epochs"),
    ({"epochs": 2.5}, "epochs"),
    ({"batch_size": 0}, "batch_size"),
    ({"beta": -1.0}, "beta"),
    ({"sparsity_weight": float("inf")}, "sparsity_weight"),
    ({"recon_loss": "l2"}, "reconstruction loss"),
    ({"noise": "salt"}, "noise type"),
    ({"noise": "dropout", "noise_level": 1.5}, "noise_level"),
    ({"noise": "gaussian", "noise_level": -0.1}, "noise_level"),
    ({"noise": "gaussian", "noise_level": 0.0}, "noise_level"),
    ({"noise": "mixed", "noise_level": 5.0}, "noise_level"),  # a scale of each kind's default: at most 3
    ({"seed": -1}, "seed"),
    ({"device": "tpu"}, "device"),
])
def test_invalid_training_values_are_refused(changes, field):
    with pytest.raises(ConfigError, match=field):
        TrainConfig(**changes)


def test_invalid_values_through_the_variant_helper_and_json_are_config_errors():
    with pytest.raises(ConfigError, match="latent_dim"):
        make_configs("ae", model={"latent_dim": 0})
    with pytest.raises(ConfigError, match="lr"):
        make_configs("linear_ae", train={"lr": -0.5})
    with pytest.raises(ConfigError):
        from_dict(ModelConfig, {"latent_dim": "16"})  # a string where a number belongs
    with pytest.raises(ConfigError, match="JSON object"):
        from_dict(ModelConfig, [1, 2])


def test_variant_defaults_and_overrides():
    model, train = make_configs("conv_ae", image_size=(8, 8), train={"epochs": 2})
    assert model.image_size == (8, 8) and len(model.hidden) == 2  # 8 -> 4 -> 2: two stride-2 layers fit
    assert train.epochs == 2 and train.lr == get_variant("conv_ae").train.lr
    model, _ = make_configs("conv_ae", image_size=(4, 4))
    assert len(model.hidden) == 1
    assert get_variant("conv_ae").model.hidden == (32, 64)  # the registry's defaults are not altered
    model, train = make_configs("denoising_ae", model={"latent_dim": 4})
    assert model.latent_dim == 4 and train.noise == "dropout" and train.noise_level == 0.5


def test_numpy_integers_are_accepted_as_plain_ints():
    np = pytest.importorskip("numpy")
    model = ModelConfig(latent_dim=np.int64(8))
    train = TrainConfig(epochs=np.int32(3), batch_size=np.int64(16), seed=np.uint8(5))
    assert type(model.latent_dim) is int and type(train.epochs) is int and type(train.seed) is int
    json.dumps(to_dict(model)), json.dumps(to_dict(train))  # would raise on a numpy scalar
    with pytest.raises(ConfigError, match="latent_dim"):
        ModelConfig(latent_dim=True)


@pytest.mark.parametrize("field, text, expected", [
    ("epochs", "20", 20), ("epochs", " 1e3 ", 1000), ("lr", "1e-3", 1e-3), ("lr", "10", 10.0),
    ("latent_dim", "4096", 4096), ("beta", "0", 0.0), ("seed", str(2**63 - 1), 2**63 - 1),
])
def test_typed_numbers_in_range_are_parsed(field, text, expected):
    value = RANGES[field].parse(field, text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("field, text", [
    ("lr", "NaN"), ("lr", "inf"), ("lr", "0"), ("lr", "-1e-3"), ("lr", "1e9"), ("lr", "fast"), ("lr", ""),
    ("epochs", "1e9"), ("epochs", "0"), ("epochs", "-3"), ("epochs", "2.5"), ("epochs", "nan"),
    ("batch_size", "0"), ("batch_size", "1e9"), ("latent_dim", "-4"), ("latent_dim", "0"), ("latent_dim", "5000"),
    ("temperature", "0"), ("temperature", "1e9"), ("beta", "-1"), ("beta", "inf"), ("sparsity_weight", "1e5"),
    ("contractive_weight", "NaN"), ("seed", "-1"), ("seed", "1e30"), ("seed", str(2**63)),
])
def test_typed_numbers_out_of_range_name_the_range(field, text):
    with pytest.raises(ConfigError) as info:
        RANGES[field].parse("Label", text)
    assert str(info.value).startswith(f"Label must be {RANGES[field].describe()}, got {text.strip()!r}")


@pytest.mark.parametrize("field", sorted(RANGES))
def test_the_parser_and_the_configs_accept_the_same_values(field):
    """The page and the CLI parse with RANGES; the configs validate with them too, so the limits cannot drift."""
    bounds = RANGES[field]
    config = ModelConfig if field in {f.name for f in dataclasses.fields(ModelConfig)} else TrainConfig

    def accepted(value) -> bool:
        try:
            config(**{field: (value,) if field == "hidden" else value})
        except ConfigError:
            return False
        return True

    inside = [bounds.low if not bounds.low_open else bounds.low + (1 if bounds.integer else 1e-6), bounds.high]
    outside = [bounds.low - 1 if not bounds.low_open else bounds.low, bounds.high + 1, float("nan")]
    for value in inside:
        value = int(value) if bounds.integer else float(value)
        assert accepted(value) and bounds.parse(field, repr(value)) == value, (field, value)
    for value in outside:
        assert not accepted(value), (field, value)
        with pytest.raises(ConfigError):
            bounds.parse(field, repr(value))


@pytest.mark.parametrize("text, expected", [("256, 128", (256, 128)), ("64;32", (64, 32)), ("8192", (8192,))])
def test_typed_sizes_are_parsed(text, expected):
    assert parse_sizes("Hidden sizes", text) == expected


@pytest.mark.parametrize("text", ["256, lots", "64, -1", "0", "1e9", "64, 2.5", "nan"])
def test_typed_sizes_out_of_range_are_refused_with_the_range(text):
    with pytest.raises(ConfigError, match="Hidden sizes must be whole numbers from 1 to 8192"):
        parse_sizes("Hidden sizes", text)


@pytest.mark.parametrize("noise, text", [("gaussian", "nan"), ("gaussian", "0"), ("gaussian", "11"),
                                         ("box", "2.5"), ("rows", "1e9"), ("dropout", "-0.5"), ("none", "11")])
def test_the_noise_levels_range_follows_the_noise_type(noise, text):
    bounds = noise_level_range(noise)
    with pytest.raises(ConfigError, match=r"^Noise level must be .*, got"):
        bounds.parse("Noise level", text)
    with pytest.raises(ConfigError, match="noise_level"):
        TrainConfig(noise=noise, noise_level=float(text))
