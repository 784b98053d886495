# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector

from mmkd_plus.registry import MODELS

__all__ = ['LinearEmbedConnector']


@MODELS.register_module()
class LinearEmbedConnector(BaseConnector):
    """Flatten each sample, then one linear layer (no normalisation).

    The embedding of the CRD benchmark's correlation-congruence baseline
    (``LinearEmbed`` in ``models/util.py`` of
    https://github.com/HobbitLong/RepDistiller): the pooled feature of each
    network is mapped to a 128-d embedding for :class:`CCLoss`, one
    connector per side. Unlike MMRazor's ``CRDConnector`` the output is not
    L2-normalised.

    Args:
        in_channels (int): Flattened input dimension (e.g. the channels of a
            pooled (B, C) or (B, C, 1, 1) feature).
        out_channels (int): Embedding dimension. Defaults to 128.
        init_cfg (dict, optional): The config to control the initialization.
            Defaults to None (PyTorch's default ``nn.Linear`` init, as the
            reference).

    Example:
        >>> connectors = dict(
        ...     cc_s=dict(type='LinearEmbedConnector', in_channels=256,
        ...               out_channels=128),
        ...     cc_t=dict(type='LinearEmbedConnector', in_channels=256,
        ...               out_channels=128))
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 128,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.linear = nn.Linear(in_channels, out_channels)

    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Embed a batch.

        Args:
            feature (torch.Tensor): Shape (B, ...) with ``in_channels``
                elements per sample, e.g. (B, C) or (B, C, 1, 1).

        Returns:
            torch.Tensor: Shape (B, out_channels), in the layer's dtype.
        """
        if feature.dim() < 2 or feature[0].numel() != self.in_channels:
            raise ValueError(
                'LinearEmbedConnector expects a (B, ...) feature with '
                f'in_channels={self.in_channels} elements per sample, e.g. '
                f'(B, {self.in_channels}) or (B, {self.in_channels}, 1, 1), '
                f'got {tuple(feature.shape)}.')
        # fp16/bf16 features (mixed precision) meet the fp32 weight
        feature = feature.flatten(1).to(self.linear.weight.dtype)
        return self.linear(feature)
