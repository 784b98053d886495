# Copyright (c) OpenMMLab. All rights reserved.
"""QuESTLoss: hand-computed values, vocabulary state, loud errors."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmrazor.registry import MODELS

from mmkd_plus.models.losses.quest_loss import AGREEMENT_KEY, QuESTLoss

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


def test_loss_matches_hand_computation_and_weight():
    t_points = [[1., 1.], [0., 0.], [2., -1.], [0.5, 3.]]
    s_scores = [[0.1, 2., -1.], [3., 0., 0.], [0., 0., 0.], [-1., 0.5, 2.]]
    # (B=2, C, H=1, W=2): position (b, 0, w) is row 2 b + w
    t_map = torch.tensor(t_points).view(2, 1, 2, 2).permute(0, 3, 1, 2)
    s_map = torch.tensor(s_scores).view(2, 1, 2, 3).permute(0, 3, 1, 2)
    expected = _hand_loss(t_points, s_scores, tau=0.5)
    got = _loss(tau=0.5)(s_map, t_map)
    assert got.dim() == 0
    assert float(got) == pytest.approx(expected, rel=1e-5)
    got = _loss(tau=0.5, loss_weight=2.5)(s_map, t_map)
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


def test_word_agreement_in_message_hub():
    loss = _loss(tau=0.5)
    t_points = torch.tensor([[1.1, 0.], [0., 0.], [0., 2.]])  # words 1 0 2
    t_map = t_points.t().reshape(1, 2, 1, 3)
    s_map = torch.tensor([[0., 5., 0.], [0., 5., 0.],
                          [0., 0., 5.]]).t().reshape(1, 3, 1, 3)
    loss(s_map, t_map)
    hub = MessageHub.get_current_instance()
    assert hub.get_scalar(AGREEMENT_KEY).current() == pytest.approx(2 / 3)


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
