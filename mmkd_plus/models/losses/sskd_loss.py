# Copyright (c) OpenMMLab. All rights reserved.
"""The losses of SSKD (Xu et al., ECCV 2020).

"Knowledge Distillation Meets Self-Supervision",
https://arxiv.org/abs/2006.07114; semantics of the authors' code
(https://github.com/xuguodong03/SSKD), written afresh. Every input is a
multi-view batch: B images with V views each, interleaved (row ``i * V +
v``), view 0 the normal image; the data samples (packed by
:class:`~mmkd_plus.datasets.transforms.PackMultiViewInputs`) give V, the
class labels and the views' self-supervised labels. The student's loss is

    L = w_ce CE + w_kd L_kd + w_tf L_tf + w_ss L_ss

with one registered loss per distillation term (the CE is the student
head's own loss):

- ``L_kd`` = :class:`SSKDKLLoss` on the normal views (tau 4);
- ``L_tf`` = :class:`SSKDKLLoss` on the transformed views, keeping
  the samples selected by the teacher's rank of the class (ratio 1.0);
- ``L_ss`` = :class:`SSKDContrastiveLoss`, the KL between the teacher's
  and the student's similarity matrices (tau 0.5, ratio 0.75), or
  :class:`SSKDKLLoss` on the self-supervised classifier's logits for the
  rotation, jigsaw and exemplar tasks.

Each weight is the ``loss_weight`` of its term and is set nowhere else
(:data:`SSKD_WEIGHT_KEYS`); :func:`check_sskd_weights` refuses a config
whose top-level ``sskd_weights`` says otherwise.

:class:`SSKDHeadLoss` trains the teacher's head in stage 1.

Under DDP the losses equal one process's on the global batch: the
similarity matrices' columns are the normal views of every rank (gathered
with their gradients), the selection of transferred rows is made over every
rank's rows, and each rank's sum is divided by the global count of kept
rows times the number of ranks (DDP averages the ranks' gradients).
"""
from typing import Any, List, Mapping, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmkd_plus.ops.kd_functional import autocast_off, to_compute_dtype
from mmkd_plus.ops.sskd import (select_by_rank, soft_kl, split_views,
                                target_rank, view_similarity)
from mmkd_plus.registry import MODELS
from mmkd_plus.utils.dist import all_gather_rows, dist_info, gathered_sizes

__all__ = [
    'SSKDKLLoss', 'SSKDContrastiveLoss', 'SSKDHeadLoss', 'multi_view_targets',
    'SSKD_WEIGHT_KEYS', 'check_sskd_weights'
]

_VIEWS = ('normal', 'transformed', 'all')
_TARGETS = ('label', 'view_label')


def _all_gather(x: Tensor, grad: bool = False) -> Tensor:
    """``x`` of every rank, concatenated in rank order (itself alone
    without DDP); with ``grad`` the gradients flow back to each rank."""
    sizes = gathered_sizes(x)
    if len(set(sizes)) != 1:
        raise RuntimeError(
            'SSKD losses need the same batch size on every rank, got '
            f'{sizes}; keep the sampler\'s padding '
            '(DefaultSampler round_up=True).')
    return x if len(sizes) == 1 else all_gather_rows(x, grad=grad)


def _global_selection(rank: Tensor, ratio: float) -> Tuple[Tensor, float]:
    """Selective transfer over the rows of every rank: the mask of this
    rank's rows, and the denominator that makes the ranks' mean the
    global batch mean (kept rows of all ranks / number of ranks)."""
    me, world = dist_info()
    mask = select_by_rank(_all_gather(rank), ratio)
    n = rank.size(0)
    return mask[me * n:(me + 1) * n], float(mask.sum()) / world


def _normal_columns(z: Tensor, num_views: int,
                    grad: bool) -> Tuple[Tensor, int]:
    """The normal views of every rank and where this rank's begin."""
    me, _ = dist_info()
    normal = split_views(z, num_views)[:, 0]
    return _all_gather(normal, grad=grad), me * normal.size(0)


