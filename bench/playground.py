"""The Playground's two figures: how long a toy model takes to train to convergence, and how long one refresh of the
page's picture takes while a model trains in the background.

1. Training time, median of 5 seeds, for each (set, variant) the page offers by default, each checked converged with
   the unit tests' own criterion. Baseline, measured in the same run and alternating with it: a bare PyTorch loop
   (same MLP 2-64-64-1-64-64-2, same batches, plain Adam) for the same number of steps, so the ratio is what
   aelab's loop (generator, checks, per-step losses) costs on these tiny models.
2. Refresh: what the page's fragment computes each REFRESH_S seconds for the vector field (r on the grid under the
   run's lock, the Plotly figure, its JSON), idle against while a background thread trains the run.

    .venv/bin/python -m bench.playground [--repeats 5] [--threads 1]
    .venv/bin/python -m bench.playground --load 2     # the same with 2 busy processes beside it (a loaded machine)

Each part prints the machine's load average (1 minute) before and after it: on a shared machine "quiet" means no load
of this script's making, and the numbers say what the rest of the machine was doing.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import threading
import time

import torch
from torch import nn

from aelab.analysis import toy as views
from aelab.data.toy import make_toy
from aelab.lessons.playground import ToyRun, contraction_at_matched_error
from ui.playground import figures  # noqa: E402

CASES = [  # (set, variant, converged?)
    ("spiral", "denoising_ae", lambda r, m: m["denoised_distance"] <= 0.6 * m["noisy_distance"]),
    ("moons", "mlp_ae", lambda r, m: m["recon_error"] * 3 <= pca_error(r.data)),
    ("sine", "linear_ae", lambda r, m: m["angle_to_pca_deg"] < 2),
    ("circle", "contractive_ae", lambda r, m: (lambda c: c["contraction_ratio"] < 0.8 * c["plain_contraction_ratio"])(
        contraction_at_matched_error(r))),
    ("spiral", "vae_2d", lambda r, m: m["denoised_distance"] < m["noisy_distance"]),
]


def pca_error(data) -> float:
    """PCA's squared error per point on the same data."""
    run = ToyRun(data, "pca")
    run.step_epochs(1)
    return run.recon_error()


def aelab_seconds(name: str, variant: str, seed: int) -> tuple[float, ToyRun]:
    run = ToyRun(make_toy(name, n=1000, seed=seed), variant, train={"seed": seed}, reference=False)
    started = time.perf_counter()
    run.step_epochs(run.total_epochs)
    return time.perf_counter() - started, run


def bare_seconds(run: ToyRun) -> float:
    """The same number of Adam steps on a bare 2-64-64-1-64-64-2 MLP: the tutorial loop."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1),
                          nn.Linear(1, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=run.train_config.lr)
    x, batch = run.x, run.train_config.batch_size
    started = time.perf_counter()
    for _ in range(run.train_config.epochs):
        order = torch.randperm(len(x))
        for start in range(0, len(x), batch):
            xb = x[order[start:start + batch]]
            loss = ((model(xb) - xb) ** 2).sum(1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return time.perf_counter() - started


def training_times(repeats: int) -> None:
    print(f"1. Training to convergence, 1000 points, median of {repeats} seeds (1 torch thread)")
    print(f"{'set':<8} {'variant':<16} {'epochs':>6} {'median s':>9} {'min s':>7} {'max s':>7}  converged")
    for name, variant, converged in CASES:
        times, ok = [], 0
        for seed in range(repeats):
            seconds, run = aelab_seconds(name, variant, seed)
            times.append(seconds)
            ok += bool(converged(run, run.metrics()))
        print(f"{name:<8} {variant:<16} {run.total_epochs:>6} {statistics.median(times):>9.2f} {min(times):>7.2f} "
              f"{max(times):>7.2f}  {ok}/{repeats}")
    aelab, bare = [], []
    for seed in range(repeats):  # alternate, so a noisy machine slows both alike
        seconds, run = aelab_seconds("moons", "mlp_ae", seed)
        aelab.append(seconds)
        bare.append(bare_seconds(run))
    ratio = statistics.median(aelab) / statistics.median(bare)
    print(f"mlp_ae on moons: aelab loop {statistics.median(aelab):.2f} s, bare PyTorch loop "
          f"{statistics.median(bare):.2f} s (same steps): ratio {ratio:.2f}x")


def refresh_ms(run: ToyRun, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        with run.holding():  # as the page does
            field = views.vector_field(run.model, run.data.points)
        figures.field_figure(run.data.points, field, None, "bench", run.data.clean).to_json()
        out.append(1000 * (time.perf_counter() - started))
    return out


def refresh_times(repeats: int) -> None:
    print("\n2. One refresh of the vector field (r on a 23x23 grid, the figure, its JSON), denoising AE on the spiral")
    run = ToyRun(make_toy("spiral", n=1000, seed=0), "denoising_ae", train={"epochs": 10_000}, reference=False)
    run.step_epochs(1)
    refresh_ms(run, 3)  # warm up plotly's validators
    idle = refresh_ms(run, 10 * repeats)
    stop = threading.Event()
    trainer = threading.Thread(target=run.step_epochs, args=(10_000, stop.is_set), daemon=True)
    before = run.epoch
    started = time.perf_counter()
    trainer.start()
    busy = []
    for _ in range(10 * repeats):  # the page polls every 0.7 s; polling faster here only makes it harsher
        busy += refresh_ms(run, 1)
        time.sleep(0.1)
    stop.set()
    trainer.join()
    rate = (run.epoch - before) / (time.perf_counter() - started)
    ratio = statistics.median(busy) / statistics.median(idle)
    print(f"idle: median {statistics.median(idle):.0f} ms; while training: median {statistics.median(busy):.0f} ms, "
          f"90th percentile {statistics.quantiles(busy, n=10)[-1]:.0f} ms; ratio {ratio:.2f}x; training went on at "
          f"{rate:.0f} epochs/s meanwhile")


def _busy(stop) -> None:
    """A process that keeps one core busy (a tight matrix product loop) until stop is set."""
    torch.set_num_threads(1)
    a = torch.randn(256, 256)
    while not stop.is_set():
        a = torch.tanh(a @ a)


def _load_average() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--load", type=int, default=0, help="busy processes to run beside the benchmark")
    parser.add_argument("--only", choices=("training", "refresh"), default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=_busy, args=(stop,), daemon=True) for _ in range(args.load)]
    for burner in burners:
        burner.start()
    print(f"{args.load} busy process(es) beside it; load average {_load_average()} at the start")
    try:
        if args.only != "refresh":
            training_times(args.repeats)
        if args.only != "training":
            refresh_times(args.repeats)
    finally:
        stop.set()
        for burner in burners:
            burner.join()
    print(f"load average {_load_average()} at the end")


if __name__ == "__main__":
    main()
