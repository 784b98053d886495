# Copyright (c) OpenMMLab. All rights reserved.
"""tools/train.py --amp on a machine without a GPU stops at once.

MMEngine's ``AmpOptimWrapper`` asserts a GPU (NPU, MLU, MUSA) when it is
built, at the start of training, whatever its ``dtype``; the device is
faked here, so the tests behave the same on any machine.
"""
import os.path as osp

import pytest
from kd_test_utils import STUDENT_DIGITS, load_tool

train_tool = load_tool('train.py')


def test_amp_without_a_gpu(tmp_path, monkeypatch):
    monkeypatch.setattr(train_tool, 'get_device', lambda: 'cpu')
    work = str(tmp_path / 'work')
    with pytest.raises(RuntimeError) as err:
        train_tool.main([STUDENT_DIGITS, '--amp', '--work-dir', work])
    assert str(err.value) == (
        '--amp needs a GPU (or an NPU, MLU or MUSA device) and none is '
        "visible: MMEngine's AmpOptimWrapper cannot train on the CPU. Leave "
        '--amp out to train in float32.')
    assert not osp.exists(work)  # stopped before the Runner


def test_amp_optim_wrapper_in_the_config_without_a_gpu(tmp_path,
                                                       monkeypatch):
    monkeypatch.setattr(train_tool, 'get_device', lambda: 'cpu')
    with pytest.raises(RuntimeError) as err:
        train_tool.main([
            STUDENT_DIGITS, '--work-dir', str(tmp_path), '--cfg-options',
            'optim_wrapper.type=AmpOptimWrapper'
        ])
    assert str(err.value).startswith(
        "optim_wrapper.type='AmpOptimWrapper' (mixed precision) needs a GPU")
    assert str(err.value).endswith(
        "Set optim_wrapper.type='OptimWrapper' (without loss_scale and "
        'dtype) to train in float32.')


def test_amp_with_a_gpu_sets_the_wrapper(monkeypatch):
    monkeypatch.setattr(train_tool, 'get_device', lambda: 'cuda')
    cfg = train_tool.merge_args(
        train_tool.Config.fromfile(STUDENT_DIGITS),
        train_tool.parse_args([STUDENT_DIGITS, '--amp']))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
