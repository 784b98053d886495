# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn

from mmkd_plus.ops.kd_functional import (autocast_off, pkt_divergence,
                                         pkt_probabilities, to_compute_dtype)
from mmkd_plus.registry import MODELS

__all__ = ['PKTLoss']


@MODELS.register_module()
class PKTLoss(nn.Module):
    """Probabilistic Knowledge Transfer on pooled feature vectors.

    "Learning Deep Representations with Probabilistic Knowledge Transfer"
    (Passalis & Tefas, ECCV 2018), https://arxiv.org/abs/1803.10837.

    Each sample's vector is divided by ``norm + eps``; the batch's cosine
    similarities are mapped to [0, 1] by ``(cos + 1) / 2`` and each row is
    divided by its sum, giving conditional probabilities ``P`` (B x B) for
    the student and the teacher. The loss is
    ``mean(P_t * log((P_t + eps) / (P_s + eps)))`` over all B*B entries
    (a KL divergence summed over rows, divided by B*B). Semantics of the
    CRD benchmark's implementation (``distiller_zoo/PKT.py`` of
    https://github.com/HobbitLong/RepDistiller, from the authors' code),
    applied there to the pooled vector ``feat[-1]`` with weight 30000.
    Student and teacher dimensions may differ.

    Args:
        eps (float): Added to the vector norms and inside the log, as in
            the reference. Defaults to 1e-7.
        loss_weight (float): Weight of loss. Defaults to 1.0.

    Example:
        >>> distill_losses = dict(
        ...     loss_pkt=dict(type='PKTLoss', loss_weight=30000.0))
        >>> loss_forward_mappings = dict(
        ...     loss_pkt=dict(
        ...         s_feature=dict(from_student=True, recorder='s_gap'),
        ...         t_feature=dict(from_student=False, recorder='t_gap')))
    """

    def __init__(self, eps: float = 1e-7, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.eps = eps
        self.loss_weight = loss_weight

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Forward function.

        Args:
            s_feature (torch.Tensor): Student vectors, shape (B, D_s); any
                (B, ...) tensor, e.g. a pooled (B, C, 1, 1) map, is
                flattened to (B, D_s).
            t_feature (torch.Tensor): Teacher vectors, shape (B, D_t) or
                (B, ...). Detached here.

        Returns:
            torch.Tensor: The weighted loss, a scalar (fp32 or wider).
        """
        if (s_feature.dim() < 2 or t_feature.dim() < 2
                or s_feature.shape[0] != t_feature.shape[0]):
            raise ValueError(
                'PKTLoss expects s_feature (B, D_s) and t_feature (B, D_t) '
                '(or (B, ...) tensors, flattened) with the same batch size '
                f'B, got {tuple(s_feature.shape)} and '
                f'{tuple(t_feature.shape)}.')
        with autocast_off(s_feature.device):
            s_feature, t_feature = to_compute_dtype(
                s_feature.flatten(1),
                t_feature.detach().flatten(1))
            p_s = pkt_probabilities(s_feature, self.eps)
            p_t = pkt_probabilities(t_feature, self.eps)
            loss = pkt_divergence(p_s, p_t, self.eps)
        return self.loss_weight * loss
