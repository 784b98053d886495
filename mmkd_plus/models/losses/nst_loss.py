# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn

from mmkd_plus.ops.kd_functional import (autocast_off, channel_normalize,
                                         nst_mmd, pool_pair_to_smaller,
                                         to_compute_dtype)
from mmkd_plus.registry import MODELS

__all__ = ['NSTLoss']


@MODELS.register_module()
class NSTLoss(nn.Module):
    """Neuron Selectivity Transfer: squared MMD, polynomial kernel.

    "Like What You Like: Knowledge Distill via Neuron Selectivity Transfer"
    (Huang & Wang, 2017), https://arxiv.org/abs/1707.01219.

    Each channel of a (B, C, H, W) map is flattened and L2-normalised over
    its H*W positions; the loss is the squared maximum mean discrepancy
    between the student's and the teacher's channels under the kernel
    ``k(a, b) = (a . b) ** 2``:
    ``mean K_tt + mean K_ss - 2 mean K_st``, every mean over the batch and
    all channel pairs. The channel counts of student and teacher may
    differ. When the spatial sizes differ, the larger map is
    adaptive-average-pooled to the smaller size. Semantics of the CRD
    benchmark's implementation (``distiller_zoo/NST.py`` of
    https://github.com/HobbitLong/RepDistiller), which applies one such
    loss to each stage output (``feat[1:-1]``), summed, with weight 50.

    Args:
        loss_weight (float): Weight of loss. Defaults to 1.0.

    Example:
        >>> # one instance per stage; RepDistiller uses weight 50
        >>> distill_losses = dict(
        ...     loss_nst_3=dict(type='NSTLoss', loss_weight=50.0))
        >>> loss_forward_mappings = dict(
        ...     loss_nst_3=dict(
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
            s_feature (torch.Tensor): Student map, shape (B, C_s, H_s, W_s).
            t_feature (torch.Tensor): Teacher map, shape (B, C_t, H_t, W_t).
                Detached here: no gradient reaches the teacher.

        Returns:
            torch.Tensor: The weighted loss, a scalar (fp32 or wider).
        """
        if (s_feature.dim() != 4 or t_feature.dim() != 4
                or s_feature.shape[0] != t_feature.shape[0]):
            raise ValueError(
                'NSTLoss expects s_feature (B, C_s, H_s, W_s) and t_feature '
                '(B, C_t, H_t, W_t) with the same batch size B, got '
                f'{tuple(s_feature.shape)} and {tuple(t_feature.shape)}.')
        with autocast_off(s_feature.device):
            s_feature, t_feature = to_compute_dtype(s_feature,
                                                    t_feature.detach())
            s_feature, t_feature = pool_pair_to_smaller(s_feature, t_feature)
            loss = nst_mmd(
                channel_normalize(s_feature), channel_normalize(t_feature))
        return self.loss_weight * loss
