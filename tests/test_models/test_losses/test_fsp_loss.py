# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np
import pytest
import torch
from mmrazor.registry import MODELS

from mmkd_plus.models.losses import FSPLoss


def _hand_fsp(a, b):
    """G[n, i, j] = (1 / HW) sum_hw a[n, i, hw] * b[n, j, hw] by loops."""
    bsz, c_a, hw = a.shape
    c_b = b.shape[1]
    g = np.zeros((bsz, c_a, c_b))
    for n in range(bsz):
        for i in range(c_a):
            for j in range(c_b):
                dot = sum(a[n, i, k] * b[n, j, k] for k in range(hw))
                g[n, i, j] = dot / hw
    return g


def _block_mean(x, factor):
    """Average pooling by non-overlapping factor x factor blocks."""
    bsz, c, h, w = x.shape
    out = np.zeros((bsz, c, h // factor, w // factor))
    for i in range(h // factor):
        for j in range(w // factor):
            out[:, :, i, j] = x[:, :, factor * i:factor * (i + 1),
                                factor * j:factor * (j + 1)].mean(axis=(2, 3))
    return out


def test_worked_example():
    # B = 1, H x W = 1 x 2; C = 1 (map a) and C' = 2 (map b).
    s_a = torch.tensor([[[[1., 2.]]]])
    s_b = torch.tensor([[[[3., 4.]], [[0., 1.]]]])
    # G_s = (1/2) [1*3 + 2*4, 1*0 + 2*1] = [5.5, 1.0]
    t_a = torch.tensor([[[[0., 1.]]]])
    t_b = torch.tensor([[[[2., 2.]], [[1., 1.]]]])
    # G_t = (1/2) [0*2 + 1*2, 0*1 + 1*1] = [1.0, 0.5]
    # diff = [4.5, 0.5] -> MSE = (20.25 + 0.25) / 2 = 10.25
    loss = FSPLoss()(s_a, s_b, t_a, t_b)
    assert loss.shape == torch.Size([])
    assert loss.item() == pytest.approx(10.25)


def test_random_with_pooling_against_loops():
    rng = np.random.default_rng(0)
    # student: a is 4x4, b is 2x2 -> a pooled; teacher: a 2x2, b 4x4 -> b
    s_a = rng.standard_normal((2, 3, 4, 4))
    s_b = rng.standard_normal((2, 5, 2, 2))
    t_a = rng.standard_normal((2, 3, 2, 2))
    t_b = rng.standard_normal((2, 5, 4, 4))
    g_s = _hand_fsp(_block_mean(s_a, 2).reshape(2, 3, 4), s_b.reshape(2, 5, 4))
    g_t = _hand_fsp(t_a.reshape(2, 3, 4), _block_mean(t_b, 2).reshape(2, 5, 4))
    expected = ((g_s - g_t)**2).mean()
    loss = FSPLoss()(*(torch.from_numpy(x) for x in (s_a, s_b, t_a, t_b)))
    assert loss.item() == pytest.approx(expected, rel=1e-10)


def test_student_and_teacher_spatial_sizes_may_differ():
    # the matrices are C x C' whatever H x W: each network's own size
    rng = np.random.default_rng(1)
    s = [rng.standard_normal((2, c, 8, 8)) for c in (3, 4)]
    t = [rng.standard_normal((2, c, 4, 4)) for c in (3, 4)]
    g_s = _hand_fsp(*(x.reshape(2, -1, 64) for x in s))
    g_t = _hand_fsp(*(x.reshape(2, -1, 16) for x in t))
    loss = FSPLoss()(*(torch.from_numpy(x) for x in s + t))
    assert loss.item() == pytest.approx(((g_s - g_t)**2).mean(), rel=1e-10)


def test_zero_when_student_equals_teacher():
    a, b = torch.randn(2, 3, 4, 4), torch.randn(2, 5, 2, 2)
    assert FSPLoss()(a, b, a.clone(), b.clone()).item() == 0.


def test_gradients_reach_student_not_teacher():
    feats = [torch.randn(2, c, 4, 4, requires_grad=True) for c in (3, 5, 3, 5)]
    FSPLoss()(*feats).backward()
    assert all(f.grad is not None and f.grad.abs().sum() > 0
               for f in feats[:2])
    assert all(f.grad is None for f in feats[2:])


def test_loss_weight_scales():
    feats = [torch.randn(2, c, 4, 4) for c in (3, 5, 3, 5)]
    base = FSPLoss()(*feats).item()
    assert FSPLoss(loss_weight=0.5)(*feats).item() == pytest.approx(
        0.5 * base, rel=1e-6)


def test_fp16_features():
    feats = [torch.randn(2, c, 4, 4).half() for c in (3, 5, 3, 5)]
    loss = FSPLoss()(*feats)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        FSPLoss()(*(f.float() for f in feats)).item(), rel=1e-6)


def test_fp32_under_autocast():
    # matrix products must not be recast to bf16/fp16 by AMP's autocast
    feats = [torch.randn(2, c, 4, 4).bfloat16() for c in (3, 5, 3, 5)]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = FSPLoss()(*feats)
    assert loss.dtype == torch.float32
    expected = FSPLoss()(*(f.float() for f in feats)).item()
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_channel_mismatch_names_the_shapes():
    feats = [torch.randn(2, c, 4, 4) for c in (3, 5, 3, 6)]
    with pytest.raises(
            ValueError,
            match=r'equal channel counts.*\(2, 5, 4, 4\).*\(2, 6, 4, 4\)'):
        FSPLoss()(*feats)


@pytest.mark.parametrize('shapes', [
    [(2, 3, 4, 4), (2, 5, 4), (2, 3, 4, 4), (2, 5, 4, 4)],
    [(2, 3, 4, 4), (2, 5, 4, 4), (3, 3, 4, 4), (3, 5, 4, 4)],
])
def test_bad_shapes(shapes):
    with pytest.raises(ValueError, match=r'four \(B, C, H, W\) maps'):
        FSPLoss()(*(torch.randn(s) for s in shapes))


def test_build_from_config():
    loss = MODELS.build(dict(type='FSPLoss', loss_weight=2.))
    assert isinstance(loss, FSPLoss)
    assert loss.loss_weight == 2.
