"""How many image trainings to run at once (AELAB_MAX_TRAININGS): two trainings from two sessions, run one at a time
and then both at once, while the main thread answers "page" requests (encoding 600 test images, what a Latent page
visit does) as the server's threads would.

Reported per setting: wall time until both trainings are done, when the first one finished, and the median and p90
latency of a page request during the trainings; the ratios compare both-at-once with one-at-a-time in the same run.
Torch runs one intra-op thread per training (as the app does on 2 cores: half the cores), job threads at nice 10.

    .venv/bin/python -m bench.concurrent_trainings [--epochs 2] [--n-train 2000]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from aelab.analysis.latent import encode_dataset
from aelab.data.sources import load_dataset
from aelab.models.autoencoder import create_model
from aelab.models.variants import make_configs
from aelab.runtime.executors import ThreadExecutor
from aelab.runtime.jobs import FINISHED, JobManager
from aelab.train.job import TrainingRequest
from aelab.train.remote import training_work


def _request(dataset, epochs: int, n_train: int, seed: int) -> TrainingRequest:
    model_config, train_config = make_configs("ae", dataset.image_size, None, {"epochs": epochs, "seed": seed})
    return TrainingRequest("ae", model_config, train_config, dataset.name, dataset.x_train[:n_train],
                           dataset.x_test[:1000], dataset.x_test[:8], dataset.x_test[:600], dataset.y_test[:600],
                           dataset.class_names)


def _round(dataset, max_running: int, epochs: int, n_train: int) -> dict[str, float]:
    manager = JobManager(max_running=max_running, niceness=10)
    page_model = create_model(make_configs("ae", dataset.image_size)[0], 0).eval()
    started, wall_start = time.perf_counter(), time.time()
    jobs = [manager.submit(f"session {k}", f"training {k}",
                           training_work(_request(dataset, epochs, n_train, k), ThreadExecutor()))
            for k in range(2)]
    latencies, first_done = [], None
    while True:
        snaps = [manager.snapshot(j, f"session {k}", keys=()) for k, j in enumerate(jobs)]
        done = [s for s in snaps if s.status in FINISHED]
        if done and first_done is None:
            first_done = min(s.finished for s in done) - wall_start
        if len(done) == 2:
            break
        t = time.perf_counter()
        encode_dataset(page_model, dataset.x_test[:600])
        latencies.append(time.perf_counter() - t)
        time.sleep(0.2)
    total = time.perf_counter() - started
    latencies.sort()
    return {"total_s": total, "first_done_s": first_done, "page_p50_ms": 1000 * statistics.median(latencies),
            "page_p90_ms": 1000 * latencies[int(0.9 * (len(latencies) - 1))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--n-train", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    dataset = load_dataset("mnist-5k")
    _round(dataset, 1, 1, 200)  # warm-up: imports and first builds out of the measurement
    results = {n: _round(dataset, n, args.epochs, args.n_train) for n in (1, 2)}
    for n, r in results.items():
        print(f"{n} at once: both done {r['total_s']:.1f} s, first done {r['first_done_s']:.1f} s, page request "
              f"p50 {r['page_p50_ms']:.0f} ms, p90 {r['page_p90_ms']:.0f} ms")
    one, two = results[1], results[2]
    print(f"2 at once / 1 at once: total {two['total_s'] / one['total_s']:.2f}x, first done "
          f"{two['first_done_s'] / one['first_done_s']:.2f}x, page p50 {two['page_p50_ms'] / one['page_p50_ms']:.2f}x")


if __name__ == "__main__":
    main()
