# Copyright (c) OpenMMLab. All rights reserved.
import torch
import torch.nn as nn

from mmkd_plus.ops.kd_functional import (autocast_off, cc_consecutive_product,
                                         to_compute_dtype)
from mmkd_plus.registry import MODELS

__all__ = ['CCLoss']


@MODELS.register_module()
class CCLoss(nn.Module):
    """Correlation Congruence, as the CRD benchmark implements it.

    "Correlation Congruence for Knowledge Distillation" (Peng et al., ICCV
    2019), https://arxiv.org/abs/1904.01802.

    This is the variant of the CRD benchmark (``distiller_zoo/CC.py`` of
    https://github.com/HobbitLong/RepDistiller, code the CRD authors
    received from the CC authors), not the paper's kernel-based correlation
    matrix: with ``delta_i = |e_s(x_i) - e_t(x_i)|`` for the embeddings of
    the B samples in batch order, the loss is
    ``mean_{i < B} sum_d delta_i[d] * delta_{i+1}[d]``, over the B - 1
    consecutive pairs. The embeddings come from two
    :class:`~mmkd_plus.models.architectures.connectors.LinearEmbedConnector`
    (pooled feature ``feat[-1]`` -> Linear -> 128, no normalisation), one on
    each side; RepDistiller weights the loss by 0.02.

    Note:
        RepDistiller trains *both* embeddings with this loss: the teacher's
        features are detached, but the teacher-side embedding is trainable
        and receives this loss's gradient. So, unlike the other losses of
        this package, ``teacher_detach`` defaults to False: ``t_feature``
        is the teacher connector's output, and gradients flow into that
        connector. The teacher network itself gets none, because
        ``SingleTeacherDistill`` records it under ``torch.no_grad()`` (when
        ``teacher_trainable=False``, its default). Set
        ``teacher_detach=True`` to keep the teacher embedding fixed.

    A batch of one sample has no consecutive pair; the loss is then zero
    (still attached to the graph) rather than the reference's NaN.

    Args:
        teacher_detach (bool): Whether to detach ``t_feature``. Defaults to
            False (RepDistiller: the teacher embedding is trained).
        loss_weight (float): Weight of loss. Defaults to 1.0.

    Example:
        >>> distill_losses = dict(
        ...     loss_cc=dict(type='CCLoss', loss_weight=0.02))
        >>> connectors = dict(
        ...     cc_s=dict(type='LinearEmbedConnector', in_channels=256),
        ...     cc_t=dict(type='LinearEmbedConnector', in_channels=256))
        >>> loss_forward_mappings = dict(
        ...     loss_cc=dict(
        ...         s_feature=dict(
        ...             from_student=True, recorder='s_gap', connector='cc_s'),
        ...         t_feature=dict(
        ...             from_student=False, recorder='t_gap',
        ...             connector='cc_t')))
    """

    def __init__(self,
                 teacher_detach: bool = False,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        self.teacher_detach = teacher_detach
        self.loss_weight = loss_weight

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        """Forward function.

        Args:
            s_feature (torch.Tensor): Student embeddings, shape (B, D).
            t_feature (torch.Tensor): Teacher embeddings, shape (B, D).
                Detached only when ``teacher_detach=True``.

        Returns:
            torch.Tensor: The weighted loss, a scalar (fp32 or wider).
        """
        if s_feature.dim() != 2 or s_feature.shape != t_feature.shape:
            raise ValueError(
                'CCLoss expects s_feature and t_feature embeddings of the '
                'same shape (B, D), got '
                f'{tuple(s_feature.shape)} and {tuple(t_feature.shape)}.')
        if self.teacher_detach:
            t_feature = t_feature.detach()
        with autocast_off(s_feature.device):
            s_feature, t_feature = to_compute_dtype(s_feature, t_feature)
            if s_feature.shape[0] < 2:
                loss = s_feature.sum() * 0.
            else:
                loss = cc_consecutive_product(s_feature, t_feature)
        return self.loss_weight * loss
