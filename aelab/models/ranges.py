"""The values every numeric knob accepts, as data: the configs validate with these ranges, and the Train page and the
CLI parse typed text with them, so the three cannot disagree."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from aelab.errors import ConfigError


@dataclass(frozen=True)
class NumberRange:
    """The values one numeric field accepts: from low (excluded when low_open) to high, whole numbers only when
    integer. The configs validate with these, and the Train page and the CLI parse typed text with them, so the
    three cannot disagree."""

    low: float
    high: float
    integer: bool = False
    low_open: bool = False

    def describe(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        low, high = (plain(self.low), plain(self.high))
        return f"{kind} above {low} and at most {high}" if self.low_open else f"{kind} from {low} to {high}"

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            return False
        if self.integer and not float(value).is_integer():
            return False
        return (self.low < value if self.low_open else self.low <= value) and value <= self.high

    def check(self, name: str, value: Any) -> None:
        if not self.contains(value):
            raise ConfigError(f"{name} must be {self.describe()}, got {value!r}.")

    def parse(self, name: str, text: Any) -> int | float:
        """Typed text as a number in range ("1e3" is the whole number 1000); ConfigError names name and the range.
        NaN, infinities and values the browser would round or truncate are refused, never coerced."""
        text = str(text).strip()
        value = _number(text)
        if value is not None and self.integer and value.is_integer():
            value = int(text) if _is_int(text) else int(value)  # int(text) keeps all digits of a large seed
        if value is None or not self.contains(value):
            raise ConfigError(f"{name} must be {self.describe()}, got {text!r}.")
        return value


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def plain(bound: float) -> str:
    """A bound as a person writes it: 10000, 0.5, 9223372036854775807 (not 1e+04 or 9.22337e+18)."""
    return str(int(bound)) if float(bound).is_integer() else f"{bound:g}"


# Every numeric field's accepted values; hidden: each layer's width. noise_level depends on the noise type: see
# noise_level_range.
RANGES: dict[str, NumberRange] = {
    "latent_dim": NumberRange(1, 4096, integer=True),
    "hidden": NumberRange(1, 8192, integer=True),
    "temperature": NumberRange(0, 10_000, low_open=True),
    "epochs": NumberRange(1, 10_000, integer=True),
    "batch_size": NumberRange(1, 65_536, integer=True),
    "lr": NumberRange(0, 10, low_open=True),
    "weight_decay": NumberRange(0, 10_000),
    "beta": NumberRange(0, 10_000),
    "sparsity_weight": NumberRange(0, 10_000),
    "contractive_weight": NumberRange(0, 10_000),
    "seed": NumberRange(0, 2**63 - 1, integer=True),  # what torch.Generator.manual_seed takes
    # VQ-VAE: K codes, 2 (one bit per slot) to 1024 (beyond that, on a few thousand MNIST digits, most stay dead);
    # each code_dim numbers.
    "codebook_size": NumberRange(2, 1024, integer=True),
    "code_dim": NumberRange(1, 256, integer=True),
    "commitment_weight": NumberRange(0, 10_000),
    "n_classes": NumberRange(2, 1000, integer=True),  # a conditional model's labels
}


def parse_sizes(name: str, text: Any) -> tuple[int, ...]:
    """Comma-separated layer sizes ("256, 128"; ";" works too) in RANGES["hidden"]; ConfigError names name."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    try:
        return tuple(RANGES["hidden"].parse(name, part) for part in parts)
    except ConfigError:
        raise ConfigError(f"{name} must be whole numbers from {plain(RANGES['hidden'].low)} to "
                          f"{plain(RANGES['hidden'].high)} separated by commas, e.g. 256, 128; got {text!r}.") \
            from None
