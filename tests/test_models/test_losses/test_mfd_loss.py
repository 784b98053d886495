# Copyright (c) OpenMMLab. All rights reserved.
import math

import pytest
import torch
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS

import mmkd_plus  # noqa: F401
from mmkd_plus.models.losses import MFDLoss


def _samples(labels, groups):
    out = []
    for y, a in zip(labels, groups):
        s = DataSample().set_gt_label(int(y))
        if a is not None:
            s.set_field(int(a), 'group')
        out.append(s)
    return out


def _k(u, v, bw):
    return math.exp(-sum((a - b)**2 for a, b in zip(u, v)) / (2 * bw))


def _mmd2(tset, sset, bw):
    kk = lambda A, B: sum(_k(a, b, bw) for a in A for b in B) / (  # noqa
        len(A) * len(B))
    return kk(tset, tset) + kk(sset, sset) - 2 * kk(tset, sset)


def test_by_hand_one_class_two_groups():
    t = [[0.0], [1.0], [2.0]]
    s = [[0.0], [1.0], [3.0]]
    # mean over the 9 teacher-student pairs of (t - s)^2 = 21 / 9
    bw = 21 / 9
    expected = 1.5 * (_mmd2(t, s[:2], bw) + _mmd2(t, s[2:], bw))
    loss = MFDLoss()(torch.tensor(s), torch.tensor(t),
                     _samples([0, 0, 0], [0, 0, 1]))
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_zero_when_student_equals_teacher_with_one_group():
    f = torch.randn(8, 5, generator=torch.Generator().manual_seed(0))
    loss = MFDLoss()(f.clone(), f, _samples([0, 1] * 4, [0] * 8))
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


def test_teacher_side_holds_every_group_of_the_class():
    # the student equals the teacher sample by sample, but each group's
    # student cell is compared with the whole class: not zero
    f = torch.tensor([[0.0], [4.0]])
    loss = MFDLoss(loss_weight=1.0)(f.clone(), f, _samples([0, 0], [0, 1]))
    bw = (0 + 16 + 16 + 0) / 4
    expected = _mmd2([[0.0], [4.0]], [[0.0]], bw) + _mmd2(
        [[0.0], [4.0]], [[4.0]], bw)
    assert loss.item() == pytest.approx(expected, rel=1e-6) and expected > 0


def test_bandwidth_is_shared_by_every_cell():
    t = torch.tensor([[0.0], [1.0], [10.0], [12.0]], dtype=torch.float64)
    s = torch.tensor([[0.5], [1.0], [11.0], [13.0]], dtype=torch.float64)
    labels, groups = [0, 0, 1, 1], [0, 1, 0, 1]
    tl, sl = t.tolist(), s.tolist()
    bw = sum((a[0] - b[0])**2 for a in tl for b in sl) / 16
    cells = [(0, [0, 1], [0]), (0, [0, 1], [1]), (1, [2, 3], [2]),
             (1, [2, 3], [3])]
    shared = sum(
        _mmd2([tl[i] for i in ti], [sl[i] for i in si], bw)
        for _, ti, si in cells)
    loss = MFDLoss(loss_weight=1.0)(s, t, _samples(labels, groups))
    assert loss.item() == pytest.approx(shared, rel=1e-6)
    # a per-class bandwidth would give another value
    per_class = sum(
        _mmd2([tl[i] for i in ti], [sl[i] for i in si],
              sum((tl[i][0] - sl[j][0])**2 for i in ti for j in ti) / 4)
        for _, ti, si in cells)
    assert abs(per_class - shared) > 1e-3


def test_empty_cell_is_skipped_without_nan():
    g = torch.Generator().manual_seed(1)
    t = torch.randn(5, 3, generator=g)
    s = torch.randn(5, 3, generator=g).requires_grad_()
    # class 1 has no sample of group 1, class 0 none of group 0... cells
    # (0, 1), (1, 0) only
    loss = MFDLoss()(s, t, _samples([0, 0, 1, 1, 1], [1, 1, 0, 0, 0]))
    assert torch.isfinite(loss)
    loss.backward()
    assert torch.isfinite(s.grad).all() and s.grad.abs().sum() > 0
    bw = float(((t[:, None] - s.detach()[None])**2).sum(-1).mean())
    tl, sl = t.tolist(), s.detach().tolist()
    expected = 1.5 * (_mmd2(tl[:2], sl[:2], bw) + _mmd2(tl[2:], sl[2:], bw))
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_gradient_reaches_student_only():
    t = torch.randn(4, 2, requires_grad=True)
    s = torch.randn(4, 2, requires_grad=True)
    MFDLoss()(s, t, _samples([0, 0, 1, 1], [0, 1, 0, 1])).backward()
    assert t.grad is None and s.grad.abs().sum() > 0


