"""The Restore page's rows of example images: clean, the damaged pixels, corrupted and every method's restoration; or,
presenting, four rows of large images, the best restorations with their scores beside them."""
from __future__ import annotations

import math

import torch

from aelab.analysis.restoration import REFERENCE, Method
from ui.common import present
from ui.common.widgets import show_rows


def show_examples(x: torch.Tensor, x_corrupt: torch.Tensor, mask: torch.Tensor, methods: dict[str, Method]) -> None:
    """One row per image set: clean, the damaged pixels (white), corrupted, then each method's restoration."""
    rows = {"clean": x} | ({} if mask.all() else {"damaged pixels": mask.float()}) | {"corrupted": x_corrupt}
    for method in methods.values():
        rows[method.name] = method.restore(x_corrupt, mask if method.needs_mask else None)
    show_rows(rows, scale=2, label_ratio=(2, 5) if present.presenting() else (1, 4))


PRESENTED_EXAMPLES = 6  # images per row while presenting: 6 at 3x fill the picture column at 1280 px


def show_presented(x: torch.Tensor, x_corrupt: torch.Tensor, mask: torch.Tensor, methods: dict[str, Method],
                   rows: list[dict]) -> None:
    """Presenting: four rows of large images (clean, corrupted, the best autoencoder's and the best classic method's
    restorations by PSNR, or the best two of whichever were chosen), each corrupted or restored row labelled with
    its PSNR and SSIM over the scored images."""
    scores = {row["method"]: row for row in rows}

    def psnr(name: str) -> float:
        value = scores[name]["PSNR (dB)"]
        return -math.inf if math.isnan(value) else value

    def label(name: str, shown: str) -> str:
        row = scores.get(name)
        return shown if row is None else f"{shown}  \nPSNR {row['PSNR (dB)']:.1f} dB, SSIM {row['SSIM']:.2f}"

    ranked = sorted((m for m in methods.values() if m.name in scores), key=lambda m: -psnr(m.name))
    best = [next((m for m in ranked if m.kind == kind), None) for kind in ("model", "classic")]
    picked = [m for m in best if m is not None]
    picked = picked if len(picked) == 2 else ranked[:2]
    n = PRESENTED_EXAMPLES
    shown = {"clean": x[:n], label(REFERENCE, "corrupted"): x_corrupt[:n]}
    for method in picked:
        shown[label(method.name, method.name)] = method.restore(x_corrupt[:n], mask[:n] if method.needs_mask else None)
    show_rows(shown, scale=3, label_ratio=(2, 5))
