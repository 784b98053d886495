# Copyright (c) OpenMMLab. All rights reserved.
"""CachedTeacherDistill: a step from the teacher cache is the online step
on the same view, to the float16 rounding of the stored outputs; the
teacher has no weights; what cannot be cached is refused."""
import copy
import os.path as osp

import pytest
import torch
from kd_test_utils import (CACHED_KD_DIGITS, REPO, build_teacher_cache,
                           load_short_cfg, load_tool)
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS

from mmkd_plus.datasets import TeacherCache
from mmkd_plus.registry import DATASETS

CACHED_CRD_DIGITS = osp.join(
    REPO, 'configs', 'baselines', 'crd',
    'crd_neck_cached_resnet20_resnet8_1xb64_digits.py')


@pytest.fixture
def model_cfg():
    cfg = Config.fromfile(CACHED_KD_DIGITS)
    model = copy.deepcopy(cfg.model)
    model.teacher_ckpt = None
    return model


def test_the_teacher_has_no_weights(model_cfg):
    model = MODELS.build(model_cfg)
    assert not list(model.teacher.parameters())
    assert not any(k.startswith('teacher.') for k in model.state_dict())
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in model.student.parameters())
    # the recorder sits where the teacher's classifier was
    assert dict(model.teacher.named_modules())['head.fc'].num_classes == 10


def test_without_cached_outputs_the_teacher_says_so(model_cfg):
    model = MODELS.build(model_cfg)
    samples = [DataSample().set_gt_label(1) for _ in range(2)]
    with pytest.raises(RuntimeError, match='reads the teacher\'s outputs '
                       'from the data samples, and these carry none'):
        model(torch.randn(2, 3, 32, 32), samples, mode='loss')
    with pytest.raises(RuntimeError, match='cannot predict'):
        model.teacher(torch.randn(2, 3, 32, 32), samples, mode='predict')


def test_what_cannot_be_cached_is_refused(model_cfg):
    cfg = copy.deepcopy(model_cfg)
    cfg.distiller.teacher_recorders.fc.type = 'ModuleInputs'
    with pytest.raises(ValueError, match=r'teacher_recorders\.fc is a '
                       'ModuleInputs recorder: a teacher cache holds module '
                       'outputs only'):
        MODELS.build(cfg)
    cfg = copy.deepcopy(model_cfg)
    cfg.teacher_trainable = True
    with pytest.raises(ValueError, match='teacher_trainable=True: a trained '
                       'teacher changes'):
        MODELS.build(cfg)
    cfg = copy.deepcopy(model_cfg)
    cfg.distiller.teacher_recorders.fc2 = dict(
        type='ModuleOutputs', source='head.fc')
    with pytest.raises(ValueError, match=r"fc2 and \.fc both record "
                       "'head.fc'"):
        MODELS.build(cfg)


def test_the_online_checks_still_apply(model_cfg):
    cfg = copy.deepcopy(model_cfg)
    cfg.distiller.teacher_recorders.fc.source = 'backbone.layer9'
    with pytest.raises(ValueError,
                       match=r'teacher_recorders\.fc\.source.*model\.teacher'):
        MODELS.build(cfg)
    cfg = copy.deepcopy(model_cfg)
    cfg.teacher.head = dict(num_classes=7)
    with pytest.raises(ValueError, match=r"teacher's 'head.fc' \(7 "
                       'outputs\\)'):
        MODELS.build(cfg)


def _round_to_half(module, inputs, output):
    if isinstance(output, tuple):
        return tuple(o.half().float() for o in output)
    return output.half().float()


def _step(model, batch):
    model.train()
    model.zero_grad()
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    grads = {
        n: p.grad.clone()
        for n, p in model.named_parameters()
        if p.grad is not None and not n.startswith('teacher.')
    }
    return {k: v.item() for k, v in losses.items()}, grads


@pytest.mark.parametrize('config,source', [(CACHED_KD_DIGITS, 'head.fc'),
                                           (CACHED_CRD_DIGITS, 'neck')],
                         ids=['kd', 'crd'])
def test_a_step_from_the_cache_is_the_online_step(config, source, digits_root,
                                                  digits_teacher_ckpt,
                                                  tmp_path):
    init_default_scope('mmpretrain')
    cfg = load_short_cfg(
        config,
        digits_root,
        str(tmp_path),
        num_train=16,
        extra={'model.teacher_ckpt': digits_teacher_ckpt})
    cache = build_teacher_cache(
        config, [
            f'train_dataloader.dataset.data_root={digits_root}',
            'train_dataloader.dataset.indices=16',
            f'model.teacher_ckpt={digits_teacher_ckpt}',
            f'work_dir={tmp_path}'
        ],
        epochs=1)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    dataset.open(TeacherCache(cache.root))
    batch = pseudo_collate([dataset[(0, i)] for i in range(8)])

    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.data_preprocessor = cfg.data_preprocessor
    cached = MODELS.build(model_cfg)
    online = load_tool('cache_teacher.py').build_online_model(cfg)
    # the same student, connectors and CRD memory in both
    online.student.load_state_dict(cached.student.state_dict())
    online.distiller.load_state_dict(cached.distiller.state_dict())
    start = copy.deepcopy(online.state_dict())

    cached_losses, cached_grads = _step(cached, batch)
    online_losses, online_grads = _step(online, batch)
    assert set(cached_losses) == set(online_losses)
    # the online step whose teacher outputs are rounded to float16, as
    # the cache stores them: the same step
    online.load_state_dict(start)
    online.teacher.get_submodule(source).register_forward_hook(
        _round_to_half, prepend=True)
    rounded_losses, rounded_grads = _step(online, batch)
    for key, value in cached_losses.items():
        assert value == pytest.approx(rounded_losses[key], rel=1e-5,
                                      abs=1e-6), key
        # and the unrounded online step differs by the rounding only
        assert value == pytest.approx(online_losses[key], rel=1e-3), key
    assert set(cached_grads) == set(online_grads) and cached_grads
    for name, grad in cached_grads.items():
        scale = online_grads[name].abs().max().item() + 1e-12
        assert (grad - rounded_grads[name]).abs().max() <= 1e-4 * scale, name
        assert (grad - online_grads[name]).abs().max() <= 1e-2 * scale, name
