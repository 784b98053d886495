# Copyright (c) OpenMMLab. All rights reserved.
from contextlib import ExitStack

import pytest
import torch
from kd_test_utils import classifier_params
from mmrazor.models.task_modules import ModuleOutputsRecorder

from mmkd_plus.models.architectures.backbones import CIFARWideResNet

# depth, widen factor, exact count, count printed in the QuEST supplement
# (Table 1; wrn_16_1 is not in it)
WRN_COUNTS = [
    (40, 2, 2_255_156, 2.26),
    (16, 2, 703_284, 0.70),
    (40, 1, 569_780, 0.57),
    (16, 1, 180_916, 0.18),
]


@pytest.mark.parametrize('depth,widen,exact,printed', WRN_COUNTS)
def test_param_count_matches_quest_table(depth, widen, exact, printed):
    n = classifier_params(
        dict(type='CIFARWideResNet', depth=depth, widen_factor=widen),
        64 * widen)
    assert round(n / 1e6, 2) == printed
    assert n == exact


@pytest.mark.parametrize('student,compression', [((16, 2), 68.81),
                                                 ((40, 1), 74.73)])
def test_compression_matches_quest_table(student, compression):
    teacher = classifier_params(
        dict(type='CIFARWideResNet', depth=40, widen_factor=2), 128)
    depth, widen = student
    n = classifier_params(
        dict(type='CIFARWideResNet', depth=depth, widen_factor=widen),
        64 * widen)
    assert abs(100 * (1 - n / teacher) - compression) < 0.005


@pytest.mark.parametrize('depth,widen', [(40, 2), (16, 1)])
def test_stage_shapes(depth, widen):
    net = CIFARWideResNet(depth, widen, out_indices=(0, 1, 2))
    net.init_weights()
    outs = net(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 16 * widen, 32, 32),
                                              (2, 32 * widen, 16, 16),
                                              (2, 64 * widen, 8, 8)]
    # the last stage includes the final BN + ReLU
    assert outs[-1].min() >= 0
    assert len(net.block2) == (depth - 4) // 6
    default = CIFARWideResNet(depth, widen)(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in default] == [(2, 64 * widen, 8, 8)]


def test_recorder_modules():
    net = CIFARWideResNet(40, 2, out_indices=(2, ))
    net.eval()
    shapes = {
        'conv1': (2, 16, 32, 32),
        'block1': (2, 32, 32, 32),
        'block2': (2, 64, 16, 16),
        'block3': (2, 128, 8, 8),
        'bn_final': (2, 128, 8, 8),
        'relu_final': (2, 128, 8, 8),
    }
    recorders = {name: ModuleOutputsRecorder(name) for name in shapes}
    for rec in recorders.values():
        rec.initialize(net)
    for m in net.modules():  # as MMRazor's distillers do
        if hasattr(m, 'inplace'):
            m.inplace = False
    x = torch.rand(2, 3, 32, 32)
    with ExitStack() as stack, torch.no_grad():
        for rec in recorders.values():
            stack.enter_context(rec)
        out = net(x)[0]
    data = {k: r.get_record_data() for k, r in recorders.items()}
    assert {k: tuple(v.shape) for k, v in data.items()} == shapes
    # QuEST's map (block3 + BN + ReLU) is what forward returns
    assert torch.equal(data['relu_final'], out)
    assert torch.allclose(data['relu_final'], data['bn_final'].relu())
    assert data['bn_final'].min() < 0  # a true pre-activation


def test_dropout():
    net = CIFARWideResNet(16, 2, dropout=0.3)
    assert isinstance(net.block1[0].dropout, torch.nn.Dropout)
    assert isinstance(
        CIFARWideResNet(16, 2).block1[0].dropout, torch.nn.Identity)


@pytest.mark.parametrize('kwargs,match', [
    (dict(depth=20), 'depth must be 6n\\+4'),
    (dict(depth=4), 'depth must be 6n\\+4'),
    (dict(depth=16, widen_factor=0), 'widen_factor must be a positive int'),
    (dict(depth=16, widen_factor=1.5), 'widen_factor must be a positive int'),
    (dict(depth=16, dropout=1.0), 'dropout must be in \\[0, 1\\)'),
    (dict(depth=16, out_indices=(3, )), 'out_indices: 3 is not a stage'),
])
def test_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CIFARWideResNet(**kwargs)
