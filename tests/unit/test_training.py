"""The training loop and evaluate(): reproducibility, cancelling, divergence, progress events, metrics, denoising,
and two results a correct loop must reach: overfitting 32 images, and a linear AE that finds PCA's subspace."""
from __future__ import annotations

import math

import pytest
import torch

from aelab.analysis.linalg import principal_angles
from aelab.errors import ConfigError, TrainingError
from aelab.models.autoencoder import create_model
from aelab.models.config import TrainConfig
from aelab.models.variants import make_configs
from aelab.train import loop as training
from aelab.train.evaluation import evaluate
from aelab.train.loop import _corrupt, train
from aelab.train.losses import gaussian_kl, reconstruction_bce
from aelab.train.trainer import fit
from tests.patches import diverge_at_step

pytestmark = pytest.mark.usefixtures("single_thread")
SMALL = {"hidden": (64,), "latent_dim": 8}  # quick to train, same code paths as the defaults


def _configs(name, **train):
    return make_configs(name, model=SMALL, train={"device": "cpu", **train})


def _weights(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _finite(model) -> bool:
    return all(torch.isfinite(p).all() for p in model.parameters())


@pytest.fixture
def x256(mnist5k):
    return mnist5k.x_train[:256].clone()


# ---- reproducibility ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["vae", "denoising_ae"])  # sampling z, corrupting inputs: both draw randomness
def test_same_seed_same_weights_different_seed_different(name, x256):
    def run(init_seed, train_seed):
        model_config, train_config = _configs(name, epochs=2, batch_size=64, seed=train_seed)
        model = create_model(model_config, seed=init_seed)
        fit(model, x256, train_config)
        return _weights(model)

    first = run(0, 0)
    assert _same(first, run(0, 0))
    assert not _same(first, run(1, 1))
    assert not _same(first, run(0, 1))  # same initial weights, other shuffling and noise


# ---- cancelling -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 3])
def test_cancel_after_k_steps_leaves_a_finite_model(k, x256):
    model_config, train_config = _configs("ae", epochs=5, batch_size=32)
    model = create_model(model_config, seed=0)
    initial = _weights(model)
    steps = []
    result = fit(model, x256, train_config, should_stop=lambda: len(steps) >= k,
                 on_progress=lambda p: steps.append(p) if p.event == "step" else None)
    assert result.cancelled is True
    assert len(steps) == k and result.history == []  # 3 of the 8 steps of epoch 1: no epoch finished
    assert _finite(model) and not model.training
    assert _same(_weights(model), initial) == (k == 0)


def test_an_uncancelled_run_is_not_marked_cancelled(x256):
    model_config, train_config = _configs("ae", epochs=2, batch_size=128)
    result = fit(create_model(model_config), x256, train_config)
    assert result.cancelled is False and [h["epoch"] for h in result.history] == [1, 2]


# ---- divergence -----------------------------------------------------------------------------------------------


def test_an_absurd_learning_rate_is_refused_before_training():
    with pytest.raises(ConfigError, match="lr"):
        make_configs("linear_ae", train={"lr": 1e6, "recon_loss": "mse"})


def _fails_at_step_3_keeping_the_weights_of_step_2(model, x, train_config) -> str:
    """Train until the TrainingError; check it came at step 3 and left the weights finite and as step 2 left them
    (the failed step changed nothing). Returns the error message."""
    snapshots = []
    with pytest.raises(TrainingError) as info:
        for _ in train(model, x, train_config):
            snapshots.append(_weights(model))
    assert "step 3" in str(info.value) and len(snapshots) == 2
    assert _finite(model) and _same(_weights(model), snapshots[-1])
    return str(info.value)


def test_a_loss_that_stops_being_finite_raises_and_keeps_the_last_finite_weights(x256, monkeypatch):
    """No learning rate makes Adam diverge reliably here: its normalised steps kept every variant finite at lr=10
    (the largest valid), and even a linear AE forced to lr=1e6 (measured over 800-3200 steps: losses up to 1e33,
    never inf). So the divergence is injected: the third step's loss is inf."""
    diverge_at_step(monkeypatch, 3)
    model_config, train_config = _configs("linear_ae", epochs=3, batch_size=32, lr=5e-3, recon_loss="mse")
    model = create_model(model_config)
    message = _fails_at_step_3_keeping_the_weights_of_step_2(model, x256, train_config)
    assert "learning rate" in message and "0.005" in message


def test_a_gradient_that_overflows_with_a_finite_loss_raises_before_the_step(x256):
    """The case the loss check cannot see: the loss is finite but a gradient is inf (injected by a hook on one
    weight from the third step on). Without the gradient check, Adam's step would write NaN into the weights."""
    model_config, train_config = _configs("ae", epochs=3, batch_size=32, lr=1e-3)
    model = create_model(model_config)
    backward_calls = []

    def overflow_from_step_3(grad):
        backward_calls.append(1)
        return grad * math.inf if len(backward_calls) >= 3 else grad

    next(model.parameters()).register_hook(overflow_from_step_3)
    message = _fails_at_step_3_keeping_the_weights_of_step_2(model, x256, train_config)
    assert "gradients overflowed" in message and "0.001" in message


# ---- progress events ------------------------------------------------------------------------------------------


def test_progress_events_count_steps_and_epochs_and_carry_val_losses(mnist5k):
    x, x_val = mnist5k.x_train[:100], mnist5k.x_test[:50]
    model_config, train_config = _configs("ae", epochs=3, batch_size=32)  # ceil(100 / 32) = 4 steps per epoch
    events = list(train(create_model(model_config), x, train_config, x_val=x_val))
    assert [e.event for e in events] == (["step"] * 4 + ["epoch"]) * 3
    steps = [e for e in events if e.event == "step"]
    assert [e.step for e in steps] == list(range(1, 13))
    assert all(e.total_steps == 12 and e.epochs == 3 for e in events)
    assert [e.epoch for e in steps] == [1] * 4 + [2] * 4 + [3] * 4
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and events[-1].eta_s == 0.0
    elapsed = [e.elapsed_s for e in events]
    assert elapsed == sorted(elapsed)
    for epoch_event in (e for e in events if e.event == "epoch"):
        assert epoch_event.val_losses is not None and set(epoch_event.val_losses) == set(epoch_event.losses)
        assert all(math.isfinite(v) for v in epoch_event.val_losses.values())
        assert all(e.val_losses is None for e in steps)
    # the epoch's loss is the image-weighted mean of its steps' losses (batches of 32, 32, 32 and 4)
    first_epoch = steps[:4]
    weighted = sum(s.losses["total"] * n for s, n in zip(first_epoch, [32, 32, 32, 4])) / 100
    assert events[4].losses["total"] == pytest.approx(weighted, rel=1e-6)


def test_epoch_events_have_no_val_losses_without_x_val(x256):
    model_config, train_config = _configs("ae", epochs=1, batch_size=128)
    events = list(train(create_model(model_config), x256, train_config))
    assert events[-1].event == "epoch" and events[-1].val_losses is None


def test_a_vae_reports_kl_and_recon_terms(x256):
    model_config, train_config = _configs("vae", epochs=1, batch_size=128)
    events = list(train(create_model(model_config), x256, train_config, x_val=x256[:64]))
    for event in events:
        assert {"recon", "kl", "total"} <= set(event.losses)
        assert event.losses["kl"] > 0
        assert event.losses["total"] == pytest.approx(event.losses["recon"] + train_config.beta * event.losses["kl"],
                                                      rel=1e-5)
    assert {"recon", "kl", "total"} <= set(events[-1].val_losses)


# ---- evaluate -------------------------------------------------------------------------------------------------


def test_evaluate_a_deterministic_model(x256):
    model_config, train_config = _configs("ae", epochs=1, batch_size=64)
    model = create_model(model_config)
    fit(model, x256, train_config)
    metrics = evaluate(model, x256)
    assert set(metrics) == {"n", "mse", "psnr", "bce"} and metrics["n"] == 256
    with torch.no_grad():
        out = model(x256)
    per_image = (out.x_hat - x256).pow(2).flatten(1).mean(1)
    assert metrics["mse"] == pytest.approx(per_image.mean().item(), rel=1e-5)
    assert metrics["psnr"] == pytest.approx((10 * torch.log10(1 / per_image)).mean().item(), rel=1e-5)
    assert metrics["psnr"] >= 10 * math.log10(1 / metrics["mse"])  # Jensen: the mean of -log is above -log mean
    assert metrics["bce"] == pytest.approx(reconstruction_bce(out, x256).item(), rel=1e-5)
    assert evaluate(model, x256, batch_size=7) == pytest.approx(metrics, rel=1e-5)


def test_evaluate_a_variational_model_reports_kl_and_neg_elbo(x256):
    model_config, train_config = _configs("vae", epochs=2, batch_size=64)
    model = create_model(model_config)
    fit(model, x256, train_config)
    metrics = evaluate(model, x256, seed=0)
    assert set(metrics) == {"n", "mse", "psnr", "bce", "kl", "neg_elbo"}
    with torch.no_grad():
        mu, logvar = model.encode_distribution(x256)
        sampled = model(x256, sample=True, generator=torch.Generator().manual_seed(0))
    assert metrics["kl"] == pytest.approx(gaussian_kl(mu, logvar).item(), rel=1e-5) and metrics["kl"] > 1
    # neg_elbo = E_q[-log p(x|z)] + KL with one z per image; bce decodes the mean instead, hence "about"
    assert metrics["neg_elbo"] == pytest.approx(reconstruction_bce(sampled, x256).item() + metrics["kl"], rel=1e-5)
    assert metrics["neg_elbo"] == pytest.approx(metrics["bce"] + metrics["kl"], rel=0.05)  # measured gap 1-1.5%
    assert evaluate(model, x256, seed=0) == metrics


def test_evaluate_a_baseline(x256):
    model_config, train_config = make_configs("pca", model={"latent_dim": 8})
    model = create_model(model_config)
    result = fit(model, x256, train_config)
    metrics = evaluate(model, x256)
    assert set(metrics) == {"n", "mse", "psnr", "bce"} and math.isfinite(metrics["bce"])
    assert result.history[0]["train"]["mse"] == pytest.approx(metrics["mse"])


# ---- denoising ------------------------------------------------------------------------------------------------


def test_denoising_trains_on_corrupted_inputs_but_scores_the_clean_target(x256, monkeypatch):
    model_config, train_config = _configs("denoising_ae", epochs=1, batch_size=64)
    assert train_config.noise == "dropout" and train_config.noise_level == 0.5
    model = create_model(model_config)
    real_corrupt, real_losses = training._corrupt, training.compute_losses
    seen = []

    def spy_corrupt(x, config, generator):
        x_input = real_corrupt(x, config, generator)
        seen.append({"clean": x, "input": x_input})
        return x_input

    def spy_losses(model_, output, x_clean, x_input, config):
        step = seen[-1]
        assert x_clean is step["clean"] and x_input is step["input"]
        with torch.no_grad():  # the model saw the corrupted input ...
            assert torch.allclose(output.x_hat, model_(x_input).x_hat)
            assert not torch.allclose(output.x_hat, model_(x_clean).x_hat)
        terms = real_losses(model_, output, x_clean, x_input, config)
        # ... and is scored on the clean target
        assert torch.allclose(terms["recon"], reconstruction_bce(output, x_clean))
        step["checked"] = True
        return terms

    monkeypatch.setattr(training, "_corrupt", spy_corrupt)
    monkeypatch.setattr(training, "compute_losses", spy_losses)
    fit(model, x256, train_config)
    assert len(seen) == 4 and all(step.get("checked") for step in seen)
    for step in seen:
        clean, x_input = step["clean"], step["input"]
        changed = x_input != clean
        assert torch.all(x_input[changed] == 0)  # dropout noise only zeroes pixels
        dropped = (x_input[clean > 0] == 0).float().mean().item()
        assert dropped == pytest.approx(0.5, abs=0.03)


def test_corrupt_follows_the_train_config():
    x = torch.full((4, 1, 8, 8), 0.5)
    generator = torch.Generator().manual_seed(0)
    assert _corrupt(x, TrainConfig(), generator) is x
    gaussian = _corrupt(x, TrainConfig(noise="gaussian", noise_level=0.1), generator)
    assert (gaussian - x).std().item() == pytest.approx(0.1, rel=0.2)


# ---- what training must achieve -------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_autoencoder_overfits_32_images(small_images):
    # 200 full-batch steps at lr 3e-3: measured train MSE 0.0010-0.0023 per pixel (seeds 0-2), from 0.10 untrained
    model_config, train_config = make_configs("ae", train={"epochs": 200, "lr": 3e-3, "batch_size": 32,
                                                           "device": "cpu"})
    model = create_model(model_config, seed=0)
    untrained = evaluate(model, small_images)["mse"]
    fit(model, small_images, train_config)
    trained = evaluate(model, small_images)["mse"]
    assert untrained > 0.05
    assert trained < 0.01, trained


@pytest.fixture(scope="module")
def pca16(mnist5k, single_thread):
    """PCA with the linear AE's latent size (16), fitted on mnist-5k's training split."""
    model_config, train_config = make_configs("pca")
    pca = create_model(model_config)
    fit(pca, mnist5k.x_train, train_config)
    return pca


def test_an_untrained_linear_autoencoder_is_far_from_the_pca_subspace(pca16):
    model = create_model(make_configs("linear_ae")[0], seed=0)
    angles = principal_angles(model.decoder[0].weight, pca16.components.T)
    # measured: 1.30 to 1.57 rad; a random 16-d subspace of 784-d is nearly orthogonal to any other
    assert angles.min() > 1.0 and angles.max().sin() > 0.99


@pytest.mark.slow
def test_a_linear_autoencoder_learns_the_pca_subspace(mnist5k, pca16):
    """Baldi & Hornik (1989): the squared-error linear AE's global minimum spans the top principal subspace.

    Measured over seeds 0-4 with this schedule (100 epochs at lr 5e-3, then 20 at 5e-4, ~3 s): test MSE / PCA's
    1.0000-1.0002, largest principal angle's sine 0.008-0.014 (0.03 after the first stage alone, 0.96-1.0 untrained).
    """
    x_train, x_test, pca = mnist5k.x_train, mnist5k.x_test, pca16
    model_config, _ = make_configs("linear_ae")
    assert model_config.latent_dim == pca.config.latent_dim == 16
    model = create_model(model_config, seed=0)

    for epochs, lr in ((100, 5e-3), (20, 5e-4)):  # a fresh, smaller step at the end settles Adam's jitter
        _, train_config = make_configs("linear_ae", train={"epochs": epochs, "lr": lr, "batch_size": 256,
                                                           "device": "cpu"})
        fit(model, x_train, train_config)

    ratio = evaluate(model, x_test)["mse"] / evaluate(pca, x_test)["mse"]
    assert abs(ratio - 1) < 0.05, ratio
    angles = principal_angles(model.decoder[0].weight, pca.components.T)
    assert angles.shape == (16,)
    assert angles.max().sin() < 0.05, angles
    # On the training split PCA is optimal (Eckart-Young), so the AE can only match it there, not beat it.
    with torch.no_grad():
        ae_train = (model(x_train).x_hat - x_train).pow(2).mean().item()
        pca_train_mse = (pca(x_train).x_hat - x_train).pow(2).mean().item()
    assert pca_train_mse * (1 - 1e-4) <= ae_train < pca_train_mse * 1.01
