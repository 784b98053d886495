# Copyright (c) OpenMMLab. All rights reserved.
from contextlib import ExitStack

import pytest
import torch
from kd_test_utils import classifier_params
from mmrazor.models.task_modules import (ModuleInputsRecorder,
                                         ModuleOutputsRecorder)

from mmkd_plus.models.architectures.backbones import CIFARBottleneckResNet

STAGE_SHAPES = [(256, 32, 32), (512, 16, 16), (1024, 8, 8), (2048, 4, 4)]


def test_param_count_matches_quest_table():
    # QuEST supplement, Table 1: ResNet50 23.7M
    n = classifier_params(dict(type='CIFARBottleneckResNet', depth=50), 2048)
    assert round(n / 1e6, 1) == 23.7
    assert n == 23_705_252


def test_stage_shapes():
    net = CIFARBottleneckResNet(50, out_indices=(0, 1, 2, 3))
    net.init_weights()
    outs = net(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, ) + s for s in STAGE_SHAPES]
    default = CIFARBottleneckResNet()(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in default] == [(2, 2048, 4, 4)]
    assert [len(getattr(net, f'layer{i}'))
            for i in (1, 2, 3, 4)] == [3, 4, 6, 3]


def test_deeper_variants():
    net = CIFARBottleneckResNet(101)
    assert [len(getattr(net, f'layer{i}'))
            for i in (1, 2, 3, 4)] == [3, 4, 23, 3]


def test_recorder_modules():
    net = CIFARBottleneckResNet(50)
    shapes = {'relu': (2, 64, 32, 32)}
    for i, shape in enumerate(STAGE_SHAPES):
        shapes[f'layer{i + 1}'] = (2, ) + shape
    preact = 'layer4.2.act_out'
    recorders = {name: ModuleOutputsRecorder(name) for name in shapes}
    recorders[preact] = ModuleInputsRecorder(preact)
    for rec in recorders.values():
        rec.initialize(net)
    for m in net.modules():  # as MMRazor's distillers do
        if hasattr(m, 'inplace'):
            m.inplace = False
    net.eval()
    with ExitStack() as stack, torch.no_grad():
        for rec in recorders.values():
            stack.enter_context(rec)
        out = net(torch.rand(2, 3, 32, 32))[0]
    data = {k: recorders[k].get_record_data() for k in shapes}
    assert {k: tuple(v.shape) for k, v in data.items()} == shapes
    assert torch.equal(data['layer4'], out)
    pre = recorders[preact].get_record_data(data_idx=0)
    assert pre.min() < 0
    assert torch.equal(pre.relu(), out)


@pytest.mark.parametrize('kwargs,match', [
    (dict(depth=34), 'depth must be one of \\[50, 101, 152\\]'),
    (dict(out_indices=(4, )), 'out_indices: 4 is not a stage'),
])
def test_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CIFARBottleneckResNet(**kwargs)
