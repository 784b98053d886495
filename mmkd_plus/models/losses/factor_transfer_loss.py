# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn

from mmkd_plus.ops.kd_functional import (autocast_off, ft_factor,
                                         pool_pair_to_smaller,
                                         to_compute_dtype)
from mmkd_plus.registry import MODELS

__all__ = ['FactorTransferLoss']


@MODELS.register_module()
class FactorTransferLoss(nn.Module):
    """Factor transfer, in the form of the CRD benchmark.

    "Paraphrasing Complex Network: Network Compression via Factor Transfer"
    (Kim, Park & Kwak, NeurIPS 2018), https://arxiv.org/abs/1802.04977.

    The student's translated factor and the teacher's paraphrased factor
    (MMRazor's ``Translator``/``Paraphraser`` connectors) are each reduced
    to ``normalize(mean_c factor^p)`` (B x HW) and compared with the mean
    absolute difference (``q=1``) or the mean ``q``-th power. This is the
    CRD benchmark's ``FactorTransfer`` (``distiller_zoo/FT.py`` of
    https://github.com/HobbitLong/RepDistiller, written afresh), which the
    CRD, SSKD and WCoRD tables report; MMRazor's ``FTLoss`` instead
    normalises the flattened factor itself (the paper's form). Mismatched
    spatial sizes are average-pooled to the smaller, as the benchmark does.

    Args:
        p (float): Power before the channel mean. Defaults to 2.
        q (float): 1 for the L1 distance, else the power of the difference.
            Defaults to 1.
        loss_weight (float): Weight of the loss (the benchmark's beta=200).
            Defaults to 1.0.

    Example:
        >>> distill_losses = dict(
        ...     loss_ft=dict(type='FactorTransferLoss', loss_weight=200.0))
        >>> loss_forward_mappings = dict(
        ...     loss_ft=dict(
        ...         s_feature=dict(from_student=True, recorder='last',
        ...                        connector='ft_s'),
        ...         t_feature=dict(from_student=False, recorder='last',
        ...                        connector='ft_t')))
    """

    def __init__(self,
                 p: float = 2.0,
                 q: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.p = p
        self.q = q
        self.loss_weight = loss_weight

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Forward function.

        Args:
            s_feature (torch.Tensor): Student factor, (B, C_s, H_s, W_s).
            t_feature (torch.Tensor): Teacher factor, (B, C_t, H_t, W_t).
                Detached here.

        Returns:
            torch.Tensor: The weighted loss, a scalar.
        """
        if (s_feature.dim() != 4 or t_feature.dim() != 4
                or s_feature.shape[0] != t_feature.shape[0]):
            raise ValueError(
                'FactorTransferLoss expects s_feature and t_feature of '
                'shape (B, C, H, W) with the same B, got '
                f'{tuple(s_feature.shape)} and {tuple(t_feature.shape)}.')
        with autocast_off(s_feature.device):
            s_feature, t_feature = to_compute_dtype(s_feature,
                                                    t_feature.detach())
            s_feature, t_feature = pool_pair_to_smaller(s_feature, t_feature)
            diff = ft_factor(s_feature, self.p) - ft_factor(t_feature, self.p)
            if self.q == 1:
                loss = diff.abs().mean()
            else:
                loss = diff.pow(self.q).mean()
        return self.loss_weight * loss
