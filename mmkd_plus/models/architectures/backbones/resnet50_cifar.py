# Copyright (c) OpenMMLab. All rights reserved.
"""ImageNet-style bottleneck ResNets adapted to CIFAR, as in the
distillation benchmarks (CRD, QuEST: the ResNet50 teacher).

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016
(https://arxiv.org/abs/1512.03385), with four bottleneck stages of widths
(256, 512, 1024, 2048) but a 3×3 stride-1 stem and no max-pool, in the form
of the CRD benchmark's ``resnetv2.py`` (``ResNet50``; Tian et al., ICLR
2020, https://github.com/HobbitLong/RepDistiller), written afresh for
mmpretrain.

State-dict keys equal RepDistiller's except the classifier, ``linear`` →
``head.fc``.
"""
from typing import Sequence, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd_plus.registry import PRETRAIN_MODELS
from .utils import KAIMING_INIT, check_out_indices

__all__ = ['CIFARBottleneck', 'CIFARBottleneckResNet']


class CIFARBottleneck(nn.Module):
    """1×1 → 3×3 (strided) → 1×1 ×4 residual block; a 1×1 conv + BN shortcut
    where the shape changes.

    The final ReLU is its own module, ``act_out``, so the block's
    pre-activation (the sum before it) can be recorded with MMRazor's
    ``ModuleInputs`` recorder on ``<block>.act_out`` (AB, OFD).

    Args:
        in_channels (int): Input channels.
        planes (int): Width of the 3×3 conv; the block outputs
            ``4 * planes`` channels.
        stride (int): Stride of the 3×3 conv. Defaults to 1.
    """

    expansion = 4

    def __init__(self, in_channels: int, planes: int, stride: int = 1):
        super().__init__()
        out_channels = planes * self.expansion
        self.conv1 = nn.Conv2d(in_channels, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(planes, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.shortcut = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))
        self.act_out = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.shortcut is None else self.shortcut(x)
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.act_out(out + identity)


@PRETRAIN_MODELS.register_module()
class CIFARBottleneckResNet(BaseModule):
    """Bottleneck ResNet-50/101/152 on 32×32 inputs, four stages (32×32 →
    4×4 maps).

    A 3×3 stride-1 stem with 64 channels, no max-pool, then four stages of
    bottleneck blocks with widths (64, 128, 256, 512) × 4 and strides
    (1, 2, 2, 2); blocks per stage: 50 → (3, 4, 6, 3), 101 → (3, 4, 23, 3),
    152 → (3, 8, 36, 3). With a 100-class linear head on the globally
    pooled map, ResNet50 has 23.7M parameters.

    Modules, for recorders (shapes at 32×32 input, batch B):

    - ``conv1``/``bn1``/``relu``: stem, (B, 64, 32, 32);
    - ``layer1``: (B, 256, 32, 32);
    - ``layer2``: (B, 512, 16, 16);
    - ``layer3``: (B, 1024, 8, 8);
    - ``layer4``: (B, 2048, 4, 4) -- the map QuEST distils from this
      teacher (2×2 average-pooled for 2×2 students).

    The block pre-activations are the inputs of ``layerK.I.act_out``
    (``layerK.-1.act_out`` for the benchmark's ``preact`` features).

    Args:
        depth (int): 50, 101 or 152. Defaults to 50.
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns, 0-based (0 = layer1, 3 = layer4; -1 = last).
            Defaults to (3, ).
        init_cfg (dict | list, optional): Initialisation config. Defaults to
            Kaiming-normal convs and unit BN, as in the benchmark.

    Example:
        >>> import torch
        >>> net = CIFARBottleneckResNet(depth=50, out_indices=(0, 1, 2, 3))
        >>> [tuple(o.shape) for o in net(torch.rand(2, 3, 32, 32))]
        [(2, 256, 32, 32), (2, 512, 16, 16), (2, 1024, 8, 8), (2, 2048, 4, 4)]
    """

    arch_settings = {
        50: (3, 4, 6, 3),
        101: (3, 4, 23, 3),
        152: (3, 8, 36, 3),
    }

    def __init__(self,
                 depth: int = 50,
                 out_indices: Sequence[int] = (3, ),
                 init_cfg=KAIMING_INIT):
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        if depth not in self.arch_settings:
            raise ValueError(
                f'CIFARBottleneckResNet: depth must be one of '
                f'{sorted(self.arch_settings)}, got depth={depth}')
        self.depth = depth
        self.out_indices = check_out_indices(out_indices, 4)

        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        in_ch = 64
        stages = zip((64, 128, 256, 512), self.arch_settings[depth],
                     (1, 2, 2, 2))
        for i, (planes, num_blocks, stride) in enumerate(stages):
            blocks = []
            for b in range(num_blocks):
                blocks.append(
                    CIFARBottleneck(in_ch, planes, stride if b == 0 else 1))
                in_ch = planes * CIFARBottleneck.expansion
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
        self.out_channels = (256, 512, 1024, 2048)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.relu(self.bn1(self.conv1(x)))
        outs = []
        for i in range(4):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
