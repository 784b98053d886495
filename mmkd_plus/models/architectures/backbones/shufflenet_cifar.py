# Copyright (c) OpenMMLab. All rights reserved.
"""CIFAR ShuffleNetV1 and ShuffleNetV2 of the distillation benchmarks (CRD,
QuEST, SSKD, WCoRD).

Zhang et al., "ShuffleNet: An Extremely Efficient Convolutional Neural
Network for Mobile Devices", CVPR 2018 (https://arxiv.org/abs/1707.01083)
and Ma et al., "ShuffleNet V2: Practical Guidelines for Efficient CNN
Architecture Design", ECCV 2018 (https://arxiv.org/abs/1807.11164), in the
32×32 forms of the CRD benchmark's ``ShuffleNetv1.py`` (``ShuffleV1``,
groups 3) and ``ShuffleNetv2.py`` (``ShuffleV2``, net size 1) (Tian et al.,
ICLR 2020, https://github.com/HobbitLong/RepDistiller), written afresh for
mmpretrain.

State-dict keys equal RepDistiller's except the classifier, ``linear`` →
``head.fc``.
"""
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmkd_plus.registry import PRETRAIN_MODELS
from .utils import check_out_indices

__all__ = [
    'ChannelShuffle', 'ShuffleV1Block', 'ShuffleV2Block', 'ShuffleV2DownBlock',
    'CIFARShuffleNetV1', 'CIFARShuffleNetV2'
]

_DEFAULT_INIT = (dict(type='Kaiming', layer='Conv2d', mode='fan_out',
                      nonlinearity='relu'),
                 dict(type='Constant', val=1, layer=['_BatchNorm']))


