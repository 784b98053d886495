# Copyright (c) OpenMMLab. All rights reserved.
"""Tensor functions of SSKD (Xu et al., ECCV 2020).

"Knowledge Distillation Meets Self-Supervision",
https://arxiv.org/abs/2006.07114. Plain functions without parameters or
registries, used by the SSKD losses (:mod:`mmkd_plus.models.losses.
sskd_loss`). The semantics (view layout, similarity matrix, selective
transfer) follow the authors' code (https://github.com/xuguodong03/SSKD),
written afresh.

View layout: a batch of ``B`` source images with ``V`` views each is a
``(B * V, ...)`` tensor, interleaved: row ``i * V + v`` is view ``v`` of
image ``i``, and view 0 is the normal (untransformed) image.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'split_views', 'view_similarity', 'target_rank', 'selective_transfer_mask',
    'select_by_rank', 'soft_kl'
]


def split_views(x: Tensor, num_views: int) -> Tensor:
    """Reshape an interleaved ``(B * V, ...)`` batch to ``(B, V, ...)``.

    Args:
        x (Tensor): Shape (B * V, ...).
        num_views (int): V.

    Returns:
        Tensor: Shape (B, V, ...), a view of ``x``.
    """
    if num_views < 1 or x.size(0) % num_views:
        raise ValueError(f'a multi-view batch of {x.size(0)} rows cannot hold '
                         f'{num_views} views per image')
    return x.reshape(x.size(0) // num_views, num_views, *x.shape[1:])


def view_similarity(z: Tensor,
                    num_views: int,
                    normal: Optional[Tensor] = None) -> Tensor:
    """SSKD's contrastive matrix: transformed views against normal views.

    ``A[(i, r), j] = cos(z(x_i^r), z(x_j^0))`` for every transformed view
    ``r = 1 .. V-1`` of every image ``i`` (rows, in the order ``i * (V-1) +
    r - 1``) and every normal view ``j`` (columns). The target of row
    ``(i, r)`` is column ``i``.

    Args:
        z (Tensor): Head outputs, shape (B * V, D), interleaved.
        num_views (int): V (at least 2).
        normal (Tensor, optional): The columns' normal views, (M, D), e.g.
            those of every rank; their targets then shift by the position of
            ``z``'s images among them. Defaults to ``z``'s own normal views.

    Returns:
        Tensor: Shape (B * (V - 1), B) (or M columns), cosine similarities.
    """
    if num_views < 2:
        raise ValueError('the similarity matrix needs at least one '
                         f'transformed view per image, got {num_views} view')
    z = split_views(z, num_views)
    normal = z[:, 0] if normal is None else normal
    transformed = F.normalize(z[:, 1:].flatten(0, 1), dim=1)
    return transformed @ F.normalize(normal, dim=1).t()


def target_rank(scores: Tensor, target: Tensor) -> Tensor:
    """The position of each row's target in the row's descending order.

    Rank 0 means the target has the highest score (the teacher is right).
    Ties count in the target's favour: the rank is the number of entries
    strictly greater than the target's score.

    Args:
        scores (Tensor): Shape (N, K).
        target (Tensor): Shape (N, ), integers in [0, K).

    Returns:
        Tensor: Shape (N, ), long.
    """
    target_score = scores.gather(1, target.long().view(-1, 1))
    return (scores > target_score).sum(dim=1)


def selective_transfer_mask(scores: Tensor, target: Tensor,
                            ratio: float) -> Tensor:
    """SSKD's selective transfer: which transformed samples to distil.

    Every sample whose target the teacher ranks first is kept; of the ``W``
    others, the ``floor(ratio * W)`` with the smallest rank (the least
    wrong) are kept as well. Rows tied at the cut-off are taken in row
    order, lowest index first (see :func:`select_by_rank`).

    Args:
        scores (Tensor): The teacher's scores, shape (N, K).
        target (Tensor): The true target of each row, shape (N, ).
        ratio (float): Fraction of the wrong samples to keep, in [0, 1].

    Returns:
        Tensor: Boolean mask of shape (N, ).
    """
    return select_by_rank(target_rank(scores, target), ratio)


def select_by_rank(rank: Tensor, ratio: float) -> Tensor:
    """The rule of :func:`selective_transfer_mask` on given ranks.

    The wrong rows are ordered by a stable sort of their ranks, so that
    among rows of equal rank at the cut-off the lowest row indices are kept:
    the same rows on every device and PyTorch version. (The authors'
    ``torch.argsort(rank)`` is not stable; which of the tied rows it keeps
    is left to the sort's implementation.)

    Args:
        rank (Tensor): The teacher's rank of each row's target, (N, ).
        ratio (float): Fraction of the wrong rows to keep, in [0, 1].

    Returns:
        Tensor: Boolean mask of shape (N, ).
    """
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f'the selection ratio must be in [0, 1], got {ratio}')
    keep = rank == 0
    wrong = torch.nonzero(~keep, as_tuple=True)[0]
    num_keep = int(wrong.numel() * ratio)
    if num_keep > 0:
        order = torch.sort(rank[wrong], stable=True).indices
        keep[wrong[order[:num_keep]]] = True
    return keep


def soft_kl(s_logits: Tensor,
            t_logits: Tensor,
            tau: float,
            mask: Optional[Tensor] = None,
            denominator: Optional[float] = None) -> Tensor:
    """``tau^2 * KL(softmax(t / tau) || softmax(s / tau))``, batch mean.

    The mean is over the kept rows (``mask``), or the sum over them divided
    by ``denominator`` when given (a count over all ranks); with no row kept
    the result is a zero that still belongs to the student's graph.

    Args:
        s_logits (Tensor): Student scores, shape (N, K).
        t_logits (Tensor): Teacher scores, shape (N, K).
        tau (float): Temperature.
        mask (Tensor, optional): Boolean (N, ) mask of the rows to use.
        denominator (float, optional): What the sum is divided by. Defaults
            to the number of kept rows.

    Returns:
        Tensor: A scalar.
    """
    if mask is not None:
        s_logits, t_logits = s_logits[mask], t_logits[mask]
    count = s_logits.size(0) if denominator is None else denominator
    if s_logits.size(0) == 0 or count == 0:
        return s_logits.sum() * 0.0
    log_p_s = F.log_softmax(s_logits / tau, dim=1)
    p_t = F.softmax(t_logits / tau, dim=1)
    kl = F.kl_div(log_p_s, p_t, reduction='sum') / count
    return kl * tau**2
