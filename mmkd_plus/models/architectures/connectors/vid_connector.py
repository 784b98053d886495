# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector

from mmkd_plus.ops.kd_functional import pool_to_smaller
from mmkd_plus.registry import MODELS

__all__ = ['VIDRegressorConnector']


@MODELS.register_module()
class VIDRegressorConnector(BaseConnector):
    """The mean regressor of Variational Information Distillation.

    "Variational Information Distillation for Knowledge Transfer" (Ahn et
    al., CVPR 2019), https://arxiv.org/abs/1904.05835. Maps the student map
    to the predicted mean of the teacher map for :class:`VIDLoss`:
    1x1 conv (C_s -> C_mid) -> ReLU -> 1x1 conv (C_mid -> C_mid) -> ReLU ->
    1x1 conv (C_mid -> C_t), convolutions without bias, as the CRD
    benchmark's implementation (``distiller_zoo/VID.py`` of
    https://github.com/HobbitLong/RepDistiller), which sets C_mid = C_t.

    RepDistiller adaptive-average-pools the student map to the teacher's
    spatial size *before* this regressor when the student map is larger.
    A connector does not see the teacher, so that size is the config key
    ``pool_size``; without it, :class:`VIDLoss` pools the regressed mean
    instead (the same result when the teacher map is the larger one).

    Args:
        in_channels (int): Student channels C_s.
        out_channels (int): Teacher channels C_t.
        mid_channels (int, optional): Hidden channels C_mid. Defaults to
            None, i.e. ``out_channels`` (RepDistiller's choice).
        pool_size (int | Sequence[int], optional): The teacher's (H, W):
            each spatial dim of the input larger than it is
            adaptive-average-pooled down to it before regressing. Defaults
            to None (no pooling here).
        init_cfg (dict, optional): The config to control the initialization.
            Defaults to None (PyTorch's default conv init, as the
            reference).

    Example:
        >>> # ShuffleNetV2 stage (16x16, 116 ch) -> ResNet stage (8x8, 256)
        >>> connectors = dict(
        ...     vid_s2=dict(type='VIDRegressorConnector', in_channels=116,
        ...                 out_channels=256, pool_size=8))
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 mid_channels: Optional[int] = None,
                 pool_size: Optional[Union[int, Sequence[int]]] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        mid_channels = out_channels if mid_channels is None else mid_channels
        if isinstance(pool_size, int):
            pool_size = (pool_size, pool_size)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.mid_channels = mid_channels
        self.pool_size = None if pool_size is None else tuple(pool_size)
        self.regressor = nn.Sequential(
            nn.Conv2d(in_channels, mid_channels, 1, bias=False), nn.ReLU(),
            nn.Conv2d(mid_channels, mid_channels, 1, bias=False), nn.ReLU(),
            nn.Conv2d(mid_channels, out_channels, 1, bias=False))

    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Regress the teacher's mean.

        Args:
            feature (torch.Tensor): Student map, shape (B, C_s, H, W).

        Returns:
            torch.Tensor: Shape (B, C_t, H', W'), H' and W' pooled to
            ``pool_size`` if given; in the layers' dtype.
        """
        if feature.dim() != 4 or feature.shape[1] != self.in_channels:
            raise ValueError(
                'VIDRegressorConnector expects a student map of shape '
                f'(B, {self.in_channels}, H, W), got '
                f'{tuple(feature.shape)}.')
        # fp16/bf16 features (mixed precision) meet the fp32 weights
        feature = feature.to(self.regressor[0].weight.dtype)
        if self.pool_size is not None:
            feature = pool_to_smaller(feature, self.pool_size)
        return self.regressor(feature)
