# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn

from mmkd_plus.ops.kd_functional import (autocast_off, fsp_matrix,
                                         pool_pair_to_smaller,
                                         to_compute_dtype)
from mmkd_plus.registry import MODELS

__all__ = ['FSPLoss']


@MODELS.register_module()
class FSPLoss(nn.Module):
    """Flow of Solution Procedure: match the Gram matrices of layer pairs.

    "A Gift From Knowledge Distillation: Fast Optimization, Network
    Minimization and Transfer Learning" (Yim et al., CVPR 2017),
    https://openaccess.thecvf.com/content_cvpr_2017/papers/Yim_A_Gift_From_CVPR_2017_paper.pdf.

    For two consecutive maps ``F_a`` (B, C, H, W) and ``F_b`` (B, C', H, W)
    of one network, the FSP matrix is ``G = (1 / HW) F_a^T F_b`` (C x C',
    per sample). The loss is the mean squared difference of the student's
    and the teacher's matrices. Within each network, when the two maps
    differ in spatial size, the larger is adaptive-average-pooled to the
    smaller; the student and teacher may differ in spatial size, but their
    channel counts must match pairwise (``C_s == C_t`` and
    ``C'_s == C'_t``). Semantics of the CRD benchmark's implementation
    (``distiller_zoo/FSP.py`` of https://github.com/HobbitLong/RepDistiller),
    which uses one such loss per consecutive pair of ``feat[:-1]``, summed,
    and only in its 30-epoch init stage (then CE only).

    Args:
        loss_weight (float): Weight of loss. Defaults to 1.0.

    Example:
        >>> distill_losses = dict(
        ...     loss_fsp_12=dict(type='FSPLoss', loss_weight=1.0))
        >>> loss_forward_mappings = dict(
        ...     loss_fsp_12=dict(
        ...         s_feature_a=dict(from_student=True, recorder='s_layer1'),
        ...         s_feature_b=dict(from_student=True, recorder='s_layer2'),
        ...         t_feature_a=dict(from_student=False, recorder='t_layer1'),
        ...         t_feature_b=dict(from_student=False,
        ...                          recorder='t_layer2')))
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, s_feature_a: torch.Tensor, s_feature_b: torch.Tensor,
                t_feature_a: torch.Tensor,
                t_feature_b: torch.Tensor) -> torch.Tensor:
        """Forward function.

        Args:
            s_feature_a (torch.Tensor): The earlier student map,
                shape (B, C, H_s, W_s).
            s_feature_b (torch.Tensor): The next student map,
                shape (B, C', H'_s, W'_s).
            t_feature_a (torch.Tensor): The earlier teacher map,
                shape (B, C, H_t, W_t). Detached here.
            t_feature_b (torch.Tensor): The next teacher map,
                shape (B, C', H'_t, W'_t). Detached here.

        Returns:
            torch.Tensor: The weighted loss, a scalar (fp32 or wider).
        """
        feats = (s_feature_a, s_feature_b, t_feature_a, t_feature_b)
        shapes = ', '.join(str(tuple(f.shape)) for f in feats)
        batch_sizes = {f.shape[0] for f in feats}
        if any(f.dim() != 4 for f in feats) or len(batch_sizes) != 1:
            raise ValueError(
                'FSPLoss expects four (B, C, H, W) maps with the same batch '
                'size B (s_feature_a, s_feature_b, t_feature_a, '
                f't_feature_b), got {shapes}.')
        if (s_feature_a.shape[1] != t_feature_a.shape[1]
                or s_feature_b.shape[1] != t_feature_b.shape[1]):
            raise ValueError(
                'FSPLoss needs equal channel counts in the student and '
                'teacher pairs: s_feature_a (B, C, ...) with t_feature_a '
                "(B, C, ...) and s_feature_b (B, C', ...) with t_feature_b "
                f"(B, C', ...), got {shapes}.")
        with autocast_off(s_feature_a.device):
            s_a, s_b, t_a, t_b = to_compute_dtype(s_feature_a, s_feature_b,
                                                  t_feature_a.detach(),
                                                  t_feature_b.detach())
            g_s = fsp_matrix(*pool_pair_to_smaller(s_a, s_b))
            g_t = fsp_matrix(*pool_pair_to_smaller(t_a, t_b))
            loss = (g_s - g_t).pow(2).mean()
        return self.loss_weight * loss
