# Copyright (c) OpenMMLab. All rights reserved.
"""A frozen teacher is a fixed function: after ``model.train()`` every one
of its modules is in eval mode (dropout included, not only BatchNorm as in
MMRazor's ``SingleTeacherDistill``), so two forwards of one batch agree."""
import copy
import os.path as osp

import pytest
import torch
from kd_test_utils import KD_DIGITS, REPO
from mmengine.config import Config
from mmrazor.models.algorithms import SingleTeacherDistill
from mmrazor.registry import MODELS

from mmkd_plus.utils import network_config

MFD_DIGITS = osp.join(REPO, 'configs', 'mfd',
                      'mfd_cifarnet_half_1xb128_digits_s.py')
SSKD = osp.join(REPO, 'configs', 'sskd')
SSKD_STAGE1 = osp.join(SSKD, 'sskd_stage1_resnet20_1xb64_digits.py')
SSKD_STAGE2 = osp.join(SSKD, 'sskd_resnet20_resnet8_1xb64_digits.py')


def _model_cfg(path, **overrides):
    cfg = Config.fromfile(path)
    model = copy.deepcopy(cfg.model)
    model.setdefault('data_preprocessor', cfg.data_preprocessor)
    for key in ('teacher_ckpt', 'teacher_ss_ckpt'):
        if key in model:
            model[key] = None
    model.update(overrides)
    return model


def _with_dropout(network: torch.nn.Module) -> torch.nn.Module:
    """Put a dropout after the backbone's last stage of a CIFAR ResNet
    (CIFARNet has its own three)."""
    backbone = network.backbone
    if not any(isinstance(m, torch.nn.Dropout) for m in network.modules()):
        backbone.layer3 = torch.nn.Sequential(backbone.layer3,
                                              torch.nn.Dropout(0.5))
    return network


def _teacher_outputs(teacher, inputs):
    with torch.no_grad():
        return teacher(inputs, mode='tensor')


@pytest.mark.parametrize('config', [MFD_DIGITS, KD_DIGITS, SSKD_STAGE2])
def test_frozen_teacher_runs_in_eval_mode(config):
    model = MODELS.build(_model_cfg(config))
    teacher = _with_dropout(model.teacher)
    assert any(isinstance(m, torch.nn.Dropout) for m in teacher.modules())
    model.train()
    assert model.student.training
    training = [n for n, m in teacher.named_modules() if m.training]
    assert training == []
    inputs = torch.randn(4, 3, 32, 32)
    torch.manual_seed(0)
    first = _teacher_outputs(teacher, inputs)
    second = _teacher_outputs(teacher, inputs)
    assert torch.equal(first, second)
    # eval and train again: still frozen in eval mode
    model.eval()
    model.train()
    assert not any(m.training for m in teacher.modules())


def test_mmrazor_single_teacher_distill_leaves_dropout_on():
    """What the docs say about MMRazor's own class (its configs): only the
    teacher's BatchNorm layers are put in eval mode."""
    cfg = _model_cfg(MFD_DIGITS, type='SingleTeacherDistill')
    cfg.pop('check_finite', None)
    # MMRazor's class resolves only MMEngine's hub prefixes: the networks
    # written out
    for key in ('architecture', 'teacher'):
        cfg[key] = network_config(cfg[key], f'model.{key}')
    model = MODELS.build(cfg)
    assert type(model) is SingleTeacherDistill
    model.train()
    dropouts = [m for m in model.teacher.modules()
                if isinstance(m, torch.nn.Dropout)]
    assert dropouts and all(m.training for m in dropouts)
    inputs = torch.randn(4, 3, 32, 32)
    assert not torch.equal(
        _teacher_outputs(model.teacher, inputs),
        _teacher_outputs(model.teacher, inputs))


def test_trainable_teacher_keeps_mmrazor_behaviour():
    model = MODELS.build(_model_cfg(KD_DIGITS, teacher_trainable=True))
    _with_dropout(model.teacher)
    model.train()
    modes = {type(m).__name__: m.training for m in model.teacher.modules()}
    assert modes['Dropout'] is True  # trains with dropout
    assert modes['BatchNorm2d'] is False  # teacher_norm_eval=True


def test_norm_eval_off_on_a_frozen_teacher_is_refused():
    with pytest.raises(ValueError,
                       match=r'model\.teacher_norm_eval=False.*frozen.*'
                       r'model\.teacher_trainable=True'):
        MODELS.build(_model_cfg(MFD_DIGITS, teacher_norm_eval=False))


def test_sskd_stage1_teacher_runs_in_eval_mode():
    model = MODELS.build(_model_cfg(SSKD_STAGE1))
    teacher = _with_dropout(model.architecture)
    model.train()
    assert model.ss_head.training
    assert not any(m.training for m in teacher.modules())
