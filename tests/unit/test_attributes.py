"""aelab.analysis.attributes: the attribute vector is the difference of the groups' mean codes, its separation is
measured along it, and moving a code along it adds alpha times the vector."""
from __future__ import annotations

import numpy as np
import pytest

from aelab.analysis.attributes import along, attribute_vector


def test_the_vector_is_mean_b_minus_mean_a_and_moving_along_it_reaches_group_b():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 8)) + np.array([2.0, 0, 0, 0, 0, 0, 0, 0])
    b = rng.normal(size=(300, 8)) + np.array([-2.0, 1.0, 0, 0, 0, 0, 0, 0])
    z = np.concatenate([a, b])
    vector = attribute_vector(z, np.arange(200), np.arange(200, 500))
    assert np.allclose(vector.direction, b.mean(0) - a.mean(0), atol=1e-5)
    assert (vector.n_a, vector.n_b) == (200, 300)
    assert 4.0 < vector.separation < 5.5  # |(-4, 1)| / 1 = 4.1 standard deviations, measured on samples
    moved = along(a.mean(0), vector, [0.0, 0.5, 1.0])
    assert np.allclose(moved[0], a.mean(0), atol=1e-5) and np.allclose(moved[2], b.mean(0), atol=1e-4)
    assert np.allclose(moved[1], (a.mean(0) + b.mean(0)) / 2, atol=1e-4)
    masks = attribute_vector(z, np.arange(500) < 200, np.arange(500) >= 200)  # boolean masks name the same groups
    assert np.allclose(masks.direction, vector.direction)


def test_overlapping_groups_are_close_and_empty_or_identical_groups_have_no_vector():
    z = np.random.default_rng(1).normal(size=(400, 4))
    assert attribute_vector(z, np.arange(200), np.arange(200, 400)).separation < 0.5  # one cloud split in two
    with pytest.raises(ValueError, match="at least one image"):
        attribute_vector(z, np.array([], int), np.arange(3))
    with pytest.raises(ValueError, match="same mean code"):
        attribute_vector(z, np.arange(10), np.arange(10))
