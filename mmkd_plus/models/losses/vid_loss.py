# Copyright (c) OpenMMLab. All rights reserved.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd_plus.ops.kd_functional import (autocast_off, compute_dtype,
                                         gaussian_nll, pool_pair_to_smaller)
from mmkd_plus.registry import MODELS

__all__ = ['VIDLoss']


@MODELS.register_module()
class VIDLoss(nn.Module):
    """Variational Information Distillation: Gaussian NLL of the teacher.

    "Variational Information Distillation for Knowledge Transfer" (Ahn et
    al., CVPR 2019), https://arxiv.org/abs/1904.05835.

    The teacher map ``t`` is modelled as a Gaussian whose mean ``mu`` is
    regressed from the student map (by a
    :class:`~mmkd_plus.models.architectures.connectors.VIDRegressorConnector`
    on the student side) and whose variance is learnt per channel,
    ``var_c = softplus(alpha_c) + eps``, held here. The loss is the mean
    over all elements of ``0.5 * ((mu - t) ** 2 / var + log var)`` (the
    negative log-likelihood without its constant). Semantics of the CRD
    benchmark's implementation (``distiller_zoo/VID.py`` of
    https://github.com/HobbitLong/RepDistiller, from the authors' code),
    which uses one loss per stage output (``feat[1:-1]``), summed, weight 1.
    ``alpha`` starts where the variance equals ``init_pred_var`` (5), as
    there, and is trained with the student (the loss is a module of the
    distiller, so its parameter is optimised with the architecture's).

    When ``mu`` and ``t`` differ in spatial size, the larger is
    adaptive-average-pooled to the smaller. RepDistiller pools the
    student's *input* to the regressor instead; the two agree when the
    teacher map is the larger one. To reproduce the reference exactly when
    the student map is larger, give the connector
    ``pool_size=(H_t, W_t)``.

    Args:
        num_channels (int): Channels of the teacher map (C_t), one
            variance each.
        init_pred_var (float): Initial variance. Defaults to 5.0.
        eps (float): Lower bound added to the variance. Defaults to 1e-5.
        loss_weight (float): Weight of loss. Defaults to 1.0.

    Example:
        >>> # one instance per stage; student 64 ch -> teacher 256 ch
        >>> connectors = dict(
        ...     vid_s3=dict(type='VIDRegressorConnector', in_channels=64,
        ...                 out_channels=256))
        >>> distill_losses = dict(
        ...     loss_vid_3=dict(type='VIDLoss', num_channels=256))
        >>> loss_forward_mappings = dict(
        ...     loss_vid_3=dict(
        ...         s_feature=dict(from_student=True, recorder='s_layer3',
        ...                        connector='vid_s3'),
        ...         t_feature=dict(from_student=False, recorder='t_layer3')))
    """

    def __init__(self,
                 num_channels: int,
                 init_pred_var: float = 5.0,
                 eps: float = 1e-5,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if init_pred_var <= eps:
            raise ValueError(
                f'VIDLoss needs init_pred_var > eps, got {init_pred_var} '
                f'and {eps}.')
        self.num_channels = num_channels
        self.init_pred_var = init_pred_var
        self.eps = eps
        self.loss_weight = loss_weight
        # softplus(alpha) + eps == init_pred_var; the inverse of softplus,
        # log(exp(v) - 1), written as v + log(1 - exp(-v)) to stay finite
        # for large v
        v = init_pred_var - eps
        self.alpha = nn.Parameter(
            torch.full((num_channels, ), v + math.log(-math.expm1(-v))))

    def pred_var(self) -> torch.Tensor:
        """The per-channel variance ``softplus(alpha) + eps``, shape (C,)."""
        return F.softplus(self.alpha) + self.eps

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Forward function.

        Args:
            s_feature (torch.Tensor): The predicted mean ``mu``: the student
                map after the regressor connector, shape (B, C_t, H, W).
            t_feature (torch.Tensor): Teacher map, shape (B, C_t, H', W').
                Detached here.

        Returns:
            torch.Tensor: The weighted loss, a scalar (fp32 or wider).
        """
        c = self.num_channels
        if (s_feature.dim() != 4 or t_feature.dim() != 4
                or s_feature.shape[0] != t_feature.shape[0]
                or s_feature.shape[1] != c or t_feature.shape[1] != c):
            raise ValueError(
                f'VIDLoss (num_channels={c}) expects s_feature, the '
                f'regressed mean, of shape (B, {c}, H, W) and t_feature of '
                f"shape (B, {c}, H', W') with the same batch size B, got "
                f'{tuple(s_feature.shape)} and {tuple(t_feature.shape)}.')
        dtype = compute_dtype(s_feature.dtype, t_feature.dtype,
                              self.alpha.dtype)
        with autocast_off(s_feature.device):
            mu, target = pool_pair_to_smaller(
                s_feature.to(dtype),
                t_feature.detach().to(dtype))
            var = self.pred_var().to(dtype).view(1, -1, 1, 1)
            loss = gaussian_nll(mu, target, var)
        return self.loss_weight * loss
