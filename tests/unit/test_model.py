"""Every registered variant on 28x28 and 8x8 images: the model checks of tests/model_checks.py (the protocol, shapes,
forward = decode(encode(x)), the ONNX export, a save -> load round trip), and finite loss terms that fall with
training. Then the architecture details the variants rely on."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from aelab.errors import ConfigError
from aelab.models.autoencoder import Autoencoder, build_model, create_model, resolve_device
from aelab.models.baselines import BASELINE_CLASSES
from aelab.models.conditional import with_label
from aelab.models.config import ModelConfig
from aelab.models.variants import VARIANTS, make_configs
from aelab.train.evaluation import evaluate
from aelab.train.losses import compute_losses
from aelab.train.trainer import fit
from tests.model_checks import CHECKS, ModelCase

SIZES = {"28x28": (28, 28), "8x8": (8, 8)}
CASES = [pytest.param(name, size, id=f"{name}-{label}") for name in VARIANTS for label, size in SIZES.items()]
STEPS = 20  # one step per epoch on the 32-image batch
# Measured after 20 steps (total after / before): 0.39-0.61 on 28x28 and 0.41-0.79 on 8x8 for the autoencoders;
# 0.004-0.27 of the unfitted MSE for the baselines.
MAX_LOSS_RATIO = {"autoencoder": 0.9, "baseline": 0.5}
pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def labels(mnist5k) -> torch.Tensor:
    """The labels of the 32 digits, for the conditional variant."""
    return mnist5k.y_train[:32].clone()


@pytest.fixture(scope="module")
def batches(mnist5k) -> dict[tuple[int, int], torch.Tensor]:
    """The same 32 digits at 28x28 and area-downsampled to 8x8."""
    x = mnist5k.x_train[:32].clone()
    return {(28, 28): x, (8, 8): F.interpolate(x, size=(8, 8), mode="area")}


def _total_loss(model, x, train_config) -> dict[str, float]:
    """Loss terms on x with a fixed sample of z, so before and after compare like with like."""
    model.eval()
    with torch.enable_grad():  # the contractive term differentiates the encoder
        out = model(x, sample=True, generator=torch.Generator().manual_seed(123))
        return {k: v.item() for k, v in compute_losses(model, out, x, x, train_config).items()}


@pytest.fixture(scope="module")
def trained(batches, labels, single_thread):
    """(name, size) -> dict(model, configs, before, after): each variant trained (or fitted) once per module. A
    conditional model is trained with the digits' labels and then tested bound to class 0 (raw: unbound)."""
    cache: dict = {}

    def get(name, size):
        if (name, size) not in cache:
            x = batches[size]
            model_config, train_config = make_configs(
                name, image_size=size, train={"epochs": STEPS, "batch_size": 32, "device": "cpu"})
            model = create_model(model_config, seed=0)
            if model_config.is_baseline:
                before = {"mse": evaluate(model, x)["mse"]}  # unfitted: zeros everywhere
                fit(model, x, train_config)
                after = {"mse": evaluate(model, x)["mse"]}
            else:
                before = _total_loss(with_label(model, 0), x, train_config)
                fit(model, x, train_config, y_train=labels)
                after = _total_loss(with_label(model, 0), x, train_config)
            cache[name, size] = dict(model=with_label(model.eval(), 0), raw=model, model_config=model_config,
                                     train_config=train_config, before=before, after=after, x=x, labels=labels)
        return cache[name, size]

    return get


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
@pytest.mark.parametrize("name, size", CASES)
def test_every_variant_passes_every_model_check(name, size, check, trained, tmp_path):
    """tests/model_checks.py: the protocol, shapes, forward = decode(encode(x)), the ONNX export, save and load."""
    case = trained(name, size)
    check(ModelCase(name, case["raw"], case["model_config"], case["train_config"], case["x"], case["labels"]),
          tmp_path)


@pytest.mark.parametrize("name, size", CASES)
def test_loss_terms_are_finite_and_the_total_falls(name, size, trained):
    case = trained(name, size)
    before, after, train = case["before"], case["after"], case["train_config"]
    if case["model_config"].is_baseline:
        assert after["mse"] < MAX_LOSS_RATIO["baseline"] * before["mse"], (before, after)
        return
    expected = {"recon", "total"}
    expected |= {"kl", "active_units"} if case["model_config"].variational else set()  # (a count, tracked only)
    expected |= {"sparsity"} if train.sparsity_weight > 0 else set()
    expected |= {"contractive"} if train.contractive_weight > 0 else set()
    expected |= {"codebook", "commitment", "perplexity", "dead_codes"} if case["model_config"].quantized else set()
    assert set(before) == set(after) == expected
    assert all(torch.isfinite(torch.tensor(v)) for v in [*before.values(), *after.values()])
    assert after["total"] < MAX_LOSS_RATIO["autoencoder"] * before["total"], (before, after)


