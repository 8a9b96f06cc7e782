"""principal_angles on subspaces whose angles are known by construction."""
from __future__ import annotations

import math

import pytest
import scipy.linalg
import torch

from aelab.analysis.linalg import principal_angles


def _orthonormal(n: int, k: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.linalg.qr(torch.randn(n, k, generator=generator, dtype=torch.float64))[0]


def test_a_subspace_has_zero_angles_with_itself_in_any_basis():
    a = _orthonormal(50, 6, seed=0)
    mixing = torch.randn(6, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    angles = principal_angles(a, a @ mixing * 7.0)  # another basis of the same span, not orthonormal
    assert angles.shape == (6,)
    assert angles.max() < 1e-6


def test_orthogonal_subspaces_are_at_right_angles():
    eye = torch.eye(10)
    angles = principal_angles(eye[:, :3], eye[:, 3:7])
    assert angles.shape == (3,)
    assert torch.allclose(angles, torch.full((3,), math.pi / 2, dtype=angles.dtype), atol=1e-12)


def test_known_angles_come_back_in_ascending_order():
    # Plane pairs (e_0, e_1 cos t + e_2 sin t) turned by t = 0.7, 0.1 and 1.2: the angles are exactly those.
    thetas = [0.7, 0.1, 1.2]
    n = 2 * len(thetas)
    a, b = torch.zeros(n, 3, dtype=torch.float64), torch.zeros(n, 3, dtype=torch.float64)
    for i, t in enumerate(thetas):
        a[2 * i, i] = 1.0
        b[2 * i, i], b[2 * i + 1, i] = math.cos(t), math.sin(t)
    angles = principal_angles(a, b)
    assert torch.allclose(angles, torch.tensor(sorted(thetas), dtype=torch.float64), atol=1e-10)


def test_a_random_16d_subspace_of_784d_is_far_from_another():
    a, b = _orthonormal(784, 16, seed=2), _orthonormal(784, 16, seed=3)
    angles = principal_angles(a, b)
    assert angles.shape == (16,)
    assert torch.all(angles[1:] >= angles[:-1])
    # Random cosines are ~ sqrt(16/784) = 0.14; even the smallest angle is far from 0.
    assert angles.min() > 1.0
    assert angles.max() > 1.4
    expected = torch.from_numpy(scipy.linalg.subspace_angles(a.numpy(), b.numpy())).sort().values
    assert torch.allclose(angles, expected, atol=1e-8)


def test_float32_input_and_different_widths():
    a = _orthonormal(30, 5, seed=4)
    b = torch.cat([a[:, :2], _orthonormal(30, 1, seed=5)], dim=1).float()  # shares a 2-d subspace with a
    angles = principal_angles(a.float(), b)
    assert angles.dtype == torch.float64 and angles.shape == (3,)
    assert angles[:2].max() < 1e-3 and angles[2] > 0.3


def test_mismatched_rows_are_refused():
    with pytest.raises(ValueError, match="same number of rows"):
        principal_angles(torch.zeros(5, 2), torch.zeros(6, 2))
