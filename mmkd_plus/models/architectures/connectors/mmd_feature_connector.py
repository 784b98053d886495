# Copyright (c) OpenMMLab. All rights reserved.
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector

from mmkd_plus.registry import MODELS

__all__ = ['MMDFeatureConnector']


@MODELS.register_module()
class MMDFeatureConnector(BaseConnector):
    """The feature side of MFD's MMD: one vector per sample.

    "Fair Feature Distillation for Visual Recognition" (Jung et al., CVPR
    2021, https://arxiv.org/abs/2106.04411) compares the penultimate
    features of a teacher and a student of the same architecture: the
    256-d fc activations of the CIFAR-10S CNN, the flattened last map of
    ResNet-18 (512 x 6 x 6) and ShuffleNetV2 (1024 x 6 x 6). This
    parameter-free connector flattens a (B, ...) feature to (B, D), after
    an optional global pooling of a map. It is used on both sides; the
    bandwidth, which depends on both, is computed in
    :class:`~mmkd_plus.models.losses.MFDLoss`.

    Args:
        pool (str, optional): ``None`` (flatten as is, the paper's form),
            ``'avg'`` or ``'max'`` (global pooling of a (B, C, H, W) map
            first). Defaults to None.
        init_cfg (dict, optional): Unused (no parameters).
    """

    def __init__(self,
                 pool: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if pool not in (None, 'avg', 'max'):
            raise ValueError("MMDFeatureConnector: pool must be None, 'avg' "
                             f"or 'max', got {pool!r}.")
        self.pool = pool

    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Pool (optionally) and flatten.

        Args:
            feature (torch.Tensor): (B, ...); a (B, C, H, W) map to pool.

        Returns:
            torch.Tensor: (B, D).
        """
        if self.pool is not None:
            if feature.dim() != 4:
                raise ValueError(
                    'MMDFeatureConnector: pool needs a (B, C, H, W) map, got '
                    f'shape {tuple(feature.shape)}.')
            pool = F.adaptive_avg_pool2d if self.pool == 'avg' else \
                F.adaptive_max_pool2d
            feature = pool(feature, 1)
        return feature.flatten(1)
