# Copyright (c) OpenMMLab. All rights reserved.
"""CheckFiniteLossHook: a diverging plain run stops with one message."""
import glob
import os
import os.path as osp

import pytest
import torch
from kd_test_utils import REPO, STUDENT_DIGITS, load_tool, short_run_options
from mmengine.config import Config
from mmengine.logging import MessageHub

from mmkd_plus.engine.hooks import CheckFiniteLossHook


class _Runner:
    iter = 0


def test_hook_passes_finite_and_stops_on_nan():
    hook = CheckFiniteLossHook()
    hub = MessageHub.get_instance('test_check_finite')
    hub.update_info('iter', 7)
    hub.update_scalar('train/lr', 0.25)
    finite = dict(loss=torch.tensor(1.5), loss_cls=torch.tensor(1.5),
                  accuracy=torch.tensor(float('nan')))  # not a loss: ignored
    hook.after_train_iter(_Runner(), 0, outputs=finite)
    with pytest.raises(FloatingPointError) as err:
        hook.after_train_iter(
            _Runner(), 0,
            outputs=dict(loss=torch.tensor(float('inf')),
                         loss_cls=torch.tensor(float('inf'))))
    msg = str(err.value)
    assert "Non-finite loss at iteration 7: ['loss', 'loss_cls']" in msg
    assert 'optim_wrapper.optimizer.lr=0.25' in msg


def test_hook_interval_and_bad_interval():
    hook = CheckFiniteLossHook(interval=2)
    runner = _Runner()
    runner.iter = 0  # iteration 1 of every 2: not checked
    hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(
        float('nan'))))
    runner.iter = 1
    with pytest.raises(FloatingPointError):
        hook.after_train_iter(runner, 1, outputs=dict(loss=torch.tensor(
            float('nan'))))
    with pytest.raises(ValueError, match='default_hooks.check_finite'):
        CheckFiniteLossHook(interval=0)


def test_every_config_has_the_hook():
    leaves = [
        p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                             recursive=True)
        if '_base_' not in p
    ]
    assert len(leaves) > 50
    for path in leaves:
        hooks = Config.fromfile(path).default_hooks
        assert hooks.get('check_finite', {}).get('type') == \
            'mmrazor.CheckFiniteLossHook', path


@pytest.mark.slow
def test_diverging_plain_training_stops_without_checkpoint(digits_root,
                                                           tmp_path):
    train_tool = load_tool('train.py')
    work = str(tmp_path / 'diverge')
    opts = short_run_options(digits_root, work, max_epochs=2, num_train=64)
    with pytest.raises(FloatingPointError,
                       match=r"Non-finite loss at iteration \d+: \['loss'"
                       r".*optim_wrapper\.optimizer\.lr=1e\+30"):
        train_tool.main([
            STUDENT_DIGITS, '--cfg-options', *opts,
            'optim_wrapper.optimizer.lr=1e30'
        ])
    saved = [f for f in os.listdir(work) if f.endswith('.pth')] \
        if osp.isdir(work) else []
    assert saved == []
