"""Training throughput: aelab's loop against a bare PyTorch loop, same model, same data, same process.

The model is the MLP AE 784-512-256-16 (ReLU, sigmoid output, MSE), batch 128, Adam lr 1e-3, on mnist-5k's 4000
training images. The two loops alternate, round after round, so a noisy machine slows both alike; the figure that
matters is the ratio of medians. Goal: aelab >= 1.1x the bare loop.

    .venv/bin/python -m bench.train_throughput [--rounds 5] [--epochs 3] [--threads 2]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from aelab.data.sources import load_dataset
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs
from aelab.train.loop import train


def bare_model() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 16), nn.Linear(16, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(),
                         nn.Linear(512, 784), nn.Sigmoid())


def bare_loop(x: torch.Tensor, epochs: int, batch_size: int) -> float:
    """The loop most tutorials write: index a random batch, forward, MSE, backward, plain Adam. Returns samples/s."""
    torch.manual_seed(0)
    model = bare_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    flat_target = x.flatten(1)
    started = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(x.shape[0])
        for start in range(0, x.shape[0], batch_size):
            idx = order[start:start + batch_size]
            loss = nn.functional.mse_loss(model(x[idx]), flat_target[idx], reduction="sum") / len(idx)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return epochs * x.shape[0] / (time.perf_counter() - started)


def aelab_loop(x: torch.Tensor, epochs: int, batch_size: int) -> float:
    model_config, train_config = make_configs("ae", (28, 28), {"hidden": (512, 256), "latent_dim": 16},
                                              {"epochs": epochs, "batch_size": batch_size, "lr": 1e-3,
                                               "recon_loss": "mse", "device": "cpu"})
    model = create_model(model_config, 0)
    started = time.perf_counter()
    for _ in train(model, x, train_config):
        pass
    return epochs * x.shape[0] / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = load_dataset("mnist-5k").x_train
    bare_loop(x, 1, args.batch_size), aelab_loop(x, 1, args.batch_size)  # warm-up: allocator, kernels
    bare, ours = [], []
    for round_ in range(args.rounds):
        bare.append(bare_loop(x, args.epochs, args.batch_size))
        ours.append(aelab_loop(x, args.epochs, args.batch_size))
        print(f"round {round_ + 1}: bare {bare[-1]:8.0f} samples/s   aelab {ours[-1]:8.0f} samples/s   "
              f"ratio {ours[-1] / bare[-1]:.2f}")
    ratios = [o / b for o, b in zip(ours, bare)]
    print(f"median: bare {statistics.median(bare):.0f} samples/s, aelab {statistics.median(ours):.0f} samples/s, "
          f"aelab/bare = {statistics.median(ours) / statistics.median(bare):.2f}x; median of the per-round ratios "
          f"{statistics.median(ratios):.2f}x (goal >= 1.10x; a round where another process stole the CPU shows "
          "as an outlier ratio, which the median of ratios ignores)")


if __name__ == "__main__":
    main()
