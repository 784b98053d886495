# Copyright (c) OpenMMLab. All rights reserved.
"""The WCoRD student trains on the digits: both of its terms fall and the
student ends well above chance."""
import os.path as osp

import pytest
from kd_test_utils import REPO, load_short_cfg
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner

WCORD_DIGITS = osp.join(REPO, 'configs', 'wcord',
                        'wcord_neck_resnet20_resnet8_1xb64_digits.py')


@HOOKS.register_module(force=True)
class _WCoRDTermLog(Hook):
    """Keep each iteration's GCKT and LCKT terms (logged by WCoRDLoss)."""

    values: list = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        hub = runner.message_hub
        _WCoRDTermLog.values.append({
            term: float(hub.get_scalar(f'train/wcord_{term}').current())
            for term in ('gckt', 'lckt')
        })


@pytest.mark.slow
def test_wcord_student_trains_on_the_digits(digits_root, digits_teacher_ckpt,
                                            tmp_path):
    _WCoRDTermLog.values = []
    cfg = load_short_cfg(
        WCORD_DIGITS, digits_root, str(tmp_path / 'wcord'),
        max_epochs=3, num_train=1438, batch_size=64,
        extra={
            'model.teacher_ckpt': digits_teacher_ckpt,
            'model.distiller.distill_losses.loss_wcord.num_negatives': 128,
            'train_dataloader.dataset.num_negatives': 128,
            'custom_hooks': [dict(type='_WCoRDTermLog')],
        })
    runner = Runner.from_cfg(cfg)
    runner.train()
    log = _WCoRDTermLog.values
    assert len(log) == 3 * 23  # 1,438 images, batch 64, drop_last off
    for term in ('gckt', 'lckt'):
        first = sum(v[term] for v in log[:8]) / 8
        last = sum(v[term] for v in log[-8:]) / 8
        assert last < first, (term, first, last)
    top1 = runner.test()['accuracy/top1']
    assert top1 > 30.0, top1  # chance is 10 %
