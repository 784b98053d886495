# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus.ops.quest against hand-computed values (K=3, C=2)."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmkd_plus.ops.quest import (closest_word_probability, quest_kl,
                                 soft_assign, tau_for_closest_word_probability)

VOCAB = torch.tensor([[0., 0.], [1., 0.], [0., 2.]])


def _hand_probs(point, tau):
    dists = [
        sum((a - b)**2 for a, b in zip(point, word))
        for word in VOCAB.tolist()
    ]
    exps = [math.exp(-d / tau) for d in dists]
    return [e / sum(exps) for e in exps]


def _map(points):
    """(H*W, 2) points as a (1, 2, 1, H*W) map."""
    return torch.tensor(points).t().reshape(1, 2, 1, len(points))


def test_soft_assign_matches_hand_computation():
    points = [[1., 1.], [0., 0.], [2., -1.], [0.5, 3.]]
    for tau in (1.0, 0.2):
        probs = soft_assign(_map(points), VOCAB, tau)
        assert probs.shape == (1, 1, 4, 3)
        assert probs.dtype == torch.float32
        for j, point in enumerate(points):
            expected = torch.tensor(_hand_probs(point, tau))
            torch.testing.assert_close(probs[0, 0, j],
                                       expected,
                                       rtol=1e-5,
                                       atol=1e-7)
    # f = (1, 1): d = (2, 1, 2), tau = 1
    e1, e2 = math.exp(-1), math.exp(-2)
    p = soft_assign(_map([[1., 1.]]), VOCAB, 1.0)[0, 0, 0]
    torch.testing.assert_close(p,
                               torch.tensor([e2, e1, e2]) / (2 * e2 + e1),
                               rtol=1e-6,
                               atol=0)


def test_soft_assign_layout_chunks_and_dtypes():
    torch.manual_seed(0)
    feats = torch.randn(2, 2, 3, 5)
    full = soft_assign(feats, VOCAB, 0.5)
    # (B, H, W, K): position (b, h, w) is the feature vector feats[b, :, h, w]
    torch.testing.assert_close(
        full[1, 2, 4],
        soft_assign(feats[1, :, 2, 4][None], VOCAB, 0.5)[0])
    torch.testing.assert_close(full,
                               soft_assign(feats, VOCAB, 0.5, chunk_size=7))
    torch.testing.assert_close(full.sum(-1), torch.ones(2, 3, 5))
    half = soft_assign(feats.half(), VOCAB.half(), 0.5)
    assert half.dtype == torch.float32
    torch.testing.assert_close(half, full, atol=2e-3, rtol=0)
    with pytest.raises(ValueError, match='width'):
        soft_assign(torch.randn(1, 3, 2, 2), VOCAB, 0.5)
    with pytest.raises(ValueError, match='tau'):
        soft_assign(feats, VOCAB, 0.0)


def test_closest_word_probability_by_hand():
    points = [[1., 1.], [0., 0.], [2., -1.], [0.5, 3.]]
    tau = 0.7
    expected = sum(max(_hand_probs(p, tau)) for p in points) / len(points)
    got = closest_word_probability(_map(points), VOCAB, tau, chunk_size=3)
    assert got.dim() == 0
    assert float(got) == pytest.approx(expected, rel=1e-6)
    # same on the (N, C) form
    got2 = closest_word_probability(torch.tensor(points), VOCAB, tau)
    assert float(got2) == pytest.approx(expected, rel=1e-6)
    # points on the words and a tiny tau: hard assignment
    assert float(closest_word_probability(VOCAB, VOCAB, 1e-3)) == \
        pytest.approx(1.0)


def test_tau_for_closest_word_probability_inverts_it():
    torch.manual_seed(0)
    feats = torch.randn(200, 2)
    tau = tau_for_closest_word_probability(feats, VOCAB, target=0.9)
    assert float(closest_word_probability(feats, VOCAB, tau)) == \
        pytest.approx(0.9, abs=1e-4)
    with pytest.raises(ValueError, match='target'):
        tau_for_closest_word_probability(feats, VOCAB, target=0.2)


def test_quest_kl_by_hand():
    p_t = torch.tensor([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    p_s = torch.tensor([[0.25, 0.25, 0.5], [0.2, 0.3, 0.5]])
    # row 1: 0.5 ln 2 + 0.5 ln 2 + 0 = ln 2; row 2: 0
    got = quest_kl(p_t, p_s.log())
    assert float(got) == pytest.approx(math.log(2) / 2, rel=1e-6)
    assert float(quest_kl(p_t[1:], p_s[1:].log())) == pytest.approx(0.0,
                                                                    abs=1e-7)
    # equals F.kl_div batchmean on the flattened positions
    torch.manual_seed(0)
    p = F.softmax(torch.randn(6, 3), 1)
    q = F.log_softmax(torch.randn(6, 3), 1)
    torch.testing.assert_close(quest_kl(p, q),
                               F.kl_div(q, p, reduction='batchmean'))
    with pytest.raises(ValueError, match='same shape'):
        quest_kl(p, q[:, :2])