def _num_views(data_samples: List, rows: int, owner: str) -> int:
    if not data_samples or 'view_labels' not in data_samples[0]:
        raise ValueError(
            f'{owner} needs multi-view data samples (with view_labels): end '
            'the train pipeline with LabelledMultiView + PackMultiViewInputs '
            'and use the SSKDDistill algorithm.')
    num_views = int(data_samples[0].view_labels.numel())
    if rows != len(data_samples) * num_views:
        raise ValueError(
            f'{owner} got {rows} rows for {len(data_samples)} images of '
            f'{num_views} views each; expected {len(data_samples) * num_views}'
            ' (every view of every image, interleaved).')
    return num_views


def multi_view_targets(data_samples: List, target: str,
                       device: torch.device) -> Tensor:
    """Targets of every view, shape (B, V).

    Args:
        data_samples (list[DataSample]): B multi-view data samples.
        target (str): ``'label'`` (the class label, the same for every view)
            or ``'view_label'`` (each view's self-supervised label).
        device (torch.device): Where to put them.

    Returns:
        Tensor: Long tensor (B, V).
    """
    views = torch.stack([ds.view_labels.reshape(-1) for ds in data_samples])
    if target == 'view_label':
        return views.to(device)
    labels = torch.cat([ds.gt_label.reshape(-1)[:1] for ds in data_samples])
    return labels.view(-1, 1).expand_as(views).to(device)


def _source_index(batch: int, num_views: int, device: torch.device) -> Tensor:
    """The target column (source image) of each row of the similarity
    matrix: i for each of the V - 1 transformed views of image i."""
    return torch.arange(batch, device=device).repeat_interleave(num_views - 1)


def _select_views(x: Tensor, views: str) -> Tensor:
    """(B, V, ...) -> the rows of ``views``, flattened to (N, ...)."""
    if views == 'normal':
        return x[:, 0]
    if views == 'transformed':
        return x[:, 1:].flatten(0, 1)
    return x.flatten(0, 1)


