# Copyright (c) OpenMMLab. All rights reserved.
"""A classification head with MFD's adversarial-debiasing baseline."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import LinearClsHead

from mmkd_plus.models.losses.mfd_loss import labels_and_groups
from mmkd_plus.ops.gradient_reversal import grad_reverse
from mmkd_plus.registry import PRETRAIN_MODELS

__all__ = ['AdversarialClsHead']


@PRETRAIN_MODELS.register_module()
class AdversarialClsHead(LinearClsHead):
    """``LinearClsHead`` plus one group adversary per class behind a
    gradient-reversal layer (adversarial debiasing, "AD").

    "Mitigating Unwanted Biases with Adversarial Learning" (Zhang, Lemoine
    and Mitchell, AIES 2018, https://arxiv.org/abs/1801.07593), in the
    equalised-odds form of the MFD code's ``adv_debiasing`` baseline
    (https://arxiv.org/abs/2106.04411; written afresh): for each class y, an
    MLP (num_classes -> ``hidden`` -> num_groups, ReLU) sees the logits of
    the samples of class y and predicts their group. Its cross-entropy,
    summed over the classes in the batch, is added to the loss as
    ``loss_adv``; the logits pass a gradient-reversal layer first
    (:func:`~mmkd_plus.ops.grad_reverse`), so one backward pass trains the
    adversaries to find the group and the network, with factor
    ``reverse_scale``, to hide it.

    The adversaries live in ``head.adversaries`` (one child per class):
    the MFD code trains each with its own Adam (lr 3e-4) and
    ``ReduceLROnPlateau`` on its test loss, which
    ``configs/_base_/schedules/adam_plateau_50e_ad.py`` reproduces with
    :class:`~mmkd_plus.engine.ModuleGroupsOptimWrapperConstructor` (one
    parameter group per class adversary in the model's Adam) and
    :class:`~mmkd_plus.engine.PerGroupReduceOnPlateauLR`. Groups come from
    the data samples (``group``).

    Prediction is the plain linear head's; when the data samples carry
    ``gt_label`` and ``group`` (validation and test), each also gets
    ``adv_loss``: the cross-entropy of its class's adversary predicting its
    group, from which :class:`~mmkd_plus.evaluation.FairnessMetric`
    reports each class adversary's test loss (``adv_loss_c{y}``) for that
    adversary's plateau schedule.

    Args:
        num_groups (int): Number of sensitive groups.
        hidden (int): Hidden units of each adversary. Defaults to 32.
        reverse_scale (float): The reversed gradient's factor, the
            adversary's strength on the network (λ of the MFD supplement's
            Table 1: 0.001 CIFAR-10S, 0.01 UTKFace, 10 CelebA; the code's
            default 2.0). Defaults to 2.0.
        adv_loss_weight (float): Weight of ``loss_adv``. Defaults to 1.0.
        **kwargs: The arguments of ``LinearClsHead`` (``num_classes``,
            ``in_channels``, ``loss``, ...).
    """

    def __init__(self,
                 num_groups: int,
                 hidden: int = 32,
                 reverse_scale: float = 2.0,
                 adv_loss_weight: float = 1.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if num_groups < 2:
            raise ValueError(
                f'AdversarialClsHead: num_groups must be >= 2, got '
                f'{num_groups}.')
        self.num_groups = num_groups
        self.reverse_scale = reverse_scale
        self.adv_loss_weight = adv_loss_weight
        self.adversaries = nn.ModuleList(
            nn.Sequential(
                nn.Linear(self.num_classes, hidden), nn.ReLU(),
                nn.Linear(hidden, num_groups))
            for _ in range(self.num_classes))

    def adversary_loss(self, cls_score: torch.Tensor,
                       data_samples: List) -> torch.Tensor:
        """The adversaries' cross-entropy, summed over the batch's classes.

        Args:
            cls_score (Tensor): (B, num_classes) logits.
            data_samples (list[DataSample]): With ``gt_label`` and
                ``group``.
        """
        labels, groups = labels_and_groups(data_samples, cls_score.device,
                                           'AdversarialClsHead')
        nll = self._adversary_nll(
            grad_reverse(cls_score, self.reverse_scale), labels, groups)
        return sum(nll[labels == y].mean() for y in labels.unique())

    def _adversary_nll(self, cls_score: torch.Tensor, labels: torch.Tensor,
                       groups: torch.Tensor) -> torch.Tensor:
        """Each sample's cross-entropy of its class's adversary predicting
        its group, shape (B, ), in fp32."""
        nll = torch.empty(
            len(labels), device=cls_score.device, dtype=torch.float32)
        for y in labels.unique():
            mask = labels == y
            logits = self.adversaries[int(y)](cls_score[mask])
            nll[mask] = F.cross_entropy(
                logits, groups[mask], reduction='none').float()
        return nll

    def loss(self, feats: Tuple[torch.Tensor], data_samples: List,
             **kwargs) -> Dict[str, torch.Tensor]:
        """The classification loss and ``loss_adv``."""
        cls_score = self(feats)
        losses = self._get_loss(cls_score, data_samples, **kwargs)
        losses['loss_adv'] = self.adv_loss_weight * self.adversary_loss(
            cls_score, data_samples)
        return losses

    def predict(self,
                feats: Tuple[torch.Tensor],
                data_samples: Optional[List] = None) -> List:
        """The linear head's predictions; samples with ``gt_label`` and
        ``group`` also get ``adv_loss`` (their class adversary's
        cross-entropy on their group)."""
        cls_score = self(feats)
        predictions = self._get_predictions(cls_score, data_samples)
        if data_samples is not None:
            self._add_adversary_losses(cls_score, predictions)
        return predictions

    @torch.no_grad()
    def _add_adversary_losses(self, cls_score: torch.Tensor,
                              samples: List) -> None:
        rows = [
            i for i, s in enumerate(samples)
            if 'gt_label' in s and 'group' in s
        ]
        if not rows:
            return
        labels = torch.tensor(
            [int(samples[i].gt_label.reshape(-1)[0]) for i in rows],
            device=cls_score.device)
        groups = torch.tensor([int(samples[i].group) for i in rows],
                              device=cls_score.device)
        nll = self._adversary_nll(cls_score[rows], labels, groups)
        for row, value in zip(rows, nll):
            samples[row].set_field(value.detach(), 'adv_loss')
