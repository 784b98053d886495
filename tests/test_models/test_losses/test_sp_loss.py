# Copyright (c) OpenMMLab. All rights reserved.
import math

import numpy as np
import pytest
import torch
from mmrazor.registry import MODELS

from mmkd_plus.models.losses import SPLoss


def _hand_sp(s, t):
    """SP by plain loops on arrays of shape (B, ...)."""
    bsz = s.shape[0]

    def similarity(x):
        x = x.reshape(bsz, -1)
        g = np.zeros((bsz, bsz))
        for i in range(bsz):
            for j in range(bsz):
                g[i, j] = sum(x[i, k] * x[j, k] for k in range(x.shape[1]))
            g[i] /= max(math.sqrt(sum(v * v for v in g[i])), 1e-12)
        return g

    g_s, g_t = similarity(s), similarity(t)
    total = sum(
        (g_t[i, j] - g_s[i, j])**2 for i in range(bsz) for j in range(bsz))
    return total / (bsz * bsz)


def test_worked_example():
    # student: F = I -> G = I, rows already unit
    s = torch.tensor([[1., 0.], [0., 1.]])
    # teacher: F = [[1, 1], [1, 1]] -> G = 2 everywhere -> rows 1/sqrt(2)
    t = torch.tensor([[1., 1.], [1., 1.]])
    # diff = [[r - 1, r], [r, r - 1]], r = 1/sqrt(2)
    # ||diff||^2 = 2 (r - 1)^2 + 2 r^2 = 4 - 2 sqrt(2); / B^2 = 1 - sqrt(2)/2
    loss = SPLoss()(s, t)
    assert loss.shape == torch.Size([])
    assert loss.item() == pytest.approx(1 - math.sqrt(2) / 2, abs=1e-6)


def test_random_maps_against_loops():
    rng = np.random.default_rng(0)
    s = rng.standard_normal((4, 3, 2, 2))
    t = rng.standard_normal((4, 5, 3, 3))
    loss = SPLoss()(torch.from_numpy(s), torch.from_numpy(t))
    assert loss.item() == pytest.approx(_hand_sp(s, t), rel=1e-10)


def test_zero_when_student_equals_teacher():
    x = torch.randn(4, 3, 5, 5)
    assert SPLoss()(x, x.clone()).item() == pytest.approx(0., abs=1e-7)


def test_gradients_reach_student_not_teacher():
    s = torch.randn(4, 3, 4, 4, requires_grad=True)
    t = torch.randn(4, 5, 2, 2, requires_grad=True)
    SPLoss()(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_loss_weight_scales():
    s, t = torch.randn(4, 3, 4, 4), torch.randn(4, 5, 2, 2)
    base = SPLoss()(s, t).item()
    assert SPLoss(loss_weight=3000.)(s, t).item() == pytest.approx(
        3000. * base, rel=1e-6)


def test_fp16_features():
    s, t = torch.randn(4, 3, 4, 4).half(), torch.randn(4, 5, 2, 2).half()
    loss = SPLoss()(s, t)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        SPLoss()(s.float(), t.float()).item(), rel=1e-6)


def test_fp32_under_autocast():
    # matrix products must not be recast to bf16/fp16 by AMP's autocast
    s, t = torch.randn(4, 3, 4, 4), torch.randn(4, 5, 2, 2)
    loss_fn = SPLoss()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(s.bfloat16(), t.bfloat16())
    assert loss.dtype == torch.float32
    expected = loss_fn(s.bfloat16().float(), t.bfloat16().float()).item()
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('s_shape,t_shape', [((4, ), (4, 6)),
                                             ((4, 3, 2, 2), (2, 3, 2, 2))])
def test_bad_shapes(s_shape, t_shape):
    with pytest.raises(ValueError, match=r'SPLoss expects .*\(B, \.\.\.\)'):
        SPLoss()(torch.randn(s_shape), torch.randn(t_shape))


def test_build_from_config():
    loss = MODELS.build(dict(type='SPLoss', loss_weight=3000.))
    assert isinstance(loss, SPLoss)
    assert loss.loss_weight == 3000.
