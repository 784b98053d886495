# Copyright (c) OpenMMLab. All rights reserved.
"""PerGroupReduceOnPlateauLR: each parameter group follows torch's
ReduceLROnPlateau on its own metric (the untagged groups on ``monitor``,
each child's group on ``child_monitor``), and nothing else's."""
import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmengine.registry import PARAM_SCHEDULERS, DefaultScope

import mmkd_plus  # noqa: F401
from mmkd_plus.engine import PerGroupReduceOnPlateauLR

KEY = 'fairness/adv_loss_c{child}'


def _adam(num_children=3, model=False):
    """An Adam with a group per child (3e-4), after an untagged group of
    its own (1e-3) if ``model``."""
    groups = [
        dict(params=nn.Linear(2, 2).parameters(), child=str(i))
        for i in range(num_children)
    ]
    if model:
        groups.insert(0, dict(params=nn.Linear(2, 2).parameters(), lr=1e-3))
    return torch.optim.Adam(groups, lr=3e-4)


def _sched(optimizer, **kwargs):
    return PerGroupReduceOnPlateauLR(
        optimizer, monitor='fairness/loss', child_monitor=KEY, **kwargs)


def _metrics(values, loss=1.0):
    metrics = {f'fairness/adv_loss_c{i}': v for i, v in enumerate(values)}
    metrics['fairness/loss'] = loss
    return metrics


def _lrs(optimizer):
    return [g['lr'] for g in optimizer.param_groups]


def test_only_the_stalled_group_is_reduced():
    optimizer = _adam()
    sched = _sched(optimizer, patience=1)
    assert sched.monitors == [f'fairness/adv_loss_c{i}' for i in range(3)]
    # group 0 keeps improving, group 1 stalls from epoch 2, group 2 too
    # but improves again before its patience runs out
    history = [(1.0, 1.0, 1.0), (0.9, 0.8, 0.8), (0.8, 0.8, 0.9),
               (0.7, 0.8, 0.7), (0.6, 0.9, 0.7)]
    lrs = []
    for values in history:
        sched.step()  # the epoch's end (ParamSchedulerHook) counts a step
        sched.step(_metrics(values))
        lrs.append(_lrs(optimizer))
    assert lrs[:3] == [[3e-4] * 3] * 3
    # epoch 4: group 1 had 2 bad epochs (> patience 1): x0.1, it alone
    assert lrs[3] == pytest.approx([3e-4, 3e-5, 3e-4])
    assert lrs[4] == pytest.approx([3e-4, 3e-5, 3e-4])


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(patience=2, cooldown=1),
    dict(patience=0, threshold=0.05, threshold_rule='abs', min_value=1e-6),
])
def test_each_group_matches_torch_reduce_lr_on_plateau(kwargs):
    """Against torch's scheduler run on one optimizer per group: the
    untagged group on the test loss, each child's on its own."""
    rng = np.random.RandomState(0)
    epochs, children = 80, 3
    # noisy, slowly flattening losses: plateaus come at different epochs
    series = (
        np.exp(-np.arange(epochs) / rng.uniform(3, 12, (children + 1, 1))) +
        rng.uniform(0, 0.05, (children + 1, epochs)))
    optimizer = _adam(children, model=True)
    sched = _sched(optimizer, **kwargs)
    torch_kwargs = dict(
        patience=kwargs.get('patience', 10),
        cooldown=kwargs.get('cooldown', 0),
        threshold=kwargs.get('threshold', 1e-4),
        threshold_mode=kwargs.get('threshold_rule', 'rel'),
        min_lr=kwargs.get('min_value', 0))
    refs = [torch.optim.Adam(nn.Linear(2, 2).parameters(), lr=1e-3)
            ] + [_adam(1) for _ in range(children)]
    ref_scheds = [
        torch.optim.lr_scheduler.ReduceLROnPlateau(r, **torch_kwargs)
        for r in refs
    ]
    cuts = [[] for _ in refs]
    for epoch in range(epochs):
        before = _lrs(optimizer)
        loss, *values = series[:, epoch]
        sched.step()
        sched.step(_metrics(values, loss))
        for ref, ref_sched, v in zip(refs, ref_scheds, series[:, epoch]):
            ref_sched.step(v)
        assert _lrs(optimizer) == pytest.approx(
            [r.param_groups[0]['lr'] for r in refs], rel=1e-12), epoch
        for i, (old, new) in enumerate(zip(before, _lrs(optimizer))):
            if new < old:
                cuts[i].append(epoch)
    # the series do plateau, each group at its own epochs
    assert any(cuts) and len({tuple(c) for c in cuts}) == len(refs), cuts


