"""aelab.data.drawing: a drawing, wherever and however large it is on the canvas, becomes an input laid out like MNIST's
digits (ink box at most 20x20, centre of mass on MNIST's), and an empty canvas is a clear error."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from aelab.data.drawing import (
    EmptyDrawingError,
    centre_of_mass,
    ink_from_rgba,
    layout_like,
    mnist_layout,
    preprocess_drawing,
)


def blank(height: int, width: int, background=(0, 0, 0, 255)) -> np.ndarray:
    canvas = np.zeros((height, width, 4), np.uint8)
    canvas[:] = background
    return canvas


def seven(canvas: np.ndarray, top: int, left: int, size: int, ink=(255, 255, 255, 255), width: int = 20) -> np.ndarray:
    """A '7' of size x size canvas pixels with its top-left corner at (top, left)."""
    points = np.array([[left, top], [left + size, top], [left + size // 3, top + size]], np.int32)
    cv2.polylines(canvas, [points], False, ink, width)
    return canvas


def ink_box(image: torch.Tensor, threshold: float = 0.05) -> tuple[int, int]:
    """(height, width) of the pixels above threshold in a (1, 1, H, W) image."""
    ink = image[0, 0].numpy() > threshold
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def com(image: torch.Tensor) -> np.ndarray:
    return np.array(centre_of_mass(image[0, 0].numpy()))


@pytest.fixture(scope="module")
def mnist_centre(mnist5k) -> np.ndarray:
    return np.array(layout_like(mnist5k.x_test).centre)


DRAWINGS = {
    "large and centred, white on black": lambda: seven(blank(280, 280), 40, 50, 190),
    "small, off-centre in a corner": lambda: seven(blank(280, 280), 10, 12, 45, width=6),
    "non-square canvas (wide)": lambda: seven(blank(200, 400), 30, 260, 130, width=12),
    "non-square canvas (tall), black on white": lambda: seven(blank(400, 160, (255,) * 4), 200, 10, 120,
                                                             ink=(0, 0, 0, 255), width=10),
    "transparent background, black ink": lambda: seven(blank(240, 240, (0, 0, 0, 0)), 60, 30, 150,
                                                       ink=(0, 0, 0, 255), width=16),
}


@pytest.mark.parametrize("name", DRAWINGS)
def test_a_drawing_lands_centred_like_mnist_digits(name, mnist_centre):
    x = preprocess_drawing(DRAWINGS[name]())
    assert x.shape == (1, 1, 28, 28) and x.dtype == torch.float32
    assert float(x.min()) >= 0 and float(x.max()) == pytest.approx(1.0)
    centre = com(x)
    assert np.abs(centre - np.array([14.0, 14.0])).max() <= 1.0, centre  # within a pixel of the field's centre
    assert np.abs(centre - mnist_centre).max() <= 1.0, (centre, mnist_centre)  # and of where MNIST's digits sit
    height, width = ink_box(x)
    assert max(height, width) in (19, 20) and height <= 20 and width <= 20  # fits MNIST's 20x20 box, filling it


def test_aspect_ratio_is_kept():
    canvas = blank(300, 300)
    cv2.rectangle(canvas, (120, 40), (170, 240), (255, 255, 255, 255), -1)  # 51 wide, 201 tall: ratio ~0.25
    height, width = ink_box(preprocess_drawing(canvas))
    assert height == 20 and 4 <= width <= 6


def test_a_real_mnist_digit_drawn_large_comes_back_as_itself(mnist5k):
    """An MNIST digit enlarged 10x onto a canvas, as if drawn, is preprocessed back to (nearly) the original."""
    original = mnist5k.x_test[:20, 0].numpy()
    correlations = []
    for image in original:
        big = cv2.resize(image, (280, 280), interpolation=cv2.INTER_NEAREST)
        rgba = np.dstack([(big * 255).astype(np.uint8)] * 3 + [np.full((280, 280), 255, np.uint8)])
        back = preprocess_drawing(rgba)[0, 0].numpy()
        correlations.append(np.corrcoef(back.ravel(), image.ravel())[0, 1])
    assert np.median(correlations) > 0.9 and min(correlations) > 0.7, correlations


@pytest.mark.parametrize("canvas", [blank(200, 200), blank(200, 200, (255,) * 4), blank(200, 200, (0, 0, 0, 0)),
                                    np.zeros((50, 80), np.uint8)], ids=["black", "white", "transparent", "grey"])
def test_an_empty_canvas_asks_for_a_drawing(canvas):
    with pytest.raises(EmptyDrawingError, match="Draw something first"):
        preprocess_drawing(canvas)


def test_a_wrong_shape_is_a_clear_value_error():
    with pytest.raises(ValueError, match="RGBA"):
        preprocess_drawing(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(ValueError, match="RGBA"):
        preprocess_drawing(np.zeros((0, 10, 4), np.uint8))


def test_ink_reads_colours_and_alpha():
    opaque = seven(blank(100, 100), 10, 10, 60, width=8)
    assert ink_from_rgba(opaque).max() == pytest.approx(1.0) and ink_from_rgba(opaque)[0, 0] == 0
    inverted = seven(blank(100, 100, (255,) * 4), 10, 10, 60, ink=(0, 0, 0, 255), width=8)
    np.testing.assert_allclose(ink_from_rgba(inverted), ink_from_rgba(opaque), atol=1e-6)
    transparent = seven(blank(100, 100, (0, 0, 0, 0)), 10, 10, 60, ink=(0, 0, 0, 255), width=8)
    np.testing.assert_allclose(ink_from_rgba(transparent), ink_from_rgba(opaque), atol=1e-6)


def test_layouts_of_mnist_and_of_8x8_digits(mnist5k, monkeypatch, tmp_path):
    from aelab.data.sources import load_dataset

    mnist = layout_like(mnist5k.x_test)
    assert mnist.box == 20 and np.allclose(mnist.centre, (14.0, 14.0), atol=0.3)
    assert mnist_layout() == mnist_layout((28, 28)) and mnist_layout().box == 20
    assert mnist_layout((8, 8)).box == 6 and mnist_layout((8, 8)).centre == (4.0, 4.0)
    monkeypatch.setenv("AELAB_DATA_DIR", str(tmp_path))
    digits = load_dataset("digits")
    layout = layout_like(digits.x_train)
    assert layout.image_size == (8, 8) and layout.box == 8
    assert np.allclose(layout.centre, (3.5, 3.5), atol=0.3)
    for name in ("large and centred, white on black", "small, off-centre in a corner"):
        x = preprocess_drawing(DRAWINGS[name](), (8, 8), layout)
        assert x.shape == (1, 1, 8, 8)
        assert np.abs(com(x) - np.array(layout.centre)).max() <= 1.0
        assert max(ink_box(x)) <= 8
