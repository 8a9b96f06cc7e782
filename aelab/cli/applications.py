"""CLI command applications: the Applications page's tables from the shipped models (aelab.cli.main registers it).

    python -m aelab applications compression [--bits 2,3,4,5,6,8] [--qualities 1,5,10,...] [--n 300]
    python -m aelab applications superres [--factor 2] [--n 500]
    python -m aelab applications watermark [--opacity 0.6] [--n 500] [--seed 0]
    python -m aelab applications memorisation
"""
from __future__ import annotations

import sys

from tqdm import tqdm

from aelab.errors import ConfigError


def register(subparsers) -> None:
    p = subparsers.add_parser("applications", help="what autoencoders are for: compression against JPEG/WebP, "
                                                   "super-resolution, watermark removal, memorisation (tables)")
    p.add_argument("section", choices=("compression", "superres", "watermark", "memorisation"))
    p.add_argument("--n", default=None, help="test images scored (default: 300 for compression, 500 otherwise)")
    p.add_argument("--bits", default="2,3,4,5,6,8", help="compression: bits per code dimension, comma-separated (1-16)")
    p.add_argument("--qualities", default="1,5,10,20,30,50,75,90",
                   help="compression: JPEG/WebP qualities, comma-separated (1-100)")
    p.add_argument("--factor", default="2", help="superres: downscaling factor; must divide the image side (2 or 4)")
    p.add_argument("--opacity", default="0.6", help="watermark: the stamp's opacity (above 0, at most 1)")
    p.add_argument("--seed", type=int, default=0, help="watermark: seed of the stamps' places")
    p.set_defaults(handler=cmd_applications)


def _numbers(text: str, what: str) -> list[float]:
    try:
        return [float(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"{what} must be comma-separated numbers, got {text!r}.") from None


def _number(text: str, what: str) -> float:
    values = _numbers(text, what)
    if len(values) != 1:
        raise ConfigError(f"{what} must be one number, got {text!r}.")
    return values[0]


def cmd_applications(args) -> int:
    import torch

    from aelab.analysis.compression import check_bits, check_qualities
    from aelab.analysis.superres import check_opacity, check_upscaling
    from aelab.data.sources import load_dataset
    from aelab.lessons import application_tables as tables
    from aelab.lessons import applications as apps

    torch.set_num_threads(2)
    # Every input is checked before anything is loaded or computed.
    n = None if args.n is None else apps.check_count(_number(args.n, "--n"), 100_000)
    if args.section == "compression":
        bits = check_bits(_numbers(args.bits, "--bits"))
        qualities = check_qualities(_numbers(args.qualities, "--qualities"))
    elif args.section == "superres":
        factor = check_upscaling(_number(args.factor, "--factor"), (28, 28))
    elif args.section == "watermark":
        opacity = check_opacity(_number(args.opacity, "--opacity"))
    dataset = load_dataset(apps.TRAINED_ON)
    with tqdm(total=1000, file=sys.stderr, bar_format="{l_bar}{bar}| {elapsed}<{remaining}") as bar:
        def on_progress(fraction: float, text: str) -> None:
            bar.update(max(0, int(fraction * 1000) - bar.n))
            bar.set_description(text[:60].ljust(60))

        if args.section == "compression":
            models = {label: apps.shipped(name).model for label, name in apps.COMPRESSION_MODELS.items()}
            datasets = {apps.TRAINED_ON: dataset, apps.OTHER_DATA: load_dataset(apps.OTHER_DATA)}
            result = apps.compression(datasets, models, dataset.x_train, n or 300, bits, qualities, on_progress)
            lines = tables.compression_lines(result)
        elif args.section == "superres":
            rows = apps.superres(dataset, apps.shipped(apps.SUPERRES_MODEL).model, factor, n or 500, on_progress)
            lines = tables.superres_lines(rows, factor)
        elif args.section == "watermark":
            rows = apps.watermark(dataset, apps.shipped(apps.WATERMARK_MODEL).model,
                                  apps.shipped(apps.PLAIN_MODEL).model, opacity, n or 500, args.seed, on_progress)
            lines = tables.watermark_lines(rows, opacity)
        else:
            lines = tables.memorisation_lines(apps.memorisation(dataset, n_test=n or 500))
    print("\n".join(lines))
    return 0
