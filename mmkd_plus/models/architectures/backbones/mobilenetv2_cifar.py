# Copyright (c) OpenMMLab. All rights reserved.
"""CIFAR MobileNetV2 of the distillation benchmarks (CRD, QuEST, SSKD,
WCoRD).

Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
CVPR 2018 (https://arxiv.org/abs/1801.04381), in the CIFAR form of the CRD
benchmark's ``mobilenetv2.py`` (``mobile_half``: expansion T = 6, width
0.5; Tian et al., ICLR 2020, https://github.com/HobbitLong/RepDistiller),
written afresh for mmpretrain.

State-dict keys equal RepDistiller's (``conv1.*``, ``blocks.K.I.conv.J.*``,
``conv2.*``) except the classifier, ``classifier.0`` → ``head.fc``.
"""
from typing import Sequence, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd_plus.registry import PRETRAIN_MODELS
from .utils import KAIMING_INIT, check_out_indices

__all__ = ['InvertedResidual', 'CIFARMobileNetV2']


def _conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int,
                  stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride,
                  kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class InvertedResidual(nn.Module):
    """1×1 expand → 3×3 depthwise → 1×1 linear projection (no final ReLU).

    ``conv`` is one ``nn.Sequential``: pointwise conv, BN, ReLU, depthwise
    conv, BN, ReLU, pointwise conv, BN (indices 0-7). The identity is added
    when the stride is 1 and the channels match. As in the benchmark, the
    expansion conv is present even at expansion 1.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the depthwise conv, 1 or 2.
        expand_ratio (int): Expansion of the hidden width.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 expand_ratio: int):
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_res_connect = stride == 1 and in_channels == out_channels
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 1, 1, 0, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, out_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(out_channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv(x)
        return x + out if self.use_res_connect else out


@PRETRAIN_MODELS.register_module()
class CIFARMobileNetV2(BaseModule):
    """CIFAR MobileNetV2 (``mobile_half``), 32×32 → 2×2 maps.

    A 3×3 stride-2 stem, seven groups of inverted residual blocks with
    (expansion, channels, blocks, stride) = (1, 16, 1, 1), (T, 24, 2, 1),
    (T, 32, 3, 2), (T, 64, 4, 2), (T, 96, 3, 1), (T, 160, 3, 2),
    (T, 320, 1, 1), channels scaled by ``widen_factor`` (truncated to int),
    then a 1×1 conv to 1280 channels (1280 × ``widen_factor`` above 1).
    With T = 6, width 0.5 and a 100-class linear head on the globally
    pooled map: 0.81M parameters.

    Modules, for recorders (shapes at 32×32 input, width 0.5, batch B):

    - ``conv1``: stem, (B, 16, 16, 16);
    - ``blocks.0``: (B, 8, 16, 16);
    - ``blocks.1``: (B, 12, 16, 16);
    - ``blocks.2``: (B, 16, 8, 8);
    - ``blocks.3``: (B, 32, 4, 4);
    - ``blocks.4``: (B, 48, 4, 4);
    - ``blocks.5``: (B, 80, 2, 2);
    - ``blocks.6``: (B, 160, 2, 2) (the CRD-family ``feat[-2]``);
    - ``conv2``: 1×1 conv + BN + ReLU, (B, 1280, 2, 2) -- the map QuEST
      distils for this student (the teacher's 4×4 map is 2×2
      average-pooled to 2×2).

    The blocks end in BN (linear bottlenecks), so their outputs are also
    their pre-activations (the benchmark's ``get_bn_before_relu`` uses
    ``blocks.{1,2,4,6}``). ``forward`` returns stage K = ``blocks.K`` for
    K < 7 and stage 7 = ``conv2``, as in mmpretrain's MobileNetV2.

    Args:
        widen_factor (float): Width multiplier. Defaults to 0.5.
        expand_ratio (int): Expansion T of the inverted residual blocks
            (the first group always uses 1). Defaults to 6.
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns, 0-based (0..6 = blocks.0..blocks.6, 7 = conv2; -1 =
            last). Defaults to (7, ).
        init_cfg (dict | list, optional): Initialisation config. Defaults to
            Kaiming-normal convs and unit BN, as in the benchmark.

    Example:
        >>> import torch
        >>> net = CIFARMobileNetV2(out_indices=(2, 4, 6, 7))
        >>> [tuple(o.shape) for o in net(torch.rand(2, 3, 32, 32))]
        [(2, 16, 8, 8), (2, 48, 4, 4), (2, 160, 2, 2), (2, 1280, 2, 2)]
    """

    # channels, number of blocks, stride of the first block
    arch_settings = ((16, 1, 1), (24, 2, 1), (32, 3, 2), (64, 4, 2),
                     (96, 3, 1), (160, 3, 2), (320, 1, 1))

    def __init__(self,
                 widen_factor: float = 0.5,
                 expand_ratio: int = 6,
                 out_indices: Sequence[int] = (7, ),
                 init_cfg=KAIMING_INIT):
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        if (isinstance(widen_factor, bool)
                or not isinstance(widen_factor, (int, float))
                or int(16 * widen_factor) < 1):
            raise ValueError(
                'CIFARMobileNetV2: widen_factor must be a number >= 1/16 '
                f'(every group needs a channel), got widen_factor='
                f'{widen_factor}')
        if (isinstance(expand_ratio, bool)
                or not isinstance(expand_ratio, int) or expand_ratio < 1):
            raise ValueError('CIFARMobileNetV2: expand_ratio must be a '
                             f'positive int, got expand_ratio={expand_ratio}')
        self.widen_factor = widen_factor
        self.expand_ratio = expand_ratio
        self.out_indices = check_out_indices(out_indices, 8)

        in_ch = int(32 * widen_factor)
        self.conv1 = _conv_bn_relu(3, in_ch, 3, 2)
        self.blocks = nn.ModuleList()
        out_channels = []
        for i, (channels, num_blocks, stride) in enumerate(self.arch_settings):
            out_ch = int(channels * widen_factor)
            t = 1 if i == 0 else expand_ratio
            layers = []
            for b in range(num_blocks):
                layers.append(
                    InvertedResidual(in_ch, out_ch, stride if b == 0 else 1,
                                     t))
                in_ch = out_ch
            self.blocks.append(nn.Sequential(*layers))
            out_channels.append(out_ch)
        last_ch = int(1280 * widen_factor) if widen_factor > 1.0 else 1280
        self.conv2 = _conv_bn_relu(in_ch, last_ch, 1, 1)
        self.out_channels = tuple(out_channels) + (last_ch, )

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.conv1(x)
        outs = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.out_indices:
                outs.append(x)
        x = self.conv2(x)
        if 7 in self.out_indices:
            outs.append(x)
        return tuple(outs)
