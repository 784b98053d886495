# Copyright (c) OpenMMLab. All rights reserved.
from contextlib import ExitStack

import pytest
import torch
from kd_test_utils import classifier_params
from mmrazor.models.task_modules import (ModuleInputsRecorder,
                                         ModuleOutputsRecorder)

from mmkd_plus.models.architectures.backbones import (CIFARShuffleNetV1,
                                                      CIFARShuffleNetV2)


def _record(net, outputs=(), inputs=()):
    """Run a 2×3×32×32 batch; return the forward result and the records."""
    recorders = {name: ModuleOutputsRecorder(name) for name in outputs}
    recorders.update({name: ModuleInputsRecorder(name) for name in inputs})
    for rec in recorders.values():
        rec.initialize(net)
    for m in net.modules():  # as MMRazor's distillers do
        if hasattr(m, 'inplace'):
            m.inplace = False
    net.eval()
    with ExitStack() as stack, torch.no_grad():
        for rec in recorders.values():
            stack.enter_context(rec)
        out = net(torch.rand(2, 3, 32, 32))
    data = {}
    for name in outputs:
        data[name] = recorders[name].get_record_data()
    for name in inputs:
        data[name] = recorders[name].get_record_data(data_idx=0)
    return out, data


def test_param_count_matches_quest_table():
    # QuEST supplement, Table 1: ShuffleNetV1 0.95M, ShuffleNetV2 1.36M
    v1 = classifier_params(dict(type='CIFARShuffleNetV1'), 960)
    assert round(v1 / 1e6, 2) == 0.95
    assert v1 == 949_258
    v2 = classifier_params(dict(type='CIFARShuffleNetV2'), 1024)
    assert round(v2 / 1e6, 2) == 1.36
    assert v2 == 1_355_528


@pytest.mark.parametrize('teacher,in_ch,student,compression', [
    (dict(type='CIFARResNet', depth=32,
          widths=(32, 64, 128, 256)), 256, 'v1', 87.23),
    (dict(type='CIFARResNet', depth=32,
          widths=(32, 64, 128, 256)), 256, 'v2', 81.77),
    (dict(type='CIFARWideResNet', depth=40, widen_factor=2), 128, 'v1', 57.91),
])
def test_compression_matches_quest_table(teacher, in_ch, student, compression):
    t = classifier_params(teacher, in_ch)
    if student == 'v1':
        n = classifier_params(dict(type='CIFARShuffleNetV1'), 960)
    else:
        n = classifier_params(dict(type='CIFARShuffleNetV2'), 1024)
    assert abs(100 * (1 - n / t) - compression) < 0.005


@pytest.mark.parametrize('groups,widths', [(1, (144, 288, 576)),
                                           (2, (200, 400, 800)),
                                           (3, (240, 480, 960))])
def test_v1_stage_shapes(groups, widths):
    net = CIFARShuffleNetV1(groups, out_indices=(0, 1, 2))
    net.init_weights()
    outs = net(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, widths[0], 16, 16),
                                              (2, widths[1], 8, 8),
                                              (2, widths[2], 4, 4)]
    default = CIFARShuffleNetV1(groups)(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in default] == [(2, widths[2], 4, 4)]


def test_v1_recorder_modules():
    shapes = {
        'relu': (2, 24, 32, 32),
        'layer1': (2, 240, 16, 16),
        'layer2': (2, 480, 8, 8),
        'layer3': (2, 960, 4, 4),
    }
    preacts = ['layer1.3.act_out', 'layer2.7.act_out', 'layer3.3.act_out']
    out, data = _record(CIFARShuffleNetV1(), shapes, preacts)
    assert {k: tuple(data[k].shape) for k in shapes} == shapes
    assert torch.equal(data['layer3'], out[0])
    for name in preacts:
        stage = name.split('.')[0]
        assert data[name].shape == data[stage].shape
        assert data[name].min() < 0
        assert torch.equal(data[name].relu(), data[stage])


@pytest.mark.parametrize('net_size,widths', [
    (0.5, (48, 96, 192, 1024)),
    (1, (116, 232, 464, 1024)),
    (1.5, (176, 352, 704, 1024)),
    (2, (224, 488, 976, 2048)),
])
def test_v2_stage_shapes(net_size, widths):
    net = CIFARShuffleNetV2(net_size, out_indices=(0, 1, 2, 3))
    net.init_weights()
    outs = net(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, widths[0], 16, 16),
                                              (2, widths[1], 8, 8),
                                              (2, widths[2], 4, 4),
                                              (2, widths[3], 4, 4)]
    default = CIFARShuffleNetV2(net_size)(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in default] == [(2, widths[3], 4, 4)]


def test_v2_recorder_modules():
    shapes = {
        'relu1': (2, 24, 32, 32),
        'layer1': (2, 116, 16, 16),
        'layer2': (2, 232, 8, 8),
        'layer3': (2, 464, 4, 4),
        'relu2': (2, 1024, 4, 4),
    }
    preacts = [
        'layer1.3.act_out', 'layer2.7.act_out', 'layer3.3.act_out',
        'layer1.0.act_out'
    ]
    out, data = _record(CIFARShuffleNetV2(), shapes, preacts)
    assert {k: tuple(data[k].shape) for k in shapes} == shapes
    assert torch.equal(data['relu2'], out[0])
    for name in preacts:
        stage = name.split('.')[0]
        assert data[name].shape == data[stage].shape
        assert data[name].min() < 0
    # the pre-activation is unshuffled: its ReLU, shuffled, is the output
    preact = data['layer3.3.act_out'].relu()
    n, c, h, w = preact.shape
    shuffled = preact.view(n, 2, c // 2, h, w).transpose(1, 2)
    assert torch.equal(shuffled.reshape(n, c, h, w), data['layer3'])


@pytest.mark.parametrize('cls,kwargs,match', [
    (CIFARShuffleNetV1, dict(groups=4), 'groups must be one of \\[1, 2, 3\\]'),
    (CIFARShuffleNetV1, dict(out_indices=(3, )),
     'out_indices: 3 is not a stage'),
    (CIFARShuffleNetV2, dict(net_size=0.75), 'net_size must be one of'),
    (CIFARShuffleNetV2, dict(out_indices=(-5, )),
     'out_indices: -5 is not a stage'),
])
def test_bad_args(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)
