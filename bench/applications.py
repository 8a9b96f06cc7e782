"""The Applications page's headline tables (markdown, for the README) and how long each section's view takes to
compute, on the shipped models.

Run from the repository root: .venv/bin/python -m bench.applications [--threads 2]

Each section is computed as the page computes it on a first visit (the page's default settings), timed once; the
baseline is one plain reconstruction of the 500 first test images by the shipped `ae`, measured in the same run,
and every time is also printed as a multiple of it. On a shared 2-core machine timings are noisy: read the ratios.
"""
from __future__ import annotations

import argparse
import time

import torch

from aelab.analysis.latent import reconstruct
from aelab.data.sources import load_dataset
from aelab.lessons import application_tables as tables
from aelab.lessons import applications as apps


def timed(compute):
    started = time.perf_counter()
    value = compute()
    return value, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    mnist, other = load_dataset(apps.TRAINED_ON), load_dataset(apps.OTHER_DATA)
    plain = apps.shipped(apps.PLAIN_MODEL).model
    reconstruct(plain, mnist.x_test[:10])  # the first call pays for lazy initialisation; not what we measure
    _, baseline = timed(lambda: reconstruct(plain, mnist.x_test[:500]))

    models = {label: apps.shipped(name).model for label, name in apps.COMPRESSION_MODELS.items()}
    result, t_compression = timed(lambda: apps.compression({mnist.name: mnist, other.name: other}, models,
                                                           mnist.x_train, 200))
    superres, t_superres = timed(lambda: apps.superres(mnist, apps.shipped(apps.SUPERRES_MODEL).model, 2, 500))
    watermark, t_watermark = timed(lambda: apps.watermark(mnist, apps.shipped(apps.WATERMARK_MODEL).model, plain,
                                                          apps.WATERMARK_OPACITY, 300))
    report, t_memorisation = timed(lambda: apps.memorisation(mnist))

    print("\n".join(tables.compression_lines(result)), end="\n\n")
    print("\n".join(tables.superres_lines(superres, 2)), end="\n\n")
    print("\n".join(tables.watermark_lines(watermark, apps.WATERMARK_OPACITY)), end="\n\n")
    print("\n".join(tables.memorisation_lines(report)), end="\n\n")
    rows = [("baseline: ae reconstructs 500 test images", baseline, 1.0),
            ("compression (3 AEs x 6 bit depths, JPEG + WebP x 8 qualities, 200 images x 2 datasets)",
             t_compression, t_compression / baseline),
            ("super-resolution (500 images)", t_superres, t_superres / baseline),
            ("watermark removal (300 images, 4 methods)", t_watermark, t_watermark / baseline),
            ("memorisation (32 + 500 images)", t_memorisation, t_memorisation / baseline)]
    print(f"Time per view, {args.threads} torch threads (first visit; the page caches the result):", end="\n\n")
    print("\n".join(tables.markdown(("view", "seconds", "x baseline"), rows)))


if __name__ == "__main__":
    main()
