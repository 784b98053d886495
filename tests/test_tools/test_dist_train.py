# Copyright (c) OpenMMLab. All rights reserved.
"""tools/dist_train.sh and dist_test.sh: 2-process DDP on CPUs (torchrun,
gloo)."""
import json
import os.path as osp

import pytest
import torch
from kd_test_utils import (KD_DIGITS, STUDENT_DIGITS, run_dist_tool,
                           short_run_options)

pytestmark = pytest.mark.slow


def test_kd_config_trains_under_two_process_ddp(digits_root,
                                                digits_teacher_ckpt, tmp_path):
    work = str(tmp_path / 'ddp')
    opts = short_run_options(
        digits_root, work, max_epochs=2, num_train=64, batch_size=16)
    log = run_dist_tool(
        'dist_train.sh', KD_DIGITS, '2', '--cfg-options',
        f'model.teacher_ckpt={digits_teacher_ckpt}', *opts,
        cwd=str(tmp_path))
    assert 'Distributed training: True' in log
    # 64 images, batch 16 per process, 2 processes: 2 iterations an epoch
    assert 'Epoch(train) [2][2/2]' in log
    assert 'Epoch(train) [1][3/' not in log
    ckpt_path = osp.join(work, 'epoch_2.pth')
    ckpt = torch.load(ckpt_path, map_location='cpu')
    assert ckpt['meta']['iter'] == 4
    assert any(k.startswith('architecture.') for k in ckpt['state_dict'])

    # tools/dist_test.sh evaluates it with 2 processes, each on half of the
    # test split, and gathers the metric over the whole split
    metrics = str(tmp_path / 'metrics.json')
    run_dist_tool(
        'dist_test.sh', KD_DIGITS, ckpt_path, '2', '--out', metrics,
        '--work-dir', str(tmp_path / 'ddp_test'), '--cfg-options', *opts,
        cwd=str(tmp_path))
    with open(metrics) as f:
        top1 = json.load(f)['accuracy/top1']
    # 359 test images: an accuracy is a multiple of 100/359
    assert 0 <= top1 <= 100
    assert abs(top1 * 359 / 100 - round(top1 * 359 / 100)) < 1e-3


def test_cpu_ddp_says_gloo_once_at_start(digits_root, tmp_path):
    """No GPU: one line says the processes run gloo, not the config's
    nccl, in dist_train.sh and dist_test.sh (rank 0 only)."""
    work = str(tmp_path / 'ddp')
    opts = short_run_options(
        digits_root, work, max_epochs=1, num_train=32, batch_size=16)
    line = ('no GPU: 2 CPU processes with gloo instead of nccl (the '
            "config's env_cfg.dist_cfg.backend='nccl' needs GPUs and stays "
            'as it is in the config that is logged and dumped).')
    log = run_dist_tool('dist_train.sh', STUDENT_DIGITS, '2',
                        '--cfg-options', *opts, cwd=str(tmp_path))
    assert log.count(line) == 1, log[-3000:]
    assert log.index(line) < log.index('Epoch(train) [1][1/1]')
    log = run_dist_tool(
        'dist_test.sh', STUDENT_DIGITS, osp.join(work, 'epoch_1.pth'), '2',
        '--work-dir', str(tmp_path / 'ddp_test'), '--cfg-options',
        f'data_root={digits_root}', 'test_dataloader.dataset.indices=8',
        cwd=str(tmp_path))
    assert log.count(line) == 1, log[-3000:]
