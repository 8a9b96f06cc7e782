"""The corruption registry's metadata, strengths, device handling and reuse by training (tests/test_corruption.py
covers what each corruption touches and its seeding)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from aelab.data.corruption import (
    CORRUPTION_INFO,
    CORRUPTIONS,
    TRAINABLE_CORRUPTIONS,
    apply_corruption,
    box,
    dropout_mask,
    gaussian_noise,
    mask_from_drawing,
    salt_and_pepper,
    strength_range,
)
from aelab.errors import ConfigError
from aelab.models.autoencoder import create_model
from aelab.models.config import NOISE_TYPES, TrainConfig
from aelab.models.variants import make_configs
from aelab.train.loop import _corrupt
from aelab.train.trainer import fit


@pytest.fixture
def x() -> torch.Tensor:
    return torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 0.8 + 0.1


def test_every_corruption_has_its_info_and_every_strength_range_is_sane():
    assert list(CORRUPTION_INFO) == list(CORRUPTIONS)
    for name, info in CORRUPTION_INFO.items():
        if info.strength is None:
            assert not info.trainable  # a drawn mask cannot be a training noise
            continue
        s = info.strength
        assert 0 < s.low <= s.default <= s.high <= s.limit, name
        assert all(s.low <= v <= s.high for v in s.sweep) and list(s.sweep) == sorted(s.sweep), name
        assert s.low <= s.benchmark[0] < s.benchmark[1] <= s.high, name


@pytest.mark.parametrize("name", [n for n, i in CORRUPTION_INFO.items() if i.strength is not None])
def test_default_strength_corrupts_through_apply_corruption(name, x):
    corrupt, mask = apply_corruption(name, x, CORRUPTION_INFO[name].strength.default, torch.Generator().manual_seed(0))
    assert mask.any() and torch.equal(corrupt[~mask], x[~mask]) and not torch.equal(corrupt, x)
    assert CORRUPTION_INFO[name].local == (not bool(mask.all()))  # "local": inpainting has something to go on


def test_pixel_strengths_scale_with_the_image_side_and_fractions_do_not():
    small, large = strength_range("box", (8, 8)), strength_range("box", (28, 28))
    assert large == CORRUPTION_INFO["box"].strength
    assert small.high <= 8 and small.default == round(10 * 8 / 28) and small.low >= 1
    assert all(1 <= v <= 8 for v in small.sweep) and small.in_pixels
    assert strength_range("gaussian", (8, 8)) == CORRUPTION_INFO["gaussian"].strength
    with pytest.raises(ValueError, match="no strength"):
        strength_range("user_mask")
    with pytest.raises(ValueError, match="valid: gaussian"):
        strength_range("blur")


def test_a_float_size_from_a_slider_or_config_is_rounded_to_whole_pixels(x):
    _, mask = apply_corruption("box", x, 6.0, torch.Generator().manual_seed(0))
    assert torch.equal(mask.flatten(1).sum(1), torch.full((5,), 36))
    _, mask = apply_corruption("box", x, 3, top=2, left=4, value=0.5)
    assert mask[0, 0, 2:5, 4:7].all() and mask.flatten(1).sum(1).eq(9).all()


@pytest.mark.parametrize("call, message", [
    (lambda x: gaussian_noise(x, -0.1), "sigma"),
    (lambda x: salt_and_pepper(x, 1.5), "fraction"),
    (lambda x: dropout_mask(x, -0.2), "fraction"),
])
def test_out_of_range_strengths_are_refused_with_a_message(call, message, x):
    with pytest.raises(ValueError, match=message):
        call(x)


def test_random_positions_follow_the_generator_not_the_global_seed(x):
    torch.manual_seed(1)
    first = box(x, 7, torch.Generator().manual_seed(3))[1]
    torch.manual_seed(2)
    assert torch.equal(first, box(x, 7, torch.Generator().manual_seed(3))[1])


def test_mask_from_drawing_marks_the_cells_mostly_covered():
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[0:100, 0:100, 3] = 255  # 10 x 10 cells of 10 x 10 canvas pixels each
    canvas[200:204, 200:280, 3] = 255  # a thin line: 40% of each cell's pixels, under the 50% threshold
    mask = mask_from_drawing(canvas, (28, 28))
    assert mask.shape == (28, 28) and mask.dtype == torch.bool
    expected = torch.zeros(28, 28, dtype=torch.bool)
    expected[:10, :10] = True
    assert torch.equal(mask, expected)
    assert mask_from_drawing(canvas, (28, 28), threshold=0.3)[20].sum() == 8  # the line, at a lower threshold
    assert not mask_from_drawing(np.zeros((280, 280, 4), np.uint8), (28, 28)).any()
    assert mask_from_drawing(canvas, (8, 8))[:2, :2].all()  # any canvas size maps onto any image size
    with pytest.raises(ValueError, match="RGBA"):
        mask_from_drawing(np.zeros((280, 280), np.uint8), (28, 28))


# ---------------------------------------------------------------------------------------------- reuse by training
def test_training_accepts_every_trainable_corruption_and_nothing_else():
    assert NOISE_TYPES == ("none", *TRAINABLE_CORRUPTIONS)
    assert {"gaussian", "salt_and_pepper", "dropout", "box", "rows"} <= set(NOISE_TYPES)
    assert "user_mask" not in NOISE_TYPES
    assert TrainConfig(noise="box", noise_level=8).noise_level == 8
    assert TrainConfig(noise="salt_and_pepper", noise_level=0.3).noise == "salt_and_pepper"
    with pytest.raises(ConfigError, match="noise type 'user_mask'; valid: none, gaussian, salt_and_pepper"):
        TrainConfig(noise="user_mask", noise_level=1)


@pytest.mark.parametrize("changes, message", [
    ({"noise": "box", "noise_level": 8.5}, "box side in pixels and must be a whole number"),
    ({"noise": "box", "noise_level": 0}, "above 0"),
    ({"noise": "box", "noise_level": 300}, "at most 256"),
    ({"noise": "salt_and_pepper", "noise_level": 1.5}, "fraction of pixels and must be a number above 0 and at most 1"),
    ({"noise": "rows", "noise_level": float("nan")}, "rows and must be a whole number.*got nan"),
    ({"noise": "gaussian", "noise_level": "0.3"}, "must be a number"),
])
def test_training_noise_levels_are_validated_with_clear_messages(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**changes)


@pytest.mark.parametrize("noise, level", [("box", 10), ("salt_and_pepper", 0.3), ("rows", 5), ("dropout", 0.5),
                                          ("mixed", 1.0)])
def test_training_corrupts_the_input_with_the_chosen_corruption(noise, level, x):
    config = TrainConfig(noise=noise, noise_level=level, seed=3)
    corrupted = _corrupt(x, config, torch.Generator().manual_seed(3))
    expected, mask = apply_corruption(noise, x, level, torch.Generator().manual_seed(3))
    assert torch.equal(corrupted, expected) and not torch.equal(corrupted, x)


def test_a_box_denoising_autoencoder_trains(single_thread, small_images):
    model_config, train_config = make_configs("denoising_ae", (28, 28), {"latent_dim": 4, "hidden": (32,)},
                                              {"noise": "box", "noise_level": 8, "epochs": 3, "batch_size": 16})
    model = create_model(model_config, 0)
    result = fit(model, small_images, train_config)
    losses = [entry["train"]["total"] for entry in result.history]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
