"""Each corruption touches what its mask says and nothing else, and the same seed gives the same corruption."""
from __future__ import annotations

import pytest
import torch

from aelab.data.corruption import (
    CORRUPTIONS,
    box,
    dropout_mask,
    gaussian_noise,
    missing_rows,
    salt_and_pepper,
    user_mask,
)

SHAPE = (6, 1, 28, 28)


@pytest.fixture
def x() -> torch.Tensor:
    # Values strictly inside (0, 1), so a pixel set to 0 or 1 is always a visible change.
    return torch.rand(SHAPE, generator=torch.Generator().manual_seed(0)) * 0.8 + 0.1


def _seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _user_square() -> torch.Tensor:
    mask = torch.zeros(28, 28, dtype=torch.bool)
    mask[3:9, 10:20] = True
    return mask


# name -> a call with a fixed strength; every corruption is exercised through the public registry
CALLS = {
    "gaussian": lambda x, g: CORRUPTIONS["gaussian"](x, 0.3, g),
    "salt_and_pepper": lambda x, g: CORRUPTIONS["salt_and_pepper"](x, 0.2, g),
    "dropout": lambda x, g: CORRUPTIONS["dropout"](x, 0.3, g),
    "box": lambda x, g: CORRUPTIONS["box"](x, 7, g),
    "rows": lambda x, g: CORRUPTIONS["rows"](x, 5, g),
    "mixed": lambda x, g: CORRUPTIONS["mixed"](x, 1.0, g),
    "lowres": lambda x, g: CORRUPTIONS["lowres"](x, 2, g),
    "watermark": lambda x, g: CORRUPTIONS["watermark"](x, 0.6, g),
    "user_mask": lambda x, g: CORRUPTIONS["user_mask"](x, _user_square(), g),
}


def test_every_registered_corruption_is_tested():
    assert set(CALLS) == set(CORRUPTIONS)


@pytest.mark.parametrize("name", list(CALLS))
def test_pixels_outside_the_mask_are_unchanged_and_inside_are_changed(name, x):
    original = x.clone()
    corrupt, mask = CALLS[name](x, _seeded())
    assert torch.equal(x, original)  # the input is not modified in place
    assert corrupt.shape == x.shape and corrupt.dtype == x.dtype
    assert mask.shape == x.shape and mask.dtype == torch.bool
    assert mask.any()
    assert torch.equal(corrupt[~mask], x[~mask])
    if name == "gaussian":  # every pixel is touched; the clipped noise still changes nearly all of them
        assert mask.all() and (corrupt != x).float().mean() > 0.99
        assert corrupt.min() >= 0 and corrupt.max() <= 1
    elif name == "salt_and_pepper":
        assert set(corrupt[mask].unique().tolist()) == {0.0, 1.0}
    elif name == "mixed":  # one kind per image: Gaussian ones touch every pixel, the others set some to 0 or 1
        whole = torch.tensor([bool(m.all()) for m in mask])
        assert whole.any() and not whole.all()
        assert set(corrupt[~whole][mask[~whole]].unique().tolist()) <= {0.0, 1.0}
    elif name == "lowres":  # every pixel is recomputed from the block averages
        assert mask.all() and corrupt.min() >= 0 and corrupt.max() <= 1
    elif name == "watermark":  # a white stamp blended in: stamped pixels only get brighter
        assert not mask.all() and (corrupt[mask] >= x[mask]).all() and (corrupt[mask] > x[mask]).any()
    else:
        assert torch.all(corrupt[mask] == 0.0)


@pytest.mark.parametrize("name", list(CALLS))
def test_same_seed_same_corruption(name, x):
    first, second = CALLS[name](x, _seeded(7)), CALLS[name](x, _seeded(7))
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    if name not in ("user_mask", "lowres"):  # the deterministic ones
        other = CALLS[name](x, _seeded(8))
        assert not torch.equal(first[0], other[0])


@pytest.mark.parametrize("corrupt", [dropout_mask, salt_and_pepper])
def test_fraction_of_touched_pixels(corrupt, x):
    fraction = 0.3
    _, mask = corrupt(x, fraction, _seeded(1))
    assert mask.float().mean().item() == pytest.approx(fraction, abs=0.02)  # 4704 pixels: sd ~ 0.007


def test_salt_and_pepper_is_half_salt(x):
    corrupt, mask = salt_and_pepper(x, 0.5, _seeded(2))
    assert (corrupt[mask] == 1.0).float().mean().item() == pytest.approx(0.5, abs=0.03)


def test_gaussian_noise_has_the_requested_sigma_and_zero_sigma_changes_nothing():
    grey = torch.full((4, 1, 28, 28), 0.5)
    corrupt, _ = gaussian_noise(grey, 0.05, _seeded(3))  # small enough that clipping at 0 and 1 never happens
    assert (corrupt - grey).std().item() == pytest.approx(0.05, rel=0.05)
    assert abs((corrupt - grey).mean().item()) < 0.005
    assert torch.equal(gaussian_noise(grey, 0.0, _seeded(3))[0], grey)


