# Copyright (c) OpenMMLab. All rights reserved.
"""The CRD-benchmark baseline configs (configs/baselines/<method>/, not kd)
compute every configured distillation loss and train the right modules.

For each config: build the model with a random teacher, run one loss-mode
forward on a (2, 3, 32, 32) batch, check that each key of
``model.distiller.distill_losses`` comes out as a finite ``distill.<key>``,
then back-propagate the total and check where the gradients go: into the
student's first convolution (when the stage trains the student) and into
every connector and loss parameter that a configured loss uses, never into
the teacher. Parsing and building alone are covered by
test_config_smoke.py.
"""
import glob
import os.path as osp

import pytest
import torch
import torch.nn as nn
from kd_test_utils import REPO
from mmengine.config import Config
from mmpretrain.structures import DataSample
from mmrazor.registry import MODELS

BASELINE_CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(REPO, 'configs', 'baselines', '*', '*.py'))
    if osp.basename(osp.dirname(p)) != 'kd'
    and not osp.basename(p).startswith('_base_')
    # a *_cached_* leaf reads its teacher's outputs from a teacher cache
    # (tests/test_models/test_algorithms/test_cached_teacher_distill.py)
    and '_cached_' not in osp.basename(p))


def _id(path: str) -> str:
    return osp.relpath(path, osp.join(REPO, 'configs', 'baselines'))


def _first_conv(net: nn.Module) -> nn.Conv2d:
    return next(m for m in net.modules() if isinstance(m, nn.Conv2d))


def _trained_connectors(distiller_cfg) -> set:
    """The connectors the losses use, but a frozen (phase 'train') FT
    paraphraser, which runs under no_grad by design."""
    names = set()
    for mapping in distiller_cfg.loss_forward_mappings.values():
        for item in mapping.values():
            name = item.get('connector')
            if name:
                conn = distiller_cfg.connectors[name]
                if not (conn.type == 'Paraphraser'
                        and conn.get('phase') == 'train'):
                    names.add(name)
    return names


def _stops_distillation_at_start(cfg) -> bool:
    """Stage 2 of AB and FSP: CE only, StopDistillHook(stop_epoch=0)."""
    return any(
        h.type.endswith('StopDistillHook') and h.stop_epoch == 0
        for h in cfg.get('custom_hooks', []))


def test_there_are_baseline_configs():
    methods = {osp.basename(osp.dirname(p)) for p in BASELINE_CONFIGS}
    assert {
        'nst', 'pkt', 'sp', 'cc', 'vid', 'at', 'rkd', 'fitnet', 'ft', 'ab',
        'fsp'
    } <= methods
    # each method ships the two CIFAR-100 pairs and the digits pair
    for method in methods:
        names = [
            osp.basename(p) for p in BASELINE_CONFIGS
            if osp.basename(osp.dirname(p)) == method
        ]
        for pair in ('resnet32x4_resnet8x4', 'wrn_40_2_wrn_16_2',
                     'resnet20_resnet8'):
            assert any(pair in n for n in names), (method, pair)


@pytest.mark.parametrize('path', BASELINE_CONFIGS, ids=_id)
def test_baseline_losses_and_gradients(path):
    cfg = Config.fromfile(path)
    model_cfg = cfg.model.copy()
    model_cfg.teacher_ckpt = None
    # the two-stage configs hand over with load_from; not here
    model_cfg.pop('init_cfg', None)
    model = MODELS.build(model_cfg)
    model.train()
    stopped = _stops_distillation_at_start(cfg)
    # what StopDistillHook does before the first epoch
    model.distillation_stopped = stopped
    torch.manual_seed(0)
    num_classes = model.student.head.num_classes
    inputs = torch.randn(2, 3, 32, 32)
    # sample_idx: CRD's memory needs it (PackCRDInputs adds it in training)
    samples = [
        DataSample(metainfo=dict(sample_idx=i)).set_gt_label(i % num_classes)
        for i in (1, 2)
    ]

    losses = model(inputs, samples, mode='loss')

    distiller_cfg = cfg.model.distiller
    expected = {f'distill.{k}' for k in distiller_cfg.distill_losses}
    assert expected, 'a baseline config distils something'
    if stopped:
        # the CE-only main stage of a two-stage method
        assert not any(k.startswith('distill.') for k in losses), losses
        expected = set()
    assert expected <= set(losses), (sorted(expected), sorted(losses))
    for key in expected:
        assert losses[key].numel() == 1, key
        assert torch.isfinite(losses[key]).all(), (key, losses[key])
    student_loss = cfg.model.get('calculate_student_loss', True)
    assert ('student.loss' in losses) == student_loss

    total = sum(v for k, v in losses.items() if 'loss' in k)
    total.backward()

    conv_grad = _first_conv(model.student).weight.grad
    if cfg.model.get('student_trainable', True):
        assert conv_grad is not None and conv_grad.abs().sum() > 0
    else:
        # a pre-training stage (FT's paraphraser): the student is frozen
        assert conv_grad is None or conv_grad.abs().sum() == 0
    for name, param in model.teacher.named_parameters():
        assert param.grad is None or param.grad.abs().sum() == 0, name
    # the connectors the losses use, and the losses' own parameters (VID's
    # variances), are trained
    for name in (set() if stopped else _trained_connectors(distiller_cfg)):
        grads = [
            p.grad for p in model.distiller.connectors[name].parameters()
        ]
        assert grads and all(g is not None for g in grads), name
    for name, loss in model.distiller.distill_losses.items():
        for pname, param in loss.named_parameters():
            if stopped:
                break
            assert param.grad is not None, f'{name}.{pname}'
