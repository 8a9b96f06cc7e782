"""Small linear-algebra helpers shared by the tests and the Lessons page.

principal_angles measures how far apart two subspaces are; it is how we show that a linear autoencoder trained with
squared error spans the same subspace as PCA (Baldi & Hornik 1989) without requiring the same basis.
"""
from __future__ import annotations

import torch


def principal_angles(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Principal angles between the column spaces of a: (n, p) and b: (n, q), in radians, ascending, min(p, q) of them.

    Björck & Golub (1973): with Q_A, Q_B orthonormal bases of the two column spaces, the cosines of the angles are
    the singular values of Q_A^T Q_B. Computed in float64 because arccos is ill-conditioned near 1: in float32 an
    angle below ~3e-4 rad cannot be told from 0. The columns of each matrix must be linearly independent.
    """
    if a.dim() != 2 or b.dim() != 2 or a.shape[0] != b.shape[0]:
        raise ValueError(f"principal_angles needs two matrices with the same number of rows, got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}.")
    q_a, _ = torch.linalg.qr(a.detach().to(torch.float64))
    q_b, _ = torch.linalg.qr(b.detach().to(torch.float64))
    cosines = torch.linalg.svdvals(q_a.T @ q_b).clamp(0.0, 1.0)  # descending, so the angles come out ascending
    return torch.arccos(cosines)
