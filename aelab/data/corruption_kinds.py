"""What a page or a config needs to know about each corruption, without torch: its strength's name, range and
default, whether it damages a region that inpainting can fill, whether training may use it (the functions that
apply them are in aelab.data.corruption)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Strength:
    """The one number that sets how hard a corruption hits. Ranges are for 28x28 images; a size or count in pixels
    (in_pixels) scales with the image side (see `strength_range`)."""

    label: str  # what the number is, for sliders and messages: "noise sigma", "box side in pixels"
    low: float  # smallest useful value (above 0: a strength of 0 would corrupt nothing)
    high: float  # largest useful value on a slider
    default: float
    step: float
    limit: float  # the largest value a training config accepts
    in_pixels: bool = False  # a whole number of pixels, capped by the image side
    sweep: tuple[float, ...] = ()  # strengths for a PSNR-vs-strength chart
    benchmark: tuple[float, float] = (0.0, 0.0)  # a mild and a hard strength, for the README's score table


@dataclass(frozen=True)
class CorruptionInfo:
    label: str
    description: str
    strength: Strength | None  # None: the user's drawn mask has no strength
    local: bool  # True when the mask marks a part of the image, which inpainting can fill from the rest
    trainable: bool  # usable as TrainConfig.noise (a drawn mask is one fixed mask, not a noise model)
    blanks: bool = False  # sets the pixels it touches to one fill value: no additive noise for a denoiser to remove


CORRUPTION_INFO: dict[str, CorruptionInfo] = {
    "gaussian": CorruptionInfo(
        "Gaussian noise", "Adds N(0, sigma^2) to every pixel, clipped to [0, 1].",
        Strength("noise sigma", 0.05, 1.0, 0.3, 0.05, 10.0, sweep=(0.1, 0.2, 0.3, 0.4, 0.5, 0.7),
                 benchmark=(0.2, 0.5)), local=False, trainable=True),
    "salt_and_pepper": CorruptionInfo(
        "Salt and pepper", "Sets a fraction of the pixels to white or black at random.",
        Strength("fraction of pixels", 0.02, 0.9, 0.2, 0.02, 1.0, sweep=(0.05, 0.1, 0.2, 0.3, 0.5, 0.7),
                 benchmark=(0.1, 0.4)), local=True, trainable=True),
    "dropout": CorruptionInfo(
        "Dropout mask", "Sets a fraction of the pixels to 0, as a dropout-trained denoising AE sees its input.",
        Strength("fraction of pixels", 0.05, 0.95, 0.5, 0.05, 1.0, sweep=(0.1, 0.25, 0.4, 0.5, 0.65, 0.8),
                 benchmark=(0.25, 0.65)), local=True, trainable=True, blanks=True),
    "box": CorruptionInfo(
        "Box", "Covers a square (black or grey) at a chosen or random place.",
        Strength("box side in pixels", 2, 20, 10, 1, 256, in_pixels=True, sweep=(4, 6, 8, 10, 12, 14, 16),
                 benchmark=(6, 12)), local=True, trainable=True, blanks=True),
    "rows": CorruptionInfo(
        "Missing rows", "Blanks a block of consecutive rows, as a torn or badly scanned image.",
        Strength("rows", 1, 16, 6, 1, 256, in_pixels=True, sweep=(2, 4, 6, 8, 10, 12), benchmark=(3, 8)),
        local=True, trainable=True, blanks=True),
    "mixed": CorruptionInfo(
        "Mixed", "Each image gets one of the five kinds above, chosen at random, at its default strength times this "
        "scale.",
        Strength("strength scale (1 = each kind's default)", 0.25, 2.0, 1.0, 0.25, 3.0,
                 sweep=(0.25, 0.5, 0.75, 1.0, 1.5, 2.0), benchmark=(0.5, 1.5)), local=True, trainable=True),
    # Super-resolution as a corruption, so the denoising machinery (training noise, the Restore page) serves it. The
    # factor must divide the image side: aelab.data.corruption.check_factor says which do.
    "lowres": CorruptionInfo(
        "Low resolution", "Area-averages the image down by this factor (28x28 to 14x14 at 2, 7x7 at 4), then "
        "scales it back up with bicubic interpolation: the detail is gone.",
        Strength("downscaling factor", 2, 4, 2, 2, 16, sweep=(2, 4), benchmark=(2, 4)), local=False, trainable=True),
    "watermark": CorruptionInfo(
        "Watermark", "Stamps a semi-transparent white 'AE' at a random place; the model is not told where.",
        Strength("stamp opacity", 0.2, 1.0, 0.6, 0.1, 1.0, sweep=(0.2, 0.4, 0.6, 0.8, 1.0), benchmark=(0.4, 0.8)),
        local=True, trainable=True),
    "user_mask": CorruptionInfo(
        "Drawn mask", "Blanks the pixels you draw over on the canvas.", None, local=True, trainable=False, blanks=True),
}

TRAINABLE_CORRUPTIONS: tuple[str, ...] = tuple(name for name, info in CORRUPTION_INFO.items() if info.trainable)


def strength_range(name: str, image_size: tuple[int, int] = (28, 28)) -> Strength:
    """The corruption's strength with sizes in pixels scaled to the image (a 10-pixel box on 28x28 is a 3-pixel box
    on 8x8) and capped by the image side, so every value a slider offers is meaningful."""
    strength = corruption_info(name).strength
    if strength is None:
        raise ValueError(f"The corruption {name!r} has no strength.")
    if not strength.in_pixels:
        return strength
    side = min(image_size)

    def scale(value: float) -> int:
        return int(min(side, max(1, round(value * side / 28))))

    return Strength(strength.label, scale(strength.low), scale(strength.high), scale(strength.default), 1,
                    strength.limit, True, tuple(sorted({scale(s) for s in strength.sweep})),
                    (scale(strength.benchmark[0]), scale(strength.benchmark[1])))


def check_factor(factor, image_size: tuple[int, int]) -> int:
    """The downscaling factor as an int, or a ValueError when it is not a whole number of at least 2 that divides
    both sides of the image (a 28x28 image shrinks by 2, 4, 7 or 14)."""
    height, width = image_size
    valid = [f for f in range(2, min(height, width) + 1) if height % f == 0 and width % f == 0]
    ok = float(factor).is_integer() and int(factor) in valid
    if not ok:
        raise ValueError(f"The upscaling factor {factor:g} does not divide the {height}x{width} image into whole "
                         f"pixels; valid factors: {', '.join(map(str, valid)) or 'none'}.")
    return int(factor)


def corruption_info(name: str) -> CorruptionInfo:
    try:
        return CORRUPTION_INFO[name]
    except KeyError:
        raise ValueError(f"Unknown corruption {name!r}; valid: {', '.join(CORRUPTION_INFO)}.") from None
