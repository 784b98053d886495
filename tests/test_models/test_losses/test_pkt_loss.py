# Copyright (c) OpenMMLab. All rights reserved.
import math

import numpy as np
import pytest
import torch
from mmrazor.registry import MODELS

from mmkd_plus.models.losses import PKTLoss

EPS = 1e-7


def _hand_pkt(s, t, eps=EPS):
    """PKT by plain loops on (B, D_s) and (B, D_t) arrays."""

    def probabilities(x):
        bsz = x.shape[0]
        unit = [row / (math.sqrt(sum(v * v for v in row)) + eps) for row in x]
        p = np.zeros((bsz, bsz))
        for i in range(bsz):
            for j in range(bsz):
                p[i, j] = (float(np.dot(unit[i], unit[j])) + 1.) / 2.
            p[i] /= p[i].sum()
        return p

    p_s, p_t = probabilities(s), probabilities(t)
    bsz = s.shape[0]
    total = 0.
    for i in range(bsz):
        for j in range(bsz):
            ratio = (p_t[i, j] + eps) / (p_s[i, j] + eps)
            total += p_t[i, j] * math.log(ratio)
    return total / (bsz * bsz)


def test_worked_example():
    # student rows are orthogonal: cos = [[1, 0], [0, 1]]
    #   -> (cos + 1) / 2 = [[1, .5], [.5, 1]] -> rows / 1.5
    #   -> P_s = [[2/3, 1/3], [1/3, 2/3]]
    s = torch.tensor([[1., 0.], [0., 1.]])
    # teacher rows are parallel: cos = 1 everywhere -> P_t = 0.5 everywhere
    t = torch.tensor([[2., 0.], [1., 0.]])
    # loss = (1/4) * sum P_t log(P_t / P_s)
    #      = (1/4) * 2 * 0.5 * (log(0.5 / (2/3)) + log(0.5 / (1/3)))
    #      = (1/4) * log(0.75 * 1.5) = log(1.125) / 4
    loss = PKTLoss()(s, t)
    assert loss.shape == torch.Size([])
    assert loss.item() == pytest.approx(math.log(1.125) / 4, abs=1e-6)


def test_random_against_loops():
    rng = np.random.default_rng(0)
    s = rng.standard_normal((5, 3))
    t = rng.standard_normal((5, 7))
    loss = PKTLoss()(torch.from_numpy(s), torch.from_numpy(t))
    assert loss.item() == pytest.approx(_hand_pkt(s, t), rel=1e-10)


def test_pooled_maps_are_flattened():
    s, t = torch.randn(4, 6, 1, 1), torch.randn(4, 9, 1, 1)
    flat = PKTLoss()(s.flatten(1), t.flatten(1)).item()
    assert PKTLoss()(s, t).item() == pytest.approx(flat)


def test_zero_when_student_equals_teacher():
    x = torch.randn(6, 10)
    assert PKTLoss()(x, x.clone()).item() == pytest.approx(0., abs=1e-7)


def test_gradients_reach_student_not_teacher():
    s = torch.randn(4, 6, requires_grad=True)
    t = torch.randn(4, 9, requires_grad=True)
    PKTLoss()(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_loss_weight_scales():
    s, t = torch.randn(4, 6), torch.randn(4, 9)
    base = PKTLoss()(s, t).item()
    assert PKTLoss(loss_weight=30000.)(s, t).item() == pytest.approx(
        30000. * base, rel=1e-6)


def test_fp16_features():
    s, t = torch.randn(4, 6).half(), torch.randn(4, 9).half()
    loss = PKTLoss()(s, t)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        PKTLoss()(s.float(), t.float()).item(), rel=1e-6)


def test_fp32_under_autocast():
    # matrix products must not be recast to bf16/fp16 by AMP's autocast
    s, t = torch.randn(4, 6), torch.randn(4, 9)
    loss_fn = PKTLoss()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(s.bfloat16(), t.bfloat16())
    assert loss.dtype == torch.float32
    expected = loss_fn(s.bfloat16().float(), t.bfloat16().float()).item()
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('s_shape,t_shape', [((4, ), (4, 6)),
                                             ((4, 6), (5, 6))])
def test_bad_shapes(s_shape, t_shape):
    with pytest.raises(ValueError, match=r'PKTLoss expects .*\(B, D_s\)'):
        PKTLoss()(torch.randn(s_shape), torch.randn(t_shape))


def test_build_from_config():
    loss = MODELS.build(dict(type='PKTLoss', loss_weight=30000.))
    assert isinstance(loss, PKTLoss)
    assert loss.loss_weight == 30000.
    assert loss.eps == EPS