def test_every_variant_is_covered_and_the_names_are_those_of_the_design():
    assert {"ae", "conv_ae", "vae", "beta_vae", "denoising_ae", "sparse_ae", "contractive_ae", "linear_ae",
            "pca", "kmeans", "soft_kmeans"} <= set(VARIANTS)
    assert {v.model.arch for v in VARIANTS.values() if v.is_baseline} == set(BASELINE_CLASSES)


def test_vae_samples_in_training_mode_and_uses_the_mean_in_eval():
    model = create_model(ModelConfig(variational=True, image_size=(8, 8), hidden=(32,), latent_dim=4), seed=0)
    x = torch.rand(5, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    model.train()
    first = model(x, generator=torch.Generator().manual_seed(1))
    again = model(x, generator=torch.Generator().manual_seed(1))
    other = model(x, generator=torch.Generator().manual_seed(2))
    assert torch.equal(first.z, again.z) and not torch.equal(first.z, other.z)
    assert not torch.allclose(first.z, first.mu)
    # z = mu + sigma * eps: the standardised draws look like N(0, 1) draws
    eps = (first.z - first.mu) / (0.5 * first.logvar).exp()
    assert eps.abs().max() < 6
    model.eval()
    out = model(x)
    assert torch.equal(out.z, out.mu)


def test_logvar_is_clamped_so_the_kl_stays_finite():
    model = create_model(ModelConfig(variational=True, image_size=(4, 4), hidden=(8,), latent_dim=2), seed=0)
    with torch.no_grad():
        model.bottleneck.weight.fill_(1e4)
    _, logvar = model.encode_distribution(torch.ones(2, 1, 4, 4))
    assert logvar.max() <= 20.0 and torch.isfinite(logvar.exp()).all()


def test_mlp_decoder_mirrors_the_encoder_without_altering_the_config():
    config = ModelConfig(arch="mlp", hidden=(64, 32), latent_dim=5, image_size=(10, 12))
    model = Autoencoder(config)
    sizes = [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)]
    assert sizes == [(120, 64), (64, 32), (5, 32), (32, 64), (64, 120), (32, 5)]  # encoder, decoder, bottleneck
    assert config.hidden == (64, 32)


@pytest.mark.parametrize("size, hidden", [((7, 7), (4,)), ((28, 20), (8, 16)), ((13, 13), (4, 4, 4)),
                                          ((5, 9), (4, 8)), ((2, 2), (3,))])
def test_conv_round_trips_odd_and_rectangular_sizes(size, hidden):
    model = Autoencoder(ModelConfig(arch="conv", image_size=size, hidden=hidden, latent_dim=3))
    x = torch.rand(2, 1, *size)
    out = model(x)
    assert out.x_hat.shape == (2, 1, *size) and out.z.shape == (2, 3)


def test_tied_linear_decoder_shares_the_encoder_weight():
    config = ModelConfig(arch="linear", hidden=(), latent_dim=3, image_size=(4, 4), tied_weights=True,
                         output_activation="identity")
    model = create_model(config, seed=0)
    linear = model.encoder[1]
    assert sum(p.numel() for p in model.parameters()) == 16 * 3 + 3 + 16  # W, encoder bias, decoder bias
    x = torch.rand(2, 1, 4, 4)
    z = x.flatten(1) @ linear.weight.T + linear.bias
    assert torch.allclose(model(x).x_hat.flatten(1), z @ linear.weight + model.decoder.bias, atol=1e-6)
    model(x).x_hat.sum().backward()
    assert linear.weight.grad is not None and linear.weight.grad.abs().sum() > 0


def test_create_model_is_seeded_and_leaves_the_global_rng_alone():
    config = ModelConfig(image_size=(8, 8), hidden=(16,), latent_dim=2)
    torch.manual_seed(42)
    expected_draw = torch.rand(3)
    torch.manual_seed(42)
    a, b, c = create_model(config, seed=0), create_model(config, seed=0), create_model(config, seed=1)
    assert torch.equal(torch.rand(3), expected_draw)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert not all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), c.state_dict().values()))


def test_baselines_are_built_by_build_model_not_autoencoder():
    config = ModelConfig(arch="pca", hidden=(), latent_dim=2, image_size=(4, 4), output_activation="identity")
    with pytest.raises(ValueError, match="baseline"):
        Autoencoder(config)
    assert isinstance(build_model(config), BASELINE_CLASSES["pca"])


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(ConfigError, match="valid"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="not available"):
            resolve_device("cuda")
