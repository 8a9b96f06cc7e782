"""Autoencoders as lossy compressors, against JPEG and WebP: rate-distortion on test images, in bytes per image.

The autoencoder's code z (N, d) is quantised to b bits per dimension by a uniform quantiser over each dimension's
range on the model's training split (2^b levels from its minimum to its maximum; test codes outside are clipped):
d * b / 8 bytes per image, with no header, so its "file" and "payload" are the same. JPEG and WebP (Pillow) are
measured two ways: the whole file, and its payload (JPEG: the entropy-coded data after the start-of-scan header up to
the end-of-image marker, without the quantisation and Huffman tables; WebP: the VP8 or VP8L chunk's data). The
decoder's own size (the network's weights, the quantiser's ranges) is counted for nobody: JPEG's decoder is not
counted either, but it is general while the autoencoder's only knows the data it was trained on.

Images: x (N, 1, H, W) in [0, 1]; the codecs see them as 8-bit grey.
"""
from __future__ import annotations

import io
import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from aelab.analysis.latent import decode, encode_dataset
from aelab.analysis.metrics import psnr
from aelab.errors import ConfigError

Progress = Callable[[float, str], None]
CODECS = ("JPEG", "WebP")
QUALITY_LIMITS = (1, 100)  # Pillow's quality for both codecs (JPEG above 95 is discouraged but valid)
BITS_LIMITS = (1, 16)  # bits per code dimension: 1 is a sign bit, 16 is as fine as float16
DEFAULT_QUALITIES = (1, 5, 10, 20, 30, 50, 75, 90)
DEFAULT_BITS = (2, 3, 4, 5, 6, 8)


# ------------------------------------------------------------------------------------------------- bad input
def check_qualities(qualities: Sequence) -> tuple[int, ...]:
    """Whole numbers from 1 to 100, or a ConfigError naming the first that is not."""
    return _check_whole(qualities, QUALITY_LIMITS, "A codec quality")


def check_bits(bits: Sequence) -> tuple[int, ...]:
    """Whole numbers from 1 to 16 bits per code dimension, or a ConfigError naming the first that is not."""
    return _check_whole(bits, BITS_LIMITS, "Bits per code dimension")


def _check_whole(values: Sequence, limits: tuple[int, int], what: str) -> tuple[int, ...]:
    if len(values) == 0:
        raise ConfigError(f"{what}: give at least one value ({limits[0]} to {limits[1]}).")
    out = []
    for value in values:
        ok = isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer())
        if not ok or not limits[0] <= value <= limits[1]:
            raise ConfigError(f"{what} must be a whole number from {limits[0]} to {limits[1]}, got {value!r}.")
        out.append(int(value))
    return tuple(sorted(set(out)))


# ------------------------------------------------------------------------------------------------ payload parsers
def jpeg_payload(data: bytes) -> int:
    """Bytes of entropy-coded data in a JPEG file: from the end of the (last) start-of-scan header (marker FFDA) to
    the end-of-image marker (FFD9), both excluded. Walks the marker segments from SOI; a progressive file's later
    scans and their headers count as payload. Raises ValueError on anything that is not a JPEG."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file: no start-of-image marker")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError(f"not a JPEG marker at byte {pos}")
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker == 0xDA:
            start = pos + 2 + length
            end = data.rfind(b"\xff\xd9")
            if end < start:
                raise ValueError("a JPEG file without its end-of-image marker")
            return end - start
        pos += 2 + length
    raise ValueError("a JPEG file without a start-of-scan marker")


def webp_payload(data: bytes) -> int:
    """Bytes of compressed image data in a WebP file: the VP8 (lossy) or VP8L (lossless) chunk's declared size,
    without the RIFF header and any VP8X/ALPH/metadata chunks. Raises ValueError on anything that is not a WebP."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP file: no RIFF/WEBP header")
    pos = 12
    while pos + 8 <= len(data):
        tag, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if tag in (b"VP8 ", b"VP8L"):
            return int(size)
        pos += 8 + size + (size & 1)  # chunks are padded to an even size
    raise ValueError("a WebP file without a VP8 or VP8L chunk")


PAYLOAD = {"JPEG": jpeg_payload, "WebP": webp_payload}
_PIL_FORMAT = {"JPEG": "JPEG", "WebP": "WEBP"}


def encode_image(image: np.ndarray, codec: str, quality: int) -> bytes:
    """One (H, W) uint8 grey image as a codec's file."""
    buffer = io.BytesIO()
    Image.fromarray(image, mode="L").save(buffer, _PIL_FORMAT[codec], quality=int(quality))
    return buffer.getvalue()


def codec_roundtrip(x: torch.Tensor, codec: str, quality: int) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """(decoded (N, 1, H, W) in [0, 1], file bytes (N,), payload bytes (N,)) of each image through the codec."""
    images = (x[:, 0].detach().cpu().clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)
    decoded, files, payloads = [], [], []
    for image in images:
        data = encode_image(image, codec, quality)
        files.append(len(data))
        payloads.append(PAYLOAD[codec](data))
        decoded.append(np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float32) / 255.0)
    return torch.from_numpy(np.stack(decoded)).unsqueeze(1), np.asarray(files), np.asarray(payloads)


# ------------------------------------------------------------------------------------------------ the AE's code
@dataclass(frozen=True)
class Quantiser:
    """A uniform quantiser per code dimension over [low, high] (each (d,)), the code's range on a training split."""

    low: torch.Tensor
    high: torch.Tensor

    @classmethod
    def fit(cls, z_train: torch.Tensor) -> Quantiser:
        return cls(z_train.min(0).values, z_train.max(0).values)

    def __call__(self, z: torch.Tensor, bits: int) -> torch.Tensor:
        """z (N, d) -> the nearest of 2^bits evenly spaced levels from low to high, per dimension."""
        levels = 2 ** int(bits) - 1
        span = (self.high - self.low).clamp_min(1e-12)
        index = torch.round((z.clamp(self.low, self.high) - self.low) / span * levels)
        return self.low + index / levels * span


