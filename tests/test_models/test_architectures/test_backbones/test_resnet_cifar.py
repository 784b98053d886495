# Copyright (c) OpenMMLab. All rights reserved.
import math

import pytest
import torch
from kd_test_utils import classifier_params
from mmrazor.models.task_modules import RecorderManager

from mmkd_plus.models.architectures.backbones import CIFARResNet

# depth, widths, our exact count, the count printed by the CRD / QuEST
# papers (100 classes). The papers round most counts and truncate some
# (resnet110: 1,736,564 is printed 1.73M), so either reading must match.
RESNET_COUNTS = [
    (20, (16, 16, 32, 64), 278_324, 0.28),
    (32, (16, 16, 32, 64), 472_756, 0.47),
    (56, (16, 16, 32, 64), 861_620, 0.86),
    (110, (16, 16, 32, 64), 1_736_564, 1.73),
    (8, (32, 64, 128, 256), 1_233_540, 1.23),
    (32, (32, 64, 128, 256), 7_433_860, 7.43),
]


@pytest.mark.parametrize('depth,widths,exact,printed', RESNET_COUNTS)
def test_param_count_matches_papers(depth, widths, exact, printed):
    n = classifier_params(
        dict(type='CIFARResNet', depth=depth, widths=widths), widths[-1])
    assert n == exact
    assert printed in (round(n / 1e6, 2), math.floor(n / 1e4) / 100)


def test_resnet8_exact_count():
    # stem 3x3 (3->16) + BN, one block per stage, 16->32 and 32->64
    # projection shortcuts, 100-way FC: counted by hand
    conv = 3 * 16 * 9 + (16 * 16 * 9) * 2 + (16 * 32 * 9 + 32 * 32 * 9) \
        + (32 * 64 * 9 + 64 * 64 * 9) + 16 * 32 + 32 * 64
    bn = 2 * (16 + 16 * 2 + 32 * 2 + 64 * 2 + 32 + 64)
    fc = 64 * 100 + 100
    assert classifier_params(dict(type='CIFARResNet', depth=8), 64) == \
        conv + bn + fc


def test_stage_shapes_and_out_indices():
    net = CIFARResNet(depth=14, out_indices=(0, 1, 2))
    outs = net(torch.rand(2, 3, 32, 32))
    assert [tuple(o.shape) for o in outs] == [(2, 16, 32, 32), (2, 32, 16, 16),
                                              (2, 64, 8, 8)]
    net = CIFARResNet(depth=8, widths=(32, 64, 128, 256), out_indices=-1)
    (out, ) = net(torch.rand(1, 3, 32, 32))
    assert out.shape == (1, 256, 8, 8)


def test_preactivation_recordable_at_act_out():
    net = CIFARResNet(depth=8)
    for m in net.modules():  # as MMRazor's algorithms do
        if hasattr(m, 'inplace'):
            m.inplace = False
    recorders = RecorderManager(
        dict(
            pre=dict(type='ModuleInputs', source='layer3.0.act_out'),
            post=dict(type='ModuleOutputs', source='layer3')))
    recorders.initialize(net)
    with recorders:
        net(torch.randn(2, 3, 32, 32))
    pre = recorders.get_recorder('pre').get_record_data(data_idx=0)
    post = recorders.get_recorder('post').get_record_data()
    assert pre.min() < 0
    assert torch.equal(post, pre.clamp(min=0))


@pytest.mark.parametrize('kwargs,match', [
    (dict(depth=9), 'depth must be 6n\\+2'),
    (dict(depth=2), 'depth must be 6n\\+2'),
    (dict(depth=8, widths=(16, 32)), 'widths must be'),
    (dict(depth=8, out_indices=(3, )), 'out_indices: 3 is not a stage'),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CIFARResNet(**kwargs)
