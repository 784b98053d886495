# Copyright (c) OpenMMLab. All rights reserved.
import math

import pytest
import torch

from mmkd_plus.ops import mean_squared_distance, mmd2, poly_kernel, rbf_kernel


def _mmd_rbf(x, y, bandwidth):
    return mmd2(rbf_kernel(x, x, bandwidth), rbf_kernel(y, y, bandwidth),
                rbf_kernel(x, y, bandwidth))


def test_rbf_and_mean_distance_by_hand():
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    y = torch.tensor([[0.0, 2.0]])
    # ||x_i - y||^2 = 4, 5
    assert mean_squared_distance(x, y).item() == pytest.approx(4.5)
    k = rbf_kernel(x, y, torch.tensor(2.0))
    assert k[:, 0].tolist() == pytest.approx([math.exp(-1.0),
                                              math.exp(-1.25)])


def test_mmd_zero_for_identical_sets_and_symmetric():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 4, generator=g)
    y = torch.randn(5, 4, generator=g) + 1.0
    bw = mean_squared_distance(x, y)
    assert _mmd_rbf(x, x, bw).item() == pytest.approx(0.0, abs=1e-6)
    assert _mmd_rbf(x, y, bw).item() == pytest.approx(
        _mmd_rbf(y, x, bw).item(), rel=1e-6)
    assert _mmd_rbf(x, y, bw).item() > 0.01


def test_mmd_one_dimensional_by_hand():
    x = torch.tensor([[0.0], [1.0]])
    y = torch.tensor([[3.0]])
    bw = 1.0
    e = lambda d2: math.exp(-d2 / 2.0)  # noqa: E731
    expected = (2 + 2 * e(1)) / 4 + 1 - 2 * (e(9) + e(4)) / 2
    assert _mmd_rbf(x, y, bw).item() == pytest.approx(expected, rel=1e-6)


def test_poly_kernel_normalises():
    x = torch.tensor([[3.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([[0.0, 5.0]])
    assert poly_kernel(x, y)[:, 0].tolist() == pytest.approx([0.0, 0.5])


def test_mean_distance_has_no_gradient():
    x = torch.randn(3, 2, requires_grad=True)
    assert not mean_squared_distance(x, x + 1).requires_grad
