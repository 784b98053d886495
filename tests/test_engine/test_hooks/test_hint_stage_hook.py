# Copyright (c) OpenMMLab. All rights reserved.
"""FitNet's hint stage on a real distiller (DigitsS, the half-width CNN):
the hint epochs train only ½·MSE of the penultimate features (the head is
untouched, no CE, no KD), then CE + annealed KD without the hint loss."""
import os.path as osp

import pytest
import torch
from kd_test_utils import REPO
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

from mmkd_plus.engine.hooks import HintStageHook

MFD = osp.join(REPO, 'configs', 'mfd')


def fitnet_digits_cfg(digits_root, work_dir, hint_epochs=2, epochs=4,
                      val_begin=None, hooks=()):
    """The two-stage FitNet leaf of DigitsS with a short hint stage."""
    cfg = Config.fromfile(
        osp.join(MFD, 'fitnet_cifarnet_half_1xb128_digits_s.py'))
    anneal, hint_stage = cfg.custom_hooks
    assert hint_stage.type == 'mmrazor.HintStageHook'
    assert anneal.type == 'mmrazor.LinearLossWeightHook'
    cfg.merge_from_dict({
        'model.teacher_ckpt': None,
        'train_dataloader.dataset.data_root': digits_root,
        'train_dataloader.dataset.indices': 512,
        'val_dataloader.dataset.data_root': digits_root,
        'test_dataloader.dataset.data_root': digits_root,
        'train_cfg.max_epochs': epochs,
        'train_cfg.val_begin': val_begin or hint_epochs + 1,
        'default_hooks.checkpoint.interval': epochs,
        'work_dir': work_dir,
    })
    cfg.custom_hooks = [
        dict(anneal, begin=hint_epochs),
        dict(hint_stage, hint_epochs=hint_epochs), *hooks
    ]
    return cfg


@HOOKS.register_module(force=True)
class _HintLog(Hook):
    """Keep every iteration's loss keys and values, and head/teacher
    weights at the end of every epoch."""
    iters: list = []
    heads: list = []
    teachers: list = []
    kd_weights: list = []

    def before_train(self, runner):
        self._snap(runner)

    def _snap(self, runner):
        model = runner.model
        _HintLog.heads.append(model.student.head.fc.weight.detach().clone())
        _HintLog.teachers.append(
            model.teacher.backbone.fc[1].weight.detach().clone())

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        _HintLog.iters.append((runner.epoch, {
            k: float(v.detach())
            for k, v in outputs.items()
        }))

    def before_train_epoch(self, runner):
        _HintLog.kd_weights.append(
            runner.model.distiller.distill_losses['loss_kd'].loss_weight)

    def after_train_epoch(self, runner):
        self._snap(runner)


@pytest.mark.slow
def test_two_stages_train_what_the_fitnet_code_trains(digits_root,
                                                      tmp_path):
    for key in ('iters', 'heads', 'teachers', 'kd_weights'):
        setattr(_HintLog, key, [])
    cfg = fitnet_digits_cfg(digits_root, str(tmp_path), hint_epochs=2,
                            epochs=4, hooks=[dict(type='_HintLog')])
    runner = Runner.from_cfg(cfg)
    runner.train()

    hint = [v for e, v in _HintLog.iters if e < 2]
    second = [v for e, v in _HintLog.iters if e >= 2]
    assert {tuple(sorted(v)) for v in hint} == {('distill.loss_hint',
                                                 'loss')}
    assert all(v['loss'] == pytest.approx(v['distill.loss_hint'])
               for v in hint)
    assert second and all('student.loss' in v and 'distill.loss_kd' in v
                          and 'distill.loss_hint' not in v for v in second)
    # the hint falls; nothing reaches the head in the hint stage
    h = [v['distill.loss_hint'] for v in hint]
    assert sum(h[-2:]) < sum(h[:2]), h
    heads = _HintLog.heads
    assert torch.equal(heads[0], heads[1]) and torch.equal(heads[1], heads[2])
    assert not torch.equal(heads[2], heads[3])
    assert all(torch.equal(t, _HintLog.teachers[0]) for t in _HintLog.teachers)
    # KD annealed over the second stage only: 4 (hint epochs), 4, 1
    assert _HintLog.kd_weights == pytest.approx([4.0, 4.0, 4.0, 1.0])
    # after training the distiller has all of its losses again
    assert set(runner.model.distiller.loss_forward_mappings) == {
        'loss_kd', 'loss_hint'
    }
    assert runner.model.calculate_student_loss


def test_validation_in_the_hint_stage_with_a_plateau_names_val_begin(
        digits_root, tmp_path):
    cfg = fitnet_digits_cfg(digits_root, str(tmp_path), hint_epochs=2,
                            epochs=3, val_begin=1)
    with pytest.raises(ValueError, match=r'train_cfg.val_begin=1 validates '
                       r'during the hint stage.*set train_cfg.val_begin=3'):
        Runner.from_cfg(cfg).train()


def test_no_epoch_after_the_hint_stage_names_max_epochs(digits_root,
                                                        tmp_path):
    cfg = fitnet_digits_cfg(digits_root, str(tmp_path), hint_epochs=3,
                            epochs=3)
    cfg.custom_hooks[0]['begin'] = 0
    with pytest.raises(ValueError, match=r'hint_epochs=3 leaves no epoch '
                       r'after the hint stage in train_cfg.max_epochs=3'):
        Runner.from_cfg(cfg).train()


def test_unknown_hint_loss_lists_the_distiller_losses(digits_root, tmp_path):
    cfg = fitnet_digits_cfg(digits_root, str(tmp_path))
    cfg.custom_hooks[1]['hint_losses'] = ['loss_fitnet']
    with pytest.raises(ValueError, match=r"hint_losses \['loss_fitnet'\] are "
                       r"not losses of model.distiller.loss_forward_mappings "
                       r"\(\['loss_hint', 'loss_kd'\]\)"):
        Runner.from_cfg(cfg).train()


def test_plain_classifier_is_refused():
    class _Runner:
        model = torch.nn.Linear(2, 2)
    with pytest.raises(TypeError, match='needs a distillation model'):
        HintStageHook(2).before_train(_Runner())


def test_hint_epochs_must_be_positive():
    with pytest.raises(ValueError, match='hint_epochs=0 must be >= 1'):
        HintStageHook(0)
