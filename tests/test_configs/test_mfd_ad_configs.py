# Copyright (c) OpenMMLab. All rights reserved.
"""The AD configs of MFD: the adversaries are parameter groups of the
model's Adam, one per class adversary, each with its own plateau; that
optimizer and schedule step as the MFD code's separate Adams and
ReduceLROnPlateau schedules; and the digits config end to end (the loss
falls, each adversary's plateau reads its own test loss, a resumed run
keeps each group's LR and step count)."""
import copy
import glob
import os.path as osp
from contextlib import contextmanager

import numpy as np
import pytest
import torch
from kd_test_utils import REPO
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import MODELS, PARAM_SCHEDULERS, DefaultScope
from mmengine.runner import Runner
from mmpretrain.structures import DataSample
from test_mfd_digits_training import short_fair_cfg

from mmkd_plus.engine import PerGroupReduceOnPlateauLR

AD_CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'mfd', 'ad_*.py')))
DIGITS_AD = 'ad_cifarnet_half_1xb128_digits_s.py'


def _build(cfg):
    """The model (no teacher checkpoint read), its optimizer wrapper and
    its schedule, as the Runner builds them."""
    model_cfg = cfg.model.copy()
    if 'teacher_ckpt' in model_cfg:
        model_cfg['teacher_ckpt'] = None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(model_cfg)
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        scheduler = PARAM_SCHEDULERS.build(
            cfg.param_scheduler, default_args=dict(optimizer=wrapper))
    return model, wrapper, scheduler


@pytest.mark.parametrize('path', AD_CONFIGS, ids=osp.basename)
def test_adversaries_are_groups_of_the_models_adam(path):
    model, wrapper, scheduler = _build(Config.fromfile(path))
    student = getattr(model, 'architecture', model)
    num_classes = student.head.num_classes
    assert type(wrapper) is OptimWrapper
    assert type(wrapper.optimizer) is torch.optim.Adam
    groups = wrapper.optimizer.param_groups
    children = [str(y) for y in range(num_classes)]
    assert [g.get('child') for g in groups] == [None] + children

    owner = {id(p): g.get('child') for g in groups for p in g['params']}
    for name, p in model.named_parameters():
        if name.startswith('teacher.'):
            assert id(p) not in owner, name  # frozen: no group
        elif '.adversaries.' in name:
            y = name.split('.adversaries.')[1].split('.')[0]
            assert owner[id(p)] == y, name
        else:
            assert owner[id(p)] is None, name
    assert [(g['lr'], g['weight_decay'])
            for g in groups] == [(1e-3, 0)] + [(3e-4, 0)] * num_classes

    assert isinstance(scheduler, PerGroupReduceOnPlateauLR)
    # the model's group (and the wrapper's base settings, last) on the test
    # CE, each adversary's on its own test loss
    assert scheduler.monitors == ['fairness/loss'] + [
        f'fairness/adv_loss_c{y}' for y in children
    ] + ['fairness/loss']
    assert (scheduler.rule, scheduler.patience, scheduler.factor,
            scheduler.by_epoch) == ('less', 10, 0.1, True)


class _SeparateAdams:
    """The MFD code's update as an optim_wrapper for ``train_step``: one
    backward, then every optimizer steps and is zeroed."""

    def __init__(self, optimizers):
        self.optimizers = optimizers

    @contextmanager
    def optim_context(self, model):
        yield

    def update_params(self, loss):
        loss.backward()
        for optimizer in self.optimizers:
            optimizer.step()
            optimizer.zero_grad()


def _batch(rng, num_classes, size=16):
    """Random digits-sized images with labels and groups (some classes
    absent, so their adversaries get no gradient in that step)."""
    samples = []
    labels, groups = rng.randint(0, num_classes, size), rng.randint(0, 2, size)
    for y, a in zip(labels, groups):
        sample = DataSample().set_gt_label(int(y))
        sample.set_field(int(a), 'group')
        samples.append(sample)
    inputs = torch.from_numpy(rng.randint(0, 256, (size, 3, 32, 32))).float()
    return dict(inputs=inputs, data_samples=samples)


def _validation(epoch, num_classes):
    """Validation metrics of a run whose test CE stalls from the start
    and whose odd classes' adversary losses stall from epoch 3; the even
    classes' keep falling."""
    metrics = {'fairness/loss': 1.0}
    for y in range(num_classes):
        last = epoch if y % 2 == 0 else min(epoch, 3)
        metrics[f'fairness/adv_loss_c{y}'] = 1.0 - 0.1 * last
    return metrics


