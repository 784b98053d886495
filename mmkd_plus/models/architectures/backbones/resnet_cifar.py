# Copyright (c) OpenMMLab. All rights reserved.
"""CIFAR-style ResNets of the distillation benchmarks (CRD, QuEST, SSKD,
WCoRD).

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016
(https://arxiv.org/abs/1512.03385), in the 6n+2 CIFAR form with the widths
and projection shortcuts of the CRD benchmark (Tian et al., ICLR 2020,
https://github.com/HobbitLong/RepDistiller), written afresh for mmpretrain.
"""
from typing import Sequence, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd_plus.registry import PRETRAIN_MODELS
from .utils import KAIMING_INIT, check_out_indices

__all__ = ['CIFARBasicBlock', 'CIFARResNet']


class CIFARBasicBlock(nn.Module):
    """3×3 → 3×3 residual block; a 1×1 conv + BN shortcut where shape changes.

    The final ReLU is its own module, ``act_out``, so the block's
    pre-activation (the sum before it) can be recorded with MMRazor's
    ``ModuleInputs`` recorder on ``<block>.act_out`` (AB, OFD).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first conv. Defaults to 1.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))
        self.act_out = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.act_out(out + identity)


@PRETRAIN_MODELS.register_module()
class CIFARResNet(BaseModule):
    """CIFAR ResNet of depth 6n+2 with three stages (32×32 → 8×8 maps).

    ``resnet8/14/20/32/44/56/110`` use widths (16, 16, 32, 64);
    ``resnet8x4``/``resnet32x4`` use (32, 64, 128, 256). Parameter counts
    with a 100-class linear head: resnet20 0.28M, resnet32 0.47M, resnet56
    0.86M, resnet110 1.73M, resnet8x4 1.23M, resnet32x4 7.43M.

    Modules, for recorders: ``conv1``/``bn1``/``relu`` (stem, 32×32),
    ``layer1`` (32×32), ``layer2`` (16×16), ``layer3`` (8×8); the block
    pre-activations are the inputs of ``layerK.I.act_out``.

    Args:
        depth (int): 6n+2, e.g. 8, 14, 20, 32, 44, 56, 110.
        widths (Sequence[int]): Stem width, then the three stage widths.
            Defaults to (16, 16, 32, 64).
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns, 0-based (0 = layer1, 2 = layer3; -1 = last).
            Defaults to (2, ).
        init_cfg (dict | list, optional): Initialisation config. Defaults to
            Kaiming-normal convs and unit BN, as in the benchmark.

    Example:
        >>> import torch
        >>> net = CIFARResNet(depth=20, out_indices=(0, 1, 2))
        >>> [tuple(o.shape) for o in net(torch.rand(2, 3, 32, 32))]
        [(2, 16, 32, 32), (2, 32, 16, 16), (2, 64, 8, 8)]
    """

    def __init__(self,
                 depth: int,
                 widths: Sequence[int] = (16, 16, 32, 64),
                 out_indices: Sequence[int] = (2, ),
                 init_cfg=KAIMING_INIT):
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        if depth < 8 or (depth - 2) % 6 != 0:
            raise ValueError(
                f'CIFARResNet: depth must be 6n+2 with n >= 1 (8, 14, 20, '
                f'32, 44, 56, 110, ...), got depth={depth}')
        if len(widths) != 4:
            raise ValueError('CIFARResNet: widths must be (stem, stage1, '
                             f'stage2, stage3), got widths={widths}')
        num_blocks = (depth - 2) // 6
        self.depth = depth
        self.widths = tuple(widths)
        self.out_indices = check_out_indices(out_indices, 3)

        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        in_ch = widths[0]
        for i, (out_ch, stride) in enumerate(zip(widths[1:], (1, 2, 2))):
            blocks = []
            for b in range(num_blocks):
                blocks.append(
                    CIFARBasicBlock(in_ch, out_ch, stride if b == 0 else 1))
                in_ch = out_ch
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
        self.out_channels = tuple(widths[1:])

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.relu(self.bn1(self.conv1(x)))
        outs = []
        for i in range(3):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
