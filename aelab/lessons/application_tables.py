"""Each Applications section's headline table as markdown lines (printed by the CLI and the bench, pasted in the
README)."""
from __future__ import annotations

import math
from collections.abc import Sequence


def markdown(header: Sequence[str], rows: Sequence[Sequence]) -> list[str]:
    """A markdown table; floats to 2 decimals (4 below 0.1), NaN as 'n/a'."""
    def cell(value) -> str:
        if isinstance(value, float):
            if math.isnan(value):
                return "n/a"
            return f"{value:.4f}" if abs(value) < 0.1 and value != 0 else f"{value:.2f}"
        return str(value)

    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(cell(v) for v in row) + " |" for row in rows)]


def compression_lines(result) -> list[str]:
    lines = []
    for name, rows in result.rows.items():
        seen = "the data the AEs were trained on" if name == "mnist-5k" else "data the AEs never saw"
        lines += [f"Rate-distortion on {name} ({seen}); bytes per image, PSNR the mean of each image's PSNR:", ""]
        lines += markdown(("method", "setting", "file bytes", "payload bytes", "PSNR (dB)"),
                          [(r["method"], r["setting"], r["file_bytes"], r["payload_bytes"], r["PSNR (dB)"])
                           for r in rows])
        lines.append("")
    header = ("data", "best AE - JPEG at equal payload (dB)", "AE points within JPEG's range")
    lines += markdown(header, [(name, result.best[name], len(result.advantages[name])) for name in result.rows])
    return lines


def superres_lines(rows: Sequence[dict], factor: int) -> list[str]:
    return [f"Super-resolution x{factor} on the test split:", "",
            *markdown(("method", "MSE", "PSNR (dB)", "SSIM"),
                      [(r["method"], r["MSE"], r["PSNR (dB)"], r["SSIM"]) for r in rows])]


def watermark_lines(rows: Sequence[dict], opacity: float) -> list[str]:
    return [f"Watermark removal (stamp opacity {opacity:g}; inpainting given the true mask):", "",
            *markdown(("method", "PSNR (dB)", "PSNR in stamp (dB)", "SSIM", "SSIM in stamp"),
                      [(r["method"], r["PSNR (dB)"], r["PSNR in mask (dB)"], r["SSIM"], r["SSIM in mask"])
                       for r in rows])]


def memorisation_lines(report) -> list[str]:
    return ["Memorisation with a 1-D code:", "",
            *markdown(("images", "count", "MSE per pixel"),
                      [("memorised (training)", report.n_train, report.train_mse),
                       ("held out (test)", report.n_test, report.test_mse)]),
            "", f"train / test MSE ratio: {report.ratio:.3f}"]
