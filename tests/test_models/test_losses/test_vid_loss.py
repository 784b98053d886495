# Copyright (c) OpenMMLab. All rights reserved.
import math

import numpy as np
import pytest
import torch
from mmrazor.registry import MODELS

from mmkd_plus.models.architectures.connectors import VIDRegressorConnector
from mmkd_plus.models.losses import VIDLoss


def _softplus(x):
    return math.log(1. + math.exp(x))


def _hand_vid(mu, t, alpha, eps=1e-5):
    """mean of 0.5 ((mu - t)^2 / var_c + log var_c) by loops."""
    bsz, c, h, w = mu.shape
    total = 0.
    for n in range(bsz):
        for k in range(c):
            var = _softplus(alpha[k]) + eps
            for i in range(h):
                for j in range(w):
                    total += 0.5 * ((mu[n, k, i, j] - t[n, k, i, j])**2 / var +
                                    math.log(var))
    return total / mu.size


def test_initial_variance():
    loss = VIDLoss(num_channels=3)
    alpha = loss.alpha.detach().numpy()
    assert alpha.shape == (3, )
    # softplus(alpha) + eps == 5, as RepDistiller's init_pred_var
    for a in alpha:
        assert _softplus(float(a)) + 1e-5 == pytest.approx(5., rel=1e-6)
    small = VIDLoss(2, init_pred_var=0.5).pred_var().tolist()
    assert small == pytest.approx([0.5, 0.5], rel=1e-6)
    # large variances stay finite
    large = VIDLoss(1, init_pred_var=1e3).pred_var().item()
    assert large == pytest.approx(1e3, rel=1e-6)


def test_worked_example():
    # one channel, variance 5 (up to fp32 rounding of alpha)
    loss_fn = VIDLoss(num_channels=1)
    var = _softplus(loss_fn.alpha.item()) + 1e-5
    mu = torch.tensor([[[[1., 3.]]]])
    t = torch.tensor([[[[2., 3.]]]])
    # elements: 0.5 * (1 / var + log var) and 0.5 * (0 / var + log var)
    # mean = 0.25 / var + 0.5 log var  (= 0.05 + 0.5 log 5 for var = 5)
    expected = 0.25 / var + 0.5 * math.log(var)
    loss = loss_fn(mu, t)
    assert loss.shape == torch.Size([])
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert expected == pytest.approx(0.05 + 0.5 * math.log(5.), rel=1e-6)


def test_random_against_loops_with_trained_alpha():
    rng = np.random.default_rng(0)
    loss_fn = VIDLoss(num_channels=3).double()
    with torch.no_grad():
        loss_fn.alpha.copy_(
            torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64))
    mu = rng.standard_normal((2, 3, 2, 2))
    t = rng.standard_normal((2, 3, 2, 2))
    loss = loss_fn(torch.from_numpy(mu), torch.from_numpy(t))
    assert loss.item() == pytest.approx(
        _hand_vid(mu, t, [0.3, -1.2, 2.0]), rel=1e-10)


def test_pools_the_larger_map():
    rng = np.random.default_rng(1)
    loss_fn = VIDLoss(num_channels=2).double()
    mu = rng.standard_normal((2, 2, 2, 2))
    t = rng.standard_normal((2, 2, 4, 4))
    t_pooled = np.zeros((2, 2, 2, 2))
    for i in range(2):
        for j in range(2):
            t_pooled[:, :, i, j] = t[:, :, 2 * i:2 * i + 2,
                                     2 * j:2 * j + 2].mean(axis=(2, 3))
    alpha = loss_fn.alpha.tolist()
    loss = loss_fn(torch.from_numpy(mu), torch.from_numpy(t))
    assert loss.item() == pytest.approx(
        _hand_vid(mu, t_pooled, alpha), rel=1e-10)


def test_minimal_when_mean_equals_teacher():
    loss_fn = VIDLoss(num_channels=3)
    t = torch.randn(2, 3, 4, 4)
    mu = t.clone().requires_grad_()
    loss = loss_fn(mu, t)
    # only the log-variance term is left, and mu = t is the minimiser
    assert loss.item() == pytest.approx(0.5 * math.log(5.), rel=1e-6)
    loss.backward()
    assert mu.grad.abs().max().item() == 0.


