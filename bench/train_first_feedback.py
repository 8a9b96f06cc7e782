"""Time to first feedback of a training job: from submit to the first thing the Train page can draw.

Each round is a fresh process (as the server's first training is): it submits the Train page's default request (the
ae variant on mnist-5k's 4000 training images) and records when the job's state first holds the untrained model's
reconstructions ("preview"), the first latent frame, the first step's progress, and the first epoch's history. The
first step is what the page could show before (the untrained pictures used to come with the latent frame, after
scikit-learn's import, and the progress after the optimiser's first build imports torch._dynamo): the ratio
preview / first step is the gain. The page itself draws the test images from the submitted state, at once.

    .venv/bin/python -m bench.train_first_feedback [--rounds 3] [--base DIR]

--base DIR runs the same probe, alternating rounds, with the aelab package of DIR (an older checkout, e.g.
`git archive 7fe405f aelab | tar -x -C /tmp/base`) as the baseline; its first picture is its first latent frame (the
untrained reconstructions came with it).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

PROBE = r"""
import functools, json, time
import torch
torch.set_num_threads(1)
from aelab.data.sources import load_dataset
from aelab.models.variants import make_configs
from aelab.runtime.jobs import JobManager
from aelab.train.job import TrainingRequest, run_training
ds = load_dataset("mnist-5k")
mc, tc = make_configs("ae", ds.image_size)
req = TrainingRequest("ae", mc, tc, ds.name, ds.x_train, ds.x_test[:2000], ds.x_test[:8], ds.x_test[:600],
                      ds.y_test[:600], ds.class_names)
manager = JobManager(max_running=1, niceness=10)
start = time.perf_counter()
job = manager.submit("bench", "ae", functools.partial(run_training, req))
seen = {}
while "epoch" not in seen:
    state = manager.snapshot(job, "bench", keys=("preview", "latent_frames", "progress", "history")).state
    now = time.perf_counter() - start
    for key, name in (("preview", "preview"), ("latent_frames", "latent frame"), ("progress", "first step"),
                      ("history", "epoch")):
        if state.get(key) is not None and len(state[key]) and name not in seen:
            seen[name] = now
    time.sleep(0.002)
manager.shutdown()
print(json.dumps(seen))
"""


def _probe(base: str | None) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": base} if base else None
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env,
                         cwd=base or None)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    seen["first picture"] = min(seen.get("preview", float("inf")), seen["latent frame"])
    return seen


def _report(label: str, rounds: list[dict[str, float]]) -> None:
    print(label)
    for name in ("first picture", "latent frame", "first step", "epoch"):
        print(f"  {name:>14}: median {statistics.median(r[name] for r in rounds):6.3f} s "
              f"({', '.join(f'{r[name]:.3f}' for r in rounds)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", help="a folder holding an older aelab package: the baseline")
    args = parser.parse_args()
    now, base = [], []
    for _ in range(args.rounds):
        now.append(_probe(None))
        if args.base:
            base.append(_probe(args.base))
    _report("this checkout", now)
    ratio = statistics.median(r["first picture"] / r["first step"] for r in now)
    print(f"first picture / first step: {ratio:.3f}")
    if base:
        _report(f"baseline ({args.base})", base)
        first = statistics.median(r["first picture"] for r in now) / statistics.median(r["first picture"] for r in base)
        print(f"first picture, this checkout / baseline: {first:.3f}")


if __name__ == "__main__":
    main()
