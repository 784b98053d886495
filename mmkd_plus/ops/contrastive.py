# Copyright (c) OpenMMLab. All rights reserved.
"""Tensor functions of CRD's contrastive objective (no state, no registry).

"Contrastive Representation Distillation" (Tian, Krishnan & Isola, ICLR
2020), https://arxiv.org/abs/1910.10699. Semantics follow the CRD
benchmark's implementation (``crd/memory.py`` and ``crd/criterion.py`` of
https://github.com/HobbitLong/RepDistiller), written afresh:

- a score is ``h = exp(<m, a> / tau) / Z``: ``m`` a memory-bank row, ``a``
  the anchor embedding (both L2-normalised), ``tau`` the temperature and
  ``Z`` a constant estimated once, on the first batch, as
  ``mean(exp(<m, a> / tau)) * n_data`` (:func:`estimate_partition`);
- the NCE loss (:func:`crd_nce_loss`) uses the uniform noise distribution
  ``P_n = 1 / n_data`` over the ``N`` negatives of each anchor;
- the memory rows of the batch's samples are moved towards the new
  embeddings with momentum and re-normalised (:func:`momentum_update`).

Used by :class:`~mmkd_plus.models.losses.SyncCRDLoss`.
"""
import torch
from torch import Tensor

__all__ = [
    'contrast_exp_scores', 'estimate_partition', 'normalize_scores',
    'crd_nce_loss', 'momentum_update'
]


def contrast_exp_scores(memory_rows: Tensor, anchors: Tensor,
                        temperature: float) -> Tensor:
    """Unnormalised exponential scores of anchors against memory rows.

    Args:
        memory_rows (Tensor): The rows of the memory bank for every anchor,
            shape (B, K, D): the positive first, then the negatives.
        anchors (Tensor): The anchor embeddings, shape (B, D).
        temperature (float): The temperature ``tau`` (> 0).

    Returns:
        Tensor: ``exp(<memory_rows[b, k], anchors[b]> / tau)``, shape
        (B, K).
    """
    if memory_rows.dim() != 3 or anchors.dim() != 2 or (
            memory_rows.shape[0] != anchors.shape[0]
            or memory_rows.shape[2] != anchors.shape[1]):
        raise ValueError(
            'contrast_exp_scores expects memory_rows (B, K, D) and anchors '
            f'(B, D), got {tuple(memory_rows.shape)} and '
            f'{tuple(anchors.shape)}.')
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}.')
    dots = torch.bmm(memory_rows, anchors.unsqueeze(2)).squeeze(2)
    return torch.exp(dots / temperature)


def estimate_partition(exp_scores: Tensor, n_data: int) -> Tensor:
    """CRD's estimate of the normalisation constant ``Z``.

    ``Z = mean(exp_scores) * n_data``: the mean over every entry (positives
    and negatives) of the batch, scaled to the dataset size, so that the
    normalised scores average ``1 / n_data``, the noise probability.

    Args:
        exp_scores (Tensor): Unnormalised scores, any shape.
        n_data (int): The number of samples of the training set.

    Returns:
        Tensor: ``Z``, a detached scalar tensor.
    """
    return exp_scores.detach().mean() * float(n_data)


def normalize_scores(exp_scores: Tensor, partition: Tensor) -> Tensor:
    """Divide the unnormalised scores by the constant ``Z``.

    Args:
        exp_scores (Tensor): Unnormalised scores, shape (B, K).
        partition (Tensor | float): ``Z`` (no gradient flows into it).

    Returns:
        Tensor: ``h = exp_scores / Z``, shape (B, K).
    """
    if isinstance(partition, Tensor):
        partition = partition.detach().to(exp_scores.dtype)
    return exp_scores / partition


def crd_nce_loss(pos_and_neg_scores: Tensor,
                 n_data: int,
                 eps: float = 1e-7) -> Tensor:
    """CRD's NCE loss (Eq. 18 of the paper) on normalised scores.

    With ``h+`` the positive's score (column 0), ``h-`` the ``N`` negatives'
    (columns 1..N), ``M = n_data`` and the uniform noise ``P_n = 1 / M``:

    ``loss = -[sum_b log(h+ / (h+ + N/M + eps))
    + sum_b sum_neg log((N/M) / (h- + N/M + eps))] / B``

    (``eps`` only in the denominators, as in the CRD benchmark's
    ``ContrastLoss``).

    Args:
        pos_and_neg_scores (Tensor): Normalised scores ``h``, shape
            (B, 1 + N), the positive first.
        n_data (int): ``M``, the number of samples of the training set.
        eps (float): Added to the denominators. Defaults to 1e-7.

    Returns:
        Tensor: The loss, a scalar.
    """
    if pos_and_neg_scores.dim() != 2 or pos_and_neg_scores.shape[1] < 2:
        raise ValueError(
            'crd_nce_loss expects scores (B, 1 + N) with N >= 1 negatives, '
            f'got {tuple(pos_and_neg_scores.shape)}.')
    if n_data <= 0:
        raise ValueError(f'n_data must be > 0, got {n_data}.')
    batch = pos_and_neg_scores.shape[0]
    num_neg = pos_and_neg_scores.shape[1] - 1
    noise = num_neg / float(n_data)  # N * P_n
    pos = pos_and_neg_scores[:, 0]
    neg = pos_and_neg_scores[:, 1:]
    log_d1 = torch.log(pos / (pos + noise + eps))
    log_d0 = torch.log(noise / (neg + noise + eps))
    return -(log_d1.sum() + log_d0.sum()) / batch


def momentum_update(rows: Tensor, feats: Tensor, momentum: float) -> Tensor:
    """New memory rows: ``normalize(momentum * rows + (1 - momentum) *
    feats)``.

    Args:
        rows (Tensor): The current memory rows, shape (B, D).
        feats (Tensor): The new embeddings, shape (B, D) (detached here).
        momentum (float): The weight of the old rows, in [0, 1].

    Returns:
        Tensor: The updated rows, each of L2 norm 1, shape (B, D).
    """
    if rows.shape != feats.shape:
        raise ValueError('momentum_update expects rows and feats of the '
                         f'same shape, got {tuple(rows.shape)} and '
                         f'{tuple(feats.shape)}.')
    mixed = rows * momentum + feats.detach().to(rows.dtype) * (1 - momentum)
    return mixed / mixed.pow(2).sum(1, keepdim=True).sqrt()
