# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn

from mmkd_plus.ops.kd_functional import (autocast_off, sp_similarity,
                                         to_compute_dtype)
from mmkd_plus.registry import MODELS

__all__ = ['SPLoss']


@MODELS.register_module()
class SPLoss(nn.Module):
    """Similarity-Preserving knowledge distillation.

    "Similarity-Preserving Knowledge Distillation" (Tung & Mori, ICCV 2019),
    https://arxiv.org/abs/1907.09682.

    Each sample's feature is flattened to a row of ``F`` (B x D); the
    pairwise similarity ``G = F F^T`` (B x B) is L2-normalised row by row,
    and the loss is ``||G_t - G_s||_F^2 / B^2``. Semantics of the CRD
    benchmark's implementation (``distiller_zoo/SP.py`` of
    https://github.com/HobbitLong/RepDistiller), applied there to the last
    convolutional map ``feat[-2]`` with weight 3000. Student and teacher
    may differ in every dim but the batch.

    Args:
        loss_weight (float): Weight of loss. Defaults to 1.0.

    Example:
        >>> distill_losses = dict(
        ...     loss_sp=dict(type='SPLoss', loss_weight=3000.0))
        >>> loss_forward_mappings = dict(
        ...     loss_sp=dict(
        ...         s_feature=dict(from_student=True, recorder='s_layer3'),
        ...         t_feature=dict(from_student=False, recorder='t_layer3')))
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Forward function.

        Args:
            s_feature (torch.Tensor): Student features, shape (B, ...),
                e.g. (B, C_s, H_s, W_s); flattened per sample.
            t_feature (torch.Tensor): Teacher features, shape (B, ...).
                Detached here.

        Returns:
            torch.Tensor: The weighted loss, a scalar (fp32 or wider).
        """
        if (s_feature.dim() < 2 or t_feature.dim() < 2
                or s_feature.shape[0] != t_feature.shape[0]):
            raise ValueError(
                'SPLoss expects s_feature and t_feature of shape (B, ...), '
                'e.g. (B, C, H, W), with the same batch size B, got '
                f'{tuple(s_feature.shape)} and {tuple(t_feature.shape)}.')
        with autocast_off(s_feature.device):
            s_feature, t_feature = to_compute_dtype(s_feature,
                                                    t_feature.detach())
            batch_size = s_feature.shape[0]
            diff = sp_similarity(t_feature) - sp_similarity(s_feature)
            loss = diff.pow(2).sum() / (batch_size * batch_size)
        return self.loss_weight * loss
