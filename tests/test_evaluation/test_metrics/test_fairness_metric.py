# Copyright (c) OpenMMLab. All rights reserved.
"""FairnessMetric on a hand-made table, against fairlearn, and under DDP."""
import logging
import multiprocessing as mp
import os

import numpy as np
import pytest
import torch
from kd_test_utils import free_port
from mmpretrain.structures import DataSample

import mmkd_plus  # noqa: F401
from mmkd_plus.evaluation import FairnessMetric, group_class_accuracy


def _samples(pred, gt, group, scores=None, adv=None):
    out = []
    for i, (p, y, a) in enumerate(zip(pred, gt, group)):
        s = DataSample().set_gt_label(int(y)).set_pred_label(int(p))
        s.set_field(int(a), 'group')
        if scores is not None:
            s.set_pred_score(torch.as_tensor(scores[i]))
        if adv is not None:  # as AdversarialClsHead.predict puts it
            s.set_field(torch.tensor(float(adv[i])), 'adv_loss')
        out.append(s.to_dict())
    return out


def _evaluate(pred, gt, group, scores=None, adv=None, **kwargs):
    metric = FairnessMetric(**kwargs)
    metric.process(None, _samples(pred, gt, group, scores, adv))
    return metric.evaluate(len(gt))


# 2 groups x 3 classes; the accuracy of every (group, class) cell, by hand:
#   class 0: group 0 3/4, group 1 1/2   -> gap 0.25
#   class 1: group 0 1/2, group 1 2/2   -> gap 0.50
#   class 2: group 0 1/1, group 1 (none) -> one group only, left out
GT = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2]
GROUP = [0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0]
PRED = [0, 0, 0, 2, 0, 1, 1, 0, 1, 1, 2]


def test_hand_made_table():
    m = _evaluate(PRED, GT, GROUP, num_groups=2, num_classes=3)
    assert m['fairness/top1'] == pytest.approx(100 * 8 / 11)
    assert m['fairness/acc_g0_c0'] == pytest.approx(75.0)
    assert m['fairness/acc_g1_c0'] == pytest.approx(50.0)
    assert m['fairness/acc_g0_c1'] == pytest.approx(50.0)
    assert m['fairness/acc_g1_c1'] == pytest.approx(100.0)
    assert m['fairness/acc_g0_c2'] == pytest.approx(100.0)
    assert 'fairness/acc_g1_c2' not in m  # empty cell
    assert m['fairness/DEO_M'] == pytest.approx(50.0)
    assert m['fairness/DEO_A'] == pytest.approx(37.5)
    assert 'fairness/loss' not in m  # no scores


@pytest.fixture
def warnings_logged(monkeypatch):
    """The (message, level) of each print_log call of the metric."""
    import mmkd_plus.evaluation.metrics.fairness_metric as module
    logged = []
    monkeypatch.setattr(
        module, 'print_log',
        lambda msg, logger=None, level=None: logged.append((msg, level)))
    return logged


def test_one_class_model_is_not_called_fair(warnings_logged):
    # predicts class 0 for everything: DEO 0.00, and one warning saying why
    gt = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]
    group = [0] * 6 + [1] * 6
    m = _evaluate([0] * 12, gt, group, num_groups=2, num_classes=3)
    assert m['fairness/DEO_M'] == 0.0 and m['fairness/DEO_A'] == 0.0
    assert warnings_logged == [(
        'FairnessMetric: DEO_M=0.00 and DEO_A=0.00 do not measure fairness '
        'here: every sample of group 0 (6) is predicted as class 0; every '
        'sample of group 1 (6) is predicted as class 0; classes 1, 2 never '
        'predicted (0% in every group: a gap of 0). DEO compares the '
        'accuracies of the groups class by class: a model that predicts one '
        'class gets 0.00. Read it with top1 (33.33) and the acc_g*_c* '
        'cells.', logging.WARNING)]


def test_empty_cell_and_unpredicted_class_are_named(warnings_logged):
    _evaluate(PRED, GT, GROUP, num_groups=2, num_classes=3)
    (msg, level), = warnings_logged
    assert level == logging.WARNING
    assert ': 1 empty (group, class) cell (acc_g1_c2): no test sample, so ' \
        'no accuracy, left out of the gaps. DEO compares' in msg
    assert 'never predicted' not in msg and 'every sample' not in msg
    # a group of one class predicted as one class is no problem; a class
    # that is never predicted is
    warnings_logged.clear()
    _evaluate([0, 0, 0, 1, 0, 1], [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 1, 1])
    (msg, _), = warnings_logged
    assert 'here: class 2 never predicted (0% in every group: a gap of ' \
        '0); 2 empty (group, class) cells (acc_g0_c1, acc_g0_c2): ' in msg


def test_healthy_predictions_log_nothing(warnings_logged):
    gt = [0, 0, 1, 1, 0, 0, 1, 1]
    group = [0, 0, 0, 0, 1, 1, 1, 1]
    m = _evaluate([0, 1, 1, 1, 0, 0, 1, 0], gt, group)
    assert m['fairness/DEO_M'] == pytest.approx(50.0)
    assert warnings_logged == []


