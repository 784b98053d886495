# Copyright (c) OpenMMLab. All rights reserved.
import math

import numpy as np
import pytest
import torch
from mmrazor.registry import MODELS

from mmkd_plus.models.losses import NSTLoss


def _hand_nst(s, t):
    """NST by plain loops: s (B, C_s, N), t (B, C_t, N), same N."""

    def normalise(x):
        out = np.zeros_like(x, dtype=np.float64)
        for n in range(x.shape[0]):
            for c in range(x.shape[1]):
                norm = math.sqrt(sum(float(v) * float(v) for v in x[n, c]))
                out[n, c] = x[n, c] / max(norm, 1e-12)
        return out

    def mean_kernel(a, b):
        total, count = 0.0, 0
        for n in range(a.shape[0]):
            for i in range(a.shape[1]):
                for j in range(b.shape[1]):
                    dot = sum(a[n, i, k] * b[n, j, k]
                              for k in range(a.shape[2]))
                    total += dot**2
                    count += 1
        return total / count

    s, t = normalise(s), normalise(t)
    return mean_kernel(t, t) + mean_kernel(s, s) - 2 * mean_kernel(s, t)


def test_worked_example():
    # B = 1, H x W = 1 x 2.
    # student channels [3, 4] -> [0.6, 0.8] and [1, 0] -> [1, 0];
    # teacher channel [0, 2] -> [0, 1].
    s = torch.tensor([[[[3., 4.]], [[1., 0.]]]])
    t = torch.tensor([[[[0., 2.]]]])
    # K_ss = (dot)^2 = [[1, 0.36], [0.36, 1]] -> mean 2.72 / 4 = 0.68
    # K_tt = [[1]] -> mean 1
    # K_st = [0.8^2, 0^2] = [0.64, 0] -> mean 0.32
    # loss = 1 + 0.68 - 2 * 0.32 = 1.04
    loss = NSTLoss()(s, t)
    assert loss.shape == torch.Size([])
    assert loss.item() == pytest.approx(1.04, abs=1e-6)


def test_random_against_loops():
    rng = np.random.default_rng(0)
    s = rng.standard_normal((2, 3, 2, 3))
    t = rng.standard_normal((2, 4, 2, 3))
    expected = _hand_nst(s.reshape(2, 3, 6), t.reshape(2, 4, 6))
    loss = NSTLoss()(torch.from_numpy(s), torch.from_numpy(t))
    assert loss.item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize('student_larger', [True, False])
def test_pools_the_larger_map(student_larger):
    rng = np.random.default_rng(1)
    big = rng.standard_normal((2, 3, 4, 4))
    small = rng.standard_normal((2, 5, 2, 2))
    # adaptive average pooling 4x4 -> 2x2 is the mean of each 2x2 block
    pooled = np.zeros((2, 3, 2, 2))
    for i in range(2):
        for j in range(2):
            pooled[:, :, i, j] = big[:, :, 2 * i:2 * i + 2,
                                     2 * j:2 * j + 2].mean(axis=(2, 3))
    if student_larger:
        expected = _hand_nst(pooled.reshape(2, 3, 4), small.reshape(2, 5, 4))
        loss = NSTLoss()(torch.from_numpy(big), torch.from_numpy(small))
    else:
        expected = _hand_nst(small.reshape(2, 5, 4), pooled.reshape(2, 3, 4))
        loss = NSTLoss()(torch.from_numpy(small), torch.from_numpy(big))
    assert loss.item() == pytest.approx(expected, rel=1e-10)


def test_zero_when_student_equals_teacher():
    x = torch.randn(3, 4, 5, 5)
    assert NSTLoss()(x, x.clone()).item() == pytest.approx(0., abs=1e-6)


def test_gradients_reach_student_not_teacher():
    s = torch.randn(2, 3, 4, 4, requires_grad=True)
    t = torch.randn(2, 5, 4, 4, requires_grad=True)
    NSTLoss()(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_loss_weight_scales():
    s, t = torch.randn(2, 3, 4, 4), torch.randn(2, 5, 4, 4)
    base = NSTLoss()(s, t)
    assert NSTLoss(loss_weight=50.)(s, t).item() == pytest.approx(
        50 * base.item(), rel=1e-6)


def test_fp16_features():
    s, t = torch.randn(2, 3, 4, 4).half(), torch.randn(2, 5, 4, 4).half()
    loss = NSTLoss()(s, t)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        NSTLoss()(s.float(), t.float()).item(), rel=1e-6)


def test_fp32_under_autocast():
    # matrix products must not be recast to bf16/fp16 by AMP's autocast
    s, t = torch.randn(2, 3, 4, 4), torch.randn(2, 5, 4, 4)
    loss_fn = NSTLoss()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(s.bfloat16(), t.bfloat16())
    assert loss.dtype == torch.float32
    expected = loss_fn(s.bfloat16().float(), t.bfloat16().float()).item()
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('s_shape,t_shape', [
    ((2, 3, 4), (2, 3, 4, 4)),
    ((2, 3, 4, 4), (3, 3, 4, 4)),
])
def test_bad_shapes(s_shape, t_shape):
    with pytest.raises(ValueError, match=r'NSTLoss expects .*\(B, C_s, H_s'):
        NSTLoss()(torch.randn(s_shape), torch.randn(t_shape))


def test_build_from_config():
    loss = MODELS.build(dict(type='NSTLoss', loss_weight=50.))
    assert isinstance(loss, NSTLoss)
    assert loss.loss_weight == 50.


def test_one_by_one_maps_give_no_gradient():
    # why the MFD configs give NST CIFARNet's conv6 map, not its 256-d fc
    # vector: a channel of one position normalises to 0 or 1, so the loss
    # is flat in the student (the MFD code's kd_nst on that vector)
    torch.manual_seed(0)
    s = torch.relu(torch.randn(8, 256, 1, 1)).requires_grad_()
    t = torch.relu(torch.randn(8, 256, 1, 1))
    NSTLoss()(s, t).backward()
    assert s.grad.abs().max() < 1e-8
    m = torch.relu(torch.randn(8, 128, 8, 8)).requires_grad_()
    NSTLoss()(m, torch.relu(torch.randn(8, 128, 8, 8))).backward()
    assert m.grad.abs().max() > 1e-6  # and real on an 8x8 map
