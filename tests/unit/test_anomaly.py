"""Anomaly scores from reconstruction error: the ROC AUC against scikit-learn, the OOD sets, resizing another
dataset, and what the pretrained models make of them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from aelab.analysis.anomaly import (
    MNIST_DIGIT_FRACTION,
    OTHER_PREFIX,
    SYNTHETIC_OOD,
    anomaly_report,
    available_other_datasets,
    content_fraction,
    least_and_most_typical,
    other_dataset_names,
    other_dataset_ood,
    resize_images,
    roc_auc,
    roc_curve,
    synthetic_ood,
)
from aelab.library.store import PRETRAINED_ROOT, load_model


@pytest.mark.parametrize("seed", range(4))
def test_roc_auc_matches_scikit_learn_with_ties(seed):
    rng = np.random.default_rng(seed)
    inside = rng.integers(0, 20, 300).astype(float)  # few distinct values: many ties
    outside = rng.integers(5, 25, 200).astype(float)
    expected = roc_auc_score(np.r_[np.zeros(300), np.ones(200)], np.r_[inside, outside])
    assert roc_auc(inside, outside) == pytest.approx(expected, abs=1e-12)


def test_roc_auc_extremes_and_refusal():
    assert roc_auc([0.1, 0.2], [0.3, 0.4]) == 1.0
    assert roc_auc([0.3, 0.4], [0.1, 0.2]) == 0.0
    assert roc_auc([0.5, 0.5], [0.5]) == 0.5
    with pytest.raises(ValueError, match="at least one"):
        roc_auc([], [1.0])


def test_roc_curve_runs_from_0_0_to_1_1_and_its_area_is_the_auc():
    rng = np.random.default_rng(0)
    inside, outside = rng.normal(0, 1, 500), rng.normal(1, 1, 400)
    fpr, tpr = roc_curve(inside, outside)
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc(inside, outside), abs=1e-9)


def test_resizing_frames_small_digits_like_mnist_and_crops_the_margin_going_down():
    x = torch.ones(3, 1, 8, 8)
    framed = resize_images(x, (28, 28), MNIST_DIGIT_FRACTION)
    assert framed.shape == (3, 1, 28, 28)
    assert torch.allclose(framed[:, :, 4:24, 4:24], torch.ones(1))  # a 20x20 digit...
    assert framed.sum().item() == pytest.approx(3 * 20 * 20, rel=1e-5)  # ...in a 4-pixel empty margin
    assert torch.allclose(resize_images(x, (28, 28)), torch.ones(1))  # content_fraction 1: fills the frame
    mnist_like = torch.zeros(2, 1, 28, 28)
    mnist_like[:, :, 4:24, 4:24] = 1.0
    small = resize_images(mnist_like, (8, 8), content_fraction("mnist-5k", "digits"))
    assert small.shape == (2, 1, 8, 8) and small.mean() > 0.9  # the empty margin is cut away, the digit fills it
    assert content_fraction("digits", "mnist-5k") == MNIST_DIGIT_FRACTION
    assert content_fraction("kmnist", "fashion-mnist") == 1.0


def test_synthetic_sets_are_seeded_in_range_and_named():
    x = torch.rand(10, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    first, again = synthetic_ood(x, list(SYNTHETIC_OOD)), synthetic_ood(x, list(SYNTHETIC_OOD))
    assert list(first) == list(SYNTHETIC_OOD)
    for name, images in first.items():
        assert images.shape == x.shape and images.min() >= 0 and images.max() <= 1
        assert torch.equal(images, again[name])
    assert torch.equal(first["inverted digits"], 1 - x)
    assert torch.equal(synthetic_ood(x, ["pure noise"])["pure noise"], first["pure noise"])  # sets independent
    with pytest.raises(ValueError, match="valid: pure noise"):
        synthetic_ood(x, ["blur"])


def test_other_datasets_exclude_the_same_distribution():
    assert other_dataset_names("mnist-5k", ["mnist-5k", "digits", "mnist", "fashion-mnist"]) == ["digits",
                                                                                                 "fashion-mnist"]
    assert other_dataset_names("upload:mine.npz", ["mnist-5k", "digits"]) == ["mnist-5k", "digits"]
    assert "digits" in available_other_datasets("mnist-5k")  # bundled: always there, offline
    assert "mnist-5k" in available_other_datasets("digits")


def test_least_and_most_typical_are_the_extremes_in_order():
    errors = torch.tensor([0.5, 0.1, 0.9, 0.3, 0.7])
    least, most = least_and_most_typical(errors, 2)
    assert least.tolist() == [1, 3] and most.tolist() == [2, 4]
    assert len(least_and_most_typical(errors, 10)[0]) == 5


@pytest.fixture(scope="module")
def report_inputs(mnist5k):
    x_test = mnist5k.x_test
    ood = {**synthetic_ood(x_test, list(SYNTHETIC_OOD)),
           **other_dataset_ood("mnist-5k", (28, 28), ["digits"], len(x_test))}
    return x_test, ood


def test_the_pretrained_ae_flags_noise_corruption_and_inversion_and_mostly_other_digits(report_inputs,
                                                                                         single_thread):
    """Measured with the pretrained ae: AUC 1.000 for pure noise, heavily corrupted and inverted digits; 0.67 for
    sklearn's digits framed like MNIST (smooth upscaled strokes are easy to rebuild)."""
    x_test, ood = report_inputs
    report = anomaly_report(load_model(PRETRAINED_ROOT / "ae").model, x_test, ood)
    assert set(report.errors) == {"test", *ood} and len(report.errors["test"]) == len(x_test)
    for name in SYNTHETIC_OOD:
        assert report.auc[name] > 0.99, (name, report.auc)
        assert report.errors[name].median() > 5 * report.errors["test"].median()
    assert 0.55 < report.auc[OTHER_PREFIX + "digits"] < 0.95, report.auc


def test_a_low_error_does_not_prove_an_image_is_typical(report_inputs, single_thread):
    """PCA rebuilds the blurry upscaled digits better than MNIST's own (AUC 0.08 measured): the failure mode of
    reconstruction error as an anomaly score the page warns about."""
    x_test, ood = report_inputs
    report = anomaly_report(load_model(PRETRAINED_ROOT / "pca").model, x_test, {k: ood[k] for k in
                                                                                  [OTHER_PREFIX + "digits"]})
    assert report.auc[OTHER_PREFIX + "digits"] < 0.3