@pytest.mark.parametrize("size, top, left", [(5, 3, 4), (1, 0, 0), (28, 0, 0), (6, 25, 25)])
def test_box_at_a_fixed_place_covers_exactly_size_squared_pixels(size, top, left, x):
    corrupt, mask = box(x, size, top=top, left=left, value=0.5)
    top, left = min(top, 28 - size), min(left, 28 - size)  # a box past the edge is moved inside, not cut
    expected = torch.zeros(28, 28, dtype=torch.bool)
    expected[top:top + size, left:left + size] = True
    assert torch.equal(mask, expected.expand(SHAPE))
    assert torch.equal(mask.flatten(1).sum(1), torch.full((SHAPE[0],), size * size))
    assert torch.all(corrupt[mask] == 0.5)


def test_random_boxes_are_whole_squares_in_different_places(x):
    _, mask = box(x, 9, _seeded(4))
    assert torch.equal(mask.flatten(1).sum(1), torch.full((SHAPE[0],), 81))
    for image_mask in mask[:, 0]:
        rows, cols = image_mask.any(1).nonzero().squeeze(1), image_mask.any(0).nonzero().squeeze(1)
        assert len(rows) == 9 and len(cols) == 9 and rows[-1] - rows[0] == 8 and cols[-1] - cols[0] == 8
    assert len({tuple(m.nonzero()[0].tolist()) for m in mask}) > 1  # not all in the same place


@pytest.mark.parametrize("start", [None, 0, 10, 27])
def test_rows_covers_count_full_consecutive_rows(start, x):
    count = 4
    corrupt, mask = missing_rows(x, count, _seeded(5), start=start)
    for image_mask in mask[:, 0]:
        full_rows = image_mask.all(1)
        assert torch.equal(full_rows, image_mask.any(1))  # a row is either wholly masked or not at all
        rows = full_rows.nonzero().squeeze(1)
        assert len(rows) == count and rows[-1] - rows[0] == count - 1
        if start is not None:
            assert rows[0].item() == min(start, 28 - count)
    assert torch.all(corrupt[mask] == 0)


def test_user_mask_accepts_one_mask_for_all_or_one_per_image(x):
    square = _user_square()
    corrupt, mask = user_mask(x, square, value=1.0)
    assert torch.equal(mask, square.expand(SHAPE))
    assert torch.all(corrupt[mask] == 1.0) and torch.equal(corrupt[~mask], x[~mask])
    per_image = torch.zeros(SHAPE, dtype=torch.bool)
    per_image[2, 0, 5, 5] = True
    corrupt, mask = user_mask(x, per_image)
    assert mask.sum() == 1 and corrupt[2, 0, 5, 5] == 0 and torch.equal(corrupt[~mask], x[~mask])
    uint8_canvas = square.to(torch.uint8) * 255  # a drawn canvas arrives as numbers, not booleans
    assert torch.equal(user_mask(x, uint8_canvas)[1], square.expand(SHAPE))


@pytest.mark.parametrize("shape", [(27, 28), (28, 27), (1, 1, 8, 8), (14, 14), (28, 28, 1),
                                   (3, 1, 28, 28), (6, 2, 28, 28), (6, 28, 28)])
def test_user_mask_of_the_wrong_shape_is_refused(shape, x):
    with pytest.raises(ValueError, match="mask"):
        user_mask(x, torch.ones(shape, dtype=torch.bool))


def test_mixed_gives_each_image_one_kind_at_its_default_strength_times_the_scale():
    x = torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 0.8 + 0.1
    for scale, box_side, rows in ((1.0, 10, 6), (2.0, 20, 12)):
        _, mask = CORRUPTIONS["mixed"](x, scale, _seeded(3))
        m = mask[:, 0]
        gaussian = m.flatten(1).all(1)
        blank_rows = m.all(2).sum(1)  # rows blanked from edge to edge
        boxes = (m.any(2).sum(1) == box_side) & (m.any(1).sum(1) == box_side) & (m.flatten(1).sum(1) == box_side ** 2)
        for kind in (gaussian, (blank_rows == rows) & ~gaussian, boxes):
            assert 20 <= int(kind.sum()) <= 60  # each kind on about one in five of 200 images
    with pytest.raises(ValueError, match="scale"):
        CORRUPTIONS["mixed"](x, 0.0, _seeded())


def test_lowres_keeps_block_averages_and_refuses_factors_that_do_not_divide_the_image(x):
    up, _ = CORRUPTIONS["lowres"](x, 2)
    blocks = torch.nn.functional.avg_pool2d(x, 2)
    assert (torch.nn.functional.avg_pool2d(up, 2) - blocks).abs().mean() < 0.05  # the detail goes, the averages stay
    with pytest.raises(ValueError, match="factor 3 does not divide the 28x28 image.*valid factors: 2, 4, 7, 14"):
        CORRUPTIONS["lowres"](x, 3)


def test_watermark_stamps_one_place_per_image_and_refuses_a_bad_opacity(x):
    _, mask = CORRUPTIONS["watermark"](x, 0.6, _seeded(1))
    rows, cols = mask[:, 0].any(2), mask[:, 0].any(1)
    assert (rows.sum(1) <= 10).all() and (cols.sum(1) <= 16).all()  # one 10x16 stamp per image
    with pytest.raises(ValueError, match="opacity"):
        CORRUPTIONS["watermark"](x, 1.5, _seeded())