def test_gradients_reach_student_and_alpha_not_teacher():
    loss_fn = VIDLoss(num_channels=3)
    mu = torch.randn(2, 3, 4, 4, requires_grad=True)
    t = torch.randn(2, 3, 4, 4, requires_grad=True)
    loss_fn(mu, t).backward()
    # L = mean(0.5 * ((mu - t)^2 / var + log var)) over N = 96 elements,
    # var_c = softplus(alpha_c) + eps: dL/dmu = (mu - t) / (var N) and
    # dL/dalpha_c = sigmoid(alpha_c) * sum_c 0.5 (1 / var - (mu - t)^2 /
    # var^2) / N
    n = mu.numel()
    var = loss_fn.pred_var().detach().view(1, 3, 1, 1)
    diff = (mu - t).detach()
    torch.testing.assert_close(mu.grad, diff / (var * n))
    d_var = (0.5 * (1 / var - diff**2 / var**2)).sum((0, 2, 3)) / n
    torch.testing.assert_close(loss_fn.alpha.grad,
                               torch.sigmoid(loss_fn.alpha.detach()) * d_var)
    assert t.grad is None


def test_loss_weight_scales():
    mu, t = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    base = VIDLoss(3)(mu, t).item()
    weighted = VIDLoss(3, loss_weight=2.)(mu, t).item()
    assert weighted == pytest.approx(2. * base, rel=1e-6)


def test_fp16_features_with_fp32_alpha():
    loss_fn = VIDLoss(num_channels=3)
    mu, t = torch.randn(2, 3, 4, 4).half(), torch.randn(2, 3, 4, 4).half()
    loss = loss_fn(mu, t)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        loss_fn(mu.float(), t.float()).item(), rel=1e-6)


def test_with_regressor_pooling_before_as_reference():
    # RepDistiller pools a larger student map *before* the regressor; with
    # pool_size set, connector + loss compute exactly that.
    torch.manual_seed(0)
    regressor = VIDRegressorConnector(2, 3, pool_size=2).double()
    loss_fn = VIDLoss(num_channels=3).double()
    s = torch.randn(2, 2, 4, 4, dtype=torch.float64)
    t = torch.randn(2, 3, 2, 2, dtype=torch.float64)
    loss = loss_fn(regressor(s), t)
    # by hand: 2x2 block means, then per-pixel 1x1 convs with ReLUs
    w = [
        m.weight.detach().numpy()[:, :, 0, 0] for m in regressor.regressor
        if isinstance(m, torch.nn.Conv2d)
    ]
    s_np = s.numpy()
    mu = np.zeros((2, 3, 2, 2))
    for n in range(2):
        for i in range(2):
            for j in range(2):
                block = s_np[n, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
                x = block.mean(axis=(1, 2))
                x = np.maximum(w[0] @ x, 0)
                x = np.maximum(w[1] @ x, 0)
                mu[n, :, i, j] = w[2] @ x
    assert loss.item() == pytest.approx(
        _hand_vid(mu, t.numpy(), loss_fn.alpha.tolist()), rel=1e-10)


def test_fp32_under_autocast():
    # matrix products must not be recast to bf16/fp16 by AMP's autocast
    s, t = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4)
    loss_fn = VIDLoss(3)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(s.bfloat16(), t.bfloat16())
    assert loss.dtype == torch.float32
    expected = loss_fn(s.bfloat16().float(), t.bfloat16().float()).item()
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('s_shape,t_shape', [((2, 3, 4), (2, 3, 4, 4)),
                                             ((2, 4, 4, 4), (2, 3, 4, 4)),
                                             ((2, 3, 4, 4), (2, 4, 4, 4)),
                                             ((2, 3, 4, 4), (3, 3, 4, 4))])
def test_bad_shapes(s_shape, t_shape):
    with pytest.raises(
            ValueError, match=r'num_channels=3\) expects .*\(B, 3, H, W\)'):
        VIDLoss(3)(torch.randn(s_shape), torch.randn(t_shape))


def test_bad_init_pred_var():
    with pytest.raises(ValueError, match='init_pred_var > eps'):
        VIDLoss(3, init_pred_var=0.)


def test_build_from_config():
    loss = MODELS.build(
        dict(type='VIDLoss', num_channels=8, init_pred_var=5., eps=1e-5))
    assert isinstance(loss, VIDLoss)
    assert loss.alpha.shape == (8, )
    assert loss.loss_weight == 1.
