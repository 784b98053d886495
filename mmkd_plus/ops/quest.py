# Copyright (c) OpenMMLab. All rights reserved.
"""QuEST's soft assignment to a visual vocabulary, and its KL loss.

QuEST (Jain et al., "QuEST: Quantized embedding space for transferring
knowledge", ECCV 2020, https://arxiv.org/abs/1912.01540) describes the
teacher's feature map by the soft assignment of every spatial position to
K visual words (k-means centroids of the teacher's features):

    p_T(k | u) = softmax_k(-||t_u - v_k||^2 / tau)

and trains the student to predict it with a KL divergence per position,
averaged over positions. The authors' code (https://github.com/valeoai/QuEST,
``VectorQuantizerEMA`` with ``temperature = 1 / tau``) logs the mean over
positions of ``max_k p_T``; tau is tuned so that it is about 0.996.

These are pure functions on tensors (no registry): :class:`QuESTLoss` and
:class:`QuESTVocabularyHook` wrap them.
"""
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from .kmeans import _default_chunk_size, squared_distances

__all__ = [
    'soft_assign', 'closest_word_probability', 'quest_kl',
    'tau_for_closest_word_probability'
]


def _check_tau(tau: float) -> None:
    if not isinstance(tau, (int, float)) or not tau > 0 or \
            not math.isfinite(tau):
        raise ValueError(f'tau must be a positive finite number, got {tau!r}.')


def _positions(features: Tensor, vocab: Tensor) -> Tensor:
    """``(B, C, H, W)`` or ``(N, C)`` features as ``(N, C)`` rows."""
    if vocab.dim() != 2:
        raise ValueError('vocab must be (K, C), got shape '
                         f'{tuple(vocab.shape)}.')
    if features.dim() == 4:
        flat = features.permute(0, 2, 3, 1).reshape(-1, features.shape[1])
    elif features.dim() == 2:
        flat = features
    else:
        raise ValueError('features must be (B, C, H, W) or (N, C), got '
                         f'shape {tuple(features.shape)}.')
    if flat.shape[1] != vocab.shape[1]:
        raise ValueError(
            f'Feature width {flat.shape[1]} (features of shape '
            f'{tuple(features.shape)}) differs from the vocabulary width '
            f'{vocab.shape[1]} (vocab of shape {tuple(vocab.shape)}).')
    return flat


def _chunk(chunk_size: Optional[int], vocab: Tensor) -> int:
    if chunk_size is None:
        return _default_chunk_size(*vocab.shape)
    if chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}.')
    return int(chunk_size)


def soft_assign(features: Tensor,
                vocab: Tensor,
                tau: float,
                chunk_size: Optional[int] = None) -> Tensor:
    """Soft assignment of every position to the visual words.

    ``p(k | u) = softmax_k(-||f_u - v_k||^2 / tau)``, computed in float32
    (float64 stays float64) over chunks of ``chunk_size`` positions, so the
    temporaries stay bounded (the result itself is ``(N, K)``).

    Args:
        features (Tensor): ``(B, C, H, W)`` feature map (or ``(N, C)``
            vectors).
        vocab (Tensor): ``(K, C)`` visual words, on the same device.
        tau (float): Temperature (QuEST's tau; its code's ``temperature``
            is ``1 / tau``).
        chunk_size (int, optional): Positions per distance block. Defaults
            to as many as keep one block below 256 MB.

    Returns:
        Tensor: ``(B, H, W, K)`` probabilities (``(N, K)`` for ``(N, C)``
        input), summing to one over the last dim.
    """
    _check_tau(tau)
    flat = _positions(features, vocab)
    step = _chunk(chunk_size, vocab)
    parts = [
        F.softmax(squared_distances(flat[i:i + step], vocab).neg_().div_(tau),
                  dim=1) for i in range(0, flat.shape[0], step)
    ]
    probs = torch.cat(parts) if len(parts) != 1 else parts[0]
    if features.dim() == 4:
        b, _, h, w = features.shape
        probs = probs.view(b, h, w, vocab.shape[0])
    return probs


