# Copyright (c) OpenMMLab. All rights reserved.
"""End to end on the digits: teacher, KD, resume, convert, test, drop-in."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from kd_test_utils import (KD_DIGITS, REPO, STUDENT_DIGITS, load_short_cfg,
                           load_tool, short_run_options)
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

train_tool = load_tool('train.py')
test_tool = load_tool('test.py')
convert_kd_ckpt_to_student = load_tool(
    'model_converters/convert_kd_ckpt_to_student.py')

pytestmark = pytest.mark.slow


@HOOKS.register_module(force=True)
class _SnapshotHook(Hook):
    """Keep what the runner holds when training (re)starts."""

    priority = 'VERY_LOW'
    snapshots: list = []

    def before_train(self, runner):
        model = runner.model
        optim = runner.optim_wrapper.optimizer
        _SnapshotHook.snapshots.append(
            dict(
                iter=runner.iter,
                epoch=runner.epoch,
                state={k: v.clone()
                       for k, v in model.state_dict().items()},
                momentum={
                    i: s['momentum_buffer'].clone()
                    for i, s in enumerate(optim.state.values())
                    if s.get('momentum_buffer') is not None
                },
                lr=[g['lr'] for g in optim.param_groups],
                sched=[s.state_dict() for s in runner.param_schedulers]))

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        _SnapshotHook.snapshots[-1].setdefault('first_iter', runner.iter)


def test_kd_train_resume_continues_exactly(digits_root, digits_teacher_ckpt,
                                           tmp_path):
    work = str(tmp_path / 'kd')
    _SnapshotHook.snapshots = []
    hook = [dict(type='_SnapshotHook')]
    # a first run of 2 epochs (4 iterations each), checkpoint every epoch
    cfg = load_short_cfg(
        KD_DIGITS, digits_root, work, max_epochs=2,
        extra={'model.teacher_ckpt': digits_teacher_ckpt,
               'custom_hooks': hook})
    Runner.from_cfg(cfg).train()
    ckpt_path = osp.join(work, 'epoch_2.pth')
    saved = torch.load(ckpt_path, map_location='cpu')
    assert saved['meta']['iter'] == 8 and saved['meta']['epoch'] == 2

    # resume to 3 epochs: training restarts at iteration 8 with the saved
    # student, teacher, optimizer and scheduler state, not from scratch
    cfg = load_short_cfg(
        KD_DIGITS, digits_root, work, max_epochs=3,
        extra={'model.teacher_ckpt': digits_teacher_ckpt,
               'custom_hooks': hook})
    cfg.resume = True
    cfg.load_from = ckpt_path
    runner = Runner.from_cfg(cfg)
    runner.train()
    snap = _SnapshotHook.snapshots[-1]
    assert snap['iter'] == 8 and snap['epoch'] == 2
    assert snap['first_iter'] == 8
    assert runner.iter == 12
    for key, value in saved['state_dict'].items():
        assert torch.equal(snap['state'][key], value), key
    # the teacher's weights in the checkpoint are those of teacher_ckpt
    teacher = torch.load(
        digits_teacher_ckpt, map_location='cpu')['state_dict']
    for key, value in teacher.items():
        assert torch.equal(saved['state_dict']['teacher.' + key], value)
    saved_momentum = [
        s['momentum_buffer'] for s in saved['optimizer']['state'].values()
    ]
    assert len(snap['momentum']) == len(saved_momentum) > 0
    for got, want in zip(snap['momentum'].values(), saved_momentum):
        assert torch.equal(got, want)
    assert snap['lr'] == [
        g['lr'] for g in saved['optimizer']['param_groups']
    ]
    assert snap['sched'] == saved['param_schedulers']
    assert saved['param_schedulers'][0]['_global_step'] == 2
    # a fresh start would have the first run's initial weights: check that
    # the resumed student differs from a newly initialised one
    first = _SnapshotHook.snapshots[0]['state']
    key = 'architecture.backbone.conv1.weight'
    assert not torch.equal(first[key], snap['state'][key])


def test_convert_and_test_student(digits_root, digits_teacher_ckpt,
                                  tmp_path):
    work = str(tmp_path / 'kd')
    opts = short_run_options(digits_root, work, max_epochs=2, num_train=128,
                             val=True)
    train_tool.main([
        KD_DIGITS, '--cfg-options',
        f'model.teacher_ckpt={digits_teacher_ckpt}', *opts
    ])
    kd_ckpt = osp.join(work, 'epoch_2.pth')
    kd_json = str(tmp_path / 'kd.json')
    kd_metrics = test_tool.main([
        KD_DIGITS, kd_ckpt, '--out', kd_json, '--work-dir',
        str(tmp_path / 'test_kd'), '--cfg-options', *opts
    ])
    student_ckpt = str(tmp_path / 'student.pth')
    convert_kd_ckpt_to_student.main([kd_ckpt, student_ckpt])
    converted = torch.load(student_ckpt, map_location='cpu')
    assert not any(k.startswith(('architecture.', 'teacher.'))
                   for k in converted['state_dict'])
    assert 'backbone.conv1.weight' in converted['state_dict']
    metrics = test_tool.main([
        STUDENT_DIGITS, student_ckpt, '--work-dir',
        str(tmp_path / 'test_student'), '--cfg-options', *opts
    ])
    assert metrics['accuracy/top1'] == pytest.approx(
        kd_metrics['accuracy/top1'])
    assert osp.isfile(kd_json)


def test_convert_rejects_plain_checkpoint(digits_teacher_ckpt, tmp_path):
    with pytest.raises(ValueError, match='not a distillation checkpoint'):
        convert_kd_ckpt_to_student.main(
            [digits_teacher_ckpt, str(tmp_path / 'x.pth')])


def test_drop_in_with_mmrazor_train_script(digits_root, digits_teacher_ckpt,
                                           tmp_path):
    """MMRazor's own tools/train.py runs our config, unchanged."""
    import mmrazor
    script = osp.join(osp.dirname(mmrazor.__file__), '.mim', 'tools',
                      'train.py')
    assert osp.isfile(script)
    work = str(tmp_path / 'dropin')
    opts = short_run_options(digits_root, work, max_epochs=1)
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable, '-m', 'mmkd_plus', script, KD_DIGITS,
         '--cfg-options', f'model.teacher_ckpt={digits_teacher_ckpt}',
         *opts],
        capture_output=True, text=True, env=env, cwd=str(tmp_path),
        timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    assert 'distill.loss_kd' in proc.stdout + proc.stderr
