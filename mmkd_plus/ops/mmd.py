# Copyright (c) OpenMMLab. All rights reserved.
"""Maximum mean discrepancy between two sets of feature vectors.

The kernels and the biased (V-statistic) MMD² of "Fair Feature Distillation
for Visual Recognition" (Jung et al., CVPR 2021,
https://arxiv.org/abs/2106.04411).
"""
import torch
import torch.nn.functional as F
from torch import Tensor

from .kmeans import squared_distances

__all__ = ['mean_squared_distance', 'rbf_kernel', 'poly_kernel', 'mmd2']


def mean_squared_distance(x: Tensor, y: Tensor) -> Tensor:
    """The mean of ``||x_i - y_j||²`` over all pairs (no gradient).

    MFD's RBF bandwidth: computed once per batch between every teacher and
    every student feature, and shared by every (class, group) cell.

    Args:
        x (Tensor): (N, d).
        y (Tensor): (M, d).

    Returns:
        Tensor: A scalar.
    """
    with torch.no_grad():
        return squared_distances(x.detach(), y.detach()).mean()


def rbf_kernel(x: Tensor, y: Tensor, bandwidth: Tensor) -> Tensor:
    """``exp(-||x_i - y_j||² / (2 * bandwidth))``, shape (N, M).

    Args:
        x (Tensor): (N, d).
        y (Tensor): (M, d).
        bandwidth (Tensor | float): ``sigma * mean squared distance`` in
            MFD; must be > 0.
    """
    return torch.exp(-squared_distances(x, y) / (2.0 * bandwidth))


def poly_kernel(x: Tensor, y: Tensor) -> Tensor:
    """``(x_i . y_j)²`` of L2-normalised rows, shape (N, M)."""
    return (F.normalize(x, dim=1) @ F.normalize(y, dim=1).t()).pow(2)


def mmd2(k_xx: Tensor, k_yy: Tensor, k_xy: Tensor) -> Tensor:
    """The biased MMD² from the three kernel matrices.

    ``mean k(x, x') + mean k(y, y') - 2 mean k(x, y)``, diagonals included
    (MFD's form); zero when the two sets are equal.
    """
    return k_xx.mean() + k_yy.mean() - 2.0 * k_xy.mean()
