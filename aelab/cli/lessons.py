"""CLI command build-lessons: recompute what the Lessons page ships in pretrained/_lessons/ (aelab.cli.main registers
it)."""
from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

PARTS = ("sweep", "copy", "rate")  # what a build without --only recomputes


def register(subparsers, add_data_argument) -> None:
    p = subparsers.add_parser("build-lessons", help="recompute the Lessons page's shipped results: the bottleneck "
                                                    "sweep, the under/over-complete demo models and the "
                                                    "rate-distortion sweep")
    add_data_argument(p)
    p.add_argument("--out", default=None, help="folder to write (default: the package's pretrained/_lessons, rebuilt "
                   "in place)")
    p.add_argument("--overwrite", action="store_true", help="replace what an earlier build wrote in --out")
    p.add_argument("--only", choices=PARTS, default=None,
                   help="rebuild only the bottleneck sweep, the copy-demo models or the rate-distortion sweep (on "
                        "mnist-5k it trains 7 VAEs; on shapes it measures the shipped beta-VAEs)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: on a busy 2-core machine a second thread made training slower)")
    p.set_defaults(handler=cmd_build_lessons)


def _written(args) -> list[Path]:
    """What a build into --out replaces: the sweep's two files, the rate sweep's file and the copy-demo model folders
    of this dataset (named as load_dataset names it: a source's name, or the file or folder name of a path)."""
    from aelab.data.sources import BUNDLED_SOURCES, REMOTE_SOURCES
    from aelab.lessons.bottleneck import sweep_paths
    from aelab.lessons.copying import COPY_MODELS, copy_models_folder
    from aelab.lessons.rate import sweep_path as rate_sweep_path

    name = args.data if args.data in BUNDLED_SOURCES or args.data in REMOTE_SOURCES else Path(args.data).name
    parts = (args.only,) if args.only else PARTS
    written = list(sweep_paths(name, args.out)) if "sweep" in parts else []
    if "rate" in parts:
        written.append(rate_sweep_path(name, args.out))
    if "copy" in parts:
        folder = copy_models_folder(name, Path(args.out) / "models")
        written += [folder / f"copy-{spec.name}" for spec in COPY_MODELS]
    return written


def cmd_build_lessons(args) -> int:
    import torch

    from aelab.cli.common import check_output, dataset_from_args
    from aelab.lessons.bottleneck import METHOD_LABELS
    from aelab.lessons.capacity import build_lessons
    from aelab.lessons.copying import COPY_MODELS
    from aelab.lessons.paths import LESSONS_ROOT

    # --out checked before minutes of training; the package's own folder (no --out) is rebuilt in place, as ever.
    out = check_output(args.out or LESSONS_ROOT, "--out", overwrite=args.overwrite or args.out is None,
                       replaces=[] if args.out is None else _written(args))
    torch.set_num_threads(max(1, args.threads))
    dataset = dataset_from_args(args)
    with tqdm(total=1000, file=sys.stderr, bar_format="{l_bar}{bar}| {elapsed}<{remaining}") as bar:
        def on_progress(fraction: float, text: str) -> None:
            bar.update(max(0, int(fraction * 1000) - bar.n))
            bar.set_description(text[:70].ljust(70))

        summary = build_lessons(dataset, out, on_progress, (args.only,) if args.only else PARTS)
    if "sweep" in summary:
        print(f"bottleneck sweep on {dataset.name} ({summary['sweep_seconds']:.0f} s), test MSE per pixel:")
        print(f"{'code size':<12}" + "".join(f"{s:>9}" for s in summary["sizes"]))
        for name, errors in summary["sweep"].items():
            print(f"{METHOD_LABELS[name]:<12}" + "".join(f"{e:>9.5f}" for e in errors))
    if "copy" in summary:
        print(f"under/over-complete demo ({summary['copy_seconds']:.0f} s), MSE per pixel:")
        labels = {spec.name: spec.label for spec in COPY_MODELS}
        for name, scores in summary["copy"].items():
            print(f"  {labels[name]:<52} digits {scores['digits']:.5f}  noise {scores['noise']:.5f}")
    if "rate" in summary:
        print(f"rate-distortion sweep on {dataset.name} ({summary['rate_seconds']:.0f} s), nats per image:")
        for point in summary["rate"]:
            print(f"  {point.name:<28} beta {point.beta:<6g} rate {point.rate:8.2f}  distortion "
                  f"{point.distortion:8.2f}  active units {point.active_units}")
    return 0
