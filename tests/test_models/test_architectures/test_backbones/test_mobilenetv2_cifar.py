# Copyright (c) OpenMMLab. All rights reserved.
from contextlib import ExitStack

import pytest
import torch
from kd_test_utils import classifier_params
from mmrazor.models.task_modules import ModuleOutputsRecorder

from mmkd_plus.models.architectures.backbones import CIFARMobileNetV2

STAGE_SHAPES = [(8, 16, 16), (12, 16, 16), (16, 8, 8), (32, 4, 4), (48, 4, 4),
                (80, 2, 2), (160, 2, 2), (1280, 2, 2)]


def test_param_count_matches_quest_table():
    # QuEST supplement, Table 1: MobileNetV2 0.81M
    n = classifier_params(dict(type='CIFARMobileNetV2'), 1280)
    assert round(n / 1e6, 2) == 0.81
    assert n == 812_836


@pytest.mark.parametrize('teacher,compression', [
    (dict(type='CIFARVGG', depth=13), 91.41),
    (dict(type='CIFARBottleneckResNet', depth=50), 96.57),
])
def test_compression_matches_quest_table(teacher, compression):
    t = classifier_params(teacher,
                          512 if teacher['type'] == 'CIFARVGG' else 2048)
    n = classifier_params(dict(type='CIFARMobileNetV2'), 1280)
    assert abs(100 * (1 - n / t) - compression) < 0.005


def test_stage_shapes():
    net = CIFARMobileNetV2(out_indices=tuple(range(8)))
    net.init_weights()
    outs = net(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, ) + s for s in STAGE_SHAPES]
    default = CIFARMobileNetV2()(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in default] == [(2, 1280, 2, 2)]
    assert CIFARMobileNetV2(out_indices=(-1, )).out_indices == (7, )


def test_widen_factor():
    net = CIFARMobileNetV2(widen_factor=1.0, out_indices=(6, 7))
    outs = net(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 320, 2, 2), (2, 1280, 2, 2)]
    wide = CIFARMobileNetV2(widen_factor=1.5)
    assert wide.out_channels[-1] == 1920


def test_recorder_modules():
    net = CIFARMobileNetV2()
    net.eval()
    shapes = {'conv1': (2, 16, 16, 16), 'conv2': (2, 1280, 2, 2)}
    for i, shape in enumerate(STAGE_SHAPES[:7]):
        shapes[f'blocks.{i}'] = (2, ) + shape
    recorders = {name: ModuleOutputsRecorder(name) for name in shapes}
    for rec in recorders.values():
        rec.initialize(net)
    with ExitStack() as stack, torch.no_grad():
        for rec in recorders.values():
            stack.enter_context(rec)
        out = net(torch.rand(2, 3, 32, 32))[0]
    data = {k: r.get_record_data() for k, r in recorders.items()}
    assert {k: tuple(v.shape) for k, v in data.items()} == shapes
    assert torch.equal(data['conv2'], out)
    assert data['blocks.6'].min() < 0  # linear bottleneck: no final ReLU


@pytest.mark.parametrize('kwargs,match', [
    (dict(widen_factor=0.05), 'widen_factor must be a number >= 1/16'),
    (dict(widen_factor='0.5'), 'widen_factor must be a number'),
    (dict(expand_ratio=0), 'expand_ratio must be a positive int'),
    (dict(out_indices=(8, )), 'out_indices: 8 is not a stage'),
])
def test_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CIFARMobileNetV2(**kwargs)
