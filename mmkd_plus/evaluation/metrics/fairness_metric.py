# Copyright (c) OpenMMLab. All rights reserved.
"""Accuracy and equal-opportunity gaps between sensitive groups."""
import logging
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmkd_plus.registry import METRICS

__all__ = [
    'FairnessMetric', 'group_class_accuracy', 'degenerate_predictions'
]


def group_class_accuracy(pred: np.ndarray, gt: np.ndarray, group: np.ndarray,
                         num_groups: int, num_classes: int) -> np.ndarray:
    """acc[a, y] = P(pred = y | gt = y, group = a), NaN for an empty cell.

    Args:
        pred, gt, group (np.ndarray): Integer arrays of the same length.
        num_groups (int): A (rows).
        num_classes (int): Y (columns).

    Returns:
        np.ndarray: float64, shape (A, Y), in [0, 1] or NaN.
    """
    correct = np.zeros((num_groups, num_classes))
    count = np.zeros((num_groups, num_classes))
    np.add.at(count, (group, gt), 1)
    np.add.at(correct, (group, gt), pred == gt)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(count > 0, correct / np.maximum(count, 1), np.nan)


def _listed(items: List[str], limit: int = 8) -> str:
    more = len(items) - limit
    return ', '.join(items[:limit]) + (f' and {more} more'
                                       if more > 0 else '')


def degenerate_predictions(pred: np.ndarray, gt: np.ndarray,
                           group: np.ndarray, acc: np.ndarray) -> List[str]:
    """What makes DEO meaningless on these predictions, in words.

    Three cases: a group (with samples of several classes) whose samples
    are all predicted as one class, a class with test samples that is
    never predicted (0% in every group, so a gap of 0), and an empty
    (group, class) cell (its accuracy is undefined and left out).

    Args:
        pred, gt, group (np.ndarray): Integer arrays of the same length.
        acc (np.ndarray): :func:`group_class_accuracy` of them, (A, Y).

    Returns:
        list[str]: One phrase per kind of problem found (empty if none).
    """
    problems = []
    for a in range(acc.shape[0]):
        mine = group == a
        predicted = np.unique(pred[mine])
        if len(predicted) == 1 and len(np.unique(gt[mine])) > 1:
            problems.append(f'every sample of group {a} ({int(mine.sum())}) '
                            f'is predicted as class {int(predicted[0])}')
    never = [int(y) for y in np.unique(gt) if not np.any(pred == y)]
    if never:
        problems.append(
            f'class{"es" * (len(never) > 1)} '
            f'{_listed([str(y) for y in never])} never predicted (0% in '
            'every group: a gap of 0)')
    empty = [f'acc_g{a}_c{y}' for a, y in zip(*np.nonzero(np.isnan(acc)))]
    if empty:
        problems.append(
            f'{len(empty)} empty (group, class) cell'
            f'{"s" * (len(empty) > 1)} ({_listed(empty)}): no test sample, '
            'so no accuracy, left out of the gaps')
    return problems


