# Copyright (c) OpenMMLab. All rights reserved.
"""MobileNetV1 for ImageNet (mmpretrain has none).

Howard et al., "MobileNets: Efficient Convolutional Neural Networks for
Mobile Vision Applications", 2017 (https://arxiv.org/abs/1704.04861),
Table 1: a 3×3 stride-2 stem of 32 channels, then 13 depthwise-separable
blocks (3×3 depthwise conv + BN + ReLU, 1×1 pointwise conv + BN + ReLU) up
to 1024 channels at stride 32 (7×7 at 224×224). It is the ImageNet student
of QuEST's ResNet50 → MobileNet experiment, whose authors distil its last
block's output (1024 channels). Written afresh.
"""
from typing import Sequence, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd_plus.registry import PRETRAIN_MODELS
from .utils import KAIMING_INIT, check_out_indices

__all__ = ['DepthwiseSeparable', 'MobileNetV1']

# (output channels, stride) of the 13 depthwise-separable blocks
ARCH = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1),
        (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def _conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int,
                  stride: int, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            kernel_size // 2,
            groups=groups,
            bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class DepthwiseSeparable(nn.Module):
    """3×3 depthwise conv + BN + ReLU, then 1×1 pointwise conv + BN + ReLU.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the depthwise conv.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.depthwise = _conv_bn_relu(
            in_channels, in_channels, 3, stride, groups=in_channels)
        self.pointwise = _conv_bn_relu(in_channels, out_channels, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.pointwise(self.depthwise(x))


@PRETRAIN_MODELS.register_module()
class MobileNetV1(BaseModule):
    """MobileNetV1 backbone (width multiplier 1.0).

    ``stem`` is the 32-channel stride-2 conv, ``layers`` the 13
    depthwise-separable blocks; stage ``i`` of ``out_indices`` is the output
    of ``layers[i]``. With global average pooling and a 1024 → 1000 linear
    head it has 4,231,976 parameters (the paper's 4.2 M).

    Args:
        widen_factor (float): Width multiplier of every layer. Defaults to
            1.0.
        out_indices (Sequence[int]): Blocks whose outputs ``forward``
            returns (0-12, negative from the end). Defaults to ``(12, )``,
            the last block (1024 channels, stride 32).
        init_cfg (dict | list, optional): Initialisation config. Defaults to
            Kaiming-normal convs and unit BN.

    Example:
        >>> import torch
        >>> net = MobileNetV1()
        >>> [tuple(f.shape) for f in net(torch.rand(1, 3, 224, 224))]
        [(1, 1024, 7, 7)]
    """

    def __init__(self,
                 widen_factor: float = 1.0,
                 out_indices: Sequence[int] = (12, ),
                 init_cfg=KAIMING_INIT):
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        if widen_factor <= 0:
            raise ValueError(
                f'widen_factor must be positive, got {widen_factor}')
        self.out_indices = check_out_indices(out_indices, len(ARCH))
        in_channels = int(32 * widen_factor)
        self.stem = _conv_bn_relu(3, in_channels, 3, 2)
        blocks = []
        for channels, stride in ARCH:
            out_channels = int(channels * widen_factor)
            blocks.append(
                DepthwiseSeparable(in_channels, out_channels, stride))
            in_channels = out_channels
        self.layers = nn.Sequential(*blocks)
        self.out_channels = in_channels

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outs = []
        x = self.stem(x)
        for i, block in enumerate(self.layers):
            x = block(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
