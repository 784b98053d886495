# Copyright (c) OpenMMLab. All rights reserved.
"""CIFAR VGGs with batch norm of the distillation benchmarks (CRD, QuEST,
SSKD, WCoRD).

Simonyan and Zisserman, "Very Deep Convolutional Networks for Large-Scale
Image Recognition", ICLR 2015 (https://arxiv.org/abs/1409.1556), in the
CIFAR form of the CRD benchmark's ``vgg.py`` (``vgg8_bn`` ... ``vgg19_bn``;
Tian et al., ICLR 2020, https://github.com/HobbitLong/RepDistiller): five
conv blocks, no fully connected layers but the classifier, written afresh
for mmpretrain.

State-dict keys equal RepDistiller's (``blockK.J.*``) except the
classifier, ``classifier`` → ``head.fc``.
"""
from typing import List, Sequence, Tuple

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd_plus.registry import PRETRAIN_MODELS
from .utils import KAIMING_INIT, check_out_indices

__all__ = ['CIFARVGG']


@PRETRAIN_MODELS.register_module()
class CIFARVGG(BaseModule):
    """CIFAR VGG-d with batch norm: five conv blocks (32×32 → 4×4 maps).

    Each block is 3×3 conv (with bias) + BN, joined by ReLU, *without* its
    final ReLU: the block's output is its pre-activation, and a separate
    ``reluK`` follows. Max-pools 2×2 (``pool0``..``pool2``) come after
    blocks 0-2; as in the benchmark at 32×32 input there is none between
    blocks 3 and 4 (the benchmark adds one only for 64×64 inputs). The
    channels per block are:

    - vgg8: [64], [128], [256], [512], [512]
    - vgg11: [64], [128], [256]×2, [512]×2, [512]×2
    - vgg13: [64]×2, [128]×2, [256]×2, [512]×2, [512]×2
    - vgg16: [64]×2, [128]×2, [256]×3, [512]×3, [512]×3
    - vgg19: [64]×2, [128]×2, [256]×4, [512]×4, [512]×4

    The classifier is a linear layer on the globally average-pooled
    512-channel ``relu4`` map. With a 100-class head: vgg8 3.97M
    (3,965,028; the QuEST supplement prints 3.96M, and its compression
    ratios 58.10% and 83.27% match this exact count), vgg13 9.46M.

    Modules, for recorders (shapes at 32×32 input, batch B):

    - ``block0`` / ``relu0``: (B, 64, 32, 32);
    - ``block1`` / ``relu1``: (B, 128, 16, 16);
    - ``block2`` / ``relu2``: (B, 256, 8, 8);
    - ``block3`` / ``relu3``: (B, 512, 4, 4);
    - ``block4`` / ``relu4``: (B, 512, 4, 4).

    The output of ``blockK`` is the pre-ReLU map (what the benchmark's
    ``preact=True`` features and QuEST's VGG ``block4`` are); the output of
    ``reluK`` is the post-ReLU map, which ``forward`` returns for stage K.

    Args:
        depth (int): One of 8, 11, 13, 16, 19.
        out_indices (Sequence[int]): Stages whose post-ReLU outputs
            ``forward`` returns, 0-based (0 = block0, 4 = block4; -1 =
            last). Defaults to (4, ).
        init_cfg (dict | list, optional): Initialisation config. Defaults to
            Kaiming-normal convs (zero bias) and unit BN, as in the
            benchmark.

    Example:
        >>> import torch
        >>> net = CIFARVGG(depth=8, out_indices=(0, 1, 2, 3, 4))
        >>> [tuple(o.shape[1:]) for o in net(torch.rand(2, 3, 32, 32))]
        [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4), (512, 4, 4)]
    """

    arch_settings = {
        8: ((64, ), (128, ), (256, ), (512, ), (512, )),
        11: ((64, ), (128, ), (256, 256), (512, 512), (512, 512)),
        13: ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
        16: ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512),
             (512, 512, 512)),
        19: ((64, 64), (128, 128), (256, 256, 256, 256),
             (512, 512, 512, 512), (512, 512, 512, 512)),
    }

    def __init__(self,
                 depth: int,
                 out_indices: Sequence[int] = (4, ),
                 init_cfg=KAIMING_INIT):
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        if depth not in self.arch_settings:
            raise ValueError(
                f'CIFARVGG: depth must be one of '
                f'{sorted(self.arch_settings)}, got depth={depth}')
        self.depth = depth
        self.out_indices = check_out_indices(out_indices, 5)

        in_ch = 3
        for i, widths in enumerate(self.arch_settings[depth]):
            self.add_module(f'block{i}', self._make_block(in_ch, widths))
            self.add_module(f'relu{i}', nn.ReLU(inplace=True))
            if i < 3:
                self.add_module(f'pool{i}', nn.MaxPool2d(2, 2))
            in_ch = widths[-1]
        self.out_channels = tuple(w[-1] for w in self.arch_settings[depth])

    @staticmethod
    def _make_block(in_channels: int, widths: Sequence[int]) -> nn.Sequential:
        """conv-BN(-ReLU-conv-BN)*: a block that ends before its ReLU."""
        layers: List[nn.Module] = []
        for width in widths:
            if layers:
                layers.append(nn.ReLU(inplace=True))
            layers += [
                nn.Conv2d(in_channels, width, 3, padding=1),
                nn.BatchNorm2d(width)
            ]
            in_channels = width
        return nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        outs = []
        for i in range(5):
            x = getattr(self, f'relu{i}')(getattr(self, f'block{i}')(x))
            if i in self.out_indices:
                outs.append(x)
            if i < 3:
                x = getattr(self, f'pool{i}')(x)
        return tuple(outs)
