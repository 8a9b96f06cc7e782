"""The VQ-VAE, the conditional VAE and the continuous Bernoulli loss: tiny models for the mechanics, the shipped
vq_vae and cvae for what training achieved (thresholds measured on them, with margin; see the README)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.distributions import ContinuousBernoulli

from aelab.errors import ConfigError
from aelab.models.autoencoder import create_model
from aelab.models.config import ModelConfig, TrainConfig
from aelab.models.output import Output

TINY_VQ = ModelConfig(arch="mlp", hidden=(32,), latent_dim=8, codebook_size=16, code_dim=2)


@pytest.fixture(scope="module")
def shipped():
    from aelab.library.store import PRETRAINED_ROOT, load_model

    return {name: load_model(PRETRAINED_ROOT / name).model for name in ("vq_vae", "cvae")}


def test_indices_are_in_range_and_decode_back(small_images):
    model = create_model(TINY_VQ).train()
    out = model(small_images)
    assert out.vq.indices.shape == (32, 4) and out.vq.indices.min() >= 0 and out.vq.indices.max() < 16
    model.eval()
    indices = model.code_indices(small_images)
    assert torch.equal(indices, model(small_images).vq.indices)
    assert torch.allclose(model.decode_indices(indices), model(small_images).x_hat, atol=1e-6)


def test_the_straight_through_gradient_reaches_the_encoder(small_images):
    model = create_model(TINY_VQ).train()
    out = model(small_images)
    (out.x_hat - small_images).pow(2).sum().backward()  # the reconstruction alone, no commitment term
    encoder_grads = [p.grad for p in [*model.encoder.parameters(), *model.bottleneck.parameters()]]
    assert all(g is not None and g.abs().sum() > 0 for g in encoder_grads)


def test_the_codebook_starts_at_kmeans_centroids_and_ema_moves_it(small_images):
    from aelab.models.config import replace

    model = create_model(replace(TINY_VQ, ema_decay=0.9)).train()
    before = model.quantizer.codebook.clone()
    model(small_images)
    assert bool(model.quantizer.initialised) and not torch.equal(before, model.quantizer.codebook)
    # Every code is one of the first batch's encoder outputs' cluster means: all 16 are in use at once.
    assert model(small_images).vq.dead.item() <= 4


def test_vq_losses_are_named_terms(small_images):
    from aelab.train.losses import compute_losses

    model = create_model(TINY_VQ).train()
    terms = compute_losses(model, model(small_images), small_images, small_images, TrainConfig())
    assert {"recon", "codebook", "commitment", "perplexity", "dead_codes", "total"} <= set(terms)
    assert torch.isclose(terms["total"], terms["recon"] + terms["codebook"] + 0.25 * terms["commitment"])


def test_continuous_bernoulli_loss_is_its_negative_log_density(small_images):
    from aelab.train.losses import reconstruction_cb

    logits = torch.randn(4, 1, 28, 28)
    x = small_images[:4]
    output = Output(torch.sigmoid(logits), torch.zeros(4, 2), None, None, logits)
    loss = reconstruction_cb(output, x)
    expected = -sum(ContinuousBernoulli(logits=logits[i]).log_prob(x[i]).sum() for i in range(4)) / 4
    assert torch.isfinite(loss) and torch.isclose(loss, expected, rtol=1e-5)
    # Near lambda = 0.5, where the normaliser's closed form is 0/0, it stays finite.
    half = Output(torch.full((4, 1, 28, 28), 0.5), torch.zeros(4, 2), None, None, torch.zeros(4, 1, 28, 28))
    assert torch.isfinite(reconstruction_cb(half, x))


def test_a_cb_model_shows_the_mean_not_lambda(small_images):
    from aelab.models.variants import make_configs

    model_config, train_config = make_configs("vae", (28, 28), {}, {"recon_loss": "cb"})
    assert model_config.output_activation == "cb_mean"
    model = create_model(model_config).eval()
    out = model(small_images)
    lam = torch.sigmoid(out.logits)
    assert torch.allclose(out.x_hat, ContinuousBernoulli(logits=out.logits).mean)
    # The mean lambda / (2 lambda - 1) + 1 / (2 atanh(1 - 2 lambda)) sits between lambda and 0.5: lambda = 0.9 has
    # mean 1.125 - 0.4551 = 0.670 (the paper's point: lambda is not the expected pixel).
    assert ContinuousBernoulli(probs=torch.tensor(0.9)).mean.item() == pytest.approx(0.6699, abs=1e-3)
    far = (lam - 0.5).abs() > 0.05
    assert bool(((out.x_hat - 0.5).abs() < (lam - 0.5).abs())[far].all())


def test_shipped_vq_vae_uses_its_codebook(shipped, mnist5k):
    from aelab.analysis.codebook import codebook_usage

    model = shipped["vq_vae"]
    k = model.config.codebook_size
    usage = codebook_usage(model, mnist5k.x_test)
    assert usage.perplexity >= k / 4 and usage.used >= k / 2


def test_shipped_vq_vae_beats_kmeans_at_the_same_bits(shipped, mnist5k):
    from aelab.analysis.codebook import patch_kmeans_mse
    from aelab.train.evaluation import evaluate

    model = shipped["vq_vae"]
    config = model.config
    baseline = patch_kmeans_mse(mnist5k.x_train, mnist5k.x_test, config.slots, config.codebook_size)
    assert evaluate(model, mnist5k.x_test)["mse"] < 0.9 * baseline


def test_shipped_cvae_decodes_the_label_it_is_given(shipped, mnist5k):
    from sklearn.linear_model import LogisticRegression

    from aelab.analysis.conditional import prior_samples_per_class

    classifier = LogisticRegression(max_iter=300).fit(mnist5k.x_train.flatten(1).numpy(), mnist5k.y_train.numpy())
    images, labels = prior_samples_per_class(shipped["cvae"], 100, seed=0)
    accuracy = float(np.mean(classifier.predict(images.flatten(1).numpy()) == labels.numpy()))
    assert accuracy >= 0.8


def test_a_label_bound_cvae_has_the_plain_interface_and_exports(shipped, small_images):
    from aelab.export.onnx import decoder_onnx
    from aelab.models.conditional import with_label

    bound = with_label(shipped["cvae"], 3)
    z = torch.zeros(2, bound.latent_dim)
    assert torch.equal(bound.decode(z), shipped["cvae"].decode(z, 3))
    assert bound(small_images[:2]).x_hat.shape == (2, 1, 28, 28)
    assert len(decoder_onnx(bound)) > 1000
    with pytest.raises(ConfigError, match="conditional on a class label"):
        shipped["cvae"].decode(z)


def test_bad_training_data_is_refused_before_anything_starts():
    from aelab.models.conditional import check_training_data
    from aelab.models.variants import make_configs

    vq, _ = make_configs("vq_vae")
    with pytest.raises(ConfigError, match="only 50 training images"):
        check_training_data(vq, 50, None)
    with pytest.raises(ConfigError, match="codebook_size must be a whole number from 2 to 1024"):
        make_configs("vq_vae", model={"codebook_size": 1})
    cvae, _ = make_configs("cvae")
    with pytest.raises(ConfigError, match="needs a class label for every training image; this data has 3 without"):
        check_training_data(cvae, 5, torch.tensor([0, -1, -1, 2, -1]))
    check_training_data(cvae, 3, torch.tensor([0, 1, 9]))


@pytest.mark.parametrize("extra, message", [
    (["--variant", "vq_vae", "--codebook-size", "0"], "error: --codebook-size must be a whole number from 2 to 1024"),
    (["--variant", "vq_vae", "--codebook-size", "64"], "error: The codebook has 64 codes but there are only"),
    (["--variant", "cvae"], "error: A conditional model needs a class label for every training image"),
])
def test_the_cli_refuses_bad_variant_input_in_one_line(tmp_path, monkeypatch, capsys, extra, message):
    from aelab.cli.main import main

    monkeypatch.setenv("AELAB_HOME", str(tmp_path / "library"))
    images = np.random.default_rng(0).integers(0, 256, (40, 8, 8), dtype=np.uint8)
    np.savez(tmp_path / "unlabelled.npz", x=images)  # 40 images, no labels: about 32 for training
    code = main(["train", *extra, "--data", str(tmp_path / "unlabelled.npz"), "--out", str(tmp_path / "m"),
                 "--epochs", "1", "--device", "cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith(message), err
    assert not (tmp_path / "m").exists()


def test_a_vq_vae_exports_its_encoder_and_decoder_to_onnx(small_images):
    import onnxruntime

    from aelab.export.onnx import export_files

    model = create_model(TINY_VQ).eval()
    files = export_files(model, "vq")
    session = onnxruntime.InferenceSession(files["vq.encoder.onnx"])
    (z,) = session.run(None, {"x": small_images[:4].numpy()})
    assert torch.allclose(torch.from_numpy(z), model.encode(small_images[:4]), atol=1e-6)  # quantised codes
