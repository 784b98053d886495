# Copyright (c) OpenMMLab. All rights reserved.
"""PerGroupReduceOnPlateauLR: each parameter group follows torch's
ReduceLROnPlateau on its own metric, and nothing else's."""
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


def _adam(num_groups=3, lr=3e-4):
    layers = [nn.Linear(2, 2) for _ in range(num_groups)]
    return torch.optim.Adam([
        dict(params=m.parameters(), child=str(i)) for i, m in enumerate(layers)
    ],
                            lr=lr)


def _metrics(values):
    return {f'fairness/adv_loss_c{i}': v for i, v in enumerate(values)}


def _lrs(optimizer):
    return [g['lr'] for g in optimizer.param_groups]


def test_only_the_stalled_group_is_reduced():
    optimizer = _adam()
    sched = PerGroupReduceOnPlateauLR(optimizer, monitor=KEY, patience=1)
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
    """Against torch's scheduler run on one optimizer per group."""
    rng = np.random.RandomState(0)
    epochs, groups = 80, 3
    # noisy, slowly flattening losses: plateaus come at different epochs
    series = (
        np.exp(-np.arange(epochs) / rng.uniform(3, 12, (groups, 1))) +
        rng.uniform(0, 0.05, (groups, epochs)))
    optimizer = _adam(groups)
    sched = PerGroupReduceOnPlateauLR(optimizer, monitor=KEY, **kwargs)
    torch_kwargs = dict(
        patience=kwargs.get('patience', 10),
        cooldown=kwargs.get('cooldown', 0),
        threshold=kwargs.get('threshold', 1e-4),
        threshold_mode=kwargs.get('threshold_rule', 'rel'),
        min_lr=kwargs.get('min_value', 0))
    refs = [_adam(1) for _ in range(groups)]
    ref_scheds = [
        torch.optim.lr_scheduler.ReduceLROnPlateau(r, **torch_kwargs)
        for r in refs
    ]
    cuts = [[] for _ in range(groups)]
    for epoch in range(epochs):
        before = _lrs(optimizer)
        values = series[:, epoch]
        sched.step()
        sched.step(_metrics(values))
        for ref, ref_sched, v in zip(refs, ref_scheds, values):
            ref_sched.step(v)
        assert _lrs(optimizer) == pytest.approx(
            [r.param_groups[0]['lr'] for r in refs], rel=1e-12), epoch
        for i, (old, new) in enumerate(zip(before, _lrs(optimizer))):
            if new < old:
                cuts[i].append(epoch)
    # the series do plateau, each group at its own epochs
    assert any(cuts) and len({tuple(c) for c in cuts}) == groups, cuts


def test_missing_metric_names_the_monitor_key():
    sched = PerGroupReduceOnPlateauLR(_adam(), monitor=KEY)
    metrics = _metrics([1.0, 1.0])  # no class 2
    metrics['fairness/loss'] = 1.0
    with pytest.raises(
            KeyError,
            match=r"\['fairness/adv_loss_c2'\] "
            r"\(param_scheduler.monitor='fairness/adv_loss_c"
            r"\{child\}'\) are not in the validation metrics"):
        sched.step(metrics)


def test_monitor_list_and_template_errors():
    sched = PerGroupReduceOnPlateauLR(_adam(2), monitor=['a', 'b'], patience=0)
    sched.step(dict(a=1.0, b=1.0))
    sched.step(dict(a=0.5, b=1.0))
    assert sched.monitors == ['a', 'b']
    assert _lrs(sched.optimizer) == pytest.approx([3e-4, 3e-5])
    with pytest.raises(ValueError, match='lists 1 metrics for 2 parameter'):
        PerGroupReduceOnPlateauLR(_adam(2), monitor=['a'])
    plain = torch.optim.Adam(nn.Linear(2, 2).parameters())
    with pytest.raises(
            ValueError,
            match=r'uses \{child\}, which parameter '
            'group 0 does not have'):
        PerGroupReduceOnPlateauLR(plain, monitor=KEY)
    assert PerGroupReduceOnPlateauLR(
        plain, monitor='m{index}').monitors == ['m0']


def test_optim_wrapper_base_settings_are_not_a_group():
    """An OptimWrapper of several groups adds its base settings to
    param_groups; they get no monitor and keep the base LR."""
    wrapper = OptimWrapper(_adam(2))
    assert len(wrapper.param_groups) == 3
    sched = PerGroupReduceOnPlateauLR(
        wrapper, monitor=KEY, patience=0, min_value=[1e-4, 0.0])
    assert sched.monitors == ['fairness/adv_loss_c0', 'fairness/adv_loss_c1']
    for _ in range(3):
        sched.step(_metrics([1.0, 1.0]))
    # group 0 floored at its min_value, group 1 reduced twice
    assert _lrs(wrapper.optimizer) == pytest.approx([1e-4, 3e-6])
    assert wrapper.get_lr()['base_lr'] == [3e-4]


def test_state_dict_round_trip():
    history = [(1.0, 1.0), (0.9, 0.9), (0.95, 0.8), (0.95, 0.7), (1.0, 0.8)]
    whole = PerGroupReduceOnPlateauLR(_adam(2), monitor=KEY, patience=1)
    first = PerGroupReduceOnPlateauLR(_adam(2), monitor=KEY, patience=1)
    for values in history[:3]:
        whole.step(_metrics(values))
        first.step(_metrics(values))
    state = copy.deepcopy(first.state_dict())
    assert state['best'] == [0.9, 0.8] and state['num_bad_epochs'] == [1, 0]
    resumed_optimizer = _adam(2)
    resumed_optimizer.load_state_dict(first.optimizer.state_dict())
    resumed = PerGroupReduceOnPlateauLR(
        resumed_optimizer, monitor=KEY, patience=1)
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
            dict(type='PerGroupReduceOnPlateauLR', monitor=KEY),
            default_args=dict(optimizer=_adam()))
    assert type(sched) is PerGroupReduceOnPlateauLR
