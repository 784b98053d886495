# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmkd_plus  # noqa: F401


def _samples(labels, groups):
    out = []
    for y, a in zip(labels, groups):
        s = DataSample().set_gt_label(int(y))
        s.set_field(int(a), 'group')
        out.append(s)
    return out


def _head(**kwargs):
    return MODELS.build(
        dict(type='AdversarialClsHead', num_classes=3, in_channels=4,
             num_groups=2, **kwargs))


def test_loss_adds_the_per_class_adversaries():
    torch.manual_seed(0)
    head = _head(adv_loss_weight=0.5)
    feats = (torch.randn(6, 4), )
    samples = _samples([0, 0, 1, 1, 1, 2], [0, 1, 0, 1, 1, 0])
    losses = head.loss(feats, samples)
    logits = head.fc(feats[0])
    labels = torch.tensor([0, 0, 1, 1, 1, 2])
    groups = torch.tensor([0, 1, 0, 1, 1, 0])
    expected = sum(
        F.cross_entropy(head.adversaries[y](logits[labels == y]),
                        groups[labels == y]) for y in (0, 1, 2))
    assert losses['loss_adv'].item() == pytest.approx(
        0.5 * expected.item(), rel=1e-6)
    assert losses['loss'].item() == pytest.approx(
        F.cross_entropy(logits, labels).item(), rel=1e-6)


def test_network_gets_the_reversed_adversary_gradient():
    torch.manual_seed(0)
    head = _head(reverse_scale=0.25)
    x = torch.randn(4, 4)
    samples = _samples([0, 0, 1, 1], [0, 1, 0, 1])
    head.loss((x, ), samples)['loss_adv'].backward()
    grad_rev = head.fc.weight.grad.clone()
    adv_grad = head.adversaries[0][0].weight.grad.clone()
    # the same loss without reversal: fc's gradient is -1/0.25 times it
    head.zero_grad()
    logits = head.fc(x)
    labels, groups = torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1])
    plain = sum(
        F.cross_entropy(head.adversaries[y](logits[labels == y]),
                        groups[labels == y]) for y in (0, 1))
    plain.backward()
    torch.testing.assert_close(grad_rev, -0.25 * head.fc.weight.grad)
    torch.testing.assert_close(adv_grad, head.adversaries[0][0].weight.grad)


def test_predict_is_the_linear_heads():
    head = _head()
    x = torch.randn(2, 4)
    out = head.predict((x, ))
    torch.testing.assert_close(out[0].pred_score,
                               F.softmax(head.fc(x), dim=1)[0])


def test_sample_without_group_is_refused():
    head = _head()
    with pytest.raises(ValueError, match='no sensitive group label'):
        head.loss((torch.randn(1, 4), ), [DataSample().set_gt_label(0)])


def test_predict_puts_each_samples_adversary_loss():
    torch.manual_seed(0)
    head = _head()
    x = torch.randn(5, 4)
    samples = _samples([0, 0, 1, 2, 2], [0, 1, 1, 0, 1])
    samples.append(DataSample())  # an unlabelled image: no adversary loss
    out = head.predict((torch.cat([x, torch.randn(1, 4)]), ), samples)
    logits = head.fc(x)
    for i, (y, a) in enumerate(zip([0, 0, 1, 2, 2], [0, 1, 1, 0, 1])):
        expected = F.cross_entropy(
            head.adversaries[y](logits[i:i + 1]), torch.tensor([a]))
        assert out[i].adv_loss.item() == pytest.approx(
            expected.item(), rel=1e-5)
    assert 'adv_loss' not in out[5]
    assert 'pred_score' in out[5]
