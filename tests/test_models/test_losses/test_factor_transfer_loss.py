# Copyright (c) OpenMMLab. All rights reserved.
import math

import pytest
import torch
from mmrazor.registry import MODELS

from mmkd_plus.models.losses import FactorTransferLoss


def _factor_by_hand(x):
    """mean over channels of x^2 at each position, then L2-normalised."""
    b, c, h, w = x.shape
    rows = []
    for i in range(b):
        v = [
            sum(float(x[i, k, y, z])**2 for k in range(c)) / c
            for y in range(h) for z in range(w)
        ]
        norm = math.sqrt(sum(e * e for e in v))
        rows.append([e / norm for e in v])
    return rows


def test_value_against_hand_computation():
    s = torch.tensor([[[[1., 2.], [0., 1.]], [[1., 0.], [2., 1.]]]])
    t = torch.tensor([[[[3., 0.], [1., 1.]]]])
    loss = FactorTransferLoss(loss_weight=200.0)(s, t)
    fs, ft = _factor_by_hand(s)[0], _factor_by_hand(t)[0]
    expected = 200.0 * sum(abs(a - b) for a, b in zip(fs, ft)) / 4
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # q=2: the mean squared difference
    loss2 = FactorTransferLoss(q=2)(s, t)
    assert loss2.item() == pytest.approx(
        sum((a - b)**2 for a, b in zip(fs, ft)) / 4, rel=1e-6)


def test_zero_for_equal_factors_and_pooling():
    x = torch.randn(3, 4, 8, 8)
    assert FactorTransferLoss()(x, x.clone()).item() == pytest.approx(0)
    # a larger teacher map is average-pooled to the student's size
    big = torch.randn(3, 5, 16, 16)
    pooled = torch.nn.functional.adaptive_avg_pool2d(big, (8, 8))
    assert FactorTransferLoss()(x, big).item() == pytest.approx(
        FactorTransferLoss()(x, pooled).item())


def test_gradients_reach_student_only():
    s = torch.randn(2, 4, 4, 4, requires_grad=True)
    t = torch.randn(2, 6, 4, 4, requires_grad=True)
    FactorTransferLoss()(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_bad_shape_and_build_from_config():
    with pytest.raises(ValueError, match=r'\(B, C, H, W\) with the same B'):
        FactorTransferLoss()(torch.randn(2, 4), torch.randn(2, 4))
    loss = MODELS.build(
        dict(_scope_='mmrazor', type='FactorTransferLoss', loss_weight=3.0))
    assert isinstance(loss, FactorTransferLoss) and loss.loss_weight == 3.0