def test_recipe_steps_as_the_mfd_codes_separate_adams_and_plateaus():
    """The digits AD leaf's network, optimizer and schedule against the MFD
    code's (trainer/adv_debiasing.py): a torch Adam for the network (with a
    weight decay here, so that each group's own is tested) and an Adam of
    lr 3e-4 per class adversary, stepped after one backward of the real AD
    losses, and one torch ReduceLROnPlateau per optimizer on its own
    validation metric (patience 1, so that the LRs are cut within a few
    epochs and the later steps use them): every parameter equal (to 1e-6)
    after every step, every LR after every validation; the model's LR is
    cut first alone, then the stalled adversaries' alone."""
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'mfd', DIGITS_AD))
    cfg.optim_wrapper.optimizer.weight_decay = 1e-2
    cfg.param_scheduler.patience = 1
    model, wrapper, scheduler = _build(cfg)
    ref = copy.deepcopy(model)
    adversaries = ref.head.adversaries
    num_classes = len(adversaries)
    rest = [p for n, p in ref.named_parameters() if '.adversaries.' not in n]
    refs = [torch.optim.Adam(rest, lr=1e-3, weight_decay=1e-2)] + [
        torch.optim.Adam(a.parameters(), lr=3e-4) for a in adversaries
    ]
    ref_scheds = [
        torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
        for opt in refs
    ]
    keys = ['fairness/loss'] + [
        f'fairness/adv_loss_c{y}' for y in range(num_classes)
    ]
    rng = np.random.RandomState(0)
    lrs = []
    for epoch in range(6):
        for _ in range(2):
            data = _batch(rng, num_classes)
            seed = int(rng.randint(2**31))
            # the same dropout masks in both networks
            torch.manual_seed(seed)
            model.train_step(copy.deepcopy(data), optim_wrapper=wrapper)
            torch.manual_seed(seed)
            ref.train_step(data, optim_wrapper=_SeparateAdams(refs))
            for (name, p), q in zip(model.named_parameters(),
                                    ref.parameters()):
                torch.testing.assert_close(p, q, rtol=0, atol=1e-6, msg=name)
        metrics = _validation(epoch, num_classes)
        scheduler.step(metrics)
        for ref_sched, key in zip(ref_scheds, keys):
            ref_sched.step(metrics[key])
        lrs.append([g['lr'] for g in wrapper.optimizer.param_groups])
        assert lrs[-1] == [opt.param_groups[0]['lr'] for opt in refs], epoch
    odd = [3e-4, 3e-5] * (num_classes // 2)
    # epoch 2: the model's group alone; epoch 4: again; epoch 5: the odd
    # classes' adversaries alone
    assert lrs[1] == [1e-3] + [3e-4] * num_classes
    assert lrs[2] == pytest.approx([1e-4] + [3e-4] * num_classes)
    assert lrs[4] == pytest.approx([1e-5] + [3e-4] * num_classes)
    assert lrs[5] == pytest.approx([1e-5] + odd)


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
    sched, = runner.param_schedulers
    # the groups: the model's, one per class adversary, the base settings
    assert sched.monitors == ['fairness/loss'] + keys + ['fairness/loss']
    best = [
        min(m[key] for m in log.metrics[:2]) for key in sched.monitors
    ]
    assert sched.best == pytest.approx(best, rel=1e-3)
    assert len(set(sched.best[1:11])) == 10  # not one shared metric

    # resume from epoch 1 (the checkpoint is written before that epoch's
    # validation, so the schedule has seen none yet); an adversary's LR
    # reduced in the checkpoint must come back, its group alone
    ckpt = torch.load(
        osp.join(work, 'epoch_1.pth'), map_location='cpu', weights_only=False)
    groups = ckpt['optimizer']['param_groups']
    assert [g.get('child') for g in groups] == [None] + [
        str(y) for y in range(10)
    ]
    assert ckpt['param_schedulers'][0]['best'] == [sched.rule_worse] * 12
    groups[4]['lr'] = 3e-5  # class 3's adversary
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
    optimizer = resumed.optim_wrapper.optimizer
    steps = {
        int(optimizer.state[p]['step'])
        for g in optimizer.param_groups
        for p in g['params']
    }
    assert steps == {18}  # 6 steps before the checkpoint, 12 after
    assert [g['lr'] for g in optimizer.param_groups
            ] == [1e-3] + [3e-4] * 3 + [3e-5] + [3e-4] * 6
    assert [g.get('child') for g in optimizer.param_groups
            ] == [None] + [str(y) for y in range(10)]
    # the resumed epoch 2's validation is the schedule's first
    new_best = resumed.param_schedulers[0].best
    assert new_best == [resumed_log.metrics[0][key] for key in sched.monitors]
