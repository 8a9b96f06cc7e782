"""The score table for the README: pretrained autoencoders against the classic baselines, at a mild and a hard strength
of each corruption, on mnist-5k's test split; and how long the Restore page's default table takes to compute.

Run from the repository root: .venv/bin/python -m bench.restore_table [--images 1000] [--repeats 3]
Prints Markdown tables (PSNR of the whole image, PSNR inside the damaged pixels, SSIM), the best per column in bold,
then the timings, with the models-only table as the baseline measured in the same process. The README's tables are
this output pasted under its "Autoencoders against classic restoration" heading, each heading one level deeper.
PSNR is the mean over images of each image's PSNR and SSIM scikit-image's whole-image SSIM (aelab.analysis.metrics),
on the images each corruption changed (aelab.analysis.restoration.score_table); n/a: the method does not apply.
"""
from __future__ import annotations

import argparse
import functools
import statistics
import time

import torch

from aelab.analysis.restoration import REFERENCE, applicable, classic_methods, model_method, score_table
from aelab.data.corruption import CORRUPTION_INFO, apply_corruption
from aelab.data.sources import load_dataset
from aelab.library.store import PRETRAINED_ROOT, load_model

MODELS = ("ae", "denoising_ae", "denoising_gaussian", "denoising_mixed", "conv_ae", "vae", "pca")
# The Restore page's default models (ui/restore.DEFAULT_MODELS), also scored with their known pixels kept
KEEP_KNOWN = ("ae", "denoising_ae", "denoising_gaussian", "denoising_mixed")
SEED = 0


def all_methods() -> dict:
    methods = {}
    for name in MODELS:
        model = load_model(PRETRAINED_ROOT / name).model
        methods[f"model:{name}"] = model_method(name, model)
        if name in KEEP_KNOWN:
            methods[f"known:{name}"] = model_method(name, model, keep_known=True)
    methods.update({f"classic:{k}": m for k, m in classic_methods().items()})
    return methods


def markdown(results: dict[str, list[dict]], column: str, order: list[str], higher_is_better: bool = True,
             local_only: bool = False) -> str:
    """Rows: methods in order; columns: corruption @ strength; the best per column (not the reference) in bold."""
    settings = [s for s in results if not local_only or CORRUPTION_INFO[s.split(" @ ")[0]].local]
    methods = [REFERENCE, *order]
    lines = ["| method | " + " | ".join(settings) + " |", "|---|" + "---:|" * len(settings)]
    best = {}
    for setting in settings:
        values = [r[column] for r in results[setting] if r["method"] != REFERENCE]
        best[setting] = max(values) if higher_is_better else min(values)
    for method in methods:
        cells = []
        for setting in settings:
            row = next((r for r in results[setting] if r["method"] == method), None)
            if row is None:  # inpainting with Gaussian noise (no intact pixel), non-local means on blanked pixels
                cells.append("n/a")
                continue
            text = f"{row[column]:.3f}" if column.startswith("SSIM") else f"{row[column]:.2f}"
            cells.append(f"**{text}**" if method != REFERENCE and row[column] == best[setting] else text)
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def timed(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000, help="test images scored for the README tables")
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats (the median is printed)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # what the app gives itself on a 2-core laptop (ui/common/state.py: half the cores)
    dataset = load_dataset("mnist-5k")
    x = dataset.x_test[:args.images]
    methods = all_methods()
    order = [m.name for m in methods.values()]

    results: dict[str, list[dict]] = {}
    for name, info in CORRUPTION_INFO.items():
        if info.strength is None:
            continue
        for strength in info.strength.benchmark:
            x_corrupt, mask = apply_corruption(name, x, strength, torch.Generator().manual_seed(SEED))
            kept, _ = applicable(methods, name)
            results[f"{name} @ {strength:g}"] = score_table(x, x_corrupt, mask, kept)

    print(f"## Restoration scores on mnist-5k ({len(x)} test images, seed {SEED}; black boxes at random places)\n")
    left_out = [f"{setting}: {len(x) - rows[0]['images']}" for setting, rows in results.items()
                if rows[0]["images"] < len(x)]
    print("PSNR: the mean over images of each image's 10 log10(1 / MSE) (pixels in [0, 1]). SSIM: scikit-image's "
          "whole-image SSIM (Gaussian 11x11 window, sigma 1.5). n/a: the method does not apply (inpainting needs "
          "intact pixels; non-local means removes additive noise, and dropout, boxes and rows blank pixels instead). "
          "Images the corruption left unchanged have nothing to restore and are left out"
          + (f" ({', '.join(left_out)} of {len(x)})." if left_out else "."), "\n")
    print("### PSNR of the whole image (dB, higher is better)\n")
    print(markdown(results, "PSNR (dB)", order))
    print("\n### PSNR inside the damaged pixels (dB)\n")
    print(markdown(results, "PSNR in mask (dB)", order, local_only=True))
    print("\n### SSIM of the whole image\n")
    print(markdown(results, "SSIM", order))

    # The page's default table: 300 images, its four default models (+ known pixels where there is a mask) and the
    # four classic methods; the baseline is the same table with the models only.
    x_default = dataset.x_test[:300]
    print("\n## Time to compute the Restore page's default score table (300 images, 1 thread, median of "
          f"{args.repeats})\n")
    print("| corruption | models only (s) | default table (s) | ratio |\n|---|---:|---:|---:|")
    default_methods = {k: m for k, m in methods.items()
                       if k.startswith("classic:") or k.split(":")[1] in KEEP_KNOWN}
    models_only = {k: m for k, m in default_methods.items() if not k.startswith("classic:")}
    for name, info in CORRUPTION_INFO.items():
        if info.strength is None:
            continue
        x_corrupt, mask = apply_corruption(name, x_default, info.strength.default, torch.Generator().manual_seed(SEED))
        full, _ = applicable(default_methods, name)
        base, _ = applicable(models_only, name)
        t_base = timed(functools.partial(score_table, x_default, x_corrupt, mask, base), args.repeats)
        t_full = timed(functools.partial(score_table, x_default, x_corrupt, mask, full), args.repeats)
        print(f"| {name} @ {info.strength.default:g} | {t_base:.2f} | {t_full:.2f} | {t_full / t_base:.1f}x |")


if __name__ == "__main__":
    main()
