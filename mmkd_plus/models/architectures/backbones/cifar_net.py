# Copyright (c) OpenMMLab. All rights reserved.
"""The six-convolution CNN of MFD's CIFAR-10S experiments."""
from typing import Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmkd_plus.registry import PRETRAIN_MODELS

__all__ = ['CIFARNet']


@PRETRAIN_MODELS.register_module()
class CIFARNet(BaseModule):
    """Six 3x3 convolutions and a 256-d fully connected layer.

    The CIFAR-10S network of "Fair Feature Distillation for Visual
    Recognition" (Jung et al., CVPR 2021, https://arxiv.org/abs/2106.04411;
    supplement §1.1): convolutions of 32, 32, 64, 64, 128 and 128 channels
    with ReLU, max-pooling and dropout after every two, then a ReLU
    fully connected hidden layer of 256 units. The classifier (256 -> the
    classes) is the head, e.g. ``LinearClsHead(in_channels=256)``, with no
    neck: the backbone returns the 256-d features that MFD distils
    (recorded at ``backbone.fc``).

    Args:
        in_channels (int): Input channels. Defaults to 3.
        widths (tuple[int]): The channels of the three conv pairs.
            Defaults to (32, 64, 128).
        hidden (int): Units of the hidden fc layer. Defaults to 256.
        dropout (float): Dropout after each pooling. Defaults to 0.25.
        input_size (int): Input height = width, fixes the fc's input
            (128 x 4 x 4 = 2048 at 32). Defaults to 32.
        init_cfg (dict, optional): Initialisation config (PyTorch's
            default when None).
    """

    def __init__(self,
                 in_channels: int = 3,
                 widths: Tuple[int, int, int] = (32, 64, 128),
                 hidden: int = 256,
                 dropout: float = 0.25,
                 input_size: int = 32,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        layers, prev = [], in_channels
        for width in widths:
            layers += [
                nn.Conv2d(prev, width, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(width, width, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Dropout(dropout),
            ]
            prev = width
        self.features = nn.Sequential(*layers)
        side = input_size // 2**len(widths)
        if side < 1:
            raise ValueError(f'CIFARNet: input_size={input_size} is too small '
                             f'for {len(widths)} poolings.')
        self.fc = nn.Sequential(
            nn.Flatten(), nn.Linear(prev * side * side, hidden), nn.ReLU())
        self.out_channels = hidden

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        """Return ``(features, )`` with features of shape (B, hidden)."""
        return (self.fc(self.features(x)), )
