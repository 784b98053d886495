# Copyright (c) OpenMMLab. All rights reserved.
import pytest
import torch
from mmpretrain.registry import MODELS

import mmkd_plus  # noqa: F401
from mmkd_plus.models.architectures.backbones import CIFARNet


def test_layers_and_shapes_of_the_supplement():
    net = CIFARNet()
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 32, 64, 64, 128, 128]
    assert all(c.kernel_size == (3, 3) for c in convs)
    assert sum(isinstance(m, torch.nn.MaxPool2d) for m in net.modules()) == 3
    assert sum(isinstance(m, torch.nn.Dropout) for m in net.modules()) == 3
    assert net.fc[1].in_features == 2048 and net.fc[1].out_features == 256
    out = net(torch.randn(2, 3, 32, 32))
    assert isinstance(out, tuple) and out[0].shape == (2, 256)
    assert (out[0] >= 0).all()  # after the ReLU


def test_classifier_parameter_count():
    model = MODELS.build(
        dict(type='ImageClassifier', backbone=dict(type='CIFARNet'),
             head=dict(type='LinearClsHead', num_classes=10,
                       in_channels=256)))
    convs = (3 * 32 + 32 * 32 + 32 * 64 + 64 * 64 + 64 * 128 + 128 * 128) * 9
    biases = 32 + 32 + 64 + 64 + 128 + 128
    fcs = 2048 * 256 + 256 + 256 * 10 + 10
    assert sum(p.numel() for p in model.parameters()) == convs + biases + fcs


def test_too_small_input_is_refused():
    with pytest.raises(ValueError, match='too small'):
        CIFARNet(input_size=4)