def test_poly_kernel_option():
    t = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    s = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    loss = MFDLoss(kernel='poly', loss_weight=1.0)(
        s, t, _samples([0, 0], [0, 0]))
    # k(t,t): [[1,0],[0,1]] mean .5; k(s,s) = 1; k(t,s) mean .5
    assert loss.item() == pytest.approx(0.5 + 1.0 - 1.0)


def test_missing_group_says_how_to_pack_it():
    f = torch.randn(2, 3)
    with pytest.raises(ValueError, match="algorithm_keys=\\('group', \\)"):
        MFDLoss()(f, f, _samples([0, 1], [None, None]))


def test_bad_options_and_shapes():
    with pytest.raises(ValueError, match="kernel must be 'rbf' or 'poly'"):
        MFDLoss(kernel='linear')
    with pytest.raises(ValueError, match='same architecture'):
        MFDLoss()(torch.randn(2, 3), torch.randn(2, 4), _samples([0, 1],
                                                                 [0, 1]))


def test_registered_in_mmrazor():
    assert MODELS.get('MFDLoss') is MFDLoss


def _cells_batch(sizes, dim=3, seed=0):
    """Features and samples with `sizes[(y, a)]` samples of each cell."""
    labels, groups = [], []
    for (y, a), n in sizes.items():
        labels += [y] * n
        groups += [a] * n
    g = torch.Generator().manual_seed(seed)
    t = torch.randn(len(labels), dim, generator=g)
    s = torch.randn(len(labels), dim, generator=g)
    return s, t, _samples(labels, groups)


def test_unbalanced_first_training_batch_names_the_sampler():
    # a plain shuffled batch: a 1-sample cell beside cells of 7 and 4
    s, t, samples = _cells_batch({(0, 0): 7, (0, 1): 1, (1, 0): 4,
                                  (1, 1): 4})
    with pytest.raises(ValueError) as err:
        MFDLoss()(s, t, samples)
    message = str(err.value)
    assert 'cells hold 1 to 7 samples' in message
    assert "train_dataloader.batch_sampler=dict(type='Group" in message
    assert 'GroupBalancedBatchSampler' in message
    assert 'require_balanced=False' in message


def test_authors_batch_of_128_passes_and_twice_is_the_limit():
    # the authors' sampler cut into batches of 128: cells of 6 and 12
    loss = MFDLoss()
    s, t, samples = _cells_batch({(0, 0): 6, (0, 1): 12, (1, 0): 6,
                                  (1, 1): 8})
    assert torch.isfinite(loss(s, t, samples))
    s, t, samples = _cells_batch({(0, 0): 6, (0, 1): 13})
    with pytest.raises(ValueError, match='cells hold 6 to 13 samples'):
        MFDLoss()(s, t, samples)


def test_only_the_first_training_batch_is_checked():
    loss = MFDLoss()
    unbalanced = _cells_batch({(0, 0): 5, (0, 1): 1})
    # evaluation calls neither check nor use up the check
    loss.eval()
    assert torch.isfinite(loss(*unbalanced))
    loss.train()
    with pytest.raises(ValueError, match='not balanced'):
        loss(*unbalanced)
    loss = MFDLoss()
    loss(*_cells_batch({(0, 0): 3, (0, 1): 3}))
    # later batches are not checked again
    assert torch.isfinite(loss(*unbalanced))


def test_require_balanced_false_trains_on_any_batch():
    t = [[0.0], [1.0], [2.0], [5.0]]
    s = [[0.5], [1.0], [2.5], [4.0]]
    samples = _samples([0, 0, 0, 0], [0, 0, 0, 1])  # cells of 3 and 1
    with pytest.raises(ValueError, match='cells hold 1 to 3'):
        MFDLoss()(torch.tensor(s), torch.tensor(t), samples)
    loss = MFDLoss(require_balanced=False)(torch.tensor(s), torch.tensor(t),
                                           samples)
    bw = sum((a[0] - b[0])**2 for a in t for b in s) / 16
    expected = 1.5 * (_mmd2(t, s[:3], bw) + _mmd2(t, s[3:], bw))
    assert loss.item() == pytest.approx(expected, rel=1e-6)
