# Copyright (c) OpenMMLab. All rights reserved.
"""mmkd_plus.ops.contrastive on hand-computed values."""
import math

import pytest
import torch

from mmkd_plus.ops.contrastive import (contrast_exp_scores, crd_nce_loss,
                                       estimate_partition, momentum_update,
                                       normalize_scores)


def test_contrast_exp_scores_by_hand():
    rows = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]],
                         [[0.0, 1.0], [0.6, 0.8], [0.0, -1.0]]])
    anchors = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    out = contrast_exp_scores(rows, anchors, temperature=0.5)
    # dots / 0.5: [2, 0, -2] and [2, 1.6, -2]
    expected = torch.tensor([[math.exp(2), 1.0, math.exp(-2)],
                             [math.exp(2),
                              math.exp(1.6),
                              math.exp(-2)]])
    assert torch.allclose(out, expected)


def test_contrast_exp_scores_checks_shapes():
    with pytest.raises(ValueError, match='memory_rows'):
        contrast_exp_scores(torch.zeros(2, 3), torch.zeros(2, 3), 0.1)
    with pytest.raises(ValueError, match='memory_rows'):
        contrast_exp_scores(torch.zeros(2, 3, 4), torch.zeros(2, 5), 0.1)
    with pytest.raises(ValueError, match='temperature'):
        contrast_exp_scores(torch.zeros(2, 3, 4), torch.zeros(2, 4), 0.0)


def test_estimate_partition_and_normalize():
    scores = torch.tensor([[1.0, 2.0], [3.0, 6.0]], requires_grad=True)
    z = estimate_partition(scores, n_data=10)
    # mean 3, times 10
    assert z.item() == pytest.approx(30.0)
    assert not z.requires_grad
    h = normalize_scores(scores, z)
    assert torch.allclose(h, torch.tensor([[1, 2], [3, 6]]) / 30.0)
    assert torch.allclose(normalize_scores(scores, 2.0), scores / 2)


def test_crd_nce_loss_by_hand():
    # one anchor, N = 2 negatives, M = 4 samples: N / M = 0.5
    scores = torch.tensor([[0.5, 0.1, 0.2]])
    loss = crd_nce_loss(scores, n_data=4, eps=0.0)
    expected = -(
        math.log(0.5 / 1.0) + math.log(0.5 / 0.6) + math.log(0.5 / 0.7))
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_crd_nce_loss_is_a_mean_over_anchors():
    scores = torch.tensor([[0.5, 0.1, 0.2], [0.25, 0.5, 0.0]])
    loss = crd_nce_loss(scores, n_data=4, eps=0.0)
    first = -(math.log(0.5) + math.log(0.5 / 0.6) + math.log(0.5 / 0.7))
    second = -(math.log(0.25 / 0.75) + math.log(0.5) + math.log(1.0))
    assert loss.item() == pytest.approx((first + second) / 2, rel=1e-6)
    # eps only enters the denominators
    with_eps = crd_nce_loss(scores, n_data=4, eps=1e-7)
    assert with_eps.item() == pytest.approx(loss.item(), rel=1e-5)


def test_crd_nce_loss_gradient_and_errors():
    scores = torch.tensor([[0.5, 0.1, 0.2]], requires_grad=True)
    crd_nce_loss(scores, n_data=4).backward()
    # a larger positive score and smaller negative scores lower the loss
    assert scores.grad[0, 0] < 0 and (scores.grad[0, 1:] > 0).all()
    with pytest.raises(ValueError, match='1 \\+ N'):
        crd_nce_loss(torch.ones(2, 1), n_data=4)
    with pytest.raises(ValueError, match='n_data'):
        crd_nce_loss(torch.ones(2, 3), n_data=0)


def test_momentum_update_by_hand():
    rows = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    feats = torch.tensor([[0.0, 1.0], [0.0, 1.0]], requires_grad=True)
    out = momentum_update(rows, feats, momentum=0.5)
    r = 1 / math.sqrt(2)
    # [0.5, 0.5] / |.|, and [0, 1.5] / 1.5
    assert torch.allclose(out, torch.tensor([[r, r], [0.0, 1.0]]))
    assert torch.allclose(out.norm(dim=1), torch.ones(2))
    assert not out.requires_grad
    # momentum 1 keeps the (re-normalised) old rows
    kept = momentum_update(rows, feats, momentum=1.0)
    assert torch.allclose(kept, torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match='same shape'):
        momentum_update(rows, torch.zeros(3, 2), 0.5)
