# Copyright (c) OpenMMLab. All rights reserved.
"""MobileNetV1: the paper's parameter count, shapes and strides."""
import pytest
import torch
from kd_test_utils import classifier_params

from mmkd_plus.models.architectures.backbones import MobileNetV1


def test_parameter_count_is_the_papers():
    # Howard et al., Table 1 / Keras' MobileNet(alpha=1.0): 4,231,976
    # trainable parameters with the 1000-way classifier
    n = classifier_params(
        dict(type='MobileNetV1'), in_channels=1024, num_classes=1000)
    assert n == 4231976


def test_output_shapes_and_strides():
    torch.manual_seed(0)
    net = MobileNetV1(out_indices=(0, 4, 10, 12)).eval()
    with torch.no_grad():
        outs = net(torch.rand(1, 3, 224, 224))
    assert [tuple(o.shape) for o in outs] == [(1, 64, 112, 112),
                                              (1, 256, 28, 28),
                                              (1, 512, 14, 14),
                                              (1, 1024, 7, 7)]
    # every block ends in a ReLU (the authors distil the last one as is)
    assert all(float(o.min()) >= 0 for o in outs)


def test_width_multiplier():
    net = MobileNetV1(widen_factor=0.5)
    assert net.out_channels == 512
    with pytest.raises(ValueError, match='widen_factor'):
        MobileNetV1(widen_factor=0)
    with pytest.raises(ValueError, match='out_indices'):
        MobileNetV1(out_indices=(13, ))
