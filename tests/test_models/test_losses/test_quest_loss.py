# Copyright (c) OpenMMLab. All rights reserved.
"""QuESTLoss: hand-computed values, vocabulary state, loud errors."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmrazor.registry import MODELS

from mmkd_plus.models.architectures.connectors import QuESTConnector
from mmkd_plus.models.losses.quest_loss import (AGREEMENT_KEY,
                                                CLOSEST_WORD_KEY, QuESTLoss)
from mmkd_plus.ops.quest_fused import CosineScores

VOCAB = torch.tensor([[0., 0.], [1., 0.], [0., 2.]])


def _hand_loss(t_points, s_scores, tau):
    """mean over positions of sum_k p_T (log p_T - log p_S), by loops."""
    total = 0.
    for t, s in zip(t_points, s_scores):
        d = [sum((a - b)**2 for a, b in zip(t, w)) for w in VOCAB.tolist()]
        e = [math.exp(-x / tau) for x in d]
        p_t = [x / sum(e) for x in e]
        z = math.log(sum(math.exp(x) for x in s))
        total += sum(p * (math.log(p) - (x - z)) for p, x in zip(p_t, s))
    return total / len(t_points)


def _loss(**kwargs):
    loss = QuESTLoss(num_words=3, feat_channels=2, **kwargs)
    loss.set_vocabulary(VOCAB)
    return loss


@pytest.mark.parametrize('fused', [True, False])
def test_loss_matches_hand_computation_and_weight(fused):
    t_points = [[1., 1.], [0., 0.], [2., -1.], [0.5, 3.]]
    s_scores = [[0.1, 2., -1.], [3., 0., 0.], [0., 0., 0.], [-1., 0.5, 2.]]
    # (B=2, C, H=1, W=2): position (b, 0, w) is row 2 b + w
    t_map = torch.tensor(t_points).view(2, 1, 2, 2).permute(0, 3, 1, 2)
    s_map = torch.tensor(s_scores).view(2, 1, 2, 3).permute(0, 3, 1, 2)
    expected = _hand_loss(t_points, s_scores, tau=0.5)
    got = _loss(tau=0.5, fused=fused, chunk_size=3)(s_map, t_map)
    assert got.dim() == 0
    assert float(got) == pytest.approx(expected, rel=1e-5)
    got = _loss(tau=0.5, loss_weight=2.5, fused=fused)(s_map, t_map)
    assert float(got) == pytest.approx(2.5 * expected, rel=1e-5)


def test_downscale_pools_the_teacher_and_gradients():
    torch.manual_seed(0)
    t_map = torch.randn(2, 2, 4, 4)
    s_map = torch.randn(2, 3, 2, 2, requires_grad=True)
    loss = _loss(tau=0.3, downscale=2)
    value = loss(s_map, t_map)
    pooled = F.avg_pool2d(t_map, 2)
    ref = _loss(tau=0.3)(s_map, pooled)
    torch.testing.assert_close(value, ref)
    value.backward()
    assert s_map.grad is not None and bool(s_map.grad.abs().sum() > 0)
    # fp16 scores (AMP) still give a float32 loss
    assert loss(s_map.detach().half(), t_map.half()).dtype == torch.float32


@pytest.mark.parametrize('fused', [True, False])
def test_word_agreement_and_closest_word_in_message_hub(fused):
    loss = _loss(tau=0.5, fused=fused)
    t_points = torch.tensor([[1.1, 0.], [0., 0.], [0., 2.]])  # words 1 0 2
    t_map = t_points.t().reshape(1, 2, 1, 3)
    s_map = torch.tensor([[0., 5., 0.], [0., 5., 0.],
                          [0., 0., 5.]]).t().reshape(1, 3, 1, 3)
    loss(s_map, t_map)
    hub = MessageHub.get_current_instance()
    assert hub.get_scalar(AGREEMENT_KEY).current() == pytest.approx(2 / 3)
    # max_k p_T by hand: squared distances (1.21, 0.01, 5.21), (0, 1, 4),
    # (4, 5, 0) to the three words, tau = 0.5
    expected = [
        1 / sum(math.exp(-(d - min(ds)) / 0.5) for d in ds)
        for ds in ([1.21, 0.01, 5.21], [0., 1., 4.], [4., 5., 0.])
    ]
    assert hub.get_scalar(CLOSEST_WORD_KEY).current() == pytest.approx(
        sum(expected) / 3, rel=1e-5)
    # a loss named by its hook logs both under its own suffix
    loss.agreement_key = AGREEMENT_KEY + '_loss_quest_layer4'
    assert loss.closest_word_key == CLOSEST_WORD_KEY + '_loss_quest_layer4'
    loss(s_map, t_map)
    assert hub.get_scalar(loss.closest_word_key).current() == \
        pytest.approx(sum(expected) / 3, rel=1e-5)


def _student(dtype, bias, seed=0):
    """A connector (K=3 words on 4 channels) and a student map."""
    torch.manual_seed(seed)
    conn = QuESTConnector(4, 3, scale_init=2.0, bias=bias).to(dtype)
    if bias:
        conn.bias.data.normal_(0, 0.5)
    feature = torch.randn(3, 4, 3, 3, dtype=dtype, requires_grad=True)
    return conn, feature


@pytest.mark.parametrize('dtype, tol', [(torch.float64, 1e-12),
                                        (torch.float32, 2e-6)])
@pytest.mark.parametrize('downscale', [1, 2])
@pytest.mark.parametrize('lazy', [True, False])
def test_fused_equals_unfused_values_and_gradients(dtype, tol, downscale,
                                                   lazy):
    """Both fused paths (lazy connector output: projection fused; scores)
    against the reference, on 27 positions in chunks of 4 (27 = 6 x 4 + 3):
    the value and the gradients of the student map and of the connector's
    words, gamma and bias."""
    conn, feature = _student(dtype, bias=True)
    conn.lazy = lazy
    t_map = (torch.randn(3, 2, 3 * downscale, 3 * downscale) * 0.8).to(dtype)
    params = [feature, conn.weight, conn.scale, conn.bias]
    values, grads = [], []
    for fused in (True, False):
        loss = QuESTLoss(feat_channels=2, num_words=3, tau=0.4,
                         downscale=downscale, loss_weight=1.5, fused=fused,
                         chunk_size=4)
        loss.set_vocabulary(VOCAB.to(dtype))
        s_logits = conn(feature)
        assert isinstance(s_logits, CosineScores) == lazy
        value = loss(s_logits, t_map)
        assert value.dtype == dtype
        values.append(value)
        grads.append(torch.autograd.grad(value, params))
    torch.testing.assert_close(values[0], values[1], rtol=tol, atol=tol)
    for got, ref in zip(*grads):
        assert bool(ref.abs().sum() > 0)
        torch.testing.assert_close(got, ref, rtol=10 * tol, atol=tol)


def test_vocabulary_is_state():
    loss = _loss()
    state = loss.state_dict()
    assert set(state) == {'vocab', 'vocab_ready'}
    fresh = QuESTLoss(num_words=3, feat_channels=2)
    assert not fresh.is_ready
    fresh.load_state_dict(state)
    assert fresh.is_ready
    torch.testing.assert_close(fresh.vocab, VOCAB)
    with pytest.raises(ValueError, match=r'\(num_words, feat_channels\)'):
        fresh.set_vocabulary(torch.zeros(4, 2))


def test_built_from_registry():
    loss = MODELS.build(
        dict(type='QuESTLoss', num_words=3, feat_channels=2, tau=0.2))
    assert isinstance(loss, QuESTLoss) and loss.tau == 0.2


def test_loud_errors():
    s_map, t_map = torch.randn(1, 3, 2, 2), torch.randn(1, 2, 2, 2)
    with pytest.raises(RuntimeError, match='QuESTVocabularyHook'):
        QuESTLoss(num_words=3, feat_channels=2)(s_map, t_map)
    with pytest.raises(RuntimeError, match='vocab_file'):
        QuESTLoss(num_words=3, feat_channels=2)(s_map, t_map)
    loss = _loss()
    with pytest.raises(ValueError, match=r'5 channels.*2 wide'):
        loss(s_map, torch.randn(1, 5, 2, 2))
    with pytest.raises(ValueError, match='num_words=3'):
        loss(torch.randn(1, 4, 2, 2), t_map)
    with pytest.raises(ValueError, match='`downscale`'):
        loss(s_map, torch.randn(1, 2, 4, 4))
    with pytest.raises(ValueError, match='downscale'):
        QuESTLoss(num_words=3, feat_channels=2, downscale=0)
    with pytest.raises(ValueError, match='chunk_size'):
        QuESTLoss(num_words=3, feat_channels=2, chunk_size=0)
    with pytest.raises(ValueError, match='num_words=3'):
        conn = QuESTConnector(4, 5, lazy=True)
        loss(conn(torch.randn(1, 4, 2, 2)), t_map)
