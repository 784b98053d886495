# Copyright (c) OpenMMLab. All rights reserved.
"""The AD configs of MFD: the adversaries in their own Adam with one plateau
per class adversary; and the digits config end to end (the loss falls, each
adversary's plateau reads its own test loss, the checkpoint resumes)."""
import glob
import os.path as osp

import pytest
import torch
from kd_test_utils import REPO
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import build_optim_wrapper
from mmengine.registry import MODELS, PARAM_SCHEDULERS, DefaultScope
from mmengine.runner import Runner
from test_mfd_digits_training import short_fair_cfg

from mmkd_plus.engine import JointOptimWrapperDict, PerGroupReduceOnPlateauLR

AD_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'mfd', 'ad_*.py')))
DIGITS_AD = 'ad_cifarnet_half_1xb128_digits_s.py'


@pytest.mark.parametrize('path', AD_CONFIGS, ids=osp.basename)
def test_adversaries_get_their_own_adam_and_plateaus(path):
    cfg = Config.fromfile(path)
    model_cfg = cfg.model.copy()
    if 'teacher_ckpt' in model_cfg:
        model_cfg['teacher_ckpt'] = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        schedulers = {
            name:
            PARAM_SCHEDULERS.build(
                cfg.param_scheduler[name],
                default_args=dict(optimizer=wrapper[name]))
            for name in wrapper.keys()
        }
    student = getattr(model, 'architecture', model)
    num_classes = student.head.num_classes
    assert isinstance(wrapper, JointOptimWrapperDict)
    assert list(wrapper.keys()) == ['model', 'adversaries']

    owner = {}
    for name, w in wrapper.items():
        for group in w.optimizer.param_groups:
            for p in group['params']:
                owner[id(p)] = (name, group.get('child'))
    for name, p in model.named_parameters():
        if name.startswith('teacher.'):
            assert id(p) not in owner, name  # frozen: no optimizer
        elif '.adversaries.' in name:
            y = name.split('.adversaries.')[1].split('.')[0]
            assert owner[id(p)] == ('adversaries', y), name
        else:
            assert owner[id(p)] == ('model', None), name
    adv_groups = wrapper['adversaries'].optimizer.param_groups
    assert len(adv_groups) == num_classes
    assert {(g['lr'], g['weight_decay']) for g in adv_groups} == {(3e-4, 0)}
    model_group, = wrapper['model'].optimizer.param_groups
    assert (type(wrapper['model'].optimizer).__name__, model_group['lr'],
            model_group['weight_decay']) == ('Adam', 1e-3, 0)

    model_sched = schedulers['model']
    assert (type(model_sched).__name__, model_sched.monitor,
            model_sched.patience, model_sched.factor) == ('ReduceOnPlateauLR',
                                                          'fairness/loss', 10,
                                                          0.1)
    adv_sched = schedulers['adversaries']
    assert isinstance(adv_sched, PerGroupReduceOnPlateauLR)
    assert adv_sched.monitors == [
        f'fairness/adv_loss_c{y}' for y in range(num_classes)
    ]
    assert (adv_sched.patience, adv_sched.factor) == (10, 0.1)


class _ADLog(Hook):
    """Every iteration's log vars and every validation's metrics."""

    def __init__(self):
        self.losses, self.metrics = [], []

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        self.losses.append({k: float(v.detach()) for k, v in outputs.items()})

    def after_val_epoch(self, runner, metrics=None):
        self.metrics.append(dict(metrics))


@pytest.mark.slow
def test_digits_ad_trains_and_resumes(digits_root, tmp_path):
    work = str(tmp_path / 'ad')
    options = {
        'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1
    }
    cfg = short_fair_cfg(
        DIGITS_AD, digits_root, work, epochs=3, num_train=768, **options)
    runner = Runner.from_cfg(cfg)
    log = _ADLog()
    runner.register_hook(log, 'LOWEST')
    runner.train()

    ce = [v['loss'] for v in log.losses]
    assert len(ce) == 18  # 768 / 128 = 6 iterations, 3 epochs
    assert sum(ce[-3:]) / 3 < sum(ce[:3]) / 3, ce
    # each validation reports every class adversary's test loss, and each
    # adversary's plateau keeps the best of ITS OWN class's loss. As with
    # ReduceOnPlateauLR, the validations before the schedule's end
    # (max_epochs) count: epochs 1 and 2 here.
    assert len(log.metrics) == 3
    keys = [f'fairness/adv_loss_c{y}' for y in range(10)]
    adv_sched, = runner.param_schedulers['adversaries']
    model_sched, = runner.param_schedulers['model']
    for y, key in enumerate(keys):
        assert adv_sched.best[y] == pytest.approx(
            min(m[key] for m in log.metrics[:2]), rel=1e-3)
    assert len(set(adv_sched.best)) == 10  # not one shared metric
    assert model_sched.best == pytest.approx(
        min(m['fairness/loss'] for m in log.metrics[:2]), rel=1e-3)

    # resume from epoch 1 (the checkpoint is written before that epoch's
    # validation, so the schedules have seen none yet); an adversary's LR
    # reduced in the checkpoint must come back, its group alone
    ckpt = torch.load(
        osp.join(work, 'epoch_1.pth'), map_location='cpu', weights_only=False)
    assert set(ckpt['optimizer']) == {'model', 'adversaries'}
    assert set(ckpt['param_schedulers']) == {'model', 'adversaries'}
    assert ckpt['param_schedulers']['adversaries'][0]['best'] == [
        adv_sched.rule_worse
    ] * 10
    ckpt['optimizer']['adversaries']['param_groups'][3]['lr'] = 3e-5
    ckpt_path = str(tmp_path / 'epoch_1_reduced.pth')
    torch.save(ckpt, ckpt_path)
    cfg = short_fair_cfg(
        DIGITS_AD,
        digits_root,
        str(tmp_path / 'resumed'),
        epochs=3,
        num_train=768,
        resume=True,
        load_from=ckpt_path,
        **options)
    resumed = Runner.from_cfg(cfg)
    resumed_log = _ADLog()
    resumed.register_hook(resumed_log, 'LOWEST')
    resumed.train()
    assert len(resumed_log.losses) == 12  # epochs 2 and 3 only
    adv_opt = resumed.optim_wrapper['adversaries'].optimizer
    steps = {
        int(adv_opt.state[p]['step'])
        for g in adv_opt.param_groups
        for p in g['params']
    }
    assert steps == {18}  # 6 steps before the checkpoint, 12 after
    assert [g['lr']
            for g in adv_opt.param_groups] == [3e-4] * 3 + [3e-5] + [3e-4] * 6
    assert [g['child']
            for g in adv_opt.param_groups] == [str(y) for y in range(10)]
    # the resumed epoch 2's validation is the schedules' first
    new_best = resumed.param_schedulers['adversaries'][0].best
    assert new_best == [resumed_log.metrics[0][key] for key in keys]
