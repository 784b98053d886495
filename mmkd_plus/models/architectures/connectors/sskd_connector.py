# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector

from mmkd_plus.registry import MODELS

__all__ = ['SSKDHead']


@MODELS.register_module()
class SSKDHead(BaseConnector):
    """SSKD's self-supervision module: a two-layer MLP on the pooled feature.

    "Knowledge Distillation Meets Self-Supervision" (Xu et al., ECCV 2020),
    https://arxiv.org/abs/2006.07114. As in the authors' code
    (``proj_head``), ``Linear(d, d) -> ReLU -> Linear(d, out)`` on the
    global-pooled penultimate feature, ``d`` being the classifier's input
    width. One connector per network: the teacher's is trained in stage 1
    and frozen in stage 2, the student's is trained with the student.

    For the contrastive task (the default) the output is an embedding of
    width ``out_channels = d``; for the classification tasks of the
    supplement's ablation (rotation 4, jigsaw 24, exemplar = the number of
    training images) ``out_channels`` is the number of classes and the
    output their logits.

    Args:
        in_channels (int): d, the pooled feature width.
        out_channels (int, optional): The output width. Defaults to None
            (``in_channels``).
        hidden_channels (int, optional): The hidden width. Defaults to None
            (``in_channels``).
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (PyTorch's ``nn.Linear`` default, as the authors' code).

    Example:
        >>> connectors = dict(
        ...     ss_s=dict(type='SSKDHead', in_channels=256),
        ...     ss_t=dict(type='SSKDHead', in_channels=256))
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 hidden_channels: Optional[int] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels or in_channels
        hidden = hidden_channels or in_channels
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, self.out_channels))

    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Map pooled features to the head's output.

        Args:
            feature (torch.Tensor): (N, d) or (N, d, 1, 1).

        Returns:
            torch.Tensor: (N, out_channels).
        """
        if isinstance(feature, (tuple, list)):
            feature = feature[-1]
        if feature.dim() < 2 or feature[0].numel() != self.in_channels:
            raise ValueError(
                f'SSKDHead expects pooled features with in_channels='
                f'{self.in_channels} per sample, e.g. (N, {self.in_channels})'
                f', got {tuple(feature.shape)}; set in_channels to the '
                "width of the network's pooled feature (its linear head's "
                'in_channels).')
        return self.mlp(feature.flatten(1).to(self.mlp[0].weight.dtype))