@MODELS.register_module()
class SSKDKLLoss(nn.Module):
    """Temperature KD on some views of a multi-view batch, with selection.

    ``loss_weight * tau^2 * KL(softmax(t / tau) || softmax(s / tau))``,
    averaged over the rows used: the views ``views`` of every image, and,
    when ``select_ratio`` is set, only the rows kept by SSKD's selective
    transfer (:func:`~mmkd_plus.ops.sskd.selective_transfer_mask`: every
    row whose target the teacher ranks first, plus the least-wrong
    ``select_ratio`` of the others).

    SSKD uses it for L_kd (``views='normal'``, no selection), L_tf
    (``views='transformed'``, ``select_ratio=1.0``, target the class) and,
    for the classification self-supervised tasks, L_ss on the head's logits
    (``views='all'``, ``target='view_label'``, ``select_ratio=0.75``).

    Args:
        tau (float): Temperature. Defaults to 4.0.
        views (str): ``'normal'``, ``'transformed'`` or ``'all'``.
            Defaults to ``'normal'``.
        select_ratio (float, optional): Fraction of the teacher's wrong rows
            to keep. Defaults to None (keep every row).
        target (str): What the teacher's rank is computed for: ``'label'``
            (the class) or ``'view_label'`` (the self-supervised label).
            Defaults to ``'label'``.
        loss_weight (float): Weight of the term. Defaults to 1.0.
    """

    def __init__(self,
                 tau: float = 4.0,
                 views: str = 'normal',
                 select_ratio: Optional[float] = None,
                 target: str = 'label',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if views not in _VIEWS:
            raise ValueError(f'SSKDKLLoss.views must be one of {_VIEWS}, '
                             f'got {views!r}')
        if target not in _TARGETS:
            raise ValueError(f'SSKDKLLoss.target must be one of {_TARGETS}, '
                             f'got {target!r}')
        if select_ratio is not None and not 0.0 <= select_ratio <= 1.0:
            raise ValueError('SSKDKLLoss.select_ratio must be in [0, 1] or '
                             f'None, got {select_ratio}')
        self.tau = tau
        self.views = views
        self.select_ratio = select_ratio
        self.target = target
        self.loss_weight = loss_weight

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                data_samples: List) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student scores of every view, (B * V, K).
            preds_T (Tensor): Teacher scores of every view, (B * V, K).
            data_samples (list[DataSample]): The B multi-view data samples.

        Returns:
            Tensor: The weighted loss.
        """
        num_views = _num_views(data_samples, preds_S.size(0), 'SSKDKLLoss')
        with autocast_off(preds_S.device):
            s, t = to_compute_dtype(preds_S, preds_T.detach())
            s = _select_views(split_views(s, num_views), self.views)
            t = _select_views(split_views(t, num_views), self.views)
            mask = count = None
            if self.select_ratio is not None:
                target = _select_views(
                    multi_view_targets(data_samples, self.target, t.device),
                    self.views)
                mask, count = _global_selection(
                    target_rank(t, target), self.select_ratio)
            return self.loss_weight * soft_kl(s, t, self.tau, mask, count)


@MODELS.register_module()
class SSKDContrastiveLoss(nn.Module):
    """SSKD's L_ss: KL between the similarity matrices of the two networks.

    For each network, A = the cosine similarities between the head outputs
    of every transformed view (rows) and every normal view of the batch
    (columns, :func:`~mmkd_plus.ops.sskd.view_similarity`); the target of
    the row of view r of image i is column i. The loss is
    ``loss_weight * tau^2 * KL(softmax(A_T / tau) || softmax(A_S / tau))``
    over the rows kept by selective transfer on A_T (the teacher's rank of
    column i; ``select_ratio`` of the wrong rows are kept), averaged over
    them.

    Args:
        tau (float): Temperature. Defaults to 0.5.
        select_ratio (float, optional): Fraction of the teacher's wrong rows
            to keep. Defaults to 0.75; None keeps every row.
        loss_weight (float): Weight of the term. Defaults to 1.0.
    """

    def __init__(self,
                 tau: float = 0.5,
                 select_ratio: Optional[float] = 0.75,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if select_ratio is not None and not 0.0 <= select_ratio <= 1.0:
            raise ValueError('SSKDContrastiveLoss.select_ratio must be in '
                             f'[0, 1] or None, got {select_ratio}')
        self.tau = tau
        self.select_ratio = select_ratio
        self.loss_weight = loss_weight

    def forward(self, preds_S: Tensor, preds_T: Tensor,
                data_samples: List) -> Tensor:
        """Compute the loss.

        Args:
            preds_S (Tensor): Student head outputs, (B * V, D).
            preds_T (Tensor): Teacher head outputs, (B * V, D').
            data_samples (list[DataSample]): The B multi-view data samples.

        Returns:
            Tensor: The weighted loss.
        """
        num_views = _num_views(data_samples, preds_S.size(0),
                               'SSKDContrastiveLoss')
        with autocast_off(preds_S.device):
            s, t = to_compute_dtype(preds_S, preds_T.detach())
            normal_s, offset = _normal_columns(s, num_views, grad=True)
            normal_t, _ = _normal_columns(t, num_views, grad=False)
            a_s = view_similarity(s, num_views, normal_s)
            a_t = view_similarity(t, num_views, normal_t)
            mask = count = None
            if self.select_ratio is not None:
                target = offset + _source_index(
                    len(data_samples), num_views, a_t.device)
                mask, count = _global_selection(
                    target_rank(a_t, target), self.select_ratio)
            return self.loss_weight * soft_kl(a_s, a_t, self.tau, mask, count)


@MODELS.register_module()
class SSKDHeadLoss(nn.Module):
    """Stage 1 of SSKD: the cross-entropy that trains the teacher's head.

    - ``task='contrastive'``: CE over the rows of the similarity matrix A
      (transformed views against the batch's normal views), the target of
      the row of image i being column i; raw cosines, no temperature (the
      authors' code);
    - ``task='classification'``: CE of the head's logits of every view
      against the view's self-supervised label (rotation, jigsaw
      permutation or image index).

    Args:
        task (str): ``'contrastive'`` or ``'classification'``. Defaults to
            ``'contrastive'``.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self,
                 task: str = 'contrastive',
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if task not in ('contrastive', 'classification'):
            raise ValueError("SSKDHeadLoss.task must be 'contrastive' or "
                             f"'classification', got {task!r}")
        self.task = task
        self.loss_weight = loss_weight

    def forward(self, ss_out: Tensor, data_samples: List) -> Tensor:
        """Compute the loss.

        Args:
            ss_out (Tensor): Head outputs of every view, (B * V, D).
            data_samples (list[DataSample]): The B multi-view data samples.

        Returns:
            Tensor: The weighted loss.
        """
        num_views = _num_views(data_samples, ss_out.size(0), 'SSKDHeadLoss')
        with autocast_off(ss_out.device):
            (x, ) = to_compute_dtype(ss_out)
            if self.task == 'contrastive':
                normal, offset = _normal_columns(x, num_views, grad=True)
                scores = view_similarity(x, num_views, normal)
                target = offset + _source_index(
                    len(data_samples), num_views, x.device)
            else:
                scores = x
                target = multi_view_targets(data_samples, 'view_label',
                                            x.device).reshape(-1)
            return self.loss_weight * F.cross_entropy(scores, target)


#: Where each weight of ``L = ce CE + kd L_kd + tf L_tf + ss L_ss`` lives in
#: an SSKD stage-2 config: the ``loss_weight`` of its own term.
SSKD_WEIGHT_KEYS = {
    'ce': 'model.architecture.head.loss.loss_weight',
    'kd': 'model.distiller.distill_losses.loss_kd.loss_weight',
    'tf': 'model.distiller.distill_losses.loss_tf.loss_weight',
    'ss': 'model.distiller.distill_losses.loss_ss.loss_weight',
}


def _configured_weight(cfg: Any, key: str) -> Optional[Any]:
    """The value at dotted ``key`` in ``cfg``; a loss dict without
    ``loss_weight`` weighs 1.0 (every loss's default), a missing loss
    None."""
    *parents, leaf = key.split('.')
    node = cfg
    for part in parents:
        node = node.get(part) if hasattr(node, 'get') else None
        if node is None:
            return None
    return node.get(leaf, 1.0) if isinstance(node, Mapping) else None


def _weight_problem(cfg: Any, term: str, value: Any) -> Optional[str]:
    """Why ``sskd_weights.<term>=value`` disagrees with ``cfg``, or None."""
    key = SSKD_WEIGHT_KEYS.get(term)
    if key is None:
        return (f'sskd_weights.{term}={value!r} names no term (one of '
                f'{", ".join(SSKD_WEIGHT_KEYS)})')
    actual = _configured_weight(cfg, key)
    try:
        if actual is not None and float(actual) == float(value):
            return None
    except (TypeError, ValueError):
        pass
    return f'sskd_weights.{term}={value!r} but {key}={actual!r}'


def check_sskd_weights(cfg: Any) -> None:
    """Refuse a top-level ``sskd_weights`` that the losses do not follow.

    SSKD's weights are the losses' ``loss_weight`` (:data:`SSKD_WEIGHT_KEYS`)
    and nothing else. A top-level ``sskd_weights`` (the variable of older
    recipes, kept by a copied config, or created by ``--cfg-options
    sskd_weights.tf=3.0``) is read by no component: when one of its entries
    differs from the loss weight of its term, or names no term, this raises
    one error naming both keys of every such entry.

    Args:
        cfg (Config | dict): The whole config, after the command-line
            options are merged.

    Raises:
        ValueError: ``sskd_weights`` disagrees with the losses' weights.
    """
    weights = cfg.get('sskd_weights')
    if weights is None:
        return
    if isinstance(weights, Mapping):
        problems = [
            _weight_problem(cfg, term, value)
            for term, value in weights.items()
        ]
    else:
        problems = [f'sskd_weights={weights!r} names no term']
    problems = [p for p in problems if p is not None]
    if problems:
        terms = ', '.join(f'{t}: {k}' for t, k in SSKD_WEIGHT_KEYS.items())
        raise ValueError(
            'The top-level sskd_weights is read by nothing and disagrees '
            f'with the loss weights: {"; ".join(problems)}. Each SSKD '
            f'weight is the loss_weight of its term ({terms}): set that '
            'key (e.g. --cfg-options model.distiller.distill_losses.'
            'loss_tf.loss_weight=3.0) and delete sskd_weights.')
