"""aelab.data.shapes and the bundled `shapes` source: every factor combination renders, each factor visibly changes
the image, the output is pinned by its seed, and the factors travel with the images through the split."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from aelab.data import shapes
from aelab.data.factors import Factors
from aelab.data.sources import DataError, Dataset, load_dataset

# sha256 of the sampled factor table (int64 little-endian): any change of seed or grid shows up here, on every machine.
FACTORS_SHA256 = "41887104bfe71d7ba7297127dcf0f6e95ff31e510b1020f54759cf2af305013d"
# The drawing is pinned by the pixel sum of each shape's images (uint8 summed as integers), not by a hash: the images
# come from sin and cos, which another CPU's libm or SIMD path may give one ULP apart, and one ULP moves a
# supersampled edge. Measured here with sin and cos nudged one ULP up or down: 164 of 20,000 images changed (3,224
# pixels, at most 31 levels), the sums by at most 8.9e-4 of a shape's total (shape 0; the others by 0); disabling
# numpy's AVX2 paths (NPY_DISABLE_CPU_FEATURES=X86_V3) changed nothing. The bound leaves a factor of 5.
SHAPE_PIXEL_SUMS = (78_475_584, 51_787_921, 64_139_458, 86_214_017)
SHAPE_SUM_TOLERANCE = 5e-3


@pytest.fixture(scope="module")
def every_image():
    """All 47,040 combinations of the grid and their images (N, 28, 28) uint8."""
    factors = shapes.all_factors()
    return factors, shapes.render(factors)


def test_the_grid_is_small_enough_for_mig_and_the_sample_large_enough():
    assert shapes.FACTOR_NAMES == ("shape", "scale", "rotation", "x", "y")
    assert all(2 <= size <= 20 for size in shapes.FACTOR_SIZES)  # MIG's 20 bins can separate every value
    assert 3 <= shapes.FACTOR_SIZES[0] <= 4 and shapes.FACTOR_SIZES[1] == 6 and 12 <= shapes.FACTOR_SIZES[3] <= 16
    assert int(np.prod(shapes.FACTOR_SIZES)) >= shapes.N_IMAGES >= 20_000


def test_every_combination_renders_a_whole_shape_inside_the_frame(every_image):
    factors, images = every_image
    assert images.shape == (47_040, 28, 28) and images.dtype == np.uint8
    ink = images.reshape(len(images), -1).astype(np.float64).sum(1) / 255
    assert ink.min() > 10  # the smallest shape still covers more than 10 pixels
    # Nothing is cut by the frame: the ink equals that of the same patch drawn alone.
    patch_ink = np.array([shapes.render_patch(*f[:3]).sum() for f in factors[:: 997]])
    assert np.allclose(ink[:: 997], patch_ink, atol=0.5)
    # Every shape kind has its own look: the biggest unrotated centred ones are all different.
    centred = [images[np.flatnonzero((factors == [s, 5, 0, 6, 6]).all(1))[0]] for s in range(4)]
    assert len({c.tobytes() for c in centred}) == 4


@pytest.mark.parametrize("factor", range(5))
def test_changing_any_one_factor_changes_the_image(every_image, factor):
    factors, images = every_image
    grid = images.reshape(*shapes.FACTOR_SIZES, 28, 28).astype(np.int16)
    step = np.diff(grid, axis=factor)  # every neighbouring pair along this factor, all others fixed
    changed = np.abs(step).reshape(-1, 28 * 28).max(1)
    assert changed.min() >= 20  # each step moves at least one pixel by 20/255, for every combination


def test_rotation_spans_one_symmetry_period_without_repeating(every_image):
    factors, images = every_image
    grid = images.reshape(*shapes.FACTOR_SIZES, 28, 28)
    for s in range(4):
        rotations = grid[s, 5, :, 6, 6]
        assert len({r.tobytes() for r in rotations}) == shapes.N_ROTATIONS
        # One more step comes back to the start: the period is the shape's own symmetry.
        for scale in (0, 5):
            one_period = shapes.render_patch(s, scale, shapes.N_ROTATIONS)
            assert np.abs(one_period - shapes.render_patch(s, scale, 0)).max() <= 2 / shapes.SUPERSAMPLE ** 2


def test_seeded_output_is_identical_across_runs_and_pinned():
    first, second = shapes.sample_factors(), shapes.sample_factors()
    assert np.array_equal(first, second) and len(np.unique(first, axis=0)) == shapes.N_IMAGES
    images = shapes.render(first)
    assert np.array_equal(images, shapes.render(second))
    assert not np.array_equal(first, shapes.sample_factors(seed=1))
    assert hashlib.sha256(first.astype("<i8").tobytes()).hexdigest() == FACTORS_SHA256
    sums = [int(images[first[:, 0] == shape].astype(np.int64).sum()) for shape in range(len(SHAPE_PIXEL_SUMS))]
    assert sums == pytest.approx(SHAPE_PIXEL_SUMS, rel=SHAPE_SUM_TOLERANCE)


def test_the_source_keeps_factors_row_for_row_with_a_stated_split():
    ds = load_dataset("shapes")
    assert ds is load_dataset("shapes")  # rendered once per process
    assert ds.x_train.shape == (16_000, 1, 28, 28) and ds.x_test.shape == (4_000, 1, 28, 28)
    assert ds.class_names == shapes.SHAPES and ds.factors.names == shapes.FACTOR_NAMES
    for split in ("train", "test"):
        x, y = ds.split(split)
        table = ds.factors.split(split)
        assert torch.equal(y, torch.from_numpy(table[:, 0]))  # the label is the shape
        redrawn = torch.from_numpy(shapes.render(table[:50])).unsqueeze(1).float() / 255
        assert torch.equal(x[:50], redrawn)
    together = ds.factors.split("all")
    assert len(np.unique(together, axis=0)) == 20_000  # train and test share no combination
    assert abs(np.mean(ds.factors.test[:, 0] == 0) - 0.25) < 0.02  # stratified by shape


def test_factors_are_validated():
    table = np.zeros((3, 2), dtype=np.int64)
    with pytest.raises(DataError, match="outside"):
        Factors(("a", "b"), (2, 2), table + 2, table)
    with pytest.raises(DataError, match="one size per name"):
        Factors(("a",), (2, 2), table, table)
    factors = Factors(("a", "b"), (2, 2), table, table[:1])
    x = torch.zeros(3, 1, 4, 4)
    with pytest.raises(DataError, match="factor rows"):
        Dataset("t", x, torch.zeros(3, dtype=torch.int64), x, torch.zeros(3, dtype=torch.int64), (), factors=factors)
    assert load_dataset("digits").factors is None