class ChannelShuffle(nn.Module):
    """Channel shuffle: (N, g·c, H, W) → (N, c·g, H, W), interleaving groups.

    Args:
        groups (int): Number of groups g.
    """

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x: Tensor) -> Tensor:
        n, c, h, w = x.shape
        x = x.view(n, self.groups, c // self.groups, h, w)
        return x.transpose(1, 2).reshape(n, c, h, w)


class ShuffleV1Block(nn.Module):
    """ShuffleNetV1 unit: 1×1 group conv, shuffle, 3×3 depthwise, 1×1 group
    conv; added to the input (stride 1) or concatenated with its 3×3
    average pool (stride 2).

    As in the benchmark, there is a ReLU after the depthwise conv too, and
    the first 1×1 conv of the network (24 input channels) is not grouped.
    The final ReLU is its own module, ``act_out``, so the block's
    pre-activation (the sum or concatenation before it, the benchmark's
    ``preact``) is the input of ``<block>.act_out``.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Channels of the residual branch (the block
            outputs ``in_channels + out_channels`` when ``stride`` is 2).
        stride (int): 1 or 2.
        groups (int): Groups of the 1×1 convs.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 groups: int):
        super().__init__()
        self.stride = stride
        mid = out_channels // 4
        first_groups = 1 if in_channels == 24 else groups
        self.conv1 = nn.Conv2d(
            in_channels, mid, 1, groups=first_groups, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.relu1 = nn.ReLU(inplace=True)
        self.shuffle1 = ChannelShuffle(first_groups)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv3 = nn.Conv2d(mid, out_channels, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.shortcut = (
            nn.AvgPool2d(3, 2, 1) if stride == 2 else nn.Identity())
        self.act_out = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        out = self.shuffle1(self.relu1(self.bn1(self.conv1(x))))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        res = self.shortcut(x)
        out = torch.cat([out, res], 1) if self.stride == 2 else out + res
        return self.act_out(out)


@PRETRAIN_MODELS.register_module()
class CIFARShuffleNetV1(BaseModule):
    """CIFAR ShuffleNetV1, three stages (32×32 → 4×4 maps).

    A 1×1 stem conv with 24 channels at full resolution (no stride, no
    max-pool), then three stages of (4, 8, 4) units; the first unit of
    each stage has stride 2. Stage widths by ``groups``: 1 → (144, 288,
    576), 2 → (200, 400, 800), 3 → (240, 480, 960) (the benchmark's
    ``ShuffleV1``). With groups 3 and a 100-class linear head on the
    globally pooled map: 0.95M parameters.

    Modules, for recorders (shapes at 32×32 input, groups 3, batch B):

    - ``conv1``/``bn1``/``relu``: stem, (B, 24, 32, 32);
    - ``layer1``: (B, 240, 16, 16);
    - ``layer2``: (B, 480, 8, 8);
    - ``layer3``: (B, 960, 4, 4) -- the map QuEST distils for this
      student.

    The unit pre-activations are the inputs of ``layerK.I.act_out``
    (``layerK.-1.act_out`` for the benchmark's ``preact`` features).

    Args:
        groups (int): Groups of the 1×1 convs, 1, 2 or 3. Defaults to 3.
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns, 0-based (0 = layer1, 2 = layer3; -1 = last).
            Defaults to (2, ).
        init_cfg (dict | list, optional): Initialisation config. Defaults to
            Kaiming-normal convs and unit BN.

    Example:
        >>> import torch
        >>> net = CIFARShuffleNetV1(out_indices=(0, 1, 2))
        >>> [tuple(o.shape) for o in net(torch.rand(2, 3, 32, 32))]
        [(2, 240, 16, 16), (2, 480, 8, 8), (2, 960, 4, 4)]
    """

    arch_settings = {
        1: (144, 288, 576),
        2: (200, 400, 800),
        3: (240, 480, 960),
    }
    num_blocks = (4, 8, 4)

    def __init__(self,
                 groups: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 init_cfg=_DEFAULT_INIT):
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        if groups not in self.arch_settings:
            raise ValueError(
                f'CIFARShuffleNetV1: groups must be one of '
                f'{sorted(self.arch_settings)}, got groups={groups}')
        self.groups = groups
        self.out_indices = check_out_indices(out_indices, 3)

        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        self.relu = nn.ReLU(inplace=True)
        in_ch = 24
        widths = self.arch_settings[groups]
        for i, (out_ch, num_blocks) in enumerate(zip(widths,
                                                     self.num_blocks)):
            blocks = []
            for b in range(num_blocks):
                if b == 0:
                    # the residual branch adds what the pooled input lacks
                    blocks.append(
                        ShuffleV1Block(in_ch, out_ch - in_ch, 2, groups))
                else:
                    blocks.append(ShuffleV1Block(out_ch, out_ch, 1, groups))
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
            in_ch = out_ch
        self.out_channels = tuple(widths)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.relu(self.bn1(self.conv1(x)))
        outs = []
        for i in range(3):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)


class ShuffleV2Block(nn.Module):
    """ShuffleNetV2 basic unit: split the channels in half, transform one
    half (1×1 conv, 3×3 depthwise, 1×1 conv), concatenate, shuffle.

    The final ReLU is its own module, ``act_out``, applied to the
    concatenation ``[x1, branch]``: the untouched half ``x1`` is a slice of
    a post-ReLU map, so this equals the benchmark's ``[x1, relu(branch)]``,
    and the input of ``<block>.act_out`` is exactly the benchmark's
    ``preact`` (unshuffled).

    Args:
        channels (int): Input and output channels (even).
    """

    def __init__(self, channels: int):
        super().__init__()
        half = channels // 2
        self.conv1 = nn.Conv2d(half, half, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(half)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(half, half, 3, 1, 1, groups=half, bias=False)
        self.bn2 = nn.BatchNorm2d(half)
        self.conv3 = nn.Conv2d(half, half, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(half)
        self.act_out = nn.ReLU(inplace=True)
        self.shuffle = ChannelShuffle(2)

    def forward(self, x: Tensor) -> Tensor:
        x1, x2 = x.chunk(2, dim=1)
        out = self.relu1(self.bn1(self.conv1(x2)))
        out = self.bn3(self.conv3(self.bn2(self.conv2(out))))
        out = self.act_out(torch.cat([x1, out], 1))
        return self.shuffle(out)


class ShuffleV2DownBlock(nn.Module):
    """ShuffleNetV2 down-sampling unit: two stride-2 branches on the whole
    input, concatenated and shuffled.

    Left: 3×3 depthwise (stride 2) + BN, 1×1 conv + BN. Right: 1×1 conv +
    BN + ReLU, 3×3 depthwise (stride 2) + BN, 1×1 conv + BN. Both branches
    end in ReLU; here it is one module, ``act_out``, on the concatenation
    (the same values), so its input is the unit's pre-activation.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (even).
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        mid = out_channels // 2
        # left branch
        self.conv1 = nn.Conv2d(
            in_channels, in_channels, 3, 2, 1, groups=in_channels,
            bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv2 = nn.Conv2d(in_channels, mid, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        # right branch
        self.conv3 = nn.Conv2d(in_channels, mid, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid)
        self.relu3 = nn.ReLU(inplace=True)
        self.conv4 = nn.Conv2d(mid, mid, 3, 2, 1, groups=mid, bias=False)
        self.bn4 = nn.BatchNorm2d(mid)
        self.conv5 = nn.Conv2d(mid, mid, 1, bias=False)
        self.bn5 = nn.BatchNorm2d(mid)
        self.act_out = nn.ReLU(inplace=True)
        self.shuffle = ChannelShuffle(2)

    def forward(self, x: Tensor) -> Tensor:
        left = self.bn2(self.conv2(self.bn1(self.conv1(x))))
        right = self.relu3(self.bn3(self.conv3(x)))
        right = self.bn5(self.conv5(self.bn4(self.conv4(right))))
        out = self.act_out(torch.cat([left, right], 1))
        return self.shuffle(out)


@PRETRAIN_MODELS.register_module()
class CIFARShuffleNetV2(BaseModule):
    """CIFAR ShuffleNetV2, three stages and a 1×1 conv (32×32 → 4×4 maps).

    A 1×1 stem conv with 24 channels at full resolution (no stride, no
    max-pool), then three stages, each a down-sampling unit followed by
    (3, 7, 3) basic units, then a 1×1 conv + BN + ReLU. Widths by
    ``net_size`` (stages, last conv): 0.5 → (48, 96, 192, 1024), 1 →
    (116, 232, 464, 1024) (the benchmark's ``ShuffleV2``), 1.5 → (176, 352,
    704, 1024), 2 → (224, 488, 976, 2048). With net size 1 and a 100-class
    linear head on the globally pooled map: 1.36M parameters.

    Modules, for recorders (shapes at 32×32 input, net size 1, batch B):

    - ``conv1``/``bn1``/``relu1``: stem, (B, 24, 32, 32);
    - ``layer1``: (B, 116, 16, 16);
    - ``layer2``: (B, 232, 8, 8);
    - ``layer3``: (B, 464, 4, 4) (the CRD-family ``feat[-2]``);
    - ``conv2``/``bn2``/``relu2``: last 1×1 conv, (B, 1024, 4, 4) -- the
      output of ``relu2`` is the map QuEST distils for this student.

    The unit pre-activations are the inputs of ``layerK.I.act_out``
    (``layerK.-1.act_out`` for the benchmark's ``preact`` features).
    ``forward`` returns stage K = ``layer{K+1}`` for K < 3 and stage 3 =
    ``relu2``.

    Args:
        net_size (float): 0.5, 1, 1.5 or 2. Defaults to 1.
        out_indices (Sequence[int]): Stages whose outputs ``forward``
            returns, 0-based (0 = layer1, 2 = layer3, 3 = relu2; -1 =
            last). Defaults to (3, ).
        init_cfg (dict | list, optional): Initialisation config. Defaults to
            Kaiming-normal convs and unit BN.

    Example:
        >>> import torch
        >>> net = CIFARShuffleNetV2(out_indices=(0, 1, 2, 3))
        >>> [tuple(o.shape) for o in net(torch.rand(2, 3, 32, 32))]
        [(2, 116, 16, 16), (2, 232, 8, 8), (2, 464, 4, 4), (2, 1024, 4, 4)]
    """

    arch_settings = {
        0.5: (48, 96, 192, 1024),
        1: (116, 232, 464, 1024),
        1.5: (176, 352, 704, 1024),
        2: (224, 488, 976, 2048),
    }
    num_blocks = (3, 7, 3)

    def __init__(self,
                 net_size: float = 1,
                 out_indices: Sequence[int] = (3, ),
                 init_cfg=_DEFAULT_INIT):
        super().__init__(init_cfg=list(init_cfg) if init_cfg else None)
        if isinstance(net_size, bool) or net_size not in self.arch_settings:
            raise ValueError(
                f'CIFARShuffleNetV2: net_size must be one of '
                f'{sorted(self.arch_settings)}, got net_size={net_size}')
        self.net_size = net_size
        self.out_indices = check_out_indices(out_indices, 4)

        widths = self.arch_settings[net_size]
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        self.relu1 = nn.ReLU(inplace=True)
        in_ch = 24
        for i, (out_ch, num_blocks) in enumerate(zip(widths,
                                                     self.num_blocks)):
            blocks = [ShuffleV2DownBlock(in_ch, out_ch)]
            blocks += [ShuffleV2Block(out_ch) for _ in range(num_blocks)]
            self.add_module(f'layer{i + 1}', nn.Sequential(*blocks))
            in_ch = out_ch
        self.conv2 = nn.Conv2d(in_ch, widths[3], 1, bias=False)
        self.bn2 = nn.BatchNorm2d(widths[3])
        self.relu2 = nn.ReLU(inplace=True)
        self.out_channels = tuple(widths)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.relu1(self.bn1(self.conv1(x)))
        outs = []
        for i in range(3):
            x = getattr(self, f'layer{i + 1}')(x)
            if i in self.out_indices:
                outs.append(x)
        x = self.relu2(self.bn2(self.conv2(x)))
        if 3 in self.out_indices:
            outs.append(x)
        return tuple(outs)
