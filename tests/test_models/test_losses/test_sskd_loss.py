# Copyright (c) OpenMMLab. All rights reserved.
"""SSKD's losses against hand computation, selective transfer included."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmkd_plus.models.losses import (SSKDContrastiveLoss, SSKDHeadLoss,
                                     SSKDKLLoss)


def _samples(labels, num_views):
    out = []
    for label in labels:
        ds = DataSample().set_gt_label(label)
        ds.set_field(torch.arange(num_views), 'view_labels')
        out.append(ds)
    return out


def _kl(s_row, t_row, tau):
    p = [math.exp(v / tau) for v in t_row]
    q = [math.exp(v / tau) for v in s_row]
    p = [v / sum(p) for v in p]
    q = [v / sum(q) for v in q]
    return tau**2 * sum(a * math.log(a / b) for a, b in zip(p, q))


def test_kd_on_normal_views_by_hand():
    # B = 2, V = 2, interleaved rows: n0, t0, n1, t1
    s = torch.tensor([[0., 0.], [9., 9.], [1., 0.], [9., 9.]])
    t = torch.tensor([[math.log(3.), 0.], [0., 9.], [0., 1.], [0., 9.]])
    loss = SSKDKLLoss(tau=1.0, views='normal', loss_weight=0.9)
    expected = 0.9 * (_kl([0, 0], [math.log(3), 0], 1) +
                      _kl([1, 0], [0, 1], 1)) / 2
    got = loss(s, t, _samples([0, 1], 2))
    assert got.item() == pytest.approx(expected, rel=1e-5)


def test_tf_selection_by_class_rank():
    # B = 2, V = 3: transformed rows (0,1), (0,2), (1,1), (1,2); labels 0, 2
    t = torch.tensor([
        [0., 0., 0.],
        [3., 1., 0.],  # (0, 1): label 0 first        -> rank 0, kept
        [1., 3., 0.],  # (0, 2): label 0 second       -> rank 1
        [0., 0., 0.],
        [3., 2., 1.],  # (1, 1): label 2 third        -> rank 2
        [0., 1., 5.],  # (1, 2): label 2 first        -> rank 0, kept
    ])
    s = torch.randn(6, 3)
    samples = _samples([0, 2], 3)
    rows = {1: [1, 2, 4, 5], 0.5: [1, 2, 5], 0.0: [1, 5]}
    for ratio, kept in rows.items():
        loss = SSKDKLLoss(
            tau=4.0, views='transformed', select_ratio=ratio, loss_weight=2.7)
        expected = 2.7 * sum(
            _kl(s[r].tolist(), t[r].tolist(), 4.0) for r in kept) / len(kept)
        got = loss(s, t, samples)
        assert got.item() == pytest.approx(expected, rel=1e-4), ratio


def test_ss_logits_of_all_views_by_view_label():
    # rotation task: every view's target is its rotation
    t = torch.tensor([[5., 0.], [0., 5.], [0., 5.], [0., 5.]])  # 3rd wrong
    s = torch.zeros(4, 2)
    samples = _samples([0, 0], 2)  # view_labels (0, 1) per image
    loss = SSKDKLLoss(
        tau=1.0, views='all', select_ratio=0.0, target='view_label')
    kept = [0, 1, 3]
    expected = sum(_kl([0, 0], t[r].tolist(), 1.0) for r in kept) / 3
    assert loss(s, t, samples).item() == pytest.approx(expected, rel=1e-5)


def _contrastive_teacher():
    # B = 4, V = 2; normal views e0..e3; transformed rows ranked 0, 1, 2, 0
    e = torch.eye(4)
    transformed = [
        e[0], e[0] + 0.1 * e[1], e[0] + 0.5 * e[1] + 0.2 * e[2], e[3]
    ]
    rows = []
    for i in range(4):
        rows += [e[i], transformed[i]]
    return torch.stack(rows)


@pytest.mark.parametrize('ratio,kept', [(0.75, [0, 1, 3]), (0.0, [0, 3]),
                                        (1.0, [0, 1, 2, 3]),
                                        (None, [0, 1, 2, 3])])
def test_contrastive_loss_by_hand(ratio, kept):
    t = _contrastive_teacher()
    s = torch.randn(8, 4)
    samples = _samples([0, 0, 0, 0], 2)

    def cosines(z):
        z = F.normalize(z, dim=1)
        return [[float(z[2 * i + 1] @ z[2 * j]) for j in range(4)]
                for i in range(4)]

    a_t, a_s = cosines(t), cosines(s)
    expected = 10.0 * sum(_kl(a_s[r], a_t[r], 0.5) for r in kept) / len(kept)
    loss = SSKDContrastiveLoss(tau=0.5, select_ratio=ratio, loss_weight=10.0)
    assert loss(s, t, samples).item() == pytest.approx(expected, rel=1e-4)


def test_losses_only_train_the_student():
    t = _contrastive_teacher().requires_grad_(True)
    s = torch.randn(8, 4, requires_grad=True)
    SSKDContrastiveLoss()(s, t, _samples([0] * 4, 2)).backward()
    assert t.grad is None and s.grad.abs().sum() > 0


def test_head_loss_by_hand():
    t = _contrastive_teacher()
    samples = _samples([0] * 4, 2)
    # contrastive: CE of the raw cosines (no temperature), target column i
    z = F.normalize(t, dim=1)
    ce = 0.0
    for i in range(4):
        row = [float(z[2 * i + 1] @ z[2 * j]) for j in range(4)]
        ce += -row[i] + math.log(sum(math.exp(v) for v in row))
    got = SSKDHeadLoss('contrastive')(t, samples)
    assert got.item() == pytest.approx(ce / 4, rel=1e-5)
    # classification: CE against each view's label (0, 1, 0, 1, ...)
    logits = torch.tensor([[2., 0.], [0., 1.], [0., 3.], [1., 1.]])
    expected = F.cross_entropy(logits, torch.tensor([0, 1, 0, 1]))
    got = SSKDHeadLoss('classification')(logits, _samples([0, 0], 2))
    assert torch.allclose(got, expected)


def test_errors_name_the_fix():
    s = torch.zeros(4, 3)
    with pytest.raises(ValueError, match='LabelledMultiView'):
        SSKDKLLoss()(s, s, [DataSample().set_gt_label(0)])
    with pytest.raises(ValueError, match='expected 6'):
        SSKDKLLoss()(s, s, _samples([0, 1], 3))
    with pytest.raises(ValueError, match="views must be one of"):
        SSKDKLLoss(views='rotated')
    with pytest.raises(ValueError, match='task must be'):
        SSKDHeadLoss('jigsaw')