def ae_roundtrip(model, quantiser: Quantiser, x: torch.Tensor, bits: int) -> tuple[torch.Tensor, float]:
    """(decoded (N, 1, H, W) from codes quantised to bits per dimension, bytes per image = d * bits / 8)."""
    z = encode_dataset(model, x)
    return decode(model, quantiser(z, bits)), z.shape[1] * bits / 8


# ----------------------------------------------------------------------------------------------- rate-distortion
def rate_distortion(models: dict[str, object], x_train_by_model: dict[str, torch.Tensor], x: torch.Tensor,
                    bits: Sequence[int] = DEFAULT_BITS, qualities: Sequence[int] = DEFAULT_QUALITIES,
                    on_progress: Progress | None = None) -> list[dict]:
    """Rows of method ("AE d=16", "JPEG", "WebP"), family ("AE" or the codec), setting ("8 bits" or "q=50"),
    file_bytes, payload_bytes (means per image) and PSNR (dB, the mean of each image's PSNR) on x.
    x_train_by_model: each model's training images, whose codes set its quantiser's ranges."""
    bits, qualities = check_bits(bits), check_qualities(qualities)
    steps, rows, done = len(models) * len(bits) + len(CODECS) * len(qualities), [], 0
    for name, model in models.items():
        quantiser = Quantiser.fit(encode_dataset(model, x_train_by_model[name]))
        for b in bits:
            _tick(on_progress, done / steps, f"{name}, {b} bits per dimension")
            x_hat, size = ae_roundtrip(model, quantiser, x, b)
            rows.append({"method": name, "family": "AE", "setting": f"{b} bits", "file_bytes": size,
                         "payload_bytes": size, "PSNR (dB)": float(psnr(x_hat, x).mean())})
            done += 1
    for codec in CODECS:
        for q in qualities:
            _tick(on_progress, done / steps, f"{codec} at quality {q}")
            x_hat, files, payloads = codec_roundtrip(x, codec, q)
            rows.append({"method": codec, "family": codec, "setting": f"q={q}", "file_bytes": float(files.mean()),
                         "payload_bytes": float(payloads.mean()), "PSNR (dB)": float(psnr(x_hat, x).mean())})
            done += 1
    _tick(on_progress, 1.0, "Rate-distortion done")
    return rows


def _tick(on_progress: Progress | None, fraction: float, text: str) -> None:
    if on_progress is not None:
        on_progress(fraction, text)


def psnr_at(rows: Sequence[dict], family: str, size: float, column: str = "payload_bytes") -> float:
    """The family's PSNR at `size` bytes, linearly interpolated along its curve (sorted by size); NaN outside the
    sizes it reaches (no extrapolation: a codec that cannot get that small has no PSNR there)."""
    points = sorted((r[column], r["PSNR (dB)"]) for r in rows if r["family"] == family)
    if not points or not points[0][0] <= size <= points[-1][0]:
        return math.nan
    sizes, values = zip(*points)
    return float(np.interp(size, sizes, values))


def advantage(rows: Sequence[dict], codec: str = "JPEG", column: str = "payload_bytes") -> list[dict]:
    """For each AE point that the codec's curve reaches: method, setting, bytes, its PSNR, the codec's PSNR at the
    same bytes and the difference (dB; positive: the AE is better)."""
    out = []
    for row in rows:
        if row["family"] != "AE":
            continue
        other = psnr_at(rows, codec, row[column], column)
        if not math.isnan(other):
            out.append({"method": row["method"], "setting": row["setting"], "bytes": row[column],
                        "AE PSNR (dB)": row["PSNR (dB)"], f"{codec} PSNR (dB)": other,
                        "advantage (dB)": row["PSNR (dB)"] - other})
    return out


def best_advantage(rows: Sequence[dict], codec: str = "JPEG", column: str = "payload_bytes") -> float:
    """The largest AE-minus-codec PSNR at equal bytes (dB), or NaN when no AE point is within the codec's range."""
    gains = [a["advantage (dB)"] for a in advantage(rows, codec, column)]
    return max(gains) if gains else math.nan


def equal_bytes_examples(model, quantiser: Quantiser, x: torch.Tensor, bits: int,
                         qualities: Sequence[int] = tuple(range(1, 101))) -> dict[str, object]:
    """Thumbnails at (about) equal payload bytes: the AE at bits per dimension, and each codec at the quality whose
    mean payload on x is nearest the AE's bytes. {"images": {label: (N, 1, H, W)}, "bytes": {label: mean payload}}."""
    x_ae, size = ae_roundtrip(model, quantiser, x, check_bits([bits])[0])
    images, sizes = {"original": x, f"AE ({bits} bits)": x_ae}, {"original": math.nan, f"AE ({bits} bits)": size}
    for codec in CODECS:
        best = None
        for q in check_qualities(qualities):
            decoded, _, payloads = codec_roundtrip(x, codec, q)
            if best is None or abs(payloads.mean() - size) < abs(best[2] - size):
                best = (q, decoded, float(payloads.mean()))
            if payloads.mean() > size:  # payloads grow with quality: the nearest is this one or the one before
                break
        images[f"{codec} q={best[0]}"], sizes[f"{codec} q={best[0]}"] = best[1], best[2]
    return {"images": images, "bytes": sizes}