@METRICS.register_module()
class FairnessMetric(BaseMetric):
    """Top-1, per-(group, class) accuracy and the DEO gaps of MFD.

    "Fair Feature Distillation for Visual Recognition" (Jung et al., CVPR
    2021, https://arxiv.org/abs/2106.04411). With acc(a, y) the accuracy on
    the samples of class y and group a (the true-positive rate of y in
    group a):

    - ``DEO_M`` = max over y of (max_a acc(a, y) - min_a acc(a, y));
    - ``DEO_A`` = the mean over y of the same gap,

    both in %, over the classes that have samples of at least two groups.

    DEO compares accuracies class by class, so it cannot see degenerate
    predictions: a model that predicts one class for every sample has, in
    every group, 100% on that class and 0% on the others, hence DEO 0.00
    ("perfectly fair") at chance-level top-1; a class never predicted adds
    a gap of 0, and a class whose cells are empty in all groups but one adds
    nothing. When a group's samples are all predicted as one class, a class
    is never predicted or a (group, class) cell is empty,
    :meth:`compute_metrics` logs one warning per evaluation naming them:
    DEO then measures those predictions, not fairness; read it with
    ``top1`` and the cells.
    Also ``top1`` (%), ``acc_g{a}_c{y}`` (%) for every non-empty cell and,
    when the model gives scores, ``loss``: the mean cross-entropy of the
    predicted scores (MFD's plateau schedule steps on it). When the model
    is adversarial debiasing's (an ``AdversarialClsHead`` puts each
    sample's ``adv_loss`` in its data sample): ``adv_loss_c{y}``, the mean
    cross-entropy of class y's group adversary over the samples of class y
    (the MFD code steps a plateau schedule per class adversary on it), and
    ``adv_loss``, their mean over the classes.

    Every data sample must carry ``group`` (pack it with
    ``dict(type='PackInputs', algorithm_keys=('group', ))``). Under DDP,
    MMEngine gathers every rank's per-sample results before
    :meth:`compute_metrics`, so the gaps are computed on the whole test
    set, never averaged over ranks.

    Args:
        num_groups (int, optional): Number of groups. Defaults to the
            dataset's ``groups`` metainfo, else the largest seen + 1.
        num_classes (int, optional): Number of classes. Defaults to the
            dataset's ``classes``, else the largest seen + 1.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Defaults to ``'fairness'``.
    """
    default_prefix: Optional[str] = 'fairness'

    def __init__(self,
                 num_groups: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_groups = num_groups
        self.num_classes = num_classes

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the prediction, label, group (and score) of each sample."""
        for sample in data_samples:
            if 'group' not in sample:
                raise ValueError(
                    'FairnessMetric: a data sample has no sensitive group '
                    'label ("group"). The val/test dataset must give one '
                    '(CIFAR10S, DigitsS, UTKFace, CelebA) and its pipeline '
                    "must pack it: dict(type='PackInputs', "
                    "algorithm_keys=('group', )).")
            result = dict(
                gt_label=int(sample['gt_label'].reshape(-1)[0]),
                group=int(sample['group']))
            score = sample.get('pred_score')
            if score is not None:
                score = score.detach().float().cpu()
                result['pred_label'] = int(score.argmax())
                gt = result['gt_label']
                result['nll'] = float(-torch.log(score[gt].clamp_min(1e-12)))
            else:
                result['pred_label'] = int(sample['pred_label'].reshape(-1)[0])
            if 'adv_loss' in sample:
                result['adv_nll'] = float(sample['adv_loss'])
            self.results.append(result)

    def _size(self, key: str, meta_key: str, values: np.ndarray) -> int:
        given = getattr(self, key)
        if given is not None:
            return given
        meta = (self.dataset_meta or {}).get(meta_key)
        return len(meta) if meta else int(values.max()) + 1

    def compute_metrics(self, results: List[dict]) -> dict:
        """Top-1, the cell accuracies, DEO_M, DEO_A (and the losses)."""
        pred = np.array([r['pred_label'] for r in results], dtype=np.int64)
        gt = np.array([r['gt_label'] for r in results], dtype=np.int64)
        group = np.array([r['group'] for r in results], dtype=np.int64)
        num_groups = self._size('num_groups', 'groups', group)
        num_classes = self._size('num_classes', 'classes', gt)
        acc = group_class_accuracy(pred, gt, group, num_groups, num_classes)
        metrics = dict(top1=100.0 * float((pred == gt).mean()))
        gaps = [
            np.nanmax(col) - np.nanmin(col) for col in acc.T
            if np.count_nonzero(~np.isnan(col)) >= 2
        ]
        if not gaps:
            raise ValueError(
                'FairnessMetric: no class has test samples of two groups, '
                'so no accuracy gap can be measured; check the groups of '
                'the val/test dataset.')
        metrics['DEO_M'] = 100.0 * float(np.max(gaps))
        metrics['DEO_A'] = 100.0 * float(np.mean(gaps))
        problems = degenerate_predictions(pred, gt, group, acc)
        if problems:
            print_log(
                f'FairnessMetric: DEO_M={metrics["DEO_M"]:.2f} and '
                f'DEO_A={metrics["DEO_A"]:.2f} do not measure fairness '
                'here: ' + '; '.join(problems) + '. DEO compares the '
                'accuracies of the groups class by class: a model that '
                'predicts one class gets 0.00. Read it with top1 '
                f'({metrics["top1"]:.2f}) and the acc_g*_c* cells.',
                logger='current',
                level=logging.WARNING)
        for a, y in zip(*np.nonzero(~np.isnan(acc))):
            metrics[f'acc_g{a}_c{y}'] = 100.0 * float(acc[a, y])
        if all('nll' in r for r in results):
            metrics['loss'] = float(np.mean([r['nll'] for r in results]))
        if all('adv_nll' in r for r in results):
            adv = np.array([r['adv_nll'] for r in results])
            per_class = {y: float(adv[gt == y].mean()) for y in np.unique(gt)}
            for y, value in per_class.items():
                metrics[f'adv_loss_c{y}'] = value
            metrics['adv_loss'] = float(np.mean(list(per_class.values())))
        return metrics
