# Copyright (c) OpenMMLab. All rights reserved.
"""MFD end to end on DigitsS: the teacher trains, the MFD student trains on
balanced batches with its MMD loss falling, and validation reports top-1,
DEO_M and DEO_A for the student and the teacher."""
import os.path as osp
from collections import Counter

import pytest
from kd_test_utils import REPO
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

MFD = osp.join(REPO, 'configs', 'mfd')


def short_fair_cfg(name: str, digits_root: str, work_dir: str, epochs: int,
                   num_train: int, **extra) -> Config:
    """A DigitsS config cut to `epochs` epochs on the first `num_train`
    training digits, validated once at the end."""
    cfg = Config.fromfile(osp.join(MFD, name))
    cfg.merge_from_dict({
        'train_dataloader.dataset.data_root': digits_root,
        'train_dataloader.dataset.indices': num_train,
        'val_dataloader.dataset.data_root': digits_root,
        'test_dataloader.dataset.data_root': digits_root,
        'train_cfg.max_epochs': epochs,
        'train_cfg.val_interval': epochs,
        'default_hooks.checkpoint.interval': epochs,
        'default_hooks.logger.interval': 1,
        'work_dir': work_dir,
        **extra
    })
    return cfg


@HOOKS.register_module(force=True)
class _MFDLossLog(Hook):
    """Keep every iteration's losses and batch cells, and the metrics."""

    values: list = []
    cells: list = []
    metrics: dict = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        _MFDLossLog.values.append(
            {k: float(v.detach()) for k, v in outputs.items()})
        _MFDLossLog.cells.append(
            sorted((s.group, int(s.gt_label))
                   for s in data_batch['data_samples']))

    def after_val_epoch(self, runner, metrics=None):
        _MFDLossLog.metrics = dict(metrics)


@pytest.mark.slow
def test_mfd_trains_and_reports_top1_and_deo(digits_root, tmp_path):
    teacher = short_fair_cfg('scratch_cifarnet_half_1xb128_digits_s.py',
                             digits_root, str(tmp_path / 'teacher'),
                             epochs=3, num_train=768)
    Runner.from_cfg(teacher).train()
    ckpt = str(tmp_path / 'teacher' / 'epoch_3.pth')

    _MFDLossLog.values, _MFDLossLog.cells, _MFDLossLog.metrics = [], [], {}
    cfg = short_fair_cfg(
        'mfd_cifarnet_half_1xb128_digits_s.py', digits_root,
        str(tmp_path / 'mfd'), epochs=2, num_train=768,
        **{'model.teacher_ckpt': ckpt,
           'custom_hooks': [dict(type='_MFDLossLog')]})
    Runner.from_cfg(cfg).train()
    metrics = _MFDLossLog.metrics

    # balanced batches: 20 cells x 6 samples
    assert all(len(set(c)) == 20 and len(c) == 120 for c in _MFDLossLog.cells)
    mfd = [v['distill.loss_mfd'] for v in _MFDLossLog.values]
    first, last = sum(mfd[:3]) / 3, sum(mfd[-3:]) / 3
    assert last < first, (first, last)
    for prefix in ('', 'teacher.'):
        top1 = metrics[f'{prefix}fairness/top1']
        deo_m = metrics[f'{prefix}fairness/DEO_M']
        deo_a = metrics[f'{prefix}fairness/DEO_A']
        assert 0 <= deo_a <= deo_m <= 100, (prefix, deo_a, deo_m)
        assert 10 < top1 <= 100  # above chance after a few epochs
        assert f'{prefix}fairness/acc_g1_c9' in metrics


def test_mfd_without_the_balanced_sampler_stops_at_the_first_step(
        digits_root, tmp_path):
    """Plain shuffled batches (the balanced batch sampler removed): the
    first training step stops with an error naming the sampler key, before
    any update; require_balanced=False trains on them deliberately."""
    overrides = {'model.teacher_ckpt': None,
                 'custom_hooks': [dict(type='_MFDLossLog')]}
    cfg = short_fair_cfg('mfd_cifarnet_half_1xb128_digits_s.py', digits_root,
                         str(tmp_path / 'plain'), epochs=1, num_train=256,
                         **overrides)
    cfg.train_dataloader.pop('batch_sampler')
    _MFDLossLog.values, _MFDLossLog.cells = [], []
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError) as err:
        runner.train()
    assert ("train_dataloader.batch_sampler=dict(type="
            "'GroupBalancedBatchSampler')") in str(err.value)
    assert _MFDLossLog.values == []  # no step was taken

    cfg = short_fair_cfg('mfd_cifarnet_half_1xb128_digits_s.py', digits_root,
                         str(tmp_path / 'deliberate'), epochs=1,
                         num_train=256, **overrides)
    cfg.train_dataloader.pop('batch_sampler')
    cfg.model.distiller.distill_losses.loss_mfd.require_balanced = False
    Runner.from_cfg(cfg).train()
    assert len(_MFDLossLog.values) == 2  # 256 samples, batches of 128
    # plain batches: cells of unequal sizes
    sizes = [sorted(Counter(c).values()) for c in _MFDLossLog.cells]
    assert all(s[-1] > 2 * s[0] for s in sizes), sizes
