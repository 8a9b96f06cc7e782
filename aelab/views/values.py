"""The view values that are more than a number or a choice, with their link codecs: a chosen image, a drawing or a
mask as a small bitmap, a selection of images, a traversal's moved sliders, a point, barycentric weights.

Each writes itself with the characters a URL carries unescaped where it can (letters, digits, - . _ ~), so that a
28x28 drawing is a few hundred characters and a selection a list of index ranges; each read checks its sizes from
the text's header before it decodes or inflates anything.
"""
from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from aelab.views.codecs import Codec, LinkValueError, _bounded, parse_ranges, ranges_text

MAX_SIDE = 64  # the largest image side aelab takes (aelab.data.userdata.MAX_SIDE)
BITMAP_BITS = (1, 4)  # a mask: on/off; a drawing: 16 grey levels (what the page uses, in every browser)
MAX_SELECTION_ITEMS = 70_000  # the most images a map holds
SELECTION_TEXT_BUDGET = 1200  # characters of a selection in a link; a longer one stays out of it (the page says so)
MAX_MOVED = 512  # sliders a traversal link may move


# ------------------------------------------------------------------------------------------------ bitmaps
@dataclass(frozen=True)
class Bitmap:
    """A small greyscale image, quantised to bits per pixel: (height, width), packed rows of pixel levels."""

    height: int
    width: int
    bits: int
    packed: bytes

    @classmethod
    def from_array(cls, image: np.ndarray, bits: int) -> Bitmap:
        """image: (H, W) in [0, 1] -> its bitmap (1 bit: pixels above 0.5 are on; 4 bits: 16 even levels)."""
        image = np.asarray(image, dtype=np.float32)
        height, width = image.shape
        if bits == 1:
            return cls(height, width, 1, np.packbits(image > 0.5).tobytes())
        levels = np.clip(np.rint(image * 15), 0, 15).astype(np.uint8).ravel()
        if levels.size % 2:
            levels = np.append(levels, 0)
        return cls(height, width, 4, ((levels[0::2] << 4) | levels[1::2]).astype(np.uint8).tobytes())

    def to_array(self) -> np.ndarray:
        """(H, W) float32 in [0, 1]."""
        data = np.frombuffer(self.packed, np.uint8)
        n = self.height * self.width
        if self.bits == 1:
            return np.unpackbits(data)[:n].astype(np.float32).reshape(self.height, self.width)
        levels = np.stack([data >> 4, data & 15], axis=1).ravel()[:n]
        return (levels.astype(np.float32) / 15).reshape(self.height, self.width)

    def any(self) -> bool:
        return any(self.packed)


def _packed_size(height: int, width: int, bits: int) -> int:
    return (height * width * bits + 7) // 8


@dataclass(frozen=True)
class BitmapCodec(Codec):
    """'28x28.4.<base64url of the zlib-compressed packed levels>'."""

    def parse(self, raw: str) -> Bitmap:
        return parse_bitmap(_bounded(raw))

    def format(self, value: Any) -> str | None:
        if value is None:
            return None
        body = base64.urlsafe_b64encode(zlib.compress(value.packed, 9)).decode().rstrip("=")
        return f"{value.height}x{value.width}.{value.bits}.{body}"


def parse_bitmap(text: str) -> Bitmap:
    size, _, rest = text.partition(".")
    bits_text, _, body = rest.partition(".")
    height, _, width = size.partition("x")
    try:
        height, width, bits = int(height), int(width), int(bits_text)
    except ValueError:
        raise LinkValueError("is not a drawing (HxW.bits.data)") from None
    if not (1 <= height <= MAX_SIDE and 1 <= width <= MAX_SIDE) or bits not in BITMAP_BITS:
        raise LinkValueError(f"declares a {height}x{width} drawing of {bits} bits, beyond what any image here is")
    expected = _packed_size(height, width, bits)
    try:
        compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj()
        packed = inflater.decompress(compressed, expected + 1)  # never more than one byte past what it declares
    except (binascii.Error, ValueError, zlib.error):
        raise LinkValueError("is not a drawing (its data does not decode)") from None
    if len(packed) != expected or inflater.unconsumed_tail:
        raise LinkValueError(f"holds {len(packed)} bytes where a {height}x{width} drawing has {expected}")
    return Bitmap(height, width, bits, packed)


# ------------------------------------------------------------------------------------------------ images
@dataclass(frozen=True)
class ImageRef:
    """A chosen image: a test image by index, or a drawing (made like the dataset's images)."""

    index: int | None = None
    drawing: Bitmap | None = None


@dataclass(frozen=True)
class ImageRefCodec(Codec):
    """'test:22' (or '22') for a test image; 'draw.<bitmap>' for a drawing."""

    def parse(self, raw: str) -> ImageRef:
        text = _bounded(raw)
        if text.startswith("draw."):
            return ImageRef(drawing=parse_bitmap(text[5:]))
        split, _, number = text.rpartition(":")
        if split not in ("test", ""):
            raise LinkValueError("names a split other than test")
        try:
            index = int(number)
        except ValueError:
            raise LinkValueError("is not a valid value") from None
        return ImageRef(index=index)

    def format(self, value: Any) -> str | None:
        if value is None:
            return None
        if value.drawing is not None:
            return "draw." + BitmapCodec().format(value.drawing)
        return f"test:{value.index}"