def test_missing_metric_names_the_monitor_key():
    sched = _sched(_adam())
    metrics = _metrics([1.0, 1.0])  # no class 2
    with pytest.raises(
            KeyError,
            match=r"\['fairness/adv_loss_c2'\] "
            r"\(param_scheduler.monitor='fairness/loss', "
            r"child_monitor='fairness/adv_loss_c\{child\}'\) are not in "
            r'the validation metrics'):
        sched.step(metrics)


def test_monitor_errors():
    with pytest.raises(
            ValueError,
            match=r"children \['0', '1'\] need "
            r'param_scheduler.child_monitor'):
        PerGroupReduceOnPlateauLR(_adam(2), monitor='fairness/loss')
    plain = torch.optim.Adam(nn.Linear(2, 2).parameters())
    with pytest.raises(
            ValueError,
            match=r"child_monitor='fairness/adv_loss_c\{child\}' is set but "
            "no parameter group has a 'child'"):
        _sched(plain)
    for template in ('adv_loss', 'adv_loss_c{index}', '{child}_{child}x{y}'):
        with pytest.raises(ValueError, match='must have the one field'):
            PerGroupReduceOnPlateauLR(_adam(2), child_monitor=template)
    # without children it is ReduceOnPlateauLR, per group
    sched = PerGroupReduceOnPlateauLR(plain, monitor='m', patience=0)
    sched.step(dict(m=1.0))
    sched.step(dict(m=1.0))
    assert sched.monitors == ['m'] and _lrs(plain) == pytest.approx([1e-4])


def test_optim_wrapper_base_settings_follow_monitor():
    """An OptimWrapper of several groups adds its base settings (logged as
    base_lr) to param_groups: they follow ``monitor``, as the untagged
    group does; min_value lists one value per optimizer group."""
    wrapper = OptimWrapper(_adam(2, model=True))
    assert len(wrapper.param_groups) == 4
    sched = _sched(wrapper, patience=0, min_value=[0.0, 1e-4, 0.0])
    assert sched.monitors == [
        'fairness/loss', 'fairness/adv_loss_c0', 'fairness/adv_loss_c1',
        'fairness/loss'
    ]
    sched.step(_metrics([1.0, 1.0], loss=1.0))
    sched.step(_metrics([1.0, 0.5], loss=0.5))
    # child 0 stalled: x0.1, floored at its min_value
    assert wrapper.get_lr() == {'base_lr': [3e-4], 'lr': [1e-3, 1e-4, 3e-4]}
    for _ in range(2):
        sched.step(_metrics([1.0, 1.0], loss=1.0))
    # the rest stall twice: the model's group and the base settings (the
    # optimizer's defaults, 3e-4) alike
    assert wrapper.get_lr() == {
        'base_lr': [pytest.approx(3e-6)],
        'lr': pytest.approx([1e-5, 1e-4, 3e-6])
    }


def test_state_dict_round_trip():
    history = [(1.0, 1.0), (0.9, 0.9), (0.95, 0.8), (0.95, 0.7), (1.0, 0.8)]
    whole = _sched(_adam(2), patience=1)
    first = _sched(_adam(2), patience=1)
    for values in history[:3]:
        whole.step(_metrics(values))
        first.step(_metrics(values))
    state = copy.deepcopy(first.state_dict())
    assert state['best'] == [0.9, 0.8] and state['num_bad_epochs'] == [1, 0]
    resumed_optimizer = _adam(2)
    resumed_optimizer.load_state_dict(first.optimizer.state_dict())
    resumed = _sched(resumed_optimizer, patience=1)
    resumed.load_state_dict(state)
    for values in history[3:]:
        whole.step(_metrics(values))
        resumed.step(_metrics(values))
        assert _lrs(resumed.optimizer) == _lrs(whole.optimizer)
        assert resumed.best == whole.best
    # group 0's bad epoch before the checkpoint counted after it
    assert _lrs(whole.optimizer) == pytest.approx([3e-5, 3e-4])


def test_registered_for_configs():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        sched = PARAM_SCHEDULERS.build(
            dict(type='PerGroupReduceOnPlateauLR', child_monitor=KEY),
            default_args=dict(optimizer=_adam()))
    assert type(sched) is PerGroupReduceOnPlateauLR
