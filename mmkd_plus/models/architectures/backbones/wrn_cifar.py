# Copyright (c) OpenMMLab. All rights reserved.
"""CIFAR Wide ResNets (WRN-d-w) of the distillation benchmarks (CRD, QuEST,
SSKD, WCoRD).

Zagoruyko and Komodakis, "Wide Residual Networks", BMVC 2016
(https://arxiv.org/abs/1605.07146), with pre-activation wide basic blocks,
in the form of the CRD benchmark's ``wrn.py`` (Tian et al., ICLR 2020,
https://github.com/HobbitLong/RepDistiller), written afresh for mmpretrain.

State-dict keys equal RepDistiller's except ``blockK.layer.I.`` →
``blockK.I.``, ``convShortcut`` → ``shortcut``, the final ``bn1`` →
``bn_final`` and (in the classifier) ``fc`` → ``head.fc``.
"""
from typing import Sequence, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd_plus.registry import PRETRAIN_MODELS
from .utils import KAIMING_INIT, check_out_indices

__all__ = ['WideBasicBlock', 'CIFARWideResNet']


class WideBasicBlock(nn.Module):
    """Pre-activation wide basic block: BN-ReLU-3×3 conv, BN-ReLU-3×3 conv.

    As in the benchmark, when the shape changes the shortcut is a 1×1 conv
    (no BN) applied to the *activated* input ``relu1(bn1(x))``; otherwise
    it is the raw input. The block output is the un-activated sum, so its
    pre-activation for OFD is the output of the next ``bn1`` (or of the
    network's ``bn_final``).

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first conv. Defaults to 1.
        dropout (float): Dropout probability between the two convs.
            Defaults to 0.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 dropout: float = 0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu2 = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.shortcut = None
        if in_channels != out_channels:
            self.shortcut = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        act = self.relu1(self.bn1(x))
        identity = x if self.shortcut is None else self.shortcut(act)
        out = self.relu2(self.bn2(self.conv1(act)))
        out = self.conv2(self.dropout(out))
        return out + identity


@PRETRAIN_MODELS.register_module()
class CIFARWideResNet(BaseModule):
    """CIFAR Wide ResNet WRN-d-w, three stages (32×32 → 8×8 maps).

    A 3×3 stem conv with 16 channels, then three stages of
    n = (d - 4) / 6 wide basic blocks with widths (16w, 32w, 64w) and
    strides (1, 2, 2), then a final BN + ReLU. The classifier (a
    100-class linear head after global average pooling) brings the
    parameter counts to: wrn_40_2 2.26M, wrn_16_2 0.70M, wrn_40_1 0.57M,
    wrn_16_1 0.18M.

    Modules, for recorders (shapes at 32×32 input, batch B):

    - ``conv1``: stem, (B, 16, 32, 32);
    - ``block1``: (B, 16w, 32, 32);
    - ``block2``: (B, 32w, 16, 16);
    - ``block3``: (B, 64w, 8, 8), the raw sum (the CRD-family
      ``feat[3]``);
    - ``bn_final``: BN of ``block3``'s output, the pre-activation;
    - ``relu_final``: ``block3`` + final BN + ReLU, (B, 64w, 8, 8) -- the
      map QuEST distils (8×8×128 for wrn_40_2).

    ``forward`` returns, for stage index 0, 1 and 2, the outputs of
    ``block1``, ``block2`` and ``relu_final`` (so index 2 includes the
    final BN + ReLU that the classifier needs). The OFD pre-activations
    are the outputs of ``block2.0.bn1``, ``block3.0.bn1`` and
    ``bn_final``.

    Args:
        depth (int): 6n+4, e.g. 16, 22, 28, 40.
        widen_factor (int): Width multiplier w. Defaults to 1.
        dropout (float): Dropout probability inside each block, in
            [0, 1). Defaults to 0.
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns, 0-based (0 = block1, 2 = block3 + final BN + ReLU;
            -1 = last). Defaults to (2, ).
        init_cfg (dict | list, optional): Initialisation config. Defaults to
            Kaiming-normal convs and unit BN, as in the benchmark.

    Example:
        >>> import torch
        >>> net = CIFARWideResNet(depth=40, widen_factor=2,
        ...                       out_indices=(0, 1, 2))
        >>> [tuple(o.shape) for o in net(torch.rand(2, 3, 32, 32))]
        [(2, 32, 32, 32), (2, 64, 16, 16), (2, 128, 8, 8)]
    """

    def __init__(self,
                 depth: int,
                 widen_factor: int = 1,
                 dropout: float = 0.0,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg=KAIMING_INIT):
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        if depth < 10 or (depth - 4) % 6 != 0:
            raise ValueError(
                f'CIFARWideResNet: depth must be 6n+4 with n >= 1 (10, 16, '
                f'22, 28, 40, ...), got depth={depth}')
        if (not isinstance(widen_factor, int)
                or isinstance(widen_factor, bool) or widen_factor < 1):
            raise ValueError('CIFARWideResNet: widen_factor must be a '
                             f'positive int, got widen_factor={widen_factor}')
        if not 0.0 <= dropout < 1.0:
            raise ValueError('CIFARWideResNet: dropout must be in [0, 1), '
                             f'got dropout={dropout}')
        num_blocks = (depth - 4) // 6
        self.depth = depth
        self.widen_factor = widen_factor
        self.out_indices = check_out_indices(out_indices, 3)

        widths = (16 * widen_factor, 32 * widen_factor, 64 * widen_factor)
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        in_ch = 16
        for i, (out_ch, stride) in enumerate(zip(widths, (1, 2, 2))):
            blocks = []
            for b in range(num_blocks):
                blocks.append(
                    WideBasicBlock(in_ch, out_ch, stride if b == 0 else 1,
                                   dropout))
                in_ch = out_ch
            self.add_module(f'block{i + 1}', nn.Sequential(*blocks))
        self.bn_final = nn.BatchNorm2d(widths[-1])
        self.relu_final = nn.ReLU(inplace=True)
        self.out_channels = widths

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.conv1(x)
        outs = []
        for i in range(3):
            x = getattr(self, f'block{i + 1}')(x)
            if i == 2:
                x = self.relu_final(self.bn_final(x))
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
