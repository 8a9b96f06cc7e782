"""The README's VQ-VAE and conditional VAE numbers, from the shipped models on mnist-5k, and how long each new view
takes to compute.

Run from the repository root: .venv/bin/python -m bench.variants

- vq_vae: test MSE against k-means on patches at the same bits per image (the baseline, ratio printed), perplexity
  and used / dead codes on the test split;
- cvae: 100 prior samples decoded with each of the 10 labels, classified by a logistic regression trained on the
  mnist-5k training pixels (the classifier's own test accuracy is the baseline);
- the views: median of 5 wall-clock timings of each computation behind the Generate page's two sections, one thread.
"""
from __future__ import annotations

import statistics
import time

import numpy as np
import torch


def _median_ms(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    from aelab.analysis.codebook import bits_per_image, code_images, codebook_usage, index_grid, patch_kmeans_mse
    from aelab.analysis.conditional import class_grid, prior_samples_per_class, style_transfer
    from aelab.data.sources import load_dataset
    from aelab.library.store import PRETRAINED_ROOT, load_model
    from aelab.train.evaluation import evaluate

    torch.set_num_threads(1)
    data = load_dataset("mnist-5k")
    vq = load_model(PRETRAINED_ROOT / "vq_vae").model
    cvae = load_model(PRETRAINED_ROOT / "cvae").model
    config = vq.config

    mse = evaluate(vq, data.x_test)["mse"]
    baseline = patch_kmeans_mse(data.x_train, data.x_test, config.slots, config.codebook_size)
    usage = codebook_usage(vq, data.x_test)
    print(f"vq_vae: {bits_per_image(config):.0f} bits/image, test MSE {mse:.4f}; k-means on "
          f"{config.slots} patches x {config.codebook_size} centroids (same bits) {baseline:.4f}; "
          f"ratio {mse / baseline:.2f}")
    print(f"vq_vae codebook on the test split: perplexity {usage.perplexity:.1f} of {config.codebook_size}, "
          f"{usage.used} used, {usage.dead} dead")

    classifier = LogisticRegression(max_iter=300).fit(data.x_train.flatten(1).numpy(), data.y_train.numpy())
    real = classifier.score(data.x_test.flatten(1).numpy(), data.y_test.numpy())
    images, labels = prior_samples_per_class(cvae, 100, seed=0)
    given = float(np.mean(classifier.predict(images.flatten(1).numpy()) == labels.numpy()))
    cvae_mse = evaluate(cvae, data.x_test, y=data.y_test)["mse"]
    print(f"cvae: 1000 prior samples classified as the label given {given:.1%}; the classifier on real test "
          f"digits {real:.1%} (ratio {given / real:.2f}); test MSE {cvae_mse:.4f}")

    x = data.x_test[:1]
    timings = {
        "codebook usage (1000 test images)": lambda: codebook_usage(vq, data.x_test),
        "decoded image of each code (64)": lambda: code_images(vq),
        "an image's grid of indices": lambda: index_grid(vq, x),
        "class grid (10 x 8)": lambda: class_grid(cvae, 8),
        "style transfer (one image, 10 classes)": lambda: style_transfer(cvae, x, int(data.y_test[0])),
    }
    for name, fn in timings.items():
        print(f"view {name}: {_median_ms(fn):.1f} ms")


if __name__ == "__main__":
    main()
