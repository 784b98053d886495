# Copyright (c) OpenMMLab. All rights reserved.
"""MFD: the group-conditional MMD between student and teacher features."""
from typing import List, Optional

import torch
import torch.nn as nn
from torch import Tensor

from mmkd_plus.ops.mmd import (mean_squared_distance, mmd2, poly_kernel,
                               rbf_kernel)
from mmkd_plus.registry import MODELS

__all__ = ['MFDLoss', 'labels_and_groups']


def labels_and_groups(data_samples: List, device: torch.device,
                      owner: str) -> tuple:
    """``(gt_label, group)`` of a batch of mmpretrain data samples.

    Raises:
        ValueError: a sample has no ``group``; the message says how to
            pack one.
    """
    if data_samples is None:
        raise ValueError(f'{owner} needs the batch\'s data samples (map '
                         '`data_samples` to a recorder of the student head\'s '
                         'loss inputs, as configs/mfd/_base_mfd.py does).')
    labels, groups = [], []
    for sample in data_samples:
        if 'group' not in sample:
            raise ValueError(
                f'{owner}: a training sample has no sensitive group label '
                '("group"). Train on a dataset that gives one (CIFAR10S, '
                'DigitsS, UTKFace, CelebA) and pack it with '
                "dict(type='PackInputs', algorithm_keys=('group', )).")
        labels.append(int(sample.gt_label.reshape(-1)[0]))
        groups.append(int(sample.group))
    return (torch.tensor(labels, device=device),
            torch.tensor(groups, device=device))


@MODELS.register_module()
class MFDLoss(nn.Module):
    """Fair feature distillation: pull every student group-conditional
    feature distribution towards the teacher's class-conditional one.

    "Fair Feature Distillation for Visual Recognition" (Jung, Lee, Park and
    Moon, CVPR 2021), https://arxiv.org/abs/2106.04411; the semantics of the
    authors' public code, written afresh. For a batch with teacher features
    t, student features s, labels y and groups a:

    .. math::

        L = w \\sum_{y} \\sum_{a} \\mathrm{MMD}^2(\\{t_i: y_i = y\\},
            \\{s_i: y_i = y, a_i = a\\})

    over the (y, a) cells present in the batch (empty cells are skipped),
    with the biased MMD² (diagonals included). The teacher side holds every
    group of class y. Kernels:

    - ``'rbf'``: ``exp(-||u - v||² / (2 sigma d))`` with d the mean squared
      distance between every teacher and every student feature of the
      batch, computed once without gradient and shared by every cell;
    - ``'poly'``: ``(u . v)²`` of L2-normalised features.

    The paper's total loss is CE + (λ/2) Σ MMD² with λ = 3 (CIFAR-10S,
    UTKFace) or 7 (CelebA): set ``loss_weight`` to λ/2.

    The features are (B, D) (flatten maps with
    :class:`~mmkd_plus.models.architectures.connectors.MMDFeatureConnector`);
    labels and groups come from the batch's data samples (``gt_label``,
    ``group``).

    MFD trains on batches balanced over the (class, group) cells (the
    authors' code runs MFD only with its ``--labelwise`` sampler): every
    cell weighs the same in the sum, however few samples it has, so in a
    plain shuffled batch a 1-sample cell pulls its one feature as hard as a
    full cell pulls all of its own. The first batch seen in training is
    therefore checked: its largest cell may hold at most twice the samples
    of its smallest (the authors' sampler, cut into batches of 128, gives
    6 to 12; :class:`~mmkd_plus.datasets.GroupBalancedBatchSampler` gives
    equal cells, on every rank under DDP). Otherwise a ``ValueError``
    names ``train_dataloader.batch_sampler``; ``require_balanced=False``
    trains on such batches deliberately.

    Args:
        sigma (float): The RBF bandwidth's factor. Defaults to 1.0.
        kernel (str): ``'rbf'`` or ``'poly'``. Defaults to ``'rbf'``.
        loss_weight (float): w = λ/2. Defaults to 1.5 (λ = 3).
        require_balanced (bool): Check the first training batch's cells
            (see above). Defaults to True.
    """

    def __init__(self,
                 sigma: float = 1.0,
                 kernel: str = 'rbf',
                 loss_weight: float = 1.5,
                 require_balanced: bool = True) -> None:
        super().__init__()
        if kernel not in ('rbf', 'poly'):
            raise ValueError("MFDLoss: kernel must be 'rbf' or 'poly', got "
                             f'{kernel!r}.')
        if sigma <= 0:
            raise ValueError(f'MFDLoss: sigma must be > 0, got {sigma}.')
        self.sigma = sigma
        self.kernel = kernel
        self.loss_weight = loss_weight
        self.require_balanced = require_balanced
        self._balance_checked = False

    def _check_balance(self, labels: Tensor, groups: Tensor) -> None:
        """Refuse a first training batch whose cells are far from equal."""
        self._balance_checked = True
        _, counts = torch.unique(
            torch.stack([labels, groups], dim=1), dim=0, return_counts=True)
        smallest, largest = int(counts.min()), int(counts.max())
        if largest <= 2 * smallest:
            return
        raise ValueError(
            'MFDLoss: the first training batch is not balanced over the '
            f'(class, group) cells: its {len(counts)} cells hold {smallest} '
            f'to {largest} samples. MFD trains on group-balanced batches '
            '(every cell weighs the same in its loss): set '
            "train_dataloader.batch_sampler=dict(type="
            "'GroupBalancedBatchSampler') (the configs in configs/mfd/ "
            'do), or MFDLoss(require_balanced=False) to train on these '
            'batches deliberately.')

    def _kernel(self, x: Tensor, y: Tensor,
                bandwidth: Optional[Tensor]) -> Tensor:
        if self.kernel == 'rbf':
            return rbf_kernel(x, y, bandwidth)
        return poly_kernel(x, y)

    def forward(self, s_feature: Tensor, t_feature: Tensor,
                data_samples: List) -> Tensor:
        """The weighted sum of the per-cell MMD².

        Args:
            s_feature (Tensor): Student features, (B, D) or (B, ...).
            t_feature (Tensor): Teacher features, same shape (detached).
            data_samples (list[DataSample]): The batch's samples, with
                ``gt_label`` and ``group``.

        Returns:
            Tensor: A scalar.
        """
        s = s_feature.flatten(1)
        t = t_feature.detach().flatten(1).to(s.dtype)
        if s.shape != t.shape:
            raise ValueError(
                'MFDLoss: student and teacher features must have the same '
                f'shape, got {tuple(s.shape)} and {tuple(t.shape)}; MFD '
                'distils between networks of the same architecture.')
        labels, groups = labels_and_groups(data_samples, s.device, 'MFDLoss')
        if len(labels) != len(s):
            raise ValueError(f'MFDLoss: {len(s)} features but '
                             f'{len(labels)} data samples.')
        if (self.require_balanced and self.training
                and not self._balance_checked):
            self._check_balance(labels, groups)
        bandwidth = None
        if self.kernel == 'rbf':
            bandwidth = (self.sigma * mean_squared_distance(t, s)).clamp_min(
                torch.finfo(torch.float32).tiny)
        total = s.new_zeros(())
        for y in labels.unique():
            t_y = t[labels == y]
            k_tt = self._kernel(t_y, t_y, bandwidth)
            for a in groups.unique():
                cell = (labels == y) & (groups == a)
                if not bool(cell.any()):
                    continue
                s_ya = s[cell]
                total = total + mmd2(k_tt, self._kernel(s_ya, s_ya, bandwidth),
                                     self._kernel(t_y, s_ya, bandwidth))
        return self.loss_weight * total
