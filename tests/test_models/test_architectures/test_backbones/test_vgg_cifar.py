# Copyright (c) OpenMMLab. All rights reserved.
from contextlib import ExitStack

import pytest
import torch
from kd_test_utils import classifier_params
from mmrazor.models.task_modules import ModuleOutputsRecorder

from mmkd_plus.models.architectures.backbones import CIFARVGG


def test_param_count_matches_quest_table():
    # QuEST supplement, Table 1: VGG13 9.46M, VGG8 3.96M
    vgg13 = classifier_params(dict(type='CIFARVGG', depth=13), 512)
    assert round(vgg13 / 1e6, 2) == 9.46
    assert vgg13 == 9_462_180
    vgg8 = classifier_params(dict(type='CIFARVGG', depth=8), 512)
    assert vgg8 == 3_965_028
    # 3.965028M is printed 3.96M (truncated, not rounded); the table's
    # compression ratios below pin the exact count, which is the
    # benchmark's vgg8_bn (conv biases + BN + Linear(512, 100)).
    assert int(vgg8 / 1e4) / 100 == 3.96


def test_compression_matches_quest_table():
    vgg13 = classifier_params(dict(type='CIFARVGG', depth=13), 512)
    vgg8 = classifier_params(dict(type='CIFARVGG', depth=8), 512)
    resnet50 = classifier_params(
        dict(type='CIFARBottleneckResNet', depth=50), 2048)
    assert abs(100 * (1 - vgg8 / vgg13) - 58.10) < 0.005
    assert abs(100 * (1 - vgg8 / resnet50) - 83.27) < 0.005


@pytest.mark.parametrize('depth,exact', [(11, 9_277_284), (16, 14_774_436),
                                         (19, 20_086_692)])
def test_param_count_other_depths(depth, exact):
    assert classifier_params(dict(type='CIFARVGG', depth=depth), 512) == exact


@pytest.mark.parametrize('depth', [8, 11, 13, 16, 19])
def test_stage_shapes(depth):
    net = CIFARVGG(depth, out_indices=(0, 1, 2, 3, 4))
    net.init_weights()
    outs = net(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 64, 32, 32),
                                              (2, 128, 16, 16), (2, 256, 8, 8),
                                              (2, 512, 4, 4), (2, 512, 4, 4)]
    assert all(o.min() >= 0 for o in outs)  # stages are post-ReLU
    default = CIFARVGG(depth)(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in default] == [(2, 512, 4, 4)]
    # depth counts the convs and the benchmark's three classifier layers
    num_convs = sum(isinstance(m, torch.nn.Conv2d) for m in net.modules())
    assert num_convs == depth - 3


def test_recorder_modules():
    net = CIFARVGG(8, out_indices=(4, ))
    net.eval()
    shapes = {}
    for i, shape in enumerate([(64, 32, 32), (128, 16, 16), (256, 8, 8),
                               (512, 4, 4), (512, 4, 4)]):
        shapes[f'block{i}'] = (2, ) + shape
        shapes[f'relu{i}'] = (2, ) + shape
    recorders = {name: ModuleOutputsRecorder(name) for name in shapes}
    for rec in recorders.values():
        rec.initialize(net)
    for m in net.modules():  # as MMRazor's distillers do
        if hasattr(m, 'inplace'):
            m.inplace = False
    with ExitStack() as stack, torch.no_grad():
        for rec in recorders.values():
            stack.enter_context(rec)
        out = net(torch.rand(2, 3, 32, 32))[0]
    data = {k: r.get_record_data() for k, r in recorders.items()}
    assert {k: tuple(v.shape) for k, v in data.items()} == shapes
    # block4 is pre-ReLU (QuEST's VGG map), relu4 what forward returns
    assert data['block4'].min() < 0
    assert torch.equal(data['relu4'], out)
    assert torch.equal(data['relu4'], data['block4'].relu())


@pytest.mark.parametrize('kwargs,match', [
    (dict(depth=10), 'depth must be one of \\[8, 11, 13, 16, 19\\]'),
    (dict(depth=13, out_indices=(5, )), 'out_indices: 5 is not a stage'),
])
def test_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CIFARVGG(**kwargs)
