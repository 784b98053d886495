# Copyright (c) OpenMMLab. All rights reserved.
import numpy as np
import pytest
import torch
from mmrazor.registry import MODELS

from mmkd_plus.models.architectures.connectors import LinearEmbedConnector
from mmkd_plus.models.losses import CCLoss


def _hand_cc(s, t):
    """mean_i sum_d |s_i - t_i|[d] * |s_{i+1} - t_{i+1}|[d] by loops."""
    bsz, dim = s.shape
    total = 0.
    for i in range(bsz - 1):
        total += sum(
            abs(s[i, d] - t[i, d]) * abs(s[i + 1, d] - t[i + 1, d])
            for d in range(dim))
    return total / (bsz - 1)


def test_worked_example():
    t = torch.zeros(3, 2)
    # delta = s - t: [1, -2], [3, 1], [-1, 2] -> |delta|: [1, 2], [3, 1],
    # [1, 2]. Pairs: (0, 1): 1*3 + 2*1 = 5; (1, 2): 3*1 + 1*2 = 5.
    # loss = mean(5, 5) = 5
    s = torch.tensor([[1., -2.], [3., 1.], [-1., 2.]])
    loss = CCLoss()(s, t)
    assert loss.shape == torch.Size([])
    assert loss.item() == pytest.approx(5.)


def test_random_against_loops():
    rng = np.random.default_rng(0)
    s = rng.standard_normal((5, 4))
    t = rng.standard_normal((5, 4))
    loss = CCLoss()(torch.from_numpy(s), torch.from_numpy(t))
    assert loss.item() == pytest.approx(_hand_cc(s, t), rel=1e-10)


def test_zero_when_student_equals_teacher():
    x = torch.randn(4, 8)
    assert CCLoss()(x, x.clone()).item() == 0.


def test_batch_of_one_is_zero_and_attached():
    s = torch.randn(1, 8, requires_grad=True)
    loss = CCLoss()(s, torch.randn(1, 8))
    assert loss.item() == 0.
    loss.backward()
    assert torch.equal(s.grad, torch.zeros_like(s))


def test_gradients_reach_student_and_teacher_embedding_by_default():
    # RepDistiller trains the teacher-side embedding with this loss
    s = torch.randn(4, 8, requires_grad=True)
    t = torch.randn(4, 8, requires_grad=True)
    CCLoss()(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is not None and t.grad.abs().sum() > 0


def test_teacher_detach():
    s = torch.randn(4, 8, requires_grad=True)
    t = torch.randn(4, 8, requires_grad=True)
    CCLoss(teacher_detach=True)(s, t).backward()
    assert s.grad is not None and s.grad.abs().sum() > 0
    assert t.grad is None


def test_with_embed_connectors_teacher_network_gets_no_gradient():
    # The teacher network's output is recorded under no_grad by
    # SingleTeacherDistill; only the teacher connector is trained.
    embed_s = LinearEmbedConnector(6, 16)
    embed_t = LinearEmbedConnector(10, 16)
    f_s = torch.randn(4, 6, requires_grad=True)
    with torch.no_grad():
        f_t = torch.randn(4, 10)
    CCLoss()(embed_s(f_s), embed_t(f_t)).backward()
    assert f_s.grad.abs().sum() > 0
    assert embed_s.linear.weight.grad.abs().sum() > 0
    assert embed_t.linear.weight.grad.abs().sum() > 0
    assert not f_t.requires_grad and f_t.grad is None


def test_loss_weight_scales():
    s, t = torch.randn(4, 8), torch.randn(4, 8)
    base = CCLoss()(s, t).item()
    assert CCLoss(loss_weight=0.02)(s, t).item() == pytest.approx(
        0.02 * base, rel=1e-6)


def test_fp16_features():
    s, t = torch.randn(4, 8).half(), torch.randn(4, 8).half()
    loss = CCLoss()(s, t)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        CCLoss()(s.float(), t.float()).item(), rel=1e-6)


def test_fp32_under_autocast():
    # matrix products must not be recast to bf16/fp16 by AMP's autocast
    s, t = torch.randn(4, 8), torch.randn(4, 8)
    loss_fn = CCLoss()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(s.bfloat16(), t.bfloat16())
    assert loss.dtype == torch.float32
    expected = loss_fn(s.bfloat16().float(), t.bfloat16().float()).item()
    assert loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('s_shape,t_shape', [((4, 8), (4, 6)),
                                             ((4, 8, 1, 1), (4, 8, 1, 1)),
                                             ((4, 8), (5, 8))])
def test_bad_shapes(s_shape, t_shape):
    with pytest.raises(ValueError, match=r'same shape \(B, D\)'):
        CCLoss()(torch.randn(s_shape), torch.randn(t_shape))


def test_build_from_config():
    loss = MODELS.build(
        dict(type='CCLoss', teacher_detach=True, loss_weight=0.02))
    assert isinstance(loss, CCLoss)
    assert loss.loss_weight == 0.02 and loss.teacher_detach
