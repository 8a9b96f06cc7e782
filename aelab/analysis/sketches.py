"""Small static charts drawn straight to pixels (Pillow): a coloured scatter of 2-D codes, a few loss curves, and
points joined to their reconstructions.

Why not Plotly: the Home page's cards are thumbnails nobody zooms, and the first Plotly chart a browser shows costs it
~1.5-3 s of loading and compiling plotly.js (measured with bench/startup.py on 2 cores) before the page is settled.
A PNG of a few kilobytes is drawn in milliseconds here and shows at once. Drawn at 2x and reduced, so dots and
lines are smooth. Colours are "#RRGGBB" strings (the app's palette), arrays come back as (H, W, 3) uint8.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

SUPERSAMPLE = 2
BACKGROUND = "#FFFFFF"
FRAME = "#D0D0D0"


@dataclass(frozen=True)
class Curve:
    """One line of a line chart: y values at x values, drawn solid or dashed."""

    xs: Sequence[float]
    ys: Sequence[float | None]
    colour: str
    dashed: bool = False


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _to_box(values: np.ndarray, low: float, high: float, start: float, length: float, flip: bool = False):
    """values in [low, high] mapped onto [start, start + length] (flipped for y: pixels grow downwards)."""
    span = high - low if high > low else 1.0
    unit = (values - low) / span
    return start + length * ((1.0 - unit) if flip else unit)


def _finish(canvas: Image.Image, width: int, height: int) -> np.ndarray:
    return np.asarray(canvas.convert("RGB").resize((width, height), Image.Resampling.BOX))


def _pixels(coords: np.ndarray, bounds: np.ndarray, size: tuple[int, int], pad: float) -> np.ndarray:
    """coords (N, 2) -> pixel positions (N, 2) in a canvas of size (w, h), bounds (2, 2) = [low, high] mapped to the
    padded box (y flipped: pixels grow downwards)."""
    (low, high), (w, h) = bounds, size
    return np.stack([_to_box(coords[:, 0], low[0], high[0], pad, w - 2 * pad),
                     _to_box(coords[:, 1], low[1], high[1], pad, h - 2 * pad, flip=True)], axis=1)


def _dots(draw: ImageDraw.ImageDraw, pixels: np.ndarray, colours: Sequence[str], radius: float, alpha: int,
          keep: np.ndarray) -> None:
    for (x, y), colour, shown in zip(pixels, colours, keep):
        if shown:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(*_rgb(colour), alpha))


def scatter_sketch(coords: np.ndarray, colours: Sequence[str], width: int = 320, height: int = 200,
                   dot: float = 2.5, opacity: float = 0.8) -> np.ndarray:
    """coords (N, 2) as dots, coords[i] in colours[i], in a thin frame; the axes keep their aspect free (a card)."""
    s = SUPERSAMPLE
    canvas = Image.new("RGBA", (width * s, height * s), BACKGROUND)
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    finite = np.isfinite(coords).all(axis=1)
    if finite.any():
        bounds = np.stack([coords[finite].min(axis=0), coords[finite].max(axis=0)])
        _dots(ImageDraw.Draw(layer), _pixels(coords, bounds, canvas.size, 6 * s), colours, dot * s,
              int(round(255 * opacity)), finite)
    canvas = Image.alpha_composite(canvas, layer)
    ImageDraw.Draw(canvas).rectangle((0, 0, canvas.width - 1, canvas.height - 1), outline=FRAME, width=s)
    return _finish(canvas, width, height)


def reconstruction_sketch(points: np.ndarray, reconstructions: np.ndarray, point_colour: str, recon_colour: str,
                          width: int = 320, height: int = 200, dot: float = 2.0) -> np.ndarray:
    """points (N, 2) as dots in point_colour, each joined by a faint line to its reconstruction (N, 2), a dot in
    recon_colour: what an autoencoder does to each point. Both share one frame, equal units on both axes."""
    s = SUPERSAMPLE
    canvas = Image.new("RGBA", (width * s, height * s), BACKGROUND)
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    reconstructions = np.asarray(reconstructions, dtype=np.float64).reshape(-1, 2)
    both = np.concatenate([points, reconstructions])
    keep = np.isfinite(points).all(axis=1) & np.isfinite(reconstructions).all(axis=1)
    if keep.any():
        low, high = both[np.concatenate([keep, keep])].min(axis=0), both[np.concatenate([keep, keep])].max(axis=0)
        # equal units: the narrower axis' range widened about its centre to the frame's aspect
        pad = 6 * s
        box = np.array([canvas.width - 2 * pad, canvas.height - 2 * pad], dtype=np.float64)
        units = max(float(np.max((high - low) / box)), 1e-12)
        centre = (low + high) / 2
        bounds = np.stack([centre - box * units / 2, centre + box * units / 2])
        p, r = _pixels(points, bounds, canvas.size, pad), _pixels(reconstructions, bounds, canvas.size, pad)
        for (x0, y0), (x1, y1), shown in zip(p, r, keep):
            if shown:
                draw.line((x0, y0, x1, y1), fill=(*_rgb(point_colour), 70), width=s)
        _dots(draw, p, [point_colour] * len(p), dot * s, 200, keep)
        _dots(draw, r, [recon_colour] * len(r), dot * s, 230, keep)
    canvas = Image.alpha_composite(canvas, layer)
    ImageDraw.Draw(canvas).rectangle((0, 0, canvas.width - 1, canvas.height - 1), outline=FRAME, width=s)
    return _finish(canvas, width, height)


def line_sketch(curves: Sequence[Curve], width: int = 320, height: int = 170, line: float = 2.0) -> np.ndarray:
    """Each curve as a polyline over the shared x and y ranges (None values are gaps), in a thin frame."""
    s = SUPERSAMPLE
    canvas = Image.new("RGB", (width * s, height * s), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    pad = 8 * s
    points = [(float(x), float(y)) for c in curves for x, y in zip(c.xs, c.ys) if y is not None and np.isfinite(y)]
    if points:
        xs_all, ys_all = np.array([p[0] for p in points]), np.array([p[1] for p in points])
        for curve in curves:
            segment: list[tuple[float, float]] = []
            for x, y in [*zip(curve.xs, curve.ys), (None, None)]:
                if y is None or x is None or not np.isfinite(y):
                    _polyline(draw, segment, _rgb(curve.colour), int(line * s), curve.dashed)
                    segment = []
                    continue
                segment.append((float(_to_box(np.float64(x), xs_all.min(), xs_all.max(), pad, canvas.width - 2 * pad)),
                                float(_to_box(np.float64(y), ys_all.min(), ys_all.max(), pad,
                                              canvas.height - 2 * pad, flip=True))))
    draw.rectangle((0, 0, canvas.width - 1, canvas.height - 1), outline=FRAME, width=s)
    return _finish(canvas, width, height)


def _polyline(draw: ImageDraw.ImageDraw, points: list[tuple[float, float]], colour, width: int, dashed: bool) -> None:
    if len(points) == 1:
        x, y = points[0]
        draw.ellipse((x - width, y - width, x + width, y + width), fill=colour)
    if len(points) < 2:
        return
    if not dashed:
        draw.line(points, fill=colour, width=width, joint="curve")
        return
    # On, off, on... measured along the whole line: the pattern runs on across its points, so a curve of many short
    # segments (a loss per epoch) is dashed too, not solid (each segment restarting with a dash)
    dash, travelled = 6.0 * width, 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        length = float(np.hypot(x1 - x0, y1 - y0))
        position = 0.0
        while position < length:
            phase = (travelled + position) % (2 * dash)
            step = min(length - position, (dash if phase < dash else 2 * dash) - phase)
            if phase < dash:
                a, b = position / length, (position + step) / length
                draw.line((x0 + (x1 - x0) * a, y0 + (y1 - y0) * a, x0 + (x1 - x0) * b, y0 + (y1 - y0) * b),
                          fill=colour, width=width)
            position += step
        travelled += length