def test_three_groups_use_max_minus_min():
    acc = group_class_accuracy(
        np.array([0, 1, 0, 0]), np.array([0, 0, 0, 0]),
        np.array([0, 1, 2, 2]), 3, 1)
    np.testing.assert_allclose(acc[:, 0], [1.0, 0.0, 1.0])
    m = _evaluate([0, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 1, 2, 2, 2])
    assert m['fairness/DEO_M'] == pytest.approx(100.0)


def test_loss_is_the_cross_entropy_of_the_scores():
    scores = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.5, 0.25, 0.25]])
    m = _evaluate([0, 1, 0], [0, 0, 2], [0, 1, 0], scores=scores)
    expected = -(np.log(0.7) + np.log(0.1) + np.log(0.25)) / 3
    # the prediction is the score's argmax: class 0 is right in group 0
    # only
    assert m['fairness/DEO_M'] == pytest.approx(100.0)
    assert m['fairness/loss'] == pytest.approx(expected, rel=1e-6)


def test_adversary_losses_per_class():
    # the table above, with each sample's adversary loss
    adv = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.0, 2.0, 3.0, 4.0, 0.7]
    m = _evaluate(PRED, GT, GROUP, adv=adv, num_groups=2, num_classes=3)
    assert m['fairness/adv_loss_c0'] == pytest.approx(2.1 / 6)
    assert m['fairness/adv_loss_c1'] == pytest.approx(2.5)
    assert m['fairness/adv_loss_c2'] == pytest.approx(0.7)
    assert m['fairness/adv_loss'] == pytest.approx((0.35 + 2.5 + 0.7) / 3)
    # a model without adversaries (the teacher of a distiller) has none
    plain = _evaluate(PRED, GT, GROUP, num_groups=2, num_classes=3)
    assert not [k for k in plain if 'adv_loss' in k]


def test_agrees_with_fairlearn_metricframe():
    from fairlearn.metrics import MetricFrame
    from sklearn.metrics import accuracy_score
    rng = np.random.RandomState(0)
    n, num_classes = 600, 5
    gt = rng.randint(0, num_classes, n)
    group = rng.randint(0, 3, n)
    pred = np.where(rng.rand(n) < 0.6 + 0.1 * group, gt,
                    rng.randint(0, num_classes, n))
    m = _evaluate(pred, gt, group)
    # per class y, the accuracy of each group on the samples of y
    frame = MetricFrame(
        metrics=accuracy_score, y_true=gt, y_pred=pred,
        sensitive_features=group, control_features=gt)
    gaps = frame.difference(method='between_groups')
    assert m['fairness/DEO_M'] == pytest.approx(100 * gaps.max())
    assert m['fairness/DEO_A'] == pytest.approx(100 * gaps.mean())
    for (y, a), value in frame.by_group.items():
        assert m[f'fairness/acc_g{a}_c{y}'] == pytest.approx(100 * value)
    assert m['fairness/top1'] == pytest.approx(
        100 * MetricFrame(
            metrics=accuracy_score, y_true=gt, y_pred=pred,
            sensitive_features=group).overall)


def test_sample_without_group_says_how_to_pack_it():
    sample = DataSample().set_gt_label(0).set_pred_label(0).to_dict()
    with pytest.raises(ValueError, match="algorithm_keys=\\('group', \\)"):
        FairnessMetric().process(None, [sample])


def test_no_class_with_two_groups_raises():
    with pytest.raises(ValueError, match='no class has test samples of two'):
        _evaluate([0, 1], [0, 1], [0, 0])


def _rank_main(rank, port, queue):
    import torch.distributed as dist
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    rng = np.random.RandomState(1)
    gt = rng.randint(0, 4, 40)
    group = rng.randint(0, 2, 40)
    pred = np.where(rng.rand(40) < 0.5, gt, 0)
    adv = rng.rand(40)
    # unequal shares: the gaps of the halves differ from the whole's
    part = slice(0, 12) if rank == 0 else slice(12, 40)
    metric = FairnessMetric(num_groups=2, num_classes=4)
    metric.process(None,
                   _samples(pred[part], gt[part], group[part], adv=adv[part]))
    # mmengine's collect_results interleaves ranks (the DefaultSampler's
    # order); size trims padding only
    queue.put((rank, metric.evaluate(40)))
    dist.destroy_process_group()


def test_ddp_gathers_before_reducing():
    rng = np.random.RandomState(1)
    gt = rng.randint(0, 4, 40)
    group = rng.randint(0, 2, 40)
    pred = np.where(rng.rand(40) < 0.5, gt, 0)
    adv = rng.rand(40)
    whole = _evaluate(pred, gt, group, adv=adv, num_groups=2, num_classes=4)
    halves = [
        _evaluate(pred[p], gt[p], group[p], num_groups=2, num_classes=4)
        for p in (slice(0, 12), slice(12, 40))
    ]
    assert np.mean([h['fairness/DEO_M'] for h in halves]) != pytest.approx(
        whole['fairness/DEO_M'])
    ctx = mp.get_context('fork')
    queue, port = ctx.Queue(), free_port()
    procs = [ctx.Process(target=_rank_main, args=(r, port, queue))
             for r in (0, 1)]
    for p in procs:
        p.start()
    got = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    for rank in (0, 1):
        for key in ('fairness/DEO_M', 'fairness/DEO_A', 'fairness/top1',
                    'fairness/adv_loss_c0', 'fairness/adv_loss_c3',
                    'fairness/adv_loss'):
            assert got[rank][key] == pytest.approx(whole[key]), key