# ------------------------------------------------------------------------------------------------ selections
@dataclass(frozen=True)
class Selection:
    """Images selected on a map: test indices of the dataset named (in the order they were selected)."""

    dataset: str
    indices: tuple[int, ...]


@dataclass(frozen=True)
class SelectionCodec(Codec):
    """'mnist-5k~3-7.9' (the dataset, then sorted index ranges) or 'mnist-5k~b1000.<data>' (one bit per image of
    the first 1000, compressed), whichever is shorter: a box on a map selects scattered images, which ranges spell
    out one by one and a bitmap in a few hundred characters. None (no place in a link) past the text budget."""

    def parse(self, raw: str) -> Selection:
        dataset, tilde, body = _bounded(raw).rpartition("~")
        if not tilde or not dataset:
            raise LinkValueError("is not a selection (dataset~ranges)")
        if body.startswith("b"):
            return Selection(dataset, _parse_index_bits(body[1:]))
        return Selection(dataset, parse_ranges(body, MAX_SELECTION_ITEMS, MAX_SELECTION_ITEMS))

    def format(self, value: Any) -> str | None:
        if value is None or not value.indices:
            return None
        ranges = ranges_text(value.indices)
        size = max(value.indices) + 1
        bits = np.zeros(size, bool)
        bits[list(value.indices)] = True
        packed = base64.urlsafe_b64encode(zlib.compress(np.packbits(bits).tobytes(), 9)).decode().rstrip("=")
        body = min(ranges, f"b{size}.{packed}", key=len)
        text = f"{value.dataset}~{body}"
        return text if len(text) <= SELECTION_TEXT_BUDGET else None


def _parse_index_bits(text: str) -> tuple[int, ...]:
    """'1000.<base64url of zlib(packbits)>' -> the indices of the set bits, the size checked before inflating."""
    size_text, _, body = text.partition(".")
    try:
        size = int(size_text)
    except ValueError:
        raise LinkValueError("is not a selection (b<size>.<data>)") from None
    if not 1 <= size <= MAX_SELECTION_ITEMS:
        raise LinkValueError(f"declares {size} images, more than a map holds")
    expected = (size + 7) // 8
    try:
        inflater = zlib.decompressobj()
        packed = inflater.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)), expected + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise LinkValueError("is not a selection (its data does not decode)") from None
    if len(packed) != expected or inflater.unconsumed_tail:
        raise LinkValueError(f"holds {len(packed)} bytes where {size} images take {expected}")
    bits = np.unpackbits(np.frombuffer(packed, np.uint8))[:size]
    return tuple(int(i) for i in np.flatnonzero(bits))


# ------------------------------------------------------------------------------------------------ numbers
@dataclass(frozen=True)
class MovedCodec(Codec):
    """A traversal's moved sliders, 'z3:0.512,z7:-1.2' (names 1-based, as the page shows them) <-> ((2, 0.512),
    (6, -1.2))."""

    def parse(self, raw: str) -> tuple[tuple[int, float], ...]:
        moved: dict[int, float] = {}
        entries = _bounded(raw).split(",")
        if len(entries) > MAX_MOVED:
            raise LinkValueError(f"moves more than {MAX_MOVED} sliders")
        for entry in entries:
            name, _, value = entry.strip().partition(":")
            try:
                dim, number = int(name.strip().lstrip("z")) - 1, float(value)
            except ValueError:
                raise LinkValueError(f"has an entry that is not zN:value ({entry[:20]!r})") from None
            if dim < 0 or number != number or abs(number) == float("inf"):
                raise LinkValueError(f"has an entry that is not zN:value ({entry[:20]!r})")
            moved[dim] = number
        return tuple(sorted(moved.items()))

    def format(self, value: Any) -> str | None:
        if not value:
            return None
        return ",".join(f"z{dim + 1}:{number:.4g}" for dim, number in value)


@dataclass(frozen=True)
class FloatsCodec(Codec):
    """A fixed number of floats, '0.2,0.5,0.3'."""

    count: int = 2

    def parse(self, raw: str) -> tuple[float, ...]:
        parts = _bounded(raw).split(",")
        try:
            values = tuple(float(p) for p in parts)
        except ValueError:
            raise LinkValueError("is not a list of numbers") from None
        if len(values) != self.count or not all(abs(v) < float("inf") for v in values):
            raise LinkValueError(f"is not {self.count} numbers")
        return values

    def format(self, value: Any) -> str | None:
        return None if value is None else ",".join(f"{v:.4g}" for v in value)


@dataclass(frozen=True)
class DimsCodec(Codec):
    """Two latent dimensions, 'z1,z3' (1-based, as the page names them) <-> (0, 2)."""

    def parse(self, raw: str) -> tuple[int, int]:
        parts = _bounded(raw).split(",")
        try:
            dims = tuple(int(p.strip().lstrip("z")) - 1 for p in parts)
        except ValueError:
            raise LinkValueError("is not two dimensions (z1,z2)") from None
        if len(dims) != 2 or min(dims) < 0:
            raise LinkValueError("is not two dimensions (z1,z2)")
        return dims

    def format(self, value: Any) -> str | None:
        return None if value is None else ",".join(f"z{d + 1}" for d in value)