@torch.no_grad()
def closest_word_probability(features: Tensor,
                             vocab: Tensor,
                             tau: float,
                             chunk_size: Optional[int] = None) -> Tensor:
    """Mean over positions of ``max_k p(k | u)``: how hard the assignment is.

    QuEST tunes tau so that this is about 0.996 (the authors' code logs it
    as ``mean_assign_score``). ``max_k softmax(-d/tau)`` is computed as
    ``1 / sum_k exp(-(d_k - d_min) / tau)``, chunk by chunk, without
    materialising the ``(N, K)`` probabilities.

    Args:
        features (Tensor): ``(B, C, H, W)`` feature map or ``(N, C)``.
        vocab (Tensor): ``(K, C)`` visual words.
        tau (float): Temperature.
        chunk_size (int, optional): Positions per distance block.

    Returns:
        Tensor: A float32 (float64 for float64 input) scalar in
        ``[1/K, 1]``.
    """
    _check_tau(tau)
    flat = _positions(features, vocab)
    if flat.shape[0] == 0:
        raise ValueError('No positions to average over (empty features).')
    step = _chunk(chunk_size, vocab)
    total = None
    for i in range(0, flat.shape[0], step):
        dist = squared_distances(flat[i:i + step], vocab)
        gap = dist - dist.min(dim=1, keepdim=True).values
        top = gap.div_(-tau).exp_().sum(dim=1).reciprocal_()
        part = top.double().sum()
        total = part if total is None else total + part
    return (total / flat.shape[0]).to(torch.float64 if flat.dtype ==
                                      torch.float64 else torch.float32)


def quest_kl(p_t: Tensor, log_p_s: Tensor) -> Tensor:
    """KL(p_T || p_S) per position, summed over words, mean over positions.

    ``(1/N) sum_u sum_k p_T(k|u) (log p_T(k|u) - log p_S(k|u))``, i.e.
    ``F.kl_div(log_p_s, p_t, reduction='batchmean')`` on the flattened
    positions (QuEST's loss); terms with ``p_T = 0`` contribute 0. Computed
    in float32 at least.

    Args:
        p_t (Tensor): ``(N, K)`` teacher probabilities (the target).
        log_p_s (Tensor): ``(N, K)`` student log-probabilities.

    Returns:
        Tensor: A scalar.
    """
    if p_t.dim() != 2 or p_t.shape != log_p_s.shape:
        raise ValueError('p_t and log_p_s must both be (N, K) with the same '
                         f'shape; got {tuple(p_t.shape)} and '
                         f'{tuple(log_p_s.shape)}.')
    if p_t.shape[0] == 0:
        raise ValueError('No positions to average over (N = 0).')
    dtype = torch.float64 if torch.float64 in (p_t.dtype, log_p_s.dtype) \
        else torch.float32
    return F.kl_div(log_p_s.to(dtype), p_t.to(dtype),
                    reduction='sum') / p_t.shape[0]


@torch.no_grad()
def tau_for_closest_word_probability(
        features: Tensor,
        vocab: Tensor,
        target: float = 0.996,
        steps: int = 40,
        chunk_size: Optional[int] = None) -> float:
    """The tau at which :func:`closest_word_probability` equals ``target``.

    The closest-word probability decreases monotonically in tau (from 1 at
    tau -> 0 towards 1/K), so a bisection on log tau finds it. The search
    spans ``[1e-6, 1e6]`` times the mean squared distance to the closest
    word.

    Args:
        features (Tensor): ``(B, C, H, W)`` or ``(N, C)`` features.
        vocab (Tensor): ``(K, C)`` visual words.
        target (float): Wanted mean closest-word probability, in
            ``(1/K, 1)``. Defaults to 0.996 (QuEST's value).
        steps (int): Bisection steps. Defaults to 40.
        chunk_size (int, optional): Positions per distance block.

    Returns:
        float: tau.
    """
    k = vocab.shape[0]
    if not 1.0 / k < target < 1.0:
        raise ValueError(f'target must lie in (1/K, 1) = ({1.0 / k:.4g}, 1),'
                         f' got {target!r}.')
    flat = _positions(features, vocab)
    scale = float(
        squared_distances(flat[:_chunk(chunk_size, vocab)],
                          vocab).min(dim=1).values.mean())
    scale = scale if scale > 0 else 1.0
    lo, hi = math.log(scale * 1e-6), math.log(scale * 1e6)
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        prob = float(
            closest_word_probability(flat, vocab, math.exp(mid), chunk_size))
        if prob > target:
            lo = mid  # too peaked: a larger tau softens it
        else:
            hi = mid
    return math.exp(0.5 * (lo + hi))
